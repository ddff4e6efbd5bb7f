"""Ledger benchmark: post 100,000 entries, then time the stock page and the verification.

    .venv/bin/python bench/ledger.py                      # a temporary SQLite database
    .venv/bin/python bench/ledger.py --entries 20000      # smaller
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench \\
        .venv/bin/python bench/ledger.py --reset           # PostgreSQL (wipes that database)

Every entry goes through `ledger.services` exactly as the pages post them (locks, balance
checks, hash chain), committed in batches of 1,000 like a plan being issued. The figures are
printed; nothing here passes or fails.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

# Run as a script, this file's folder comes first on the path, and this file is called ledger:
# take the folder off so that `import ledger` finds the application's package.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

import sqlalchemy as sa  # noqa: E402

BATCH = 1000
PASSWORD = "bench-password-1"


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


def run(
    entries: int, lots: int, url: str, instance: str, single: int = 0, out=print
) -> dict[str, float]:
    """Post `entries` entries over `lots` lots (then `single` more, one per call), and time
    the pages and the verification on that ledger; returns the figures in seconds."""
    from flask_migrate import upgrade

    from accounts import services as accounts
    from accounts.models import Role
    from catalog import services as catalog
    from catalog.models import MASK_GRADES
    from extensions import db
    from ledger import services as ledger
    from ledger.verify import verify
    from recipients.models import Recipient

    app = _app(url, instance)
    figures: dict[str, float] = {}
    with app.app_context():
        upgrade()
        accounts.create_user("bench", "Bench", PASSWORD, [Role.AUDITOR, Role.INSPECTOR])
        grades = [
            catalog.find_grade(code) or catalog.create_grade(code, std, zh, en)
            for code, std, zh, en in MASK_GRADES
        ]
        recipients = [Recipient(name=f"单位 {i:04d}", category="hospital") for i in range(200)]
        db.session.add_all(recipients)
        lot_ids = []
        for i in range(lots):
            product = catalog.product_for(grades[i % len(grades)], f"企业 {i % 17}", "型号", 50)
            lot = catalog.create_lot(product, f"B{i:06d}", 10_000_000, "domestic_medical")
            lot_ids.append(lot.id)
        recipient_ids = [r.id for r in recipients]
        db.session.commit()

        started = time.perf_counter()
        for lot_id in lot_ids:  # every lot is received and released first
            ledger.receive(lot_id, None)
            ledger.release(lot_id, None)
        db.session.commit()
        posted = 2 * len(lot_ids)
        i = 0
        while posted < entries:  # then plans of BATCH lines each, as an approved plan issues
            size = min(BATCH, entries - posted)
            ledger.issue_many(
                [
                    ledger.IssueLine(
                        lot_ids[(i + k) % len(lot_ids)],
                        recipient_ids[(i + k) % len(recipient_ids)],
                        1 + (i + k) % 7,
                    )
                    for k in range(size)
                ],
                None,
            )
            db.session.commit()
            db.session.expunge_all()
            posted += size
            i += size
        figures["post"] = time.perf_counter() - started
        out(
            f"posted {posted:,} entries in {figures['post']:.1f} s "
            f"({posted / figures['post']:,.0f} entries/s; {lots} lots received and released "
            f"one by one, then issued in plans of {BATCH:,} lines)"
        )
        started = time.perf_counter()
        for k in range(single):  # one entry per call, as the pages post them
            ledger.issue(lot_ids[k % len(lot_ids)], recipient_ids[k % len(recipient_ids)], 1, None)
            if k % 100 == 99:
                db.session.commit()
        db.session.commit()
        figures["single"] = time.perf_counter() - started
        if single:
            out(
                f"posted {single:,} more entries one per call in {figures['single']:.1f} s "
                f"({single / figures['single']:,.0f} entries/s, committed every 100)"
            )

    client = app.test_client()
    response = client.post("/login", data={"username": "bench", "password": PASSWORD})
    assert response.status_code == 302, "bench user cannot sign in"
    for name, path in [
        ("stock page", "/stock"),
        ("stock page, all lots", "/stock?status=all"),
        ("lot page (busiest lot)", f"/lots/{lot_ids[0]}"),
        ("ledger page", "/ledger"),
    ]:
        times = []
        for _ in range(3):
            started = time.perf_counter()
            response = client.get(path)
            times.append(time.perf_counter() - started)
            assert response.status_code == 200, f"{path}: {response.status_code}"
        figures[name] = median(times)
        out(f"{name}: {figures[name]:.3f} s (median of 3)")

    with app.app_context():
        started = time.perf_counter()
        result = verify()
        figures["verify"] = time.perf_counter() - started
        out(f"verify: {figures['verify']:.2f} s -> {'; '.join(result.report())}")
        started = time.perf_counter()
        response = client.get("/ledger/verify")
        figures["verify page"] = time.perf_counter() - started
        out(f"verify page: {figures['verify page']:.2f} s")
        db.engine.dispose()
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--lots", type=int, default=500)
    parser.add_argument(
        "--single", type=int, default=5000, help="entries posted one per call after the rest"
    )
    parser.add_argument("--reset", action="store_true", help="wipe the PostgreSQL database first")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="baogong-bench-") as tmp:
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.db"
        if url.startswith("postgres://") or url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        _prepare_database(url, args.reset)
        print(f"database: {url.split('@')[-1] if '@' in url else url}")
        run(args.entries, args.lots, url, str(Path(tmp) / "instance"), single=args.single)


if __name__ == "__main__":
    main()
