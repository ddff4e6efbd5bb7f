"""Reading a page's query arguments (filters, paging): a value that is not what the page expects
is treated as absent, never an error."""

from datetime import date

from flask import request


def int_arg(name: str, default: int | None = None) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else default


def date_arg(name: str, default: date | None = None) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return default


def page_arg() -> int:
    """The page number of a paged list (1 when absent or not a number)."""
    return int_arg("page") or 1
