"""The allocation PDF: the canonical record of a plan, the context of its template, and the
store of rendered files under `instance/pdf/`.

The record is what the document vouches for: the plan's number, round, version, the policy it
ran with, every status change (who and when), every line (recipient, lot, pieces) and the hash
of every ledger entry that issued a line. Its canonical JSON (sorted keys, no spaces, UTF-8) is
hashed with SHA-256; that hash is printed in the PDF's footer and recomputed on verification.

The daily and recall report PDFs are stored the same way (`report_document`); their records
(the ledger facts they are made from) are built in audit/reports.py.

Long documents are rendered in parts of at most `PDF_PART_LINES` printed lines (see
audit/render.py), joined into one file; the stored file's hash is the joined file's, and the
record covers every line. A stored document is found again without rebuilding its record: by
its `source_fingerprint`, the hash of everything it prints that could change after it was
printed (names, lot numbers, the last status change, the last delivery), read in a few narrow
queries.
"""

import hashlib
import json
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale, format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from accounts.models import User
from allocation import plans
from allocation.charts import tier_chart
from allocation.models import Plan, PlanLine, PlanRun, PlanStatus, PlanTransition
from catalog.models import Grade, Lot
from core.db import now_utc
from core.errors import ServiceError
from extensions import db
from ledger.models import EntryKind, LedgerEntry
from ledger.services import DOC_PLAN_LINE
from procurement.models import Certificate, lot_certificates
from recipients.models import TIER_LABELS, Recipient, RecipientCategory

from . import reports
from .models import DocumentDownload, PlanDocument, ReportDocument, ReportDownload
from .render import Progress, RenderedFile, render_document

RECORD_FORMAT = 1
PRINTABLE = (PlanStatus.APPROVED, PlanStatus.ISSUED, PlanStatus.REVERSED)
LANGUAGES = ("zh", "en")
# Printed lines per part of a long document (a plan line, a recipient's title, a recall row):
# the render of a part of this size stays well under 500 MB (bench/pdfs.py).
PART_LINES = 4000
# Parts rendered at once in the render server's forks (each within the bound above).
RENDER_PROCESSES = 2


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


def _line_rows(run_id: int) -> list:
    """(id, recipient_id, recipient, lot_id, lot, quantity) of each line of a run, by id."""
    return db.session.execute(
        sa.select(
            PlanLine.id,
            PlanLine.recipient_id,
            Recipient.name,
            PlanLine.lot_id,
            Lot.lot_number,
            PlanLine.quantity,
        )
        .join(Recipient, Recipient.id == PlanLine.recipient_id)
        .join(Lot, Lot.id == PlanLine.lot_id)
        .where(PlanLine.run_id == run_id)
        .order_by(PlanLine.id)
    ).all()


def _issue_rows(run_id: int) -> dict[int, tuple]:
    """The issue entry of each line of a run (the latest, as `plans.issue_entries` orders
    them): line id -> (seq, hash, quantity)."""
    rows = db.session.execute(
        sa.select(LedgerEntry.document_id, LedgerEntry.seq, LedgerEntry.hash, LedgerEntry.quantity)
        .where(
            LedgerEntry.kind == EntryKind.ISSUE,
            LedgerEntry.document_type == DOC_PLAN_LINE,
            LedgerEntry.document_id.in_(sa.select(PlanLine.id).where(PlanLine.run_id == run_id)),
        )
        .order_by(LedgerEntry.seq)
    )
    return {line_id: (seq, hash_, quantity) for line_id, seq, hash_, quantity in rows}


def plan_record(plan: Plan, upto_transition_id: int | None = None) -> dict:
    """The plan as the document vouches for it (only transitions up to `upto_transition_id`).
    Read in a few narrow queries: a plan of 50,000 lines is not loaded as objects."""
    run = plan.current_run
    if run is None:
        raise ServiceError("plan has not been run")
    transitions = [
        t for t in plan.transitions if upto_transition_id is None or t.id <= upto_transition_id
    ]
    issued = any(t.to_status is PlanStatus.ISSUED for t in transitions)
    entries = _issue_rows(run.id) if issued else {}
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
                "id": line_id,
                "recipient_id": recipient_id,
                "recipient": recipient,
                "lot_id": lot_id,
                "lot": lot,
                "quantity": quantity,
            }
            for line_id, recipient_id, recipient, lot_id, lot, quantity in _line_rows(run.id)
        ],
        "issue_entries": [
            {"line": line_id, "seq": seq, "hash": hash_, "quantity": quantity}
            for line_id, (seq, hash_, quantity) in sorted(
                entries.items(), key=lambda item: item[1][0]
            )
        ],
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


def page_counter_css(volume: int = 1, volumes: int = 1) -> str:
    """The CSS `content` of the page-number footer in the current language: 第 x 页 共 y 页.
    A document printed in several parts (volumes) numbers the pages of each volume: the whole
    document's total is known only once every part is laid out (see audit/render.py)."""
    page, pages = '" counter(page) "', '" counter(pages) "'
    if volumes <= 1:
        text = _("Page %(page)s of %(pages)s", page=page, pages=pages)
    else:
        text = _(
            "Volume %(volume)s of %(volumes)s, page %(page)s of %(pages)s",
            volume=volume,
            volumes=volumes,
            page=page,
            pages=pages,
        )
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
    """Everything the PDF template prints (in the language being rendered); the lines as
    monospaced text in `line_blocks` (see `plan_parts` for a long plan)."""
    run = plan.current_run
    wanted = {t["id"] for t in record["transitions"]}
    transitions = [t for t in plan.transitions if t.id in wanted]
    rows = db.session.execute(
        sa.select(
            PlanLine.id,
            PlanLine.quantity,
            PlanLine.lot_id,
            Recipient.id,
            Recipient.name,
            Recipient.tier,
            Recipient.district,
            Recipient.category,
        )
        .join(Recipient, Recipient.id == PlanLine.recipient_id)
        .where(PlanLine.run_id == run.id)
    ).all()
    rows.sort(key=lambda row: (row[5], row[4], row[0]))  # tier, name, line (as Python orders)
    lot_ids = sorted({row[2] for row in rows})
    lots = {lot.id: lot for lot in db.session.scalars(sa.select(Lot).where(Lot.id.in_(lot_ids)))}
    certificates = certificate_numbers(lot_ids)
    lot_certificates_text = {i: ", ".join(certificates.get(i, [])) or EMPTY for i in lot_ids}
    entries = {e["line"]: e["hash"] for e in record["issue_entries"]}
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
    total_pieces = 0
    for number, row in enumerate(rows, start=1):
        line_id, quantity, lot_id, recipient_id, name, tier, district, category = row
        group = groups.get(recipient_id)
        if group is None:
            label = RecipientCategory(category).label
            group = groups[recipient_id] = RecipientGroup(name, tier, district, label)
        lot = lots[lot_id]
        group.rows.append(
            {
                "seq": number,
                "lot": lot.lot_number,
                "maker": lot.product.maker,
                "certificates": lot_certificates_text[lot_id],
                "pieces": f"{quantity:,}",
                "boxes": boxes_text(quantity, lot.pieces_per_box),
                "hash": entries.get(line_id, EMPTY),
            }
        )
        group.pieces += quantity
        total_pieces += quantity
        lot_pieces[lot_id] = lot_pieces.get(lot_id, 0) + quantity
    del rows
    grade_names = {g.code: g for g in db.session.scalars(sa.select(Grade))}
    subtotal = _("Subtotal")
    widths = column_widths([header, *(row for group in groups.values() for row in group.rows)])
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
        group.rows = []  # printed: the text is all that is kept
    line_count = len(record["lines"])
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
        "text_lines": text_lines,
        "line_blocks": blocks(text_lines),
        "lots": [
            (lots[i], certificates.get(i, []), lot_pieces.get(i, 0)) for i in lot_ids if i in lots
        ],
        "total_pieces": total_pieces,
        "line_count": line_count,
        "tiers": run.result.get("tiers", []),
        "tier_labels": TIER_LABELS,
        "chart": tier_chart(run.result.get("tiers", []), english),
        "usage": plans.grade_usage(run),
        "grade_names": grade_names,
        "printed_at": now_utc(),
    }


def blocks(text_lines: list[str]) -> list[str]:
    """The lines in `<pre>` blocks of LINES_PER_BLOCK lines."""
    return [
        "\n".join(text_lines[i : i + LINES_PER_BLOCK])
        for i in range(0, len(text_lines), LINES_PER_BLOCK)
    ]


def split_lines(text_lines: list[str], part_lines: int) -> list[list[str]]:
    """The printed lines in parts of at most `part_lines` (one part, maybe empty, at least)."""
    size = max(LINES_PER_BLOCK, part_lines // LINES_PER_BLOCK * LINES_PER_BLOCK)
    return [text_lines[i : i + size] for i in range(0, len(text_lines), size)] or [[]]


def part_lines_setting(part_lines: int | None) -> int:
    return part_lines or current_app.config.get("PDF_PART_LINES") or PART_LINES


# Rendering and the store --------------------------------------------------------------------


def pdf_folder() -> Path:
    folder = Path(current_app.instance_path) / "pdf"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _progress_message(done: int, total: int):
    """Lazy, so that a job's reporter can keep it in both languages."""
    return _l("Rendering the PDF: step %(done)s of %(total)s", done=done, total=total)


def _render_and_store(
    parts: Iterator[str], count: int, stem: str, progress: Progress | None
) -> RenderedFile:
    """Render the `count` HTML parts into one PDF and store it as `stem-<file hash>.pdf`."""
    folder = pdf_folder()
    return render_document(
        parts,
        count,
        lambda sha256: folder / f"{stem}-{sha256[:16]}.pdf",
        base_url=current_app.root_path,
        in_child=current_app.config["PDF_RENDER_IN_CHILD"],
        progress=progress,
        messages=_progress_message,
        processes=current_app.config.get("PDF_RENDER_PROCESSES", RENDER_PROCESSES),
    )


def _replace_file(found, rendered: RenderedFile):
    """A stored document whose file went missing from the store: the new file takes its place."""
    found.file_sha256, found.filename = rendered.sha256, rendered.path.name
    found.size, found.pages = rendered.size, rendered.pages
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


def _digest(rows) -> str:
    """SHA-256 of rows of plain values, in the order given."""
    digest = hashlib.sha256()
    for row in rows:
        digest.update("\x1f".join(map(str, row)).encode())
        digest.update(b"\x1e")
    return digest.hexdigest()


def _digest_sql(rows: sa.Select) -> str:
    """SHA-256 of the rows of `rows` (columns of text, never NULL), each column joined into one
    text by the database: a plan of 50,000 units is one row to fetch, not 50,000. The order is
    the ordered subquery's: were a database ever to concatenate in another order, the
    fingerprint would differ and the record would be built, slower but never wrong."""
    subquery = rows.subquery()
    joined = db.session.execute(
        sa.select(*(sa.func.aggregate_strings(column, "\x1e") for column in subquery.c))
    ).one()
    return _digest([[len(rows.selected_columns)], joined])


def has_run(plan_id: int) -> bool:
    """Whether the plan has been run (without loading its runs)."""
    return _current_version(plan_id) is not None


def _current_version(plan_id: int) -> int | None:
    return db.session.scalar(
        sa.select(sa.func.max(PlanRun.version)).where(PlanRun.plan_id == plan_id)
    )


def plan_fingerprint(plan: Plan, language: str) -> str | None:
    """What the record of the plan as printed now depends on that can change after it was
    printed: the run, the last status change, the names of the round, units and lots and of the
    people who ran and moved the plan. Lines, quantities and ledger entries are fixed once a
    plan is approved, so the ids say them. A few narrow queries, no record built."""
    version = _current_version(plan.id)
    if version is None:
        return None
    run_id = db.session.scalar(
        sa.select(PlanRun.id).where(PlanRun.plan_id == plan.id, PlanRun.version == version)
    )
    # The names of the units and lots, line by line (the record's only names that can change;
    # a unit's tier or district is printed, not vouched for: a PDF stored for the same record
    # is served as it was).
    names = _digest_sql(
        sa.select(Recipient.name, Lot.lot_number)
        .select_from(PlanLine)
        .join(Recipient, Recipient.id == PlanLine.recipient_id)
        .join(Lot, Lot.id == PlanLine.lot_id)
        .where(PlanLine.run_id == run_id)
        .order_by(PlanLine.id)
    )
    people = db.session.execute(
        sa.select(PlanTransition.id, User.username, User.display_name)
        .outerjoin(User, User.id == PlanTransition.actor_id)
        .where(PlanTransition.plan_id == plan.id)
        .order_by(PlanTransition.id)
    )
    ran_by = db.session.execute(
        sa.select(User.username, User.display_name)
        .join(PlanRun, PlanRun.ran_by_id == User.id)
        .where(PlanRun.id == run_id)
    ).all()
    head = [RECORD_FORMAT, plan.id, plan.number, run_id, version, language]
    head += [plan.status.value, plan.round.name, _iso(plan.round.round_date), *ran_by]
    return _digest([head, [names], [_digest(people)]])


def stored_plan_document(plan: Plan, language: str) -> PlanDocument | None:
    """The stored PDF of the plan as it would be printed now, found by its fingerprint without
    rebuilding the record (None: render, or look it up by its record, as `plan_document` does).
    """
    if language not in LANGUAGES:
        language = LANGUAGES[0]
    fingerprint = plan_fingerprint(plan, language)
    if fingerprint is None:
        return None
    found = db.session.scalar(
        sa.select(PlanDocument)
        .options(sa.orm.defer(PlanDocument.content))  # megabytes for a long plan, not needed
        .where(
            PlanDocument.plan_id == plan.id,
            PlanDocument.language == language,
            PlanDocument.source_fingerprint == fingerprint,
        )
        .order_by(PlanDocument.id.desc())
        .limit(1)
    )
    if found is not None and document_path(found).is_file():
        return found
    return None


def plan_html_parts(
    plan: Plan, record: dict, content_sha256: str, language: str, part_lines: int | None = None
) -> tuple[int, Iterator[str]]:
    """(count, the HTML of each part) of the plan's PDF: the first part has the plan's facts,
    the last its totals and signatures, and every part at most `part_lines` printed lines."""
    with force_locale(language):
        context = plan_context(plan, record, content_sha256, english=language == "en")
    parts = split_lines(context.pop("text_lines"), part_lines_setting(part_lines))
    context.pop("line_blocks")
    count = len(parts)

    def generate() -> Iterator[str]:
        for number, lines in enumerate(parts, start=1):
            with force_locale(language):
                yield render_template(
                    "audit/plan_pdf.html",
                    **context,
                    line_blocks=blocks(lines),
                    first_part=number == 1,
                    last_part=number == count,
                    volume=number,
                    volumes=count,
                )
            parts[number - 1] = []

    return count, generate()


def render_plan_html(plan: Plan, language: str = "zh") -> str:
    """The HTML of the plan's PDF as it would be rendered now, in one part (bench and tests)."""
    record = plan_record(plan)
    _count, parts = plan_html_parts(plan, record, sha256_text(canonical(record)), language, 10**9)
    return next(parts)


def plan_document(
    plan: Plan,
    language: str,
    actor_id: int | None,
    progress: Progress | None = None,
    part_lines: int | None = None,
) -> PlanDocument:
    """The stored PDF of the plan's current record in `language`, rendered the first time (in
    parts of at most `part_lines` printed lines; `progress(done, total, message)` after each).

    Flushes, never commits."""
    if plan.status not in PRINTABLE:
        raise ServiceError("only approved or issued plans are printed")
    if language not in LANGUAGES:
        language = LANGUAGES[0]
    stored = stored_plan_document(plan, language)
    if stored is not None:
        if progress:
            progress(1, 1, _l("The PDF is ready."))
        return stored
    fingerprint = plan_fingerprint(plan, language)
    last = max((t.id for t in plan.transitions), default=None)
    record = plan_record(plan, last)
    text = canonical(record)
    content_sha256 = sha256_text(text)
    same = sa.select(PlanDocument).where(
        PlanDocument.content_sha256 == content_sha256, PlanDocument.language == language
    )
    found = db.session.scalar(same)
    if found is not None and (pdf_folder() / found.filename).is_file():
        found.source_fingerprint = fingerprint  # the same record: found cheaply from now on
        db.session.flush()
        if progress:
            progress(1, 1, _l("The PDF is ready."))
        return found
    count, parts = plan_html_parts(plan, record, content_sha256, language, part_lines)
    rendered = _render_and_store(
        parts, count, f"{plan.number}-v{plan.current_run.version}-{language}", progress
    )
    if found is not None:
        found.source_fingerprint = fingerprint
        return _replace_file(found, rendered)
    document = PlanDocument(
        plan_id=plan.id,
        run_version=plan.current_run.version,
        language=language,
        content_sha256=content_sha256,
        content=text,
        last_transition_id=last,
        source_fingerprint=fingerprint,
        file_sha256=rendered.sha256,
        filename=rendered.path.name,
        size=rendered.size,
        pages=rendered.pages,
        created_by_id=actor_id,
    )
    return _add_first(document, same)


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


def recall_fingerprint(lot: Lot, language: str) -> str:
    """What a recall report of the lot prints that can change: its last delivery (the entries
    up to it are fixed), the lot's own facts, and the name, tier and contact of everyone who
    received it. A few narrow queries, no report built."""
    through_seq = reports.recall_through_seq(lot.id)
    receivers = _digest_sql(
        sa.select(Recipient.name, Recipient.contact, sa.cast(Recipient.tier, sa.String))
        .where(
            Recipient.id.in_(
                reports.recall_entries(lot.id)
                .where(LedgerEntry.seq <= through_seq)
                .with_only_columns(LedgerEntry.recipient_id)
            )
        )
        .order_by(Recipient.id)
    )
    product = lot.product
    head = [RECORD_FORMAT, "recall", lot.id, language, through_seq, lot.lot_number]
    head += [lot.grade.code, lot.grade.name, lot.grade.standard, product.maker, product.model]
    head += [_iso(lot.expiry_date), lot.pieces_received]
    return _digest([head, [receivers]])


def _report_parts(
    kind: str, report, content_sha256: str, language: str, part_lines: int | None
) -> list[str]:
    """The HTML of each part of a report (a daily report is one part; a recall report is split
    every `part_lines` printed lines), with PRINTED_AT_MARK for the print time."""
    english = language == "en"
    with force_locale(language):
        common = {
            "report": report,
            "kinds": reports.DAILY_KINDS,
            "content_sha256": content_sha256,
            "english": english,
            "printed_at": PRINTED_AT_MARK,
        }
        if kind == "daily":
            return [render_template(REPORT_TEMPLATES[kind], **common)]
        text = reports.recall_text(report)
    receipts, entries = text["receipt_lines"], text["entry_lines"]
    everything = [("r", line) for line in receipts] + [("e", line) for line in entries]
    parts = split_lines(everything, part_lines_setting(part_lines))
    pages = []
    for number, lines in enumerate(parts, start=1):
        with force_locale(language):
            pages.append(
                render_template(
                    REPORT_TEMPLATES[kind],
                    **common,
                    receipt_header=text["receipt_header"],
                    entry_header=text["entry_header"],
                    receipt_blocks=blocks([line for k, line in lines if k == "r"]),
                    entry_blocks=blocks([line for k, line in lines if k == "e"]),
                    no_receipts=not receipts,
                    first_part=number == 1,
                    last_part=number == len(parts),
                    volume=number,
                    volumes=len(parts),
                )
            )
    return pages


def stored_report_document(kind: str, subject, language: str) -> ReportDocument | None:
    """The stored recall report PDF of the lot as it would be printed now, found by its
    fingerprint without building the report (None: render, or look it up as
    `report_document` does; daily reports are small and always looked up by their page)."""
    if kind != "recall":
        return None
    if language not in LANGUAGES:
        language = LANGUAGES[0]
    found = db.session.scalar(
        sa.select(ReportDocument)
        .options(sa.orm.defer(ReportDocument.content))
        .where(
            ReportDocument.kind == kind,
            ReportDocument.lot_id == subject.id,
            ReportDocument.source_fingerprint == recall_fingerprint(subject, language),
        )
        .order_by(ReportDocument.id.desc())
        .limit(1)
    )
    if found is not None and document_path(found).is_file():
        return found
    return None


def report_document(
    kind: str,
    subject,
    language: str,
    actor_id: int | None,
    progress: Progress | None = None,
    part_lines: int | None = None,
) -> ReportDocument:
    """The stored PDF of a daily report (`subject`: the day) or a recall report (the lot) as the
    ledger says now, in `language`: served again while the page would print the same, rendered
    otherwise (a long recall report in parts of at most `part_lines` printed lines;
    `progress(done, total, message)` after each). Flushes, never commits."""
    if language not in LANGUAGES:
        language = LANGUAGES[0]
    stored = stored_report_document(kind, subject, language)
    if stored is not None:
        if progress:
            progress(1, 1, _l("The PDF is ready."))
        return stored
    fingerprint = recall_fingerprint(subject, language) if kind == "recall" else None
    report, record = report_of(kind, subject)
    text = canonical(record)
    content_sha256 = sha256_text(text)
    pages = _report_parts(kind, report, content_sha256, language, part_lines)
    page_sha256 = sha256_text(pages[0]) if len(pages) == 1 else _digest([pages])
    same = sa.select(ReportDocument).where(ReportDocument.page_sha256 == page_sha256)
    found = db.session.scalar(same)
    if found is not None and (pdf_folder() / found.filename).is_file():
        if fingerprint is not None:
            found.source_fingerprint = fingerprint  # found cheaply from now on
            db.session.flush()
        if progress:
            progress(1, 1, _l("The PDF is ready."))
        return found
    with force_locale(language):
        printed_at = format_datetime(now_utc(), "short")
    name = subject.isoformat() if kind == "daily" else f"lot{subject.id}"
    rendered = _render_and_store(
        (page.replace(PRINTED_AT_MARK, printed_at) for page in pages),
        len(pages),
        f"{kind}-{name}-{language}",
        progress,
    )
    if found is not None:
        found.source_fingerprint = fingerprint
        return _replace_file(found, rendered)
    document = ReportDocument(
        kind=kind,
        day=subject if kind == "daily" else None,
        lot_id=subject.id if kind == "recall" else None,
        through_seq=record["through_seq"],
        language=language,
        content_sha256=content_sha256,
        content=text,
        page_sha256=page_sha256,
        source_fingerprint=fingerprint,
        file_sha256=rendered.sha256,
        filename=rendered.path.name,
        size=rendered.size,
        pages=rendered.pages,
        created_by_id=actor_id,
    )
    return _add_first(document, same)


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
