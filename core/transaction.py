"""The one way a view changes the database: run the service, then commit once or roll back.

Services take plain values, flush and never commit (STYLE.md). A view hands the whole change to
`run_service`: when it succeeds the request's one transaction is committed, so the change and its
ledger or audit record land together; when it breaks a business rule (`ServiceError`) everything
it wrote is rolled back and the person sees why — under the form field the error names, at the
top of the form, or, for a button without a form of fields, as a flashed message.

    done = run_service(lambda: services.create_supplier(...), form)
    if done:
        flash(_("Supplier %(name)s recorded.", name=done.value.name), "success")
        return redirect(...)
    return render_template(..., form=form)  # the error is on the form
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from flask import flash

from core.errors import ServiceError
from core.forms import error_onto
from extensions import db

T = TypeVar("T")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What `run_service` did: true when committed (`value` is the service's result), false when
    rolled back (`error` says why)."""

    value: T | None = None
    error: ServiceError | None = None

    def __bool__(self) -> bool:
        return self.error is None


def run_service(
    action: Callable[[], T],
    form=None,
    *,
    fields: dict[str, str] | None = None,
    caller_shows: tuple[type[ServiceError], ...] = (),
) -> Outcome[T]:
    """Run `action` as the request's transaction: commit it, or roll it back and show its error.

    `form`: the form the error goes onto (None: flash it). `fields` maps a service's field
    names onto the form's where they differ. Errors of the `caller_shows` kinds are rolled back
    but not shown: the view has a page of its own for them.
    """
    try:
        value = action()
    except ServiceError as error:
        db.session.rollback()
        if isinstance(error, caller_shows):
            return Outcome(error=error)
        shown = error
        if fields and error.field in fields:
            shown = ServiceError(error.message, fields[error.field])
        if form is not None:
            error_onto(form, shown)
        else:
            flash(str(error.message), "error")
        return Outcome(error=error)
    db.session.commit()
    return Outcome(value=value)
