"""Fixtures in the style of flaskr: `app`, `client`, `runner`, `auth`, plus factories.

Database tests run on SQLite by default; with TEST_DATABASE_URL set (CI sets the local
PostgreSQL) they run there instead. The schema is built once per session by the migrations
(so the migrations are exercised too), and every test starts with empty tables.
"""

import os
import threading
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from accounts import services as account_services
from accounts.models import Role
from app import create_app
from extensions import db

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
PASSWORD = "correct-horse-battery"


def pytest_unconfigure(config):
    """End the timer threads left running, so that the run can end. Each app's rate limiter with
    in-memory storage starts a timer (10 ms, not a daemon); under CI's shifted clock (libfaketime
    fakes the monotonic clock, and Python's timed waits then wait for the real clock to reach the
    fake one) it never fires, and the interpreter would wait for it for ever at exit."""
    for thread in threading.enumerate():
        if isinstance(thread, threading.Timer):
            thread.cancel()


def pytest_collection_modifyitems(config, items):
    on_postgres = bool(TEST_DATABASE_URL) and TEST_DATABASE_URL.startswith("postgresql")
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (set TEST_DATABASE_URL)")
    # The browser tests' live server is werkzeug's, in a thread of this process: when the browser
    # drops a connection while a static file is being sent (a page left mid-load), the file is
    # closed by the garbage collector, and its ResourceWarning would fail whichever test runs
    # then. That is the test server's, not Baogong's: only there is it let through.
    dropped_static = pytest.mark.filterwarnings(
        "ignore:Exception ignored in. <_io.FileIO name='.*/static/"
        ":pytest.PytestUnraisableExceptionWarning"
    )
    for item in items:
        if "app" in item.fixturenames and "e2e" not in item.keywords:
            item.add_marker(pytest.mark.db)
        if "e2e" in item.keywords:
            item.add_marker(dropped_static)
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip_pg)


def _reset_schema(url: str) -> None:
    """Start the PostgreSQL test database from nothing (only ever the one named for tests)."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@contextmanager
def tampering(app):
    """A raw connection that may change ledger rows, as someone with database access would (on
    PostgreSQL the append-only trigger is off only inside it)."""
    with app.app_context():
        db.session.remove()
        on_postgres = db.engine.dialect.name == "postgresql"
        with db.engine.begin() as connection:
            if on_postgres:
                connection.execute(
                    sa.text("ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_append_only")
                )
            yield connection
            if on_postgres:
                connection.execute(
                    sa.text("ALTER TABLE ledger_entries ENABLE TRIGGER ledger_entries_append_only")
                )


def base_config(database_url: str) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "HTTPS": False,
        # Tiny test PDFs render in the test process; tests/test_audit.py checks the child too.
        "PDF_RENDER_IN_CHILD": False,
    }


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    from flask_migrate import upgrade

    if TEST_DATABASE_URL:
        url = TEST_DATABASE_URL
        if url.startswith("postgresql"):
            _reset_schema(url)
    else:
        url = "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.db")
    app = create_app(base_config(url), instance_path=str(tmp_path_factory.mktemp("instance")))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return url


def empty_tables() -> None:
    """Remove every row (TRUNCATE on PostgreSQL: it bypasses row triggers such as the ledger's
    append-only guard, which is exactly what a test reset needs and nothing else may do)."""
    tables = [table.name for table in db.metadata.sorted_tables]
    if db.engine.dialect.name == "postgresql":
        quoted = ", ".join(f'"{name}"' for name in tables)
        db.session.execute(sa.text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
    else:
        for name in reversed(tables):
            db.session.execute(sa.text(f'DELETE FROM "{name}"'))
    db.session.commit()


@pytest.fixture
def app_config() -> dict:
    """Override in a test module to change the app's configuration."""
    return {}


@pytest.fixture
def app(database_url, tmp_path, app_config):
    app = create_app(
        {**base_config(database_url), **app_config}, instance_path=str(tmp_path / "instance")
    )
    yield app
    with app.app_context():
        db.session.remove()
        empty_tables()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_user(app):
    """make_user("wang", Role.PROCUREMENT, ...) -> the new user's id."""

    def make(username: str, *roles: Role, password: str = PASSWORD, active: bool = True) -> int:
        with app.app_context():
            user = account_services.create_user(username, username.title(), password, roles)
            user.active = active
            db.session.commit()
            return user.id

    return make


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, username: str, password: str = PASSWORD, **kwargs):
        return self._client.post(
            "/login", data={"username": username, "password": password}, **kwargs
        )

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def signed_in(client, auth, make_user):
    """signed_in(Role.ADMIN) -> the client, signed in as a new user holding those roles."""

    def sign_in(*roles: Role, username: str | None = None):
        username = username or "user-" + "-".join(role.value for role in roles)
        make_user(username, *roles)
        response = auth.login(username)
        assert response.status_code == 302, response.data
        return client

    return sign_in


# Catalogue, recipients and the stock ledger ---------------------------------------------------


@pytest.fixture
def make_recipient(app):
    """make_recipient(name=None, category="hospital", **fields) -> the new recipient's id."""
    from recipients.models import Recipient

    counter = iter(range(1, 10_000))

    def make(name: str | None = None, category: str = "hospital", **fields) -> int:
        with app.app_context():
            recipient = Recipient(
                name=name or f"测试单位{next(counter):03d}", category=category, **fields
            )
            db.session.add(recipient)
            db.session.commit()
            return recipient.id

    return make


@pytest.fixture
def make_lot(app):
    """make_lot(grade="surgical", qty=1000, released=True, ...) -> the new lot's id.

    The lot is received into the ledger (quarantine) and, unless `released=False`, released
    (available). The grade is created when missing (tests start with empty tables).
    """
    from catalog import services as catalog
    from catalog.models import MASK_GRADES
    from ledger import services as ledger

    counter = iter(range(1, 10_000))

    def make(
        grade: str = "surgical",
        qty: int = 1000,
        *,
        released: bool = True,
        lot_number: str | None = None,
        maker: str = "稳健医疗用品股份有限公司",
        model: str = "平面耳挂式",
        pieces_per_box: int = 50,
        production_date=None,
        expiry_date=None,
        origin: str = "domestic_medical",
    ) -> int:
        with app.app_context():
            found = catalog.find_grade(grade)
            if found is None:
                known = {code: rest for code, *rest in MASK_GRADES}
                standard, zh, en = known.get(grade, ("Q/TEST", grade, grade))
                found = catalog.create_grade(grade, standard, zh, en)
            product = catalog.product_for(found, maker, model, pieces_per_box)
            lot = catalog.create_lot(
                product,
                lot_number or f"T{next(counter):05d}",
                qty,
                origin,
                production_date=production_date,
                expiry_date=expiry_date,
            )
            ledger.receive(lot, None)
            if released:
                ledger.release(lot, None)
            db.session.commit()
            return lot.id

    return make


# Allocation -----------------------------------------------------------------------------------


@pytest.fixture
def make_round(app):
    """make_round([(recipient_id, grade_code, quantity, minimum?)], name=None) -> round id."""
    from datetime import date

    from allocation import services as allocation
    from catalog import services as catalog

    counter = iter(range(1, 10_000))

    def make(requests=(), name: str | None = None) -> int:
        with app.app_context():
            found = allocation.create_round(
                name or f"测试轮次{next(counter):03d}", date(2026, 2, 10), None
            )
            items = [
                allocation.RequestInput(rid, catalog.find_grade(grade).id, qty, *rest)
                for rid, grade, qty, *rest in requests
            ]
            allocation.add_requests(found, items, None)
            db.session.commit()
            return found.id

    return make
