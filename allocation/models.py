"""Allocation: rounds and the requests units make in them, the allocation policy, and plans
with their runs, lines, transitions, reversals and deliveries.

The units themselves are in `recipients.models`; grades and lots in `catalog.models`.
"""

import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import User
from catalog.models import Grade, Lot
from core.db import UTCDateTime, enum_type, now_utc
from extensions import db
from recipients.models import Recipient

# Rounds and requests (调配轮次 / 需求申报) ---------------------------------------------------


class RoundStatus(enum.StrEnum):
    OPEN = "open"  # requests are taken
    CLOSED = "closed"  # a plan of the round was issued

    @property
    def label(self) -> str:
        return str(ROUND_STATUS_LABELS[self])


ROUND_STATUS_LABELS = {
    RoundStatus.OPEN: _l("Open for requests"),
    RoundStatus.CLOSED: _l("Closed"),
}


class Round(db.Model):
    __tablename__ = "allocation_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True, nullable=False)
    round_date: Mapped[date] = mapped_column(sa.Date, nullable=False)
    status: Mapped[RoundStatus] = mapped_column(
        enum_type(RoundStatus, "round_status"), nullable=False, default=RoundStatus.OPEN
    )
    note: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    created_by: Mapped[User | None] = relationship()
    requests: Mapped[list["AllocationRequest"]] = relationship(back_populates="round")
    plans: Mapped[list["Plan"]] = relationship(back_populates="round", order_by="Plan.id")

    @property
    def active_requests(self) -> list["AllocationRequest"]:
        return [r for r in self.requests if r.withdrawn_at is None]


class AllocationRequest(db.Model):
    """A recipient's request in a round: `quantity` pieces of a grade, `minimum` guaranteed.

    A request is withdrawn, never deleted, so that a plan that used it can still show it."""

    __tablename__ = "allocation_requests"
    __table_args__ = (
        sa.CheckConstraint("quantity >= 1", name="quantity_positive"),
        sa.CheckConstraint("minimum >= 0 AND minimum <= quantity", name="minimum_in_range"),
        # A round's requests paged by recipient; a recipient's requests across rounds.
        sa.Index("ix_allocation_requests_round_id_recipient_id", "round_id", "recipient_id"),
        sa.Index("ix_allocation_requests_recipient_id", "recipient_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        sa.ForeignKey("allocation_rounds.id"), nullable=False, index=True
    )
    recipient_id: Mapped[int] = mapped_column(sa.ForeignKey("recipients.id"), nullable=False)
    grade_id: Mapped[int] = mapped_column(sa.ForeignKey("grades.id"), nullable=False)
    quantity: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    minimum: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    note: Mapped[str] = mapped_column(sa.String(500), nullable=False, default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    withdrawn_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)

    round: Mapped[Round] = relationship(back_populates="requests")
    recipient: Mapped[Recipient] = relationship(lazy="joined")
    grade: Mapped[Grade] = relationship(lazy="joined")


# Policy (admin) ------------------------------------------------------------------------------


class PolicyVersion(db.Model):
    """One version of the allocation policy; the newest is in force. Never edited: a change is
    a new version, so who changed what and when is always known.

    `settings` = {"reserve": {grade: fraction as a string}, "whole_boxes": bool,
    "substitutes": {grade: [grades in order]}, "tier_grades": {grade: [tiers]}}
    """

    __tablename__ = "allocation_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    settings: Mapped[dict] = mapped_column(sa.JSON, nullable=False)
    note: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    created_by: Mapped[User | None] = relationship()


# Plans (调配方案) ------------------------------------------------------------------------------


class PlanStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    RETURNED = "returned"  # back with the approver's comment; behaves as a draft
    ISSUED = "issued"
    CANCELLED = "cancelled"
    REVERSED = "reversed"

    @property
    def label(self) -> str:
        return str(PLAN_STATUS_LABELS[self])

    @property
    def tag(self) -> str:
        return PLAN_STATUS_TAGS[self]


PLAN_STATUS_LABELS = {
    PlanStatus.DRAFT: _l("Draft"),
    PlanStatus.SUBMITTED: _l("Submitted for approval"),
    PlanStatus.APPROVED: _l("Approved"),
    PlanStatus.RETURNED: _l("Returned"),
    PlanStatus.ISSUED: _l("Issued"),
    PlanStatus.CANCELLED: _l("Cancelled"),
    PlanStatus.REVERSED: _l("Reversed"),
}

PLAN_STATUS_TAGS = {
    PlanStatus.DRAFT: "tag-info",
    PlanStatus.SUBMITTED: "tag-warn",
    PlanStatus.APPROVED: "tag-ok",
    PlanStatus.RETURNED: "tag-bad",
    PlanStatus.ISSUED: "tag-ok",
    PlanStatus.CANCELLED: "",
    PlanStatus.REVERSED: "tag-bad",
}


LIVE_PLAN_STATUSES = "status IN ('draft', 'returned', 'submitted', 'approved', 'issued')"


class Plan(db.Model):
    __tablename__ = "allocation_plans"
    __table_args__ = (
        # A round has at most one live plan, even when two allocators press "run" at once.
        sa.Index(
            "uq_allocation_plans_live_round",
            "round_id",
            unique=True,
            sqlite_where=sa.text(LIVE_PLAN_STATUSES),
            postgresql_where=sa.text(LIVE_PLAN_STATUSES),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(40), unique=True, nullable=False)
    round_id: Mapped[int] = mapped_column(
        sa.ForeignKey("allocation_rounds.id"), nullable=False, index=True
    )
    status: Mapped[PlanStatus] = mapped_column(
        enum_type(PlanStatus, "plan_status"), nullable=False, default=PlanStatus.DRAFT
    )
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    last_run_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    round: Mapped[Round] = relationship(back_populates="plans")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    last_run_by: Mapped[User | None] = relationship(foreign_keys=[last_run_by_id])
    runs: Mapped[list["PlanRun"]] = relationship(back_populates="plan", order_by="PlanRun.version")
    transitions: Mapped[list["PlanTransition"]] = relationship(
        back_populates="plan", order_by="PlanTransition.id"
    )

    @property
    def current_run(self) -> "PlanRun | None":
        return self.runs[-1] if self.runs else None


class PlanRun(db.Model):
    """One run (version) of a plan: the policy, the lots and requests it was computed on, the
    solver's summary, and its lines."""

    __tablename__ = "allocation_plan_runs"
    __table_args__ = (sa.UniqueConstraint("plan_id", "version", name="uq_plan_runs_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("allocation_plans.id"), nullable=False)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    ran_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    ran_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    policy_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("allocation_policies.id"), nullable=True
    )
    # The policy settings exactly as the solver got them.
    policy: Mapped[dict] = mapped_column(sa.JSON, nullable=False)
    # [{lot_id, grade, available, expiry, pieces_per_box, lot_number, maker}]
    lots: Mapped[list] = mapped_column(sa.JSON, nullable=False)
    # {"requests": {request id: {...}}, "tiers": [...], "held_back": {}, "left_over": {}, ...}
    result: Mapped[dict] = mapped_column(sa.JSON, nullable=False)
    # {"tiers": [...], "held_back": {}, "left_over": {}}: the result's small parts, which the
    # pages show, apart from the result (megabytes at province scale, and never loaded by them).
    summary: Mapped[dict] = mapped_column(
        sa.JSON, nullable=False, default=dict, server_default="{}"
    )

    plan: Mapped[Plan] = relationship(back_populates="runs")
    ran_by: Mapped[User | None] = relationship()
    lines: Mapped[list["PlanLine"]] = relationship(back_populates="run", order_by="PlanLine.id")


class PlanLine(db.Model):
    """`quantity` pieces of a lot for a request, in one run of a plan."""

    __tablename__ = "allocation_plan_lines"
    __table_args__ = (
        sa.CheckConstraint("quantity >= 1", name="quantity_positive"),
        sa.UniqueConstraint("run_id", "request_id", "lot_id", name="uq_plan_lines_run_req_lot"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        sa.ForeignKey("allocation_plan_runs.id"), nullable=False, index=True
    )
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("allocation_requests.id"), nullable=False)
    recipient_id: Mapped[int] = mapped_column(sa.ForeignKey("recipients.id"), nullable=False)
    lot_id: Mapped[int] = mapped_column(sa.ForeignKey("lots.id"), nullable=False)
    quantity: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    run: Mapped[PlanRun] = relationship(back_populates="lines")
    request: Mapped[AllocationRequest] = relationship()
    recipient: Mapped[Recipient] = relationship()
    lot: Mapped[Lot] = relationship(lazy="joined")


class PlanRunRequest(db.Model):
    """A request as one run of a plan saw and served it, written with the run and never
    changed: the tier it was served in, what it asked and got, the solver's reason, and its
    recipient's place in the run's list (`position`: by tier, the recipient's fill with the
    least served first, name). The plan page pages and filters these rows in SQL instead of
    summing the round's requests and the run's lines on every load."""

    __tablename__ = "allocation_plan_run_requests"
    __table_args__ = (
        sa.Index("ix_allocation_plan_run_requests_run_id_position", "run_id", "position"),
    )

    run_id: Mapped[int] = mapped_column(sa.ForeignKey("allocation_plan_runs.id"), primary_key=True)
    request_id: Mapped[int] = mapped_column(
        sa.ForeignKey("allocation_requests.id"), primary_key=True
    )
    recipient_id: Mapped[int] = mapped_column(sa.ForeignKey("recipients.id"), nullable=False)
    grade_id: Mapped[int] = mapped_column(sa.ForeignKey("grades.id"), nullable=False)
    tier: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    requested: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    allocated: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    reason_zh: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    reason_en: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")


class PlanTransition(db.Model):
    """Every change of a plan's status: who, when, and the comment (a return's reason)."""

    __tablename__ = "allocation_plan_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        sa.ForeignKey("allocation_plans.id"), nullable=False, index=True
    )
    from_status: Mapped[PlanStatus | None] = mapped_column(
        enum_type(PlanStatus, "plan_transition_from"), nullable=True
    )
    to_status: Mapped[PlanStatus] = mapped_column(
        enum_type(PlanStatus, "plan_transition_to"), nullable=False
    )
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    comment: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    run_version: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)

    plan: Mapped[Plan] = relationship(back_populates="transitions")
    actor: Mapped[User | None] = relationship()


class PlanReversal(db.Model):
    """The document that undoes an issued plan: its ledger reversals point here."""

    __tablename__ = "allocation_plan_reversals"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        sa.ForeignKey("allocation_plans.id"), nullable=False, unique=True
    )
    reason: Mapped[str] = mapped_column(sa.Text, nullable=False)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    plan: Mapped[Plan] = relationship()
    actor: Mapped[User | None] = relationship()


class Delivery(db.Model):
    """A recipient's signed receipt (签收) of its lines of an issued plan."""

    __tablename__ = "allocation_deliveries"
    __table_args__ = (
        sa.UniqueConstraint("plan_id", "recipient_id", name="uq_deliveries_plan_recipient"),
        sa.CheckConstraint("quantity_received >= 0", name="received_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("allocation_plans.id"), nullable=False)
    recipient_id: Mapped[int] = mapped_column(sa.ForeignKey("recipients.id"), nullable=False)
    signed_by: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    received_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    quantity_received: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    discrepancy: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    plan: Mapped[Plan] = relationship()
    recipient: Mapped[Recipient] = relationship()
    recorded_by: Mapped[User | None] = relationship()
