"""Read-only questions the procurement pages ask: lists with search and filters, counts."""

from dataclasses import dataclass

import sqlalchemy as sa

from catalog.models import Lot, Product
from core.pages import Page, paginate
from extensions import db
from ledger.models import Balance, Bucket

from .models import Purchase, PurchaseLine, PurchaseSource, Supplier, SupplierKind, lot_certificates

PER_PAGE = 50


def all_suppliers() -> list[Supplier]:
    return list(db.session.scalars(sa.select(Supplier).order_by(Supplier.name)))


def suppliers(search: str = "", kind: str = "", page: int = 1) -> Page:
    query = sa.select(Supplier).order_by(Supplier.name)
    if search:
        like = f"%{search}%"
        query = query.where(
            sa.or_(
                Supplier.name.ilike(like),
                Supplier.uscc.ilike(like),
                Supplier.contact_person.ilike(like),
            )
        )
    if kind in {k.value for k in SupplierKind}:
        query = query.where(Supplier.kind == SupplierKind(kind))
    return paginate(query, page, PER_PAGE, scalars=True)


def _received_per_line() -> sa.Subquery:
    return (
        sa.select(
            Lot.purchase_line_id.label("line_id"), sa.func.sum(Lot.pieces_received).label("got")
        )
        .where(Lot.purchase_line_id.is_not(None))
        .group_by(Lot.purchase_line_id)
        .subquery()
    )


def _open_purchase_ids() -> sa.Select:
    got = _received_per_line()
    return (
        sa.select(PurchaseLine.purchase_id)
        .outerjoin(got, got.c.line_id == PurchaseLine.id)
        .where(sa.func.coalesce(got.c.got, 0) < PurchaseLine.quantity)
    )


def purchases(filters: dict, page: int = 1) -> Page:
    query = sa.select(Purchase).order_by(Purchase.ordered_on.desc(), Purchase.id.desc())
    if filters.get("q"):
        like = f"%{filters['q']}%"
        query = query.join(Supplier).where(
            sa.or_(Purchase.contract_number.ilike(like), Supplier.name.ilike(like))
        )
    status = filters.get("status")
    if status == "open":
        query = query.where(Purchase.id.in_(_open_purchase_ids()))
    elif status == "delivered":
        query = query.where(Purchase.id.not_in(_open_purchase_ids()))
    elif status == "flagged":
        query = query.where(
            Purchase.id.in_(
                sa.select(PurchaseLine.purchase_id).where(
                    sa.or_(PurchaseLine.above_agreed, PurchaseLine.above_median)
                )
            )
        )
    if filters.get("source") in {s.value for s in PurchaseSource}:
        query = query.where(Purchase.source == PurchaseSource(filters["source"]))
    if filters.get("supplier"):
        query = query.where(Purchase.supplier_id == filters["supplier"])
    if filters.get("from"):
        query = query.where(Purchase.ordered_on >= filters["from"])
    if filters.get("to"):
        query = query.where(Purchase.ordered_on <= filters["to"])
    return paginate(query, page, PER_PAGE, scalars=True)


@dataclass
class BatchRow:
    lot: Lot
    buckets: dict[Bucket, int]
    certificates: int


def _bucket_has(bucket: Bucket):
    return sa.select(Balance.lot_id).where(Balance.bucket == bucket, Balance.quantity > 0)


def _certificate_count():
    return (
        sa.select(sa.func.count())
        .select_from(lot_certificates)
        .where(lot_certificates.c.lot_id == Lot.id)
        .correlate(Lot)
        .scalar_subquery()
    )


def batches(filters: dict, page: int = 1) -> Page:
    query = (
        sa.select(Lot)
        .join(Product, Lot.product_id == Product.id)
        .outerjoin(PurchaseLine, Lot.purchase_line_id == PurchaseLine.id)
        .outerjoin(Purchase, PurchaseLine.purchase_id == Purchase.id)
        .order_by(Lot.id.desc())
    )
    if filters.get("q"):
        like = f"%{filters['q']}%"
        query = query.where(
            sa.or_(
                Lot.lot_number.ilike(like),
                Product.maker.ilike(like),
                Product.model.ilike(like),
                Purchase.contract_number.ilike(like),
            )
        )
    status = filters.get("status")
    if status in {"quarantine", "available", "rejected", "on_hold"}:
        query = query.where(Lot.id.in_(_bucket_has(Bucket(status))))
    elif status == "no_certificates":
        query = query.where(Lot.id.in_(_bucket_has(Bucket.QUARANTINE)), _certificate_count() == 0)
    if filters.get("grade"):
        query = query.where(Product.grade_id == filters["grade"])
    if filters.get("supplier"):
        query = query.where(Purchase.supplier_id == filters["supplier"])
    received = sa.func.coalesce(Lot.received_on, sa.func.date(Lot.created_at))
    if filters.get("from"):
        query = query.where(received >= filters["from"])
    if filters.get("to"):
        query = query.where(received <= filters["to"])
    result = paginate(query, page, PER_PAGE, scalars=True)
    ids = [lot.id for lot in result.items]
    stock: dict[int, dict[Bucket, int]] = {i: dict.fromkeys(Bucket, 0) for i in ids}
    for lot_id, bucket, quantity in db.session.execute(
        sa.select(Balance.lot_id, Balance.bucket, Balance.quantity).where(Balance.lot_id.in_(ids))
    ):
        stock[lot_id][Bucket(bucket)] = quantity
    counts = dict(
        db.session.execute(
            sa.select(lot_certificates.c.lot_id, sa.func.count())
            .where(lot_certificates.c.lot_id.in_(ids))
            .group_by(lot_certificates.c.lot_id)
        ).all()
    )
    result.items = [BatchRow(lot, stock[lot.id], counts.get(lot.id, 0)) for lot in result.items]
    return result


def count_open_purchases() -> int:
    return db.session.scalar(
        sa.select(sa.func.count(sa.distinct(Purchase.id))).where(
            Purchase.id.in_(_open_purchase_ids())
        )
    )


def count_in_quarantine() -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(_bucket_has(Bucket.QUARANTINE).subquery())
    )


def count_batches_without_certificates() -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Lot.id)).where(
            Lot.id.in_(_bucket_has(Bucket.QUARANTINE)), _certificate_count() == 0
        )
    )
