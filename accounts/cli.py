"""`flask create-user`: the same operation as the administrator's page, from a shell."""

import click
from flask.cli import with_appcontext

from core.errors import ServiceError
from extensions import db

from . import services
from .models import Role


@click.command("create-user")
@click.argument("username")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice([role.value for role in Role]),
    help="A role to give; repeat for several.",
)
@click.option("--display-name", default=None, help="Name shown in the interface.")
@click.password_option(help="Asked for when not given.")
@with_appcontext
def create_user_command(username: str, roles: tuple[str, ...], display_name, password) -> None:
    """Create a user with one or more roles."""
    try:
        user = services.create_user(username, display_name or username, password, roles)
    except ServiceError as error:
        raise click.ClickException(str(error.message)) from error
    db.session.commit()
    click.echo(f"created {user.username} ({', '.join(r.value for r in user.sorted_roles)})")
