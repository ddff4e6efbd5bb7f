from flask_wtf import FlaskForm
from wtforms import HiddenField, SubmitField


class LanguageForm(FlaskForm):
    """The language switch in the page header (a form, so it carries a CSRF token)."""

    next = HiddenField()
    lang = SubmitField()


def error_onto(form, error) -> None:
    """Show a service's ServiceError on the form: under its field when it names one the form
    has, else at the top of the form."""
    target = form[error.field] if error.field and error.field in form else None
    if target is not None:
        target.errors = [*target.errors, error.message]
    else:
        form.form_errors.append(error.message)
