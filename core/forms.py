from flask_wtf import FlaskForm
from wtforms import HiddenField, SubmitField


class LanguageForm(FlaskForm):
    """The language switch in the page header (a form, so it carries a CSRF token)."""

    next = HiddenField()
    lang = SubmitField()
