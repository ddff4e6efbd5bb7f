"""Citizens' rationing operations: outlets and their slots, booking rounds, bookings, the draw.

Services take plain values, flush and never commit (the view commits once)."""

import csv
import io
import re
import secrets
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from accounts.models import User, actor_id
from allocation.models import Plan, PlanLine, PlanRun, PlanStatus
from catalog.models import Grade, Lot, Product
from core.clock import local_date
from core.db import now_utc, transaction_lock
from core.errors import ServiceError
from core.text import clean
from extensions import db
from recipients.models import RETAIL, Recipient

from . import idcard, lottery
from .models import (
    Booking,
    BookingRound,
    BookingRoundStatus,
    BookingStatus,
    Outlet,
    OutletSlot,
    RoundOutlet,
)

# A mainland mobile number: 11 digits starting 13-19.
PHONE = re.compile(r"1[3-9][0-9]{9}")
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read out on the phone
REFERENCE_LENGTH = 10
ID_MESSAGES = {
    "length": _l("An identity card number has 18 characters."),
    "characters": _l("An identity card number is 17 digits and a last digit or X."),
    "province": _l("This is not an identity card number: its first two digits name no province."),
    "birth_date": _l("This is not an identity card number: its birth date is not a real date."),
    "check_character": _l(
        "This identity card number is not valid: please check it digit by digit."
    ),
}


# Outlets ------------------------------------------------------------------------------------


def create_outlet(recipient_id: int, name: str, address: str, district: str) -> Outlet:
    unit = db.session.get(Recipient, recipient_id)
    if unit is None or not unit.active:
        raise ServiceError(_l("Choose an active retail unit."), "recipient_id")
    if unit.tier != RETAIL:
        raise ServiceError(
            _l("Only retail units (tier 3) sell to citizens; %(name)s is not one.", name=unit.name),
            "recipient_id",
        )
    name = clean(name)
    if not name:
        raise ServiceError(_l("Give the outlet a name."), "name")
    same = sa.select(Outlet.id).where(Outlet.recipient_id == unit.id, Outlet.name == name)
    if db.session.scalar(same) is not None:
        raise ServiceError(
            _l("%(unit)s already has an outlet of that name.", unit=unit.name), "name"
        )
    outlet = Outlet(
        recipient_id=unit.id,
        name=name,
        address=clean(address),
        district=clean(district) or unit.district,
    )
    db.session.add(outlet)
    db.session.flush()
    return outlet


def add_slot(outlet: Outlet, starts: time, ends: time, capacity: int) -> OutletSlot:
    if ends <= starts:
        raise ServiceError(_l("A slot ends after it starts."), "ends")
    if capacity < 1:
        raise ServiceError(_l("A slot serves at least one person."), "capacity")
    for slot in outlet.slots:
        if starts < slot.ends and slot.starts < ends:
            raise ServiceError(_l("It overlaps the slot %(slot)s.", slot=slot.label), "starts")
    slot = OutletSlot(outlet=outlet, starts=starts, ends=ends, capacity=capacity)
    db.session.add(slot)
    db.session.flush()
    return slot


def outlets() -> list[Outlet]:
    query = sa.select(Outlet).join(Recipient).order_by(Outlet.district, Recipient.name, Outlet.name)
    return list(db.session.scalars(query))


# Booking rounds -----------------------------------------------------------------------------


def retail_issued(plan: Plan, grade: Grade) -> dict[int, int]:
    """Pieces of `grade` the plan issued to each retail unit (recipient id -> pieces)."""
    run_id = sa.select(sa.func.max(PlanRun.id)).where(PlanRun.plan_id == plan.id).scalar_subquery()
    rows = db.session.execute(
        sa.select(PlanLine.recipient_id, sa.func.sum(PlanLine.quantity))
        .join(Recipient, PlanLine.recipient_id == Recipient.id)
        .join(Lot, PlanLine.lot_id == Lot.id)
        .join(Product, Lot.product_id == Product.id)
        .where(
            PlanLine.run_id == run_id,
            Recipient.tier == RETAIL,
            Product.grade_id == grade.id,
        )
        .group_by(PlanLine.recipient_id)
    )
    return {recipient_id: int(pieces) for recipient_id, pieces in rows}


def split(pieces: int, weights: dict[int, int]) -> dict[int, int]:
    """`pieces` shared out in proportion to `weights` (largest remainder, ties by key)."""
    total = sum(weights.values())
    if not total:
        return {key: 0 for key in weights}
    shares = {key: pieces * w // total for key, w in weights.items()}
    left = pieces - sum(shares.values())
    by_remainder = sorted(weights, key=lambda k: (-(pieces * weights[k] % total), k))
    for key in by_remainder[:left]:
        shares[key] += 1
    return shares


@dataclass
class RoundPlan:
    """What a round would sell where, before it is opened: per outlet its pieces and places."""

    outlets: list[tuple[Outlet, int, int]]  # (outlet, pieces, places)


def round_plan(plan: Plan, grade: Grade, pieces_per_person: int) -> RoundPlan:
    issued = retail_issued(plan, grade)
    found = RoundPlan([])
    by_unit: dict[int, list[Outlet]] = defaultdict(list)
    for outlet in db.session.scalars(
        sa.select(Outlet)
        .where(Outlet.recipient_id.in_(list(issued)), Outlet.active.is_(True))
        .order_by(Outlet.id)
    ):
        if outlet.capacity:
            by_unit[outlet.recipient_id].append(outlet)
    for recipient_id, pieces in sorted(issued.items()):
        shops = by_unit.get(recipient_id)
        if not shops:  # a unit without an outlet sells nothing in the round
            continue
        # People, not pieces, are shared out (12 pieces at 5 a person serve 2, in whichever
        # outlets); the pieces of less than a person stay with the unit.
        shares = split(pieces // pieces_per_person, {o.id: o.capacity for o in shops})
        for outlet in shops:
            places = min(shares[outlet.id], outlet.capacity)
            found.outlets.append((outlet, places * pieces_per_person, places))
    return found


def open_round(
    plan: Plan,
    grade_id: int,
    name: str,
    pieces_per_person: int,
    price_per_piece: Decimal,
    opens_at: datetime,
    closes_at: datetime,
    pickup_on: date,
    quota_days: int,
    actor: User | int | None,
) -> BookingRound:
    """A booking round on the plan's retail allocation of a grade (the plan must be issued)."""
    if plan.status is not PlanStatus.ISSUED:
        raise ServiceError(_l("Only an issued plan's stock can be booked."), "plan_id")
    grade = db.session.get(Grade, grade_id)
    if grade is None:
        raise ServiceError(_l("Choose a grade."), "grade_id")
    if closes_at <= opens_at:
        raise ServiceError(_l("Bookings close after they open."), "closes_at")
    if pickup_on <= local_date(closes_at):
        raise ServiceError(
            _l("The pickup day is a day after bookings close, at the earliest."), "pickup_on"
        )
    if pieces_per_person < 1:
        raise ServiceError(_l("At least one piece per person."), "pieces_per_person")
    booked = sa.select(BookingRound.name).where(
        BookingRound.plan_id == plan.id, BookingRound.grade_id == grade.id
    )
    earlier = db.session.scalar(booked)
    if earlier is not None:
        raise ServiceError(
            _l(
                "%(grade)s of this plan is booked in %(round)s already.",
                grade=grade.name,
                round=earlier,
            ),
            "grade_id",
        )
    shares = round_plan(plan, grade, pieces_per_person)
    if not any(places for _, _, places in shares.outlets):
        raise ServiceError(
            _l(
                "The plan issued no %(grade)s to a retail unit with an outlet and opening slots.",
                grade=grade.name,
            ),
            "grade_id",
        )
    seed = secrets.token_hex(32)
    found = BookingRound(
        name=clean(name),
        plan_id=plan.id,
        grade_id=grade.id,
        pieces_per_person=pieces_per_person,
        price_per_piece=price_per_piece,
        opens_at=opens_at,
        closes_at=closes_at,
        pickup_on=pickup_on,
        quota_days=quota_days,
        seed=seed,
        seed_sha256=lottery.commitment(seed),
        created_by_id=actor_id(actor),
    )
    db.session.add(found)
    db.session.flush()
    for outlet, pieces, places in shares.outlets:
        db.session.add(
            RoundOutlet(round_id=found.id, outlet_id=outlet.id, pieces=pieces, places=places)
        )
    db.session.flush()
    return found


def public_rounds(today: date) -> list[BookingRound]:
    """Rounds a citizen may look at: those not yet past their pickup day, and drawn ones."""
    return list(
        db.session.scalars(
            sa.select(BookingRound)
            .where(BookingRound.pickup_on >= today)
            .order_by(BookingRound.pickup_on, BookingRound.id)
        )
    )


@dataclass(frozen=True)
class Place:
    """An outlet and time of a round that a citizen may choose."""

    district: str
    outlet_id: int
    outlet: str
    slot_id: int
    slot: str


def round_places(found: BookingRound) -> list[Place]:
    """The round's outlets (those with places) and their slots, by district, outlet, time: one
    query, whatever the number of outlets."""
    rows = db.session.execute(
        sa.select(Outlet.district, Outlet.id, Outlet.name, OutletSlot.id, OutletSlot.starts,
                  OutletSlot.ends)
        .join(RoundOutlet, RoundOutlet.outlet_id == Outlet.id)
        .join(OutletSlot, OutletSlot.outlet_id == Outlet.id)
        .where(RoundOutlet.round_id == found.id, RoundOutlet.places > 0)
        .order_by(Outlet.district, Outlet.name, Outlet.id, OutletSlot.starts)
    )  # fmt: skip
    return [
        Place(district, outlet_id, name, slot_id, f"{starts:%H:%M}–{ends:%H:%M}")
        for district, outlet_id, name, slot_id, starts, ends in rows
    ]


# Bookings -----------------------------------------------------------------------------------


def normalise_phone(phone: str) -> str:
    """The number as typed, full-width digits made ASCII, without spaces and dashes."""
    return re.sub(r"[\s-]", "", unicodedata.normalize("NFKC", phone or ""))


def id_hash(number: str, key: bytes | str) -> str:
    return idcard.keyed_hash(number, key.encode() if isinstance(key, str) else key)


def _reference() -> str:
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def book(
    found: BookingRound,
    outlet_id: int,
    slot_id: int,
    name: str,
    id_number: str,
    phone: str,
    flexible: bool,
    key: bytes | str,
    at: datetime | None = None,
) -> Booking:
    """Enter a person in a round's draw. One booking per person per round, and none in a round
    whose pickup day is within `quota_days` of another they booked (whatever the outlet)."""
    at = at or now_utc()
    # Read afresh under a shared lock: the draw (which locks the round for update) waits for
    # bookings under way, and a booking after it sees the round drawn.
    found = _round_locked(found, for_draw=False)
    if not found.is_open(at):
        raise ServiceError(_l("This round is not taking bookings now."))
    if found.plan.status is not PlanStatus.ISSUED:
        raise ServiceError(_l("This round's masks were recalled: bookings are closed."))
    share = db.session.get(RoundOutlet, (found.id, outlet_id))
    if share is None or not share.places:
        raise ServiceError(_l("Choose one of the round's outlets."), "outlet_id")
    slot = db.session.get(OutletSlot, slot_id)
    if slot is None or slot.outlet_id != outlet_id:
        raise ServiceError(_l("Choose a time at that outlet."), "slot_id")
    name = clean(name)
    if not name or len(name) > 50:
        raise ServiceError(_l("Give your name as on your identity card."), "name")
    try:
        number = idcard.validate(id_number, local_date(at))
    except idcard.InvalidIdNumber as error:
        raise ServiceError(ID_MESSAGES[error.code], "id_number") from None
    phone = normalise_phone(phone)
    if not PHONE.fullmatch(phone):
        raise ServiceError(_l("Give an 11-digit mobile number."), "phone")
    person = id_hash(number, key)
    # One person's bookings are checked and written one at a time (two tabs, two phones).
    transaction_lock(db.session, f"booking:{person}")
    if db.session.scalar(
        sa.select(Booking.id).where(Booking.round_id == found.id, Booking.id_hash == person)
    ):
        raise ServiceError(_l("This identity card number has already booked in this round."))
    # The quota: no other booking (not lost) whose pickup day is closer to this one than the
    # longer of the two rounds' periods.
    others = db.session.execute(
        sa.select(BookingRound.pickup_on, BookingRound.quota_days)
        .join(Booking, Booking.round_id == BookingRound.id)
        .where(
            Booking.id_hash == person,
            Booking.status != BookingStatus.LOST,
            BookingRound.id != found.id,
        )
    ).all()
    for pickup_on, quota_days in others:
        days = max(found.quota_days, quota_days)
        if abs((pickup_on - found.pickup_on).days) < days:
            raise ServiceError(
                _l(
                    "This identity card number has booked in another round within %(days)s "
                    "days of this one's pickup day: one booking every %(days)s days.",
                    days=days,
                )
            )
    booking = Booking(
        round_id=found.id,
        reference=_reference(),
        outlet_id=outlet_id,
        slot_id=slot_id,
        flexible=flexible,
        name=name,
        phone=phone,
        id_hash=person,
        created_at=at,
    )
    try:
        with db.session.begin_nested():
            db.session.add(booking)
    except sa.exc.IntegrityError:  # the same person at the same instant, should the lock fail
        raise ServiceError(
            _l("This identity card number has already booked in this round.")
        ) from None
    return booking


def find_booking(found: BookingRound, id_number: str, phone: str, key: bytes | str):
    """The person's booking in the round, when the number and phone match one (else None)."""
    try:
        number = idcard.validate(id_number, found.pickup_on)
    except idcard.InvalidIdNumber as error:
        raise ServiceError(ID_MESSAGES[error.code], "id_number") from None
    phone = normalise_phone(phone)
    return db.session.scalar(
        sa.select(Booking).where(
            Booking.round_id == found.id,
            Booking.id_hash == id_hash(number, key),
            Booking.phone == phone,
        )
    )


def _round_locked(found: BookingRound, for_draw: bool) -> BookingRound:
    """The round read again from the database (not the copy the session holds), locked until
    the transaction ends: for update by the draw, shared by a booking."""
    query = (
        sa.select(BookingRound)
        .where(BookingRound.id == found.id)
        .execution_options(populate_existing=True)
    )
    return db.session.scalar(
        query.with_for_update() if for_draw else query.with_for_update(read=True)
    )


# The draw -----------------------------------------------------------------------------------


def draw(found: BookingRound, actor: User | int | None, at: datetime | None = None) -> dict:
    """Draw the round's lottery (after bookings close): winners get a pickup code; the seed is
    published. Returns {"entries", "won", "moved"}."""
    at = at or now_utc()
    locked = _round_locked(found, for_draw=True)
    if locked.status is not BookingRoundStatus.OPEN:
        raise ServiceError(_l("This round has been drawn already."))
    if at < locked.closes_at:
        raise ServiceError(_l("The draw comes after bookings close."))
    if locked.plan.status is not PlanStatus.ISSUED:
        raise ServiceError(_l("This round's masks were recalled: it cannot be drawn."))
    shares = {share.outlet_id: share for share in locked.outlets}
    outlets = [
        lottery.Outlet(
            share.outlet_id,
            share.outlet.district,
            share.places,
            tuple((slot.id, slot.capacity) for slot in share.outlet.slots),
        )
        for share in shares.values()
    ]
    bookings = list(db.session.scalars(sa.select(Booking).where(Booking.round_id == found.id)))
    result = lottery.draw(
        locked.seed,
        [lottery.Entry(b.reference, b.outlet_id, b.slot_id, b.flexible) for b in bookings],
        outlets,
    )
    codes: set[str] = set()
    moved = 0
    for booking in bookings:
        won = result[booking.reference]
        if won is None:
            booking.status = BookingStatus.LOST
            continue
        code = f"{secrets.randbelow(10**8):08d}"
        while code in codes:
            code = f"{secrets.randbelow(10**8):08d}"
        codes.add(code)
        booking.status = BookingStatus.WON
        booking.won_outlet_id, booking.won_slot_id = won.outlet, won.slot
        booking.pickup_code = code
        moved += won.moved
    locked.status = BookingRoundStatus.DRAWN
    locked.drawn_at = at
    locked.drawn_by_id = actor_id(actor)
    db.session.flush()
    return {"entries": len(bookings), "won": len(codes), "moved": moved}


def draw_entries_csv(found: BookingRound) -> str:
    """The drawn round's entries: reference, outlet and slot chosen, whether the person would
    move, the ticket, and the outlet and slot given (empty: not drawn). With the seed, all
    anyone needs to redo the draw (`rationing.lottery.draw`); nothing that names a person."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["reference", "outlet", "slot", "flexible", "ticket", "won_outlet", "won_slot"])
    rows = db.session.execute(
        sa.select(
            Booking.reference,
            Booking.outlet_id,
            Booking.slot_id,
            Booking.flexible,
            Booking.won_outlet_id,
            Booking.won_slot_id,
        )
        .where(Booking.round_id == found.id)
        .order_by(Booking.reference)
    )
    for reference, outlet, slot, flexible, won_outlet, won_slot in rows:
        writer.writerow(
            [
                reference,
                outlet,
                slot,
                int(flexible),
                lottery.ticket(found.seed, reference),
                won_outlet or "",
                won_slot or "",
            ]
        )
    return out.getvalue()
