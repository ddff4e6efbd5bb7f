"""The canonical serialisation and hash of a ledger entry (pure, no database)."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from ledger.chain import HASHED_FIELDS, canonical, entry_hash
from ledger.models import GENESIS_HASH, Bucket, EntryKind

FIELDS = {
    "seq": 7,
    "occurred_at": datetime(2020, 2, 3, 1, 30, tzinfo=UTC),
    "recorded_at": datetime(2020, 2, 3, 1, 31, 5, 123456, tzinfo=UTC),
    "kind": EntryKind.ISSUE,
    "lot_id": 3,
    "from_bucket": Bucket.AVAILABLE,
    "to_bucket": Bucket.ISSUED,
    "quantity": 500,
    "recipient_id": 12,
    "document_type": "plan_line",
    "document_id": 44,
    "document_ref": "PL-2020-003",
    "actor_id": 2,
    "reason": "第 1 轮调配",
    "reverses_seq": None,
}


def test_canonical_form_is_sorted_compact_json_with_utc_times():
    text = canonical(FIELDS, GENESIS_HASH).decode("utf-8")
    assert text.startswith('{"actor_id":2,"document_id":44,')
    assert '"occurred_at":"2020-02-03T01:30:00.000000Z"' in text
    assert '"recorded_at":"2020-02-03T01:31:05.123456Z"' in text
    assert '"kind":"issue"' in text and '"from_bucket":"available"' in text
    assert '"reason":"第 1 轮调配"' in text  # UTF-8, not \\u escapes
    assert '"reverses_seq":null' in text and '"v":1' in text
    assert " " not in text.replace("第 1 轮调配", "")


def test_same_entry_same_hash_whatever_the_time_zone_or_enum_form():
    beijing = timezone(timedelta(hours=8))
    other = {
        **FIELDS,
        "occurred_at": FIELDS["occurred_at"].astimezone(beijing),
        "kind": "issue",
        "from_bucket": "available",
        "to_bucket": "issued",
    }
    assert entry_hash(other, GENESIS_HASH) == entry_hash(FIELDS, GENESIS_HASH)
    assert len(entry_hash(FIELDS, GENESIS_HASH)) == 64


@pytest.mark.parametrize("name", HASHED_FIELDS)
def test_every_field_changes_the_hash(name):
    original = entry_hash(FIELDS, GENESIS_HASH)
    changed = dict(FIELDS)
    value = FIELDS[name]
    if isinstance(value, datetime):
        changed[name] = value + timedelta(microseconds=1)
    elif isinstance(value, EntryKind):
        changed[name] = EntryKind.REVERSAL
    elif isinstance(value, Bucket):
        changed[name] = Bucket.ON_HOLD
    elif isinstance(value, int):
        changed[name] = value + 1
    elif isinstance(value, str):
        changed[name] = value + "x"
    else:
        changed[name] = 1
    assert entry_hash(changed, GENESIS_HASH) != original


def test_previous_hash_is_part_of_the_hash():
    assert entry_hash(FIELDS, GENESIS_HASH) != entry_hash(FIELDS, "1" * 64)


def test_naive_times_floats_and_booleans_are_refused():
    with pytest.raises(ValueError):
        canonical({**FIELDS, "occurred_at": datetime(2020, 2, 3)}, GENESIS_HASH)
    with pytest.raises(TypeError):
        canonical({**FIELDS, "quantity": 1.5}, GENESIS_HASH)
    with pytest.raises(TypeError):
        canonical({**FIELDS, "quantity": True}, GENESIS_HASH)
