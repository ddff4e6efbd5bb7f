"""Allocation plans (调配方案): run, submit, approve or return, issue into the ledger, reverse,
and record deliveries. Plain values in, flush, never commit: the view commits once.

Every status change goes through `transition()`, which checks it against `TRANSITIONS` and
records who and when. Every operation on a plan first locks its row (`lock()`) and reads its
status afresh, so two people acting on one plan at the same moment take turns: the second is
told what the first did, never makes a second transition. The approver must be someone other
than whoever drafted, last ran or submitted the plan, even if they also hold the allocator role.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

import sqlalchemy as sa
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from accounts.models import User, actor_id
from catalog.models import Grade
from core.clock import local_today
from core.db import refresh_statistics
from core.errors import ServiceError
from core.i18n import is_english
from core.text import clean, one_line
from extensions import db
from ledger import services as ledger
from ledger.models import EntryKind, LedgerEntry
from recipients.models import Recipient

from . import solver
from .models import (
    AllocationRequest,
    Delivery,
    Plan,
    PlanLine,
    PlanReversal,
    PlanRun,
    PlanRunRequest,
    PlanStatus,
    PlanTransition,
    Round,
    RoundStatus,
)
from .services import current_policy, policy_settings

S = PlanStatus

# Which status may follow which.
TRANSITIONS: dict[PlanStatus | None, set[PlanStatus]] = {
    None: {S.DRAFT},
    S.DRAFT: {S.DRAFT, S.SUBMITTED, S.CANCELLED},
    S.RETURNED: {S.DRAFT, S.SUBMITTED, S.CANCELLED},
    S.SUBMITTED: {S.APPROVED, S.RETURNED, S.CANCELLED},
    S.APPROVED: {S.ISSUED, S.DRAFT, S.CANCELLED},
    S.ISSUED: {S.REVERSED},
    S.CANCELLED: set(),
    S.REVERSED: set(),
}
EDITABLE = (S.DRAFT, S.RETURNED)
# Plans that hold a round: a round has at most one of them at a time.
LIVE = (S.DRAFT, S.RETURNED, S.SUBMITTED, S.APPROVED, S.ISSUED)


class StalePlan(ServiceError):
    """The stock the plan was computed on has changed: it must be re-run."""


def lock(plan: Plan) -> Plan:
    """Lock the plan's row until the transaction ends (PostgreSQL: SELECT … FOR UPDATE; SQLite
    lets one writer in at a time anyway) and read it again, as it is now.

    Lock order, to stay clear of deadlocks: the ledger (`ledger.lock_ledger`) before a plan."""
    if plan.id is not None:
        db.session.refresh(plan, with_for_update=db.engine.dialect.name == "postgresql")
    return plan


def transition(
    plan: Plan, to: PlanStatus, actor: User | int | None, comment: str = ""
) -> PlanTransition:
    """The one place a plan's status changes; refuses what `TRANSITIONS` does not allow."""
    before = plan.status if plan.id is not None and plan.status is not None else None
    if to not in TRANSITIONS[before]:
        raise ServiceError(
            _l(
                "A plan that is %(before)s cannot become %(after)s.",
                before=before.label if before else "—",
                after=to.label,
            )
        )
    plan.status = to
    run = plan.current_run
    record = PlanTransition(
        plan=plan,
        from_status=before,
        to_status=to,
        actor_id=actor_id(actor),
        comment=clean(comment),
        run_version=run.version if run is not None else None,
    )
    db.session.add(record)
    db.session.flush()
    return record


def _next_number(round_date: date) -> str:
    prefix = f"DP-{round_date:%Y}-"
    numbers = db.session.scalars(sa.select(Plan.number).where(Plan.number.like(prefix + "%")))
    last = max((int(n[len(prefix) :]) for n in numbers if n[len(prefix) :].isdigit()), default=0)
    return f"{prefix}{last + 1:03d}"


def live_plan(round_id: int) -> Plan | None:
    return db.session.scalars(
        sa.select(Plan).where(Plan.round_id == round_id, Plan.status.in_(LIVE))
    ).first()


def create_plan(round_: Round, actor: User | int | None) -> Plan:
    """A new draft plan for a round, run at once against the stock available now."""
    if round_.status is not RoundStatus.OPEN:
        raise ServiceError(_l("This round is closed: a plan of it has been issued."))
    existing = live_plan(round_.id)
    if existing is not None:
        raise ServiceError(
            _l(
                "Plan %(number)s of this round is still %(status)s: re-run it, or cancel it first.",
                number=existing.number,
                status=existing.status.label,
            )
        )
    plan = Plan(number=_next_number(round_.round_date), round=round_, created_by_id=actor_id(actor))
    db.session.add(plan)
    try:
        transition(plan, S.DRAFT, actor)
    except sa.exc.IntegrityError:  # someone else created one at the same moment
        raise ServiceError(_l("Another plan of this round was just created: open it.")) from None
    run_plan(plan, actor)
    return plan


# Running --------------------------------------------------------------------------------------


def solver_policy(settings: dict) -> solver.Policy:
    return solver.Policy(
        substitutes={g: list(v) for g, v in settings.get("substitutes", {}).items()},
        reserve={g: float(v) for g, v in settings.get("reserve", {}).items()},
        whole_boxes=bool(settings.get("whole_boxes", False)),
        tier_grades={g: set(v) for g, v in settings.get("tier_grades", {}).items()},
    )


def _grade_names() -> dict[str, tuple[str, str]]:
    return {g.code: (g.name_zh, g.name_en) for g in db.session.scalars(sa.select(Grade))}


def _fraction(value: Fraction | None) -> str | None:
    return None if value is None else f"{value.numerator}/{value.denominator}"


def _solver_requests(round_id: int) -> list:
    """The round's active requests as plain rows (what the solver needs, in the order of
    `services.active_requests`): tens of thousands of them at province scale."""
    return db.session.execute(
        sa.select(
            AllocationRequest.id,
            AllocationRequest.recipient_id,
            Recipient.tier,
            Grade.code.label("grade"),
            AllocationRequest.quantity,
            AllocationRequest.minimum,
            AllocationRequest.grade_id,
            Recipient.name,
        )
        .join(Recipient, AllocationRequest.recipient_id == Recipient.id)
        .join(Grade, AllocationRequest.grade_id == Grade.id)
        .where(AllocationRequest.round_id == round_id, AllocationRequest.withdrawn_at.is_(None))
        .order_by(Recipient.tier, Recipient.name, AllocationRequest.id)
    ).all()


# The parts of a run's result kept apart in `PlanRun.summary` for the pages.
SUMMARY_KEYS = ("tiers", "held_back", "left_over")


def run_plan(plan: Plan, actor: User | int | None, on_date: date | None = None) -> PlanRun:
    """Compute a new version of a draft plan from the lots available now and the round's
    requests, under the policy in force. An approved plan goes back to draft first."""
    lock(plan)
    if plan.status is S.APPROVED:
        transition(plan, S.DRAFT, actor, "re-run: the stock changed after approval")
    if plan.status not in EDITABLE:
        raise ServiceError(_l("Only a draft or returned plan can be re-run."))
    requests = _solver_requests(plan.round_id)
    if not requests:
        raise ServiceError(_l("The round has no requests yet: add or import them first."))
    settings = policy_settings()
    policy_version = current_policy()
    lots = ledger.allocatable_lots(on_date)
    try:
        result = solver.allocate(
            [
                solver.Lot(str(x.lot_id), x.grade, x.available, x.expiry_date, x.pieces_per_box)
                for x in lots
            ],
            [
                solver.Request(
                    str(r.id),
                    str(r.recipient_id),
                    r.tier,
                    r.grade,
                    r.quantity,
                    r.minimum,
                )
                for r in requests
            ],
            solver_policy(settings),
            grade_names=_grade_names(),
        )
    except solver.AllocationError as error:
        # The solver explains in both languages; show the one the person reads.
        en, zh = str(error), error.zh
        reason = LazyString(lambda: en if is_english() else zh)
        raise ServiceError(_l("The plan cannot be computed: %(reason)s", reason=reason)) from error
    version = (plan.current_run.version if plan.current_run else 0) + 1
    run = PlanRun(
        plan=plan,
        version=version,
        ran_by_id=actor_id(actor),
        policy_id=policy_version.id if policy_version else None,
        policy=settings,
        lots=[
            {
                "lot_id": x.lot_id,
                "grade": x.grade,
                "available": x.available,
                "expiry": x.expiry_date.isoformat() if x.expiry_date else None,
                "pieces_per_box": x.pieces_per_box,
                "lot_number": x.lot_number,
                "maker": x.maker,
            }
            for x in lots
        ],
        result={
            "requests": {
                rid: {
                    "requested": rr.requested,
                    "minimum": rr.minimum,
                    "allocated": rr.allocated,
                    "tier": rr.tier,
                    "grade": rr.grade,
                    "level": _fraction(rr.level),
                    "by_grade": rr.by_grade,
                    "reason_zh": rr.reason.zh,
                    "reason_en": rr.reason.en,
                }
                for rid, rr in result.requests.items()
            },
            "tiers": [
                {
                    "tier": t.tier,
                    "requests": t.requests,
                    "requested": t.requested,
                    "allocated": t.allocated,
                    "lowest_fill": t.lowest_fill,
                    "summary_zh": t.summary.zh,
                    "summary_en": t.summary.en,
                }
                for t in sorted(result.tiers.values(), key=lambda t: t.tier)
            ],
            "held_back": result.held_back,
            "left_over": result.left_over,
            "stats": {
                "stages": result.stats.stages,
                "classes": result.stats.classes,
                "seconds": round(result.stats.seconds, 4),
            },
            "request_ids": [r.id for r in requests],
        },
    )
    run.summary = {key: run.result[key] for key in SUMMARY_KEYS}
    db.session.add(run)
    db.session.flush()
    recipient_of = {r.id: r.recipient_id for r in requests}
    # Tens of thousands of lines at province scale: one bulk INSERT, not an object each.
    rows = [
        {
            "run_id": run.id,
            "request_id": int(line.request_id),
            "recipient_id": recipient_of[int(line.request_id)],
            "lot_id": int(line.lot_id),
            "quantity": line.quantity,
        }
        for line in result.lines
        if line.quantity > 0
    ]
    if rows:
        db.session.execute(sa.insert(PlanLine), rows)
    db.session.execute(sa.insert(PlanRunRequest), run_requests(run.id, requests, result.requests))
    refresh_statistics(
        db.session, len(requests), PlanLine.__tablename__, PlanRunRequest.__tablename__
    )
    db.session.expire(run, ["lines"])
    plan.last_run_by_id = actor_id(actor)
    plan.last_run_at = run.ran_at
    if plan.status is S.RETURNED:
        transition(plan, S.DRAFT, actor, "re-run")
    db.session.flush()
    db.session.expire(plan, ["runs"])
    return run


def run_requests(run_id: int, requests: list, served: dict) -> list[dict]:
    """The rows of `PlanRunRequest` for a run: `requests` as `_solver_requests` reads them,
    `served` the solver's answer per request id (allocated, reason)."""
    asked: dict[int, int] = defaultdict(int)
    given: dict[int, int] = defaultdict(int)
    first: dict[int, tuple] = {}
    for r in requests:
        asked[r.recipient_id] += r.quantity
        given[r.recipient_id] += served[str(r.id)].allocated
        first.setdefault(r.recipient_id, (r.tier, r.name, r.recipient_id))
    order = sorted(
        first,
        key=lambda k: (first[k][0], Fraction(given[k], asked[k]), first[k][1], k),
    )
    position = {recipient_id: n for n, recipient_id in enumerate(order, start=1)}
    return [
        {
            "run_id": run_id,
            "request_id": r.id,
            "recipient_id": r.recipient_id,
            "grade_id": r.grade_id,
            "tier": r.tier,
            "requested": r.quantity,
            "allocated": served[str(r.id)].allocated,
            "position": position[r.recipient_id],
            "reason_zh": served[str(r.id)].reason.zh,
            "reason_en": served[str(r.id)].reason.en,
        }
        for r in requests
    ]


# Approval -------------------------------------------------------------------------------------


def submit(plan: Plan, actor: User | int | None) -> None:
    lock(plan)
    if plan.status not in EDITABLE:
        raise ServiceError(
            _l(
                "Plan %(number)s is %(status)s now: it cannot be submitted.",
                number=plan.number,
                status=plan.status.label,
            )
        )
    if plan.current_run is None:
        raise ServiceError(_l("Run the plan before submitting it."))
    if not plan.current_run.lines:
        raise ServiceError(_l("The plan hands out nothing: there is nothing to approve."))
    transition(plan, S.SUBMITTED, actor)


def _authors(plan: Plan) -> set[int]:
    ids = {plan.created_by_id, plan.last_run_by_id}
    ids.update(t.actor_id for t in plan.transitions if t.to_status is S.SUBMITTED)
    return {i for i in ids if i is not None}


def may_approve(plan: Plan, actor: User | int | None) -> bool:
    return actor_id(actor) not in _authors(plan)


def approve(plan: Plan, actor: User | int | None, comment: str = "") -> None:
    lock(plan)
    if plan.status is not S.SUBMITTED:
        raise ServiceError(_l("Only a plan submitted for approval can be approved."))
    if not may_approve(plan, actor):
        raise ServiceError(
            _l(
                "You drafted, ran or submitted this plan, so you cannot approve it: another "
                "approver must."
            )
        )
    transition(plan, S.APPROVED, actor, comment)


def return_plan(plan: Plan, actor: User | int | None, comment: str) -> None:
    lock(plan)
    if plan.status is not S.SUBMITTED:
        raise ServiceError(_l("Only a plan submitted for approval can be returned."))
    if not clean(comment):
        raise ServiceError(_l("Say what must change before the plan can be approved."), "comment")
    transition(plan, S.RETURNED, actor, comment)


def cancel(plan: Plan, actor: User | int | None, comment: str = "") -> None:
    lock(plan)
    transition(plan, S.CANCELLED, actor, comment)


# Issue ---------------------------------------------------------------------------------------


def stale_lots(run: PlanRun, on_date: date | None = None) -> list[str]:
    """Lot numbers whose allocatable stock is no longer what the run was computed on
    (call under `ledger.lock_ledger()` for an answer that stays true)."""
    now = {x.lot_id: x.available for x in ledger.allocatable_lots(on_date)}
    changed = [x["lot_number"] for x in run.lots if now.get(x["lot_id"]) != x["available"]]
    snapshot = {x["lot_id"] for x in run.lots}
    changed += [str(lot_id) for lot_id in now if lot_id not in snapshot]
    return changed


def withdrawn_requests(run: PlanRun) -> int:
    """How many of the requests the run served were withdrawn since."""
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(PlanRunRequest)
        .join(AllocationRequest, PlanRunRequest.request_id == AllocationRequest.id)
        .where(PlanRunRequest.run_id == run.id, AllocationRequest.withdrawn_at.is_not(None))
    )


def issue(plan: Plan, actor: User | int | None) -> list:
    """Write every line of an approved plan into the ledger in one transaction.

    Takes the ledger's lock, re-reads the plan's status (a second issue is refused) and checks
    that the lots still hold exactly what the plan was computed on; otherwise StalePlan."""
    ledger.lock_ledger()
    lock(plan)
    if plan.status is S.ISSUED or plan.status is S.REVERSED:
        raise ServiceError(_l("Plan %(number)s has already been issued.", number=plan.number))
    if plan.status is not S.APPROVED:
        raise ServiceError(_l("Only an approved plan can be issued."))
    run = plan.current_run
    stale = stale_lots(run)
    if stale:
        raise StalePlan(
            _l(
                "The stock changed since the plan was computed (lots %(lots)s). Nothing was "
                "issued: re-run the plan and have it approved again.",
                lots=", ".join(stale[:8]) + (" …" if len(stale) > 8 else ""),
            )
        )
    if withdrawn_requests(run):
        raise StalePlan(
            _l(
                "Requests were withdrawn since the plan was computed. Nothing was issued: re-run "
                "the plan and have it approved again."
            )
        )
    posted = ledger.issue_many(
        [
            ledger.IssueLine(
                line.lot_id,
                line.recipient_id,
                line.quantity,
                ledger.Document(ledger.DOC_PLAN_LINE, line.id, plan.number),
            )
            # Plain rows: a province's plan has tens of thousands of lines.
            for line in db.session.execute(
                sa.select(PlanLine.id, PlanLine.lot_id, PlanLine.recipient_id, PlanLine.quantity)
                .where(PlanLine.run_id == run.id)
                .order_by(PlanLine.id)
            )
        ],
        actor,
        reason=plan.number,
    )
    transition(plan, S.ISSUED, actor)
    plan.round.status = RoundStatus.CLOSED
    db.session.flush()
    return posted


def issue_entries(plan: Plan) -> list[LedgerEntry]:
    run = plan.current_run
    if run is None:
        return []
    line_ids = [line.id for line in run.lines]
    if not line_ids:
        return []
    return list(
        db.session.scalars(
            sa.select(LedgerEntry)
            .where(
                LedgerEntry.kind == EntryKind.ISSUE,
                LedgerEntry.document_type == ledger.DOC_PLAN_LINE,
                LedgerEntry.document_id.in_(line_ids),
            )
            .order_by(LedgerEntry.seq)
        )
    )


def reverse(plan: Plan, actor: User | int | None, reason: str) -> PlanReversal:
    """Undo an issued plan with a reversal document: every issue entry is reversed in the
    ledger (the stock returns to available) and the round opens again."""
    reason = clean(reason)
    if not reason:
        raise ServiceError(_l("Say why the plan is reversed."), "reason")
    ledger.lock_ledger()
    lock(plan)
    if plan.status is not S.ISSUED:
        raise ServiceError(_l("Only an issued plan can be reversed."))
    document = PlanReversal(plan_id=plan.id, reason=reason, actor_id=actor_id(actor))
    db.session.add(document)
    db.session.flush()
    ledger.reverse_many(
        issue_entries(plan),
        actor,
        reason,
        document=ledger.Document(ledger.DOC_PLAN_REVERSAL, document.id, plan.number),
    )
    transition(plan, S.REVERSED, actor, reason)
    plan.round.status = RoundStatus.OPEN
    db.session.flush()
    return document


# Deliveries (签收) ------------------------------------------------------------------------------


def record_delivery(
    plan: Plan,
    recipient_id: int,
    signed_by: str,
    received_on: date,
    quantity_received: int,
    discrepancy: str,
    actor: User | int | None,
) -> Delivery:
    """A unit's signed receipt of its lines of an issued plan; one per unit and plan (two people
    recording it at once: the plan's lock makes the second see the first's)."""
    lock(plan)
    if plan.status is not S.ISSUED:
        raise ServiceError(_l("Deliveries are recorded for issued plans only."))
    planned = planned_for(plan).get(recipient_id)
    if planned is None:
        raise ServiceError(_l("This recipient has no lines in the plan."))
    if db.session.scalar(
        sa.select(Delivery.id).where(
            Delivery.plan_id == plan.id, Delivery.recipient_id == recipient_id
        )
    ):
        raise ServiceError(_l("This recipient's receipt has already been recorded."))
    signed_by = one_line(signed_by)
    if not signed_by:
        raise ServiceError(_l("Give the name of the person who signed."), "signed_by")
    if quantity_received < 0:
        raise ServiceError(_l("The quantity received cannot be negative."), "quantity_received")
    if received_on > local_today():
        raise ServiceError(_l("The date of receipt cannot be in the future."), "received_on")
    discrepancy = clean(discrepancy)
    if quantity_received != planned and not discrepancy:
        raise ServiceError(
            _l(
                "%(received)s received against %(planned)s issued: describe the discrepancy.",
                received=quantity_received,
                planned=planned,
            ),
            "discrepancy",
        )
    delivery = Delivery(
        plan_id=plan.id,
        recipient_id=recipient_id,
        signed_by=signed_by,
        received_on=received_on,
        quantity_received=quantity_received,
        discrepancy=discrepancy,
        recorded_by_id=actor_id(actor),
    )
    try:
        with db.session.begin_nested():  # the unique constraint, should the lock be bypassed
            db.session.add(delivery)
    except sa.exc.IntegrityError:
        raise ServiceError(_l("This recipient's receipt has already been recorded.")) from None
    return delivery


def planned_for(plan: Plan) -> dict[int, int]:
    totals: dict[int, int] = defaultdict(int)
    run = plan.current_run
    for line in run.lines if run else []:
        totals[line.recipient_id] += line.quantity
    return dict(totals)


def deliveries(plan: Plan) -> dict[int, Delivery]:
    return {
        d.recipient_id: d
        for d in db.session.scalars(sa.select(Delivery).where(Delivery.plan_id == plan.id))
    }


# What the plan page shows ------------------------------------------------------------------


@dataclass
class RecipientRow:
    recipient: Recipient
    requests: list  # (AllocationRequest, result dict)
    lines: list  # PlanLine
    requested: int = 0
    allocated: int = 0
    by_request: dict = field(default_factory=dict)  # request id -> its lines

    @property
    def fill(self) -> float:
        return self.allocated / self.requested if self.requested else 1.0


def recipient_rows(run: PlanRun) -> list[RecipientRow]:
    ids = [int(i) for i in run.result.get("request_ids", [])]
    requests = (
        {
            r.id: r
            for r in db.session.scalars(
                sa.select(AllocationRequest).where(AllocationRequest.id.in_(ids))
            )
        }
        if ids
        else {}
    )
    rows: dict[int, RecipientRow] = {}
    for rid in ids:
        req = requests[rid]
        res = run.result["requests"].get(str(rid), {})
        row = rows.setdefault(req.recipient_id, RecipientRow(req.recipient, [], []))
        row.requests.append((req, res))
        row.requested += req.quantity
        row.allocated += res.get("allocated", 0)
    for line in run.lines:
        row = rows[line.recipient_id]
        row.lines.append(line)
        row.by_request.setdefault(line.request_id, []).append(line)
    return sorted(rows.values(), key=lambda r: (r.recipient.tier, r.fill, r.recipient.name))


def grade_usage(run: PlanRun) -> list[dict]:
    """Per grade: stock the run saw, reserve, requested, handed out, left over."""
    names = {g.code: g for g in db.session.scalars(sa.select(Grade))}
    usage: dict[str, dict] = {}

    def row(code):
        return usage.setdefault(
            code,
            {
                "grade": names.get(code),
                "code": code,
                "stock": 0,
                "held_back": 0,
                "requested": 0,
                "allocated": 0,
                "left_over": 0,
            },
        )

    for lot in run.lots:
        row(lot["grade"])["stock"] += lot["available"]
    for code, n in run.result.get("held_back", {}).items():
        row(code)["held_back"] = n
    for code, n in run.result.get("left_over", {}).items():
        row(code)["left_over"] = n
    for res in run.result["requests"].values():
        row(res["grade"])["requested"] += res["requested"]
        for code, n in res.get("by_grade", {}).items():
            row(code)["allocated"] += n
    # Grades nobody asked for or received (gloves in a mask round) are left out.
    return sorted(
        (u for u in usage.values() if u["requested"] or u["allocated"]), key=lambda r: r["code"]
    )


def shortfall(run: PlanRun) -> int:
    return sum(r["requested"] - r["allocated"] for r in run.result["requests"].values())


def plans(status: PlanStatus | None = None) -> list[Plan]:
    query = sa.select(Plan).order_by(Plan.id.desc())
    if status is not None:
        query = query.where(Plan.status == status)
    return list(db.session.scalars(query))


def count_plans(*statuses: PlanStatus) -> int:
    return db.session.scalar(sa.select(sa.func.count(Plan.id)).where(Plan.status.in_(statuses)))


def rounds_without_plan() -> int:
    live = sa.select(Plan.round_id).where(Plan.status.in_(LIVE))
    return db.session.scalar(
        sa.select(sa.func.count(Round.id)).where(
            Round.status == RoundStatus.OPEN, Round.id.not_in(live)
        )
    )
