"""Citizens booking at once (issue 16): 20,000 citizens book masks within 10 minutes through
gunicorn on loopback, each from an address of their own (a reverse proxy's X-Forwarded-For),
each loading the booking page and posting the form; then the lottery is drawn and checked; then
the pickup day: a clerk at every outlet confirms the drawn citizens' pickups, many counters at
once (each a sale in the ledger), and the round is closed (no-shows, unsold pieces returned).

    .venv/bin/python bench/booking.py                          # 20,000 in 10 minutes, SQLite
    .venv/bin/python bench/booking.py --citizens 2000 --minutes 1
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench \\
        .venv/bin/python bench/booking.py --reset              # PostgreSQL (wipes that database)

The city: 220 chain pharmacies (as Shaoguan sold through in 2020), each one outlet with three
opening slots, supplied by an issued plan; the round sells 5 masks a person, fewer places than
citizens, so the draw has to choose. Arrivals are spread evenly over the window (an open loop:
a slow server does not slow the arrivals down). Printed: requests per second, p50/p95/max of
the page and of the booking, refusals by status, and the draw's checks (no outlet or slot over
its places, one booking per person, every accepted booking in the draw). Target (issue 16):
p95 < 300 ms. Pickups (`--counters` at once, 9 in 10 of those drawn come): pickups per second,
p50/p95/max of a confirmation, and the checks: pieces sold = pickups × 5 in the ledger, every
code used once, the close returns exactly what was not sold, the ledger's chain verifies.
Nothing here passes or fails.
"""

import argparse
import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from pathlib import Path
from statistics import median, quantiles

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

import sqlalchemy as sa  # noqa: E402

PHARMACIES = 220
DISTRICTS = ("浈江区", "武江区", "曲江区", "乐昌市", "南雄市", "仁化县", "始兴县", "翁源县")


def _app(url: str, instance: str):
    from app import create_app

    return create_app(
        {
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": url,
            "HTTPS": False,
            # A connection for every counter of the pickup phase (each a thread of this process).
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "pool_size": 40},
        },
        instance_path=instance,
    )


def _prepare(url: str, reset: bool) -> None:
    if not url.startswith("postgresql"):
        return
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        if sa.inspect(connection).get_table_names() and not reset:
            raise SystemExit(f"{url} is not empty; pass --reset to wipe it for the benchmark")
        connection.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def build(citizens: int, minutes: float) -> int:
    """The pharmacies, an issued plan and an open booking round; returns the round's id."""
    from allocation import plans
    from allocation import services as allocation
    from catalog import services as catalog
    from catalog.models import MASK_GRADES
    from extensions import db
    from ledger import services as ledger
    from rationing import services
    from recipients.models import Recipient

    known = {code: rest for code, *rest in MASK_GRADES}
    grade = catalog.find_grade("surgical") or catalog.create_grade("surgical", *known["surgical"])
    units = []
    for n in range(PHARMACIES):
        unit = Recipient(
            name=f"平价药房{n:03d}号店",
            category="pharmacy",
            district=DISTRICTS[n % len(DISTRICTS)],
            headcount_or_beds=10,
        )
        db.session.add(unit)
        units.append(unit)
    db.session.flush()
    # Places for about 60 % of the citizens (5 masks each), in whole boxes of 10 per pharmacy.
    each = max(10, citizens * 5 * 6 // 10 // PHARMACIES // 10 * 10)
    wanted = each * PHARMACIES
    product = catalog.product_for(grade, "稳健医疗用品股份有限公司", "平面耳挂式 10 只装", 10)
    lot = catalog.create_lot(product, "BOOK-BENCH-001", wanted, "domestic_medical")
    ledger.receive(lot, None)
    ledger.release(lot, None)
    found = allocation.create_round("市民预约基准", date(2026, 2, 10), None)
    allocation.add_requests(
        found, [allocation.RequestInput(u.id, grade.id, each) for u in units], None
    )
    plan = plans.create_plan(found, None)
    plans.submit(plan, None)
    plans.approve(plan, None)
    plans.issue(plan, None)
    people = max(30, -(-citizens // PHARMACIES))  # room in the slots for all who book
    for unit in units:
        outlet = services.create_outlet(unit.id, unit.name, "", "")
        for starts, ends in ((clock(9), clock(11)), (clock(11), clock(13)), (clock(14), clock(17))):
            services.add_slot(outlet, starts, ends, people)
    now = datetime.now(UTC)
    booking_round = services.open_round(
        plan,
        grade.id,
        "市民预约基准轮",
        5,
        Decimal("1.80"),
        now - timedelta(minutes=1),
        now + timedelta(minutes=minutes + 30),
        (now + timedelta(days=2)).date(),
        7,
        None,
    )
    db.session.commit()
    return booking_round.id


def _id_number(n: int) -> str:
    from rationing.idcard import check_character

    born = date(1950, 1, 1) + timedelta(days=n * 7 % 20000)
    first17 = f"440203{born:%Y%m%d}{n % 1000:03d}"
    return first17 + check_character(first17)


def _get(base: str, path: str) -> str:
    return urllib.request.urlopen(base + path, timeout=60).read().decode()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load(url: str, instance: str, round_id: int, citizens: int, minutes: float, workers: int):
    port = _free_port()
    Path(instance, "config.py").write_text('PROXY_FIX = {"x_for": 1}\n')
    env = {**os.environ, "DATABASE_URL": url, "BAOGONG_HTTPS": "0"}
    env.pop("REDIS_URL", None)
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--workers", str(workers), "--timeout", "120", "--bind", f"127.0.0.1:{port}",
            "--backlog", "2048", f"app:create_app(instance_path={instance!r})",
        ],
        cwd=HERE.parent, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    page_times, post_times, statuses = [], [], Counter()
    lock = threading.Lock()
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/book", timeout=5).read()
                break
            except OSError:
                time.sleep(0.3)
        # A city of outlets is chosen district first: every district's page and its choices.
        index = _get(base, f"/book/{round_id}")
        districts = sorted(set(re.findall(r"district=([^\"&]+)\"", index)))
        places = [
            (district, place)
            for district in districts
            for place in re.findall(
                r'<option value="(\d+-\d+)"', _get(base, f"/book/{round_id}?district={district}")
            )
        ]
        assert places, "no outlet to choose on the booking page"

        def citizen(n: int) -> None:
            address = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
            jar = http.cookiejar.CookieJar()
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
            headers = {"X-Forwarded-For": address, "Accept-Language": "zh-CN"}
            began = time.perf_counter()
            district, place = places[(n * 7919) % len(places)]
            address_of_form = f"{base}/book/{round_id}?district={district}"
            request = urllib.request.Request(address_of_form, headers=headers)
            page = opener.open(request, timeout=60).read().decode()
            loaded = time.perf_counter()
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
            form = {
                "csrf_token": token,
                "place": place,
                "flexible": "y" if n % 3 else "",
                "name": f"市民{n}",
                "id_number": _id_number(n),
                "phone": f"139{n:08d}",
                "consent": "y",
            }
            request = urllib.request.Request(
                address_of_form,
                data=urllib.parse.urlencode(form).encode(),
                headers=headers,
            )

            class NoRedirect(urllib.request.HTTPRedirectHandler):
                def redirect_request(self, *args, **kwargs):
                    return None

            poster = urllib.request.build_opener(
                urllib.request.HTTPCookieProcessor(jar), NoRedirect
            )
            try:
                status = poster.open(request, timeout=60).status
            except urllib.error.HTTPError as error:
                status = error.code
            done = time.perf_counter()
            with lock:
                page_times.append(loaded - began)
                post_times.append(done - loaded)
                statuses[status] += 1

        gap = minutes * 60 / citizens
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=64) as pool:
            futures = []
            for n in range(citizens):
                wait = started + n * gap - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
                futures.append(pool.submit(citizen, n))
            for future in futures:
                future.result()
        wall = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(30)
    print(f"\n{citizens:,} citizens in {wall:.0f} s ({2 * citizens / wall:.1f} requests/s), "
          f"gunicorn {workers} workers")  # fmt: skip
    for label, values in (("booking page (GET)", page_times), ("booking (POST)", post_times)):
        values.sort()
        p95 = quantiles(values, n=20, method="inclusive")[-1]
        print(
            f"{label:20} p50 {median(values) * 1000:6.0f} ms  p95 {p95 * 1000:6.0f} ms  "
            f"max {values[-1] * 1000:6.0f} ms"
        )
    print("responses to the booking:", dict(sorted(statuses.items())))
    return statuses


def check_draw(round_id: int, accepted: int) -> None:
    from extensions import db
    from rationing import reports, services
    from rationing.models import Booking, BookingRound, BookingStatus, OutletSlot

    found = db.session.get(BookingRound, round_id)
    found.closes_at = datetime.now(UTC) - timedelta(seconds=1)
    started = time.perf_counter()
    summary = services.draw(found, None)
    db.session.commit()
    seconds = time.perf_counter() - started
    bookings = db.session.scalar(
        sa.select(sa.func.count(Booking.id)).where(Booking.round_id == round_id)
    )
    people = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(Booking.id_hash))).where(Booking.round_id == round_id)
    )
    lines = reports.reconciliation(found).lines
    over_outlet = sum(1 for c in lines if c.drawn > c.places)
    per_slot = db.session.execute(
        sa.select(OutletSlot.capacity, sa.func.count(Booking.id))
        .join(Booking, Booking.won_slot_id == OutletSlot.id)
        .where(Booking.round_id == round_id, Booking.status == BookingStatus.WON)
        .group_by(OutletSlot.id, OutletSlot.capacity)
    ).all()
    over_slot = sum(1 for capacity, won in per_slot if won > capacity)
    places = sum(c.places for c in lines)
    print(
        f"draw: {summary['entries']:,} bookings ({bookings:,} stored, {people:,} people, "
        f"{accepted:,} accepted), {summary['won']:,} drawn for {places:,} places, "
        f"{summary['moved']:,} moved, in {seconds:.2f} s; outlets over their places: "
        f"{over_outlet}, slots over their size: {over_slot}"
    )


def check_pickups(round_id: int, counters: int, app) -> None:
    """The pickup day: one clerk per outlet, `counters` confirmations at once."""
    from accounts import services as accounts
    from accounts.models import Role, User
    from core.clock import local_today
    from extensions import db
    from ledger.verify import verify
    from rationing import pickups, reports
    from rationing.models import Booking, BookingRound, BookingStatus, Outlet

    found = db.session.get(BookingRound, round_id)
    found.pickup_on = local_today()  # the bench's round is picked up today
    clerks = {}
    for outlet in db.session.scalars(sa.select(Outlet).order_by(Outlet.id)):
        name = f"clerk-{round_id}-{outlet.id}"  # a database kept from an earlier run has others
        clerk = accounts.create_user(name, f"店员{outlet.id}", "bench-password-1", [Role.OUTLET])
        pickups.set_staff(outlet, [clerk.id])
        clerks[outlet.id] = clerk.id
    db.session.commit()
    winners = db.session.execute(
        sa.select(Booking.id, Booking.won_outlet_id, Booking.pickup_code)
        .where(Booking.round_id == round_id, Booking.status == BookingStatus.WON)
        .order_by(Booking.id)
    ).all()
    coming = [w for n, w in enumerate(winners) if n % 10 != 9]  # one in ten does not come
    times, refused, lock = [], Counter(), threading.Lock()

    def serve(part: list) -> None:
        with app.app_context(), app.test_request_context():
            for booking_id, outlet_id, code in part:
                began = time.perf_counter()
                try:
                    pickups.confirm_pickup(
                        db.session.get(Booking, booking_id),
                        db.session.get(User, clerks[outlet_id]),
                        code,
                    )
                    db.session.commit()
                except Exception as error:  # noqa: BLE001 - counted and shown
                    db.session.rollback()
                    with lock:
                        refused[type(error).__name__] += 1
                    continue
                finally:
                    db.session.remove()
                with lock:
                    times.append(time.perf_counter() - began)

    started = time.perf_counter()
    threads = [threading.Thread(target=serve, args=(coming[i::counters],)) for i in range(counters)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if not times:
        print(f"pickups: none confirmed of {len(coming):,}; refused: {dict(refused)}")
        return
    times.sort()
    p95 = quantiles(times, n=20, method="inclusive")[-1] if len(times) > 1 else times[0]
    print(
        f"pickups: {len(times):,} confirmed of {len(coming):,} coming ({len(winners):,} drawn) "
        f"in {wall:.1f} s at {counters} counters at once ({len(times) / wall:.1f}/s); "
        f"p50 {median(times) * 1000:.0f} ms  p95 {p95 * 1000:.0f} ms  "
        f"max {times[-1] * 1000:.0f} ms; refused: {dict(refused) or 'none'}"
    )
    found = db.session.get(BookingRound, round_id)
    found.pickup_on = local_today() - timedelta(days=1)  # the day after: close it
    db.session.commit()
    started = time.perf_counter()
    closed = pickups.close_round(found, None)
    db.session.commit()
    seconds = time.perf_counter() - started
    counts = reports.reconciliation(db.session.get(BookingRound, round_id))
    picked, each = counts.total.picked_up, found.pieces_per_person
    print(
        f"close in {seconds:.2f} s: {closed['no_shows']:,} did not come, "
        f"{closed['returned']:,} pieces returned; ledger sold {counts.ledger_sold:,} "
        f"(= {picked:,} pickups × {each}: {counts.ledger_sold == picked * each}), "
        f"sold + returned = allocated: "
        f"{counts.ledger_sold + counts.ledger_returned == counts.total.pieces}; "
        f"chain verifies: {verify().ok}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--citizens", type=int, default=20_000)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--reset", action="store_true", help="wipe the PostgreSQL database first")
    parser.add_argument("--counters", type=int, default=16, help="pickups confirmed at once")
    args = parser.parse_args()
    from flask_migrate import upgrade

    from extensions import db

    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/booking.db"
        _prepare(url, args.reset)
        instance = os.path.join(tmp, "instance")
        app = _app(url, instance)
        with app.app_context():
            upgrade()
            with app.test_request_context():
                round_id = build(args.citizens, args.minutes)
            db.session.remove()
            db.engine.dispose()
        statuses = load(url, instance, round_id, args.citizens, args.minutes, args.workers)
        with app.app_context(), app.test_request_context():
            check_draw(round_id, statuses.get(302, 0))
            check_pickups(round_id, args.counters, app)
            db.engine.dispose()


if __name__ == "__main__":
    main()
