"""Property-based tests of the allocator against straightforward references (hypothesis).

The references are deliberately naive and independent of the solver: a per-request LP
leximin (one variable per request x grade, one LP per level plus one per request to find who
is blocked), an LP sequence for lexicographically minimal substitution, and a per-request
max-flow for "nothing left over".

The default run checks a few hundred random instances per property in well under a minute.
For the "thousands of instances" run set ``BAOGONG_SOLVER_EXAMPLES``, e.g.::

    BAOGONG_SOLVER_EXAMPLES=3000 .venv/bin/pytest tests/unit/test_solver_properties.py
"""

import math
import os
import random
from datetime import date, timedelta
from fractions import Fraction

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from ortools.graph.python import max_flow
from ortools.math_opt.python import mathopt

from allocation.solver import AllocationError, Lot, Policy, Request, allocate

EXAMPLES = int(os.environ.get("BAOGONG_SOLVER_EXAMPLES", "0"))


def examples(default: int):
    return settings(
        max_examples=EXAMPLES or default,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


GRADES = ["a", "b", "c"]
RESERVES = [0, 0.05, 0.1, 0.25, Fraction(1, 3)]


# -- random instances ---------------------------------------------------------------------------


@st.composite
def instances(draw, boxes=None, minimums=True):
    """Small instances: up to 3 grades (and one with no stock), 6 lots, 8 requests, 3 tiers."""
    grades = GRADES[: draw(st.integers(1, 3))]
    whole_boxes = draw(st.booleans()) if boxes is None else boxes
    lots = []
    for i in range(draw(st.integers(1, 6))):
        expiry = draw(
            st.none() | st.integers(0, 4).map(lambda d: date(2020, 3, 1) + timedelta(days=d))
        )
        box = draw(st.sampled_from([1, 2, 3, 5, 10] if whole_boxes else [1, 10]))
        lots.append(
            Lot(
                f"L{i}",
                draw(st.sampled_from(grades)),
                draw(st.sampled_from([0, *range(1, 81)])),
                expiry,
                box,
            )
        )
    requests = []
    for i in range(draw(st.integers(1, 8))):
        quantity = draw(st.sampled_from([0, *range(1, 41)]))
        with_minimum = minimums and draw(st.sampled_from([False, False, False, True]))
        minimum = draw(st.integers(0, quantity // 2)) if with_minimum else 0
        grade = draw(st.sampled_from([*grades, *grades, *grades, "z"]))
        requests.append(
            Request(f"R{i}", f"unit {i}", draw(st.integers(1, 3)), grade, quantity, minimum)
        )
    substitutes = {}
    for grade in grades:
        if draw(st.booleans()):
            length = draw(st.integers(1, len(grades) + 1))
            substitutes[grade] = draw(st.permutations([*grades, "z"]))[:length]
    reserve = {g: draw(st.sampled_from(RESERVES)) for g in grades if draw(st.integers(0, 2)) == 0}
    tier_grades = {
        g: set(draw(st.sets(st.integers(1, 3)))) for g in grades if draw(st.integers(0, 3)) == 0
    }
    return lots, requests, Policy(substitutes, reserve, whole_boxes, tier_grades)


# -- independent helpers ------------------------------------------------------------------------


def fefo(lot):
    return (lot.expires_on is None, lot.expires_on or date.min, lot.id)


def allocatable(lots, policy):
    """lot id -> allocatable pieces (whole boxes when whole_boxes); grade -> held back."""
    out, held = {}, {}
    for grade in {lot.grade for lot in lots}:
        group = sorted((lot for lot in lots if lot.grade == grade), key=fefo)
        reserve = policy.reserve.get(grade, 0)
        reserve = Fraction(repr(reserve)) if isinstance(reserve, float) else Fraction(reserve)
        hold = held[grade] = math.ceil(reserve * sum(lot.quantity for lot in group))
        for lot in reversed(group):
            take = min(hold, lot.quantity)
            hold -= take
            left = lot.quantity - take
            out[lot.id] = left - left % lot.pieces_per_box if policy.whole_boxes else left
    return out, held


def preference(request, policy):
    """Rule 2: the grades a request may use, own grade first, and each one's rank."""
    listed = list(dict.fromkeys(policy.substitutes.get(request.grade, [request.grade])))
    if request.grade in listed:
        listed.remove(request.grade)
        listed.insert(0, request.grade)
    return {
        g: rank
        for rank, g in enumerate(listed)
        if g not in policy.tier_grades or request.tier in policy.tier_grades[g]
    }


def stock_by_grade(lots, policy):
    cap, _ = allocatable(lots, policy)
    stock = {}
    for lot in lots:
        stock[lot.grade] = stock.get(lot.grade, 0) + cap[lot.id]
    return {g: q for g, q in stock.items() if q > 0}


def max_served(lots, requests, policy, demand):
    """Max-flow over requests (one node each) and grades; demand: request id -> cap."""
    stock = stock_by_grade(lots, policy)
    grades = sorted(stock)
    solver = max_flow.SimpleMaxFlow()
    for i, g in enumerate(grades):
        solver.add_arc_with_capacity(2 + i, 1, stock[g])
    for j, request in enumerate(requests):
        node = 2 + len(grades) + j
        solver.add_arc_with_capacity(0, node, demand[request.id])
        for g in preference(request, policy):
            if g in stock:
                solver.add_arc_with_capacity(node, 2 + grades.index(g), 10**9)
    assert solver.solve(0, 1) == solver.OPTIMAL
    return solver.optimal_flow()


def solve(model):
    result = mathopt.solve(model, mathopt.SolverType.GLOP)
    assert result.termination.reason == mathopt.TerminationReason.OPTIMAL, result.termination
    return result.objective_value()


def reference_leximin(lots, requests, policy):
    """Per-request LP water-filling, tier by tier: request id -> share (float)."""
    stock = stock_by_grade(lots, policy)
    live = [r for r in requests if r.quantity]
    usable = {r.id: [g for g in preference(r, policy) if g in stock] for r in live}
    fixed = {r.id: 0.0 for r in live if not usable[r.id]}

    def model_for(tier, level, probe):
        model = mathopt.Model()
        amounts, by_grade = {}, {}
        for r in live:
            xs = [model.add_variable(lb=0.0) for _ in usable[r.id]]
            for g, x in zip(usable[r.id], xs, strict=True):
                by_grade.setdefault(g, []).append(x)
            amounts[r.id] = mathopt.fast_sum(xs)
        for g, xs in by_grade.items():
            model.add_linear_constraint(mathopt.fast_sum(xs) <= stock[g])
        t = model.add_variable(lb=0.0, ub=1.0)
        for r in live:
            total = amounts[r.id]
            if r.id in fixed:
                model.add_linear_constraint(total >= fixed[r.id] - 1e-7)
                model.add_linear_constraint(total <= fixed[r.id] + 1e-7)
                continue
            model.add_linear_constraint(total >= r.minimum)
            model.add_linear_constraint(total <= r.quantity)
            if r.tier == tier:
                if level is None:
                    model.add_linear_constraint(total - r.quantity * t >= 0)
                else:
                    model.add_linear_constraint(total >= level * r.quantity - 1e-7)
        model.maximize(t if probe is None else amounts[probe.id])
        return model

    for tier in sorted({r.tier for r in live}):
        active = [r for r in live if r.tier == tier and r.id not in fixed]
        while active:
            level = solve(model_for(tier, None, None))
            if level >= 1 - 1e-9:
                fixed.update({r.id: float(r.quantity) for r in active})
                break
            still = []
            for r in active:
                target = max(r.minimum, level * r.quantity)
                if solve(model_for(tier, level, r)) <= target + 1e-6 * max(1, r.quantity):
                    fixed[r.id] = target
                else:
                    still.append(r)
            assert len(still) < len(active)
            active = still
    return fixed


def check_feasible(lots, requests, policy, result):
    """Lines are real, eligible, within stock, whole units; totals agree; rule 1 and rule 3."""
    cap, held = allocatable(lots, policy)
    assert result.held_back == held
    by_id = {lot.id: lot for lot in lots}
    requested = {r.id: r for r in requests}
    used = dict.fromkeys(cap, 0)
    given = dict.fromkeys(requested, 0)
    seen = set()
    for line in result.lines:
        lot, request = by_id[line.lot_id], requested[line.request_id]
        assert line.quantity > 0 and (line.request_id, line.lot_id) not in seen
        seen.add((line.request_id, line.lot_id))
        assert line.grade == lot.grade and line.grade in preference(request, policy)
        if policy.whole_boxes:
            assert line.quantity % lot.pieces_per_box == 0
        used[lot.id] += line.quantity
        given[request.id] += line.quantity
    assert all(used[i] <= cap[i] for i in cap)
    assert set(result.requests) == set(requested)
    for r in requests:
        outcome = result.requests[r.id]
        assert outcome.allocated == given[r.id]
        assert r.minimum <= outcome.allocated <= r.quantity
        assert outcome.fill_ratio == (outcome.allocated / r.quantity if r.quantity else 1.0)
        assert outcome.reason.zh and outcome.reason.en
    for tier, summary in result.tiers.items():
        members = [r for r in requests if r.tier == tier]
        assert summary.requested == sum(r.quantity for r in members)
        assert summary.allocated == sum(given[r.id] for r in members)
    return cap, used, given


def check_fefo(lots, policy, cap, used):
    """Rule 7: a lot with spare units leaves every later lot of its grade (and box) unused."""
    unit = {lot.id: lot.pieces_per_box if policy.whole_boxes else 1 for lot in lots}
    groups = {}
    for lot in sorted(lots, key=fefo):
        groups.setdefault((lot.grade, unit[lot.id]), []).append(lot)
    for (_, size), group in groups.items():
        for i, lot in enumerate(group):
            if cap[lot.id] - used[lot.id] >= size:
                assert all(used[later.id] == 0 for later in group[i + 1 :])


def check_nothing_left(lots, requests, policy, cap, used, given):
    """Rule 6: no spare unit of a lot while a request that may use its grade is short a unit."""
    for lot in lots:
        unit = lot.pieces_per_box if policy.whole_boxes else 1
        if cap[lot.id] - used[lot.id] >= unit:
            for r in requests:
                if lot.grade in preference(r, policy):
                    assert r.quantity - given[r.id] < unit


def minimums_fit(lots, requests, policy):
    wanted = sum(r.minimum for r in requests)
    return max_served(lots, requests, policy, {r.id: r.minimum for r in requests}) == wanted


# -- properties ---------------------------------------------------------------------------------


@examples(300)
@given(instances(boxes=False))
def test_allocation_is_feasible_leximin_fefo_and_wastes_nothing(instance):
    # Whole boxes have their own exact reference: tests/unit/test_solver_boxes.py.
    lots, requests, policy = instance
    try:
        result = allocate(lots, requests, policy)
    except AllocationError as error:
        event("refused: " + str(error).split(":")[0])
        assert not minimums_fit(lots, requests, policy)
        return
    assert minimums_fit(lots, requests, policy)
    event(f"allocated, {result.stats.stages} stages")
    cap, used, given = check_feasible(lots, requests, policy, result)
    check_fefo(lots, policy, cap, used)
    check_nothing_left(lots, requests, policy, cap, used, given)
    reference = reference_leximin(lots, requests, policy)
    for r in requests:
        if r.quantity:
            assert abs(float(result.requests[r.id].share) - reference[r.id]) <= 1e-6 * max(
                1, r.quantity
            )


@examples(400)
@given(instances(boxes=False))
def test_pieces_are_within_one_of_the_share_by_largest_remainder_and_use_all_they_can(instance):
    lots, requests, policy = instance
    try:
        result = allocate(lots, requests, policy)
    except AllocationError:
        assert not minimums_fit(lots, requests, policy)
        return
    cap, used, given = check_feasible(lots, requests, policy, result)
    check_fefo(lots, policy, cap, used)
    check_nothing_left(lots, requests, policy, cap, used, given)
    outcomes = result.requests
    for r in requests:
        assert abs(outcomes[r.id].allocated - outcomes[r.id].share) < 1
    # Nothing left over even by moving others between grades: the total is a maximum flow.
    assert sum(given.values()) == max_served(
        lots, requests, policy, {r.id: r.quantity for r in requests}
    )
    # Largest remainder, ties by tier then id, between interchangeable requests.
    stock = stock_by_grade(lots, policy)
    classes = {}
    for r in requests:
        if r.quantity:
            usable = frozenset(g for g in preference(r, policy) if g in stock)
            classes.setdefault((r.tier, usable), []).append(r)
    for members in classes.values():
        for up in members:
            for down in members:
                a, b = outcomes[up.id], outcomes[down.id]
                if a.allocated > a.share and b.allocated < b.share:
                    rem_a, rem_b = a.share - math.floor(a.share), b.share - math.floor(b.share)
                    assert (rem_a, -up.tier) > (rem_b, -down.tier) or (
                        rem_a == rem_b and (up.tier, up.id) < (down.tier, down.id)
                    )


@examples(300)
@given(instances(boxes=False))
def test_substitution_is_lexicographically_minimal(instance):
    lots, requests, policy = instance
    try:
        result = allocate(lots, requests, policy)
    except AllocationError:
        return
    stock = stock_by_grade(lots, policy)
    rank = {r.id: preference(r, policy) for r in requests}
    served = [r for r in requests if result.requests[r.id].allocated]
    if not served:
        return
    deepest = max(rank[r.id][g] for r in served for g in rank[r.id] if g in stock)
    model = mathopt.Model()
    y, by_grade = {}, {}
    for r in served:
        xs = []
        for g in rank[r.id]:
            if g in stock:
                y[r.id, g] = model.add_variable(lb=0.0)
                by_grade.setdefault(g, []).append(y[r.id, g])
                xs.append(y[r.id, g])
        model.add_linear_constraint(mathopt.fast_sum(xs) == result.requests[r.id].allocated)
    for g, xs in by_grade.items():
        model.add_linear_constraint(mathopt.fast_sum(xs) <= stock[g])
    for k in range(deepest + 1):
        within = mathopt.fast_sum(v for (rid, g), v in y.items() if rank[rid][g] <= k)
        model.maximize(within)
        best = round(solve(model))
        mine = sum(
            quantity
            for r in served
            for g, quantity in result.requests[r.id].by_grade.items()
            if rank[r.id][g] <= k
        )
        assert mine == best, (k, mine, best)
        model.add_linear_constraint(within >= best - 1e-6)


@examples(200)
@given(instances(boxes=True))
def test_whole_boxes_keep_their_guarantees(instance):
    # Feasible, FEFO within a box size, nothing left that a request could take; refused only
    # when the minimums cannot be made (the exact checks: tests/unit/test_solver_boxes.py).
    lots, requests, policy = instance
    try:
        result = allocate(lots, requests, policy)
    except AllocationError as error:
        assert any(r.minimum for r in requests), str(error)
        return
    cap, used, given = check_feasible(lots, requests, policy, result)
    check_fefo(lots, policy, cap, used)
    check_nothing_left(lots, requests, policy, cap, used, given)
    assert result.stats.optimal


@examples(150)
@given(instances(minimums=False), st.randoms(use_true_random=False))
def test_the_same_input_in_any_order_gives_the_same_output(instance, rng):
    lots, requests, policy = instance
    first = allocate(lots, requests, policy)
    again = allocate(list(lots), list(requests), policy)
    shuffled_lots, shuffled_requests = list(lots), list(requests)
    rng.shuffle(shuffled_lots)
    rng.shuffle(shuffled_requests)
    other = allocate(shuffled_lots, shuffled_requests, policy)
    for result in (again, other):
        assert result.lines == first.lines
        assert result.requests == first.requests
        assert result.tiers == first.tiers
        assert (result.held_back, result.left_over) == (first.held_back, first.left_over)
        assert result.stats.stages == first.stats.stages


@examples(300)
@given(
    st.lists(st.integers(0, 500), min_size=1, max_size=6),
    st.lists(st.tuples(st.integers(1, 3), st.integers(0, 400)), max_size=8),
    st.sampled_from(RESERVES),
)
def test_one_grade_without_substitution_is_exactly_pro_rata_tier_by_tier(stock, wanted, reserve):
    lots = [Lot(f"L{i}", "g", q, date(2020, 4, 1) + timedelta(days=i)) for i, q in enumerate(stock)]
    requests = [Request(f"R{i}", "u", tier, "g", q) for i, (tier, q) in enumerate(wanted)]
    result = allocate(lots, requests, Policy(reserve={"g": reserve}))
    left = Fraction(sum(stock) - result.held_back["g"])
    for tier in sorted({t for t, _ in wanted}):
        members = [r for r in requests if r.tier == tier]
        demand = sum(r.quantity for r in members)
        ratio = min(Fraction(1), left / demand) if demand else Fraction(1)
        for r in members:
            assert result.requests[r.id].share == ratio * r.quantity
        left -= ratio * demand


BAD_CHANGES = [
    ("lot", "quantity", -1),
    ("lot", "quantity", 2.5),
    ("lot", "quantity", True),
    ("lot", "pieces_per_box", 0),
    ("lot", "id", "L0"),
    ("lot", "expires_on", "2020-01-01"),
    ("request", "quantity", -3),
    ("request", "quantity", 7.0),
    ("request", "minimum", 10_000),
    ("request", "id", "R0"),
    ("request", "tier", None),
    ("reserve", None, 1.0),
    ("reserve", None, -0.01),
]


@examples(150)
@given(instances(minimums=False), st.sampled_from(BAD_CHANGES), st.randoms(use_true_random=False))
def test_bad_input_always_raises_allocation_error(instance, change, rng):
    lots, requests, policy = instance
    kind, name, value = change
    if kind == "lot":
        lots = (
            [*lots, Lot("L0", "a", 5)]
            if name != "id"
            else [*lots, Lot("L0", "a", 5), Lot("L0", "b", 1)]
        )
        if name != "id":
            lots[-1] = Lot(**{**lots[-1].__dict__, name: value})
    elif kind == "request":
        requests = (
            [*requests, Request("R0", "u", 1, "a", 5)]
            if name != "id"
            else [
                *requests,
                Request("R0", "u", 1, "a", 5),
                Request("R0", "v", 2, "b", 1),
            ]
        )
        if name != "id":
            requests[-1] = Request(**{**requests[-1].__dict__, name: value})
    else:
        policy = Policy(
            policy.substitutes,
            {**policy.reserve, "a": value},
            policy.whole_boxes,
            policy.tier_grades,
        )
    rng.shuffle(lots)
    rng.shuffle(requests)
    try:
        allocate(lots, requests, policy)
    except AllocationError as error:
        assert isinstance(error, ValueError) and error.zh and error.problems
    else:
        raise AssertionError(f"{change} was accepted")


def test_a_fixed_random_sample_of_province_shaped_instances():
    """A few larger instances (hundreds of requests) against the invariants, without the LP."""
    rng = random.Random(2020)
    for _ in range(5):
        grades = ["GB19083", "YY0469", "YYT0969", "GB2626", "GBT32610"]
        lots = [
            Lot(
                f"L{i:02d}",
                rng.choice(grades),
                rng.randint(0, 3000),
                date(2020, 3, 1) + timedelta(days=rng.randint(0, 90)),
            )
            for i in range(50)
        ]
        requests = [
            Request(f"R{i:04d}", "u", rng.randint(1, 3), rng.choice(grades), rng.randint(1, 600))
            for i in range(600)
        ]
        policy = Policy(
            substitutes={"YYT0969": ["YYT0969", "YY0469"], "YY0469": ["YY0469", "GB19083"]},
            reserve={"GB19083": 0.1},
            tier_grades={"GB19083": {1}},
        )
        result = allocate(lots, requests, policy)
        cap, used, given = check_feasible(lots, requests, policy, result)
        check_fefo(lots, policy, cap, used)
        check_nothing_left(lots, requests, policy, cap, used, given)
        assert sum(given.values()) == max_served(
            lots, requests, policy, {r.id: r.quantity for r in requests}
        )
