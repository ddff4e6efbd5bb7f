"""CSRF, sign-in throttling, cookies, security headers and error pages."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from accounts.guards import public, signed_in
from accounts.models import LoginAttempt, LoginOutcome, Role
from extensions import db

from .conftest import PASSWORD


class TestCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    @staticmethod
    def token(client, url="/login") -> str:
        html = client.get(url).get_data(as_text=True)
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
        assert match, "form without a CSRF token"
        return match.group(1)

    def test_login_without_token_is_refused(self, client, make_user):
        make_user("wang", Role.PROCUREMENT)
        response = client.post("/login", data={"username": "wang", "password": PASSWORD})
        assert response.status_code == 400
        assert "wang" not in response.get_data(as_text=True)
        assert client.get("/").status_code == 302  # still signed out

    def test_login_with_token_works(self, client, make_user):
        make_user("wang", Role.PROCUREMENT)
        data = {"username": "wang", "password": PASSWORD, "csrf_token": self.token(client)}
        assert client.post("/login", data=data).status_code == 302
        assert client.get("/").status_code == 200

    def test_state_change_without_token_is_refused(self, client, make_user):
        make_user("boss", Role.ADMIN)
        data = {"username": "boss", "password": PASSWORD, "csrf_token": self.token(client)}
        client.post("/login", data=data)
        response = client.post(
            "/admin/users/new",
            data={
                "username": "x1",
                "display_name": "X",
                "roles": ["auditor"],
                "password": "long-enough-pw",
                "confirm": "long-enough-pw",
            },
        )
        assert response.status_code == 400
        assert client.post("/logout").status_code == 400
        assert client.get("/").status_code == 200  # the failed logout did not sign out


class TestThrottle:
    def login(self, client, username, password, address="10.0.0.1"):
        return client.post(
            "/login",
            data={"username": username, "password": password},
            environ_base={"REMOTE_ADDR": address},
        )

    def test_account_locked_after_five_failures(self, app, client, make_user):
        make_user("wang", Role.PROCUREMENT)
        for _ in range(5):
            assert self.login(client, "wang", "wrong-password").status_code == 200
        response = self.login(client, "wang", PASSWORD)
        assert response.status_code == 429
        assert client.get("/").status_code == 302  # not signed in
        # another address is locked out of the same account too
        assert self.login(client, "wang", PASSWORD, address="10.0.0.2").status_code == 429
        with app.app_context():
            outcomes = db.session.scalars(
                sa.select(LoginAttempt.outcome).order_by(LoginAttempt.id)
            ).all()
        assert outcomes == [LoginOutcome.BAD_PASSWORD] * 5 + [LoginOutcome.THROTTLED] * 2

    def test_lock_ends_after_the_window(self, app, client, make_user):
        make_user("wang", Role.PROCUREMENT)
        for _ in range(5):
            self.login(client, "wang", "wrong-password")
        with app.app_context():
            for attempt in db.session.scalars(sa.select(LoginAttempt)):
                attempt.at = attempt.at - timedelta(minutes=16)
            db.session.commit()
        assert self.login(client, "wang", PASSWORD).status_code == 302

    def test_address_locked_after_many_failures_across_accounts(self, client, make_user):
        make_user("wang", Role.PROCUREMENT)
        for number in range(20):
            self.login(client, f"guess{number}", "wrong-password")
        assert self.login(client, "wang", PASSWORD).status_code == 429
        assert self.login(client, "wang", PASSWORD, address="10.0.0.9").status_code == 302

    def test_other_accounts_unaffected(self, client, make_user):
        make_user("wang", Role.PROCUREMENT)
        make_user("li", Role.INSPECTOR)
        for _ in range(5):
            self.login(client, "wang", "wrong-password")
        assert self.login(client, "li", PASSWORD, address="10.0.0.3").status_code == 302

    def test_message_does_not_say_which_part_was_wrong(self, client, make_user):
        make_user("wang", Role.PROCUREMENT)
        unknown = self.login(client, "nobody", "whatever").get_data(as_text=True)
        wrong = self.login(client, "wang", "whatever").get_data(as_text=True)
        assert "用户名或密码错误" in unknown and "用户名或密码错误" in wrong


class TestCookiesAndHeaders:
    def test_session_cookie_flags(self, client, make_user, auth):
        make_user("wang", Role.PROCUREMENT)
        response = auth.login("wang")
        cookie = response.headers["Set-Cookie"]
        assert "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie
        assert "Secure" not in cookie

    @pytest.mark.parametrize("app_config", [{"HTTPS": True}])
    def test_secure_cookie_when_https(self, client, make_user, auth):
        make_user("wang", Role.PROCUREMENT)
        response = auth.login("wang", base_url="https://localhost")
        assert "Secure" in response.headers["Set-Cookie"]
        # plain HTTP is redirected to HTTPS
        assert client.get("/login").status_code == 302

    def test_security_headers(self, client):
        headers = client.get("/login").headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"


class TestErrorPages:
    def test_404_in_both_languages(self, client):
        zh = client.get("/no-such-page")
        assert zh.status_code == 404
        assert "页面不存在" in zh.get_data(as_text=True)
        en = client.get("/no-such-page", headers={"Accept-Language": "en"})
        assert "Page not found" in en.get_data(as_text=True)

    def test_403_for_wrong_role(self, signed_in):
        client = signed_in(Role.AUDITOR)
        response = client.get("/admin/users")
        assert response.status_code == 403
        assert "无权" in response.get_data(as_text=True)

    def test_a_nul_character_is_refused_before_anything_is_saved(self, app, signed_in):
        """PostgreSQL cannot store NUL: a form or an address carrying one gets a clear 400."""
        from procurement.models import Supplier

        client = signed_in(Role.PROCUREMENT)
        app.config["WTF_CSRF_ENABLED"] = False
        new = {"name": "某\x00公司", "kind": "donor"}
        response = client.post("/suppliers/new", data=new, headers={"Accept-Language": "en"})
        assert response.status_code == 400
        assert "NUL character" in response.get_data(as_text=True)
        zh = client.get("/suppliers?q=a%00b", headers={"Accept-Language": "zh"})
        assert zh.status_code == 400 and "不可见字符" in zh.get_data(as_text=True)
        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count(Supplier.id))) == 0
        new["name"] = "某公司"
        assert client.post("/suppliers/new", data=new).status_code == 302

    def test_500_leaks_nothing(self, app, make_user, auth, client):
        @app.route("/boom")
        @signed_in
        def boom():
            raise RuntimeError("secret internals: password=hunter2")

        make_user("wang", Role.PROCUREMENT)
        auth.login("wang")
        response = client.get("/boom")
        assert response.status_code == 500
        body = response.get_data(as_text=True)
        assert "hunter2" not in body and "Traceback" not in body
        assert "出错" in body

    def test_unguarded_view_is_refused(self, app, client, make_user, auth):
        @app.route("/forgot-the-guard")
        def forgot():
            return "should never be served"

        make_user("boss", Role.ADMIN)
        auth.login("boss")
        assert client.get("/forgot-the-guard").status_code == 403

    def test_public_view_needs_no_sign_in(self, app, client):
        @app.route("/open")
        @public
        def open_view():
            return "open"

        assert client.get("/open").get_data(as_text=True) == "open"


def test_open_redirect_refused(client, make_user, auth):
    make_user("wang", Role.PROCUREMENT)
    response = client.post(
        "/login?next=https://evil.example/", data={"username": "wang", "password": PASSWORD}
    )
    assert response.location == "/"
    client.post("/logout")
    response = client.post(
        "/login?next=/admin/users", data={"username": "wang", "password": PASSWORD}
    )
    assert response.location == "/admin/users"


def test_secret_key_generated_once_into_instance(tmp_path, database_url):
    from app import create_app

    from .conftest import base_config

    config = {**base_config(database_url), "SECRET_KEY": None}
    first = create_app(config, instance_path=str(tmp_path))
    second = create_app(config, instance_path=str(tmp_path))
    key_file = tmp_path / "secret_key"
    assert key_file.read_text() == first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) == 64
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    # and the key of identity card number hashes (rationing), made the same way
    assert sorted(p.name for p in tmp_path.iterdir()) == ["id_hash_key", "secret_key"]
    assert (tmp_path / "id_hash_key").read_text() == first.config["ID_HASH_KEY"]
    assert first.config["ID_HASH_KEY"] == second.config["ID_HASH_KEY"] != first.config["SECRET_KEY"]
    assert oct((tmp_path / "id_hash_key").stat().st_mode & 0o777) == "0o600"
