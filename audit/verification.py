"""What the verification page answers: is this file (or this SHA-256) a document Baogong issued,
which plan and version is it, do the plan's records still say what it says, and is every ledger
entry it lists still intact."""

import json
import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from allocation.models import Plan
from core.errors import ServiceError
from extensions import db
from ledger.verify import Problem, check_entries

from . import documents
from .models import PlanDocument

HASH_PATTERN = re.compile(r"^[0-9a-f]{64}$")
MAX_UPLOAD = 50 * 1024 * 1024


@dataclass
class EntryCheck:
    seq: int
    printed_hash: str
    stored_hash: str | None
    problem: Problem | None

    @property
    def intact(self) -> bool:
        return self.problem is None and self.stored_hash == self.printed_hash


@dataclass
class DocumentCheck:
    given_sha256: str
    document: PlanDocument | None = None
    matched_by: str = ""  # "file" or "content"
    record_intact: bool = False
    stored_file_intact: bool = False
    later_transitions: int = 0
    entries: list[EntryCheck] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return self.document is not None

    @property
    def entries_intact(self) -> bool:
        return all(e.intact for e in self.entries)

    @property
    def ok(self) -> bool:
        return self.found and self.record_intact and self.entries_intact


def normalise_hash(text: str) -> str:
    """A typed SHA-256 (spaces, line breaks and capitals allowed) or ServiceError."""
    cleaned = re.sub(r"[\s:-]", "", text or "").lower()
    if not HASH_PATTERN.match(cleaned):
        raise ServiceError(
            _l("A SHA-256 is 64 characters 0–9 and a–f. Copy it from the footer of the PDF.")
        )
    return cleaned


def check_pdf(data: bytes) -> DocumentCheck:
    """Check an uploaded file: only the exact bytes of a stored PDF are accepted."""
    if not data:
        raise ServiceError(_l("The file is empty."))
    if not data.startswith(b"%PDF-"):
        raise ServiceError(_l("This file is not a PDF. Upload the PDF exactly as Baogong gave it."))
    return check_hash(documents.sha256_bytes(data), only_file=True)


def check_hash(sha256: str, only_file: bool = False) -> DocumentCheck:
    result = DocumentCheck(sha256)
    document = db.session.scalar(sa.select(PlanDocument).where(PlanDocument.file_sha256 == sha256))
    if document is not None:
        result.matched_by = "file"
    elif not only_file:
        document = db.session.scalar(
            sa.select(PlanDocument)
            .where(PlanDocument.content_sha256 == sha256)
            .order_by(PlanDocument.id)
        )
        result.matched_by = "content" if document is not None else ""
    if document is None:
        return result
    result.document = document
    plan = db.session.get(Plan, document.plan_id)
    try:
        now = documents.plan_record(plan, document.last_transition_id)
        result.record_intact = (
            documents.sha256_text(documents.canonical(now)) == document.content_sha256
        )
    except ServiceError:
        result.record_intact = False
    path = documents.document_path(document)
    result.stored_file_intact = (
        path.is_file() and documents.sha256_bytes(path.read_bytes()) == document.file_sha256
    )
    result.later_transitions = documents.transitions_after(plan.id, document.last_transition_id)
    printed = json.loads(document.content).get("issue_entries", [])
    problems = check_entries([e["seq"] for e in printed])
    stored = documents.stored_entries([e["seq"] for e in printed])
    result.entries = [
        EntryCheck(
            e["seq"],
            e["hash"],
            stored[e["seq"]].hash if e["seq"] in stored else None,
            problems.get(e["seq"]),
        )
        for e in printed
    ]
    return result
