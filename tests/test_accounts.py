"""Accounts: sign-in, the administrator's user pages, own password, services."""

import pytest
import sqlalchemy as sa

from accounts import services
from accounts.forms import NewUserForm
from accounts.models import AccountAction, AccountEvent, Role, User
from core.errors import ServiceError
from extensions import db

from .conftest import PASSWORD


def get_user(app, username) -> User:
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == username))
        db.session.expunge_all()
        return user


def events(app, username) -> list[AccountAction]:
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == username))
        return list(
            db.session.scalars(
                sa.select(AccountEvent.action)
                .where(AccountEvent.user_id == user.id)
                .order_by(AccountEvent.id)
            )
        )


class TestSignIn:
    def test_sign_in_and_out(self, client, auth, make_user):
        make_user("wang", Role.PROCUREMENT)
        assert auth.login("wang").location == "/"
        home = client.get("/").get_data(as_text=True)
        assert "Wang" in home and "采购员" in home
        assert auth.logout().location == "/login"
        assert client.get("/").status_code == 302

    def test_a_cookie_copied_before_sign_out_no_longer_works(self, app, client, auth, make_user):
        make_user("wang", Role.PROCUREMENT)
        auth.login("wang")
        other_desk = app.test_client()  # a second sign-in of the same user, elsewhere
        other_desk.post("/login", data={"username": "wang", "password": PASSWORD})
        name = app.config["SESSION_COOKIE_NAME"]
        thief = app.test_client()
        thief.set_cookie(name, client.get_cookie(name).value)
        assert thief.get("/").status_code == 200
        auth.logout()
        assert thief.get("/").status_code == 302  # the session ended on the server
        assert thief.get("/stock").location.startswith("/login")
        assert other_desk.get("/").status_code == 200  # another sign-in is its own session

    def test_username_is_case_insensitive(self, client, auth, make_user):
        make_user("wang", Role.PROCUREMENT)
        assert auth.login(" WANG ").status_code == 302

    def test_password_is_hashed_with_scrypt(self, app, make_user):
        make_user("wang", Role.PROCUREMENT)
        user = get_user(app, "wang")
        assert user.password_hash.startswith("scrypt:")
        assert PASSWORD not in user.password_hash

    def test_deactivated_user_cannot_sign_in(self, client, auth, make_user):
        make_user("gone", Role.PROCUREMENT, active=False)
        response = auth.login("gone")
        assert response.status_code == 200
        assert "停用" in response.get_data(as_text=True)

    def test_empty_form_shows_field_errors(self, client):
        response = client.post("/login", data={})
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert html.count('class="errors"') == 2


class TestAdminUsers:
    def test_create_user(self, app, signed_in):
        client = signed_in(Role.ADMIN)
        response = client.post(
            "/admin/users/new",
            data={
                "username": "Chen.Ming",
                "display_name": "陈明",
                "roles": ["allocator", "approver"],
                "password": "a-long-password",
                "confirm": "a-long-password",
            },
        )
        assert response.status_code == 302
        user = get_user(app, "chen.ming")
        assert user.display_name == "陈明"
        with app.app_context():
            assert db.session.get(User, user.id).roles == {Role.ALLOCATOR, Role.APPROVER}
        assert events(app, "chen.ming") == [AccountAction.CREATED]

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"username": "", "display_name": "x", "roles": ["auditor"]}, "必填"),
            ({"username": "bad name", "display_name": "x", "roles": ["auditor"]}, "小写字母"),
            ({"username": "ok", "display_name": "x", "roles": []}, "至少选择一个角色"),
            (
                {
                    "username": "ok",
                    "display_name": "x",
                    "roles": ["auditor"],
                    "password": "short",
                    "confirm": "short",
                },
                "至少需要 10 个字符",
            ),
            (
                {
                    "username": "ok",
                    "display_name": "x",
                    "roles": ["auditor"],
                    "password": "a-long-password",
                    "confirm": "another-password",
                },
                "两次输入的密码不一致",
            ),
        ],
    )
    def test_create_user_errors(self, app, signed_in, data, message):
        client = signed_in(Role.ADMIN, username="boss")
        data = {"password": "a-long-password", "confirm": "a-long-password", **data}
        response = client.post("/admin/users/new", data=data)
        assert response.status_code == 200
        assert message in response.get_data(as_text=True)
        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1  # only boss

    def test_duplicate_username(self, app, signed_in, make_user):
        make_user("wang", Role.PROCUREMENT)
        client = signed_in(Role.ADMIN)
        response = client.post(
            "/admin/users/new",
            data={
                "username": "wang",
                "display_name": "x",
                "roles": ["auditor"],
                "password": "a-long-password",
                "confirm": "a-long-password",
            },
        )
        assert "该用户名已被使用" in response.get_data(as_text=True)

    def test_change_roles_and_name(self, app, signed_in, make_user):
        user_id = make_user("wang", Role.PROCUREMENT)
        client = signed_in(Role.ADMIN)
        response = client.post(
            f"/admin/users/{user_id}",
            data={"display_name": "王芳", "roles": ["procurement", "inspector"]},
        )
        assert response.status_code == 302
        with app.app_context():
            user = db.session.get(User, user_id)
            assert user.display_name == "王芳"
            assert user.roles == {Role.PROCUREMENT, Role.INSPECTOR}
        assert events(app, "wang") == [
            AccountAction.CREATED,
            AccountAction.UPDATED,
            AccountAction.ROLES_CHANGED,
        ]
        history = client.get(f"/admin/users/{user_id}").get_data(as_text=True)
        assert "采购员 → 采购员、质检员" in history

    def test_cannot_drop_own_admin_role(self, app, signed_in):
        client = signed_in(Role.ADMIN, username="boss")
        boss = get_user(app, "boss")
        response = client.post(
            f"/admin/users/{boss.id}", data={"display_name": "Boss", "roles": ["auditor"]}
        )
        assert "不能移除自己的管理员角色" in response.get_data(as_text=True)
        with app.app_context():
            assert db.session.get(User, boss.id).roles == {Role.ADMIN}

    def test_reset_password_ends_sessions(self, app, make_user, signed_in):
        user_id = make_user("wang", Role.PROCUREMENT)
        wang = app.test_client()
        wang.post("/login", data={"username": "wang", "password": PASSWORD})
        assert wang.get("/").status_code == 200
        admin = signed_in(Role.ADMIN)
        response = admin.post(
            f"/admin/users/{user_id}/password",
            data={"password": "brand-new-password", "confirm": "brand-new-password"},
        )
        assert response.status_code == 302
        assert wang.get("/").status_code == 302  # old session ended
        assert (
            wang.post(
                "/login", data={"username": "wang", "password": "brand-new-password"}
            ).status_code
            == 302
        )
        assert AccountAction.PASSWORD_RESET in events(app, "wang")

    def test_reset_password_too_short_changes_nothing(self, app, make_user, signed_in):
        user_id = make_user("wang", Role.PROCUREMENT)
        before = get_user(app, "wang").password_hash
        admin = signed_in(Role.ADMIN)
        response = admin.post(
            f"/admin/users/{user_id}/password",
            data={"password": "short", "confirm": "short"},
            follow_redirects=True,
        )
        assert "至少需要 10 个字符" in response.get_data(as_text=True)
        assert get_user(app, "wang").password_hash == before

    def test_deactivate_and_reactivate(self, app, make_user, signed_in):
        user_id = make_user("wang", Role.PROCUREMENT)
        wang = app.test_client()
        wang.post("/login", data={"username": "wang", "password": PASSWORD})
        admin = signed_in(Role.ADMIN)
        admin.post(f"/admin/users/{user_id}/active", data={})
        assert get_user(app, "wang").active is False
        assert wang.get("/").status_code == 302  # signed out at once
        admin.post(f"/admin/users/{user_id}/active", data={"active": "y"})
        assert get_user(app, "wang").active is True
        assert events(app, "wang")[-2:] == [AccountAction.DEACTIVATED, AccountAction.REACTIVATED]
        # never deleted: still listed with all users
        assert "wang" in admin.get("/admin/users?show=all").get_data(as_text=True)

    def test_cannot_deactivate_self(self, app, signed_in):
        client = signed_in(Role.ADMIN, username="boss")
        boss = get_user(app, "boss")
        response = client.post(f"/admin/users/{boss.id}/active", data={}, follow_redirects=True)
        assert "不能停用自己的账号" in response.get_data(as_text=True)
        assert get_user(app, "boss").active is True

    def test_user_list_filters(self, app, signed_in, make_user):
        make_user("wang", Role.PROCUREMENT)
        make_user("gone", Role.INSPECTOR, active=False)
        client = signed_in(Role.ADMIN)
        active = client.get("/admin/users").get_data(as_text=True)
        assert "wang" in active and "gone" not in active
        inactive = client.get("/admin/users?show=inactive").get_data(as_text=True)
        assert "gone" in inactive and "wang" not in inactive
        by_role = client.get("/admin/users?show=all&role=inspector").get_data(as_text=True)
        assert "gone" in by_role and "wang" not in by_role

    def test_missing_user_is_404(self, signed_in):
        assert signed_in(Role.ADMIN).get("/admin/users/9999").status_code == 404

    def test_sign_in_log(self, client, auth, make_user, signed_in):
        make_user("wang", Role.PROCUREMENT)
        auth.login("wang", "wrong-password")
        admin = signed_in(Role.ADMIN)
        html = admin.get("/admin/sign-ins?failed=1").get_data(as_text=True)
        assert "wang" in html and "密码错误" in html


class TestOwnPassword:
    def test_change_own_password(self, app, signed_in):
        client = signed_in(Role.AUDITOR, username="liu")
        response = client.post(
            "/account/password",
            data={
                "current_password": PASSWORD,
                "password": "new-long-password",
                "confirm": "new-long-password",
            },
        )
        assert response.status_code == 302
        assert client.get("/").status_code == 200  # still signed in
        assert get_user(app, "liu").check_password("new-long-password")

    def test_wrong_current_password(self, app, signed_in):
        client = signed_in(Role.AUDITOR, username="liu")
        response = client.post(
            "/account/password",
            data={
                "current_password": "not-it",
                "password": "new-long-password",
                "confirm": "new-long-password",
            },
        )
        assert "当前密码不正确" in response.get_data(as_text=True)
        assert get_user(app, "liu").check_password(PASSWORD)


class TestServices:
    def test_duplicate_username_raises(self, app):
        with app.app_context():
            services.create_user("wang", "Wang", PASSWORD, [Role.PROCUREMENT])
            with pytest.raises(ServiceError):
                services.create_user("WANG", "Wang 2", PASSWORD, [Role.PROCUREMENT])

    def test_new_user_form_validates(self, app):
        with app.test_request_context():
            form = NewUserForm(
                data={
                    "username": "ok",
                    "display_name": "x",
                    "roles": ["nonsense"],
                    "password": "a-long-password",
                    "confirm": "a-long-password",
                },
                meta={"csrf": False},
            )
            assert not form.validate()
            assert form.roles.errors
