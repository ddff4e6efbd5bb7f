"""Import benchmark: 50,000 recipients, then 50,000 requests, from XLSX and from CSV files.

    .venv/bin/python bench/imports.py                     # a temporary SQLite database
    .venv/bin/python bench/imports.py --rows 20000        # smaller
    .venv/bin/python bench/imports.py --profile           # where the time of each import goes
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench \\
        .venv/bin/python bench/imports.py --reset          # PostgreSQL (wipes that database)

For each format the recipients' file is imported into an empty register, then the requests'
file (one request a unit, two grades) into a new round, each committed as one transaction the
way the page commits it; then the same request file again, refused on every row (the register
and the round as big as they get, nothing written). Prints seconds (wall clock, and this
process's CPU time: about the wall clock of an idle machine when others share this one), SQL
statements and the process's peak memory (ru_maxrss, which only ever grows); nothing here
passes or fails.
"""

import argparse
import cProfile
import csv
import io
import os
import pstats
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

import sqlalchemy as sa  # noqa: E402
from openpyxl import Workbook  # noqa: E402

CATEGORIES = ["hospital", "医院", "water", "Sanitation", "community", "pharmacy", "超市"]
DISTRICTS = ["浈江区", "武江区", "曲江区", "乐昌市", "南雄市", "仁化县", "始兴县"]


def _app(url: str, instance: str):
    from app import create_app

    return create_app(
        {"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url, "HTTPS": False},
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


def _file(rows: list[list], fmt: str) -> bytes:
    if fmt == "csv":
        out = io.StringIO()
        csv.writer(out).writerows(rows)
        return ("\ufeff" + out.getvalue()).encode("utf-8")
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def recipient_rows(n: int, prefix: str) -> list[list]:
    from recipients.importing import COLUMNS

    rows = [[header for _, header in COLUMNS]]
    for i in range(n):
        tier, reason = (1, "定点收治医院的后勤单位") if i % 500 == 7 else ("", "")
        rows.append(
            [
                f"{prefix}{DISTRICTS[i % 7]}第{i:06d}号单位",
                CATEGORIES[i % len(CATEGORIES)],
                tier,
                reason,
                DISTRICTS[i % 7],
                f"联系人{i % 1000:03d}",
                f"1380000{i:04d}"[:11],
                (i * 37) % 2000 or "",
            ]
        )
    return rows


def request_rows(units: list[list]) -> list[list]:
    from allocation.importing import COLUMNS

    rows = [[header for _, header in COLUMNS]]
    grades = ["surgical", "医用防护口罩", "KN95 respirator", "disposable_medical"]
    for i, unit in enumerate(units[1:]):
        quantity = 100 + (i * 7919) % 20000
        rows.append([unit[0], grades[i % 2 if i % 3 else 2 + i % 2], quantity, quantity // 10, ""])
    return rows


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def _timed(label: str, action, statements: list, profile: bool, out=print):
    from extensions import db

    before = len(statements)
    profiler = cProfile.Profile() if profile else None
    start, cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    try:
        value = action()
        db.session.commit()
    except Exception as error:  # noqa: BLE001 — the refused import is timed too
        db.session.rollback()
        value = error
    if profiler:
        profiler.disable()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    out(
        f"{label:<42} {seconds:7.2f} s ({cpu:5.2f} s CPU)  {len(statements) - before:5d} "
        f"statements  peak {_peak_mb():6.0f} MB"
    )
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(18)
    return seconds, value


def run(n: int, url: str, instance: str, profile: bool = False, out=print) -> dict[str, float]:
    from flask_migrate import upgrade

    from accounts import services as accounts
    from accounts.models import Role
    from allocation import importing as request_import
    from allocation import services as allocation
    from catalog import services as catalog
    from catalog.models import MASK_GRADES
    from core.imports import ImportRejected
    from extensions import db
    from recipients import importing as recipient_import

    app = _app(url, instance)
    figures: dict[str, float] = {}
    statements: list = []
    with app.app_context(), app.test_request_context():
        upgrade()
        sa.event.listen(
            db.engine, "before_cursor_execute", lambda *args: statements.append(args[2])
        )
        for code, standard, zh, en in MASK_GRADES:
            if catalog.find_grade(code) is None:
                catalog.create_grade(code, standard, zh, en)
        user = accounts.create_user("bench", "Bench", "bench-password-1", [Role.ALLOCATOR])
        db.session.commit()
        out(f"{db.engine.dialect.name}, {n:,} rows a file")
        for fmt in ("xlsx", "csv"):
            units = recipient_rows(n, prefix=f"{fmt.upper()}韶关市")
            requests = request_rows(units)
            start = time.perf_counter()
            unit_file, request_file = _file(units, fmt), _file(requests, fmt)
            out(
                f"{fmt}: files made in {time.perf_counter() - start:.1f} s "
                f"({len(unit_file) / 2**20:.1f} and {len(request_file) / 2**20:.1f} MB)"
            )
            seconds, done = _timed(
                f"{fmt} recipients ({n:,})",
                lambda f=unit_file, name=f"units.{fmt}": recipient_import.import_recipients(
                    name, f, user
                ),
                statements,
                profile,
                out,
            )
            assert not isinstance(done, Exception), getattr(done, "errors", done)
            figures[f"{fmt}_recipients"] = seconds
            found = allocation.create_round(f"bench {fmt}", date(2026, 2, 10), user)
            db.session.commit()
            seconds, done = _timed(
                f"{fmt} requests ({n:,})",
                lambda f=request_file, r=found, name=f"r.{fmt}": request_import.import_requests(
                    r, name, f, user
                ),
                statements,
                profile,
                out,
            )
            assert not isinstance(done, Exception), getattr(done, "errors", done)
            figures[f"{fmt}_requests"] = seconds
            found = db.session.get(type(found), found.id)
            seconds, done = _timed(
                f"{fmt} requests again (every row refused)",
                lambda f=request_file, r=found, name=f"r.{fmt}": request_import.import_requests(
                    r, name, f, user
                ),
                statements,
                profile,
                out,
            )
            assert isinstance(done, ImportRejected) and done.total == n
            figures[f"{fmt}_refused"] = seconds
    figures["peak_mb"] = _peak_mb()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--reset", action="store_true", help="wipe DATABASE_URL first")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    with tempfile.TemporaryDirectory() as folder:
        if not url:
            url = "sqlite:///" + os.path.join(folder, "bench.db")
        _prepare_database(url, args.reset)
        run(args.rows, url, os.path.join(folder, "instance"), args.profile)


if __name__ == "__main__":
    main()
