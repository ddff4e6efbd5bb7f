"""The allocation PDF: the canonical record of a plan, the context of its template, and the
store of rendered files under `instance/pdf/`.

The record is what the document vouches for: the plan's number, round, version, the policy it
ran with, every status change (who and when), every line (recipient, lot, pieces) and the hash
of every ledger entry that issued a line. Its canonical JSON (sorted keys, no spaces, UTF-8) is
hashed with SHA-256; that hash is printed in the PDF's footer and recomputed on verification.

The daily and recall report PDFs are stored the same way (`report_document`); their records
(the ledger facts they are made from) are built in audit/reports.py.
"""

import hashlib
import json
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale, format_datetime
from flask_babel import gettext as _
from markupsafe import Markup

from allocation import plans
from allocation.charts import tier_chart
from allocation.models import Plan, PlanLine, PlanRun, PlanStatus, PlanTransition
from catalog.models import Grade, Lot
from core.db import now_utc
from core.errors import ServiceError
from extensions import db
from ledger.models import LedgerEntry
from procurement.models import Certificate, lot_certificates
from recipients.models import TIER_LABELS

from . import reports
from .models import DocumentDownload, PlanDocument, ReportDocument, ReportDownload
from .render import Rendered, render_pdf

RECORD_FORMAT = 1
PRINTABLE = (PlanStatus.APPROVED, PlanStatus.ISSUED, PlanStatus.REVERSED)
LANGUAGES = ("zh", "en")


def certificate_numbers(lot_ids: list[int]) -> dict[int, list[str]]:
    """The numbers of the certificates attached to each lot (registration certificate, test
    report, NIOSH approval…), in the order they were recorded. Lots without any are absent."""
    rows = db.session.execute(
        sa.select(lot_certificates.c.lot_id, Certificate.number)
        .join(Certificate, Certificate.id == lot_certificates.c.certificate_id)
        .where(lot_certificates.c.lot_id.in_(lot_ids))
        .order_by(lot_certificates.c.lot_id, Certificate.id)
    )
    numbers: dict[int, list[str]] = {}
    for lot_id, number in rows:
        numbers.setdefault(lot_id, []).append(number)
    return numbers


# The canonical record -----------------------------------------------------------------------


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _load_lines(run: PlanRun) -> None:
    """Load the run's lines with their recipients in two queries, not one per line."""
    db.session.scalars(
        sa.select(PlanRun)
        .where(PlanRun.id == run.id)
        .options(sa.orm.selectinload(PlanRun.lines).joinedload(PlanLine.recipient))
        .execution_options(populate_existing=True)
    ).one()


def plan_record(plan: Plan, upto_transition_id: int | None = None) -> dict:
    """The plan as the document vouches for it (only transitions up to `upto_transition_id`)."""
    run = plan.current_run
    if run is None:
        raise ServiceError("plan has not been run")
    _load_lines(run)
    transitions = [
        t for t in plan.transitions if upto_transition_id is None or t.id <= upto_transition_id
    ]
    entries = {e.document_id: e for e in plans.issue_entries(plan)}
    issued = any(t.to_status is PlanStatus.ISSUED for t in transitions)
    return {
        "format": RECORD_FORMAT,
        "document": "allocation_plan",
        "plan": {"id": plan.id, "number": plan.number},
        "round": {
            "id": plan.round.id,
            "name": plan.round.name,
            "date": _iso(plan.round.round_date),
        },
        "version": run.version,
        "ran_at": _iso(run.ran_at),
        "ran_by": run.ran_by.username if run.ran_by else None,
        "policy_id": run.policy_id,
        "policy": run.policy,
        "transitions": [
            {
                "id": t.id,
                "from": t.from_status.value if t.from_status else None,
                "to": t.to_status.value,
                "by": t.actor.username if t.actor else None,
                "at": _iso(t.at),
                "comment": t.comment,
                "version": t.run_version,
            }
            for t in transitions
        ],
        "lines": [
            {
                "id": line.id,
                "recipient_id": line.recipient_id,
                "recipient": line.recipient.name,
                "lot_id": line.lot_id,
                "lot": line.lot.lot_number,
                "quantity": line.quantity,
            }
            for line in sorted(run.lines, key=lambda line: line.id)
        ],
        "issue_entries": [
            {"line": line_id, "seq": e.seq, "hash": e.hash, "quantity": e.quantity}
            for line_id, e in sorted(entries.items(), key=lambda item: item[1].seq)
        ]
        if issued
        else [],
    }


def canonical(record: dict) -> str:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# Monospaced line layout ---------------------------------------------------------------------
# WeasyPrint spends most of its time on boxes: a table cell is several boxes, so a 1,000-line
# table takes many seconds. Each plan line is printed as one line of monospaced text (a CJK
# character is two columns wide), in one <pre> per recipient: a handful of boxes per recipient.
# Noto Sans Mono CJK draws the East Asian "ambiguous" characters (…, ·, ×, ①, “…) full width,
# so they count two columns; an empty cell is an ASCII "-" (its em dash is 0.894 of a column pair).
EMPTY = "-"


def char_width(char: str) -> int:
    return 2 if unicodedata.east_asian_width(char) in "WFA" else 1


def width(text: str) -> int:
    return sum(char_width(c) for c in text)


# Control characters (a line break typed into a maker's name) would break a line in two.
CONTROLS_TO_SPACES = {code: " " for code in (*range(0x20), 0x7F)}


def fit(text: str, columns: int, right: bool = False) -> str:
    """`text` padded (or cut, with an ellipsis) to exactly `columns` display columns."""
    text = str(text).translate(CONTROLS_TO_SPACES)
    used = width(text)
    if used > columns:
        used, kept = width("…"), 0
        for char in text:
            wide = char_width(char)
            if used + wide > columns:
                break
            used, kept = used + wide, kept + 1
        text = text[:kept] + "…"
    padding = " " * (columns - used)
    return padding + text if right else text + padding


# (name, widest, right-aligned): each column is as wide as its widest value in the plan (or its
# header), up to `widest` display columns; longer values are cut with an ellipsis.
# A landscape A4 line at 7pt holds 221 columns; the certificate numbers take what is left.
LINE_COLUMNS = (("seq", 7, True), ("lot", 20, False), ("maker", 26, False))
LINE_COLUMNS += (("certificates", 70, False), ("pieces", 9, True), ("boxes", 11, True))
LINE_COLUMNS += (("hash", 64, False),)
# The widest line: all columns at their limits, two spaces apart.
PAGE_COLUMNS = sum(widest for _name, widest, _right in LINE_COLUMNS) + 2 * (len(LINE_COLUMNS) - 1)


# Lines per <pre> block, measured (bench/pdf.py): WeasyPrint breaks a <pre> line by line, handing
# Pango the rest of the block each time, so long blocks cost more than the boxes of short ones.
LINES_PER_BLOCK = 4


def column_widths(rows: list[dict]) -> dict[str, int]:
    """The display width of each column: its widest value, at most the column's limit. Narrow
    columns matter: WeasyPrint draws each padding space as a glyph, one at a time."""
    return {
        name: min(widest, max((width(str(row.get(name, ""))) for row in rows), default=1))
        for name, widest, _right in LINE_COLUMNS
    }


def format_row(values: dict, widths: dict[str, int]) -> str:
    row = "  ".join(
        fit(values.get(name, ""), widths[name], right) for name, _widest, right in LINE_COLUMNS
    )
    return row.rstrip()


def css_string(text) -> Markup:
    """`text` as a quoted CSS string, for the running headers and footers of a PDF's @page
    rules: data in it (a lot number) can end neither the string, nor the rule, nor the <style>
    element. (Jinja's HTML escaping does not protect CSS.)"""
    if isinstance(text, Markup):
        text = text.unescape()
    quoted = "".join(
        " " if ord(char) < 0x20 or ord(char) == 0x7F
        else f"\\{ord(char):x} " if char in '\\"<>&{};'
        else char
        for char in str(text)
    )  # fmt: skip
    return Markup(f'"{quoted}"')


def page_counter_css() -> str:
    """The CSS `content` of the page-number footer in the current language: 第 x 页 共 y 页."""
    text = _("Page %(page)s of %(pages)s", page='" counter(page) "', pages='" counter(pages) "')
    return f'"{text}"'


def boxes_text(quantity: int, per_box: int) -> str:
    boxes, rest = divmod(quantity, per_box)
    return f"{boxes}" if not rest else f"{boxes}+{rest}"


# The template's context ---------------------------------------------------------------------


@dataclass
class RecipientGroup:
    name: str
    tier: int
    district: str
    category: str
    rows: list[dict] = field(default_factory=list)
    pieces: int = 0


def _step(transitions, status: PlanStatus, last: bool = True):
    found = [t for t in transitions if t.to_status is status]
    return (found[-1] if last else found[0]) if found else None


def plan_context(plan: Plan, record: dict, content_sha256: str, english: bool) -> dict:
    """Everything the PDF template prints (in the language being rendered)."""
    run = plan.current_run
    wanted = {t["id"] for t in record["transitions"]}
    transitions = [t for t in plan.transitions if t.id in wanted]
    lot_ids = sorted({line.lot_id for line in run.lines})
    lots = {lot.id: lot for lot in db.session.scalars(sa.select(Lot).where(Lot.id.in_(lot_ids)))}
    certificates = certificate_numbers(lot_ids)
    entries = {e["line"]: e for e in record["issue_entries"]}
    header = {
        "seq": "#",
        "lot": _("Lot number"),
        "maker": _("Maker"),
        "certificates": _("Certificate numbers"),
        "pieces": _("Pieces"),
        "boxes": _("Boxes"),
        "hash": _("Issue entry SHA-256"),
    }
    groups: dict[int, RecipientGroup] = {}
    lot_pieces: dict[int, int] = {}
    ordered = sorted(run.lines, key=lambda x: (x.recipient.tier, x.recipient.name, x.id))
    for number, line in enumerate(ordered, start=1):
        r = line.recipient
        group = groups.setdefault(
            r.id, RecipientGroup(r.name, r.tier, r.district, r.category.label)
        )
        lot = lots[line.lot_id]
        entry = entries.get(line.id)
        group.rows.append(
            {
                "seq": number,
                "lot": lot.lot_number,
                "maker": lot.product.maker,
                "certificates": ", ".join(certificates.get(lot.id, [])) or EMPTY,
                "pieces": f"{line.quantity:,}",
                "boxes": boxes_text(line.quantity, lot.pieces_per_box),
                "hash": f"{entry['hash']}" if entry else EMPTY,
            }
        )
        group.pieces += line.quantity
        lot_pieces[lot.id] = lot_pieces.get(lot.id, 0) + line.quantity
    grade_names = {g.code: g for g in db.session.scalars(sa.select(Grade))}
    subtotal = _("Subtotal")
    rows = [row for group in groups.values() for row in group.rows]
    widths = column_widths([header, *rows])
    text_lines: list[str] = []
    for group in groups.values():
        title = f"■ {group.name} · {TIER_LABELS.get(group.tier, group.tier)} · {group.category}"
        title += f" · {group.district}" if group.district else ""
        total = f"{subtotal} {group.pieces:,}"
        # No padding between the title and its subtotal: WeasyPrint draws every space as a glyph,
        # one at a time, and padded titles made a third of a long plan's glyphs.
        title = fit(title, PAGE_COLUMNS - width(total) - 2).rstrip()
        text_lines.append(f"{title}  {total}")
        text_lines.extend(format_row(row, widths) for row in group.rows)
    chunks = [
        "\n".join(text_lines[i : i + LINES_PER_BLOCK])
        for i in range(0, len(text_lines), LINES_PER_BLOCK)
    ]
    return {
        "plan": plan,
        "run": run,
        "record": record,
        "content_sha256": content_sha256,
        "english": english,
        "drafted": _step(transitions, PlanStatus.DRAFT, last=False),
        "submitted": _step(transitions, PlanStatus.SUBMITTED),
        "approved": _step(transitions, PlanStatus.APPROVED),
        "issued": _step(transitions, PlanStatus.ISSUED),
        "transitions": transitions,
        "groups": list(groups.values()),
        "line_header": format_row(header, widths),
        "line_blocks": chunks,
        "lots": [
            (lots[i], certificates.get(i, []), lot_pieces.get(i, 0)) for i in lot_ids if i in lots
        ],
        "total_pieces": sum(line.quantity for line in run.lines),
        "line_count": len(run.lines),
        "tiers": run.result.get("tiers", []),
        "tier_labels": TIER_LABELS,
        "chart": tier_chart(run.result.get("tiers", []), english),
        "usage": plans.grade_usage(run),
        "grade_names": grade_names,
        "printed_at": now_utc(),
    }


# Rendering and the store --------------------------------------------------------------------


def pdf_folder() -> Path:
    folder = Path(current_app.instance_path) / "pdf"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _render_and_store(html: str, stem: str) -> tuple[Rendered, str, str]:
    """Render `html`, write the PDF into the store as `stem-<file hash>.pdf` (atomically)."""
    rendered = render_pdf(
        html,
        base_url=current_app.root_path,
        in_child=current_app.config["PDF_RENDER_IN_CHILD"],
    )
    file_sha256 = sha256_bytes(rendered.pdf)
    filename = f"{stem}-{file_sha256[:16]}.pdf"
    path = pdf_folder() / filename
    temporary = path.with_suffix(".part")
    temporary.write_bytes(rendered.pdf)
    temporary.replace(path)
    return rendered, file_sha256, filename


def _replace_file(found, rendered: Rendered, file_sha256: str, filename: str):
    """A stored document whose file went missing from the store: the new file takes its place."""
    found.file_sha256, found.filename = file_sha256, filename
    found.size, found.pages = len(rendered.pdf), rendered.pages
    db.session.flush()
    return found


def _add_first(document, same: sa.Select):
    """Add a newly stored document, unless a download at the same moment stored the same one
    first (`same` finds it): then that one."""
    try:
        with db.session.begin_nested():
            db.session.add(document)
    except sa.exc.IntegrityError:
        return db.session.scalar(same)
    return document


def _render_html(plan: Plan, record: dict, content_sha256: str, language: str) -> str:
    with force_locale(language):
        context = plan_context(plan, record, content_sha256, english=language == "en")
        return render_template("audit/plan_pdf.html", **context)


def render_plan_html(plan: Plan, language: str = "zh") -> str:
    """The HTML of the plan's PDF as it would be rendered now (for the bench and tests)."""
    record = plan_record(plan)
    return _render_html(plan, record, sha256_text(canonical(record)), language)


def plan_document(plan: Plan, language: str, actor_id: int | None) -> PlanDocument:
    """The stored PDF of the plan's current record in `language`, rendered the first time.

    Flushes, never commits."""
    if plan.status not in PRINTABLE:
        raise ServiceError("only approved or issued plans are printed")
    if language not in LANGUAGES:
        language = LANGUAGES[0]
    last = max((t.id for t in plan.transitions), default=None)
    record = plan_record(plan, last)
    text = canonical(record)
    content_sha256 = sha256_text(text)
    found = db.session.scalar(
        sa.select(PlanDocument).where(
            PlanDocument.content_sha256 == content_sha256, PlanDocument.language == language
        )
    )
    if found is not None and (pdf_folder() / found.filename).is_file():
        return found
    html = _render_html(plan, record, content_sha256, language)
    rendered, file_sha256, filename = _render_and_store(
        html, f"{plan.number}-v{plan.current_run.version}-{language}"
    )
    if found is not None:
        return _replace_file(found, rendered, file_sha256, filename)
    document = PlanDocument(
        plan_id=plan.id,
        run_version=plan.current_run.version,
        language=language,
        content_sha256=content_sha256,
        content=text,
        last_transition_id=last,
        file_sha256=file_sha256,
        filename=filename,
        size=len(rendered.pdf),
        pages=rendered.pages,
        created_by_id=actor_id,
    )
    return _add_first(
        document,
        sa.select(PlanDocument).where(
            PlanDocument.content_sha256 == content_sha256, PlanDocument.language == language
        ),
    )


# Daily and recall reports ------------------------------------------------------------------

REPORT_TEMPLATES = {"daily": "audit/daily_pdf.html", "recall": "audit/recall_pdf.html"}


def report_of(kind: str, subject, through_seq: int | None = None):
    """(report, record) of a daily report (`subject` a date) or a recall report (a Lot)."""
    if kind == "daily":
        report = reports.daily_report(subject, through_seq)
        return report, reports.daily_record(report)
    report = reports.recall_report(subject, through_seq)
    return report, reports.recall_record(report)


# Stands for the print time in a report's HTML until the page is known to be new.
PRINTED_AT_MARK = "\x00printed-at\x00"


def report_document(kind: str, subject, language: str, actor_id: int | None) -> ReportDocument:
    """The stored PDF of a daily report (`subject`: the day) or a recall report (the lot) as the
    ledger says now, in `language`: served again while the page would print the same, rendered
    otherwise. Flushes, never commits."""
    if language not in LANGUAGES:
        language = LANGUAGES[0]
    report, record = report_of(kind, subject)
    text = canonical(record)
    content_sha256 = sha256_text(text)
    with force_locale(language):
        page = render_template(
            REPORT_TEMPLATES[kind],
            report=report,
            kinds=reports.DAILY_KINDS,
            content_sha256=content_sha256,
            english=language == "en",
            printed_at=PRINTED_AT_MARK,
        )
        printed_at = format_datetime(now_utc(), "short")
    page_sha256 = sha256_text(page)
    found = db.session.scalar(
        sa.select(ReportDocument).where(ReportDocument.page_sha256 == page_sha256)
    )
    if found is not None and (pdf_folder() / found.filename).is_file():
        return found
    name = subject.isoformat() if kind == "daily" else f"lot{subject.id}"
    rendered, file_sha256, filename = _render_and_store(
        page.replace(PRINTED_AT_MARK, printed_at), f"{kind}-{name}-{language}"
    )
    if found is not None:
        return _replace_file(found, rendered, file_sha256, filename)
    document = ReportDocument(
        kind=kind,
        day=subject if kind == "daily" else None,
        lot_id=subject.id if kind == "recall" else None,
        through_seq=record["through_seq"],
        language=language,
        content_sha256=content_sha256,
        content=text,
        page_sha256=page_sha256,
        file_sha256=file_sha256,
        filename=filename,
        size=len(rendered.pdf),
        pages=rendered.pages,
        created_by_id=actor_id,
    )
    return _add_first(
        document, sa.select(ReportDocument).where(ReportDocument.page_sha256 == page_sha256)
    )


def record_report_download(document: ReportDocument, user_id: int | None) -> ReportDownload:
    download = ReportDownload(document_id=document.id, user_id=user_id)
    db.session.add(download)
    db.session.flush()
    return download


def report_subject(document: ReportDocument):
    return document.day if document.kind == "daily" else document.lot


def entries_after(document: ReportDocument) -> int:
    """Ledger entries recorded after the report was printed that a report printed now would
    include (for a day: any entry that occurred by its end; for a lot: its deliveries)."""
    if document.kind == "daily":
        _start, end = reports.local_bounds(document.day, document.day)
        query = sa.select(sa.func.count(LedgerEntry.seq)).where(LedgerEntry.occurred_at < end)
    else:
        query = reports.recall_entries(document.lot_id).with_only_columns(
            sa.func.count(LedgerEntry.seq)
        )
    return db.session.scalar(query.where(LedgerEntry.seq > document.through_seq)) or 0


def record_download(document: PlanDocument, user_id: int | None) -> DocumentDownload:
    download = DocumentDownload(document_id=document.id, user_id=user_id)
    db.session.add(download)
    db.session.flush()
    return download


def documents_of(plan_id: int) -> list[PlanDocument]:
    return list(
        db.session.scalars(
            sa.select(PlanDocument)
            .where(PlanDocument.plan_id == plan_id)
            .order_by(PlanDocument.id.desc())
        )
    )


def document_path(document: PlanDocument | ReportDocument) -> Path:
    return pdf_folder() / document.filename


def transitions_after(plan_id: int, transition_id: int | None) -> int:
    query = sa.select(sa.func.count(PlanTransition.id)).where(PlanTransition.plan_id == plan_id)
    if transition_id is not None:
        query = query.where(PlanTransition.id > transition_id)
    return db.session.scalar(query) or 0


def issue_entry_seqs(record: dict) -> list[int]:
    return [e["seq"] for e in record.get("issue_entries", [])]


def stored_entries(seqs: list[int]) -> dict[int, LedgerEntry]:
    if not seqs:
        return {}
    return {
        e.seq: e
        for e in db.session.scalars(sa.select(LedgerEntry).where(LedgerEntry.seq.in_(seqs)))
    }
