"""The progress page of a background job (`core.jobs`) and the JSON it polls.

Only the person who started a job, and administrators, see it; anyone else gets the same 404 as
for a job that does not exist. (It lives on the home floor because it needs the role guard,
which `core` may not import.)
"""

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template
from flask_babel import gettext as _
from flask_login import current_user

from accounts.guards import city_staff
from accounts.models import Role
from core import jobs
from core.jobs import queue
from extensions import db

bp = Blueprint("jobs", __name__)


def _visible_job(job_id: int) -> jobs.Job:
    job = db.session.get(jobs.Job, job_id)
    if job is None or not (job.user_id == current_user.id or current_user.has_role(Role.ADMIN)):
        abort(404)
    return jobs.refresh(job)


def _waiting_for_a_worker(job: jobs.Job) -> bool:
    """True when the job is on the queue but no worker is running to take it."""
    if job.finished or job.queue_job_id is None or not queue.configured():
        return False
    return queue.workers_running() == 0


def status_of(job: jobs.Job) -> dict:
    """What the page shows, as JSON (in the reader's language)."""
    waiting = _waiting_for_a_worker(job)
    if waiting:
        note = _("No job worker is running at the moment: the job starts when one does.")
    else:
        note = ""
    message = job.message
    if job.status == jobs.JobStatus.FAILED and message:
        # The last step it reported is where it stopped, not what it is doing.
        message = _("It stopped at: %(step)s", step=message)
    return {
        "id": job.id,
        "kind": jobs.kind_label(job.kind),
        "status": job.status.value,
        "status_label": STATUS_LABELS[job.status](),
        "done": job.done,
        "total": job.total,
        "percent": job.percent,
        "message": message,
        "note": note,
        "error": job.error if job.status == jobs.JobStatus.FAILED else None,
        "result": job.result if job.status == jobs.JobStatus.DONE else None,
        "attempts": job.attempts,
        "finished": job.finished,
        "poll_ms": int(current_app.config.get("JOB_POLL_MS", 1000)),
    }


STATUS_LABELS = {
    jobs.JobStatus.QUEUED: lambda: _("Waiting to start"),
    jobs.JobStatus.RUNNING: lambda: _("Running"),
    jobs.JobStatus.DONE: lambda: _("Done"),
    jobs.JobStatus.FAILED: lambda: _("Failed"),
}


@bp.route("/jobs/<int:job_id>")
@city_staff
def show(job_id: int):
    job = _visible_job(job_id)
    if job.status == jobs.JobStatus.DONE and job.result:
        return redirect(job.result)
    return render_template("jobs/job.html", job=job, state=status_of(job))


@bp.route("/jobs/<int:job_id>.json")
@city_staff
def status(job_id: int):
    response = jsonify(status_of(_visible_job(job_id)))
    response.headers["Cache-Control"] = "no-store"
    return response
