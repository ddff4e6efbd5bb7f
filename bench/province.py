"""Province scale end to end (issue 15): a city of 50,000 units built through the imports a
person uses, a plan computed, approved and issued, every list page loaded by 20 clients at once
through gunicorn, the plan PDF and the recall report of a lot issued to every unit, and the
stored PDF verified.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench \\
        .venv/bin/python bench/province.py --reset          # PostgreSQL (wipes that database)
    .venv/bin/python bench/province.py --units 5000         # smaller, on a temporary SQLite

Targets (issue 15): every page p95 < 1 s with 20 clients, issuing 50,000 lines < 10 s, the plan
PDF of 50,000 lines < 60 s, imports of 50,000 rows < 15 s. Prints figures; nothing here passes
or fails. The machine may be shared: compare figures of one run with each other.
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
from collections import defaultdict
from datetime import date
from pathlib import Path
from statistics import median, quantiles

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))
sys.path.append(str(HERE))  # the other benchmarks' builders

import sqlalchemy as sa  # noqa: E402

PASSWORD = "bench-password-1"


def _app(url: str, instance: str):
    from app import create_app

    return create_app(
        {"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url, "HTTPS": False},
        instance_path=instance,
    )


def _prepare(url: str, reset: bool, reuse: bool) -> None:
    if not url.startswith("postgresql"):
        return
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        if reuse:
            return
        if sa.inspect(connection).get_table_names() and not reset:
            raise SystemExit(
                f"{url} is not empty; pass --reset to wipe it or --reuse to load what it holds"
            )
        connection.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def _timed(label: str, action, figures: dict):
    started = time.perf_counter()
    value = action()
    seconds = time.perf_counter() - started
    figures[label] = seconds
    print(f"{label:42} {seconds:8.2f} s", flush=True)
    return value


def build(units: int, figures: dict) -> dict:
    """The city, through the services a person's pages call; returns the ids to load."""
    from imports import _file, recipient_rows, request_rows

    from accounts import services as accounts
    from accounts.models import Role
    from allocation import importing, plans
    from allocation import services as allocation
    from allocation.models import Round
    from catalog import services as catalog
    from catalog.models import MASK_GRADES
    from extensions import db
    from ledger import services as ledger
    from recipients import importing as recipient_importing

    allocator = accounts.create_user("bench-alloc", "Bench allocator", PASSWORD, [Role.ALLOCATOR])
    approver = accounts.create_user("bench-approve", "Bench approver", PASSWORD, [Role.APPROVER])
    accounts.create_user("bench", "Bench", PASSWORD, list(Role))
    known = {code: rest for code, *rest in MASK_GRADES}
    for code in ("surgical", "medical_protective", "kn95", "disposable_medical"):
        catalog.find_grade(code) or catalog.create_grade(code, *known[code])
    db.session.commit()

    units_file = recipient_rows(units, prefix="省")
    data = _file(units_file, "xlsx")
    _timed(
        f"import {units:,} recipients (XLSX)",
        lambda: recipient_importing.import_recipients("units.xlsx", data, allocator),
        figures,
    )
    db.session.commit()
    round_ = allocation.create_round("全省调配基准轮次", date(2026, 2, 10), allocator)
    db.session.commit()
    round_id = round_.id
    requests = request_rows(units_file)
    data = _file(requests, "xlsx")
    _timed(
        f"import {len(requests) - 1:,} requests (XLSX)",
        lambda: importing.import_requests(
            db.session.get(Round, round_id), "r.xlsx", data, allocator
        ),
        figures,
    )
    db.session.commit()

    # Stock for about 60 % of each grade's demand, in one lot per grade (the recall report of
    # the biggest one then names tens of thousands of units).
    demand: dict[str, int] = defaultdict(int)
    aliases = {"医用防护口罩": "medical_protective", "KN95 respirator": "kn95"}
    for row in requests[1:]:
        demand[aliases.get(row[1], row[1])] += row[2]
    lots = {}
    for n, (code, wanted) in enumerate(sorted(demand.items())):
        grade = catalog.find_grade(code)
        product = catalog.product_for(grade, "稳健医疗用品股份有限公司", code.upper(), 1)
        lot = catalog.create_lot(product, f"PROV-{n:03d}", wanted * 6 // 10, "domestic_medical")
        ledger.receive(lot, None)
        ledger.release(lot, None)
        lots[code] = lot.id
    db.session.commit()

    plan = _timed(
        "plan computed (solver and lines written)",
        lambda: plans.create_plan(db.session.get(Round, round_id), allocator),
        figures,
    )
    db.session.commit()
    plan_id = plan.id
    plans.submit(plan, allocator)
    plans.approve(plan, approver)
    db.session.commit()
    lines = len(plan.runs[-1].lines) if plan.runs else 0
    _timed(f"issue ({lines:,} lines)", lambda: plans.issue(plan, allocator), figures)
    db.session.commit()
    biggest = max(lots, key=lambda code: demand[code])
    recipients = list(
        db.session.scalars(
            sa.text("SELECT id FROM recipients ORDER BY id LIMIT 1 OFFSET :n"), {"n": units // 2}
        )
    )
    db.session.expunge_all()
    return {
        "round_id": round_id,
        "plan_id": plan_id,
        "lot_id": lots[biggest],
        "recipient_id": recipients[0],
    }


def built() -> dict:
    """The ids `build` returned, read back from a database it filled in an earlier run."""
    from extensions import db

    row = db.session.execute(
        sa.text("SELECT p.id, p.round_id FROM allocation_plans p ORDER BY p.id DESC LIMIT 1")
    ).one()
    lot = db.session.scalar(
        sa.text("SELECT lot_id FROM ledger_entries GROUP BY lot_id ORDER BY count(*) DESC LIMIT 1")
    )
    units = db.session.scalar(sa.text("SELECT count(*) FROM recipients"))
    recipient = db.session.scalar(
        sa.text("SELECT id FROM recipients ORDER BY id LIMIT 1 OFFSET :n"), {"n": units // 2}
    )
    return {"round_id": row.round_id, "plan_id": row.id, "lot_id": lot, "recipient_id": recipient}


def pages(ids: dict) -> dict[str, str]:
    plan, round_, lot = ids["plan_id"], ids["round_id"], ids["lot_id"]
    return {
        "home": "/",
        "recipients": "/recipients",
        "recipients tier 2 p3": "/recipients?tier=2&page=3",
        "round": f"/rounds/{round_}",
        "round grade p5": f"/rounds/{round_}?grade=surgical&page=5",
        "plan": f"/plans/{plan}",
        "plan short p2": f"/plans/{plan}?short=1&page=2",
        "lot (recall list)": f"/lots/{lot}",
        "lot p20": f"/lots/{lot}?page=20",
        "stock": "/stock",
        "trace": "/trace",
        "trace recipient": f"/trace/recipients/{ids['recipient_id']}",
        "ledger": "/ledger",
        "ledger p200": "/ledger?page=200",
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _opener(base: str):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/login", timeout=60).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    form = {"csrf_token": token, "username": "bench", "password": PASSWORD}
    opener.open(base + "/login", urllib.parse.urlencode(form).encode(), timeout=60).read()
    return opener


def load(url: str, instance: str, ids: dict, clients: int, rounds: int, workers: int) -> dict:
    """Every page fetched `rounds` times by each of `clients` threads at once through gunicorn;
    (p50, p95, bytes) per page."""
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url, "BAOGONG_HTTPS": "0"}
    env.pop("REDIS_URL", None)
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--workers", str(workers), "--timeout", "120", "--bind", f"127.0.0.1:{port}",
            f"app:create_app(instance_path={instance!r})",
        ],
        cwd=HERE.parent, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/login", timeout=5).read()
                break
            except OSError:
                time.sleep(0.3)
        urls = pages(ids)
        times: dict[str, list[float]] = defaultdict(list)
        sizes: dict[str, int] = {}
        failures: list[str] = []
        lock = threading.Lock()
        start = threading.Barrier(clients)

        def client(k: int) -> None:
            opener = _opener(base)
            names = list(urls)
            start.wait()
            for r in range(rounds):
                for i in range(len(names)):
                    name = names[(i + k + r) % len(names)]  # not all on the same page at once
                    began = time.perf_counter()
                    try:
                        with opener.open(base + urls[name], timeout=120) as response:
                            body = response.read()
                            status = response.status
                    except OSError as error:
                        body, status = b"", getattr(error, "code", str(error))
                    took = time.perf_counter() - began
                    with lock:
                        times[name].append(took)
                        sizes[name] = len(body)
                        if status != 200:
                            failures.append(f"{name}: {status}")

        threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
        began = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - began
    finally:
        server.terminate()
        server.wait(30)
    result = {}
    print(f"\npages: {clients} clients x {rounds} rounds, gunicorn {workers} workers, {wall:.0f} s")
    print(f"{'page':24} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'KB':>8}")
    for name in urls:
        values = sorted(times[name])
        p95 = quantiles(values, n=20, method="inclusive")[-1] if len(values) > 1 else values[0]
        result[name] = (median(values), p95, sizes.get(name, 0))
        print(
            f"{name:24} {median(values) * 1000:8.0f} {p95 * 1000:8.0f} {values[-1] * 1000:8.0f} "
            f"{sizes.get(name, 0) / 1024:8.1f}"
        )
    if failures:
        print(f"{len(failures)} failed requests, e.g. {failures[:3]}")
    return result


def pdfs(app, ids: dict, figures: dict) -> None:
    from allocation.models import Plan
    from audit import documents, render, verification
    from catalog.models import Lot
    from extensions import db

    render.render_pdf(render.WARM_UP_HTML)
    rendered = []
    render_document = documents.render_document

    def keep(*args, **kwargs):  # the parts, pages and peak memory of each rendering
        rendered.append(render_document(*args, **kwargs))
        return rendered[-1]

    documents.render_document = keep
    for label, make in (
        (
            "plan PDF",
            lambda: documents.plan_document(db.session.get(Plan, ids["plan_id"]), "zh", None),
        ),
        (
            "recall PDF",
            lambda: documents.report_document(
                "recall", db.session.get(Lot, ids["lot_id"]), "zh", None
            ),
        ),
    ):
        with app.app_context(), app.test_request_context():
            document = _timed(f"{label} rendered and stored", make, figures)
            db.session.commit()
            data = documents.document_path(document).read_bytes()
            if rendered:
                last = rendered[-1]
                print(
                    f"{label}: {last.parts} parts, {last.pages:,} pages; peak RSS of a render "
                    f"process {last.peak_kib / 1024:.0f} MiB"
                )
            started = time.perf_counter()
            check = verification.check_hash(documents.sha256_bytes(data), only_file=True)
            print(
                f"{label}: {len(data) / 2**20:.1f} MiB, verified {check.ok} in "
                f"{time.perf_counter() - started:.2f} s",
                flush=True,
            )
    documents.render_document = render_document


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, default=50_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--reset", action="store_true", help="wipe the PostgreSQL database first")
    parser.add_argument(
        "--reuse", action="store_true", help="load the city an earlier --reset run left there"
    )
    parser.add_argument("--skip-pdfs", action="store_true")
    parser.add_argument("--skip-pages", action="store_true")
    args = parser.parse_args()
    from flask_migrate import upgrade

    from extensions import db

    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/province.db"
        if args.reuse and not url.startswith("postgresql"):
            raise SystemExit("--reuse needs DATABASE_URL (a temporary SQLite is gone after a run)")
        _prepare(url, args.reset, args.reuse)
        instance = os.path.join(tmp, "instance")
        app = _app(url, instance)
        with app.app_context():
            upgrade()
            with app.test_request_context():
                ids = built() if args.reuse else build(args.units, figures)
            db.session.remove()
            db.engine.dispose()
        if not args.skip_pages:
            load(url, instance, ids, args.clients, args.rounds, args.workers)
        if not args.skip_pdfs:
            pdfs(app, ids, figures)
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
