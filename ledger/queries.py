"""Read-only questions the pages ask of the ledger: stock, traces, the entry list."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from catalog.models import Grade, Lot, Product
from core.clock import local_midnight
from core.pages import Page, paginate
from extensions import db
from recipients.models import Recipient

from .models import IN_STOCK, Balance, Bucket, EntryKind, LedgerEntry
from .services import EXPIRY_BUCKETS

EXPIRY_WARNING_DAYS = 30


def _pivot() -> sa.Subquery:
    """One row per lot with a column per bucket."""
    columns = [
        sa.func.sum(sa.case((Balance.bucket == bucket, Balance.quantity), else_=0)).label(
            bucket.value
        )
        for bucket in Bucket
    ]
    return sa.select(Balance.lot_id, *columns).group_by(Balance.lot_id).subquery("pivot")


# The stock page -----------------------------------------------------------------------------


# The stock page's columns: the ledger's buckets, with the available pieces of lots past their
# expiry date taken out of "available" into a column of their own (they cannot be allocated).
EXPIRED_COLUMN = "expired_available"
STOCK_COLUMNS = (
    Bucket.QUARANTINE.value,
    Bucket.AVAILABLE.value,
    EXPIRED_COLUMN,
    Bucket.ON_HOLD.value,
    Bucket.REJECTED.value,
    Bucket.ISSUED.value,
    Bucket.SOLD.value,
    Bucket.WRITTEN_OFF.value,
)


class _Columns:
    """Pieces per stock-page column for a row that has `buckets` and `expired` pieces."""

    buckets: dict[Bucket, int]
    expired: int

    def shown(self, column: str) -> int:
        if column == EXPIRED_COLUMN:
            return self.expired
        if column == Bucket.AVAILABLE.value:
            return self.buckets[Bucket.AVAILABLE] - self.expired
        return self.buckets[Bucket(column)]

    @property
    def in_stock(self) -> int:
        return sum(self.buckets[b] for b in IN_STOCK)


@dataclass
class GradeStock(_Columns):
    grade: Grade
    buckets: dict[Bucket, int]
    lots: int
    expired: int = 0  # available pieces of lots past their expiry date


def stock_by_grade(today: date | None = None) -> list[GradeStock]:
    """Pieces per grade and bucket, for every grade that has lots or is offered; with `today`,
    also the available pieces of lots that expired before it."""
    rows = db.session.execute(
        sa.select(Product.grade_id, Balance.bucket, sa.func.sum(Balance.quantity))
        .join(Lot, Balance.lot_id == Lot.id)
        .join(Product, Lot.product_id == Product.id)
        .group_by(Product.grade_id, Balance.bucket)
    )
    sums: dict[int, dict[Bucket, int]] = {}
    for grade_id, bucket, quantity in rows:
        sums.setdefault(grade_id, {b: 0 for b in Bucket})[Bucket(bucket)] = int(quantity or 0)
    lot_counts = dict(
        db.session.execute(
            sa.select(Product.grade_id, sa.func.count(Lot.id))
            .join(Lot, Lot.product_id == Product.id)
            .group_by(Product.grade_id)
        ).all()
    )
    expired = {}
    if today is not None:
        expired = dict(
            db.session.execute(
                sa.select(Product.grade_id, sa.func.sum(Balance.quantity))
                .join(Lot, Balance.lot_id == Lot.id)
                .join(Product, Lot.product_id == Product.id)
                .where(Balance.bucket == Bucket.AVAILABLE, Lot.expiry_date < today)
                .group_by(Product.grade_id)
            ).all()
        )
    grades = db.session.scalars(sa.select(Grade).order_by(Grade.id))
    return [
        GradeStock(
            grade,
            sums.get(grade.id, {b: 0 for b in Bucket}),
            lot_counts.get(grade.id, 0),
            int(expired.get(grade.id) or 0),
        )
        for grade in grades
        if grade.active or grade.id in sums
    ]


STATUS_FILTERS = (
    "in_stock",
    "quarantine",
    "available",
    "on_hold",
    "rejected",
    "expiring",
    "expired",
    "all",
)


@dataclass
class LotStock(_Columns):
    lot: Lot
    buckets: dict[Bucket, int]
    expired: int = 0  # its available pieces, once the lot is past its expiry date


def lot_stock(
    today: date,
    status: str = "in_stock",
    grade_id: int | None = None,
    search: str = "",
    page: int = 1,
    per_page: int = 100,
) -> Page:
    """Lots with their pieces per bucket, filtered as on the stock page."""
    pivot = _pivot()
    bucket_columns = [sa.func.coalesce(pivot.c[b.value], 0).label(b.value) for b in Bucket]
    col = {b: sa.func.coalesce(pivot.c[b.value], 0) for b in Bucket}
    query = (
        sa.select(Lot, *bucket_columns)
        .join(Product, Lot.product_id == Product.id)
        .join(Grade, Product.grade_id == Grade.id)
        .outerjoin(pivot, pivot.c.lot_id == Lot.id)
        .order_by(Grade.id, Lot.expiry_date.is_(None), Lot.expiry_date, Lot.lot_number, Lot.id)
    )
    in_stock = sum((col[b] for b in IN_STOCK), sa.literal(0))
    expiring_stock = sum((col[b] for b in EXPIRY_BUCKETS), sa.literal(0))
    if status == "in_stock":
        query = query.where(in_stock > 0)
    elif status == Bucket.AVAILABLE.value:
        # Available for allocation: an expired lot's pieces are not, whatever their bucket.
        query = query.where(
            col[Bucket.AVAILABLE] > 0, sa.or_(Lot.expiry_date.is_(None), Lot.expiry_date >= today)
        )
    elif status in {b.value for b in IN_STOCK}:
        query = query.where(col[Bucket(status)] > 0)
    elif status == "expiring":
        query = query.where(
            expiring_stock > 0,
            Lot.expiry_date >= today,
            Lot.expiry_date <= today + timedelta(days=EXPIRY_WARNING_DAYS),
        )
    elif status == "expired":
        query = query.where(expiring_stock > 0, Lot.expiry_date < today)
    if grade_id:
        query = query.where(Product.grade_id == grade_id)
    search = search.strip()
    if search:
        pattern = f"%{search}%"
        query = query.where(
            sa.or_(
                Lot.lot_number.ilike(pattern),
                Product.maker.ilike(pattern),
                Product.model.ilike(pattern),
            )
        )
    result = paginate(query, page, per_page)
    rows = []
    for row in result.items:
        buckets = {b: int(row[i + 1]) for i, b in enumerate(Bucket)}
        lot = row[0]
        past = lot.expiry_date is not None and lot.expiry_date < today
        rows.append(LotStock(lot, buckets, buckets[Bucket.AVAILABLE] if past else 0))
    result.items = rows
    return result


def _lots_with_stock(buckets, *conditions) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(sa.distinct(Balance.lot_id)))
        .join(Lot, Balance.lot_id == Lot.id)
        .where(Balance.bucket.in_(buckets), Balance.quantity > 0, *conditions)
    )


def held_lot_ids(lot_ids) -> set[int]:
    """Which of these lots have stock on hold (a recall under way)."""
    return set(
        db.session.scalars(
            sa.select(Balance.lot_id).where(
                Balance.lot_id.in_(list(lot_ids)),
                Balance.bucket == Bucket.ON_HOLD,
                Balance.quantity > 0,
            )
        )
    )


def count_on_hold() -> int:
    return _lots_with_stock([Bucket.ON_HOLD])


def count_expiring(today: date, days: int = EXPIRY_WARNING_DAYS) -> int:
    return _lots_with_stock(
        EXPIRY_BUCKETS, Lot.expiry_date >= today, Lot.expiry_date <= today + timedelta(days=days)
    )


def count_expired(today: date) -> int:
    return _lots_with_stock(EXPIRY_BUCKETS, Lot.expiry_date < today)


def count_entries() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry))


# Traces ------------------------------------------------------------------------------------


def _entries_query() -> sa.Select:
    return sa.select(LedgerEntry).options(
        selectinload(LedgerEntry.actor),
        selectinload(LedgerEntry.recipient),
        selectinload(LedgerEntry.reversed_by),
    )


def lot_entries(lot_id: int) -> list[LedgerEntry]:
    return list(
        db.session.scalars(
            _entries_query().where(LedgerEntry.lot_id == lot_id).order_by(LedgerEntry.seq)
        )
    )


@dataclass
class Receipt:
    """What one recipient received of one lot (net of reversals)."""

    recipient: Recipient | None
    lot: Lot | None
    quantity: int
    first: datetime
    last: datetime
    entries: int
    # Of a retail unit: pieces of the lot its outlets sold to citizens, and to how many people.
    sold: int = 0
    buyers: int = 0


def _received_query():
    """What a recipient received: its issues net of their reversals, less what it returned
    unsold (sold pieces count: the unit received them)."""
    issued = LedgerEntry.to_bucket == Bucket.ISSUED
    returned = LedgerEntry.kind == EntryKind.RETURN
    return (
        sa.func.sum(
            sa.case((issued, LedgerEntry.quantity), (returned, -LedgerEntry.quantity), else_=0)
        ).label("quantity"),
        sa.func.min(sa.case((issued, LedgerEntry.occurred_at))).label("first"),
        sa.func.max(sa.case((issued, LedgerEntry.occurred_at))).label("last"),
        sa.func.count(sa.case((issued, LedgerEntry.seq))).label("entries"),
    ), sa.and_(sa.or_(issued, returned), LedgerEntry.recipient_id.is_not(None))


def lot_recipients(lot_id: int, through_seq: int | None = None) -> list[Receipt]:
    """Everyone who received any of a lot: the recall list (from the entries up to
    `through_seq`, if given)."""
    aggregates, condition = _received_query()
    query = sa.select(LedgerEntry.recipient_id, *aggregates).where(
        condition, LedgerEntry.lot_id == lot_id
    )
    if through_seq is not None:
        query = query.where(LedgerEntry.seq <= through_seq)
    rows = db.session.execute(query.group_by(LedgerEntry.recipient_id)).all()
    recipients = {
        r.id: r
        for r in db.session.scalars(
            sa.select(Recipient).where(Recipient.id.in_([row.recipient_id for row in rows]))
        )
    }
    result = [
        Receipt(recipients[row.recipient_id], None, int(row.quantity), *_times(row), row.entries)
        for row in rows
    ]
    return sorted(result, key=lambda r: (r.quantity == 0, r.recipient.tier, r.recipient.name))


RECALL_PER_PAGE = 100
ENTRIES_PER_PAGE = 50
RECIPIENTS_PER_PAGE = 100


def _like(text: str) -> str:
    """A LIKE pattern that finds `text` anywhere, its own % and _ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@dataclass
class RecallTotals:
    """What a lot's recall list (as filtered) adds up to, in all and per tier."""

    recipients: int
    quantity: int
    by_tier: list[tuple[int, int, int]]  # (tier, recipients, quantity)
    sold: int = 0  # to citizens, by the retail units' outlets
    buyers: int = 0  # the citizens who bought (one sale document each)


def lot_receipts(
    lot_id: int,
    search: str = "",
    district: str = "",
    page: int = 1,
    per_page: int = RECALL_PER_PAGE,
) -> tuple[Page, RecallTotals]:
    """One page of a lot's recall list (who received it, net of reversals: those left with
    nothing last, then by tier and name), filtered by recipient name or contact and district,
    with its totals computed in SQL."""
    aggregates, condition = _received_query()
    received = (
        sa.select(LedgerEntry.recipient_id, *aggregates)
        .where(condition, LedgerEntry.lot_id == lot_id)
        .group_by(LedgerEntry.recipient_id)
        .subquery("received")
    )
    # What retail units sold of the lot to citizens (each sale's document is one booking).
    sales = (
        sa.select(
            LedgerEntry.recipient_id,
            sa.func.sum(LedgerEntry.quantity).label("sold"),
            sa.func.count(sa.distinct(LedgerEntry.document_id)).label("buyers"),
        )
        .where(LedgerEntry.lot_id == lot_id, LedgerEntry.kind == EntryKind.SALE)
        .group_by(LedgerEntry.recipient_id)
        .subquery("sales")
    )
    conditions = []
    if search.strip():
        pattern = _like(search.strip())
        conditions.append(
            sa.or_(
                Recipient.name.ilike(pattern, escape="\\"),
                Recipient.contact.ilike(pattern, escape="\\"),
            )
        )
    if district:
        conditions.append(Recipient.district == district)
    tiers = db.session.execute(
        sa.select(
            Recipient.tier,
            sa.func.count(),
            sa.func.sum(received.c.quantity),
            sa.func.sum(sales.c.sold),
            sa.func.sum(sales.c.buyers),
        )
        .join(received, received.c.recipient_id == Recipient.id)
        .outerjoin(sales, sales.c.recipient_id == Recipient.id)
        .where(*conditions)
        .group_by(Recipient.tier)
        .order_by(Recipient.tier)
    ).all()
    by_tier = [(int(tier), int(n), int(quantity or 0)) for tier, n, quantity, _, _ in tiers]
    totals = RecallTotals(
        sum(t[1] for t in by_tier),
        sum(t[2] for t in by_tier),
        by_tier,
        sum(int(row[3] or 0) for row in tiers),
        sum(int(row[4] or 0) for row in tiers),
    )
    query = (
        sa.select(Recipient, received, sales.c.sold, sales.c.buyers)
        .join(received, received.c.recipient_id == Recipient.id)
        .outerjoin(sales, sales.c.recipient_id == Recipient.id)
        .where(*conditions)
        .order_by(
            sa.case((received.c.quantity == 0, 1), else_=0),
            Recipient.tier,
            Recipient.name,
            Recipient.id,
        )
    )
    last = max(1, -(-totals.recipients // per_page))
    page = max(1, min(page, last))
    rows = db.session.execute(query.limit(per_page).offset((page - 1) * per_page))
    items = [
        Receipt(
            row[0],
            None,
            int(row.quantity),
            *_times(row),
            row.entries,
            int(row.sold or 0),
            int(row.buyers or 0),
        )
        for row in rows
    ]
    return Page(items, page, per_page, totals.recipients), totals


def lot_entries_page(lot_id: int, page: int = 1, per_page: int = ENTRIES_PER_PAGE) -> Page:
    """One page of a lot's history, oldest first."""
    query = _entries_query().where(LedgerEntry.lot_id == lot_id).order_by(LedgerEntry.seq)
    return paginate(query, page, per_page, scalars=True)


def lot_receipt(lot_id: int) -> LedgerEntry | None:
    """The entry that received the lot into stock."""
    return db.session.scalars(
        sa.select(LedgerEntry)
        .where(LedgerEntry.lot_id == lot_id, LedgerEntry.kind == EntryKind.RECEIPT)
        .order_by(LedgerEntry.seq)
        .limit(1)
    ).first()


def recipient_lots(recipient_id: int) -> list[Receipt]:
    """Every lot a recipient received, with its maker (net of reversals)."""
    aggregates, condition = _received_query()
    rows = db.session.execute(
        sa.select(LedgerEntry.lot_id, *aggregates)
        .where(condition, LedgerEntry.recipient_id == recipient_id)
        .group_by(LedgerEntry.lot_id)
    ).all()
    lots = {
        lot.id: lot
        for lot in db.session.scalars(sa.select(Lot).where(Lot.id.in_([r.lot_id for r in rows])))
    }
    result = [
        Receipt(None, lots[row.lot_id], int(row.quantity), *_times(row), row.entries)
        for row in rows
    ]
    return sorted(result, key=lambda r: r.last, reverse=True)


def _times(row) -> tuple[datetime, datetime]:
    return row.first, row.last


def recipient_entries(recipient_id: int) -> list[LedgerEntry]:
    return list(
        db.session.scalars(
            _entries_query()
            .where(LedgerEntry.recipient_id == recipient_id)
            .order_by(LedgerEntry.seq.desc())
        )
    )


def recipient_entries_page(
    recipient_id: int, page: int = 1, per_page: int = ENTRIES_PER_PAGE
) -> Page:
    """One page of a recipient's ledger entries, newest first."""
    query = (
        _entries_query()
        .where(LedgerEntry.recipient_id == recipient_id)
        .order_by(LedgerEntry.seq.desc())
    )
    return paginate(query, page, per_page, scalars=True)


def find_lots(search: str, limit: int = 50) -> list[Lot]:
    pattern = f"%{search.strip()}%"
    return list(
        db.session.scalars(
            sa.select(Lot)
            .join(Product, Lot.product_id == Product.id)
            .where(
                sa.or_(
                    Lot.lot_number.ilike(pattern),
                    Product.maker.ilike(pattern),
                    Product.model.ilike(pattern),
                )
            )
            .order_by(Lot.created_at.desc(), Lot.id.desc())
            .limit(limit)
        ).unique()
    )


def recipients_received(search: str = "", limit: int = 200) -> list[tuple[Recipient, int]]:
    """Recipients (matching `search`) with the pieces they have received in all."""
    (quantity, *_), condition = _received_query()
    received = (
        sa.select(LedgerEntry.recipient_id, quantity)
        .where(condition)
        .group_by(LedgerEntry.recipient_id)
        .subquery()
    )
    query = (
        sa.select(Recipient, sa.func.coalesce(received.c.quantity, 0))
        .outerjoin(received, received.c.recipient_id == Recipient.id)
        .order_by(Recipient.tier, Recipient.name)
        .limit(limit)
    )
    if search.strip():
        pattern = f"%{search.strip()}%"
        query = query.where(
            sa.or_(Recipient.name.ilike(pattern), Recipient.district.ilike(pattern))
        )
    return [(recipient, int(quantity)) for recipient, quantity in db.session.execute(query)]


def recipients_received_page(
    search: str = "", page: int = 1, per_page: int = RECIPIENTS_PER_PAGE
) -> Page:
    """One page of the recipients (matching `search` in name or district, by tier and name),
    each with the pieces it has received in all: the sums are computed for that page only."""
    query = sa.select(Recipient).order_by(Recipient.tier, Recipient.name, Recipient.id)
    if search.strip():
        pattern = _like(search.strip())
        query = query.where(
            sa.or_(
                Recipient.name.ilike(pattern, escape="\\"),
                Recipient.district.ilike(pattern, escape="\\"),
            )
        )
    found = paginate(query, page, per_page, scalars=True)
    ids = [r.id for r in found.items]
    (quantity, *_), condition = _received_query()
    received = (
        dict(
            db.session.execute(
                sa.select(LedgerEntry.recipient_id, quantity)
                .where(condition, LedgerEntry.recipient_id.in_(ids))
                .group_by(LedgerEntry.recipient_id)
            ).all()
        )
        if ids
        else {}
    )
    found.items = [(r, int(received.get(r.id) or 0)) for r in found.items]
    return found


# The entry list ------------------------------------------------------------------------------


def entries(
    kind: str = "",
    search: str = "",
    since: date | None = None,
    until: date | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page:
    """Entries, newest first, filtered by kind, lot number and local dates (inclusive)."""
    query = _entries_query().order_by(LedgerEntry.seq.desc())
    if kind in {k.value for k in EntryKind}:
        query = query.where(LedgerEntry.kind == EntryKind(kind))
    if search.strip():
        query = query.join(Lot, LedgerEntry.lot_id == Lot.id).where(
            Lot.lot_number.ilike(f"%{search.strip()}%")
        )
    if since:
        query = query.where(LedgerEntry.occurred_at >= local_midnight(since))
    if until:
        query = query.where(LedgerEntry.occurred_at < local_midnight(until + timedelta(days=1)))
    return paginate(query, page, per_page, scalars=True)
