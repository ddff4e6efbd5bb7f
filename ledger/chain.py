"""The hash chain: a canonical serialisation of an entry and its SHA-256 (pure, no database).

The serialisation is JSON with sorted keys, no whitespace, UTF-8, integers as integers, times as
UTC ISO 8601 with microseconds, enums as their values and absent values as null. It names its own
format version (`v`), so that a later format can be told apart from this one.
"""

import enum
import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

FORMAT_VERSION = 1

# The fields that are hashed, in the order a person reads them.
HASHED_FIELDS = (
    "seq",
    "occurred_at",
    "recorded_at",
    "kind",
    "lot_id",
    "from_bucket",
    "to_bucket",
    "quantity",
    "recipient_id",
    "document_type",
    "document_id",
    "document_ref",
    "actor_id",
    "reason",
    "reverses_seq",
)


def _plain(value: Any) -> Any:
    kind = type(value)
    if kind is int or kind is str or value is None:
        return value
    if kind is bool:
        raise TypeError("booleans are not ledger values")
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime in a ledger entry")
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, enum.Enum) and isinstance(value.value, str):
        return value.value
    raise TypeError(f"cannot put {kind.__name__} into a ledger hash")


def canonical(fields: Mapping[str, Any], prev_hash: str) -> bytes:
    """The bytes that are hashed for an entry with these fields after `prev_hash`."""
    document = {name: _plain(fields.get(name)) for name in HASHED_FIELDS}
    document["prev_hash"] = prev_hash
    document["v"] = FORMAT_VERSION
    return json.dumps(
        document, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


def entry_hash(fields: Mapping[str, Any], prev_hash: str) -> str:
    return hashlib.sha256(canonical(fields, prev_hash)).hexdigest()


def fields_of(entry: Any) -> dict[str, Any]:
    """The hashed fields of an entry object (or row) that has them as attributes."""
    return {name: getattr(entry, name) for name in HASHED_FIELDS}
