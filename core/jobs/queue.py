"""The queue behind the jobs: RQ on Redis.

Why RQ rather than Celery: Baogong needs one queue, on the Redis the machine already runs, for a
handful of long tasks started by people (a plan run, an import, a PDF) — not routing, brokers to
choose between, chords or beat schedules. RQ is made for Redis alone, is small enough to read
(its handling of a dead worker below is a page of code), runs each job in a forked process
that returns its memory when the job ends (which big PDFs need), and is actively maintained.
Celery would bring a broker abstraction (kombu), its own worker pool and configuration for none
of that.

What happens when a worker dies in the middle of a job:
- the job's work was one open database transaction: the database drops it, nothing is written;
- only the forked process died (out of memory, killed): RQ's worker sees it at once, and
  `_horse_killed` puts our row back in the queue (if RQ will retry it) or marks it failed;
- the whole worker died (SIGKILL, machine restart): RQ's job stays in the queue's
  StartedJobRegistry. RQ 2.x takes such an execution for abandoned once its heartbeat lapses
  (`job_monitoring_interval` + 60 s) and, on any worker's maintenance (at its start, then every
  `maintenance_interval`), calls the job's failure callback with `AbandonedJobError` and then
  retries it if it has retries left, else moves it to the FailedJobRegistry
  (`StartedJobRegistry.cleanup`). `reclaim_abandoned` does not wait for the heartbeat when the
  dead worker was on this machine: a worker starting here finds executions whose worker
  process is gone and hands them to that same cleanup at once. `job_failed` (the failure
  callback) keeps our row in step: back to queued, or failed with a message;
- and whatever RQ no longer knows (Redis restarted, it keeps nothing on disk here) is marked
  failed by `sync_rows` when a worker starts, and by `refresh` when the page reads the job.
"""

import logging
import os
import socket
from datetime import timedelta
from uuid import uuid4

import redis
from flask import current_app
from rq import Callback, Queue, Retry, Worker
from rq.exceptions import NoSuchJobError
from rq.executions import Execution
from rq.job import Job as QueueJob
from rq.job import JobStatus as QueueStatus

from core.db import now_utc
from extensions import db

from .models import Job, JobStatus
from .runner import LOST, STOPPED, mark_failed, mark_queued_again, run_job

log = logging.getLogger(__name__)

DEFAULT_QUEUE = "baogong"
ENDED_ON_THE_QUEUE = {QueueStatus.FAILED, QueueStatus.STOPPED, QueueStatus.CANCELED}


def configured() -> bool:
    """True when jobs go to a queue (REDIS_URL is set); False: they run in the request."""
    return bool(current_app.config.get("REDIS_URL"))


def connection() -> redis.Redis:
    """The app's Redis client (one per app, made on first use)."""
    found = current_app.extensions.get("baogong_redis")
    if found is None:
        found = redis.Redis.from_url(
            current_app.config["REDIS_URL"], socket_connect_timeout=2, health_check_interval=30
        )
        current_app.extensions["baogong_redis"] = found
    return found


def queue_name() -> str:
    return current_app.config.get("JOB_QUEUE") or DEFAULT_QUEUE


def get_queue() -> Queue:
    return Queue(
        queue_name(),
        connection=connection(),
        default_timeout=int(current_app.config.get("JOB_TIMEOUT", 600)),
    )


def new_queue_job_id() -> str:
    """An id for the queue's copy of a job, named after the queue (letters, digits, dashes)."""
    return f"{queue_name()}-{uuid4().hex}"


def enqueue(job: Job, function_path: str, args: tuple) -> None:
    """Put a committed job row on the queue; raises redis.RedisError when Redis does not answer."""
    config = current_app.config
    retries = int(config.get("JOB_RETRIES", 1))
    get_queue().enqueue(
        run_job,
        job.id,
        function_path,
        list(args),
        job_id=job.queue_job_id,
        job_timeout=int(config.get("JOB_TIMEOUT", 600)),
        retry=Retry(max=retries) if retries > 0 else None,
        on_failure=Callback(job_failed),
        result_ttl=int(config.get("JOB_RESULT_TTL", 3600)),
        failure_ttl=int(config.get("JOB_RESULT_TTL", 3600)),
        description=f"{job.kind} #{job.id}",
    )


def job_failed(queue_job: QueueJob, connection, exc_type=None, exc_value=None, tb=None) -> None:
    """RQ's failure callback. Our `run_job` records the job's own failures; RQ calls this when
    the job could not finish at all (its worker was found dead: AbandonedJobError, or run_job
    itself broke). Back to queued when RQ will retry it, else failed. Never raises: it runs
    inside RQ's registry cleanup."""
    try:
        job_id = int(queue_job.args[0])
        if queue_job.should_retry:
            mark_queued_again(job_id)
        else:
            mark_failed(job_id, STOPPED)
    except Exception:  # noqa: BLE001
        log.exception("could not record the failure of queue job %s", queue_job.id)


def _horse_killed(queue_job: QueueJob, retpid, ret_val, rusage) -> None:
    """The forked process running a job died (killed, out of memory): RQ is about to retry it
    or mark it failed; our row follows."""
    log.warning("the process running job %s died (status %s)", queue_job.id, ret_val)
    job_failed(queue_job, None)


class AppWorker(Worker):
    """RQ's forking worker, run inside the app context by `flask jobs worker`."""

    def main_work_horse(self, job, queue):
        # The forked process must not use the parent's database connections: forget them
        # (without closing them, which would close the parent's too) and open its own.
        for engine in db.engines.values():
            engine.dispose(close=False)
        super().main_work_horse(job, queue)


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reclaim_abandoned(queue: Queue, own_name: str | None = None) -> int:
    """Hand the executions whose worker has died to RQ's own abandoned-job handling at once
    (retry, or failed), instead of waiting for their heartbeat to lapse. A worker is taken for
    dead when its record has expired, or when it ran on this machine and its process is gone.
    Returns how many were reclaimed."""
    registry = queue.started_job_registry
    redis_connection = queue.connection
    host = socket.gethostname()
    reclaimed = 0
    for job_id, execution_id in registry.get_job_and_execution_ids(cleanup=False):
        try:
            execution = Execution.fetch(execution_id, job_id, redis_connection)
        except ValueError:  # its record expired with its heartbeat: abandoned
            worker = None
        else:
            worker = Worker.find_by_key(
                Worker.redis_worker_namespace_prefix + execution.worker_name,
                connection=redis_connection,
            )
        if worker is not None:
            if worker.name == own_name:
                continue
            same_host = worker.hostname == host
            pid_gone = not _alive(worker.pid) or worker.pid == os.getpid()
            if not (same_host and pid_gone):
                continue  # alive, or elsewhere: its heartbeat decides
            worker.register_death()
        log.warning("job %s was abandoned by a worker that died: reclaiming it", job_id)
        redis_connection.zadd(registry.key, {f"{job_id}:{execution_id}": 0})
        reclaimed += 1
    if reclaimed:
        registry.cleanup()
    return reclaimed


def refresh(job: Job) -> Job:
    """Bring a row that has not finished in line with what is known of it, when the page reads
    it: a queue job RQ has given up on or lost is failed; a job run in a request that has been
    running far longer than any request may is failed (its process was stopped)."""
    if job.finished:
        return job
    changed = False
    if job.queue_job_id is None:
        limit = timedelta(seconds=int(current_app.config.get("JOB_TIMEOUT", 600)) * 2)
        if (
            job.status == JobStatus.RUNNING
            and job.started_at
            and now_utc() - job.started_at > limit
        ):
            changed = mark_failed(job.id, STOPPED)
    elif configured():
        try:
            status = QueueJob.fetch(job.queue_job_id, connection=connection()).get_status()
        except NoSuchJobError:
            changed = mark_failed(job.id, LOST)
        except redis.RedisError:
            log.warning("Redis does not answer: job %s shown as last recorded", job.id)
        else:
            if status in ENDED_ON_THE_QUEUE:
                changed = mark_failed(job.id, STOPPED)
    if changed:
        db.session.refresh(job)
    return job


def sync_rows() -> int:
    """When a worker starts: fail the rows of this queue that RQ has given up on or lost."""
    prefix = queue_name() + "-"
    rows = db.session.scalars(
        db.select(Job).where(
            Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]),
            Job.queue_job_id.startswith(prefix, autoescape=True),
        )
    ).all()
    failed = 0
    for job in rows:
        refresh(job)
        failed += job.status == JobStatus.FAILED
    db.session.rollback()
    return failed


def run_worker(*, burst: bool = False, name: str | None = None) -> bool:
    """Run a worker on the app's queue until stopped (or, `burst`, until the queue is empty).
    Must run inside the app context."""
    queue = get_queue()
    worker = AppWorker(
        [queue],
        connection=queue.connection,
        name=name or f"{queue.name}-{socket.gethostname()}-{os.getpid()}",
        work_horse_killed_handler=_horse_killed,
        maintenance_interval=int(current_app.config.get("JOB_MAINTENANCE_INTERVAL", 60)),
    )
    reclaimed = reclaim_abandoned(queue, worker.name)
    failed = sync_rows()
    log.info(
        "worker %s: %s job(s) reclaimed, %s lost job(s) marked failed",
        worker.name,
        reclaimed,
        failed,
    )
    db.session.remove()
    for engine in db.engines.values():
        engine.dispose()
    return worker.work(burst=burst, with_scheduler=False)


def workers_running() -> int | None:
    """How many workers serve the app's queue (None: Redis does not answer)."""
    try:
        return Worker.count(queue=get_queue())
    except redis.RedisError:
        return None
