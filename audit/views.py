"""Audit pages: the allocation PDF (stored, downloads recorded), verification of documents and
of the ledger, the daily report, the recall report and the exports.

Everything here reads. The auditor's only "writes" are the system's own records: the first
download of a plan's PDF stores the rendered file, and every download is logged (who, when)."""

from collections.abc import Iterator
from datetime import date, timedelta

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from accounts.guards import city_staff, roles_required
from accounts.models import Role
from allocation.models import Plan
from catalog.models import Lot
from core import jobs, spreadsheets
from core.clock import local_today
from core.errors import ServiceError
from core.i18n import is_english
from core.nav import NavItem
from core.request_args import date_arg
from extensions import db
from ledger.models import Bucket
from ledger.verify import verify as verify_ledger

from . import documents, reports, verification
from .forms import VerifyUploadForm
from .jobs import lot_issues, plan_lines
from .models import PlanDocument  # noqa: F401  (the models are known to the migrations)
from .render import RenderError, warm

jobs.register_kind("plan_pdf", _l("Plan PDF"))
jobs.register_kind("recall_pdf", _l("Recall report PDF"))

bp = Blueprint("audit", __name__)


bp.add_app_template_filter(documents.css_string, "css_string")


@bp.app_context_processor
def audit_helpers():
    return {"bucket_list": lambda: list(Bucket), "pdf_page_counter": documents.page_counter_css}


@bp.before_app_request
def warm_pdf_renderer():
    """Have the render server warm before the first PDF is asked for (see audit/render.py)."""
    if current_app.config["PDF_RENDER_IN_CHILD"] and request.endpoint != "static":
        warm()


@bp.errorhandler(RenderError)
def render_failed(error: RenderError):
    """A PDF that could not be made: nothing stored or recorded, a page that says so."""
    current_app.logger.error("PDF rendering failed on %s: %s", request.path, error)
    db.session.rollback()
    message = gettext(
        "Nothing was stored. Try again in a minute; if it fails again, tell the administrator "
        "(the server log has the details)."
    )
    page = render_template(
        "errors/error.html", code=503, title=gettext("The PDF could not be made"), message=message
    )
    return page, 503


NAV = [
    NavItem("audit.verify", _l("Verify documents")),
    NavItem("audit.daily", _l("Daily report")),
    NavItem("audit.exports", _l("Exports")),
]
AUDITORS = (Role.AUDITOR, Role.ADMIN)


def _language() -> str:
    wanted = request.args.get("lang", "")
    if wanted in documents.LANGUAGES:
        return wanted
    return "en" if is_english() else "zh"


def _read(path) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            yield chunk


def _pdf_response(document) -> Response:
    """The stored file, streamed from the store (a long plan's PDF is tens of megabytes)."""
    path = documents.document_path(document)
    return Response(
        _read(path),
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f"attachment; filename={document.filename}",
            "Content-Length": str(path.stat().st_size),
            "Cache-Control": "no-store",
        },
    )


# The allocation PDF -------------------------------------------------------------------------


@bp.route("/plans/<int:plan_id>/pdf")
@city_staff
def plan_pdf(plan_id: int):
    """The stored PDF of an approved or issued plan (rendered on its first download)."""
    plan = db.get_or_404(Plan, plan_id)
    if plan.status not in documents.PRINTABLE or not documents.has_run(plan.id):
        return render_template("audit/not_printable.html", plan=plan)
    # The stored file first, found by a few narrow queries; the record is built (and the PDF
    # rendered) only when the plan has nothing stored as it is now.
    document = documents.stored_plan_document(plan, _language())
    if document is None and _as_job(plan_lines(plan.id)):
        job = jobs.submit(
            "plan_pdf", "audit.jobs.plan_pdf", plan.id, _language(), current_user.id,
            user=current_user,
        )  # fmt: skip
        return jobs.redirect_to(job)
    if document is None:
        document = documents.plan_document(plan, _language(), current_user.id)
    documents.record_download(document, current_user.id)
    db.session.commit()
    return _pdf_response(document)


# Verification -------------------------------------------------------------------------------


def _verify_page(form: VerifyUploadForm, check=None, error=None, typed: str = "", status=200):
    return (
        render_template(
            "audit/verify.html",
            form=form,
            check=check,
            error=error,
            typed=typed,
            result=verify_ledger(),
        ),
        status,
    )


@bp.route("/audit/verify")
@roles_required(*AUDITORS)
def verify():
    """Type a SHA-256 (the footer's, or the file's), or upload the PDF (the POST below)."""
    typed = request.args.get("sha256", "")
    form = VerifyUploadForm(formdata=None)
    if not typed.strip():
        return _verify_page(form)
    try:
        check = verification.check_hash(verification.normalise_hash(typed))
    except ServiceError as error:
        return _verify_page(form, error=error.message, typed=typed, status=400)
    return _verify_page(form, check=check, typed=typed)


@bp.route("/audit/verify", methods=["POST"])
@roles_required(*AUDITORS)
def verify_upload():
    """Reads the uploaded file and answers; nothing is stored or changed."""
    form = VerifyUploadForm()
    if not form.validate_on_submit():
        return _verify_page(form, status=400)
    with form.pdf.data.stream as stream:
        data = stream.read(verification.MAX_UPLOAD + 1)
    try:
        if len(data) > verification.MAX_UPLOAD:
            raise ServiceError(_l("The file is larger than the allowed size."))
        check = verification.check_pdf(data)
    except ServiceError as error:
        return _verify_page(form, error=error.message, status=400)
    return _verify_page(form, check=check)


# Daily report and recall --------------------------------------------------------------------


def _day_arg() -> date:
    """The day asked for, between the ledger's first day and today (else the nearer of them;
    a day that is not a date: today)."""
    day = date_arg("day")
    if day is None:
        return local_today()
    return min(max(day, reports.first_day()), local_today())


@bp.route("/audit/daily")
@city_staff
def daily():
    day = _day_arg()
    return render_template(
        "audit/daily.html", report=reports.daily_report(day), kinds=reports.DAILY_KINDS
    )


def _as_job(lines: int) -> bool:
    """A PDF of this many lines is rendered by a background job (minutes at province scale),
    the person waiting on its progress page; a short one in the request."""
    return lines >= current_app.config["PDF_JOB_MIN_LINES"]


def _report_pdf(kind: str, subject) -> Response:
    """The stored report PDF (rendered when the page it prints is new), download recorded."""
    document = documents.stored_report_document(kind, subject, _language())
    if document is None and kind == "recall" and _as_job(lot_issues(subject.id)):
        job = jobs.submit(
            "recall_pdf", "audit.jobs.recall_pdf", subject.id, _language(), current_user.id,
            user=current_user,
        )  # fmt: skip
        return jobs.redirect_to(job)
    if document is None:
        document = documents.report_document(kind, subject, _language(), current_user.id)
    documents.record_report_download(document, current_user.id)
    db.session.commit()
    return _pdf_response(document)


@bp.route("/audit/daily.pdf")
@city_staff
def daily_pdf():
    """Only for a day the ledger covers: every distinct day would be another stored file."""
    day = date_arg("day", local_today())
    if not reports.first_day() <= day <= local_today():
        abort(404)
    return _report_pdf("daily", day)


@bp.route("/lots/<int:lot_id>/recall.pdf")
@city_staff
def recall_pdf(lot_id: int):
    return _report_pdf("recall", db.get_or_404(Lot, lot_id))


# Exports ------------------------------------------------------------------------------------


def _period() -> tuple[date, date]:
    today = local_today()
    since = date_arg("since", today - timedelta(days=30))
    until = date_arg("until", today)
    if until < since:
        since, until = until, since
    return since, until


@bp.route("/audit/exports")
@city_staff
def exports():
    since, until = _period()
    return render_template(
        "audit/exports.html", since=since, until=until, datasets=reports.DATASETS
    )


@bp.route("/audit/exports/<any(ledger, plan_lines, stock):dataset>.<any(csv, xlsx):fmt>")
@city_staff
def export(dataset: str, fmt: str):
    since, until = _period()
    header, rows = reports.export_rows(dataset, since, until)
    name = f"baogong-{dataset}-{since.isoformat()}-{until.isoformat()}.{fmt}"
    if fmt == "xlsx":
        data = spreadsheets.to_xlsx(header, rows, dataset)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        data = spreadsheets.to_csv(header, rows)
        mimetype = "text/csv; charset=utf-8"
    if not data:
        abort(404)
    return Response(
        data, mimetype=mimetype, headers={"Content-Disposition": f"attachment; filename={name}"}
    )
