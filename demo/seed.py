"""`flask seed-demo`: a demo city to try Baogong with. Demo only: the passwords are public."""

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from accounts import services as accounts
from accounts.models import Role, User
from extensions import db

from .procurement import seed as seed_procurement
from .rationing import seed_rationing
from .rounds import seed_rounds
from .stock import seed as seed_stock

DEMO_PASSWORD = "baogong-demo"

# One user per role: username = role name.
DEMO_USERS = [
    (Role.PROCUREMENT, "王芳"),
    (Role.INSPECTOR, "李强"),
    (Role.ALLOCATOR, "张敏"),
    (Role.APPROVER, "陈建国"),
    (Role.AUDITOR, "刘洋"),
    (Role.ADMIN, "赵磊"),
    (Role.OUTLET, "黄丽"),
]


class DemoRefused(Exception):
    pass


def seed_demo() -> list[str]:
    """Create what is missing of the demo; returns what was created.

    Refuses a database with users the demo did not create, so it can never mix demo
    accounts (with public passwords) into a real installation.
    """
    foreign = db.session.scalars(sa.select(User.username).where(User.is_demo.is_(False))).all()
    if foreign:
        raise DemoRefused(
            "refusing to seed demo data: this database has users the demo did not create "
            f"({', '.join(sorted(foreign)[:5])})"
        )
    created = []
    for role, display_name in DEMO_USERS:
        if accounts.find_user(role.value) is None:
            accounts.create_user(role.value, display_name, DEMO_PASSWORD, [role], is_demo=True)
            created.append(f"user {role.value}")
    db.session.flush()
    created.extend(seed_stock())
    created.extend(seed_procurement())
    created.extend(seed_rounds(_user_id(Role.ALLOCATOR), _user_id(Role.APPROVER)))
    created.extend(seed_rationing(_user_id(Role.ALLOCATOR), _user_id(Role.OUTLET)))
    return created


def _user_id(role: Role) -> int | None:
    user = accounts.find_user(role.value)
    return user.id if user is not None else None


def has_users() -> bool:
    return db.session.scalar(sa.select(sa.func.count(User.id))) > 0


@click.command("seed-demo")
@click.option(
    "--if-empty",
    is_flag=True,
    help="Seed only a database without users; otherwise do nothing (used by `make run`).",
)
@with_appcontext
def seed_demo_command(if_empty: bool) -> None:
    """Fill the database with a demo city (demo users, password baogong-demo)."""
    if if_empty and has_users():
        click.echo("database has users: demo not seeded")
        return
    try:
        created = seed_demo()
    except DemoRefused as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    if created:
        click.echo("demo seeded: " + ", ".join(created))
    else:
        click.echo("demo already complete")
    click.echo(f"demo users: {', '.join(r.value for r, _ in DEMO_USERS)}; password {DEMO_PASSWORD}")
