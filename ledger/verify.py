"""Recompute the chain and the balances from the entries as they are stored.

Used by `flask ledger verify` and the auditor's page. It reads the raw rows (strings, not enums)
so that a row tampered with in the database is reported rather than crashing the check.
"""

import enum
from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from catalog.models import Lot
from extensions import db

from .chain import HASHED_FIELDS, entry_hash
from .models import GENESIS_HASH, Balance, LedgerEntry, LedgerHead


class Problem(enum.StrEnum):
    MISSING = "missing"
    PREV_HASH = "prev_hash"
    HASH = "hash"
    UNREADABLE = "unreadable"
    HEAD = "head"

    @property
    def label(self) -> str:
        return str(PROBLEM_LABELS[self])

    @property
    def english(self) -> str:
        return PROBLEM_ENGLISH[self]


PROBLEM_ENGLISH = {
    Problem.MISSING: "the entry is missing (deleted, or the rows were renumbered)",
    Problem.PREV_HASH: "it does not follow the entry before it (rows removed or reordered)",
    Problem.HASH: "its contents no longer match its hash (the row was edited)",
    Problem.UNREADABLE: "the row cannot be read (a value was changed to something invalid)",
    Problem.HEAD: "the end of the chain does not match the ledger head (entries removed at "
    "the end, or added outside Baogong)",
}
PROBLEM_LABELS = {
    Problem.MISSING: _l("the entry is missing (deleted, or the rows were renumbered)"),
    Problem.PREV_HASH: _l("it does not follow the entry before it (rows removed or reordered)"),
    Problem.HASH: _l("its contents no longer match its hash (the row was edited)"),
    Problem.UNREADABLE: _l("the row cannot be read (a value was changed to something invalid)"),
    Problem.HEAD: _l(
        "the end of the chain does not match the ledger head (entries removed at the end, "
        "or added outside Baogong)"
    ),
}


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    problem: Problem


@dataclass(frozen=True)
class BalanceDifference:
    lot_id: int
    lot_number: str
    bucket: str
    recorded: int
    from_entries: int


@dataclass
class Verification:
    entries: int = 0
    last_hash: str = GENESIS_HASH
    chain_break: ChainBreak | None = None
    balances_checked: int = 0
    differences: list[BalanceDifference] = field(default_factory=list)

    @property
    def chain_intact(self) -> bool:
        return self.chain_break is None

    @property
    def ok(self) -> bool:
        return self.chain_break is None and not self.differences

    def report(self) -> list[str]:
        """The result in plain English lines (the command line's output)."""
        lines = []
        if self.chain_break is None:
            lines.append(f"chain intact: {self.entries} entries")
        else:
            lines.append(
                f"chain broken at entry {self.chain_break.seq}: {self.chain_break.problem.english}"
            )
        if self.differences:
            lines.append(f"balances differ from the entries in {len(self.differences)} places:")
            for d in self.differences[:20]:
                lines.append(
                    f"  lot {d.lot_number} (id {d.lot_id}) {d.bucket}: "
                    f"balance {d.recorded}, entries add up to {d.from_entries}"
                )
        else:
            lines.append(f"balances match the entries ({self.balances_checked} lot buckets)")
        return lines


# Every hashed field plus the two hashes, read as stored: the enum columns as plain text, so
# that a value someone wrote directly into the database is seen as it is, not refused on load.
_ENUM_FIELDS = ("kind", "from_bucket", "to_bucket")
_RAW_COLUMNS = [
    LedgerEntry.__table__.c[name]
    for name in (*HASHED_FIELDS, "prev_hash", "hash")
    if name not in _ENUM_FIELDS
] + [sa.type_coerce(LedgerEntry.__table__.c[name], sa.String).label(name) for name in _ENUM_FIELDS]


def verify(batch_size: int = 5000) -> Verification:
    """Walk the entries in sequence order, recomputing every hash and every balance."""
    result = Verification()
    sums: dict[tuple[int, str], int] = defaultdict(int)
    expected_seq, prev_hash = 1, GENESIS_HASH
    rows = db.session.execute(
        sa.select(*_RAW_COLUMNS)
        .order_by(LedgerEntry.__table__.c.seq)
        .execution_options(yield_per=batch_size)
    )
    for row in rows:
        result.entries += 1
        if row.from_bucket is not None:
            sums[(row.lot_id, row.from_bucket)] -= row.quantity or 0
        if row.to_bucket is not None:
            sums[(row.lot_id, row.to_bucket)] += row.quantity or 0
        if result.chain_break is None:
            result.chain_break = _check_row(row, expected_seq, prev_hash)
        expected_seq, prev_hash = row.seq + 1, row.hash
        result.last_hash = row.hash
    if result.chain_break is None:
        result.chain_break = _check_head(expected_seq - 1, prev_hash, result.entries)
    _compare_balances(result, sums)
    return result


def check_chain(through_seq: int, batch_size: int = 5000) -> ChainBreak | None:
    """The first break in the chain from its first entry to `through_seq` (None: intact), for a
    document made from those entries. Balances and later entries are `verify()`'s."""
    expected_seq, prev_hash = 1, GENESIS_HASH
    rows = db.session.execute(
        sa.select(*_RAW_COLUMNS)
        .where(LedgerEntry.__table__.c.seq <= through_seq)
        .order_by(LedgerEntry.__table__.c.seq)
        .execution_options(yield_per=batch_size)
    )
    with rows:  # closed when the walk stops early (a server-side cursor on PostgreSQL)
        for row in rows:
            broken = _check_row(row, expected_seq, prev_hash)
            if broken is not None:
                return broken
            expected_seq, prev_hash = row.seq + 1, row.hash
    if expected_seq <= through_seq:  # the last entries are gone
        return ChainBreak(expected_seq, Problem.MISSING)
    return None


def _check_row(row, expected_seq: int, prev_hash: str) -> ChainBreak | None:
    if row.seq != expected_seq:
        return ChainBreak(expected_seq, Problem.MISSING)
    if row.prev_hash != prev_hash:
        return ChainBreak(row.seq, Problem.PREV_HASH)
    try:
        computed = entry_hash(row._asdict(), row.prev_hash)
    except (TypeError, ValueError):
        return ChainBreak(row.seq, Problem.UNREADABLE)
    if computed != row.hash:
        return ChainBreak(row.seq, Problem.HASH)
    return None


def _check_head(last_seq: int, last_hash: str, count: int) -> ChainBreak | None:
    head = db.session.execute(
        sa.select(LedgerHead.last_seq, LedgerHead.last_hash).where(LedgerHead.id == 1)
    ).first()
    if head is None:
        return None if count == 0 else ChainBreak(last_seq, Problem.HEAD)
    if head.last_seq > last_seq:
        return ChainBreak(last_seq + 1, Problem.MISSING)
    if head.last_seq < last_seq:
        return ChainBreak(head.last_seq + 1, Problem.HEAD)
    if head.last_hash != last_hash:
        return ChainBreak(last_seq, Problem.HEAD)
    return None


def _compare_balances(result: Verification, sums: dict[tuple[int, str], int]) -> None:
    recorded = {
        (lot_id, bucket): quantity
        for lot_id, bucket, quantity in db.session.execute(
            sa.select(
                Balance.__table__.c.lot_id,
                sa.type_coerce(Balance.__table__.c.bucket, sa.String),
                Balance.__table__.c.quantity,
            )
        )
    }
    result.balances_checked = len(recorded)
    differing = sorted(
        key for key in set(recorded) | set(sums) if recorded.get(key, 0) != sums.get(key, 0)
    )
    if not differing:
        return
    numbers = dict(
        db.session.execute(
            sa.select(Lot.id, Lot.lot_number).where(Lot.id.in_({lot for lot, _ in differing}))
        ).all()
    )
    result.differences = [
        BalanceDifference(
            lot_id, numbers.get(lot_id, "?"), bucket, recorded.get(key, 0), sums.get(key, 0)
        )
        for key in differing
        for lot_id, bucket in [key]
    ]


def check_entries(seqs: list[int]) -> dict[int, Problem | None]:
    """Recompute the hashes of some entries (those a document lists): None where the entry is
    intact, else what is wrong with it. Whether the chain around them holds is `verify()`'s."""
    found: dict[int, Problem | None] = dict.fromkeys(seqs, Problem.MISSING)
    if not seqs:
        return found
    rows = db.session.execute(
        sa.select(*_RAW_COLUMNS).where(LedgerEntry.__table__.c.seq.in_(list(seqs)))
    )
    for row in rows:
        found[row.seq] = _check_row(row, row.seq, row.prev_hash)
    return found
