"""Forms of the ledger pages. Each form on a page with several has its own prefix."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Regexp

from catalog.services import GRADE_CODE

from .models import Bucket
from .services import MAX_REASON

REASON_HELP = _l("Kept in the ledger with the entry; it cannot be changed afterwards.")


def _reason_field(label=None) -> TextAreaField:
    return TextAreaField(
        label or _l("Reason"),
        validators=[InputRequired(), Length(max=MAX_REASON)],
        description=REASON_HELP,
        render_kw={"rows": 2},
    )


class HoldForm(FlaskForm):
    reason = _reason_field()
    submit = SubmitField(_l("Put the lot on hold"))


class UnholdForm(FlaskForm):
    reason = _reason_field()
    submit = SubmitField(_l("Lift the hold"))


WRITE_OFF_BUCKETS = (Bucket.AVAILABLE, Bucket.ON_HOLD, Bucket.QUARANTINE, Bucket.REJECTED)


class WriteOffForm(FlaskForm):
    bucket = SelectField(
        _l("Take from"),
        choices=lambda: [(b.value, b.label) for b in WRITE_OFF_BUCKETS],
        validators=[InputRequired()],
    )
    quantity = IntegerField(
        _l("Quantity"),
        validators=[
            InputRequired(message=_l("Give a whole number of pieces.")),
            NumberRange(min=1, message=_l("The quantity must be at least 1.")),
        ],
    )
    reason = _reason_field()
    submit = SubmitField(_l("Write off"))


class ReverseForm(FlaskForm):
    reason = _reason_field(_l("Why is this entry wrong?"))
    submit = SubmitField(_l("Post the reversal"))


class WriteOffExpiredForm(FlaskForm):
    """The button on the stock page that writes off every expired lot's remaining stock."""

    submit = SubmitField(_l("Write off expired stock"))


class GradeForm(FlaskForm):
    standard = StringField(
        _l("Standard"),
        validators=[InputRequired(), Length(max=40)],
        description=_l("For example GB 19083 or GB 10213."),
    )
    name_zh = StringField(_l("Name in Chinese"), validators=[InputRequired(), Length(max=100)])
    name_en = StringField(_l("Name in English"), validators=[InputRequired(), Length(max=100)])
    unit_zh = StringField(
        _l("Unit in Chinese"),
        validators=[InputRequired(), Length(max=10)],
        description=_l("What stock is counted in: 只, 副, 瓶, 件 …"),
    )
    unit_en = StringField(
        _l("Unit in English"),
        validators=[InputRequired(), Length(max=20)],
        description=_l("Plural, as it follows a number: pieces, pairs, bottles …"),
    )
    active = BooleanField(_l("Offered (new products and requests may use it)"), default=True)
    submit = SubmitField(_l("Save"))


class NewGradeForm(GradeForm):
    code = StringField(
        _l("Code"),
        validators=[
            InputRequired(),
            Regexp(
                GRADE_CODE.pattern,
                message=_l(
                    "Use 2 to 40 lower-case letters, digits or underscores, starting with a letter."
                ),
            ),
        ],
        filters=[lambda value: value.strip().lower() if value else value],
        description=_l(
            "A fixed identifier used by quality rules and allocation policies, e.g. "
            "medical_gloves. It cannot be changed later."
        ),
    )
    submit = SubmitField(_l("Add grade"))
