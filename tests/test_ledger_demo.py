"""The demo's stock, and what the migration puts into a fresh database."""

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from accounts.models import Role
from catalog.models import MASK_GRADES, Grade, Lot
from core.clock import local_today
from demo.seed import seed_demo
from extensions import db
from ledger import queries
from ledger import services as ledger
from ledger.models import Bucket, EntryKind, LedgerEntry
from ledger.verify import verify
from recipients.models import Recipient

LEDGER_REVISION = "69bd767a5a2f"


def test_seed_demo_then_verify(app, runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "16 lots and 81 ledger entries" in result.output
    assert "plan DP-2026-001 issued" in result.output  # round 1 of the allocation demo
    with app.app_context():
        count = db.session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry))
    assert count > 81
    verified = runner.invoke(args=["ledger", "verify"])
    assert verified.exit_code == 0
    assert verified.output.splitlines()[0] == f"chain intact: {count} entries"
    again = runner.invoke(args=["seed-demo"])
    assert "already complete" in again.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry)) == count


def test_the_demo_shows_every_status(app):
    with app.app_context():
        seed_demo()
        db.session.commit()
        today = local_today()
        buckets = set(
            db.session.scalars(
                sa.select(sa.distinct(LedgerEntry.to_bucket)).where(
                    LedgerEntry.to_bucket.is_not(None)
                )
            )
        )
        assert buckets == set(Bucket)
        kinds = set(db.session.scalars(sa.select(sa.distinct(LedgerEntry.kind))))
        assert kinds == set(EntryKind)
        assert queries.count_on_hold() == 1
        assert queries.count_expiring(today) == 1
        assert queries.count_expired(today) == 1
        assert len(ledger.allocatable_lots(today)) >= 10
        held = db.session.scalar(sa.select(Lot).where(Lot.lot_number.like("DS%")))
        assert {r.recipient.name for r in queries.lot_recipients(held.id)} == {
            "粤北人民医院",
            "曲江区人民医院发热门诊",
            "韶关市疾病预防控制中心",
        }
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Recipient)) >= 115
        assert verify().ok


def test_demo_pages_render_for_every_role(app, signed_in):
    with app.app_context():
        seed_demo()
        db.session.commit()
        lot_ids = db.session.scalars(sa.select(Lot.id)).all()
        recipient_ids = db.session.scalars(sa.select(Recipient.id)).all()
    client = signed_in(Role.INSPECTOR, Role.AUDITOR, Role.ADMIN, username="everyone")
    for url in ["/", "/stock", "/stock?status=all", "/trace", "/ledger", "/ledger/verify"]:
        assert client.get(url).status_code == 200, url
    for lot_id in lot_ids:
        assert client.get(f"/lots/{lot_id}").status_code == 200
    for recipient_id in recipient_ids:
        assert client.get(f"/trace/recipients/{recipient_id}").status_code == 200


def test_the_migration_puts_in_the_mask_grades_and_the_trigger(app):
    with app.app_context():
        downgrade(revision=f"{LEDGER_REVISION}-1")
        upgrade()
        grades = db.session.execute(
            sa.select(Grade.code, Grade.standard, Grade.unit_zh).order_by(Grade.id)
        ).all()
        assert grades == [(code, standard, "只") for code, standard, _, _ in MASK_GRADES]
        if db.engine.dialect.name == "postgresql":
            triggers = db.session.scalars(
                sa.text(
                    "SELECT tgname FROM pg_trigger WHERE tgrelid = 'ledger_entries'::regclass "
                    "AND NOT tgisinternal"
                )
            ).all()
            assert triggers == ["ledger_entries_append_only"]
        db.session.commit()
