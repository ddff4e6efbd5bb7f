"""The demo's stock, and what the migration puts into a fresh database."""

import re

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from accounts.models import Role
from allocation.models import Plan, PlanStatus
from catalog.models import MASK_GRADES, Grade, Lot
from core.clock import local_today
from demo.seed import seed_demo
from extensions import db
from ledger import queries
from ledger import services as ledger
from ledger.models import Bucket, EntryKind, LedgerEntry
from ledger.verify import verify
from procurement.models import Decision, Inspection
from recipients.models import Recipient

LEDGER_REVISION = "69bd767a5a2f"


def test_seed_demo_then_verify(app, runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "16 lots and 81 ledger entries" in result.output
    with app.app_context():
        count = db.session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry))
        issued = db.session.scalars(
            sa.select(Plan.number).where(Plan.status == PlanStatus.ISSUED)
        ).all()
    # Round 1 of the allocation demo: its number carries the round's year, whatever day it is.
    assert len(issued) == 1 and re.fullmatch(r"DP-\d{4}-001", issued[0])
    assert f"plan {issued[0]} issued" in result.output
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
        # A return comes when a booking round is closed, after its pickup day: the demo's
        # drawn round is picked up today.
        assert kinds == set(EntryKind) - {EntryKind.RETURN}
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


def test_every_demo_lot_passed_the_gate_a_person_passes(app):
    """No demo lot is available without papers and an inspector's decision: each entered
    against an order, in quarantine, and left it by an inspection whose checklist passed (or,
    for a grade without rules, was overridden with its written reason)."""
    with app.app_context():
        seed_demo()
        db.session.commit()
        lots = db.session.scalars(sa.select(Lot)).all()
        assert len(lots) >= 25
        released = 0
        for lot in lots:
            assert lot.purchase_line_id is not None, lot.lot_number
            first = db.session.scalar(
                sa.select(LedgerEntry)
                .where(LedgerEntry.lot_id == lot.id)
                .order_by(LedgerEntry.seq)
                .limit(1)
            )
            assert first.kind is EntryKind.RECEIPT and first.to_bucket is Bucket.QUARANTINE
            left = db.session.scalars(
                sa.select(LedgerEntry).where(
                    LedgerEntry.lot_id == lot.id,
                    LedgerEntry.kind.in_([EntryKind.RELEASE, EntryKind.REJECT]),
                )
            ).all()
            decisions = db.session.scalars(
                sa.select(Inspection).where(Inspection.lot_id == lot.id)
            ).all()
            assert {e.seq for e in left} == {d.ledger_seq for d in decisions}, lot.lot_number
            for decision in decisions:
                assert lot.certificates, lot.lot_number
                if decision.decision == Decision.RELEASE and decision.overridden:
                    # An override is the inspector's written decision on a failing list.
                    assert decision.reason and decision.checklist["verdict"] == "fail"
                elif decision.decision == Decision.RELEASE:
                    assert decision.checklist["verdict"] != "fail", lot.lot_number
                released += decision.decision == Decision.RELEASE
        assert released >= 20
        assert "证件齐全" not in " ".join(db.session.scalars(sa.select(LedgerEntry.reason)).all())


def test_an_expired_lot_is_never_shown_as_available(app, signed_in):
    with app.app_context():
        seed_demo()
        db.session.commit()
        today = local_today()
        expired = db.session.scalar(
            sa.select(Lot).where(Lot.expiry_date < today, Lot.lot_number.like("ZD%"))
        )
        number = expired.lot_number
        pieces = queries.lot_stock(today, status="all", search=number).items[0]
        assert pieces.buckets[Bucket.AVAILABLE] > 0  # still on the books, to be written off
        left = pieces.buckets[Bucket.AVAILABLE]
        grade_row = next(
            row for row in queries.stock_by_grade(today) if row.grade.id == expired.grade.id
        )
        assert grade_row.shown("expired_available") == left
        assert grade_row.shown("available") == grade_row.buckets[Bucket.AVAILABLE] - left
    client = signed_in(Role.INSPECTOR, username="looker")
    available = client.get("/stock?status=available").get_data(as_text=True)
    assert number not in available
    assert number in client.get("/stock?status=expired").get_data(as_text=True)
    page = client.get(f"/stock?q={number}").get_data(as_text=True)
    row = re.search(rf"<tr>\s*<th scope=\"row\"><a[^>]*>{number}</a>.*?</tr>", page, re.S)
    assert row, page
    assert re.search(r'class="num bucket-available zero">0<', row.group(0))
    assert f'class="num bucket-expired_available">{left:,}<' in row.group(0)
    assert "已过期，不可用" in page


def test_ledger_reasons_are_shown_in_the_readers_language(app, signed_in):
    """The system's part of a reason is stored as a code: a Chinese page shows no rule codes and
    no English, an English page shows English words (the person's own words as written)."""
    with app.app_context():
        seed_demo()
        db.session.commit()
    client = signed_in(Role.AUDITOR, username="reader")
    zh = client.get("/ledger?kind=release", headers={"Accept-Language": "zh-CN"})
    page = zh.get_data(as_text=True)
    assert "质检通过" in page and "让步放行" in page
    for foreign in ("⟦", "Checklist", "Override", "Rejected", "grade.known"):
        assert foreign not in page, foreign
    en = client.get("/ledger?kind=release", headers={"Accept-Language": "en"})
    assert "Checklist passed" in en.get_data(as_text=True)


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
