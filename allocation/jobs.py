"""Allocation work run as background jobs (`core.jobs`): big imports and big plan runs.

Each function is called as `function(reporter, *args)` by the job runner, in one transaction
that lands whole or not at all, and returns the page to go to when it is done.  A file's
problems come back on the job's page, row and column first, in the language of the person
who started it (the worker has no request of theirs to take it from).
"""

from flask import url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.errors import ServiceError
from core.imports import ImportRejected
from core.text import Message
from extensions import db
from recipients import importing as recipient_importing

from . import importing, plans
from .models import Plan, Round

SHOWN = 30  # problems listed on the job's page; the rest are counted


def _rejected(error: ImportRejected) -> ServiceError:
    """The import's problems as one message, in the current locale, for the job's page."""
    lines = [str(error.message)]
    for problem in error.errors[:SHOWN]:
        where = _("Row %(row)s", row=problem.row)
        if problem.column:
            where += f" · {problem.column}"
        lines.append(f"{where}: {problem.message}")
    if error.total > SHOWN:
        lines.append(_("… and %(count)s more problems.", count=error.total - SHOWN))
    text = "\n".join(lines)
    return ServiceError(Message(zh=text, en=text))


def _progress(reporter, message):
    return lambda done, total: reporter.progress(done, total, message)


def import_requests(reporter, round_id: int, filename: str, data: bytes, user_id: int, lang: str):
    found = db.session.get(Round, round_id)
    if found is None:
        raise ServiceError(_l("The round no longer exists."))
    with force_locale(lang):
        try:
            done = importing.import_requests(
                found,
                filename,
                data,
                user_id,
                progress=_progress(reporter, _l("Checking and writing the rows")),
            )
        except ImportRejected as error:
            raise _rejected(error) from None
    reporter.progress(reporter.done, None, _l("%(count)s requests imported.", count=len(done)))
    return url_for("allocation.round", round_id=round_id) + "#requests"


def import_recipients(reporter, filename: str, data: bytes, user_id: int, lang: str):
    with force_locale(lang):
        try:
            done = recipient_importing.import_recipients(
                filename,
                data,
                user_id,
                progress=_progress(reporter, _l("Checking and writing the rows")),
            )
        except ImportRejected as error:
            raise _rejected(error) from None
    reporter.progress(reporter.done, None, _l("%(count)s recipients registered.", count=len(done)))
    return url_for("allocation.recipients")


def create_plan(reporter, round_id: int, user_id: int):
    found = db.session.get(Round, round_id)
    if found is None:
        raise ServiceError(_l("The round no longer exists."))
    reporter.progress(0, 1, _l("Computing the plan"))
    created = plans.create_plan(found, user_id)
    return url_for("allocation.plan", plan_id=created.id)


def run_plan(reporter, plan_id: int, user_id: int):
    found = db.session.get(Plan, plan_id)
    if found is None:
        raise ServiceError(_l("The plan no longer exists."))
    reporter.progress(0, 1, _l("Computing the plan"))
    plans.run_plan(found, user_id)
    return url_for("allocation.plan", plan_id=plan_id)
