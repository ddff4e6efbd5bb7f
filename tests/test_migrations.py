"""The migrations build exactly the schema the models describe, and go down and up again."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from extensions import db


def test_models_match_migrations(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == [], "a model changed without a migration: run `flask db migrate`"


def test_downgrade_and_upgrade_again(app):
    with app.app_context():
        downgrade(revision="base")
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection)
            assert context.get_current_revision() is not None


def test_runs_made_before_their_request_rows_existed_get_the_same_rows(app):
    """Migration e4b7c2a9d815 fills allocation_plan_run_requests for the runs already made,
    from each run's result: the same rows (amounts, reasons, order) the run writes today."""
    from allocation.models import PlanRun
    from allocation.plans import SUMMARY_KEYS
    from tests.test_pages_at_scale import bench

    with app.app_context():
        bench.build(300, out=lambda line: None)
        db.session.commit()
        query = sa.text(
            "SELECT run_id, request_id, recipient_id, grade_id, tier, requested, allocated,"
            " position, reason_zh, reason_en FROM allocation_plan_run_requests"
            " ORDER BY run_id, request_id"
        )
        written = [tuple(row) for row in db.session.execute(query)]
        db.session.remove()
        assert len(written) >= 300
        assert len({row[7] for row in written}) > 1  # the run's order, not one place for all
        downgrade(revision="7a1e4c9b2f63")
        upgrade()
        filled = [tuple(row) for row in db.session.execute(query)]
        assert filled == written
        for run in db.session.scalars(sa.select(PlanRun)):
            assert run.summary == {key: run.result[key] for key in SUMMARY_KEYS}
            assert run.summary["tiers"]
