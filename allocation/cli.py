"""`flask allocate ROUND`: run a draft plan for a round and print its tier summary."""

import click
from flask.cli import with_appcontext

from accounts.services import find_user
from allocation.models import Round
from core.errors import ServiceError
from extensions import db

from . import plans, services
from .models import PlanStatus


@click.command("allocate")
@click.argument("round_name")
@click.option("--as", "username", default=None, help="Record the run as this user.")
@with_appcontext
def allocate_command(round_name: str, username: str | None) -> None:
    """Run a draft plan for ROUND (its name, or its number) and print the tier summary.

    Creates the round's plan if it has none; re-runs its draft or returned plan otherwise.
    """
    found = services.find_round(round_name)
    if found is None and round_name.isdigit():
        found = db.session.get(Round, int(round_name))
    if found is None:
        raise click.ClickException(f"no round named {round_name!r}")
    actor = None
    if username:
        actor = find_user(username)
        if actor is None:
            raise click.ClickException(f"no user named {username!r}")
    try:
        plan = plans.live_plan(found.id)
        if plan is None:
            plan = plans.create_plan(found, actor)
        elif plan.status in (PlanStatus.DRAFT, PlanStatus.RETURNED):
            plans.run_plan(plan, actor)
        else:
            raise ServiceError(
                f"plan {plan.number} is {plan.status.value}: only a draft can be re-run"
            )
    except ServiceError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from error
    db.session.commit()
    run = plan.current_run
    click.echo(
        f"plan {plan.number} version {run.version} ({plan.status.value}), round {found.name}"
    )
    click.echo(
        f"{'tier':<6}{'requests':>10}{'requested':>14}{'allocated':>14}{'fill':>8}{'lowest':>8}"
    )
    for t in run.result["tiers"]:
        fill = t["allocated"] / t["requested"] if t["requested"] else 1.0
        click.echo(
            f"{t['tier']:<6}{t['requests']:>10}{t['requested']:>14,}{t['allocated']:>14,}"
            f"{fill:>8.1%}{t['lowest_fill']:>8.1%}"
        )
    for t in run.result["tiers"]:
        click.echo(f"  {t['summary_en']}")
    click.echo(f"shortfall: {plans.shortfall(run):,} pieces; lines: {len(run.lines)}")
