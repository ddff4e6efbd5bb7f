"""The pipeline behind :func:`allocate`: stock, classes, minimums, then pieces or boxes."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from ortools.graph.python import max_flow

from . import explain, pieces
from .boxes import BoxSolver
from .checks import SHOWN_PROBLEMS, check_input
from .contract import (
    Allocation,
    AllocationError,
    ClassLevel,
    Line,
    Lot,
    Policy,
    Request,
    RequestResult,
    Stats,
    TierResult,
)
from .cp import WORK_BUDGET
from .leximin import ReqClass, WaterFilling


@dataclass
class Elig:
    """What requests of one (grade, tier) may use."""

    pref: tuple[str, ...]  # the substitution list, own grade first
    usable: tuple[str, ...]  # pref minus grades restricted away from the tier
    restricted: tuple[str, ...]  # pref grades restricted away from the tier
    avail: tuple[int, ...]  # usable grades with allocatable stock (graph indices, pref order)
    ranks: tuple[int, ...]  # each avail grade's position in pref (0: its own grade)
    empty: tuple[str, ...]  # usable grades with no allocatable stock


def fefo_key(lot: Lot) -> tuple:
    return (lot.expires_on is None, lot.expires_on or date.min, lot.id)


class Engine:
    def __init__(
        self, lots: list[Lot], requests: list[Request], policy: Policy, words: explain.Words
    ):
        self.started = time.perf_counter()
        self.phases: dict[str, float] = {}
        self.reserves = check_input(lots, requests, policy)
        self.policy = policy
        self.words = words
        self.boxes = bool(policy.whole_boxes)
        self.lots = sorted(lots, key=fefo_key)
        self.reqs = sorted(requests, key=lambda r: (r.tier, r.id))
        self.optimal = True
        self.work_left = WORK_BUDGET  # CP-SAT work this allocation may still spend
        self.box: BoxSolver | None = None

    def tick(self, phase: str, since: float) -> float:
        now = time.perf_counter()
        self.phases[phase] = self.phases.get(phase, 0.0) + now - since
        return now

    # -- the pipeline ---------------------------------------------------------------------------

    def run(self) -> Allocation:
        mark = self.started
        self._stock()
        self._classify()
        mark = self.tick("prepare", mark)
        self._check_minimums()
        mark = self.tick("minimums", mark)
        if self.boxes:
            self.box = BoxSolver(self)
            mark = self.box.run(mark)
        else:
            mark = pieces.run(self, mark)
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
        self.box_size = [lot.pieces_per_box if self.boxes else 1 for lot in self.lots]
        self.cap = [a - a % w for a, w in zip(self.allocatable, self.box_size, strict=True)]
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

    def _eligibility(self, grade: str, tier: int) -> Elig:
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
        return Elig(tuple(ordered), tuple(usable), tuple(restricted), avail, ranks, empty)

    def _classify(self) -> None:
        cache: dict[tuple[str, int], Elig] = {}
        self.elig: list[Elig] = []
        self.cls: list[int] = []
        keys: dict[tuple[int, tuple[int, ...]], int] = {}
        self.classes: list[ReqClass] = []
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
                self.classes.append(ReqClass(c, req.tier, ckey[1], []))
            self.classes[c].members.append(r)
            self.cls.append(c)
        quantities = [req.quantity for req in self.reqs]
        minimums = [req.minimum for req in self.reqs]
        for c in self.classes:
            c.prepare(quantities, minimums)
        self.nbrs = [c.grades for c in self.classes]
        self.users: list[list[int]] = [[] for _ in self.grades]
        for c in self.classes:
            for g in c.grades:
                self.users[g].append(c.index)
        self.tier_list = sorted({req.tier for req in self.reqs})
        self.filling = WaterFilling(self.classes, self.nbrs, self.users, self.supply)

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
                shown = ", ".join(no_grade[:SHOWN_PROBLEMS])
                en += f"; requests with no usable stock: {shown}"
                zh += f"；无可用库存的申请：{shown}"
            parts_en.append(en)
            parts_zh.append(zh)
        raise AllocationError(
            "the allocatable stock cannot cover the guaranteed minimums: " + "; ".join(parts_en),
            "可分配库存不足以满足保底数量：" + "；".join(parts_zh),
        )

    # -- shares ---------------------------------------------------------------------------------

    def share(self, r: int) -> Fraction:
        """Request ``r``'s exact fractional leximin share."""
        if self.box is not None:
            return self.box.share(r)
        c = self.cls[r]
        if c < 0:
            return Fraction(0)
        req, level = self.reqs[r], self.classes[c].level
        product = level.numerator * req.quantity
        if req.minimum * level.denominator >= product:
            return Fraction(req.minimum)
        return Fraction(product, level.denominator)

    # -- results -----------------------------------------------------------------------------------

    def _result(self, mark: float) -> Allocation:
        lines: list[Line] = []
        given = [0] * len(self.reqs)
        used_by_lot = [0] * len(self.lots)
        rank_of = [dict((g, k) for k, g in enumerate(e.avail)) for e in self.elig]
        by_grades: list[dict[str, int]] = []
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
            by_grades.append(by_grade)
        self.given = given
        self.used_by_lot = used_by_lot
        words = explain.Explainer(self)
        requests: dict[str, RequestResult] = {}
        for r, req in enumerate(self.reqs):
            c = self.cls[r]
            requests[req.id] = RequestResult(
                request_id=req.id,
                recipient=req.recipient,
                tier=req.tier,
                grade=req.grade,
                requested=req.quantity,
                minimum=req.minimum,
                allocated=given[r],
                share=self.share(r),
                level=self.classes[c].level if c >= 0 else None,
                by_grade=by_grades[r],
                reason=words.reason(r),
            )
        tiers: dict[int, TierResult] = {}
        members_of: dict[int, list[int]] = {}
        for r, req in enumerate(self.reqs):
            members_of.setdefault(req.tier, []).append(r)
        for tier in self.tier_list:
            members = members_of[tier]
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
                summary=words.summary(tier, levels),
            )
        left_over: dict[str, int] = {}
        for i, lot in enumerate(self.lots):
            left_over[lot.grade] = (
                left_over.get(lot.grade, 0) + self.allocatable[i] - used_by_lot[i]
            )
        self.tick("explain", mark)
        stats = Stats(
            stages=self.filling.stages,
            max_flows=self.filling.max_flows,
            classes=len(self.classes),
            requests=len(self.reqs),
            seconds=time.perf_counter() - self.started,
            phases=dict(self.phases),
            optimal=self.optimal,
        )
        return Allocation(
            lines=lines,
            requests=requests,
            tiers=tiers,
            held_back=dict(self.held_back),
            left_over=dict(sorted(left_over.items())),
            stats=stats,
        )
