"""The public data of the allocator: what goes in, what comes out, and its one exception."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction


@dataclass(frozen=True)
class Lot:
    """Released stock of one lot: ``quantity`` pieces of ``grade``; no ``expires_on``: no expiry."""

    id: str
    grade: str
    quantity: int
    expires_on: date | None = None
    pieces_per_box: int = 1


@dataclass(frozen=True)
class Request:
    """A recipient's request in a round: ``quantity`` pieces of ``grade``, ``minimum`` assured."""

    id: str
    recipient: str
    tier: int
    grade: str
    quantity: int
    minimum: int = 0


@dataclass(frozen=True)
class Policy:
    """How a plan shares stock out.

    ``substitutes[grade]`` lists the grades a request for ``grade`` may draw on, in order of
    preference (absent: only its own grade); ``reserve[grade]`` is the fraction held back, in
    [0, 1); ``whole_boxes`` makes every line a whole number of its lot's boxes;
    ``tier_grades[grade]`` lists the tiers that may receive ``grade`` (absent: every tier).
    """

    substitutes: dict[str, list[str]] = field(default_factory=dict)
    reserve: dict[str, float] = field(default_factory=dict)
    whole_boxes: bool = False
    tier_grades: dict[str, set[int]] = field(default_factory=dict)


@dataclass(frozen=True)
class Line:
    """``quantity`` pieces of ``lot_id`` (of ``grade``) go to ``request_id``."""

    request_id: str
    lot_id: str
    grade: str
    quantity: int


@dataclass(frozen=True)
class Explanation:
    """A plain-language text in Simplified Chinese (``zh``) and English (``en``)."""

    zh: str
    en: str

    def get(self, locale: str | None) -> str:
        """The text for a locale such as ``"zh_CN"`` or ``"en"`` (Chinese unless English)."""
        return self.en if locale and locale.lower().startswith("en") else self.zh

    def __str__(self) -> str:
        return self.en


@dataclass(frozen=True)
class RequestResult:
    """What one request received and why.

    ``share`` is the exact fractional leximin share (with whole boxes: given what the earlier
    tiers received in boxes); ``level`` is the fill level its class reached (None when nothing
    was requested); ``by_grade`` is pieces per grade it received.
    """

    request_id: str
    recipient: str
    tier: int
    grade: str
    requested: int
    minimum: int
    allocated: int
    share: Fraction
    level: Fraction | None
    by_grade: dict[str, int]
    reason: Explanation

    @property
    def fill_ratio(self) -> float:
        """allocated / requested (1.0 when nothing was requested)."""
        return self.allocated / self.requested if self.requested else 1.0


@dataclass(frozen=True)
class ClassLevel:
    """Requests of one tier that can use exactly ``grades``, and the level they reached.

    ``stage`` is the water-filling stage that froze the class (0: no usable stock at all).
    ``level`` is the fractional leximin level; ``allocated`` what the class received.
    """

    tier: int
    grades: tuple[str, ...]
    requests: int
    requested: int
    allocated: int
    level: Fraction
    stage: int


@dataclass(frozen=True)
class TierResult:
    """Totals of one tier; ``lowest_fill`` is the lowest fill ratio of its requests."""

    tier: int
    requests: int
    requested: int
    allocated: int
    lowest_fill: float
    classes: tuple[ClassLevel, ...]
    summary: Explanation


@dataclass(frozen=True)
class Stats:
    """How the allocation was computed.  Only ``seconds`` and ``phases`` vary between runs.

    ``optimal`` is False only when an optimisation of the whole-box model stopped at its work
    limit before proving its answer optimal (the answer is then feasible, not proven best).
    """

    stages: int
    max_flows: int
    classes: int
    requests: int
    seconds: float
    phases: dict[str, float]
    optimal: bool = True


@dataclass(frozen=True)
class Allocation:
    """The result of :func:`allocate`.  ``left_over`` is allocatable pieces not handed out."""

    lines: list[Line]
    requests: dict[str, RequestResult]
    tiers: dict[int, TierResult]
    held_back: dict[str, int]
    left_over: dict[str, int]
    stats: Stats


class AllocationError(ValueError):
    """Bad input, or minimums the stock cannot cover.  ``str(e)`` is English; ``e.zh`` Chinese.

    ``problems`` holds one ``(en, zh)`` pair per problem found.
    """

    def __init__(self, en: str, zh: str, problems: Sequence[tuple[str, str]] = ()):
        super().__init__(en)
        self.en = en
        self.zh = zh
        self.problems = list(problems) or [(en, zh)]
