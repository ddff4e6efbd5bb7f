"""The allocator → approver → allocator journey in a real browser, in English and Chinese:
a round, a plan run against the demo stock, approval by someone else, issue into the ledger,
and the stock and trace pages afterwards."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_login_journey import sign_in

pytestmark = pytest.mark.e2e


def sign_out(page) -> None:
    page.get_by_role("button", name=re.compile("^(Sign out|退出登录)$")).click()


def test_allocation_journey_in_english(new_page, screenshot):
    page = new_page("en-US")
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, "allocator")
    expect(page.get_by_text("Rounds without a plan")).to_be_visible()
    page.get_by_role("link", name="Rounds", exact=True).click()
    expect(page.get_by_role("heading", name="Allocation rounds")).to_be_visible()
    screenshot(page, "alloc-rounds-en")

    page.get_by_role("link", name="New round").click()
    page.get_by_label("Name").fill("2026 Round 3 (hospitals top-up)")
    page.get_by_role("button", name="Create the round").click()
    expect(page.get_by_text("Round 2026 Round 3 (hospitals top-up) created")).to_be_visible()

    # A request with a minimum above its quantity is refused with the field's error.
    page.get_by_label("Recipient", exact=True).select_option(label="粤北人民医院（1）")
    page.get_by_label("Grade", exact=True).select_option(label="Surgical mask")
    page.get_by_label("Quantity").fill("3000")
    page.get_by_label("Guaranteed minimum").fill("5000")
    page.get_by_role("button", name="Add the request").click()
    expect(page.get_by_text("The minimum cannot be more than the quantity.")).to_be_visible()
    screenshot(page, "alloc-request-error-en")
    page.get_by_label("Guaranteed minimum").fill("1000")
    page.get_by_role("button", name="Add the request").click()
    expect(page.get_by_text("Request added.")).to_be_visible()
    page.get_by_label("Recipient", exact=True).select_option(label="韶关市第一人民医院（1）")
    page.get_by_label("Grade", exact=True).select_option(label="Surgical mask")
    page.get_by_label("Quantity").fill("2000")
    page.get_by_role("button", name="Add the request").click()
    screenshot(page, "alloc-round-en")

    page.get_by_role("button", name="Run a plan").click()
    expect(page.get_by_text(re.compile(r"Plan DP-\d{4}-\d{3} computed"))).to_be_visible()
    expect(page.locator("svg.chart")).to_be_visible()
    plan_url = page.url
    screenshot(page, "alloc-plan-draft-en")
    page.get_by_role("button", name="Submit for approval").click()
    expect(page.get_by_text("submitted: an approver will review it")).to_be_visible()
    sign_out(page)

    sign_in(page, "approver")
    page.get_by_role("link", name=re.compile("Plans submitted for approval")).click()
    page.get_by_role("link", name=re.compile(r"DP-")).first.click()
    expect(page.get_by_role("heading", name="Approval", exact=True)).to_be_visible()
    page.get_by_role("button", name="Return to the allocator").click()
    expect(page.locator(".errors").first).to_be_visible()
    page.get_by_label("What must change").fill(
        "Check the second hospital's figure with its stores."
    )
    page.get_by_role("button", name="Return to the allocator").click()
    expect(page.get_by_text("returned to the allocator")).to_be_visible()
    sign_out(page)

    sign_in(page, "allocator")
    expect(page.get_by_text("Plans returned by the approver")).to_be_visible()
    page.goto(plan_url)
    page.get_by_role("button", name="Re-run with current stock").click()
    page.get_by_role("button", name="Submit for approval").click()
    sign_out(page)

    sign_in(page, "approver")
    page.goto(plan_url)
    page.get_by_role("button", name="Approve the plan").click()
    expect(page.get_by_text("approved: the allocator can issue it")).to_be_visible()
    screenshot(page, "alloc-plan-approved-en")
    sign_out(page)

    sign_in(page, "allocator")
    page.goto(plan_url)
    page.get_by_role("button", name="Issue into the ledger").click()
    expect(page.get_by_text("issued: every line is in the ledger")).to_be_visible()
    screenshot(page, "alloc-plan-issued-en")

    page.get_by_role("link", name="粤北人民医院").first.click()
    page.get_by_role("link", name="What it received (trace)").click()
    expect(page.get_by_role("cell", name=re.compile(r"DP-\d{4}-\d{3}")).first).to_be_visible()
    screenshot(page, "alloc-trace-en")
    assert page.console_errors == []


def test_allocation_journey_in_chinese(new_page, screenshot):
    page = new_page("zh-CN")
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, "allocator")
    page.get_by_role("link", name="调配轮次", exact=True).click()
    page.get_by_role("link", name=re.compile(r"^\d{4} 年第 2 轮口罩调配$")).click()
    expect(page.get_by_role("heading", name="需求与可调配库存")).to_be_visible()
    screenshot(page, "alloc-round2-zh")
    page.get_by_role("button", name="运行调配方案").click()
    expect(page.get_by_text(re.compile(r"方案 DP-\d{4}-\d{3} 已计算"))).to_be_visible()
    expect(page.get_by_role("heading", name="按梯队")).to_be_visible()
    plan_url = page.url
    screenshot(page, "alloc-plan-draft-zh")
    page.get_by_role("button", name="提交审批").click()
    sign_out(page)

    sign_in(page, "approver")
    expect(page.get_by_text("待审批的方案")).to_be_visible()
    screenshot(page, "alloc-home-approver-zh")
    page.goto(plan_url)
    page.get_by_role("button", name="审批通过").click()
    expect(page.get_by_text("已审批通过")).to_be_visible()
    sign_out(page)

    sign_in(page, "allocator")
    page.goto(plan_url)
    page.get_by_role("button", name="出库记账").click()
    expect(page.get_by_text("每一行都已记入台账")).to_be_visible()
    screenshot(page, "alloc-plan-issued-zh")
    page.get_by_role("link", name="登记签收").first.click()
    page.get_by_label("签收人").fill("刘敏")
    page.get_by_role("button", name="登记签收").click()
    expect(page.get_by_text(re.compile("已登记 .* 的签收"))).to_be_visible()

    page.get_by_role("link", name="库存", exact=True).click()
    screenshot(page, "alloc-stock-after-zh")
    assert page.console_errors == []


def test_recipients_and_policy_pages(new_page, screenshot):
    page = new_page("zh-CN")
    sign_in(page, "admin")
    page.goto("/admin/policy")
    expect(page.get_by_role("heading", name="调配策略")).to_be_visible()
    screenshot(page, "alloc-policy-zh")
    page.get_by_role("button", name="保存为新版本").click()
    expect(page.get_by_text("This field is required.").or_(page.locator(".errors"))).to_be_visible()
    page.get_by_label("修改内容及原因").fill("医用防护口罩储备提高到 15%")
    page.locator("input[name='rules-0-reserve_percent']").fill("15")
    page.get_by_role("button", name="保存为新版本").click()
    expect(page.get_by_text("新版调配策略已生效")).to_be_visible()
    screenshot(page, "alloc-policy-saved-zh")
    sign_out(page)

    page = new_page("en-US")
    sign_in(page, "allocator")
    page.get_by_role("link", name="Recipients", exact=True).click()
    page.get_by_label("Tier").select_option(label="Tier 1: medical")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("link", name="粤北人民医院")).to_be_visible()
    screenshot(page, "alloc-recipients-en")
    page.get_by_role("link", name="粤北人民医院").click()
    page.get_by_label("New tier").select_option(label="Tier 2: city operations")
    page.get_by_role("button", name="Change the tier").click()
    expect(page.locator(".errors").first).to_be_visible()
    page.get_by_label("Reason").fill("Test of the record: moved by mistake, moved back below.")
    page.get_by_role("button", name="Change the tier").click()
    expect(page.get_by_text("is now in Tier 2: city operations")).to_be_visible()
    page.get_by_label("New tier").select_option(label="Tier 1: medical")
    page.get_by_label("Reason").fill("Back to medical.")
    page.get_by_role("button", name="Change the tier").click()
    screenshot(page, "alloc-recipient-en")
    assert page.console_errors == []
