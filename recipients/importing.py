"""Recipient units registered from a spreadsheet (XLSX or CSV), many at once: a template with
Chinese and English headers, every problem reported by row and column, and nothing written
unless every row is good.

A row is a unit as the registration form takes it (`services.create_recipient`): a name no other
unit has, a category, and optionally district, contact, telephone and staff or beds. The tier
follows from the category; a row may give another tier, with the reason, and the change is then
on record as if made with `services.change_tier` (old tier: the category's, new: the row's).

The import is set-based, so a province's 50,000 units go in one file: names are looked up in
bulk (a query per CHUNK names), every row is checked in memory, then all rows are inserted in
batches in the caller's transaction.
"""

import csv
import io
from collections.abc import Callable

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Font

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

from .models import CATEGORY_LABELS, TIERS, Recipient, RecipientCategory, RecipientTierChange
from .services import MAX_REASON

__all__ = [
    "COLUMNS",
    "column_guide",
    "MAX_ROWS",
    "ImportRejected",
    "Imported",
    "RowError",
    "import_recipients",
    "template_csv",
    "template_xlsx",
]

# (key, header) — a header is matched by its Chinese or its English part.
COLUMNS = [
    ("name", "单位名称 Name"),
    ("category", "类别 Category"),
    ("tier", "梯队 Tier"),
    ("tier_reason", "梯队调整理由 Tier reason"),
    ("district", "所在区 District"),
    ("contact", "联系人 Contact"),
    ("phone", "联系电话 Phone"),
    ("headcount_or_beds", "床位或人数 Staff or beds"),
]
REQUIRED = ("name", "category")
MAX_ROWS = 100_000

# The lengths the register's columns take (recipients/models.py).
MAX_NAME = Recipient.__table__.c.name.type.length
MAX_DISTRICT = Recipient.__table__.c.district.type.length
MAX_CONTACT = Recipient.__table__.c.contact.type.length

EXAMPLES = [
    ["韶关市第一人民医院", "医院", "", "", "浈江区", "王医生", "0751-8888001", 800],
    ["韶关市浈江区环卫所", "sanitation", "", "", "浈江区", "李站长", "13800000000", 120],
    [
        "韶关市疾控中心物资仓",
        "other",
        1,
        "承担全市防疫物资中转",
        "武江区",
        "",
        "",
        "",
    ],
]


def column_guide() -> list[dict]:
    """The template's columns for the import page: header, required or not, an example."""
    examples = dict(zip((key for key, _ in COLUMNS), EXAMPLES[0], strict=True))
    examples["tier"], examples["tier_reason"] = EXAMPLES[2][2], EXAMPLES[2][3]
    return [
        {"header": header, "required": key in REQUIRED, "example": examples[key]}
        for key, header in COLUMNS
    ]


def template_xlsx() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "需求单位 Recipients"
    sheet.append([header for _, header in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for example in EXAMPLES:
        sheet.append(example)
    for column, width in zip("ABCDEFGH", (32, 18, 10, 30, 14, 16, 18, 18), strict=True):
        sheet.column_dimensions[column].width = width
    categories = book.create_sheet("类别 Categories")
    categories.append(["代码 Code", "类别", "Category", "梯队 Tier"])
    names = _category_names()
    for category in RecipientCategory:
        categories.append([category.value, *names[category], category.default_tier])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def template_csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([header for _, header in COLUMNS])
    writer.writerow(EXAMPLES[0])
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # BOM: Excel opens it as UTF-8


def _category_names() -> dict[RecipientCategory, tuple[str, str]]:
    """Each category's name in Chinese and in English."""
    names = {}
    for category, label in CATEGORY_LABELS.items():
        with force_locale("zh"):
            zh = str(label)
        with force_locale("en"):
            en = str(label)
        names[category] = (zh, en)
    return names


def _categories() -> dict[str, RecipientCategory]:
    """Every category by code, Chinese name and English name (lower case)."""
    found = {}
    for category, names in _category_names().items():
        for key in (category.value, *names):
            found[key.lower()] = category
    return found


def names_taken(names: set[str]) -> set[str]:
    """The names among `names` that a registered unit (active or not) has, a query per CHUNK."""
    taken: set[str] = set()
    for part in chunks(sorted(names)):
        taken.update(db.session.scalars(sa.select(Recipient.name).where(Recipient.name.in_(part))))
    return taken


def _too_long(limit: int) -> str:
    return str(_l("At most %(n)d characters.", n=limit))


def parse(filename: str, data: bytes, progress: Progress | None = None) -> list[dict]:
    """The units in a file as the rows to insert (each with "row": its number and, when its tier
    is not the category's, "tier_reason"), or ImportRejected listing every problem."""
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
    registered = names_taken({text(cell(row, "name")) for _, row in given} - {""})
    categories = _categories()
    units: list[dict] = []
    errors = Problems()
    first_row: dict[str, int] = {}
    for done, (number, row) in enumerate(given, start=1):
        problems: dict[str, str] = {}
        name = text(cell(row, "name"))
        if not name:
            problems["name"] = _l("Give the unit's name.")
        elif len(name) > MAX_NAME:
            problems["name"] = _too_long(MAX_NAME)
        elif name in first_row:
            problems["name"] = _l("Same name as row %(row)s.", row=first_row[name])
        elif name in registered:
            problems["name"] = _l("A recipient named %(name)s already exists.", name=name)
        first_row.setdefault(name, number)

        category_text = text(cell(row, "category"))
        category = categories.get(category_text.lower())
        if category is None:
            problems["category"] = _l(
                "Unknown category %(category)s: use one from the template.",
                category=category_text or "—",
            )
        tier_cell = cell(row, "tier")
        tier = None if text(tier_cell) == "" else whole(tier_cell)
        reason = clean(text(cell(row, "tier_reason")))
        if text(tier_cell) != "" and tier not in TIERS:
            problems["tier"] = _l("The tier is 1, 2 or 3.")
        elif category is not None and tier is not None and tier != category.default_tier:
            if not reason:
                problems["tier_reason"] = _l(
                    "Say why the tier is not %(tier)s, the tier of the category.",
                    tier=category.default_tier,
                )
            elif len(reason) > MAX_REASON:
                problems["tier_reason"] = _l("The reason is too long.")

        district = text(cell(row, "district"))
        if len(district) > MAX_DISTRICT:
            problems["district"] = _too_long(MAX_DISTRICT)
        contact = " ".join(
            part for part in (text(cell(row, "contact")), text(cell(row, "phone"))) if part
        )
        if len(contact) > MAX_CONTACT:
            problems["contact" if "contact" in columns else "phone"] = _too_long(MAX_CONTACT)
        size_cell = cell(row, "headcount_or_beds")
        size = None if text(size_cell) == "" else whole(size_cell)
        if text(size_cell) != "" and size is None:
            problems["headcount_or_beds"] = _l("Staff or beds is a whole number, 0 or more.")

        for key, message in problems.items():
            errors.add(number, titles[key], message)
        if not problems:
            default = category.default_tier
            units.append(
                {
                    "row": number,
                    "name": name,
                    "category": category,
                    "tier": default if tier is None else tier,
                    "default_tier": default,
                    "tier_reason": reason,
                    "district": district,
                    "contact": contact,
                    "headcount_or_beds": size,
                }
            )
        if done % PROGRESS_EVERY == 0:
            progress(done, total)
    if errors:
        raise errors.rejected()
    if not units:
        raise ImportRejected([RowError(2, "", str(_l("The file has no units.")))])
    progress(len(given), total)
    return units


def import_recipients(
    filename: str,
    data: bytes,
    actor,
    progress: Callable[[int, int], None] | None = None,
) -> Imported:
    """Register a file's units: all rows, or none (ImportRejected).

    Writes in the caller's transaction and never commits. `progress(done, total)` is called as
    rows are checked and then written (total = twice the rows: each is checked, then written)."""
    progress = progress or no_progress
    units = parse(filename, data, progress)
    checked = len(units)
    created_at = now_utc()
    rows = [
        {
            "name": unit["name"],
            "category": unit["category"],
            "tier": unit["tier"],
            "district": unit["district"],
            "contact": unit["contact"],
            "headcount_or_beds": unit["headcount_or_beds"],
            "active": True,
            "created_at": created_at,
        }
        for unit in units
    ]
    written = 0
    for part in chunks(rows, CHUNK):
        db.session.execute(sa.insert(Recipient.__table__), part)
        written += len(part)
        progress(checked + written, 2 * checked)
    _record_tiers([u for u in units if u["tier"] != u["default_tier"]], actor, created_at)
    refresh_statistics(db.session, written, Recipient.__tablename__)
    return Imported(written)


def _record_tiers(changed: list[dict], actor, when) -> None:
    """A tier change on record for every unit registered in another tier than its category's."""
    if not changed:
        return
    ids: dict[str, int] = {}
    for part in chunks([u["name"] for u in changed]):
        query = sa.select(Recipient.name, Recipient.id).where(Recipient.name.in_(part))
        ids.update((name, id_) for name, id_ in db.session.execute(query))
    changed_by_id = getattr(actor, "id", actor)
    records = [
        {
            "recipient_id": ids[u["name"]],
            "old_tier": u["default_tier"],
            "new_tier": u["tier"],
            "reason": u["tier_reason"],
            "changed_by_id": changed_by_id,
            "changed_at": when,
        }
        for u in changed
    ]
    for part in chunks(records, CHUNK):
        db.session.execute(sa.insert(RecipientTierChange.__table__), part)
