"""Page benchmark at province scale: 50,000 recipients, a round of their requests, a plan of
some 66,000 lines issued into the ledger (one lot goes to every recipient), then the size and
time of each list page.

    .venv/bin/python bench/pages.py                       # 50,000 recipients, temporary SQLite
    .venv/bin/python bench/pages.py --recipients 5000     # smaller
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench \\
        .venv/bin/python bench/pages.py --reset            # PostgreSQL (wipes that database)

Recipients and requests are bulk-inserted; the plan is computed, approved and issued through
the application's own services, so the pages read what a real plan leaves. Pages are fetched
with Flask's test client (no network, one process), a few times each; the median is printed.
"""

import argparse
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from statistics import median

# Run as a script, this file's folder comes first on the path: take it off so that the
# application's packages are found, not files of this folder.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

import sqlalchemy as sa  # noqa: E402

PASSWORD = "bench-password-1"
DISTRICTS = ("东城区", "西城区", "南湖区", "北山区", "高新区", "滨江区", "临港区", "青山区")
CATEGORIES = ("hospital", "community", "pharmacy", "water", "supermarket", "cdc", "transport")


def _app(url: str, instance: str):
    from app import create_app

    return create_app(
        {
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": url,
            "WTF_CSRF_ENABLED": False,
            "HTTPS": False,
        },
        instance_path=instance,
    )


def _prepare_database(url: str, reset: bool) -> None:
    if not url.startswith("postgresql"):
        return
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        tables = sa.inspect(connection).get_table_names()
        if tables and not reset:
            raise SystemExit(f"{url} is not empty; pass --reset to wipe it for the benchmark")
        if reset:
            connection.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def build(recipients: int, out=print, issue: bool = True) -> dict:
    """In an application context with an empty, migrated database: `recipients` units (bulk),
    one round where each asks for KN95 and every third also for surgical masks, a KN95 lot that
    covers every KN95 request and a surgical lot for half of the surgical demand, and a plan of
    that round computed, approved and (with `issue`) issued. Returns the ids and the figures a
    test compares the pages with."""
    from accounts import services as accounts
    from accounts.models import Role
    from allocation import plans
    from allocation import services as allocation
    from allocation.models import AllocationRequest, Round
    from catalog import services as catalog
    from catalog.models import MASK_GRADES
    from extensions import db
    from ledger import services as ledger
    from recipients.models import Recipient, RecipientCategory

    started = time.perf_counter()
    allocator = accounts.create_user("bench-alloc", "Bench allocator", PASSWORD, [Role.ALLOCATOR])
    approver = accounts.create_user("bench-approve", "Bench approver", PASSWORD, [Role.APPROVER])
    accounts.create_user("bench", "Bench", PASSWORD, list(Role))
    known = {code: rest for code, *rest in MASK_GRADES}
    grades = {
        code: catalog.find_grade(code) or catalog.create_grade(code, *known[code])
        for code in ("kn95", "surgical")
    }
    db.session.execute(
        sa.insert(Recipient),
        [
            {
                "name": f"单位{i:06d}",
                "category": RecipientCategory(CATEGORIES[i % len(CATEGORIES)]),
                "tier": RecipientCategory(CATEGORIES[i % len(CATEGORIES)]).default_tier,
                "district": DISTRICTS[i % len(DISTRICTS)],
                "contact": f"联系人{i} 138{i:08d}",
                "headcount_or_beds": 10 + i % 300,
                "active": True,
            }
            for i in range(recipients)
        ],
    )
    ids = list(db.session.scalars(sa.select(Recipient.id).order_by(Recipient.id)))
    round_ = allocation.create_round("省级调配基准轮次", date(2026, 2, 10), allocator)
    round_id = round_.id
    rows = []
    for n, rid in enumerate(ids):
        rows.append(
            {
                "round_id": round_id,
                "recipient_id": rid,
                "grade_id": grades["kn95"].id,
                "quantity": 5 + n % 20,
                "minimum": 0,
                "note": "",
            }
        )
        if n % 3 == 0:
            rows.append(
                {
                    "round_id": round_id,
                    "recipient_id": rid,
                    "grade_id": grades["surgical"].id,
                    "quantity": 10 + n % 30,
                    "minimum": 0,
                    "note": "",
                }
            )
    db.session.execute(sa.insert(AllocationRequest), rows)
    kn95_total = sum(r["quantity"] for r in rows if r["grade_id"] == grades["kn95"].id)
    surgical_total = sum(r["quantity"] for r in rows if r["grade_id"] == grades["surgical"].id)
    lots = {}
    for code, qty, number in (
        ("kn95", kn95_total, "BENCH-KN95-001"),
        ("surgical", surgical_total // 2, "BENCH-SURG-001"),
    ):
        product = catalog.product_for(grades[code], "稳健医疗用品股份有限公司", code.upper(), 1)
        lot = catalog.create_lot(product, number, qty, "domestic_medical")
        ledger.receive(lot, None)
        ledger.release(lot, None)
        lots[code] = lot.id
    db.session.commit()
    out(
        f"built {len(ids):,} recipients and {len(rows):,} requests in "
        f"{time.perf_counter() - started:.1f} s"
    )

    started = time.perf_counter()
    plan = plans.create_plan(db.session.get(Round, round_id), allocator)
    db.session.commit()
    out(f"plan computed in {time.perf_counter() - started:.1f} s")
    plan_id = plan.id
    started = time.perf_counter()
    plans.submit(plan, allocator)
    plans.approve(plan, approver)
    db.session.commit()
    if issue:
        plans.issue(plan, allocator)
        db.session.commit()
        out(f"plan approved and issued in {time.perf_counter() - started:.1f} s")
    db.session.expunge_all()
    return {
        "round_id": round_id,
        "plan_id": plan_id,
        "lots": lots,
        "recipient_ids": ids,
        "requests": len(rows),
        "requested": kn95_total + surgical_total,
        "kn95_requested": kn95_total,
        "surgical_requested": surgical_total,
        "surgical_stock": surgical_total // 2,
    }


def existing() -> dict:
    """The ids `build` returned, read back from a database it filled (`--reuse`)."""
    from allocation.models import Plan
    from catalog.models import Lot
    from extensions import db
    from recipients.models import Recipient

    plan = db.session.scalars(sa.select(Plan).order_by(Plan.id)).first()
    return {
        "round_id": plan.round_id,
        "plan_id": plan.id,
        "lots": {
            "kn95" if "KN95" in lot.lot_number else "surgical": lot.id
            for lot in db.session.scalars(sa.select(Lot))
        },
        "recipient_ids": list(db.session.scalars(sa.select(Recipient.id).order_by(Recipient.id))),
    }


def pages(data: dict) -> dict[str, str]:
    """The pages to time, by a short name."""
    some = data["recipient_ids"][len(data["recipient_ids"]) // 2]
    return {
        "recipients": "/recipients",
        "recipients p2 tier 2": "/recipients?tier=2&page=2",
        "round": f"/rounds/{data['round_id']}",
        "round grade filter p3": f"/rounds/{data['round_id']}?grade=surgical&page=3",
        "plan": f"/plans/{data['plan_id']}",
        "plan short only p2": f"/plans/{data['plan_id']}?short=1&page=2",
        "plan name search": f"/plans/{data['plan_id']}?q=单位00012",
        "lot (recall)": f"/lots/{data['lots']['kn95']}",
        "lot p5 district": f"/lots/{data['lots']['kn95']}?district=南湖区&page=5",
        "trace": "/trace",
        "trace search": "/trace?q=单位0001",
        "trace recipient": f"/trace/recipients/{some}",
        "ledger": "/ledger",
        "ledger p100": "/ledger?page=100",
    }


def measure(client, urls: dict[str, str], repeat: int = 5, out=print) -> dict[str, tuple]:
    """(median seconds, bytes) per page; every page must answer 200."""
    figures = {}
    for name, url in urls.items():
        times, size = [], 0
        for _ in range(repeat):
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise SystemExit(f"{url}: {response.status_code}")
            size = len(response.data)
        figures[name] = (median(times), size, max(times))
        out(
            f"{name:24} {median(times) * 1000:8.0f} ms p50 {max(times) * 1000:8.0f} ms max "
            f"{size / 1024:8.1f} KB  {url}"
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--reset", action="store_true", help="wipe the PostgreSQL database first")
    parser.add_argument(
        "--reuse", action="store_true", help="time the pages of a database an earlier run filled"
    )
    args = parser.parse_args()
    from flask_migrate import upgrade

    from extensions import db

    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.db"
        if not args.reuse:
            _prepare_database(url, args.reset)
        app = _app(url, os.path.join(tmp, "instance"))
        with app.app_context():
            upgrade()
            data = existing() if args.reuse else build(args.recipients)
            db.session.remove()
        client = app.test_client()
        client.post("/login", data={"username": "bench", "password": PASSWORD})
        for lang in ("zh", "en"):
            client.post("/language", data={"lang": lang, "next": "/"})
            print(f"-- {lang}")
            measure(client, pages(data), args.repeat)
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
