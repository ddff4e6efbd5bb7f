"""Forms of citizens' rationing: outlets and slots, booking rounds (staff), booking and the
result look-up (citizens, no sign-in)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TimeField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
)

from accounts.forms import MultiCheckboxField

WHOLE = _l("Give a whole number.")


def finite(form, field) -> None:
    """A price is a number: not NaN or infinity (which NumberRange cannot compare)."""
    if field.data is not None and not field.data.is_finite():
        raise StopValidation(_l("Give a price in yuan, such as 1.80."))


class OutletForm(FlaskForm):
    recipient_id = SelectField(_l("Retail unit"), coerce=int, validators=[InputRequired()])
    name = StringField(
        _l("Outlet name"),
        validators=[InputRequired(), Length(max=200)],
        description=_l("As citizens know it, e.g. 大参林 风采路店."),
    )
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    district = StringField(
        _l("District"),
        validators=[Optional(), Length(max=100)],
        description=_l("Empty: the unit's district. Places left in a district go to its people."),
    )
    submit = SubmitField(_l("Add outlet"))


class SlotForm(FlaskForm):
    starts = TimeField(_l("Starts at"), validators=[InputRequired()])
    ends = TimeField(_l("Ends at"), validators=[InputRequired()])
    capacity = IntegerField(
        _l("People served"),
        validators=[InputRequired(WHOLE), NumberRange(min=1, max=100000)],
        description=_l("How many people the outlet serves in this time without a queue."),
    )
    submit = SubmitField(_l("Add slot"))


class BookingRoundForm(FlaskForm):
    plan_id = SelectField(_l("Issued plan"), coerce=int, validators=[InputRequired()])
    grade_id = SelectField(_l("Grade sold"), coerce=int, validators=[InputRequired()])
    name = StringField(
        _l("Name"),
        validators=[InputRequired(), Length(max=200)],
        description=_l("What citizens see, e.g. 2 月 8 日口罩预约."),
    )
    pieces_per_person = IntegerField(
        _l("Pieces per person"),
        default=5,
        validators=[InputRequired(WHOLE), NumberRange(min=1, max=1000)],
    )
    price_per_piece = DecimalField(
        _l("Agreed price per piece (CNY)"),
        places=2,
        validators=[InputRequired(), finite, NumberRange(min=0, max=1000)],
    )
    opens_at = DateTimeLocalField(_l("Bookings open"), validators=[InputRequired()])
    closes_at = DateTimeLocalField(_l("Bookings close"), validators=[InputRequired()])
    pickup_on = DateField(_l("Pickup day"), validators=[InputRequired()])
    quota_days = IntegerField(
        _l("One booking per person every (days)"),
        default=7,
        validators=[InputRequired(WHOLE), NumberRange(min=1, max=365)],
        description=_l("Across all outlets and rounds, counted between pickup days."),
    )
    submit = SubmitField(_l("Open the round"))


class BookingForm(FlaskForm):
    place = SelectField(
        _l("Outlet and time"), validators=[InputRequired(_l("Choose an outlet and a time."))]
    )
    flexible = BooleanField(
        _l("If my outlet or time is full, another time or outlet in the same district is fine.")
    )
    name = StringField(_l("Full name"), validators=[InputRequired(), Length(max=50)])
    id_number = StringField(
        _l("Identity card number"),
        validators=[InputRequired(), Length(max=40)],
        description=_l("Checked, then kept only as a code that cannot be turned back into it."),
        render_kw={"autocomplete": "off", "inputmode": "text", "spellcheck": "false"},
    )
    phone = StringField(
        _l("Mobile number"),
        validators=[InputRequired(), Length(max=20)],
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
    )
    consent = BooleanField(
        _l("My name, number and phone are used for this sale only."),
        validators=[DataRequired(_l("Please agree, or the booking cannot be kept."))],
    )
    submit = SubmitField(_l("Book"))


class LookupForm(FlaskForm):
    id_number = StringField(
        _l("Identity card number"),
        validators=[InputRequired(), Length(max=40)],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    phone = StringField(
        _l("Mobile number"),
        validators=[InputRequired(), Length(max=20)],
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
    )
    submit = SubmitField(_l("See my result"))


class DrawForm(FlaskForm):
    submit = SubmitField(_l("Draw the lottery"))


class CloseRoundForm(FlaskForm):
    submit = SubmitField(_l("Close the round"))


class StaffForm(FlaskForm):
    staff = MultiCheckboxField(
        _l("Staff who confirm pickups here"),
        coerce=int,
        description=_l("Users with the outlet staff role; an administrator gives the role."),
    )
    submit = SubmitField(_l("Save staff"))


class PickupCodeForm(FlaskForm):
    code = StringField(
        _l("Pickup code"),
        validators=[InputRequired(), Length(max=40)],
        description=_l("The 8 digits under the citizen's QR code, typed or scanned."),
        render_kw={"autocomplete": "off", "inputmode": "numeric", "spellcheck": "false"},
    )
    submit = SubmitField(_l("Find"))


class ConfirmPickupForm(FlaskForm):
    # The code the citizen showed: a booking is confirmed with its code, not by its number.
    code = HiddenField(validators=[InputRequired(), Length(max=40)])
    id_number = StringField(
        _l("Identity card number (optional check)"),
        validators=[Optional(), Length(max=40)],
        description=_l(
            "Type the number on the card shown to check it is the person who booked; it is "
            "compared, not kept."
        ),
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    submit = SubmitField(_l("Paid: hand over the masks"))


class ReportForm(FlaskForm):
    """The report's period and district (a GET form: no CSRF)."""

    class Meta:
        csrf = False

    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("Until"), validators=[Optional()])
    district = SelectField(_l("District"), validators=[Optional()], validate_choice=False)
    outlet = SelectField(_l("Outlet"), validators=[Optional()], validate_choice=False)
    submit = SubmitField(_l("Show"))
