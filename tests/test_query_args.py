"""Query arguments a person (or a crawler) can type into the address: dates at the ends of the
calendar are taken as the nearest date Baogong can hold, absurd page numbers as absent; never a
500 (core/request_args.py)."""

import pytest

from accounts.models import Role

EXTREME = "since=0001-01-01&until=9999-12-31&from=0001-01-01&to=9999-12-31"


@pytest.mark.parametrize(
    ("url", "status"),
    [
        (f"/audit/exports/ledger.csv?{EXTREME}", 200),
        (f"/audit/exports/stock.csv?{EXTREME}", 200),
        (f"/audit/exports/plan_lines.xlsx?{EXTREME}", 200),
        (f"/ledger?{EXTREME}", 200),
        (f"/purchases?{EXTREME}", 200),
        (f"/batches?{EXTREME}", 200),
        ("/audit/daily?day=9999-12-31", 200),
        ("/audit/daily.pdf?day=9999-12-31", 404),  # after today
        ("/audit/daily.pdf?day=2001-01-01", 404),  # before the ledger's first day
        ("/ledger?page=99999999999999999999", 200),
        ("/batches?page=99999999999999999999&grade=1e9", 200),
        # Past PostgreSQL's integer range, or digits int() cannot read: absent, not a 500.
        ("/stock?grade=2147483648", 200),
        ("/stock?grade=99999999999999999999&page=2147483648", 200),
        ("/batches?supplier=99999999999999999999&grade=2147483648", 200),
        ("/purchases?supplier=99999999999999999999", 200),
        ("/suppliers?page=²", 200),
        ("/batches?grade=１２", 200),
    ],
)
def test_extreme_query_arguments(signed_in, url, status):
    client = signed_in(Role.AUDITOR, Role.PROCUREMENT)
    assert client.get(url, headers={"Accept-Language": "en"}).status_code == status


@pytest.mark.parametrize("path", ["/lots/2147483648", "/plans/99999999999999999999", "/batches/0"])
def test_ids_past_the_column_range_are_not_found(signed_in, path):
    client = signed_in(Role.AUDITOR, Role.PROCUREMENT)
    assert client.get(path, headers={"Accept-Language": "en"}).status_code == 404
