"""Suppliers, purchases and price flags, receiving, certificates and scans, inspection, import."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from accounts import services as accounts
from accounts.models import Role
from catalog import services as catalog
from core.errors import ServiceError
from extensions import db
from ledger import reasons
from ledger import services as ledger
from ledger.models import Bucket, LedgerEntry
from procurement import certificates as certs
from procurement import importer, inspection, services
from procurement.models import (
    Certificate,
    Inspection,
    Lot,
    Purchase,
    StoredFile,
    Supplier,
)
from tests.procurement_helpers import (
    EXE_BYTES,
    JPEG_BYTES,
    MAKER,
    PDF_BYTES,
    PNG_BYTES,
    passing_certificates,
    valid_uscc,
)

RECEIVED = date(2020, 2, 12)


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield app


def _users():
    buyer = accounts.create_user("buyer", "王芳", "correct-horse-battery", [Role.PROCUREMENT])
    inspector = accounts.create_user("qc", "李强", "correct-horse-battery", [Role.INSPECTOR])
    both = accounts.create_user(
        "both", "两者", "correct-horse-battery", [Role.PROCUREMENT, Role.INSPECTOR]
    )
    return buyer, inspector, both


def _grade(code="surgical"):
    from catalog.models import MASK_GRADES

    known = {c: rest for c, *rest in MASK_GRADES}
    return catalog.find_grade(code) or catalog.create_grade(code, *known[code])


def _batch(actor=None, certificates=True, pieces=1000, price="0.95", lot_number="WJ-001"):
    supplier = services.find_supplier(MAKER) or services.create_supplier(
        MAKER, "maker", valid_uscc("914403006188812")
    )
    purchase = services.create_purchase(
        "purchase",
        supplier.id,
        RECEIVED - timedelta(days=2),
        [services.LineInput(_grade().id, 1000, Decimal(price))],
        contract_number=f"C-{lot_number}",
        actor=actor,
    )
    lot = services.receive_batch(
        purchase.lines[0],
        lot_number=lot_number,
        maker=MAKER,
        model="平面耳挂式",
        pieces=pieces,
        pieces_per_box=50,
        origin="domestic_medical",
        received_on=RECEIVED,
        production_date=date(2020, 2, 1),
        expiry_date=date(2022, 1, 31),
        over_receipt_reason="多送 50 只样品" if pieces > 1000 else "",
        actor=actor,
    )
    if certificates:
        for kwargs in passing_certificates(uscc=supplier.uscc):
            certs.create_certificate(**kwargs, lots=[lot], supplier_id=supplier.id)
    return lot


# Suppliers -----------------------------------------------------------------------------------


def test_supplier_with_a_wrong_check_digit_is_refused(ctx):
    good = valid_uscc("914403006188812")
    wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
    with pytest.raises(ServiceError) as error:
        services.create_supplier("测试公司", "maker", wrong)
    assert error.value.field == "uscc"
    assert "校验位不正确" in str(error.value.message)
    assert services.create_supplier("测试公司", "maker", good.lower()).uscc == good


def test_supplier_form_shows_the_check_digit_error(ctx):
    from werkzeug.datastructures import MultiDict

    from procurement.forms import SupplierForm

    good = valid_uscc("914403006188812")
    wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
    form = SupplierForm(
        MultiDict({"name": "某公司", "kind": "maker", "uscc": wrong}), meta={"csrf": False}
    )
    assert not form.validate()
    assert "校验位不正确" in form.uscc.errors[0]
    form = SupplierForm(
        MultiDict({"name": "某公司", "kind": "maker", "uscc": good}), meta={"csrf": False}
    )
    assert form.validate(), form.errors


def test_a_company_needs_its_credit_code_but_a_donor_may_have_none(ctx):
    with pytest.raises(ServiceError):
        services.create_supplier("无代码公司", "maker", "")
    assert services.create_supplier("某海外侨团", "donor", "").uscc is None


# Prices --------------------------------------------------------------------------------------


def test_price_above_the_agreed_price_is_flagged_and_written_in_the_receipt(ctx):
    services.set_agreed_price(_grade(), Decimal("1.0000"), date(2020, 1, 1))
    lot = _batch(price="1.20")
    line = lot.purchase_line
    assert line.above_agreed and line.agreed_price == Decimal("1.0000")
    receipt = db.session.scalar(sa.select(LedgerEntry).where(LedgerEntry.lot_id == lot.id))
    # Stored as a code, shown in the reader's language: no English on a Chinese page.
    with force_locale("zh"):
        zh = reasons.render(receipt.reason)
    with force_locale("en"):
        en = reasons.render(receipt.reason)
    assert "协议价 1.0000 元" in zh and "1.2000" in zh
    assert "agreed" not in zh and "price." not in zh and "⟦" not in zh
    assert "above the agreed CNY 1.0000" in en


def test_price_far_above_the_recent_median_is_flagged(ctx):
    supplier = services.create_supplier("中位价测试", "distributor", valid_uscc("91440100ABC"))
    grade = _grade()
    for i, price in enumerate(["0.90", "1.00", "1.10"]):
        services.create_purchase(
            "purchase",
            supplier.id,
            date(2020, 2, 1 + i),
            [services.LineInput(grade.id, 100, Decimal(price))],
            contract_number=f"M-{i}",
        )
    ok = services.create_purchase(
        "purchase", supplier.id, date(2020, 2, 10),
        [services.LineInput(grade.id, 100, Decimal("1.19"))], contract_number="M-ok",
    )  # fmt: skip
    high = services.create_purchase(
        "purchase", supplier.id, date(2020, 2, 10),
        [services.LineInput(grade.id, 100, Decimal("1.40"))], contract_number="M-high",
    )  # fmt: skip
    assert not ok.lines[0].price_flagged  # within 20 % of the median 1.00 (+ the 1.19 line)
    assert high.lines[0].above_median and not high.lines[0].above_agreed
    assert high.lines[0].median_price is not None


def test_agreed_price_must_be_positive(ctx):
    with pytest.raises(ServiceError):
        services.set_agreed_price(_grade(), Decimal("0"), date(2020, 1, 1))


# Receiving -----------------------------------------------------------------------------------


def test_a_received_batch_is_in_quarantine_and_not_allocatable(ctx):
    lot = _batch()
    assert ledger.balance(lot, Bucket.QUARANTINE) == 1000
    assert lot.id not in {a.lot_id for a in ledger.allocatable_lots(on_date=RECEIVED)}


def test_receiving_more_than_ordered_needs_a_reason(ctx):
    supplier = services.create_supplier(MAKER, "maker", valid_uscc("914403006188812"))
    purchase = services.create_purchase(
        "purchase", supplier.id, RECEIVED,
        [services.LineInput(_grade().id, 1000, Decimal("1"))], contract_number="OVER",
    )  # fmt: skip
    with pytest.raises(ServiceError) as error:
        services.receive_batch(
            purchase.lines[0], lot_number="X1", maker=MAKER, model="m", pieces=1050,
            pieces_per_box=50, origin="domestic_medical", received_on=RECEIVED,
        )  # fmt: skip
    assert error.value.field == "over_receipt_reason"
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Lot.id))) == 0
    lot = _batch(pieces=1050)
    assert lot.over_receipt_reason


# Certificates and scans ----------------------------------------------------------------------


@pytest.mark.parametrize("data", [PDF_BYTES, PNG_BYTES, JPEG_BYTES])
def test_pdf_png_and_jpeg_scans_are_accepted_and_stored_by_hash(ctx, data):
    lot = _batch(certificates=False)
    scan = certs.check_scan(data, "scan.bin")
    cert = certs.create_certificate("business_licence", "x", scan=scan, lots=[lot])
    path = certs.scan_path(cert.scan)
    assert path.read_bytes() == data and path.name == cert.scan.sha256
    assert "static" not in str(path)


def test_a_renamed_exe_is_refused_and_leaves_nothing(ctx):
    with pytest.raises(ServiceError) as error:
        certs.check_scan(EXE_BYTES, "registration.pdf")
    assert error.value.field == "scan"
    assert "PDF" in str(error.value.message)
    assert not any(Path(ctx.instance_path, "uploads").glob("*"))


def test_a_fake_png_header_is_refused(ctx):
    with pytest.raises(ServiceError):
        certs.check_scan(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10, "x.png")


def test_an_oversized_scan_is_refused(ctx):
    with pytest.raises(ServiceError) as error:
        certs.check_scan(b"%PDF-" + b"0" * (11 * 1024 * 1024) + b"%%EOF", "big.pdf")
    assert "MB" in str(error.value.message)


# Inspection ----------------------------------------------------------------------------------


def test_passing_batch_is_released_and_becomes_allocatable(ctx):
    buyer, inspector, _ = _users()
    lot = _batch(actor=buyer)
    # Domestic medical goods: the inspector looks the numbers up in the registry and on the box.
    inspection.record_confirmations(lot, None, None, inspector, True, True)
    result = inspection.checklist(lot)
    assert result.passed, [r.message_en for r in result.failures]
    record = inspection.release_batch(lot, inspector)
    assert ledger.balance(lot, Bucket.AVAILABLE) == 1000
    assert record.ledger_seq and record.checklist["verdict"] in ("pass", "warn")
    assert lot.id in {a.lot_id for a in ledger.allocatable_lots(on_date=RECEIVED)}


def test_failing_batch_needs_an_override_reason_which_is_kept(ctx):
    buyer, inspector, _ = _users()
    lot = _batch(actor=buyer, certificates=False)
    assert not inspection.checklist(lot).passed
    with pytest.raises(ServiceError) as error:
        inspection.release_batch(lot, inspector, "  ")
    assert error.value.field == "override_reason"
    assert ledger.balance(lot, Bucket.AVAILABLE) == 0
    record = inspection.release_batch(lot, inspector, "市指挥部书面批准，证件补交中")
    assert record.overridden and record.reason == "市指挥部书面批准，证件补交中"
    assert record.checklist["verdict"] == "fail"
    entry = db.session.get(LedgerEntry, record.ledger_seq)
    with force_locale("zh"):
        shown = reasons.render(entry.reason)
    failed = sum(r["outcome"] == "fail" for r in record.checklist["results"])
    assert shown == f"让步放行：{failed} 项检查未通过：市指挥部书面批准，证件补交中"
    with force_locale("en"):
        english = reasons.render(entry.reason)
    assert english.startswith(f"Released by concession, {failed} checks failed: ")


def test_rejected_batch_is_never_allocatable(ctx):
    buyer, inspector, _ = _users()
    lot = _batch(actor=buyer, certificates=False)
    inspection.reject_batch(lot, inspector, "检测报告细菌过滤效率不合格")
    assert ledger.balance(lot, Bucket.REJECTED) == 1000
    assert lot.id not in {a.lot_id for a in ledger.allocatable_lots(on_date=RECEIVED)}
    with pytest.raises(ServiceError):
        inspection.release_batch(lot, inspector, "再试一次")


def test_nobody_inspects_a_batch_they_received(ctx):
    _, _, both = _users()
    lot = _batch(actor=both)
    with pytest.raises(ServiceError):
        inspection.release_batch(lot, both)
    with pytest.raises(ServiceError):
        inspection.reject_batch(lot, both, "不合格")
    assert ledger.balance(lot, Bucket.QUARANTINE) == 1000


def test_only_inspectors_decide(ctx):
    buyer, _, _ = _users()
    lot = _batch()
    with pytest.raises(ServiceError):
        inspection.release_batch(lot, buyer)


def test_expired_certificate_fails_the_checklist(ctx):
    _, inspector, _ = _users()
    lot = _batch(certificates=False)
    inspection.record_confirmations(lot, None, None, inspector, True, True)
    for kwargs in passing_certificates():
        if kwargs["kind"] == "registration_certificate":
            kwargs = {**kwargs, "valid_from": date(2015, 1, 1), "valid_until": date(2020, 1, 31)}
        certs.create_certificate(**kwargs, lots=[lot])
    result = inspection.checklist(lot)
    assert [r.code for r in result.failures] == ["validity.registration_certificate"]


def test_import_confirmations_are_recorded_by_the_inspector(ctx):
    buyer, inspector, _ = _users()
    lot = _batch(actor=buyer)
    inspection.record_confirmations(lot, True, False, inspector, True, True)
    result = inspection.checklist(lot)
    assert [r.code for r in result.failures] == ["inspection.packaging_intact"]
    inspection.record_confirmations(lot, True, True, inspector, True, False)
    assert [r.code for r in inspection.checklist(lot).failures] == ["inspection.label_checked"]


# Pages ---------------------------------------------------------------------------------------


def test_release_page_refuses_without_override_and_keeps_the_batch_in_quarantine(
    app, signed_in, client
):
    with app.test_request_context():
        buyer, _, _ = _users()
        lot_id = _batch(actor=buyer, certificates=False).id
        db.session.commit()
    signed_in(Role.INSPECTOR)
    response = client.post(f"/batches/{lot_id}/release", data={"release-override_reason": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "让步放行理由" in page
    response = client.post(
        f"/batches/{lot_id}/release", data={"release-override_reason": "指挥部批准"}
    )
    assert response.status_code == 302
    with app.app_context():
        assert ledger.balance(lot_id, Bucket.AVAILABLE) == 1000


def test_upload_of_a_renamed_exe_shows_a_clear_message(app, signed_in, client):
    with app.test_request_context():
        lot_id = _batch(certificates=False).id
        db.session.commit()
    signed_in(Role.PROCUREMENT)
    response = client.post(
        f"/batches/{lot_id}/certificates/new",
        data={
            "kind": "business_licence",
            "number": "91440300618881264K",
            "scan": (io.BytesIO(EXE_BYTES), "licence.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert "PDF" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Certificate.id))) == 0
        assert db.session.scalar(sa.select(sa.func.count(StoredFile.id))) == 0
    assert not any(Path(app.instance_path, "uploads").glob("*"))


def test_a_50_mb_upload_is_refused_with_a_message_on_the_form(app, signed_in, client):
    with app.test_request_context():
        lot_id = _batch(certificates=False).id
        db.session.commit()
    signed_in(Role.PROCUREMENT)
    url = f"/batches/{lot_id}/certificates/new"
    response = client.post(
        url,
        data={
            "kind": "test_report",
            "number": "R1",
            "scan": (io.BytesIO(b"0" * (50 << 20)), "a.pdf"),
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "10 MB" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Certificate.id))) == 0
    assert not any(Path(app.instance_path, "uploads").glob("*"))


# Import --------------------------------------------------------------------------------------


def _csv(rows: list[list[object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.header for c in importer.COLUMNS])
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _row(**changes):
    values = {c.key: c.example for c in importer.COLUMNS}
    values.update(changes)
    return [values[c.key] for c in importer.COLUMNS]


def test_import_of_a_good_file_writes_purchases_and_batches(ctx):
    services.create_supplier(MAKER, "maker", valid_uscc("914403006188812"))
    _grade()
    data = _csv(
        [
            _row(lot_number="L1"),
            _row(lot_number="L2"),
            _row(contract_number="SG-2", lot_number="L3", unit_price="1.05"),
        ]
    )
    result = importer.import_file(data, "batches.csv", None)
    assert (result.purchases, result.batches) == (2, 3)
    assert all(ledger.balance(lot, Bucket.QUARANTINE) == 100_000 for lot in result.lots)


def test_import_takes_country_valve_and_registrant_and_older_files_still_read(ctx):
    services.create_supplier(MAKER, "maker", valid_uscc("914403006188812"))
    _grade()
    data = _csv(
        [
            _row(lot_number="L1", made_in="中国", exhalation_valve="无", registrant="稳健医疗集团"),
            _row(lot_number="L2", made_in="United States", exhalation_valve="yes"),
        ]
    )
    result = importer.import_file(data, "batches.csv", None)
    assert [(lot.made_in, lot.exhalation_valve, lot.registrant) for lot in result.lots] == [
        ("CN", False, "稳健医疗集团"),
        ("US", True, None),
    ]
    bad = _csv(
        [_row(lot_number="L3", contract_number="SG-3", made_in="火星", exhalation_valve="也许")]
    )
    with pytest.raises(importer.ImportRefused) as refused:
        importer.import_file(bad, "batches.csv", None)
    columns = {p.column for p in refused.value.problems}
    assert columns == {"产地 / Country of manufacture", "呼气阀 / Exhalation valve"}
    # A file made from the template before these columns existed is still read.
    old = [c for c in importer.COLUMNS if not c.may_be_absent]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.header for c in old])
    example = {c.key: c.example for c in old} | {"lot_number": "L4", "contract_number": "SG-4"}
    writer.writerow([example[c.key] for c in old])
    older = importer.import_file(out.getvalue().encode(), "old.csv", None)
    assert older.batches == 1 and older.lots[0].made_in is None


def test_import_reports_every_bad_row_and_writes_nothing(ctx):
    services.create_supplier(MAKER, "maker", valid_uscc("914403006188812"))
    _grade()
    data = _csv(
        [
            _row(lot_number="G1"),
            _row(lot_number="B1", quantity="many"),
            _row(lot_number="B2", grade="不存在的品类"),
            _row(lot_number="G2"),
            _row(lot_number="B3", received_on="2020-13-45"),
        ]
    )
    with pytest.raises(importer.ImportRefused) as refused:
        importer.import_file(data, "batches.csv", None)
    problems = [(p.row, p.column) for p in refused.value.problems]
    assert problems == [
        (3, "订购数量 / Quantity ordered"),
        (4, "品类 / Grade"),
        (6, "到货日期 / Received on"),
    ]
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Purchase.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(Lot.id))) == 0


def test_a_broken_spreadsheet_is_reported(ctx):
    with pytest.raises(importer.ImportRefused) as refused:
        importer.import_file(b"PK\x03\x04 not really a zip", "batches.xlsx", None)
    assert refused.value.problems[0].row is None


def test_the_template_reads_back_as_a_valid_file(ctx):
    services.create_supplier(MAKER, "maker", valid_uscc("914403006188812"))
    _grade()
    data = importer.template_xlsx().getvalue()
    rows = importer.read_rows(data, "template.xlsx")
    good, problems = importer.check_rows(rows)
    assert problems == [] and len(good) == 1


def test_import_page_lists_the_problems(app, signed_in, client):
    signed_in(Role.PROCUREMENT)
    data = _csv([_row(supplier="没有这个供应商")])
    response = client.post(
        "/import",
        data={"file": (io.BytesIO(data), "x.csv")},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "供应商 / Supplier" in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Supplier.id))) == 0
        assert db.session.scalar(sa.select(sa.func.count(Inspection.id))) == 0
    template = client.get("/import/template.xlsx")
    assert template.status_code == 200 and template.data[:2] == b"PK"


def test_a_file_longer_than_the_limit_is_refused_whole(app, signed_in, client):
    signed_in(Role.PROCUREMENT)
    data = _csv([_row(lot_number=f"L{n}") for n in range(importer.MAX_ROWS + 1)])
    response = client.post(
        "/import",
        data={"file": (io.BytesIO(data), "x.csv")},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert f"每个文件最多 {importer.MAX_ROWS} 行" in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Lot.id))) == 0


# Demo ----------------------------------------------------------------------------------------


def test_the_demo_has_batches_in_every_state_of_the_gate(app, signed_in):
    from demo.seed import seed_demo
    from procurement import queries

    with app.test_request_context():
        seed_demo()
        db.session.commit()
        assert seed_demo()[-1:] != ["7 suppliers, 7 batches with certificates"]  # idempotent
        overrides = db.session.scalars(sa.select(Inspection).where(Inspection.overridden)).all()
        # The donated KN95 whose report lacks a value, and the gloves and disinfectant, for
        # which the checklist has no rules: each released with its written reason.
        assert sorted(o.lot.grade.code for o in overrides) == [
            "disinfectant_84",
            "kn95",
            "medical_gloves",
        ]
        assert all(o.checklist["verdict"] == "fail" and o.reason for o in overrides)
        assert db.session.scalar(
            sa.select(sa.func.count(Inspection.id)).where(Inspection.decision == "reject")
        )
        assert queries.count_in_quarantine() >= 4
        assert queries.count_batches_without_certificates() >= 2
        assert queries.count_open_purchases() >= 2
        flagged = db.session.scalars(sa.select(Purchase)).all()
        assert any(p.flagged for p in flagged)
        lot_ids = db.session.scalars(sa.select(Lot.id).where(Lot.purchase_line_id.is_not(None)))
        lot_ids = list(lot_ids)
        supplier_ids = list(db.session.scalars(sa.select(Supplier.id)))
        purchase_ids = list(db.session.scalars(sa.select(Purchase.id)))
        scan_ids = list(db.session.scalars(sa.select(Certificate.id)))
    client = signed_in(Role.AUDITOR)
    urls = ["/suppliers", "/purchases", "/batches", "/batches?status=quarantine"]
    urls += [f"/batches/{i}" for i in lot_ids] + [f"/suppliers/{i}" for i in supplier_ids]
    urls += [f"/purchases/{i}" for i in purchase_ids] + [
        f"/certificates/{i}/scan" for i in scan_ids
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        response.close()


def test_purchase_form_names_every_missing_field(app, signed_in, client):
    signed_in(Role.PROCUREMENT)
    response = client.post(
        "/purchases/new",
        data={"source": "purchase", "supplier_id": "0", "ordered_on": "2020-02-10"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    for message in ("请选择供应商", "采购须填写合同编号", "请至少填写一行明细"):
        assert message in page, message
    response = client.post(
        "/purchases/new",
        data={
            "source": "purchase",
            "ordered_on": "2020-02-10",
            "lines-0-grade_id": "0",
            "lines-0-quantity": "100",
        },
    )
    page = response.get_data(as_text=True)
    assert "请选择品类" in page and "采购明细须填写单价" in page


def test_a_supplier_document_can_later_cover_its_batches(app, signed_in, client):
    with app.test_request_context():
        lot_id = _batch(certificates=False).id
        supplier_id = services.find_supplier(MAKER).id
        db.session.commit()
    signed_in(Role.PROCUREMENT)
    response = client.post(
        f"/suppliers/{supplier_id}/documents/new",
        data={
            "kind": "production_licence",
            "number": "粤食药监械生产许20152365号",
            "holder": MAKER,
            "valid_from": "2015-06-01",
            "valid_until": "2025-05-31",
            "scan": (io.BytesIO(PDF_BYTES), "licence.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    page = client.get(f"/batches/{lot_id}").get_data(as_text=True)
    assert "粤食药监械生产许20152365号" in page  # offered for attaching
    with app.app_context():
        certificate = db.session.scalar(sa.select(Certificate))
        assert certificate.supplier_id == supplier_id and certificate.lots == []
        response = client.post(
            f"/batches/{lot_id}/certificates/attach",
            data={"attach-certificate_id": str(certificate.id)},
        )
        assert response.status_code == 302
        assert [c.number for c in db.session.get(Lot, lot_id).certificates] == [certificate.number]


def test_spreadsheet_reader_accepts_gb18030_csv_and_refuses_other_files(app):
    """Both importers read files through core.spreadsheets: Chinese Excel's "CSV" is GB18030."""
    from core.errors import ServiceError
    from core.spreadsheets import read_table

    text = "需求单位,数量\n粤北人民医院,500\n"
    assert read_table(text.encode("gb18030"), "申报.csv") == [
        ["需求单位", "数量"],
        ["粤北人民医院", "500"],
    ]
    assert read_table(("\ufeff" + text).encode("utf-8"), "a.CSV")[1][0] == "粤北人民医院"
    with app.test_request_context(), pytest.raises(ServiceError):
        read_table(b"MZ\x90\x00 not a workbook", "batches.xlsx")
    with app.test_request_context(), pytest.raises(ServiceError):
        read_table(b"whatever", "batches.exe")
