"""CP-SAT models solved as a sequence of objectives (a lexicographic optimum), exactly.

Every objective is integer; each optimum found is kept as a constraint before the next
objective is set, and the solution is handed on as a hint.  One worker and a fixed seed make
the answer depend only on the model, which is built from sorted data, so the same input
always gives the same output.  A solve that stops at its work limit before proving
optimality keeps its best solution and clears ``owner.optimal``.
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from .contract import AllocationError

# Deterministic work units (roughly seconds) per solve and per allocation; only unusually
# hard whole-box instances come near them.  The wall-clock limit is a safety net for a slow
# machine.  ``owner.work_left`` carries what is left of the allocation's budget.
WORK_LIMIT = 4.0
WORK_BUDGET = 12.0
WORK_FLOOR = 0.5  # even with the budget spent, a solve may check its hint and improve a bit
SECONDS_LIMIT = 30.0


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

    def domain_var(self, intervals: list[list[int]]) -> cp_model.IntVar:
        """A variable whose values are the union of the closed ``intervals``."""
        var = self.model.new_int_var_from_domain(cp_model.Domain.from_intervals(intervals), "")
        self.vars.append(var)
        return var

    def add(self, constraint) -> None:
        if isinstance(constraint, bool):  # a comparison with no variable left in it
            if not constraint:
                self.model.add_bool_or([])
            return
        self.model.add(constraint)

    def _solve(self) -> int:
        solver = cp_model.CpSolver()
        parameters = solver.parameters
        parameters.num_workers = 1
        parameters.random_seed = 0
        left = getattr(self.owner, "work_left", WORK_BUDGET)
        parameters.max_deterministic_time = max(WORK_FLOOR, min(self.work, left))
        parameters.max_time_in_seconds = SECONDS_LIMIT
        status = solver.solve(self.model)
        if hasattr(self.owner, "work_left"):
            self.owner.work_left = left - solver.deterministic_time
        self.solver = solver
        return status

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

    def optimise(self, objective, maximize: bool) -> int | None:
        """Optimise ``objective`` and keep its optimum as a constraint; None if infeasible."""
        if isinstance(objective, int):  # nothing to choose
            return objective if self.feasible() else None
        if maximize:
            self.model.maximize(objective)
        else:
            self.model.minimize(objective)
        status = self._solve()
        if status == cp_model.INFEASIBLE:
            return None
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            _out_of_work()
        if status != cp_model.OPTIMAL:
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
