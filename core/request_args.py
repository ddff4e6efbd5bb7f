"""Reading a page's query arguments (filters, paging): a value that is not what the page expects
is treated as absent, never an error: ids and page numbers are ASCII digits within an integer
column's range. A date outside the years Baogong can hold records for is
taken as the nearest of them: 9999-12-31 is a date, but the day after it (the end of a period)
is not, and a filter "from 2999" still means "nothing yet"."""

from datetime import date

from flask import request

# The largest id a database column holds (PostgreSQL `integer`): a larger number names nothing.
MAX_ID = 2**31 - 1


def int_arg(name: str, default: int | None = None) -> int | None:
    """A whole number from 0 to MAX_ID written in ASCII digits; anything else is absent (an id
    past the column's range would make PostgreSQL refuse the query, not find nothing)."""
    value = request.args.get(name, "")
    if not (value.isascii() and value.isdigit()) or len(value) > 10 or int(value) > MAX_ID:
        return default
    return int(value)


EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)


def date_arg(name: str, default: date | None = None) -> date | None:
    try:
        value = date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return default
    return min(max(value, EARLIEST), LATEST)


def page_arg() -> int:
    """The page number of a paged list (1 when absent or not a number)."""
    return int_arg("page") or 1
