"""Exact flow on the small source -> class -> grade -> sink network.

The water-filling (``leximin``) and the piece rounding (``pieces``) work on classes of
interchangeable requests, a few dozen nodes, in exact arithmetic (ints or Fractions); plain
augmenting paths are fast there and never round.
"""

from __future__ import annotations

from collections import deque


class Flow:
    """A flow source -> class -> grade -> sink in exact arithmetic (ints or Fractions).

    Source -> class arcs carry the class demand, class -> grade arcs are uncapacitated (only
    where the class may use the grade), grade -> sink arcs carry the grade's allocatable stock.
    The network has a few dozen nodes, so plain augmenting paths are fast.
    """

    __slots__ = ("nbrs", "users", "supply", "flow", "used", "out", "cut")

    def __init__(self, nbrs: list[tuple[int, ...]], users: list[list[int]], supply: list[int]):
        self.nbrs = nbrs
        self.users = users
        self.supply = supply
        self.flow: list[dict[int, object]] = [{} for _ in nbrs]
        self.used: list = [0] * len(supply)
        self.out: list = [0] * len(nbrs)
        self.cut: tuple[set[int], set[int]] = (set(), set())

    def _push(self, c: int, g: int, amount) -> None:
        value = self.flow[c].get(g, 0) + amount
        if value:
            self.flow[c][g] = value
        else:
            self.flow[c].pop(g, None)
        self.used[g] += amount
        self.out[c] += amount

    def fill(self, demand: list) -> bool:
        """Raise the flow to ``demand`` (from below).  False, with ``cut`` set, if impossible."""
        supply, used, out = self.supply, self.used, self.out
        for c, grades in enumerate(self.nbrs):
            need = demand[c] - out[c]
            for g in grades:
                if need <= 0:
                    break
                spare = supply[g] - used[g]
                if spare > 0:
                    amount = need if need < spare else spare
                    self._push(c, g, amount)
                    need -= amount
        while True:
            starts = [c for c in range(len(self.nbrs)) if demand[c] > out[c]]
            if not starts:
                return True
            if not self._augment(starts, lambda c: demand[c] - out[c]):
                return False

    def add_one(self, c: int) -> bool:
        """Send one more unit from class ``c`` if the network allows it (integers only)."""
        for g in self.nbrs[c]:
            if self.supply[g] > self.used[g]:
                self._push(c, g, 1)
                return True
        return self._augment([c], lambda _c: 1)

    def _augment(self, starts: list[int], room) -> bool:
        """One augmenting path by breadth-first search; sets ``cut`` when there is none."""
        supply, used, flow = self.supply, self.used, self.flow
        reached_by: dict[int, int] = {}  # grade -> class that reaches it (forward arc)
        gives_up: dict[int, int] = {}  # class -> grade it would send less to (reverse arc)
        seen = set(starts)
        queue = deque(starts)
        while queue:
            c = queue.popleft()
            for g in self.nbrs[c]:
                if g in reached_by:
                    continue
                reached_by[g] = c
                if supply[g] > used[g]:
                    self._apply(g, reached_by, gives_up, room)
                    return True
                for other in self.users[g]:
                    if other not in seen and g in flow[other]:
                        seen.add(other)
                        gives_up[other] = g
                        queue.append(other)
        self.cut = (seen, set(reached_by))
        return False

    def _apply(self, g: int, reached_by: dict, gives_up: dict, room) -> None:
        steps = []
        amount = self.supply[g] - self.used[g]
        while True:
            c = reached_by[g]
            steps.append((c, g, 1))
            previous = gives_up.get(c)
            if previous is None:
                amount = min(amount, room(c))
                break
            steps.append((c, previous, -1))
            amount = min(amount, self.flow[c][previous])
            g = previous
        for c, grade, sign in steps:
            self._push(c, grade, amount if sign > 0 else -amount)

    def open_classes(self) -> set[int]:
        """Classes whose node reaches the sink in the residual graph (they could still grow)."""
        open_grades = {g for g in range(len(self.supply)) if self.supply[g] > self.used[g]}
        queue = deque(sorted(open_grades))
        open_classes: set[int] = set()
        while queue:
            g = queue.popleft()
            for c in self.users[g]:
                if c not in open_classes:
                    open_classes.add(c)
                    for other in self.flow[c]:
                        if other not in open_grades:
                            open_grades.add(other)
                            queue.append(other)
        return open_classes
