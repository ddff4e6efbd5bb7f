"""The language of the current request, for code that picks between stored Chinese and English
texts (grade names, solver reasons, checklist messages) rather than translating a msgid."""

from functools import lru_cache

import flask_babel
from flask_babel import get_locale

from core.text import Message, set_page_language


def is_english() -> bool:
    locale = get_locale()
    return locale is not None and locale.language == "en"


def in_language(message: Message) -> str:
    """A bilingual `Message` in the interface's language."""
    return message.en if is_english() else message.zh


# `Worded` enums (a lot's origin, a certificate's kind) label themselves in the page's language.
set_page_language(in_language)


# Formatting a date or a number through Babel costs tens of microseconds (the locale's pattern
# looked up and parsed each time); a page of a province's lists formats hundreds of them, most
# the same (every line of a plan issued at one moment). Formatted values are kept by the value,
# the format, the locale and the time zone.
FORMATTED_KEPT = 4096


@lru_cache(maxsize=FORMATTED_KEPT)
def _formatted(kind: str, value, fmt: str, locale: str, zone: str) -> str:
    if kind == "datetime":
        return flask_babel.format_datetime(value, fmt)
    if kind == "date":
        return flask_babel.format_date(value, fmt)
    return flask_babel.format_decimal(value)


def _key() -> tuple[str, str]:
    return str(flask_babel.get_locale()), str(flask_babel.get_timezone())


def format_datetime(value, fmt: str = "medium") -> str:
    """`flask_babel.format_datetime` in the request's locale and zone, kept once formatted."""
    return _formatted("datetime", value, fmt, *_key()) if value else ""


def format_date(value, fmt: str = "medium") -> str:
    return _formatted("date", value, fmt, *_key()) if value else ""


def format_number(value) -> str:
    return _formatted("number", value, "", *_key()) if value is not None else ""
