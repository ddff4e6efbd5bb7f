"""Hand-computed cases for every rule of the allocator (allocation/solver.py, issue 5)."""

import math
import random
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from allocation.solver import (
    AllocationError,
    Explanation,
    Line,
    Lot,
    Policy,
    Request,
    allocate,
)

NAMES = {
    "protective": ("医用防护口罩", "medical protective"),
    "surgical": ("医用外科口罩", "surgical"),
    "kn95": ("KN95口罩", "KN95"),
    "daily": ("日常防护口罩", "daily protective"),
}


def got(result):
    """request id -> pieces allocated."""
    return {rid: r.allocated for rid, r in result.requests.items()}


def lines_of(result, request_id):
    return [(line.lot_id, line.quantity) for line in result.lines if line.request_id == request_id]


# -- the contract -------------------------------------------------------------------------------


def test_contract_names_and_defaults():
    lot = Lot("L1", "surgical", 100)
    assert (lot.expires_on, lot.pieces_per_box) == (None, 1)
    request = Request("R1", "第一人民医院", 1, "surgical", 10)
    assert request.minimum == 0
    policy = Policy()
    assert (policy.substitutes, policy.reserve, policy.whole_boxes, policy.tier_grades) == (
        {},
        {},
        False,
        {},
    )
    assert issubclass(AllocationError, ValueError)

    result = allocate([lot], [request], policy)
    assert result.lines == [Line("R1", "L1", "surgical", 10)]
    outcome = result.requests["R1"]
    assert (outcome.allocated, outcome.fill_ratio, outcome.share) == (10, 1.0, 10)
    assert outcome.reason == Explanation("全额满足", "fully served")
    assert (result.tiers[1].requested, result.tiers[1].allocated, result.tiers[1].lowest_fill) == (
        10,
        10,
        1.0,
    )
    assert result.held_back == {"surgical": 0}
    assert result.stats.stages == 1 and result.stats.seconds > 0


def test_no_lots_and_no_requests():
    empty = allocate([], [])
    assert (empty.lines, empty.requests, empty.tiers, empty.held_back) == ([], {}, {}, {})
    result = allocate([], [Request("R1", "u", 2, "surgical", 40)])
    assert got(result) == {"R1": 0}
    assert result.requests["R1"].reason.en == "tier 2 filled to 0%: no surgical stock to allocate"
    assert result.requests["R1"].reason.zh == "第2梯队满足0%：surgical无可分配库存"


def test_zero_quantity_request_is_fully_served_with_nothing():
    result = allocate([Lot("L1", "surgical", 5)], [Request("R0", "u", 1, "surgical", 0)])
    outcome = result.requests["R0"]
    assert (outcome.allocated, outcome.fill_ratio, outcome.reason.en) == (
        0,
        1.0,
        "nothing requested",
    )


# -- rule 4: pro-rata and leximin ---------------------------------------------------------------


def test_one_grade_without_substitution_is_exactly_pro_rata():
    lots = [Lot("L1", "surgical", 300)]
    requests = [Request(f"R{i}", "u", 1, "surgical", q) for i, q in enumerate([100, 200, 300])]
    result = allocate(lots, requests)
    assert got(result) == {"R0": 50, "R1": 100, "R2": 150}
    assert {r.fill_ratio for r in result.requests.values()} == {0.5}
    assert result.tiers[1].classes[0].level == Fraction(1, 2)


def test_leximin_raises_the_next_lowest_once_the_lowest_is_stuck():
    # R1 can only use A (30 of 100 = 0.3); R2 then takes what B allows (80 of 100 = 0.8).
    lots = [Lot("A1", "A", 30), Lot("B1", "B", 80)]
    requests = [Request("R1", "u", 1, "A", 100), Request("R2", "u", 1, "B", 100)]
    result = allocate(lots, requests)
    assert got(result) == {"R1": 30, "R2": 80}
    assert result.stats.stages == 2
    assert [k.level for k in result.tiers[1].classes] == [Fraction(3, 10), Fraction(4, 5)]


def test_leximin_with_substitution_balances_across_grades():
    # R1 only A; R2 A or B. Both reach 1/2: R1 50 of A, R2 100 of B and 50 of A.
    lots = [Lot("A1", "A", 100), Lot("B1", "B", 100)]
    requests = [Request("R1", "u", 1, "A", 100), Request("R2", "u", 1, "B", 300)]
    result = allocate(lots, requests, Policy(substitutes={"B": ["B", "A"]}))
    assert got(result) == {"R1": 50, "R2": 150}
    assert lines_of(result, "R2") == [("B1", 100), ("A1", 50)]


def test_tiers_are_served_in_order_with_earlier_quantities_fixed():
    lots = [Lot("L1", "surgical", 1000)]
    requests = [
        Request("H", "hospital", 1, "surgical", 700),
        Request("W", "water", 2, "surgical", 200),
        Request("S1", "shop", 3, "surgical", 300),
        Request("S2", "shop", 3, "surgical", 100),
    ]
    result = allocate(lots, requests)
    assert got(result) == {"H": 700, "W": 200, "S1": 75, "S2": 25}
    assert result.tiers[3].lowest_fill == 0.25


def test_earlier_tier_may_switch_grade_to_leave_room_for_a_later_tier():
    # Tier 1 could use A or B, tier 2 only A: tier 1's quantity is fixed, not its grades.
    lots = [Lot("A1", "A", 100), Lot("B1", "B", 100)]
    requests = [Request("T1", "u", 1, "B", 100), Request("T2", "u", 2, "A", 100)]
    result = allocate(lots, requests, Policy(substitutes={"B": ["B", "A"]}))
    assert got(result) == {"T1": 100, "T2": 100}


def test_thirds_with_largest_remainder_ties_by_request_id():
    lots = [Lot("L1", "surgical", 10)]
    requests = [Request(rid, "u", 1, "surgical", 10) for rid in ["c", "a", "b"]]
    result = allocate(lots, requests)
    assert got(result) == {"a": 4, "b": 3, "c": 3}
    assert all(r.share == Fraction(10, 3) for r in result.requests.values())


def test_largest_remainder_goes_first():
    # Shares 7 * (2/3) = 4.67, 5 * (2/3) = 3.33, 3 * (2/3) = 2: the .67 gets the leftover piece.
    lots = [Lot("L1", "surgical", 10)]
    requests = [
        Request("a", "u", 1, "surgical", 5),
        Request("b", "u", 1, "surgical", 7),
        Request("c", "u", 1, "surgical", 3),
    ]
    assert got(allocate(lots, requests)) == {"a": 3, "b": 5, "c": 2}


def test_largest_remainder_ties_go_by_tier_before_request_id():
    # Tier 1: X1, X2 share 5 of A (2.5 each). Tier 2: A1, A2 share 1 of B (0.5 each).
    # Two pieces are left (one of A, one of B); with equal remainders tier 1 goes first:
    # X1 takes the piece of A, X2 cannot get one, then A1 (tier 2, by id) takes the piece of B.
    lots = [Lot("LA", "A", 5), Lot("LB", "B", 1)]
    requests = [
        Request("X1", "u", 1, "A", 3),
        Request("X2", "u", 1, "A", 3),
        Request("A1", "u", 2, "B", 3),
        Request("A2", "u", 2, "B", 3),
    ]
    result = allocate(lots, requests, Policy(substitutes={"B": ["B", "A"]}))
    assert got(result) == {"X1": 3, "X2": 2, "A1": 1, "A2": 0}


# -- rule 3: minimums ---------------------------------------------------------------------------


def test_minimums_of_later_tiers_are_served_before_earlier_tiers_share_out():
    lots = [Lot("L1", "surgical", 1000)]
    requests = [
        Request("H", "hospital", 1, "surgical", 2000),
        Request("S", "shop", 3, "surgical", 500, minimum=200),
        Request("T", "shop", 3, "surgical", 500),
    ]
    result = allocate(lots, requests)
    assert got(result) == {"H": 800, "S": 200, "T": 0}
    assert result.requests["S"].reason.en == (
        "guaranteed minimum of 200 pieces; tier 3 filled to 0%: surgical stock exhausted"
    )
    assert (
        result.requests["S"].reason.zh == "按保底数量200件分配，第3梯队满足0%：surgical库存已分完"
    )


def test_a_minimum_above_the_level_stays_at_the_minimum():
    # Level t: 60 + 100t + 100t = 200 -> t = 0.7; R1's minimum 60 is below 70, R3's 90 above.
    lots = [Lot("L1", "surgical", 250)]
    requests = [
        Request("R1", "u", 1, "surgical", 100, minimum=60),
        Request("R2", "u", 1, "surgical", 100),
        Request("R3", "u", 1, "surgical", 100, minimum=90),
    ]
    result = allocate(lots, requests)
    assert got(result) == {"R1": 80, "R2": 80, "R3": 90}
    assert result.tiers[1].classes[0].level == Fraction(4, 5)
    assert result.requests["R3"].share == 90


def test_minimums_the_stock_cannot_cover_name_the_tier_and_shortfall():
    lots = [Lot("L1", "surgical", 100)]
    requests = [
        Request("H", "hospital", 1, "surgical", 80, minimum=80),
        Request("W", "water", 2, "surgical", 50, minimum=50),
        Request("S", "shop", 3, "surgical", 50, minimum=10),
    ]
    with pytest.raises(AllocationError) as caught:
        allocate(lots, requests)
    message = str(caught.value)
    assert "tier 2 is short by 30 pieces" in message
    assert "tier 3 is short by 10 pieces" in message
    assert "tier 1" not in message
    assert "第2梯队缺30件" in caught.value.zh


def test_minimum_with_no_usable_grade_is_reported():
    lots = [Lot("P1", "protective", 100)]
    requests = [Request("W", "water", 2, "protective", 50, minimum=10)]
    policy = Policy(tier_grades={"protective": {1}})
    with pytest.raises(
        AllocationError, match="tier 2 is short by 10 pieces; requests with no usable stock: W"
    ):
        allocate(lots, requests, policy)


# -- rule 2 and rule 5: substitution and restricted grades ---------------------------------------


def test_substitution_chain_takes_own_grade_then_substitutes_in_list_order():
    lots = [Lot("A1", "A", 3), Lot("B1", "B", 4), Lot("C1", "C", 10)]
    result = allocate(
        lots, [Request("R", "u", 1, "A", 10)], Policy(substitutes={"A": ["A", "B", "C"]})
    )
    assert lines_of(result, "R") == [("A1", 3), ("B1", 4), ("C1", 3)]
    assert result.requests["R"].by_grade == {"A": 3, "B": 4, "C": 3}


def test_own_grade_first_even_when_listed_later():
    lots = [Lot("A1", "A", 5), Lot("B1", "B", 5)]
    result = allocate(lots, [Request("R", "u", 1, "A", 6)], Policy(substitutes={"A": ["B", "A"]}))
    assert lines_of(result, "R") == [("A1", 5), ("B1", 1)]


def test_a_list_without_the_own_grade_excludes_it():
    lots = [Lot("A1", "A", 5), Lot("B1", "B", 5)]
    result = allocate(lots, [Request("R", "u", 1, "A", 6)], Policy(substitutes={"A": ["B"]}))
    assert lines_of(result, "R") == [("B1", 5)]


def test_substitution_is_minimal_lexicographically():
    # Own grades first: R2 takes its own y and R1 its third substitute w, rather than both
    # taking a first substitute (which would give fewer substitution steps in total).
    lots = [Lot("LY", "y", 1), Lot("LW", "w", 1)]
    requests = [Request("R1", "u", 1, "x", 1), Request("R2", "u", 1, "y", 1)]
    policy = Policy(substitutes={"x": ["x", "y", "z", "w"], "y": ["y", "w"]})
    result = allocate(lots, requests, policy)
    assert result.lines == [Line("R1", "LW", "w", 1), Line("R2", "LY", "y", 1)]


def test_substitution_does_not_displace_a_request_from_its_own_grade():
    # Both fit; the surgical request must not be pushed onto protective stock.
    lots = [Lot("S", "surgical", 100), Lot("P", "protective", 100)]
    requests = [Request("A", "u", 1, "protective", 150), Request("B", "u", 1, "surgical", 50)]
    result = allocate(
        lots, requests, Policy(substitutes={"protective": ["protective", "surgical"]})
    )
    assert lines_of(result, "A") == [("P", 100), ("S", 50)]
    assert lines_of(result, "B") == [("S", 50)]


def test_restricted_grade_serves_only_its_tiers_and_the_reason_says_so():
    lots = [Lot("P1", "protective", 100), Lot("S1", "surgical", 10)]
    requests = [
        Request("H", "hospital", 1, "protective", 50),
        Request("W", "water", 2, "protective", 100),
    ]
    policy = Policy(
        substitutes={"protective": ["protective", "surgical"]}, tier_grades={"protective": {1}}
    )
    result = allocate(lots, requests, policy, grade_names=NAMES)
    assert got(result) == {"H": 50, "W": 10}
    assert lines_of(result, "W") == [("S1", 10)]
    assert result.requests["W"].reason.en == (
        "tier 2 filled to 10%: surgical stock exhausted; medical protective restricted to tier 1"
    )
    assert (
        result.requests["W"].reason.zh
        == "第2梯队满足10%：医用外科口罩库存已分完；医用防护口罩仅限第1梯队"
    )
    assert result.left_over == {"protective": 50, "surgical": 0}


# -- rule 1: reserve ----------------------------------------------------------------------------


def test_reserve_is_the_ceiling_taken_from_the_latest_expiring_lots():
    lots = [
        Lot("early", "surgical", 600, date(2020, 4, 1)),
        Lot("late", "surgical", 20, date(2020, 9, 1)),
        Lot("never", "surgical", 30, None),
        Lot("mid", "surgical", 350, date(2020, 6, 1)),
    ]
    # 5% of 1000 = 50 exactly (0.05 is read as 1/20, not 0.05000000000000000277):
    # 30 from the lot without expiry, then 20 from the latest-dated one.
    result = allocate(
        lots, [Request("R", "u", 1, "surgical", 5000)], Policy(reserve={"surgical": 0.05})
    )
    assert result.held_back == {"surgical": 50}
    assert lines_of(result, "R") == [("early", 600), ("mid", 350)]
    assert result.requests["R"].reason.en == (
        "tier 1 filled to 19%: surgical stock exhausted; reserve of 5% of surgical held back"
    )


@pytest.mark.parametrize(
    ("reserve", "total", "held"),
    [(0.1, 15, 2), (Fraction(1, 3), 10, 4), (Decimal("0.25"), 8, 2), (0, 7, 0), (0.999, 1000, 999)],
)
def test_reserve_rounds_up(reserve, total, held):
    result = allocate([Lot("L", "g", total)], [], Policy(reserve={"g": reserve}))
    assert result.held_back == {"g": held}


# -- rule 7: FEFO -------------------------------------------------------------------------------


def test_lots_are_used_earliest_expiry_first_no_expiry_last_ties_by_lot_id():
    lots = [
        Lot("Z", "surgical", 10, None),
        Lot("B", "surgical", 10, date(2020, 5, 1)),
        Lot("A", "surgical", 10, date(2020, 5, 1)),
        Lot("C", "surgical", 10, date(2020, 3, 1)),
        Lot("Y", "surgical", 10, None),
    ]
    result = allocate(lots, [Request("R", "u", 1, "surgical", 35)])
    assert lines_of(result, "R") == [("C", 10), ("A", 10), ("B", 10), ("Y", 5)]


def test_tier_one_draws_first_on_the_earliest_lots():
    lots = [
        Lot("old", "surgical", 50, date(2020, 3, 1)),
        Lot("new", "surgical", 50, date(2020, 8, 1)),
    ]
    requests = [
        Request("S", "shop", 3, "surgical", 50),
        Request("H", "hospital", 1, "surgical", 50),
    ]
    result = allocate(lots, requests)
    assert lines_of(result, "H") == [("old", 50)]
    assert lines_of(result, "S") == [("new", 50)]


# -- rule 6: whole pieces and whole boxes -------------------------------------------------------


def test_whole_boxes_lines_are_whole_boxes_of_their_lot():
    lots = [Lot("L1", "surgical", 1000, date(2020, 5, 1), pieces_per_box=50)]
    requests = [Request(f"R{i}", "u", 1, "surgical", 500) for i in range(3)]
    result = allocate(lots, requests, Policy(whole_boxes=True))
    # Shares 333.33 each: 350 + 350 + 300 (largest remainder by id breaks the tie).
    assert got(result) == {"R0": 350, "R1": 350, "R2": 300}
    assert all(line.quantity % 50 == 0 for line in result.lines)
    assert all(abs(r.allocated - r.share) < 50 for r in result.requests.values())


def test_whole_boxes_leave_no_box_while_someone_could_take_it():
    # Tier 1 asks for 130 (2.6 boxes): it cannot take a third box without exceeding its
    # request, so that box goes to tier 2, whose share is what tier 1 left in boxes.
    lots = [Lot("L1", "surgical", 300, pieces_per_box=50)]
    requests = [
        Request("H", "hospital", 1, "surgical", 130),
        Request("W", "water", 2, "surgical", 500),
    ]
    result = allocate(lots, requests, Policy(whole_boxes=True))
    assert result.requests["H"].share == 130 and result.requests["W"].share == 200
    assert got(result) == {"H": 100, "W": 200}
    assert result.requests["H"].reason.en == (
        "tier 1 filled to 77% in whole boxes: 30 pieces (1 box of 50) short of its fair share "
        "of 130; another box of 50 pieces would exceed its request; surgical stock exhausted "
        "(taken by tiers 1 and 2)"
    )
    assert result.left_over == {"surgical": 0}


def test_whole_boxes_exclude_loose_pieces_and_respect_the_reserve():
    lots = [
        Lot("L1", "surgical", 1005, date(2020, 5, 1), pieces_per_box=100),
        Lot("L2", "surgical", 95, None, 10),
    ]
    # Reserve ceil(0.1 * 1100) = 110: all of L2 (95) and 15 of L1; L1 then gives 9 boxes.
    result = allocate(
        lots, [Request("R", "u", 1, "surgical", 2000)], Policy({}, {"surgical": 0.1}, True)
    )
    assert result.held_back == {"surgical": 110}
    assert lines_of(result, "R") == [("L1", 900)]
    assert result.left_over == {"surgical": 90}


def test_whole_boxes_meet_a_minimum_by_choosing_other_boxes():
    # 30 pieces, all guaranteed: 4 from the 2-piece boxes + 26 would not be whole; 6 x 5 is.
    lots = [
        Lot("L0", "a", 4, date(2020, 1, 3), pieces_per_box=2),
        Lot("L1", "a", 35, None, pieces_per_box=5),
    ]
    result = allocate(lots, [Request("R", "u", 1, "a", 30, minimum=30)], Policy(whole_boxes=True))
    assert got(result) == {"R": 30}
    assert all(line.quantity % (2 if line.lot_id == "L0" else 5) == 0 for line in result.lines)


def test_whole_boxes_report_a_minimum_no_boxes_can_meet():
    lots = [Lot("L1", "c", 11, pieces_per_box=10)]
    with pytest.raises(AllocationError, match=r"R \(minimum 2, quantity 9\)"):
        allocate(lots, [Request("R", "u", 3, "c", 9, minimum=2)], Policy(whole_boxes=True))


# -- rule 8: determinism ------------------------------------------------------------------------


def test_same_input_in_any_order_gives_the_same_output():
    rng = random.Random(7)
    lots = [
        Lot(f"L{i}", rng.choice("ABC"), rng.randint(0, 500), date(2020, 1, 1 + i % 20))
        for i in range(12)
    ]
    requests = [
        Request(
            f"R{i}",
            "u",
            rng.randint(1, 3),
            rng.choice("ABC"),
            rng.randint(0, 300),
            rng.choice([0, 0, 10]),
        )
        for i in range(40)
    ]
    policy = Policy(substitutes={"A": ["A", "B"], "C": ["C", "A", "B"]}, reserve={"B": 0.1})
    first = allocate(lots, requests, policy)
    rng.shuffle(lots)
    rng.shuffle(requests)
    second = allocate(lots, requests, policy)
    assert first.lines == second.lines
    assert first.requests == second.requests
    assert first.tiers == second.tiers
    assert (first.held_back, first.left_over) == (second.held_back, second.left_over)


# -- explanations -------------------------------------------------------------------------------


def test_explanations_in_both_languages():
    lots = [Lot("S1", "surgical", 500), Lot("P1", "protective", 230)]
    requests = [
        Request("H1", "hospital", 1, "surgical", 600),
        Request("H2", "clinic", 1, "protective", 400),
        Request("S", "pharmacy", 3, "kn95", 10),
    ]
    policy = Policy(
        substitutes={
            "surgical": ["surgical", "protective"],
            "protective": ["protective", "surgical"],
        }
    )
    result = allocate(lots, requests, policy, grade_names=NAMES)
    h1 = result.requests["H1"].reason
    assert h1.zh == "第1梯队满足73%：医用外科口罩和医用防护口罩库存已分完"
    assert h1.en == "tier 1 filled to 73%: surgical and medical protective stock exhausted"
    assert h1.get("en_GB") == h1.en and h1.get("zh_Hans_CN") == h1.zh and str(h1) == h1.en
    assert result.tiers[1].summary.en == (
        "tier 1: medical protective or surgical requests 73% "
        "(medical protective and surgical stock exhausted)"
    )
    assert result.tiers[1].summary.zh == (
        "第1梯队：可用医用防护口罩或医用外科口罩的需求满足73%（医用防护口罩和医用外科口罩库存已分完）"
    )
    assert result.requests["S"].reason.en == "tier 3 filled to 0%: no KN95 stock to allocate"
    assert result.tiers[3].summary.zh == "第3梯队：无可用库存的需求满足0%"


def test_percentages_never_round_to_full_or_empty():
    lots = [Lot("L1", "g", 999)]
    result = allocate(lots, [Request("R", "u", 1, "g", 1000), Request("S", "u", 2, "g", 1000)])
    assert result.requests["R"].reason.en.startswith("tier 1 filled to 99.9%")
    lots = [Lot("L1", "g", 1)]
    result = allocate(lots, [Request("R", "u", 1, "g", 1000)])
    assert result.requests["R"].reason.en.startswith("tier 1 filled to <1%")


# -- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lots", "requests", "policy", "needle"),
    [
        ([Lot("L1", "g", -5)], [], Policy(), "lot 'L1': quantity must be a whole number"),
        ([Lot("L1", "g", 2.5)], [], Policy(), "lot 'L1': quantity must be a whole number"),
        ([Lot("L1", "g", 10.0)], [], Policy(), "lot 'L1': quantity must be a whole number"),
        ([Lot("L1", "g", True)], [], Policy(), "lot 'L1': quantity must be a whole number"),
        (
            [Lot("L1", "g", 5, pieces_per_box=0)],
            [],
            Policy(),
            "pieces per box must be a whole number ≥ 1",
        ),
        ([Lot("L1", "g", 5), Lot("L1", "h", 5)], [], Policy(), "duplicate lot ids: L1"),
        ([Lot("L1", "g", 5, expires_on="2020-05-01")], [], Policy(), "expires_on must be a date"),
        (
            [],
            [Request("R", "u", 1, "g", -1)],
            Policy(),
            "request 'R': quantity must be a whole number",
        ),
        (
            [],
            [Request("R", "u", 1, "g", 5, minimum=-1)],
            Policy(),
            "minimum must be a whole number",
        ),
        (
            [],
            [Request("R", "u", 1, "g", 5, minimum=6)],
            Policy(),
            "minimum 6 is above the quantity 5",
        ),
        (
            [],
            [Request("R", "u", 1, "g", 5), Request("R", "v", 2, "g", 1)],
            Policy(),
            "duplicate request ids: R",
        ),
        ([], [Request("R", "u", 1.5, "g", 5)], Policy(), "tier must be a whole number"),
        ([], [], Policy(reserve={"g": 1}), "reserve for grade 'g' must be in [0, 1)"),
        ([], [], Policy(reserve={"g": -0.1}), "reserve for grade 'g' must be in [0, 1)"),
        ([], [], Policy(reserve={"g": float("nan")}), "reserve for grade 'g' must be in [0, 1)"),
        ([], [], Policy(reserve={"g": "5%"}), "reserve for grade 'g' must be in [0, 1)"),
        (
            [],
            [],
            Policy(substitutes={"g": "gh"}),
            "substitutes for grade 'g' must be a list of grades",
        ),
        (
            [],
            [],
            Policy(substitutes={"g": {"g", "h"}}),
            "must be a list of grades in order of preference",
        ),
        (
            [],
            [],
            Policy(tier_grades={"g": {"1"}}),
            "tier_grades for grade 'g' must be a set of whole tiers",
        ),
    ],
)
def test_bad_input_raises_a_clear_allocation_error(lots, requests, policy, needle):
    with pytest.raises(AllocationError) as caught:
        allocate(lots, requests, policy)
    assert needle in str(caught.value)
    assert caught.value.zh and caught.value.problems


def test_every_problem_is_listed_at_once():
    lots = [Lot("L1", "g", -1), Lot("L2", "g", 1, pieces_per_box=0)]
    requests = [Request("R", "u", 1, "g", 1, minimum=2)]
    with pytest.raises(AllocationError) as caught:
        allocate(lots, requests, Policy(reserve={"g": 2}))
    assert len(caught.value.problems) == 4
    assert str(caught.value).startswith("invalid allocation input: ")


# -- scale --------------------------------------------------------------------------------------


def test_classes_keep_the_work_small_at_scale():
    rng = random.Random(3)
    lots = [
        Lot(f"L{i}", "ABCDE"[i % 5], rng.randint(1000, 5000), date(2020, 3, 1 + i % 28))
        for i in range(50)
    ]
    requests = [
        Request(f"R{i:05d}", "u", rng.randint(1, 3), rng.choice("ABCDE"), rng.randint(1, 400))
        for i in range(5000)
    ]
    policy = Policy(substitutes={"A": ["A", "B"], "C": ["C", "D"]})
    result = allocate(lots, requests, policy)
    assert result.stats.classes <= 3 * 5
    assert result.stats.stages <= result.stats.classes
    assert sum(got(result).values()) == sum(lot.quantity for lot in lots)
    assert all(abs(r.allocated - r.share) < 1 for r in result.requests.values())
    assert math.isclose(
        sum(float(r.share) for r in result.requests.values()), sum(got(result).values())
    )
