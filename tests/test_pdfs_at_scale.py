"""Long PDFs in parts: a plan or a recall report rendered in several parts is one valid PDF with
every line in it, its pages the sum of its parts', its stored hash verified as before, memory
bounded by a part; a stored PDF is served again without rebuilding its record.

Parts are forced with a tiny `part_lines`: the figures at 50,000 lines come from bench/pdfs.py.
"""

import io

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from accounts.models import Role
from allocation import plans
from allocation.models import Plan, Round
from audit import documents, reports, verification
from audit.models import PlanDocument, ReportDocument
from catalog.models import Lot
from extensions import db
from recipients.models import Recipient

UNITS = 30
PART_LINES = 16  # printed lines per part: a title and a line per unit, so four or more parts


@pytest.fixture
def big_plan(app, make_user, make_lot, make_recipient, make_round):
    """UNITS units served from two lots; the plan approved and issued."""
    alloc = make_user("alloc", Role.ALLOCATOR)
    appr = make_user("appr", Role.APPROVER)
    make_lot("surgical", 40_000, lot_number="LOT-BIG-001")
    make_lot("surgical", 40_000, lot_number="LOT-BIG-002")
    units = [make_recipient(f"单位{i:03d}号") for i in range(UNITS)]
    round_id = make_round([(unit, "surgical", 1_000 + 10 * i) for i, unit in enumerate(units)])
    with app.app_context():
        plan = plans.create_plan(db.session.get(Round, round_id), alloc)
        plans.submit(plan, alloc)
        plans.approve(plan, appr)
        plans.issue(plan, alloc)
        db.session.commit()
        return plan.id


def _text(path) -> str:
    reader = PdfReader(path)
    return "\n".join(page.extract_text() for page in reader.pages)


def _record_parts(monkeypatch) -> list:
    """Every part rendered (its page count) and every file rendered, as they happen."""
    seen: list = []
    render_pdf = documents.render_document.__globals__["render_pdf"]

    def counting(html, base_url=None, in_child=True):
        rendered = render_pdf(html, base_url, in_child=in_child)
        seen.append(rendered.pages)
        return rendered

    monkeypatch.setitem(documents.render_document.__globals__, "render_pdf", counting)
    return seen


def test_a_plan_in_parts_is_one_pdf_with_every_line(app, big_plan, monkeypatch):
    parts = _record_parts(monkeypatch)
    steps: list = []
    with app.app_context(), app.test_request_context():
        plan = db.session.get(Plan, big_plan)
        document = documents.plan_document(
            plan, "zh", None, progress=lambda *step: steps.append(step), part_lines=PART_LINES
        )
        db.session.commit()
        path = documents.document_path(document)
        reader = PdfReader(path)
        assert len(parts) >= 4
        assert len(reader.pages) == sum(parts) == document.pages
        text = _text(path).replace(" ", "")
        names = db.session.scalars(
            sa.select(Recipient.name).where(
                Recipient.id.in_([line.recipient_id for line in plan.current_run.lines])
            )
        ).all()
        assert len(names) == UNITS and all(name in text for name in names)
        for entry in plans.issue_entries(plan):  # every line's issue entry, whole
            assert entry.hash in text.replace("\n", "")
        assert document.content_sha256 in text.replace("\n", "")
        # The first part has the plan's facts, the last its signatures; pages per volume.
        assert plan.number in reader.pages[0].extract_text()
        # Chinese wording once the PO fragment is merged; English msgid before.
        volumes = (f"第1卷共{len(parts)}卷", f"Volume1of{len(parts)},page1of")
        assert any(volume in text for volume in volumes)
        # Progress: one step a part and one for the join, in order, ending at the total.
        assert [done for done, _total, _message in steps] == list(range(1, len(parts) + 2))
        assert all(total == len(parts) + 1 for _done, total, _message in steps)
        # The stored file is what verification checks, uploaded or typed.
        data = path.read_bytes()
        check = verification.check_pdf(data)
        assert check.ok and check.matched_by == "file" and check.document.id == document.id
        assert verification.check_hash(document.content_sha256).ok
        assert len(documents.canonical(documents.plan_record(plan)))  # record covers all lines
        assert len(documents.plan_record(plan)["lines"]) == len(plan.current_run.lines)


def test_a_recall_report_in_parts_names_everyone(app, big_plan, monkeypatch):
    parts = _record_parts(monkeypatch)
    with app.app_context(), app.test_request_context():
        lot = db.session.scalar(sa.select(Lot).where(Lot.lot_number == "LOT-BIG-001"))
        report = reports.recall_report(lot)
        assert len(report.receipts) >= 10
        document = documents.report_document("recall", lot, "en", None, part_lines=PART_LINES)
        db.session.commit()
        path = documents.document_path(document)
        assert len(parts) >= 2 and len(PdfReader(path).pages) == sum(parts) == document.pages
        text = _text(path).replace("\n", " ")
        for receipt in report.receipts:
            assert receipt.recipient.name in text and f"{receipt.quantity:,}" in text
        flat = text.replace(" ", "")
        assert all(entry.hash in flat for entry in report.entries)
        check = verification.check_pdf(path.read_bytes())
        assert (
            check.ok
            and check.report.id == document.id
            and len(check.entries) == len(report.entries)
        )


def test_memory_is_bounded_by_a_part(app, big_plan, monkeypatch):
    """In the render server's forks (as the app renders): each part and the join stay small."""
    app.config["PDF_RENDER_IN_CHILD"] = True
    results = []
    render_document = documents.render_document

    def keep(*args, **kwargs):
        results.append(render_document(*args, **kwargs))
        return results[-1]

    monkeypatch.setattr(documents, "render_document", keep)
    with app.app_context(), app.test_request_context():
        plan = db.session.get(Plan, big_plan)
        documents.plan_document(plan, "zh", None, part_lines=PART_LINES)
    (rendered,) = results
    assert rendered.parts >= 4
    assert 0 < rendered.peak_kib < 500 * 1024


def test_a_stored_pdf_is_served_without_rebuilding_its_record(
    app, client, signed_in, big_plan, monkeypatch
):
    signed_in(Role.AUDITOR)
    first = client.get(f"/plans/{big_plan}/pdf?lang=zh")
    assert first.status_code == 200

    def no_record(*args, **kwargs):
        raise AssertionError("the record was rebuilt")

    monkeypatch.setattr(documents, "plan_record", no_record)
    again = client.get(f"/plans/{big_plan}/pdf?lang=zh")
    assert again.status_code == 200 and again.get_data() == first.get_data()
    # A unit renamed since: the fingerprint differs, so the record is built again.
    monkeypatch.undo()
    with app.app_context():
        unit = db.session.scalar(sa.select(Recipient).order_by(Recipient.id))
        unit.name = "改名后的单位"
        db.session.commit()
    renamed = client.get(f"/plans/{big_plan}/pdf?lang=zh")
    assert renamed.status_code == 200 and renamed.get_data() != first.get_data()
    assert "改名后的单位" in _text(io.BytesIO(renamed.get_data()))
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(PlanDocument.id))) == 2


def test_a_stored_recall_report_is_served_without_building_the_report(
    app, client, signed_in, big_plan, monkeypatch
):
    signed_in(Role.AUDITOR)
    with app.app_context():
        lot_id = db.session.scalar(sa.select(Lot.id).where(Lot.lot_number == "LOT-BIG-001"))
    first = client.get(f"/lots/{lot_id}/recall.pdf?lang=en")
    assert first.status_code == 200

    def no_report(*args, **kwargs):
        raise AssertionError("the report was built")

    monkeypatch.setattr(reports, "recall_report", no_report)
    again = client.get(f"/lots/{lot_id}/recall.pdf?lang=en")
    assert again.status_code == 200 and again.get_data() == first.get_data()
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ReportDocument.id))) == 1


PAGE = (
    '<html lang="zh-CN"><body><p>第 {n} 部分</p><p style="break-before: page">续</p></body></html>'
)


def test_parts_render_two_at_a_time_in_the_server_and_a_failure_stops_them(tmp_path):
    from audit import render

    steps: list = []
    parts = [PAGE.format(n=n) for n in range(1, 6)]
    rendered = render.render_document(
        iter(parts),
        len(parts),
        lambda sha256: tmp_path / f"doc-{sha256[:8]}.pdf",
        progress=lambda *step: steps.append(step[:2]),
        processes=2,
    )
    reader = PdfReader(rendered.path)
    assert rendered.pages == len(reader.pages) == 10 and rendered.parts == 5
    text = "".join(page.extract_text() for page in reader.pages).replace(" ", "")
    assert all(f"第{n}部分" in text for n in range(1, 6))  # in order
    assert text.index("第1部分") < text.index("第5部分")
    assert steps == [(n, 6) for n in range(1, 7)]
    assert rendered.sha256 == documents.sha256_bytes(rendered.path.read_bytes())
    broken = [*parts[:2], '<p style="font-size: 1e308px">too big</p>', *parts[3:]]
    with pytest.raises(render.RenderError):
        render.render_document(iter(broken), len(broken), tmp_path / "broken.pdf", processes=2)
    assert not (tmp_path / "broken.pdf").exists()
    assert not list(tmp_path.glob("*.part"))
    again = render.render_document(iter(parts[:2]), 2, tmp_path / "again.pdf", processes=2)
    assert again.pages == 4
