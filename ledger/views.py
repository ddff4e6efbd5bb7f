"""Stock, traces, the entry list, verification, lot holds and write-offs, and the grade list."""

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from accounts.guards import city_staff, roles_required
from accounts.models import Role
from catalog import services as catalog
from catalog.models import Grade, Lot
from core.clock import local_today
from core.nav import NavItem
from core.request_args import date_arg, int_arg, page_arg
from core.transaction import run_service
from core.waiting import Waiting
from extensions import db
from recipients import services as register
from recipients.models import Recipient

from . import queries, services
from .forms import (
    WRITE_OFF_BUCKETS,
    GradeForm,
    HoldForm,
    NewGradeForm,
    ReverseForm,
    UnholdForm,
    WriteOffExpiredForm,
    WriteOffForm,
)
from .models import BUCKET_LABELS, Bucket, EntryKind, LedgerEntry
from .reasons import render as render_reason
from .verify import verify as verify_ledger

bp = Blueprint("ledger", __name__)

NAV = [
    NavItem("ledger.stock", _l("Stock")),
    NavItem("ledger.trace", _l("Trace")),
    NavItem("ledger.entries", _l("Ledger")),
    NavItem("ledger.verify", _l("Verify ledger")),
    NavItem("ledger.grades", _l("Grades"), "admin"),
]

# The stock page's columns: the buckets, and the available pieces of expired lots apart.
COLUMN_LABELS = {
    **{b.value: label for b, label in BUCKET_LABELS.items()},
    queries.EXPIRED_COLUMN: _l("Expired, not usable"),
}

STATUS_LABELS = {
    "in_stock": _l("In stock"),
    "quarantine": _l("Awaiting inspection"),
    "available": _l("Available"),
    "on_hold": _l("On hold"),
    "rejected": _l("Rejected"),
    "expiring": _l("Expiring within 30 days"),
    "expired": _l("Expired, still in stock"),
    "all": _l("All lots"),
}


@bp.app_template_filter("reason_text")
def reason_text(reason: str | None) -> str:
    """A ledger reason in the reader's language (`ledger.reasons`)."""
    return render_reason(reason)


@bp.app_context_processor
def ledger_helpers():
    return {"expiry_tag": expiry_tag, "bucket_label": bucket_label}


def bucket_label(value: str) -> str:
    """A bucket's name from its stored value (which a tampered row may have made unknown)."""
    try:
        return Bucket(value).label
    except ValueError:
        return value


def expiry_tag(lot: Lot, today: date) -> tuple[str, str] | None:
    """(css class, text) flagging an expired lot or one expiring within 30 days."""
    days = lot.days_to_expiry(today)
    if days is None or days > queries.EXPIRY_WARNING_DAYS:
        return None
    if days < 0:
        return "tag-bad", _("Expired")
    if days == 0:
        return "tag-warn", _("Expires today")
    return "tag-warn", ngettext("Expires in %(num)d day", "Expires in %(num)d days", days)


# Stock -------------------------------------------------------------------------------------


@bp.route("/stock")
@city_staff
def stock():
    today = local_today()
    status = request.args.get("status", "in_stock")
    if status not in queries.STATUS_FILTERS:
        status = "in_stock"
    grade_id = int_arg("grade")
    search = request.args.get("q", "")[:100]
    page = queries.lot_stock(
        today, status=status, grade_id=grade_id, search=search, page=page_arg()
    )
    return render_template(
        "ledger/stock.html",
        today=today,
        summary=queries.stock_by_grade(today),
        page=page,
        status=status,
        statuses=STATUS_LABELS,
        grade_id=grade_id,
        grades=db.session.scalars(db.select(Grade).order_by(Grade.id)).all(),
        search=search,
        columns=[(c, COLUMN_LABELS[c]) for c in queries.STOCK_COLUMNS],
        expired_count=queries.count_expired(today),
        expired_form=WriteOffExpiredForm(formdata=None),
    )


@bp.route("/stock/write-off-expired", methods=["POST"])
@roles_required(Role.INSPECTOR)
def write_off_expired():
    form = WriteOffExpiredForm()
    if form.validate_on_submit():
        done = run_service(lambda: services.write_off_expired(current_user))
        if done and done.value:
            flash(
                ngettext(
                    "%(num)d expired stock entry written off.",
                    "%(num)d expired stock entries written off.",
                    len(done.value),
                ),
                "success",
            )
        elif done:
            flash(_("No expired stock to write off."), "info")
    return redirect(url_for("ledger.stock", status="expired"))


# A lot: its history, its recipients (the recall view), and the inspector's actions ----------


def _get_lot(lot_id: int) -> Lot:
    return db.get_or_404(Lot, lot_id)


def _render_lot(lot: Lot, status: int = 200, **forms):
    balances = services.balances(lot)
    write_off_form = forms.get("write_off_form")
    if write_off_form is None:  # offer the first bucket that holds something
        write_off_form = WriteOffForm(formdata=None, prefix="writeoff")
        stocked = [b for b in WRITE_OFF_BUCKETS if balances[b] > 0]
        write_off_form.bucket.data = (stocked[0] if stocked else Bucket.AVAILABLE).value
    write_off_form.quantity.description = lot.grade.unit
    search = request.args.get("q", "").strip()[:100]
    district = request.args.get("district", "")[:100]
    recall, recall_totals = queries.lot_receipts(lot.id, search, district, page_arg())
    history = queries.lot_entries_page(lot.id, int_arg("hpage") or 1)
    return (
        render_template(
            "ledger/lot.html",
            lot=lot,
            today=local_today(),
            balances=balances,
            # What left the warehouse for recipients and stayed there (or was sold on).
            issued_total=balances[Bucket.ISSUED] + balances[Bucket.SOLD],
            buckets=list(Bucket),
            entries=history.items,
            history=history,
            receipt=queries.lot_receipt(lot.id),
            recall=recall,
            recipients=recall.items,
            recall_totals=recall_totals,
            search=search,
            district=district,
            districts=register.districts(),
            hold_form=forms.get("hold_form") or HoldForm(formdata=None, prefix="hold"),
            unhold_form=forms.get("unhold_form") or UnholdForm(formdata=None, prefix="unhold"),
            write_off_form=write_off_form,
            can_act=current_user.has_role(Role.INSPECTOR),
        ),
        status,
    )


@bp.route("/lots/<int:lot_id>")
@city_staff
def lot(lot_id: int):
    return _render_lot(_get_lot(lot_id))


@bp.route("/lots/<int:lot_id>/hold", methods=["POST"])
@roles_required(Role.INSPECTOR)
def hold(lot_id: int):
    lot = _get_lot(lot_id)
    form = HoldForm(prefix="hold")
    if form.validate_on_submit() and run_service(
        lambda: services.hold(lot, current_user, form.reason.data), form
    ):
        flash(
            _("Lot %(lot)s is on hold: it cannot be allocated or issued.", lot=lot.lot_number),
            "success",
        )
        return redirect(url_for("ledger.lot", lot_id=lot.id))
    return _render_lot(lot, hold_form=form)


@bp.route("/lots/<int:lot_id>/unhold", methods=["POST"])
@roles_required(Role.INSPECTOR)
def unhold(lot_id: int):
    lot = _get_lot(lot_id)
    form = UnholdForm(prefix="unhold")
    if form.validate_on_submit() and run_service(
        lambda: services.unhold(lot, current_user, form.reason.data), form
    ):
        flash(
            _(
                "The hold on lot %(lot)s is lifted: its stock is available again.",
                lot=lot.lot_number,
            ),
            "success",
        )
        return redirect(url_for("ledger.lot", lot_id=lot.id))
    return _render_lot(lot, unhold_form=form)


@bp.route("/lots/<int:lot_id>/write-off", methods=["POST"])
@roles_required(Role.INSPECTOR)
def write_off(lot_id: int):
    lot = _get_lot(lot_id)
    form = WriteOffForm(prefix="writeoff")
    if form.validate_on_submit() and run_service(
        lambda: services.write_off(
            lot,
            form.quantity.data,
            current_user,
            form.reason.data,
            from_bucket=Bucket(form.bucket.data),
        ),
        form,
    ):
        flash(_("Written off from lot %(lot)s.", lot=lot.lot_number), "success")
        return redirect(url_for("ledger.lot", lot_id=lot.id))
    return _render_lot(lot, write_off_form=form)


@bp.route("/ledger/entries/<int:seq>/reverse", methods=["GET", "POST"])
@roles_required(Role.INSPECTOR, Role.ALLOCATOR)
def reverse(seq: int):
    entry = db.get_or_404(LedgerEntry, seq)
    form = ReverseForm()
    if form.validate_on_submit() and run_service(
        lambda: services.reverse(entry, current_user, form.reason.data), form
    ):
        flash(_("Entry %(seq)s reversed.", seq=seq), "success")
        return redirect(url_for("ledger.lot", lot_id=entry.lot_id))
    return render_template("ledger/reverse.html", entry=entry, form=form)


# Traces ------------------------------------------------------------------------------------


@bp.route("/trace")
@city_staff
def trace():
    search = request.args.get("q", "").strip()[:100]
    lots = queries.find_lots(search) if search else []
    page = queries.recipients_received_page(search, page_arg())
    return render_template(
        "ledger/trace.html",
        search=search,
        lots=lots,
        page=page,
        recipients=page.items,
        today=local_today(),
    )


@bp.route("/trace/recipients/<int:recipient_id>")
@city_staff
def recipient(recipient_id: int):
    unit = db.get_or_404(Recipient, recipient_id)
    lots = queries.recipient_lots(unit.id)
    page = queries.recipient_entries_page(unit.id, page_arg())
    return render_template(
        "ledger/recipient.html",
        recipient=unit,
        lots=lots,
        held=queries.held_lot_ids(r.lot.id for r in lots),
        today=local_today(),
        page=page,
        entries=page.items,
    )


# The ledger itself ---------------------------------------------------------------------------


@bp.route("/ledger")
@city_staff
def entries():
    kind = request.args.get("kind", "")
    search = request.args.get("q", "")[:100]
    since, until = date_arg("from"), date_arg("to")
    page = queries.entries(kind=kind, search=search, since=since, until=until, page=page_arg())
    return render_template(
        "ledger/entries.html",
        page=page,
        kind=kind,
        kinds=list(EntryKind),
        search=search,
        since=since,
        until=until,
    )


@bp.route("/ledger/verify")
@roles_required(Role.AUDITOR, Role.ADMIN)
def verify():
    result = verify_ledger()
    return render_template("ledger/verify.html", result=result)


# Grades (administrator) -------------------------------------------------------------------


@bp.route("/admin/grades")
@roles_required(Role.ADMIN)
def grades():
    return render_template(
        "ledger/grades.html",
        grades=db.session.scalars(db.select(Grade).order_by(Grade.id)).all(),
        stock={row.grade.id: row for row in queries.stock_by_grade()},
    )


@bp.route("/admin/grades/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_grade():
    form = NewGradeForm()
    if form.validate_on_submit():
        done = run_service(
            lambda: catalog.create_grade(
                form.code.data,
                form.standard.data,
                form.name_zh.data,
                form.name_en.data,
                form.unit_zh.data,
                form.unit_en.data,
                active=form.active.data,
            ),
            form,
        )
        if done:
            flash(_("Grade %(name)s added.", name=done.value.name), "success")
            return redirect(url_for("ledger.grades"))
    return render_template("ledger/grade_form.html", form=form, grade=None)


@bp.route("/admin/grades/<int:grade_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_grade(grade_id: int):
    grade = db.get_or_404(Grade, grade_id)
    form = GradeForm(obj=grade if request.method == "GET" else None)
    if form.validate_on_submit():
        done = run_service(
            lambda: catalog.update_grade(
                grade,
                form.standard.data,
                form.name_zh.data,
                form.name_en.data,
                form.unit_zh.data,
                form.unit_en.data,
                form.active.data,
            ),
            form,
        )
        if done:
            flash(_("Grade %(name)s saved.", name=grade.name), "success")
            return redirect(url_for("ledger.grades"))
    return render_template("ledger/grade_form.html", form=form, grade=grade)


# What is waiting on the home page ----------------------------------------------------------


def inspector_waiting() -> list[Waiting]:
    today = local_today()
    items = [
        Waiting(
            _l("Lots on hold"), queries.count_on_hold(), url_for("ledger.stock", status="on_hold")
        ),
        Waiting(
            _l("Lots expiring within 30 days"),
            queries.count_expiring(today),
            url_for("ledger.stock", status="expiring"),
        ),
    ]
    expired = queries.count_expired(today)
    if expired:
        items.append(
            Waiting(
                _l("Expired lots still in stock: write them off"),
                expired,
                url_for("ledger.stock", status="expired"),
                urgent=True,
            )
        )
    return items


def allocator_waiting() -> list[Waiting]:
    return [
        Waiting(
            _l("Lots available for allocation"),
            len(services.allocatable_lots()),
            url_for("ledger.stock", status="available"),
        )
    ]


def auditor_waiting() -> list[Waiting]:
    return [
        Waiting(
            _l("Ledger entries: verify the chain"),
            queries.count_entries(),
            url_for("ledger.verify"),
        )
    ]


WAITING = {
    Role.INSPECTOR: [inspector_waiting],
    Role.ALLOCATOR: [allocator_waiting],
    Role.AUDITOR: [auditor_waiting],
}
