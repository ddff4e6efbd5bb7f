"""Requests imported from a spreadsheet (XLSX or CSV): a template with Chinese and English
headers, every problem reported by row and column, and nothing written unless every row is good.

The import is set-based, so a province's 50,000 requests go in one file: the rows are read
whole, the recipients they name are looked up in bulk (a query per CHUNK names), the grades and
the round's existing requests once; every row is checked in memory by the same rules as a
request made in the form (`services.request_problems`); then all rows are inserted in batches in
the caller's transaction.
"""

import csv
import io
from collections.abc import Callable

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Font

from catalog.models import Grade
from core.db import now_utc, refresh_statistics
from core.imports import (
    CHUNK,
    PROGRESS_EVERY,
    Imported,
    ImportRejected,
    Problems,
    Progress,
    RowError,
    chunks,
    filled,
    header_map,
    missing_columns,
    no_progress,
    text,
    whole,
)
from core.spreadsheets import read_table
from core.text import clean
from extensions import db
from recipients.models import Recipient

from .models import AllocationRequest, Round
from .services import RequestInput, check_round_open, request_problems, taken_requests

__all__ = [
    "COLUMNS",
    "MAX_ROWS",
    "ImportRejected",
    "Imported",
    "RowError",
    "import_requests",
    "parse",
    "template_csv",
    "template_xlsx",
]

# (key, header) — a header is matched by its Chinese or its English part.
COLUMNS = [
    ("recipient", "需求单位 Recipient"),
    ("grade", "品类 Grade"),
    ("quantity", "需求数量 Quantity"),
    ("minimum", "保底数量 Minimum"),
    ("note", "备注 Note"),
]
REQUIRED = ("recipient", "grade", "quantity")
MAX_ROWS = 100_000
MAX_NOTE = 500


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


def _grades() -> dict[str, Grade]:
    """Every grade by code, Chinese name and English name (lower case)."""
    found: dict[str, Grade] = {}
    # Active grades last, so a name shared with a retired grade finds the one on offer.
    for g in db.session.scalars(sa.select(Grade).order_by(Grade.active, Grade.id)):
        for key in (g.code, g.name_zh, g.name_en.lower()):
            found[key] = g
    return found


def recipients_named(names: set[str]) -> dict[str, sa.Row]:
    """{name: (id, name, active)} of the registered recipients among `names`, a query per CHUNK."""
    found: dict[str, sa.Row] = {}
    columns = (Recipient.id, Recipient.name, Recipient.active)
    for part in chunks(sorted(names)):
        for row in db.session.execute(sa.select(*columns).where(Recipient.name.in_(part))):
            found[row.name] = row
    return found


def parse(
    filename: str,
    data: bytes,
    taken: set[tuple[int, int]] | None = None,
    progress: Progress | None = None,
) -> list[tuple[int, RequestInput]]:
    """The requests in a file as (row number, request), or ImportRejected listing every problem
    by row and column. `taken`: the (recipient id, grade id) already requested in the round."""
    progress = progress or no_progress
    rows = read_table(data, filename, MAX_ROWS)
    if not rows:
        raise ImportRejected([RowError(1, "", str(_l("The file is empty.")))])
    columns = header_map(rows[0], COLUMNS)
    missing = missing_columns(columns, COLUMNS, REQUIRED)
    if missing:
        raise ImportRejected(missing)
    titles = dict(COLUMNS)

    def cell(row: list, key: str):
        index = columns.get(key)
        return row[index] if index is not None and index < len(row) else None

    given = [(number, row) for number, row in enumerate(rows[1:], start=2) if filled(row)]
    total = 2 * len(given)
    progress(0, total)
    recipients = recipients_named({text(cell(row, "recipient")) for _, row in given} - {""})
    grades = _grades()
    taken = set() if taken is None else set(taken)
    items: list[tuple[int, RequestInput]] = []
    errors = Problems()
    first_row: dict[tuple[int, int], int] = {}
    for done, (number, row) in enumerate(given, start=1):
        problems: dict[str, str] = {}  # column key -> the first problem found in it
        name = text(cell(row, "recipient"))
        recipient = recipients.get(name)
        if not name:
            problems["recipient"] = _l("Give the recipient's registered name.")
        elif recipient is None:
            problems["recipient"] = _l("No recipient is registered as %(name)s.", name=name)
        grade_text = text(cell(row, "grade"))
        grade = grades.get(grade_text) or grades.get(grade_text.lower())
        if grade is None:
            problems["grade"] = _l(
                "Unknown grade %(grade)s: use a code from the template.", grade=grade_text or "—"
            )
        minimum_cell = cell(row, "minimum")
        item = RequestInput(
            recipient.id if recipient is not None else 0,
            grade.id if grade is not None else 0,
            whole(cell(row, "quantity")),  # None: not a whole number, a rule says so
            0 if text(minimum_cell) == "" else whole(minimum_cell),
            clean(text(cell(row, "note")))[:MAX_NOTE],
        )
        if recipient is not None and grade is not None:
            key = (recipient.id, grade.id)
            if key in first_row:
                problems["grade"] = _l(
                    "Same recipient and grade as row %(row)s.", row=first_row[key]
                )
            first_row.setdefault(key, number)
        for field, message in request_problems(recipient, grade, item, taken):
            problems.setdefault(field, message)
        for key, message in problems.items():
            errors.add(number, titles.get(key, ""), message)
        if not problems:
            items.append((number, item))
        if done % PROGRESS_EVERY == 0:
            progress(done, total)
    if errors:
        raise errors.rejected()
    if not items:
        raise ImportRejected([RowError(2, "", str(_l("The file has no requests.")))])
    progress(len(given), total)
    return items


def import_requests(
    round_: Round,
    filename: str,
    data: bytes,
    actor,
    progress: Callable[[int, int], None] | None = None,
) -> Imported:
    """Add a file's requests to an open round: all rows, or none (ImportRejected).

    Writes in the caller's transaction and never commits. `progress(done, total)` is called as
    rows are checked and then written (total = twice the rows: each is checked, then written)."""
    progress = progress or no_progress
    check_round_open(round_)
    numbered = parse(filename, data, taken_requests(round_.id), progress)
    checked = len(numbered)
    created_by_id = getattr(actor, "id", actor)
    created_at = now_utc()
    rows = [
        {
            "round_id": round_.id,
            "recipient_id": item.recipient_id,
            "grade_id": item.grade_id,
            "quantity": item.quantity,
            "minimum": item.minimum,
            "note": item.note,
            "created_by_id": created_by_id,
            "created_at": created_at,
        }
        for _, item in numbered
    ]
    written = 0
    for part in chunks(rows, CHUNK):
        db.session.execute(sa.insert(AllocationRequest.__table__), part)
        written += len(part)
        progress(checked + written, 2 * checked)
    refresh_statistics(db.session, written, AllocationRequest.__tablename__)
    return Imported(written)
