"""Signing in and out, switching language, and the administrator's user pages, in a browser."""

import re

import pytest
from playwright.sync_api import expect

from demo.seed import DEMO_PASSWORD

pytestmark = pytest.mark.e2e


def sign_in(page, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label(re.compile("用户名|Username")).fill(username)
    page.get_by_label(re.compile("^(密码|Password)")).fill(password)
    page.get_by_role("button", name=re.compile("^(登录|Sign in)$")).click()


def test_login_journey_in_chinese(new_page, screenshot):
    page = new_page("zh-CN")
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next=%2F$"))
    expect(page.get_by_role("heading", name="登录保供系统")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    screenshot(page, "login-zh")

    sign_in(page, "admin", "wrong-password")
    expect(page.get_by_text("用户名或密码错误。")).to_be_visible()
    screenshot(page, "login-error-zh")

    sign_in(page, "admin")
    expect(page.get_by_role("heading", name="赵磊，您好")).to_be_visible()
    expect(page.get_by_role("link", name="用户管理")).to_be_visible()
    expect(page.get_by_text("目前只有演示账号")).to_be_visible()
    screenshot(page, "home-admin-zh")

    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Good to see you, 赵磊")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    screenshot(page, "home-admin-en")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    page.goto("/")
    expect(page).to_have_url(re.compile("/login"))
    assert page.console_errors == []


def test_login_journey_in_english(new_page, screenshot):
    page = new_page("en-US")
    page.goto("/login")
    expect(page.get_by_role("heading", name="Sign in to Baogong")).to_be_visible()
    screenshot(page, "login-en")
    page.get_by_role("button", name="Sign in").click()  # empty form
    expect(page.locator(".errors").first).to_be_visible()
    screenshot(page, "login-empty-en")

    sign_in(page, "allocator")
    expect(page.get_by_role("heading", name="Good to see you, 张敏")).to_be_visible()
    expect(page.get_by_role("heading", name="Allocator")).to_be_visible()
    expect(page.get_by_role("link", name="Users")).to_have_count(0)  # no admin menu
    screenshot(page, "home-allocator-en")

    page.goto("/admin/users")
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    screenshot(page, "forbidden-en")

    page.get_by_role("button", name="中文").click()
    expect(page.get_by_role("heading", name="无权访问")).to_be_visible()
    assert page.console_errors == []


def test_admin_manages_a_user(new_page, screenshot):
    page = new_page("zh-CN")
    sign_in(page, "admin")
    page.get_by_role("link", name="用户管理").click()
    expect(page.get_by_role("heading", name="用户管理")).to_be_visible()
    screenshot(page, "users-zh")

    page.get_by_role("link", name="新建用户").click()
    page.get_by_label("用户名").fill("Bad Name")
    page.get_by_label("姓名").fill("孙丽")
    page.get_by_label("初始密码").fill("short")
    page.get_by_label("再次输入密码").fill("short")
    page.get_by_role("button", name="创建用户").click()
    expect(page.get_by_text("只能使用小写字母")).to_be_visible()
    expect(page.get_by_text("请至少选择一个角色。")).to_be_visible()
    expect(page.get_by_text("密码至少需要 10 个字符。")).to_be_visible()
    screenshot(page, "new-user-errors-zh")

    page.get_by_label("用户名").fill("sunli")
    page.get_by_label("调配员").check()
    page.get_by_label("审批人").check()
    page.get_by_label("初始密码").fill("sunli-password-1")
    page.get_by_label("再次输入密码").fill("sunli-password-1")
    page.get_by_role("button", name="创建用户").click()
    expect(page.get_by_text("已创建用户 sunli。")).to_be_visible()
    screenshot(page, "edit-user-zh")

    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="停用").click()
    expect(page.get_by_text("sunli 已停用。")).to_be_visible()
    expect(page.get_by_role("cell", name="已停用")).to_be_visible()
    screenshot(page, "user-deactivated-zh")

    other = new_page("zh-CN")
    sign_in(other, "sunli", "sunli-password-1")
    expect(other.get_by_text("该账号已停用，请联系管理员。")).to_be_visible()
    assert page.console_errors == []
