"""Read-only questions the allocation pages ask, one page of a long list at a time.

A province has tens of thousands of recipients, and a round or a plan as many requests and
lines: a page shows one page of rows (`core.pages.Page`), filtered in SQL, and its totals and
summaries are SQL aggregates over the whole filtered list, never rows loaded into Python.

A plan run keeps the solver's whole answer in one JSON document (`PlanRun.result`), which
grows to megabytes with the plan; the pages never load it. What they list comes from the
run's `PlanRunRequest` rows (written with the run: each request's amounts, reason and its
recipient's place in the run's order) and its lines; the tier summary and the run's totals,
which never change once the run is written, are read once per run and kept in a small cache
(`digest`).
"""

from collections import OrderedDict
from dataclasses import dataclass, field
from threading import Lock

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, defer, joinedload

from catalog.models import Grade, Lot, Product
from core.pages import Page
from extensions import db
from ledger.models import EntryKind, LedgerEntry
from ledger.services import DOC_PLAN_LINE
from recipients.models import TIERS, Recipient, RecipientCategory

from .models import AllocationRequest, Delivery, Plan, PlanLine, PlanRun, PlanRunRequest

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
        if chosen.search or chosen.tier in TIERS:
            query = query.join(Recipient, AllocationRequest.recipient_id == Recipient.id)
        query = query.where(*chosen.conditions())
    return [
        GradeDemand(grade, int(n), int(quantity or 0), int(minimum or 0))
        for grade, n, quantity, minimum in db.session.execute(query)
    ]


def round_requests(
    round_id: int,
    chosen: RequestFilter,
    page: int = 1,
    per_page: int = REQUESTS_PER_PAGE,
    total: int | None = None,
) -> Page:
    """One page of the round's active requests (by tier, recipient name), as filtered;
    `total`, how many match, when the caller knows it already (from `round_demand`)."""
    conditions = chosen.conditions()
    if total is None:
        total = sum(d.requests for d in round_demand(round_id, chosen))
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
    over the requests it served and its lines, which never change once the run is written)."""

    tiers: list[dict]
    held_back: dict
    left_over: dict
    totals: LineTotals = field(default_factory=LineTotals)
    requested_by_grade: dict[str, int] = field(default_factory=dict)  # the request's own grade
    given_by_grade: dict[str, int] = field(default_factory=dict)  # the grade handed out
    given_recipients: int = 0  # recipients given anything
    issue_entries: dict[str, int] = field(default_factory=dict)  # by the plan's status


_DIGESTS: OrderedDict = OrderedDict()
_DIGESTS_KEPT = 8
_digest_lock = Lock()


def digest(run: PlanRun, round_id: int) -> RunDigest:
    """The run's digest, read once per process (runs never change once written): its summary
    (never the whole result, megabytes at province scale) and the totals of its
    `PlanRunRequest` rows and lines."""
    key = (str(db.engine.url), run.id, run.plan_id, run.version, run.ran_at)
    with _digest_lock:
        found = _DIGESTS.get(key)
        if found is not None:
            _DIGESTS.move_to_end(key)
            return found
    summary = db.session.scalar(sa.select(PlanRun.summary).where(PlanRun.id == run.id)) or {}
    found = RunDigest(
        tiers=summary.get("tiers", []),
        held_back=summary.get("held_back", {}),
        left_over=summary.get("left_over", {}),
    )
    found.totals = _line_totals(run, LineFilter())
    found.requested_by_grade = {
        code: int(n or 0)
        for code, n in db.session.execute(
            sa.select(Grade.code, sa.func.sum(PlanRunRequest.requested))
            .join(Grade, PlanRunRequest.grade_id == Grade.id)
            .where(PlanRunRequest.run_id == run.id)
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
            .where(PlanRun.plan_id == plan.id)
            .options(defer(PlanRun.result), defer(PlanRun.summary))
            .order_by(PlanRun.version)
        )
    )


@dataclass(frozen=True)
class LineFilter(RequestFilter):
    """The plan page's filter. Its tier is the tier the run served the request in."""

    short: bool = False  # only requests given less than they asked for

    @property
    def active(self) -> bool:
        return super().active or self.short

    def run_conditions(self, run: PlanRun) -> list:
        found = [PlanRunRequest.run_id == run.id]
        if self.search:
            found.append(
                PlanRunRequest.recipient_id.in_(
                    sa.select(Recipient.id).where(_name_matches(self.search, Recipient.name))
                )
            )
        if self.tier in TIERS:
            found.append(PlanRunRequest.tier == self.tier)
        if self.grade:
            found.append(
                PlanRunRequest.grade_id
                == sa.select(Grade.id).where(Grade.code == self.grade).scalar_subquery()
            )
        if self.short:
            found.append(PlanRunRequest.allocated < PlanRunRequest.requested)
        return found


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


def _line_totals(run: PlanRun, chosen: LineFilter) -> LineTotals:
    totals = db.session.execute(
        sa.select(
            sa.func.count(sa.distinct(PlanRunRequest.recipient_id)),
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(PlanRunRequest.requested), 0),
            sa.func.coalesce(sa.func.sum(PlanRunRequest.allocated), 0),
        ).where(*chosen.run_conditions(run))
    ).one()
    return LineTotals(*(int(n) for n in totals))


def plan_lines(
    run: PlanRun,
    round_id: int,
    chosen: LineFilter,
    page: int = 1,
    per_page: int = PLAN_RECIPIENTS_PER_PAGE,
) -> tuple[Page, LineTotals]:
    """One page of the plan's recipients in the run's order (by tier, fill with the least
    served first, name: `PlanRunRequest.position`), each with its requests that match the
    filter and their lines, and the totals of everything the filter matches."""
    found = digest(run, round_id)
    sums = _line_totals(run, chosen) if chosen.active else found.totals
    conditions = chosen.run_conditions(run)
    query = (
        sa.select(
            PlanRunRequest.recipient_id,
            sa.func.sum(PlanRunRequest.requested),
            sa.func.sum(PlanRunRequest.allocated),
        )
        .where(*conditions)
        .group_by(PlanRunRequest.position, PlanRunRequest.recipient_id)
        .order_by(PlanRunRequest.position)
    )
    result = _page(query, page, per_page, sums.recipients)
    shown = {recipient_id: (int(a), int(b)) for recipient_id, a, b in result.items}
    plan_rows = {}
    if shown:
        recipients = {
            r.id: r
            for r in db.session.scalars(sa.select(Recipient).where(Recipient.id.in_(list(shown))))
        }
        for recipient_id, (requested, allocated) in shown.items():
            plan_rows[recipient_id] = PlanRow(recipients[recipient_id], requested, allocated)
        # The page's requests and lines only.
        served = db.session.execute(
            sa.select(PlanRunRequest, AllocationRequest)
            .join(AllocationRequest, PlanRunRequest.request_id == AllocationRequest.id)
            .where(*conditions, PlanRunRequest.recipient_id.in_(list(shown)))
            .options(joinedload(AllocationRequest.grade))
            .order_by(PlanRunRequest.request_id)
        ).all()
        lines = db.session.scalars(
            sa.select(PlanLine)
            .where(
                PlanLine.run_id == run.id,
                PlanLine.request_id.in_([row.request_id for row, _ in served]),
            )
            .order_by(PlanLine.id)
        ).unique()
        by_request: dict[int, list] = {}
        for line in lines:
            by_request.setdefault(line.request_id, []).append(line)
        for row, req in served:
            res = {
                "requested": row.requested,
                "allocated": row.allocated,
                "reason_zh": row.reason_zh,
                "reason_en": row.reason_en,
            }
            plan_row = plan_rows[row.recipient_id]
            plan_row.requests.append((req, res))
            plan_row.by_request[req.id] = by_request.get(req.id, [])
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
