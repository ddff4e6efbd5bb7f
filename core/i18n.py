"""The language of the current request, for code that picks between stored Chinese and English
texts (grade names, solver reasons, checklist messages) rather than translating a msgid."""

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
