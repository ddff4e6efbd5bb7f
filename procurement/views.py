"""Suppliers, purchases, receiving, certificates, the inspector's checklist, import, prices."""

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from accounts.guards import city_staff, roles_required
from accounts.models import Role
from catalog import services as catalog
from catalog.models import Grade, Lot
from core.clock import local_today
from core.i18n import in_language
from core.nav import NavItem
from core.request_args import date_arg, int_arg, page_arg
from core.transaction import run_service
from core.waiting import Waiting
from extensions import db
from ledger import queries as ledger_queries
from ledger import services as ledger
from ledger.models import Bucket

from . import certificates as certs
from . import importer, inspection, queries, services
from .forms import (
    AgreedPriceForm,
    AttachForm,
    CertificateForm,
    ConfirmForm,
    ImportForm,
    ListedCompanyForm,
    PurchaseForm,
    ReceiveForm,
    RejectForm,
    ReleaseForm,
    SupplierForm,
    UnlistForm,
    confirm_value,
)
from .models import (
    AgreedPrice,
    Certificate,
    ListedCompany,
    Purchase,
    PurchaseLine,
    PurchaseSource,
    Supplier,
    SupplierKind,
)
from .quality import MEASURE_LABELS, Measure
from .quality.vocabulary import ForeignClass
from .services import LineInput

bp = Blueprint("procurement", __name__)

NAV = [
    NavItem("procurement.purchases", _l("Purchases")),
    NavItem("procurement.batches", _l("Batches")),
    NavItem("procurement.suppliers", _l("Suppliers")),
    NavItem("procurement.prices", _l("Agreed prices"), "admin"),
]


@bp.app_context_processor
def procurement_helpers():
    return {
        "measure_label": measure_label,
        "measured_value": measured_value,
        "country_name": country_name,
        "foreign_class_label": foreign_class_label,
    }


def foreign_class_label(value: str) -> str:
    try:
        return ForeignClass(value).label
    except ValueError:
        return value


def measured_value(key: str, value: object) -> str:
    """A measured value as the certificate table shows it: pass/fail results in words."""
    if value is True or value is False:
        if key == Measure.SYNTHETIC_BLOOD.value:
            return _("no penetration") if value else _("penetration")
        return _("none detected") if value else _("detected")
    return str(value)


def country_name(code: str) -> str:
    """A country by its ISO code, in the reader's language."""
    return get_locale().territories.get(code, code)


def measure_label(key: str) -> str:
    try:
        return in_language(MEASURE_LABELS[Measure(key)])
    except ValueError:
        return key


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error):
    """A request over MAX_CONTENT_LENGTH: back to the form with a clear message."""
    db.session.rollback()
    limit = certs.max_scan_bytes() / 1024 / 1024
    flash(
        _(
            "The upload was refused: it is larger than the server accepts. Scans and "
            "spreadsheets may be at most %(limit)s MB; nothing was saved.",
            limit=f"{limit:.0f}",
        ),
        "error",
    )
    return redirect(request.path, code=303)


# Suppliers ---------------------------------------------------------------------------------


@bp.route("/suppliers")
@city_staff
def suppliers():
    search = request.args.get("q", "").strip()[:100]
    kind = request.args.get("kind", "")
    page = queries.suppliers(search=search, kind=kind, page=page_arg())
    return render_template(
        "procurement/suppliers.html", page=page, search=search, kind=kind, kinds=list(SupplierKind)
    )


@bp.route("/suppliers/new", methods=["GET", "POST"])
@roles_required(Role.PROCUREMENT)
def new_supplier():
    form = SupplierForm()
    if form.validate_on_submit():
        done = run_service(
            lambda: services.create_supplier(
                form.name.data,
                form.kind.data,
                form.uscc.data,
                form.contact_person.data,
                form.phone.data,
                form.address.data,
                form.notes.data,
                actor=current_user,
            ),
            form,
        )
        if done:
            supplier = done.value
            flash(_("Supplier %(name)s recorded.", name=supplier.name), "success")
            return redirect(url_for("procurement.supplier", supplier_id=supplier.id))
    return render_template("procurement/supplier_form.html", form=form)


@bp.route("/suppliers/<int:supplier_id>")
@city_staff
def supplier(supplier_id: int):
    found = db.get_or_404(Supplier, supplier_id)
    purchases = db.session.scalars(
        sa.select(Purchase)
        .where(Purchase.supplier_id == found.id)
        .order_by(Purchase.ordered_on.desc(), Purchase.id.desc())
    ).all()
    return render_template(
        "procurement/supplier.html",
        supplier=found,
        purchases=purchases,
        certificates=found.certificates,
        today=local_today(),
    )


# Purchases ---------------------------------------------------------------------------------


PURCHASE_STATUSES = {
    "": _l("All"),
    "open": _l("Awaiting delivery"),
    "delivered": _l("Delivered"),
    "flagged": _l("Price flagged"),
}


@bp.route("/purchases")
@city_staff
def purchases():
    filters = {
        "q": request.args.get("q", "").strip()[:100],
        "status": request.args.get("status", ""),
        "source": request.args.get("source", ""),
        "supplier": int_arg("supplier"),
        "from": date_arg("from"),
        "to": date_arg("to"),
    }
    page = queries.purchases(filters, page=page_arg())
    return render_template(
        "procurement/purchases.html",
        page=page,
        filters=filters,
        statuses=PURCHASE_STATUSES,
        sources=list(PurchaseSource),
        suppliers=queries.all_suppliers(),
    )


def _grades() -> list[Grade]:
    return catalog.active_grades()


@bp.route("/purchases/new", methods=["GET", "POST"])
@roles_required(Role.PROCUREMENT)
def new_purchase():
    form = PurchaseForm()
    if request.method == "GET":
        form.ordered_on.data = local_today()
        if int_arg("supplier"):
            form.supplier_id.data = int_arg("supplier")
    form.set_choices(queries.all_suppliers(), _grades())
    if form.validate_on_submit():
        lines = [
            LineInput(
                grade_id=line.form.grade_id.data,
                quantity=line.form.quantity.data,
                unit_price=line.form.unit_price.data,
                description=line.form.description.data or "",
            )
            for line in form.lines
            if not line.form.is_empty
        ]
        done = run_service(
            lambda: services.create_purchase(
                form.source.data,
                form.supplier_id.data,
                form.ordered_on.data,
                lines,
                contract_number=form.contract_number.data,
                notes=form.notes.data,
                actor=current_user,
            ),
            form,
        )
        if done:
            purchase = done.value
            if purchase.flagged:
                flash(
                    _(
                        "Purchase recorded. Some prices are above the agreed price or the "
                        "recent median: see the flags below."
                    ),
                    "warning",
                )
            else:
                flash(_("Purchase recorded."), "success")
            return redirect(url_for("procurement.purchase", purchase_id=purchase.id))
    return render_template("procurement/purchase_form.html", form=form)


@bp.route("/purchases/<int:purchase_id>")
@city_staff
def purchase(purchase_id: int):
    found = db.get_or_404(Purchase, purchase_id)
    return render_template(
        "procurement/purchase.html",
        purchase=found,
        stock={lot.id: ledger.balances(lot) for line in found.lines for lot in line.lots},
    )


@bp.route("/purchases/lines/<int:line_id>/receive", methods=["GET", "POST"])
@roles_required(Role.PROCUREMENT)
def receive(line_id: int):
    line = db.get_or_404(PurchaseLine, line_id)
    form = ReceiveForm()
    if request.method == "GET":
        form.received_on.data = local_today()
        form.pieces.data = line.pieces_outstanding or None
        if line.purchase.source is PurchaseSource.DONATION:
            form.origin.data = "donation"
        if line.purchase.supplier.kind is SupplierKind.MAKER:
            form.maker.data = line.purchase.supplier.name
    if form.validate_on_submit():
        done = run_service(
            lambda: services.receive_batch(
                line,
                lot_number=form.lot_number.data,
                maker=form.maker.data,
                model=form.model.data,
                pieces=form.pieces.data,
                pieces_per_box=form.pieces_per_box.data,
                origin=form.origin.data,
                received_on=form.received_on.data,
                production_date=form.production_date.data,
                expiry_date=form.expiry_date.data,
                over_receipt_reason=form.over_receipt_reason.data,
                donated_goods_origin=form.donated_goods_origin.data or None,
                made_in=form.made_in.data or None,
                exhalation_valve=form.valve(),
                registrant=form.registrant.data,
                actor=current_user,
            ),
            form,
            fields={"quantity": "pieces", "pieces_received": "pieces"},
        )
        if done:
            lot = done.value
            flash(
                _(
                    "Batch %(lot)s received into quarantine. Attach its certificates: an "
                    "inspector releases it after checking them.",
                    lot=lot.lot_number,
                ),
                "success",
            )
            return redirect(url_for("procurement.batch", lot_id=lot.id))
    return render_template("procurement/receive.html", form=form, line=line)


# Batches -----------------------------------------------------------------------------------


BATCH_STATUSES = {
    "": _l("All"),
    "quarantine": _l("Awaiting inspection"),
    "available": _l("Released"),
    "rejected": _l("Rejected"),
    "on_hold": _l("On hold"),
    "no_certificates": _l("Missing certificates"),
}


@bp.route("/batches")
@city_staff
def batches():
    filters = {
        "q": request.args.get("q", "").strip()[:100],
        "status": request.args.get("status", ""),
        "grade": int_arg("grade"),
        "supplier": int_arg("supplier"),
        "from": date_arg("from"),
        "to": date_arg("to"),
    }
    page = queries.batches(filters, page=page_arg())
    return render_template(
        "procurement/batches.html",
        page=page,
        filters=filters,
        statuses=BATCH_STATUSES,
        grades=db.session.scalars(sa.select(Grade).order_by(Grade.id)).all(),
        suppliers=queries.all_suppliers(),
        buckets=[Bucket.QUARANTINE, Bucket.AVAILABLE, Bucket.ON_HOLD, Bucket.REJECTED],
        today=local_today(),
    )


def _render_batch(lot: Lot, status: int = 200, **forms):
    checklist = inspection.checklist(lot)
    balances = ledger.balances(lot)
    attach_form = forms.get("attach_form") or AttachForm(formdata=None, prefix="attach")
    candidates = certs.certificates_for_supplier_or_maker(lot)
    attach_form.certificate_id.choices = [
        (c.id, f"{c.kind.label} · {c.number} · {c.holder}") for c in candidates
    ]
    confirm_form = forms.get("confirm_form") or ConfirmForm(formdata=None, prefix="confirm")
    if "confirm_form" not in forms:
        to_choice = {True: "yes", False: "no", None: ""}
        confirm_form.goods_match_order.data = to_choice[lot.goods_match_order]
        confirm_form.packaging_intact.data = to_choice[lot.packaging_intact]
        confirm_form.registry_checked.data = to_choice[lot.registry_checked]
        confirm_form.label_checked.data = to_choice[lot.label_checked]
    return (
        render_template(
            "procurement/batch.html",
            lot=lot,
            line=lot.purchase_line,
            checklist=checklist,
            balances=balances,
            entries=ledger_queries.lot_entries(lot.id),
            today=local_today(),
            attach_form=attach_form,
            candidates=candidates,
            confirm_form=confirm_form,
            release_form=forms.get("release_form") or ReleaseForm(formdata=None, prefix="release"),
            reject_form=forms.get("reject_form") or RejectForm(formdata=None, prefix="reject"),
            in_quarantine=balances[Bucket.QUARANTINE] > 0,
            own_receipt=lot.created_by_id is not None and lot.created_by_id == current_user.id,
            can_inspect=current_user.has_role(Role.INSPECTOR),
            can_procure=current_user.has_role(Role.PROCUREMENT),
        ),
        status,
    )


@bp.route("/batches/<int:lot_id>")
@city_staff
def batch(lot_id: int):
    return _render_batch(db.get_or_404(Lot, lot_id))


def _certificate_form(lot: Lot | None, supplier: Supplier | None, done_url: str):
    """Record a certificate with its scan, for a batch (attached to it) or a supplier."""
    form = CertificateForm()
    if request.method == "GET":
        form.holder.data = lot.product.maker if lot is not None else supplier.name
    if form.validate_on_submit():
        if supplier is None and lot is not None and lot.purchase_line is not None:
            supplier_id = lot.purchase_line.purchase.supplier_id
        else:
            supplier_id = supplier.id if supplier is not None else None

        def record():
            scan = None
            upload = form.scan.data
            if upload is not None and getattr(upload, "filename", ""):
                scan = certs.check_scan(upload.read(), upload.filename)
            return certs.create_certificate(
                form.kind.data,
                form.number.data,
                issuer=form.issuer.data,
                holder=form.holder.data,
                valid_from=form.valid_from.data,
                valid_until=form.valid_until.data,
                notified_body=form.notified_body.data,
                measured=form.measured(),
                product_name=form.product_name.data,
                models=form.models.data,
                foreign_class=form.foreign_class.data or None,
                lab_accreditation=form.lab_accreditation.data,
                covers=form.covers.data,
                scope=form.scope.data,
                supplier_id=supplier_id,
                scan=scan,
                lots=[lot] if lot is not None else [],
                actor=current_user,
            )

        done = run_service(record, form)
        if done:
            certificate = done.value
            flash(
                _(
                    "%(kind)s %(number)s attached.",
                    kind=certificate.kind.label,
                    number=certificate.number,
                ),
                "success",
            )
            if request.form.get("another"):
                return redirect(request.path)
            return redirect(done_url)
    return render_template(
        "procurement/certificate_form.html", form=form, lot=lot, supplier=supplier
    )


@bp.route("/batches/<int:lot_id>/certificates/new", methods=["GET", "POST"])
@roles_required(Role.PROCUREMENT)
def add_certificate(lot_id: int):
    lot = db.get_or_404(Lot, lot_id)
    return _certificate_form(lot, None, url_for("procurement.batch", lot_id=lot.id) + "#checklist")


@bp.route("/suppliers/<int:supplier_id>/documents/new", methods=["GET", "POST"])
@roles_required(Role.PROCUREMENT)
def add_supplier_document(supplier_id: int):
    """A supplier's own papers (business licence, production licence ...), attachable later to
    any of its batches."""
    supplier = db.get_or_404(Supplier, supplier_id)
    return _certificate_form(
        None, supplier, url_for("procurement.supplier", supplier_id=supplier.id) + "#docs-h"
    )


@bp.route("/batches/<int:lot_id>/certificates/attach", methods=["POST"])
@roles_required(Role.PROCUREMENT)
def attach_certificate(lot_id: int):
    lot = db.get_or_404(Lot, lot_id)
    form = AttachForm(prefix="attach")
    form.certificate_id.choices = []
    if form.validate_on_submit():
        certificate = db.session.get(Certificate, form.certificate_id.data or 0)
        if certificate is None:
            form.certificate_id.errors = [_("Choose a certificate.")]
        elif run_service(lambda: certs.attach_certificate(certificate, lot), form):
            flash(_("Certificate attached."), "success")
            return redirect(url_for("procurement.batch", lot_id=lot.id) + "#checklist")
    return _render_batch(lot, status=400 if request.method == "POST" else 200, attach_form=form)


@bp.route("/certificates/<int:certificate_id>/scan")
@city_staff
def scan(certificate_id: int):
    certificate = db.get_or_404(Certificate, certificate_id)
    if certificate.scan is None:
        abort(404)
    path = certs.scan_path(certificate.scan)
    if not path.is_file():
        abort(404)
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
    name = f"{certificate.kind.value}-{certificate.id}.{extension[certificate.scan.content_type]}"
    response = send_file(
        path, mimetype=certificate.scan.content_type, download_name=name, max_age=0
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _decision(lot_id: int, form_cls, prefix: str, key: str, action, success):
    lot = db.get_or_404(Lot, lot_id)
    form = form_cls(prefix=prefix)
    if form.validate_on_submit():
        if run_service(lambda: action(lot, form), form):
            flash(success(lot), "success")
            return redirect(url_for("procurement.batch", lot_id=lot.id))
        db.session.refresh(lot)
    return _render_batch(lot, status=200, **{key: form})


@bp.route("/batches/<int:lot_id>/confirm", methods=["POST"])
@roles_required(Role.INSPECTOR)
def confirm(lot_id: int):
    return _decision(
        lot_id,
        ConfirmForm,
        "confirm",
        "confirm_form",
        lambda lot, form: inspection.record_confirmations(
            lot,
            confirm_value(form.goods_match_order.data),
            confirm_value(form.packaging_intact.data),
            current_user,
            registry_checked=confirm_value(form.registry_checked.data),
            label_checked=confirm_value(form.label_checked.data),
        ),
        lambda lot: _("Confirmations recorded for batch %(lot)s.", lot=lot.lot_number),
    )


@bp.route("/batches/<int:lot_id>/release", methods=["POST"])
@roles_required(Role.INSPECTOR)
def release(lot_id: int):
    return _decision(
        lot_id,
        ReleaseForm,
        "release",
        "release_form",
        lambda lot, form: inspection.release_batch(lot, current_user, form.override_reason.data),
        lambda lot: _(
            "Batch %(lot)s released: it is available for allocation.", lot=lot.lot_number
        ),
    )


@bp.route("/batches/<int:lot_id>/reject", methods=["POST"])
@roles_required(Role.INSPECTOR)
def reject(lot_id: int):
    return _decision(
        lot_id,
        RejectForm,
        "reject",
        "reject_form",
        lambda lot, form: inspection.reject_batch(lot, current_user, form.reason.data),
        lambda lot: _("Batch %(lot)s rejected: it can never be allocated.", lot=lot.lot_number),
    )


# Import ------------------------------------------------------------------------------------


@bp.route("/import", methods=["GET", "POST"])
@roles_required(Role.PROCUREMENT)
def import_batches():
    form = ImportForm()
    problems: list[importer.Problem] = []
    if form.validate_on_submit():
        upload = form.file.data
        if upload is None or not getattr(upload, "filename", ""):
            form.file.errors = [_("Choose a file.")]
        else:
            done = run_service(
                lambda: importer.import_file(upload.read(), upload.filename, current_user), form
            )
            if not done:
                problems = getattr(done.error, "problems", [])
            else:
                result = done.value
                flash(
                    _(
                        "Imported %(purchases)d purchases and %(batches)d batches into quarantine.",
                        purchases=result.purchases,
                        batches=result.batches,
                    ),
                    "success",
                )
                return redirect(url_for("procurement.batches", status="quarantine"))
    return render_template(
        "procurement/import.html", form=form, problems=problems, columns=importer.COLUMNS
    )


@bp.route("/import/template.xlsx")
@roles_required(Role.PROCUREMENT)
def import_template():
    return send_file(
        importer.template_xlsx(),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name="baogong-import-template.xlsx",
    )


# Agreed prices (administrator) ---------------------------------------------------------------


@bp.route("/admin/prices", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def prices():
    form = AgreedPriceForm()
    grades = _grades()
    form.grade_id.choices = [(g.id, g.name) for g in grades]
    if request.method == "GET":
        form.valid_from.data = local_today()
    if form.validate_on_submit():
        grade = db.session.get(Grade, form.grade_id.data)
        done = run_service(
            lambda: services.set_agreed_price(
                grade, form.price.data, form.valid_from.data, form.note.data, current_user
            ),
            form,
        )
        if done:
            flash(
                _("Agreed price for %(grade)s set.", grade=done.value.grade.name),
                "success",
            )
            return redirect(url_for("procurement.prices"))
    today = local_today()
    history = db.session.scalars(
        sa.select(AgreedPrice).order_by(AgreedPrice.grade_id, AgreedPrice.valid_from.desc())
    ).all()
    current = {g.id: services.agreed_price_for(g.id, today) for g in grades}
    return render_template(
        "procurement/prices.html", form=form, grades=grades, current=current, history=history
    )


# The negative list -------------------------------------------------------------------------


@bp.route("/suppliers/negative-list", methods=["GET", "POST"])
@roles_required(Role.PROCUREMENT, Role.INSPECTOR, Role.ADMIN)
def negative_list():
    form = ListedCompanyForm()
    if request.method == "GET":
        form.listed_on.data = local_today()
    if form.validate_on_submit():
        if not current_user.has_role(Role.ADMIN):
            abort(403)
        done = run_service(
            lambda: services.add_listed_company(
                form.name.data,
                form.uscc.data,
                form.source.data,
                form.reason.data,
                form.listed_on.data,
                current_user,
            ),
            form,
        )
        if done:
            flash(_("%(name)s is on the negative list.", name=done.value.name), "success")
            return redirect(url_for("procurement.negative_list"))
    entries = db.session.scalars(
        sa.select(ListedCompany).order_by(
            ListedCompany.active.desc(), ListedCompany.listed_on.desc(), ListedCompany.id.desc()
        )
    ).all()
    return render_template(
        "procurement/negative_list.html",
        form=form,
        entries=entries,
        unlist_form=UnlistForm(formdata=None),
    )


@bp.route("/suppliers/negative-list/<int:entry_id>/remove", methods=["POST"])
@roles_required(Role.ADMIN)
def unlist(entry_id: int):
    entry = db.get_or_404(ListedCompany, entry_id)
    form = UnlistForm()
    if form.validate_on_submit():
        done = run_service(
            lambda: services.remove_listed_company(entry, form.reason.data, current_user), form
        )
        if done:
            flash(_("%(name)s was taken off the negative list.", name=entry.name), "success")
            return redirect(url_for("procurement.negative_list"))
    for errors in form.errors.values():
        for error in errors:
            flash(error, "error")
    return redirect(url_for("procurement.negative_list"))


# What is waiting on the home page ----------------------------------------------------------


def procurement_waiting() -> list[Waiting]:
    missing = queries.count_batches_without_certificates()
    return [
        Waiting(
            _l("Purchases awaiting delivery"),
            queries.count_open_purchases(),
            url_for("procurement.purchases", status="open"),
        ),
        Waiting(
            _l("Batches in quarantine missing certificates"),
            missing,
            url_for("procurement.batches", status="no_certificates"),
            urgent=missing > 0,
        ),
    ]


def inspector_waiting() -> list[Waiting]:
    waiting = queries.count_in_quarantine()
    return [
        Waiting(
            _l("Batches in quarantine awaiting inspection"),
            waiting,
            url_for("procurement.batches", status="quarantine"),
            urgent=waiting > 0,
        )
    ]


WAITING = {Role.PROCUREMENT: [procurement_waiting], Role.INSPECTOR: [inspector_waiting]}
