"""Big imports and big plan runs go through background jobs (issue 15, item 3): the page hands
the work to `core.jobs` and shows its progress page, the work lands whole or not at all, and a
rejected file's problems are on the job's page by row and column.

Here jobs run in the request (no REDIS_URL), exactly as a worker runs them; the queue itself is
tested in tests/test_jobs.py. The size limits are set to zero so that small files count as big.
"""

import io

import pytest
import sqlalchemy as sa

from accounts.models import Role
from allocation.models import AllocationRequest, Plan
from core.jobs import Job, JobStatus
from extensions import db
from recipients.models import Recipient


@pytest.fixture
def app_config():
    return {"IMPORT_JOB_MIN_BYTES": 0, "PLAN_JOB_MIN_REQUESTS": 0}


@pytest.fixture
def round_id(make_lot, make_recipient, make_round):
    make_lot("surgical", 1000)
    hospital = make_recipient("粤北人民医院", "hospital")
    make_recipient("大参林韶关风采路店", "pharmacy")
    return make_round([(hospital, "surgical", 600)], name="第 1 轮")


def _upload(client, url, text, lang="en"):
    return client.post(
        url,
        data={"file": (io.BytesIO(text.encode()), "file.csv")},
        content_type="multipart/form-data",
        headers={"Accept-Language": lang},
    )


def _requests(app, round_id):
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count(AllocationRequest.id)).where(
                AllocationRequest.round_id == round_id
            )
        )


def _last_job(app) -> Job:
    with app.app_context():
        job = db.session.scalars(sa.select(Job).order_by(Job.id.desc())).first()
        db.session.expunge(job)
        return job


def test_a_big_request_import_runs_as_a_job_and_lands(client, signed_in, app, round_id):
    signed_in(Role.ALLOCATOR)
    before = _requests(app, round_id)
    response = _upload(
        client,
        f"/rounds/{round_id}/import",
        "Recipient,Grade,Quantity\n大参林韶关风采路店,surgical,300\n",
    )
    assert response.status_code == 302
    assert response.location.endswith(f"/rounds/{round_id}#requests")
    job = _last_job(app)
    assert (job.kind, job.status, job.result) == (
        "request_import",
        JobStatus.DONE,
        f"/rounds/{round_id}#requests",
    )
    assert job.message_en == "1 requests imported." and job.message_zh != job.message_en
    assert _requests(app, round_id) == before + 1


def test_a_rejected_import_job_writes_nothing_and_names_row_and_column(
    client, signed_in, app, round_id
):
    user = signed_in(Role.ALLOCATOR)
    before = _requests(app, round_id)
    response = _upload(
        client,
        f"/rounds/{round_id}/import",
        "Recipient,Grade,Quantity\n大参林韶关风采路店,surgical,300\n不存在的单位,surgical,abc\n",
    )
    job = _last_job(app)
    assert response.location.endswith(f"/jobs/{job.id}")
    assert job.status == JobStatus.FAILED and job.user_id == getattr(user, "id", job.user_id)
    assert "Row 3" in job.error_en and "Quantity" in job.error_en
    assert _requests(app, round_id) == before  # the good first row was not kept either
    page = client.get(response.location, headers={"Accept-Language": "en"})
    assert page.status_code == 200 and "Row 3" in page.get_data(as_text=True)


def test_a_big_recipient_import_runs_as_a_job(client, signed_in, app):
    signed_in(Role.ALLOCATOR)
    assert client.get("/recipients/import").status_code == 200
    text = "单位名称 Name,类别 Category,所在区 District\n韶关市第九人民医院,hospital,浈江区\n"
    response = _upload(client, "/recipients/import", text)
    assert response.status_code == 302 and response.location.endswith("/recipients")
    assert _last_job(app).status == JobStatus.DONE
    with app.app_context():
        assert db.session.scalar(sa.select(Recipient).where(Recipient.name == "韶关市第九人民医院"))


def test_a_big_plan_is_computed_as_a_job(client, signed_in, app, round_id):
    signed_in(Role.ALLOCATOR)
    response = client.post(f"/rounds/{round_id}/plans")
    job = _last_job(app)
    assert job.kind == "plan_run" and job.status == JobStatus.DONE
    with app.app_context():
        plan = db.session.scalars(sa.select(Plan).where(Plan.round_id == round_id)).one()
        assert response.location.endswith(f"/plans/{plan.id}")
        assert plan.runs
    again = client.post(f"/plans/{plan.id}/run")
    assert again.location.endswith(f"/plans/{plan.id}")
    assert _last_job(app).status == JobStatus.DONE
