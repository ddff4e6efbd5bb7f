"""The pure parts of citizens' rationing: identity card numbers and the lottery."""

import random
from collections import Counter
from datetime import date

import pytest

from rationing import idcard, lottery
from rationing.idcard import InvalidIdNumber

TODAY = date(2026, 2, 6)
VALID = "11010519491231002X"  # the standard's own example (GB 11643-1999, check character X)


def _number(first17: str) -> str:
    return first17 + idcard.check_character(first17)


def test_the_standards_example_is_valid_and_normalised():
    assert idcard.validate(VALID, TODAY) == VALID
    assert idcard.validate(" 1101 0519 4912 3100 2x ", TODAY) == VALID  # spaces, lower-case x
    assert idcard.validate("１１０１０５１９４９１２３１００２Ｘ", TODAY) == VALID  # full-width


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("11010519491231002", "length"),
        ("11010519491231002X1", "length"),
        ("1101051949123100XX", "characters"),
        ("A1010519491231002X", "characters"),
        (_number("99010519491231002"), "province"),
        (_number("44052419800230001"), "birth_date"),  # 30 February
        (_number("44052418800101001"), "birth_date"),  # before 1900
        (_number("44052420300101001"), "birth_date"),  # not born yet
        ("110105194912310021", "check_character"),
    ],
)
def test_what_is_wrong_with_a_number_is_named(number, code):
    with pytest.raises(InvalidIdNumber) as caught:
        idcard.validate(number, TODAY)
    assert caught.value.code == code


def test_every_single_digit_typo_is_caught_by_the_check_character():
    for position in range(17):
        for digit in "0123456789":
            if digit == VALID[position]:
                continue
            typo = VALID[:position] + digit + VALID[position + 1 :]
            with pytest.raises(InvalidIdNumber):
                idcard.validate(typo, TODAY)


def test_the_keyed_hash_needs_the_key_and_never_holds_the_number():
    first = idcard.keyed_hash(VALID, b"key-one")
    assert first == idcard.keyed_hash(VALID.lower(), b"key-one")  # the same person
    assert first != idcard.keyed_hash(VALID, b"key-two")
    assert VALID not in first and len(first) == 64


def _outlets(*specs):
    """(id, district, places, [(slot id, people), ...])"""
    return [lottery.Outlet(i, d, p, tuple(slots)) for i, d, p, slots in specs]


def test_nobody_loses_when_there_is_room_for_everyone():
    outlets = _outlets((1, "浈江区", 10, [(11, 5), (12, 5)]))
    entries = [lottery.Entry(f"R{n}", 1, 11 if n < 5 else 12) for n in range(10)]
    won = lottery.draw("seed", entries, outlets)
    assert all(won[e.reference] == lottery.Won(e.outlet, e.slot, False) for e in entries)


def test_an_oversubscribed_outlet_never_gives_more_places_than_it_has():
    outlets = _outlets((1, "浈江区", 30, [(11, 20), (12, 20)]))
    entries = [lottery.Entry(f"R{n:03d}", 1, 11 + n % 2) for n in range(200)]
    won = lottery.draw("seed", entries, outlets)
    winners = [w for w in won.values() if w is not None]
    assert len(winners) == 30
    assert all(n <= 20 for n in Counter(w.slot for w in winners).values())


def test_the_draw_is_the_same_for_the_same_seed_and_differs_with_another():
    outlets = _outlets((1, "浈江区", 10, [(11, 10)]))
    entries = [lottery.Entry(f"R{n:03d}", 1, 11) for n in range(50)]
    shuffled = random.Random(7).sample(entries, len(entries))
    first = lottery.draw("seed-a", entries, outlets)
    assert lottery.draw("seed-a", shuffled, outlets) == first  # the order of booking is no matter
    assert lottery.draw("seed-b", entries, outlets) != first
    # Anyone can recompute it from the published seed: the lowest tickets won.
    tickets = sorted(entries, key=lambda e: lottery.ticket("seed-a", e.reference))
    assert {e.reference for e in tickets[:10]} == {r for r, w in first.items() if w}


def test_each_booking_has_the_same_chance_whenever_it_booked():
    outlets = _outlets((1, "浈江区", 25, [(11, 100)]))
    entries = [lottery.Entry(f"R{n:03d}", 1, 11) for n in range(100)]
    wins = Counter()
    for seed in range(400):
        for reference, won in lottery.draw(str(seed), entries, outlets).items():
            wins[reference] += won is not None
    first_ten = sum(wins[f"R{n:03d}"] for n in range(10)) / (10 * 400)
    last_ten = sum(wins[f"R{n:03d}"] for n in range(90, 100)) / (10 * 400)
    assert abs(first_ten - 0.25) < 0.05 and abs(last_ten - 0.25) < 0.05


def test_places_left_at_a_quiet_outlet_go_to_flexible_losers_of_the_same_district():
    outlets = _outlets(
        (1, "浈江区", 5, [(11, 5)]),  # busy
        (2, "浈江区", 20, [(21, 10), (22, 10)]),  # quiet
        (3, "武江区", 50, [(31, 50)]),  # another district: never offered
    )
    busy = [lottery.Entry(f"A{n:02d}", 1, 11, flexible=n % 2 == 0) for n in range(60)]
    quiet = [lottery.Entry(f"B{n:02d}", 2, 21) for n in range(3)]
    won = lottery.draw("seed", busy + quiet, outlets)
    assert all(won[e.reference] == lottery.Won(2, 21, False) for e in quiet)
    at_one = [r for r, w in won.items() if w and w.outlet == 1]
    moved = [r for r, w in won.items() if w and w.moved]
    assert len(at_one) == 5
    flexible_losers = [e for e in busy if e.flexible and e.reference not in at_one]
    assert len(flexible_losers) > 17 and len(moved) == 17  # the quiet outlet's places left
    assert all(w.outlet == 2 for r, w in won.items() if r in moved)
    assert all(int(r[1:]) % 2 == 0 for r in moved)  # only those who said they would move
    assert not any(w and w.outlet == 3 for w in won.values())
    # Moved in ticket order: every flexible loser who was not moved has a higher ticket.
    left = [e for e in busy if e.flexible and won[e.reference] is None]
    assert left
    worst_moved = max(lottery.ticket("seed", r) for r in moved)
    assert all(lottery.ticket("seed", e.reference) > worst_moved for e in left)


def test_a_full_slot_sends_a_flexible_loser_to_another_time_of_the_same_outlet_first():
    outlets = _outlets(
        (1, "浈江区", 10, [(11, 2), (12, 8)]),
        (2, "浈江区", 10, [(21, 10)]),
    )
    entries = [lottery.Entry(f"R{n}", 1, 11, flexible=True) for n in range(5)]
    won = lottery.draw("seed", entries, outlets)
    assert sorted((w.outlet, w.slot, w.moved) for w in won.values()) == [
        (1, 11, False),
        (1, 11, False),
        (1, 12, True),
        (1, 12, True),
        (1, 12, True),
    ]
