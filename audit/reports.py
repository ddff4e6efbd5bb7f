"""The daily report (日报表), the recall report of a lot, and the exports (CSV / XLSX).

Read-only queries over the ledger; times are stored in UTC and a "day" is the city's local
calendar day (`BABEL_DEFAULT_TIMEZONE`). A report is made from the ledger entries up to a
sequence number (`through_seq`), so that a printed report can be made again, exactly, from the
same entries and checked (`daily_record`, `recall_record`; see audit/documents.py)."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import sqlalchemy as sa

from allocation.models import Plan, PlanLine, PlanRun, Round
from catalog.models import Grade, Lot, Product
from core.clock import local_bounds, local_date, local_today
from extensions import db
from ledger.models import Bucket, EntryKind, LedgerEntry
from ledger.queries import lot_recipients
from recipients.models import Recipient

RECORD_FORMAT = 1

# Daily report -------------------------------------------------------------------------------

DAILY_KINDS = (
    EntryKind.RECEIPT,
    EntryKind.RELEASE,
    EntryKind.REJECT,
    EntryKind.HOLD,
    EntryKind.UNHOLD,
    EntryKind.ISSUE,
    EntryKind.SALE,
    EntryKind.RETURN,
    EntryKind.REVERSAL,
    EntryKind.WRITE_OFF,
    EntryKind.ADJUSTMENT,
)


@dataclass
class DailyGrade:
    grade: Grade
    moves: dict[EntryKind, int] = field(default_factory=dict)
    stock: dict[Bucket, int] = field(default_factory=dict)


@dataclass
class DailyReport:
    day: date
    grades: list[DailyGrade]
    entries: int
    through_seq: int

    def total_move(self, kind: EntryKind) -> int:
        return sum(g.moves.get(kind, 0) for g in self.grades)

    def total_stock(self, bucket: Bucket) -> int:
        return sum(g.stock.get(bucket, 0) for g in self.grades)


def first_day() -> date:
    """The local day of the ledger's first movement (today when there is none)."""
    first = db.session.scalar(sa.select(sa.func.min(LedgerEntry.occurred_at)))
    if first is None:
        return local_today()
    if first.tzinfo is None:  # SQLite hands back naive UTC
        first = first.replace(tzinfo=UTC)
    return local_date(first)


def daily_through_seq(day: date) -> int:
    """The last ledger entry a report of `day` is made from: the last that occurred by its end."""
    _start, end = local_bounds(day, day)
    return db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.max(LedgerEntry.seq), 0)).where(
            LedgerEntry.occurred_at < end
        )
    )


def daily_entries(day: date, through_seq: int) -> sa.Select:
    start, end = local_bounds(day, day)
    return sa.select(LedgerEntry).where(
        LedgerEntry.occurred_at >= start,
        LedgerEntry.occurred_at < end,
        LedgerEntry.seq <= through_seq,
    )


def daily_report(day: date, through_seq: int | None = None) -> DailyReport:
    """Pieces moved on `day` per grade and kind, and stock per grade and status at its end, from
    the ledger entries up to `through_seq` (by default, all that occurred by the day's end)."""
    if through_seq is None:
        through_seq = daily_through_seq(day)
    start, end = local_bounds(day, day)
    grade_of = (
        sa.select(LedgerEntry.kind, Product.grade_id, sa.func.sum(LedgerEntry.quantity))
        .join(Lot, LedgerEntry.lot_id == Lot.id)
        .join(Product, Lot.product_id == Product.id)
        .where(
            LedgerEntry.occurred_at >= start,
            LedgerEntry.occurred_at < end,
            LedgerEntry.seq <= through_seq,
        )
        .group_by(LedgerEntry.kind, Product.grade_id)
    )
    moves: dict[int, dict[EntryKind, int]] = {}
    for kind, grade_id, quantity in db.session.execute(grade_of):
        moves.setdefault(grade_id, {})[EntryKind(kind)] = int(quantity or 0)
    count = db.session.scalar(
        sa.select(sa.func.count()).select_from(daily_entries(day, through_seq).subquery())
    )
    stock = stock_at(end, through_seq)
    by_grade: dict[int, dict[Bucket, int]] = {}
    for (grade_id, _lot_id, bucket), quantity in stock.items():
        buckets = by_grade.setdefault(grade_id, {})
        buckets[bucket] = buckets.get(bucket, 0) + quantity
    grades = db.session.scalars(sa.select(Grade).order_by(Grade.id))
    rows = [
        DailyGrade(g, moves.get(g.id, {}), by_grade.get(g.id, {}))
        for g in grades
        if g.id in moves or any(by_grade.get(g.id, {}).values())
    ]
    return DailyReport(day, rows, count or 0, through_seq)


def through_hash(through_seq: int) -> str | None:
    """The hash of entry `through_seq`: with the chain intact up to it, it vouches for every
    entry before it, which the stock figures are made from."""
    return db.session.scalar(sa.select(LedgerEntry.hash).where(LedgerEntry.seq == through_seq))


def daily_record(report: DailyReport) -> dict:
    """What a printed daily report vouches for: its figures (by grade code), the day's entries
    (seq, hash), and the entry it was made up to. Names and labels are not ledger facts."""
    entries = db.session.execute(
        daily_entries(report.day, report.through_seq)
        .with_only_columns(LedgerEntry.seq, LedgerEntry.hash)
        .order_by(LedgerEntry.seq)
    )
    return {
        "format": RECORD_FORMAT,
        "document": "daily_report",
        "day": report.day.isoformat(),
        "through_seq": report.through_seq,
        "through_hash": through_hash(report.through_seq),
        "moves": {
            g.grade.code: {kind.value: q for kind, q in g.moves.items()} for g in report.grades
        },
        "stock": {
            g.grade.code: {bucket.value: q for bucket, q in g.stock.items()} for g in report.grades
        },
        "entries": [{"seq": seq, "hash": hash_} for seq, hash_ in entries],
    }


def stock_at(end: datetime, through_seq: int | None = None) -> dict[tuple[int, int, Bucket], int]:
    """Pieces per (grade id, lot id, bucket) from the entries that occurred before `end` (and
    are not after `through_seq`, if given)."""
    result: dict[tuple[int, int, Bucket], int] = {}
    for column, sign in ((LedgerEntry.to_bucket, 1), (LedgerEntry.from_bucket, -1)):
        query = (
            sa.select(
                Product.grade_id, LedgerEntry.lot_id, column, sa.func.sum(LedgerEntry.quantity)
            )
            .join(Lot, LedgerEntry.lot_id == Lot.id)
            .join(Product, Lot.product_id == Product.id)
            .where(LedgerEntry.occurred_at < end, column.is_not(None))
            .group_by(Product.grade_id, LedgerEntry.lot_id, column)
        )
        if through_seq is not None:
            query = query.where(LedgerEntry.seq <= through_seq)
        for grade_id, lot_id, bucket, quantity in db.session.execute(query):
            key = (grade_id, lot_id, Bucket(bucket))
            result[key] = result.get(key, 0) + sign * int(quantity or 0)
    return {key: value for key, value in result.items() if value}


# Recall report ------------------------------------------------------------------------------


@dataclass
class RecallReport:
    lot: Lot
    receipts: list  # ledger.queries.Receipt
    entries: list  # rows: seq, occurred_at, kind, quantity, document_ref, hash, recipient_name
    through_seq: int

    @property
    def total(self) -> int:
        return sum(r.quantity for r in self.receipts)


def recall_entries(lot_id: int) -> sa.Select:
    """The entries a recall report lists: the lot's issues, their reversals and what units
    returned; not each sale to a citizen (the lot page counts those per unit)."""
    return sa.select(LedgerEntry).where(
        LedgerEntry.lot_id == lot_id,
        LedgerEntry.recipient_id.is_not(None),
        LedgerEntry.kind != EntryKind.SALE,
    )


def recall_through_seq(lot_id: int) -> int:
    """The last ledger entry a recall report of the lot is made from: its last delivery's."""
    return db.session.scalar(
        recall_entries(lot_id).with_only_columns(sa.func.coalesce(sa.func.max(LedgerEntry.seq), 0))
    )


def recall_report(lot: Lot, through_seq: int | None = None) -> RecallReport:
    """Everyone who received the lot, and the entries that say so (up to `through_seq`)."""
    if through_seq is None:
        through_seq = recall_through_seq(lot.id)
    # Rows of the columns the report prints, not entries as objects: tens of thousands of
    # them for a lot issued across a province.
    entries = db.session.execute(
        recall_entries(lot.id)
        .with_only_columns(
            LedgerEntry.seq,
            LedgerEntry.occurred_at,
            LedgerEntry.kind,
            LedgerEntry.quantity,
            LedgerEntry.document_ref,
            LedgerEntry.hash,
            Recipient.name.label("recipient_name"),
        )
        .join(Recipient, LedgerEntry.recipient_id == Recipient.id)
        .where(LedgerEntry.seq <= through_seq)
        .order_by(LedgerEntry.seq)
    ).all()
    return RecallReport(lot, lot_recipients(lot.id, through_seq), entries, through_seq)


def recall_record(report: RecallReport) -> dict:
    """What a printed recall report vouches for: the lot, who received how much (by recipient
    id: a unit renamed or moved to another tier since is still the same unit), the entries."""
    return {
        "format": RECORD_FORMAT,
        "document": "recall_report",
        "lot": {"id": report.lot.id},
        "through_seq": report.through_seq,
        "through_hash": through_hash(report.through_seq),
        "recipients": [
            {"id": r.recipient.id, "quantity": r.quantity}
            for r in sorted(report.receipts, key=lambda r: r.recipient.id)
        ],
        "entries": [{"seq": e.seq, "hash": e.hash} for e in report.entries],
    }


# The recall report as monospaced lines (its PDF; see audit/documents.py for the layout) -----

# (name, widest, right-aligned), as documents.LINE_COLUMNS: a landscape A4 line holds 221.
RECEIPT_COLUMNS = (("recipient", 60, False), ("tier", 20, False), ("contact", 40, False))
RECEIPT_COLUMNS += (("pieces", 12, True), ("first", 20, False), ("last", 20, False))
ENTRY_COLUMNS = (("seq", 9, True), ("when", 20, False), ("kind", 12, False))
ENTRY_COLUMNS += (("recipient", 60, False), ("pieces", 11, True), ("document", 30, False))
ENTRY_COLUMNS += (("hash", 64, False),)


def _format_lines(header: dict, rows: list[dict], columns) -> tuple[str, list[str]]:
    from .documents import fit, width  # the same monospaced layout as the plan's lines

    widths = {
        name: min(widest, max(width(str(row.get(name, ""))) for row in [header, *rows]))
        for name, widest, _right in columns
    }

    def line(values: dict) -> str:
        cells = (fit(values.get(name, ""), widths[name], right) for name, _w, right in columns)
        return "  ".join(cells).rstrip()

    return line(header), [line(row) for row in rows]


def recall_text(report: RecallReport) -> dict:
    """The recall report's two lists as monospaced lines (in the current language): everyone who
    received the lot, and the ledger entries that say so. A table of 50,000 rows is beyond
    WeasyPrint; lines of text are not."""
    from flask_babel import format_datetime
    from flask_babel import gettext as _

    times: dict = {}

    def when(value) -> str:
        if value not in times:
            times[value] = format_datetime(value, "short") if value is not None else ""
        return times[value]

    labels: dict = {}

    def label(kind) -> str:
        if kind not in labels:
            labels[kind] = str(kind.label)
        return labels[kind]

    receipt_header, receipt_lines = _format_lines(
        {
            "recipient": _("Recipient"),
            "tier": _("Tier"),
            "contact": _("Contact"),
            "pieces": _("Pieces, net"),
            "first": _("First"),
            "last": _("Last"),
        },
        [
            {
                "recipient": r.recipient.name,
                "tier": r.recipient.tier_label,
                "contact": r.recipient.contact or "-",
                "pieces": f"{r.quantity:,}",
                "first": when(r.first),
                "last": when(r.last),
            }
            for r in report.receipts
        ],
        RECEIPT_COLUMNS,
    )
    entry_header, entry_lines = _format_lines(
        {
            "seq": "#",
            "when": _("When"),
            "kind": _("Kind"),
            "recipient": _("Recipient"),
            "pieces": _("Pieces"),
            "document": _("Document"),
            "hash": _("Hash"),
        },
        [
            {
                "seq": e.seq,
                "when": when(e.occurred_at),
                "kind": label(e.kind),
                "recipient": e.recipient_name,
                "pieces": f"{e.quantity:,}",
                "document": e.document_ref or "-",
                "hash": e.hash,
            }
            for e in report.entries
        ],
        ENTRY_COLUMNS,
    )
    return {
        "receipt_header": receipt_header,
        "receipt_lines": receipt_lines,
        "entry_header": entry_header,
        "entry_lines": entry_lines,
    }


# Exports ------------------------------------------------------------------------------------

DATASETS = ("ledger", "plan_lines", "stock")


def _iso(value) -> str:
    return value.isoformat() if value is not None else ""


def export_rows(dataset: str, since: date, until: date) -> tuple[list[str], list[list]]:
    """(header, rows) of a dataset for the local days since..until."""
    start, end = local_bounds(since, until)
    if dataset == "ledger":
        header = [
            "seq", "occurred_at_utc", "recorded_at_utc", "kind", "lot_number", "grade",
            "from_bucket", "to_bucket", "quantity", "recipient", "document_type", "document_id",
            "document_ref", "actor", "reason", "reverses_seq", "prev_hash", "hash",
        ]  # fmt: skip
        entries = db.session.scalars(
            sa.select(LedgerEntry)
            .where(LedgerEntry.occurred_at >= start, LedgerEntry.occurred_at < end)
            .order_by(LedgerEntry.seq)
        )
        rows = [
            [
                e.seq,
                _iso(e.occurred_at),
                _iso(e.recorded_at),
                e.kind.value,
                e.lot.lot_number,
                e.lot.grade.code,
                e.from_bucket.value if e.from_bucket else "",
                e.to_bucket.value if e.to_bucket else "",
                e.quantity,
                e.recipient.name if e.recipient else "",
                e.document_type or "",
                e.document_id if e.document_id is not None else "",
                e.document_ref or "",
                e.actor.username if e.actor else "",
                e.reason,
                e.reverses_seq if e.reverses_seq is not None else "",
                e.prev_hash,
                e.hash,
            ]  # fmt: skip
            for e in entries
        ]
        return header, rows
    if dataset == "plan_lines":
        header = [
            "plan", "status", "round", "round_date", "version", "recipient", "tier", "lot_number",
            "grade", "maker", "quantity", "pieces_per_box",
        ]  # fmt: skip
        query = (
            sa.select(Plan, PlanRun, PlanLine)
            .join(Round, Plan.round_id == Round.id)
            .join(PlanRun, PlanRun.plan_id == Plan.id)
            .join(PlanLine, PlanLine.run_id == PlanRun.id)
            .where(Round.round_date >= since, Round.round_date <= until)
            .order_by(Plan.number, PlanRun.version, PlanLine.id)
        )
        rows = []
        for plan, run, line in db.session.execute(query):
            if run is not plan.current_run:
                continue
            rows.append(
                [
                    plan.number,
                    plan.status.value,
                    plan.round.name,
                    _iso(plan.round.round_date),
                    run.version,
                    line.recipient.name,
                    line.recipient.tier,
                    line.lot.lot_number,
                    line.lot.grade.code,
                    line.lot.product.maker,
                    line.quantity,
                    line.lot.pieces_per_box,
                ]  # fmt: skip
            )
        return header, rows
    if dataset == "stock":
        header = ["as_of_local_date", "grade", "lot_number", "maker", "expiry", "bucket", "pieces"]
        stock = stock_at(end)
        lots = {
            lot.id: lot
            for lot in db.session.scalars(
                sa.select(Lot).where(Lot.id.in_({lot_id for _, lot_id, _ in stock}))
            )
        }
        rows = [
            [
                _iso(until),
                lots[lot_id].grade.code,
                lots[lot_id].lot_number,
                lots[lot_id].product.maker,
                _iso(lots[lot_id].expiry_date),
                bucket.value,
                quantity,
            ]  # fmt: skip
            for (grade_id, lot_id, bucket), quantity in sorted(
                stock.items(),
                key=lambda item: (item[0][0], lots[item[0][1]].lot_number, item[0][2]),
            )
        ]
        return header, rows
    raise ValueError(f"unknown dataset {dataset}")


def recipients_of(lot_id: int) -> list[Recipient]:
    return [r.recipient for r in lot_recipients(lot_id)]
