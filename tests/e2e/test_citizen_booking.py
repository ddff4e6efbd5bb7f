"""Issue 16 in a real browser, on a phone-sized screen: a citizen books masks without signing
in, is told exactly what is wrong with a mistyped identity card number, gets a booking
reference; looks up a drawn round's result and sees the pickup code as digits and a QR code;
reads how the draw was made. The allocator sees the round's outlets and counts."""

import re

import pytest
from playwright.sync_api import expect

from demo.rationing import citizen, citizen_phone
from rationing.idcard import check_character
from tests.e2e.test_login_journey import sign_in

pytestmark = pytest.mark.e2e

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(base_url=live_server, locale="zh-CN", **PHONE)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.console_errors = errors
    yield page
    context.close()


def test_a_citizen_books_on_a_phone_in_chinese(phone, screenshot):
    page = phone
    page.goto("/book")
    expect(page.get_by_role("heading", name="预约购买口罩")).to_be_visible()
    screenshot(page, "citizen-rounds-zh")
    page.get_by_role("link", name="预约", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("日常防护口罩预约"))).to_be_visible()

    page.locator(".district-choice a").first.click()  # a city of outlets: district first
    place = page.get_by_label("门店和时段")
    place.select_option(index=1)
    page.get_by_label(re.compile("同意调到本区其他时段或门店")).check()
    page.get_by_label("姓名", exact=True).fill("黄志明")
    first17 = "44020319880512031"
    wrong = "0" if check_character(first17) != "0" else "1"
    page.get_by_label("身份证号码", exact=True).fill(first17 + wrong)
    page.get_by_label("手机号码", exact=True).fill("138 0751 9988")
    page.get_by_label(re.compile("仅用于本次配售")).check()
    page.get_by_role("button", name="预约", exact=True).click()
    expect(page.get_by_text("身份证号码校验不通过，请逐位核对。")).to_be_visible()
    screenshot(page, "citizen-booking-error-zh")

    page.get_by_label("身份证号码", exact=True).fill(first17 + check_character(first17).lower())
    page.get_by_role("button", name="预约", exact=True).click()
    expect(page.get_by_role("heading", name="您已参加摇号")).to_be_visible()
    reference = page.get_by_test_id("reference").inner_text()
    assert re.fullmatch(r"[2-9A-Z]{10}", reference)
    expect(page.get_by_text("138****9988")).to_be_visible()
    screenshot(page, "citizen-booked-zh")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide on a 390px phone"
    assert page.console_errors == []


def test_a_drawn_citizen_finds_the_pickup_code_on_a_phone(phone, screenshot):
    page = phone
    page.goto("/book")
    page.get_by_role("link", name="查询结果").first.click()
    for n in range(40):  # demo citizens: most of them were drawn
        page.get_by_label("身份证号码", exact=True).fill(citizen(n))
        page.get_by_label("手机号码", exact=True).fill(citizen_phone(n))
        page.get_by_role("button", name="查询结果").click()
        result = page.get_by_test_id("result")
        expect(result).to_be_visible()
        if "已中签" in result.inner_text():
            break
        page.go_back()
    expect(page.get_by_test_id("pickup-code")).to_have_text(re.compile(r"^\d{4} \d{4}$"))
    expect(page.locator(".qr svg")).to_be_visible()
    screenshot(page, "citizen-result-zh")
    page.get_by_role("link", name="摇号方法").click()
    expect(page.get_by_test_id("seed")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    screenshot(page, "citizen-draw-zh")
    for shown in ("/book", page.url):  # the seed and its hash wrap: nothing wider than a phone
        page.goto(shown)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{shown} is {width}px wide on a 390px phone"
    assert page.console_errors == []


def test_the_allocator_sees_the_rounds_outlets_and_counts(new_page, screenshot):
    page = new_page("zh-CN")
    sign_in(page, "allocator")
    page.get_by_role("link", name="市民预约").click()
    expect(page.get_by_role("heading", name="市民预约")).to_be_visible()
    page.get_by_role("link", name=re.compile("医用外科口罩预约")).click()
    expect(page.get_by_role("cell", name=re.compile("^\\d")).first).to_be_visible()
    expect(page.get_by_text(re.compile("seed = [0-9a-f]{64}"))).to_be_visible()
    screenshot(page, "booking-round-zh")
    page.goto("/outlets")
    expect(page.get_by_role("heading", name="门店", exact=True)).to_be_visible()
    screenshot(page, "outlets-zh")
    assert page.console_errors == []
