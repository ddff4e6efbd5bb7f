"""The parts of a ledger reason the system writes — a checklist passed, a release by concession,
a rejection at inspection, an over-receipt, a price flag — are stored as codes, not words: the
reason is inside the hash chain and can never be rewritten, and its readers read Chinese or
English. `coded` writes them in front of the person's own words; `render` (the `reason_text`
template filter) shows a stored reason in the reader's language, the person's words unchanged.

A stored reason reads e.g. "⟦release.override:3⟧ 市指挥部书面批准" and is shown as
"让步放行：3 项检查未通过：市指挥部书面批准" or "Released by concession, 3 checks failed: …".
"""

import re

from flask_babel import gettext as _
from flask_babel import ngettext

__all__ = ["coded", "render"]

_CODE = re.compile(r"⟦(?P<code>[a-z_.]+)(?::(?P<args>[^⟧]*))?⟧")


def coded(*codes: tuple[str, ...] | str, text: str = "") -> str:
    """Codes (each a name or a (name, arg, ...) tuple) followed by the person's words."""
    parts = []
    for code in codes:
        name, *args = (code,) if isinstance(code, str) else code
        parts.append(f"⟦{name}:{','.join(str(a) for a in args)}⟧" if args else f"⟦{name}⟧")
    return (" ".join(["".join(parts), text.strip()]) if text.strip() else "".join(parts)).strip()


def _words(name: str, args: list[str]) -> str:
    if name == "release.pass":
        return _("Checklist passed")
    if name == "release.warn":
        return _("Checklist passed with warnings")
    if name == "release.override":
        num = int(args[0]) if args and args[0].isdigit() else 0
        return ngettext(
            "Released by concession, %(num)d check failed",
            "Released by concession, %(num)d checks failed",
            num,
        )
    if name == "reject":
        return _("Rejected at inspection")
    if name == "over_receipt" and args:
        return _("Over-receipt (+%(num)s)", num=args[0])
    if name == "price.above_agreed" and len(args) == 2:
        return _("Unit price CNY %(price)s above the agreed CNY %(agreed)s", price=args[0],
                 agreed=args[1])  # fmt: skip
    if name == "price.above_median" and len(args) == 2:
        return _("More than %(pct)s%% above the recent median CNY %(median)s", pct=args[0],
                 median=args[1])  # fmt: skip
    return name


def render(reason: str | None) -> str:
    """A stored reason in the reader's language (plain text: the template escapes it)."""
    reason = reason or ""
    words = []
    end = 0
    for match in _CODE.finditer(reason):
        if match.start() != end:
            break  # codes only ever lead the reason
        args = match["args"].split(",") if match["args"] else []
        words.append(_words(match["code"], args))
        end = match.end()
    rest = reason[end:].strip()
    if not words:
        return reason
    what = _("; ").join(words)
    return _("%(what)s: %(why)s", what=what, why=rest) if rest else what
