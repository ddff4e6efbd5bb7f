"""Benchmark of ``allocation.solver.allocate`` against one stage of the naive per-line LP.

Run: ``.venv/bin/python bench/allocation.py [sizes...]`` (default 2000 10000 50000).

Each instance has 5 grades, 50 lots (boxes of 10, 20 or 50 pieces), 3 tiers and supply of
about 60% of demand, with substitution chains, a tier-restricted grade, reserves and some
guaranteed minimums.  For each size it prints the seconds of the full ``allocate`` (pieces,
and whole boxes), and the seconds of ONE max-min stage of the naive model on the same input:
one LP variable per request x usable grade, maximise ``t`` with every tier-1 request at
``>= t * quantity`` (and every request at ``>= minimum``), solved by GLOP through MathOpt.
Model building and the solve are timed separately; the ratios compare ``allocate`` (pieces,
and whole boxes) with both together.

Then the same instance with every quantity (lots, requests, minimums) times 100,000, up to
2 * 10^9 pieces a request, and some minimums equal to the quantity (to be made exactly from
boxes of 10, 20 and 50 and a few loose pieces): the whole-box time must not grow with the
quantities.  Not part of the test suite.
"""

from __future__ import annotations

import math
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from ortools.math_opt.python import mathopt

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from allocation.solver import Lot, Policy, Request, allocate  # noqa: E402

GRADES = ["GB19083", "YY0469", "YYT0969", "GB2626", "GBT32610"]
SHARE = [0.10, 0.30, 0.25, 0.15, 0.20]  # of requests asking for each grade
POLICY = Policy(
    substitutes={
        "YYT0969": ["YYT0969", "YY0469"],
        "YY0469": ["YY0469", "GB19083"],
        "GB2626": ["GB2626", "GB19083"],
        "GBT32610": ["GBT32610", "YYT0969", "GB2626"],
    },
    reserve={"GB19083": 0.10, "YY0469": 0.05},
    tier_grades={"GB19083": {1}},
)


def instance(n: int, seed: int = 2020) -> tuple[list[Lot], list[Request]]:
    """``n`` requests over 3 tiers and 50 lots holding about 60% of the demand."""
    rng = random.Random(seed)
    requests = []
    demand = dict.fromkeys(GRADES, 0)
    for i in range(n):
        tier = rng.choices([1, 2, 3], weights=[2, 3, 5])[0]
        grade = rng.choices(GRADES, weights=SHARE)[0]
        quantity = int(math.exp(rng.uniform(math.log(50), math.log(20000))))
        restricted = grade == "GB19083" and tier > 1  # medical protective is for tier 1 only
        minimum = quantity * rng.randint(1, 3) // 10 if rng.random() < 0.1 and not restricted else 0
        requests.append(Request(f"R{i:06d}", f"unit-{i % 997}", tier, grade, quantity, minimum))
        demand[grade] += quantity
    lots = []
    start = date(2020, 2, 1)
    for k, grade in enumerate(GRADES):
        supply = int(demand[grade] * 0.6)
        cuts = sorted(rng.sample(range(1, supply), 9))
        for j, (a, b) in enumerate(zip([0, *cuts], [*cuts, supply], strict=True)):
            expiry = None if rng.random() < 0.1 else start + timedelta(days=rng.randint(100, 900))
            lots.append(Lot(f"L{k}{j:02d}", grade, b - a, expiry, rng.choice([10, 20, 50])))
    return lots, requests


def naive_stage(
    lots: list[Lot], requests: list[Request], policy: Policy
) -> tuple[float, float, float]:
    """Build and solve the first max-min LP of the per-line model; (build s, solve s, t)."""
    began = time.perf_counter()
    stock: dict[str, int] = {}
    for lot in lots:
        stock[lot.grade] = stock.get(lot.grade, 0) + lot.quantity
    supply = {g: q - math.ceil(policy.reserve.get(g, 0) * q) for g, q in stock.items()}
    model = mathopt.Model(name="naive max-min stage")
    level = model.add_variable(lb=0.0, ub=1.0, name="t")
    by_grade: dict[str, list] = {g: [] for g in supply}
    for req in requests:
        usable = [
            g
            for g in policy.substitutes.get(req.grade, [req.grade])
            if g in supply and (g not in policy.tier_grades or req.tier in policy.tier_grades[g])
        ]
        xs = [model.add_variable(lb=0.0) for _ in usable]
        for g, x in zip(usable, xs, strict=True):
            by_grade[g].append(x)
        total = mathopt.fast_sum(xs)
        model.add_linear_constraint(total <= req.quantity)
        if req.minimum:
            model.add_linear_constraint(total >= req.minimum)
        if req.tier == 1:
            model.add_linear_constraint(total - req.quantity * level >= 0)
    for g, xs in by_grade.items():
        model.add_linear_constraint(mathopt.fast_sum(xs) <= supply[g])
    model.maximize(level)
    built = time.perf_counter()
    result = mathopt.solve(model, mathopt.SolverType.GLOP)
    solved = time.perf_counter()
    if result.termination.reason != mathopt.TerminationReason.OPTIMAL:
        raise RuntimeError(f"naive stage did not solve: {result.termination}")
    return built - began, solved - built, result.objective_value()


BOXES = Policy(POLICY.substitutes, POLICY.reserve, True, POLICY.tier_grades)


def huge(lots: list[Lot], requests: list[Request], factor: int = 100_000):
    """The same instance with every quantity times ``factor``; every 20th minimum is the
    whole quantity plus 7 pieces, made from loose pieces in one extra lot per grade."""
    big_lots = [
        Lot(x.id, x.grade, x.quantity * factor, x.expires_on, x.pieces_per_box) for x in lots
    ]
    # Loose pieces expire first, so the reserve (from the latest lots) does not take them.
    big_lots += [Lot(f"loose-{g}", g, 10**6, date(2020, 2, 1), 1) for g in GRADES]
    big_requests = []
    for i, r in enumerate(requests):
        quantity = r.quantity * factor + (7 if i % 20 == 0 else 0)
        minimum = quantity if i % 20 == 0 and r.tier == 1 else r.minimum * factor
        big_requests.append(Request(r.id, r.recipient, r.tier, r.grade, quantity, minimum))
    return big_lots, big_requests


def timed(lots: list[Lot], requests: list[Request], policy: Policy):
    began = time.perf_counter()
    result = allocate(lots, requests, policy)
    return result, time.perf_counter() - began


def main(sizes: list[int]) -> None:
    print(
        "requests  allocate_s  boxes_s  stages  naive_build_s  naive_solve_s  naive_stage_s"
        "  ratio  boxes_ratio"
    )
    for n in sizes:
        lots, requests = instance(n)
        result, pieces = timed(lots, requests, POLICY)
        boxed, boxes = timed(lots, requests, BOXES)
        build, solve, _ = naive_stage(lots, requests, POLICY)
        stage = build + solve
        print(
            f"{n:>8,}  {pieces:>10.2f}  {boxes:>7.2f}  {result.stats.stages:>6}  {build:>13.2f}  "
            f"{solve:>13.2f}  {stage:>13.2f}  {pieces / stage:>5.3f}  {boxes / stage:>11.3f}"
        )
        for label, outcome in (("pieces", result), ("boxes", boxed)):
            levels = ", ".join(
                f"tier {t}: {float(r.allocated) / r.requested:.1%} (lowest {r.lowest_fill:.1%})"
                for t, r in outcome.tiers.items()
            )
            phases = ", ".join(f"{k} {v:.2f}" for k, v in outcome.stats.phases.items())
            proven = "" if outcome.stats.optimal else "; NOT proven optimal"
            print(f"  {label:>6}: {levels}; {outcome.stats.classes} classes{proven}")
            print(f"          phases: {phases}")
    print()
    print("huge quantities (x 100,000; requests up to 2e9 pieces, exact minimums)")
    print("requests  allocate_s  boxes_s  largest_request  exact_minimums")
    for n in sizes:
        lots, requests = huge(*instance(n))
        _, pieces = timed(lots, requests, POLICY)
        boxed, boxes = timed(lots, requests, BOXES)
        exact = sum(1 for r in requests if r.minimum and r.minimum == r.quantity)
        largest = max(r.quantity for r in requests)
        proven = "" if boxed.stats.optimal else "  (NOT proven optimal)"
        print(f"{n:>8,}  {pieces:>10.2f}  {boxes:>7.2f}  {largest:>15,}  {exact:>14,}{proven}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [2000, 10000, 50000])
