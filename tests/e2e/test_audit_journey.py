"""The auditor's journey in a real browser: sign in, open the demo's issued plan, download its
PDF (Chinese), verify the file on the verification page, and see a changed copy refused."""

import re
import subprocess

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.test_login_journey import sign_in

pytestmark = pytest.mark.e2e

FIRST_PLAN = re.compile(r"DP-\d{4}-001")


def test_auditor_downloads_and_verifies_the_issued_plan(new_page, screenshot, tmp_path):
    page = new_page("zh-CN")
    sign_in(page, "auditor")
    page.get_by_role("link", name="调配方案", exact=True).first.click()
    # The demo numbers its plans by the round's year: the first plan of the seeded year.
    page.get_by_role("link", name=FIRST_PLAN).first.click()
    number = page.get_by_role("heading", name=FIRST_PLAN).first.inner_text()
    number = FIRST_PLAN.search(number).group(0)
    screenshot(page, "audit-plan-zh")

    with page.expect_download() as download_info:
        page.get_by_test_id("pdf-zh").click()
    pdf = tmp_path / "plan.pdf"
    download_info.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF-")
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert number in text and "调配方案" in text
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "3", str(pdf), SCREENSHOTS / "audit-pdf"],
        check=True,
    )

    page.get_by_role("link", name="核验文件").click()
    page.set_input_files("input[type=file]", str(pdf))
    page.get_by_test_id("verify-upload").click()
    expect(page.get_by_test_id("verdict-text")).to_contain_text("真实有效")
    expect(page.get_by_test_id("verdict-text")).to_contain_text(number)
    expect(page.get_by_text(re.compile("哈希链完好|Chain intact|链"))).not_to_have_count(0)
    screenshot(page, "audit-verify-genuine-zh")

    changed = bytearray(pdf.read_bytes())
    changed[len(changed) // 2] ^= 0x01
    altered = tmp_path / "altered.pdf"
    altered.write_bytes(bytes(changed))
    page.set_input_files("input[type=file]", str(altered))
    page.get_by_test_id("verify-upload").click()
    expect(page.get_by_test_id("verdict-text")).to_contain_text("不真实")
    screenshot(page, "audit-verify-altered-zh")
    assert page.console_errors == []


def test_auditor_prints_and_verifies_the_daily_report(new_page, screenshot, tmp_path):
    page = new_page("en-GB")
    sign_in(page, "auditor")
    page.get_by_role("link", name="Daily report").first.click()
    expect(page.get_by_role("heading", name=re.compile("Daily report"))).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="PDF (Chinese)").click()
    pdf = tmp_path / "daily.pdf"
    download_info.value.save_as(pdf)
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "日报表" in text and "SHA-256" in text
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), SCREENSHOTS / "daily-pdf"],
        check=True,
    )

    page.get_by_role("link", name="Verify documents").click()
    page.set_input_files("input[type=file]", str(pdf))
    page.get_by_test_id("verify-upload").click()
    expect(page.get_by_test_id("verdict-text")).to_contain_text("Genuine: daily report of")
    expect(page.get_by_test_id("entries-verdict")).to_contain_text("intact")
    screenshot(page, "audit-verify-daily-en")
    assert page.console_errors == []
