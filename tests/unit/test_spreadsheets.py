"""core.spreadsheets.read_table: files are read as a stream and reading stops at the limit."""

import io
import zipfile

import pytest
from openpyxl import Workbook

from core.errors import ServiceError
from core.spreadsheets import TooManyRows, read_table


def _xlsx(rows_xml: str, dimension: str | None = "A1:C1000000") -> bytes:
    """A real workbook whose first sheet's XML is replaced by `rows_xml` (inside sheetData),
    with the size the sheet declares, as Excel and WPS write it."""
    book = Workbook()
    book.active.append(["需求单位", "品类", "数量"])
    plain = io.BytesIO()
    book.save(plain)
    out = io.BytesIO()
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dest:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = (
                    '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns='
                    '"http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                    + (f'<dimension ref="{dimension}"/>' if dimension else "")
                    + "<sheetData>"
                    + rows_xml
                ).encode()
            dest.writestr(item, data)
    return out.getvalue()


def _rows_xml(first: int, last: int) -> str:
    return "".join(
        f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>单位{n}</t></is></c>'
        f'<c r="C{n}"><v>{n}</v></c></row>'
        for n in range(first, last + 1)
    )


def test_a_file_beyond_the_limit_is_refused_as_too_long():
    data = _xlsx(_rows_xml(1, 3000) + "</sheetData></worksheet>")
    with pytest.raises(TooManyRows) as refused:
        read_table(data, "requests.xlsx", max_rows=2000)
    assert refused.value.limit == 2000
    assert "2000" in str(refused.value)


def test_the_broken_part_is_found_when_the_file_is_within_the_limit():
    data = _xlsx(_rows_xml(1, 30) + '<row r="31"><c r="A31"><v>1</v></c><row <<< broken')
    with pytest.raises(ServiceError) as refused:
        read_table(data, "requests.xlsx", max_rows=2000)
    assert not isinstance(refused.value, TooManyRows)


def test_rows_up_to_the_limit_are_read_whole_with_blank_rows_at_the_end():
    blank = "".join(f'<row r="{n}"></row>' for n in range(2002, 2502))
    data = _xlsx(_rows_xml(1, 2001) + blank + "</sheetData></worksheet>")
    table = read_table(data, "requests.xlsx", max_rows=2000)
    assert len(table) >= 2001
    assert table[2000][0] == "单位2001" and table[2000][2] == 2001


def test_a_file_of_nothing_but_blank_rows_is_not_read_to_its_end():
    blank = "".join(f'<row r="{n}"><c r="A{n}"/></row>' for n in range(2, 20_000))
    data = _xlsx(_rows_xml(1, 1) + blank + "</sheetData></worksheet>")
    # Empty cells at the end are no rows at all to the reader; blank rows among filled ones
    # would count towards the blank allowance.
    assert len(read_table(data, "requests.xlsx", max_rows=100)) <= 1 + 2 * 100 + 1000


def test_csv_stops_at_the_limit_too():
    text = "需求单位,品类,数量\n" + "".join(f"单位{n},surgical,{n}\n" for n in range(3000))
    with pytest.raises(TooManyRows):
        read_table(text.encode("utf-8"), "requests.csv", max_rows=2000)
    assert len(read_table(text.encode("utf-8"), "requests.csv", max_rows=3000)) == 3001


def test_a_workbook_that_unpacks_far_beyond_its_rows_is_refused_before_it_is_opened():
    # One million one-cell rows, no declared size: opening it would parse all of it.
    rows = "<row><c><v>1</v></c></row>" * 1_000_000  # row and cell references are optional
    data = _xlsx(rows + "</sheetData></worksheet>", dimension=None)
    assert len(data) < 256 * 2**10  # a small upload
    with pytest.raises(ServiceError) as refused:
        read_table(data, "requests.xlsx", max_rows=2000)
    assert "MB" in str(refused.value)
