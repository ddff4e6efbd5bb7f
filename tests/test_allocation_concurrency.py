"""Twenty allocators press "issue" on the same approved plan at the same moment (PostgreSQL):
it is issued exactly once."""

import pytest

from allocation import plans
from allocation.models import Plan, PlanStatus, Round
from extensions import db
from ledger import services as ledger
from tests.test_ledger_concurrency import WORKERS, race

pytestmark = pytest.mark.postgres


@pytest.fixture
def app_config():
    return {"SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": WORKERS + 5, "max_overflow": 5}}


def test_a_plan_is_issued_once_however_many_press_the_button(
    app, make_lot, make_recipient, make_round, make_user
):
    from accounts.models import Role

    alloc, appr = make_user("alloc", Role.ALLOCATOR), make_user("appr", Role.APPROVER)
    lot_id = make_lot("surgical", 1000)
    round_id = make_round(
        [
            (make_recipient(category="hospital"), "surgical", 400),
            (make_recipient(), "surgical", 900),
        ]
    )
    with app.app_context():
        plan = plans.create_plan(db.session.get(Round, round_id), alloc)
        plans.submit(plan, alloc)
        plans.approve(plan, appr)
        db.session.commit()
        plan_id = plan.id

    outcomes = race(app, lambda i: plans.issue(db.session.get(Plan, plan_id), alloc))

    assert sorted(outcomes) == ["issued"] + ["refused"] * (WORKERS - 1)
    with app.app_context():
        plan = db.session.get(Plan, plan_id)
        assert plan.status is PlanStatus.ISSUED
        assert len(plans.issue_entries(plan)) == len(plan.current_run.lines)
        assert ledger.balance(lot_id, "issued") == sum(
            line.quantity for line in plan.current_run.lines
        )
