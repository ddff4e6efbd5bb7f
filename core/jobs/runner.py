"""Running one job: its work in one transaction, its progress in short transactions of their own.

`run_job` is what the queue's worker calls (and what `submit` calls at once when there is no
queue). It marks the row running, calls the job's function with a `Reporter`, and then either
commits the work together with the row's `done` (so a job is never done without its work, nor
its work saved without the job being done), or rolls everything back and marks the row failed
with a message a person can read in either language. A process killed in the middle commits
nothing: the database drops the open transaction, and the queue runs the job again or it is
marked failed (`core.jobs.queue`).
"""

import logging
import time
from contextlib import nullcontext

import sqlalchemy as sa
from flask import current_app, has_request_context
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from rq.timeouts import JobTimeoutException
from sqlalchemy.exc import OperationalError
from werkzeug.utils import import_string

from core.db import now_utc
from core.errors import ServiceError
from core.text import Message
from core.urls import safe_next
from extensions import db

from .models import TRANSITIONS, Job, JobStatus

log = logging.getLogger(__name__)

JOBS = Job.__table__
MESSAGE_LENGTH = 500

UNEXPECTED = _l(
    "The job stopped on an unexpected error, which has been logged. Nothing was saved: try "
    "again, and tell the administrator if it happens again."
)
STOPPED = _l(
    "The job stopped before it finished (the process running it ended). Nothing was saved: "
    "start it again."
)
WILL_RETRY = _l("The process running the job stopped; it will run again from the start.")
LOST = _l(
    "The job queue lost this job (its server was restarted). Nothing was saved: start it again."
)
QUEUE_DOWN = _l(
    "The job queue is not answering, so the job was not started. Try again later, or tell the "
    "administrator."
)


def both(text) -> Message:
    """A text in every language of the interface: a `Message` as it is, a plain `str` the same
    in both, a lazy string (`_l`) translated into each. (A `_()` result is already in one
    language: pass `_l(...)` or a `Message` for text a person reads.)"""
    if text is None:
        return Message("", "")
    if isinstance(text, Message):
        return text
    if isinstance(text, str):
        return Message(text, text)
    with force_locale("zh"):
        zh = str(text)
    with force_locale("en"):
        en = str(text)
    return Message(zh, en)


def _short(message: Message, length: int = MESSAGE_LENGTH) -> dict[str, str]:
    return {"zh": message.zh[:length], "en": message.en[:length]}


def transition(target: JobStatus, job_id: int, executor=None, **values) -> bool:
    """Move a job to `target` if its status allows it (models.TRANSITIONS), in one UPDATE that
    checks the status it changes, so two processes can never both finish a job. `executor` is
    a connection or the session (default). True when the row changed."""
    allowed = [status for status, targets in TRANSITIONS.items() if target in targets]
    statement = (
        sa.update(JOBS)
        .where(JOBS.c.id == job_id, JOBS.c.status.in_(allowed))
        .values(status=target, **values)
    )
    result = (executor if executor is not None else db.session).execute(statement)
    return result.rowcount == 1


def transition_now(target: JobStatus, job_id: int, **values) -> bool:
    """`transition` in a short transaction of its own, committed at once."""
    with db.engine.begin() as connection:
        return transition(target, job_id, connection, **values)


def mark_failed(job_id: int, reason) -> bool:
    """Mark a job that has not finished as failed, with `reason` for the person who started it."""
    text = both(reason)
    return transition_now(
        JobStatus.FAILED, job_id, error_zh=text.zh, error_en=text.en, finished_at=now_utc()
    )


def mark_queued_again(job_id: int, reason=WILL_RETRY) -> bool:
    """A running job whose process died goes back to the queue, to be run from the start."""
    text = _short(both(reason))
    return transition_now(JobStatus.QUEUED, job_id, message_zh=text["zh"], message_en=text["en"])


class Reporter:
    """What a job's function is given to say how far it got.

        def build_pdf(reporter, plan_id):
            for done, part in enumerate(parts, 1):
                ...
                reporter.progress(done, len(parts), _l("Rendering the lines"))

    Each report is written to the job's row on a connection of its own, in its own short
    transaction, so the progress page sees it while the work's transaction is still open.
    Reports closer together than `JOB_PROGRESS_INTERVAL` seconds are folded into the next one
    (the last values always land with the job's end). On SQLite, which has one writer at a
    time, a report that would wait for the work's own writes is skipped instead.
    """

    def __init__(self, job_id: int, total: int | None = None, interval: float | None = None):
        self.job_id = job_id
        self.done = 0
        self.total = total
        self.message = Message("", "")
        if interval is None:
            interval = float(current_app.config.get("JOB_PROGRESS_INTERVAL", 0.5))
        self.interval = interval
        self._written_at: float | None = None

    def progress(self, done: int, total: int | None = None, message=None) -> None:
        """`done` of `total` steps (total None: as before); `message` a `Message`, `_l(...)` or
        plain text (None: as before)."""
        self.done = max(0, int(done))
        if total is not None:
            self.total = max(0, int(total))
        if message is not None:
            self.message = both(message)
        now = time.monotonic()
        last = self.total is not None and self.done >= self.total
        if not last and self._written_at is not None and now - self._written_at < self.interval:
            return
        self._written_at = now
        self._write()

    def values(self) -> dict:
        """The row's progress columns as last reported."""
        text = _short(self.message)
        return {
            "done": self.done,
            "total": self.total,
            "message_zh": text["zh"],
            "message_en": text["en"],
        }

    def _write(self) -> None:
        statement = (
            sa.update(JOBS)
            .where(JOBS.c.id == self.job_id, JOBS.c.status == JobStatus.RUNNING)
            .values(**self.values())
        )
        try:
            with db.engine.connect() as connection, _no_waiting_on_sqlite(connection):
                connection.execute(statement)
                connection.commit()
        except OperationalError as error:  # SQLite: the work holds the one write lock
            log.debug("progress of job %s not written now: %s", self.job_id, error)


class _no_waiting_on_sqlite:
    """On SQLite, wait at most a moment for the write lock, then give up (and restore the
    connection's usual patience)."""

    def __init__(self, connection):
        self.connection = connection
        self.previous = None

    def __enter__(self):
        if self.connection.dialect.name == "sqlite":
            self.previous = self.connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
            self.connection.exec_driver_sql("PRAGMA busy_timeout = 50")
        return self

    def __exit__(self, *exc_info):
        if self.previous is not None:
            if exc_info[0] is not None:
                self.connection.rollback()
            self.connection.exec_driver_sql(f"PRAGMA busy_timeout = {int(self.previous)}")
        return False


def run_job(job_id: int, function_path: str, args=()) -> str | None:
    """Run job `job_id`: `function_path` ("package.module.function") is called as
    `function(reporter, *args)` and returns a path on this site to go to when it is done (or
    None). Runs in an app context of its own (a fresh database session); outside a request a
    request context is made up so that the function can use `url_for`. Never raises for the
    job's own failure: that is recorded on the row."""
    app = current_app._get_current_object()
    with app.app_context(), nullcontext() if has_request_context() else app.test_request_context():
        try:
            return _run(job_id, function_path, tuple(args))
        finally:
            db.session.remove()


def _start(job_id: int) -> Job | None:
    """Mark the job running (one more attempt, progress from zero); None if it has finished."""
    with db.engine.begin() as connection:
        started = transition(
            JobStatus.RUNNING,
            job_id,
            connection,
            attempts=JOBS.c.attempts + 1,
            started_at=now_utc(),
            done=0,
            message_zh="",
            message_en="",
        )
    if not started:
        return None
    return db.session.get(Job, job_id)


def _run(job_id: int, function_path: str, args: tuple) -> str | None:
    job = _start(job_id)
    if job is None:
        finished = db.session.get(Job, job_id)
        log.info("job %s is %s already: not run again", job_id, finished and finished.status)
        return finished.result if finished else None
    reporter = Reporter(job_id, total=job.total)
    db.session.rollback()  # the work starts with a fresh transaction
    try:
        function = import_string(function_path)
        returned = function(reporter, *args)
        result = safe_next(returned) if returned is not None else None
        if returned is not None and result is None:
            raise ValueError(f"job {function_path} returned {returned!r}, not a path on this site")
        values = reporter.values()
        if values["total"] is not None:
            values["done"] = values["total"]
        finished = transition(
            JobStatus.DONE, job_id, result=result, finished_at=now_utc(), **values
        )
        if not finished:  # marked failed meanwhile (its process was taken for dead): keep that
            db.session.rollback()
            log.warning(
                "job %s was finished elsewhere while it ran: its work is rolled back", job_id
            )
            return None
        db.session.commit()
        return result
    except Exception as error:  # noqa: BLE001 - every failure is recorded, none escapes
        db.session.rollback()
        mark_failed(job_id, failure_reason(error, function_path, job_id))
        return None


def failure_reason(error: Exception, function_path: str, job_id: int):
    """What the person is told: a business rule's own message, a time limit, or that something
    unexpected happened (logged with its traceback, never shown)."""
    if isinstance(error, ServiceError):
        log.info("job %s (%s) refused: %s", job_id, function_path, error)
        return error.message
    if isinstance(error, JobTimeoutException):
        log.warning("job %s (%s) timed out", job_id, function_path)
        minutes = max(1, round(int(current_app.config.get("JOB_TIMEOUT", 600)) / 60))
        return _l(
            "The job took longer than its limit of %(minutes)s minutes and was stopped. "
            "Nothing was saved.",
            minutes=minutes,
        )
    log.exception("job %s (%s) failed", job_id, function_path)
    return UNEXPECTED
