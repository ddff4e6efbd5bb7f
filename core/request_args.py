"""Reading a page's query arguments (filters, paging): a value that is not what the page expects
is treated as absent, never an error. Dates outside the years Baogong can hold records for count
as absent too: 9999-12-31 is a date, but a day after it or its UTC bounds are not."""

from datetime import date

from flask import request


def int_arg(name: str, default: int | None = None) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else default


EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)


def date_arg(name: str, default: date | None = None) -> date | None:
    try:
        value = date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return default
    return value if EARLIEST <= value <= LATEST else default


def page_arg() -> int:
    """The page number of a paged list (1 when absent or not a number)."""
    return int_arg("page") or 1
