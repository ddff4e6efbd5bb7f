"""Issue 15 in a real browser: the paged and filtered list pages, the recipient import, and a
big import run as a background job whose page shows the file's problems by row and column.

This module's server treats every upload as big (IMPORT_JOB_MIN_BYTES = 0), so the imports go
through `core.jobs` (run in the request here, as without Redis)."""

import re
import threading

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from app import create_app
from demo.seed import seed_demo
from extensions import db
from tests.e2e.test_login_journey import sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    from flask_migrate import upgrade

    instance = tmp_path_factory.mktemp("e2e-province")
    app = create_app(
        {
            "SECRET_KEY": "e2e-secret",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'e2e.db'}",
            "HTTPS": False,
            "IMPORT_JOB_MIN_BYTES": 0,
        },
        instance_path=str(instance),
    )
    with app.app_context():
        upgrade()
        seed_demo()
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    with app.app_context():
        db.engine.dispose()


def _csv(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_recipient_import_through_a_job_in_chinese(new_page, screenshot, tmp_path):
    page = new_page("zh-CN")
    sign_in(page, "allocator")
    page.goto("/recipients")
    page.get_by_role("link", name="导入需求单位").click()
    expect(page.get_by_role("heading", name=re.compile("导入"))).to_be_visible()
    screenshot(page, "recipient-import-zh")

    bad = _csv(
        tmp_path,
        "bad.csv",
        "单位名称 Name,类别 Category,所在区 District\n"
        "韶关市浈江区第九社区卫生服务中心,hospital,浈江区\n"
        "韶关市武江区某单位,不存在的类别,武江区\n",
    )
    page.locator("input[type=file]").set_input_files(str(bad))
    page.get_by_role("button", name="导入").click()
    expect(page).to_have_url(re.compile(r"/jobs/\d+$"))
    expect(page.get_by_role("alert")).to_contain_text("第 3 行")
    screenshot(page, "job-failed-zh")

    good = _csv(
        tmp_path,
        "good.csv",
        "单位名称 Name,类别 Category,所在区 District\n"
        "韶关市浈江区第九社区卫生服务中心,hospital,浈江区\n",
    )
    page.goto("/recipients/import")
    page.locator("input[type=file]").set_input_files(str(good))
    page.get_by_role("button", name="导入").click()
    expect(page).to_have_url(re.compile(r"/recipients$"))
    page.get_by_role("searchbox").or_(page.locator("input[name=q]")).first.fill("第九社区")
    page.locator("input[name=q]").press("Enter")
    expect(page.get_by_role("link", name="韶关市浈江区第九社区卫生服务中心")).to_be_visible()
    assert page.console_errors == []


def test_plan_and_lot_pages_filter_and_page_in_english(new_page, screenshot):
    page = new_page("en-US")
    sign_in(page, "allocator")
    page.goto("/plans")
    page.locator("a[href^='/plans/']").first.click()
    expect(page).to_have_url(re.compile(r"/plans/\d+"))
    screenshot(page, "plan-paged-en")
    tier = page.locator("select[name=tier]")
    if tier.count():
        tier.select_option(index=1)
        page.get_by_role("button", name="Filter").first.click()
        expect(page).to_have_url(re.compile(r"tier="))
    screenshot(page, "plan-filtered-en")

    page.goto("/stock")
    page.locator("a[href^='/lots/']").first.click()
    expect(page).to_have_url(re.compile(r"/lots/\d+"))
    screenshot(page, "lot-paged-en")
    assert page.console_errors == []
