"""Reading the spreadsheets people upload (XLSX or CSV) into plain rows of cells.

Both importers (procurement batches, allocation requests) read files through `read_table`, so a
file is accepted or refused the same way everywhere: XLSX (first sheet, cell values, not
formulas) or CSV in UTF-8 (with or without BOM) or GB18030, which is what Chinese Excel writes
for "CSV". Checking the columns and values is the importer's own business.
"""

import csv
import io
import zipfile

from flask_babel import lazy_gettext as _l

from core.errors import ServiceError


def read_table(data: bytes, filename: str) -> list[list]:
    """Every row of the file as a list of cell values; ServiceError if it cannot be read."""
    name = (filename or "").lower()
    if name.endswith(".csv"):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                continue
            try:
                return list(csv.reader(io.StringIO(text)))
            except csv.Error:
                break
        raise ServiceError(
            _l("The CSV file is neither UTF-8 nor GB18030 text: save it as “CSV UTF-8”.")
        )
    if not name.endswith(".xlsx"):
        raise ServiceError(_l("Upload an XLSX or CSV file."))
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
        finally:
            book.close()
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, IndexError):
        raise ServiceError(
            _l("The file cannot be read as a spreadsheet: it is damaged or not XLSX/CSV.")
        ) from None
