"""`flask jobs worker`: run the queue's worker inside the app."""

import logging

import click
from flask import current_app
from flask.cli import AppGroup

from . import queue

jobs_cli = AppGroup("jobs", help="Background jobs.")


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@click.option("--name", default=None, help="The worker's name (default: queue-host-pid).")
def worker_command(burst: bool, name: str | None) -> None:
    """Run a worker for the job queue (needs REDIS_URL) until stopped with Ctrl-C."""
    if not queue.configured():
        raise click.ClickException(
            "REDIS_URL is not set: there is no queue, jobs run at once in the request."
        )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    click.echo(
        f"jobs worker on queue {queue.queue_name()!r} "
        f"(time limit {current_app.config.get('JOB_TIMEOUT')} s, "
        f"retries after a dead worker {current_app.config.get('JOB_RETRIES')})"
    )
    queue.run_worker(burst=burst, name=name)
