"""Forms of the procurement and inspection pages."""

from decimal import Decimal

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    DateField,
    DecimalField,
    FieldList,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms import Form as PlainForm
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from catalog.models import LotOrigin
from core.i18n import in_language

from .models import CertificateKind, PurchaseSource, SupplierKind
from .quality import Measure
from .quality.vocabulary import LEVEL_MEASURES, PASS_FAIL_MEASURES, ForeignClass
from .services import COUNTRIES
from .validators import normalise_code, uscc_problem

WHOLE = _l("Give a whole number of pieces.")
DATE_FORMAT = _l("Give a date as YYYY-MM-DD.")


class SupplierForm(FlaskForm):
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=200)])
    kind = SelectField(
        _l("Kind"),
        choices=lambda: [(k.value, k.label) for k in SupplierKind],
        validators=[InputRequired()],
    )
    uscc = StringField(
        _l("Unified social credit code"),
        validators=[Optional(), Length(max=30)],
        filters=[lambda v: normalise_code(v) if v else v],
        description=_l(
            "18 characters, as on the business licence; the check digit is verified. "
            "Required for companies registered in China."
        ),
    )
    contact_person = StringField(_l("Contact person"), validators=[Optional(), Length(max=100)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    notes = TextAreaField(_l("Notes"), validators=[Optional()], render_kw={"rows": 2})
    submit = SubmitField(_l("Save supplier"))

    def validate_uscc(self, field):
        if field.data:
            problem = uscc_problem(field.data)
            if problem is not None:
                raise ValidationError(in_language(problem))


class LineForm(PlainForm):
    """One line of a purchase (an empty row is ignored)."""

    grade_id = SelectField(_l("Grade"), coerce=int, validate_choice=False, default=0)
    description = StringField(_l("Specification"), validators=[Optional(), Length(max=200)])
    quantity = IntegerField(
        _l("Quantity (pieces)"),
        validators=[Optional(), NumberRange(min=1, message=_l("The quantity must be at least 1."))],
    )
    unit_price = DecimalField(
        _l("Unit price (CNY)"),
        places=4,
        validators=[
            Optional(),
            NumberRange(min=Decimal(0), message=_l("The unit price cannot be negative.")),
        ],
    )

    @property
    def is_empty(self) -> bool:
        return not self.grade_id.data and not self.quantity.data and self.unit_price.data is None


class PurchaseForm(FlaskForm):
    source = SelectField(
        _l("Source"),
        choices=lambda: [(s.value, s.label) for s in PurchaseSource],
        validators=[InputRequired()],
    )
    supplier_id = SelectField(_l("Supplier"), coerce=int, validators=[InputRequired()])
    contract_number = StringField(
        _l("Contract number"),
        validators=[Length(max=64)],
        description=_l("Required for a purchase; for a donation or transfer, the letter's number."),
    )
    ordered_on = DateField(
        _l("Date"), validators=[InputRequired(message=DATE_FORMAT)], format="%Y-%m-%d"
    )
    notes = TextAreaField(_l("Notes"), validators=[Optional()], render_kw={"rows": 2})
    lines = FieldList(FormField(LineForm), min_entries=4, max_entries=20)
    submit = SubmitField(_l("Record purchase"))

    def set_choices(self, suppliers, grades) -> None:
        self.supplier_id.choices = [(0, _l("— choose —"))] + [(s.id, s.name) for s in suppliers]
        for line in self.lines:
            line.grade_id.choices = [(0, "—")] + [(g.id, g.name) for g in grades]

    def validate_supplier_id(self, field):
        if not field.data:
            raise ValidationError(_l("Choose a supplier."))

    def validate_contract_number(self, field):
        if self.source.data == PurchaseSource.PURCHASE.value and not (field.data or "").strip():
            raise ValidationError(_l("A purchase needs its contract number."))

    def validate_lines(self, field):
        filled = [line for line in field if not line.form.is_empty]
        if not filled:
            raise ValidationError(_l("Add at least one line."))
        ok = True
        for line in filled:
            if not line.form.grade_id.data:
                line.form.grade_id.errors.append(_l("Choose a grade."))
                ok = False
            if not line.form.quantity.data:
                line.form.quantity.errors.append(WHOLE)
                ok = False
            if (
                self.source.data == PurchaseSource.PURCHASE.value
                and line.form.unit_price.data is None
            ):
                line.form.unit_price.errors.append(_l("A purchased line needs its unit price."))
                ok = False
        if not ok:
            raise ValidationError(_l("Correct the lines marked below."))


class ReceiveForm(FlaskForm):
    lot_number = StringField(_l("Lot number"), validators=[InputRequired(), Length(max=64)])
    maker = StringField(
        _l("Maker"),
        validators=[InputRequired(), Length(max=200)],
        description=_l("The manufacturer as printed on the packaging."),
    )
    model = StringField(_l("Model"), validators=[InputRequired(), Length(max=100)])
    production_date = DateField(_l("Production date"), validators=[Optional()], format="%Y-%m-%d")
    expiry_date = DateField(_l("Expiry date"), validators=[Optional()], format="%Y-%m-%d")
    pieces = IntegerField(
        _l("Pieces received"),
        validators=[InputRequired(message=WHOLE), NumberRange(min=1, message=WHOLE)],
    )
    pieces_per_box = IntegerField(
        _l("Pieces per box"),
        validators=[InputRequired(message=WHOLE), NumberRange(min=1, message=WHOLE)],
    )
    registrant = StringField(
        _l("Registrant (entrusted production)"),
        validators=[Optional(), Length(max=200)],
        description=_l(
            "Only when the maker made the goods under contract for another company that holds "
            "the registration (注册人); leave empty otherwise."
        ),
    )
    made_in = SelectField(
        _l("Country of manufacture"),
        choices=lambda: [("", _l("— not recorded —"))] + country_choices(),
        validators=[Optional()],
        description=_l("Where the goods were made, whatever channel brought them."),
    )
    exhalation_valve = RadioField(
        _l("Exhalation valve"),
        choices=lambda: [
            ("", _l("Not recorded")),
            ("0", _l("No valve")),
            ("1", _l("With a valve")),
        ],
        default="",
        validators=[Optional()],
    )
    origin = SelectField(
        _l("Channel"),
        choices=lambda: [(o.value, o.label) for o in LotOrigin],
        validators=[InputRequired()],
    )
    donated_goods_origin = SelectField(
        _l("For a donation: the goods are"),
        choices=lambda: (
            [("", _l("— infer from the papers —"))]
            + [(o.value, o.label) for o in LotOrigin if o is not LotOrigin.DONATION]
        ),
        validators=[Optional()],
    )
    received_on = DateField(
        _l("Received on"), validators=[InputRequired(message=DATE_FORMAT)], format="%Y-%m-%d"
    )
    over_receipt_reason = TextAreaField(
        _l("Reason for receiving more than ordered"),
        validators=[Optional(), Length(max=1000)],
        description=_l("Only needed when more arrives than the line still expects."),
        render_kw={"rows": 2},
    )
    submit = SubmitField(_l("Receive into quarantine"))

    def validate_expiry_date(self, field):
        if field.data and self.production_date.data and field.data <= self.production_date.data:
            raise ValidationError(_l("The expiry date must come after the production date."))

    def valve(self) -> bool | None:
        return {"1": True, "0": False}.get(self.exhalation_valve.data)


def country_choices() -> list[tuple[str, str]]:
    """The countries a batch may be made in, named in the reader's language (Babel's CLDR)."""
    names = get_locale().territories
    return [(code, names.get(code, code)) for code in COUNTRIES]


# Measured values typed as numbers; the pass/fail results and the declared levels are choices.
MEASURE_FIELDS = [m for m in Measure if m not in PASS_FAIL_MEASURES and m not in LEVEL_MEASURES]


class CertificateForm(FlaskForm):
    kind = SelectField(
        _l("Kind"),
        choices=lambda: [(k.value, k.label) for k in CertificateKind],
        validators=[InputRequired()],
    )
    number = StringField(
        _l("Number"),
        validators=[InputRequired(), Length(max=100)],
        description=_l(
            "As printed: e.g. 粤械注准20202140096, TC-84A-0006, the unified social credit code "
            "of a business licence, the report or declaration number."
        ),
    )
    holder = StringField(
        _l("Holder"),
        validators=[Optional(), Length(max=200)],
        description=_l("The company named on the certificate."),
    )
    issuer = StringField(_l("Issued by"), validators=[Optional(), Length(max=200)])
    valid_from = DateField(_l("Valid from"), validators=[Optional()], format="%Y-%m-%d")
    valid_until = DateField(_l("Valid until"), validators=[Optional()], format="%Y-%m-%d")
    notified_body = StringField(
        _l("Notified body (CE)"),
        validators=[Optional(), Length(max=10)],
        description=_l("Four digits, e.g. 0123."),
    )
    # A registration certificate's product name and models (as printed).
    product_name = StringField(
        _l("Product name (registration)"),
        validators=[Optional(), Length(max=200)],
        description=_l("As printed on the registration certificate, e.g. 医用外科口罩."),
    )
    models = StringField(
        _l("Models and sizes (registration)"),
        validators=[Optional(), Length(max=500)],
        description=_l("As listed on the certificate, separated by 、 or commas."),
    )
    scope = StringField(
        _l("Scope (production licence)"),
        validators=[Optional(), Length(max=500)],
        description=_l("生产范围 as printed, e.g. Ⅱ类：14-14 医用口罩."),
    )
    lab_accreditation = StringField(
        _l("Lab's CMA or CNAS number"),
        validators=[Optional(), Length(max=40)],
        description=_l("CMA: 12 digits; CNAS: e.g. CNAS L1234. On the report's cover."),
    )
    covers = StringField(
        _l("Model or lot tested"),
        validators=[Optional(), Length(max=200)],
        description=_l("The sample the report was made on, as it names it."),
    )
    foreign_class = SelectField(
        _l("Foreign standard and class"),
        choices=lambda: (
            [("", _l("— not a foreign paper, or not stated —"))]
            + [(c.value, c.label) for c in ForeignClass]
        ),
        validators=[Optional()],
        description=_l("What the paper vouches for: EN 14683 type, ASTM F2100 level, N95, FFP."),
    )
    # A test report's measured values (as printed; empty when not measured).
    particle_filtration = StringField(_l("Particle filtration efficiency (%)"))
    oil_filtration = StringField(_l("Filtration efficiency, oily medium (%)"))
    bacterial_filtration = StringField(_l("Bacterial filtration efficiency, BFE (%)"))
    inhalation_resistance = StringField(_l("Inhalation resistance (Pa)"))
    exhalation_resistance = StringField(_l("Exhalation resistance (Pa)"))
    pressure_difference = StringField(_l("Pressure difference Δp (Pa/cm²)"))
    total_inward_leakage = StringField(_l("Total inward leakage, highest wearer mean (%)"))
    blood_pressure = StringField(_l("Synthetic blood test pressure (kPa)"))
    surface_moisture = StringField(_l("Surface moisture resistance (grade)"))
    fit_factor = StringField(_l("Fit factor"))
    afterflame = StringField(_l("Afterflame time (s)"))
    eo_residue = StringField(_l("Ethylene oxide residue (μg/g)"))
    bacteria_count = StringField(_l("Total bacterial count (CFU/g)"))
    fungi_count = StringField(_l("Total fungal count (CFU/g)"))
    protection_effect = StringField(_l("Protection effect (%)"))
    filtration_level = SelectField(
        _l("Declared filtration level (GB/T 32610)"),
        choices=lambda: [("", _l("Not declared"))] + [(v, v) for v in ("I", "II", "III")],
        validators=[Optional()],
    )
    protection_level = SelectField(
        _l("Declared protection level (GB/T 32610)"),
        choices=lambda: [("", _l("Not declared"))] + [(v, v) for v in ("A", "B", "C", "D")],
        validators=[Optional()],
    )
    pathogens = RadioField(
        _l("Pathogenic bacteria"),
        choices=lambda: [
            ("", _l("Not tested")),
            ("1", _l("None detected")),
            ("0", _l("Detected")),
        ],
        default="",
        validators=[Optional()],
    )
    synthetic_blood = RadioField(
        _l("Synthetic blood penetration"),
        choices=lambda: [
            ("", _l("Not tested")),
            ("1", _l("No penetration")),
            ("0", _l("Penetration")),
        ],
        default="",
        validators=[Optional()],
    )
    scan = FileField(
        _l("Scan (PDF, JPEG or PNG, at most 10 MB)"),
        description=_l("The file's content is checked; a renamed file of another kind is refused."),
    )
    submit = SubmitField(_l("Add certificate"))

    def measured(self) -> dict[str, object]:
        values = {m.value: self[m.value].data for m in MEASURE_FIELDS}
        for measure in PASS_FAIL_MEASURES:
            result = self[measure.value].data
            values[measure.value] = None if result in ("", None) else result == "1"
        for measure in LEVEL_MEASURES:
            values[measure.value] = self[measure.value].data or None
        return values


class AttachForm(FlaskForm):
    certificate_id = SelectField(_l("Certificate"), coerce=int, validate_choice=False)
    submit = SubmitField(_l("Attach"))


def CONFIRM_CHOICES():  # noqa: N802 (a callable, so that WTForms takes it as choices)
    return [("", _l("Not checked")), ("yes", _l("Yes")), ("no", _l("No"))]


class ConfirmForm(FlaskForm):
    goods_match_order = RadioField(
        _l("The goods match the order"),
        choices=CONFIRM_CHOICES,
        default="",
        validators=[Optional()],
    )
    packaging_intact = RadioField(
        _l("The packaging is intact"), choices=CONFIRM_CHOICES, default="", validators=[Optional()]
    )
    registry_checked = RadioField(
        _l("Registration and licence numbers found in the national registry"),
        choices=CONFIRM_CHOICES,
        default="",
        validators=[Optional()],
        description=_l("Looked up in NMPA's database (国家药监局数据查询), for medical goods."),
    )
    label_checked = RadioField(
        _l("The box label carries the registration and licence numbers"),
        choices=CONFIRM_CHOICES,
        default="",
        validators=[Optional()],
    )
    submit = SubmitField(_l("Record confirmations"))


def confirm_value(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


class ReleaseForm(FlaskForm):
    override_reason = TextAreaField(
        _l("Override reason"),
        validators=[Optional(), Length(max=1500)],
        description=_l(
            "Required when a check fails: why the batch is released anyway. Kept in the ledger."
        ),
        render_kw={"rows": 3},
    )
    submit = SubmitField(_l("Release for allocation"))


class RejectForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason for rejection"),
        validators=[InputRequired(), Length(max=1500)],
        description=_l("Kept in the ledger. Rejected stock can never be allocated."),
        render_kw={"rows": 3},
    )
    submit = SubmitField(_l("Reject the batch"))


class AgreedPriceForm(FlaskForm):
    grade_id = SelectField(_l("Grade"), coerce=int, validators=[DataRequired()])
    price = DecimalField(
        _l("Agreed price per piece (CNY)"),
        places=4,
        validators=[
            InputRequired(message=_l("Give a price above zero, in yuan.")),
            NumberRange(min=Decimal("0.0001"), message=_l("Give a price above zero, in yuan.")),
        ],
    )
    valid_from = DateField(
        _l("Valid from"), validators=[InputRequired(message=DATE_FORMAT)], format="%Y-%m-%d"
    )
    note = StringField(
        _l("Note"),
        validators=[Optional(), Length(max=300)],
        description=_l("E.g. the municipal notice that set it."),
    )
    submit = SubmitField(_l("Set price"))


class ImportForm(FlaskForm):
    file = FileField(
        _l("Spreadsheet (XLSX or CSV)"),
        description=_l("Use the template: one row per batch, with its purchase."),
    )
    submit = SubmitField(_l("Check and import"))


class ListedCompanyForm(FlaskForm):
    name = StringField(
        _l("Company"),
        validators=[InputRequired(), Length(max=200)],
        description=_l("As the list names it; batches whose maker, registrant or supplier has "
                       "this name fail the checklist."),
    )  # fmt: skip
    uscc = StringField(
        _l("Unified social credit code"),
        validators=[Optional(), Length(max=30)],
        description=_l("When the list gives it: matched against the business licences."),
    )
    source = StringField(
        _l("Listed by"),
        validators=[InputRequired(), Length(max=300)],
        description=_l("The regulator or notice, e.g. 市场监管总局 2020 年第 12 号通告."),
    )
    reason = TextAreaField(
        _l("Why"), validators=[Optional(), Length(max=1000)], render_kw={"rows": 2}
    )
    listed_on = DateField(
        _l("Listed on"), validators=[InputRequired(message=DATE_FORMAT)], format="%Y-%m-%d"
    )
    submit = SubmitField(_l("Add to the negative list"))


class UnlistForm(FlaskForm):
    reason = StringField(
        _l("Reason for taking it off the list"), validators=[InputRequired(), Length(max=500)]
    )
    submit = SubmitField(_l("Take off the list"))
