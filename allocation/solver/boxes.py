"""Whole boxes (``Policy.whole_boxes``): the best whole-box allocation, found exactly.

What "best" means is in the package docstring (point 8).  This module finds it in two ways
that give the same answer; both are CP-SAT models whose size depends on the numbers of
classes, box types and (in the second) requests, never on the quantities.

*By class* (the fast path).  Tier by tier: the fractional shares come from the water-filling
(``leximin``) with earlier tiers at the totals they received in boxes; then one small model
over class x box-type counts (a box type is a grade and a box size: lots of one type are
interchangeable until FEFO picks them) decides what each class of the tier receives.  Inside
a class the requests are interchangeable, so a class's least shortfall for a given total is
described by a few variables (see :class:`ClassPlan`: convex pieces for the requests whose
amounts are above the Frobenius bound of the box sizes, one concave piece per step width for
the others), and the request amounts follow greedily.  This model is a *relaxation*: it only
knows each request's amounts up to what its box sizes can make, not which boxes.  So after
the last tier the answer is *realised*: a second model picks the box types of each group of
requests with the same substitution ranks (lexicographically minimal substitution, with the
fewest and most boxes of each size each request can use as constraints), and each group's
boxes are shared out to its requests' exact amounts (``packing``); a group that cannot be is
modelled request by request and the model solved again.  When it succeeds, the relaxation's
optimum is attained by a real allocation, so it is the exact optimum.

*By request* (the exact fallback).  The same objectives on a model with one variable per
request x box type: used when the fast path's amounts cannot be made at all (small,
irregular instances: a minimum that needs boxes of three sizes, a request below the box
size, ...).

Every solve has a work limit (``cp``); one that stops before proving its optimum keeps its
best solution and the result says so (``Stats.optimal``).  In tests and in the benchmark
every solve is proven optimal; instances with many small requests and box sizes of which
none divides the others can take seconds, and in the worst case stop at the limit.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING

from .checks import SHOWN_PROBLEMS
from .contract import AllocationError
from .cp import Stages
from .leximin import ReqClass, WaterFilling
from .packing import Sums, count_ranges, share_sizes, sums_of

if TYPE_CHECKING:
    from .engine import Engine


class Fallback(Exception):
    """The class-level answer cannot be made in boxes: solve request by request."""


# ---------------------------------------------------------------------------------------------
# Box types and class plans
# ---------------------------------------------------------------------------------------------


@dataclass
class BoxType:
    """The allocatable whole boxes of one grade and box size (its lots in FEFO order)."""

    grade: int
    size: int
    boxes: int
    lots: list[int]


@dataclass
class ClassPlan:
    """A class of the tier being decided, relaxed to multiples of its box-size gcd ``g``.

    Every member starts at its *base*: the largest amount boxes can make that is at most
    its share (and its quantity).  Every piece below a base adds one to the shortfall (the
    sum over members of ``ceil(share) - amount`` where positive); the one step up that
    passes the share gains less than it costs; pieces beyond that gain nothing.

    *Regular* members (base at or above the Frobenius bound ``top`` of the class's sizes,
    where every multiple of ``g`` can be made) step by ``g``: ``K`` units more for them lower
    the shortfall by the ``K`` largest ``gains`` (each member's first unit up:
    ``ceil(share) - base``, at most ``g``), and units below the bases cost ``g`` each, so
    their least shortfall is convex and piecewise linear in ``K``: the maximum of ``lines``.

    *Odd* members (below ``top``) step to the next amount boxes can make, a step of some
    width (a multiple of ``g``) that gains ``ceil(share) - base``.  Grouped by width, the
    best gain of ``n`` steps is the sum of the ``n`` largest gains: concave in ``n``, so one
    variable per width (a handful) with the same kind of lines.  Their pieces below the
    bases, or beyond their steps, are two more variables per class in units of ``g`` (a
    relaxation: which amounts exactly is settled when they are shared out).
    """

    g: int
    base: dict[int, int]
    ceil: dict[int, int]
    first: list[int]  # regular members whose first unit up lowers the shortfall, best first
    gains: list[int]
    shortfall: int  # of all members at their bases
    k_lo: int
    k_hi: int
    base_total: int  # of all members
    lines: list[tuple[int, int]] = field(default_factory=list)
    odd: list[int] = field(default_factory=list)  # largest remainder first, then tier, id
    steps: dict[int, list[int]] = field(default_factory=dict)  # width -> best gain first
    step_gains: dict[int, list[int]] = field(default_factory=dict)
    odd_below: int = 0  # units of g the odd members can go below their bases, at most
    odd_above: int = 0  # units of g they can go above their bases, at most


# ---------------------------------------------------------------------------------------------
# The solver
# ---------------------------------------------------------------------------------------------


class BoxSolver:
    """Whole-box allocation for the engine ``s`` (stock, classes and minimums already checked)."""

    def __init__(self, s: Engine):
        self.s = s
        self.n = len(s.reqs)
        self.types: list[BoxType] = []
        self.grade_types: list[list[int]] = [[] for _ in s.grades]
        for g, lots in enumerate(s.grade_lots):
            by_size: dict[int, list[int]] = {}
            for lot in lots:
                by_size.setdefault(s.box_size[lot], []).append(lot)
            for size in sorted(by_size):
                boxes = sum(s.cap[lot] // size for lot in by_size[size])
                self.grade_types[g].append(len(self.types))
                self.types.append(BoxType(g, size, boxes, by_size[size]))
        self.class_types = [[t for g in c.grades for t in self.grade_types[g]] for c in s.classes]
        self.sums: list[Sums | None] = []
        for c in s.classes:
            sizes = tuple(sorted({self.types[t].size for t in self.class_types[c.index]}))
            self.sums.append(sums_of(sizes) if sizes else None)
        self.lo = [0] * self.n  # smallest amount >= minimum that boxes can make
        self.hi = [0] * self.n  # largest amount <= quantity that boxes can make
        self.shares: list[Fraction] = [Fraction(0)] * self.n
        self.target = [0] * self.n
        self.count: list[dict[int, int]] = [{} for _ in range(self.n)]
        self.last_counts: dict[tuple[int, int], int] = {}  # (class, box type) -> boxes
        self.count_vars: list = []

    def share(self, r: int) -> Fraction:
        return self.shares[r]

    # -- the pipeline -------------------------------------------------------------------------

    def run(self, mark: float) -> float:
        s = self.s
        self._windows()
        quantities = [req.quantity for req in s.reqs]
        for c in s.classes:
            c.prepare(quantities, self.lo)
        self._check_class_minimums()
        mark = s.tick("minimums", mark)
        realised = self._by_class()
        mark = s.tick("boxes by class", mark)
        if not realised:
            self._tiers_by_request()
            if not self._grades_by_request():
                raise RuntimeError("allocation solver: amounts found by request do not fit")
            mark = s.tick("boxes by request", mark)
        self._fefo()
        return s.tick("lots", mark)

    def _by_class(self) -> bool:
        """The fast path; False when its amounts cannot be made in boxes."""
        try:
            self._tiers_by_class()
            self._grades_by_group()
        except Fallback:
            return False
        return True

    # -- windows and minimums -------------------------------------------------------------------

    def _windows(self) -> None:
        s = self.s
        impossible = []
        for r, req in enumerate(s.reqs):
            c = s.cls[r]
            sums = self.sums[c] if c >= 0 else None
            if sums is None:
                continue
            self.hi[r] = sums.floor(req.quantity)
            if req.minimum:
                self.lo[r] = sums.ceil(req.minimum)
                if self.lo[r] > req.quantity:
                    impossible.append(req)
        if impossible:
            shown = ", ".join(
                f"{req.id} (minimum {req.minimum:,}, quantity {req.quantity:,})"
                for req in impossible[:SHOWN_PROBLEMS]
            )
            shown_zh = "，".join(
                f"{req.id}（保底{req.minimum:,}件，申请{req.quantity:,}件）"
                for req in impossible[:SHOWN_PROBLEMS]
            )
            raise AllocationError(
                "whole boxes cannot meet these minimums without exceeding the quantity requested: "
                f"{shown}; lower the minimum to whole boxes or allocate in pieces",
                f"按整箱分配无法在不超过申请数量的前提下满足保底数量：{shown_zh}；"
                "请把保底数量调整为整箱，或按件分配",
            )

    def _minimum_error(self, tier: int) -> AllocationError:
        s = self.s
        ids = [req.id for req in s.reqs if req.tier == tier and req.minimum]
        shown = ", ".join(ids[:SHOWN_PROBLEMS]) + (", ..." if len(ids) > SHOWN_PROBLEMS else "")
        earlier_en = " with those of earlier tiers" if tier != s.tier_list[0] else ""
        earlier_zh = "（连同之前各梯队的保底）" if tier != s.tier_list[0] else ""
        return AllocationError(
            f"whole boxes cannot meet the guaranteed minimums of tier {tier}{earlier_en} "
            f"(requests {shown}): no combination of the boxes in stock makes them; "
            "lower the minimums to whole boxes or allocate in pieces",
            f"按整箱分配无法满足第{tier}梯队的保底数量{earlier_zh}（申请{shown}）："
            "库存整箱无论如何组合都凑不出；请把保底数量调整为整箱，或按件分配",
        )

    def _class_minimums_fit(self) -> bool:
        """Class-level relaxation: can every class get its minimums?"""
        s = self.s
        st = Stages(s)
        per_type: list[list] = [[] for _ in self.types]
        for c in s.classes:
            if c.min_total:
                upper = sum(self.hi[r] for r in c.members)
                total = self._class_total(st, c, upper, per_type)
                st.add(total >= c.min_total)
                st.add(total <= upper)
        self._stock_limits(st, per_type)
        if st.feasible():
            self._keep_counts(st)
            return True
        self.count_vars = []
        return False

    def _check_class_minimums(self) -> None:
        s = self.s
        if not any(c.min_total for c in s.classes) or self._class_minimums_fit():
            return
        # The class-level check is a relaxation: a tier it passes may still fail request by
        # request, so the tier to name comes from the exact check.
        raise self._first_minimum_error()

    # -- shared model pieces ------------------------------------------------------------------

    def _class_total(self, st: Stages, c: ReqClass, upper: int, per_type: list[list]):
        """Pieces class ``c`` receives: a box-count variable per box type it may use.

        The counts of the last class-level solution are given as a hint: it met every
        minimum, so it shows CP-SAT a feasible start at once."""
        terms = []
        for t in self.class_types[c.index]:
            box = self.types[t]
            most = min(box.boxes, upper // box.size)
            var = st.int_var(0, most)
            st.model.add_hint(var, min(self.last_counts.get((c.index, t), 0), most))
            self.count_vars.append(((c.index, t), var))
            per_type[t].append(var)
            terms.append(box.size * var)
        return sum(terms)

    def _keep_counts(self, st: Stages) -> None:
        for key, var in self.count_vars:
            self.last_counts[key] = st.value(var)
        self.count_vars = []

    def _stock_limits(self, st: Stages, per_type: list[list]) -> None:
        for t, variables in enumerate(per_type):
            if variables:
                st.add(sum(variables) <= self.types[t].boxes)

    # -- tiers by class ---------------------------------------------------------------------------

    def _shares_of(self, c: ReqClass) -> dict[int, tuple[int, int]]:
        """Member -> (share * D, D) for the class's level N / D, with the box minimum."""
        num, den = c.level.numerator, c.level.denominator
        out = {}
        for r in c.members:
            product = num * self.s.reqs[r].quantity
            if self.lo[r] * den >= product:
                out[r] = (self.lo[r], 1)
                self.shares[r] = Fraction(self.lo[r])
            else:
                out[r] = (product, den)
                self.shares[r] = Fraction(product, den)
        return out

    def _plan(self, c: ReqClass) -> ClassPlan:
        sums = self.sums[c.index]
        g = sums.gcd
        # Odd members only where the amounts below the Frobenius bound are listed (else
        # every member is regular, and an amount boxes cannot make goes to the fallback).
        top = sums.top * g if sums.below is not None else 0
        base: dict[int, int] = {}
        ceil: dict[int, int] = {}
        candidates, odd = [], []
        shortfall = k_lo = k_hi = odd_below = odd_above = 0
        steps: dict[int, list[tuple[int, int, int]]] = {}
        for r, (num, den) in self._shares_of(c).items():
            up = -(-num // den)
            b = min(g * (num // (den * g)), self.hi[r])
            if b < top:
                b = sums.floor(min(num // den, self.hi[r]))
            base[r], ceil[r] = b, up
            shortfall += up - b
            if b < top:
                odd.append((b * den - num, r))
                odd_below += (b - self.lo[r]) // g
                odd_above += (self.hi[r] - b) // g
                if up > b:
                    step = sums.ceil(b + 1)
                    if step <= self.hi[r]:
                        # Largest gain first, then largest remainder, then tier and id.
                        steps.setdefault(step - b, []).append((b - up, b * den - num, r))
                continue
            k_lo -= (b - self.lo[r]) // g
            k_hi += (self.hi[r] - b) // g
            if up > b and b + g <= self.hi[r]:
                # Largest gain first, then largest remainder (share - base), then tier and id.
                # (Members at their minimum have no gain, so all of these share ``den``.)
                candidates.append((b - up, b * den - num, r))
        candidates.sort()
        odd.sort()
        plan = ClassPlan(
            g=g,
            base=base,
            ceil=ceil,
            first=[k[2] for k in candidates],
            gains=[-k[0] for k in candidates],
            shortfall=shortfall,
            k_lo=k_lo,
            k_hi=k_hi,
            base_total=sum(base.values()),
            odd=[r for _, r in odd],
            odd_below=odd_below,
            odd_above=odd_above,
        )
        for width, members in sorted(steps.items()):
            members.sort()
            plan.steps[width] = [r for _, _, r in members]
            plan.step_gains[width] = [-k[0] for k in members]
        odd_set = set(plan.odd)
        # The regular members' shortfall, convex in K (the odd ones' is added separately).
        value = sum(ceil[r] - base[r] for r in base if r not in odd_set)
        plan.lines = [(-g, value)] + _lines(plan.gains, value)
        return plan

    def _tiers_by_class(self) -> None:
        s = self.s
        filling = s.filling
        decided: dict[int, int] = {}
        for tier in s.tier_list:
            filling.tier(tier)
            classes = [c for c in s.classes if c.tier == tier]
            active = [c for c in classes if c.grades]
            plans = {c.index: self._plan(c) for c in active}
            if active:
                ups = self._decide_tier(tier, decided, active, plans)
                for c in active:
                    self._share_out(c, plans[c.index], ups[c.index])
            for c in classes:
                decided[c.index] = sum(self.target[r] for r in c.members)
                filling.fixed[c.index] = decided[c.index]

    def _decide_tier(
        self, tier: int, decided: dict[int, int], active: list[ReqClass], plans: dict
    ) -> dict[int, int]:
        """Units up (or down) per class of the tier: least shortfall, then most pieces."""
        s = self.s
        st = Stages(s)
        per_type: list[list] = [[] for _ in self.types]
        for c in s.classes:
            if c.tier < tier and decided[c.index]:
                total = decided[c.index]
                st.add(self._class_total(st, c, total, per_type) == total)
            elif c.tier > tier and c.min_total:
                upper = sum(self.hi[r] for r in c.members)
                total = self._class_total(st, c, upper, per_type)
                st.add(total >= c.min_total)
                st.add(total <= upper)
        units, odd_vars = {}, {}
        short, more, below, moved = [], [], [], []
        for c in active:
            plan, g = plans[c.index], plans[c.index].g
            upper = plan.base_total + g * (plan.k_hi + plan.odd_above)
            total = self._class_total(st, c, upper, per_type)
            # A complete hint from the last counts: units up or down, nothing on steps.
            hinted = sum(
                self.types[t].size * min(self.last_counts.get((c.index, t), 0), upper)
                for t in self.class_types[c.index]
            )
            units_hint = (hinted - plan.base_total) // g
            up_hint = min(max(units_hint - plan.k_hi, 0), plan.odd_above)
            down_hint = min(max(plan.k_lo - units_hint, 0), plan.odd_below)
            k_hint = min(max(units_hint - up_hint + down_hint, plan.k_lo), plan.k_hi)
            k = st.int_var(plan.k_lo, plan.k_hi)
            st.model.add_hint(k, k_hint)
            d = st.int_var(0, plan.shortfall + g * (plan.odd_below - plan.k_lo))
            st.model.add_hint(d, max(i + slope * k_hint for slope, i in plan.lines))
            for slope, intercept in plan.lines:
                st.add(d >= intercept + slope * k)
            units[c.index] = k
            short.append(d)
            more.append(g * k)
            if plan.k_lo < 0:
                b = st.int_var(0, -plan.k_lo)
                st.model.add_hint(b, max(0, -k_hint))
                st.add(b >= -k)
                below.append(b)
            parts = [plan.base_total + g * k]
            if plan.odd:
                short.append(sum(plan.ceil[r] - plan.base[r] for r in plan.odd))
                taken = {}
                for width, gains in plan.step_gains.items():
                    # n steps of this width remove at most the n largest gains (concave).
                    n = taken[width] = st.int_var(0, len(gains))
                    gained = st.int_var(0, sum(gains))
                    st.model.add_hint(n, 0)
                    st.model.add_hint(gained, 0)
                    for slope, intercept in _lines(gains, 0):
                        st.add(gained <= -intercept - slope * n)
                    parts.append(width * n)
                    more.append(width * n)
                    short.append(-gained)
                down = st.int_var(0, plan.odd_below)
                up = st.int_var(0, plan.odd_above)
                st.model.add_hint(down, down_hint)
                st.model.add_hint(up, up_hint)
                parts.extend([g * up, -g * down])
                more.extend([g * up, -g * down])
                short.append(g * down)
                below.append(down)
                moved.extend([down, up])
                odd_vars[c.index] = (taken, down, up)
            st.add(total == sum(parts))
        self._stock_limits(st, per_type)
        if st.optimise(sum(short), maximize=False) is None:
            self.count_vars = []
            raise Fallback
        st.optimise(sum(more), maximize=True)
        # Ties: as few units below the bases as possible (no one below its rounded-down share
        # unless that lowers the shortfall), then odd members off their steps as little as
        # possible (the easiest to make in boxes).
        if below:
            st.optimise(sum(below), maximize=False, tie_break=True)
        if moved:
            st.optimise(sum(moved), maximize=False, tie_break=True)
        self._keep_counts(st)
        for c in active:
            if c.index in odd_vars:
                taken, down, up = odd_vars[c.index]
                plan = plans[c.index]
                counts = {width: st.value(n) for width, n in taken.items()}
                self._share_out_odd(c, plan, counts, st.value(down), st.value(up))
        return {i: st.value(k) for i, k in units.items()}

    def _share_out_odd(self, c: ReqClass, plan: ClassPlan, taken: dict, down: int, up: int) -> None:
        """Odd members: bases, the steps taken (largest remainder first), then ``down`` units
        of ``g`` below the bases of members without a step (smallest remainder first) and
        ``up`` above the amounts where more gains nothing, in amounts boxes can make."""
        sums, g = self.sums[c.index], plan.g
        amount = {r: plan.base[r] for r in plan.odd}
        stepped = set()
        for width, members in plan.steps.items():
            for r in members[: taken.get(width, 0)]:
                amount[r] = sums.ceil(amount[r] + 1)
                stepped.add(r)
        left = down * g
        for r in reversed(plan.odd):
            while left and r not in stepped and amount[r] > self.lo[r]:
                lower = sums.floor(amount[r] - 1)
                if lower < self.lo[r] or amount[r] - lower > left:
                    break
                left -= amount[r] - lower
                amount[r] = lower
        left_up = up * g
        for r in plan.odd:
            while left_up and (r in stepped or amount[r] >= plan.ceil[r]):
                higher = sums.ceil(amount[r] + 1)
                if higher > self.hi[r] or higher - amount[r] > left_up:
                    break
                left_up -= higher - amount[r]
                amount[r] = higher
        if left or left_up:
            raise Fallback
        for r, value in amount.items():
            self.target[r] = value

    def _share_out(self, c: ReqClass, plan: ClassPlan, units: int) -> None:
        """Member amounts for ``units`` units of ``g`` above (or below) the class's bases."""
        reqs, g = self.s.reqs, plan.g
        odd = set(plan.odd)
        members = [r for r in plan.base if r not in odd]  # the odd ones are shared out apart
        amount = {r: plan.base[r] for r in members}
        if units >= 0:
            firsts = plan.first[:units]
            for r in firsts:
                amount[r] += g
            extra = units - len(firsts)
            # Units that lower no shortfall: to the lowest fill ratio first, ties by tier, id.
            heap = []
            if extra:
                heap = [
                    (Fraction(amount[r], reqs[r].quantity), r)
                    for r in members
                    if amount[r] + g <= self.hi[r]
                ]
                heapq.heapify(heap)
            while extra:
                _, r = heapq.heappop(heap)
                amount[r] += g
                extra -= 1
                if amount[r] + g <= self.hi[r]:
                    heapq.heappush(heap, (Fraction(amount[r], reqs[r].quantity), r))
        else:
            # Units below the bases cost the same anywhere: from the highest fill ratio first.
            heap = [
                (-Fraction(amount[r], reqs[r].quantity), -r)
                for r in members
                if amount[r] - g >= self.lo[r]
            ]
            heapq.heapify(heap)
            for _ in range(-units):
                _, minus_r = heapq.heappop(heap)
                r = -minus_r
                amount[r] -= g
                if amount[r] - g >= self.lo[r]:
                    heapq.heappush(heap, (-Fraction(amount[r], reqs[r].quantity), -r))
        for r, value in amount.items():
            self.target[r] = value

    # -- grades and boxes by group --------------------------------------------------------------

    def _groups(self) -> tuple[list, dict]:
        s = self.s
        groups: dict[tuple[tuple[int, int], ...], list[int]] = {}
        for r in range(self.n):
            if self.target[r]:
                elig = s.elig[r]
                groups.setdefault(tuple(zip(elig.avail, elig.ranks, strict=True)), []).append(r)
        return sorted(groups), groups

    def _grades_by_group(self) -> None:
        """Box types per group (minimal substitution), then each group's boxes per request.

        A group whose boxes cannot be shared out to its members' amounts is solved again
        with one variable per member and box type (the others stay whole), until every
        group is shared out; a model that is infeasible means the amounts cannot be made.
        """
        keys, groups = self._groups()
        explicit: set = set()
        while keys:
            failed = self._grades_by_group_once(keys, groups, explicit)
            if not failed:
                return
            explicit.update(failed)

    def _grades_by_group_once(self, keys: list, groups: dict, explicit: set) -> list:
        st = Stages(self.s)
        per_type: list[list] = [[] for _ in self.types]
        pool: list[dict[int, object]] = []
        ranked: dict[int, list] = {}
        members_x: dict[int, dict[int, object]] = {}
        for key in keys:
            total = sum(self.target[r] for r in groups[key])
            types = [(t, rank) for g, rank in key for t in self.grade_types[g]]
            variables: dict[int, object] = {}
            if key in explicit:
                for r in groups[key]:
                    mine = members_x[r] = {}
                    for t, rank in types:
                        box = self.types[t]
                        if box.size <= self.target[r]:
                            var = mine[t] = st.int_var(
                                0, min(box.boxes, self.target[r] // box.size)
                            )
                            per_type[t].append(var)
                            ranked.setdefault(rank, []).append(box.size * var)
                    st.add(sum(self.types[t].size * v for t, v in mine.items()) == self.target[r])
                pool.append(variables)
                continue
            for t, rank in types:
                box = self.types[t]
                var = variables[t] = st.int_var(0, min(box.boxes, total // box.size))
                per_type[t].append(var)
                ranked.setdefault(rank, []).append(box.size * var)
            st.add(sum(self.types[t].size * v for t, v in variables.items()) == total)
            # Each request needs between its fewest and its most boxes of every size (with
            # the group's other sizes making up the rest): necessary conditions on the pool,
            # and with two sizes they are all it takes (see ``_split``).
            by_size: dict[int, list] = {}
            for t, v in variables.items():
                by_size.setdefault(self.types[t].size, []).append(v)
            ranges = count_ranges([self.target[r] for r in groups[key]], sorted(by_size))
            if ranges is None:
                raise Fallback
            for size, (fewest, most) in ranges.items():
                st.add(sum(by_size[size]) >= fewest)
                st.add(sum(by_size[size]) <= most)
            pool.append(variables)
        self._stock_limits(st, per_type)
        if not _fewest_substitutes(st, ranked):
            raise Fallback
        # Among those, as many (so as small) boxes as possible: the easiest to share out.
        everything = [v for variables in pool for v in variables.values()]
        everything += [v for mine in members_x.values() for v in mine.values()]
        if st.optimise(sum(everything), maximize=True, tie_break=True) is None:
            raise Fallback
        failed = []
        for key, variables in zip(keys, pool, strict=True):
            if key in explicit:
                for r in groups[key]:
                    self.count[r] = {t: st.value(v) for t, v in members_x[r].items()}
                    self.count[r] = {t: k for t, k in self.count[r].items() if k}
                continue
            counts = {t: st.value(v) for t, v in variables.items()}
            if not self._realise(groups[key], {t: k for t, k in counts.items() if k}):
                failed.append(key)
        return failed

    def _realise(self, members: list[int], counts: dict[int, int]) -> bool:
        """Share a group's boxes (type -> count) out to its members' exact amounts."""
        by_size: dict[int, int] = {}
        for t, k in counts.items():
            by_size[self.types[t].size] = by_size.get(self.types[t].size, 0) + k
        sizes = sorted(by_size, reverse=True)
        per_size = share_sizes([self.target[r] for r in members], sizes, by_size)
        if per_size is None:
            return False
        # Each size's boxes in rank order (own grade first); members in tier, id order.
        order = sorted(counts)  # type index order is grade, size; re-sort by rank below
        rank_of = {g: i for i, g in enumerate(self.s.elig[members[0]].avail)}
        order.sort(key=lambda t: (rank_of[self.types[t].grade], t))
        left = dict(counts)
        for r, sizes_of in zip(members, per_size, strict=True):
            mine: dict[int, int] = {}
            for size, k in sizes_of.items():
                for t in order:
                    if not k:
                        break
                    if self.types[t].size == size and left[t]:
                        take = min(k, left[t])
                        mine[t] = mine.get(t, 0) + take
                        left[t] -= take
                        k -= take
            self.count[r] = mine
        return True

    # -- by request ---------------------------------------------------------------------------

    def _request_types(self, r: int) -> list[int]:
        return [t for g in self.s.elig[r].avail for t in self.grade_types[g]]

    def _request_amount(self, st: Stages, r: int, lo: int, hi: int, per_type: list[list], x):
        terms = []
        for t in self._request_types(r):
            box = self.types[t]
            if box.size > hi:
                continue
            var = st.int_var(0, min(box.boxes, hi // box.size))
            per_type[t].append(var)
            x[(r, t)] = var
            terms.append(box.size * var)
        if not terms:
            if lo > 0:
                st.model.add_bool_or([])  # no box fits: infeasible
            return 0
        amount = sum(terms)
        if lo == hi:
            st.add(amount == lo)
        else:
            st.add(amount >= lo)
            st.add(amount <= hi)
        return amount

    def _request_minimums_fit(self, last_tier: int) -> bool:
        s = self.s
        st = Stages(s)
        per_type: list[list] = [[] for _ in self.types]
        for r, req in enumerate(s.reqs):
            if req.minimum and req.tier <= last_tier:
                self._request_amount(st, r, req.minimum, req.quantity, per_type, {})
        self._stock_limits(st, per_type)
        return st.feasible()

    def _tiers_by_request(self) -> None:
        s = self.s
        for c in s.classes:
            c.level, c.total, c.stage = None, None, 0
        s.filling = WaterFilling(s.classes, s.nbrs, s.users, s.supply)
        self.target = [0] * self.n
        for tier in s.tier_list:
            s.filling.tier(tier)
            classes = [c for c in s.classes if c.tier == tier]
            for c in classes:
                if c.grades:
                    self._shares_of(c)
            self._decide_tier_by_request(tier)
            for c in classes:
                s.filling.fixed[c.index] = sum(self.target[r] for r in c.members)

    def _decide_tier_by_request(self, tier: int) -> None:
        s = self.s
        st = Stages(s)
        per_type: list[list] = [[] for _ in self.types]
        amounts, reached, below = {}, {}, []
        for r, req in enumerate(s.reqs):
            if req.tier < tier and self.target[r]:
                self._request_amount(st, r, self.target[r], self.target[r], per_type, {})
            elif req.tier > tier and req.minimum:
                self._request_amount(st, r, req.minimum, req.quantity, per_type, {})
            elif req.tier == tier and req.quantity and s.elig[r].avail:
                amount = self._request_amount(st, r, req.minimum, req.quantity, per_type, {})
                up = math.ceil(self.shares[r])
                within = st.int_var(0, up)  # min(amount, ceil(share))
                st.add(within <= amount)
                amounts[r], reached[r] = amount, within
                # Units of the box-size gcd below the base (as in ``_plan``).
                sums = self.sums[s.cls[r]]
                base = sums.floor(min(math.floor(self.shares[r]), self.hi[r]))
                if base > self.lo[r]:
                    units = st.int_var(0, (base - self.lo[r]) // sums.gcd)
                    st.add(sums.gcd * units >= base - amount)
                    below.append(units)
        self._stock_limits(st, per_type)
        if not amounts:
            if not st.feasible():
                raise self._first_minimum_error()
            return
        if st.optimise(sum(reached.values()), maximize=True) is None:
            raise self._first_minimum_error()
        st.optimise(sum(amounts.values()), maximize=True)
        # Ties as by class: as few units below the bases as possible, then the shortfall
        # borne by the smallest remainders (then later ids) first.
        if below:
            st.optimise(sum(below), maximize=False, tie_break=True)
        order = sorted(amounts, key=lambda r: (-(self.shares[r] - math.floor(self.shares[r])), r))
        weight = {r: len(order) - i for i, r in enumerate(order)}
        st.optimise(sum(weight[r] * v for r, v in reached.items()), maximize=True, tie_break=True)
        for r, amount in amounts.items():
            self.target[r] = st.value(amount)

    def _first_minimum_error(self) -> AllocationError:
        for tier in self.s.tier_list:
            if not self._request_minimums_fit(tier):
                return self._minimum_error(tier)
        raise RuntimeError("allocation solver: a tier model is infeasible with minimums that fit")

    def _grades_by_request(self) -> bool:
        """Boxes per request and type with every amount fixed: minimal substitution."""
        s = self.s
        st = Stages(s)
        per_type: list[list] = [[] for _ in self.types]
        x: dict[tuple[int, int], object] = {}
        wanted = [r for r in range(self.n) if self.target[r]]
        for r in wanted:
            self._request_amount(st, r, self.target[r], self.target[r], per_type, x)
        self._stock_limits(st, per_type)
        if not wanted:
            return True
        ranked: dict[int, list] = {}
        for (r, t), var in x.items():
            elig = s.elig[r]
            rank = elig.ranks[elig.avail.index(self.types[t].grade)]
            ranked.setdefault(rank, []).append(self.types[t].size * var)
        if not _fewest_substitutes(st, ranked) or (len(ranked) <= 1 and not st.feasible()):
            return False
        self.count = [{} for _ in range(self.n)]
        for (r, t), var in x.items():
            value = st.value(var)
            if value:
                self.count[r][t] = value
        return True

    # -- lots, earliest expiry first ------------------------------------------------------------

    def _fefo(self) -> None:
        """Boxes of each type from its lots, earliest expiry first; requests in tier, id order."""
        s = self.s
        position = [0] * len(self.types)
        room = {lot: s.cap[lot] // s.box_size[lot] for box in self.types for lot in box.lots}
        s.entries = [{} for _ in range(self.n)]
        for r in range(self.n):
            for t in sorted(self.count[r]):
                k = self.count[r][t]
                box = self.types[t]
                while k:
                    lot = box.lots[position[t]]
                    take = min(k, room[lot])
                    if take:
                        s.entries[r][lot] = s.entries[r].get(lot, 0) + take * box.size
                        room[lot] -= take
                        k -= take
                    if not room[lot]:
                        position[t] += 1


def _fewest_substitutes(st: Stages, ranked: dict[int, list]) -> bool:
    """Most pieces of rank 0, then of ranks 0 and 1, ... (``ranked``: rank -> pieces terms);
    False if the model is infeasible.  The last rank needs no objective: all is fixed."""
    ranks = sorted(ranked)
    for k in range(len(ranks) - 1):
        within = [term for rank in ranks[: k + 1] for term in ranked[rank]]
        if st.optimise(sum(within), maximize=True) is None:
            return False
    return True


def _lines(gains: list[int], value: int) -> list[tuple[int, int]]:
    """(slope, intercept) of each piece of ``value - (sum of the n largest gains)`` in n.

    ``gains`` are in descending order; equal gains make one piece, and the last piece is
    flat.  The function is convex, so it is the maximum of these lines.
    """
    lines = []
    done = i = 0
    while i < len(gains):
        gain = gains[i]
        lines.append((-gain, value + gain * done))
        while i < len(gains) and gains[i] == gain:
            value -= gain
            done += 1
            i += 1
    lines.append((0, value))
    return lines
