"""The allocation pages through the test client: forms, import, plan actions and guards."""

import csv
import io

import pytest
from openpyxl import Workbook, load_workbook

from accounts.models import Role
from allocation.forms import DeliveryForm, PolicyForm, RecipientForm, RequestForm
from allocation.models import Plan, PlanStatus, Round
from core.clock import local_today
from extensions import db
from recipients.models import Recipient


def test_recipient_form_validation(app):
    with app.test_request_context(method="POST", data={"name": "", "category": "nope"}):
        form = RecipientForm()
        assert not form.validate()
        assert form.name.errors and form.category.errors
    with app.test_request_context(
        method="POST", data={"name": "某医院", "category": "hospital", "headcount_or_beds": "-1"}
    ):
        form = RecipientForm()
        assert not form.validate()
        assert form.headcount_or_beds.errors


def test_request_form_minimum_above_quantity(app):
    with app.test_request_context(
        method="POST", data={"recipient": "1", "grade": "1", "quantity": "10", "minimum": "20"}
    ):
        form = RequestForm()
        form.recipient.choices = [(1, "a")]
        form.grade.choices = [(1, "g")]
        assert not form.validate()
        assert form.minimum.errors


def test_delivery_and_policy_forms_need_their_fields(app):
    with app.test_request_context(method="POST", data={}):
        form = DeliveryForm()
        assert not form.validate()
        assert form.signed_by.errors and form.quantity_received.errors
    with app.test_request_context(
        method="POST",
        data={"rules-0-grade": "surgical", "rules-0-reserve_percent": "120", "rules-0-tiers": "4"},
    ):
        form = PolicyForm()
        assert not form.validate()
        assert form.rules[0].reserve_percent.errors and form.rules[0].tiers.errors
        assert form.note.errors


def test_register_recipient_and_change_tier(client, signed_in, app):
    signed_in(Role.ALLOCATOR)
    response = client.post(
        "/recipients/new",
        data={"name": "韶关市测试医院", "category": "hospital", "district": "浈江区"},
    )
    assert response.status_code == 302
    with app.app_context():
        unit = db.session.scalar(db.select(Recipient).where(Recipient.name == "韶关市测试医院"))
        assert unit.tier == 1
        unit_id = unit.id
    again = client.post("/recipients/new", data={"name": "韶关市测试医院", "category": "hospital"})
    assert "已有名为 韶关市测试医院 的需求单位" in again.get_data(as_text=True)
    refused = client.post(f"/recipients/{unit_id}/tier", data={"tier": "2", "reason": ""})
    assert refused.status_code == 400
    client.post(f"/recipients/{unit_id}/tier", data={"tier": "2", "reason": "改为后勤保障"})
    page = client.get(f"/recipients/{unit_id}").get_data(as_text=True)
    assert "改为后勤保障" in page
    client.post(f"/recipients/{unit_id}/active")
    with app.app_context():
        unit = db.session.get(Recipient, unit_id)
        assert unit.tier == 2 and unit.active is False


@pytest.fixture
def round_page(app, make_lot, make_recipient, make_round):
    make_lot("surgical", 1000)
    hospital = make_recipient("粤北人民医院", "hospital")
    make_recipient("大参林韶关风采路店", "pharmacy")
    return make_round([(hospital, "surgical", 600)], name="第 1 轮")


def _xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_import_is_all_or_nothing_with_row_and_column_errors(client, signed_in, app, round_page):
    signed_in(Role.ALLOCATOR)
    data = _xlsx(
        [
            ["需求单位 Recipient", "品类 Grade", "需求数量 Quantity", "保底数量 Minimum"],
            ["大参林韶关风采路店", "surgical", 300, 0],
            ["不存在的单位", "surgical", 100, None],
            ["大参林韶关风采路店", "kn95x", "abc", 5],
        ]
    )
    response = client.post(
        f"/rounds/{round_page}/import",
        data={"file": (io.BytesIO(data), "requests.xlsx")},
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Nothing was imported" in html or "未导入" in html
    assert "不存在的单位" in html and "kn95x" in html
    with app.app_context():
        assert len(db.session.get(Round, round_page).active_requests) == 1  # nothing added

    good = "需求单位,品类,需求数量\n大参林韶关风采路店,医用外科口罩,300\n".encode()
    response = client.post(
        f"/rounds/{round_page}/import",
        data={"file": (io.BytesIO(good), "requests.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    with app.app_context():
        assert len(db.session.get(Round, round_page).active_requests) == 2


def test_import_of_more_rows_than_allowed_is_refused(
    client, signed_in, app, round_page, monkeypatch
):
    from allocation import importing

    # A lower limit than the real 100,000 rows keeps the upload small (the check is the same).
    MAX_ROWS = 5000
    monkeypatch.setattr(importing, "MAX_ROWS", MAX_ROWS)
    signed_in(Role.ALLOCATOR)
    body = "".join("大参林韶关风采路店,医用外科口罩,1\n" for _ in range(MAX_ROWS + 1))
    response = client.post(
        f"/rounds/{round_page}/import",
        data={"file": (io.BytesIO(("需求单位,品类,需求数量\n" + body).encode()), "r.csv")},
        content_type="multipart/form-data",
    )
    assert f"每个文件最多 {MAX_ROWS} 行" in response.get_data(as_text=True)
    with app.app_context():
        assert len(db.session.get(Round, round_page).active_requests) == 1


def test_import_refuses_a_request_already_in_the_round(client, signed_in, app, round_page):
    signed_in(Role.ALLOCATOR)
    data = "Recipient,Grade,Quantity\n粤北人民医院,surgical,10\n".encode()
    response = client.post(
        f"/rounds/{round_page}/import",
        data={"file": (io.BytesIO(data), "r.csv")},
        content_type="multipart/form-data",
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 400
    assert "already has a request" in response.get_data(as_text=True)


def test_templates_download(client, signed_in, round_page):
    signed_in(Role.ALLOCATOR)
    book = load_workbook(io.BytesIO(client.get("/requests/template.xlsx").data))
    assert book.active["A1"].value == "需求单位 Recipient"
    text = client.get("/requests/template.csv").data.decode("utf-8-sig")
    assert next(csv.reader(io.StringIO(text)))[2] == "需求数量 Quantity"


def test_plan_journey_through_the_pages(app, client, auth, make_user, round_page):
    make_user("zhang", Role.ALLOCATOR)
    make_user("chen", Role.APPROVER)
    auth.login("zhang")
    response = client.post(f"/rounds/{round_page}/plans")
    assert response.status_code == 302
    plan_url = response.location
    html = client.get(plan_url).get_data(as_text=True)
    assert "<svg" in html and "粤北人民医院" in html
    assert "T00001" in html and "稳健医疗用品股份有限公司" in html  # the line: lot and maker
    client.post(plan_url + "/submit")
    auth.logout()
    auth.login("chen")
    page = client.get(plan_url, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Approve the plan" in page
    assert client.post(plan_url + "/return", data={"return-comment": ""}).status_code == 400
    client.post(plan_url + "/approve")
    auth.logout()
    auth.login("zhang")
    client.post(plan_url + "/issue")
    with app.app_context():
        plan = db.session.scalar(db.select(Plan))
        assert plan.status is PlanStatus.ISSUED
        hospital = db.session.scalar(db.select(Recipient).where(Recipient.name == "粤北人民医院"))
        hospital_id = hospital.id
        today = local_today()
    trace = client.get(f"/trace/recipients/{hospital_id}").get_data(as_text=True)
    assert plan.number in trace
    assert client.get(f"{plan_url}/deliveries/{hospital_id}").status_code == 200
    response = client.post(
        f"{plan_url}/deliveries/{hospital_id}",
        data={
            "signed_by": "刘敏",
            "received_on": today.isoformat(),
            "quantity_received": "600",
        },
    )
    assert response.status_code == 302


def test_self_approval_refused_on_the_page(app, client, signed_in, round_page):
    signed_in(Role.ALLOCATOR, Role.APPROVER)
    plan_url = client.post(f"/rounds/{round_page}/plans").location
    client.post(plan_url + "/submit")
    page = client.get(plan_url, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "you cannot approve it" in page
    client.post(plan_url + "/approve")
    with app.app_context():
        assert db.session.scalar(db.select(Plan)).status is PlanStatus.SUBMITTED


def test_stale_issue_offers_a_rerun(app, client, auth, make_user, round_page, make_lot):
    make_user("zhang", Role.ALLOCATOR)
    make_user("chen", Role.APPROVER)
    auth.login("zhang")
    plan_url = client.post(f"/rounds/{round_page}/plans").location
    client.post(plan_url + "/submit")
    auth.logout()
    auth.login("chen")
    client.post(plan_url + "/approve")
    auth.logout()
    make_lot("surgical", 500)  # new stock released after approval
    auth.login("zhang")
    response = client.post(plan_url + "/issue", headers={"Accept-Language": "en"})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "re-run the plan" in html and "Re-run the plan now" in html


def test_policy_page_saves_a_version(client, signed_in, app, make_lot):
    make_lot("surgical", 10)
    signed_in(Role.ADMIN)
    assert client.get("/admin/policy").status_code == 200
    response = client.post(
        "/admin/policy",
        data={
            "rules-0-grade": "surgical",
            "rules-0-reserve_percent": "10",
            "rules-0-substitutes": "surgical",
            "rules-0-tiers": "1,2,3",
            "note": "提高储备",
        },
    )
    assert response.status_code == 302
    from allocation import services

    with app.app_context():
        assert services.policy_settings()["reserve"] == {"surgical": "0.1"}
        assert services.current_policy().note == "提高储备"


def test_home_shows_waiting_plans(client, auth, make_user, app, round_page):
    make_user("zhang", Role.ALLOCATOR)
    make_user("chen", Role.APPROVER)
    auth.login("zhang")
    home = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Rounds without a plan" in home
    plan_url = client.post(f"/rounds/{round_page}/plans").location
    client.post(plan_url + "/submit")
    auth.logout()
    auth.login("chen")
    home = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Plans submitted for approval" in home


def test_allocate_command(app, runner, round_page):
    result = runner.invoke(args=["allocate", "第 1 轮"])
    assert result.exit_code == 0, result.output
    assert "plan DP-2026-001 version 1" in result.output
    assert "shortfall" in result.output
    again = runner.invoke(args=["allocate", "第 1 轮"])
    assert "version 2" in again.output
    missing = runner.invoke(args=["allocate", "no such round"])
    assert missing.exit_code != 0 and "no round" in missing.output


def test_a_plan_that_cannot_be_computed_says_why_in_the_readers_language(
    client, signed_in, app, make_lot, make_recipient, make_round
):
    make_lot("surgical", 100)
    unit = make_recipient("医院己", "hospital")
    round_id = make_round([(unit, "surgical", 500, 400)])
    signed_in(Role.ALLOCATOR)
    response = client.post(f"/rounds/{round_id}/plans", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "方案无法计算" in html and "The plan cannot be computed" not in html
    response = client.post(
        f"/rounds/{round_id}/plans", follow_redirects=True, headers={"Accept-Language": "en"}
    )
    html = response.get_data(as_text=True)
    assert "The plan cannot be computed" in html and "梯队" not in html.split("flash")[1]
