"""Citizens' rationing pages: outlets and booking rounds for the allocator; the booking page,
the result look-up and the published draw for citizens (no sign-in, phone-sized first)."""

from datetime import UTC, date, datetime, timedelta

import segno
import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import current_user
from markupsafe import Markup

from accounts.guards import public, roles_required
from accounts.models import Role
from allocation.models import Plan, PlanStatus
from catalog.models import Grade
from core import spreadsheets
from core.clock import local_today, zone
from core.nav import NavItem
from core.request_args import EARLIEST, LATEST
from core.transaction import run_service
from core.waiting import Waiting
from extensions import db, limiter
from recipients.models import RETAIL, Recipient

from . import idcard, pickups, reports, services
from .forms import (
    BookingForm,
    BookingRoundForm,
    CloseRoundForm,
    ConfirmPickupForm,
    DrawForm,
    LookupForm,
    OutletForm,
    PickupCodeForm,
    ReportForm,
    SlotForm,
    StaffForm,
)
from .models import Booking, BookingRound, Outlet

bp = Blueprint("rationing", __name__)

# Pages that show what a citizen typed or their pickup code: never kept by a (shared) browser.
PERSONAL_PAGES = {
    "rationing.book",
    "rationing.booked",
    "rationing.result",
    "rationing.pickup",
    "rationing.confirm_pickup",
}


@bp.after_request
def not_kept(response):
    if request.endpoint in PERSONAL_PAGES:
        response.headers["Cache-Control"] = "no-store"
    return response


NAV = [
    NavItem("rationing.booking_rounds", _l("Citizen bookings")),
    NavItem("rationing.pickup", _l("Pickups")),
    NavItem("rationing.report", _l("Booking report"), "admin"),
    NavItem("rationing.outlets", _l("Outlets"), "admin"),
]
STAFF = (Role.ALLOCATOR,)
# Who reads the booking report: the allocator, and auditors (who read everything).
READERS = (Role.ALLOCATOR, Role.AUDITOR)
OUTLET_STAFF = (Role.OUTLET,)


def _utc(local: datetime) -> datetime:
    """A time typed in the city's local time, as stored (UTC)."""
    return local.replace(tzinfo=zone()).astimezone(UTC)


# Outlets (the allocator) ---------------------------------------------------------------------


def _retail_choices():
    units = db.session.scalars(
        sa.select(Recipient)
        .where(Recipient.tier == RETAIL, Recipient.active.is_(True))
        .order_by(Recipient.name)
    )
    return [(u.id, u.name) for u in units]


@bp.route("/outlets", methods=["GET", "POST"])
@roles_required(*STAFF)
def outlets():
    form = OutletForm()
    form.recipient_id.choices = _retail_choices()
    if form.validate_on_submit():
        done = run_service(
            lambda: services.create_outlet(
                form.recipient_id.data, form.name.data, form.address.data, form.district.data
            ),
            form,
        )
        if done:
            flash(_("Outlet %(name)s added: give it its opening slots.", name=done.value.name))
            return redirect(url_for("rationing.outlet", outlet_id=done.value.id))
    return render_template("rationing/outlets.html", outlets=services.outlets(), form=form)


@bp.route("/outlets/<int:outlet_id>", methods=["GET", "POST"])
@roles_required(*STAFF)
def outlet(outlet_id: int):
    found = db.get_or_404(Outlet, outlet_id)
    form = SlotForm()
    if form.validate_on_submit():
        done = run_service(
            lambda: services.add_slot(found, form.starts.data, form.ends.data, form.capacity.data),
            form,
        )
        if done:
            flash(_("Slot %(slot)s added.", slot=done.value.label), "success")
            return redirect(url_for("rationing.outlet", outlet_id=found.id))
    staff_form = StaffForm(formdata=None, staff=[user.id for user in found.staff])
    staff_form.staff.choices = _staff_choices()
    return render_template("rationing/outlet.html", outlet=found, form=form, staff_form=staff_form)


def _staff_choices() -> list[tuple[int, str]]:
    return [(u.id, f"{u.display_name} ({u.username})") for u in pickups.staff_choices()]


@bp.route("/outlets/<int:outlet_id>/staff", methods=["POST"])
@roles_required(*STAFF)
def outlet_staff(outlet_id: int):
    found = db.get_or_404(Outlet, outlet_id)
    form = StaffForm()
    form.staff.choices = _staff_choices()
    if form.validate_on_submit():
        done = run_service(lambda: pickups.set_staff(found, form.staff.data or []), form)
        if done:
            flash(_("Staff of %(outlet)s saved.", outlet=found.name), "success")
            return redirect(url_for("rationing.outlet", outlet_id=found.id))
    return render_template(
        "rationing/outlet.html", outlet=found, form=SlotForm(formdata=None), staff_form=form
    )


# Booking rounds (the allocator) --------------------------------------------------------------


@bp.route("/booking-rounds")
@roles_required(*STAFF)
def booking_rounds():
    rounds = db.session.scalars(sa.select(BookingRound).order_by(BookingRound.id.desc()))
    return render_template("rationing/rounds.html", rounds=list(rounds))


def _round_form() -> BookingRoundForm:
    form = BookingRoundForm()
    plans = db.session.scalars(
        sa.select(Plan).where(Plan.status == PlanStatus.ISSUED).order_by(Plan.id.desc())
    )
    form.plan_id.choices = [(p.id, f"{p.number} · {p.round.name}") for p in plans]
    grades = db.session.scalars(sa.select(Grade).where(Grade.active.is_(True)).order_by(Grade.id))
    form.grade_id.choices = [(g.id, g.name) for g in grades]
    return form


@bp.route("/booking-rounds/new", methods=["GET", "POST"])
@roles_required(*STAFF)
def new_booking_round():
    form = _round_form()
    if form.validate_on_submit():
        plan = db.session.get(Plan, form.plan_id.data)
        done = run_service(
            lambda: services.open_round(
                plan,
                form.grade_id.data,
                form.name.data,
                form.pieces_per_person.data,
                form.price_per_piece.data,
                _utc(form.opens_at.data),
                _utc(form.closes_at.data),
                form.pickup_on.data,
                form.quota_days.data,
                current_user,
            ),
            form,
        )
        if done:
            flash(_("Round %(name)s opened.", name=done.value.name), "success")
            return redirect(url_for("rationing.booking_round", booking_round_id=done.value.id))
    return render_template("rationing/new_round.html", form=form)


@bp.route("/booking-rounds/<int:booking_round_id>")
@roles_required(*STAFF)
def booking_round(booking_round_id: int):
    found = db.get_or_404(BookingRound, booking_round_id)
    return render_template(
        "rationing/round.html",
        round=found,
        counts=reports.reconciliation(found),
        draw_form=DrawForm(formdata=None),
        close_form=CloseRoundForm(formdata=None),
        today=local_today(),
        now=datetime.now(UTC),
    )


@bp.route("/booking-rounds/<int:booking_round_id>/draw", methods=["POST"])
@roles_required(*STAFF)
def draw(booking_round_id: int):
    found = db.get_or_404(BookingRound, booking_round_id)
    if DrawForm().validate_on_submit():
        done = run_service(lambda: services.draw(found, current_user))
        if done:
            flash(
                _(
                    "Drawn: %(won)s of %(entries)s bookings may buy (%(moved)s moved to another "
                    "time or outlet).",
                    **done.value,
                ),
                "success",
            )
    return redirect(url_for("rationing.booking_round", booking_round_id=booking_round_id))


@bp.route("/booking-rounds/<int:booking_round_id>/close", methods=["POST"])
@roles_required(*STAFF)
def close(booking_round_id: int):
    found = db.get_or_404(BookingRound, booking_round_id)
    if CloseRoundForm().validate_on_submit():
        done = run_service(lambda: pickups.close_round(found, current_user))
        if done:
            flash(
                _(
                    "Round closed: %(no_shows)s drawn citizens did not come; %(returned)s pieces "
                    "not sold went back to stock.",
                    **done.value,
                ),
                "success",
            )
    return redirect(url_for("rationing.booking_round", booking_round_id=booking_round_id))


def _report_args() -> tuple[ReportForm, date, date, str, Outlet | None]:
    """The report's form, and the period, district and outlet it asks for (any date typed is
    answered: an impossible period is said so and the last two weeks shown)."""
    today = local_today()
    form = ReportForm(request.args)
    districts = reports.districts()
    form.district.choices = [("", _("All districts"))] + [(d, d) for d in districts]
    form.validate()

    def clamped(day):  # a date typed as 0001-01-01 or 9999-12-31 is not a period to count
        return min(max(day, EARLIEST), LATEST) if day else None

    end = clamped(form.end.data) or today
    start = clamped(form.start.data) or end - timedelta(days=13)
    error = None
    if start > end:
        error = _("The period starts after it ends.")
    elif (end - start).days >= reports.MAX_DAYS:
        error = _("Choose a period of at most %(n)s days.", n=reports.MAX_DAYS)
    if error:
        form.start.errors = [*form.start.errors, error]
        start, end = end - timedelta(days=13), end
    district = form.district.data if form.district.data in districts else ""
    outlets = [o for o in services.outlets() if not district or o.district == district]
    form.outlet.choices = [("", _("All outlets"))] + [(str(o.id), o.name) for o in outlets]
    outlet = next((o for o in outlets if str(o.id) == form.outlet.data), None)
    form.start.data, form.end.data, form.district.data = start, end, district
    form.outlet.data = str(outlet.id) if outlet else ""
    return form, start, end, district, outlet


@bp.route("/booking-report")
@roles_required(*READERS)
def report():
    form, start, end, district, outlet = _report_args()
    args = {"start": start.isoformat(), "end": end.isoformat(), "district": district}
    if outlet:
        args["outlet"] = outlet.id
    return render_template(
        "rationing/report.html",
        form=form,
        outlet=outlet,
        export_args=args,
        activity=reports.activity(start, end, district, outlet.id if outlet else None),
    )


@bp.route("/booking-report.<any(csv, xlsx):fmt>")
@roles_required(*READERS)
def report_export(fmt: str):
    """The report's two tables as one spreadsheet (by day, then by outlet)."""
    _form, start, end, district, outlet = _report_args()
    found = reports.activity(start, end, district, outlet.id if outlet else None)
    header = [
        _("Day"), _("Outlet"), _("Retail unit"), _("District"), _("Bookings made"), _("Drawn"),
        _("Picked up"), _("Did not come"), _("Pieces allocated"), _("Pieces sold"), _("Not sold"),
    ]  # fmt: skip
    rows = [
        [d.day.isoformat(), "", "", "", d.booked, "", d.picked_up, d.no_show, "", "", ""]
        for d in found.days
    ]
    rows += [
        [
            "",
            c.outlet.name,
            c.outlet.recipient.name,
            c.outlet.district,
            c.booked,
            c.drawn,
            c.picked_up,
            c.no_show,
            c.pieces,
            c.sold,
            c.left,
        ]  # fmt: skip
        for c in found.outlets
    ]
    name = f"booking-report-{start:%Y%m%d}-{end:%Y%m%d}.{fmt}"
    if fmt == "xlsx":
        data = spreadsheets.to_xlsx(header, rows, _("Booking report"))
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        data = spreadsheets.to_csv(header, rows)
        mimetype = "text/csv; charset=utf-8"
    return Response(
        data, mimetype=mimetype, headers={"Content-Disposition": f"attachment; filename={name}"}
    )


# At the outlet (outlet staff) ----------------------------------------------------------------


def outlet_waiting() -> list[Waiting]:
    return [
        Waiting(
            _l("Drawn citizens still to come today"),
            pickups.waiting_today(current_user, local_today()),
            url_for("rationing.pickup"),
        )
    ]


WAITING = {Role.OUTLET: [outlet_waiting]}


def _clerk_key() -> str:
    """The member of staff, for the limit on looking up and confirming codes."""
    return f"clerk:{current_user.id}"


def _per_clerk() -> str:
    return current_app.config["PICKUP_LIMIT_PER_CLERK"]


@bp.route("/pickup", methods=["GET", "POST"])
@roles_required(*OUTLET_STAFF)
@limiter.limit(_per_clerk, methods=["POST"], key_func=_clerk_key)
def pickup():
    form = PickupCodeForm()
    found = None
    if form.validate_on_submit():
        done = run_service(lambda: pickups.find_code(form.code.data, current_user), form)
        found = done.value if done else None
    elif request.method == "GET":
        form.code.data = ""
    return render_template(
        "rationing/pickup.html",
        form=form,
        found=found,
        confirm_form=ConfirmPickupForm(formdata=None),
        outlets=pickups.outlets_of(current_user),
        today=local_today(),
    )


@bp.route("/pickup/<int:booking_id>", methods=["POST"])
@roles_required(*OUTLET_STAFF)
@limiter.limit(_per_clerk, key_func=_clerk_key)
def confirm_pickup(booking_id: int):
    booking = db.get_or_404(Booking, booking_id)
    outlets = pickups.outlets_of(current_user)
    form = ConfirmPickupForm()
    page = {"confirm_form": form, "outlets": outlets, "today": local_today()}
    if not pickups.code_matches(booking, form.code.data or ""):
        # A booking is shown and confirmed only with its code (never by its number alone), and
        # without it nothing is said of the booking, not even its outlet.
        code_form = PickupCodeForm(formdata=None, code=form.code.data)
        code_form.code.errors = [_("This is not the booking's pickup code.")]
        return render_template("rationing/pickup.html", form=code_form, found=None, **page)
    if booking.won_outlet_id not in {o.id for o in outlets}:
        # The citizen's code, at the wrong shop: say where it belongs, nothing of the citizen.
        found = pickups.Found([], [booking.won_outlet])
        return render_template("rationing/pickup.html", form=PickupCodeForm(), found=found, **page)
    if form.validate_on_submit():
        key = current_app.config["ID_HASH_KEY"]
        checked = False  # the optional check of the card shown at the counter
        if form.id_number.data:
            done = run_service(lambda: pickups.check_id(booking, form.id_number.data, key), form)
            checked = bool(done and done.value)
            if done and not checked:
                form.id_number.errors.append(
                    _("This card is not the one the booking was made with: do not hand over.")
                )
        if checked or not form.id_number.data:
            done = run_service(
                lambda: pickups.confirm_pickup(
                    booking, current_user, form.code.data, id_checked=checked
                ),
                form,
            )
            if done:
                flash(
                    _(
                        "Picked up: %(name)s, %(n)s pieces, CNY %(total)s.",
                        name=booking.name,
                        n=booking.round.pieces_per_person,
                        total=f"{booking.round.price_per_person:.2f}",
                    ),
                    "success",
                )
                return redirect(url_for("rationing.pickup"))
    code_form = PickupCodeForm(formdata=None, code=booking.pickup_code)
    found = pickups.Found([booking], [])
    return render_template("rationing/pickup.html", form=code_form, found=found, **page)


# Both pickup pages may use the camera to scan codes (every other page may not: app.py).
pickup.talisman_view_options = confirm_pickup.talisman_view_options = {
    "permissions_policy": {"camera": "(self)", "microphone": "()", "geolocation": "()"}
}


# Citizens (no sign-in) -----------------------------------------------------------------------


def _id_key() -> str:
    """The person booking, for the per-person limit: the round, the keyed hash of the number
    typed and the phone typed (knowing someone's number is not enough to lock them out);
    by address when no number was typed."""
    number = idcard.normalise(request.form.get("id_number", ""))
    if not number:
        return "address:" + get_remote_address()
    person = services.id_hash(number, current_app.config["ID_HASH_KEY"])
    phone = services.normalise_phone(request.form.get("phone", ""))[:20]
    return f"person:{request.view_args.get('booking_round_id')}:{person}:{phone}"


def _per_address() -> str:
    return current_app.config["BOOKING_LIMIT_PER_ADDRESS"]


def _per_person() -> str:
    return current_app.config["BOOKING_LIMIT_PER_PERSON"]


def _public_round(booking_round_id: int) -> BookingRound:
    found = db.get_or_404(BookingRound, booking_round_id)
    if found.pickup_on < local_today() and not found.is_drawn:
        abort(404)
    return found


# Up to this many outlet-and-time choices, the booking form lists them all; beyond it, the
# citizen first picks a district (a list of 600 times is no use on a phone).
PLACES_ON_ONE_PAGE = 45


def _places(found: BookingRound) -> tuple[list, list[str], str]:
    """(the choices shown, the round's districts, the district chosen: "" for all)."""
    places = services.round_places(found)
    districts = sorted({p.district for p in places})
    district = request.values.get("district", "")
    if district not in districts:
        district = ""
    if district:
        places = [p for p in places if p.district == district]
    elif len(places) > PLACES_ON_ONE_PAGE:
        places = []  # choose a district first
    return places, districts, district


def _place_choices(places: list) -> dict:
    """The choices ("outlet time"), grouped by district."""
    groups: dict[str, list] = {}
    for place in places:
        groups.setdefault(place.district or _("Other"), []).append(
            (f"{place.outlet_id}-{place.slot_id}", f"{place.outlet} {place.slot}")
        )
    return groups


@bp.route("/book")
@public
def book_index():
    today = local_today()
    return render_template(
        "rationing/book_index.html",
        rounds=services.public_rounds(today),
        now=datetime.now(UTC),
    )


@bp.route("/book/<int:booking_round_id>", methods=["GET", "POST"])
@public
@limiter.limit(_per_address, methods=["POST"])
@limiter.limit(_per_person, methods=["POST"], key_func=_id_key)
def book(booking_round_id: int):
    found = _public_round(booking_round_id)
    places, districts, district = _places(found)
    form = BookingForm()
    form.place.choices = _place_choices(places)
    if places and form.validate_on_submit():
        outlet_id, slot_id = (int(x) for x in form.place.data.split("-"))
        done = run_service(
            lambda: services.book(
                found,
                outlet_id,
                slot_id,
                form.name.data,
                form.id_number.data,
                form.phone.data,
                form.flexible.data,
                current_app.config["ID_HASH_KEY"],
            ),
            form,
            fields={"outlet_id": "place", "slot_id": "place"},
        )
        if done:
            reference = done.value.reference
            return redirect(
                url_for("rationing.booked", booking_round_id=found.id, reference=reference)
            )
    return render_template(
        "rationing/book.html",
        round=found,
        form=form,
        now=datetime.now(UTC),
        places=places,
        districts=districts,
        district=district,
    )


@bp.route("/book/<int:booking_round_id>/booked/<reference>")
@public
def booked(booking_round_id: int, reference: str):
    booking = db.session.scalar(
        sa.select(Booking).where(
            Booking.round_id == booking_round_id, Booking.reference == reference
        )
    )
    if booking is None:
        abort(404)
    return render_template("rationing/booked.html", booking=booking, round=booking.round)


def _qr(code: str) -> Markup:
    """The pickup code as an inline SVG QR code (no image file, no outside service)."""
    svg = segno.make(code, error="m", micro=False).svg_inline(scale=6, border=2)
    return Markup(svg)  # noqa: S704 - segno's own SVG of digits


@bp.route("/book/<int:booking_round_id>/result", methods=["GET", "POST"])
@public
@limiter.limit(_per_address, methods=["POST"])
@limiter.limit(_per_person, methods=["POST"], key_func=_id_key)
def result(booking_round_id: int):
    found = _public_round(booking_round_id)
    form = LookupForm()
    booking = None
    looked = False
    if form.validate_on_submit():
        done = run_service(
            lambda: services.find_booking(
                found, form.id_number.data, form.phone.data, current_app.config["ID_HASH_KEY"]
            ),
            form,
        )
        looked = bool(done)
        booking = done.value if done else None
    return render_template(
        "rationing/result.html",
        round=found,
        form=form,
        booking=booking,
        looked=looked,
        qr=_qr(booking.pickup_code) if booking is not None and booking.pickup_code else None,
    )


@bp.route("/book/<int:booking_round_id>/draw.csv")
@public
def draw_entries(booking_round_id: int):
    """After the draw: every booking's reference, choice and result, and its ticket, so that
    anyone can redo the draw from the published seed (no names, numbers or phones)."""
    found = _public_round(booking_round_id)
    if not found.is_drawn:
        abort(404)
    return Response(
        services.draw_entries_csv(found),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=draw-{found.id}.csv"},
    )


@bp.route("/book/<int:booking_round_id>/draw")
@public
def published_draw(booking_round_id: int):
    found = _public_round(booking_round_id)
    return render_template(
        "rationing/draw.html", round=found, counts=reports.reconciliation(found).lines
    )
