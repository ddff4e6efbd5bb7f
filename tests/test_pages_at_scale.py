"""The list pages at scale: a page of rows at a time, filters and totals computed in SQL, and a
number of queries per page that does not grow with the data.

The data is made by bench/pages.py's `build` (bulk-inserted recipients and requests, a plan
computed, approved and issued through the services), smaller than a province but large enough
that a page built whole would be megabytes.
"""

import importlib.util
import re
from collections import Counter, defaultdict
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from extensions import db
from tests.conftest import empty_tables

BENCH = Path(__file__).resolve().parents[1] / "bench" / "pages.py"
LIMIT = 300 * 1024  # bytes a page may weigh


def _bench():
    spec = importlib.util.spec_from_file_location("bench_pages", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


bench = _bench()


def _build(app, recipients: int) -> dict:
    with app.app_context():
        data = bench.build(recipients, out=lambda line: None)
        db.session.remove()
    return data


def _login(client):
    response = client.post("/login", data={"username": "bench", "password": bench.PASSWORD})
    assert response.status_code == 302


@contextmanager
def counting(app):
    """Count the SQL statements run inside the block: `with counting(app) as seen: ...`."""
    seen = []
    with app.app_context():
        engine = db.engine

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def _get(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    assert len(response.data) < LIMIT, f"{url}: {len(response.data):,} bytes"
    return response.get_data(as_text=True)


def _shows(value: int, html: str) -> bool:
    """The page shows this number (grouped as 1,234 or, in a counted phrase, plain)."""
    return f"{value:,}" in html or re.search(rf"(?<![\d,]){value}(?![\d,])", html) is not None


@pytest.fixture
def scale(app, client):
    data = _build(app, 3000)
    _login(client)
    return data


def test_every_list_page_is_one_bounded_page(client, scale):
    for url in bench.pages(scale).values():
        _get(client, url)
    client.post("/language", data={"lang": "en", "next": "/"})
    for url in bench.pages(scale).values():
        html = _get(client, url)
        assert 'lang="en"' in html


def test_recipients_page_filters_pages_and_counts_in_sql(app, client, scale):
    from recipients.models import Recipient

    with app.app_context():
        everyone = db.session.scalars(sa.select(Recipient)).all()
        tiers = Counter(r.tier for r in everyone)
        district = everyone[7].district
        in_district = [r for r in everyone if r.district == district and r.tier == 2]
    html = _get(client, "/recipients")
    assert _shows(len(everyone), html)
    assert html.count('href="/recipients/') >= 100
    for n in tiers.values():
        assert _shows(n, html)
    first = _get(client, "/recipients?tier=2")
    second = _get(client, "/recipients?tier=2&page=2")
    names = re.compile(r">(单位\d{6})</a>")
    assert set(names.findall(first)).isdisjoint(names.findall(second))
    assert "page=3" in second and "tier=2" in second
    filtered = _get(client, f"/recipients?tier=2&district={district}")
    assert _shows(len(in_district), filtered)
    assert all(r.district == district for r in everyone if r.name in names.findall(filtered))
    one = _get(client, "/recipients?q=单位000042")
    assert names.findall(one) == ["单位000042"]


def test_round_page_pages_and_filters_requests(app, client, scale):
    from allocation.models import AllocationRequest

    with app.app_context():
        surgical = db.session.scalars(
            sa.select(AllocationRequest).where(AllocationRequest.grade.has(code="surgical"))
        ).all()
        surgical_total = sum(r.quantity for r in surgical)
    round_id = scale["round_id"]
    html = _get(client, f"/rounds/{round_id}")
    assert _shows(scale["requests"], html)
    assert _shows(scale["kn95_requested"], html) and _shows(surgical_total, html)
    filtered = _get(client, f"/rounds/{round_id}?grade=surgical&page=2")
    assert "Page 2" in filtered or "第 2" in filtered
    assert _shows(len(surgical), filtered)
    found = _get(client, f"/rounds/{round_id}?q=单位000003")
    assert found.count(">单位000003</a>") == 2  # KN95 and surgical
    # The "add a request" list is a search at this size, not every unit.
    assert found.count("<option") < 200


def test_plan_page_lines_filters_and_sql_summaries(app, client, scale):
    from allocation import plans, queries
    from allocation.models import AllocationRequest, Plan, PlanLine

    plan_id, round_id = scale["plan_id"], scale["round_id"]
    with app.app_context():
        plan = db.session.get(Plan, plan_id)
        run = plan.current_run
        lines = db.session.scalars(sa.select(PlanLine).where(PlanLine.run_id == run.id)).all()
        allocated = sum(line.quantity for line in lines)
        per_request = defaultdict(int)
        for line in lines:
            per_request[line.request_id] += line.quantity
        requests = db.session.scalars(sa.select(AllocationRequest)).all()
        short = [r for r in requests if per_request[r.id] < r.quantity]
        # The SQL summaries say what the whole-plan computation says.
        assert queries.grade_usage(run, round_id) == plans.grade_usage(run)
        rows = plans.recipient_rows(run)
        page, totals = queries.plan_lines(run, round_id, queries.LineFilter(), 1, len(rows))
        assert totals.requested == sum(r.requested for r in rows) == scale["requested"]
        assert totals.allocated == sum(r.allocated for r in rows) == allocated
        assert totals.shortfall == plans.shortfall(run)
        assert [r.recipient.id for r in page.items] == [r.recipient.id for r in rows]
        _, only_short = queries.plan_lines(run, round_id, queries.LineFilter(short=True))
        assert only_short.requests == len(short)
        assert only_short.requested - only_short.allocated == plans.shortfall(run)
    html = _get(client, f"/plans/{plan_id}")
    assert _shows(scale["requested"], html) and _shows(allocated, html)
    assert html.count('class="tier-row-') <= 2 * queries.PLAN_RECIPIENTS_PER_PAGE
    second = _get(client, f"/plans/{plan_id}?short=1&page=2")
    assert _shows(len(short), second)
    assert "short=1" in second and "page=3" in second
    surgical = _get(client, f"/plans/{plan_id}?grade=surgical&tier=1")
    table = surgical.split('class="table compact plan-lines"')[1].split("</table>")[0]
    assert "医用外科口罩" in table and "KN95" not in table
    found = _get(client, f"/plans/{plan_id}?q=单位000009")
    assert found.count(">单位000009</a>") == 1
    # Issued: the receipts and ledger entries are counted, not listed.
    assert _shows(len(lines), html)


def test_lot_page_recall_list_is_paged_and_filtered(app, client, scale):
    from ledger.models import Bucket, LedgerEntry
    from recipients.models import Recipient

    lot_id = scale["lots"]["kn95"]
    with app.app_context():
        issued = db.session.execute(
            sa.select(LedgerEntry.recipient_id, LedgerEntry.quantity).where(
                LedgerEntry.lot_id == lot_id, LedgerEntry.to_bucket == Bucket.ISSUED
            )
        ).all()
        district = db.session.get(Recipient, issued[0].recipient_id).district
        in_district = {
            r.id
            for r in db.session.scalars(sa.select(Recipient).where(Recipient.district == district))
        }
    received = defaultdict(int)
    for rid, quantity in issued:
        received[rid] += quantity
    html = _get(client, f"/lots/{lot_id}")
    assert _shows(len(received), html) and _shows(sum(received.values()), html)
    page = _get(client, f"/lots/{lot_id}?district={district}&page=2")
    assert _shows(len([r for r in received if r in in_district]), page)
    assert _shows(sum(q for r, q in received.items() if r in in_district), page)
    history = _get(client, f"/lots/{lot_id}?hpage=3")
    assert "hpage=4" in history
    one = _get(client, f"/lots/{lot_id}?q=单位000001")
    assert one.count(">单位000001</a>") >= 1


def test_query_counts_do_not_grow_with_the_data(app, client):
    """Each page runs as many SQL statements on 1,500 units as on 150."""
    counts = []
    for size in (150, 1500):
        data = _build(app, size)
        _login(client)
        pages = bench.pages(data)
        _get(client, pages["plan"])  # the run's digest is read once, then kept
        seen_by_page = {}
        for name, url in pages.items():
            with counting(app) as seen:
                _get(client, url)
            seen_by_page[name] = len(seen)
        counts.append(seen_by_page)
        client.post("/logout")
        with app.app_context():
            empty_tables()
    small, large = counts
    assert small == large
