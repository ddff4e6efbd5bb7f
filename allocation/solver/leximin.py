"""Leximin water-filling over classes of interchangeable requests, one tier at a time.

A *class* is the requests of one tier that may use exactly the same grades in stock: they
compete for exactly the same stock, so the fairness question is answered on classes (a few
dozen) instead of requests (50,000).  At a common level ``t`` request ``r`` needs
``max(minimum, t * quantity)`` and the class needs ``g_c(t)``, a convex piecewise-linear
function.  One stage finds the highest ``t`` at which every unfrozen class of the tier can get
``g_c(t)`` (earlier tiers held at their totals, later tiers at their minimums):

* *Level*: Newton's method on min cuts (the Dinkelbach/parametric max-flow argument).  Start
  at ``t = 1``; if the max-flow cannot meet the demands, its min cut is a set of classes C
  whose usable grades T cannot cover them, and every feasible level satisfies
  ``sum_{c in C} g_c(t) <= stock(T) - fixed demands in C``; the largest such ``t`` is found
  exactly on the breakpoints of ``g``.  Retry there; each cut is used at most once and ``t``
  only decreases, so this ends at the optimum, typically after one to three max-flows.
* *Blocked classes*: in the final max-flow, a class can still grow iff its node reaches the
  sink in the residual graph.  Classes that cannot are frozen at ``g_c(t)``: their usable
  grades are exhausted by classes that are themselves at level ``t`` or fixed, so no later
  stage can raise them without lowering someone at or below ``t``.  At least one class is
  blocked per stage, so there are at most as many stages as classes.

Everything is ``fractions.Fraction``: no tolerance, so "blocked" is decided exactly.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from fractions import Fraction

from .flow import Flow


@dataclass
class ReqClass:
    """The requests of one tier that may use exactly ``grades`` (graph grade indices)."""

    index: int
    tier: int
    grades: tuple[int, ...]
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

    def prepare(self, quantities: list[int], minimums: list[int]) -> None:
        """Set the demand and the breakpoints of ``g`` from the members' windows."""
        self.demand = self.min_total = self.zero_q = 0
        self.betas, self.q_prefix, self.m_prefix = [], [0], [0]
        with_min = []
        for r in self.members:
            q, m = quantities[r], minimums[r]
            self.demand += q
            self.min_total += m
            if m:
                with_min.append((Fraction(m, q), q, m))
            else:
                self.zero_q += q
        with_min.sort()
        for beta, q, m in with_min:
            self.betas.append(beta)
            self.q_prefix.append(self.q_prefix[-1] + q)
            self.m_prefix.append(self.m_prefix[-1] + m)

    def piece(self, t: Fraction) -> tuple[int, int]:
        """(const, slope) of g(t) = const + slope * t on the segment containing t."""
        i = bisect_right(self.betas, t)
        return self.m_prefix[-1] - self.m_prefix[i], self.zero_q + self.q_prefix[i]

    def need(self, t: Fraction) -> Fraction:
        """g(t) = sum over members of max(minimum, t * quantity)."""
        const, slope = self.piece(t)
        return const + slope * t


def level_for(classes: list[ReqClass], room: Fraction, t_lo: Fraction, t_hi: Fraction) -> Fraction:
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


class WaterFilling:
    """Leximin levels of the classes, tier by tier, on the class x grade network.

    ``fixed[c]`` is the total of a class already decided (an earlier tier), or None; classes
    of later tiers stand at their ``min_total``.  ``stages`` and ``max_flows`` count the work.
    """

    def __init__(
        self,
        classes: list[ReqClass],
        nbrs: list[tuple[int, ...]],
        users: list[list[int]],
        supply: list[int],
    ):
        self.classes = classes
        self.nbrs = nbrs
        self.users = users
        self.supply = supply
        self.fixed: list = [None] * len(classes)
        self.stages = 0
        self.max_flows = 0

    def tier(self, tier: int) -> None:
        """Give every class of ``tier`` its level (and total); earlier tiers must be fixed."""
        classes, fixed = self.classes, self.fixed
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
                flow = Flow(self.nbrs, self.users, self.supply)
                self.max_flows += 1
                if flow.fill(demand):
                    break
                cut_classes, cut_grades = flow.cut
                room = sum(self.supply[g] for g in cut_grades) - sum(
                    demand[i] for i in cut_classes if i not in in_play
                )
                t = level_for(
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
