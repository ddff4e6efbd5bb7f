"""Box arithmetic: which amounts boxes can make, and sharing a pool of boxes out exactly.

Nothing here depends on how big the quantities are: ``Sums`` works on residues modulo the
smallest box, and sharing out works size by size over the targets.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import math
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable

from ortools.sat.python import cp_model

TABLE_LIMIT = 20_000
BELOW_LIMIT = 1_000_000


class Sums:
    """The amounts that whole boxes of ``sizes`` can make, as many boxes of each as needed.

    With ``a`` the smallest size (over the gcd), ``table[rho]`` is the smallest such amount
    that is ``rho`` modulo ``a`` (Dijkstra over the residues); every larger amount in that
    residue class is one too.  So the smallest amount at least ``m`` and the largest at most
    ``x`` take O(1) beyond the largest table entry (the Frobenius bound ``top``) and a binary
    search below it (or O(a) when ``top`` is huge): never anything in the size of the
    quantities.  A smallest box above ``TABLE_LIMIT`` (after the gcd) asks CP-SAT instead.
    """

    def __init__(self, sizes: Iterable[int]):
        self.sizes = tuple(sorted(set(sizes)))
        self.gcd = math.gcd(*self.sizes)
        units = [size // self.gcd for size in self.sizes]
        self.a = units[0]
        self.table: list[int] | None = None
        self.top = 0
        if self.a <= TABLE_LIMIT:
            inf = math.inf
            table: list = [inf] * self.a
            table[0] = 0
            heap = [(0, 0)]
            while heap:
                d, rho = heapq.heappop(heap)
                if d > table[rho]:
                    continue
                for unit in units[1:]:
                    nd = d + unit
                    nr = nd % self.a
                    if nd < table[nr]:
                        table[nr] = nd
                        heapq.heappush(heap, (nd, nr))
            self.table = table
            self.top = max(table)
        # Below the Frobenius bound, the amounts boxes make, listed (binary search).
        self.below: array | None = None
        if self.table is not None and self.top <= BELOW_LIMIT:
            a, top = self.a, self.top
            makes = bytearray(top)  # x is made iff x >= table[x % a]: a slice per residue
            for smallest in self.table:
                if smallest < top:
                    makes[smallest:top:a] = b"\x01" * len(range(smallest, top, a))
            self.below = array("q", itertools.compress(range(top), makes))
        self.cache: dict[tuple[str, int], int] = {}

    def ceil(self, m: int) -> int:
        """The smallest amount >= m (m >= 0)."""
        units = -(-m // self.gcd)
        if self.table is not None:
            if units >= self.top:
                return units * self.gcd
            if self.below is not None:
                i = bisect_left(self.below, units)
                return (self.below[i] if i < len(self.below) else self.top) * self.gcd
            a = self.a
            best = min(
                d if d >= units else units + (rho - units) % a for rho, d in enumerate(self.table)
            )
            return best * self.gcd
        return self._ask("ceil", m)

    def floor(self, x: int) -> int:
        """The largest amount <= x (x >= 0)."""
        units = x // self.gcd
        if self.table is not None:
            if units >= self.top:
                return units * self.gcd
            if self.below is not None:
                return self.below[bisect_right(self.below, units) - 1] * self.gcd
            a = self.a
            best = max(units - (units - rho) % a for rho, d in enumerate(self.table) if d <= units)
            return best * self.gcd
        return self._ask("floor", x)

    def contains(self, x: int) -> bool:
        """Whether boxes can make exactly ``x`` pieces."""
        if x < 0 or x % self.gcd:
            return False
        if self.table is not None:
            units = x // self.gcd
            return units >= self.table[units % self.a]
        return self._ask("floor", x) == x

    def _ask(self, kind: str, value: int) -> int:
        found = self.cache.get((kind, value))
        if found is None:
            model = cp_model.CpModel()
            counts = [model.new_int_var(0, value // s + 1, "") for s in self.sizes]
            amount = sum(s * n for s, n in zip(self.sizes, counts, strict=True))
            if kind == "ceil":
                model.add(amount >= value)
                model.minimize(amount)
            else:
                model.add(amount <= value)
                model.maximize(amount)
            solver = cp_model.CpSolver()
            solver.parameters.num_workers = 1
            if solver.solve(model) != cp_model.OPTIMAL:
                raise RuntimeError("allocation solver: box sums not found")
            found = self.cache[(kind, value)] = int(solver.value(amount))
        return found


def share_sizes(
    targets: list[int], sizes: list[int], available: dict[int, int]
) -> list[dict[int, int]] | None:
    """Boxes per size (``sizes`` descending) for each target, using exactly ``available``.

    Size by size: with two sizes ``A > B`` left, a target's number of ``A`` boxes runs over
    an arithmetic progression (step ``B / gcd(A, B)``) between its smallest and largest
    value, so the sums reachable are exactly those of the progressions: decided exactly.
    With more sizes, the largest is spread in proportion to the targets (each count moved to
    the nearest one leaving an amount the smaller sizes can make), then the rest recursively.
    None when no way was found (the caller then asks CP-SAT).
    """
    out: list[dict[int, int]] = [{} for _ in targets]
    if sum(targets) != sum(size * available[size] for size in sizes):
        return None
    if not _split(list(targets), sizes, available, out, list(range(len(targets)))):
        return None
    return out


def _split(
    targets: list[int],
    sizes: list[int],
    available: dict[int, int],
    out: list[dict[int, int]],
    index: list[int],
) -> bool:
    big = sizes[0]
    if len(sizes) == 1:
        if any(t % big for t in targets):
            return False
        for i, t in zip(index, targets, strict=True):
            if t:
                out[i][big] = t // big
        return True
    wanted = available[big]
    if len(sizes) == 2:
        small = sizes[1]
        g = math.gcd(big, small)
        step = small // g
        lows, highs = [], []
        for t in targets:
            if t % g:
                return False
            # big * a = t (mod small): a = (t/g) * inverse(big/g) mod (small/g)
            a0 = (t // g) * pow(big // g, -1, step) % step if step > 1 else 0
            if a0 * big > t:
                return False
            lows.append(a0)
            highs.append(a0 + (t - a0 * big) // big // step * step)
        extra = wanted - sum(lows)
        if extra < 0 or extra % step or extra > sum(highs) - sum(lows):
            return False
        steps = extra // step
        room = [(h - lo) // step for lo, h in zip(lows, highs, strict=True)]
        counts = list(lows)
        total_room = sum(room)
        given = 0
        for k, free in enumerate(room):  # in proportion to the room, then in order
            share = steps * free // total_room if total_room else 0
            counts[k] += share * step
            given += share
        for k, free in enumerate(room):
            if given == steps:
                break
            more = min(steps - given, free - (counts[k] - lows[k]) // step)
            counts[k] += more * step
            given += more
        for i, t, a in zip(index, targets, counts, strict=True):
            if a:
                out[i][big] = a
            if t - a * big:
                out[i][small] = (t - a * big) // small
        return True
    # Three sizes or more: settle the scarcest size first (by proportion, each count moved to
    # the nearest one that leaves an amount the other sizes can make), keep the two most
    # plentiful for the exact step.
    first = min(sizes, key=lambda size: (available[size], -size))
    others = [size for size in sizes if size != first]
    rest = sums_of(tuple(others))
    wanted = available[first]
    total = sum(targets)
    period = rest.gcd // math.gcd(first, rest.gcd)
    reach = 2 * period + 64

    def nearest(t: int, a: int, direction: int) -> int | None:
        """The first valid count from ``a`` on (0: both ways, nearest first)."""
        for delta in range(reach):
            for candidate in (a + delta, a - delta) if not direction else (a + direction * delta,):
                if 0 <= candidate * first <= t and rest.contains(t - candidate * first):
                    return candidate
        return None

    ideals = [t * wanted / total if total else 0.0 for t in targets]
    counts = []
    for t, ideal in zip(targets, ideals, strict=True):
        a = nearest(t, round(ideal), 0)
        if a is None:
            return False
        counts.append(a)
    difference = wanted - sum(counts)
    while difference:
        direction = 1 if difference > 0 else -1
        order = sorted(range(len(targets)), key=lambda k: direction * (counts[k] - ideals[k]))
        moved = False
        for k in order:
            candidate = nearest(targets[k], counts[k] + direction, direction)
            if candidate is not None and abs(candidate - counts[k]) <= abs(difference):
                difference -= candidate - counts[k]
                counts[k] = candidate
                moved = True
                if not difference:
                    break
        if not moved:
            return False
    remainders = []
    for i, t, a in zip(index, targets, counts, strict=True):
        if a:
            out[i][first] = a
        remainders.append(t - a * first)
    return _split(remainders, others, available, out, index)


def count_ranges(targets: list[int], sizes: list[int]) -> dict[int, tuple[int, int]] | None:
    """Size -> (sum of the fewest, sum of the most) boxes of it each target can be made with.

    The counts are searched a little way from each end; where that search runs out the
    bound is left at its weakest (none, or all of the target in this size): these are only
    necessary conditions.  None when some target cannot be made from these sizes at all.
    """
    ranges: dict[int, tuple[int, int]] = {}
    for size in sizes:
        others = tuple(x for x in sizes if x != size)
        rest = sums_of(others) if others else None
        period = rest.gcd // math.gcd(size, rest.gcd) if rest else 1
        reach = 2 * period + 64
        fewest = most = 0
        cache: dict[int, tuple[int, int]] = {}
        for t in targets:
            found = cache.get(t)
            if found is None:
                top = t // size
                if rest is None:
                    if t % size:
                        return None
                    found = (top, top)
                else:
                    low = next(
                        (a for a in range(min(reach, top + 1)) if rest.contains(t - a * size)),
                        None,
                    )
                    high = next(
                        (
                            a
                            for a in range(top, max(top - reach, -1), -1)
                            if rest.contains(t - a * size)
                        ),
                        None,
                    )
                    if low is None and high is None and top < reach:
                        return None  # every count was tried
                    found = (0 if low is None else low, top if high is None else high)
                cache[t] = found
            fewest += found[0]
            most += found[1]
        ranges[size] = (fewest, most)
    return ranges


@functools.lru_cache(maxsize=64)
def sums_of(sizes: tuple[int, ...]) -> Sums:
    """The :class:`Sums` of ``sizes`` (sorted), built once."""
    return Sums(sizes)
