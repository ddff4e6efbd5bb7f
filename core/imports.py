"""What the table importers share (recipients, allocation requests): the columns of a template,
the problems of a file by row and column, reading a cell as text or as a whole number, and the
progress a long import reports.

An import reads the whole file (`core.spreadsheets.read_table`), checks every row in memory
against lookups loaded in bulk, and writes nothing unless every row is good: the problems come
back together in `ImportRejected`, each with the row number a spreadsheet shows and the column's
header, so a person can fix the file in one go.
"""

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from flask_babel import lazy_gettext as _l

from core.errors import ServiceError

T = TypeVar("T")

# progress(done, total): called now and then by a long import (a background job shows it).
Progress = Callable[[int, int], None]

# How often an import reports progress, and how many rows go to the database per statement
# batch (a lookup by name, an INSERT's executemany).
PROGRESS_EVERY = 5000
CHUNK = 5000

# The problems an ImportRejected keeps to show (the count says how many there were in all):
# a file that is wrong on every one of 50,000 rows should not make a page of 50,000 rows.
MAX_SHOWN = 1000

# The largest whole number a column of the database takes (a 32-bit INTEGER).
MAX_INTEGER = 2**31 - 1


@dataclass(frozen=True)
class RowError:
    """One problem of a file: the spreadsheet's row number (1 = the header), the column's header
    ("" when it concerns the whole row or file) and what is wrong, in the reader's language."""

    row: int
    column: str
    message: str


class ImportRejected(ServiceError):
    """Nothing was imported: `errors` lists the problems by row and column (the first
    MAX_SHOWN of them, in file order), `total` says how many there were."""

    def __init__(self, errors: list[RowError], total: int | None = None):
        total = len(errors) if total is None else total
        super().__init__(_l("Nothing was imported: %(count)s problems.", count=total))
        self.total = total
        self.errors = sorted(errors, key=lambda e: e.row)[:MAX_SHOWN]


class Problems:
    """The problems of a file as they are found, in row order: the first MAX_SHOWN are put in
    words (a message is translated only when kept), the rest only counted."""

    def __init__(self):
        self.kept: list[RowError] = []
        self.total = 0

    def add(self, row: int, column: str, message) -> None:
        self.total += 1
        if len(self.kept) < MAX_SHOWN:
            self.kept.append(RowError(row, column, str(message)))

    def __bool__(self) -> bool:
        return self.total > 0

    def rejected(self) -> ImportRejected:
        return ImportRejected(self.kept, self.total)


@dataclass(frozen=True)
class Imported:
    """What an import wrote: `count` rows (len() of it too, for views that count a list)."""

    count: int

    def __len__(self) -> int:
        return self.count


def header_map(header: Sequence, columns: Sequence[tuple[str, str]]) -> dict[str, int]:
    """{column key: index} for the columns found in a header row. A header "需求单位 Recipient"
    is matched by itself, by its Chinese part or by its English part (any case)."""
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        given = text(cell).lower()
        if not given:
            continue
        for key, title in columns:
            zh, _, en = title.partition(" ")
            if given in (title.lower(), zh.lower(), en.lower()):
                found.setdefault(key, index)
    return found


def missing_columns(
    found: dict[str, int], columns: Sequence[tuple[str, str]], required: Sequence[str]
) -> list[RowError]:
    """A problem on row 1 for every required column the header lacks."""
    titles = dict(columns)
    return [
        RowError(1, titles[key], str(_l("This column is missing from the first row.")))
        for key in required
        if key not in found
    ]


def text(value) -> str:
    """A cell as one line of text ("" for an empty cell; 12.0 read as "12")."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def filled(row: Sequence) -> bool:
    """Whether a row has anything in it (a cell that is not empty or blanks)."""
    return any(value is not None and (type(value) is not str or value.strip()) for value in row)


def whole(value) -> int | None:
    """A cell as a whole number 0..MAX_INTEGER ("1,000" and 1000.0 included), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            return None
        number = int(value)
    else:
        digits = text(value).replace(",", "")
        if not (digits.isascii() and digits.isdigit()):
            return None
        number = int(digits)
    return number if 0 <= number <= MAX_INTEGER else None


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def no_progress(done: int, total: int) -> None:
    """The progress callback of an import nobody watches."""
