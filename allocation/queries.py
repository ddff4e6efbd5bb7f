"""Read-only questions the allocation pages ask, one page of a long list at a time.

A province has tens of thousands of recipients, and a round or a plan as many requests and
lines: a page shows one page of rows (`core.pages.Page`), filtered in SQL, and its totals and
summaries are SQL aggregates over the whole filtered list, never rows loaded into Python.

A plan run keeps the solver's answer per request (its reason in both languages) in one JSON
document (`PlanRun.result`), which grows to megabytes with the plan. Runs never change once
written, so what the pages need of it (the tier summary, the reasons, which requests of the
round the run covered) is read once per run and kept in a small cache (`digest`); the rows
themselves come from the tables.
"""

from collections import OrderedDict
from dataclasses import dataclass, field
from threading import Lock

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, defer

from catalog.models import Grade, Lot, Product
from core.pages import Page
from extensions import db
from ledger.models import EntryKind, LedgerEntry
from ledger.services import DOC_PLAN_LINE
from recipients.models import TIERS, Recipient, RecipientCategory

from .models import AllocationRequest, Delivery, Plan, PlanLine, PlanRun

RECIPIENTS_PER_PAGE = 100
REQUESTS_PER_PAGE = 100
PLAN_RECIPIENTS_PER_PAGE = 50
# Up to this many active recipients, the "add a request" form offers them all in its list;
# beyond it, the list holds those matching a search (CHOICES_FOUND at most).
ALL_CHOICES = 500
CHOICES_FOUND = 100


def _page(query: sa.Select, page: int, per_page: int, total: int, scalars: bool = False) -> Page:
    """One page of `query` when its row count is already known (from a totals query)."""
    last = max(1, -(-total // per_page))
    page = max(1, min(page, last))
    limited = query.limit(per_page).offset((page - 1) * per_page)
    result = db.session.scalars(limited) if scalars else db.session.execute(limited)
    return Page(list(result.unique() if scalars else result), page, per_page, total)


def _like(text: str) -> str:
    """A LIKE pattern that finds `text` anywhere, its own % and _ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _name_matches(search: str, *columns) -> sa.ColumnElement:
    pattern = _like(search)
    return sa.or_(*(c.ilike(pattern, escape="\\") for c in columns))


# The recipients register ----------------------------------------------------------------------


@dataclass(frozen=True)
class RecipientFilter:
    search: str = ""
    category: str = ""
    tier: int | None = None
    district: str = ""
    include_inactive: bool = False

    def conditions(self) -> list:
        found = []
        if self.search:
            found.append(_name_matches(self.search, Recipient.name, Recipient.contact))
        if self.category in {c.value for c in RecipientCategory}:
            found.append(Recipient.category == RecipientCategory(self.category))
        if self.tier in TIERS:
            found.append(Recipient.tier == self.tier)
        if self.district:
            found.append(Recipient.district == self.district)
        if not self.include_inactive:
            found.append(Recipient.active.is_(True))
        return found


@dataclass
class TierCount:
    tier: int
    recipients: int


def recipients_page(
    chosen: RecipientFilter, page: int = 1, per_page: int = RECIPIENTS_PER_PAGE
) -> tuple[Page, list[TierCount]]:
    """One page of the register (by tier, category, name) and how many match, per tier."""
    conditions = chosen.conditions()
    by_tier = [
        TierCount(tier, count)
        for tier, count in db.session.execute(
            sa.select(Recipient.tier, sa.func.count(Recipient.id))
            .where(*conditions)
            .group_by(Recipient.tier)
            .order_by(Recipient.tier)
        )
    ]
    query = (
        sa.select(Recipient)
        .where(*conditions)
        .order_by(Recipient.tier, Recipient.category, Recipient.name, Recipient.id)
    )
    total = sum(t.recipients for t in by_tier)
    return _page(query, page, per_page, total, scalars=True), by_tier


def recipient_choices(search: str = "", chosen_id: int | None = None) -> tuple[list, bool]:
    """Choices for the "add a request" form's recipient list, and whether that list is only
    those matching `search` (a province has too many units for one list). `chosen_id`, the
    recipient a submitted form names, is always among them when it is active."""
    active = Recipient.active.is_(True)
    query = sa.select(Recipient).where(active).order_by(Recipient.tier, Recipient.name)
    count = db.session.scalar(sa.select(sa.func.count(Recipient.id)).where(active))
    narrowed = count > ALL_CHOICES
    if narrowed:
        wanted = []
        if search:
            wanted.append(_name_matches(search, Recipient.name))
        if chosen_id is not None:
            wanted.append(Recipient.id == chosen_id)
        query = query.where(sa.or_(*wanted) if wanted else sa.false()).limit(CHOICES_FOUND)
    return [(r.id, f"{r.name}（{r.tier}）") for r in db.session.scalars(query)], narrowed


# A round's requests ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestFilter:
    search: str = ""
    tier: int | None = None
    grade: str = ""  # a grade code

    def conditions(self) -> list:
        found = []
        if self.search:
            found.append(_name_matches(self.search, Recipient.name))
        if self.tier in TIERS:
            found.append(Recipient.tier == self.tier)
        if self.grade:
            found.append(Grade.code == self.grade)
        return found

    @property
    def active(self) -> bool:
        return bool(self.search or self.tier in TIERS or self.grade)


@dataclass
class GradeDemand:
    grade: Grade
    requests: int
    quantity: int
    minimum: int


def _active_requests(round_id: int) -> list:
    return [AllocationRequest.round_id == round_id, AllocationRequest.withdrawn_at.is_(None)]


def round_demand(round_id: int, chosen: RequestFilter | None = None) -> list[GradeDemand]:
    """Per grade: the round's active requests (those matching `chosen`), their pieces and
    guaranteed minimums."""
    query = (
        sa.select(
            Grade,
            sa.func.count(AllocationRequest.id),
            sa.func.sum(AllocationRequest.quantity),
            sa.func.sum(AllocationRequest.minimum),
        )
        .join(Grade, AllocationRequest.grade_id == Grade.id)
        .where(*_active_requests(round_id))
        .group_by(Grade.id)
        .order_by(Grade.id)
    )
    if chosen is not None and chosen.active:
        query = query.join(Recipient, AllocationRequest.recipient_id == Recipient.id).where(
            *chosen.conditions()
        )
    return [
        GradeDemand(grade, int(n), int(quantity or 0), int(minimum or 0))
        for grade, n, quantity, minimum in db.session.execute(query)
    ]


def round_requests(
    round_id: int, chosen: RequestFilter, page: int = 1, per_page: int = REQUESTS_PER_PAGE
) -> Page:
    """One page of the round's active requests (by tier, recipient name), as filtered."""
    conditions = chosen.conditions()
    base = (
        sa.select(AllocationRequest.id)
        .join(Recipient, AllocationRequest.recipient_id == Recipient.id)
        .join(Grade, AllocationRequest.grade_id == Grade.id)
        .where(*_active_requests(round_id), *conditions)
    )
    total = (
        db.session.scalar(sa.select(sa.func.count()).select_from(base.subquery()))
        if conditions
        else count_active_requests(round_id)  # no joins to count when nothing is filtered
    )
    query = (
        sa.select(AllocationRequest)
        .join(Recipient, AllocationRequest.recipient_id == Recipient.id)
        .join(Grade, AllocationRequest.grade_id == Grade.id)
        .where(*_active_requests(round_id), *conditions)
        .options(
            contains_eager(AllocationRequest.recipient), contains_eager(AllocationRequest.grade)
        )  # the joins above, not a second (eager) copy of them
        .order_by(Recipient.tier, Recipient.name, AllocationRequest.id)
    )
    return _page(query, page, per_page, total, scalars=True)


def count_active_requests(round_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(AllocationRequest.id)).where(*_active_requests(round_id))
    )


# A plan ---------------------------------------------------------------------------------------


@dataclass
class LineTotals:
    recipients: int = 0
    requests: int = 0
    requested: int = 0
    allocated: int = 0

    @property
    def shortfall(self) -> int:
        return self.requested - self.allocated


@dataclass
class RunDigest:
    """What the pages need of a run's JSON result, and the run's own totals (SQL aggregates
    over its requests and lines, which never change once the run is written)."""

    excluded: frozenset[int]  # requests of the round the run did not cover
    tiers: list[dict]
    held_back: dict
    left_over: dict
    reasons: dict[int, tuple[str, str]]  # request id -> (Chinese, English)
    totals: LineTotals = field(default_factory=LineTotals)
    requested_by_grade: dict[str, int] = field(default_factory=dict)  # the request's own grade
    given_by_grade: dict[str, int] = field(default_factory=dict)  # the grade handed out
    given_recipients: int = 0  # recipients given anything
    issue_entries: dict[str, int] = field(default_factory=dict)  # by the plan's status


_DIGESTS: OrderedDict = OrderedDict()
_DIGESTS_KEPT = 8
_digest_lock = Lock()


def digest(run: PlanRun, round_id: int) -> RunDigest:
    """The run's digest, read from its result once (runs never change once written)."""
    key = (str(db.engine.url), run.id, run.plan_id, run.version, run.ran_at)
    with _digest_lock:
        found = _DIGESTS.get(key)
        if found is not None:
            _DIGESTS.move_to_end(key)
            return found
    result = db.session.scalar(sa.select(PlanRun.result).where(PlanRun.id == run.id)) or {}
    covered = {int(i) for i in result.get("request_ids", [])}
    in_round = set(
        db.session.scalars(
            sa.select(AllocationRequest.id).where(AllocationRequest.round_id == round_id)
        )
    )
    texts: dict[tuple[str, str], tuple[str, str]] = {}
    reasons = {}
    for rid, res in result.get("requests", {}).items():
        pair = (res.get("reason_zh", ""), res.get("reason_en", ""))
        reasons[int(rid)] = texts.setdefault(pair, pair)  # one copy of each distinct reason
    found = RunDigest(
        excluded=frozenset(in_round - covered),
        tiers=result.get("tiers", []),
        held_back=result.get("held_back", {}),
        left_over=result.get("left_over", {}),
        reasons=reasons,
    )
    del result
    found.totals = _line_totals(run, round_id, found, LineFilter())
    found.requested_by_grade = {
        code: int(n or 0)
        for code, n in db.session.execute(
            sa.select(Grade.code, sa.func.sum(AllocationRequest.quantity))
            .join(Grade, AllocationRequest.grade_id == Grade.id)
            .where(*_in_run(run, round_id, found))
            .group_by(Grade.code)
        )
    }
    found.given_by_grade = {
        code: int(n or 0)
        for code, n in db.session.execute(
            sa.select(Grade.code, sa.func.sum(PlanLine.quantity))
            .join(Lot, PlanLine.lot_id == Lot.id)
            .join(Product, Lot.product_id == Product.id)
            .join(Grade, Product.grade_id == Grade.id)
            .where(PlanLine.run_id == run.id)
            .group_by(Grade.code)
        )
    }
    found.given_recipients = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(PlanLine.recipient_id))).where(
            PlanLine.run_id == run.id
        )
    )
    with _digest_lock:
        _DIGESTS[key] = found
        while len(_DIGESTS) > _DIGESTS_KEPT:
            _DIGESTS.popitem(last=False)
    return found


def plan_runs(plan: Plan) -> list[PlanRun]:
    """The plan's runs, oldest first, without their (large) results."""
    return list(
        db.session.scalars(
            sa.select(PlanRun)
            .options(defer(PlanRun.result))
            .where(PlanRun.plan_id == plan.id)
            .order_by(PlanRun.version)
        )
    )


@dataclass(frozen=True)
class LineFilter(RequestFilter):
    short: bool = False  # only requests given less than they asked for

    @property
    def active(self) -> bool:
        return super().active or self.short


def _in_run(run: PlanRun, round_id: int, found: RunDigest) -> list:
    conditions = [AllocationRequest.round_id == round_id]
    if found.excluded:
        conditions.append(AllocationRequest.id.not_in(sorted(found.excluded)))
    return conditions


def _allocated(run: PlanRun) -> sa.Subquery:
    return (
        sa.select(PlanLine.request_id, sa.func.sum(PlanLine.quantity).label("allocated"))
        .where(PlanLine.run_id == run.id)
        .group_by(PlanLine.request_id)
        .subquery("allocated")
    )


def _line_requests(run: PlanRun, round_id: int, found: RunDigest, chosen: LineFilter):
    """The run's requests as filtered: (request id, recipient id, requested, allocated)."""
    allocated = _allocated(run)
    given = sa.func.coalesce(allocated.c.allocated, 0)
    query = (
        sa.select(
            AllocationRequest.id.label("request_id"),
            AllocationRequest.recipient_id.label("recipient_id"),
            AllocationRequest.quantity.label("requested"),
            given.label("allocated"),
        )
        .outerjoin(allocated, allocated.c.request_id == AllocationRequest.id)
        .where(*_in_run(run, round_id, found))
    )
    if chosen.search or chosen.tier in TIERS:
        query = query.join(Recipient, AllocationRequest.recipient_id == Recipient.id)
    if chosen.grade:
        query = query.join(Grade, AllocationRequest.grade_id == Grade.id)
    query = query.where(*chosen.conditions())
    if chosen.short:
        query = query.where(given < AllocationRequest.quantity)
    return query


@dataclass
class PlanRow:
    """A recipient of the plan with its requests (those matching the filter) and their lines."""

    recipient: Recipient
    requested: int
    allocated: int
    requests: list = field(default_factory=list)  # (AllocationRequest, result dict)
    by_request: dict = field(default_factory=dict)  # request id -> its lines

    @property
    def fill(self) -> float:
        return self.allocated / self.requested if self.requested else 1.0


def _line_totals(run: PlanRun, round_id: int, found: RunDigest, chosen: LineFilter) -> LineTotals:
    rows = _line_requests(run, round_id, found, chosen).subquery("rows")
    totals = db.session.execute(
        sa.select(
            sa.func.count(sa.distinct(rows.c.recipient_id)),
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(rows.c.requested), 0),
            sa.func.coalesce(sa.func.sum(rows.c.allocated), 0),
        )
    ).one()
    return LineTotals(*(int(n) for n in totals))


def plan_lines(
    run: PlanRun,
    round_id: int,
    chosen: LineFilter,
    page: int = 1,
    per_page: int = PLAN_RECIPIENTS_PER_PAGE,
) -> tuple[Page, LineTotals]:
    """One page of the plan's recipients (by tier, fill with the least served first, name),
    each with its requests and lines, and the totals of everything the filter matches."""
    found = digest(run, round_id)
    sums = _line_totals(run, round_id, found, chosen) if chosen.active else found.totals
    rows = _line_requests(run, round_id, found, chosen).subquery("rows")
    per = (
        sa.select(
            rows.c.recipient_id,
            sa.func.sum(rows.c.requested).label("requested"),
            sa.func.sum(rows.c.allocated).label("allocated"),
        )
        .group_by(rows.c.recipient_id)
        .subquery("per")
    )
    query = (
        sa.select(Recipient, per.c.requested, per.c.allocated)
        .join(per, per.c.recipient_id == Recipient.id)
        .order_by(
            Recipient.tier,
            sa.cast(per.c.allocated, sa.Float) / per.c.requested,
            Recipient.name,
            Recipient.id,
        )
    )
    result = _page(query, page, per_page, sums.recipients)
    plan_rows = {
        recipient.id: PlanRow(recipient, int(requested), int(allocated))
        for recipient, requested, allocated in result.items
    }
    if plan_rows:
        # The page's requests and lines only; the filter's conditions on them again in Python.
        requests = db.session.scalars(
            sa.select(AllocationRequest)
            .where(
                *_in_run(run, round_id, found),
                AllocationRequest.recipient_id.in_(list(plan_rows)),
            )
            .order_by(AllocationRequest.id)
        ).unique()
        requests = [r for r in requests if not chosen.grade or r.grade.code == chosen.grade]
        lines = db.session.scalars(
            sa.select(PlanLine)
            .where(PlanLine.run_id == run.id, PlanLine.request_id.in_([r.id for r in requests]))
            .order_by(PlanLine.id)
        ).unique()
        by_request: dict[int, list] = {}
        for line in lines:
            by_request.setdefault(line.request_id, []).append(line)
        for req in requests:
            given = sum(line.quantity for line in by_request.get(req.id, []))
            if chosen.short and given >= req.quantity:
                continue
            zh, en = found.reasons.get(req.id, ("", ""))
            res = {"requested": req.quantity, "allocated": given, "reason_zh": zh, "reason_en": en}
            row = plan_rows[req.recipient_id]
            row.requests.append((req, res))
            row.by_request[req.id] = by_request.get(req.id, [])
    result.items = list(plan_rows.values())
    return result, sums


def grade_usage(run: PlanRun, round_id: int) -> list[dict]:
    """Per grade: stock the run saw, reserve held back, requested (under the request's own
    grade), handed out (under the grade given, substitutes included), left over."""
    found = digest(run, round_id)
    usage: dict[str, dict] = {}
    grades = {g.code: g for g in db.session.scalars(sa.select(Grade))}

    def row(code):
        return usage.setdefault(
            code,
            {
                "grade": grades.get(code),
                "code": code,
                "stock": 0,
                "held_back": 0,
                "requested": 0,
                "allocated": 0,
                "left_over": 0,
            },
        )

    for lot in run.lots:
        row(lot["grade"])["stock"] += lot["available"]
    for code, n in found.held_back.items():
        row(code)["held_back"] = n
    for code, n in found.left_over.items():
        row(code)["left_over"] = n
    for code, n in found.requested_by_grade.items():
        row(code)["requested"] += n
    for code, n in found.given_by_grade.items():
        row(code)["allocated"] += n
    # Grades nobody asked for or received (gloves in a mask round) are left out.
    return sorted(
        (u for u in usage.values() if u["requested"] or u["allocated"]), key=lambda r: r["code"]
    )


@dataclass
class Receipts:
    """Signed receipts of an issued plan, against what it issued."""

    units: int  # recipients that signed
    received: int
    recipients: int  # recipients given anything
    issued: int


def receipts(plan: Plan, run: PlanRun) -> Receipts:
    signed, received = db.session.execute(
        sa.select(
            sa.func.count(Delivery.id), sa.func.coalesce(sa.func.sum(Delivery.quantity_received), 0)
        ).where(Delivery.plan_id == plan.id)
    ).one()
    found = digest(run, plan.round_id)
    return Receipts(int(signed), int(received), found.given_recipients, found.totals.allocated)


def deliveries_of(plan: Plan, recipient_ids) -> dict[int, Delivery]:
    """The signed receipts of these recipients (a page's) for the plan."""
    ids = list(recipient_ids)
    if not ids:
        return {}
    return {
        d.recipient_id: d
        for d in db.session.scalars(
            sa.select(Delivery).where(Delivery.plan_id == plan.id, Delivery.recipient_id.in_(ids))
        )
    }


def count_issue_entries(plan: Plan, run: PlanRun) -> int:
    """How many ledger entries issued the run's lines (the ledger is append-only: once the
    plan is issued, or reversed, the count no longer changes, and is kept with the digest)."""
    found = digest(run, plan.round_id)
    status = plan.status.value
    if status not in found.issue_entries:
        found.issue_entries[status] = db.session.scalar(
            sa.select(sa.func.count(LedgerEntry.seq)).where(
                LedgerEntry.kind == EntryKind.ISSUE,
                LedgerEntry.document_type == DOC_PLAN_LINE,
                LedgerEntry.document_id.in_(
                    sa.select(PlanLine.id).where(PlanLine.run_id == run.id)
                ),
            )
        )
    return found.issue_entries[status]
