"""Real-browser tests: Playwright driving Debian's chromium against a live Baogong server.

The server runs in a thread on a free port with its own SQLite database, CSRF switched on and
the demo seeded, exactly as `make run` serves it. Screenshots go to test-artifacts/screenshots/
(git-ignored) so that a person can look at what the tests saw.
"""

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app import create_app
from demo.seed import seed_demo
from extensions import db

CHROMIUM = os.environ.get("BAOGONG_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """A fresh server and demo database per test module, so that one journey's changes (a plan
    issued, a lot put on hold) never decide whether another module's journey passes."""
    from flask_migrate import upgrade

    instance = tmp_path_factory.mktemp("e2e-instance")
    app = create_app(
        {
            "SECRET_KEY": "e2e-secret",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'e2e.db'}",
            "HTTPS": False,
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


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} not found: `make test` installs Debian's chromium when run as root"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, live_server):
    """new_page("zh-CN") -> a page in a fresh browser context speaking that language; other
    context options (a phone's viewport, touch) replace the desktop's."""
    contexts = []

    def make(locale: str = "zh-CN", **options):
        options = {"viewport": {"width": 1280, "height": 860}} | options
        context = browser.new_context(base_url=live_server, locale=locale, **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        # Script errors and CSP violations; a 4xx page the test asked for is not one.
        errors = []

        def on_console(message):
            if message.type == "error" and "Failed to load resource" not in message.text:
                errors.append(message.text)

        page.on("console", on_console)
        page.console_errors = errors
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot():
    """screenshot(page, "name") saves test-artifacts/screenshots/name.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
