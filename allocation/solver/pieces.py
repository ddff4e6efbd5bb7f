"""Piece mode: whole pieces by largest remainder, minimal substitution, earliest expiry first.

5. **Whole units** (rule 6).  Every request gets ``floor(share)``; the leftover pieces go by
   largest remainder (ties: tier, then request id), each to a request whose class can still
   receive one more piece (an exact augmenting-path test).  The feasible "+1" sets form a
   matroid, so this greedy hands out every leftover piece: the integer allocation uses as
   much stock as the fractional one, which is a maximum flow.  Hence, exactly: each request
   is less than one piece from its share, and no allocatable piece is left while a request
   that may use its grade is short.

6. **Minimal substitution** (rule 5).  With every request's quantity fixed, the grade each
   piece comes from is chosen lexicographically: as many pieces as possible of the requests'
   own grades, then of grades at most first substitutes, and so on, a grade's rank being its
   place in the request's list (own grade 0; a grade out of stock keeps its place, and ranks
   no request can use are skipped, as they change nothing).  It is one OR-Tools min-cost
   flow (exact integers) on (grade, rank) groups x grades, with rank costs on base
   ``min(groups, grades) + 1``: a simple residual cycle has at most that many group -> grade
   arcs each way, so its weighted cost has the sign of its lexicographic cost vector and the
   min-cost solution is lexicographically optimal.  When those costs would not fit in 64
   bits (very many distinct ranks), the same order is solved as a sequence of CP-SAT
   objectives instead.  Inside a group, requests in tier then id order take their own grade
   first.

7. **FEFO** (rule 7).  Within a grade, lots are used earliest expiry first (no expiry last,
   ties by lot id); requests draw in tier then id order, so tier 1 gets the shortest-dated
   lots and each request gets as few lines as possible.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ortools.graph.python import min_cost_flow

from .cp import Stages
from .flow import Flow

if TYPE_CHECKING:
    from .engine import Engine


def run(s: Engine, mark: float) -> float:
    """Leximin levels for every tier, then whole pieces, grades and lots."""
    for tier in s.tier_list:
        s.filling.tier(tier)
    mark = s.tick("leximin", mark)
    shares(s)
    round_pieces(s)
    mark = s.tick("rounding", mark)
    s.takes = substitute(s, s.alloc, s.supply)
    fefo(s)
    return s.tick("lots", mark)


def shares(s: Engine) -> None:
    """Exact shares max(minimum, level * quantity), kept as integers over one denominator.

    ``scaled[r] = share * scale`` with ``scale`` the lcm of the level denominators, so that
    shares and remainders of different classes compare as plain (big) integers.
    """
    n = len(s.reqs)
    scale = math.lcm(1, *(c.level.denominator for c in s.classes))
    s.scale = scale
    s.scaled = [0] * n
    s.floor = [0] * n
    s.rem = [0] * n  # (share - floor) * scale
    for c in s.classes:
        factor = c.level.numerator * (scale // c.level.denominator)
        for r in c.members:
            req = s.reqs[r]
            value = max(req.minimum * scale, factor * req.quantity)
            s.scaled[r] = value
            s.floor[r], s.rem[r] = divmod(value, scale)


def round_pieces(s: Engine) -> None:
    totals = [0] * len(s.classes)
    for r, c in enumerate(s.cls):
        if c >= 0:
            totals[c] += s.floor[r]
    flow = Flow(s.nbrs, s.users, s.supply)
    if not flow.fill(totals):
        raise RuntimeError("allocation solver: rounded-down shares do not fit")
    s.alloc = list(s.floor)
    closed: set[int] = set()
    for _, r in sorted((-s.rem[r], r) for r in range(len(s.reqs)) if s.rem[r]):
        c = s.cls[r]
        if c in closed:
            continue
        if flow.add_one(c):
            s.alloc[r] += 1
        else:
            closed.add(c)


def substitute(s: Engine, alloc: list[int], supply: list[int]) -> list[list[tuple[int, int]]]:
    """Pieces per (graph grade) for every request: lexicographically minimal substitution."""
    groups: dict[tuple[tuple[int, int], ...], list[int]] = {}
    for r, amount in enumerate(alloc):
        if amount:
            elig = s.elig[r]
            groups.setdefault(tuple(zip(elig.avail, elig.ranks, strict=True)), []).append(r)
    takes: list[list[tuple[int, int]]] = [[] for _ in s.reqs]
    if not groups:
        return takes
    keys = sorted(groups)
    totals = [sum(alloc[r] for r in groups[k]) for k in keys]
    amounts = lexicographic_grades(keys, totals, supply, s)
    for p, key in enumerate(keys):
        left = [amounts[(p, g)] for g, _ in key]
        gi = 0
        for r in groups[key]:  # tier, then id order
            need = alloc[r]
            while need:
                while not left[gi]:
                    gi += 1
                take = min(need, left[gi])
                takes[r].append((key[gi][0], take))
                left[gi] -= take
                need -= take
    return takes


def lexicographic_grades(
    keys: list[tuple[tuple[int, int], ...]], totals: list[int], supply: list[int], owner
) -> dict[tuple[int, int], int]:
    """(group, grade) -> pieces: most pieces at rank 0, then at rank <= 1, and so on."""
    ranks = sorted({rank for key in keys for _, rank in key})
    position = {rank: i for i, rank in enumerate(ranks)}
    involved = sorted({g for key in keys for g, _ in key})
    # A simple residual cycle has at most min(#groups, #grades) forward group->grade arcs,
    # so with base M = that + 1 the weighted cost has the sign of the lexicographic vector.
    base = min(len(keys), len(involved)) + 1
    length = len(ranks)
    costs = [sum(base ** (length - 2 - k) for k in range(j)) for j in range(length)]
    if costs[-1] * sum(totals) >= 2**62:
        return _lexicographic_by_stages(keys, totals, supply, position, owner)
    solver = min_cost_flow.SimpleMinCostFlow()
    grade_node = {g: len(keys) + i for i, g in enumerate(involved)}
    sink = len(keys) + len(involved)
    arcs = []
    for p, key in enumerate(keys):
        solver.set_node_supply(p, totals[p])
        for g, rank in key:
            arc = solver.add_arc_with_capacity_and_unit_cost(
                p, grade_node[g], totals[p], costs[position[rank]]
            )
            arcs.append((p, g, arc))
    for g in involved:
        solver.add_arc_with_capacity_and_unit_cost(grade_node[g], sink, supply[g], 0)
        solver.set_node_supply(grade_node[g], 0)
    solver.set_node_supply(sink, -sum(totals))
    if solver.solve() != solver.OPTIMAL:
        raise RuntimeError("allocation solver: substitution flow failed")
    return {(p, g): solver.flow(arc) for p, g, arc in arcs}


def _lexicographic_by_stages(keys, totals, supply, position, owner) -> dict[tuple[int, int], int]:
    """The same lexicographic order as a sequence of CP-SAT objectives (exact integers)."""
    stages = Stages(owner)
    amount = {}
    by_grade: dict[int, list] = {}
    for p, key in enumerate(keys):
        for g, _ in key:
            amount[(p, g)] = stages.int_var(0, min(totals[p], supply[g]))
            by_grade.setdefault(g, []).append(amount[(p, g)])
        stages.add(sum(amount[(p, g)] for g, _ in key) == totals[p])
    for g, variables in by_grade.items():
        stages.add(sum(variables) <= supply[g])
    for k in range(len(position) - 1):
        within = [
            amount[(p, g)] for p, key in enumerate(keys) for g, rank in key if position[rank] <= k
        ]
        if within:
            stages.optimise(sum(within), maximize=True)
    if stages.solver is None:
        stages.feasible()
    return {pg: stages.value(var) for pg, var in amount.items()}


def fefo(s: Engine) -> None:
    """Pieces of each grade from its lots, earliest expiry first; requests in tier, id order."""
    position = [0] * len(s.grades)
    room = list(s.cap)
    s.entries = [{} for _ in s.reqs]
    for r, takes in enumerate(s.takes):
        for g, amount in takes:
            lots = s.grade_lots[g]
            while amount:
                lot = lots[position[g]]
                take = min(amount, room[lot])
                if take:
                    s.entries[r][lot] = s.entries[r].get(lot, 0) + take
                    room[lot] -= take
                    amount -= take
                if not room[lot]:
                    position[g] += 1
