"""Plain text helpers with no Flask import, for pure modules and services alike."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class Message:
    """One text in both languages of the interface (Simplified Chinese first).

    Pure code (the quality rules, number validators) reports in `Message`s, so a page can show
    the reader's language (`core.i18n.in_language`) and a record can keep both.
    """

    zh: str
    en: str

    def in_lang(self, lang: str | None) -> str:
        """The text for a locale such as "zh", "zh_Hans_CN", "en" or "en_GB" (default Chinese)."""
        return self.en if lang and str(lang).lower().startswith("en") else self.zh

    def __str__(self) -> str:
        return self.zh


def clean(value: str | None) -> str:
    """A typed value without surrounding whitespace ("" for nothing)."""
    return (value or "").strip()


def one_line(value: str | None) -> str:
    """A name or label as one line: surrounding whitespace dropped, inner runs made one space."""
    return " ".join((value or "").split())


def capitalised(text: str) -> str:
    """Capitalise the first letter only ("NIOSH approval" stays as it is)."""
    return text[:1].upper() + text[1:]


def _chinese(message: Message) -> str:
    return message.zh


_in_page_language: Callable[[Message], str] = _chinese


def set_page_language(in_language: Callable[[Message], str]) -> None:
    """How `Worded.label` picks a `Message`'s language. The web layer sets it once
    (`core.i18n` passes its `in_language`); pure code with no app gets Chinese."""
    global _in_page_language
    _in_page_language = in_language


class Worded(StrEnum):
    """A StrEnum whose members have a name in both languages: `words` (each enum gives its
    table of `Message`s) and `label`, the name in the page's language, capitalised for a choice
    or a heading. Pure modules define such enums; the models store them; pages show `label`."""

    @property
    def words(self) -> Message:
        raise NotImplementedError

    @property
    def label(self) -> str:
        return capitalised(_in_page_language(self.words))
