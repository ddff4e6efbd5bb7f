"""Issue 16 in a real browser, on a phone-sized screen: a citizen books masks without signing
in, is told exactly what is wrong with a mistyped identity card number, gets a booking
reference; looks up a drawn round's result and sees the pickup code as digits and a QR code;
reads how the draw was made. At the outlet, the clerk (on a phone too) types the citizen's code,
checks the identity card and hands over the masks; the citizen's result then says they were
bought, and the code cannot be used twice. The allocator sees the round's outlets and counts, and
the booking report."""

import re

import pytest
from playwright.sync_api import expect

from demo.rationing import citizen, citizen_phone
from rationing.idcard import check_character
from tests.e2e.test_login_journey import sign_in

pytestmark = pytest.mark.e2e

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture
def phones(new_page):
    """phones() -> a new page on a phone-sized screen, in its own browser context."""
    return lambda: new_page("zh-CN", **PHONE)


@pytest.fixture
def phone(phones):
    return phones()


def _look_up(page, n: int) -> str:
    """Look up demo citizen n's result (on the result page); returns what it says."""
    page.get_by_label("身份证号码", exact=True).fill(citizen(n))
    page.get_by_label("手机号码", exact=True).fill(citizen_phone(n))
    page.get_by_role("button", name="查询结果").click()
    result = page.get_by_test_id("result")
    expect(result).to_be_visible()
    return result.inner_text()


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
        if "已中签" in _look_up(page, n):
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
    page.get_by_role("link", name="预约统计").click()
    expect(page.get_by_test_id("by-outlet")).to_contain_text("大参林")
    screenshot(page, "booking-report-zh")
    assert page.console_errors == []


def test_the_outlet_clerk_serves_a_drawn_citizen_on_a_phone(phones, screenshot):
    clerk = phones()
    sign_in(clerk, "outlet")
    clerk.goto("/pickup")
    expect(clerk.get_by_role("heading", name="凭码购取")).to_be_visible()
    outlets = clerk.get_by_text("您所在的门店").inner_text()

    citizen_page = phones()
    citizen_page.goto("/book")
    citizen_page.get_by_role("link", name="查询结果").first.click()
    for n in range(400):  # a demo citizen drawn for one of the clerk's outlets, not yet served
        if "已中签" in _look_up(citizen_page, n):
            outlet = citizen_page.get_by_test_id("result").locator("dd").first.inner_text()
            if outlet.splitlines()[0] in outlets:
                break
        citizen_page.go_back()
    else:
        pytest.fail("no demo citizen is waiting at the clerk's outlets")
    code = citizen_page.get_by_test_id("pickup-code").inner_text().replace(" ", "")

    clerk.get_by_label("购取码").fill(code)
    clerk.get_by_role("button", name="查询").click()
    card = clerk.get_by_test_id("pickup")
    expect(card).to_contain_text("9.00 元")  # 5 masks at 1.80
    clerk.get_by_label("身份证号码（可选核验）").fill(citizen(n + 1))  # someone else's card
    clerk.get_by_role("button", name="已收款：发放口罩").click()
    expect(clerk.get_by_text("此证件与预约时填写的不一致：请勿发放。")).to_be_visible()
    screenshot(clerk, "pickup-wrong-card-zh")
    clerk.get_by_label("身份证号码（可选核验）").fill(citizen(n))
    clerk.get_by_role("button", name="已收款：发放口罩").click()
    expect(clerk.get_by_text(re.compile("^已购取："))).to_be_visible()
    screenshot(clerk, "pickup-done-zh")
    width = clerk.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the pickup page is {width}px wide on a 390px phone"

    clerk.get_by_label("购取码").fill(code)  # the same code again
    clerk.get_by_role("button", name="查询").click()
    expect(clerk.get_by_text(re.compile("请勿重复发放"))).to_be_visible()
    citizen_page.goto(citizen_page.url)  # the look-up form again
    assert "已购取" in _look_up(citizen_page, n)
    screenshot(citizen_page, "citizen-picked-up-zh")
    assert clerk.console_errors == [] and citizen_page.console_errors == []
