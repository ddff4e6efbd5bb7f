"""At the outlets: who works where, a drawn citizen's pickup (the sale in the ledger), and the
close of a round after its pickup day (no-shows marked, what was not sold returned to stock).

The pieces a citizen buys come from what the outlet's retail unit holds of the round's grade:
issued to it, less what it sold and returned (`ledger.services.holdings`), earliest expiry first,
never from a lot that has expired or is on hold. Services flush and never commit."""

import hmac
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from accounts.models import Role, User, UserRole, actor_id
from allocation.models import PlanStatus
from catalog.models import Lot, Product
from core.clock import local_date
from core.db import now_utc
from core.errors import ServiceError
from extensions import db
from ledger import services as ledger
from ledger.models import Bucket, EntryKind, LedgerEntry

from . import idcard
from .models import (
    Booking,
    BookingRound,
    BookingRoundStatus,
    BookingStatus,
    Outlet,
    RoundOutlet,
    outlet_staff,
)
from .services import ID_MESSAGES, id_hash

# Pickup codes are 8 digits (`services.draw`).
CODE_LENGTH = 8


# Outlet staff -------------------------------------------------------------------------------


def staff_choices() -> list[User]:
    """Active users with the outlet role, who may be put on an outlet's staff."""
    return list(
        db.session.scalars(
            sa.select(User)
            .join(UserRole)
            .where(UserRole.role == Role.OUTLET, User.active.is_(True))
            .order_by(User.display_name, User.username)
        )
    )


def set_staff(outlet: Outlet, user_ids: list[int]) -> list[User]:
    """Who works at the outlet (confirms its pickups): users with the outlet role only."""
    allowed = {user.id: user for user in staff_choices()}
    unknown = [user_id for user_id in user_ids if user_id not in allowed]
    if unknown:
        raise ServiceError(_l("Only active users with the outlet role can work at an outlet."))
    outlet.staff = [allowed[user_id] for user_id in dict.fromkeys(user_ids)]
    db.session.flush()
    return outlet.staff


def outlets_of(user: User) -> list[Outlet]:
    """The outlets a member of staff works at."""
    return list(
        db.session.scalars(
            sa.select(Outlet)
            .join(outlet_staff, outlet_staff.c.outlet_id == Outlet.id)
            .where(outlet_staff.c.user_id == user.id)
            .order_by(Outlet.name)
        )
    )


def waiting_today(user: User, today: date) -> int:
    """Drawn citizens who have not yet come to this person's outlets, on rounds picked up
    today."""
    return db.session.scalar(
        sa.select(sa.func.count(Booking.id))
        .join(BookingRound, Booking.round_id == BookingRound.id)
        .join(outlet_staff, outlet_staff.c.outlet_id == Booking.won_outlet_id)
        .where(
            outlet_staff.c.user_id == user.id,
            Booking.status == BookingStatus.WON,
            BookingRound.status == BookingRoundStatus.DRAWN,
            BookingRound.pickup_on == today,
        )
    )


# Finding a pickup ---------------------------------------------------------------------------


def normalise_code(text: str) -> str:
    """The digits of a typed or scanned code (spaces, dashes and full-width digits allowed)."""
    text = unicodedata.normalize("NFKC", text or "")
    return "".join(ch for ch in text if ch.isascii() and ch.isdigit())


@dataclass
class Found:
    """What a code finds for a member of staff: bookings at their outlets, and (with no names)
    the outlets elsewhere a code belongs to, so that a citizen at the wrong shop is told."""

    here: list[Booking]
    elsewhere: list[Outlet]


def find_code(code: str, user: User) -> Found:
    """Drawn bookings of rounds not yet closed with this pickup code."""
    code = normalise_code(code)
    if len(code) != CODE_LENGTH:
        raise ServiceError(_l("A pickup code has 8 digits."), "code")
    mine = {outlet.id for outlet in outlets_of(user)}
    bookings = list(
        db.session.scalars(
            sa.select(Booking)
            .join(BookingRound, Booking.round_id == BookingRound.id)
            .where(
                Booking.pickup_code == code,
                Booking.status.in_([BookingStatus.WON, BookingStatus.PICKED_UP]),
                BookingRound.status == BookingRoundStatus.DRAWN,
            )
            .order_by(Booking.id)
        )
    )
    here = [b for b in bookings if b.won_outlet_id in mine]
    elsewhere = [b.won_outlet for b in bookings if b.won_outlet_id not in mine]
    return Found(here, elsewhere)


def check_id(booking: Booking, id_number: str, key: bytes | str) -> bool:
    """Whether the identity card shown at the counter is the one the booking was made with
    (compared by its keyed hash: the number is not kept)."""
    try:
        number = idcard.validate(id_number, booking.round.pickup_on)
    except idcard.InvalidIdNumber as error:
        raise ServiceError(ID_MESSAGES[error.code], "id_number") from None
    return id_hash(number, key) == booking.id_hash


# The pickup ---------------------------------------------------------------------------------


def _held_lots(recipient_id: int, grade_id: int) -> list[tuple[int, date | None, int]]:
    """(lot id, expiry date, pieces) of what a unit holds of a grade: issued to it, less what
    it sold and returned; earliest expiry first (lots without one last)."""
    lots = db.session.execute(
        sa.select(Lot.id, Lot.expiry_date)
        .join(Product, Lot.product_id == Product.id)
        .join(LedgerEntry, LedgerEntry.lot_id == Lot.id)
        .where(
            Product.grade_id == grade_id,
            LedgerEntry.recipient_id == recipient_id,
            LedgerEntry.to_bucket == Bucket.ISSUED,
        )
        .distinct()
    ).all()
    held = ledger.holdings([lot.id for lot in lots], [recipient_id])
    found = [
        (lot.id, lot.expiry_date, held[(lot.id, recipient_id)])
        for lot in lots
        if held.get((lot.id, recipient_id), 0) > 0
    ]
    return sorted(found, key=lambda row: (row[1] is None, row[1] or date.min, row[0]))


def _taken(lots: list[tuple[int, int]], pieces: int) -> list[tuple[int, int]]:
    """(lot id, pieces) taken from lots of (lot id, pieces held), in their order, until
    `pieces` are taken or the lots are empty."""
    taken = []
    for lot_id, held in lots:
        take = min(held, pieces)
        if take <= 0:
            break
        taken.append((lot_id, take))
        pieces -= take
    return taken


def unit_stock(recipient_id: int, grade_id: int, on: datetime) -> list[tuple[int, int]]:
    """(lot id, pieces) a retail unit holds of a grade and may sell at `on`: earliest expiry
    first, lots that have expired or are on hold left out."""
    lots = _held_lots(recipient_id, grade_id)
    blocked = ledger.held_lots(lot_id for lot_id, _, _ in lots)
    today = local_date(on)
    return [
        (lot_id, held)
        for lot_id, expiry, held in lots
        if lot_id not in blocked and (expiry is None or expiry >= today)
    ]


def _booking_locked(booking: Booking) -> Booking:
    return db.session.scalar(
        sa.select(Booking)
        .where(Booking.id == booking.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def code_matches(booking: Booking, code: str) -> bool:
    """Whether `code` (as typed or scanned) is the booking's pickup code."""
    return booking.pickup_code is not None and hmac.compare_digest(
        normalise_code(code), booking.pickup_code
    )


def confirm_pickup(
    booking: Booking,
    user: User,
    code: str,
    *,
    id_checked: bool = False,
    at: datetime | None = None,
) -> list[ledger.Posted]:
    """The citizen showed the code, paid the agreed price and takes the pieces: the booking is
    picked up and the sale is written in the ledger, from the unit's stock of the grade
    (earliest expiry first). Refused for a code that is not the booking's or was used, a round
    closed or recalled, another outlet's booking, or before the pickup day. Returns the sale
    entries."""
    at = at or now_utc()
    ledger.lock_ledger()  # one writer at a time: what the unit holds stays true until commit
    locked = _booking_locked(booking)
    found = locked.round
    if locked.won_outlet_id not in {outlet.id for outlet in outlets_of(user)}:
        raise ServiceError(_l("This booking is for another outlet."))
    if not code_matches(locked, code):
        raise ServiceError(_l("This is not the booking's pickup code."), "code")
    if locked.status is BookingStatus.PICKED_UP:
        raise ServiceError(_l("This code has been used: the masks were picked up already."))
    if locked.status is not BookingStatus.WON or found.status is not BookingRoundStatus.DRAWN:
        raise ServiceError(_l("This booking cannot be picked up: the round is closed."))
    if found.plan.status is not PlanStatus.ISSUED:
        raise ServiceError(_l("This round's masks were recalled: do not sell them."))
    if local_date(at) < found.pickup_on:
        raise ServiceError(
            _l("Pickups start on %(date)s.", date=format_date(found.pickup_on, "long"))
        )
    outlet = locked.won_outlet
    wanted = found.pieces_per_person
    moves = []
    for lot_id, take in _taken(unit_stock(outlet.recipient_id, found.grade_id, at), wanted):
        moves.append(
            ledger.Move(
                kind=EntryKind.SALE,
                lot_id=lot_id,
                quantity=take,
                from_bucket=Bucket.ISSUED,
                to_bucket=Bucket.SOLD,
                recipient_id=outlet.recipient_id,
                document=ledger.Document(ledger.DOC_BOOKING, locked.id, locked.reference),
                reason=outlet.name,
                occurred_at=at,
            )
        )
    if sum(move.quantity for move in moves) < wanted:
        raise ServiceError(
            _l(
                "%(unit)s has too few sellable pieces of this grade left for this pickup: "
                "ask the allocator.",
                unit=outlet.recipient.name,
            )
        )
    posted = ledger.post_many(moves, user)
    locked.status = BookingStatus.PICKED_UP
    locked.picked_up_at = at
    locked.picked_up_by_id = user.id
    locked.id_checked = id_checked
    db.session.flush()
    return posted


# Closing a round ----------------------------------------------------------------------------


def sold_by_outlet(found: BookingRound) -> dict[int, int]:
    """Pieces each outlet sold in the round (picked-up bookings)."""
    rows = db.session.execute(
        sa.select(Booking.won_outlet_id, sa.func.count())
        .where(Booking.round_id == found.id, Booking.status == BookingStatus.PICKED_UP)
        .group_by(Booking.won_outlet_id)
    )
    return {outlet_id: count * found.pieces_per_person for outlet_id, count in rows}


def close_round(found: BookingRound, actor: User | int | None, at: datetime | None = None) -> dict:
    """After the pickup day: bookings drawn but not picked up are no-shows, and what each unit
    did not sell of its share of the round goes back to the city's stock (`_return_unsold`).
    Returns {"no_shows", "returned"}."""
    at = at or now_utc()
    ledger.lock_ledger()
    locked = db.session.scalar(
        sa.select(BookingRound)
        .where(BookingRound.id == found.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if locked.status is BookingRoundStatus.OPEN:
        raise ServiceError(_l("A round is closed after its draw and its pickup day."))
    if locked.status is BookingRoundStatus.CLOSED:
        raise ServiceError(_l("This round is closed already."))
    if local_date(at) <= locked.pickup_on:
        raise ServiceError(
            _l(
                "A round is closed after its pickup day (%(date)s).",
                date=format_date(locked.pickup_on, "long"),
            )
        )
    no_shows = db.session.execute(
        sa.update(Booking)
        .where(Booking.round_id == locked.id, Booking.status == BookingStatus.WON)
        .values(status=BookingStatus.NO_SHOW)
        .execution_options(synchronize_session=False)
    ).rowcount
    returned = 0
    if locked.plan.status is PlanStatus.ISSUED:
        returned = _return_unsold(locked, actor, at)
    locked.status = BookingRoundStatus.CLOSED
    locked.closed_at = at
    locked.closed_by_id = actor_id(actor)
    db.session.flush()
    db.session.expire_all()
    return {"no_shows": no_shows, "returned": returned}


def _return_unsold(found: BookingRound, actor, at: datetime) -> int:
    """Return entries for what each unit did not sell of its share of the round, from what it
    holds of the grade (earliest expiry first; to "on hold" for a lot put on hold since it
    was issued)."""
    sold = sold_by_outlet(found)
    unsold: dict[int, int] = {}
    for share in db.session.scalars(sa.select(RoundOutlet).where(RoundOutlet.round_id == found.id)):
        left = max(0, share.pieces - sold.get(share.outlet_id, 0))
        unit = share.outlet.recipient_id
        unsold[unit] = unsold.get(unit, 0) + left
    document = ledger.Document(ledger.DOC_ROUND_CLOSE, found.id, found.name)
    moves = []
    for unit, pieces in sorted(unsold.items()):
        lots = _held_lots(unit, found.grade_id) if pieces > 0 else []
        on_hold = ledger.held_lots(lot_id for lot_id, _, _ in lots)
        for lot_id, take in _taken([(lot_id, held) for lot_id, _, held in lots], pieces):
            moves.append(
                ledger.Move(
                    kind=EntryKind.RETURN,
                    lot_id=lot_id,
                    quantity=take,
                    from_bucket=Bucket.ISSUED,
                    to_bucket=Bucket.ON_HOLD if lot_id in on_hold else Bucket.AVAILABLE,
                    recipient_id=unit,
                    document=document,
                    reason=found.name,
                    occurred_at=at,
                )
            )
    ledger.post_many(moves, actor)
    return sum(move.quantity for move in moves)
