"""Uploads that unpack into far more rows than an import takes: seconds and peak memory of
reading them as Baogong does now (`core.spreadsheets.read_table`, streaming, stops at the limit)
against reading the whole first sheet with openpyxl, as it did before, in the same run.

    .venv/bin/python bench/spreadsheets.py
"""

import io
import resource
import sys
import time
import tracemalloc
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from openpyxl import Workbook, load_workbook  # noqa: E402

from core.errors import ServiceError  # noqa: E402
from core.spreadsheets import read_table  # noqa: E402

LIMIT = 2000


def workbook(rows_xml: str, dimension: str | None) -> bytes:
    book = Workbook()
    book.active.append(["x"])
    plain = io.BytesIO()
    book.save(plain)
    out = io.BytesIO()
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                head = '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                dim = f'<dimension ref="{dimension}"/>' if dimension else ""
                data = (head + dim + "<sheetData>" + rows_xml + "</sheetData></worksheet>").encode()
            dst.writestr(item, data)
    return out.getvalue()


def whole(data: bytes) -> int:
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        return sum(1 for _ in book.worksheets[0].iter_rows(values_only=True))
    finally:
        book.close()


def now(data: bytes) -> str:
    try:
        return f"{len(read_table(data, 'bomb.xlsx', LIMIT))} rows"
    except ServiceError as error:
        return f"refused: {str(error)[:60]}"


def measure(label: str, reader, data: bytes) -> None:
    tracemalloc.start()
    start = time.perf_counter()
    outcome = reader(data)
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    print(f"  {label:<22} {seconds:7.2f} s  {peak:7.1f} MiB (Python peak)  {outcome}")


def main() -> None:
    one_cell = "<row><c><v>1</v></c></row>"
    cases = [
        ("1,000,000 one-cell rows, no size declared", one_cell * 1_000_000, None),
        ("1,000,000 one-cell rows, size declared", one_cell * 1_000_000, "A1:A1000000"),
        ("200,000 rows, size declared", one_cell * 200_000, "A1:A200000"),
        ("3,000 rows, size declared", one_cell * 3_000, "A1:A3000"),
    ]
    for label, rows, dimension in cases:
        data = workbook(rows, dimension)
        print(f"{label}: {len(data) / 1024:.0f} KiB upload, limit {LIMIT} rows")
        measure("whole sheet (before)", lambda d: f"{whole(d)} rows", data)
        measure("read_table (now)", now, data)
    print(f"max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
