"""Procurement operations: suppliers, agreed prices, purchases and receiving batches against
them. Plain values in, flush, never commit.

Receiving records the lot in the catalogue (`catalog.services.create_lot`) and puts its pieces
into the ledger in quarantine (`ledger.services.receive`).
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from accounts.models import User
from catalog import services as catalog
from catalog.models import Grade, Lot, LotOrigin
from core.clock import at_local, local_now, local_today
from core.db import now_utc
from core.errors import ServiceError
from core.i18n import in_language
from core.text import clean
from extensions import db
from ledger import services as ledger
from ledger.reasons import coded

from .models import (
    AgreedPrice,
    ListedCompany,
    Purchase,
    PurchaseLine,
    PurchaseSource,
    Supplier,
    SupplierKind,
)
from .validators import normalise_code, uscc_problem

# Suppliers -----------------------------------------------------------------------------------


def find_supplier(name: str) -> Supplier | None:
    return db.session.scalar(sa.select(Supplier).where(Supplier.name == clean(name)))


def create_supplier(
    name: str,
    kind: SupplierKind | str,
    uscc: str | None = None,
    contact_person: str = "",
    phone: str = "",
    address: str = "",
    notes: str = "",
    actor: User | None = None,
) -> Supplier:
    """A new supplier. The unified social credit code is checked (GB 32100-2015) when given;
    it is required for makers, distributors and importers (companies registered in China)."""
    name = clean(name)
    if not name:
        raise ServiceError(_l("This field is required."), "name")
    try:
        kind = SupplierKind(kind)
    except ValueError:
        raise ServiceError(_l("Choose a kind of supplier."), "kind") from None
    code = normalise_code(uscc) if uscc else ""
    if not code and kind in (SupplierKind.MAKER, SupplierKind.DISTRIBUTOR, SupplierKind.IMPORTER):
        raise ServiceError(
            _l("A company registered in China has a unified social credit code: enter it."),
            "uscc",
        )
    if code:
        problem = uscc_problem(code)
        if problem is not None:
            raise ServiceError(in_language(problem), "uscc")
        if db.session.scalar(sa.select(Supplier.id).where(Supplier.uscc == code)):
            raise ServiceError(
                _l("A supplier with this unified social credit code is already recorded."), "uscc"
            )
    if find_supplier(name) is not None:
        raise ServiceError(_l("A supplier with this name is already recorded."), "name")
    supplier = Supplier(
        name=name,
        kind=kind,
        uscc=code or None,
        contact_person=clean(contact_person),
        phone=clean(phone),
        address=clean(address),
        notes=clean(notes),
        created_by_id=actor.id if actor else None,
    )
    db.session.add(supplier)
    db.session.flush()
    return supplier


# Prices --------------------------------------------------------------------------------------


def agreed_price_for(grade_id: int, on_date: date) -> AgreedPrice | None:
    """The agreed price in force for a grade on a date (the latest one set from before it)."""
    return db.session.scalar(
        sa.select(AgreedPrice)
        .where(AgreedPrice.grade_id == grade_id, AgreedPrice.valid_from <= on_date)
        .order_by(AgreedPrice.valid_from.desc(), AgreedPrice.id.desc())
        .limit(1)
    )


def set_agreed_price(
    grade: Grade, price: Decimal, valid_from: date, note: str = "", actor: User | None = None
) -> AgreedPrice:
    """A new agreed price from a date on (the earlier ones stay as history)."""
    if not isinstance(price, Decimal) or not price.is_finite() or price <= 0:
        raise ServiceError(_l("Give a price above zero, in yuan."), "price")
    if price.as_tuple().exponent < -4:
        raise ServiceError(_l("At most four decimal places."), "price")
    exists = db.session.scalar(
        sa.select(AgreedPrice.id).where(
            AgreedPrice.grade_id == grade.id, AgreedPrice.valid_from == valid_from
        )
    )
    if exists:
        raise ServiceError(
            _l("This grade already has an agreed price from that date: choose another date."),
            "valid_from",
        )
    row = AgreedPrice(
        grade=grade,
        price=price,
        valid_from=valid_from,
        note=clean(note),
        created_by_id=actor.id if actor else None,
    )
    db.session.add(row)
    db.session.flush()
    return row


def recent_median_price(
    grade_id: int, on_date: date, days: int, minimum_lines: int = 3
) -> Decimal | None:
    """The median unit price of the grade's purchase lines ordered in the `days` before
    `on_date` (purchases only, not donations); None with fewer than `minimum_lines` lines."""
    prices = sorted(
        db.session.scalars(
            sa.select(PurchaseLine.unit_price)
            .join(Purchase)
            .where(
                PurchaseLine.grade_id == grade_id,
                PurchaseLine.unit_price.is_not(None),
                Purchase.source == PurchaseSource.PURCHASE,
                Purchase.ordered_on <= on_date,
                Purchase.ordered_on >= on_date - timedelta(days=days),
            )
        )
    )
    if len(prices) < max(1, minimum_lines):
        return None
    middle = len(prices) // 2
    if len(prices) % 2:
        return Decimal(prices[middle])
    return (Decimal(prices[middle - 1]) + Decimal(prices[middle])) / 2


@dataclass(frozen=True)
class PriceCheck:
    agreed: Decimal | None
    median: Decimal | None
    tolerance_percent: Decimal
    above_agreed: bool
    above_median: bool

    @property
    def flagged(self) -> bool:
        return self.above_agreed or self.above_median


def check_price(grade_id: int, unit_price: Decimal | None, on_date: date) -> PriceCheck:
    """Compare a unit price with the agreed price and the recent median (settings
    PRICE_MEDIAN_TOLERANCE_PERCENT, PRICE_MEDIAN_DAYS, PRICE_MEDIAN_MIN_LINES)."""
    config = current_app.config
    tolerance = Decimal(str(config.get("PRICE_MEDIAN_TOLERANCE_PERCENT", 20)))
    agreed_row = agreed_price_for(grade_id, on_date)
    agreed = agreed_row.price if agreed_row else None
    median = recent_median_price(
        grade_id,
        on_date,
        int(config.get("PRICE_MEDIAN_DAYS", 90)),
        int(config.get("PRICE_MEDIAN_MIN_LINES", 3)),
    )
    above_agreed = unit_price is not None and agreed is not None and unit_price > agreed
    above_median = (
        unit_price is not None
        and median is not None
        and unit_price > median * (1 + tolerance / 100)
    )
    return PriceCheck(agreed, median, tolerance, above_agreed, above_median)


def price_flag_text(line: PurchaseLine) -> str:
    """The price flag of a line in both languages, for the ledger reason ('' when none)."""
    parts = []
    if line.above_agreed:
        parts.append(
            f"单价 {line.unit_price:.4f} 元高于协议价 {line.agreed_price:.4f} 元 / "
            f"unit price CNY {line.unit_price:.4f} above the agreed price "
            f"CNY {line.agreed_price:.4f}"
        )
    if line.above_median:
        pct = line.median_tolerance_percent
        parts.append(
            f"单价高于近期采购中位价 {line.median_price:.4f} 元的 {pct:.0f}% 以上 / "
            f"more than {pct:.0f}% above the recent median CNY {line.median_price:.4f}"
        )
    return "价格预警 Price flag: " + "; ".join(parts) if parts else ""


# Purchases -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineInput:
    grade_id: int
    quantity: int
    unit_price: Decimal | None = None
    description: str = ""


def create_purchase(
    source: PurchaseSource | str,
    supplier_id: int,
    ordered_on: date,
    lines: list[LineInput],
    contract_number: str | None = None,
    notes: str = "",
    actor: User | None = None,
) -> Purchase:
    """Record a purchase, donation, transfer or own production with its lines; each priced line
    is compared with the agreed price and the recent median, and the result is kept on it."""
    try:
        source = PurchaseSource(source)
    except ValueError:
        raise ServiceError(_l("Choose where the goods come from."), "source") from None
    supplier = db.session.get(Supplier, supplier_id) if supplier_id else None
    if supplier is None:
        raise ServiceError(_l("Choose a supplier."), "supplier_id")
    contract_number = clean(contract_number) or None
    if source is PurchaseSource.PURCHASE and not contract_number:
        raise ServiceError(_l("A purchase needs its contract number."), "contract_number")
    if contract_number and db.session.scalar(
        sa.select(Purchase.id).where(
            Purchase.supplier_id == supplier.id, Purchase.contract_number == contract_number
        )
    ):
        raise ServiceError(
            _l("This supplier already has a purchase with this contract number."),
            "contract_number",
        )
    if not isinstance(ordered_on, date):
        raise ServiceError(_l("Give the date."), "ordered_on")
    if not lines:
        raise ServiceError(_l("Add at least one line."), "lines")
    for line in lines:
        if isinstance(line.quantity, bool) or not isinstance(line.quantity, int):
            raise ServiceError(_l("Quantities are whole pieces."), "lines")
        if line.quantity < 1:
            raise ServiceError(_l("The quantity must be at least 1."), "lines")
        if db.session.get(Grade, line.grade_id) is None:
            raise ServiceError(_l("Choose a grade."), "lines")
        if line.unit_price is not None and (not line.unit_price.is_finite() or line.unit_price < 0):
            raise ServiceError(_l("The unit price cannot be negative."), "lines")
        if source is PurchaseSource.PURCHASE and line.unit_price is None:
            raise ServiceError(_l("A purchased line needs its unit price."), "lines")
    purchase = Purchase(
        source=source,
        supplier=supplier,
        contract_number=contract_number,
        ordered_on=ordered_on,
        notes=clean(notes),
        created_by_id=actor.id if actor else None,
    )
    db.session.add(purchase)
    # Compare with what was bought before this purchase (not with its own lines).
    checks = [check_price(line.grade_id, line.unit_price, ordered_on) for line in lines]
    for line, check in zip(lines, checks, strict=True):
        purchase.lines.append(
            PurchaseLine(
                grade_id=line.grade_id,
                quantity=line.quantity,
                unit_price=line.unit_price,
                description=clean(line.description),
                agreed_price=check.agreed,
                median_price=check.median,
                above_agreed=check.above_agreed,
                above_median=check.above_median,
                median_tolerance_percent=check.tolerance_percent,
            )
        )
    db.session.flush()
    return purchase


# Receiving -----------------------------------------------------------------------------------

# Countries a batch may be recorded as made in (产地), as ISO 3166 codes: China first, then where
# the masks bought abroad in 2020 were made. Their names come from the reader's locale (Babel).
COUNTRIES = (
    "CN", "US", "DE", "FR", "GB", "IT", "ES", "NL", "BE", "SE", "CH", "JP", "KR", "TW", "HK",
    "SG", "MY", "TH", "VN", "ID", "IN", "TR", "MX", "CA", "AU", "NZ", "IL", "AE", "ZA",
)  # fmt: skip


def receive_batch(
    line: PurchaseLine,
    *,
    lot_number: str,
    maker: str,
    model: str,
    pieces: int,
    pieces_per_box: int,
    origin: LotOrigin | str,
    received_on: date,
    production_date: date | None = None,
    expiry_date: date | None = None,
    over_receipt_reason: str = "",
    donated_goods_origin: LotOrigin | str | None = None,
    made_in: str | None = None,
    exhalation_valve: bool | None = None,
    registrant: str | None = None,
    actor: User | None = None,
) -> Lot:
    """A batch arrives against a purchase line: the lot is recorded and its pieces enter the
    ledger in quarantine. Receiving more than the line has outstanding needs a reason; a
    price-flagged line puts its flag into the receipt's ledger reason."""
    if isinstance(pieces, bool) or not isinstance(pieces, int) or pieces < 1:
        raise ServiceError(_l("The quantity must be at least 1."), "pieces")
    if not isinstance(received_on, date):
        raise ServiceError(_l("Give the date."), "received_on")
    if received_on > local_today():
        raise ServiceError(_l("A receipt cannot be dated in the future."), "received_on")
    if production_date and production_date > received_on:
        raise ServiceError(
            _l("The production date cannot be after the receipt date."), "production_date"
        )
    over = pieces - line.pieces_outstanding
    over_receipt_reason = clean(over_receipt_reason)
    if over > 0 and not over_receipt_reason:
        raise ServiceError(
            _l(
                "This is %(over)d more than the %(left)d still to come on this line: "
                "give the reason for receiving more than was ordered.",
                over=over,
                left=line.pieces_outstanding,
            ),
            "over_receipt_reason",
        )
    try:
        origin = LotOrigin(origin)
    except ValueError:
        raise ServiceError(_l("Choose the origin."), "origin") from None
    made_in = clean(made_in).upper() or None
    if made_in is not None and made_in not in COUNTRIES:
        raise ServiceError(_l("Choose the country where the goods were made."), "made_in")
    registrant = clean(registrant) or None
    product = catalog.product_for(line.grade, maker, model, pieces_per_box)
    lot = catalog.create_lot(
        product,
        lot_number,
        pieces,
        origin,
        actor=actor,
        production_date=production_date,
        expiry_date=expiry_date,
    )
    lot.purchase_line = line
    lot.received_on = received_on
    lot.made_in = made_in
    lot.exhalation_valve = exhalation_valve
    lot.registrant = registrant
    lot.over_receipt_reason = over_receipt_reason if over > 0 else None
    lot.price_flag = price_flag_text(line) or None
    if donated_goods_origin:
        lot.donated_goods_origin = LotOrigin(donated_goods_origin)
    codes: list[tuple] = []
    if line.above_agreed:
        codes.append(("price.above_agreed", f"{line.unit_price:.4f}", f"{line.agreed_price:.4f}"))
    if line.above_median:
        pct = f"{line.median_tolerance_percent:.0f}"
        codes.append(("price.above_median", pct, f"{line.median_price:.4f}"))
    if lot.over_receipt_reason:
        codes.append(("over_receipt", over))
    ledger.receive(
        lot,
        actor,
        reason=coded(*codes, text=lot.over_receipt_reason or ""),
        occurred_at=min(at_local(received_on, 12), local_now()),
    )
    db.session.flush()
    return lot


# The negative list ------------------------------------------------------------------------------


def add_listed_company(
    name: str,
    uscc: str | None,
    source: str,
    reason: str,
    listed_on: date,
    actor: User | None = None,
) -> ListedCompany:
    """Put a company on the negative list: from now on its batches fail the checklist."""
    name = clean(name)
    if not name:
        raise ServiceError(_l("This field is required."), "name")
    code = normalise_code(uscc) or None
    if code and (problem := uscc_problem(code)) is not None:
        raise ServiceError(in_language(problem), "uscc")
    source = clean(source)
    if not source:
        raise ServiceError(_l("Say who listed the company and where (e.g. the notice)."), "source")
    if not isinstance(listed_on, date):
        raise ServiceError(_l("Give the date."), "listed_on")
    if db.session.scalar(
        sa.select(ListedCompany.id).where(
            ListedCompany.active.is_(True),
            sa.or_(ListedCompany.name == name, ListedCompany.uscc == code)
            if code
            else ListedCompany.name == name,
        )
    ):
        raise ServiceError(_l("This company is already on the negative list."), "name")
    entry = ListedCompany(
        name=name,
        uscc=code,
        source=source,
        reason=clean(reason),
        listed_on=listed_on,
        created_by_id=actor.id if actor else None,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def remove_listed_company(entry: ListedCompany, reason: str, actor: User | None = None) -> None:
    """Take a company off the list (kept, with who took it off and why)."""
    reason = clean(reason)
    if not reason:
        raise ServiceError(_l("Give a reason: it is kept with the entry."), "reason")
    if not entry.active:
        raise ServiceError(_l("This company is no longer on the negative list."))
    entry.active = False
    entry.removed_at = now_utc()
    entry.removed_by_id = actor.id if actor else None
    entry.removal_reason = reason
    db.session.flush()
