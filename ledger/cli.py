"""`flask ledger ...`: verify the chain and balances, write off expired stock."""

from datetime import date

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from catalog.models import Lot
from extensions import db

from . import services
from .verify import verify

ledger_cli = AppGroup("ledger", help="The stock ledger: verification and housekeeping.")


@ledger_cli.command("verify")
def verify_command() -> None:
    """Recompute the hash chain and the balances from the entries.

    Exits 0 printing `chain intact: N entries` when everything matches; exits 1 naming the first
    broken entry (or the balances that differ) otherwise.
    """
    result = verify()
    for line in result.report():
        click.echo(line)
    if not result.ok:
        raise SystemExit(1)


@ledger_cli.command("write-off-expired")
@click.option(
    "--date",
    "on_date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Judge expiry on this date (default: today in the city's time zone).",
)
@click.option("--reason", default="", help="Reason kept with each entry.")
def write_off_expired_command(on_date, reason: str) -> None:
    """Write off whatever stock expired lots still hold (quarantine, available, on hold)."""
    day: date | None = on_date.date() if on_date else None
    entries = services.write_off_expired(None, on_date=day, reason=reason)
    db.session.commit()
    numbers = dict(db.session.execute(sa.select(Lot.id, Lot.lot_number)).all()) if entries else {}
    for entry in entries:
        click.echo(
            f"entry {entry.seq}: lot {numbers[entry.lot_id]} {entry.from_bucket.value} "
            f"-{entry.quantity} written off"
        )
    click.echo(f"{len(entries)} write-off entries")
