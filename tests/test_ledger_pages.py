"""The ledger's pages: stock, lot trace and recall, recipient trace, entries, verification,
holds and write-offs by the inspector, reversals, grades, and what waits on the home page."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from accounts.models import Role
from catalog.models import Grade
from core.clock import local_today
from extensions import db
from ledger import services as ledger
from ledger.models import Bucket, LedgerEntry

from .conftest import PASSWORD, tampering


def text(response) -> str:
    """The page's text without tags and with whitespace collapsed."""
    html = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def english(client):
    client.post("/language", data={"lang": "en", "next": "/"})
    return client


@pytest.fixture
def city(app, make_lot, make_recipient):
    """Two lots, one partly issued to two units; ids by name."""
    with app.app_context():
        today = local_today()
    ids = {
        "surgical": make_lot(qty=1000, lot_number="WJ2020020301"),
        "kn95": make_lot(
            "kn95",
            qty=400,
            lot_number="BYD200215KN",
            maker="比亚迪精密制造有限公司",
            model="KN95 折叠式",
            expiry_date=today + timedelta(days=12),
        ),
        "hospital": make_recipient("粤北人民医院"),
        "water": make_recipient("韶关市自来水有限公司", category="water", district="浈江区"),
    }
    with app.app_context():
        ledger.issue(ids["surgical"], ids["hospital"], 300, None)
        ledger.issue(ids["surgical"], ids["water"], 200, None)
        ledger.issue(ids["kn95"], ids["water"], 50, None)
        db.session.commit()
    return ids


def test_stock_page_by_grade_and_lot(signed_in, city):
    client = english(signed_in(Role.ALLOCATOR))
    page = text(client.get("/stock"))
    assert "Surgical mask" in page and "KN95 respirator" in page
    assert "WJ2020020301" in page and "BYD200215KN" in page
    assert "Expires in 12 days" in page
    filtered = text(client.get("/stock?status=expiring"))
    assert "BYD200215KN" in filtered and "WJ2020020301" not in filtered
    searched = text(client.get("/stock?status=all&q=比亚迪"))
    assert "BYD200215KN" in searched and "WJ2020020301" not in searched


def test_stock_page_in_chinese(signed_in, city):
    page = text(signed_in(Role.AUDITOR).get("/stock"))
    assert "医用外科口罩" in page and "可用" in page and "已出库" in page and "12 天后到期" in page


def test_lot_page_shows_history_and_recall_list(signed_in, city):
    client = english(signed_in(Role.AUDITOR))
    page = text(client.get(f"/lots/{city['surgical']}"))
    assert "Lot WJ2020020301" in page
    assert "粤北人民医院" in page and "韶关市自来水有限公司" in page
    assert "Total issued 500" in page
    assert "Put on hold" not in page and "Write off" not in page  # the auditor only reads
    assert "Reverse" not in page


def test_inspector_holds_and_releases_a_lot(app, signed_in, city):
    client = english(signed_in(Role.INSPECTOR))
    url = f"/lots/{city['surgical']}"
    assert 'value="Put the lot on hold"' in client.get(url).get_data(as_text=True)
    refused = client.post(f"{url}/hold", data={"hold-reason": ""})
    assert refused.status_code == 200 and "This field is required." in text(refused)
    response = client.post(
        f"{url}/hold", data={"hold-reason": "厂家召回通知"}, follow_redirects=True
    )
    page = text(response)
    assert "Lot WJ2020020301 is on hold" in page
    assert "厂家召回通知" in page and "Lift the hold" in page
    with app.app_context():
        assert ledger.balance(city["surgical"], Bucket.ON_HOLD) == 500
    response = client.post(
        f"{url}/unhold", data={"unhold-reason": "复检合格"}, follow_redirects=True
    )
    assert "available again" in text(response)
    with app.app_context():
        assert ledger.balance(city["surgical"], Bucket.AVAILABLE) == 500


def test_inspector_writes_off_with_field_errors_shown(app, signed_in, city):
    client = english(signed_in(Role.INSPECTOR))
    url = f"/lots/{city['kn95']}/write-off"
    too_many = client.post(
        url,
        data={
            "writeoff-bucket": "available",
            "writeoff-quantity": "351",
            "writeoff-reason": "破损",
        },
    )
    assert too_many.status_code == 200
    assert "Not enough stock: lot BYD200215KN has 350 pieces “Available”" in text(too_many)
    bad = client.post(url, data={"writeoff-bucket": "available", "writeoff-quantity": "abc"})
    assert "Not a valid integer value." in text(bad)
    ok = client.post(
        url,
        data={"writeoff-bucket": "available", "writeoff-quantity": "50", "writeoff-reason": "破损"},
        follow_redirects=True,
    )
    assert "Written off from lot BYD200215KN." in text(ok)
    with app.app_context():
        assert ledger.balance(city["kn95"], Bucket.WRITTEN_OFF) == 50


def test_reversal_page(app, signed_in, city):
    client = english(signed_in(Role.ALLOCATOR))
    with app.app_context():
        seq = db.session.scalar(
            sa.select(LedgerEntry.seq).where(LedgerEntry.recipient_id == city["water"]).limit(1)
        )
    page = text(client.get(f"/ledger/entries/{seq}/reverse"))
    assert f"Reverse entry {seq}" in page
    assert "Why is this entry wrong?" in page
    response = client.post(
        f"/ledger/entries/{seq}/reverse", data={"reason": "误录需求单位"}, follow_redirects=True
    )
    assert f"Entry {seq} reversed." in text(response)
    again = client.post(f"/ledger/entries/{seq}/reverse", data={"reason": "again"})
    assert "already been reversed" in text(again)


def test_recipient_trace(app, signed_in, city):
    client = english(signed_in(Role.PROCUREMENT))
    page = text(client.get(f"/trace/recipients/{city['water']}"))
    assert "韶关市自来水有限公司" in page and "Water supply" in page
    assert "WJ2020020301" in page and "BYD200215KN" in page
    assert "比亚迪精密制造有限公司" in page
    assert "On hold" not in page and "Expires in 12 days" in page
    with app.app_context():
        ledger.hold(city["kn95"], None, "召回")
        db.session.commit()
    assert "On hold" in text(client.get(f"/trace/recipients/{city['water']}"))


def test_trace_search(signed_in, city):
    client = english(signed_in(Role.APPROVER))
    page = text(client.get("/trace?q=BYD"))
    assert "BYD200215KN" in page and "WJ2020020301" not in page
    assert "No recipients match." in page
    by_unit = text(client.get("/trace?q=自来水"))
    assert "韶关市自来水有限公司 Water supply" in by_unit
    assert "No lots match." in by_unit


def test_entries_page_filters(signed_in, city):
    client = english(signed_in(Role.AUDITOR))
    page = text(client.get("/ledger"))
    assert "Verify ledger" in page
    issues = text(client.get("/ledger?kind=issue&q=BYD"))
    assert issues.count("粤北人民医院") == 0 and "韶关市自来水有限公司" in issues
    future = text(client.get("/ledger?from=2999-01-01"))
    assert "No entries." in future


def test_verify_page(app, signed_in, city):
    client = english(signed_in(Role.AUDITOR))
    assert "Chain intact: 7 entries." in text(client.get("/ledger/verify"))
    with tampering(app) as sql:
        sql.execute(sa.text("UPDATE ledger_entries SET quantity = 301 WHERE seq = 5"))
    page = text(client.get("/ledger/verify"))
    assert "Chain broken at entry 5:" in page
    assert "its contents no longer match its hash" in page
    assert "Balances differ from the entries in 2 places." in page


def test_admin_adds_and_edits_a_grade(app, signed_in):
    client = english(signed_in(Role.ADMIN))
    form = {
        "code": "Medical Gloves",
        "standard": "GB 10213",
        "name_zh": "一次性使用医用橡胶检查手套",
        "name_en": "Medical examination gloves",
        "unit_zh": "副",
        "unit_en": "pairs",
        "active": "y",
    }
    bad = client.post("/admin/grades/new", data=form)
    assert "Use 2 to 40 lower-case letters" in text(bad)
    response = client.post(
        "/admin/grades/new", data={**form, "code": "medical_gloves"}, follow_redirects=True
    )
    assert "Grade Medical examination gloves added." in text(response)
    duplicate = client.post("/admin/grades/new", data={**form, "code": "medical_gloves"})
    assert "already exists" in text(duplicate)
    with app.app_context():
        grade = db.session.scalar(sa.select(Grade).where(Grade.code == "medical_gloves"))
        assert (grade.unit_zh, grade.unit_en, grade.active) == ("副", "pairs", True)
        grade_id = grade.id
    edited = {k: v for k, v in form.items() if k not in ("code", "active")}
    client.post(f"/admin/grades/{grade_id}", data={**edited, "name_en": "Exam gloves"})
    with app.app_context():
        grade = db.session.get(Grade, grade_id)
        assert (grade.name_en, grade.active, grade.code) == ("Exam gloves", False, "medical_gloves")


def test_home_page_says_what_is_waiting(app, signed_in, make_lot, make_recipient):
    with app.app_context():
        today = local_today()
    make_lot(qty=10, expiry_date=today - timedelta(days=2), lot_number="EXPIRED")
    make_lot(qty=10, expiry_date=today + timedelta(days=5), lot_number="SOON")
    held = make_lot(qty=10, lot_number="HELD")
    with app.app_context():
        ledger.hold(held, None, "召回")
        db.session.commit()
    inspector = english(signed_in(Role.INSPECTOR, Role.AUDITOR, Role.ALLOCATOR))
    page = text(inspector.get("/"))
    assert "1 Lots on hold" in page
    assert "1 Lots expiring within 30 days" in page
    assert "1 Expired lots still in stock: write them off" in page
    assert "7 Ledger entries: verify the chain" in page
    assert "1 Lots available for allocation" in page  # SOON; EXPIRED and HELD are not


def test_inspector_writes_off_expired_stock_from_the_stock_page(app, signed_in, make_lot):
    with app.app_context():
        today = local_today()
    lot_id = make_lot(qty=10, expiry_date=today - timedelta(days=2), lot_number="EXPIRED")
    client = english(signed_in(Role.INSPECTOR))
    assert "Write off expired stock" in text(client.get("/stock"))
    response = client.post("/stock/write-off-expired", follow_redirects=True)
    assert "1 expired stock entry written off." in text(response)
    with app.app_context():
        assert ledger.balance(lot_id, Bucket.WRITTEN_OFF) == 10
    again = client.post("/stock/write-off-expired", follow_redirects=True)
    assert "No expired stock to write off." in text(again)


def test_missing_things_are_404(signed_in):
    client = signed_in(Role.INSPECTOR, Role.ADMIN)
    for url in [
        "/lots/999",
        "/trace/recipients/999",
        "/ledger/entries/999/reverse",
        "/admin/grades/999",
    ]:
        assert client.get(url).status_code == 404


class TestCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    @staticmethod
    def token(client, url: str) -> str:
        html = client.get(url).get_data(as_text=True)
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)

    def test_hold_needs_the_token(self, app, client, make_user, make_lot):
        lot_id = make_lot(qty=10)
        make_user("li", Role.INSPECTOR)
        login = {"username": "li", "password": PASSWORD, "csrf_token": self.token(client, "/login")}
        assert client.post("/login", data=login).status_code == 302
        url = f"/lots/{lot_id}/hold"
        assert client.post(url, data={"hold-reason": "召回"}).status_code == 400
        with app.app_context():
            assert ledger.balance(lot_id, Bucket.ON_HOLD) == 0
        token = self.token(client, f"/lots/{lot_id}")
        response = client.post(url, data={"hold-reason": "召回", "hold-csrf_token": token})
        assert response.status_code == 302
        with app.app_context():
            assert ledger.balance(lot_id, Bucket.ON_HOLD) == 10
