"""Forms of the allocation pages: recipients, rounds, requests, import, policy, plan actions."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from recipients.models import TIER_LABELS, TIERS, RecipientCategory
from recipients.services import MAX_REASON

WHOLE = _l("Give a whole number.")


def _tier_choices():
    return [(t, str(TIER_LABELS[t])) for t in TIERS]


class RecipientForm(FlaskForm):
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=200)])
    category = SelectField(
        _l("Category"),
        choices=lambda: [(c.value, c.label) for c in RecipientCategory],
        validators=[InputRequired()],
        description=_l(
            "Sets the priority tier of a new unit: medical 1, city operations 2, retail 3."
        ),
    )
    district = StringField(_l("District"), validators=[Optional(), Length(max=100)])
    contact = StringField(
        _l("Contact"),
        validators=[Optional(), Length(max=200)],
        description=_l("Person and telephone, as the unit gives them."),
    )
    headcount_or_beds = IntegerField(
        _l("Staff or beds"),
        validators=[Optional(), NumberRange(min=0, message=_l("Cannot be negative."))],
        description=_l("Beds for hospitals, staff for other units."),
    )
    submit = SubmitField(_l("Save"))


class TierForm(FlaskForm):
    tier = SelectField(_l("New tier"), choices=_tier_choices, coerce=int)
    reason = TextAreaField(
        _l("Reason"),
        validators=[InputRequired(), Length(max=MAX_REASON)],
        description=_l("Kept with the change; every tier change is on record."),
        render_kw={"rows": 2},
    )
    submit = SubmitField(_l("Change the tier"))


class ActiveForm(FlaskForm):
    submit = SubmitField()


class RoundForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[InputRequired(), Length(max=200)],
        description=_l("For example 2026 年第 3 轮口罩调配."),
    )
    round_date = DateField(_l("Date"), validators=[InputRequired(message=_l("Give a date."))])
    note = TextAreaField(
        _l("Note"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 2}
    )
    submit = SubmitField(_l("Create the round"))


class RequestForm(FlaskForm):
    recipient = SelectField(_l("Recipient"), coerce=int, validators=[InputRequired()])
    grade = SelectField(_l("Grade"), coerce=int, validators=[InputRequired()])
    quantity = IntegerField(
        _l("Quantity"),
        validators=[
            InputRequired(message=WHOLE),
            NumberRange(min=1, message=_l("The quantity must be at least 1.")),
        ],
        description=_l("Pieces."),
    )
    minimum = IntegerField(
        _l("Guaranteed minimum"),
        default=0,
        validators=[Optional(), NumberRange(min=0, message=_l("Cannot be negative."))],
        description=_l("Served before anyone gets more; leave 0 for none."),
    )
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Add the request"))

    def validate_minimum(self, field):
        if field.data and self.quantity.data and field.data > self.quantity.data:
            raise ValidationError(_l("The minimum cannot be more than the quantity."))


class ImportForm(FlaskForm):
    file = FileField(
        _l("File"),
        validators=[
            FileRequired(message=_l("Choose a file.")),
            FileAllowed(["xlsx", "csv"], _l("Upload an .xlsx or .csv file.")),
        ],
        description=_l(
            "Use the template: one request per row. Nothing is saved if a row is wrong."
        ),
    )
    submit = SubmitField(_l("Import"))


class RecipientImportForm(FlaskForm):
    file = FileField(
        _l("File"),
        validators=[
            FileRequired(message=_l("Choose a file.")),
            FileAllowed(["xlsx", "csv"], _l("Upload an .xlsx or .csv file.")),
        ],
        description=_l("Use the template: one unit per row. Nothing is saved if a row is wrong."),
    )
    submit = SubmitField(_l("Import"))


class PlanActionForm(FlaskForm):
    """A plan action button (run, submit, approve, issue, cancel)."""

    comment = TextAreaField(
        _l("Comment"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 2}
    )
    submit = SubmitField()


class ReturnForm(FlaskForm):
    comment = TextAreaField(
        _l("What must change"),
        validators=[InputRequired(), Length(max=2000)],
        render_kw={"rows": 2},
    )
    submit = SubmitField(_l("Return to the allocator"))


class ReversalForm(FlaskForm):
    reason = TextAreaField(
        _l("Why is the plan reversed?"),
        validators=[InputRequired(), Length(max=MAX_REASON)],
        description=_l(
            "Every issue of the plan is reversed in the ledger: the stock returns to available."
        ),
        render_kw={"rows": 3},
    )
    submit = SubmitField(_l("Post the reversal"))


class DeliveryForm(FlaskForm):
    signed_by = StringField(_l("Signed by"), validators=[InputRequired(), Length(max=200)])
    received_on = DateField(
        _l("Received on"), validators=[InputRequired(message=_l("Give a date."))]
    )
    quantity_received = IntegerField(
        _l("Pieces received"),
        validators=[
            InputRequired(message=WHOLE),
            NumberRange(min=0, message=_l("Cannot be negative.")),
        ],
    )
    discrepancy = TextAreaField(
        _l("Discrepancy"),
        validators=[Optional(), Length(max=2000)],
        description=_l("Required when the count differs from what was issued."),
        render_kw={"rows": 2},
    )
    submit = SubmitField(_l("Record the receipt"))


def _codes(value: str) -> list[str]:
    return [c.strip().lower() for c in value.replace("，", ",").split(",") if c.strip()]


class GradeRuleForm(FlaskForm):
    class Meta:
        csrf = False

    grade = HiddenField()
    reserve_percent = DecimalField(
        _l("Reserve, per cent"),
        places=2,
        validators=[
            InputRequired(message=_l("Give a percentage.")),
            NumberRange(min=0, max=99.99, message=_l("From 0 to below 100.")),
        ],
    )
    substitutes = StringField(
        _l("May be served from"),
        validators=[Optional(), Length(max=400)],
        description=_l("Grade codes in order of preference, separated by commas."),
    )
    tiers = StringField(
        _l("Tiers"),
        validators=[InputRequired(message=_l("Give at least one tier."))],
        description=_l("Tiers that may receive it, e.g. 1 or 1,2,3."),
    )

    def validate_tiers(self, field):
        parts = _codes(field.data or "")
        if not parts or any(p not in {"1", "2", "3"} for p in parts):
            raise ValidationError(_l("Tiers are 1, 2 or 3, separated by commas."))

    @property
    def substitute_list(self) -> list[str]:
        return _codes(self.substitutes.data or "")

    @property
    def tier_list(self) -> list[int]:
        return sorted({int(p) for p in _codes(self.tiers.data or "")})


class PolicyForm(FlaskForm):
    rules = FieldList(FormField(GradeRuleForm))
    whole_boxes = BooleanField(_l("Issue whole boxes only"))
    note = StringField(_l("What changed and why"), validators=[InputRequired(), Length(max=500)])
    submit = SubmitField(_l("Save a new policy version"))
