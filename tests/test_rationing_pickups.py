"""Citizens' rationing at the outlets: the outlet staff role, the pickup (a sale in the ledger),
the close of a round (no-shows, what was not sold back to stock), the reconciliation and the
report, and the lot's trace reaching the citizens."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from accounts.models import Role, User
from allocation import plans
from allocation.models import Plan
from core.clock import local_date, local_midnight, local_today
from core.db import now_utc
from core.errors import ServiceError
from extensions import db
from ledger import queries as ledger_queries
from ledger import services as ledger
from ledger.models import Balance, Bucket, EntryKind, LedgerEntry
from ledger.verify import verify
from rationing import pickups, reports, services
from rationing.models import Booking, BookingRound, BookingRoundStatus, BookingStatus, Outlet
from tests.conftest import PASSWORD
from tests.test_rationing import _draw, _open, citizen, city  # noqa: F401 - the fixture

PIECES = 5  # per person in these rounds


def _book_many(app, round_id: int, outlet_id: int, people: range) -> None:
    with app.app_context():
        found = db.session.get(BookingRound, round_id)
        slot = db.session.get(Outlet, outlet_id).slots[0].id
        for n in people:
            services.book(
                found,
                outlet_id,
                slot,
                f"市民{n}",
                citizen(n),
                f"1390751{n:04d}",
                False,
                app.config["ID_HASH_KEY"],
            )
        db.session.commit()


def _today_is_pickup_day(app, round_id: int) -> None:
    """The pickup day is today (a round's pickup day is after its close: the test moves it)."""
    with app.app_context():
        db.session.get(BookingRound, round_id).pickup_on = local_today()
        db.session.commit()


@pytest.fixture
def drawn(app, city, make_user):  # noqa: F811 - the fixture imported above
    """A drawn round with four winners at the first outlet, whose pickup day is today, and a
    member of staff there (and one at the third outlet)."""
    round_id = _open(app, city)
    first, _, third = city["outlets"]
    _book_many(app, round_id, first, range(1, 5))
    _draw(app, city, round_id)
    _today_is_pickup_day(app, round_id)
    clerk = make_user("clerk", Role.OUTLET)
    other = make_user("other-clerk", Role.OUTLET)
    with app.app_context():
        pickups.set_staff(db.session.get(Outlet, first), [clerk])
        pickups.set_staff(db.session.get(Outlet, third), [other])
        db.session.commit()
        codes = {
            b.name: b.pickup_code
            for b in db.session.scalars(sa.select(Booking).where(Booking.round_id == round_id))
        }
    assert len(codes) == 4 and all(codes.values())
    return city | {"round_id": round_id, "codes": codes, "clerk": clerk, "other_clerk": other}


def _token(page: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    return found.group(1) if found else ""


def _sign_in(client, username: str) -> None:
    assert (
        client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    )


def _sales(app, round_id: int) -> list[LedgerEntry]:
    with app.app_context():
        ids = sa.select(Booking.id).where(Booking.round_id == round_id)
        return list(
            db.session.scalars(
                sa.select(LedgerEntry).where(
                    LedgerEntry.kind == EntryKind.SALE, LedgerEntry.document_id.in_(ids)
                )
            )
        )


def test_the_outlet_confirms_a_pickup_and_the_ledger_records_the_sale(app, client, drawn):
    _sign_in(client, "clerk")
    client.post("/language", data={"lang": "en"})
    code = drawn["codes"]["市民1"]
    page = client.get("/pickup").get_data(as_text=True)
    found = client.post(
        "/pickup", data={"csrf_token": _token(page), "code": f"{code[:4]} {code[4:]}"}
    )
    shown = found.get_data(as_text=True)
    assert found.status_code == 200 and "市民1" in shown and "9.00" in shown  # 5 × 1.80
    with app.app_context():
        booking = db.session.scalar(sa.select(Booking).where(Booking.pickup_code == code))
        lot_id = pickups.unit_stock(drawn["chain"], drawn["grade_id"], now_utc())[0][0]
        issued_before = ledger.balance(lot_id, Bucket.ISSUED)
    done = client.post(
        f"/pickup/{booking.id}",
        data={"csrf_token": _token(shown), "code": code, "id_number": citizen(1)},
    )
    assert done.status_code == 302
    with app.app_context():
        booking = db.session.get(Booking, booking.id)
        assert booking.status is BookingStatus.PICKED_UP and booking.id_checked
        sales = _sales(app, drawn["round_id"])
        assert sum(e.quantity for e in sales) == PIECES
        assert {(e.from_bucket, e.to_bucket, e.recipient_id) for e in sales} == {
            (Bucket.ISSUED, Bucket.SOLD, drawn["chain"])
        }
        assert all(e.document_ref == booking.reference for e in sales)
        assert {e.lot_id for e in sales} == {lot_id}  # the one lot of the grade
        assert ledger.balance(lot_id, Bucket.SOLD) == PIECES
        assert ledger.balance(lot_id, Bucket.ISSUED) == issued_before - PIECES
        assert verify().ok
    # The same code again: shown as used, and refused.
    again = client.post("/pickup", data={"csrf_token": _token(shown), "code": code})
    assert "do not hand over again" in again.get_data(as_text=True)
    twice = client.post(f"/pickup/{booking.id}", data={"csrf_token": _token(shown), "code": code})
    assert twice.status_code == 200
    assert len(_sales(app, drawn["round_id"])) == len(sales)


def test_a_card_that_does_not_match_is_refused_and_nothing_is_sold(app, client, drawn):
    _sign_in(client, "clerk")
    code = drawn["codes"]["市民2"]
    client.post("/language", data={"lang": "en"})
    token = _token(client.get("/pickup").get_data(as_text=True))
    page = client.post("/pickup", data={"csrf_token": token, "code": code}).get_data(as_text=True)
    with app.app_context():
        booking_id = db.session.scalar(sa.select(Booking.id).where(Booking.pickup_code == code))
    wrong = client.post(
        f"/pickup/{booking_id}",
        data={"csrf_token": _token(page), "code": code, "id_number": citizen(3)},
    )
    text = wrong.get_data(as_text=True)
    assert wrong.status_code == 200 and "not the one the booking was made with" in text
    bad = client.post(
        f"/pickup/{booking_id}",
        data={"csrf_token": _token(page), "code": code, "id_number": "12345"},
    )
    assert bad.status_code == 200 and "18" in bad.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Booking, booking_id).status is BookingStatus.WON
    assert _sales(app, drawn["round_id"]) == []


def test_another_outlets_staff_is_told_where_the_code_belongs_and_cannot_confirm_it(
    app, client, drawn
):
    _sign_in(client, "other-clerk")  # drawn["other_clerk"], at the third outlet
    code = drawn["codes"]["市民1"]
    page = client.get("/pickup").get_data(as_text=True)
    shown = client.post("/pickup", data={"csrf_token": _token(page), "code": code}).get_data(
        as_text=True
    )
    assert "大参林风采路店" in shown and "市民1" not in shown
    with app.app_context():
        booking_id = db.session.scalar(sa.select(Booking.id).where(Booking.pickup_code == code))
    guessed = client.post(f"/pickup/{booking_id}", data={"csrf_token": _token(page)})
    assert "大参林风采路店" not in guessed.get_data(as_text=True)  # without the code: nothing
    refused = client.post(f"/pickup/{booking_id}", data={"csrf_token": _token(page), "code": code})
    assert "大参林风采路店" in refused.get_data(as_text=True)
    assert "市民1" not in refused.get_data(as_text=True)
    assert _sales(app, drawn["round_id"]) == []
    unknown = client.post("/pickup", data={"csrf_token": _token(page), "code": "1234567"})
    assert unknown.status_code == 200 and "8" in unknown.get_data(as_text=True)


def test_pickups_start_on_the_pickup_day(app, drawn):
    with app.app_context():
        booking = db.session.scalar(sa.select(Booking).where(Booking.name == "市民1"))
        clerk = db.session.get(User, drawn["clerk"])
        day_before = local_midnight(booking.round.pickup_on) - timedelta(hours=1)
        with pytest.raises(ServiceError, match="购取从"):
            pickups.confirm_pickup(booking, clerk, booking.pickup_code, at=day_before)
        db.session.rollback()
        assert db.session.get(Booking, booking.id).status is BookingStatus.WON


def test_closing_marks_no_shows_and_returns_what_was_not_sold(app, drawn):
    round_id = drawn["round_id"]
    with app.app_context():
        found = db.session.get(BookingRound, round_id)
        found.pickup_on = local_today() - timedelta(days=1)  # yesterday: it may be closed today
        clerk = db.session.get(User, drawn["clerk"])
        noon = local_midnight(found.pickup_on) + timedelta(hours=12)
        for name in ("市民1", "市民2"):
            booking = db.session.scalar(sa.select(Booking).where(Booking.name == name))
            pickups.confirm_pickup(booking, clerk, booking.pickup_code, at=noon)
        db.session.commit()
        pieces = sum(share.pieces for share in found.outlets)
        available_before = db.session.scalar(
            sa.select(sa.func.sum(Balance.quantity)).where(Balance.bucket == Bucket.AVAILABLE)
        )
        with pytest.raises(ServiceError, match="购取日.*之后才能结束"):
            pickups.close_round(found, drawn["alloc"], at=noon)
        db.session.rollback()
        done = pickups.close_round(db.session.get(BookingRound, round_id), drawn["alloc"])
        db.session.commit()
        assert done == {"no_shows": 2, "returned": pieces - 2 * PIECES}
        found = db.session.get(BookingRound, round_id)
        assert found.status is BookingRoundStatus.CLOSED
        statuses = sorted(b.status.value for b in db.session.scalars(sa.select(Booking)))
        assert statuses == ["no_show", "no_show", "picked_up", "picked_up"]
        available_after = db.session.scalar(
            sa.select(sa.func.sum(Balance.quantity)).where(Balance.bucket == Bucket.AVAILABLE)
        )
        assert available_after - available_before == pieces - 2 * PIECES
        counts = reports.reconciliation(found)
        assert counts.ledger_sold == counts.total.sold == 2 * PIECES
        assert counts.ledger_sold + counts.ledger_returned == counts.total.pieces == pieces
        assert counts.total.no_show == 2 and counts.total.picked_up == 2
        # What the units still hold of the grade is what they were issued outside the round.
        held = pickups.unit_stock(drawn["chain"], found.grade_id, now_utc())
        issued = services.retail_issued(db.session.get(Plan, drawn["plan_id"]), found.grade)
        chain_share = sum(
            s.pieces for s in found.outlets if s.outlet.recipient_id == drawn["chain"]
        )
        assert sum(n for _, n in held) == issued[drawn["chain"]] - chain_share
        with pytest.raises(ServiceError, match="本轮已经结束"):
            pickups.close_round(found, drawn["alloc"])
        db.session.rollback()
        # A no-show's code no longer finds anything to pick up.
        code = drawn["codes"]["市民3"]
        assert pickups.find_code(code, clerk).here == []
        assert verify().ok


def test_the_allocator_closes_the_round_in_its_page_and_sees_the_reconciliation(
    app, client, drawn, auth
):
    round_id = drawn["round_id"]
    with app.app_context():
        found = db.session.get(BookingRound, round_id)
        clerk = db.session.get(User, drawn["clerk"])
        booking = db.session.scalar(sa.select(Booking).where(Booking.name == "市民4"))
        pickups.confirm_pickup(booking, clerk, booking.pickup_code)
        found.pickup_on = local_today() - timedelta(days=1)  # yesterday: it may be closed
        db.session.commit()
    auth.login("alloc")
    page = client.get(f"/booking-rounds/{round_id}").get_data(as_text=True)
    assert 'data-testid="reconciliation"' in page and f"/booking-rounds/{round_id}/close" in page
    closed = client.post(f"/booking-rounds/{round_id}/close", data={"csrf_token": _token(page)})
    assert closed.status_code == 302
    after = client.get(f"/booking-rounds/{round_id}").get_data(as_text=True)
    with app.app_context():
        counts = reports.reconciliation(db.session.get(BookingRound, round_id))
        assert db.session.get(BookingRound, round_id).status is BookingRoundStatus.CLOSED
    assert counts.total.sold == PIECES and counts.total.no_show == 3
    assert counts.ledger_returned == counts.total.pieces - PIECES
    assert f"{counts.ledger_returned:,}" in after


def test_a_unit_sells_or_returns_no_more_than_it_holds(app, drawn):
    with app.app_context():
        found = db.session.get(BookingRound, drawn["round_id"])
        lot_id, held = pickups.unit_stock(drawn["chain"], found.grade_id, now_utc())[0]
        seq = db.session.scalar(sa.select(sa.func.max(LedgerEntry.seq)))
        for kind, to in ((EntryKind.SALE, Bucket.SOLD), (EntryKind.RETURN, Bucket.AVAILABLE)):
            move = ledger.Move(
                kind, lot_id, held + 1, Bucket.ISSUED, to, recipient_id=drawn["chain"]
            )
            with pytest.raises(ServiceError, match="持有批次"):
                ledger.post_many([move], None)
            db.session.rollback()
        # The other chain cannot sell more than its own share either.
        other = drawn["other"]
        other_held = dict(pickups.unit_stock(other, found.grade_id, now_utc())).get(lot_id, 0)
        move = ledger.Move(
            EntryKind.SALE, lot_id, other_held + 1, Bucket.ISSUED, Bucket.SOLD, recipient_id=other
        )
        with pytest.raises(ServiceError, match="持有批次"):
            ledger.post_many([move], None)
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.max(LedgerEntry.seq))) == seq


def test_a_plan_whose_pieces_were_sold_cannot_be_reversed(app, drawn):
    with app.app_context():
        booking = db.session.scalar(sa.select(Booking).where(Booking.name == "市民1"))
        pickups.confirm_pickup(booking, db.session.get(User, drawn["clerk"]), booking.pickup_code)
        db.session.commit()
        plan = db.session.get(Plan, drawn["plan_id"])
        with pytest.raises(ServiceError, match="持有批次"):
            plans.reverse(plan, drawn["alloc"], "数量录错")
        db.session.rollback()
        assert db.session.get(Plan, drawn["plan_id"]).status.value == "issued"


def test_the_lot_trace_reaches_the_citizens(app, client, drawn, signed_in):
    with app.app_context():
        clerk = db.session.get(User, drawn["clerk"])
        for name in ("市民1", "市民2", "市民3"):
            booking = db.session.scalar(sa.select(Booking).where(Booking.name == name))
            pickups.confirm_pickup(booking, clerk, booking.pickup_code)
        db.session.commit()
        lot_id = _sales(app, drawn["round_id"])[0].lot_id
        page, totals = ledger_queries.lot_receipts(lot_id)
        assert (totals.sold, totals.buyers) == (3 * PIECES, 3)
        chain = next(r for r in page.items if r.recipient.id == drawn["chain"])
        assert (chain.sold, chain.buyers) == (3 * PIECES, 3)
    signed_in(Role.AUDITOR)
    shown = client.get(f"/lots/{lot_id}").get_data(as_text=True)
    assert 'data-testid="recall-citizens"' in shown


def test_the_report_counts_bookings_pickups_and_no_shows_by_day_and_outlet(app, client, drawn):
    round_id = drawn["round_id"]
    with app.app_context():
        found = db.session.get(BookingRound, round_id)
        clerk = db.session.get(User, drawn["clerk"])
        booking = db.session.scalar(sa.select(Booking).where(Booking.name == "市民1"))
        pickups.confirm_pickup(booking, clerk, booking.pickup_code)
        db.session.commit()
        made = {local_date(b.created_at) for b in db.session.scalars(sa.select(Booking))}
        report = reports.activity(found.pickup_on - timedelta(days=7), found.pickup_on)
        by_day = {d.day: d for d in report.days}
        assert sum(d.booked for d in report.days) == 4
        assert sum(by_day[day].booked for day in made) == 4
        assert by_day[local_today()].picked_up == 1
        first = next(line for line in report.outlets if line.outlet.id == drawn["outlets"][0])
        assert (first.booked, first.drawn, first.picked_up, first.sold) == (4, 4, 1, PIECES)
        assert first.left == first.pieces - PIECES
        assert report.total.pieces == sum(s.pieces for s in found.outlets)
        elsewhere = reports.activity(found.pickup_on - timedelta(days=7), found.pickup_on, "武江区")
        assert all(line.outlet.district == "武江区" for line in elsewhere.outlets)
        assert sum(d.booked for d in elsewhere.days) == 0  # everyone booked the first outlet
        one = reports.activity(
            found.pickup_on - timedelta(days=7), found.pickup_on, outlet_id=drawn["outlets"][1]
        )
        assert [line.outlet.id for line in one.outlets] == [drawn["outlets"][1]]
        assert sum(d.booked for d in one.days) == 0 and sum(d.picked_up for d in one.days) == 0
        mine = reports.activity(
            found.pickup_on - timedelta(days=7), found.pickup_on, outlet_id=drawn["outlets"][0]
        )
        assert sum(d.booked for d in mine.days) == 4 and sum(d.picked_up for d in mine.days) == 1
    client.post("/login", data={"username": "alloc", "password": PASSWORD})
    page = client.get("/booking-report")
    assert page.status_code == 200 and 'data-testid="by-outlet"' in page.get_data(as_text=True)
    backwards = client.get("/booking-report?start=2030-01-10&end=2030-01-01")
    assert backwards.status_code == 200 and "Traceback" not in backwards.get_data(as_text=True)
    assert client.get("/booking-report?start=not-a-date").status_code == 200
    one = client.get(f"/booking-report?outlet={drawn['outlets'][0]}").get_data(as_text=True)
    assert "大参林风采路店" in one
    sheet = client.get(f"/booking-report.csv?outlet={drawn['outlets'][0]}")
    assert sheet.status_code == 200 and sheet.mimetype == "text/csv"
    lines = sheet.get_data(as_text=True).lstrip("\ufeff").splitlines()
    outlet_rows = [line.split(",") for line in lines[1:] if line.split(",")[1]]
    assert [row[1] for row in outlet_rows] == ["大参林风采路店"]
    assert outlet_rows[0][4:8] == ["4", "4", "1", "0"]  # booked, drawn, picked up, no-shows
    xlsx = client.get("/booking-report.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"


def test_the_allocator_puts_outlet_staff_on_an_outlet(app, client, city, make_user, auth):  # noqa: F811
    clerk = make_user("clerk2", Role.OUTLET)
    plain = make_user("someone", Role.PROCUREMENT)
    outlet = city["outlets"][0]
    auth.login("alloc")
    page = client.get(f"/outlets/{outlet}").get_data(as_text=True)
    assert "Clerk2" in page and "Someone" not in page
    saved = client.post(
        f"/outlets/{outlet}/staff", data={"csrf_token": _token(page), "staff": [str(clerk)]}
    )
    assert saved.status_code == 302
    refused = client.post(
        f"/outlets/{outlet}/staff", data={"csrf_token": _token(page), "staff": [str(plain)]}
    )
    assert refused.status_code == 200
    with app.app_context():
        assert [u.id for u in db.session.get(Outlet, outlet).staff] == [clerk]


@pytest.mark.postgres
def test_one_code_confirmed_at_two_counters_at_once_sells_once(app, drawn, make_user):
    """Two clerks of the outlet press "paid" for the same code at the same instant (PostgreSQL,
    a thread each, released together): one sale; the other is told the code was used. And a
    pickup racing the round's close: either the sale or the no-show, never both."""
    from tests.test_plan_races import at_once

    helper_id = make_user("clerk-b", Role.OUTLET)
    with app.app_context():
        outlet = db.session.get(Outlet, drawn["outlets"][0])
        pickups.set_staff(outlet, [drawn["clerk"], helper_id])
        db.session.commit()
        first = db.session.scalar(sa.select(Booking.id).where(Booking.name == "市民1"))
        second = db.session.scalar(sa.select(Booking.id).where(Booking.name == "市民2"))

    def confirm(booking_id: int, user_id: int, at=None):
        def act():
            booking = db.session.get(Booking, booking_id)
            clerk = db.session.get(User, user_id)
            pickups.confirm_pickup(booking, clerk, booking.pickup_code, at=at)

        return act

    outcomes = at_once(app, confirm(first, drawn["clerk"]), confirm(first, helper_id))
    assert sorted(outcomes) == ["done", "refused"], outcomes
    assert sum(e.quantity for e in _sales(app, drawn["round_id"])) == PIECES

    with app.app_context():  # yesterday's round now: it may be closed while a pickup comes in
        found = db.session.get(BookingRound, drawn["round_id"])
        found.pickup_on = local_today() - timedelta(days=1)
        db.session.commit()
        noon = local_midnight(found.pickup_on) + timedelta(hours=12)

    def close():
        pickups.close_round(db.session.get(BookingRound, drawn["round_id"]), drawn["alloc"])

    outcomes = at_once(app, confirm(second, drawn["clerk"], noon), close)
    assert "done" in outcomes, outcomes
    with app.app_context():
        status = db.session.get(Booking, second).status
        sold = sum(e.quantity for e in _sales(app, drawn["round_id"]))
        counts = reports.reconciliation(db.session.get(BookingRound, drawn["round_id"]))
        assert (status, sold) in {
            (BookingStatus.PICKED_UP, 2 * PIECES),
            (BookingStatus.NO_SHOW, PIECES),
        }
        assert counts.ledger_sold + counts.ledger_returned == counts.total.pieces
        assert verify().ok


def test_a_booking_is_confirmed_only_with_its_code(app, client, drawn):
    """A clerk cannot walk through bookings by their number: without the citizen's code nothing
    is shown and nothing is sold."""
    _sign_in(client, "clerk")
    client.post("/language", data={"lang": "en"})
    token = _token(client.get("/pickup").get_data(as_text=True))
    with app.app_context():
        ids = list(
            db.session.scalars(sa.select(Booking.id).where(Booking.round_id == drawn["round_id"]))
        )
    for booking_id in ids:
        for code in ("", "00000000"):
            response = client.post(
                f"/pickup/{booking_id}", data={"csrf_token": token, "code": code}
            )
            page = response.get_data(as_text=True)
            assert response.status_code == 200 and "is not the booking" in page
            assert "市民" not in page and "138****" not in page
    assert _sales(app, drawn["round_id"]) == []
    with app.app_context():
        booking = db.session.get(Booking, ids[0])
        with pytest.raises(ServiceError, match="不是"):
            pickups.confirm_pickup(booking, db.session.get(User, drawn["clerk"]), "12345678")


def test_a_lot_put_on_hold_after_issue_is_not_sold_and_its_returns_stay_held(app, drawn):
    """A recall while pharmacies sell: the lot is held (and its held pieces then rejected, so
    that nothing is left in "on hold"): the outlets sell none of it, and what comes back when
    the round closes is held."""
    with app.app_context():
        found = db.session.get(BookingRound, drawn["round_id"])
        clerk = db.session.get(User, drawn["clerk"])
        lot_id = pickups.unit_stock(drawn["chain"], found.grade_id, now_utc())[0][0]
        assert ledger.balance(lot_id, Bucket.AVAILABLE) > 0  # the hospital's share, still here
        ledger.hold(lot_id, None, "质量存疑，召回核查")
        ledger.reject(lot_id, None, "检验不合格", from_bucket=Bucket.ON_HOLD)
        db.session.commit()
        assert ledger.balance(lot_id, Bucket.ON_HOLD) == 0
        assert ledger.held_lots([lot_id]) == {lot_id}
        booking = db.session.scalar(sa.select(Booking).where(Booking.name == "市民1"))
        with pytest.raises(ServiceError, match="可售数量不足"):
            pickups.confirm_pickup(booking, clerk, booking.pickup_code)
        db.session.rollback()
        chain = drawn["chain"]
        sale = ledger.Move(
            EntryKind.SALE, lot_id, 5, Bucket.ISSUED, Bucket.SOLD, recipient_id=chain
        )
        with pytest.raises(ServiceError, match="冻结"):
            ledger.post_many([sale], None)
        db.session.rollback()
        back = ledger.Move(
            EntryKind.RETURN, lot_id, 5, Bucket.ISSUED, Bucket.AVAILABLE, recipient_id=chain
        )
        with pytest.raises(ValueError):
            ledger.post_many([back], None)
        db.session.rollback()
        found.pickup_on = local_today() - timedelta(days=1)
        db.session.commit()
        pickups.close_round(found, drawn["alloc"])
        db.session.commit()
        returns = db.session.scalars(
            sa.select(LedgerEntry).where(LedgerEntry.kind == EntryKind.RETURN)
        ).all()
        assert returns and {e.to_bucket for e in returns} == {Bucket.ON_HOLD}


def test_a_lifted_hold_lets_the_lot_be_sold_again(app, drawn):
    with app.app_context():
        found = db.session.get(BookingRound, drawn["round_id"])
        lot_id = pickups.unit_stock(drawn["chain"], found.grade_id, now_utc())[0][0]
        ledger.hold(lot_id, None, "核查")
        db.session.commit()
        assert pickups.unit_stock(drawn["chain"], found.grade_id, now_utc()) == []
        ledger.unhold(lot_id, None, "核查无问题")
        db.session.commit()
        assert ledger.held_lots([lot_id]) == set()
        booking = db.session.scalar(sa.select(Booking).where(Booking.name == "市民1"))
        pickups.confirm_pickup(booking, db.session.get(User, drawn["clerk"]), booking.pickup_code)
        db.session.commit()
    assert sum(e.quantity for e in _sales(app, drawn["round_id"])) == PIECES


def test_sales_and_returns_are_not_reversed_one_by_one(app, client, drawn, signed_in):
    with app.app_context():
        booking = db.session.scalar(sa.select(Booking).where(Booking.name == "市民1"))
        pickups.confirm_pickup(booking, db.session.get(User, drawn["clerk"]), booking.pickup_code)
        db.session.commit()
        sale = _sales(app, drawn["round_id"])[0]
        with pytest.raises(ServiceError, match="不能冲销|cannot be reversed"):
            ledger.reverse(sale.seq, None, "误操作")
        db.session.rollback()
        original = db.session.get(LedgerEntry, sale.seq)
        with pytest.raises(ServiceError, match="不能冲销|cannot be reversed"):  # the writer too
            ledger.post(
                EntryKind.REVERSAL, sale.lot_id, -sale.quantity, Bucket.ISSUED, Bucket.SOLD,
                None, "误操作", recipient=sale.recipient_id, reverses=original,
            )  # fmt: skip
        db.session.rollback()
    assert len(_sales(app, drawn["round_id"])) == 1


@pytest.mark.parametrize(
    "query",
    [
        "end=9999-12-31",
        "end=0001-01-05",
        "start=0001-01-01&end=0001-01-02",
        "start=9999-12-31&end=9999-12-31",
        "start=2030-01-10&end=2030-01-01",
        "start=not-a-date",
    ],
)
def test_the_report_answers_any_period_typed(app, client, drawn, query):
    client.post("/login", data={"username": "alloc", "password": PASSWORD})
    response = client.get(f"/booking-report?{query}")
    assert response.status_code == 200
