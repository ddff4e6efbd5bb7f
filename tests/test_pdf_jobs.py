"""Long PDFs go through background jobs (issue 15): without a stored copy, a plan PDF or a recall
report of PDF_JOB_MIN_LINES lines or more is rendered by `core.jobs` and the person comes back
to the same address, which then serves the stored file. Jobs run in the request here (no Redis);
the limit is set to zero so that the small test plan counts as long."""

import pytest
import sqlalchemy as sa

from accounts.models import Role
from audit.models import PlanDocument, ReportDocument
from core.jobs import Job, JobStatus
from extensions import db

from .test_audit import _lot_id, issued_plan  # noqa: F401  (a fixture)


@pytest.fixture
def app_config():
    return {"PDF_JOB_MIN_LINES": 0}


def _jobs(app) -> list[tuple]:
    with app.app_context():
        return [
            (job.kind, job.status, job.result)
            for job in db.session.scalars(sa.select(Job).order_by(Job.id))
        ]


def test_a_long_plan_pdf_is_rendered_by_a_job_then_served_stored(
    app,
    client,
    signed_in,
    issued_plan,  # noqa: F811
):
    signed_in(Role.AUDITOR)
    url = f"/plans/{issued_plan['id']}/pdf?lang=zh"
    first = client.get(url)
    assert first.status_code == 302 and first.location.endswith(url)
    assert _jobs(app) == [("plan_pdf", JobStatus.DONE, url)]
    served = client.get(first.location)
    assert served.status_code == 200 and served.get_data().startswith(b"%PDF-")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(PlanDocument.id))) == 1
    assert len(_jobs(app)) == 1  # the stored copy needs no second job


def test_a_long_recall_report_is_rendered_by_a_job(app, client, signed_in, issued_plan):  # noqa: F811
    signed_in(Role.AUDITOR)
    url = f"/lots/{_lot_id(app)}/recall.pdf?lang=en"
    first = client.get(url)
    assert first.status_code == 302 and first.location.endswith(url)
    assert _jobs(app) == [("recall_pdf", JobStatus.DONE, url)]
    assert client.get(url).get_data().startswith(b"%PDF-")
    with app.app_context():
        kinds = db.session.scalars(sa.select(ReportDocument.kind)).all()
        assert kinds == ["recall"]
