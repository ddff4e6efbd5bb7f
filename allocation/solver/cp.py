"""CP-SAT models solved as a sequence of objectives (a lexicographic optimum), exactly.

Every objective is integer; each optimum found is kept as a constraint before the next
objective is set, and the solution is handed on as a hint.  One worker and a fixed seed make
the answer depend only on the model, which is built from sorted data, so the same input
always gives the same output.  A solve that stops at its work limit before proving
optimality keeps its best solution and clears ``owner.optimal`` (a tie-break does not).

With quantities in the millions CP-SAT is slow to find an optimum (its own LP gives up on
such numbers), so such a model first gets a hint: the LP relaxation is solved (GLOP or HiGHS)
and the model solved again with its variables held within a few units of the LP point (all
of them first, then wider and only the big ones), in offsets: small numbers.  That solution
seeds the full model, which alone decides; when an exact bound from the LP's duals proves
it optimal, the full model only checks it.
"""

from __future__ import annotations

import math
from fractions import Fraction

from ortools.math_opt.python import mathopt
from ortools.sat.python import cp_model

from .contract import AllocationError

# Deterministic work units (roughly seconds) per solve and per allocation; only unusually
# hard whole-box instances come near them.  ``owner.work_left`` carries what is left of the
# allocation's budget.  Only these limits decide an answer, so it does not depend on the
# machine; the wall-clock limit is a safety net far above what any budget should take.
WORK_LIMIT = 4.0
WORK_BUDGET = 12.0
WORK_FLOOR = 0.5  # even with the budget spent, a solve may check its hint and improve a bit
TIE_BREAK_WORK = 0.2
WINDOW_WORK = 0.5  # per neighbourhood of the LP point (see ``Stages._hint_near``)
# The neighbourhoods tried, in order: (half-width, narrow the variables whose domain is wider
# than this).  An equality over box counts of several sizes with their full ranges can take
# CP-SAT minutes, so the first windows narrow every variable; a count of loose pieces that
# absorbs the remainders is best left free, so the third narrows only the big ones.
BIG = 10**6  # a variable whose domain is wider than this is "big"
WINDOWS = ((4, 8), (64, 128), (1024, BIG), (1024, 2048))
SECONDS_LIMIT = 300.0


class Stages:
    """A CP-SAT model plus the variables to carry from one objective to the next."""

    def __init__(self, owner, work: float = WORK_LIMIT):
        self.owner = owner
        self.work = work
        self.model = cp_model.CpModel()
        self.vars: list[cp_model.IntVar] = []
        self.solver: cp_model.CpSolver | None = None

    def int_var(self, lo: int, hi: int) -> cp_model.IntVar:
        var = self.model.new_int_var(lo, hi, "")
        self.vars.append(var)
        return var

    def add(self, constraint) -> None:
        if isinstance(constraint, bool):  # a comparison with no variable left in it
            if not constraint:
                self.model.add_bool_or([])
            return
        self.model.add(constraint)

    def _solve(self) -> int:
        relaxation = None
        proven = False
        if any(_span(v.domain) > BIG for v in self.model.proto.variables):
            relaxation = Relaxation.of(self.model.proto)
            if relaxation is not None:
                found = self._hint_near(relaxation)
                # CP-SAT's own LP gives up on numbers this big; an exact bound from the LP.s
                # duals can still prove the window's answer optimal, and then the full
                # model only has to take it.
                proven = found is not None and found <= relaxation.bound()
        solver = self._solver()
        if proven:
            solver.parameters.fix_variables_to_their_hinted_value = True
        status = solver.solve(self.model)
        self._spent(solver)
        if status == cp_model.FEASIBLE and relaxation is not None:
            objective = self.model.proto.objective
            found = sum(
                c * solver.value(self.model.get_int_var_from_proto_index(i))
                for i, c in zip(objective.vars, objective.coeffs, strict=True)
            )
            if found <= relaxation.bound():
                status = cp_model.OPTIMAL
        self.solver = solver
        return status

    def _spent(self, solver: cp_model.CpSolver) -> None:
        if hasattr(self.owner, "work_left"):
            self.owner.work_left -= solver.deterministic_time

    def _hint_near(self, relaxation: Relaxation) -> int | None:
        """Seed the model with the best solution near the LP point; return its objective.

        The neighbourhood (variables within a few units either way of the rounded LP point,
        then wider until the exact bound proves the answer: ``WINDOWS``) is solved as its
        own model in *offsets* from that point, so it holds only small numbers.  A complete
        hint the model already has (the previous objective's optimum) is kept unless a
        window beats it.  The full model still decides: this only speeds it.
        """
        proto = self.model.proto
        objective = proto.objective
        bound = relaxation.bound()
        best = _hinted_objective(proto)
        if best is not None and best <= bound:
            return best
        spans = [_span(variable.domain) for variable in proto.variables]
        for width, wide in WINDOWS:
            if all(span <= wide for span in spans):
                break  # the window would be the whole model: nothing easier to solve
            window = cp_model.CpModel()
            base, offsets = [], []
            for variable, value, span in zip(proto.variables, relaxation.point, spans, strict=True):
                low, high = _ends(variable.domain)
                if span > wide:
                    centre = min(max(round(value), low), high)
                    lo, hi = max(low - centre, -width), min(high - centre, width)
                else:
                    centre, lo, hi = 0, low, high
                base.append(centre)
                offsets.append(window.new_int_var(lo, hi, ""))
            for constraint in proto.constraints:
                linear = constraint.linear
                shift = sum(c * base[i] for i, c in zip(linear.vars, linear.coeffs, strict=True))
                low, high = _ends(linear.domain)
                expression = sum(
                    c * offsets[i] for i, c in zip(linear.vars, linear.coeffs, strict=True)
                )
                if low > -(2**62):
                    window.add(expression >= low - shift)
                if high < 2**62:
                    window.add(expression <= high - shift)
            window.minimize(
                sum(c * offsets[i] for i, c in zip(objective.vars, objective.coeffs, strict=True))
            )
            solver = self._solver(WINDOW_WORK)
            # Symmetry detection takes wall-clock time that the work limit does not count.
            solver.parameters.symmetry_level = 0
            status = solver.solve(window)
            self._spent(solver)
            if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                continue
            values = [centre + solver.value(o) for centre, o in zip(base, offsets, strict=True)]
            found = sum(
                c * values[i] for i, c in zip(objective.vars, objective.coeffs, strict=True)
            )
            if best is None or found < best:
                best = found
                self.model.clear_hints()
                for index, value in enumerate(values):
                    self.model.add_hint(self.model.get_int_var_from_proto_index(index), value)
            if best <= bound:
                break
        return best

    def _solver(self, work: float | None = None) -> cp_model.CpSolver:
        solver = cp_model.CpSolver()
        parameters = solver.parameters
        parameters.num_workers = 1
        parameters.random_seed = 0
        left = getattr(self.owner, "work_left", WORK_BUDGET)
        limit = self.work if work is None else min(work, self.work)
        parameters.max_deterministic_time = max(WORK_FLOOR, min(limit, left))
        parameters.max_time_in_seconds = SECONDS_LIMIT
        return solver

    def feasible(self, unknown: bool | None = None) -> bool:
        """Whether the constraints have a solution; ``unknown`` answers an unfinished search
        (None: raise :class:`AllocationError`)."""
        self.model.clear_objective()
        status = self._solve()
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            self._hint()
            return True
        if status != cp_model.INFEASIBLE:
            if unknown is None:
                _out_of_work()
            return unknown
        return False

    def optimise(self, objective, maximize: bool, tie_break: bool = False) -> int | None:
        """Optimise ``objective`` and keep its optimum as a constraint; None if infeasible.

        A ``tie_break`` only chooses among answers already optimal for what matters: it gets
        a small work limit, and stopping there keeps the best found (or the last answer)
        without making the result any less optimal."""
        if isinstance(objective, int):  # nothing to choose
            return objective if self.feasible() else None
        if maximize:
            self.model.maximize(objective)
        else:
            self.model.minimize(objective)
        previous = self.solver
        work = self.work
        if tie_break and previous is not None:
            self.work = min(self.work, TIE_BREAK_WORK)
        try:
            status = self._solve()
        finally:
            self.work = work
        if status == cp_model.INFEASIBLE:
            return None
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            if not tie_break or previous is None:
                _out_of_work()
            self.solver = previous
            self.model.clear_objective()
            return None if previous is None else previous.value(objective)
        if status != cp_model.OPTIMAL and not tie_break:
            self.owner.optimal = False
        value = self.solver.value(objective)
        self.model.add(objective >= value if maximize else objective <= value)
        self._hint()
        return value

    def value(self, expression) -> int:
        if isinstance(expression, int):
            return expression
        return int(self.solver.value(expression))

    def _hint(self) -> None:
        self.model.clear_hints()
        for var in self.vars:
            self.model.add_hint(var, self.solver.value(var))


def _out_of_work() -> None:
    raise AllocationError(
        "the whole-box allocation found no answer within its work limit; allocate in pieces",
        "按整箱分配未能在计算限额内得出结果，请按件分配",
    )


class Relaxation:
    """The LP relaxation (GLOP, else HiGHS) of a model of linear constraints: its optimal
    point, and an exact lower bound on the model's (minimised) objective from its duals.

    The bound holds for any dual values because every variable is bounded: with ``y`` the
    duals rounded to exact fractions and ``r = c - A^T y``, ``c x = y A x + r x`` is at
    least the sum over rows of ``y_i`` times the row's lower (or, for negative ``y_i``,
    upper) end plus the sum over variables of ``r_j`` times its lower (or upper) bound.
    """

    def __init__(self, proto, point: list[float], duals: list[float]):
        self.proto = proto
        self.point = point
        self.duals = duals

    @classmethod
    def of(cls, proto) -> Relaxation | None:
        model = mathopt.Model()
        xs = []
        for variable in proto.variables:
            low, high = _ends(variable.domain)
            xs.append(model.add_variable(lb=low, ub=high))
        rows = []
        for constraint in proto.constraints:
            if not constraint.has_linear() or constraint.enforcement_literal:
                return None  # e.g. the empty clause of an infeasible model
            linear = constraint.linear
            if any(i < 0 for i in linear.vars):
                return None
            low, high = _ends(linear.domain)
            expression = mathopt.fast_sum(
                c * xs[i] for i, c in zip(linear.vars, linear.coeffs, strict=True)
            )
            # Half a piece of slack: the optima kept as constraints are tight, and floating
            # point on numbers in the billions would otherwise call them infeasible.
            rows.append(
                model.add_linear_constraint(
                    lb=low - 0.5 if low > -(2**62) else -math.inf,
                    ub=high + 0.5 if high < 2**62 else math.inf,
                    expr=expression,
                )
            )
        objective = proto.objective
        model.minimize(
            mathopt.fast_sum(
                c * xs[i] for i, c in zip(objective.vars, objective.coeffs, strict=True)
            )
        )
        result = None
        for kind in (mathopt.SolverType.GLOP, mathopt.SolverType.HIGHS):
            try:
                result = mathopt.solve(model, kind)
            except Exception:  # a solver missing or refusing the LP: only a hint lost
                continue
            if result.termination.reason == mathopt.TerminationReason.OPTIMAL:
                break
        if result is None or result.termination.reason != mathopt.TerminationReason.OPTIMAL:
            return None
        point = [result.variable_values(x) for x in xs]
        duals = (
            [result.dual_values(row) for row in rows] if result.has_dual_feasible_solution() else []
        )
        return cls(proto, point, duals)

    def bound(self) -> int | float:
        """An exact lower bound on the objective (integer), or -inf without duals."""
        if not self.duals:
            return -math.inf
        proto = self.proto
        reduced: dict[int, Fraction] = {}
        for i, c in zip(proto.objective.vars, proto.objective.coeffs, strict=True):
            reduced[i] = reduced.get(i, Fraction(0)) + c
        total = Fraction(0)
        for constraint, dual in zip(proto.constraints, self.duals, strict=True):
            y = Fraction(dual).limit_denominator(10**6)
            linear = constraint.linear
            low, high = _ends(linear.domain)
            end = low if y > 0 else high
            if not y or abs(end) >= 2**62:
                continue
            total += y * end
            for i, c in zip(linear.vars, linear.coeffs, strict=True):
                reduced[i] = reduced.get(i, Fraction(0)) - y * c
        for i, r in reduced.items():
            low, high = _ends(proto.variables[i].domain)
            total += r * (low if r > 0 else high)
        return math.ceil(total)


def _ends(domain) -> tuple[int, int]:
    """First and last value of a proto domain (a flat list of interval ends)."""
    values = list(domain)
    return values[0], values[-1]


def _hinted_objective(proto) -> int | None:
    """The objective of the model's hint when it sets every variable and is feasible."""
    hint = dict(zip(proto.solution_hint.vars, proto.solution_hint.values, strict=True))
    if len(hint) != len(proto.variables):
        return None
    for i, variable in enumerate(proto.variables):
        if not _within(variable.domain, hint[i]):
            return None
    for constraint in proto.constraints:
        linear = constraint.linear
        value = sum(c * hint[i] for i, c in zip(linear.vars, linear.coeffs, strict=True))
        if not _within(linear.domain, value):
            return None
    objective = proto.objective
    return sum(c * hint[i] for i, c in zip(objective.vars, objective.coeffs, strict=True))


def _within(domain, value: int) -> bool:
    ends = list(domain)
    return any(ends[k] <= value <= ends[k + 1] for k in range(0, len(ends), 2))


def _span(domain) -> int:
    low, high = _ends(domain)
    return high - low
