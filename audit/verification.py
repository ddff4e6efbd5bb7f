"""What the verification page answers: is this file (or this SHA-256) a document Baogong issued,
which plan and version (or which daily or recall report) is it, do the records still say what it
says, and is every ledger entry it lists still intact."""

import json
import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from allocation.models import Plan
from core.errors import ServiceError
from extensions import db
from ledger.verify import ChainBreak, Problem, check_chain, check_entries

from . import documents
from .models import PlanDocument, ReportDocument

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
    document: PlanDocument | None = None  # an allocation plan's PDF…
    report: ReportDocument | None = None  # …or a daily or recall report's
    matched_by: str = ""  # "file" or "content"
    record_intact: bool = False
    stored_file_intact: bool = False
    later_transitions: int = 0  # plans: status changes since printed
    renamed: list[tuple[str, str]] = field(default_factory=list)  # plans: names corrected since
    later_entries: int = 0  # reports: ledger entries since printed that a new print would show
    # Reports: the first break in the chain up to the entry the report was made to (its figures
    # come from all of them; a plan's come from its own lines and entries only).
    chain_break: ChainBreak | None = None
    entries: list[EntryCheck] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return self.document is not None or self.report is not None

    @property
    def entries_intact(self) -> bool:
        return all(e.intact for e in self.entries)

    @property
    def ok(self) -> bool:
        return (
            self.found and self.record_intact and self.entries_intact and self.chain_break is None
        )


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


def _find(sha256: str, only_file: bool) -> tuple[PlanDocument | ReportDocument | None, str]:
    for model in (PlanDocument, ReportDocument):
        found = db.session.scalar(sa.select(model).where(model.file_sha256 == sha256))
        if found is not None:
            return found, "file"
    if only_file:
        return None, ""
    for model in (PlanDocument, ReportDocument):
        found = db.session.scalar(
            sa.select(model).where(model.content_sha256 == sha256).order_by(model.id)
        )
        if found is not None:
            return found, "content"
    return None, ""


def _check_entries(printed: list[dict]) -> list[EntryCheck]:
    """Each printed (seq, hash) against the ledger: the entry's own check and its stored hash."""
    seqs = [e["seq"] for e in printed]
    problems = check_entries(seqs)
    stored = documents.stored_entries(seqs)
    return [
        EntryCheck(
            e["seq"],
            e["hash"],
            stored[e["seq"]].hash if e["seq"] in stored else None,
            problems.get(e["seq"]),
        )
        for e in printed
    ]


def _renamed(printed: dict, now: dict) -> list[tuple[str, str]] | None:
    """The names (a unit's, the round's) corrected since a plan was printed, when nothing else in
    its record differs: the plan still allocates what the document says. None when anything
    else differs."""

    def facts(record: dict) -> dict:
        lines = [{k: v for k, v in line.items() if k != "recipient"} for line in record["lines"]]
        return {**record, "round": {**record["round"], "name": None}, "lines": lines}

    if facts(printed) != facts(now):
        return None
    pairs = [(printed["round"]["name"], now["round"]["name"])]
    pairs += [
        (a["recipient"], b["recipient"])
        for a, b in zip(printed["lines"], now["lines"], strict=True)
    ]
    return list(dict.fromkeys((old, new) for old, new in pairs if old != new))


def check_hash(sha256: str, only_file: bool = False) -> DocumentCheck:
    result = DocumentCheck(sha256)
    found, result.matched_by = _find(sha256, only_file)
    if found is None:
        return result
    path = documents.document_path(found)
    result.stored_file_intact = (
        path.is_file() and documents.sha256_bytes(path.read_bytes()) == found.file_sha256
    )
    if isinstance(found, ReportDocument):
        result.report = found
        _report, now = documents.report_of(
            found.kind, documents.report_subject(found), found.through_seq
        )
        result.record_intact = documents.sha256_text(documents.canonical(now)) == (
            found.content_sha256
        )
        result.later_entries = documents.entries_after(found)
        result.chain_break = check_chain(found.through_seq)
        result.entries = _check_entries(json.loads(found.content).get("entries", []))
        return result
    result.document = found
    plan = db.session.get(Plan, found.plan_id)
    try:
        now = documents.plan_record(plan, found.last_transition_id)
    except ServiceError:
        now = None
    if now is not None and documents.sha256_text(documents.canonical(now)) == found.content_sha256:
        result.record_intact = True
    elif now is not None and documents.sha256_text(found.content) == found.content_sha256:
        renamed = _renamed(json.loads(found.content), now)
        result.record_intact, result.renamed = renamed is not None, renamed or []
    result.later_transitions = documents.transitions_after(plan.id, found.last_transition_id)
    result.entries = _check_entries(json.loads(found.content).get("issue_entries", []))
    return result
