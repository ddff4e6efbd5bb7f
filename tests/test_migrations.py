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


def test_entries_that_point_at_others_survive_the_ledger_copy_down_and_up(
    app, make_lot, make_recipient
):
    """Migration 29ab51432eb6 changes the ledger's CHECK constraints (sales, returns), which
    SQLite does by copying the table: reversals, which refer to the entries they undo, come
    through unchanged and the chain still verifies; a sale is accepted afterwards."""
    from ledger import services as ledger
    from ledger.models import Bucket, EntryKind
    from ledger.verify import verify

    lot = make_lot("surgical", 500)
    shop = make_recipient("大参林韶关风采路店", "pharmacy")
    with app.app_context():
        first = ledger.issue(lot, shop, 40, None)
        ledger.reverse(first, None, "数量录错")
        ledger.issue(lot, shop, 30, None)
        db.session.commit()
        query = sa.text("SELECT * FROM ledger_entries ORDER BY seq")
        before = [tuple(row) for row in db.session.execute(query)]
        assert any(row[-3] is not None for row in before)  # reverses_seq
        db.session.remove()
        downgrade(revision="8555fc3cd6ee")
        upgrade()
        assert [tuple(row) for row in db.session.execute(query)] == before
        assert verify().ok
        if db.engine.dialect.name == "sqlite":  # the migration turned them off for its copy
            assert db.session.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
        sale = ledger.Move(EntryKind.SALE, lot, 5, Bucket.ISSUED, Bucket.SOLD, recipient_id=shop)
        ledger.post_many([sale], None)
        db.session.commit()
        assert ledger.balance(lot, Bucket.SOLD) == 5 and verify().ok
