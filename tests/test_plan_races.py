"""Two people act on one plan at the same instant (PostgreSQL, a thread each, released together
by a barrier): whatever the order, one of them wins, the other is told, and the plan, its
transitions and the ledger agree. Each race is run on ten plans."""

import os
import threading

import pytest
import sqlalchemy as sa

from accounts.models import Role
from allocation import plans
from allocation.models import Delivery, Plan, PlanStatus, PlanTransition, Round
from core.clock import local_today
from core.errors import ServiceError
from extensions import db
from ledger.verify import verify

pytestmark = pytest.mark.postgres

ATTEMPTS = int(os.environ.get("BAOGONG_RACE_ATTEMPTS", "10"))
S = PlanStatus


@pytest.fixture
def app_config():
    return {"SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 6, "max_overflow": 2}}


def at_once(app, *actions) -> list[str]:
    """Run each action in its own thread and transaction, all released together: "done",
    "refused" (a ServiceError: the person is told) or "error: …" (a failure of the test)."""
    barrier = threading.Barrier(len(actions))
    outcomes = ["not run"] * len(actions)

    def worker(i: int) -> None:
        with app.app_context():
            try:
                db.session.execute(sa.text("SELECT 1"))
                barrier.wait(timeout=30)
                actions[i]()
                db.session.commit()
                outcomes[i] = "done"
            except ServiceError:
                db.session.rollback()
                outcomes[i] = "refused"
            except Exception as error:
                db.session.rollback()
                outcomes[i] = f"error: {error!r}"
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(actions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


@pytest.fixture
def people(make_user):
    return {
        "alloc": make_user("alloc", Role.ALLOCATOR),
        "appr1": make_user("appr1", Role.APPROVER),
        "appr2": make_user("appr2", Role.APPROVER),
    }


@pytest.fixture
def plan_at(app, make_lot, make_recipient, make_round, people):
    """plan_at(S.APPROVED) -> the id of a new plan brought to that status, on fresh stock."""

    def make(status: PlanStatus) -> int:
        make_lot("surgical", 1000)
        round_id = make_round(
            [
                (make_recipient(category="hospital"), "surgical", 400),
                (make_recipient(category="pharmacy"), "surgical", 900),
            ]
        )
        with app.app_context():
            plan = plans.create_plan(db.session.get(Round, round_id), people["alloc"])
            if status is not S.DRAFT:
                plans.submit(plan, people["alloc"])
            if status in (S.APPROVED, S.ISSUED):
                plans.approve(plan, people["appr1"])
            if status is S.ISSUED:
                plans.issue(plan, people["alloc"])
            db.session.commit()
            return plan.id

    return make


def _plan(plan_id: int) -> Plan:
    return db.session.get(Plan, plan_id)


def _facts(plan_id: int) -> tuple[PlanStatus, list[PlanStatus], int, int]:
    """Status, the statuses it passed through, issue entries in the ledger, lines."""
    plan = _plan(plan_id)
    moves = [t.to_status for t in plan.transitions]
    return plan.status, moves, len(plans.issue_entries(plan)), len(plan.current_run.lines)


def test_cancel_and_issue_at_once(app, plan_at, people):
    wrong = []
    for _ in range(ATTEMPTS):
        plan_id = plan_at(S.APPROVED)
        outcomes = at_once(
            app,
            lambda p=plan_id: plans.cancel(_plan(p), people["alloc"]),
            lambda p=plan_id: plans.issue(_plan(p), people["alloc"]),
        )
        with app.app_context():
            status, moves, entries, lines = _facts(plan_id)
        right = (
            (outcomes == ["done", "refused"] and status is S.CANCELLED and entries == 0)
            or (outcomes == ["refused", "done"] and status is S.ISSUED and entries == lines)
        ) and moves.count(status) == 1
        if not right:
            wrong.append((outcomes, status, entries))
    assert wrong == []
    with app.app_context():
        assert verify().ok


def test_rerun_and_issue_at_once(app, plan_at, people):
    wrong = []
    for _ in range(ATTEMPTS):
        plan_id = plan_at(S.APPROVED)
        outcomes = at_once(
            app,
            lambda p=plan_id: plans.run_plan(_plan(p), people["alloc"]),
            lambda p=plan_id: plans.issue(_plan(p), people["alloc"]),
        )
        with app.app_context():
            status, moves, entries, lines = _facts(plan_id)
        right = (outcomes == ["done", "refused"] and status is S.DRAFT and entries == 0) or (
            outcomes == ["refused", "done"] and status is S.ISSUED and entries == lines
        )
        if not right:
            wrong.append((outcomes, status, entries))
    assert wrong == []


def test_two_approvers_at_once(app, plan_at, people):
    wrong = []
    for _ in range(ATTEMPTS):
        plan_id = plan_at(S.SUBMITTED)
        outcomes = at_once(
            app,
            lambda p=plan_id: plans.approve(_plan(p), people["appr1"]),
            lambda p=plan_id: plans.approve(_plan(p), people["appr2"]),
        )
        with app.app_context():
            status, moves, _entries, _lines = _facts(plan_id)
        if (
            sorted(outcomes) != ["done", "refused"]
            or status is not S.APPROVED
            or (moves.count(S.APPROVED) != 1)
        ):
            wrong.append((outcomes, status, moves))
    assert wrong == []


def test_approve_and_return_at_once(app, plan_at, people):
    wrong = []
    for _ in range(ATTEMPTS):
        plan_id = plan_at(S.SUBMITTED)
        outcomes = at_once(
            app,
            lambda p=plan_id: plans.approve(_plan(p), people["appr1"]),
            lambda p=plan_id: plans.return_plan(_plan(p), people["appr2"], "请核对第二梯队数量"),
        )
        with app.app_context():
            status, moves, _entries, _lines = _facts(plan_id)
        decided = [m for m in moves if m in (S.APPROVED, S.RETURNED)]
        winner = S.APPROVED if outcomes == ["done", "refused"] else S.RETURNED
        if sorted(outcomes) != ["done", "refused"] or decided != [winner] or status is not winner:
            wrong.append((outcomes, status, moves))
    assert wrong == []


def test_two_delivery_records_for_one_unit_at_once(app, plan_at, people):

    wrong = []
    for _ in range(ATTEMPTS):
        plan_id = plan_at(S.ISSUED)
        with app.app_context():
            unit_id, planned = next(iter(plans.planned_for(_plan(plan_id)).items()))

        def record(name: str, p=plan_id, unit=unit_id, pieces=planned):
            return lambda: plans.record_delivery(
                _plan(p), unit, name, local_today(), pieces, "", people["alloc"]
            )

        outcomes = at_once(app, record("王医生"), record("李护士"))
        with app.app_context():
            count = db.session.scalar(
                sa.select(sa.func.count(Delivery.id)).where(Delivery.plan_id == plan_id)
            )
        if sorted(outcomes) != ["done", "refused"] or count != 1:
            wrong.append((outcomes, count))
    assert wrong == []


def test_transitions_are_recorded_once_each(app, plan_at):
    """The bookkeeping the races above rely on: one transition row per status change."""
    plan_id = plan_at(S.ISSUED)
    with app.app_context():
        moves = db.session.scalars(
            sa.select(PlanTransition.to_status)
            .where(PlanTransition.plan_id == plan_id)
            .order_by(PlanTransition.id)
        ).all()
    assert moves == [S.DRAFT, S.SUBMITTED, S.APPROVED, S.ISSUED]
