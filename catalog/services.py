"""Catalogue operations: grades, products, lots. Plain values in, flush, never commit.

A lot created here has no stock yet: `ledger.services.receive(lot, ...)` puts it into the ledger
(in quarantine). Receiving against a purchase line, with certificates, is procurement's
(`procurement.services.receive_batch`).
"""

import re
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from accounts.models import User
from core.errors import ServiceError
from core.text import clean
from extensions import db

from .models import Grade, Lot, LotOrigin, Product

GRADE_CODE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


def find_grade(code: str) -> Grade | None:
    return db.session.scalar(sa.select(Grade).where(Grade.code == code))


def active_grades() -> list[Grade]:
    return list(db.session.scalars(sa.select(Grade).where(Grade.active).order_by(Grade.id)))


def create_grade(
    code: str,
    standard: str,
    name_zh: str,
    name_en: str,
    unit_zh: str = "只",
    unit_en: str = "pieces",
    active: bool = True,
) -> Grade:
    code = clean(code).lower()
    if not GRADE_CODE.match(code):
        raise ServiceError(
            _l("Use 2 to 40 lower-case letters, digits or underscores, starting with a letter."),
            "code",
        )
    if find_grade(code) is not None:
        raise ServiceError(_l("A grade with the code %(code)s already exists.", code=code), "code")
    grade = Grade(code=code, active=bool(active))
    _set_grade_fields(grade, standard, name_zh, name_en, unit_zh, unit_en)
    db.session.add(grade)
    db.session.flush()
    return grade


def update_grade(
    grade: Grade,
    standard: str,
    name_zh: str,
    name_en: str,
    unit_zh: str,
    unit_en: str,
    active: bool,
) -> None:
    """Change a grade's names, standard, unit or whether it is offered. The code never changes:
    the quality rules and allocation policies refer to it."""
    _set_grade_fields(grade, standard, name_zh, name_en, unit_zh, unit_en)
    grade.active = bool(active)
    db.session.flush()


def _set_grade_fields(grade, standard, name_zh, name_en, unit_zh, unit_en) -> None:
    values = {
        "standard": clean(standard),
        "name_zh": clean(name_zh),
        "name_en": clean(name_en),
        "unit_zh": clean(unit_zh),
        "unit_en": clean(unit_en),
    }
    for field, value in values.items():
        if not value:
            raise ServiceError(_l("This field is required."), field)
    for field, value in values.items():
        setattr(grade, field, value)


def product_for(grade: Grade, maker: str, model: str, pieces_per_box: int) -> Product:
    """The product of this maker, model and grade, created when it is new."""
    maker, model = clean(maker), clean(model)
    if not maker or not model:
        raise ServiceError(_l("A product needs its maker and model."), "maker")
    if (
        isinstance(pieces_per_box, bool)
        or not isinstance(pieces_per_box, int)
        or pieces_per_box < 1
    ):
        raise ServiceError(
            _l("Pieces per box must be a whole number of at least 1."), "pieces_per_box"
        )
    product = db.session.scalar(
        sa.select(Product).where(
            Product.grade_id == grade.id, Product.maker == maker, Product.model == model
        )
    )
    if product is None:
        product = Product(grade=grade, maker=maker, model=model, pieces_per_box=pieces_per_box)
        db.session.add(product)
        db.session.flush()
    return product


def create_lot(
    product: Product,
    lot_number: str,
    pieces_received: int,
    origin: LotOrigin | str,
    actor: User | None = None,
    production_date: date | None = None,
    expiry_date: date | None = None,
) -> Lot:
    """Record a lot as it arrived (no stock yet: the ledger's receipt puts it in quarantine)."""
    lot_number = clean(lot_number)
    if not lot_number:
        raise ServiceError(_l("The lot number is required."), "lot_number")
    if isinstance(pieces_received, bool) or not isinstance(pieces_received, int):
        raise ServiceError(_l("Quantities are whole pieces."), "pieces_received")
    if pieces_received < 1:
        raise ServiceError(_l("The quantity must be at least 1."), "pieces_received")
    if production_date and expiry_date and expiry_date <= production_date:
        raise ServiceError(
            _l("The expiry date must come after the production date."), "expiry_date"
        )
    duplicate = db.session.scalar(
        sa.select(Lot.id).where(Lot.product_id == product.id, Lot.lot_number == lot_number)
    )
    if duplicate is not None:
        raise ServiceError(
            _l("Lot %(lot)s of this product has already been received.", lot=lot_number),
            "lot_number",
        )
    lot = Lot(
        product=product,
        lot_number=lot_number,
        pieces_received=pieces_received,
        origin=LotOrigin(origin),
        production_date=production_date,
        expiry_date=expiry_date,
        created_by_id=actor.id if actor else None,
    )
    db.session.add(lot)
    db.session.flush()
    return lot
