"""Citizens' rationing: outlets, a booking round on an issued plan's retail allocation, the
public booking page, the lottery, the result with its pickup code."""

import re
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from accounts.models import Role
from allocation import plans
from allocation.models import Plan, Round
from catalog import services as catalog
from catalog.models import MASK_GRADES, Grade
from extensions import db
from rationing import idcard, lottery, services
from rationing.models import Booking, BookingRound, BookingStatus, Outlet

NOW = datetime.now(UTC)


def citizen(n: int, born: str = "19800101") -> str:
    """A valid identity card number (Shaoguan, 440203), different for each n."""
    first17 = f"440203{born}{n:03d}"
    return first17 + idcard.check_character(first17)


@pytest.fixture
def city(app, make_user, make_lot, make_recipient, make_round):
    """A plan issued to a hospital and two pharmacy chains; the chains' outlets and slots."""
    alloc = make_user("alloc", Role.ALLOCATOR)
    appr = make_user("appr", Role.APPROVER)
    make_lot("surgical", 3000, lot_number="LOT-SG-001", pieces_per_box=50)
    make_lot("daily_protective", 2000, lot_number="LOT-RC-001", pieces_per_box=50)
    make_lot("disposable_medical", 2000, lot_number="LOT-YC-001", pieces_per_box=50)
    hospital = make_recipient("韶关市第一人民医院", "hospital")
    chain = make_recipient("大参林医药集团韶关公司", "pharmacy", district="浈江区")
    other = make_recipient("老百姓大药房韶关公司", "pharmacy", district="武江区")
    round_id = make_round(
        [
            (hospital, "surgical", 1000),
            (chain, "surgical", 1000),
            (other, "surgical", 500),
            (chain, "daily_protective", 1000),
            (chain, "disposable_medical", 1000),
        ]
    )
    with app.app_context():
        plan = plans.create_plan(db.session.get(Round, round_id), alloc)
        plans.submit(plan, alloc)
        plans.approve(plan, appr)
        plans.issue(plan, alloc)
        first = services.create_outlet(chain, "大参林风采路店", "风采路 18 号", "浈江区")
        services.add_slot(first, time(9), time(10), 40)
        services.add_slot(first, time(10), time(11), 60)
        second = services.create_outlet(chain, "大参林解放路店", "解放路 5 号", "浈江区")
        services.add_slot(second, time(9), time(12), 100)
        third = services.create_outlet(other, "老百姓大药房工业路店", "工业路 2 号", "武江区")
        services.add_slot(third, time(14), time(16), 50)
        db.session.commit()
        surgical = db.session.scalar(sa.select(Grade).where(Grade.code == "surgical"))
        grades = {g.code: g.id for g in db.session.scalars(sa.select(Grade))}
        return {
            "plan_id": plan.id,
            "grade_id": surgical.id,
            "grades": grades,
            "alloc": alloc,
            "outlets": [first.id, second.id, third.id],
            "issued": services.retail_issued(plan, surgical),
            "chain": chain,
            "other": other,
        }


def _open(app, city, **changes) -> int:
    values = {
        "name": "2 月 8 日口罩预约",
        "pieces_per_person": 5,
        "price_per_piece": Decimal("1.80"),
        "opens_at": NOW - timedelta(hours=1),
        "closes_at": NOW + timedelta(hours=1),
        "pickup_on": (NOW + timedelta(days=2)).date(),
        "quota_days": 7,
    } | changes
    grade_id = values.pop("grade_id", city["grade_id"])
    with app.app_context():
        found = services.open_round(
            db.session.get(Plan, city["plan_id"]), grade_id, actor=city["alloc"], **values
        )
        db.session.commit()
        return found.id


def test_a_round_shares_each_chains_pieces_among_its_outlets_by_their_capacity(app, city):
    round_id = _open(app, city)
    with app.app_context():
        found = db.session.get(BookingRound, round_id)
        shares = {s.outlet_id: s for s in found.outlets}
        first, second, third = city["outlets"]
        chain_people = city["issued"][city["chain"]] // 5
        # Capacities 100 and 100: the chain's people (pieces ÷ 5) split in half.
        assert shares[first].places + shares[second].places == min(chain_people, 200)
        assert abs(shares[first].places - shares[second].places) <= 1
        assert shares[third].places == min(city["issued"][city["other"]] // 5, 50)
        assert all(s.pieces == s.places * 5 for s in shares.values())
        # The seed is kept back; its SHA-256 is what the round publishes.
        assert found.seed_sha256 == __import__("hashlib").sha256(found.seed.encode()).hexdigest()


def test_only_an_issued_plans_retail_stock_of_the_grade_is_booked(
    app, city, make_round, make_recipient
):
    shop = make_recipient("益丰大药房韶关店", "pharmacy")
    draft_round = make_round([(shop, "surgical", 100)])
    window = (NOW, NOW + timedelta(hours=1), (NOW + timedelta(days=2)).date(), 7, None)
    with app.app_context():
        draft = plans.create_plan(db.session.get(Round, draft_round), None)
        with pytest.raises(services.ServiceError) as caught:
            services.open_round(draft, city["grade_id"], "草稿", 5, Decimal("1"), *window)
        assert caught.value.field == "plan_id"
        issued = db.session.get(Plan, city["plan_id"])
        code, standard, zh, en = next(g for g in MASK_GRADES if g[0] == "kn95")
        kn95 = catalog.find_grade(code) or catalog.create_grade(code, standard, zh, en)
        with pytest.raises(services.ServiceError) as caught:
            services.open_round(issued, kn95.id, "无货", 5, Decimal("1"), *window)
        assert caught.value.field == "grade_id"
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count(BookingRound.id))) == 0


def test_a_plans_retail_pieces_of_a_grade_are_booked_once(app, city):
    _open(app, city)
    with pytest.raises(services.ServiceError) as caught:
        _open(app, city, name="再来一轮")
    assert caught.value.field == "grade_id"


def _book(client, round_id: int, n: int, place: str, **fields):
    page = client.get(f"/book/{round_id}")
    assert page.status_code == 200
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))
    form = {
        "csrf_token": token.group(1) if token else "",
        "place": place,
        "name": f"市民{n}",
        "id_number": citizen(n),
        "phone": f"1380751{n:04d}",
        "consent": "y",
    } | fields
    return client.post(f"/book/{round_id}", data=form)


def test_a_citizen_books_without_signing_in_and_only_a_hash_of_the_number_is_kept(
    app, client, city
):
    round_id = _open(app, city)
    first = city["outlets"][0]
    with app.app_context():
        slot = db.session.get(Outlet, first).slots[0].id
    response = _book(client, round_id, 1, f"{first}-{slot}")
    assert response.status_code == 302 and "/booked/" in response.location
    confirmation = client.get(response.location).get_data(as_text=True)
    assert "大参林风采路店" in confirmation and "138****0001" in confirmation
    with app.app_context():
        booking = db.session.scalar(sa.select(Booking))
        assert booking.reference in confirmation
        assert booking.id_hash == idcard.keyed_hash(citizen(1), app.config["ID_HASH_KEY"].encode())
        stored = " ".join(
            str(v)
            for row in db.session.execute(sa.text("SELECT * FROM rationing_bookings"))
            for v in row
        )
        assert citizen(1) not in stored and citizen(1)[-6:] not in stored


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"id_number": "44020319800101001"}, "18"),
        (
            {"id_number": citizen(2)[:-1] + ("0" if citizen(2)[-1] != "0" else "1")},
            "digit by digit",
        ),
        ({"id_number": "440203" + "19800231" + "0011"}, "birth date"),
        ({"phone": "0751-8888001"}, "11-digit"),
        ({"consent": ""}, "agree"),
        ({"place": "999-999"}, "Not a valid choice"),
    ],
)
def test_bad_input_is_named_on_its_field_and_nothing_is_written(app, client, city, fields, message):
    round_id = _open(app, city)
    first = city["outlets"][0]
    with app.app_context():
        slot = db.session.get(Outlet, first).slots[0].id
    client.post("/language", data={"lang": "en"})
    fields = dict(fields)
    response = _book(client, round_id, 2, fields.pop("place", f"{first}-{slot}"), **fields)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and message in page and "Traceback" not in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Booking.id))) == 0


def test_the_same_number_books_once_per_round_and_once_per_period(app, client, city):
    first_round = _open(app, city)
    later = _open(
        app,
        city,
        name="2 月 11 日口罩预约",
        grade_id=city["grades"]["daily_protective"],
        pickup_on=(NOW + timedelta(days=5)).date(),  # 3 days after the first: within 7
    )
    far = _open(
        app,
        city,
        name="2 月 20 日口罩预约",
        grade_id=city["grades"]["disposable_medical"],
        pickup_on=(NOW + timedelta(days=14)).date(),
    )
    first = city["outlets"][0]
    with app.app_context():
        slot = db.session.get(Outlet, first).slots[0].id
    place = f"{first}-{slot}"
    assert _book(client, first_round, 3, place).status_code == 302
    again = _book(client, first_round, 3, place, name="另一个名字", phone="13900000003")
    assert "该身份证号码已在本轮预约" in again.get_data(as_text=True)
    near = _book(client, later, 3, place).get_data(as_text=True)
    assert "天内的另一轮预约" in near and "2 月 8 日" not in near  # says why, names no round
    assert _book(client, far, 3, place).status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Booking.id))) == 2


def test_booking_is_refused_outside_its_window(app, client, city):
    round_id = _open(
        app, city, opens_at=NOW + timedelta(hours=1), closes_at=NOW + timedelta(hours=2)
    )
    first = city["outlets"][0]
    with app.app_context():
        slot = db.session.get(Outlet, first).slots[0].id
    response = _book(client, round_id, 4, f"{first}-{slot}")
    assert response.status_code == 200  # the page again, no booking
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Booking.id))) == 0


def test_too_many_attempts_from_one_number_are_refused(app, client, city):
    app.config["BOOKING_LIMIT_PER_PERSON"] = "3 per hour"
    round_id = _open(app, city)
    first = city["outlets"][0]
    with app.app_context():
        slot = db.session.get(Outlet, first).slots[0].id
    statuses = [
        _book(client, round_id, 5, f"{first}-{slot}", phone="bad").status_code for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    # Another person from the same address is not held up by it.
    assert _book(client, round_id, 6, f"{first}-{slot}").status_code == 302


def test_too_many_attempts_from_one_address_are_refused(app, client, city):
    app.config["BOOKING_LIMIT_PER_ADDRESS"] = "4 per 10 minutes"
    round_id = _open(app, city)
    first = city["outlets"][0]
    with app.app_context():
        slot = db.session.get(Outlet, first).slots[0].id
    statuses = [_book(client, round_id, 10 + n, f"{first}-{slot}").status_code for n in range(5)]
    assert statuses == [302, 302, 302, 302, 429]


def _draw(app, city, round_id):
    with app.app_context():
        found = db.session.get(BookingRound, round_id)
        found.closes_at = NOW - timedelta(minutes=1)  # the window has passed
        result = services.draw(found, city["alloc"])
        db.session.commit()
        return result


def test_an_oversubscribed_round_is_drawn_fairly_and_never_over_booked(app, client, city):
    round_id = _open(app, city, pieces_per_person=50)  # few places: the chain's outlets fill
    first, second, third = city["outlets"]
    with app.app_context():
        found = db.session.get(BookingRound, round_id)
        places = {s.outlet_id: s.places for s in found.outlets}
        slots = {o: [s.id for s in db.session.get(Outlet, o).slots] for o in city["outlets"]}
        for n in range(60):  # everyone wants the first outlet at 9:00; half would move
            services.book(
                found,
                first,
                slots[first][0],
                f"市民{n}",
                citizen(100 + n),
                f"1390751{n:04d}",
                n % 2 == 0,
                app.config["ID_HASH_KEY"],
            )
        db.session.commit()
    summary = _draw(app, city, round_id)
    with app.app_context():
        bookings = db.session.scalars(sa.select(Booking)).all()
        won = [b for b in bookings if b.status is BookingStatus.WON]
        at = {o: sum(1 for b in won if b.won_outlet_id == o) for o in city["outlets"]}
        moved = [b for b in won if b.won_outlet_id != b.outlet_id or b.won_slot_id != b.slot_id]
        assert summary == {"entries": 60, "won": len(won), "moved": len(moved)}
        assert all(at[o] <= places[o] for o in at)
        assert at[first] == min(places[first], 60)
        assert at[third] == 0  # another district: never offered
        assert moved and all(b.flexible for b in moved)
        assert len({b.pickup_code for b in won}) == len(won)
        assert all(re.fullmatch(r"\d{8}", b.pickup_code) for b in won)
        assert all(b.pickup_code is None for b in bookings if b.status is BookingStatus.LOST)
        with pytest.raises(services.ServiceError):
            services.draw(db.session.get(BookingRound, round_id), None)


def test_a_drawn_citizen_sees_the_pickup_code_as_digits_and_qr(app, client, city):
    round_id = _open(app, city)
    first = city["outlets"][0]
    with app.app_context():
        slot = db.session.get(Outlet, first).slots[0].id
    assert _book(client, round_id, 7, f"{first}-{slot}").status_code == 302
    _draw(app, city, round_id)
    page = client.get(f"/book/{round_id}/result").get_data(as_text=True)
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    token = found.group(1) if found else ""
    shown = client.post(
        f"/book/{round_id}/result",
        data={"csrf_token": token, "id_number": citizen(7).lower(), "phone": "138 0751 0007"},
    ).get_data(as_text=True)
    with app.app_context():
        booking = db.session.scalar(sa.select(Booking))
        code = booking.pickup_code
    assert f"{code[:4]} {code[4:]}" in shown and "<svg" in shown
    wrong = client.post(
        f"/book/{round_id}/result",
        data={"csrf_token": token, "id_number": citizen(8), "phone": "13807510007"},
    ).get_data(as_text=True)
    assert code not in wrong
    published = client.get(f"/book/{round_id}/draw").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(BookingRound, round_id).seed in published


def test_the_allocator_adds_outlets_slots_and_rounds_in_pages(app, client, city, auth):
    auth.login("alloc")
    page = client.get("/outlets")
    assert page.status_code == 200 and "大参林风采路店" in page.get_data(as_text=True)
    overlap = client.post(
        f"/outlets/{city['outlets'][0]}",
        data={"starts": "09:30", "ends": "10:30", "capacity": "10"},
    ).get_data(as_text=True)
    assert "09:00–10:00" in overlap  # names the slot it overlaps
    response = client.post(
        "/booking-rounds/new",
        data={
            "plan_id": city["plan_id"],
            "grade_id": city["grade_id"],
            "name": "2 月 9 日口罩预约",
            "pieces_per_person": "5",
            "price_per_piece": "1.80",
            "opens_at": "2026-02-07T08:00",
            "closes_at": "2026-02-08T20:00",
            "pickup_on": "2026-02-09",
            "quota_days": "7",
        },
    )
    assert response.status_code == 302
    round_page = client.get(response.location).get_data(as_text=True)
    assert "大参林解放路店" in round_page and "SHA-256" in round_page


def test_a_city_of_outlets_is_chosen_district_first(app, client, city, monkeypatch):
    from rationing import views

    monkeypatch.setattr(views, "PLACES_ON_ONE_PAGE", 2)
    round_id = _open(app, city)
    page = client.get(f"/book/{round_id}").get_data(as_text=True)
    assert "district=" in page and 'name="place"' not in page  # districts first
    zhenjiang = client.get(f"/book/{round_id}?district=浈江区").get_data(as_text=True)
    assert "大参林风采路店" in zhenjiang and "老百姓大药房工业路店" not in zhenjiang
    third = city["outlets"][2]  # 武江区
    with app.app_context():
        slot = db.session.get(Outlet, third).slots[0].id
    response = client.post(
        f"/book/{round_id}?district=浈江区",
        data={
            "place": f"{third}-{slot}",
            "name": "市民",
            "id_number": citizen(30),
            "phone": "13807510030",
            "consent": "y",
        },
    )
    assert response.status_code == 200  # not one of this district's choices
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Booking.id))) == 0


@pytest.mark.postgres
def test_one_person_booking_twice_at_the_same_instant_books_once(app, city):
    """Two phones, one identity card number, the same moment (PostgreSQL, a thread each,
    released together): one booking, the other told; and across two rounds within the quota
    period, the same."""
    from tests.test_plan_races import at_once

    first_round = _open(app, city)
    second_round = _open(
        app,
        city,
        name="2 月 9 日口罩预约",
        grade_id=city["grades"]["daily_protective"],
        pickup_on=(NOW + timedelta(days=3)).date(),
    )
    first = city["outlets"][0]
    with app.app_context():
        slot = db.session.get(Outlet, first).slots[0].id
    key = app.config["ID_HASH_KEY"]

    def booking(round_id: int, n: int):
        def act():
            found = db.session.get(BookingRound, round_id)
            services.book(found, first, slot, "市民", citizen(n), "13807510040", False, key)

        return act

    for n, rounds in ((40, (first_round, first_round)), (41, (first_round, second_round))):
        outcomes = at_once(app, booking(rounds[0], n), booking(rounds[1], n))
        assert sorted(outcomes) == ["done", "refused"], outcomes
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Booking.id))) == 2


def _slot(app, outlet_id: int) -> int:
    with app.app_context():
        return db.session.get(Outlet, outlet_id).slots[0].id


def test_whatever_is_typed_as_a_number_gets_an_answer_not_an_error(app, client, city):
    round_id = _open(app, city)
    first = city["outlets"][0]
    place = f"{first}-{_slot(app, first)}"
    for typed in ("张三", "é", "11010519491231002×" + "9"):
        response = _book(client, round_id, 50, place, id_number=typed)
        assert response.status_code == 200
        assert "身份证号码" in response.get_data(as_text=True)
    # The multiplication sign people type for X is taken as X; full-width phone digits too.
    n = next(n for n in range(51, 200) if citizen(n).endswith("X"))
    typed = citizen(n)[:-1] + "×"
    response = _book(client, round_id, n, place, id_number=typed, phone="１３８０７５１００５１")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(Booking.phone)) == "13807510051"


def test_pages_with_what_a_citizen_typed_are_not_kept_by_the_browser(app, client, city):
    round_id = _open(app, city)
    for path in (f"/book/{round_id}", f"/book/{round_id}/result"):
        assert client.get(path).headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get(f"/book/{round_id}/draw").headers.get("Cache-Control", "")


def test_an_x_typed_as_a_multiplication_sign_is_an_x():
    assert idcard.normalise("11010519491231002×") == "11010519491231002X"


def test_a_stale_round_is_never_drawn_twice_or_booked_after_its_draw(app, city):
    round_id = _open(app, city)
    first = city["outlets"][0]
    slot = _slot(app, first)
    key = app.config["ID_HASH_KEY"]
    with app.app_context():
        stale = db.session.get(BookingRound, round_id)
        assert stale.status.value == "open"
        # Another request draws it meanwhile (its own connection and transaction).
        with db.engine.begin() as other:
            other.execute(
                sa.text("UPDATE rationing_rounds SET status = 'drawn' WHERE id = :id"),
                {"id": round_id},
            )
        with pytest.raises(services.ServiceError):
            services.book(stale, first, slot, "市民", citizen(60), "13807510060", False, key)
        db.session.rollback()
        stale = db.session.get(BookingRound, round_id)
        with db.engine.begin() as other:
            other.execute(
                sa.text("UPDATE rationing_rounds SET status = 'open' WHERE id = :id"),
                {"id": round_id},
            )
        db.session.commit()
        stale = db.session.get(BookingRound, round_id)
        stale.closes_at = NOW - timedelta(minutes=1)
        db.session.commit()
        stale = db.session.get(BookingRound, round_id)
        assert stale.status.value == "open"
        with db.engine.begin() as other:
            other.execute(
                sa.text("UPDATE rationing_rounds SET status = 'drawn' WHERE id = :id"),
                {"id": round_id},
            )
        with pytest.raises(services.ServiceError):
            services.draw(stale, None)  # the copy says open; the database says drawn
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count(Booking.id))) == 0


def test_a_reversed_plans_round_takes_no_booking_and_is_not_drawn(app, city):
    round_id = _open(app, city)
    first = city["outlets"][0]
    slot = _slot(app, first)
    key = app.config["ID_HASH_KEY"]
    with app.app_context():
        found = db.session.get(BookingRound, round_id)
        services.book(found, first, slot, "市民", citizen(70), "13807510070", False, key)
        plans.reverse(db.session.get(Plan, city["plan_id"]), city["alloc"], "批次召回，整单冲销")
        db.session.commit()
        with pytest.raises(services.ServiceError):
            services.book(found, first, slot, "市民", citizen(71), "13807510071", False, key)
        db.session.rollback()
        found = db.session.get(BookingRound, round_id)
        found.closes_at = NOW - timedelta(minutes=1)
        db.session.commit()
        with pytest.raises(services.ServiceError):
            services.draw(db.session.get(BookingRound, round_id), None)


def test_people_not_pieces_are_shared_among_a_units_outlets():
    # 12 pieces at 5 a person serve 2 people, whichever outlets: splitting the pieces first
    # (4, 4, 4) would serve nobody.
    assert sum(services.split(12 // 5, {1: 10, 2: 10, 3: 10}).values()) == 2


def test_someone_who_knows_a_persons_number_cannot_lock_them_out(app, client, city):
    app.config["BOOKING_LIMIT_PER_PERSON"] = "3 per hour"
    round_id = _open(app, city)
    first = city["outlets"][0]
    place = f"{first}-{_slot(app, first)}"
    for n in range(4):  # junk with the victim's number, other phones, other addresses
        client.post(
            f"/book/{round_id}",
            data={"id_number": citizen(80), "phone": f"1390000000{n}"},
            environ_base={"REMOTE_ADDR": f"10.0.0.{n + 1}"},
        )
    assert _book(client, round_id, 80, place).status_code == 302


def test_the_quota_holds_whichever_round_is_booked_first(app, client, city):
    near = _open(app, city, quota_days=14, pickup_on=(NOW + timedelta(days=2)).date())
    far = _open(
        app,
        city,
        name="一周后的预约",
        grade_id=city["grades"]["daily_protective"],
        quota_days=1,
        pickup_on=(NOW + timedelta(days=9)).date(),
    )
    first = city["outlets"][0]
    place = f"{first}-{_slot(app, first)}"
    assert _book(client, far, 90, place).status_code == 302
    assert _book(client, near, 90, place).status_code == 200  # the longer period counts
    assert _book(client, near, 91, place).status_code == 302
    assert _book(client, far, 91, place).status_code == 200


def test_a_pickup_day_is_after_the_bookings_close(app, city):
    with pytest.raises(services.ServiceError) as caught:
        _open(app, city, closes_at=NOW + timedelta(hours=1), pickup_on=NOW.date())
    assert caught.value.field == "pickup_on"


def test_a_price_that_is_not_a_number_is_a_field_error(app, client, city, auth):
    auth.login("alloc")
    page = client.post(
        "/booking-rounds/new",
        data={
            "plan_id": city["plan_id"],
            "grade_id": city["grade_id"],
            "name": "价格测试",
            "pieces_per_person": "5",
            "price_per_piece": "sNaN",
            "opens_at": "2026-02-07T08:00",
            "closes_at": "2026-02-08T20:00",
            "pickup_on": "2026-02-09",
            "quota_days": "7",
        },
    )
    assert page.status_code == 200 and "1.80" in page.get_data(as_text=True)


def test_the_published_entries_and_seed_redo_the_draw(app, client, city):
    round_id = _open(app, city, pieces_per_person=200)  # few places: some are not drawn
    first, second, _third = city["outlets"]
    key = app.config["ID_HASH_KEY"]
    with app.app_context():
        found = db.session.get(BookingRound, round_id)
        slots = {o: [s.id for s in db.session.get(Outlet, o).slots] for o in (first, second)}
        for n in range(30):
            outlet = first if n % 3 else second
            services.book(
                found, outlet, slots[outlet][n % len(slots[outlet])], "市民", citizen(200 + n),
                f"1370751{n:04d}", n % 2 == 0, key,
            )  # fmt: skip
        db.session.commit()
    assert client.get(f"/book/{round_id}/draw.csv").status_code == 404  # not before the draw
    open_page = client.get(f"/book/{round_id}/draw").get_data(as_text=True)
    assert "table compact" not in open_page  # no live counts while booking is open
    _draw(app, city, round_id)
    published = client.get(f"/book/{round_id}/draw").get_data(as_text=True)
    seed = re.search(r'data-testid="seed">([0-9a-f]{64})<', published).group(1)
    lines = client.get(f"/book/{round_id}/draw.csv").get_data(as_text=True).splitlines()
    rows = [line.split(",") for line in lines[1:]]
    assert len(rows) == 30 and all(citizen(200) not in line for line in lines)
    with app.app_context():
        found = db.session.get(BookingRound, round_id)
        outlets = [
            lottery.Outlet(
                s.outlet_id, s.outlet.district, s.places,
                tuple((slot.id, slot.capacity) for slot in s.outlet.slots),
            )
            for s in found.outlets
        ]  # fmt: skip
    redone = lottery.draw(
        seed,
        [lottery.Entry(r[0], int(r[1]), int(r[2]), r[3] == "1") for r in rows],
        outlets,
    )
    for reference, _o, _s, _f, ticket, won_outlet, won_slot in rows:
        assert ticket == lottery.ticket(seed, reference)
        won = redone[reference]
        assert (str(won.outlet), str(won.slot)) == (won_outlet, won_slot) if won else not won_outlet
