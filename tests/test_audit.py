"""Audit documents: the allocation PDF (text, Chinese glyphs, totals, stored once, downloads
recorded), verification of genuine and altered files, the daily and recall reports, exports."""

import csv
import io
import subprocess

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from accounts.models import Role, User
from allocation import plans
from allocation.models import Plan, Round
from audit import documents
from audit.models import DocumentDownload, PlanDocument, ReportDocument, ReportDownload
from catalog.models import Lot
from extensions import db
from ledger.models import LedgerEntry
from ledger.queries import lot_recipients
from procurement import certificates

from .conftest import tampering

EN = {"Accept-Language": "en"}


@pytest.fixture
def issued_plan(app, make_user, make_lot, make_recipient, make_round):
    """Two lots, three recipients (one per tier); the plan drafted, approved and issued."""
    alloc = make_user("alloc", Role.ALLOCATOR)
    appr = make_user("appr", Role.APPROVER)
    first = make_lot("surgical", 1000, lot_number="LOT-甲-001", pieces_per_box=50)
    make_lot("surgical", 500, lot_number="LOT-B-002", maker="振德医疗用品股份有限公司")
    people = {
        "hospital": make_recipient("乐昌市人民医院", "hospital"),
        "water": make_recipient("自来水公司", "water"),
        "pharmacy": make_recipient("大参林药店", "pharmacy"),
    }
    round_id = make_round(
        [
            (people["hospital"], "surgical", 700),
            (people["water"], "surgical", 400),
            (people["pharmacy"], "surgical", 600),
        ]
    )
    with app.app_context():
        certificates.create_certificate(
            "registration_certificate",
            "粤械注准20202140096",
            holder="稳健医疗用品股份有限公司",
            lots=[db.session.get(Lot, first)],
        )
        plan = plans.create_plan(db.session.get(Round, round_id), alloc)
        plans.submit(plan, alloc)
        plans.approve(plan, appr)
        plans.issue(plan, alloc)
        db.session.commit()
        total = sum(line.quantity for line in plan.current_run.lines)
        numbers = [line.lot.lot_number for line in plan.current_run.lines]
        return {"id": plan.id, "number": plan.number, "total": total, "lots": set(numbers)}


def _text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout


def _download(client, plan_id, lang="zh"):
    response = client.get(f"/plans/{plan_id}/pdf?lang={lang}")
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/pdf"
    return response.get_data()


def test_plan_pdf_lists_plan_recipients_lots_and_totals(
    app, client, signed_in, issued_plan, tmp_path
):
    signed_in(Role.AUDITOR)
    pdf = _download(client, issued_plan["id"])
    text = _text(pdf, tmp_path)
    assert issued_plan["number"] in text
    for name in ("乐昌市人民医院", "自来水公司", "大参林药店"):
        assert name in text
    for number in issued_plan["lots"]:
        assert number in text
    assert f"{issued_plan['total']:,}" in text or str(issued_plan["total"]) in text
    assert "粤械注准20202140096" in text  # the lot's certificate, beside its lines
    assert "调配方案" in text and "审批" in text  # Chinese headings round-trip
    assert "第1页共" in text.replace(" ", "")
    with app.app_context():
        document = db.session.scalar(sa.select(PlanDocument))
        entries = plans.issue_entries(db.session.get(Plan, issued_plan["id"]))
        assert entries and all(e.hash in text.replace("\n", "") for e in entries)
        assert document.content_sha256 in text
        assert document.file_sha256 == documents.sha256_bytes(pdf)


def test_pdf_embeds_the_cjk_fonts(client, signed_in, issued_plan, tmp_path):
    signed_in(Role.AUDITOR)
    path = tmp_path / "plan.pdf"
    path.write_bytes(_download(client, issued_plan["id"]))
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    assert "Noto-Sans-CJK-SC" in fonts
    assert all(" yes yes " in line for line in fonts.splitlines()[2:])  # embedded, subset


def test_english_version(client, signed_in, issued_plan, tmp_path):
    signed_in(Role.AUDITOR)
    text = _text(_download(client, issued_plan["id"], "en"), tmp_path)
    assert "Allocation plan" in text and "Approval chain" in text
    assert "Page 1 of" in text and "第1页" not in text.replace(" ", "")
    assert "乐昌市人民医院" in text


def test_pdf_is_stored_once_and_every_download_recorded(app, client, signed_in, issued_plan):
    signed_in(Role.AUDITOR)
    first = _download(client, issued_plan["id"])
    second = _download(client, issued_plan["id"])
    assert first == second
    with app.app_context():
        stored = db.session.scalars(sa.select(PlanDocument)).all()
        assert len(stored) == 1
        assert documents.document_path(stored[0]).read_bytes() == first
        assert str(documents.document_path(stored[0])).startswith(app.instance_path)
        downloads = db.session.scalars(sa.select(DocumentDownload)).all()
        auditor = db.session.scalar(sa.select(User).where(User.username == "user-auditor"))
        assert [d.user_id for d in downloads] == [auditor.id, auditor.id]


def test_draft_plan_has_no_pdf(app, client, signed_in, make_lot, make_recipient, make_round):
    signed_in(Role.AUDITOR)
    make_lot("surgical", 100)
    round_id = make_round([(make_recipient("医院丙"), "surgical", 50)])
    with app.app_context():
        plan = plans.create_plan(db.session.get(Round, round_id), None)
        db.session.commit()
        plan_id = plan.id
    response = client.get(f"/plans/{plan_id}/pdf", headers=EN)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "approved and issued plans only" in response.get_data(as_text=True)


def _upload(client, data: bytes, name="plan.pdf"):
    """POST the file as multipart, encoded in memory (no temporary file left open)."""
    boundary, body = encode_multipart({"pdf": FileStorage(io.BytesIO(data), name)})
    return client.post(
        "/audit/verify",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
        headers=EN,
    )


def test_verification_accepts_the_genuine_file_and_refuses_one_changed_byte(
    client, signed_in, issued_plan
):
    signed_in(Role.AUDITOR)
    pdf = _download(client, issued_plan["id"])
    genuine = _upload(client, pdf)
    page = genuine.get_data(as_text=True)
    assert genuine.status_code == 200
    assert f"Genuine: allocation plan {issued_plan['number']}, version 1" in page
    assert "entries are intact" in page
    assert "Chain intact" in page  # flask ledger verify's result on the same page
    changed = bytearray(pdf)
    changed[len(changed) // 2] ^= 0x01
    refused = _upload(client, bytes(changed)).get_data(as_text=True)
    assert "Not genuine" in refused and "Genuine:" not in refused


def test_verification_by_typed_content_hash(app, client, signed_in, issued_plan):
    signed_in(Role.AUDITOR)
    _download(client, issued_plan["id"])
    with app.app_context():
        content = db.session.scalar(sa.select(PlanDocument.content_sha256))
    typed = " ".join(content[i : i + 8] for i in range(0, 64, 8)).upper()
    page = client.get("/audit/verify", query_string={"sha256": typed}, headers=EN)
    assert page.status_code == 200
    assert "Genuine: allocation plan" in page.get_data(as_text=True)
    unknown = client.get("/audit/verify", query_string={"sha256": "ab" * 32}, headers=EN)
    assert "Not genuine" in unknown.get_data(as_text=True)


def test_a_plan_pdf_stays_genuine_when_a_unit_is_renamed(app, client, signed_in, issued_plan):
    from recipients import services
    from recipients.models import Recipient

    signed_in(Role.AUDITOR)
    pdf = _download(client, issued_plan["id"])
    with app.app_context():
        unit = db.session.scalar(sa.select(Recipient).where(Recipient.name == "乐昌市人民医院"))
        services.update_recipient(unit, "乐昌市人民医院（新院区）", unit.category.value)
        db.session.commit()
    page = _upload(client, pdf).get_data(as_text=True)
    assert f"Genuine: allocation plan {issued_plan['number']}" in page
    assert "乐昌市人民医院 → 乐昌市人民医院（新院区）" in page
    # A line's quantity changed behind Baogong's back is another matter.
    with tampering(app) as sql:
        sql.execute(sa.text("UPDATE allocation_plan_lines SET quantity = quantity + 1"))
    page = _upload(client, pdf).get_data(as_text=True)
    assert "but the records no longer match it" in page and "→" not in page


def test_bad_input_gets_a_clear_message(client, signed_in):
    signed_in(Role.AUDITOR)
    response = _upload(client, b"GIF89a not a pdf", "x.pdf")
    assert response.status_code == 400
    assert "not a PDF" in response.get_data(as_text=True)
    response = client.get("/audit/verify?sha256=xyz", headers=EN)
    assert response.status_code == 400
    assert "64 characters" in response.get_data(as_text=True)
    zh = client.get("/audit/verify?sha256=xyz", headers={"Accept-Language": "zh"})
    assert "64" in zh.get_data(as_text=True) and "SHA-256" in zh.get_data(as_text=True)


def test_tampered_issue_entry_is_reported(app, client, signed_in, issued_plan):
    """An issue entry edited behind Baogong's back: the document's entries are no longer intact."""
    signed_in(Role.AUDITOR)
    pdf = _download(client, issued_plan["id"])
    with app.app_context():
        seq = plans.issue_entries(db.session.get(Plan, issued_plan["id"]))[0].seq
    with tampering(app) as sql:
        sql.execute(sa.text("UPDATE ledger_entries SET quantity = 1 WHERE seq = :s"), {"s": seq})
    page = _upload(client, pdf).get_data(as_text=True)
    assert "Some entries are not intact" in page
    assert "Chain broken" in page


def test_fit_counts_chinese_as_two_columns():
    assert documents.fit("医院", 6) == "医院  "
    assert documents.width(documents.fit("稳健医疗用品股份有限公司", 10)) == 10
    assert documents.fit("12", 5, right=True) == "   12"
    assert documents.boxes_text(120, 50) == "2+20" and documents.boxes_text(100, 50) == "2"


def test_line_columns_are_as_wide_as_their_widest_value_up_to_a_limit():
    rows = [{"seq": 1, "lot": "A-1", "maker": "稳健", "pieces": "50"}, {"seq": 12, "lot": "LOT-9"}]
    widths = documents.column_widths(rows)
    assert (widths["seq"], widths["lot"], widths["maker"], widths["pieces"]) == (2, 5, 4, 2)
    # (no certificates in these rows: an empty column between the maker and the pieces)
    assert documents.format_row(rows[0], widths) == " 1  A-1    稳健    50"
    assert documents.column_widths([{"lot": "X" * 50}])["lot"] == 20


def test_daily_report_page_and_pdf(app, client, signed_in, issued_plan, tmp_path):
    from core.clock import local_today

    signed_in(Role.AUDITOR)
    with app.app_context():
        day = local_today().isoformat()
    page = client.get(f"/audit/daily?day={day}", headers=EN).get_data(as_text=True)
    assert "Daily report" in page and "1,500" in page  # received today
    pdf = client.get(f"/audit/daily.pdf?day={day}&lang=zh")
    assert pdf.mimetype == "application/pdf"
    text = _text(pdf.get_data(), tmp_path)
    assert "日报表" in text and "医用外科口罩" in text
    assert f"{issued_plan['total']:,}" in text
    assert "第1页共1页" in text.replace(" ", "")
    # The English PDF is English throughout, asked for from a Chinese page.
    text = _text(client.get(f"/audit/daily.pdf?day={day}&lang=en").get_data(), tmp_path)
    assert f"Daily report {day}" in text and "Page 1 of 1" in text and "日报表" not in text


def test_recall_report_names_everyone_who_received_the_lot(
    app, client, signed_in, issued_plan, tmp_path
):
    signed_in(Role.AUDITOR)
    from catalog.models import Lot

    with app.app_context():
        lot = db.session.scalar(sa.select(Lot).where(Lot.lot_number == "LOT-甲-001"))
        receipts = {r.recipient.name: r.quantity for r in lot_recipients(lot.id)}
        lot_id = lot.id
    text = _text(client.get(f"/lots/{lot_id}/recall.pdf").get_data(), tmp_path)
    assert "LOT-甲-001" in text and "召回" in text
    for name, quantity in receipts.items():
        assert name in text and f"{quantity:,}" in text


def _lot_id(app, number="LOT-甲-001") -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Lot.id).where(Lot.lot_number == number))


def test_report_pdfs_are_stored_once_and_every_download_recorded(
    app, client, signed_in, issued_plan
):
    from core.clock import local_today

    signed_in(Role.AUDITOR, username="shen")
    with app.app_context():
        day = local_today().isoformat()
        auditor = db.session.scalar(sa.select(User.id).where(User.username == "shen"))
    first = client.get(f"/audit/daily.pdf?day={day}&lang=zh").get_data()
    again = client.get(f"/audit/daily.pdf?day={day}&lang=zh").get_data()
    recall = client.get(f"/lots/{_lot_id(app)}/recall.pdf?lang=en").get_data()
    assert first == again and recall.startswith(b"%PDF-")
    with app.app_context():
        stored = db.session.scalars(sa.select(ReportDocument).order_by(ReportDocument.id)).all()
        assert [(d.kind, d.language) for d in stored] == [("daily", "zh"), ("recall", "en")]
        assert stored[0].file_sha256 == documents.sha256_bytes(first)
        downloads = db.session.scalars(sa.select(ReportDownload)).all()
        assert [d.document_id for d in downloads] == [stored[0].id, stored[0].id, stored[1].id]
        assert {d.user_id for d in downloads} == {auditor}


def test_report_pdfs_are_verified_like_plans(app, client, signed_in, issued_plan):
    from core.clock import local_today

    signed_in(Role.AUDITOR)
    with app.app_context():
        day = local_today()
    daily = client.get(f"/audit/daily.pdf?day={day.isoformat()}&lang=en").get_data()
    recall = client.get(f"/lots/{_lot_id(app)}/recall.pdf").get_data()
    page = _upload(client, daily).get_data(as_text=True)
    assert "Genuine: daily report of" in page and "entries are intact" in page
    page = _upload(client, recall).get_data(as_text=True)
    assert "Genuine: recall report of lot LOT-甲-001" in page
    with app.app_context():
        content = db.session.scalar(
            sa.select(ReportDocument.content_sha256).where(ReportDocument.kind == "recall")
        )
    typed = client.get("/audit/verify", query_string={"sha256": content}, headers=EN)
    assert "Genuine: recall report" in typed.get_data(as_text=True)
    changed = bytearray(daily)
    changed[len(changed) // 2] ^= 0x01
    assert "Not genuine" in _upload(client, bytes(changed)).get_data(as_text=True)

    # A receipt later the same day: the printed report is still genuine (it says what the
    # ledger said up to its entry), the page says a newer report would show more, and a new
    # download is a new document. (Dated as the day's last entry: the test may cross midnight.)
    from ledger import services as ledger

    with app.app_context():
        last = db.session.scalar(sa.select(sa.func.max(LedgerEntry.occurred_at)))
        ledger.receive(_lot_id(app), None, quantity=300, occurred_at=last)
        db.session.commit()
    page = _upload(client, daily).get_data(as_text=True)
    assert "Genuine: daily report of" in page
    assert "recorded since that a report printed now would include" in page
    newer = client.get(f"/audit/daily.pdf?day={day.isoformat()}&lang=en").get_data()
    assert newer != daily
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count(ReportDocument.id)).where(ReportDocument.kind == "daily")
            )
            == 2
        )


def test_tampered_delivery_is_reported_on_the_recall_report(app, client, signed_in, issued_plan):
    signed_in(Role.AUDITOR)
    lot_id = _lot_id(app)
    recall = client.get(f"/lots/{lot_id}/recall.pdf").get_data()
    with app.app_context():
        seq = db.session.scalar(
            sa.select(sa.func.min(LedgerEntry.seq)).where(
                LedgerEntry.lot_id == lot_id, LedgerEntry.recipient_id.is_not(None)
            )
        )
    with tampering(app) as sql:
        sql.execute(sa.text("UPDATE ledger_entries SET quantity = 1 WHERE seq = :s"), {"s": seq})
    page = _upload(client, recall).get_data(as_text=True)
    assert "but the records no longer match it" in page
    assert "Some entries are not intact" in page and "Chain broken" in page
    with app.app_context():
        content = db.session.scalar(sa.select(ReportDocument.content_sha256))
    zh = client.get(
        "/audit/verify", query_string={"sha256": content}, headers={"Accept-Language": "zh"}
    ).get_data(as_text=True)
    assert "批号 LOT-甲-001 的召回报告" in zh and "现有记录已与之不符" in zh


def test_data_in_a_pdf_header_is_a_css_string_and_nothing_more():
    quoted = documents.css_string('召回 L1"\\\n} x { display: none } </style>&')
    assert quoted == '"召回 L1\\22 \\5c  \\7d  x \\7b  display: none \\7d  \\3c /style\\3e \\26 "'
    assert documents.fit("稳健\n医疗", 10) == "稳健 医疗 "  # a line break would split the line


def test_a_lot_number_cannot_restyle_the_recall_pdf(
    app, client, signed_in, make_lot, make_recipient, tmp_path
):
    from ledger import services as ledger

    hostile = "L1\n} } tr:nth-child(2) { display: none } x{"
    lot_id = make_lot("surgical", 1000, lot_number=hostile)
    units = [make_recipient("乐昌市人民医院"), make_recipient("韶关市第一人民医院")]
    with app.app_context():
        for unit in units:
            ledger.issue(lot_id, unit, 100, None)
        db.session.commit()
    signed_in(Role.AUDITOR)
    text = _text(client.get(f"/lots/{lot_id}/recall.pdf").get_data(), tmp_path)
    assert "乐昌市人民医院" in text and "韶关市第一人民医院" in text  # no row hidden
    assert "} } tr:nth-child(2) { display: none } x{" in text  # the header prints it, as text


def test_a_recall_report_stays_genuine_when_a_unit_is_renamed(
    app, client, signed_in, issued_plan, tmp_path
):
    from recipients import services
    from recipients.models import Recipient

    signed_in(Role.AUDITOR)
    lot_id = _lot_id(app)
    recall = client.get(f"/lots/{lot_id}/recall.pdf").get_data()
    with app.app_context():
        unit = db.session.scalar(sa.select(Recipient).where(Recipient.name == "乐昌市人民医院"))
        services.update_recipient(unit, "乐昌市人民医院（新院区）", unit.category.value)
        db.session.commit()
    assert "Genuine: recall report" in _upload(client, recall).get_data(as_text=True)
    newer = client.get(f"/lots/{lot_id}/recall.pdf").get_data()
    assert newer != recall and "新院区" in _text(newer, tmp_path)  # printed with today's name
    with app.app_context():
        hashes = db.session.scalars(sa.select(ReportDocument.content_sha256)).all()
        assert len(hashes) == 2 and len(set(hashes)) == 1  # the same ledger facts


def test_a_daily_report_is_not_genuine_once_an_earlier_entry_is_changed(
    app, client, signed_in, make_lot
):
    """The day's stock comes from every entry before its end: moving an earlier receipt to
    another lot of the same grade changes no figure, but breaks the chain the report rests on."""
    from datetime import timedelta

    from core.clock import local_today
    from ledger import services as ledger

    first = make_lot("surgical", 1000)
    other = make_lot("surgical", 500)
    with app.app_context():
        earlier = ledger.receive(
            first, None, quantity=200, occurred_at=documents.now_utc() - timedelta(days=2)
        ).seq
        db.session.commit()
        day = local_today().isoformat()
    signed_in(Role.AUDITOR)
    daily = client.get(f"/audit/daily.pdf?day={day}&lang=en").get_data()
    assert "Genuine: daily report" in _upload(client, daily).get_data(as_text=True)
    with tampering(app) as sql:
        sql.execute(
            sa.text("UPDATE ledger_entries SET lot_id = :other WHERE seq = :seq"),
            {"other": other, "seq": earlier},
        )
    page = _upload(client, daily).get_data(as_text=True)
    assert "but the records no longer match it" in page
    assert f"broken at entry {earlier}" in page


def test_daily_report_pdfs_only_for_days_the_ledger_covers(app, client, signed_in, make_lot):
    from datetime import timedelta

    from core.clock import local_today

    make_lot("surgical", 100)
    signed_in(Role.AUDITOR)
    with app.app_context():
        today = local_today()
    for day in (today + timedelta(days=1), today - timedelta(days=30), "9999-12-31"):
        assert client.get(f"/audit/daily.pdf?day={day}").status_code == 404
        assert client.get(f"/audit/daily?day={day}").status_code == 200  # shows the nearer day
    assert client.get(f"/audit/daily.pdf?day={today}").status_code == 200
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ReportDocument.id))) == 1


def test_exports_csv_and_xlsx(client, signed_in, issued_plan):
    signed_in(Role.AUDITOR)
    period = "since=2000-01-01&until=2099-12-31"
    ledger_csv = client.get(f"/audit/exports/ledger.csv?{period}").get_data()
    rows = list(csv.reader(io.StringIO(ledger_csv.decode("utf-8-sig"))))
    assert rows[0][0] == "seq" and rows[0][-1] == "hash"
    assert (
        sum(1 for r in rows[1:] if r[3] == "issue")
        == len([r for r in rows[1:] if r[3] == "issue"])
        > 0
    )
    lines = client.get("/audit/exports/plan_lines.xlsx?since=2026-01-01&until=2026-12-31")
    sheet = load_workbook(io.BytesIO(lines.get_data())).active
    values = list(sheet.values)
    assert values[0][0] == "plan"
    assert sum(row[10] for row in values[1:]) == issued_plan["total"]
    stock = client.get(f"/audit/exports/stock.csv?{period}").get_data().decode("utf-8-sig")
    issued = sum(int(r[-1]) for r in csv.reader(io.StringIO(stock)) if r and r[5] == "issued")
    assert issued == issued_plan["total"]
    page = client.get("/audit/exports", headers=EN)
    assert page.status_code == 200 and "ledger.xlsx" in page.get_data(as_text=True)


@pytest.mark.parametrize("in_child", [True, False])
def test_requests_keep_the_pdf_render_server_warm(app, client, monkeypatch, in_child):
    import audit.views

    started = []
    monkeypatch.setattr(audit.views, "warm", lambda: started.append(True))
    app.config["PDF_RENDER_IN_CHILD"] = in_child
    client.get("/login")
    assert bool(started) is in_child


def test_a_pdf_that_cannot_be_made_says_so_and_stores_nothing(
    app, client, signed_in, issued_plan, monkeypatch
):
    from audit.render import RenderError

    def failing(*args, **kwargs):
        raise RenderError("PDF rendering timed out")

    monkeypatch.setattr(documents, "render_document", failing)
    signed_in(Role.AUDITOR)
    response = client.get(f"/plans/{issued_plan['id']}/pdf", headers=EN)
    assert response.status_code == 503
    assert "The PDF could not be made" in response.get_data(as_text=True)
    zh = client.get(f"/plans/{issued_plan['id']}/pdf", headers={"Accept-Language": "zh"})
    assert zh.status_code == 503 and "PDF 未能生成" in zh.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(PlanDocument.id))) == 0
        assert db.session.scalar(sa.select(sa.func.count(DocumentDownload.id))) == 0
