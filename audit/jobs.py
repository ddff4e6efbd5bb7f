"""Long PDFs rendered as background jobs (`core.jobs`): a plan or a recall report of thousands
of lines takes minutes, far longer than a request may wait. The job renders and stores the
PDF (in parts, see `audit.render`) and sends the person back to its address, which then serves
the stored copy at once.
"""

import sqlalchemy as sa
from flask import url_for
from flask_babel import lazy_gettext as _l

from allocation.models import Plan, PlanLine, PlanRun
from catalog.models import Lot
from core.errors import ServiceError
from extensions import db
from ledger.models import EntryKind, LedgerEntry

from . import documents


def plan_lines(plan_id: int) -> int:
    """Lines of the plan's latest run (counted in SQL)."""
    latest = sa.select(sa.func.max(PlanRun.id)).where(PlanRun.plan_id == plan_id)
    return db.session.scalar(
        sa.select(sa.func.count(PlanLine.id)).where(PlanLine.run_id == latest.scalar_subquery())
    )


def lot_issues(lot_id: int) -> int:
    """Issue entries of the lot: about the lines of its recall report."""
    return db.session.scalar(
        sa.select(sa.func.count(LedgerEntry.seq)).where(
            LedgerEntry.lot_id == lot_id, LedgerEntry.kind == EntryKind.ISSUE
        )
    )


def plan_pdf(reporter, plan_id: int, language: str, user_id: int):
    plan = db.session.get(Plan, plan_id)
    if plan is None:
        raise ServiceError(_l("The plan no longer exists."))
    documents.plan_document(plan, language, user_id, progress=reporter.progress)
    return url_for("audit.plan_pdf", plan_id=plan_id, lang=language)


def recall_pdf(reporter, lot_id: int, language: str, user_id: int):
    lot = db.session.get(Lot, lot_id)
    if lot is None:
        raise ServiceError(_l("The lot no longer exists."))
    documents.report_document("recall", lot, language, user_id, progress=reporter.progress)
    return url_for("audit.recall_pdf", lot_id=lot_id, lang=language)
