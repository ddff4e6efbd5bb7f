"""Requests imported from a spreadsheet (XLSX or CSV): a template with Chinese and English
headers, every problem reported by row and column, and nothing written unless every row is good.
"""

import csv
import io
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Font

from catalog.models import Grade
from core.errors import ServiceError
from core.spreadsheets import read_table
from extensions import db
from recipients.models import Recipient

from .models import Round
from .services import RequestInput, _check_request, _taken, add_requests

# (key, header) — a header is matched by its Chinese or its English part.
COLUMNS = [
    ("recipient", "需求单位 Recipient"),
    ("grade", "品类 Grade"),
    ("quantity", "需求数量 Quantity"),
    ("minimum", "保底数量 Minimum"),
    ("note", "备注 Note"),
]
REQUIRED = ("recipient", "grade", "quantity")
MAX_ROWS = 5000


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str


class ImportRejected(ServiceError):
    def __init__(self, errors: list[RowError]):
        super().__init__(_l("Nothing was imported: %(count)s problems.", count=len(errors)))
        self.errors = errors


def template_xlsx() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "需求申报 Requests"
    sheet.append([header for _, header in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.append(["粤北人民医院", "medical_protective", 5000, 1000, ""])
    sheet.append(["大参林韶关风采路店", "医用外科口罩", 2000, 0, "示例行，导入前请删除 example"])
    for column, width in zip("ABCDE", (32, 22, 14, 14, 30), strict=True):
        sheet.column_dimensions[column].width = width
    grades = book.create_sheet("品类 Grades")
    grades.append(["代码 Code", "名称 Name", "Name"])
    for g in db.session.scalars(sa.select(Grade).where(Grade.active.is_(True)).order_by(Grade.id)):
        grades.append([g.code, g.name_zh, g.name_en])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def template_csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([header for _, header in COLUMNS])
    writer.writerow(["粤北人民医院", "medical_protective", 5000, 1000, ""])
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # BOM: Excel opens it as UTF-8


def _header_map(header: list) -> dict[str, int]:
    found = {}
    for index, cell in enumerate(header):
        text = str(cell or "").strip().lower()
        for key, title in COLUMNS:
            zh, _, en = title.partition(" ")
            if text and (text == title.lower() or text == zh or text == en.lower()):
                found[key] = index
    return found


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def _whole(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = _text(value).replace(",", "")
    return int(text) if text.isascii() and text.isdigit() else None


def parse(filename: str, data: bytes) -> list[tuple[int, RequestInput]]:
    """The requests in a file, or ImportRejected listing every problem by row and column."""
    rows = read_table(data, filename, MAX_ROWS)
    if not rows:
        raise ImportRejected([RowError(1, "", str(_l("The file is empty.")))])
    columns = _header_map(rows[0])
    titles = dict(COLUMNS)
    missing = [titles[k] for k in REQUIRED if k not in columns]
    if missing:
        raise ImportRejected(
            [RowError(1, m, str(_l("This column is missing from the first row."))) for m in missing]
        )
    recipients = {r.name: r for r in db.session.scalars(sa.select(Recipient))}
    grades = {}
    for g in db.session.scalars(sa.select(Grade).where(Grade.active.is_(True))):
        for key in (g.code, g.name_zh, g.name_en.lower()):
            grades[key] = g
    items, errors, seen = [], [], {}
    body = rows[1:]
    for number, row in enumerate(body, start=2):

        def cell(key, row=row):
            index = columns.get(key)
            return row[index] if index is not None and index < len(row) else None

        if all(_text(v) == "" for v in row):
            continue
        problems = []
        name = _text(cell("recipient"))
        recipient = recipients.get(name)
        if not name:
            problems.append(("recipient", _l("Give the recipient's registered name.")))
        elif recipient is None:
            problems.append(("recipient", _l("No recipient is registered as %(name)s.", name=name)))
        elif not recipient.active:
            problems.append(("recipient", _l("%(name)s is deactivated.", name=name)))
        grade_text = _text(cell("grade"))
        grade = grades.get(grade_text) or grades.get(grade_text.lower())
        if grade is None:
            problems.append(
                (
                    "grade",
                    _l(
                        "Unknown grade %(grade)s: use a code from the template.",
                        grade=grade_text or "—",
                    ),
                )
            )
        quantity = _whole(cell("quantity"))
        if quantity is None or quantity < 1:
            problems.append(
                ("quantity", _l("The quantity is a whole number of pieces, at least 1."))
            )
        minimum_cell = cell("minimum")
        minimum = 0 if _text(minimum_cell) == "" else _whole(minimum_cell)
        if minimum is None:
            problems.append(("minimum", _l("The minimum is a whole number, 0 or more.")))
        elif quantity and minimum > quantity:
            problems.append(("minimum", _l("The minimum cannot be more than the quantity.")))
        if recipient is not None and grade is not None:
            key = (recipient.id, grade.id)
            if key in seen:
                problems.append(
                    ("grade", _l("Same recipient and grade as row %(row)s.", row=seen[key]))
                )
            seen.setdefault(key, number)
        for key, message in problems:
            errors.append(RowError(number, titles[key], str(message)))
        if not problems:
            items.append(
                (
                    number,
                    RequestInput(
                        recipient.id, grade.id, quantity, minimum, _text(cell("note"))[:500]
                    ),
                )
            )
    if errors:
        raise ImportRejected(errors)
    if not items:
        raise ImportRejected([RowError(2, "", str(_l("The file has no requests.")))])
    return items


def import_requests(round_: Round, filename: str, data: bytes, actor) -> list:
    """Parse a file and add its requests to a round: all rows, or none (ImportRejected)."""
    numbered = parse(filename, data)
    taken = _taken(round_.id)
    errors = []
    for number, item in numbered:
        try:
            _check_request(round_, item, taken)
        except ServiceError as error:
            column = dict(COLUMNS).get(error.field or "", "")
            errors.append(RowError(number, column, str(error.message)))
    if errors:
        raise ImportRejected(errors)
    return add_requests(round_, [item for _, item in numbered], actor)
