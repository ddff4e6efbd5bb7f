"""Twenty allocators issue the last stock of a lot at the same moment (PostgreSQL).

Each worker is a thread with its own app context, hence its own session and connection; a
barrier releases them together. Exactly the available stock leaves, the others are told there
is not enough, and the chain stays one unbroken line.
"""

import threading

import pytest
import sqlalchemy as sa

from core.errors import ServiceError
from extensions import db
from ledger import services as ledger
from ledger.models import LedgerEntry
from ledger.verify import verify

WORKERS = 20

pytestmark = pytest.mark.postgres


@pytest.fixture
def app_config():
    # One connection per worker, all at once.
    return {"SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": WORKERS + 5, "max_overflow": 5}}


def race(app, action) -> list[str]:
    """Run `action(i)` in WORKERS threads started together; each commits on its own."""
    barrier = threading.Barrier(WORKERS)
    outcomes: list[str] = ["not run"] * WORKERS

    def worker(i: int) -> None:
        with app.app_context():
            try:
                db.session.execute(sa.text("SELECT 1"))  # hold a connection before the start
                barrier.wait(timeout=30)
                action(i)
                db.session.commit()
                outcomes[i] = "issued"
            except ServiceError:
                db.session.rollback()
                outcomes[i] = "refused"
            except Exception as error:  # anything else is a failure of the test
                db.session.rollback()
                outcomes[i] = f"error: {error!r}"
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def test_twenty_workers_issue_the_last_stock(app, make_lot, make_recipient):
    lot_id = make_lot(qty=100)
    units = [make_recipient() for _ in range(WORKERS)]

    outcomes = race(app, lambda i: ledger.issue(lot_id, units[i], 15, None))

    assert sorted(outcomes) == ["issued"] * 6 + ["refused"] * 14
    with app.app_context():
        assert ledger.balance(lot_id, "available") == 10
        assert ledger.balance(lot_id, "issued") == 90
        seqs = db.session.scalars(sa.select(LedgerEntry.seq).order_by(LedgerEntry.seq)).all()
        assert seqs == list(range(1, 2 + 6 + 1))
        result = verify()
        assert result.ok, result.report()


def test_twenty_workers_each_want_everything(app, make_lot, make_recipient):
    lot_id = make_lot(qty=37)
    units = [make_recipient() for _ in range(WORKERS)]

    outcomes = race(app, lambda i: ledger.issue(lot_id, units[i], 37, None))

    assert sorted(outcomes) == ["issued"] + ["refused"] * (WORKERS - 1)
    with app.app_context():
        assert ledger.balance(lot_id, "available") == 0
        assert ledger.balance(lot_id, "issued") == 37
        assert verify().ok


def test_concurrent_posts_on_different_lots_never_fork_the_chain(app, make_lot, make_recipient):
    lots = [make_lot(qty=10) for _ in range(WORKERS)]
    unit = make_recipient()

    def issue_then_hold(i: int) -> None:
        ledger.issue(lots[i], unit, 4, None)
        ledger.hold(lots[i], None, "并发测试")

    outcomes = race(app, issue_then_hold)

    assert outcomes == ["issued"] * WORKERS
    with app.app_context():
        seqs = db.session.scalars(sa.select(LedgerEntry.seq).order_by(LedgerEntry.seq)).all()
        assert seqs == list(range(1, 2 * WORKERS + 2 * WORKERS + 1))
        result = verify()
        assert result.ok, result.report()
