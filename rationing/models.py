"""Citizens' rationing: outlets (the shops of a retail unit) and their opening slots, booking
rounds on an issued plan's retail allocation, each outlet's share of a round, and bookings.

A booking keeps the citizen's name and phone, and of the identity card number only its keyed
hash (`rationing.idcard.keyed_hash`): enough to enforce one booking per person and to find a
booking again when the person types the number, never the number itself.
"""

import enum
from datetime import date, datetime, time
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import User
from allocation.models import Plan
from catalog.models import Grade
from core.db import UTCDateTime, enum_type, now_utc
from extensions import db
from recipients.models import Recipient


class Outlet(db.Model):
    """A shop of a retail unit (a chain pharmacy's branch) where citizens pick up masks."""

    __tablename__ = "rationing_outlets"
    __table_args__ = (sa.UniqueConstraint("recipient_id", "name", name="uq_outlets_unit_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(
        sa.ForeignKey("recipients.id"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    address: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")
    district: Mapped[str] = mapped_column(sa.String(100), nullable=False, default="")
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    recipient: Mapped[Recipient] = relationship()
    slots: Mapped[list["OutletSlot"]] = relationship(
        back_populates="outlet", order_by="OutletSlot.starts"
    )

    staff: Mapped[list[User]] = relationship(
        secondary="rationing_outlet_staff", order_by="User.display_name"
    )

    @property
    def capacity(self) -> int:
        """People it serves on a pickup day: the sum of its slots."""
        return sum(slot.capacity for slot in self.slots)


# The outlet staff (users with the outlet role) who confirm pickups at an outlet.
outlet_staff = sa.Table(
    "rationing_outlet_staff",
    db.metadata,
    sa.Column("outlet_id", sa.ForeignKey("rationing_outlets.id"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id"), primary_key=True, index=True),
)


class OutletSlot(db.Model):
    """A time of the pickup day when an outlet serves `capacity` people (分时购取)."""

    __tablename__ = "rationing_outlet_slots"
    __table_args__ = (
        sa.UniqueConstraint("outlet_id", "starts", name="uq_outlet_slots_outlet_starts"),
        sa.CheckConstraint("capacity >= 1", name="capacity_positive"),
        sa.CheckConstraint("ends > starts", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    outlet_id: Mapped[int] = mapped_column(
        sa.ForeignKey("rationing_outlets.id"), nullable=False, index=True
    )
    starts: Mapped[time] = mapped_column(sa.Time, nullable=False)
    ends: Mapped[time] = mapped_column(sa.Time, nullable=False)
    capacity: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    outlet: Mapped[Outlet] = relationship(back_populates="slots")

    @property
    def label(self) -> str:
        return f"{self.starts:%H:%M}–{self.ends:%H:%M}"


class BookingRoundStatus(enum.StrEnum):
    OPEN = "open"  # bookings taken while the window is open
    DRAWN = "drawn"  # the lottery has been drawn; results and pickup codes out
    CLOSED = "closed"  # after the pickup day: no-shows marked, what was not sold returned

    @property
    def label(self) -> str:
        return str(BOOKING_ROUND_STATUS_LABELS[self])


BOOKING_ROUND_STATUS_LABELS = {
    BookingRoundStatus.OPEN: _l("Taking bookings"),
    BookingRoundStatus.DRAWN: _l("Drawn"),
    BookingRoundStatus.CLOSED: _l("Closed"),
}


class BookingRound(db.Model):
    """A round of citizen bookings: the retail allocation of one grade in an issued plan, sold
    at the outlets on one pickup day, `pieces_per_person` each at the agreed price."""

    __tablename__ = "rationing_rounds"
    __table_args__ = (
        sa.CheckConstraint("pieces_per_person >= 1", name="pieces_per_person_positive"),
        sa.CheckConstraint("quota_days >= 1", name="quota_days_positive"),
        sa.CheckConstraint("price_per_piece >= 0", name="price_not_negative"),
        sa.CheckConstraint("closes_at > opens_at", name="closes_after_opening"),
        # A plan's retail pieces of a grade are booked once.
        sa.UniqueConstraint("plan_id", "grade_id", name="uq_rationing_rounds_plan_grade"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    plan_id: Mapped[int] = mapped_column(
        sa.ForeignKey("allocation_plans.id"), nullable=False, index=True
    )
    grade_id: Mapped[int] = mapped_column(sa.ForeignKey("grades.id"), nullable=False)
    pieces_per_person: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    price_per_piece: Mapped[Decimal] = mapped_column(sa.Numeric(12, 4), nullable=False)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    pickup_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    # One booking per person in any round whose pickup day is within this many days.
    quota_days: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    # SHA-256 of the lottery's seed, published when the round opens; the seed with the results.
    seed_sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    seed: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    status: Mapped[BookingRoundStatus] = mapped_column(
        enum_type(BookingRoundStatus, "booking_round_status"),
        nullable=False,
        default=BookingRoundStatus.OPEN,
    )
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    drawn_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    drawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    plan: Mapped[Plan] = relationship()
    grade: Mapped[Grade] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    drawn_by: Mapped[User | None] = relationship(foreign_keys=[drawn_by_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])
    outlets: Mapped[list["RoundOutlet"]] = relationship(
        back_populates="round", order_by="RoundOutlet.outlet_id"
    )

    @property
    def price_per_person(self) -> Decimal:
        """What a citizen pays: the pieces a person may buy at the agreed price."""
        return self.price_per_piece * self.pieces_per_person

    @property
    def is_drawn(self) -> bool:
        """Drawn (and perhaps closed since): results, codes and the seed are out."""
        return self.status in (BookingRoundStatus.DRAWN, BookingRoundStatus.CLOSED)

    def is_open(self, at: datetime) -> bool:
        return self.status is BookingRoundStatus.OPEN and self.opens_at <= at < self.closes_at


class RoundOutlet(db.Model):
    """An outlet's share of a round: the pieces its unit was issued in the plan, split among the
    unit's outlets by their capacity, and the people that serves."""

    __tablename__ = "rationing_round_outlets"
    __table_args__ = (
        sa.CheckConstraint("pieces >= 0", name="pieces_not_negative"),
        sa.CheckConstraint("places >= 0", name="places_not_negative"),
    )

    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rationing_rounds.id"), primary_key=True)
    outlet_id: Mapped[int] = mapped_column(sa.ForeignKey("rationing_outlets.id"), primary_key=True)
    pieces: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    places: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    round: Mapped[BookingRound] = relationship(back_populates="outlets")
    outlet: Mapped[Outlet] = relationship()


class BookingStatus(enum.StrEnum):
    ENTERED = "entered"  # in the draw
    WON = "won"  # may buy: pickup code issued
    LOST = "lost"  # not drawn
    PICKED_UP = "picked_up"  # bought at the outlet: the sale is in the ledger
    NO_SHOW = "no_show"  # drawn, but did not come by the time the round was closed

    @property
    def label(self) -> str:
        return str(BOOKING_STATUS_LABELS[self])


BOOKING_STATUS_LABELS = {
    BookingStatus.ENTERED: _l("In the draw"),
    BookingStatus.WON: _l("Drawn: you may buy"),
    BookingStatus.LOST: _l("Not drawn this time"),
    BookingStatus.PICKED_UP: _l("Picked up"),
    BookingStatus.NO_SHOW: _l("Did not come"),
}

# Bookings drawn in the lottery, whatever became of them after.
DRAWN_STATUSES = (BookingStatus.WON, BookingStatus.PICKED_UP, BookingStatus.NO_SHOW)


class Booking(db.Model):
    """A citizen's booking in a round: the outlet and time chosen, and after the draw the
    outlet and time given (another one if the person said they would move) and a pickup code."""

    __tablename__ = "rationing_bookings"
    __table_args__ = (
        sa.UniqueConstraint("round_id", "id_hash", name="uq_bookings_round_person"),
        sa.UniqueConstraint("round_id", "pickup_code", name="uq_bookings_round_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rationing_rounds.id"), nullable=False)
    # What the person is given to quote: not the id, so that references say nothing of how
    # many booked before them.
    reference: Mapped[str] = mapped_column(sa.String(16), nullable=False, unique=True)
    outlet_id: Mapped[int] = mapped_column(sa.ForeignKey("rationing_outlets.id"), nullable=False)
    slot_id: Mapped[int] = mapped_column(sa.ForeignKey("rationing_outlet_slots.id"), nullable=False)
    flexible: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    name: Mapped[str] = mapped_column(sa.String(50), nullable=False)
    phone: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    id_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    status: Mapped[BookingStatus] = mapped_column(
        enum_type(BookingStatus, "booking_status"), nullable=False, default=BookingStatus.ENTERED
    )
    won_outlet_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("rationing_outlets.id"), nullable=True
    )
    won_slot_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("rationing_outlet_slots.id"), nullable=True
    )
    pickup_code: Mapped[str | None] = mapped_column(sa.String(8), nullable=True, index=True)
    picked_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    picked_up_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    # Whether the outlet's staff typed the identity card shown at the counter and it matched.
    id_checked: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)

    round: Mapped[BookingRound] = relationship()
    outlet: Mapped[Outlet] = relationship(foreign_keys=[outlet_id])
    slot: Mapped[OutletSlot] = relationship(foreign_keys=[slot_id])
    won_outlet: Mapped[Outlet | None] = relationship(foreign_keys=[won_outlet_id])
    won_slot: Mapped[OutletSlot | None] = relationship(foreign_keys=[won_slot_id])
    picked_up_by: Mapped[User | None] = relationship(foreign_keys=[picked_up_by_id])

    @property
    def masked_phone(self) -> str:
        return self.phone[:3] + "****" + self.phone[-4:] if len(self.phone) >= 8 else "****"
