"""`flask create-user` and `flask seed-demo`."""

import sqlalchemy as sa

from accounts.models import Role, User
from demo.seed import DEMO_PASSWORD, DEMO_USERS
from extensions import db


def usernames(app) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(sa.select(User.username)))


def test_create_user(app, runner):
    result = runner.invoke(
        args=[
            "create-user",
            "chen",
            "--role",
            "allocator",
            "--role",
            "approver",
            "--display-name",
            "陈明",
            "--password",
            "a-long-password",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "created chen (allocator, approver)" in result.output
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "chen"))
        assert user.roles == {Role.ALLOCATOR, Role.APPROVER}
        assert user.display_name == "陈明"
        assert user.check_password("a-long-password")
        assert not user.is_demo


def test_create_user_refuses_duplicate_and_bad_role(app, runner):
    runner.invoke(args=["create-user", "chen", "--role", "admin", "--password", "a-long-password"])
    again = runner.invoke(
        args=["create-user", "chen", "--role", "admin", "--password", "a-long-password"]
    )
    assert again.exit_code == 1
    bad_role = runner.invoke(
        args=["create-user", "li", "--role", "boss", "--password", "a-long-password"]
    )
    assert bad_role.exit_code == 2
    short = runner.invoke(args=["create-user", "li", "--role", "admin", "--password", "short"])
    assert short.exit_code == 1
    assert usernames(app) == {"chen"}


def test_seed_demo_creates_one_user_per_role(app, runner, client):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert usernames(app) == {role.value for role in Role}
    for role, _ in DEMO_USERS:
        with app.app_context():
            user = db.session.scalar(sa.select(User).where(User.username == role.value))
            assert user.roles == {role} and user.is_demo
    response = client.post("/login", data={"username": "allocator", "password": DEMO_PASSWORD})
    assert response.status_code == 302


def test_seed_demo_is_idempotent(app, runner):
    runner.invoke(args=["seed-demo"])
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0
    assert "already" in again.output
    assert len(usernames(app)) == len(Role)


def test_seed_demo_refuses_real_users(app, runner):
    runner.invoke(args=["create-user", "chen", "--role", "admin", "--password", "a-long-password"])
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 1
    assert "refusing" in result.output
    assert usernames(app) == {"chen"}


def test_seed_demo_if_empty_leaves_used_database_alone(app, runner):
    runner.invoke(args=["create-user", "chen", "--role", "admin", "--password", "a-long-password"])
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0
    assert usernames(app) == {"chen"}
