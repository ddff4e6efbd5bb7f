"""What a test report's measured values must reach, by grade: `STANDARD_LIMITS`, with where each
figure comes from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from core.text import Message

from .vocabulary import Grade, Measure

__all__ = [
    "GB2626_2019_FROM",
    "PERCENT",
    "STANDARD_LIMITS",
    "Limit",
    "format_number",
    "kn95_edition",
    "limits_for",
]


@dataclass(frozen=True)
class Limit:
    """A measured value's limit in a grade's standard: at least `minimum` or at most `maximum`
    (numbers), or `must_pass` for a pass/fail test such as synthetic blood penetration."""

    measure: Measure
    standard: str
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    unit: str = ""
    must_pass: bool = False
    optional: bool = False  # checked where the report gives it; not missing when it does not

    def describe(self) -> Message:
        if self.must_pass:
            return Message("不得渗透", "no penetration")
        if self.minimum is not None:
            bound = f"{format_number(self.minimum)}{self.unit}"
            return Message(f"≥{bound}", f"≥ {bound}")
        bound = f"{format_number(self.maximum)}{self.unit}"
        return Message(f"≤{bound}", f"≤ {bound}")


M = Measure
D = Decimal
PERCENT = "%"
PA = " Pa"
PA_CM2 = " Pa/cm²"

# Limits by grade. The standards themselves were not available to read; each figure below was
# checked against at least one public copy or summary found with the search tool:
# * GB 19083-2010 (medical protective): non-oily particle filtration at 85 L/min ≥95% for level 1
#   (levels 2 and 3: ≥99%, ≥99.97%), inhalation resistance ≤343.2 Pa (35 mmH2O) at 85 L/min,
#   no penetration by 2 mL synthetic blood at 10.7 kPa (80 mmHg). Sources: shenzhen.11467.com
#   standards table; m.gansulong.com summary; Duter2016.github.io table of mask standards.
# * YY 0469-2011 (surgical): BFE ≥95%, PFE (NaCl, 30 L/min) ≥30%, pressure difference Δp ≤49
#   (the 2011 text writes "Pa"; its method measures at 8 L/min over 4.9 cm² and reports per cm²,
#   hence Pa/cm² as in YY/T 0969), no penetration by 2 mL synthetic blood at 16.0 kPa (120
#   mmHg). Sources: m.disposable-supplier.com and jyfhtools.com summaries, www.740250.com product
#   sheet, horizontester.com on Δp test conditions.
# * YY/T 0969-2013 (disposable medical): BFE ≥95%, ventilation resistance ≤49 Pa/cm² (8 L/min).
#   Sources: horizontester.com ("not greater than 49 Pa/cm²"), Duter2016.github.io table (BFE
#   不小于95%). This standard has no synthetic blood requirement (only the surgical one shows it
#   in the sources above); one summary (wendang.net) lists it — not confirmed, not checked.
# * GB 2626-2006 (KN95): filtration (NaCl) ≥95%, inhalation resistance ≤350 Pa and exhalation
#   resistance ≤250 Pa at 85 L/min. Source: biz.doczj.com comparison of GB 2626-2006 with EN 149.
#   GB 2626-2019 replaced it for goods made from 1 July 2020: see `limits_for` below.
# * GB/T 32610-2016 (daily protective): filtration level III (the lowest) ≥90% with salt medium
#   and ≥80% with oil medium (levels I/II: 99/95 salt, 99/95 oil), inhalation resistance ≤175 Pa,
#   exhalation resistance ≤145 Pa. Sources: 95701577.b2b.11467.com (tables 1 and 4 of the
#   standard), m.stresscarki.com, lovemebest.cn. The brief this module was written from said
#   ≥90% for the oil medium too; the standard's table says 80%, which is used here.
STANDARD_LIMITS: dict[Grade, tuple[Limit, ...]] = {
    Grade.MEDICAL_PROTECTIVE: (
        Limit(M.PARTICLE_FILTRATION, "GB 19083-2010", minimum=D("95"), unit=PERCENT),
        Limit(M.INHALATION_RESISTANCE, "GB 19083-2010", maximum=D("343.2"), unit=PA),
        Limit(M.SYNTHETIC_BLOOD, "GB 19083-2010", must_pass=True),
    ),
    Grade.SURGICAL: (
        Limit(M.BACTERIAL_FILTRATION, "YY 0469-2011", minimum=D("95"), unit=PERCENT),
        Limit(M.PARTICLE_FILTRATION, "YY 0469-2011", minimum=D("30"), unit=PERCENT),
        Limit(M.PRESSURE_DIFFERENCE, "YY 0469-2011", maximum=D("49"), unit=PA_CM2),
        Limit(M.SYNTHETIC_BLOOD, "YY 0469-2011", must_pass=True),
    ),
    Grade.DISPOSABLE_MEDICAL: (
        Limit(M.BACTERIAL_FILTRATION, "YY/T 0969-2013", minimum=D("95"), unit=PERCENT),
        Limit(M.PRESSURE_DIFFERENCE, "YY/T 0969-2013", maximum=D("49"), unit=PA_CM2),
    ),
    Grade.KN95: (
        Limit(M.PARTICLE_FILTRATION, "GB 2626-2006", minimum=D("95"), unit=PERCENT),
        Limit(M.INHALATION_RESISTANCE, "GB 2626-2006", maximum=D("350"), unit=PA),
        Limit(M.EXHALATION_RESISTANCE, "GB 2626-2006", maximum=D("250"), unit=PA),
        Limit(M.TOTAL_INWARD_LEAKAGE, "GB 2626-2006", maximum=D("8"), unit=PERCENT, optional=True),
    ),
    Grade.DAILY_PROTECTIVE: (
        Limit(M.PARTICLE_FILTRATION, "GB/T 32610-2016", minimum=D("90"), unit=PERCENT),
        Limit(M.OIL_FILTRATION, "GB/T 32610-2016", minimum=D("80"), unit=PERCENT),
        Limit(M.INHALATION_RESISTANCE, "GB/T 32610-2016", maximum=D("175"), unit=PA),
        Limit(M.EXHALATION_RESISTANCE, "GB/T 32610-2016", maximum=D("145"), unit=PA),
    ),
}


# KN95 by edition (GB 2626 is mandatory: a batch is judged by the edition in force when it was
# made). GB 2626-2019 was issued 2019-12-31 and applies from 2020-07-01; goods made to the 2006
# edition before that date may be sold in their packaging (SAMR notice as quoted by ppein.com and
# 91se91.com, June 2020). Its clause 5.5 changed the breathing resistance and made it depend on
# the exhalation valve. Disposable (随弃式) KN95, at 85 L/min: without a valve inhalation ≤210 Pa
# and exhalation ≤210 Pa; with a valve inhalation ≤250 Pa and exhalation ≤150 Pa. The inhalation
# figures (210 without, 250 with a valve) were found in a commentary on the 2019 text
# (ppein.com); the exhalation figures are as the standard's table 3 is commonly quoted and could
# not be confirmed from a second public copy here. Total inward leakage (clause 5.3 of the 2006
# edition, kept in 2019): the mean of each wearer ≤8% for KN95 (and each single result ≤11%),
# source biz.doczj.com comparison of GB 2626-2006 with EN 149 and 3M's technical bulletin of
# 2020-07-17; a report gives the highest wearer mean, checked against 8% where it is given.
GB2626_2019_FROM = date(2020, 7, 1)
_TIL = Limit(M.TOTAL_INWARD_LEAKAGE, "GB 2626-2019", maximum=D("8"), unit=PERCENT, optional=True)
KN95_2019 = {
    False: (
        Limit(M.PARTICLE_FILTRATION, "GB 2626-2019", minimum=D("95"), unit=PERCENT),
        Limit(M.INHALATION_RESISTANCE, "GB 2626-2019", maximum=D("210"), unit=PA),
        Limit(M.EXHALATION_RESISTANCE, "GB 2626-2019", maximum=D("210"), unit=PA),
        _TIL,
    ),
    True: (
        Limit(M.PARTICLE_FILTRATION, "GB 2626-2019", minimum=D("95"), unit=PERCENT),
        Limit(M.INHALATION_RESISTANCE, "GB 2626-2019", maximum=D("250"), unit=PA),
        Limit(M.EXHALATION_RESISTANCE, "GB 2626-2019", maximum=D("150"), unit=PA),
        _TIL,
    ),
    # Not recorded: each resistance against the stricter of the two (and the valve line fails).
    None: (
        Limit(M.PARTICLE_FILTRATION, "GB 2626-2019", minimum=D("95"), unit=PERCENT),
        Limit(M.INHALATION_RESISTANCE, "GB 2626-2019", maximum=D("210"), unit=PA),
        Limit(M.EXHALATION_RESISTANCE, "GB 2626-2019", maximum=D("150"), unit=PA),
        _TIL,
    ),
}


def kn95_edition(production_date: date | None) -> str:
    """The GB 2626 edition a KN95 batch is judged by: 2006 for goods made before 2020-07-01,
    2019 otherwise (also when the production date is not known: the edition in force)."""
    if production_date is not None and production_date < GB2626_2019_FROM:
        return "GB 2626-2006"
    return "GB 2626-2019"


def limits_for(
    grade: Grade, production_date: date | None = None, exhalation_valve: bool | None = None
) -> tuple[Limit, ...]:
    """What a batch's test report must reach: the grade's standard, for KN95 in the edition of
    its production date and for its valve."""
    if grade is Grade.KN95 and kn95_edition(production_date) == "GB 2626-2019":
        return KN95_2019[exhalation_valve]
    return STANDARD_LIMITS[grade]


def format_number(value: Decimal | None) -> str:
    """A limit or a measured value as written: 95, 343.2 (no exponent, no trailing zeros)."""
    if value is None:
        return ""
    return format(value.normalize(), "f")
