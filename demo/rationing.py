"""Demo citizens' rationing: an outlet for each pharmacy that round 1 supplied, with its
opening slots; a booking round of round 1's surgical masks, booked by demo citizens and drawn,
its pickup day today, where the demo outlet clerk (`outlet`, at the six busiest outlets) has
served three in four of those whose time has come (the newcomer, signed in as `outlet`, serves
the rest at /pickup); and a round of its daily masks taking bookings now, for the newcomer to
book in (at /book, no sign-in).

Demo citizens' identity card numbers are made up (Shaoguan's 440203, a birth date, a sequence,
the right check character): `citizen(n)` gives the n-th, so that a person (or a browser test)
can look up a demo result."""

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app

from accounts.models import User
from allocation.models import Plan, PlanStatus
from catalog.models import Grade
from core.clock import at_local, local_now, local_today
from extensions import db
from rationing import idcard, pickups, services
from rationing.models import Booking, BookingRound, BookingStatus, Outlet
from recipients.models import RETAIL, Recipient, RecipientCategory

# (starts, ends, people per 10 staff or beds of the shop) of every demo outlet
SLOTS = ((time(9), time(10, 30), 3), (time(10, 30), time(12), 3), (time(14, 30), time(17), 4))
DRAWN_BOOKINGS = 400
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["建国", "秀英", "伟", "芳", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰"]


def citizen(n: int) -> str:
    """The n-th demo citizen's identity card number."""
    born = datetime(1950, 1, 1) + timedelta(days=n * 97 % 20000)
    first17 = f"440203{born:%Y%m%d}{n % 1000:03d}"
    return first17 + idcard.check_character(first17)


def citizen_phone(n: int) -> str:
    return f"1380751{n % 10000:04d}"


def _book_and_draw(found: BookingRound, people: range, allocator_id: int | None) -> dict:
    """Demo citizens `people` book the round (most want the busiest shops in the morning, so
    that some are oversubscribed), then it is drawn."""
    key = current_app.config["ID_HASH_KEY"]
    shares = [s for s in found.outlets if s.places]
    for n in people:
        share = shares[(n * n) % min(len(shares), 6)] if n % 3 else shares[n % len(shares)]
        slot = share.outlet.slots[0 if n % 4 else 2]
        services.book(
            found,
            share.outlet_id,
            slot.id,
            SURNAMES[n % len(SURNAMES)] + GIVEN[n % len(GIVEN)],
            citizen(n),
            citizen_phone(n),
            n % 5 < 2,  # two in five would take another time or outlet
            key,
            at=found.opens_at + timedelta(minutes=n - people.start),
        )
    return services.draw(found, allocator_id, at=found.closes_at)


def _serve(found: BookingRound, clerk: User, now: datetime, absent: int = 4) -> int:
    """The clerk confirms the pickups at their outlets of drawn citizens whose slot has begun
    (one in `absent` has not come), each at its slot's start; those of the day's first slot
    have come whatever the time the demo is made (before it opens: the shop let them in
    early), so that the demo always has sales to trace."""
    mine = {outlet.id for outlet in pickups.outlets_of(clerk)}
    winners = db.session.scalars(
        sa.select(Booking)
        .where(Booking.round_id == found.id, Booking.status == BookingStatus.WON)
        .order_by(Booking.id)
    ).all()
    first = min(slot.starts for outlet in pickups.outlets_of(clerk) for slot in outlet.slots)
    served = 0
    for n, booking in enumerate(w for w in winners if w.won_outlet_id in mine):
        slot = booking.won_slot.starts
        starts = at_local(found.pickup_on, slot.hour, slot.minute)
        if (starts > now and slot != first) or n % absent == absent - 1:
            continue
        at = min(starts, now).astimezone(UTC)
        pickups.confirm_pickup(booking, clerk, booking.pickup_code, id_checked=n % 2 == 0, at=at)
        served += 1
    return served


def seed_rationing(allocator_id: int | None, clerk_id: int | None = None) -> list[str]:
    """Idempotent: nothing is added once the demo has booking rounds."""
    if db.session.scalar(sa.select(sa.func.count(BookingRound.id))):
        return []
    plan = db.session.scalar(
        sa.select(Plan).where(Plan.status == PlanStatus.ISSUED).order_by(Plan.id).limit(1)
    )
    if plan is None:
        return []
    grades = {g.code: g for g in db.session.scalars(sa.select(Grade))}
    created = []
    pharmacies = db.session.scalars(
        sa.select(Recipient)
        .where(
            Recipient.tier == RETAIL,
            Recipient.category == RecipientCategory.PHARMACY,
            Recipient.active.is_(True),
        )
        .order_by(Recipient.id)
    )
    supplied = services.retail_issued(plan, grades["surgical"]) if "surgical" in grades else {}
    for unit in pharmacies:
        if unit.id not in supplied:
            continue
        outlet = services.create_outlet(unit.id, unit.name, f"{unit.district}{unit.name}", "")
        size = max(unit.headcount_or_beds or 10, 6)
        for starts, ends, per_ten in SLOTS:
            services.add_slot(outlet, starts, ends, max(10, size * per_ten))
    outlets = db.session.scalar(sa.select(sa.func.count(Outlet.id)))
    created.append(f"{outlets} outlets")
    today = local_today()
    now = datetime.now(UTC)
    clerk = db.session.get(User, clerk_id) if clerk_id is not None else None
    if clerk is not None:  # the clerk works at the six busiest outlets (see _book_and_draw)
        for outlet in db.session.scalars(sa.select(Outlet).order_by(Outlet.id).limit(6)):
            pickups.set_staff(outlet, [clerk.id])
    drawn = services.open_round(
        plan,
        grades["surgical"].id,
        f"{today.month} 月 {today.day} 日医用外科口罩预约",
        5,
        Decimal("1.80"),
        at_local(today - timedelta(days=2), 8).astimezone(UTC),
        at_local(today - timedelta(days=1), 20).astimezone(UTC),
        today,
        7,
        allocator_id,
    )
    summary = _book_and_draw(drawn, range(DRAWN_BOOKINGS), allocator_id)
    created.append(
        f"booking round {drawn.name}: {summary['entries']} bookings, {summary['won']} drawn"
    )
    if clerk is not None:
        served = _serve(drawn, clerk, local_now())
        created.append(f"{served} pickups so far today at the outlets of {clerk.username}")
    if "daily_protective" in grades and services.retail_issued(plan, grades["daily_protective"]):
        later = today + timedelta(days=2)
        open_now = services.open_round(
            plan,
            grades["daily_protective"].id,
            f"{later.month} 月 {later.day} 日日常防护口罩预约",
            10,
            Decimal("0.60"),
            now - timedelta(hours=2),
            at_local(today + timedelta(days=1), 20).astimezone(UTC),
            later,
            7,
            allocator_id,
        )
        created.append(f"booking round {open_now.name}: taking bookings")
    db.session.flush()
    return created
