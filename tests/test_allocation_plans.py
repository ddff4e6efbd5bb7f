"""Plans: run, versions, two-person approval, issue into the ledger (stale and double issue
refused), reversal, deliveries; the policy and the recipients' tier changes."""

import pytest
import sqlalchemy as sa

from accounts.models import Role, User
from allocation import plans, services
from allocation.models import Plan, PlanStatus, Round, RoundStatus
from core.clock import local_today
from core.errors import ServiceError
from extensions import db
from ledger import services as ledger
from ledger.models import Bucket
from recipients import services as register
from recipients.models import Recipient


@pytest.fixture
def people(app, make_user):
    """Two allocators, two approvers and one person holding both roles: ids by name."""
    return {
        "alloc": make_user("alloc", Role.ALLOCATOR),
        "alloc2": make_user("alloc2", Role.ALLOCATOR),
        "appr": make_user("appr", Role.APPROVER),
        "both": make_user("both", Role.ALLOCATOR, Role.APPROVER),
    }


@pytest.fixture
def scene(app, make_lot, make_recipient, make_round):
    """1,000 surgical masks for a hospital (600) and a pharmacy (800)."""
    lot = make_lot("surgical", 1000, pieces_per_box=50)
    hospital = make_recipient("医院甲", "hospital")
    pharmacy = make_recipient("药店乙", "pharmacy")
    round_id = make_round([(hospital, "surgical", 600), (pharmacy, "surgical", 800)])
    return {"lot": lot, "hospital": hospital, "pharmacy": pharmacy, "round": round_id}


def _plan(app, scene, who) -> int:
    with app.app_context():
        plan = plans.create_plan(db.session.get(Round, scene["round"]), who)
        db.session.commit()
        return plan.id


def _step(app, plan_id, action, *args):
    with app.app_context():
        plan = db.session.get(Plan, plan_id)
        result = action(plan, *args)
        db.session.commit()
        return result


def test_run_serves_tier_one_first_and_stores_what_it_used(app, scene, people):
    plan_id = _plan(app, scene, people["alloc"])
    with app.app_context():
        plan = db.session.get(Plan, plan_id)
        run = plan.current_run
        assert plan.status is PlanStatus.DRAFT and run.version == 1
        by_recipient = plans.planned_for(plan)
        # 5% reserve of surgical (default policy) = 50; the hospital is served in full first
        assert by_recipient[scene["hospital"]] == 600
        assert by_recipient[scene["pharmacy"]] == 350
        assert run.lots[0]["available"] == 1000
        assert run.policy["reserve"]["surgical"] == "0.05"
        assert run.result["held_back"]["surgical"] == 50
        assert plans.shortfall(run) == 450
        assert [t.to_status for t in plan.transitions] == [PlanStatus.DRAFT]
        assert plan.transitions[0].actor_id == people["alloc"]


def test_each_run_is_kept_as_a_version(app, scene, people, make_lot):
    plan_id = _plan(app, scene, people["alloc"])
    make_lot("surgical", 500)
    _step(app, plan_id, plans.run_plan, people["alloc2"])
    with app.app_context():
        plan = db.session.get(Plan, plan_id)
        assert [r.version for r in plan.runs] == [1, 2]
        assert plan.last_run_by_id == people["alloc2"]
        assert plans.planned_for(plan)[scene["pharmacy"]] > 350
        assert len(plan.runs[0].lines) == 2  # the first version keeps its own lines


def test_self_approval_is_refused_even_with_both_roles(app, scene, people):
    plan_id = _plan(app, scene, people["both"])
    _step(app, plan_id, plans.submit, people["both"])
    with app.app_context(), pytest.raises(ServiceError, match="cannot approve|不能审批"):
        plans.approve(db.session.get(Plan, plan_id), people["both"])
    _step(app, plan_id, plans.approve, people["appr"])
    with app.app_context():
        plan = db.session.get(Plan, plan_id)
        assert plan.status is PlanStatus.APPROVED
        assert plan.transitions[-1].actor_id == people["appr"]


def test_whoever_last_ran_the_plan_cannot_approve_it(app, scene, people):
    plan_id = _plan(app, scene, people["alloc"])
    _step(app, plan_id, plans.run_plan, people["both"])
    _step(app, plan_id, plans.submit, people["alloc"])
    with app.app_context(), pytest.raises(ServiceError):
        plans.approve(db.session.get(Plan, plan_id), people["both"])


def test_return_needs_a_comment_and_goes_back_to_draft_on_rerun(app, scene, people):
    plan_id = _plan(app, scene, people["alloc"])
    _step(app, plan_id, plans.submit, people["alloc"])
    with app.app_context(), pytest.raises(ServiceError):
        plans.return_plan(db.session.get(Plan, plan_id), people["appr"], "  ")
    _step(app, plan_id, plans.return_plan, people["appr"], "药店需求请核实")
    with app.app_context():
        plan = db.session.get(Plan, plan_id)
        assert plan.status is PlanStatus.RETURNED
        assert plan.transitions[-1].comment == "药店需求请核实"
    _step(app, plan_id, plans.run_plan, people["alloc"])
    with app.app_context():
        assert db.session.get(Plan, plan_id).status is PlanStatus.DRAFT


def test_transitions_not_in_the_table_are_refused(app, scene, people):
    plan_id = _plan(app, scene, people["alloc"])
    with app.app_context():
        plan = db.session.get(Plan, plan_id)
        with pytest.raises(ServiceError):
            plans.issue(plan, people["alloc"])  # a draft cannot be issued
        db.session.rollback()
        with pytest.raises(ServiceError):
            plans.transition(plan, PlanStatus.ISSUED, people["alloc"])


def _approved(app, scene, people) -> int:
    plan_id = _plan(app, scene, people["alloc"])
    _step(app, plan_id, plans.submit, people["alloc"])
    _step(app, plan_id, plans.approve, people["appr"])
    return plan_id


def test_issue_writes_every_line_and_the_trace_changes(app, scene, people):
    plan_id = _approved(app, scene, people)
    _step(app, plan_id, plans.issue, people["alloc"])
    with app.app_context():
        plan = db.session.get(Plan, plan_id)
        assert plan.status is PlanStatus.ISSUED
        assert plan.round.status is RoundStatus.CLOSED
        assert ledger.balance(scene["lot"], Bucket.AVAILABLE) == 50
        assert ledger.balance(scene["lot"], Bucket.ISSUED) == 950
        entries = plans.issue_entries(plan)
        assert {e.recipient_id: e.quantity for e in entries} == {
            scene["hospital"]: 600,
            scene["pharmacy"]: 350,
        }
        assert all(e.document_ref == plan.number for e in entries)
        from ledger import queries

        assert sum(r.quantity for r in queries.recipient_lots(scene["hospital"])) == 600


def test_double_issue_is_refused(app, scene, people):
    plan_id = _approved(app, scene, people)
    _step(app, plan_id, plans.issue, people["alloc"])
    with app.app_context(), pytest.raises(ServiceError, match="already been issued|已经出库"):
        plans.issue(db.session.get(Plan, plan_id), people["alloc"])
    with app.app_context():
        assert ledger.balance(scene["lot"], Bucket.ISSUED) == 950


def test_stale_plan_is_refused_and_nothing_is_issued(app, scene, people):
    plan_id = _approved(app, scene, people)
    with app.app_context():  # someone else issues 100 from the lot meanwhile
        ledger.issue(scene["lot"], scene["pharmacy"], 100, None)
        db.session.commit()
    with app.app_context():
        with pytest.raises(plans.StalePlan, match="re-run|重新运行"):
            plans.issue(db.session.get(Plan, plan_id), people["alloc"])
        db.session.rollback()
        assert ledger.balance(scene["lot"], Bucket.ISSUED) == 100
        assert db.session.get(Plan, plan_id).status is PlanStatus.APPROVED
    # re-running an approved plan sends it back to draft: it must be approved again
    _step(app, plan_id, plans.run_plan, people["alloc"])
    with app.app_context():
        plan = db.session.get(Plan, plan_id)
        assert plan.status is PlanStatus.DRAFT and plan.current_run.version == 2


def test_a_hold_makes_the_plan_stale(app, scene, people):
    plan_id = _approved(app, scene, people)
    with app.app_context():
        ledger.hold(scene["lot"], None, "召回核查")
        db.session.commit()
    with app.app_context(), pytest.raises(plans.StalePlan):
        plans.issue(db.session.get(Plan, plan_id), people["alloc"])


def test_reversal_restores_balances_and_reopens_the_round(app, scene, people):
    plan_id = _approved(app, scene, people)
    _step(app, plan_id, plans.issue, people["alloc"])
    with app.app_context(), pytest.raises(ServiceError):
        plans.reverse(db.session.get(Plan, plan_id), people["alloc"], "")
    _step(app, plan_id, plans.reverse, people["alloc"], "发错批次，整单冲正")
    with app.app_context():
        plan = db.session.get(Plan, plan_id)
        assert plan.status is PlanStatus.REVERSED
        assert plan.round.status is RoundStatus.OPEN
        assert ledger.balance(scene["lot"], Bucket.AVAILABLE) == 1000
        assert ledger.balance(scene["lot"], Bucket.ISSUED) == 0
        with pytest.raises(ServiceError):
            plans.reverse(plan, people["alloc"], "again")
        db.session.rollback()
        # the round can be planned again
        again = plans.create_plan(db.session.get(Round, scene["round"]), people["alloc"])
        assert again.number != plan.number


def test_one_live_plan_per_round(app, scene, people):
    _plan(app, scene, people["alloc"])
    with app.app_context(), pytest.raises(ServiceError, match="cancel it first|先将其作废"):
        plans.create_plan(db.session.get(Round, scene["round"]), people["alloc"])


def test_delivery_confirmation(app, scene, people):
    plan_id = _approved(app, scene, people)
    _step(app, plan_id, plans.issue, people["alloc"])
    with app.app_context():
        plan = db.session.get(Plan, plan_id)
        with pytest.raises(ServiceError) as missing:
            plans.record_delivery(
                plan, scene["pharmacy"], "李婷", local_today(), 300, "", people["alloc"]
            )
        assert missing.value.field == "discrepancy"
        plans.record_delivery(
            plan, scene["pharmacy"], "李婷", local_today(), 300, "少一箱", people["alloc"]
        )
        db.session.commit()
        assert plans.deliveries(plan)[scene["pharmacy"]].quantity_received == 300
        with pytest.raises(ServiceError):
            plans.record_delivery(
                plan, scene["pharmacy"], "李婷", local_today(), 350, "", people["alloc"]
            )


def test_minimums_the_stock_cannot_cover_give_a_clear_error(
    app, make_lot, make_recipient, make_round, people
):
    make_lot("surgical", 100)
    unit = make_recipient("医院丙", "hospital")
    round_id = make_round([(unit, "surgical", 500, 400)])
    with app.app_context(), pytest.raises(ServiceError, match="cannot be computed|无法计算"):
        plans.create_plan(db.session.get(Round, round_id), people["alloc"])


def test_policy_versions_record_who_and_when(app, make_lot, people):
    make_lot("surgical", 10)
    make_lot("kn95", 10)
    with app.app_context():
        rule = services.GradeRule("surgical", "0.1", ["surgical", "kn95"], [1, 2])
        version = services.save_policy([rule], False, people["alloc"], "试行")
        db.session.commit()
        assert version.created_by_id == people["alloc"] and version.created_at is not None
        assert services.policy_settings() == {
            "reserve": {"surgical": "0.1"},
            "whole_boxes": False,
            "substitutes": {"surgical": ["surgical", "kn95"]},
            "tier_grades": {"surgical": [1, 2]},
        }
        with pytest.raises(ServiceError, match="Nothing changed|没有改动"):
            services.save_policy([rule], False, people["alloc"], "again")
        for bad in (
            services.GradeRule("surgical", "1", [], [1]),
            services.GradeRule("surgical", "0", ["nope"], [1]),
            services.GradeRule("surgical", "0", [], []),
        ):
            with pytest.raises(ServiceError):
                services.save_policy([bad], False, people["alloc"], "bad")


def test_tier_change_needs_a_reason_and_is_recorded(app, make_recipient, people):
    unit_id = make_recipient("社区丁", "community")
    with app.app_context():
        unit = db.session.get(Recipient, unit_id)
        assert unit.tier == 2
        with pytest.raises(ServiceError):
            register.change_tier(unit, 1, " ", people["alloc"])
        register.change_tier(unit, 1, "承担隔离点转运", people["alloc"])
        db.session.commit()
        [change] = register.tier_changes(unit_id)
        assert (change.old_tier, change.new_tier, change.changed_by_id) == (2, 1, people["alloc"])
        assert db.session.get(Recipient, unit_id).tier == 1


def test_requests_refuse_duplicates_and_deactivated_units(
    app, make_lot, make_recipient, make_round, people
):
    make_lot("surgical", 10)
    unit = make_recipient("医院戊", "hospital")
    round_id = make_round([(unit, "surgical", 100)])
    with app.app_context():
        found = db.session.get(Round, round_id)
        grade = db.session.scalar(sa.text("select id from grades where code = 'surgical'"))
        with pytest.raises(ServiceError, match="already has a request|已申报"):
            services.add_request(found, services.RequestInput(unit, grade, 50), people["alloc"])
        db.session.get(Recipient, unit).active = False
        [request] = services.active_requests(round_id)
        services.withdraw_request(request, people["alloc"])
        with pytest.raises(ServiceError, match="deactivated|已停用"):
            services.add_request(found, services.RequestInput(unit, grade, 50), people["alloc"])


def test_the_approver_is_recorded_as_a_user(app, scene, people):
    plan_id = _approved(app, scene, people)
    with app.app_context():
        plan = db.session.get(Plan, plan_id)
        approval = [t for t in plan.transitions if t.to_status is PlanStatus.APPROVED][0]
        assert isinstance(approval.actor, User) and approval.actor.username == "appr"


def test_the_database_keeps_one_live_plan_per_round(app, scene, people):
    plan_id = _plan(app, scene, people["alloc"])
    with app.app_context():
        db.session.add(Plan(number="DP-TEST-999", round_id=scene["round"], status=PlanStatus.DRAFT))
        with pytest.raises(sa.exc.IntegrityError):
            db.session.flush()
        db.session.rollback()
    _step(app, plan_id, plans.cancel, people["alloc"])
    with app.app_context():  # a cancelled plan no longer holds the round
        plans.create_plan(db.session.get(Round, scene["round"]), people["alloc"])
        db.session.commit()
