"""Verification finds tampering: a changed quantity, a deleted row, reordered rows, drifted
balances. The tampering is done with raw SQL, as someone with database access would; on
PostgreSQL the append-only trigger has to be switched off for it, inside the tamper's own
transaction, and a separate test proves that the trigger refuses it otherwise."""

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from extensions import db
from ledger import services as ledger
from ledger.verify import Problem, verify

from .conftest import tampering


@pytest.fixture
def ledger_with_history(app, make_lot, make_recipient):
    """Eight entries: receipt and release of two lots, three issues, one reversal."""
    first = make_lot(qty=1000, lot_number="WJ2020020301")
    second = make_lot(qty=500, lot_number="ZD2020021508")
    units = [make_recipient() for _ in range(2)]
    with app.app_context():
        ledger.issue(first, units[0], 300, None)
        issue = ledger.issue(second, units[1], 200, None)
        ledger.issue(first, units[1], 100, None)
        ledger.reverse(issue, None, "误发")
        db.session.commit()
    return {"first": first, "second": second}


def check(app):
    with app.app_context():
        return verify()


def test_an_untouched_ledger_verifies(app, ledger_with_history):
    result = check(app)
    assert result.ok and result.entries == 8
    assert result.report()[0] == "chain intact: 8 entries"


def test_a_changed_quantity_is_found(app, ledger_with_history):
    with tampering(app) as sql:
        sql.execute(sa.text("UPDATE ledger_entries SET quantity = 30 WHERE seq = 5"))
    result = check(app)
    assert result.chain_break.seq == 5 and result.chain_break.problem is Problem.HASH
    assert result.report()[0].startswith("chain broken at entry 5:")
    # ... and the balances no longer add up to what the entries now say.
    assert {(d.lot_number, d.bucket) for d in result.differences} == {
        ("WJ2020020301", "available"),
        ("WJ2020020301", "issued"),
    }


def test_a_changed_reason_is_found_even_when_the_balances_still_agree(app, ledger_with_history):
    with tampering(app) as sql:
        sql.execute(sa.text("UPDATE ledger_entries SET reason = 'nothing to see' WHERE seq = 8"))
    result = check(app)
    assert result.chain_break.seq == 8 and not result.differences


def test_a_replaced_hash_is_found(app, ledger_with_history):
    with tampering(app) as sql:
        sql.execute(sa.text("UPDATE ledger_entries SET hash = :h WHERE seq = 3"), {"h": "f" * 64})
    result = check(app)
    assert result.chain_break.seq == 3 and result.chain_break.problem is Problem.HASH


def test_a_deleted_row_is_found(app, ledger_with_history):
    with tampering(app) as sql:
        sql.execute(sa.text("DELETE FROM ledger_entries WHERE seq = 7"))
    result = check(app)
    assert result.chain_break.seq == 7 and result.chain_break.problem is Problem.MISSING
    assert result.differences  # the balances still count the deleted issue


def test_reordered_rows_are_found(app, ledger_with_history):
    with tampering(app) as sql:
        for old, new in [(3, 1_000_000), (4, 3), (1_000_000, 4)]:
            sql.execute(
                sa.text("UPDATE ledger_entries SET seq = :new WHERE seq = :old"),
                {"old": old, "new": new},
            )
    result = check(app)
    assert result.chain_break.seq == 3 and result.chain_break.problem is Problem.PREV_HASH
    assert not result.differences  # same movements, so the same sums


def test_removing_the_last_entries_is_found(app, ledger_with_history):
    with tampering(app) as sql:
        sql.execute(sa.text("DELETE FROM ledger_entries WHERE seq = 8"))
        sql.execute(
            sa.text(
                "UPDATE stock_balances SET quantity = 200 WHERE bucket = 'issued' "
                "AND lot_id = (SELECT id FROM lots WHERE lot_number = 'ZD2020021508')"
            )
        )
        sql.execute(
            sa.text(
                "UPDATE stock_balances SET quantity = 300 WHERE bucket = 'available' "
                "AND lot_id = (SELECT id FROM lots WHERE lot_number = 'ZD2020021508')"
            )
        )
    result = check(app)
    assert result.chain_break.seq == 8 and result.chain_break.problem is Problem.MISSING
    assert not result.differences


def test_drifted_balances_are_found(app, ledger_with_history):
    with tampering(app) as sql:
        sql.execute(
            sa.text(
                "UPDATE stock_balances SET quantity = quantity + 1000 WHERE bucket = 'available'"
            )
        )
    result = check(app)
    assert result.chain_intact and not result.ok
    assert len(result.differences) == 2
    assert "balances differ from the entries in 2 places:" in result.report()


def test_a_value_of_the_wrong_type_is_reported_not_crashed_on(app, ledger_with_history):
    with tampering(app) as sql:  # SQLite keeps 2.5 as it is; PostgreSQL rounds it to 3
        sql.execute(sa.text("UPDATE ledger_entries SET quantity = 2.5 WHERE seq = 2"))
    result = check(app)
    assert result.chain_break.seq == 2
    assert result.chain_break.problem in (Problem.UNREADABLE, Problem.HASH)


# The command line --------------------------------------------------------------------------


def test_cli_verify_exit_codes(app, runner, ledger_with_history):
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "chain intact: 8 entries"
    with tampering(app) as sql:
        sql.execute(sa.text("UPDATE ledger_entries SET quantity = quantity + 1 WHERE seq = 4"))
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 1
    assert result.output.splitlines()[0].startswith("chain broken at entry 4:")


def test_cli_verify_on_an_empty_ledger(runner):
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 0 and "chain intact: 0 entries" in result.output


def test_cli_write_off_expired(app, runner, make_lot):
    from datetime import date

    make_lot(qty=40, expiry_date=date(2024, 1, 31), lot_number="EXP-1")
    make_lot(qty=60, expiry_date=date(2030, 1, 31), lot_number="OK-1")
    result = runner.invoke(args=["ledger", "write-off-expired", "--date", "2024-02-01"])
    assert result.exit_code == 0, result.output
    assert "lot EXP-1 available -40 written off" in result.output
    assert "1 write-off entries" in result.output
    assert runner.invoke(args=["ledger", "verify"]).exit_code == 0


# PostgreSQL refuses tampering by itself ------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_entries SET quantity = 1 WHERE seq = 2",
        "DELETE FROM ledger_entries WHERE seq = 2",
    ],
)
def test_the_trigger_refuses_update_and_delete(app, ledger_with_history, statement):
    with app.app_context():
        with pytest.raises(DBAPIError) as error:
            db.session.execute(sa.text(statement))
        assert "append-only" in str(error.value)
        db.session.rollback()
        assert verify().ok


@pytest.mark.postgres
def test_the_check_refuses_negative_balances_on_postgres(app, ledger_with_history):
    with app.app_context():
        with pytest.raises(DBAPIError) as error:
            db.session.execute(sa.text("UPDATE stock_balances SET quantity = quantity - 100000"))
        assert "ck_stock_balances_quantity_not_negative" in str(error.value)
        db.session.rollback()
        assert verify().ok
