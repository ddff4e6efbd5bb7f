"""Importing purchases and their batches from a spreadsheet (XLSX or CSV).

One row per batch, with its purchase: rows with the same supplier and contract number make one
purchase with one line per row. Everything is checked first; every bad row is reported with its
row number and column; nothing is written unless the whole file is good, and then everything is
written in the caller's one transaction (flush, never commit).
"""

import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from babel import Locale
from flask_babel import lazy_gettext as _l

from accounts.models import User
from catalog.models import MASK_GRADES, Grade, Lot, LotOrigin, Product
from core.clock import local_today
from core.errors import ServiceError
from core.spreadsheets import read_table
from extensions import db

from . import services
from .models import Purchase, PurchaseLine, PurchaseSource, Supplier


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    required: bool = True
    example: object = ""
    # Columns added later: a file made from an older template may leave them out.
    may_be_absent: bool = False

    @property
    def header(self) -> str:
        return f"{self.zh} / {self.en}"


COLUMNS = [
    Column("source", "来源", "Source", example="采购"),
    Column("supplier", "供应商", "Supplier", example="稳健医疗用品股份有限公司"),
    Column("contract_number", "合同编号", "Contract number", False, "SG-CG-2020-031"),
    Column("ordered_on", "采购日期", "Order date", example="2020-02-10"),
    Column("grade", "品类", "Grade", example="医用外科口罩"),
    Column("quantity", "订购数量", "Quantity ordered", example=100000),
    Column("unit_price", "单价（元）", "Unit price (CNY)", False, "0.9500"),
    Column("lot_number", "批号", "Lot number", example="WJ-S200205-A"),
    Column("maker", "生产企业", "Maker", example="稳健医疗用品股份有限公司"),
    Column("model", "型号", "Model", example="平面耳挂式 17.5×9.5cm"),
    Column("production_date", "生产日期", "Production date", False, "2020-02-05"),
    Column("expiry_date", "有效期至", "Expiry date", False, "2022-02-04"),
    Column("pieces", "到货数量", "Pieces received", example=100000),
    Column("pieces_per_box", "每箱数量", "Pieces per box", example=50),
    Column("origin", "产地类别", "Origin", example="国产医用"),
    Column("received_on", "到货日期", "Received on", example="2020-02-12"),
    Column("made_in", "产地", "Country of manufacture", False, "中国", may_be_absent=True),
    Column("exhalation_valve", "呼气阀", "Exhalation valve", False, "无", may_be_absent=True),
    Column("registrant", "注册人", "Registrant", False, "", may_be_absent=True),
]
MAX_ROWS = 2000

SOURCE_NAMES = {
    "采购": PurchaseSource.PURCHASE,
    "捐赠": PurchaseSource.DONATION,
    "上级调拨": PurchaseSource.TRANSFER,
    "调拨": PurchaseSource.TRANSFER,
    "自产": PurchaseSource.OWN_PRODUCTION,
    **{s.value: s for s in PurchaseSource},
}
# The origin's Chinese name (the same words as the pages and the checklist) or its code.
ORIGIN_NAMES = {
    **{o.words.zh: o for o in LotOrigin},
    **{o.value: o for o in LotOrigin},
}


@dataclass
class Problem:
    row: int | None  # the spreadsheet's row number (1 = the header row); None: the whole file
    column: str  # the column's header, "" for the whole row
    message: object


class ImportRefused(ServiceError):
    """Nothing was imported; `problems` says which row and column is wrong and why."""

    def __init__(self, problems: list[Problem]):
        super().__init__(
            _l("Nothing was imported: correct the rows below and upload the file again."), "file"
        )
        self.problems = problems


@dataclass
class ImportResult:
    purchases: int = 0
    batches: int = 0
    lots: list[Lot] = field(default_factory=list)


def template_xlsx() -> io.BytesIO:
    """The template: bilingual headers, one example row, and a sheet that explains the values."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "batches"
    sheet.append([c.header for c in COLUMNS])
    sheet.append([c.example for c in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, column in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = max(
            14, len(column.header) + 4
        )
    help_sheet = book.create_sheet("说明 help")
    help_sheet.append(["列 Column", "必填 Required", "取值 Values"])
    values = {
        "source": "采购 / 捐赠 / 上级调拨 / 自产",
        "origin": "国产医用 / 国产非医用 / 进口 / 捐赠",
        "grade": "品类代码或中文名 / grade code or Chinese name: "
        + ", ".join(code for code, *_ in MASK_GRADES),
        "supplier": "已登记的供应商名称 / a supplier already recorded",
        "made_in": "国家或地区名称或代码，如 中国、CN / country name or code, e.g. China, CN",
        "exhalation_valve": "有 / 无 (yes / no)",
        "registrant": "委托生产时的注册人 / the registrant, for entrusted production",
    }
    for column in COLUMNS:
        help_sheet.append(
            [column.header, "是 yes" if column.required else "否 no", values.get(column.key, "")]
        )
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


def _header_key(text: object) -> str | None:
    value = str(text or "").strip()
    if not value:
        return None
    for column in COLUMNS:
        names = {column.header, column.zh, column.en, column.en.lower(), column.key}
        if value in names or value.lower() in names:
            return column.key
    return None


def read_rows(data: bytes, filename: str) -> list[tuple[int, dict[str, object]]]:
    """(row number, {column key: raw value}) for every non-empty row; ImportRefused for a file
    that cannot be read or whose header is wrong."""
    try:
        table = read_table(data, filename, MAX_ROWS)
    except ServiceError as error:
        raise ImportRefused([Problem(None, "", error.message)]) from None
    if not table:
        raise ImportRefused([Problem(None, "", _l("The file is empty."))])
    header = [_header_key(cell) for cell in table[0]]
    problems = [
        Problem(1, column.header, _l("This column is missing from the header row."))
        for column in COLUMNS
        if column.key not in header and not column.may_be_absent
    ]
    if problems:
        raise ImportRefused(problems)
    rows = []
    for number, cells in enumerate(table[1:], start=2):
        values = {key: cells[i] if i < len(cells) else None for i, key in enumerate(header) if key}
        if all(v is None or str(v).strip() == "" for v in values.values()):
            continue
        rows.append((number, values))
    if not rows:
        raise ImportRefused([Problem(None, "", _l("The file has no rows below the header."))])
    return rows


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _date(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value).replace("/", "-").replace(".", "-")
    if not text:
        return None
    return date.fromisoformat(
        text if len(text) == 10 else "-".join(part.zfill(2) for part in text.split("-"))
    )


def _whole(value) -> int:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        return value
    number = Decimal(_text(value).replace(",", ""))
    if number != number.to_integral_value():
        raise ValueError
    return int(number)


def _grades() -> dict[str, Grade]:
    found = {}
    for grade in db.session.scalars(sa.select(Grade)):
        for name in (grade.code, grade.name_zh, grade.name_en, grade.name_en.lower()):
            found[name] = grade
    return found


@dataclass
class _Row:
    number: int
    source: PurchaseSource
    supplier: Supplier
    contract_number: str
    ordered_on: date
    grade: Grade
    quantity: int
    unit_price: Decimal | None
    lot_number: str
    maker: str
    model: str
    production_date: date | None
    expiry_date: date | None
    pieces: int
    pieces_per_box: int
    origin: LotOrigin
    received_on: date
    made_in: str | None = None
    exhalation_valve: bool | None = None
    registrant: str = ""


VALVE_NAMES = {
    **dict.fromkeys(("有", "是", "有阀", "yes", "y", "1", "true"), True),
    **dict.fromkeys(("无", "否", "无阀", "no", "n", "0", "false"), False),
}


def _country_names() -> dict[str, str]:
    """A country as a file may name it (code, Chinese or English name) -> its ISO code."""
    names: dict[str, str] = {}
    for language in ("zh", "en"):
        territories = Locale.parse(language).territories
        for code in services.COUNTRIES:
            names[territories.get(code, code).casefold()] = code
    names.update({code.casefold(): code for code in services.COUNTRIES})
    return names


def check_rows(rows) -> tuple[list[_Row], list[Problem]]:
    headers = {c.key: c.header for c in COLUMNS}
    required = {c.key for c in COLUMNS if c.required}
    suppliers = {s.name: s for s in db.session.scalars(sa.select(Supplier))}
    countries = _country_names()
    grades = _grades()
    today = local_today()
    problems: list[Problem] = []
    good: list[_Row] = []
    seen_lots: dict[tuple[str, str, str, str], int] = {}
    for number, raw in rows:
        row_problems: list[Problem] = []

        def bad(key, message, _number=number, _problems=row_problems):
            _problems.append(Problem(_number, headers[key], message))

        values: dict[str, object] = {}
        for key in headers:
            if key in required and _text(raw.get(key)) == "":
                bad(key, _l("This field is required."))
        parsers = {
            "source": lambda v: SOURCE_NAMES[_text(v)],
            "supplier": lambda v: suppliers[_text(v)],
            "grade": lambda v: grades[_text(v)],
            "origin": lambda v: ORIGIN_NAMES[_text(v)],
            "made_in": lambda v: countries[_text(v).casefold()],
            "exhalation_valve": lambda v: VALVE_NAMES[_text(v).casefold()],
        }
        messages = {
            "source": _l("Use 采购, 捐赠, 上级调拨 or 自产."),
            "supplier": _l("No supplier of this name is recorded: add it first."),
            "grade": _l("Unknown grade: use its code or Chinese name."),
            "origin": _l("Use 国产医用, 国产非医用, 进口 or 捐赠."),
            "made_in": _l("Unknown country: use its name or code, e.g. 中国 or CN."),
            "exhalation_valve": _l("Use 有 or 无."),
        }
        for key, parse in parsers.items():
            if _text(raw.get(key)):
                try:
                    values[key] = parse(raw.get(key))
                except KeyError:
                    bad(key, messages[key])
        for key in ("ordered_on", "production_date", "expiry_date", "received_on"):
            if _text(raw.get(key)):
                try:
                    values[key] = _date(raw.get(key))
                except ValueError:
                    bad(key, _l("Give a date as YYYY-MM-DD."))
        for key in ("quantity", "pieces", "pieces_per_box"):
            if _text(raw.get(key)):
                try:
                    values[key] = _whole(raw.get(key))
                    if values[key] < 1:
                        raise ValueError
                except (ValueError, InvalidOperation):
                    bad(key, _l("Give a whole number of at least 1."))
        price = None
        if _text(raw.get("unit_price")):
            try:
                price = Decimal(_text(raw.get("unit_price")).replace("¥", "").replace(",", ""))
                if not price.is_finite() or price < 0 or price.as_tuple().exponent < -4:
                    raise InvalidOperation
            except InvalidOperation:
                bad("unit_price", _l("Give a price in yuan with at most four decimals."))
        if values.get("source") is PurchaseSource.PURCHASE:
            if price is None and _text(raw.get("unit_price")) == "":
                bad("unit_price", _l("A purchased line needs its unit price."))
            if not _text(raw.get("contract_number")):
                bad("contract_number", _l("A purchase needs its contract number."))
        produced, expires = values.get("production_date"), values.get("expiry_date")
        if produced and expires and expires <= produced:
            bad("expiry_date", _l("The expiry date must come after the production date."))
        if values.get("received_on") and values["received_on"] > today:
            bad("received_on", _l("A receipt cannot be dated in the future."))
        lot_number = _text(raw.get("lot_number"))
        if lot_number and "grade" in values:
            key = (
                values["grade"].code,
                _text(raw.get("maker")),
                _text(raw.get("model")),
                lot_number,
            )
            if key in seen_lots:
                bad("lot_number", _l("The same lot is on row %(row)d too.", row=seen_lots[key]))
            seen_lots.setdefault(key, number)
            existing = db.session.scalar(
                sa.select(Lot.id)
                .join(Product)
                .where(
                    Lot.lot_number == lot_number,
                    Product.grade_id == values["grade"].id,
                    Product.maker == _text(raw.get("maker")),
                    Product.model == _text(raw.get("model")),
                )
            )
            if existing:
                bad("lot_number", _l("This lot has already been received."))
        contract = _text(raw.get("contract_number"))
        if (
            contract
            and "supplier" in values
            and db.session.scalar(
                sa.select(Purchase.id).where(
                    Purchase.supplier_id == values["supplier"].id,
                    Purchase.contract_number == contract,
                )
            )
        ):
            bad(
                "contract_number",
                _l("This contract is already recorded: receive further batches on its page."),
            )
        if row_problems:
            problems.extend(row_problems)
            continue
        good.append(
            _Row(
                number=number,
                source=values["source"],
                supplier=values["supplier"],
                contract_number=contract,
                ordered_on=values["ordered_on"],
                grade=values["grade"],
                quantity=values["quantity"],
                unit_price=price,
                lot_number=lot_number,
                maker=_text(raw.get("maker")),
                model=_text(raw.get("model")),
                production_date=produced,
                expiry_date=expires,
                pieces=values["pieces"],
                pieces_per_box=values["pieces_per_box"],
                origin=values["origin"],
                received_on=values["received_on"],
                made_in=values.get("made_in"),
                exhalation_valve=values.get("exhalation_valve"),
                registrant=_text(raw.get("registrant")),
            )
        )
    # Rows of one purchase must agree on its source and date.
    groups: dict[tuple, list[_Row]] = defaultdict(list)
    for row in good:
        if row.contract_number:
            groups[(row.supplier.id, row.contract_number)].append(row)
    for rows_of_one in groups.values():
        first = rows_of_one[0]
        for row in rows_of_one[1:]:
            if (row.source, row.ordered_on) != (first.source, first.ordered_on):
                problems.append(
                    Problem(
                        row.number,
                        headers["ordered_on"],
                        _l(
                            "Rows of one contract must have the same source and order date as "
                            "row %(row)d.",
                            row=first.number,
                        ),
                    )
                )
    return good, problems


def import_file(data: bytes, filename: str, actor: User | None) -> ImportResult:
    """Check the whole file, then write it; ImportRefused (with every problem) writes nothing."""
    rows = read_rows(data, filename)
    good, problems = check_rows(rows)
    if problems:
        raise ImportRefused(sorted(problems, key=lambda p: p.row or 0))
    result = ImportResult()
    purchases: dict[tuple, Purchase] = {}
    for row in good:
        key = (row.supplier.id, row.contract_number) if row.contract_number else ("row", row.number)
        try:
            purchase = purchases.get(key)
            if purchase is None:
                purchase = services.create_purchase(
                    row.source,
                    row.supplier.id,
                    row.ordered_on,
                    [services.LineInput(row.grade.id, row.quantity, row.unit_price)],
                    contract_number=row.contract_number or None,
                    actor=actor,
                )
                purchases[key] = purchase
                result.purchases += 1
                line = purchase.lines[0]
            else:
                check = services.check_price(row.grade.id, row.unit_price, row.ordered_on)
                line = PurchaseLine(
                    grade_id=row.grade.id,
                    quantity=row.quantity,
                    unit_price=row.unit_price,
                    agreed_price=check.agreed,
                    median_price=check.median,
                    above_agreed=check.above_agreed,
                    above_median=check.above_median,
                    median_tolerance_percent=check.tolerance_percent,
                )
                purchase.lines.append(line)
                db.session.flush()
            lot = services.receive_batch(
                line,
                lot_number=row.lot_number,
                maker=row.maker,
                model=row.model,
                pieces=row.pieces,
                pieces_per_box=row.pieces_per_box,
                origin=row.origin,
                received_on=row.received_on,
                production_date=row.production_date,
                expiry_date=row.expiry_date,
                over_receipt_reason=(
                    "导入时到货多于订购 / more received than ordered (import)"
                    if row.pieces > row.quantity
                    else ""
                ),
                made_in=row.made_in,
                exhalation_valve=row.exhalation_valve,
                registrant=row.registrant,
                actor=actor,
            )
        except ServiceError as error:
            raise ImportRefused([Problem(row.number, error.field or "", error.message)]) from None
        result.lots.append(lot)
        result.batches += 1
    return result
