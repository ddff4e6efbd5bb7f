"""The quality gate in a browser: procurement receives a batch and attaches its certificates,
an inspector checks the list and releases it, and the stock page shows it available."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from core.clock import DEFAULT_TIMEZONE
from tests.e2e.test_login_journey import sign_in
from tests.procurement_helpers import PNG_BYTES

pytestmark = [
    pytest.mark.e2e,
]

TEXT = {
    "zh": {
        "receive": "到货入库",
        "submit_receive": "到货入库（待检）",
        "received": "已到货入库（待检）",
        "add_cert": "添加证件",
        "add_cert_submit": "添加证件",
        "attach": "附上",
        "checklist": "质检核查清单",
        "pass": "通过",
        "release": "放行，参与调配",
        "released": "已放行",
        "sign_out": "退出登录",
        "made_in": "中国",
        "needs_registry": "国家药监局数据库",
        "record_confirmations": "记录查验结果",
    },
    "en": {
        "receive": "Receive a batch",
        "submit_receive": "Receive into quarantine",
        "received": "received into quarantine",
        "add_cert": "Add a certificate",
        "add_cert_submit": "Add certificate",
        "attach": "Attach",
        "checklist": "Quality checklist",
        "pass": "Pass",
        "release": "Release for allocation",
        "released": "released",
        "sign_out": "Sign out",
        "made_in": "China",
        "needs_registry": "national registry",
        "record_confirmations": "Record confirmations",
    },
}

EXISTING = ["粤械注准20202140096", "粤食药监械生产许20152365号"]


def _journey(page, screenshot, lang: str, lot_number: str) -> None:
    t = TEXT[lang]
    sign_in(page, "procurement")
    page.goto("/purchases?q=SG-CG-2020-025")
    page.get_by_role("link", name="SG-CG-2020-025").click()
    screenshot(page, f"proc-purchase-{lang}")
    page.get_by_role("link", name=t["receive"]).first.click()

    # An empty lot number is refused with a message next to the field.
    page.fill("#lot_number", "")
    page.fill("#model", "平面耳挂式 17.5×9.5cm")
    page.fill("#pieces_per_box", "50")
    page.get_by_role("button", name=t["submit_receive"]).click()
    expect(page.locator("#lot_number-error")).to_be_visible()
    screenshot(page, f"proc-receive-error-{lang}")

    page.fill("#lot_number", lot_number)
    # Dates relative to the day the suite runs: a batch made a month ago, its report after it.
    made = datetime.now(ZoneInfo(DEFAULT_TIMEZONE)).date() - timedelta(days=30)
    page.fill("#production_date", made.isoformat())
    page.fill("#expiry_date", (made + timedelta(days=730)).isoformat())
    page.fill("#pieces", "100000")
    page.select_option("#made_in", "CN")
    page.locator("#exhalation_valve-1").check()  # no valve
    page.get_by_role("button", name=t["submit_receive"]).click()
    expect(page.locator(".flash-success")).to_contain_text(t["received"])

    # Attach the maker's papers already on file, and upload a new test report with its scan.
    for number in [*EXISTING, "91440300618881264"]:
        option = page.locator("#attach-certificate_id option", has_text=number).first
        page.select_option("#attach-certificate_id", option.get_attribute("value"))
        with page.expect_navigation():
            page.get_by_role("button", name=t["attach"], exact=True).click()
        expect(page.locator("table.certificates")).to_contain_text(number)
    page.get_by_role("link", name=t["add_cert"]).click()
    # The form offers the fields of the kind chosen: a registration's product, a report's values.
    page.select_option("#kind", "registration_certificate")
    expect(page.locator("#product_name")).to_be_visible()
    expect(page.locator("#particle_filtration")).to_be_hidden()
    page.select_option("#kind", "test_report")
    expect(page.locator("#product_name")).to_be_hidden()
    expect(page.locator("#total_inward_leakage")).to_be_visible()
    page.fill("#number", f"GZJY-{lot_number}")
    page.fill("#holder", "稳健医疗用品股份有限公司")
    page.fill("#issuer", "广州医疗器械质量监督检验中心")
    page.fill("#valid_from", (made + timedelta(days=4)).isoformat())
    page.fill("#bacterial_filtration", "98.9")
    page.fill("#particle_filtration", "55")
    page.fill("#pressure_difference", "35")
    page.locator("#synthetic_blood-1").check()
    page.fill("#lab_accreditation", "190012340118")
    page.fill("#covers", "平面耳挂式 17.5×9.5cm")
    page.fill("#blood_pressure", "16.0")
    page.fill("#afterflame", "0")
    page.fill("#bacteria_count", "20")
    page.fill("#fungi_count", "0")
    page.locator("#pathogens-1").check()
    page.set_input_files(
        "#scan", {"name": "report.png", "mimeType": "image/png", "buffer": PNG_BYTES}
    )
    screenshot(page, f"proc-certificate-form-{lang}")
    page.get_by_role("button", name=t["add_cert_submit"], exact=True).click()
    expect(page.get_by_role("heading", name=re.compile(t["checklist"]))).to_be_visible()
    expect(page.locator("dl.facts")).to_contain_text(t["made_in"])
    screenshot(page, f"proc-batch-quarantine-{lang}")
    sign_out(page, t)

    # The inspector checks the list and releases the batch.
    sign_in(page, "inspector")
    page.goto(f"/batches?q={lot_number}")
    page.get_by_role("link", name=lot_number).click()
    # Medical goods: the inspector looks the numbers up in NMPA's registry and on the box first.
    expect(page.locator("#checklist-card")).to_contain_text(t["needs_registry"])
    page.locator("#confirm-registry_checked-1").check()
    page.locator("#confirm-label_checked-1").check()
    page.get_by_role("button", name=t["record_confirmations"]).click()
    checklist = page.locator("#checklist")
    expect(checklist).to_contain_text(t["pass"])
    screenshot(page, f"proc-batch-inspector-{lang}")
    page.get_by_role("button", name=t["release"]).click()
    expect(page.locator(".flash-success")).to_contain_text(t["released"])
    screenshot(page, f"proc-batch-released-{lang}")

    page.goto(f"/stock?status=available&q={lot_number}")
    row = page.locator("table.lots tbody tr", has_text=lot_number)
    expect(row).to_contain_text("100,000")
    screenshot(page, f"proc-stock-available-{lang}")
    assert page.console_errors == []


def sign_out(page, t) -> None:
    page.get_by_role("button", name=t["sign_out"]).click()


def test_procurement_journey_in_chinese(new_page, screenshot):
    _journey(new_page("zh-CN"), screenshot, "zh", "WJ-E2E-ZH-01")


def test_procurement_journey_in_english(new_page, screenshot):
    _journey(new_page("en-US"), screenshot, "en", "WJ-E2E-EN-01")


def test_the_administrator_keeps_the_negative_list(new_page, screenshot):
    page = new_page("zh-CN")
    sign_in(page, "admin")
    page.goto("/suppliers/negative-list")
    expect(page.get_by_role("heading", name=re.compile("黑名单"))).to_be_visible()
    page.fill("#name", "仙桃市某某防护用品有限公司")
    page.fill("#source", "市场监管总局 2020 年第 12 号通告")
    page.fill("#reason", "抽检颗粒过滤效率不合格")
    page.get_by_role("button", name="列入黑名单").click()
    expect(page.locator(".flash-success")).to_contain_text("已列入黑名单")
    row = page.locator("table.listed tbody tr", has_text="仙桃市某某防护用品有限公司")
    expect(row).to_contain_text("在名单上")
    screenshot(page, "proc-negative-list-zh")
    row.locator("input[name=reason]").fill("复检合格，撤销")
    row.get_by_role("button", name="移出名单").click()
    expect(page.locator(".flash-success")).to_contain_text("已移出黑名单")
    expect(row).to_contain_text("已移出")
    assert page.console_errors == []
