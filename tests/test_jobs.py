"""Background jobs (core/jobs): run in the request without a queue, on RQ with one.

The queue tests use the Redis at 127.0.0.1:6379 (database 15, a queue of their own) and skip
when none answers. One of them runs a real worker process, kills it with SIGKILL in the middle
of a job, starts another, and checks that nothing was half-written and the job was run again
(or, with no retries, clearly failed).
"""

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from accounts.models import Role
from core import jobs
from core.db import now_utc
from core.errors import ServiceError
from core.jobs import queue
from core.text import Message
from extensions import db
from recipients.models import Recipient
from tests.conftest import base_config

ROOT = Path(__file__).resolve().parents[1]
REDIS_TEST_URL = "redis://127.0.0.1:6379/15"
REFUSED = Message("第 %d 行的单位不存在。", "The unit on row %d does not exist.")


# Job functions (called by path, as a view would name them) -------------------------------------


def add_units(reporter, count, delay=0.0, marker=None, refuse_at=None, crash_at=None):
    """Add `count` recipient units, one flush each; report progress after each."""
    for number in range(1, count + 1):
        db.session.add(Recipient(name=f"作业测试单位{number:03d}", category="hospital", tier=1))
        db.session.flush()
        reporter.progress(number, count, Message("正在添加单位", "Adding units"))
        if marker:
            Path(marker).write_text(str(number))
        if refuse_at == number:
            raise ServiceError(Message(REFUSED.zh % number, REFUSED.en % number))
        if crash_at == number:
            raise ValueError("internal detail: connection string and secrets")
        time.sleep(delay)
    return "/recipients"


SEEN: list = []


def watch_progress(reporter, steps, write_first=False):
    """Report progress and read it back on another connection while the job's transaction is
    still open."""
    if write_first:
        db.session.add(Recipient(name="作业测试单位-先写", category="hospital", tier=1))
        db.session.flush()
    for step in range(1, steps + 1):
        reporter.progress(step, steps + 1, Message(f"第 {step} 步", f"Step {step}"))
        with db.engine.connect() as connection:
            SEEN.append(
                connection.execute(
                    sa.select(jobs.Job.done, jobs.Job.message_en).where(
                        jobs.Job.id == reporter.job_id
                    )
                ).one()
            )
    return None


def go_elsewhere(reporter):
    return "https://example.com/phish"


# Helpers ---------------------------------------------------------------------------------------


def unit_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(Recipient.id)))


def job_row(job_id: int) -> jobs.Job:
    db.session.expire_all()
    return db.session.get(jobs.Job, job_id)


@pytest.fixture
def app_config():
    return {"JOB_PROGRESS_INTERVAL": 0}


@pytest.fixture
def allocator(make_user):
    return make_user("job-owner", Role.ALLOCATOR)


# Without a queue: the job runs in the request ---------------------------------------------------


def test_a_job_without_a_queue_runs_at_once_and_records_its_progress(app, allocator):
    with app.app_context():
        job = jobs.submit("test_units", "tests.test_jobs.add_units", 3, user=allocator, total=3)
        assert job.status == jobs.JobStatus.DONE
        assert (job.done, job.total, job.percent) == (3, 3, 100)
        assert (job.message_zh, job.message_en) == ("正在添加单位", "Adding units")
        assert job.result == "/recipients"
        assert job.attempts == 1 and job.queue_job_id is None
        assert job.started_at and job.finished_at and job.user_id == allocator
        assert unit_count() == 3


def test_progress_is_seen_by_others_while_the_work_is_open(app, allocator):
    SEEN.clear()
    with app.app_context():
        job = jobs.submit("watch", "tests.test_jobs.watch_progress", 3, user=allocator)
        assert job.status == jobs.JobStatus.DONE
    assert SEEN == [(1, "Step 1"), (2, "Step 2"), (3, "Step 3")]


@pytest.mark.postgres
def test_progress_is_seen_even_after_the_work_has_written(app, allocator):
    """PostgreSQL: the report's own transaction does not wait for the work's (SQLite has one
    writer, so there a report made after the work wrote waits for the end)."""
    SEEN.clear()
    with app.app_context():
        job = jobs.submit("watch", "tests.test_jobs.watch_progress", 2, True, user=allocator)
        assert job.status == jobs.JobStatus.DONE
        assert unit_count() == 1
    assert SEEN == [(1, "Step 1"), (2, "Step 2")]


def test_a_refused_job_rolls_back_everything_and_says_why(app, allocator):
    with app.app_context():
        job = jobs.submit(
            "test_units", "tests.test_jobs.add_units", 5, 0.0, None, 3, user=allocator
        )
        assert job.status == jobs.JobStatus.FAILED
        assert job.error_en == "The unit on row 3 does not exist."
        assert job.error_zh == "第 3 行的单位不存在。"
        assert job.result is None and job.finished_at is not None
        assert unit_count() == 0


def test_an_unexpected_error_is_logged_not_shown(app, allocator, caplog):
    with app.app_context():
        job = jobs.submit(
            "test_units", "tests.test_jobs.add_units", 4, 0.0, None, None, 2, user=allocator
        )
        assert job.status == jobs.JobStatus.FAILED
        assert "internal detail" not in (job.error_en + job.error_zh)
        assert "unexpected error" in job.error_en and "Nothing was saved" in job.error_en
        assert unit_count() == 0
    assert "internal detail" in caplog.text  # the traceback is in the log, for the admin


def test_a_job_may_only_send_the_person_to_this_site(app, allocator):
    with app.app_context():
        job = jobs.submit("bad", "tests.test_jobs.go_elsewhere", user=allocator)
        assert job.status == jobs.JobStatus.FAILED
        assert job.result is None


def test_submit_refuses_a_wrong_path_and_pending_changes(app, allocator):
    with app.app_context():
        with pytest.raises(ImportError):
            jobs.submit("x", "tests.test_jobs.no_such_function", user=allocator)
        db.session.add(Recipient(name="未提交的单位", category="hospital", tier=1))
        with pytest.raises(RuntimeError):
            jobs.submit("x", "tests.test_jobs.add_units", 1, user=allocator)
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count(jobs.Job.id))) == 0


# The progress page and its JSON ----------------------------------------------------------------


def make_job(app, user_id, **values) -> int:
    with app.app_context():
        job = jobs.Job(kind="test_units", user_id=user_id, **values)
        db.session.add(job)
        db.session.commit()
        return job.id


def test_the_page_shows_a_running_job_with_its_bar(app, client, auth, allocator):
    job_id = make_job(
        app,
        allocator,
        status=jobs.JobStatus.RUNNING,
        done=2,
        total=8,
        started_at=now_utc(),
        attempts=1,
        message_zh="正在生成",
        message_en="Rendering",
    )
    auth.login("job-owner")
    page = client.get(f"/jobs/{job_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'data-status-url="/jobs/{job_id}.json"' in html
    assert '<progress data-job="bar" max="100" value="25"' in html
    assert "正在生成" in html and "js/jobs.js" in html
    state = client.get(f"/jobs/{job_id}.json").get_json()
    assert state["status"] == "running" and state["percent"] == 25
    assert (state["done"], state["total"], state["finished"]) == (2, 8, False)
    assert state["message"] == "正在生成" and state["error"] is None and state["result"] is None
    client.post("/language", data={"lang": "en", "next": "/"})
    assert client.get(f"/jobs/{job_id}.json").get_json()["message"] == "Rendering"


def test_a_done_job_goes_to_its_result_and_a_failed_one_says_why(app, client, auth, allocator):
    done = make_job(
        app,
        allocator,
        status=jobs.JobStatus.DONE,
        done=3,
        total=3,
        result="/recipients",
        finished_at=now_utc(),
    )
    failed = make_job(
        app,
        allocator,
        status=jobs.JobStatus.FAILED,
        error_zh="第 3 行有误。",
        error_en="Row 3 is wrong.",
        message_zh="正在检查：第 2 行，共 3 行",
        message_en="Checking: row 2 of 3",
        finished_at=now_utc(),
    )
    auth.login("job-owner")
    response = client.get(f"/jobs/{done}")
    assert response.status_code == 302 and response.location == "/recipients"
    assert client.get(f"/jobs/{done}.json").get_json()["result"] == "/recipients"
    page = client.get(f"/jobs/{failed}").get_data(as_text=True)
    assert "第 3 行有误。" in page and "Traceback" not in page
    state = client.get(f"/jobs/{failed}.json").get_json()
    assert (state["status"], state["finished"], state["error"]) == ("failed", True, "第 3 行有误。")
    assert state["message"] == "停止于：正在检查：第 2 行，共 3 行"  # where it stopped, said so


def test_only_the_owner_and_administrators_see_a_job(app, client, auth, allocator, make_user):
    job_id = make_job(app, allocator, status=jobs.JobStatus.QUEUED)
    make_user("someone", Role.ALLOCATOR)
    make_user("boss", Role.ADMIN)
    assert client.get(f"/jobs/{job_id}.json").status_code == 302  # to the sign-in page
    auth.login("someone")
    assert client.get(f"/jobs/{job_id}").status_code == 404
    assert client.get(f"/jobs/{job_id}.json").status_code == 404
    assert client.get("/jobs/999999.json").status_code == 404  # the same as a missing job
    auth.logout()
    auth.login("boss")
    assert client.get(f"/jobs/{job_id}.json").status_code == 200
    auth.logout()
    auth.login("job-owner")
    assert client.get(f"/jobs/{job_id}").status_code == 200


def test_a_view_sends_the_person_to_the_result_or_the_progress_page(app, allocator):
    with app.test_request_context():
        done = jobs.submit("test_units", "tests.test_jobs.add_units", 1, user=allocator)
        assert jobs.redirect_to(done).location == "/recipients"
        failed = jobs.submit(
            "test_units", "tests.test_jobs.add_units", 2, 0.0, None, 1, user=allocator
        )
        assert jobs.redirect_to(failed).location == f"/jobs/{failed.id}"


def test_a_job_run_in_a_request_that_died_is_failed_when_read(app, client, auth, allocator):
    from datetime import timedelta

    long_ago = now_utc() - timedelta(seconds=app.config["JOB_TIMEOUT"] * 3)
    job_id = make_job(
        app, allocator, status=jobs.JobStatus.RUNNING, started_at=long_ago, attempts=1
    )
    auth.login("job-owner")
    state = client.get(f"/jobs/{job_id}.json").get_json()
    assert state["status"] == "failed"
    assert "stopped before it finished" in state["error"] or state["error"]


def test_the_worker_command_needs_a_queue(runner_cli):
    result = runner_cli.invoke(args=["jobs", "worker", "--burst"])
    assert result.exit_code != 0 and "REDIS_URL" in result.output


@pytest.fixture
def runner_cli(app):
    return app.test_cli_runner()


# On the queue (RQ on Redis) --------------------------------------------------------------------


def redis_answers() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=1).ping())
    except Exception:  # noqa: BLE001
        return False


needs_redis = pytest.mark.skipif(not redis_answers(), reason="no Redis at 127.0.0.1:6379")


def queue_config(**values) -> dict:
    return {
        "REDIS_URL": REDIS_TEST_URL,
        "JOB_QUEUE": f"baogong-test-{uuid.uuid4().hex[:12]}",
        "JOB_PROGRESS_INTERVAL": 0,
        "JOB_RETRIES": 1,
        **values,
    }


@pytest.fixture
def on_queue(app):
    """The app's queue, emptied of every key it made when the test ends."""
    yield
    with app.app_context():
        connection = queue.connection()
        name = app.config["JOB_QUEUE"]
        for key in connection.scan_iter(f"*{name}*"):
            connection.delete(key)
        for registry in ("rq:queues", "rq:workers"):
            for member in connection.smembers(registry):
                if name in member.decode():
                    connection.srem(registry, member)
        connection.close()


def simple_worker(app):
    """A worker in this process (no fork) that stops when the queue is empty."""
    from rq import SimpleWorker

    with app.app_context():
        worker = SimpleWorker([queue.get_queue()], connection=queue.connection())
        worker.work(burst=True, with_scheduler=False)


@needs_redis
class TestOnTheQueue:
    @pytest.fixture
    def app_config(self):
        return queue_config()

    def test_a_job_waits_for_a_worker_then_runs(self, app, on_queue, allocator, client, auth):
        with app.app_context():
            job = jobs.submit("test_units", "tests.test_jobs.add_units", 3, user=allocator, total=3)
            assert job.status == jobs.JobStatus.QUEUED
            assert job.queue_job_id.startswith(app.config["JOB_QUEUE"] + "-")
            assert unit_count() == 0
            job_id = job.id
        auth.login("job-owner")
        state = client.get(f"/jobs/{job_id}.json").get_json()
        assert state["status"] == "queued" and state["note"]  # no worker is running yet
        simple_worker(app)
        with app.app_context():
            job = job_row(job_id)
            assert job.status == jobs.JobStatus.DONE and job.attempts == 1
            assert (job.done, job.total, job.result) == (3, 3, "/recipients")
            assert unit_count() == 3
        assert client.get(f"/jobs/{job_id}").location == "/recipients"

    def test_a_refused_job_on_the_queue_is_failed_and_rolled_back(self, app, on_queue, allocator):
        with app.app_context():
            job = jobs.submit(
                "test_units", "tests.test_jobs.add_units", 4, 0.0, None, 2, user=allocator
            )
            job_id = job.id
        simple_worker(app)
        with app.app_context():
            job = jobs.refresh(job_row(job_id))
            assert job.status == jobs.JobStatus.FAILED
            assert job.error_en == "The unit on row 2 does not exist."
            assert unit_count() == 0

    def test_a_job_the_queue_lost_is_failed_when_read(self, app, on_queue, allocator):
        with app.app_context():
            job = jobs.submit("test_units", "tests.test_jobs.add_units", 1, user=allocator)
            queue.connection().delete(f"rq:job:{job.queue_job_id}")  # as if Redis restarted
            job = jobs.refresh(job_row(job.id))
            assert job.status == jobs.JobStatus.FAILED
            assert "lost this job" in job.error_en

    def test_the_queue_not_answering_fails_the_job_clearly(self, app, allocator):
        app.config["REDIS_URL"] = "redis://127.0.0.1:1/15"
        with app.app_context():
            job = jobs.submit("test_units", "tests.test_jobs.add_units", 1, user=allocator)
            assert job.status == jobs.JobStatus.FAILED
            assert "not answering" in job.error_en
            assert unit_count() == 0


# A real worker killed in the middle of a job --------------------------------------------------

# A worker serves no pages: no rate limiter (whose in-memory storage starts a timer thread that,
# under CI's faketime, never ends and keeps the process from exiting).
WORKER = """
import json, sys
from app import create_app
from core.jobs import queue
app = create_app(
    {**json.loads(sys.argv[1]), "RATELIMIT_ENABLED": False}, instance_path=sys.argv[2]
)
with app.app_context():
    queue.run_worker(burst=sys.argv[3] == "burst")
"""


def start_worker(config: dict, tmp_path: Path, mode: str, log_name: str) -> subprocess.Popen:
    log = open(tmp_path / log_name, "wb")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        [sys.executable, "-c", WORKER, json.dumps(config), str(tmp_path / "worker-instance"), mode],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: the kill takes the work horse too
    )
    process.log = log
    return process


def wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what}")


def children_of(pid: int) -> list[int]:
    """The processes whose parent is `pid` (the work horse RQ forked, in a group of its own)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def kill_mid_job(app, config, tmp_path, allocator, count=6, horse_only=False):
    """Submit a job, let a worker process start it, then SIGKILL the worker and its work horse
    (as a machine restart would), or only the work horse (as the kernel's out-of-memory killer
    would). Returns the job's id and the worker (still running when `horse_only`)."""
    marker = tmp_path / "rows-flushed"
    with app.app_context():
        job = jobs.submit(
            "test_units", "tests.test_jobs.add_units", count, 0.15, str(marker), user=allocator
        )
        job_id = job.id
    worker = start_worker(config, tmp_path, "serve", "worker-1.log")
    try:
        wait_for(lambda: marker.exists() and int(marker.read_text() or 0) >= 2, 60, "two rows")
        horses = children_of(worker.pid)
        assert len(horses) == 1
        os.kill(horses[0], signal.SIGKILL)
        if not horse_only:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(10)
    finally:
        if not horse_only:
            stop(worker)
    with app.app_context():
        assert int(marker.read_text()) < count, "the job ended before it was killed"
        assert unit_count() == 0, "a killed job left rows behind"
    return job_id, worker


def stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
    worker.log.close()


def restart_worker(config, tmp_path) -> str:
    worker = start_worker(config, tmp_path, "burst", "worker-2.log")
    try:
        worker.wait(90)
    finally:
        stop(worker)
    return (tmp_path / "worker-2.log").read_text(errors="replace")


@needs_redis
class TestAKilledWorker:
    @pytest.fixture
    def app_config(self):
        return queue_config()

    @pytest.fixture
    def config(self, app, database_url, app_config):
        return {**base_config(database_url), **app_config}

    def test_the_job_runs_again_whole_after_a_restart(
        self, app, on_queue, config, tmp_path, allocator
    ):
        job_id, _ = kill_mid_job(app, config, tmp_path, allocator)
        with app.app_context():
            assert job_row(job_id).status == jobs.JobStatus.RUNNING
        log = restart_worker(config, tmp_path)
        with app.app_context():
            job = job_row(job_id)
            assert job.status == jobs.JobStatus.DONE, log
            assert job.attempts == 2
            assert unit_count() == 6  # every row once: the first attempt left nothing
            assert "reclaiming" in log

    def test_with_no_retries_the_job_is_clearly_failed_after_a_restart(
        self, app, on_queue, config, tmp_path, allocator
    ):
        config["JOB_RETRIES"] = 0
        app.config["JOB_RETRIES"] = 0
        job_id, _ = kill_mid_job(app, config, tmp_path, allocator)
        log = restart_worker(config, tmp_path)
        with app.app_context():
            job = job_row(job_id)
            assert job.status == jobs.JobStatus.FAILED, log
            assert "stopped before it finished" in job.error_en
            assert unit_count() == 0

    def test_a_killed_work_horse_is_run_again_by_its_worker(
        self, app, on_queue, config, tmp_path, allocator
    ):
        job_id, worker = kill_mid_job(app, config, tmp_path, allocator, horse_only=True)
        try:
            with app.app_context():
                wait_for(lambda: job_row(job_id).status == jobs.JobStatus.DONE, 60, "the retry")
                job = job_row(job_id)
                assert job.attempts == 2
                assert unit_count() == 6
        finally:
            stop(worker)
