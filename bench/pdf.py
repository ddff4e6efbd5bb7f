"""Seconds and peak memory to render allocation PDFs of 100, 1,000 and 5,000 lines.

    /work/main/.venv/bin/python bench/pdf.py [sizes...]

Builds a plan of the wanted size in a throwaway SQLite database (recipients, lots, a round,
a plan run, approved and issued), renders its HTML with the app's template, then renders the
PDF exactly as the app does: in a fork of the warm render server (`audit.render`), whose peak
resident memory is reported, so that the figure is what one download costs the server.
"total s" is HTML + PDF, what the auditor waits for on a plan's first download. The server is
started (and timed) first, as the app starts it on its first request.
Target: a 1,000-line plan in under 4 s, memory bounded. The issue measured a plain 1,000-row
table at about 8 s "here"; the machine is shared and its speed varies, so the bench renders such
a table too, in the same run and the same server, and prints the plan's time as a ratio of it
(the target is a ratio under 0.5).
"""

import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def build(size: int):
    from flask_migrate import upgrade

    from allocation import plans, services
    from app import create_app
    from catalog import services as catalog
    from extensions import db
    from ledger import services as ledger
    from recipients.models import Recipient

    folder = tempfile.mkdtemp(prefix="baogong-bench-pdf-")
    app = create_app(
        {"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.db"},
        instance_path=folder,
    )
    with app.app_context():
        upgrade()
        grade = catalog.find_grade("surgical")
        lots = []
        for i in range(20):
            product = catalog.product_for(grade, f"医疗用品股份有限公司{i:02d}", "平面耳挂式", 50)
            lot = catalog.create_lot(product, f"BENCH-{i:03d}", 10_000_000, "domestic_medical")
            ledger.receive(lot, None)
            ledger.release(lot, None)
            lots.append(lot)
        # Each request draws on ~1 lot; lines ≈ requests when stock is plentiful. To reach the
        # wanted number of lines, requests are spread so that FEFO splits some across lots.
        found = services.create_round(f"基准 {size}", date(2026, 2, 10), None)
        recipients = []
        for i in range(size):
            r = Recipient(name=f"基准单位{i:05d}", category="hospital" if i % 3 else "pharmacy")
            db.session.add(r)
            recipients.append(r)
        db.session.flush()
        services.add_requests(
            found,
            [
                services.RequestInput(r.id, grade.id, 5_000 + (i % 7) * 50)
                for i, r in enumerate(recipients)
            ],
            None,
        )
        plan = plans.create_plan(found, None)
        plans.submit(plan, None)
        plans.approve(plan, None)
        plans.issue(plan, None)  # the issue entries' hashes are printed too
        db.session.commit()
        return app, plan.id


def plain_table(rows: int) -> str:
    """A plain bordered table of `rows` rows with a plan line's columns, as the issue measured."""
    cells = "".join(
        f"<tr><td>{i}</td><td>BENCH-{i % 20:03d}</td><td>医疗用品股份有限公司{i % 20:02d}</td>"
        f"<td>国械注准2020314{i % 20:04d}</td><td>5,050</td><td>101</td>"
        f"<td>{i:064x}</td></tr>"
        for i in range(1, rows + 1)
    )
    return (
        '<html lang="zh-CN"><head><style>'
        "table { border-collapse: collapse; font-family: 'Noto Sans CJK SC'; font-size: 7pt; }"
        "td { border: 0.5pt solid #333; padding: 1pt 2pt; }"
        f"</style></head><body><table>{cells}</table></body></html>"
    )


def main(sizes: list[int]) -> None:
    from allocation.models import Plan
    from audit import documents, render
    from audit.render import render_pdf
    from extensions import db

    started = time.perf_counter()
    render_pdf(render.WARM_UP_HTML)
    cold = time.perf_counter() - started
    started = time.perf_counter()
    render_pdf(render.WARM_UP_HTML)
    print(
        f"render server: start and first page {cold:.2f} s, "
        f"then a page {time.perf_counter() - started:.2f} s"
    )
    started = time.perf_counter()
    table = render_pdf(plain_table(1000))
    reference = time.perf_counter() - started
    print(
        f"plain 1,000-row table: {reference:.2f} s, {table.pages} pages, "
        f"peak {table.peak_kib / 1024:.0f} MiB"
    )
    print(
        f"{'lines':>6} {'pages':>6} {'html s':>7} {'pdf s':>7} {'total s':>8} {'ratio':>6} "
        f"{'peak MiB':>9} {'size KiB':>9}"
    )
    for size in sizes:
        app, plan_id = build(size)
        with app.app_context(), app.test_request_context():
            plan = db.session.get(Plan, plan_id)
            lines = len(plan.current_run.lines)
            started = time.perf_counter()
            html = documents.render_plan_html(plan, "zh")
            html_seconds = time.perf_counter() - started
        started = time.perf_counter()
        rendered = render_pdf(html, base_url=app.root_path)
        seconds = time.perf_counter() - started
        print(
            f"{lines:>6} {rendered.pages:>6} {html_seconds:>7.2f} {seconds:>7.2f} "
            f"{html_seconds + seconds:>8.2f} {(html_seconds + seconds) / reference:>6.2f} "
            f"{rendered.peak_kib / 1024:>9.0f} {len(rendered.pdf) / 1024:>9.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100, 1000, 5000])
