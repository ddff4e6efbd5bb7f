"""The quality gate's new facts through the pages and services (issue 13): the country of
manufacture, the exhalation valve and the registrant on receiving; what a registration covers;
the negative list, kept by the administrator and applied by the checklist."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from accounts.models import Role
from catalog import services as catalog
from catalog.models import MASK_GRADES, Lot
from core.clock import local_today
from core.errors import ServiceError
from extensions import db
from procurement import certificates as certs
from procurement import inspection, services
from procurement.models import Certificate, ListedCompany, PurchaseLine
from tests.procurement_helpers import MAKER, passing_certificates, valid_uscc

RECEIVED = date(2020, 9, 12)


def _line(code="surgical"):
    known = {c: rest for c, *rest in MASK_GRADES}
    grade = catalog.find_grade(code) or catalog.create_grade(code, *known[code])
    supplier = services.find_supplier(MAKER) or services.create_supplier(
        MAKER, "maker", valid_uscc("914403006188812")
    )
    purchase = services.create_purchase(
        "purchase",
        supplier.id,
        RECEIVED - timedelta(days=3),
        [services.LineInput(grade.id, 1000, Decimal("0.95"))],
        contract_number=f"C-{code}-{db.session.scalar(sa.select(sa.func.count(PurchaseLine.id)))}",
    )
    return purchase.lines[0], supplier


def _receive(line, **kw):
    defaults = dict(
        lot_number="WJ-0912",
        maker=MAKER,
        model="平面耳挂式",
        pieces=1000,
        pieces_per_box=50,
        origin="domestic_medical",
        received_on=RECEIVED,
        production_date=RECEIVED - timedelta(days=10),
    )
    return services.receive_batch(line, **{**defaults, **kw})


def test_receiving_records_country_valve_and_registrant(app):
    with app.test_request_context():
        line, _ = _line()
        lot = _receive(line, made_in="cn", exhalation_valve=False, registrant=" 稳健医疗集团 ")
        db.session.commit()
        assert (lot.made_in, lot.exhalation_valve, lot.registrant) == ("CN", False, "稳健医疗集团")
        with pytest.raises(ServiceError) as error:
            _receive(_line()[0], lot_number="WJ-0913", made_in="XX")
        assert error.value.field == "made_in"


def test_the_receive_form_takes_the_new_facts_and_refuses_an_unknown_country(
    app, signed_in, client
):
    with app.test_request_context():
        line, _ = _line()
        db.session.commit()
        line_id = line.id
        today = local_today()
    signed_in(Role.PROCUREMENT)
    page = client.get(f"/purchases/lines/{line_id}/receive").get_data(as_text=True)
    assert "产地" in page and "呼气阀" in page and "注册人" in page and "来源渠道" in page
    assert ">中国<" in page
    form = {
        "lot_number": "WJ-0914",
        "maker": MAKER,
        "model": "平面耳挂式",
        "pieces": "1000",
        "pieces_per_box": "50",
        "origin": "domestic_medical",
        "received_on": today.isoformat(),
        "made_in": "ZZ",
        "exhalation_valve": "0",
    }
    refused = client.post(f"/purchases/lines/{line_id}/receive", data=form)
    assert refused.status_code == 200
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Lot.id))) == 0
    done = client.post(f"/purchases/lines/{line_id}/receive", data={**form, "made_in": "CN"})
    assert done.status_code == 302
    with app.app_context():
        lot = db.session.scalar(sa.select(Lot))
        assert (lot.made_in, lot.exhalation_valve, lot.registrant) == ("CN", False, None)
    english = client.get(done.location, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Country of manufacture" in english and "China" in english and "No valve" in english


def test_a_registration_keeps_its_product_and_models_and_the_checklist_reads_them(app):
    with app.test_request_context():
        line, supplier = _line()
        lot = _receive(line)
        for kwargs in passing_certificates(uscc=supplier.uscc):
            if kwargs["kind"] == "registration_certificate":
                kwargs = {**kwargs, "product_name": "一次性使用医用口罩", "models": "平面耳挂式"}
            certs.create_certificate(**kwargs, lots=[lot], supplier_id=supplier.id)
        registration = db.session.scalar(
            sa.select(Certificate).where(Certificate.kind == "registration_certificate")
        )
        assert registration.product_name == "一次性使用医用口罩"
        result = inspection.checklist(lot)
        product = result.by_code("registration.product")[0]
        assert product.outcome == "fail" and not result.passed
        # Product fields belong to a registration only.
        report = certs.create_certificate(
            "test_report", "R-1", product_name="医用外科口罩", models="x", lots=[lot]
        )
        assert (report.product_name, report.models) == ("", "")


def test_the_negative_list_is_kept_by_the_administrator_and_fails_batches(
    app, client, auth, make_user
):
    make_user("admin1", Role.ADMIN)
    make_user("buyer1", Role.PROCUREMENT)
    with app.test_request_context():
        line, supplier = _line()
        lot = _receive(line)
        for kwargs in passing_certificates(uscc=supplier.uscc):
            certs.create_certificate(**kwargs, lots=[lot], supplier_id=supplier.id)
        lot.registry_checked = lot.label_checked = True  # as an inspector records them
        db.session.commit()
        lot_id = lot.id
        assert inspection.checklist(lot).passed

    auth.login("buyer1")
    assert client.get("/suppliers/negative-list").status_code == 200
    entry = {
        "name": MAKER,
        "uscc": "",
        "source": "市场监管总局 2020 年第 12 号通告",
        "reason": "抽检过滤效率不合格",
        "listed_on": "2020-04-27",
    }
    assert client.post("/suppliers/negative-list", data=entry).status_code == 403
    auth.logout()

    auth.login("admin1")
    good_code = valid_uscc("914403006188812")
    wrong_code = good_code[:-1] + ("1" if good_code[-1] != "1" else "2")
    bad = client.post("/suppliers/negative-list", data={**entry, "uscc": wrong_code})
    assert bad.status_code == 200 and "校验" in bad.get_data(as_text=True)
    no_source = client.post("/suppliers/negative-list", data={**entry, "source": ""})
    assert no_source.status_code == 200
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ListedCompany.id))) == 0
    added = client.post("/suppliers/negative-list", data=entry)
    assert added.status_code == 302
    again = client.post("/suppliers/negative-list", data=entry).get_data(as_text=True)
    assert "已在黑名单上" in again

    with app.test_request_context():
        lot = db.session.get(Lot, lot_id)
        listed = inspection.checklist(lot).by_code("company.listed")
        assert [r.outcome for r in listed] == ["fail"] and "12 号通告" in listed[0].message_zh
        entry_id = db.session.scalar(sa.select(ListedCompany.id))
    page = client.get(f"/batches/{lot_id}").get_data(as_text=True)
    assert "在黑名单上" in page

    refused = client.post(f"/suppliers/negative-list/{entry_id}/remove", data={"reason": ""})
    assert refused.status_code == 302
    with app.app_context():
        assert db.session.get(ListedCompany, entry_id).active
    client.post(f"/suppliers/negative-list/{entry_id}/remove", data={"reason": "复检合格，撤销"})
    with app.test_request_context():
        removed = db.session.get(ListedCompany, entry_id)
        assert not removed.active and removed.removal_reason == "复检合格，撤销"
        assert inspection.checklist(db.session.get(Lot, lot_id)).passed
    listing = client.get("/suppliers/negative-list").get_data(as_text=True)
    assert "已移出" in listing and "复检合格，撤销" in listing


def test_a_foreign_paper_keeps_its_class_and_an_import_of_a_plain_n95_fails(app):
    with app.test_request_context():
        line, _ = _line("medical_protective")
        lot = _receive(
            line, lot_number="B2020-1860", maker="3M Company", model="1860", pieces_per_box=20,
            origin="imported", made_in="US", exhalation_valve=False,
        )  # fmt: skip
        niosh = certs.create_certificate(
            "niosh_approval", "TC-84A-0006", holder="3M Company", foreign_class="niosh_n95",
            lots=[lot],
        )  # fmt: skip
        certs.create_certificate("customs_declaration", "531620201000123456", lots=[lot])
        assert niosh.foreign_class == "niosh_n95"
        found = inspection.checklist(lot).by_code("foreign.class")
        assert [r.outcome for r in found] == ["fail"]
        certs.create_certificate(
            "fda_authorisation", "K183514", holder="3M Company", foreign_class="surgical_n95",
            lots=[lot],
        )  # fmt: skip
        assert [r.outcome for r in inspection.checklist(lot).by_code("foreign.class")] == ["pass"]
        with pytest.raises(ServiceError) as error:
            certs.create_certificate("ce_certificate", "CE-1", foreign_class="ffp9", lots=[lot])
        assert error.value.field == "foreign_class"
        licence = certs.create_certificate(
            "business_licence", valid_uscc("91310000607376"), foreign_class="niosh_n95"
        )
        assert licence.foreign_class is None
