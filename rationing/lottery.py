"""The booking lottery: who of those who booked may buy, when more booked than an outlet can
serve. Not first come, first served: when someone booked within the booking window does not
matter, so there is nothing to gain by a bot that books at the first second.

Every booking gets a ticket, SHA-256 of the round's seed and the booking's reference. The seed
is drawn when the round opens and only its SHA-256 is published then (a commitment: it cannot
be changed afterwards); it is published itself with the results, so that anyone can recompute
every ticket and the whole draw from the list of references.

1. Outlet by outlet, bookings in ticket order (lowest first) win while the outlet has places
   (its pieces for the round divided by the pieces per person) and the chosen time slot has
   room.
2. Fairness across outlets: places left (at outlets fewer people chose, or in quieter slots) go
   to those who lost and said they would take another time or another outlet of the same
   district, again in ticket order: first another slot of the outlet they chose, else the
   outlet of the district with the most places left (then the lowest outlet id), each time in
   its earliest slot with room.

Pure: no Flask, no database.
"""

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    reference: str
    outlet: int
    slot: int
    flexible: bool = False  # would take another time, or another outlet of the same district


@dataclass(frozen=True)
class Outlet:
    id: int
    district: str
    places: int  # people it can serve this round
    slots: tuple[tuple[int, int], ...]  # (slot id, people), earliest first


@dataclass(frozen=True)
class Won:
    outlet: int
    slot: int
    moved: bool  # placed at another slot or outlet than the one chosen (step 2)


def ticket(seed: str, reference: str) -> str:
    return hashlib.sha256(f"{seed}:{reference}".encode()).hexdigest()


def commitment(seed: str) -> str:
    """What is published when the round opens: SHA-256 of the seed."""
    return hashlib.sha256(seed.encode()).hexdigest()


def draw(seed: str, entries: list[Entry], outlets: list[Outlet]) -> dict[str, Won | None]:
    """Each booking's place (None: not drawn). The same seed and entries give the same draw."""
    by_id = {o.id: o for o in outlets}
    places = {o.id: o.places for o in outlets}
    room = {(o.id, slot): people for o in outlets for slot, people in o.slots}
    ordered = sorted(entries, key=lambda e: (ticket(seed, e.reference), e.reference))
    result: dict[str, Won | None] = {}
    for entry in ordered:
        if places.get(entry.outlet, 0) > 0 and room.get((entry.outlet, entry.slot), 0) > 0:
            places[entry.outlet] -= 1
            room[(entry.outlet, entry.slot)] -= 1
            result[entry.reference] = Won(entry.outlet, entry.slot, False)
        else:
            result[entry.reference] = None
    for entry in ordered:
        if result[entry.reference] is not None or not entry.flexible:
            continue
        chosen = by_id.get(entry.outlet)
        if chosen is None:
            continue
        others = [
            o
            for o in outlets
            if o.id != entry.outlet and o.district == chosen.district and places[o.id] > 0
        ]
        for outlet in [chosen, *sorted(others, key=lambda o: (-places[o.id], o.id))]:
            if places[outlet.id] <= 0:
                continue
            slot = next((s for s, _ in outlet.slots if room[(outlet.id, s)] > 0), None)
            if slot is not None:
                places[outlet.id] -= 1
                room[(outlet.id, slot)] -= 1
                result[entry.reference] = Won(outlet.id, slot, True)
                break
    return result
