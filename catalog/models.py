"""The catalogue of protective material and the lots (batches) that arrive.

`Grade` is a kind of material with the standard it is made to (the five mask grades are put in
by the migration, so that a fresh database has them; an administrator adds others such as gloves
or disinfectant). `Product` is one maker's model of a grade; `Lot` is one batch of a product as it
was received. What happens to a lot afterwards is written in the stock ledger (`ledger/`), never
on the lot itself.

The words themselves (the mask grade codes, `LotOrigin` and their names in both languages) are
pure data in `catalog.vocabulary`, so that the quality rules use the same enums.

The catalogue sits below the ledger, procurement and allocation, and imports none of them.
Procurement adds its own views of a lot when its models load: `lot.purchase_line` (the purchase
line it was received against), `lot.certificates` and `lot.inspections`.
"""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import User
from core.db import UTCDateTime, enum_type, now_utc
from core.i18n import is_english
from extensions import db

from .vocabulary import MASK_GRADES as MASK_GRADES  # where the rest of the app looks for it
from .vocabulary import LotOrigin


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
        return self.name_en if is_english() else self.name_zh

    @property
    def unit(self) -> str:
        return self.unit_en if is_english() else self.unit_zh


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
    # Receiving against a purchase line (lots recorded before purchases existed have none);
    # the procurement tables are named, never imported (see the module's docstring).
    purchase_line_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("purchase_lines.id"), nullable=True, index=True
    )
    received_on: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    over_receipt_reason: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    price_flag: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    # For a donation: what the goods themselves are (None: inferred from the papers).
    donated_goods_origin: Mapped[LotOrigin | None] = mapped_column(
        enum_type(LotOrigin, "lot_donated_goods_origin"), nullable=True
    )
    # What the quality rules need to know of the goods themselves (procurement.quality): where
    # they were made (ISO country code, 产地), whether the mask has an exhalation valve, and the
    # registrant (注册人) when the maker made them under contract for another company.
    made_in: Mapped[str | None] = mapped_column(sa.String(2), nullable=True)
    exhalation_valve: Mapped[bool | None] = mapped_column(sa.Boolean, nullable=True)
    registrant: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    # The inspector's confirmations: None until recorded. Imports: the goods match the order and
    # the packaging is intact. Domestic medical goods: the registration and licence numbers were
    # looked up in the national registry, and the box label carries them.
    goods_match_order: Mapped[bool | None] = mapped_column(sa.Boolean, nullable=True)
    packaging_intact: Mapped[bool | None] = mapped_column(sa.Boolean, nullable=True)
    registry_checked: Mapped[bool | None] = mapped_column(sa.Boolean, nullable=True)
    label_checked: Mapped[bool | None] = mapped_column(sa.Boolean, nullable=True)
    confirmed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    product: Mapped[Product] = relationship(back_populates="lots", lazy="joined")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    confirmed_by: Mapped[User | None] = relationship(foreign_keys=[confirmed_by_id])

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
