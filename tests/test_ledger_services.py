"""Stock movements through the ledger services: what they allow, what they refuse."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from accounts.models import Role, User
from catalog.models import Lot
from core.clock import local_today
from core.db import now_utc
from core.errors import ServiceError
from extensions import db
from ledger import services as ledger
from ledger.models import AppendOnlyError, Balance, Bucket, EntryKind, LedgerEntry, LedgerHead
from ledger.services import Document
from ledger.verify import verify
from recipients.models import Recipient


def stock(lot_id: int) -> dict:
    return {bucket.value: qty for bucket, qty in ledger.balances(lot_id).items() if qty}


def entries(lot_id: int | None = None) -> list[LedgerEntry]:
    query = sa.select(LedgerEntry).order_by(LedgerEntry.seq)
    if lot_id is not None:
        query = query.where(LedgerEntry.lot_id == lot_id)
    return list(db.session.scalars(query))


def message(error: pytest.ExceptionInfo) -> str:
    return str(error.value.message)


def test_receipt_and_release(app, make_lot, make_user):
    inspector_id = make_user("li", Role.INSPECTOR)
    lot_id = make_lot(qty=2000, released=False)
    with app.app_context():
        assert stock(lot_id) == {"quarantine": 2000}
        inspector = db.session.get(User, inspector_id)
        entry = ledger.release(lot_id, inspector, quantity=500, reason="证件齐全")
        db.session.commit()
        assert (entry.kind, entry.from_bucket, entry.to_bucket) == (
            EntryKind.RELEASE,
            Bucket.QUARANTINE,
            Bucket.AVAILABLE,
        )
        assert entry.actor_id == inspector_id and entry.reason == "证件齐全"
        ledger.release(lot_id, inspector)  # the rest
        db.session.commit()
        assert stock(lot_id) == {"available": 2000}
        assert [e.seq for e in entries()] == [1, 2, 3]
        first, second = entries()[:2]
        assert second.prev_hash == first.hash
        assert first.document_type == ledger.DOC_LOT_RECEIPT
        assert verify().ok


def test_issue_records_the_recipient_and_moves_stock(app, make_lot, make_recipient):
    lot_id = make_lot(qty=1000)
    hospital = make_recipient("粤北人民医院")
    with app.app_context():
        entry = ledger.issue(
            lot_id, hospital, 300, None, document=Document("plan_line", 9, "PL-001")
        )
        db.session.commit()
        assert entry.recipient_id == hospital
        assert (entry.document_type, entry.document_id, entry.document_ref) == (
            "plan_line",
            9,
            "PL-001",
        )
        assert stock(lot_id) == {"available": 700, "issued": 300}


def test_shortage_is_refused_with_a_clear_message(app, make_lot, make_recipient):
    lot_id = make_lot(qty=100, lot_number="ZD2020021508")
    unit = make_recipient()
    with app.app_context(), app.test_request_context(headers={"Accept-Language": "en"}):
        with pytest.raises(ServiceError) as error:
            ledger.issue(lot_id, unit, 101, None)
        assert message(error) == (
            "Not enough stock: lot ZD2020021508 has 100 pieces “Available”, 101 pieces needed."
        )
        db.session.rollback()
    with app.app_context(), app.test_request_context(headers={"Accept-Language": "zh"}):
        with pytest.raises(ServiceError) as error:
            ledger.issue(lot_id, unit, 101, None)
        assert (
            message(error) == "库存不足：批号 ZD2020021508 的“可用”库存只有 100 只，需要 101 只。"
        )
        db.session.rollback()
    with app.app_context():
        assert stock(lot_id) == {"available": 100}
        assert len(entries(lot_id)) == 2


@pytest.mark.parametrize("quantity", [0, -5, 2.5, True, "10"])
def test_quantities_are_positive_whole_pieces(app, make_lot, make_recipient, quantity):
    lot_id = make_lot(qty=100)
    unit = make_recipient()
    with app.app_context(), pytest.raises(ServiceError):
        ledger.issue(lot_id, unit, quantity, None)


def test_hold_blocks_issue_and_release_until_lifted(app, make_lot, make_recipient):
    lot_id = make_lot(qty=1000)
    unit = make_recipient()
    with app.app_context():
        ledger.issue(lot_id, unit, 200, None)
        with pytest.raises(ServiceError):
            ledger.hold(lot_id, None, "  ")  # a reason is required
        held = ledger.hold(lot_id, None, "厂家召回通知")
        db.session.commit()
        assert held.quantity == 800 and stock(lot_id) == {"on_hold": 800, "issued": 200}
        assert lot_id not in [lot.lot_id for lot in ledger.allocatable_lots()]
        with pytest.raises(ServiceError) as error:
            ledger.issue(lot_id, unit, 1, None)
        assert "已冻结" in str(error.value)
        ledger.adjust(lot_id, Bucket.QUARANTINE, 50, None, "盘点发现未入账的 1 箱")
        with pytest.raises(ServiceError):
            ledger.release(lot_id, None)
        ledger.unhold(lot_id, None, "厂家复检合格")
        db.session.commit()
        assert stock(lot_id) == {"available": 800, "issued": 200, "quarantine": 50}
        with pytest.raises(ServiceError):
            ledger.unhold(lot_id, None, "again")
        assert verify().ok


def test_hold_with_nothing_available_says_what_to_do(app, make_lot):
    lot_id = make_lot(qty=100, released=False)
    with app.app_context(), pytest.raises(ServiceError) as error:
        ledger.hold(lot_id, None, "召回")
    assert "recall list" in str(error.value) or "召回名单" in str(error.value)


def test_rejected_stock_is_never_allocatable(app, make_lot):
    lot_id = make_lot(qty=100, released=False)
    with app.app_context():
        ledger.reject(lot_id, None, "注册证为械备凭证")
        db.session.commit()
        assert stock(lot_id) == {"rejected": 100}
        with pytest.raises(ServiceError):
            ledger.release(lot_id, None)
        assert ledger.allocatable_lots() == []
        with pytest.raises(ValueError):  # no service moves rejected stock back
            ledger.post(EntryKind.RELEASE, lot_id, 1, Bucket.REJECTED, Bucket.AVAILABLE, None)


def test_expired_lots_are_not_allocatable_and_are_written_off(app, make_lot, make_recipient):
    with app.app_context():  # issuing checks expiry against the real day: the test uses it too
        today = local_today()
    old = make_lot(qty=300, expiry_date=today - timedelta(days=1), lot_number="OLD")
    last_day = make_lot(qty=200, expiry_date=today, lot_number="LAST")
    fresh = make_lot(qty=100, expiry_date=today + timedelta(days=400), lot_number="NEW")
    no_expiry = make_lot(qty=50, lot_number="NONE")
    unit = make_recipient()
    with app.app_context():
        usable = ledger.allocatable_lots(today)
        assert [lot.lot_number for lot in usable] == ["LAST", "NEW", "NONE"]
        assert usable[0].available == 200 and usable[0].grade == "surgical"
        assert usable[0].pieces_per_box == 50
        with pytest.raises(ServiceError) as error:
            ledger.issue(old, unit, 1, None)
        assert "OLD" in str(error.value)
        written = ledger.write_off_expired(None, on_date=today)
        db.session.commit()
        assert [(e.lot_id, e.quantity, e.from_bucket) for e in written] == [
            (old, 300, Bucket.AVAILABLE)
        ]
        assert stock(old) == {"written_off": 300}
        assert ledger.write_off_expired(None, on_date=today) == []
        assert {last_day, fresh, no_expiry} == {
            lot.lot_id for lot in ledger.allocatable_lots(today)
        }


def test_write_off_and_adjustment_need_reasons(app, make_lot):
    lot_id = make_lot(qty=100)
    with app.app_context():
        with pytest.raises(ServiceError):
            ledger.write_off(lot_id, 10, None, "")
        with pytest.raises(ServiceError):
            ledger.adjust(lot_id, Bucket.AVAILABLE, -10, None, "")
        ledger.write_off(lot_id, 10, None, "外包装受潮")
        ledger.adjust(lot_id, Bucket.AVAILABLE, -5, None, "盘点短少")
        with pytest.raises(ServiceError):
            ledger.adjust(lot_id, Bucket.AVAILABLE, -86, None, "盘点短少")
        db.session.commit()
        assert stock(lot_id) == {"available": 85, "written_off": 10}


def test_reversal_undoes_an_entry_once(app, make_lot, make_recipient):
    lot_id = make_lot(qty=1000)
    wrong, right = make_recipient("错误单位"), make_recipient("正确单位")
    with app.app_context():
        mistake = ledger.issue(lot_id, wrong, 400, None)
        reversal = ledger.reverse(mistake, None, "误录需求单位")
        ledger.issue(lot_id, right, 400, None)
        db.session.commit()
        assert reversal.kind is EntryKind.REVERSAL and reversal.reverses_seq == mistake.seq
        assert reversal.quantity == -400 and reversal.recipient_id == wrong
        assert stock(lot_id) == {"available": 600, "issued": 400}
        with pytest.raises(ServiceError) as error:
            ledger.reverse(mistake.seq, None, "again")
        assert str(reversal.seq) in str(error.value)
        with pytest.raises(ServiceError):
            ledger.reverse(reversal, None, "reverse the reversal")
        with pytest.raises(ServiceError):
            ledger.reverse(mistake.seq + 99, None, "no such entry")
        assert verify().ok


def test_plan_issues_are_reversed_only_through_their_plan(app, make_lot, make_recipient):
    lot_id = make_lot(qty=100)
    unit = make_recipient()
    with app.app_context():
        line = ledger.issue(lot_id, unit, 60, None, document=Document(ledger.DOC_PLAN_LINE, 1))
        with pytest.raises(ServiceError):
            ledger.reverse(line, None, "by hand")
        ledger.reverse(line, None, "plan reversed", document=Document(ledger.DOC_PLAN_REVERSAL, 5))
        db.session.commit()
        assert stock(lot_id) == {"available": 100}


def test_reversal_that_would_overdraw_is_refused(app, make_lot, make_recipient):
    lot_id = make_lot(qty=100, released=False)
    with app.app_context():
        release = ledger.release(lot_id, None)
        ledger.issue(lot_id, make_recipient_in_context(), 80, None)
        with pytest.raises(ServiceError):  # only 20 are still available to put back
            ledger.reverse(release, None, "released by mistake")


def make_recipient_in_context() -> Recipient:
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Recipient))
    recipient = Recipient(name=f"临时单位 {count + 1}", category="pharmacy")
    db.session.add(recipient)
    db.session.flush()
    return recipient


def test_issue_to_a_deactivated_recipient_is_refused(app, make_lot, make_recipient):
    lot_id = make_lot(qty=100)
    unit = make_recipient(active=False)
    with app.app_context(), pytest.raises(ServiceError):
        ledger.issue(lot_id, unit, 10, None)


def test_future_dates_are_refused(app, make_lot, make_recipient):
    lot_id = make_lot(qty=100)
    unit = make_recipient()
    with app.app_context():
        with pytest.raises(ServiceError):
            ledger.issue(lot_id, unit, 10, None, occurred_at=now_utc() + timedelta(hours=1))
        entry = ledger.issue(lot_id, unit, 10, None, occurred_at=now_utc() - timedelta(days=3))
        assert entry.recorded_at - entry.occurred_at >= timedelta(days=3)


def test_only_the_allowed_moves_can_be_posted(app, make_lot):
    lot_id = make_lot(qty=100)
    with app.app_context():
        with pytest.raises(ValueError):
            ledger.post(EntryKind.ISSUE, lot_id, 5, Bucket.QUARANTINE, Bucket.ISSUED, None)
        with pytest.raises(ValueError):
            ledger.post(EntryKind.RECEIPT, lot_id, 5, Bucket.AVAILABLE, Bucket.QUARANTINE, None)
        with pytest.raises(ValueError):  # a reversal must name and mirror what it reverses
            ledger.post(EntryKind.REVERSAL, lot_id, -5, None, Bucket.QUARANTINE, None)


def test_the_orm_refuses_to_change_or_delete_entries(app, make_lot):
    lot_id = make_lot(qty=100)
    with app.app_context():
        entry = entries(lot_id)[0]
        entry.quantity = 5
        with pytest.raises(AppendOnlyError):
            db.session.flush()
        db.session.rollback()
        db.session.delete(entries(lot_id)[0])
        with pytest.raises(AppendOnlyError):
            db.session.flush()
        db.session.rollback()
        with pytest.raises(AppendOnlyError):
            db.session.execute(sa.update(LedgerEntry).values(quantity=1))
        with pytest.raises(AppendOnlyError):
            db.session.execute(sa.delete(LedgerEntry))
        db.session.rollback()
        assert [e.quantity for e in entries(lot_id)] == [100, 100]


def test_the_balance_check_refuses_negative_stock(app, make_lot):
    lot_id = make_lot(qty=100)
    with app.app_context():
        with pytest.raises(IntegrityError):
            db.session.execute(
                sa.text(
                    "UPDATE stock_balances SET quantity = -1 "
                    "WHERE lot_id = :lot AND bucket = 'available'"
                ),
                {"lot": lot_id},
            )
        db.session.rollback()
        assert stock(lot_id) == {"available": 100}


def test_balances_always_equal_the_sum_of_entries(app, make_lot, make_recipient):
    lot_ids = [make_lot(qty=500 + 100 * i) for i in range(3)]
    units = [make_recipient() for _ in range(3)]
    with app.app_context():
        for i, lot_id in enumerate(lot_ids):
            for unit in units:
                ledger.issue(lot_id, unit, 50 + i, None)
        ledger.hold(lot_ids[0], None, "召回")
        ledger.write_off(lot_ids[1], 10, None, "破损")
        db.session.commit()
        for lot_id in lot_ids:
            sums: dict[str, int] = {}
            for e in entries(lot_id):
                if e.from_bucket:
                    sums[e.from_bucket.value] = sums.get(e.from_bucket.value, 0) - e.quantity
                if e.to_bucket:
                    sums[e.to_bucket.value] = sums.get(e.to_bucket.value, 0) + e.quantity
            assert {k: v for k, v in sums.items() if v} == stock(lot_id)
        result = verify()
        assert result.ok and result.entries == 6 + 9 + 2


def test_the_head_follows_the_chain_and_is_rebuilt_when_missing(app, make_lot):
    lot_id = make_lot(qty=100)
    with app.app_context():
        head = db.session.get(LedgerHead, 1)
        last = entries()[-1]
        assert (head.last_seq, head.last_hash) == (last.seq, last.hash)
        db.session.execute(sa.delete(LedgerHead))
        db.session.commit()
        entry = ledger.write_off(lot_id, 1, None, "样品送检")
        db.session.commit()
        assert entry.seq == last.seq + 1 and entry.prev_hash == last.hash
        assert verify().ok


def test_lots_keep_what_arrived_and_the_ledger_what_happened(app, make_lot, make_recipient):
    lot_id = make_lot(qty=100)
    with app.app_context():
        ledger.issue(lot_id, make_recipient_in_context(), 100, None)
        db.session.commit()
        lot = db.session.get(Lot, lot_id)
        assert lot.pieces_received == 100
        assert (
            db.session.scalar(
                sa.select(Balance.quantity).where(
                    Balance.lot_id == lot_id, Balance.bucket == Bucket.AVAILABLE
                )
            )
            == 0
        )


def test_issue_many_is_all_or_nothing(app, make_lot, make_recipient):
    first, second = make_lot(qty=100), make_lot(qty=50)
    units = [make_recipient() for _ in range(3)]
    with app.app_context():
        lines = [
            ledger.IssueLine(first, units[0], 60, Document(ledger.DOC_PLAN_LINE, 1, "PL-1")),
            ledger.IssueLine(second, units[1], 50, Document(ledger.DOC_PLAN_LINE, 2, "PL-1")),
            ledger.IssueLine(first, units[2], 41, Document(ledger.DOC_PLAN_LINE, 3, "PL-1")),
        ]
        with pytest.raises(ServiceError) as error:  # 60 + 41 > 100: the third line is short
            ledger.issue_many(lines, None)
        assert "has 40" in str(error.value) or "只有 40" in str(error.value)
        db.session.rollback()
        assert stock(first) == {"available": 100} and stock(second) == {"available": 50}
        assert len(entries()) == 4

        lines[2] = ledger.IssueLine(first, units[2], 40, Document(ledger.DOC_PLAN_LINE, 3, "PL-1"))
        ledger.lock_ledger()  # what a plan does: lock, re-check, issue
        assert ledger.balance(first, Bucket.AVAILABLE, lock=True) == 100
        posted = ledger.issue_many(lines, None, reason="第 1 轮调配")
        db.session.commit()
        assert [p.seq for p in posted] == [5, 6, 7]
        assert [p.recipient_id for p in posted] == units
        assert posted[1].prev_hash == posted[0].hash
        assert stock(first) == {"issued": 100} and stock(second) == {"issued": 50}

        undone = ledger.reverse_many(
            [p.seq for p in posted],
            None,
            "方案作废",
            document=Document(ledger.DOC_PLAN_REVERSAL, 1),
        )
        db.session.commit()
        assert [u.reverses_seq for u in undone] == [5, 6, 7]
        assert stock(first) == {"available": 100} and stock(second) == {"available": 50}
        with pytest.raises(ServiceError):
            ledger.reverse_many([5], None, "again", document=Document(ledger.DOC_PLAN_REVERSAL, 2))
        assert verify().ok


def test_post_many_checks_every_rule_before_writing(app, make_lot, make_recipient):
    lot_id = make_lot(qty=100, lot_number="HELD-1")
    other = make_lot(qty=100)
    unit = make_recipient(active=False)
    with app.app_context():
        ledger.hold(lot_id, None, "召回")
        db.session.commit()
        cases = [
            [
                ledger.IssueLine(other, make_recipient_in_context().id, 1),
                ledger.IssueLine(lot_id, make_recipient_in_context().id, 1),
            ],
            [ledger.IssueLine(other, unit, 1)],
            [ledger.IssueLine(999_999, unit, 1)],
        ]
        for lines in cases:
            with pytest.raises(ServiceError):
                ledger.issue_many(lines, None)
            db.session.rollback()
        assert len(entries()) == 5
        assert ledger.issue_many([], None) == []


def test_a_reversal_must_mirror_what_it_reverses(app, make_lot, make_recipient):
    lot_id = make_lot(qty=100)
    unit = make_recipient()
    with app.app_context():
        posted = ledger.issue_many([ledger.IssueLine(lot_id, unit, 30)], None)
        crooked = ledger.Move(
            kind=EntryKind.REVERSAL,
            lot_id=lot_id,
            quantity=-20,  # only part of it
            from_bucket=Bucket.AVAILABLE,
            to_bucket=Bucket.ISSUED,
            recipient_id=unit,
            reason="部分冲正",
            reverses_seq=posted[0].seq,
        )
        with pytest.raises(ValueError):
            ledger.post_many([crooked], None)
        undone = ledger.reverse_many(posted, None, "整笔冲正")  # Posted records are accepted
        db.session.commit()
        assert undone[0].quantity == -30 and stock(lot_id) == {"available": 100}
