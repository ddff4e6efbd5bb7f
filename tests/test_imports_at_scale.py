"""The set-based imports (recipients, round requests): all or nothing, every problem by row and
column, and a statement count that does not grow with the rows (so 50,000 rows take seconds)."""

import io
from contextlib import contextmanager
from datetime import date

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from openpyxl import Workbook

from allocation import importing as request_import
from allocation import services as allocation
from allocation.models import AllocationRequest, Round, RoundStatus
from catalog import services as catalog
from catalog.models import MASK_GRADES
from core.imports import CHUNK, ImportRejected
from core.spreadsheets import TooManyRows
from extensions import db
from recipients import importing as recipient_import
from recipients.models import Recipient, RecipientTierChange

RECIPIENT_HEADER = ["单位名称 Name", "类别 Category", "梯队 Tier", "梯队调整理由 Tier reason"]
REQUEST_HEADER = ["需求单位 Recipient", "品类 Grade", "需求数量 Quantity", "保底数量 Minimum"]


def _csv(rows) -> bytes:
    lines = [",".join("" if v is None else str(v) for v in row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def _xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@contextmanager
def counted_statements():
    """The number of SQL statements sent while inside (executemany counts once per call)."""
    seen = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)


@pytest.fixture
def grades(app):
    with app.app_context():
        for code, standard, zh, en in MASK_GRADES:
            catalog.create_grade(code, standard, zh, en)
        db.session.commit()


@pytest.fixture
def open_round(app, grades):
    with app.app_context():
        found = allocation.create_round("省级第 1 轮", date(2026, 2, 10), None)
        db.session.commit()
        return found.id


def _rejected(action) -> ImportRejected:
    with pytest.raises(ImportRejected) as caught:
        action()
    db.session.rollback()
    return caught.value


# Recipients ---------------------------------------------------------------------------------


def test_recipient_import_registers_units_with_their_tiers(app):
    rows = [
        RECIPIENT_HEADER + ["所在区 District", "联系人 Contact", "联系电话 Phone", "床位或人数"],
        ["韶关市第一人民医院", "医院", "", "", "浈江区", "王医生", "0751-8888001", "800"],
        ["浈江区环卫所", "Sanitation", None, None, "浈江区", "", "", ""],
        ["市疾控物资仓", "other", 1, "承担全市防疫物资中转", "武江区", "", "", ""],
        [],
        ["大参林风采路店", "pharmacy", 3, "", "", "", "", 12.0],
    ]
    with app.app_context():
        done = recipient_import.import_recipients("units.xlsx", _xlsx(rows), None)
        db.session.commit()
        assert done.count == len(done) == 4
        units = {r.name: r for r in db.session.scalars(sa.select(Recipient))}
        assert units["韶关市第一人民医院"].tier == 1
        assert units["韶关市第一人民医院"].contact == "王医生 0751-8888001"
        assert units["韶关市第一人民医院"].headcount_or_beds == 800
        assert units["浈江区环卫所"].category.value == "sanitation"
        assert units["浈江区环卫所"].tier == 2 and units["浈江区环卫所"].headcount_or_beds is None
        assert units["大参林风采路店"].tier == 3 and units["大参林风采路店"].headcount_or_beds == 12
        raised = units["市疾控物资仓"]
        assert raised.tier == 1 and raised.category.value == "other"
        (change,) = db.session.scalars(sa.select(RecipientTierChange)).all()
        assert (change.recipient_id, change.old_tier, change.new_tier) == (raised.id, 3, 1)
        assert change.reason == "承担全市防疫物资中转"


@pytest.mark.postgres
def test_a_bulk_import_leaves_the_planner_counting_its_rows(app):
    """After 1,500 units are imported, PostgreSQL plans the next page knowing they are there
    (ANALYZE in the import's transaction), not as the empty table autovacuum last saw."""
    rows = [RECIPIENT_HEADER] + [[f"省级单位{n:05d}", "hospital", "", ""] for n in range(1500)]
    with app.app_context():
        db.session.execute(sa.text("ANALYZE recipients"))  # the empty table's statistics
        db.session.commit()
        recipient_import.import_recipients("units.csv", _csv(rows), None)
        db.session.commit()
        analyzed = db.session.scalar(
            sa.text("SELECT reltuples FROM pg_class WHERE relname = 'recipients'")
        )
        assert analyzed == 1500


def test_recipient_import_lists_every_problem_by_row_and_column(app, make_recipient):
    make_recipient("粤北人民医院", "hospital")
    rows = [
        RECIPIENT_HEADER + ["床位或人数 Staff or beds"],
        ["新单位甲", "hospital", "", "", ""],
        ["粤北人民医院", "hospital", "", "", ""],  # registered already
        ["新单位甲", "pharmacy", "", "", ""],  # same as row 2
        ["", "nursing_home", 4, "", "-3"],
        ["新单位乙", "pharmacy", 1, "", ""],  # another tier without a reason
        ["新单位丙", "pharmacy", 3, "", "x" * 3],
    ]
    with app.app_context(), force_locale("en"):
        before = _count(Recipient)
        error = _rejected(lambda: recipient_import.import_recipients("u.csv", _csv(rows), None))
        problems = {(e.row, e.column): e.message for e in error.errors}
        assert problems[(3, "单位名称 Name")] == "A recipient named 粤北人民医院 already exists."
        assert problems[(4, "单位名称 Name")] == "Same name as row 2."
        assert problems[(5, "单位名称 Name")] == "Give the unit's name."
        assert "nursing_home" in problems[(5, "类别 Category")]
        assert problems[(5, "梯队 Tier")] == "The tier is 1, 2 or 3."
        assert "Staff or beds" in problems[(5, "床位或人数 Staff or beds")]
        assert "Say why the tier" in problems[(6, "梯队调整理由 Tier reason")]
        assert (7, "床位或人数 Staff or beds") in problems
        assert error.total == len(error.errors) == 8
        assert "8" in str(error.message)
        assert _count(Recipient) == before  # row 2 was good: nothing written all the same


def test_recipient_import_with_a_bad_last_row_writes_nothing(app):
    rows = [RECIPIENT_HEADER] + [[f"单位{i:05d}", "pharmacy"] for i in range(3000)]
    rows.append(["最后一行", "unknown"])
    with app.app_context():
        error = _rejected(lambda: recipient_import.import_recipients("u.xlsx", _xlsx(rows), None))
        assert [(e.row, e.column) for e in error.errors] == [(len(rows), "类别 Category")]
        assert _count(Recipient) == 0 and _count(RecipientTierChange) == 0


def test_recipient_import_refuses_files_without_the_columns_or_rows(app):
    with app.app_context(), force_locale("en"):
        error = _rejected(
            lambda: recipient_import.import_recipients("u.csv", b"Name,District\n", None)
        )
        assert [(e.row, e.column) for e in error.errors] == [(1, "类别 Category")]
        assert "missing" in error.errors[0].message
        error = _rejected(
            lambda: recipient_import.import_recipients("u.csv", b"Name,Category\n,\n", None)
        )
        assert error.errors[0].message == "The file has no units."


def test_recipient_templates_read_back(app):
    with app.app_context():
        for name, data in (
            ("t.xlsx", recipient_import.template_xlsx()),
            ("t.csv", recipient_import.template_csv()),
        ):
            units = recipient_import.parse(name, data)
            assert units and units[0]["name"] == "韶关市第一人民医院"
            assert units[0]["category"].value == "hospital"


# Requests -----------------------------------------------------------------------------------


def test_request_import_with_a_bad_last_row_writes_nothing(app, open_round, make_recipient):
    names = [f"单位{i:04d}" for i in range(2000)]
    with app.app_context():
        db.session.execute(
            sa.insert(Recipient), [{"name": n, "category": "pharmacy", "tier": 3} for n in names]
        )
        db.session.commit()
    rows = [REQUEST_HEADER] + [[n, "surgical", 100, 10] for n in names]
    rows.append([names[0], "kn95", 5, 6])
    with app.app_context(), force_locale("en"):
        found = db.session.get(Round, open_round)
        error = _rejected(
            lambda: request_import.import_requests(found, "r.xlsx", _xlsx(rows), None)
        )
        assert [(e.row, e.column, e.message) for e in error.errors] == [
            (len(rows), "保底数量 Minimum", "The minimum cannot be more than the quantity.")
        ]
        assert _count(AllocationRequest) == 0


def test_request_import_errors_name_row_and_column(app, open_round, make_recipient):
    make_recipient("粤北人民医院", "hospital")
    make_recipient("已停用药店", "pharmacy", active=False)
    make_recipient("大参林风采路店", "pharmacy")
    with app.app_context():
        found = db.session.get(Round, open_round)
        catalog.create_grade("gloves", "GB 10213", "一次性手套", "Disposable gloves", active=False)
        allocation.add_requests(
            found,
            [allocation.RequestInput(db.session.scalar(sa.select(Recipient.id).limit(1)), 1, 10)],
            None,
        )
        db.session.commit()
        first = db.session.scalars(sa.select(AllocationRequest)).one()
        held = (first.recipient.name, first.grade.code)
    rows = [
        REQUEST_HEADER,
        [held[0], held[1], 10, None],  # already in the round
        ["不存在的单位", "surgical", 10, None],
        ["已停用药店", "Surgical Masks", 10, None],
        ["大参林风采路店", "kn95x", "abc", -1],
        ["大参林风采路店", "gloves", 10, None],  # a grade not offered
        ["大参林风采路店", "kn95", 10, 0],
        ["大参林风采路店", "kn95", "1,000", 5],  # same as row 7
        [None, "kn95", 0, None],
    ]
    with app.app_context(), force_locale("en"):
        found = db.session.get(Round, open_round)
        error = _rejected(lambda: request_import.import_requests(found, "r.csv", _csv(rows), None))
        problems = {(e.row, e.column): e.message for e in error.errors}
        assert "already has a request" in problems[(2, "品类 Grade")]
        assert problems[(3, "需求单位 Recipient")] == "No recipient is registered as 不存在的单位."
        assert "deactivated" in problems[(4, "需求单位 Recipient")]
        assert "kn95x" in problems[(5, "品类 Grade")]
        assert "whole number" in problems[(5, "需求数量 Quantity")]
        assert "0 or more" in problems[(5, "保底数量 Minimum")]
        assert problems[(6, "品类 Grade")] == "Choose a grade that is offered."
        assert problems[(8, "品类 Grade")] == "Same recipient and grade as row 7."
        assert (9, "需求单位 Recipient") in problems and (9, "需求数量 Quantity") in problems
        assert not any(row == 7 for row, _ in problems)
        assert _count(AllocationRequest) == 1


def test_request_import_in_a_closed_round_is_refused(app, open_round, make_recipient):
    make_recipient("粤北人民医院", "hospital")
    with app.app_context(), force_locale("en"):
        found = db.session.get(Round, open_round)
        found.status = RoundStatus.CLOSED
        db.session.flush()
        data = _csv([REQUEST_HEADER, ["粤北人民医院", "surgical", 10, None]])
        with pytest.raises(Exception) as caught:
            request_import.import_requests(found, "r.csv", data, None)
        assert "closed" in str(caught.value)
        db.session.rollback()


def test_request_template_reads_back(app, open_round, make_recipient):
    make_recipient("粤北人民医院", "hospital")
    make_recipient("大参林韶关风采路店", "pharmacy")
    with app.app_context():
        found = db.session.get(Round, open_round)
        assert (
            len(
                request_import.import_requests(
                    found, "t.xlsx", request_import.template_xlsx(), None
                )
            )
            == 2
        )
        db.session.rollback()


def test_too_many_rows_are_refused_before_any_lookup(app, open_round):
    body = "".join("某单位,surgical,1\n" for _ in range(request_import.MAX_ROWS + 1))
    with app.app_context():
        found = db.session.get(Round, open_round)
        with pytest.raises(TooManyRows):
            request_import.import_requests(
                found, "r.csv", ("单位,品类,数量\n" + body).encode(), None
            )
        db.session.rollback()


# At scale -----------------------------------------------------------------------------------


def test_twenty_thousand_rows_in_a_bounded_number_of_statements(app, open_round, make_user):
    from accounts.models import Role

    allocator = make_user("zhang", Role.ALLOCATOR)
    n = 20_000
    units = [[f"韶关市测试单位{i:05d}", ("hospital", "water", "pharmacy")[i % 3]] for i in range(n)]
    units[7][2:] = [1, "定点收治"]  # a water company moved to tier 1, with its reason
    progress = []
    batches = -(-n // CHUNK)
    with app.app_context():
        with counted_statements() as statements:
            done = recipient_import.import_recipients(
                "units.csv",
                _csv([RECIPIENT_HEADER] + units),
                None,
                progress=lambda a, b: progress.append((a, b)),
            )
        db.session.commit()
        assert done.count == n and _count(Recipient) == n
        assert len(statements) <= 6 + 3 * batches, len(statements)
        assert progress[0] == (0, 2 * n) and progress[-1] == (2 * n, 2 * n)
        assert [a for a, _ in progress] == sorted(a for a, _ in progress)
        moved = db.session.scalar(sa.select(Recipient).where(Recipient.name == units[7][0]))
        assert moved.tier == 1 and _count(RecipientTierChange) == 1

        requests = [REQUEST_HEADER] + [
            [name, ("surgical", "kn95")[i % 2], 100 + i, i % 50]
            for i, (name, *_) in enumerate(units)
        ]
        found = db.session.get(Round, open_round)
        with counted_statements() as statements:
            done = request_import.import_requests(found, "requests.csv", _csv(requests), allocator)
        db.session.commit()
        assert len(done) == n
        assert len(statements) <= 6 + 3 * batches, len(statements)
        assert len(allocation.taken_requests(open_round)) == n
        total = db.session.scalar(sa.select(sa.func.sum(AllocationRequest.quantity)))
        assert total == sum(100 + i for i in range(n))
        row = db.session.scalar(
            sa.select(AllocationRequest)
            .join(Recipient, AllocationRequest.recipient_id == Recipient.id)
            .where(Recipient.name == units[123][0])
        )
        assert (row.quantity, row.minimum, row.grade.code, row.created_by_id) == (
            223,
            23,
            "kn95",
            allocator,
        )

        # The same file again: every row is already in the round, nothing is added.
        error = _rejected(
            lambda: request_import.import_requests(found, "requests.csv", _csv(requests), allocator)
        )
        assert error.total == n and len(error.errors) < n  # the page shows the first ones
        assert len(allocation.taken_requests(open_round)) == n
