"""Stock movements: the only code that writes ledger entries and balances.

Every function takes plain values (objects or their ids), flushes and never commits: the caller
commits once, so an entry, its balances and the document it belongs to land together or not at
all. `post_many()` is the one writer (`post()` is the same for one movement); the named functions
(`receive`, `release`, `reject`, `hold`, `unhold`, `issue`, `issue_many`, `write_off`, `adjust`,
`reverse`, `reverse_many`) say which movements make sense.

Concurrency: the writer first locks the ledger head (one row: SELECT ... FOR UPDATE on
PostgreSQL, SQLite's write lock otherwise), then the balance rows of the lots it moves, and
checks the stock under those locks. Whoever comes second waits and then sees the first one's
result, so two people can never hand out the same pieces, and the chain never forks.

An allocation plan issues all its lines in one transaction: call `lock_ledger()`, re-check what
the plan was computed on with `balance()` (now nobody else can change it), then `issue_many()`
(or `issue()` per line); nothing is visible to others until the caller commits.

Rules the writer enforces for every movement, whoever calls it: only the moves listed in `MOVES`;
whole, non-zero quantities; no bucket below zero; nothing released, issued or sold from a lot that
has stock on hold; no issue or sale from an expired lot, no issue to a deactivated recipient; no
date in the future; an entry is reversed at most once; a unit sells (to citizens, at its outlets),
returns or has reversed no more of a lot than it holds (`holdings`).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import format_date, format_decimal
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import make_transient_to_detached

from accounts.models import User
from catalog.models import Grade, Lot, Product
from core.clock import local_date, local_today
from core.db import now_utc, refresh_statistics
from core.errors import ServiceError
from core.i18n import is_english
from core.text import clean
from extensions import db
from recipients.models import Recipient

from .chain import entry_hash
from .models import (
    FROM_A_RECIPIENT,
    GENESIS_HASH,
    Balance,
    Bucket,
    EntryKind,
    LedgerEntry,
    LedgerHead,
)

# Document types that entries refer to (`Document.type`). Other packages may use their own.
DOC_LOT_RECEIPT = "lot_receipt"
DOC_INSPECTION = "inspection"
DOC_HOLD = "hold"
DOC_PLAN_LINE = "plan_line"
DOC_PLAN_REVERSAL = "plan_reversal"
DOC_STOCK_COUNT = "stock_count"
DOC_CORRECTION = "correction"
DOC_BOOKING = "booking"  # a citizen's booking: the sale at its pickup
DOC_ROUND_CLOSE = "booking_round_close"  # a closed booking round: what was not sold, returned

# How far in the future a stated time may be (clocks differ a little).
CLOCK_TOLERANCE = timedelta(minutes=5)
MAX_REASON = 2000

# Which moves each kind of entry may make (None: outside the city's stock).
MOVES: dict[EntryKind, frozenset[tuple[Bucket | None, Bucket | None]]] = {
    EntryKind.RECEIPT: frozenset({(None, Bucket.QUARANTINE)}),
    EntryKind.RELEASE: frozenset({(Bucket.QUARANTINE, Bucket.AVAILABLE)}),
    EntryKind.REJECT: frozenset(
        {(b, Bucket.REJECTED) for b in (Bucket.QUARANTINE, Bucket.AVAILABLE, Bucket.ON_HOLD)}
    ),
    EntryKind.HOLD: frozenset({(Bucket.AVAILABLE, Bucket.ON_HOLD)}),
    EntryKind.UNHOLD: frozenset({(Bucket.ON_HOLD, Bucket.AVAILABLE)}),
    EntryKind.ISSUE: frozenset({(Bucket.AVAILABLE, Bucket.ISSUED)}),
    EntryKind.WRITE_OFF: frozenset(
        {
            (b, Bucket.WRITTEN_OFF)
            for b in (Bucket.QUARANTINE, Bucket.AVAILABLE, Bucket.ON_HOLD, Bucket.REJECTED)
        }
    ),
    EntryKind.ADJUSTMENT: frozenset(
        {(None, b) for b in (Bucket.QUARANTINE, Bucket.AVAILABLE, Bucket.ON_HOLD, Bucket.REJECTED)}
    ),
    EntryKind.SALE: frozenset({(Bucket.ISSUED, Bucket.SOLD)}),
    # Back to the warehouse; to "on hold" for a lot put on hold meanwhile.
    EntryKind.RETURN: frozenset(
        {(Bucket.ISSUED, Bucket.AVAILABLE), (Bucket.ISSUED, Bucket.ON_HOLD)}
    ),
}
# Buckets an expired lot is written off from by `write_off_expired`.
EXPIRY_BUCKETS = (Bucket.QUARANTINE, Bucket.AVAILABLE, Bucket.ON_HOLD)


@dataclass(frozen=True)
class Document:
    """What an entry belongs to: `Document("plan_line", line.id, "PL-2020-003")`."""

    type: str
    id: int | None = None
    ref: str | None = None


@dataclass(frozen=True)
class AllocatableLot:
    """A lot that an allocation plan may use, with what it can give."""

    lot_id: int
    grade: str
    available: int
    expiry_date: date | None
    pieces_per_box: int
    lot_number: str
    maker: str
    product_id: int


@dataclass(frozen=True)
class Move:
    """One movement for `post_many`: `quantity` pieces of a lot from one bucket to another
    (None = outside the stock; a negative quantity moves them the other way)."""

    kind: EntryKind
    lot_id: int
    quantity: int
    from_bucket: Bucket | None
    to_bucket: Bucket | None
    recipient_id: int | None = None
    document: Document | None = None
    reason: str = ""
    occurred_at: datetime | None = None
    reverses_seq: int | None = None


@dataclass(frozen=True)
class Posted:
    """An entry just written by `post_many` (a plain record; `post()` returns the ORM object)."""

    seq: int
    occurred_at: datetime
    recorded_at: datetime
    kind: EntryKind
    lot_id: int
    from_bucket: Bucket | None
    to_bucket: Bucket | None
    quantity: int
    recipient_id: int | None
    document_type: str | None
    document_id: int | None
    document_ref: str | None
    actor_id: int | None
    reason: str
    reverses_seq: int | None
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class IssueLine:
    """One line of an allocation plan for `issue_many`."""

    lot_id: int
    recipient_id: int
    quantity: int
    document: Document | None = None


# Small helpers -------------------------------------------------------------------------------


def _id(value) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError("an id cannot be a boolean")
    return value if isinstance(value, int) else value.id


def _lot(lot: Lot | int) -> Lot:
    if isinstance(lot, Lot):
        return lot
    found = db.session.get(Lot, lot)
    if found is None:
        raise ServiceError(_l("There is no such lot."))
    return found


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _insert(table: sa.Table):
    name = _dialect()
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    return sa.insert(table)


@dataclass(frozen=True)
class _LotFacts:
    lot_number: str
    expiry_date: date | None
    unit_zh: str
    unit_en: str

    def pieces(self, amount: int) -> str:
        english = is_english()
        return f"{format_decimal(amount)} {self.unit_en if english else self.unit_zh}"


def _lot_facts(lot_ids: Iterable[int]) -> dict[int, _LotFacts]:
    rows = db.session.execute(
        sa.select(Lot.id, Lot.lot_number, Lot.expiry_date, Grade.unit_zh, Grade.unit_en)
        .join(Product, Lot.product_id == Product.id)
        .join(Grade, Product.grade_id == Grade.id)
        .where(Lot.id.in_(list(lot_ids)))
    )
    return {row.id: _LotFacts(*row[1:]) for row in rows}


# Locks and balances ------------------------------------------------------------------------

_head = LedgerHead.__table__
_balances = Balance.__table__
_entries = LedgerEntry.__table__


def lock_ledger() -> tuple[int, str]:
    """Take the ledger's write lock until the transaction ends; returns (last seq, last hash).

    PostgreSQL: SELECT ... FOR UPDATE on the head row. SQLite: a no-op UPDATE of the head row,
    which takes the database's write lock, so that what is read afterwards stays true.
    """
    if _dialect() == "sqlite":
        db.session.execute(
            sa.update(_head).where(_head.c.id == 1).values(last_seq=_head.c.last_seq)
        )
    query = sa.select(_head.c.last_seq, _head.c.last_hash).where(_head.c.id == 1)
    row = db.session.execute(query.with_for_update()).first()
    if row is None:
        # First entry ever (or after a test reset): start the head where the entries end.
        last = db.session.execute(
            sa.select(_entries.c.seq, _entries.c.hash).order_by(_entries.c.seq.desc()).limit(1)
        ).first()
        db.session.execute(
            _insert(_head)
            .values(
                id=1,
                last_seq=last.seq if last else 0,
                last_hash=last.hash if last else GENESIS_HASH,
            )
            .on_conflict_do_nothing()
        )
        row = db.session.execute(query.with_for_update()).first()
    return row.last_seq, row.last_hash


def balance(lot: Lot | int, bucket: Bucket, lock: bool = False) -> int:
    """Pieces of a lot in a bucket; `lock=True` locks the row until the transaction ends."""
    query = sa.select(_balances.c.quantity).where(
        _balances.c.lot_id == _id(lot), _balances.c.bucket == Bucket(bucket)
    )
    if lock:
        query = query.with_for_update()
    return db.session.scalar(query) or 0


def balances(lot: Lot | int) -> dict[Bucket, int]:
    """Every bucket of a lot (zero where nothing is recorded)."""
    rows = db.session.execute(
        sa.select(_balances.c.bucket, _balances.c.quantity).where(_balances.c.lot_id == _id(lot))
    )
    found = {Bucket(bucket): quantity for bucket, quantity in rows}
    return {bucket: found.get(bucket, 0) for bucket in Bucket}


def _locked_stock(lot_ids: list[int]) -> dict[tuple[int, Bucket], int]:
    """Every balance row of these lots, locked until the transaction ends."""
    rows = db.session.execute(
        sa.select(_balances.c.lot_id, _balances.c.bucket, _balances.c.quantity)
        .where(_balances.c.lot_id.in_(lot_ids))
        .with_for_update()
    )
    return {(lot_id, Bucket(bucket)): quantity for lot_id, bucket, quantity in rows}


_update_balance = (
    sa.update(_balances)
    .where(
        _balances.c.lot_id == sa.bindparam("lot"),
        _balances.c.bucket == sa.bindparam("b", type_=_balances.c.bucket.type),
    )
    .values(quantity=_balances.c.quantity + sa.bindparam("delta", type_=sa.Integer))
)


# The one writer ----------------------------------------------------------------------------


def _check_quantity(quantity, allow_negative: bool = False) -> None:
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise ServiceError(_l("Quantities are whole pieces."), "quantity")
    if quantity == 0 or (quantity < 0 and not allow_negative):
        raise ServiceError(_l("The quantity must be at least 1."), "quantity")


def _check_reason(reason: str | None, required: bool) -> str:
    reason = clean(reason)
    if required and not reason:
        raise ServiceError(_l("Give a reason: it is kept in the ledger."), "reason")
    if len(reason) > MAX_REASON:
        raise ServiceError(
            _l("The reason is too long (at most %(n)d characters).", n=MAX_REASON), "reason"
        )
    return reason


def _checked(move: Move, now: datetime) -> Move:
    """The move with its values normalised; ValueError for a move no code should make,
    ServiceError for values a person may have typed."""
    kind = EntryKind(move.kind)
    from_bucket = Bucket(move.from_bucket) if move.from_bucket is not None else None
    to_bucket = Bucket(move.to_bucket) if move.to_bucket is not None else None
    if kind is EntryKind.REVERSAL:
        if move.reverses_seq is None:
            raise ValueError("a reversal must name the entry it reverses")
        if from_bucket is None and to_bucket is None:
            raise ValueError("a reversal moves between the buckets of the entry it reverses")
    else:
        if move.reverses_seq is not None:
            raise ValueError("only reversals point at another entry")
        if (from_bucket, to_bucket) not in MOVES[kind]:
            raise ValueError(f"a {kind.value} entry cannot move {from_bucket} -> {to_bucket}")
    _check_quantity(
        move.quantity, allow_negative=kind in (EntryKind.ADJUSTMENT, EntryKind.REVERSAL)
    )
    if kind is EntryKind.ISSUE and move.recipient_id is None:
        raise ServiceError(_l("An issue must name its recipient."), "recipient")
    if kind in FROM_A_RECIPIENT and move.recipient_id is None:
        raise ValueError(f"a {kind.value} entry names the unit that held the pieces")
    occurred_at = move.occurred_at or now
    if occurred_at.tzinfo is None:
        raise ValueError("occurred_at must be timezone-aware")
    if occurred_at > now + CLOCK_TOLERANCE:
        raise ServiceError(_l("A movement cannot be dated in the future."), "occurred_at")
    return replace(
        move,
        kind=kind,
        from_bucket=from_bucket,
        to_bucket=to_bucket,
        reason=_check_reason(move.reason, required=False),
        occurred_at=occurred_at,
    )


def post_many(moves: Sequence[Move], actor: User | int | None) -> list[Posted]:
    """Write these movements as consecutive entries, in order, in the caller's transaction.

    All or nothing: the first movement that breaks a rule raises (ServiceError with a message
    for the person) before anything is written. Later movements see the stock left by earlier
    ones. Returns what was written (seq and hash included) as plain records.
    """
    return [Posted(**row) for row in _write(moves, actor)]


def _write(moves: Sequence[Move], actor: User | int | None) -> list[dict]:
    if not moves:
        return []
    recorded_at = now_utc()
    moves = [_checked(move, recorded_at) for move in moves]
    last_seq, last_hash = lock_ledger()
    lot_ids = sorted({move.lot_id for move in moves})
    lots = _lot_facts(lot_ids)
    if len(lots) != len(lot_ids):
        raise ServiceError(_l("There is no such lot."))
    stock = _locked_stock(lot_ids)
    existing = set(stock)
    recipients = _recipients_for(moves)
    _refuse_second_reversals(moves)
    held = _holdings_to_check(moves)
    on_hold = (
        held_lots(m.lot_id for m in moves if m.kind in FROM_A_RECIPIENT)
        if any(m.kind in FROM_A_RECIPIENT for m in moves)
        else set()
    )

    rows = []
    deltas: dict[tuple[int, Bucket], int] = {}
    for move in moves:
        lot = lots[move.lot_id]
        _check_issue_rules(move, lot, stock, recipients, on_hold)
        _check_holding(move, lot, held, recipients)
        giver, taker = (
            (move.from_bucket, move.to_bucket)
            if move.quantity > 0
            else (move.to_bucket, move.from_bucket)
        )
        amount = abs(move.quantity)
        if giver is not None:
            have = stock.get((move.lot_id, giver), 0)
            if have < amount:
                raise ServiceError(
                    _l(
                        "Not enough stock: lot %(lot)s has %(have)s “%(bucket)s”, %(want)s needed.",
                        lot=lot.lot_number,
                        have=lot.pieces(have),
                        bucket=giver.label,
                        want=lot.pieces(amount),
                    ),
                    "quantity",
                )
            stock[(move.lot_id, giver)] = have - amount
            deltas[(move.lot_id, giver)] = deltas.get((move.lot_id, giver), 0) - amount
        if taker is not None:
            stock[(move.lot_id, taker)] = stock.get((move.lot_id, taker), 0) + amount
            deltas[(move.lot_id, taker)] = deltas.get((move.lot_id, taker), 0) + amount
        document = move.document or Document("")
        last_seq += 1
        row = {
            "seq": last_seq,
            "occurred_at": move.occurred_at,
            "recorded_at": recorded_at,
            "kind": move.kind,
            "lot_id": move.lot_id,
            "from_bucket": move.from_bucket,
            "to_bucket": move.to_bucket,
            "quantity": move.quantity,
            "recipient_id": move.recipient_id,
            "document_type": document.type or None,
            "document_id": document.id,
            "document_ref": document.ref[:100] if document.ref else None,
            "actor_id": _id(actor),
            "reason": move.reason,
            "reverses_seq": move.reverses_seq,
            "prev_hash": last_hash,
        }
        row["hash"] = last_hash = entry_hash(row, last_hash)
        rows.append(row)

    db.session.execute(sa.insert(_entries), rows)
    refresh_statistics(db.session, len(rows), _entries.name)
    updates = [
        {"lot": lot_id, "b": bucket, "delta": delta}
        for (lot_id, bucket), delta in deltas.items()
        if delta and (lot_id, bucket) in existing
    ]
    if updates:
        db.session.execute(_update_balance, updates)
    new = [
        {"lot_id": lot_id, "bucket": bucket, "quantity": delta}
        for (lot_id, bucket), delta in deltas.items()
        if (lot_id, bucket) not in existing
    ]
    if new:
        db.session.execute(sa.insert(_balances), new)
    db.session.execute(
        sa.update(_head).where(_head.c.id == 1).values(last_seq=last_seq, last_hash=last_hash)
    )
    return rows


def _persistent(row: dict) -> LedgerEntry:
    """The ORM object of a row just inserted, put into the session without another query."""
    entry = LedgerEntry(**row)
    make_transient_to_detached(entry)
    db.session.add(entry)
    return entry


def _recipients_for(moves: list[Move]) -> dict[int, tuple[str, bool]]:
    ids = {move.recipient_id for move in moves if move.recipient_id is not None}
    if not ids:
        return {}
    found = {
        row.id: (row.name, row.active)
        for row in db.session.execute(
            sa.select(Recipient.id, Recipient.name, Recipient.active).where(Recipient.id.in_(ids))
        )
    }
    if len(found) != len(ids):
        raise ServiceError(_l("There is no such recipient."), "recipient")
    return found


def _holding_change(move: Move) -> int:
    """How the move changes what its recipient holds of the lot (issued to it, not sold or
    returned): issues add, sales and returns take away, reversals the other way."""
    change = 0
    if move.to_bucket is Bucket.ISSUED:
        change += move.quantity
    if move.from_bucket is Bucket.ISSUED:
        change -= move.quantity
    return change if move.recipient_id is not None else 0


# Recipients per holdings query (bind parameters stay well under the drivers' limits).
HOLDINGS_CHUNK = 5000


def holdings(lot_ids: Iterable[int], recipient_ids: Iterable[int]) -> dict[tuple[int, int], int]:
    """Pieces each recipient holds of each lot: issued to it (net of reversals), less what it
    sold and returned. Only pairs with entries are in the result."""
    lot_ids, recipient_ids = sorted(set(lot_ids)), sorted(set(recipient_ids))
    held = (
        sa.func.sum(sa.case((_entries.c.to_bucket == Bucket.ISSUED, _entries.c.quantity), else_=0))
        - sa.func.sum(
            sa.case((_entries.c.from_bucket == Bucket.ISSUED, _entries.c.quantity), else_=0)
        )
    ).label("held")
    result: dict[tuple[int, int], int] = {}
    for start in range(0, len(recipient_ids), HOLDINGS_CHUNK):
        rows = db.session.execute(
            sa.select(_entries.c.lot_id, _entries.c.recipient_id, held)
            .where(
                _entries.c.lot_id.in_(lot_ids),
                _entries.c.recipient_id.in_(recipient_ids[start : start + HOLDINGS_CHUNK]),
                sa.or_(
                    _entries.c.to_bucket == Bucket.ISSUED, _entries.c.from_bucket == Bucket.ISSUED
                ),
            )
            .group_by(_entries.c.lot_id, _entries.c.recipient_id)
        )
        result.update({(row.lot_id, row.recipient_id): int(row.held) for row in rows})
    return result


def _holdings_to_check(moves: list[Move]) -> dict[tuple[int, int], int]:
    """What the recipients that moves take pieces from hold, read under the ledger lock.

    Without sales or returns, what a unit holds of a lot is what it was issued net of
    reversals, which the reversal rules already keep whole; so the (costly, for a plan of
    50,000 lines) sums are read only for lots that have sales or returns, and for sales and
    returns themselves."""
    takers = [move for move in moves if _holding_change(move) < 0]
    if not takers:
        return {}
    lot_ids = sorted({move.lot_id for move in takers})
    if not any(move.kind in FROM_A_RECIPIENT for move in takers):
        lot_ids = list(
            db.session.scalars(
                sa.select(_entries.c.lot_id)
                .where(_entries.c.lot_id.in_(lot_ids), _entries.c.kind.in_(FROM_A_RECIPIENT))
                .distinct()
            )
        )
        if not lot_ids:
            return {}
    wanted = set(lot_ids)
    pairs = holdings(lot_ids, {move.recipient_id for move in takers if move.lot_id in wanted})
    # Every pair a move touches is tracked (zero when nothing is held yet).
    for move in moves:
        if move.lot_id in wanted and move.recipient_id is not None:
            pairs.setdefault((move.lot_id, move.recipient_id), 0)
    return pairs


def _check_holding(
    move: Move,
    lot: _LotFacts,
    held: dict[tuple[int, int], int],
    recipients: dict[int, tuple[str, bool]],
) -> None:
    """A unit cannot sell, return or have reversed more of a lot than it holds."""
    key = (move.lot_id, move.recipient_id)
    if key not in held:
        return
    change = _holding_change(move)
    if held[key] + change < 0:
        raise ServiceError(
            _l(
                "%(name)s holds %(have)s of lot %(lot)s (issued to it, less what it sold or "
                "returned); %(want)s needed.",
                name=recipients[move.recipient_id][0],
                have=lot.pieces(held[key]),
                lot=lot.lot_number,
                want=lot.pieces(-change),
            ),
            "quantity",
        )
    held[key] += change


def _refuse_reversing_a_sale(kind, seq: int) -> None:
    """A sale to a citizen, or what a closed booking round returned, is what happened at the
    counter and in the round: it is not undone entry by entry."""
    if EntryKind(kind) in FROM_A_RECIPIENT:
        raise ServiceError(
            _l(
                "Entry %(seq)s records a sale to a citizen or a booking round's return: it "
                "cannot be reversed.",
                seq=seq,
            )
        )


def held_lots(lot_ids: Iterable[int]) -> set[int]:
    """The lots on hold: put on hold (a recall, a doubt about quality) and not released from
    it since. Not the same as "has pieces in on hold": a held lot whose held pieces were then
    rejected or written off is still one nobody should sell."""
    lot_ids = sorted(set(lot_ids))
    if not lot_ids:
        return set()
    undone = sa.select(_entries.c.reverses_seq).where(_entries.c.reverses_seq.is_not(None))
    rows = db.session.execute(
        sa.select(_entries.c.lot_id, _entries.c.kind)
        .where(
            _entries.c.lot_id.in_(lot_ids),
            _entries.c.kind.in_([EntryKind.HOLD, EntryKind.UNHOLD]),
            _entries.c.seq.not_in(undone),
        )
        .order_by(_entries.c.lot_id, _entries.c.seq)
    )
    last: dict[int, str] = {}
    for lot_id, kind in rows:
        last[lot_id] = kind
    return {lot_id for lot_id, kind in last.items() if EntryKind(kind) is EntryKind.HOLD}


def _refuse_second_reversals(moves: list[Move]) -> None:
    """A reversal mirrors the entry it names exactly, and an entry is reversed at most once."""
    reversals = [move for move in moves if move.reverses_seq is not None]
    if not reversals:
        return
    targets = [move.reverses_seq for move in reversals]
    if len(set(targets)) != len(targets):
        raise ValueError("the same entry cannot be reversed twice in one batch")
    done = db.session.execute(
        sa.select(_entries.c.reverses_seq, _entries.c.seq).where(
            _entries.c.reverses_seq.in_(targets)
        )
    ).first()
    if done is not None:
        raise ServiceError(
            _l(
                "Entry %(seq)s has already been reversed by entry %(by)s.",
                seq=done.reverses_seq,
                by=done.seq,
            )
        )
    originals = {
        row.seq: row
        for row in db.session.execute(
            sa.select(
                _entries.c.seq,
                _entries.c.kind,
                _entries.c.lot_id,
                _entries.c.from_bucket,
                _entries.c.to_bucket,
                _entries.c.quantity,
                _entries.c.recipient_id,
            ).where(_entries.c.seq.in_(targets))
        )
    }
    for move in reversals:
        original = originals.get(move.reverses_seq)
        if original is None:
            raise ServiceError(_l("There is no ledger entry %(seq)s.", seq=move.reverses_seq))
        if original.kind == EntryKind.REVERSAL:
            raise ServiceError(
                _l("Entry %(seq)s is itself a reversal and cannot be reversed.", seq=original.seq)
            )
        _refuse_reversing_a_sale(original.kind, original.seq)
        mirrored = (
            original.lot_id,
            original.from_bucket,
            original.to_bucket,
            -original.quantity,
            original.recipient_id,
        )
        if mirrored != (
            move.lot_id,
            move.from_bucket,
            move.to_bucket,
            move.quantity,
            move.recipient_id,
        ):
            raise ValueError(f"a reversal must undo exactly entry {original.seq}")


def _check_issue_rules(
    move: Move,
    lot: _LotFacts,
    stock: dict[tuple[int, Bucket], int],
    recipients: dict[int, tuple[str, bool]],
    held: set[int] = frozenset(),
) -> None:
    """Nothing leaves a lot on hold; nothing is issued or sold expired, or issued to a
    deactivated unit."""
    if move.kind is EntryKind.RETURN and move.quantity > 0:
        # What comes back of a held lot stays held; of any other, it is available again.
        wanted = Bucket.ON_HOLD if move.lot_id in held else Bucket.AVAILABLE
        if move.to_bucket is not wanted:
            raise ValueError(f"a return of lot {move.lot_id} goes to {wanted}")
        return
    if move.kind is EntryKind.SALE and move.quantity > 0:
        # A lot on hold (a recall, a failed check) is not sold to citizens either.
        if move.lot_id in held:
            raise ServiceError(_l("Lot %(lot)s is on hold and cannot be sold.", lot=lot.lot_number))
        if lot.expiry_date is not None and lot.expiry_date < local_date(move.occurred_at):
            raise ServiceError(
                _l(
                    "Lot %(lot)s expired on %(date)s and cannot be sold.",
                    lot=lot.lot_number,
                    date=format_date(lot.expiry_date),
                )
            )
        return
    if move.kind not in (EntryKind.ISSUE, EntryKind.RELEASE):
        return
    if stock.get((move.lot_id, Bucket.ON_HOLD), 0) > 0:
        if move.kind is EntryKind.RELEASE:
            raise ServiceError(
                _l(
                    "Lot %(lot)s is on hold: lift the hold before releasing stock.",
                    lot=lot.lot_number,
                )
            )
        raise ServiceError(_l("Lot %(lot)s is on hold and cannot be issued.", lot=lot.lot_number))
    if move.kind is not EntryKind.ISSUE:
        return
    if lot.expiry_date is not None and lot.expiry_date < local_date(move.occurred_at):
        raise ServiceError(
            _l(
                "Lot %(lot)s expired on %(date)s and cannot be issued.",
                lot=lot.lot_number,
                date=format_date(lot.expiry_date),
            )
        )
    name, active = recipients[move.recipient_id]
    if not active:
        raise ServiceError(
            _l("%(name)s is deactivated and cannot receive stock.", name=name), "recipient"
        )


def post(
    kind: EntryKind,
    lot: Lot | int,
    quantity: int,
    from_bucket: Bucket | None,
    to_bucket: Bucket | None,
    actor: User | int | None,
    reason: str = "",
    *,
    document: Document | None = None,
    occurred_at: datetime | None = None,
    recipient: Recipient | int | None = None,
    reverses: LedgerEntry | None = None,
) -> LedgerEntry:
    """Write one entry (see `post_many`). Prefer the named functions below."""
    if reverses is not None and (from_bucket, to_bucket, quantity, _id(lot)) != (
        reverses.from_bucket,
        reverses.to_bucket,
        -reverses.quantity,
        reverses.lot_id,
    ):
        raise ValueError("a reversal must undo exactly the entry it reverses")
    move = Move(
        kind=kind,
        lot_id=_id(lot),
        quantity=quantity,
        from_bucket=from_bucket,
        to_bucket=to_bucket,
        recipient_id=_id(recipient),
        document=document,
        reason=reason,
        occurred_at=occurred_at,
        reverses_seq=reverses.seq if reverses is not None else None,
    )
    return _persistent(_write([move], actor)[0])


# Named movements ---------------------------------------------------------------------------


def receive(
    lot: Lot | int,
    actor: User | int | None,
    *,
    quantity: int | None = None,
    reason: str = "",
    document: Document | None = None,
    occurred_at: datetime | None = None,
) -> LedgerEntry:
    """A lot arrives: its pieces (by default all it was received with) go into quarantine."""
    lot = _lot(lot)
    return post(
        EntryKind.RECEIPT,
        lot,
        lot.pieces_received if quantity is None else quantity,
        None,
        Bucket.QUARANTINE,
        actor,
        reason,
        document=document or Document(DOC_LOT_RECEIPT, lot.id, lot.lot_number),
        occurred_at=occurred_at,
    )


def _all_of(lot: Lot, bucket: Bucket, empty_message) -> int:
    """Everything in a bucket, read under the ledger lock; ServiceError when it is empty."""
    lock_ledger()
    quantity = balance(lot.id, bucket, lock=True)
    if quantity == 0:
        raise ServiceError(empty_message)
    return quantity


def release(
    lot: Lot | int,
    actor: User | int | None,
    *,
    quantity: int | None = None,
    reason: str = "",
    document: Document | None = None,
    occurred_at: datetime | None = None,
) -> LedgerEntry:
    """The inspector releases stock from quarantine (by default all of it) for allocation.
    A release with a failed check needs its override reason in `reason`."""
    lot = _lot(lot)
    if quantity is None:
        quantity = _all_of(
            lot,
            Bucket.QUARANTINE,
            _l("Lot %(lot)s has nothing awaiting inspection.", lot=lot.lot_number),
        )
    return post(
        EntryKind.RELEASE,
        lot,
        quantity,
        Bucket.QUARANTINE,
        Bucket.AVAILABLE,
        actor,
        reason,
        document=document,
        occurred_at=occurred_at,
    )


def reject(
    lot: Lot | int,
    actor: User | int | None,
    reason: str,
    *,
    quantity: int | None = None,
    from_bucket: Bucket = Bucket.QUARANTINE,
    document: Document | None = None,
    occurred_at: datetime | None = None,
) -> LedgerEntry:
    """Stock found not fit for use (by default all of the bucket): it can never be allocated."""
    lot = _lot(lot)
    reason = _check_reason(reason, required=True)
    if quantity is None:
        quantity = _all_of(
            lot,
            Bucket(from_bucket),
            _l(
                "Lot %(lot)s has no stock “%(bucket)s”.",
                lot=lot.lot_number,
                bucket=Bucket(from_bucket).label,
            ),
        )
    return post(
        EntryKind.REJECT,
        lot,
        quantity,
        from_bucket,
        Bucket.REJECTED,
        actor,
        reason,
        document=document,
        occurred_at=occurred_at,
    )


def hold(
    lot: Lot | int,
    actor: User | int | None,
    reason: str,
    *,
    document: Document | None = None,
    occurred_at: datetime | None = None,
) -> LedgerEntry:
    """Put a lot on hold (a recall, a doubt about quality): all its available stock is blocked."""
    lot = _lot(lot)
    reason = _check_reason(reason, required=True)
    available = _all_of(
        lot,
        Bucket.AVAILABLE,
        _l(
            "Lot %(lot)s has no available stock to hold. Stock awaiting inspection can be "
            "rejected; the recall list shows who already received the lot.",
            lot=lot.lot_number,
        ),
    )
    return post(
        EntryKind.HOLD,
        lot,
        available,
        Bucket.AVAILABLE,
        Bucket.ON_HOLD,
        actor,
        reason,
        document=document or Document(DOC_HOLD, lot.id, lot.lot_number),
        occurred_at=occurred_at,
    )


def unhold(
    lot: Lot | int,
    actor: User | int | None,
    reason: str,
    *,
    document: Document | None = None,
    occurred_at: datetime | None = None,
) -> LedgerEntry:
    """Lift a hold: everything on hold becomes available again."""
    lot = _lot(lot)
    reason = _check_reason(reason, required=True)
    held = _all_of(lot, Bucket.ON_HOLD, _l("Lot %(lot)s is not on hold.", lot=lot.lot_number))
    return post(
        EntryKind.UNHOLD,
        lot,
        held,
        Bucket.ON_HOLD,
        Bucket.AVAILABLE,
        actor,
        reason,
        document=document or Document(DOC_HOLD, lot.id, lot.lot_number),
        occurred_at=occurred_at,
    )


def issue(
    lot: Lot | int,
    recipient: Recipient | int,
    quantity: int,
    actor: User | int | None,
    *,
    document: Document | None = None,
    reason: str = "",
    occurred_at: datetime | None = None,
) -> LedgerEntry:
    """Hand available stock of a lot to a recipient. Refused for expired lots, lots on hold,
    deactivated recipients and more than is available, all checked under the locks."""
    return post(
        EntryKind.ISSUE,
        lot,
        quantity,
        Bucket.AVAILABLE,
        Bucket.ISSUED,
        actor,
        reason,
        document=document,
        occurred_at=occurred_at,
        recipient=recipient,
    )


def issue_many(
    lines: Iterable[IssueLine],
    actor: User | int | None,
    *,
    reason: str = "",
    occurred_at: datetime | None = None,
) -> list[Posted]:
    """Issue many lines (an allocation plan) at once: all of them or, if any line breaks a
    rule, none. Much faster than one `issue()` per line for large plans."""
    return post_many(
        [
            Move(
                kind=EntryKind.ISSUE,
                lot_id=line.lot_id,
                quantity=line.quantity,
                from_bucket=Bucket.AVAILABLE,
                to_bucket=Bucket.ISSUED,
                recipient_id=line.recipient_id,
                document=line.document,
                reason=reason,
                occurred_at=occurred_at,
            )
            for line in lines
        ],
        actor,
    )


def write_off(
    lot: Lot | int,
    quantity: int,
    actor: User | int | None,
    reason: str,
    *,
    from_bucket: Bucket = Bucket.AVAILABLE,
    document: Document | None = None,
    occurred_at: datetime | None = None,
) -> LedgerEntry:
    """Take stock out for good (expired, damaged, destroyed after rejection), with a reason."""
    reason = _check_reason(reason, required=True)
    return post(
        EntryKind.WRITE_OFF,
        lot,
        quantity,
        from_bucket,
        Bucket.WRITTEN_OFF,
        actor,
        reason,
        document=document,
        occurred_at=occurred_at,
    )


def expired_stock(on_date: date) -> list[tuple[Lot, Bucket, int]]:
    """(lot, bucket, pieces) of expired lots that still hold stock in `EXPIRY_BUCKETS`."""
    rows = db.session.execute(
        sa.select(Lot, Balance.bucket, Balance.quantity)
        .join(Balance, Balance.lot_id == Lot.id)
        .where(
            Lot.expiry_date < on_date,
            Balance.bucket.in_(EXPIRY_BUCKETS),
            Balance.quantity > 0,
        )
        .order_by(Lot.expiry_date, Lot.id, Balance.bucket)
    )
    return [(lot, Bucket(bucket), quantity) for lot, bucket, quantity in rows]


def write_off_expired(
    actor: User | int | None, on_date: date | None = None, reason: str = ""
) -> list[Posted]:
    """Write off everything of lots past their expiry date that is still in stock."""
    on_date = on_date or local_today()
    lock_ledger()
    return post_many(
        [
            Move(
                kind=EntryKind.WRITE_OFF,
                lot_id=lot.id,
                quantity=quantity,
                from_bucket=bucket,
                to_bucket=Bucket.WRITTEN_OFF,
                reason=reason.strip() or f"expired {lot.expiry_date.isoformat()}",
            )
            for lot, bucket, quantity in expired_stock(on_date)
        ],
        actor,
    )


def adjust(
    lot: Lot | int,
    bucket: Bucket,
    quantity: int,
    actor: User | int | None,
    reason: str,
    *,
    document: Document | None = None,
    occurred_at: datetime | None = None,
) -> LedgerEntry:
    """A stock count found more (positive) or fewer (negative) pieces than the ledger says."""
    reason = _check_reason(reason, required=True)
    return post(
        EntryKind.ADJUSTMENT,
        lot,
        quantity,
        None,
        bucket,
        actor,
        reason,
        document=document or Document(DOC_STOCK_COUNT),
        occurred_at=occurred_at,
    )


def _entry(entry: LedgerEntry | Posted | int) -> LedgerEntry:
    if isinstance(entry, LedgerEntry):
        return entry
    seq = entry if isinstance(entry, int) else entry.seq
    found = db.session.get(LedgerEntry, seq)
    if found is None:
        raise ServiceError(_l("There is no ledger entry %(seq)s.", seq=entry))
    return found


def _reversal(original: LedgerEntry, reason: str, document: Document | None) -> Move:
    if original.kind is EntryKind.REVERSAL:
        raise ServiceError(
            _l("Entry %(seq)s is itself a reversal and cannot be reversed.", seq=original.seq)
        )
    _refuse_reversing_a_sale(original.kind, original.seq)
    if original.document_type == DOC_PLAN_LINE and (
        document is None or document.type != DOC_PLAN_REVERSAL
    ):
        raise ServiceError(
            _l(
                "Entry %(seq)s belongs to an allocation plan: reverse it through the plan.",
                seq=original.seq,
            )
        )
    return Move(
        kind=EntryKind.REVERSAL,
        lot_id=original.lot_id,
        quantity=-original.quantity,
        from_bucket=original.from_bucket,
        to_bucket=original.to_bucket,
        recipient_id=original.recipient_id,
        document=document or Document(DOC_CORRECTION, original.seq),
        reason=reason,
        reverses_seq=original.seq,
    )


def reverse(
    entry: LedgerEntry | Posted | int,
    actor: User | int | None,
    reason: str,
    *,
    document: Document | None = None,
    occurred_at: datetime | None = None,
) -> LedgerEntry:
    """Undo an entry with a new one that moves the same pieces back and points at it.

    A reversal cannot itself be reversed, an entry is reversed at most once, and an issue made
    for an allocation plan line is reversed only by a plan reversal document.
    """
    reason = _check_reason(reason, required=True)
    move = replace(_reversal(_entry(entry), reason, document), occurred_at=occurred_at)
    return _persistent(_write([move], actor)[0])


def reverse_many(
    entries: Iterable[LedgerEntry | Posted | int],
    actor: User | int | None,
    reason: str,
    *,
    document: Document | None = None,
) -> list[Posted]:
    """Reverse several entries at once (an issued plan's reversal document): all or none."""
    reason = _check_reason(reason, required=True)
    return post_many([_reversal(_entry(e), reason, document) for e in entries], actor)


# What allocation may use -------------------------------------------------------------------


def allocatable_lots(on_date: date | None = None, grades: Iterable[str] | None = None):
    """Lots with available stock that are neither expired on `on_date` nor on hold,
    grade by grade, earliest expiry first (no expiry last). Read without locks: the plan-issuing
    code re-checks under `lock_ledger()` before it issues."""
    on_date = on_date or local_today()
    available = sa.orm.aliased(Balance)
    held = sa.orm.aliased(Balance)
    query = (
        sa.select(
            Lot.id,
            Grade.code,
            available.quantity,
            Lot.expiry_date,
            Product.pieces_per_box,
            Lot.lot_number,
            Product.maker,
            Product.id,
        )
        .join(Product, Lot.product_id == Product.id)
        .join(Grade, Product.grade_id == Grade.id)
        .join(
            available,
            sa.and_(available.lot_id == Lot.id, available.bucket == Bucket.AVAILABLE),
        )
        .outerjoin(held, sa.and_(held.lot_id == Lot.id, held.bucket == Bucket.ON_HOLD))
        .where(
            available.quantity > 0,
            sa.or_(held.quantity.is_(None), held.quantity == 0),
            sa.or_(Lot.expiry_date.is_(None), Lot.expiry_date >= on_date),
        )
        .order_by(Grade.code, Lot.expiry_date.is_(None), Lot.expiry_date, Lot.id)
    )
    if grades is not None:
        query = query.where(Grade.code.in_(list(grades)))
    return [AllocatableLot(*row) for row in db.session.execute(query)]
