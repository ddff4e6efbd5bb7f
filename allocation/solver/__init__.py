"""Leximin-fair, tier-by-tier allocation of released stock (pure: no Flask, no database).

The rest of Baogong only calls :func:`allocate`; the contract is issue 5 and DESIGN.md
("Allocation")::

    from allocation.solver import Lot, Request, Policy, allocate, AllocationError

    result = allocate(lots, requests, policy)
    result.lines      # [Line(request_id, lot_id, grade, quantity)], whole pieces (or boxes)
    result.requests   # {request id: RequestResult}: .allocated, .fill_ratio, .reason.zh/.en, ...
    result.tiers      # {tier: TierResult}: .requested, .allocated, .lowest_fill, .classes, .summary
    result.held_back  # {grade: pieces kept in reserve}
    result.left_over  # {grade: allocatable pieces not handed out}
    result.stats      # Stats: .stages (water-filling levels solved), .seconds, .optimal, ...

The package: ``contract`` (the data above), ``checks`` (bad input), ``flow`` and ``leximin``
(the water-filling), ``pieces`` (piece mode), ``boxes`` (whole boxes), ``cp`` (CP-SAT
objectives in sequence), ``explain`` (the reasons), ``engine`` (the pipeline).

How it works
============
1. **Reserve** (rule 1).  Per grade, ``ceil(reserve * total pieces)`` is held back, taken from
   the latest-expiring lots (the exact reverse of the FEFO order below).  A float reserve is
   read as the decimal it prints as (``0.05`` is exactly 1/20), so ``ceil`` never rounds
   ``0.05 * 1000`` up to 51.  With ``whole_boxes`` a lot can only give whole boxes, so loose
   pieces of an opened box are not allocatable (they show up in ``result.left_over``).

2. **Classes** (rule 2).  Request ``r`` may draw on grade ``g`` when ``g`` is in
   ``substitutes.get(r.grade, [r.grade])`` and ``r.tier`` is allowed by ``tier_grades``.  Its
   preference order is its own grade first (when that list contains it), then the rest of the
   list in order.  Requests that share a tier and the same set of usable grades that have
   allocatable stock form a *class*: they compete for exactly the same stock.

3. **Minimums** (rule 3) are served first, for all tiers at once.  An OR-Tools max-flow per
   tier (tiers 1..k together) proves they fit in pieces; if they do not,
   :class:`AllocationError` names each tier that breaks them, by how many pieces, and the
   grades that ran out.  With whole boxes they must also fit in boxes (see below).

4. **Leximin, tier by tier** (rule 4), by exact water-filling over classes (``leximin``):
   the lowest fill level of the tier as high as it can be, then the next, with earlier tiers
   held at their totals and later tiers at their minimums.  Each request's exact *fractional
   leximin share* is ``max(minimum, level * quantity)`` (``RequestResult.share``).  With one
   grade and no substitution this is exactly pro-rata.

5.-7. **Pieces** (``pieces``): every request within one piece of its share, leftovers by
   largest remainder (ties: tier, then id), nothing left while a request could use it;
   lexicographically minimal substitution; FEFO.  See that module.

8. **Whole boxes** (rule 6 with ``whole_boxes``; ``boxes``).  A *whole-box allocation* gives
   every request whole boxes of lots of grades it may use, at least its minimum and at most
   its quantity, within each lot's allocatable boxes.  The answer is the one that is best in
   this order, and it is found exactly (the objectives are integers and every optimisation is
   proven optimal; ``stats.optimal`` would say otherwise):

   a. *Minimums*: if no whole-box allocation meets every minimum, :class:`AllocationError`
      names the first tier whose minimums (with those of earlier tiers) no boxes can make;
      otherwise every minimum is met.
   b. *Tiers strictly in order*: tier 1's amounts are chosen first among all whole-box
      allocations that still meet every later minimum; then tier 2's with tier 1's amounts
      fixed (but not which boxes make them), and so on.  No request of a later tier receives
      a box that a request of an earlier tier could have taken without someone of its own
      tier losing.
   c. *Within a tier*, the fair shares are the fractional leximin shares (point 4) computed
      with the earlier tiers at what they received in boxes and with each minimum raised to
      the smallest amount the request's box sizes can make.  Among the allocations allowed
      by a. and b., the tier's amounts first minimise the *shortfall*, the sum over its
      requests of ``ceil(share) - allocated`` where positive (pieces below the fair share),
      then maximise the tier's total (boxes nobody could take at their share still go to
      this tier before any later one).  Ties are broken deterministically (as few box
      units below the rounded-down shares as possible, then within a class by largest
      remainder, tier and id, further boxes to the lowest fill ratio).  Known gap: between a
      class's members whose amounts boxes make only on some steps (below the Frobenius
      bound) and the others, the largest-remainder order is not applied yet, and the
      fallback by request lacks the last two tie-breaks; either way the answer is one of the
      equally good ones by a. to c.
   d. *Minimal substitution*: with every amount fixed, the lexicographic order of point 6
      (most pieces of own grades, then of first substitutes, ...) over all ways to make the
      amounts from boxes, spare boxes included.
   e. *FEFO* within each grade and box size, requests in tier then id order.

   Hence nothing is left that a request could take (a box of a lot of a grade it may use
   that fits within its quantity), and no later tier holds a box an earlier one could use.
   Piece mode's "within one unit of the share" does not carry over: a request can end more
   than a box from its fractional share (a minimum elsewhere that only some boxes make,
   boxes larger than what remains, a share the earlier tiers' boxes made unreachable), but
   never where moving boxes would lower its tier's shortfall.

   The problem is NP-hard in general (a minimum to be made exactly from boxes of several
   sizes is a subset sum), so it is solved with CP-SAT on models whose size depends on the
   numbers of classes, box types and (in the fallback) requests, never on the quantities:
   first over class x box-type counts, then realised box by box; when that cannot be done,
   the same objectives per request (see ``boxes``).  Every solve has a work limit; the
   benchmark (50,000 requests, and the same with quantities times 100,000) and the tests are
   proven optimal well within it.

9. **Determinism** (rule 8).  Everything is sorted (lots by FEFO key and id, requests by tier
   and id, classes, grades); CP-SAT runs with one worker and a fixed seed on a model built
   from sorted data.  Only ``stats.seconds`` and ``stats.phases`` vary between runs.

Explanations
============
``RequestResult.reason`` is an :class:`Explanation` with ``zh`` and ``en`` texts, e.g.
``第1梯队满足73%：医用外科口罩和医用防护口罩库存已分完`` /
``tier 1 filled to 73%: surgical and medical protective stock exhausted``, followed by what
else bound it (reserve held back, grades restricted to other tiers, no stock of a grade, a
guaranteed minimum).  With whole boxes the text gives the request's own fill, how many pieces
(and boxes of the size it received) it is short of its fair share, whether another box would
exceed its request, and which tiers took an exhausted grade, e.g.
``tier 1 filled to 75% in whole boxes: 490 pieces (1 box of 500) short of its fair share of
1,990; another box of 500 pieces would exceed its request; a stock exhausted (taken by tiers 1
and 2)``.  ``TierResult.summary`` gives the level each class of the tier reached (with whole
boxes, what it received).  Grade ids are opaque; pass ``grade_names={"surgical":
("医用外科口罩", "surgical")}`` to :func:`allocate` to print display names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .contract import (
    Allocation,
    AllocationError,
    ClassLevel,
    Explanation,
    Line,
    Lot,
    Policy,
    Request,
    RequestResult,
    Stats,
    TierResult,
)
from .engine import Engine
from .explain import Words

__all__ = [
    "Allocation",
    "AllocationError",
    "ClassLevel",
    "Explanation",
    "Line",
    "Lot",
    "Policy",
    "Request",
    "RequestResult",
    "Stats",
    "TierResult",
    "allocate",
]


def allocate(
    lots: Iterable[Lot],
    requests: Iterable[Request],
    policy: Policy | None = None,
    *,
    grade_names: Mapping[str, str | tuple[str, str]] | None = None,
) -> Allocation:
    """Share the allocatable stock of ``lots`` among ``requests`` under ``policy``.

    ``grade_names`` maps grade ids to a display name, or to a ``(zh, en)`` pair, for the
    explanations.  Raises :class:`AllocationError` for bad input and for minimums the stock
    cannot cover.  See the package docstring for the rules and what is guaranteed.
    """
    return Engine(list(lots), list(requests), policy or Policy(), Words(grade_names)).run()
