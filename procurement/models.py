"""The catalogue of protective material and the lots (batches) that arrive.

`Grade` is a kind of material with the standard it is made to (the five mask grades are put in
by the migration, so that a fresh database has them; an administrator adds others such as gloves
or disinfectant). `Product` is one maker's model of a grade; `Lot` is one batch of a product as it
was received. What happens to a lot afterwards is written in the stock ledger (`ledger/`), never
on the lot itself.
"""

import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import User
from core.db import UTCDateTime, enum_type, now_utc
from extensions import db

# The five mask grades the migration puts in: (code, standard, Chinese name, English name).
MASK_GRADES = [
    ("medical_protective", "GB 19083", "医用防护口罩", "Medical protective mask"),
    ("kn95", "GB 2626", "KN95 防护口罩", "KN95 respirator"),
    ("surgical", "YY 0469", "医用外科口罩", "Surgical mask"),
    ("disposable_medical", "YY/T 0969", "一次性使用医用口罩", "Disposable medical mask"),
    ("daily_protective", "GB/T 32610", "日常防护型口罩", "Daily protective mask"),
]


def _english() -> bool:
    locale = get_locale()
    return locale is not None and locale.language == "en"


class Grade(db.Model):
    """A grade of protective material, e.g. medical protective masks to GB 19083."""

    __tablename__ = "grades"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stable identifier used by the quality rules, the allocation policy and the solver.
    code: Mapped[str] = mapped_column(sa.String(40), unique=True, nullable=False)
    standard: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    name_zh: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    name_en: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    # The unit stock is counted in: 只 / piece for masks, 副 / pair for gloves, 瓶 / bottle ...
    unit_zh: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="只")
    unit_en: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="pieces")
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)

    products: Mapped[list["Product"]] = relationship(back_populates="grade")

    def __repr__(self) -> str:
        return f"<Grade {self.code}>"

    @property
    def name(self) -> str:
        """The name in the interface's language."""
        return self.name_en if _english() else self.name_zh

    @property
    def unit(self) -> str:
        return self.unit_en if _english() else self.unit_zh


class Product(db.Model):
    """One maker's model of a grade, e.g. 稳健医疗's flat ear-loop surgical mask."""

    __tablename__ = "products"
    __table_args__ = (
        sa.UniqueConstraint("maker", "model", "grade_id", name="uq_products_maker_model_grade"),
        sa.CheckConstraint("pieces_per_box >= 1", name="pieces_per_box_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    grade_id: Mapped[int] = mapped_column(sa.ForeignKey("grades.id"), nullable=False)
    maker: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    model: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    pieces_per_box: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    grade: Mapped[Grade] = relationship(back_populates="products", lazy="joined")
    lots: Mapped[list["Lot"]] = relationship(back_populates="product")

    def __repr__(self) -> str:
        return f"<Product {self.maker} {self.model}>"


class LotOrigin(enum.StrEnum):
    DOMESTIC_MEDICAL = "domestic_medical"
    DOMESTIC_NON_MEDICAL = "domestic_non_medical"
    IMPORTED = "imported"
    DONATION = "donation"

    @property
    def label(self) -> str:
        return str(ORIGIN_LABELS[self])


ORIGIN_LABELS = {
    LotOrigin.DOMESTIC_MEDICAL: _l("Domestic, medical"),
    LotOrigin.DOMESTIC_NON_MEDICAL: _l("Domestic, non-medical"),
    LotOrigin.IMPORTED: _l("Imported"),
    LotOrigin.DONATION: _l("Donation"),
}


class Lot(db.Model):
    """A batch of one product as it was received: the unit that is inspected, held and traced."""

    __tablename__ = "lots"
    __table_args__ = (
        sa.UniqueConstraint("product_id", "lot_number", name="uq_lots_product_lot_number"),
        sa.CheckConstraint("pieces_received >= 1", name="pieces_received_positive"),
        sa.CheckConstraint(
            "expiry_date IS NULL OR production_date IS NULL OR expiry_date > production_date",
            name="expiry_after_production",
        ),
        sa.Index("ix_lots_lot_number", "lot_number"),
        sa.Index("ix_lots_expiry_date", "expiry_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"), nullable=False)
    lot_number: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    production_date: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    expiry_date: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    # What the delivery note says arrived; what is in stock is in the ledger.
    pieces_received: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    origin: Mapped[LotOrigin] = mapped_column(enum_type(LotOrigin, "lot_origin"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)

    product: Mapped[Product] = relationship(back_populates="lots", lazy="joined")
    created_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<Lot {self.lot_number}>"

    @property
    def grade(self) -> Grade:
        return self.product.grade

    @property
    def pieces_per_box(self) -> int:
        return self.product.pieces_per_box

    def is_expired(self, on_date: date) -> bool:
        """Expired when the expiry date has passed (the expiry date itself is still usable)."""
        return self.expiry_date is not None and self.expiry_date < on_date

    def days_to_expiry(self, on_date: date) -> int | None:
        return None if self.expiry_date is None else (self.expiry_date - on_date).days
