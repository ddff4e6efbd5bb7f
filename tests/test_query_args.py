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
    ],
)
def test_extreme_query_arguments(signed_in, url, status):
    client = signed_in(Role.AUDITOR, Role.PROCUREMENT)
    assert client.get(url, headers={"Accept-Language": "en"}).status_code == status
