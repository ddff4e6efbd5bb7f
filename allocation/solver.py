"""Leximin-fair, tier-by-tier allocation of released stock (pure: no Flask, no database).

The rest of Baogong only calls :func:`allocate`; the contract is issue 5 and DESIGN.md
("Allocation")::

    from allocation.solver import Lot, Request, Policy, allocate, AllocationError

    result = allocate(lots, requests, policy)
    result.lines      # [Line(request_id, lot_id, grade, quantity)], whole pieces (or boxes)
    result.requests   # {request id: RequestResult}: .allocated, .fill_ratio, .reason.zh/.en, ...
    result.tiers      # {tier: TierResult}: .requested, .allocated, .lowest_fill, .classes, .summary
    result.held_back  # {grade: pieces kept in reserve}
    result.left_over  # {grade: allocatable pieces not handed out}
    result.stats      # Stats: .stages (water-filling levels solved), .seconds, ...

How it works
============
1. **Reserve** (rule 1).  Per grade, ``ceil(reserve * total pieces)`` is held back, taken from
   the latest-expiring lots (the exact reverse of the FEFO order below).  A float reserve is
   read as the decimal it prints as (``0.05`` is exactly 1/20), so ``ceil`` never rounds
   ``0.05 * 1000`` up to 51.  With ``whole_boxes`` a lot can only give whole boxes, so loose
   pieces of an opened box are not allocatable (they show up in ``result.left_over``).

2. **Classes** (rule 2).  Request ``r`` may draw on grade ``g`` when ``g`` is in
   ``substitutes.get(r.grade, [r.grade])`` and ``r.tier`` is allowed by ``tier_grades``.  Its
   preference order is its own grade first (when that list contains it), then the rest of the
   list in order.  Requests that share a tier and the same set of usable grades that have
   allocatable stock form a *class*: they compete for exactly the same stock, so every
   fairness question can be answered on classes (a few dozen) instead of requests (50,000).

3. **Minimums** (rule 3) are served first, for all tiers at once: the later-tier minimums are
   kept as fixed demands while earlier tiers are shared out.  An OR-Tools max-flow per tier
   (tiers 1..k together) proves they fit; if they do not, :class:`AllocationError` names each
   tier that breaks them, by how many pieces, and the grades that ran out.

4. **Leximin, tier by tier** (rule 4), by exact water-filling over classes.  Within a class
   requests are interchangeable, so at a common level ``t`` request ``r`` needs
   ``max(minimum, t * quantity)`` and the class needs ``g_c(t)``, a convex piecewise-linear
   function.  One stage finds the highest ``t`` at which every unfrozen class of the tier can
   get ``g_c(t)`` (earlier tiers held at their totals, later tiers at their minimums):

   * *Level*: Newton's method on min cuts (the Dinkelbach/parametric max-flow argument).
     Start at ``t = 1``; if the max-flow cannot meet the demands, its min cut is a set of
     classes C whose usable grades T cannot cover them, and every feasible level satisfies
     ``sum_{c in C} g_c(t) <= stock(T) - fixed demands in C``; the largest such ``t`` is found
     exactly on the breakpoints of ``g``.  Retry there; each cut is used at most once and ``t``
     only decreases, so this ends at the optimum, typically after one to three max-flows.
   * *Blocked classes*: in the final max-flow, a class can still grow iff its node reaches the
     sink in the residual graph (some usable grade has spare stock, possibly after other
     classes move to other grades).  Classes that cannot are frozen at ``g_c(t)``: their usable
     grades are exhausted by classes that are themselves at level ``t`` or fixed, so no later
     stage can raise them without lowering someone at or below ``t``.  At least one class is
     blocked per stage, so there are at most as many stages as classes.

   All of this runs in ``fractions.Fraction`` on a network of a few dozen nodes: no tolerance,
   no floating point, so "blocked" is decided exactly.  (OR-Tools' network solvers are
   int64-only, and the stage levels are rationals whose denominators compound from stage to
   stage, so they cannot be scaled to integers safely.)  Each request's exact *fractional
   leximin share* is ``max(minimum, level * quantity)`` (``RequestResult.share``).  With one
   grade and no substitution this is exactly pro-rata.

5. **Whole units** (rule 6).  Every request gets ``floor(share)``; the leftover pieces go by
   largest remainder (ties: tier, then request id), each to a request whose class can still
   receive one more piece (an exact augmenting-path test).  The feasible "+1" sets form a
   matroid, so this greedy hands out every leftover piece: the integer allocation uses as
   much stock as the fractional one, which is a maximum flow.  Hence in piece mode, exactly:
   each request is less than one piece from its share, and no allocatable piece is left
   while a request that may use its grade is short.

6. **Minimal substitution** (rule 5).  With every request's quantity fixed, the grade each
   piece comes from is chosen lexicographically: as many pieces as possible of the requests'
   own grades, then of grades at most first substitutes, and so on, a grade's rank being its
   place in the request's list (own grade 0; a grade out of stock keeps its place).  This is
   stricter than "fewest substitution steps in total", which would rather give two requests
   a first substitute each than give one its own grade and the other its third choice.  It is
   one OR-Tools min-cost flow (exact integers) on (grade, rank) groups x grades, with rank
   costs on base ``min(groups, grades) + 1``: a simple residual cycle has at most that many
   group -> grade arcs each way, so its weighted cost has the sign of its lexicographic cost
   vector and the min-cost solution is lexicographically optimal.  Inside a group, requests
   in tier then id order take their own grade first.

7. **FEFO** (rule 7).  Within a grade, lots are used earliest expiry first (no expiry last,
   ties by lot id); requests draw in tier then id order, so tier 1 gets the shortest-dated
   lots and each request gets as few lines as possible.

8. **Whole boxes** (rule 6 with ``whole_boxes``).  The piece allocation above is computed on
   whole-box stock, then every line is rounded to its lot's boxes:

   a. dependent (pipage) rounding of the request x lot matrix, in pieces: along cycles and
      leaf-to-leaf paths of non-whole entries, pieces are shifted alternately, so every lot's
      total and every inner request's total stay fixed until some entry reaches a whole box.
      A request only moves when it has a single non-whole line, and then by less than one box
      of that lot.  Directions follow largest remainder and never take a request above its
      quantity or below its minimum; a request that cannot move either way with a partner
      rounds against its lot's unused stock (a fully served request gives up its part box);
   b. boxes left whole in a lot are handed, one at a time, to requests that may use the grade
      and still have room for the box (below-minimum first, then largest deficit, tier, id);
   c. a request still below its minimum re-chooses its boxes by an exact subset-sum over its
      own boxes, spare boxes and boxes others hold beyond their own minimums (minimums come
      first), after which step b runs again;
   d. lots of the same grade and box size are relabelled earliest-expiry first.

   Guaranteed with boxes: every line is whole boxes of its lot; nobody gets more than it
   asked for; every minimum is met, or :class:`AllocationError` names the requests (their
   ``[minimum, quantity]`` window holds no sum of the boxes available to them: in a sample of
   3,000 small random instances with mixed box sizes, 43 of the 44 reported were infeasible
   for any whole-box assignment); no whole box is left in a lot while a request that may use
   its grade is short by that box or more; FEFO holds among lots of the same box size.  A
   request ends less than one box (of a lot of a grade it may use) from its share, except
   that one handed spare boxes in step b may end above its share by those boxes, and one that
   gave boxes up in step c may end below it.  These cannot all be exact at once: a fully
   served request whose quantity is not a whole number of boxes must leave its part box, and
   "nothing left over" then needs someone else to receive more than their fractional share.

9. **Determinism** (rule 8).  Everything is sorted (lots by FEFO key and id, requests by tier
   and id, classes, grades); the result does not depend on input order.  Only
   ``stats.seconds`` and ``stats.phases`` vary between runs.

OR-Tools does the integer network work (max-flow for the minimums, min-cost flow for the
substitution); the leximin levels are rationals, so they are computed exactly in Python on
the small class network instead.  ``bench/allocation.py`` times the naive per-line LP model
(MathOpt, GLOP) against this; the tests check the result against it on random instances.

Explanations
============
``RequestResult.reason`` is an :class:`Explanation` with ``zh`` and ``en`` texts, e.g.
``第1梯队满足73%：医用外科口罩和医用防护口罩库存已分完`` /
``tier 1 filled to 73%: surgical and medical protective stock exhausted``, followed by what
else bound it (reserve held back, grades restricted to other tiers, no stock of a grade, a
guaranteed minimum, whole boxes).  ``TierResult.summary`` gives the level each class of the
tier reached.  Grade ids are opaque; pass ``grade_names={"surgical": ("医用外科口罩",
"surgical")}`` to :func:`allocate` to print display names.
"""

from __future__ import annotations

import heapq
import math
import numbers
import time
from bisect import bisect_right
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

from ortools.graph.python import max_flow, min_cost_flow

__all__ = [
    "Allocation",
    "AllocationError",
    "ClassLevel",
    "Explanation",
    "Line",
    "Lot",
    "Policy",
    "Request",
    "RequestResult",
    "Stats",
    "TierResult",
    "allocate",
]

# ---------------------------------------------------------------------------------------------
# Public data
# ---------------------------------------------------------------------------------------------


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

    ``share`` is the exact fractional leximin share; ``allocated`` is within one unit of it
    (see the module docstring for whole boxes).  ``level`` is the fill level its class reached
    (None when nothing was requested).  ``by_grade`` is pieces per grade it received.
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
    When ``level < 1`` every one of ``grades`` was exhausted.
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
    """How the allocation was computed.  Only ``seconds`` and ``phases`` vary between runs."""

    stages: int
    max_flows: int
    classes: int
    requests: int
    seconds: float
    phases: dict[str, float]


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


# ---------------------------------------------------------------------------------------------
# Input checks
# ---------------------------------------------------------------------------------------------

_SHOWN_PROBLEMS = 8


def _is_whole(value: object) -> bool:
    return type(value) is int or (
        isinstance(value, numbers.Integral) and not isinstance(value, bool)
    )


def _as_fraction(value: object) -> Fraction | None:
    """Exact value of a reserve fraction, or None if it is not a finite real number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        return Fraction(repr(value)) if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return Fraction(value) if value.is_finite() else None
    if isinstance(value, numbers.Rational):
        return Fraction(value.numerator, value.denominator)
    return None


def _check_input(lots: list[Lot], requests: list[Request], policy: Policy) -> dict[str, Fraction]:
    """Raise AllocationError listing every problem; return the reserves as exact fractions."""
    problems: list[tuple[str, str]] = []

    def bad(en: str, zh: str) -> None:
        problems.append((en, zh))

    def check_id(kind_en: str, kind_zh: str, value: object, seen: set, dups: list) -> bool:
        if not isinstance(value, str) or not value:
            bad(
                f"{kind_en} id must be a non-empty string, got {value!r}",
                f"{kind_zh}编号须为非空文本：{value!r}",
            )
            return False
        if value in seen:
            dups.append(value)
        seen.add(value)
        return True

    seen: set[str] = set()
    dups: list[str] = []
    for lot in lots:
        check_id("lot", "批次", lot.id, seen, dups)
        name_en, name_zh = f"lot {lot.id!r}", f"批次{lot.id}"
        if not isinstance(lot.grade, str) or not lot.grade:
            bad(f"{name_en}: grade must be a non-empty string", f"{name_zh}：品级须为非空文本")
        if not _is_whole(lot.quantity) or lot.quantity < 0:
            bad(
                f"{name_en}: quantity must be a whole number of pieces ≥ 0, got {lot.quantity!r}",
                f"{name_zh}：数量须为不小于0的整数（件），实为{lot.quantity!r}",
            )
        if not _is_whole(lot.pieces_per_box) or lot.pieces_per_box < 1:
            bad(
                f"{name_en}: pieces per box must be a whole number ≥ 1, got {lot.pieces_per_box!r}",
                f"{name_zh}：每箱件数须为不小于1的整数，实为{lot.pieces_per_box!r}",
            )
        if lot.expires_on is not None and (
            not isinstance(lot.expires_on, date) or isinstance(lot.expires_on, datetime)
        ):
            bad(
                f"{name_en}: expires_on must be a date or None, got {lot.expires_on!r}",
                f"{name_zh}：有效期须为日期或空，实为{lot.expires_on!r}",
            )
    if dups:
        shown = ", ".join(sorted(set(dups))[:_SHOWN_PROBLEMS])
        bad(f"duplicate lot ids: {shown}", f"批次编号重复：{shown}")

    seen, dups = set(), []
    for req in requests:
        check_id("request", "申请", req.id, seen, dups)
        name_en, name_zh = f"request {req.id!r}", f"申请{req.id}"
        if not isinstance(req.recipient, str):
            bad(f"{name_en}: recipient must be a string", f"{name_zh}：收货单位须为文本")
        if not isinstance(req.grade, str) or not req.grade:
            bad(f"{name_en}: grade must be a non-empty string", f"{name_zh}：品级须为非空文本")
        if not _is_whole(req.tier):
            bad(
                f"{name_en}: tier must be a whole number, got {req.tier!r}",
                f"{name_zh}：梯队须为整数，实为{req.tier!r}",
            )
        quantity_ok = _is_whole(req.quantity) and req.quantity >= 0
        minimum_ok = _is_whole(req.minimum) and req.minimum >= 0
        if not quantity_ok:
            bad(
                f"{name_en}: quantity must be a whole number of pieces ≥ 0, got {req.quantity!r}",
                f"{name_zh}：申请数量须为不小于0的整数（件），实为{req.quantity!r}",
            )
        if not minimum_ok:
            bad(
                f"{name_en}: minimum must be a whole number of pieces ≥ 0, got {req.minimum!r}",
                f"{name_zh}：保底数量须为不小于0的整数（件），实为{req.minimum!r}",
            )
        if quantity_ok and minimum_ok and req.minimum > req.quantity:
            bad(
                f"{name_en}: minimum {req.minimum} is above the quantity {req.quantity}",
                f"{name_zh}：保底数量{req.minimum}超过申请数量{req.quantity}",
            )
    if dups:
        shown = ", ".join(sorted(set(dups))[:_SHOWN_PROBLEMS])
        bad(f"duplicate request ids: {shown}", f"申请编号重复：{shown}")

    reserves: dict[str, Fraction] = {}
    if not isinstance(policy.reserve, Mapping):
        bad("policy.reserve must map grades to fractions", "预留比例须为“品级→比例”的对应表")
    else:
        for grade, value in policy.reserve.items():
            exact = _as_fraction(value)
            if exact is None or not 0 <= exact < 1:
                bad(
                    f"reserve for grade {grade!r} must be in [0, 1), got {value!r}",
                    f"品级{grade}的预留比例须在[0, 1)之内，实为{value!r}",
                )
            else:
                reserves[grade] = exact
    if not isinstance(policy.substitutes, Mapping):
        bad(
            "policy.substitutes must map grades to lists of grades",
            "替代表须为“品级→品级列表”的对应表",
        )
    else:
        for grade, options in policy.substitutes.items():
            if isinstance(options, str | bytes) or not isinstance(options, Sequence):
                # A set has no order, and the order is the preference (rule 5).
                bad(
                    f"substitutes for grade {grade!r} must be a list of grades in order of "
                    f"preference, got {options!r}",
                    f"品级{grade}的替代品级须为按优先顺序排列的列表，实为{options!r}",
                )
            elif not all(isinstance(g, str) for g in options):
                bad(
                    f"substitutes for grade {grade!r} must be grade ids (strings)",
                    f"品级{grade}的替代品级须为品级编号（文本）",
                )
    if not isinstance(policy.tier_grades, Mapping):
        bad(
            "policy.tier_grades must map grades to sets of tiers",
            "品级梯队限制须为“品级→梯队集合”的对应表",
        )
    else:
        for grade, tiers in policy.tier_grades.items():
            if (
                isinstance(tiers, str | bytes)
                or not isinstance(tiers, Iterable)
                or not all(_is_whole(t) for t in tiers)
            ):
                bad(
                    f"tier_grades for grade {grade!r} must be a set of whole tiers, got {tiers!r}",
                    f"品级{grade}的可用梯队须为整数集合，实为{tiers!r}",
                )

    if problems:
        extra = len(problems) - _SHOWN_PROBLEMS
        en = "; ".join(p[0] for p in problems[:_SHOWN_PROBLEMS])
        zh = "；".join(p[1] for p in problems[:_SHOWN_PROBLEMS])
        if extra > 0:
            en += f"; and {extra} more"
            zh += f"；另有{extra}处"
        raise AllocationError(f"invalid allocation input: {en}", f"分配输入有误：{zh}", problems)
    return reserves


# ---------------------------------------------------------------------------------------------
# Exact flow on the class x grade network
# ---------------------------------------------------------------------------------------------


class _Flow:
    """A flow source -> class -> grade -> sink in exact arithmetic (ints or Fractions).

    Source -> class arcs carry the class demand, class -> grade arcs are uncapacitated (only
    where the class may use the grade), grade -> sink arcs carry the grade's allocatable stock.
    The network has a few dozen nodes, so plain augmenting paths are fast.
    """

    __slots__ = ("nbrs", "users", "supply", "flow", "used", "out", "cut")

    def __init__(self, nbrs: list[tuple[int, ...]], users: list[list[int]], supply: list[int]):
        self.nbrs = nbrs
        self.users = users
        self.supply = supply
        self.flow: list[dict[int, object]] = [{} for _ in nbrs]
        self.used: list = [0] * len(supply)
        self.out: list = [0] * len(nbrs)
        self.cut: tuple[set[int], set[int]] = (set(), set())

    def _push(self, c: int, g: int, amount) -> None:
        value = self.flow[c].get(g, 0) + amount
        if value:
            self.flow[c][g] = value
        else:
            self.flow[c].pop(g, None)
        self.used[g] += amount
        self.out[c] += amount

    def fill(self, demand: list) -> bool:
        """Raise the flow to ``demand`` (from below).  False, with ``cut`` set, if impossible."""
        supply, used, out = self.supply, self.used, self.out
        for c, grades in enumerate(self.nbrs):
            need = demand[c] - out[c]
            for g in grades:
                if need <= 0:
                    break
                spare = supply[g] - used[g]
                if spare > 0:
                    amount = need if need < spare else spare
                    self._push(c, g, amount)
                    need -= amount
        while True:
            starts = [c for c in range(len(self.nbrs)) if demand[c] > out[c]]
            if not starts:
                return True
            if not self._augment(starts, lambda c: demand[c] - out[c]):
                return False

    def add_one(self, c: int) -> bool:
        """Send one more unit from class ``c`` if the network allows it (integers only)."""
        for g in self.nbrs[c]:
            if self.supply[g] > self.used[g]:
                self._push(c, g, 1)
                return True
        return self._augment([c], lambda _c: 1)

    def _augment(self, starts: list[int], room) -> bool:
        """One augmenting path by breadth-first search; sets ``cut`` when there is none."""
        supply, used, flow = self.supply, self.used, self.flow
        reached_by: dict[int, int] = {}  # grade -> class that reaches it (forward arc)
        gives_up: dict[int, int] = {}  # class -> grade it would send less to (reverse arc)
        seen = set(starts)
        queue = deque(starts)
        while queue:
            c = queue.popleft()
            for g in self.nbrs[c]:
                if g in reached_by:
                    continue
                reached_by[g] = c
                if supply[g] > used[g]:
                    self._apply(g, reached_by, gives_up, room)
                    return True
                for other in self.users[g]:
                    if other not in seen and g in flow[other]:
                        seen.add(other)
                        gives_up[other] = g
                        queue.append(other)
        self.cut = (seen, set(reached_by))
        return False

    def _apply(self, g: int, reached_by: dict, gives_up: dict, room) -> None:
        steps = []
        amount = self.supply[g] - self.used[g]
        while True:
            c = reached_by[g]
            steps.append((c, g, 1))
            previous = gives_up.get(c)
            if previous is None:
                amount = min(amount, room(c))
                break
            steps.append((c, previous, -1))
            amount = min(amount, self.flow[c][previous])
            g = previous
        for c, grade, sign in steps:
            self._push(c, grade, amount if sign > 0 else -amount)

    def open_classes(self) -> set[int]:
        """Classes whose node reaches the sink in the residual graph (they could still grow)."""
        open_grades = {g for g in range(len(self.supply)) if self.supply[g] > self.used[g]}
        queue = deque(sorted(open_grades))
        open_classes: set[int] = set()
        while queue:
            g = queue.popleft()
            for c in self.users[g]:
                if c not in open_classes:
                    open_classes.add(c)
                    for other in self.flow[c]:
                        if other not in open_grades:
                            open_grades.add(other)
                            queue.append(other)
        return open_classes


# ---------------------------------------------------------------------------------------------
# Internal model
# ---------------------------------------------------------------------------------------------


@dataclass
class _Elig:
    """What requests of one (grade, tier) may use."""

    pref: tuple[str, ...]  # the substitution list, own grade first
    usable: tuple[str, ...]  # pref minus grades restricted away from the tier
    restricted: tuple[str, ...]  # pref grades restricted away from the tier
    avail: tuple[int, ...]  # usable grades with allocatable stock (graph indices, pref order)
    ranks: tuple[int, ...]  # each avail grade's position in pref (0: its own grade)
    empty: tuple[str, ...]  # usable grades with no allocatable stock


@dataclass
class _Class:
    index: int
    tier: int
    grades: tuple[int, ...]  # sorted graph grade indices
    members: list[int]
    demand: int = 0
    min_total: int = 0
    zero_q: int = 0  # sum of quantities of members without a minimum
    betas: list[Fraction] = field(default_factory=list)  # minimum/quantity, ascending
    q_prefix: list[int] = field(default_factory=lambda: [0])
    m_prefix: list[int] = field(default_factory=lambda: [0])
    level: Fraction | None = None
    total: Fraction | int | None = None
    stage: int = 0
    factor: int = 0  # level * scale (set with the shares)

    def piece(self, t: Fraction) -> tuple[int, int]:
        """(const, slope) of g(t) = const + slope * t on the segment containing t."""
        i = bisect_right(self.betas, t)
        return self.m_prefix[-1] - self.m_prefix[i], self.zero_q + self.q_prefix[i]

    def need(self, t: Fraction) -> Fraction:
        """g(t) = sum over members of max(minimum, t * quantity)."""
        const, slope = self.piece(t)
        return const + slope * t


def _fefo_key(lot: Lot) -> tuple:
    return (lot.expires_on is None, lot.expires_on or date.min, lot.id)


def _level_for(classes: list[_Class], room: Fraction, t_lo: Fraction, t_hi: Fraction) -> Fraction:
    """The largest t in [t_lo, t_hi) with sum of g_c(t) <= room (exact)."""

    def total(t: Fraction) -> Fraction:
        return sum((c.need(t) for c in classes), Fraction(0))

    points = [t_lo] + sorted({b for c in classes for b in c.betas if t_lo < b < t_hi})
    lo, hi = 0, len(points) - 1
    if total(points[0]) > room:
        raise RuntimeError("allocation solver: a cut is violated at a feasible level")
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if total(points[mid]) <= room:
            lo = mid
        else:
            hi = mid - 1
    const = slope = 0
    for c in classes:
        k, s = c.piece(points[lo])
        const += k
        slope += s
    if slope <= 0:
        raise RuntimeError("allocation solver: flat cut segment")
    return (room - const) / slope


# ---------------------------------------------------------------------------------------------
# Words
# ---------------------------------------------------------------------------------------------


class _Words:
    def __init__(self, names: Mapping[str, str | tuple[str, str]] | None):
        self.names = dict(names or {})

    def zh(self, grade: str) -> str:
        name = self.names.get(grade, grade)
        return name if isinstance(name, str) else name[0]

    def en(self, grade: str) -> str:
        name = self.names.get(grade, grade)
        return name if isinstance(name, str) else name[1]

    @staticmethod
    def join_zh(items: Sequence[str], last: str = "和") -> str:
        if len(items) <= 1:
            return "".join(items)
        return "、".join(items[:-1]) + last + items[-1]

    @staticmethod
    def join_en(items: Sequence[str], last: str = "and") -> str:
        if len(items) <= 1:
            return "".join(items)
        return ", ".join(items[:-1]) + f" {last} " + items[-1]

    def grades_zh(self, grades: Sequence[str], last: str = "和") -> str:
        return self.join_zh([self.zh(g) for g in grades], last)

    def grades_en(self, grades: Sequence[str], last: str = "and") -> str:
        return self.join_en([self.en(g) for g in grades], last)

    @staticmethod
    def tiers_zh(tiers: Sequence[int]) -> str:
        return "第" + "、".join(str(t) for t in tiers) + "梯队" if tiers else "任何梯队"

    @staticmethod
    def tiers_en(tiers: Sequence[int]) -> str:
        if not tiers:
            return "no tier"
        word = "tier" if len(tiers) == 1 else "tiers"
        return f"{word} " + _Words.join_en([str(t) for t in tiers])


def _percent(value: Fraction) -> str:
    """A level as a percentage that never shows 100 below 1 nor 0 above 0."""
    if value >= 1:
        return "100"
    hundred = value * 100
    whole = math.floor(hundred + Fraction(1, 2))
    if whole >= 100:
        return f"{math.floor(hundred * 10) / 10:g}"
    if whole == 0 and value > 0:
        return "<1"
    return str(whole)


def _reserve_percent(value: Fraction) -> str:
    hundred = value * 100
    if hundred.denominator == 1:
        return str(hundred.numerator)
    return f"{float(hundred):.2f}".rstrip("0").rstrip(".")


# ---------------------------------------------------------------------------------------------
# allocate
# ---------------------------------------------------------------------------------------------


def allocate(
    lots: Iterable[Lot],
    requests: Iterable[Request],
    policy: Policy | None = None,
    *,
    grade_names: Mapping[str, str | tuple[str, str]] | None = None,
) -> Allocation:
    """Share the allocatable stock of ``lots`` among ``requests`` under ``policy``.

    ``grade_names`` maps grade ids to a display name, or to a ``(zh, en)`` pair, for the
    explanations.  Raises :class:`AllocationError` for bad input and for minimums the stock
    cannot cover.  See the module docstring for the rules and what is guaranteed.
    """
    return _Solver(list(lots), list(requests), policy or Policy(), _Words(grade_names)).run()


class _Solver:
    def __init__(self, lots: list[Lot], requests: list[Request], policy: Policy, words: _Words):
        self.started = time.perf_counter()
        self.phases: dict[str, float] = {}
        self.reserves = _check_input(lots, requests, policy)
        self.policy = policy
        self.words = words
        self.boxes = bool(policy.whole_boxes)
        self.lots = sorted(lots, key=_fefo_key)
        self.reqs = sorted(requests, key=lambda r: (r.tier, r.id))
        self.stages = 0
        self.max_flows = 0

    def _tick(self, phase: str, since: float) -> float:
        now = time.perf_counter()
        self.phases[phase] = self.phases.get(phase, 0.0) + now - since
        return now

    # -- the pipeline ---------------------------------------------------------------------------

    def run(self) -> Allocation:
        mark = self.started
        self._stock()
        self._classify()
        mark = self._tick("prepare", mark)
        self._check_minimums()
        mark = self._tick("minimums", mark)
        self._leximin()
        mark = self._tick("leximin", mark)
        self._shares()
        self._round()
        mark = self._tick("rounding", mark)
        self._substitute()
        self._fefo()
        mark = self._tick("lots", mark)
        if self.boxes:
            self._boxes()
            mark = self._tick("boxes", mark)
        return self._result(mark)

    # -- stock and reserve (rule 1) ---------------------------------------------------------------

    def _stock(self) -> None:
        by_grade: dict[str, list[int]] = {}
        for i, lot in enumerate(self.lots):
            by_grade.setdefault(lot.grade, []).append(i)
        self.lot_grades = sorted(by_grade)
        self.held_back: dict[str, int] = {}
        self.held_from = [0] * len(self.lots)
        for grade in self.lot_grades:
            indices = by_grade[grade]
            total = sum(self.lots[i].quantity for i in indices)
            hold = math.ceil(self.reserves.get(grade, Fraction(0)) * total)
            self.held_back[grade] = hold
            for i in reversed(indices):  # latest-expiring first
                take = min(hold, self.lots[i].quantity)
                self.held_from[i] = take
                hold -= take
        self.allocatable = [
            lot.quantity - held for lot, held in zip(self.lots, self.held_from, strict=True)
        ]
        self.box = [lot.pieces_per_box if self.boxes else 1 for lot in self.lots]
        self.cap = [a - a % w for a, w in zip(self.allocatable, self.box, strict=True)]
        stock: dict[str, int] = {}
        for lot, cap in zip(self.lots, self.cap, strict=True):
            stock[lot.grade] = stock.get(lot.grade, 0) + cap
        self.grades = [g for g in self.lot_grades if stock[g] > 0]  # graph grades
        self.gindex = {g: i for i, g in enumerate(self.grades)}
        self.supply = [stock[g] for g in self.grades]
        self.stock = stock
        self.grade_lots: list[list[int]] = [[] for _ in self.grades]
        for i, lot in enumerate(self.lots):
            if self.cap[i] > 0:
                self.grade_lots[self.gindex[lot.grade]].append(i)

    # -- eligibility and classes (rule 2) ---------------------------------------------------------

    def _eligibility(self, grade: str, tier: int) -> _Elig:
        listed = self.policy.substitutes.get(grade, [grade])
        ordered = list(dict.fromkeys(listed))
        if grade in ordered:
            ordered.remove(grade)
            ordered.insert(0, grade)
        usable, restricted = [], []
        for g in ordered:
            allowed = self.policy.tier_grades.get(g)
            (usable if allowed is None or tier in allowed else restricted).append(g)
        avail = tuple(self.gindex[g] for g in usable if g in self.gindex)
        ranks = tuple(ordered.index(g) for g in usable if g in self.gindex)
        empty = tuple(g for g in usable if g not in self.gindex)
        return _Elig(tuple(ordered), tuple(usable), tuple(restricted), avail, ranks, empty)

    def _classify(self) -> None:
        cache: dict[tuple[str, int], _Elig] = {}
        self.elig: list[_Elig] = []
        self.cls: list[int] = []
        keys: dict[tuple[int, tuple[int, ...]], int] = {}
        self.classes: list[_Class] = []
        for r, req in enumerate(self.reqs):
            key = (req.grade, req.tier)
            elig = cache.get(key)
            if elig is None:
                elig = cache[key] = self._eligibility(req.grade, req.tier)
            self.elig.append(elig)
            if req.quantity == 0:
                self.cls.append(-1)
                continue
            ckey = (req.tier, tuple(sorted(elig.avail)))
            c = keys.get(ckey)
            if c is None:
                c = keys[ckey] = len(self.classes)
                self.classes.append(_Class(c, req.tier, ckey[1], []))
            self.classes[c].members.append(r)
            self.cls.append(c)
        for c in self.classes:
            with_min = []
            for r in c.members:
                req = self.reqs[r]
                c.demand += req.quantity
                c.min_total += req.minimum
                if req.minimum:
                    with_min.append(
                        (Fraction(req.minimum, req.quantity), req.quantity, req.minimum)
                    )
                else:
                    c.zero_q += req.quantity
            with_min.sort()
            for beta, q, m in with_min:
                c.betas.append(beta)
                c.q_prefix.append(c.q_prefix[-1] + q)
                c.m_prefix.append(c.m_prefix[-1] + m)
        self.nbrs = [c.grades for c in self.classes]
        self.users: list[list[int]] = [[] for _ in self.grades]
        for c in self.classes:
            for g in c.grades:
                self.users[g].append(c.index)
        self.tier_list = sorted({req.tier for req in self.reqs})

    # -- minimums (rule 3) ----------------------------------------------------------------------

    def _check_minimums(self) -> None:
        """One OR-Tools max-flow per tier (that tier and all earlier ones together)."""
        shortfalls = []
        previous = 0
        total_supply = sum(self.supply)
        for tier in self.tier_list:
            chosen = [c for c in self.classes if c.tier <= tier and c.min_total > 0]
            wanted = sum(c.min_total for c in chosen)
            if not wanted:
                continue
            solver = max_flow.SimpleMaxFlow()
            source, sink = 0, 1
            grade_node = {g: 2 + i for i, g in enumerate(range(len(self.grades)))}
            base = 2 + len(self.grades)
            for g, node in grade_node.items():
                solver.add_arc_with_capacity(node, sink, self.supply[g])
            for i, c in enumerate(chosen):
                solver.add_arc_with_capacity(source, base + i, c.min_total)
                for g in c.grades:
                    solver.add_arc_with_capacity(base + i, grade_node[g], total_supply + 1)
            if solver.solve(source, sink) != solver.OPTIMAL:
                raise RuntimeError("allocation solver: max-flow failed")
            short = wanted - solver.optimal_flow()
            if short > previous:
                side = set(solver.get_source_side_min_cut())
                grades = [self.grades[g] for g, node in grade_node.items() if node in side]
                stuck = [c for i, c in enumerate(chosen) if base + i in side and c.tier == tier]
                no_grade = [
                    self.reqs[r].id
                    for c in stuck
                    if not c.grades
                    for r in c.members
                    if self.reqs[r].minimum
                ]
                shortfalls.append((tier, short - previous, grades, no_grade))
            previous = short
        if not shortfalls:
            return
        parts_en, parts_zh = [], []
        for tier, amount, grades, no_grade in shortfalls:
            en = f"tier {tier} is short by {amount:,} pieces"
            zh = f"第{tier}梯队缺{amount:,}件"
            if grades:
                en += f" ({self.words.grades_en(grades)} exhausted)"
                zh += f"（{self.words.grades_zh(grades)}已不足）"
            if no_grade:
                shown = ", ".join(no_grade[:_SHOWN_PROBLEMS])
                en += f"; requests with no usable stock: {shown}"
                zh += f"；无可用库存的申请：{shown}"
            parts_en.append(en)
            parts_zh.append(zh)
        raise AllocationError(
            "the allocatable stock cannot cover the guaranteed minimums: " + "; ".join(parts_en),
            "可分配库存不足以满足保底数量：" + "；".join(parts_zh),
        )

    # -- leximin over classes (rule 4) ------------------------------------------------------------

    def _leximin(self) -> None:
        classes = self.classes
        fixed: list = [None] * len(classes)
        for tier in self.tier_list:
            active = []
            for c in classes:
                if c.tier != tier:
                    continue
                if c.grades:
                    active.append(c)
                else:  # nothing usable in stock: level 0 from the start (minimum is 0)
                    c.level, c.total, c.stage = Fraction(0), 0, 0
                    fixed[c.index] = 0
            t_lo = Fraction(0)
            while active:
                base = [
                    fixed[c.index]
                    if fixed[c.index] is not None
                    else (c.min_total if c.tier > tier else 0)
                    for c in classes
                ]
                in_play = {c.index for c in active}
                t = Fraction(1)
                while True:
                    demand = list(base)
                    for c in active:
                        demand[c.index] = c.need(t)
                    flow = _Flow(self.nbrs, self.users, self.supply)
                    self.max_flows += 1
                    if flow.fill(demand):
                        break
                    cut_classes, cut_grades = flow.cut
                    room = sum(self.supply[g] for g in cut_grades) - sum(
                        demand[i] for i in cut_classes if i not in in_play
                    )
                    t = _level_for(
                        [c for c in active if c.index in cut_classes], Fraction(room), t_lo, t
                    )
                if t == 1:
                    frozen = list(active)
                else:
                    open_classes = flow.open_classes()
                    frozen = [c for c in active if c.index not in open_classes]
                    if not frozen:
                        raise RuntimeError("allocation solver: no class blocked at the level")
                self.stages += 1
                for c in frozen:
                    c.level, c.total, c.stage = t, c.need(t), self.stages
                    fixed[c.index] = c.total
                active = [c for c in active if c.level is None]
                t_lo = t

    def _shares(self) -> None:
        """Exact shares max(minimum, level * quantity), kept as integers over one denominator.

        ``scaled[r] = share * scale`` with ``scale`` the lcm of the level denominators, so that
        shares and remainders of different classes compare as plain (big) integers.
        """
        n = len(self.reqs)
        scale = math.lcm(1, *(c.level.denominator for c in self.classes))
        self.scale = scale
        self.scaled = [0] * n
        self.floor = [0] * n
        self.rem = [0] * n  # (share - floor) * scale
        for c in self.classes:
            c.factor = c.level.numerator * (scale // c.level.denominator)
            for r in c.members:
                req = self.reqs[r]
                value = max(req.minimum * scale, c.factor * req.quantity)
                self.scaled[r] = value
                self.floor[r], self.rem[r] = divmod(value, scale)

    def share(self, r: int) -> Fraction:
        """Request ``r``'s exact fractional leximin share."""
        c = self.cls[r]
        if c < 0:
            return Fraction(0)
        req, level = self.reqs[r], self.classes[c].level
        product = level.numerator * req.quantity
        if req.minimum * level.denominator >= product:
            return Fraction(req.minimum)
        return Fraction(product, level.denominator)

    # -- whole pieces (rule 6) ---------------------------------------------------------------------

    def _round(self) -> None:
        totals = [0] * len(self.classes)
        for r, c in enumerate(self.cls):
            if c >= 0:
                totals[c] += self.floor[r]
        flow = _Flow(self.nbrs, self.users, self.supply)
        if not flow.fill(totals):
            raise RuntimeError("allocation solver: rounded-down shares do not fit")
        self.alloc = list(self.floor)
        closed: set[int] = set()
        for _, r in sorted((-self.rem[r], r) for r in range(len(self.reqs)) if self.rem[r]):
            c = self.cls[r]
            if c in closed:
                continue
            if flow.add_one(c):
                self.alloc[r] += 1
            else:
                closed.add(c)

    # -- minimal substitution (rule 5) ---------------------------------------------------------

    def _substitute(self) -> None:
        groups: dict[tuple[tuple[int, int], ...], list[int]] = {}
        for r, amount in enumerate(self.alloc):
            if amount:
                elig = self.elig[r]
                groups.setdefault(tuple(zip(elig.avail, elig.ranks, strict=True)), []).append(r)
        self.takes: list[list[tuple[int, int]]] = [[] for _ in self.reqs]
        if not groups:
            return
        keys = sorted(groups)
        totals = [sum(self.alloc[r] for r in groups[k]) for k in keys]
        length = max(rank for k in keys for _, rank in k) + 1
        involved = {g for k in keys for g, _ in k}
        # A simple residual cycle has at most min(#groups, #grades) forward group->grade arcs,
        # so with base M = that + 1 the weighted cost has the sign of the lexicographic vector.
        base = min(len(keys), len(involved)) + 1
        costs = [sum(base ** (length - 2 - k) for k in range(j)) for j in range(length)]
        if costs[-1] * sum(totals) >= 2**62:
            raise AllocationError(
                "substitution lists are too long to optimise exactly; shorten them",
                "替代品级列表过长，无法精确求解，请缩短",
            )
        solver = min_cost_flow.SimpleMinCostFlow()
        sink = len(keys) + len(self.grades)
        arcs = []
        for p, key in enumerate(keys):
            solver.set_node_supply(p, totals[p])
            for g, rank in key:
                arc = solver.add_arc_with_capacity_and_unit_cost(
                    p, len(keys) + g, totals[p], costs[rank]
                )
                arcs.append((p, g, arc))
        for g in sorted(involved):
            solver.add_arc_with_capacity_and_unit_cost(len(keys) + g, sink, self.supply[g], 0)
            solver.set_node_supply(len(keys) + g, 0)
        solver.set_node_supply(sink, -sum(totals))
        if solver.solve() != solver.OPTIMAL:
            raise RuntimeError("allocation solver: substitution flow failed")
        amounts: dict[tuple[int, int], int] = {}
        for p, g, arc in arcs:
            amounts[(p, g)] = solver.flow(arc)
        for p, key in enumerate(keys):
            left = [amounts[(p, g)] for g, _ in key]
            gi = 0
            for r in groups[key]:  # tier, then id order
                need = self.alloc[r]
                while need:
                    while not left[gi]:
                        gi += 1
                    take = min(need, left[gi])
                    self.takes[r].append((key[gi][0], take))
                    left[gi] -= take
                    need -= take

    # -- lots, earliest expiry first (rule 7) -----------------------------------------------------

    def _fefo(self) -> None:
        position = [0] * len(self.grades)
        room = list(self.cap)
        self.entries: list[dict[int, int]] = [{} for _ in self.reqs]
        for r, takes in enumerate(self.takes):
            for g, amount in takes:
                lots = self.grade_lots[g]
                while amount:
                    lot = lots[position[g]]
                    take = min(amount, room[lot])
                    if take:
                        self.entries[r][lot] = self.entries[r].get(lot, 0) + take
                        room[lot] -= take
                        amount -= take
                    if not room[lot]:
                        position[g] += 1

    # -- whole boxes -------------------------------------------------------------------------------

    def _boxes(self) -> None:
        _BoxRounding(self).run()

    # -- results -----------------------------------------------------------------------------------

    def _result(self, mark: float) -> Allocation:
        lines: list[Line] = []
        given = [0] * len(self.reqs)
        used_by_lot = [0] * len(self.lots)
        requests: dict[str, RequestResult] = {}
        cache: dict[tuple, Explanation] = {}
        rank_of = [dict((g, k) for k, g in enumerate(e.avail)) for e in self.elig]
        for r, req in enumerate(self.reqs):
            by_grade: dict[str, int] = {}
            entries = list(self.entries[r].items())
            if len(entries) > 1:
                entries.sort(
                    key=lambda item: (rank_of[r][self.gindex[self.lots[item[0]].grade]], item[0])
                )
            for lot_index, quantity in entries:
                if not quantity:
                    continue
                lot = self.lots[lot_index]
                lines.append(Line(req.id, lot.id, lot.grade, quantity))
                by_grade[lot.grade] = by_grade.get(lot.grade, 0) + quantity
                given[r] += quantity
                used_by_lot[lot_index] += quantity
            c = self.cls[r]
            level = self.classes[c].level if c >= 0 else None
            requests[req.id] = RequestResult(
                request_id=req.id,
                recipient=req.recipient,
                tier=req.tier,
                grade=req.grade,
                requested=req.quantity,
                minimum=req.minimum,
                allocated=given[r],
                share=self.share(r),
                level=level,
                by_grade=by_grade,
                reason=self._reason(r, given[r], cache),
            )
        tiers: dict[int, TierResult] = {}
        for tier in self.tier_list:
            members = [r for r, req in enumerate(self.reqs) if req.tier == tier]
            fills = [given[r] / self.reqs[r].quantity for r in members if self.reqs[r].quantity]
            levels = []
            for c in self.classes:
                if c.tier == tier:
                    levels.append(
                        ClassLevel(
                            tier=tier,
                            grades=tuple(self.grades[g] for g in c.grades),
                            requests=len(c.members),
                            requested=c.demand,
                            allocated=sum(given[r] for r in c.members),
                            level=c.level,
                            stage=c.stage,
                        )
                    )
            levels.sort(key=lambda k: (k.level, k.grades))
            tiers[tier] = TierResult(
                tier=tier,
                requests=len(members),
                requested=sum(self.reqs[r].quantity for r in members),
                allocated=sum(given[r] for r in members),
                lowest_fill=min(fills, default=1.0),
                classes=tuple(levels),
                summary=self._summary(tier, levels),
            )
        left_over: dict[str, int] = {}
        for i, lot in enumerate(self.lots):
            left_over[lot.grade] = (
                left_over.get(lot.grade, 0) + self.allocatable[i] - used_by_lot[i]
            )
        self._tick("explain", mark)
        stats = Stats(
            stages=self.stages,
            max_flows=self.max_flows,
            classes=len(self.classes),
            requests=len(self.reqs),
            seconds=time.perf_counter() - self.started,
            phases=dict(self.phases),
        )
        return Allocation(
            lines=lines,
            requests=requests,
            tiers=tiers,
            held_back=dict(self.held_back),
            left_over=dict(sorted(left_over.items())),
            stats=stats,
        )

    def _reason(self, r: int, given: int, cache: dict) -> Explanation:
        """Why request ``r`` got ``given``: the level its class reached and what bound it."""
        req = self.reqs[r]
        if req.quantity == 0:
            return Explanation("未申请数量", "nothing requested")
        if given >= req.quantity:
            return Explanation("全额满足", "fully served")
        c = self.classes[self.cls[r]]
        at_minimum = req.minimum * self.scale > c.factor * req.quantity
        off_by_boxes = self.boxes and abs(given * self.scale - self.scaled[r]) >= self.scale
        key = (c.index, req.grade, at_minimum and req.minimum, off_by_boxes, c.level == 1 and given)
        found = cache.get(key)
        if found is not None:
            return found
        words, elig = self.words, self.elig[r]
        pct = _percent(c.level)
        zh: list[str] = []
        en: list[str] = []
        if c.level == 1:  # only whole boxes kept it from its full quantity
            head_zh = f"第{req.tier}梯队满足100%"
            head_en = f"tier {req.tier} filled to 100%"
            zh.append(f"按整箱分配，差{req.quantity - given:,}件不足一箱")
            en.append(f"whole boxes: {req.quantity - given:,} pieces short, less than a box")
        else:
            if at_minimum:
                head_zh = f"按保底数量{req.minimum:,}件分配，第{req.tier}梯队满足{pct}%"
                head_en = f"guaranteed minimum of {req.minimum:,} pieces; "
                head_en += f"tier {req.tier} filled to {pct}%"
            else:
                head_zh = f"第{req.tier}梯队满足{pct}%"
                head_en = f"tier {req.tier} filled to {pct}%"
            exhausted = [self.grades[g] for g in elig.avail]
            if exhausted:
                zh.append(f"{words.grades_zh(exhausted)}库存已分完")
                en.append(f"{words.grades_en(exhausted)} stock exhausted")
            for g in elig.restricted:
                allowed = sorted(self.policy.tier_grades.get(g, ()))
                zh.append(f"{words.zh(g)}仅限{words.tiers_zh(allowed)}")
                en.append(f"{words.en(g)} restricted to {words.tiers_en(allowed)}")
            if elig.empty:
                zh.append(f"{words.grades_zh(elig.empty)}无可分配库存")
                en.append(f"no {words.grades_en(elig.empty, 'or')} stock to allocate")
            if not elig.pref:
                zh.append("没有可用的品级")
                en.append("no grade it may use")
            for g in elig.usable:
                reserve = self.reserves.get(g, Fraction(0))
                if reserve and self.held_back.get(g):
                    zh.append(f"{words.zh(g)}预留{_reserve_percent(reserve)}%储备")
                    en.append(f"reserve of {_reserve_percent(reserve)}% of {words.en(g)} held back")
            if off_by_boxes:
                zh.append("按整箱取整")
                en.append("rounded to whole boxes")
        found = Explanation(head_zh + "：" + "；".join(zh), head_en + ": " + "; ".join(en))
        cache[key] = found
        return found

    def _summary(self, tier: int, levels: list[ClassLevel]) -> Explanation:
        words = self.words
        if not levels:
            return Explanation(f"第{tier}梯队：未申请数量", f"tier {tier}: nothing requested")
        if all(k.level == 1 for k in levels):
            return Explanation(f"第{tier}梯队：全额满足", f"tier {tier}: fully served")
        zh, en = [], []
        for k in levels:
            pct = _percent(k.level)
            if not k.grades:
                zh.append(f"无可用库存的需求满足{pct}%")
                en.append(f"requests with no usable stock {pct}%")
                continue
            part_zh = f"可用{words.grades_zh(k.grades, '或')}的需求满足{pct}%"
            part_en = f"{words.grades_en(k.grades, 'or')} requests {pct}%"
            if k.level < 1:
                part_zh += f"（{words.grades_zh(k.grades)}库存已分完）"
                part_en += f" ({words.grades_en(k.grades)} stock exhausted)"
            zh.append(part_zh)
            en.append(part_en)
        return Explanation(f"第{tier}梯队：" + "；".join(zh), f"tier {tier}: " + "; ".join(en))


# ---------------------------------------------------------------------------------------------
# Whole boxes: dependent rounding of the request x lot matrix, then hand out spare boxes
# ---------------------------------------------------------------------------------------------


class _BoxRounding:
    """Round every line to whole boxes of its lot (see the module docstring, point 8).

    Rows are requests (0..n-1) plus one "unused" row per lot (n + lot), so every lot's total
    is a whole number of boxes and no lot ever has exactly one non-whole entry.  Quantities
    are pieces throughout; an entry is whole when it is a multiple of its lot's box.
    """

    def __init__(self, solver: _Solver):
        self.s = solver
        self.n = len(solver.reqs)
        self.w = solver.box
        self.rows: dict[int, dict[int, int]] = {}
        self.cols: dict[int, dict[int, int]] = {lot: {} for lot in range(len(solver.lots))}
        for r, entries in enumerate(solver.entries):
            if entries:
                self.rows[r] = dict(entries)
                for lot, x in entries.items():
                    self.cols[lot][r] = x
        for lot in range(len(solver.lots)):
            unused = solver.cap[lot] - sum(self.cols[lot].values())
            if solver.cap[lot]:
                self.rows[self.n + lot] = {lot: unused}
                self.cols[lot][self.n + lot] = unused
        self.sum = list(solver.alloc)
        self.rank = [dict(zip(e.avail, e.ranks, strict=True)) for e in solver.elig]

    # -- helpers --

    def frac(self, r: int, lot: int) -> int:
        return self.rows[r][lot] % self.w[lot]

    def can_up(self, r: int, lot: int) -> bool:
        if r >= self.n:
            return True
        return self.sum[r] + self.w[lot] - self.frac(r, lot) <= self.s.reqs[r].quantity

    def can_down(self, r: int, lot: int) -> bool:
        if r >= self.n:
            return True
        return self.sum[r] - self.frac(r, lot) >= self.s.reqs[r].minimum

    def up_key(self, r: int, lot: int) -> tuple:
        """Within one lot, smaller rounds up first: largest remainder, then tier and id."""
        if r >= self.n:
            return (1, 0, r)
        return (0, -self.frac(r, lot), r)

    def rounds_up_first(self, a: int, lot_a: int, b: int, lot_b: int) -> bool:
        """Whether ``a`` (in ``lot_a``) has priority over ``b`` (in ``lot_b``) to round up."""
        if (a >= self.n) != (b >= self.n):
            return b >= self.n
        left = self.frac(a, lot_a) * self.w[lot_b]
        right = self.frac(b, lot_b) * self.w[lot_a]
        return left > right or (left == right and a < b)

    def lone(self, r: int, lot: int) -> tuple[int, int] | None:
        """New (request, unused-row) values that round a leaf against its lot's unused stock."""
        if r >= self.n:
            return None
        x, f, w = self.rows[r][lot], self.frac(r, lot), self.w[lot]
        unused = self.rows[self.n + lot][lot]
        if self.can_up(r, lot) and unused >= w - f:
            return x + w - f, unused - (w - f)
        if self.can_down(r, lot):
            return x - f, unused + f
        return None

    def move(self, r: int, lot: int, delta: int) -> None:
        value = self.rows[r][lot] + delta
        self.rows[r][lot] = value
        self.cols[lot][r] = value
        if r < self.n:
            self.sum[r] += delta

    # -- phases --

    def run(self) -> None:
        self.pair_within_lots()
        self.pipage()
        self.hand_out_spare_boxes()
        if self.repair_minimums():
            self.hand_out_spare_boxes()
        self.relabel_fefo()
        s = self.s
        short = [s.reqs[r] for r in range(self.n) if self.sum[r] < s.reqs[r].minimum]
        if short:
            shown = ", ".join(
                f"{req.id} (minimum {req.minimum:,}, quantity {req.quantity:,})"
                for req in short[:_SHOWN_PROBLEMS]
            )
            shown_zh = "，".join(
                f"{req.id}（保底{req.minimum:,}件，申请{req.quantity:,}件）"
                for req in short[:_SHOWN_PROBLEMS]
            )
            raise AllocationError(
                "whole boxes cannot meet these minimums without exceeding the quantity requested: "
                f"{shown}; lower the minimum to whole boxes or allocate in pieces",
                f"按整箱分配无法在不超过申请数量的前提下满足保底数量：{shown_zh}；请把保底数量调整为整箱，或按件分配",
            )
        s.entries = [
            {lot: x for lot, x in self.rows.get(r, {}).items() if x} for r in range(self.n)
        ]

    def row_degree(self) -> dict[int, int]:
        degree: dict[int, int] = {}
        for r, entries in self.rows.items():
            degree[r] = sum(1 for lot, x in entries.items() if x % self.w[lot])
        return degree

    def pair_within_lots(self) -> None:
        """Leaf requests (one non-whole line) of the same lot: largest remainders round up."""
        degree = self.row_degree()
        for lot, column in self.cols.items():
            w = self.w[lot]
            if w == 1:
                continue
            leaves = [r for r, x in column.items() if x % w and degree[r] == 1]
            if len(leaves) < 2:
                continue
            leaves.sort(key=lambda r: self.up_key(r, lot))
            i, j = 0, len(leaves) - 1
            while i < j:
                up, down = leaves[i], leaves[j]
                if not self.can_up(up, lot):
                    i += 1
                    continue
                if not self.can_down(down, lot):
                    j -= 1
                    continue
                delta = min(w - self.frac(up, lot), self.frac(down, lot))
                self.move(up, lot, delta)
                self.move(down, lot, -delta)
                if not self.frac(up, lot):
                    i += 1
                if not self.frac(down, lot):
                    j -= 1
            # Leaves that may only move one way and found no partner here round on their own
            # against the lot's unused stock (a request at its quantity gives up its part box).
            for r in leaves:
                if (
                    r < self.n
                    and self.frac(r, lot)
                    and not (self.can_up(r, lot) and self.can_down(r, lot))
                ):
                    values = self.lone(r, lot)
                    if values is not None:
                        self.move(r, lot, values[0] - self.rows[r][lot])
                        self.move(self.n + lot, lot, values[1] - self.rows[self.n + lot][lot])

    def pipage(self) -> None:
        """Cycles and leaf-to-leaf paths of non-whole entries until every entry is whole."""
        w = self.w
        adj: dict[tuple[int, int], set[tuple[int, int]]] = {}
        starts: list[tuple[int, int]] = []  # heap of every vertex that had a non-whole entry

        def link(r: int, lot: int) -> None:
            for vertex, other in (((0, r), (1, lot)), ((1, lot), (0, r))):
                if vertex not in adj:
                    adj[vertex] = set()
                    heapq.heappush(starts, vertex)
                adj[vertex].add(other)

        def unlink(r: int, lot: int) -> None:
            adj[(0, r)].discard((1, lot))
            adj[(1, lot)].discard((0, r))

        for r, entries in self.rows.items():
            for lot, x in entries.items():
                if x % w[lot]:
                    link(r, lot)
        leaves: list[int] = []  # rows that may be leaves (checked when popped)

        def note_leaf(r: int) -> None:
            if len(adj.get((0, r), ())) == 1:
                heapq.heappush(leaves, r)

        for kind, r in sorted(adj):
            if kind == 0:
                note_leaf(r)

        def set_value(r: int, lot: int, value: int) -> None:
            was = self.rows[r][lot] % w[lot] != 0
            self.move(r, lot, value - self.rows[r][lot])
            now = value % w[lot] != 0
            if was and not now:
                unlink(r, lot)
            elif now and not was:
                link(r, lot)
            note_leaf(r)

        def shift(edges: list[tuple[int, int]], direction: int) -> None:
            steps = []
            for k, (r, lot) in enumerate(edges):
                sign = direction if k % 2 == 0 else -direction
                x = self.rows[r][lot]
                steps.append(w[lot] - x % w[lot] if sign > 0 else x % w[lot])
            delta = min(steps)
            touched = []
            for k, (r, lot) in enumerate(edges):
                sign = direction if k % 2 == 0 else -direction
                touched.append((r, lot, self.rows[r][lot] + sign * delta))
            for r, lot, value in touched:
                set_value(r, lot, value)

        def edges_of(vertices: list[tuple[int, int]], closed: bool) -> list[tuple[int, int]]:
            pairs = list(
                zip(vertices, vertices[1:] + vertices[:1] if closed else vertices[1:], strict=False)
            )
            return [(a[1], b[1]) if a[0] == 0 else (b[1], a[1]) for a, b in pairs]

        while True:
            start = None
            while leaves:
                r = heapq.heappop(leaves)
                if len(adj.get((0, r), ())) == 1:
                    start = (0, r)
                    break
            while start is None and starts:
                vertex = starts[0]
                if adj[vertex]:
                    start = vertex
                else:
                    heapq.heappop(starts)
            if start is None:
                return
            path, where, previous, v = [start], {start: 0}, None, start
            cycle = None
            while True:
                u = min((u for u in adj[v] if u != previous), default=None)
                if u is None:
                    break
                if u in where:
                    cycle = path[where[u] :]
                    break
                where[u] = len(path)
                path.append(u)
                previous, v = v, u
            if cycle is not None:
                edges = edges_of(cycle, closed=True)
                # Prefer the direction that does not add substitution (rank of grade per request).
                score = 0
                for k, (r, lot) in enumerate(edges):
                    if r < self.n:
                        rank = self.rank[r][self.s.gindex[self.s.lots[lot].grade]]
                        score += rank if k % 2 == 0 else -rank
                shift(edges, -1 if score > 0 else 1)
                for vertex in path:
                    if vertex[0] == 0:
                        note_leaf(vertex[1])
                continue
            if len(adj[start]) != 1:  # walked from a non-leaf into a leaf: walk back from it
                heapq.heappush(leaves, v[1])
                continue
            # A path between two leaf rows (columns are never leaves).
            edges = edges_of(path, closed=False)
            (a, lot_a), (b, lot_b) = edges[0], edges[-1]
            forward = self.can_up(a, lot_a) and self.can_down(b, lot_b)
            backward = self.can_down(a, lot_a) and self.can_up(b, lot_b)
            if forward and backward:
                direction = 1 if self.rounds_up_first(a, lot_a, b, lot_b) else -1
                shift(edges, direction)
            elif forward or backward:
                shift(edges, 1 if forward else -1)
            else:
                r, lot = (a, lot_a) if self.lone(a, lot_a) is not None else (b, lot_b)
                values = self.lone(r, lot)
                if values is None:
                    # Both ends are requests whose [minimum, quantity] window is narrower than
                    # the box: keep the quantity and round down; the minimum repair follows.
                    r, lot = (a, lot_a) if a < self.n else (b, lot_b)
                    f = self.frac(r, lot)
                    values = (self.rows[r][lot] - f, self.rows[self.n + lot][lot] + f)
                set_value(self.n + lot, lot, values[1])
                set_value(r, lot, values[0])
            for vertex in path:
                if vertex[0] == 0:
                    note_leaf(vertex[1])

    def hand_out_spare_boxes(self) -> None:
        """Give boxes no one could take at their share to requests with room for a whole box."""
        s = self.s
        spare = [0] * len(s.lots)
        for lot in range(len(s.lots)):
            if s.cap[lot]:
                spare[lot] = self.rows[self.n + lot][lot] // self.w[lot]
        if not any(spare):
            return

        def key(r: int) -> tuple:
            below = 0 if self.sum[r] < s.reqs[r].minimum else 1
            return (below, self.sum[r] * s.scale - s.scaled[r], r)

        heap = []
        for r in range(self.n):
            if self.sum[r] < s.reqs[r].quantity and any(
                spare[lot] for g in s.elig[r].avail for lot in s.grade_lots[g]
            ):
                heap.append((key(r), r))
        heapq.heapify(heap)
        while heap:
            _, r = heapq.heappop(heap)
            room = s.reqs[r].quantity - self.sum[r]
            chosen = None
            for g in s.elig[r].avail:
                for lot in s.grade_lots[g]:
                    if spare[lot] and self.w[lot] <= room:
                        chosen = lot
                        break
                if chosen is not None:
                    break
            if chosen is None:
                continue
            spare[chosen] -= 1
            dummy = self.n + chosen
            self.rows[dummy][chosen] -= self.w[chosen]
            self.cols[chosen][dummy] -= self.w[chosen]
            self.rows.setdefault(r, {})
            self.rows[r][chosen] = self.rows[r].get(chosen, 0) + self.w[chosen]
            self.cols[chosen][r] = self.rows[r][chosen]
            self.sum[r] += self.w[chosen]
            if self.sum[r] < s.reqs[r].quantity:
                heapq.heappush(heap, (key(r), r))

    def repair_minimums(self) -> bool:
        """Re-choose the boxes of a request still below its minimum (minimums come first).

        The pool is its own boxes, the spare boxes of lots it may use, and boxes other
        requests hold in those lots beyond their own minimums.  An exact subset-sum (Python
        ints as bitsets) picks the total in [minimum, quantity] closest to its share, drawing
        on earlier-expiring lots first; boxes come from its own lines, then spare stock, then
        other requests (later tiers, and those furthest above their share, first).
        """
        s = self.s
        changed = False
        for r in range(self.n):
            req = s.reqs[r]
            if self.sum[r] >= req.minimum:
                continue
            own = self.rows.setdefault(r, {})
            pool = []  # (lot, box, boxes this request could hold)
            for g in s.elig[r].avail:
                for lot in s.grade_lots[g]:
                    w = self.w[lot]
                    count = own.get(lot, 0) // w + self.rows[self.n + lot][lot] // w
                    for other, x in self.cols[lot].items():
                        if other != r and other < self.n and x:
                            count += min(x, self.sum[other] - s.reqs[other].minimum) // w
                    count = min(count, req.quantity // w)
                    if count:
                        pool.append((lot, w, count))
            reach = [1]
            mask = (1 << (req.quantity + 1)) - 1
            for _, w, count in pool:
                bits = reach[-1]
                for _ in range(count):
                    bits |= (bits << w) & mask
                reach.append(bits)
            candidates = [x for x in range(req.minimum, req.quantity + 1) if reach[-1] >> x & 1]
            if not candidates:
                continue
            target = min(candidates, key=lambda x: (abs(x * s.scale - s.scaled[r]), x))
            for i in range(len(pool) - 1, -1, -1):  # later lots take as little as possible
                lot, w, count = pool[i]
                k = next(
                    k
                    for k in range(count + 1)
                    if target - k * w >= 0 and reach[i] >> (target - k * w) & 1
                )
                target -= k * w
                self.set_boxes(r, lot, k * w)
            changed = True
        return changed

    def set_boxes(self, r: int, lot: int, value: int) -> None:
        """Give request ``r`` exactly ``value`` pieces of ``lot``: from or to spare, then donors."""
        s = self.s
        dummy = self.n + lot
        change = value - self.rows[r].get(lot, 0)
        self.move_between(
            r, dummy, lot, change if change < 0 else min(change, self.rows[dummy][lot])
        )
        change = value - self.rows[r].get(lot, 0)
        donors = sorted(
            (other for other, x in self.cols[lot].items() if other != r and other < self.n and x),
            key=lambda o: (-s.reqs[o].tier, s.scaled[o] - self.sum[o] * s.scale, -o),
        )
        for other in donors:
            if change <= 0:
                break
            give = min(self.rows[other][lot], self.sum[other] - s.reqs[other].minimum, change)
            give -= give % self.w[lot]
            if give > 0:
                self.move_between(r, other, lot, give)
                change -= give

    def move_between(self, taker: int, giver: int, lot: int, amount: int) -> None:
        if not amount:
            return
        self.rows.setdefault(taker, {})
        self.rows[taker][lot] = self.rows[taker].get(lot, 0) + amount
        self.cols[lot][taker] = self.rows[taker][lot]
        self.rows[giver][lot] -= amount
        self.cols[lot][giver] = self.rows[giver][lot]
        if taker < self.n:
            self.sum[taker] += amount
        if giver < self.n:
            self.sum[giver] -= amount

    def relabel_fefo(self) -> None:
        """Within a grade and box size, move boxes from later lots to earlier lots with spare."""
        s = self.s
        for lots in s.grade_lots:
            for size in sorted({self.w[lot] for lot in lots}):
                same = [lot for lot in lots if self.w[lot] == size]
                i, j = 0, len(same) - 1
                holders: deque[int] | None = None
                while i < j:
                    early, late = same[i], same[j]
                    free = self.rows[self.n + early][early]
                    if free < size:
                        i += 1
                        continue
                    if holders is None:
                        holders = deque(
                            sorted(
                                (r for r, x in self.cols[late].items() if r < self.n and x),
                                reverse=True,
                            )
                        )
                    while holders and not self.rows[holders[0]][late]:
                        holders.popleft()
                    if not holders:
                        j -= 1
                        holders = None
                        continue
                    r = holders[0]
                    amount = min(free, self.rows[r][late]) // size * size
                    self.move_between(self.n + late, r, late, amount)
                    self.move_between(r, self.n + early, early, amount)
