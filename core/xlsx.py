"""The rows of a workbook's first sheet, read straight from its XML, several times faster than
openpyxl's read-only mode (which builds an object per cell): what an import of 50,000 rows
needs to stay within seconds.

It yields what `openpyxl.load_workbook(read_only=True, data_only=True)` and
`worksheets[0].iter_rows(values_only=True)` yield: a tuple of cell values per row, rows the sheet
leaves out as empty tuples of the sheet's width, numbers as int or float, dates (by the cell's
number format) as datetime, booleans, shared, inline and formula strings as str (a formula's
cached value, never the formula), errors as their text ("#N/A"). Other sheets, styles beyond
number formats, and everything else in the file are not read.

Errors: zipfile.BadZipFile, KeyError (a part is missing), ValueError or SyntaxError (the XML is
broken): the caller says the file cannot be read.
"""

import posixpath
import re
import zipfile
from collections.abc import Iterator
from xml.etree.ElementTree import iterparse

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

MAIN = (
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "http://purl.oclc.org/ooxml/spreadsheetml/main",  # strict OOXML
)
RELATIONSHIP = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "http://purl.oclc.org/ooxml/officeDocument/relationships",
)
PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"


def _tags(name: str) -> set[str]:
    return {f"{{{ns}}}{name}" for ns in MAIN}


ROW, CELL, VALUE, INLINE = _tags("row"), _tags("c"), _tags("v"), _tags("is")
SI, T, R, SHEET = _tags("si"), _tags("t"), _tags("r"), _tags("sheet")
CELL_XFS, NUM_FMT, WORKBOOK_PR = _tags("cellXfs"), _tags("numFmt"), _tags("workbookPr")
DIMENSION, SHEET_DATA = _tags("dimension"), _tags("sheetData")

_COORDINATE = re.compile(r"([A-Z]+)(\d+)$")
DIGITS = "0123456789"


def _column(letters: str) -> int:
    """1 for A, 27 for AA; ValueError for anything but capital letters."""
    if not letters or not letters.isascii() or not letters.isupper() or not letters.isalpha():
        raise ValueError(f"not a column: {letters!r}")
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def _text(element) -> str:
    """The text of an <si> or <is>: its <t>, or its runs' <t> (phonetic guides left out)."""
    parts = []
    for child in element:
        if child.tag in T:
            parts.append(child.text or "")
        elif child.tag in R:
            for grandchild in child:
                if grandchild.tag in T:
                    parts.append(grandchild.text or "")
    return "".join(parts)


def _parts(archive: zipfile.ZipFile) -> tuple[str, str | None, str | None]:
    """The paths of the first sheet, the shared strings and the styles."""
    with archive.open("xl/_rels/workbook.xml.rels") as source:
        rels = {}
        kinds = {}
        for _, element in iterparse(source):
            if element.tag == f"{{{PACKAGE_RELS}}}Relationship":
                target = element.get("Target", "")
                path = (
                    target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
                )
                rels[element.get("Id")] = posixpath.normpath(path)
                kinds[element.get("Type", "").rsplit("/", 1)[-1]] = rels[element.get("Id")]
    first = None
    with archive.open("xl/workbook.xml") as source:
        for _, element in iterparse(source):
            if element.tag in SHEET and first is None:
                for ns in RELATIONSHIP:
                    first = first or element.get(f"{{{ns}}}id")
    if first is None or first not in rels:
        raise KeyError("no sheet")
    return rels[first], kinds.get("sharedStrings"), kinds.get("styles")


def _epoch(archive: zipfile.ZipFile):
    with archive.open("xl/workbook.xml") as source:
        for _, element in iterparse(source):
            if element.tag in WORKBOOK_PR:
                flag = element.get("date1904", "").lower()
                return CALENDAR_MAC_1904 if flag in ("1", "true") else CALENDAR_WINDOWS_1900
    return CALENDAR_WINDOWS_1900


def _shared_strings(archive: zipfile.ZipFile, path: str | None) -> list[str]:
    if path is None or path not in archive.NameToInfo:
        return []
    strings = []
    with archive.open(path) as source:
        for _, element in iterparse(source):
            if element.tag in SI:
                strings.append(_text(element).replace("x005F_", ""))
                element.clear()
    return strings


def _date_styles(archive: zipfile.ZipFile, path: str | None) -> tuple[set[int], set[int]]:
    """The style ids whose number format is a date, and those that are a duration."""
    if path is None or path not in archive.NameToInfo:
        return set(), set()
    formats = dict(BUILTIN_FORMATS)
    dates, durations = set(), set()
    with archive.open(path) as source:
        for _, element in iterparse(source):
            if element.tag in NUM_FMT:
                formats[int(element.get("numFmtId", -1))] = element.get("formatCode", "")
            elif element.tag in CELL_XFS:
                for index, xf in enumerate(element):
                    code = formats.get(int(xf.get("numFmtId", 0)), "")
                    if code and is_date_format(code):
                        dates.add(index)
                        if is_timedelta_format(code):
                            durations.add(index)
                element.clear()
    return dates, durations


def _number(text: str) -> int | float:
    if "." in text or "E" in text or "e" in text:
        return float(text)
    return int(text)


def _width(archive: zipfile.ZipFile, path: str) -> int:
    """The sheet's width from its <dimension> (0 when it does not say)."""
    with archive.open(path) as source:
        for _, element in iterparse(source, events=("start",)):
            if element.tag in DIMENSION:
                last = element.get("ref", "").rpartition(":")[2]
                match = _COORDINATE.match(last.replace("$", ""))
                return _column(match.group(1)) if match else 0
            if element.tag in SHEET_DATA:
                break
    return 0


def sheet_rows(archive: zipfile.ZipFile) -> Iterator[tuple]:
    """The values of the first sheet, row by row (see the module's docstring)."""
    sheet, strings_path, styles_path = _parts(archive)
    strings = _shared_strings(archive, strings_path)
    dates, durations = _date_styles(archive, styles_path)
    epoch = _epoch(archive)
    width = _width(archive, sheet)
    empty = (None,) * width
    expected = 1
    columns: dict[str, int] = {}
    with archive.open(sheet) as source:
        for _, element in iterparse(source):
            if element.tag not in ROW:
                continue
            number = int(element.get("r") or expected)
            while expected < number:
                expected += 1
                yield empty
            values: list = []
            column = 0
            for cell in element:
                if cell.tag not in CELL:
                    continue
                reference = cell.get("r")
                if reference:
                    letters = reference.rstrip(DIGITS)
                    found = columns.get(letters)
                    if found is None:
                        found = columns[letters] = _column(letters)
                    column = found
                else:
                    column += 1
                kind = cell.get("t", "n")
                value = None
                if kind == "inlineStr":
                    for child in cell:
                        if child.tag in INLINE:
                            value = _text(child)
                else:
                    for child in cell:
                        if child.tag in VALUE:
                            value = child.text or None
                    if value is not None:
                        if kind == "n":
                            value = _number(value)
                            style = int(cell.get("s") or 0)
                            if style in dates:
                                try:
                                    value = from_excel(value, epoch, timedelta=style in durations)
                                except (OverflowError, ValueError):
                                    value = "#VALUE!"
                        elif kind == "s":
                            value = strings[int(value)]
                        elif kind == "b":
                            value = bool(int(value))
                        elif kind == "d":
                            from openpyxl.utils.datetime import from_ISO8601

                            value = from_ISO8601(value)
                if len(values) < column - 1:
                    values.extend([None] * (column - 1 - len(values)))
                if len(values) == column - 1:
                    values.append(value)
                else:
                    values[column - 1] = value
            element.clear()
            if len(values) < width:
                values.extend([None] * (width - len(values)))
            expected = number + 1
            yield tuple(values)
