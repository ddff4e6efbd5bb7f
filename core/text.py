"""Plain text helpers with no Flask import, for pure modules and services alike."""

from __future__ import annotations

from dataclasses import dataclass


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
