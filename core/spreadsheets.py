"""Reading the spreadsheets people upload (XLSX or CSV) into plain rows of cells, and writing
the ones they download (`to_csv`, `to_xlsx`: the exports, the booking report).

Both importers (procurement batches, allocation requests) read files through `read_table`, so a
file is accepted or refused the same way everywhere: XLSX (first sheet, cell values, not
formulas) or CSV in UTF-8 (with or without BOM) or GB18030, which is what Chinese Excel writes
for "CSV". Checking the columns and values is the importer's own business.

CSV is read as a stream and reading stops at the importer's row limit. An XLSX that unpacks to
far more than its rows could need is refused before it is opened; one within that bound is
parsed by calamine (fast enough for 100,000 rows in a second or two) and refused at the limit.
"""

import contextlib
import csv
import io
import zipfile
from collections.abc import Iterator

from flask_babel import lazy_gettext as _l
from openpyxl import Workbook

from core.errors import ServiceError

# What an XLSX may unpack to: at least MIN_UNPACKED, more for imports that take more rows.
MIN_UNPACKED = 16 * 2**20
UNPACKED_PER_ROW = 4 * 2**10

# Blank rows read on top of the limit before a file counts as too long anyway (Excel keeps
# formatted empty rows at the end of a sheet; a file of nothing but them is no import).
BLANK_ALLOWANCE = 1000


class TooManyRows(ServiceError):
    """More rows below the header than an import takes."""

    def __init__(self, limit: int):
        super().__init__(
            _l("At most %(n)d rows per file: split the file and import the parts.", n=limit)
        )
        self.limit = limit


def _filled(row) -> bool:
    return any(cell is not None and str(cell).strip() != "" for cell in row)


def read_table(data: bytes, filename: str, max_rows: int | None = None) -> list[list]:
    """The file's rows as lists of cell values; ServiceError if it cannot be read.

    `max_rows`: at most this many non-blank rows below the header (TooManyRows beyond), and
    reading stops there; blank rows count towards a looser bound of their own."""
    scan_limit = None if max_rows is None else 1 + 2 * max_rows + BLANK_ALLOWANCE
    table: list[list] = []
    filled = 0
    with contextlib.closing(_rows(data, filename, max_rows)) as rows:
        for row in rows:
            if table and _filled(row):
                filled += 1
            if max_rows is not None and (filled > max_rows or len(table) >= scan_limit):
                raise TooManyRows(max_rows)
            table.append(list(row))
    return table


def _rows(data: bytes, filename: str, max_rows: int | None) -> Iterator[tuple]:
    name = (filename or "").lower()
    if name.endswith(".csv"):
        yield from _csv_rows(data)
    elif name.endswith(".xlsx"):
        yield from _xlsx_rows(data, max_rows)
    else:
        raise ServiceError(_l("Upload an XLSX or CSV file."))


def _csv_rows(data: bytes) -> Iterator[tuple]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        try:
            for row in csv.reader(io.StringIO(text)):
                yield tuple(row)
        except csv.Error:
            break
        return
    raise ServiceError(
        _l("The CSV file is neither UTF-8 nor GB18030 text: save it as “CSV UTF-8”.")
    )


def unpacked_limit(max_rows: int | None) -> int:
    """Bytes an XLSX may unpack to: generous for the rows allowed, far below a zip bomb."""
    return max(MIN_UNPACKED, (max_rows or 0) * UNPACKED_PER_ROW)


def _check_unpacked_size(data: bytes, max_rows: int | None) -> None:
    """Refuse a workbook whose parts unpack to more than the rows allowed could need.

    The sheet and its shared strings are parsed whole; the sizes the archive declares bound
    that work."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(item.file_size for item in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # the reader says it is damaged
    if unpacked > unpacked_limit(max_rows):
        raise ServiceError(
            _l(
                "The spreadsheet unpacks to %(mb)d MB, more than an import of this size needs: "
                "delete unused sheets and formatting, or split the file.",
                mb=unpacked // 2**20,
            )
        )


def _cell(value):
    """A cell as openpyxl gave it: None for an empty cell, whole numbers as int."""
    if value == "":
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _xlsx_rows(data: bytes, max_rows: int | None = None) -> Iterator[tuple]:
    """The first sheet's rows, from A1 (so row numbers are the sheet's), read by calamine
    (python-calamine: Rust, several times faster than openpyxl on an import of 50,000 rows).
    The sheet is parsed whole, so the unpacked-size check above is what bounds the work."""
    from python_calamine import CalamineError, CalamineWorkbook

    _check_unpacked_size(data, max_rows)
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        rows = book.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except (CalamineError, ValueError, TypeError, IndexError, OSError):
        raise ServiceError(
            _l("The file cannot be read as a spreadsheet: it is damaged or not XLSX/CSV.")
        ) from None
    for row in rows:
        yield tuple(_cell(value) for value in row)


# Writing ------------------------------------------------------------------------------------


def _safe(value):
    """Spreadsheet formula injection: text starting with = + - @ is written as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def to_csv(header: list[str], rows: list[list]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_safe(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM: Excel reads it as UTF-8


def to_xlsx(header: list[str], rows: list[list], title: str) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.append(header)
    for row in rows:
        sheet.append([_safe(value) for value in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
