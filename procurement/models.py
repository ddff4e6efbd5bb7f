"""What procurement records: suppliers, purchases and their lines, agreed prices, certificates
with their scans, and the inspector's decisions on a batch.

The lots themselves are in the catalogue (`catalog.models.Lot`); the relationships here also give
each lot its `purchase_line`, `certificates` and `inspections`. A certificate's kind is the
quality rules' `CertificateKind` (`procurement.quality`), named as the checklist names it.
"""

import enum
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from accounts.models import User
from catalog.models import Grade, Lot
from core.db import UTCDateTime, enum_type, now_utc
from extensions import db

from .quality import CertificateKind


class SupplierKind(enum.StrEnum):
    MAKER = "maker"
    DISTRIBUTOR = "distributor"
    IMPORTER = "importer"
    DONOR = "donor"
    AUTHORITY = "authority"

    @property
    def label(self) -> str:
        return str(SUPPLIER_KIND_LABELS[self])


SUPPLIER_KIND_LABELS = {
    SupplierKind.MAKER: _l("Maker"),
    SupplierKind.DISTRIBUTOR: _l("Distributor"),
    SupplierKind.IMPORTER: _l("Importer"),
    SupplierKind.DONOR: _l("Donor"),
    SupplierKind.AUTHORITY: _l("Higher-level authority"),
}


class Supplier(db.Model):
    """Whoever goods come from: a maker, a distributor, an importer, a donor or the province."""

    __tablename__ = "suppliers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False, unique=True)
    # 统一社会信用代码; foreign donors and authorities may have none.
    uscc: Mapped[str | None] = mapped_column(sa.String(18), nullable=True, unique=True)
    kind: Mapped[SupplierKind] = mapped_column(
        enum_type(SupplierKind, "supplier_kind"), nullable=False
    )
    contact_person: Mapped[str] = mapped_column(sa.String(100), nullable=False, default="")
    phone: Mapped[str] = mapped_column(sa.String(40), nullable=False, default="")
    address: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")
    notes: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)

    purchases: Mapped[list["Purchase"]] = relationship(back_populates="supplier")
    certificates: Mapped[list["Certificate"]] = relationship(back_populates="supplier")

    def __repr__(self) -> str:
        return f"<Supplier {self.name}>"


class PurchaseSource(enum.StrEnum):
    PURCHASE = "purchase"
    DONATION = "donation"
    TRANSFER = "transfer"
    OWN_PRODUCTION = "own_production"

    @property
    def label(self) -> str:
        return str(SOURCE_LABELS[self])


SOURCE_LABELS = {
    PurchaseSource.PURCHASE: _l("Purchase"),
    PurchaseSource.DONATION: _l("Donation"),
    PurchaseSource.TRANSFER: _l("Transfer from above"),
    PurchaseSource.OWN_PRODUCTION: _l("Own production"),
}


class Purchase(db.Model):
    """An order, donation or transfer: where goods come from and under which paper."""

    __tablename__ = "purchases"
    __table_args__ = (
        sa.UniqueConstraint("supplier_id", "contract_number", name="uq_purchases_contract"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[PurchaseSource] = mapped_column(
        enum_type(PurchaseSource, "purchase_source"), nullable=False
    )
    supplier_id: Mapped[int] = mapped_column(sa.ForeignKey("suppliers.id"), nullable=False)
    # 合同编号 (or the donation letter's / transfer notice's number); None when there is none.
    contract_number: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    ordered_on: Mapped[date] = mapped_column(sa.Date, nullable=False, index=True)
    notes: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)

    supplier: Mapped[Supplier] = relationship(back_populates="purchases", lazy="joined")
    created_by: Mapped[User | None] = relationship()
    lines: Mapped[list["PurchaseLine"]] = relationship(
        back_populates="purchase", order_by="PurchaseLine.id"
    )

    @property
    def reference(self) -> str:
        return self.contract_number or f"P{self.id:05d}"

    @property
    def pieces_ordered(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def pieces_received(self) -> int:
        return sum(line.pieces_received for line in self.lines)

    @property
    def total(self) -> Decimal | None:
        priced = [line.amount for line in self.lines if line.amount is not None]
        return sum(priced, Decimal(0)) if priced else None

    @property
    def flagged(self) -> bool:
        return any(line.price_flagged for line in self.lines)


class PurchaseLine(db.Model):
    """One grade on a purchase: how many pieces, at which unit price (CNY)."""

    __tablename__ = "purchase_lines"
    __table_args__ = (
        sa.CheckConstraint("quantity >= 1", name="quantity_positive"),
        sa.CheckConstraint("unit_price IS NULL OR unit_price >= 0", name="unit_price_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    purchase_id: Mapped[int] = mapped_column(sa.ForeignKey("purchases.id"), nullable=False)
    grade_id: Mapped[int] = mapped_column(sa.ForeignKey("grades.id"), nullable=False)
    description: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    quantity: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    unit_price: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 4), nullable=True)
    # What the price was compared with when the line was recorded (kept, not recomputed).
    agreed_price: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 4), nullable=True)
    median_price: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 4), nullable=True)
    above_agreed: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    above_median: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    median_tolerance_percent: Mapped[Decimal | None] = mapped_column(
        sa.Numeric(6, 2), nullable=True
    )

    purchase: Mapped[Purchase] = relationship(back_populates="lines")
    grade: Mapped[Grade] = relationship(lazy="joined")
    # Also gives every lot its `purchase_line` (the catalogue does not know about purchases).
    lots: Mapped[list[Lot]] = relationship(
        backref=backref("purchase_line", uselist=False), order_by=Lot.id
    )

    @property
    def amount(self) -> Decimal | None:
        return None if self.unit_price is None else self.unit_price * self.quantity

    @property
    def price_flagged(self) -> bool:
        return self.above_agreed or self.above_median

    @property
    def pieces_received(self) -> int:
        return sum(lot.pieces_received for lot in self.lots)

    @property
    def pieces_outstanding(self) -> int:
        return max(self.quantity - self.pieces_received, 0)


class AgreedPrice(db.Model):
    """The city's agreed price (协议价) for a grade from a date on; a new row replaces the old."""

    __tablename__ = "agreed_prices"
    __table_args__ = (
        sa.CheckConstraint("price > 0", name="price_positive"),
        sa.UniqueConstraint("grade_id", "valid_from", name="uq_agreed_prices_grade_from"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    grade_id: Mapped[int] = mapped_column(sa.ForeignKey("grades.id"), nullable=False)
    price: Mapped[Decimal] = mapped_column(sa.Numeric(12, 4), nullable=False)
    valid_from: Mapped[date] = mapped_column(sa.Date, nullable=False)
    note: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)

    grade: Mapped[Grade] = relationship(lazy="joined")
    created_by: Mapped[User | None] = relationship()


class StoredFile(db.Model):
    """An uploaded scan, stored once under instance/uploads/ by its SHA-256."""

    __tablename__ = "stored_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    size: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    original_name: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)


lot_certificates = sa.Table(
    "lot_certificates",
    db.metadata,
    sa.Column("lot_id", sa.ForeignKey("lots.id"), primary_key=True),
    sa.Column("certificate_id", sa.ForeignKey("certificates.id"), primary_key=True),
)


class Certificate(db.Model):
    """A paper that vouches for goods or their maker; one certificate can cover many batches."""

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[CertificateKind] = mapped_column(
        enum_type(CertificateKind, "certificate_kind"), nullable=False
    )
    number: Mapped[str] = mapped_column(sa.String(100), nullable=False, index=True)
    issuer: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    holder: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    valid_from: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    valid_until: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    notified_body: Mapped[str | None] = mapped_column(sa.String(10), nullable=True)
    # A test report's measured values by `Measure` value (procurement.quality): numbers as
    # strings, synthetic blood as a bool (`certificates.parse_measured`).
    measured: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    # A registration certificate's product name (产品名称) and models (型号、规格), as printed.
    product_name: Mapped[str] = mapped_column(
        sa.String(200), nullable=False, default="", server_default=""
    )
    models: Mapped[str] = mapped_column(
        sa.String(500), nullable=False, default="", server_default=""
    )
    # A foreign paper's standard and class (procurement.quality.ForeignClass value).
    foreign_class: Mapped[str | None] = mapped_column(sa.String(30), nullable=True)
    # A test report's provenance: the lab's CMA or CNAS number and the model or lot it covers.
    lab_accreditation: Mapped[str | None] = mapped_column(sa.String(40), nullable=True)
    covers: Mapped[str] = mapped_column(
        sa.String(200), nullable=False, default="", server_default=""
    )
    # A production licence's scope (生产范围), as printed.
    scope: Mapped[str] = mapped_column(
        sa.String(500), nullable=False, default="", server_default=""
    )
    supplier_id: Mapped[int | None] = mapped_column(sa.ForeignKey("suppliers.id"), nullable=True)
    scan_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stored_files.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)

    supplier: Mapped[Supplier | None] = relationship(back_populates="certificates")
    scan: Mapped[StoredFile | None] = relationship(lazy="joined")
    # Also gives every lot its `certificates`, in the order they were recorded.
    lots: Mapped[list[Lot]] = relationship(
        secondary="lot_certificates",
        backref=backref("certificates", order_by="Certificate.id"),
    )


class ListedCompany(db.Model):
    """A company on the negative list (黑名单): a regulator's list of makers whose masks failed,
    or the city's own. Batches it made, registered or delivered fail the checklist. Entries are
    taken off the list, never deleted."""

    __tablename__ = "listed_companies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    uscc: Mapped[str | None] = mapped_column(sa.String(18), nullable=True)
    source: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")
    reason: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    listed_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    removed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    removal_reason: Mapped[str | None] = mapped_column(sa.Text, nullable=True)

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    removed_by: Mapped[User | None] = relationship(foreign_keys=[removed_by_id])


class Decision(enum.StrEnum):
    RELEASE = "release"
    REJECT = "reject"

    @property
    def label(self) -> str:
        return str(DECISION_LABELS[self])


DECISION_LABELS = {Decision.RELEASE: _l("Released"), Decision.REJECT: _l("Rejected")}


class Inspection(db.Model):
    """An inspector's decision on a batch with the checklist as it stood (kept as it was)."""

    __tablename__ = "inspections"

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(sa.ForeignKey("lots.id"), nullable=False, index=True)
    decision: Mapped[Decision] = mapped_column(enum_type(Decision, "decision"), nullable=False)
    verdict: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    overridden: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    reason: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    checklist: Mapped[dict] = mapped_column(sa.JSON, nullable=False)
    ledger_seq: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    inspector_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), nullable=False)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    # Also gives every lot its `inspections`, oldest first.
    lot: Mapped[Lot] = relationship(backref=backref("inspections", order_by="Inspection.id"))
    inspector: Mapped[User] = relationship()
