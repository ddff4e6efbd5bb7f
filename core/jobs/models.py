"""The `jobs` table: one row per background job, the page's view of its progress and outcome."""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, enum_type, now_utc
from core.i18n import is_english
from extensions import db


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


FINISHED = frozenset({JobStatus.DONE, JobStatus.FAILED})

# Every status change goes through `core.jobs.runner.transition`, which allows only these.
TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.QUEUED: frozenset({JobStatus.RUNNING, JobStatus.FAILED}),
    # running -> running: a retry after the worker running it died; running -> queued: the
    # queue will run it again.
    JobStatus.RUNNING: frozenset(
        {JobStatus.RUNNING, JobStatus.QUEUED, JobStatus.DONE, JobStatus.FAILED}
    ),
    JobStatus.DONE: frozenset(),
    JobStatus.FAILED: frozenset(),
}


class Job(db.Model):
    """A piece of long work (a plan run, an import, a PDF) run by a worker or, without a queue,
    at once in the request. Its work lands in one transaction or not at all; this row says how
    far it got, what went wrong (in both languages, never a stack trace) and where its result is.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        sa.CheckConstraint("done >= 0", name="done_not_negative"),
        sa.CheckConstraint("total IS NULL OR total >= 0", name="total_not_negative"),
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(50), nullable=False)
    status: Mapped[JobStatus] = mapped_column(
        enum_type(JobStatus, "job_status"), nullable=False, default=JobStatus.QUEUED
    )
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id"), nullable=True, index=True
    )
    # The job's id on the queue (None when it ran in the request).
    queue_job_id: Mapped[str | None] = mapped_column(sa.String(120), nullable=True, unique=True)
    done: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    total: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    message_zh: Mapped[str] = mapped_column(sa.String(500), nullable=False, default="")
    message_en: Mapped[str] = mapped_column(sa.String(500), nullable=False, default="")
    # Where the person goes when it is done: a path on this site (a plan, a stored document).
    result: Mapped[str | None] = mapped_column(sa.String(500), nullable=True)
    error_zh: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    error_en: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def percent(self) -> int | None:
        """How far it got, 0–100, or None while the amount of work is unknown."""
        if self.status == JobStatus.DONE:
            return 100
        if not self.total:
            return None
        return max(0, min(100, self.done * 100 // self.total))

    @property
    def message(self) -> str:
        return self.message_en if is_english() else self.message_zh

    @property
    def error(self) -> str | None:
        return self.error_en if is_english() else self.error_zh

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.kind} {self.status}>"
