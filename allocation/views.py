"""Recipients, rounds and requests, the policy, and plans: the allocator's and approver's pages."""

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from accounts.guards import city_staff, roles_required
from accounts.models import Role
from catalog.models import Grade
from core import jobs
from core.clock import local_today
from core.i18n import is_english
from core.nav import NavItem
from core.request_args import int_arg, page_arg
from core.transaction import run_service
from core.waiting import Waiting
from extensions import db
from ledger import services as ledger
from recipients import importing as recipient_importing
from recipients import services as register
from recipients.models import TIER_LABELS, Recipient, RecipientCategory

from . import importing, plans, queries, services
from .charts import tier_chart
from .forms import (
    ActiveForm,
    DeliveryForm,
    ImportForm,
    PlanActionForm,
    PolicyForm,
    RecipientForm,
    RecipientImportForm,
    RequestForm,
    ReturnForm,
    ReversalForm,
    RoundForm,
    TierForm,
)
from .models import AllocationRequest, Plan, PlanStatus, Round, RoundStatus

bp = Blueprint("allocation", __name__)

jobs.register_kind("request_import", _l("Request import"))
jobs.register_kind("recipient_import", _l("Recipient import"))
jobs.register_kind("plan_run", _l("Plan computation"))

NAV = [
    NavItem("allocation.recipients", _l("Recipients")),
    NavItem("allocation.rounds", _l("Rounds")),
    NavItem("allocation.plans_list", _l("Plans")),
    NavItem("allocation.policy", _l("Allocation policy"), "admin"),
]
ALLOCATOR = Role.ALLOCATOR


@bp.app_context_processor
def allocation_helpers():
    return {"tier_labels": TIER_LABELS, "in_english": is_english}


# Recipients -------------------------------------------------------------------------------------


@bp.route("/recipients")
@city_staff
def recipients():
    chosen = queries.RecipientFilter(
        search=request.args.get("q", "").strip()[:100],
        category=request.args.get("category", ""),
        tier=int_arg("tier"),
        district=request.args.get("district", "")[:100],
        include_inactive=request.args.get("inactive") == "1",
    )
    page, by_tier = queries.recipients_page(chosen, page_arg())
    return render_template(
        "allocation/recipients.html",
        page=page,
        recipients=page.items,
        by_tier=by_tier,
        search=chosen.search,
        category=chosen.category,
        tier=chosen.tier,
        district=chosen.district,
        inactive=chosen.include_inactive,
        categories=list(RecipientCategory),
        districts=register.districts(),
        can_edit=current_user.has_role(ALLOCATOR),
    )


def _as_job(size: int, limit_key: str) -> bool:
    """Whether work of this size runs as a background job (with a progress page) rather than
    in the request: from the configured size up (small work is quicker answered at once)."""
    return size >= current_app.config[limit_key]


def _lang() -> str:
    return str(get_locale() or "zh")


@bp.route("/recipients/import", methods=["GET", "POST"])
@roles_required(ALLOCATOR)
def import_recipients():
    form = RecipientImportForm()
    problems, total, status = [], 0, 200
    if form.validate_on_submit():
        upload = form.file.data
        filename, data = upload.filename or "", upload.read()
        if _as_job(len(data), "IMPORT_JOB_MIN_BYTES"):
            job = jobs.submit(
                "recipient_import",
                "allocation.jobs.import_recipients",
                filename,
                data,
                current_user.id,
                _lang(),
                user=current_user,
            )
            return jobs.redirect_to(job)
        done = run_service(
            lambda: recipient_importing.import_recipients(filename, data, current_user), form
        )
        if done:
            flash(_("%(count)s recipients registered.", count=done.value.count), "success")
            return redirect(url_for("allocation.recipients"))
        problems = getattr(done.error, "errors", [])
        total = getattr(done.error, "total", len(problems))
        status = 400
    elif form.is_submitted():
        status = 400
    return (
        render_template(
            "allocation/recipient_import.html",
            form=form,
            problems=problems,
            total=total,
            columns=recipient_importing.column_guide(),
        ),
        status,
    )


@bp.route("/recipients/template.<any(xlsx, csv):fmt>")
@roles_required(ALLOCATOR)
def recipient_template(fmt: str):
    if fmt == "xlsx":
        data = recipient_importing.template_xlsx()
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        data = recipient_importing.template_csv()
        mimetype = "text/csv; charset=utf-8"
    return Response(
        data,
        mimetype=mimetype,
        headers={"Content-Disposition": f"attachment; filename=baogong-recipients.{fmt}"},
    )


@bp.route("/recipients/new", methods=["GET", "POST"])
@roles_required(ALLOCATOR)
def new_recipient():
    form = RecipientForm()
    if form.validate_on_submit():
        done = run_service(
            lambda: register.create_recipient(
                form.name.data,
                form.category.data,
                district=form.district.data,
                contact=form.contact.data,
                headcount_or_beds=form.headcount_or_beds.data,
            ),
            form,
        )
        if done:
            unit = done.value
            flash(
                _("%(name)s registered in %(tier)s.", name=unit.name, tier=unit.tier_label),
                "success",
            )
            return redirect(url_for("allocation.recipient", recipient_id=unit.id))
    return render_template("allocation/recipient_form.html", form=form, recipient=None)


def _render_recipient(unit: Recipient, tier_form=None, status=200):
    requests = db.session.scalars(
        sa.select(AllocationRequest)
        .where(AllocationRequest.recipient_id == unit.id)
        .order_by(AllocationRequest.id.desc())
        .limit(50)
    ).all()
    return (
        render_template(
            "allocation/recipient.html",
            recipient=unit,
            changes=register.tier_changes(unit.id),
            requests=requests,
            tier_form=tier_form or TierForm(formdata=None, tier=unit.tier),
            active_form=ActiveForm(formdata=None),
            can_edit=current_user.has_role(ALLOCATOR),
        ),
        status,
    )


@bp.route("/recipients/<int:recipient_id>")
@city_staff
def recipient(recipient_id: int):
    return _render_recipient(db.get_or_404(Recipient, recipient_id))


@bp.route("/recipients/<int:recipient_id>/edit", methods=["GET", "POST"])
@roles_required(ALLOCATOR)
def edit_recipient(recipient_id: int):
    unit = db.get_or_404(Recipient, recipient_id)
    form = RecipientForm(obj=unit if request.method == "GET" else None)
    if request.method == "GET":
        form.category.data = unit.category.value
    if form.validate_on_submit() and run_service(
        lambda: register.update_recipient(
            unit,
            form.name.data,
            form.category.data,
            district=form.district.data,
            contact=form.contact.data,
            headcount_or_beds=form.headcount_or_beds.data,
        ),
        form,
    ):
        flash(_("%(name)s saved.", name=unit.name), "success")
        return redirect(url_for("allocation.recipient", recipient_id=unit.id))
    return render_template("allocation/recipient_form.html", form=form, recipient=unit)


@bp.route("/recipients/<int:recipient_id>/tier", methods=["POST"])
@roles_required(ALLOCATOR)
def change_tier(recipient_id: int):
    unit = db.get_or_404(Recipient, recipient_id)
    form = TierForm()
    if form.validate_on_submit() and run_service(
        lambda: register.change_tier(unit, form.tier.data, form.reason.data, current_user),
        form,
    ):
        flash(_("%(name)s is now in %(tier)s.", name=unit.name, tier=unit.tier_label), "success")
        return redirect(url_for("allocation.recipient", recipient_id=unit.id))
    return _render_recipient(unit, tier_form=form, status=400)


@bp.route("/recipients/<int:recipient_id>/active", methods=["POST"])
@roles_required(ALLOCATOR)
def set_active(recipient_id: int):
    unit = db.get_or_404(Recipient, recipient_id)
    if ActiveForm().validate_on_submit() and run_service(
        lambda: register.set_recipient_active(unit, not unit.active)
    ):
        if unit.active:
            flash(_("%(name)s is active again.", name=unit.name), "success")
        else:
            flash(
                _("%(name)s is deactivated: it gets no new requests or issues.", name=unit.name),
                "success",
            )
    return redirect(url_for("allocation.recipient", recipient_id=unit.id))


# Rounds and requests ----------------------------------------------------------------------------


@bp.route("/rounds")
@city_staff
def rounds():
    return render_template(
        "allocation/rounds.html",
        rounds=services.rounds(),
        can_edit=current_user.has_role(ALLOCATOR),
    )


@bp.route("/rounds/new", methods=["GET", "POST"])
@roles_required(ALLOCATOR)
def new_round():
    form = RoundForm()
    if request.method == "GET":
        form.round_date.data = local_today()
    if form.validate_on_submit():
        done = run_service(
            lambda: services.create_round(
                form.name.data, form.round_date.data, current_user, form.note.data
            ),
            form,
        )
        if done:
            found = done.value
            flash(
                _("Round %(name)s created: add or import its requests.", name=found.name), "success"
            )
            return redirect(url_for("allocation.round", round_id=found.id))
    return render_template("allocation/round_form.html", form=form)


def _request_form(formdata=None) -> RequestForm:
    """The "add a request" form. A province has too many units for one list: past
    `queries.ALL_CHOICES` it offers those matching the search `who` (or the one submitted)."""
    form = RequestForm(formdata=formdata) if formdata is not None else RequestForm(formdata=None)
    chosen = form.recipient.data if formdata is not None else None
    form.recipient.choices, form.narrowed = queries.recipient_choices(
        request.args.get("who", "").strip()[:100], chosen if isinstance(chosen, int) else None
    )
    form.grade.choices = [
        (g.id, g.name)
        for g in db.session.scalars(
            sa.select(Grade).where(Grade.active.is_(True)).order_by(Grade.id)
        )
    ]
    return form


def _request_filter() -> queries.RequestFilter:
    return queries.RequestFilter(
        search=request.args.get("q", "").strip()[:100],
        tier=int_arg("tier"),
        grade=request.args.get("grade", "")[:40],
    )


def _render_round(
    found: Round, request_form=None, import_form=None, import_errors=None, status=200
):
    chosen = _request_filter()
    demand = queries.round_demand(found.id)
    filtered = queries.round_demand(found.id, chosen) if chosen.active else None
    # The per-grade counts are the list's length: no count of its own.
    listed = sum(d.requests for d in (demand if filtered is None else filtered))
    page = queries.round_requests(found.id, chosen, page_arg(), total=listed)
    stock: dict = {}
    for lot in ledger.allocatable_lots():
        stock[lot.grade] = stock.get(lot.grade, 0) + lot.available
    return (
        render_template(
            "allocation/round.html",
            round=found,
            page=page,
            requests=page.items,
            request_count=sum(d.requests for d in demand),
            demand=demand,
            filtered=filtered,
            filters=chosen,
            grades=_grades(),
            stock=stock,
            who=request.args.get("who", "").strip()[:100],
            live_plan=plans.live_plan(found.id),
            request_form=request_form or _request_form(),
            import_form=import_form or ImportForm(formdata=None),
            import_errors=import_errors or [],
            action_form=PlanActionForm(formdata=None),
            can_edit=current_user.has_role(ALLOCATOR) and found.status is RoundStatus.OPEN,
        ),
        status,
    )


@bp.route("/rounds/<int:round_id>")
@city_staff
def round(round_id: int):  # noqa: A001 - the page is called "round"
    return _render_round(db.get_or_404(Round, round_id))


@bp.route("/rounds/<int:round_id>/requests", methods=["POST"])
@roles_required(ALLOCATOR)
def add_request(round_id: int):
    found = db.get_or_404(Round, round_id)
    form = _request_form(request.form)
    if form.validate_on_submit():
        item = services.RequestInput(
            form.recipient.data,
            form.grade.data,
            form.quantity.data,
            form.minimum.data or 0,
            form.note.data,
        )
        if run_service(lambda: services.add_request(found, item, current_user), form):
            flash(_("Request added."), "success")
            return redirect(url_for("allocation.round", round_id=found.id) + "#requests")
    return _render_round(found, request_form=form, status=400)


@bp.route("/rounds/<int:round_id>/requests/<int:request_id>/withdraw", methods=["POST"])
@roles_required(ALLOCATOR)
def withdraw_request(round_id: int, request_id: int):
    found = db.get_or_404(AllocationRequest, request_id)
    if found.round_id != round_id:
        return redirect(url_for("allocation.round", round_id=round_id))
    if ActiveForm().validate_on_submit() and run_service(
        lambda: services.withdraw_request(found, current_user)
    ):
        flash(_("Request of %(name)s withdrawn.", name=found.recipient.name), "success")
    return redirect(url_for("allocation.round", round_id=round_id) + "#requests")


@bp.route("/rounds/<int:round_id>/import", methods=["POST"])
@roles_required(ALLOCATOR)
def import_requests(round_id: int):
    found = db.get_or_404(Round, round_id)
    form = ImportForm()
    errors = []
    if form.validate_on_submit():
        upload = form.file.data
        filename, data = upload.filename or "", upload.read()
        if _as_job(len(data), "IMPORT_JOB_MIN_BYTES"):
            job = jobs.submit(
                "request_import",
                "allocation.jobs.import_requests",
                found.id,
                filename,
                data,
                current_user.id,
                _lang(),
                user=current_user,
            )
            return jobs.redirect_to(job)
        done = run_service(
            lambda: importing.import_requests(found, filename, data, current_user), form
        )
        errors = getattr(done.error, "errors", [])
        if done:
            flash(_("%(count)s requests imported.", count=len(done.value)), "success")
            return redirect(url_for("allocation.round", round_id=found.id) + "#requests")
    return _render_round(found, import_form=form, import_errors=errors, status=400)


@bp.route("/requests/template.<any(xlsx, csv):fmt>")
@roles_required(ALLOCATOR)
def request_template(fmt: str):
    if fmt == "xlsx":
        data = importing.template_xlsx()
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        data = importing.template_csv()
        mimetype = "text/csv; charset=utf-8"
    return Response(
        data,
        mimetype=mimetype,
        headers={"Content-Disposition": f"attachment; filename=baogong-requests.{fmt}"},
    )


# Policy -------------------------------------------------------------------------------------------


def _grades() -> list[Grade]:
    return list(db.session.scalars(sa.select(Grade).order_by(Grade.id)))


@bp.route("/admin/policy", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def policy():
    grades = _grades()
    form = PolicyForm()
    if request.method == "GET":
        settings = services.policy_settings()
        form = PolicyForm(formdata=None)
        form.whole_boxes.data = bool(settings.get("whole_boxes"))
        for rule in services.rules_for(settings, grades):
            form.rules.append_entry(
                {
                    "grade": rule.grade,
                    "reserve_percent": rule.reserve * 100,
                    "substitutes": ", ".join(rule.substitutes),
                    "tiers": ",".join(str(t) for t in rule.tiers),
                }
            )
    elif form.validate_on_submit():
        done = run_service(
            lambda: services.save_policy(
                [
                    services.GradeRule(
                        entry.form.grade.data,
                        entry.form.reserve_percent.data / 100,
                        entry.form.substitute_list,
                        entry.form.tier_list,
                    )
                    for entry in form.rules
                ],
                form.whole_boxes.data,
                current_user,
                form.note.data,
            ),
            form,
        )
        if done:
            flash(_("A new policy version is in force; plans run from now on use it."), "success")
            return redirect(url_for("allocation.policy"))
    names = {g.code: g for g in grades}
    return render_template(
        "allocation/policy.html",
        form=form,
        names=names,
        history=services.policy_history(),
    )


# Plans --------------------------------------------------------------------------------------------


@bp.route("/plans")
@city_staff
def plans_list():
    status = request.args.get("status", "")
    chosen = PlanStatus(status) if status in {s.value for s in PlanStatus} else None
    return render_template(
        "allocation/plans.html", plans=plans.plans(chosen), status=status, statuses=list(PlanStatus)
    )


def _plan(plan_id: int) -> Plan:
    return db.get_or_404(Plan, plan_id)


def _line_filter() -> queries.LineFilter:
    return queries.LineFilter(
        search=request.args.get("q", "").strip()[:100],
        tier=int_arg("tier"),
        grade=request.args.get("grade", "")[:40],
        short=request.args.get("short") == "1",
    )


def _render_plan(plan: Plan, *, return_form=None, stale: str | None = None, status=200):
    version = int_arg("version")
    runs = queries.plan_runs(plan)
    run = runs[-1] if runs else None
    if version is not None:
        run = next((r for r in runs if r.version == version), run)
    chosen = _line_filter()
    issued = plan.status in (PlanStatus.ISSUED, PlanStatus.REVERSED)
    page = totals = usage = found = None
    if run is not None:
        found = queries.digest(run, plan.round_id)
        page, totals = queries.plan_lines(run, plan.round_id, chosen, page_arg())
        usage = queries.grade_usage(run, plan.round_id)
    return (
        render_template(
            "allocation/plan.html",
            plan=plan,
            run=run,
            runs=runs,
            is_current=run is not None and run is runs[-1],
            page=page,
            rows=page.items if page else [],
            totals=totals,
            filters=chosen,
            grades=[u["grade"] for u in usage or [] if u["grade"] is not None],
            usage=usage or [],
            tiers=found.tiers if found else [],
            shortfall=sum(u["requested"] - u["allocated"] for u in usage or []),
            chart=tier_chart(found.tiers, is_english()) if found else None,
            deliveries=queries.deliveries_of(plan, (row.recipient.id for row in page.items))
            if page
            else {},
            receipts=queries.receipts(plan, run)
            if run is not None and plan.status is PlanStatus.ISSUED
            else None,
            action_form=PlanActionForm(formdata=None),
            return_form=return_form or ReturnForm(formdata=None, prefix="return"),
            is_allocator=current_user.has_role(ALLOCATOR),
            is_approver=current_user.has_role(Role.APPROVER),
            may_approve=plans.may_approve(plan, current_user),
            stale=stale,
            issue_entries=queries.count_issue_entries(plan, runs[-1]) if issued and runs else 0,
        ),
        status,
    )


@bp.route("/plans/<int:plan_id>")
@city_staff
def plan(plan_id: int):
    return _render_plan(_plan(plan_id))


@bp.route("/rounds/<int:round_id>/plans", methods=["POST"])
@roles_required(ALLOCATOR)
def new_plan(round_id: int):
    found = db.get_or_404(Round, round_id)
    if PlanActionForm().validate_on_submit():
        if _as_job(queries.count_active_requests(found.id), "PLAN_JOB_MIN_REQUESTS"):
            job = jobs.submit(
                "plan_run",
                "allocation.jobs.create_plan",
                found.id,
                current_user.id,
                user=current_user,
            )
            return jobs.redirect_to(job)
        done = run_service(lambda: plans.create_plan(found, current_user))
        if not done:
            return redirect(url_for("allocation.round", round_id=found.id))
        created = done.value
        flash(
            _(
                "Plan %(number)s computed: check it and submit it for approval.",
                number=created.number,
            ),
            "success",
        )
        return redirect(url_for("allocation.plan", plan_id=created.id))
    return redirect(url_for("allocation.round", round_id=found.id))


def _act(plan: Plan, action, success: str):
    if not PlanActionForm().validate_on_submit():
        return redirect(url_for("allocation.plan", plan_id=plan.id))
    done = run_service(action, caller_shows=(plans.StalePlan,))
    if isinstance(done.error, plans.StalePlan):
        return _render_plan(_plan(plan.id), stale=str(done.error.message), status=409)
    if done:
        flash(success, "success")
    return redirect(url_for("allocation.plan", plan_id=plan.id))


@bp.route("/plans/<int:plan_id>/run", methods=["POST"])
@roles_required(ALLOCATOR)
def run_plan(plan_id: int):
    found = _plan(plan_id)
    if _as_job(queries.count_active_requests(found.round_id), "PLAN_JOB_MIN_REQUESTS") and (
        PlanActionForm().validate_on_submit()
    ):
        job = jobs.submit(
            "plan_run", "allocation.jobs.run_plan", found.id, current_user.id, user=current_user
        )
        return jobs.redirect_to(job)
    return _act(
        found,
        lambda: plans.run_plan(found, current_user),
        _("Plan %(number)s re-run against the stock available now.", number=found.number),
    )


@bp.route("/plans/<int:plan_id>/submit", methods=["POST"])
@roles_required(ALLOCATOR)
def submit_plan(plan_id: int):
    found = _plan(plan_id)
    return _act(
        found,
        lambda: plans.submit(found, current_user),
        _("Plan %(number)s submitted: an approver will review it.", number=found.number),
    )


@bp.route("/plans/<int:plan_id>/approve", methods=["POST"])
@roles_required(Role.APPROVER)
def approve_plan(plan_id: int):
    found = _plan(plan_id)
    form = PlanActionForm()
    return _act(
        found,
        lambda: plans.approve(found, current_user, form.comment.data or ""),
        _("Plan %(number)s approved: the allocator can issue it.", number=found.number),
    )


@bp.route("/plans/<int:plan_id>/return", methods=["POST"])
@roles_required(Role.APPROVER)
def return_plan(plan_id: int):
    found = _plan(plan_id)
    form = ReturnForm(prefix="return")
    if form.validate_on_submit() and run_service(
        lambda: plans.return_plan(found, current_user, form.comment.data), form
    ):
        flash(_("Plan %(number)s returned to the allocator.", number=found.number), "success")
        return redirect(url_for("allocation.plan", plan_id=found.id))
    return _render_plan(found, return_form=form, status=400)


@bp.route("/plans/<int:plan_id>/cancel", methods=["POST"])
@roles_required(ALLOCATOR)
def cancel_plan(plan_id: int):
    found = _plan(plan_id)
    return _act(
        found,
        lambda: plans.cancel(found, current_user),
        _("Plan %(number)s cancelled.", number=found.number),
    )


@bp.route("/plans/<int:plan_id>/issue", methods=["POST"])
@roles_required(ALLOCATOR)
def issue_plan(plan_id: int):
    found = _plan(plan_id)
    return _act(
        found,
        lambda: plans.issue(found, current_user),
        _("Plan %(number)s issued: every line is in the ledger.", number=found.number),
    )


@bp.route("/plans/<int:plan_id>/reverse", methods=["GET", "POST"])
@roles_required(ALLOCATOR)
def reverse_plan(plan_id: int):
    found = _plan(plan_id)
    form = ReversalForm()
    if form.validate_on_submit() and run_service(
        lambda: plans.reverse(found, current_user, form.reason.data), form
    ):
        flash(
            _("Plan %(number)s reversed: its stock is available again.", number=found.number),
            "success",
        )
        return redirect(url_for("allocation.plan", plan_id=found.id))
    return render_template("allocation/reverse.html", plan=found, form=form)


@bp.route("/plans/<int:plan_id>/deliveries/<int:recipient_id>", methods=["GET", "POST"])
@roles_required(ALLOCATOR)
def delivery(plan_id: int, recipient_id: int):
    found = _plan(plan_id)
    unit = db.get_or_404(Recipient, recipient_id)
    planned = plans.planned_for(found).get(unit.id, 0)
    form = DeliveryForm()
    if request.method == "GET":
        form.received_on.data = local_today()
        form.quantity_received.data = planned
    if form.validate_on_submit() and run_service(
        lambda: plans.record_delivery(
            found,
            unit.id,
            form.signed_by.data,
            form.received_on.data,
            form.quantity_received.data,
            form.discrepancy.data,
            current_user,
        ),
        form,
    ):
        flash(_("Receipt of %(name)s recorded.", name=unit.name), "success")
        return redirect(url_for("allocation.plan", plan_id=found.id) + "#recipients")
    return render_template(
        "allocation/delivery.html",
        plan=found,
        recipient=unit,
        planned=planned,
        form=form,
        existing=plans.deliveries(found).get(unit.id),
    )


# What is waiting on the home page --------------------------------------------------------------


def allocator_waiting() -> list[Waiting]:
    items = [
        Waiting(
            _l("Rounds without a plan"), plans.rounds_without_plan(), url_for("allocation.rounds")
        ),
        Waiting(
            _l("Approved plans to issue"),
            plans.count_plans(PlanStatus.APPROVED),
            url_for("allocation.plans_list", status="approved"),
        ),
    ]
    returned = plans.count_plans(PlanStatus.RETURNED)
    if returned:
        items.append(
            Waiting(
                _l("Plans returned by the approver"),
                returned,
                url_for("allocation.plans_list", status="returned"),
                urgent=True,
            )
        )
    return items


def approver_waiting() -> list[Waiting]:
    return [
        Waiting(
            _l("Plans submitted for approval"),
            plans.count_plans(PlanStatus.SUBMITTED),
            url_for("allocation.plans_list", status="submitted"),
            urgent=plans.count_plans(PlanStatus.SUBMITTED) > 0,
        )
    ]


WAITING = {Role.ALLOCATOR: [allocator_waiting], Role.APPROVER: [approver_waiting]}
