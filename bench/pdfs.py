"""Seconds and peak memory of the province-sized PDFs: a plan of 50,000 lines and the recall
report of a lot issued to 50,000 units, and the time to serve their stored copies.

    /work/main/.venv/bin/python bench/pdfs.py [units] [part_lines]

Builds, in a throwaway SQLite database, one lot and `units` units (50,000 by default) each
asking for it, so that one issued plan has a line per unit and the lot went to every unit
(recipients and requests inserted in bulk; the plan run, approved and issued by the app's own
services). Then, as the app does on a first download (in forks of the warm render server,
`audit.render`), renders and stores the plan PDF and the lot's recall report, printing the
seconds, the parts, the pages, the size, the peak resident memory of the forks that rendered
(the largest part, or the join) and of the app process itself (VmHWM, reset before each), and
the seconds to serve the stored copy again through the app's route (a signed-in auditor's
download: look-up, download recorded, file streamed). Target: each render under ~500 MB.
"""

import contextlib
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PASSWORD = "bench-password-1234"


def vm_hwm_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def reset_hwm() -> None:
    """Start the process's peak resident memory again from now (Linux: clear_refs 5)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def build(units: int):
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from accounts import services as accounts
    from accounts.models import Role
    from allocation import plans, services
    from allocation.models import AllocationRequest
    from app import create_app
    from catalog import services as catalog
    from extensions import db
    from ledger import services as ledger
    from recipients.models import Recipient

    folder = tempfile.mkdtemp(prefix="baogong-bench-pdfs-")
    app = create_app(
        {
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.db",
            "WTF_CSRF_ENABLED": False,
            "HTTPS": False,
        },
        instance_path=folder,
    )
    started = time.perf_counter()
    with app.app_context():
        upgrade()
        auditor = accounts.create_user("auditor", "审计员", PASSWORD, [Role.AUDITOR])
        grade = catalog.find_grade("surgical")
        product = catalog.product_for(grade, "稳健医疗用品股份有限公司", "平面耳挂式", 50)
        lot = catalog.create_lot(product, "BENCH-PROVINCE-001", 200 * units, "domestic_medical")
        ledger.receive(lot, None)
        ledger.release(lot, None)
        districts = ("越秀区", "海珠区", "天河区", "白云区", "黄埔区", "番禺区", "花都区")
        db.session.execute(
            sa.insert(Recipient),
            [
                {
                    "name": f"省级基准单位{i:05d}号",
                    "category": "hospital" if i % 3 else "pharmacy",
                    "tier": 1 if i % 3 else 3,
                    "district": districts[i % len(districts)],
                    "contact": f"王{i % 97:02d} 020-8{i:07d}",
                }
                for i in range(units)
            ],
        )
        found = services.create_round("省级基准轮次", date(2026, 2, 10), None)
        ids = db.session.scalars(sa.select(Recipient.id).order_by(Recipient.id)).all()
        db.session.execute(
            sa.insert(AllocationRequest),
            [
                {
                    "round_id": found.id,
                    "recipient_id": rid,
                    "grade_id": grade.id,
                    "quantity": 50 + (i % 7) * 10,
                    "minimum": 0,
                    "note": "",
                }
                for i, rid in enumerate(ids)
            ],
        )
        db.session.commit()
        print(f"built {units:,} units and requests: {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        plan = plans.create_plan(found, None)
        plans.submit(plan, None)
        plans.approve(plan, None)
        plans.issue(plan, None)
        db.session.commit()
        lines = len(plan.current_run.lines)
        print(f"plan run and issued, {lines:,} lines: {time.perf_counter() - started:.1f} s")
        return app, plan.id, lot.id, auditor.id


def main(units: int, part_lines: int | None) -> None:
    from accounts.models import Role  # noqa: F401  (the app's models)
    from allocation.models import Plan
    from audit import documents, render
    from catalog.models import Lot
    from extensions import db

    app, plan_id, lot_id, _auditor = build(units)
    if part_lines:
        app.config["PDF_PART_LINES"] = part_lines
    app.config["PDF_RENDER_IN_CHILD"] = True
    started = time.perf_counter()
    render.render_pdf(render.WARM_UP_HTML)
    print(f"render server started and warm: {time.perf_counter() - started:.1f} s")

    results = []
    render_document = documents.render_document

    def keep(*args, **kwargs):
        results.append(render_document(*args, **kwargs))
        return results[-1]

    documents.render_document = keep

    def progress(done, total, message):
        print(f"  {done}/{total} {time.perf_counter() - started:6.1f} s", end="\r", flush=True)

    client = app.test_client()
    response = client.post("/login", data={"username": "auditor", "password": PASSWORD})
    assert response.status_code == 302, response.status_code

    for label, url in (
        ("plan PDF", f"/plans/{plan_id}/pdf?lang=zh"),
        ("recall PDF", f"/lots/{lot_id}/recall.pdf?lang=zh"),
    ):
        reset_hwm()
        started = time.perf_counter()
        with app.app_context(), app.test_request_context():
            if label == "plan PDF":
                document = documents.plan_document(
                    db.session.get(Plan, plan_id), "zh", None, progress=progress
                )
            else:
                document = documents.report_document(
                    "recall", db.session.get(Lot, lot_id), "zh", None, progress=progress
                )
            db.session.commit()
        seconds = time.perf_counter() - started
        rendered = results[-1]
        print(
            f"{label}: {seconds:.1f} s, {rendered.parts} parts, {rendered.pages:,} pages, "
            f"{rendered.size / 2**20:.1f} MiB; peak RSS of the render forks "
            f"{rendered.peak_kib / 1024:.0f} MiB, of the app process {vm_hwm_kib() / 1024:.0f} "
            f"MiB"
        )
        timings = []
        for _ in range(3):
            started = time.perf_counter()
            response = client.get(url)
            data = response.get_data()
            timings.append(time.perf_counter() - started)
            assert response.status_code == 200 and data.startswith(b"%PDF-")
        with app.app_context():
            path = documents.document_path(db.session.merge(document))
            assert data == path.read_bytes()
        print(
            f"{label}, stored copy served: {min(timings):.3f} s best, {max(timings):.3f} s worst "
            f"of 3 ({len(data) / 2**20:.1f} MiB)"
        )
        with app.app_context(), app.test_request_context():
            from audit import verification

            started = time.perf_counter()
            check = verification.check_hash(documents.sha256_bytes(data), only_file=True)
            print(f"{label}, verified: {check.ok} in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    arguments = [int(a) for a in sys.argv[1:]]
    main(arguments[0] if arguments else 50_000, arguments[1] if len(arguments) > 1 else None)
