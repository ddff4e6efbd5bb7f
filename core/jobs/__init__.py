"""Background jobs: long work (a plan run, an import, a PDF) run by a worker, with a progress page.

    from core import jobs

    @bp.route("/plans/<int:plan_id>/pdf", methods=["POST"])
    @roles_required(Role.AUDITOR)
    def plan_pdf(plan_id):
        job = jobs.submit("plan_pdf", "audit.jobs.render_plan_pdf", plan_id, user=current_user)
        return jobs.redirect_to(job)      # the progress page (or the result, when it is done)

    # audit/jobs.py — plain values in; the whole body is one transaction
    def render_plan_pdf(reporter, plan_id):
        ...
        reporter.progress(done, total, _l("Rendering the lines"))
        return url_for("audit.plan_pdf", plan_id=plan_id)   # where to go when done

With `REDIS_URL` set, `submit` puts the job on an RQ queue (`core.jobs.queue`, which also says
why RQ and how a dead worker is handled) and `flask jobs worker` runs it. Without it (the
embedded default: SQLite, tests, `make run` with no Redis) `submit` runs the job at once, in
the request, the same way. Either way the job's function runs in one transaction: it lands
whole with the row's `done`, or is rolled back and the row says why it failed.
"""

import logging

import redis
from flask import redirect, url_for
from werkzeug.utils import import_string

from core.i18n import in_language
from extensions import db

from . import queue
from .models import FINISHED, Job, JobStatus
from .runner import QUEUE_DOWN, Reporter, both, mark_failed, run_job

__all__ = [
    "refresh",
    "FINISHED",
    "Job",
    "JobStatus",
    "Reporter",
    "kind_label",
    "progress_url",
    "redirect_to",
    "register_kind",
    "submit",
]

log = logging.getLogger(__name__)

_KIND_LABELS: dict = {}


def register_kind(kind: str, label) -> None:
    """Name a kind of job for the progress page (`label`: `_l(...)` or a `Message`)."""
    _KIND_LABELS[kind] = label


def kind_label(kind: str) -> str:
    label = _KIND_LABELS.get(kind)
    if label is None:
        return kind
    return in_language(both(label))


def submit(kind: str, function_path: str, *args, user, total: int | None = None) -> Job:
    """Start `function_path(reporter, *args)` as a job of `kind` for `user` (a user or a user
    id; None for the system). `args` are plain values (ids, numbers, text, lists of them);
    `total` is the amount of work when known before it starts.

    The job's row is committed here, so call it with nothing else pending in the session (as
    a view does before it commits anything). With a queue the job waits for a worker; without
    one it has run when this returns. Either way the row says how it went."""
    import_string(function_path)  # a wrong path fails here, in the view, not in a worker
    if db.session.new or db.session.dirty or db.session.deleted:
        raise RuntimeError("submit() commits the job row: commit or roll back other changes first")
    on_queue = queue.configured()
    job = Job(
        kind=kind,
        status=JobStatus.QUEUED,
        user_id=getattr(user, "id", user),
        total=total,
        done=0,
        attempts=0,
        queue_job_id=queue.new_queue_job_id() if on_queue else None,
    )
    db.session.add(job)
    db.session.commit()
    if on_queue:
        try:
            queue.enqueue(job, function_path, args)
        except redis.RedisError:
            log.exception("could not put job %s on the queue", job.id)
            mark_failed(job.id, QUEUE_DOWN)
    else:
        run_job(job.id, function_path, args)
    db.session.refresh(job)
    return job


def progress_url(job: Job) -> str:
    return url_for("jobs.show", job_id=job.id)


def redirect_to(job: Job):
    """Where a view sends the person after `submit`: the result when the job is already done
    (it ran in the request), else its progress page (which shows a failure too)."""
    if job.status == JobStatus.DONE and job.result:
        return redirect(job.result)
    return redirect(progress_url(job))


def refresh(job: Job) -> Job:
    """The row brought in line with the queue (a lost or abandoned job is failed)."""
    return queue.refresh(job)
