"""What the booking rounds came to: per outlet of a round, pieces allocated, sold and left
(the reconciliation); over a period, bookings, pickups and no-shows by day and by outlet.

Counts are summed in SQL (per day on PostgreSQL; per hour on SQLite, which knows no time zones,
the hours then put on the city's calendar days here)."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from core.clock import local_bounds, local_date, timezone_name
from extensions import db
from ledger import services as ledger
from ledger.models import EntryKind, LedgerEntry

from .models import (
    DRAWN_STATUSES,
    Booking,
    BookingRound,
    BookingStatus,
    Outlet,
    RoundOutlet,
)

# The longest period the report covers (its by-day table has a row a day).
MAX_DAYS = 366


def _count(condition) -> sa.ColumnElement:
    return sa.func.count(sa.case((condition, 1)))


@dataclass
class OutletLine:
    """One outlet's figures: bookings made there; bookings drawn for it, picked up and not;
    pieces allocated (its share of the rounds), sold, and left (allocated less sold)."""

    outlet: Outlet
    pieces: int = 0
    places: int = 0
    booked: int = 0
    drawn: int = 0
    picked_up: int = 0
    no_show: int = 0
    sold: int = 0

    @property
    def left(self) -> int:
        return self.pieces - self.sold


@dataclass
class Reconciliation:
    """A round's outlets, and the ledger's own totals of the round's sales and returns (which
    must agree with the outlets' figures)."""

    lines: list[OutletLine]
    ledger_sold: int
    ledger_returned: int
    total: OutletLine = field(init=False)

    def __post_init__(self) -> None:
        self.total = _total(self.lines)


def _total(lines: list[OutletLine]) -> OutletLine:
    total = OutletLine(outlet=None)  # type: ignore[arg-type]
    for line in lines:
        for name in ("pieces", "places", "booked", "drawn", "picked_up", "no_show", "sold"):
            setattr(total, name, getattr(total, name) + getattr(line, name))
    return total


def _outlet_counts(round_ids) -> dict[int, dict[str, int]]:
    """Per outlet, summed over the rounds: bookings made there, and drawn / picked up / no-show
    bookings placed there (with the pieces sold)."""
    counts: dict[int, dict[str, int]] = {}
    booked = db.session.execute(
        sa.select(Booking.outlet_id, sa.func.count())
        .where(Booking.round_id.in_(round_ids))
        .group_by(Booking.outlet_id)
    )
    for outlet_id, n in booked:
        counts.setdefault(outlet_id, {})["booked"] = n
    drawn = db.session.execute(
        sa.select(
            Booking.won_outlet_id,
            sa.func.count(),
            _count(Booking.status == BookingStatus.PICKED_UP),
            _count(Booking.status == BookingStatus.NO_SHOW),
            sa.func.sum(
                sa.case(
                    (Booking.status == BookingStatus.PICKED_UP, BookingRound.pieces_per_person),
                    else_=0,
                )
            ),
        )
        .join(BookingRound, Booking.round_id == BookingRound.id)
        .where(Booking.round_id.in_(round_ids), Booking.status.in_(DRAWN_STATUSES))
        .group_by(Booking.won_outlet_id)
    )
    for outlet_id, n, picked, absent, sold in drawn:
        counts.setdefault(outlet_id, {}).update(
            drawn=n, picked_up=picked, no_show=absent, sold=int(sold or 0)
        )
    return counts


def _lines(round_ids) -> list[OutletLine]:
    shares = db.session.execute(
        sa.select(
            RoundOutlet.outlet_id, sa.func.sum(RoundOutlet.pieces), sa.func.sum(RoundOutlet.places)
        )
        .where(RoundOutlet.round_id.in_(round_ids))
        .group_by(RoundOutlet.outlet_id)
    ).all()
    counts = _outlet_counts(round_ids)
    ids = {outlet_id for outlet_id, _, _ in shares} | set(counts)
    outlets = {
        outlet.id: outlet
        for outlet in db.session.scalars(
            sa.select(Outlet).where(Outlet.id.in_(ids)).options(sa.orm.joinedload(Outlet.recipient))
        )
    }
    lines = {
        outlet_id: OutletLine(outlets[outlet_id], int(pieces), int(places))
        for outlet_id, pieces, places in shares
    }
    for outlet_id, values in counts.items():
        line = lines.setdefault(outlet_id, OutletLine(outlets[outlet_id]))
        for name, value in values.items():
            setattr(line, name, value)
    return sorted(
        lines.values(), key=lambda line: (line.outlet.district, line.outlet.name, line.outlet.id)
    )


def reconciliation(found: BookingRound) -> Reconciliation:
    """Per outlet of the round: allocated, sold and left; and the ledger's totals."""
    bookings = sa.select(Booking.id).where(Booking.round_id == found.id)
    ledger_sold = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.quantity), 0)).where(
            LedgerEntry.kind == EntryKind.SALE,
            LedgerEntry.document_type == ledger.DOC_BOOKING,
            LedgerEntry.document_id.in_(bookings),
        )
    )
    ledger_returned = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.quantity), 0)).where(
            LedgerEntry.kind == EntryKind.RETURN,
            LedgerEntry.document_type == ledger.DOC_ROUND_CLOSE,
            LedgerEntry.document_id == found.id,
        )
    )
    return Reconciliation(_lines([found.id]), int(ledger_sold), int(ledger_returned))


@dataclass
class DayLine:
    day: date
    booked: int = 0
    picked_up: int = 0
    no_show: int = 0


@dataclass
class Activity:
    """The period's rounds (those whose pickup day falls in it), by day and by outlet."""

    start: date
    end: date
    rounds: list[BookingRound]
    days: list[DayLine]
    outlets: list[OutletLine]
    total: OutletLine


def _by_day(column, *conditions) -> dict[date, int]:
    """How many rows meet the conditions, per local calendar day of the time `column`: counted
    by day in SQL on PostgreSQL (which knows the city's time zone); on SQLite, which does not,
    counted per UTC hour in SQL and the hours put on their local day here (right for zones whose
    offset is whole hours, as China's; at +5:30 half an hour would fall on the wrong day)."""
    if db.session.get_bind().dialect.name == "postgresql":
        day = sa.func.date(sa.func.timezone(timezone_name(), column))
        rows = db.session.execute(sa.select(day, sa.func.count()).where(*conditions).group_by(day))
        return {when: n for when, n in rows}
    hour = sa.func.strftime("%Y-%m-%d %H", column)
    rows = db.session.execute(sa.select(hour, sa.func.count()).where(*conditions).group_by(hour))
    days: dict[date, int] = {}
    for when, n in rows:
        day = local_date(datetime.strptime(when, "%Y-%m-%d %H").replace(tzinfo=UTC))
        days[day] = days.get(day, 0) + n
    return days


def activity(start: date, end: date, district: str = "", outlet_id: int | None = None) -> Activity:
    """Bookings made, pickups and no-shows per day of the period (no-shows on their round's
    pickup day), and the outlets' figures over the rounds picked up in the period; of the
    outlets of a district, or of one outlet."""
    rounds = list(
        db.session.scalars(
            sa.select(BookingRound)
            .where(BookingRound.pickup_on.between(start, end))
            .order_by(BookingRound.pickup_on, BookingRound.id)
        )
    )
    round_ids = [found.id for found in rounds]
    days = {
        start + timedelta(n): DayLine(start + timedelta(n)) for n in range((end - start).days + 1)
    }
    since, until = local_bounds(start, end)
    chosen = sa.select(Outlet.id).where(
        *([Outlet.district == district] if district else []),
        *([Outlet.id == outlet_id] if outlet_id is not None else []),
    )
    narrowed = bool(district) or outlet_id is not None
    in_district = [Booking.won_outlet_id.in_(chosen)] if narrowed else []
    booked_in = [Booking.outlet_id.in_(chosen)] if narrowed else []
    # Bookings made each day (of any round), pickups each day, and no-shows on pickup days.
    made = _by_day(
        Booking.created_at, Booking.created_at >= since, Booking.created_at < until, *booked_in
    )
    picked = _by_day(
        Booking.picked_up_at,
        Booking.picked_up_at >= since,
        Booking.picked_up_at < until,
        *in_district,
    )
    absent = dict(
        db.session.execute(
            sa.select(BookingRound.pickup_on, sa.func.count())
            .join(Booking, Booking.round_id == BookingRound.id)
            .where(
                BookingRound.id.in_(round_ids),
                Booking.status == BookingStatus.NO_SHOW,
                *in_district,
            )
            .group_by(BookingRound.pickup_on)
        ).all()
    )
    for day, line in days.items():
        line.booked, line.picked_up, line.no_show = (
            made.get(day, 0),
            picked.get(day, 0),
            absent.get(day, 0),
        )
    lines = _lines(round_ids) if round_ids else []
    if district:
        lines = [line for line in lines if line.outlet.district == district]
    if outlet_id is not None:
        lines = [line for line in lines if line.outlet.id == outlet_id]
    return Activity(
        start, end, rounds, sorted(days.values(), key=lambda d: d.day), lines, _total(lines)
    )


def districts() -> list[str]:
    """Districts that have outlets."""
    return list(
        db.session.scalars(
            sa.select(Outlet.district)
            .where(Outlet.district != "")
            .distinct()
            .order_by(Outlet.district)
        )
    )
