"""The quality gate's rules: which papers a batch of masks needs and whether they hold up.

Pure Python: no Flask, no database. The Flask layer fills `BatchFacts` (with its
`CertificateFacts`) from its models and calls `evaluate(batch)`, which returns a `Checklist`:
a list of `RuleResult` (pass / fail / warn, each with its message in Simplified Chinese and
English) and an overall verdict — any FAIL makes the verdict FAIL, otherwise any WARN makes it
WARN. A batch whose verdict is FAIL can only be released with a written override reason.

Requirement table
=================
Which certificate kinds a batch needs, by grade and origin (`requirement_for`). "One of" means at
least one of the listed kinds; "recommended" kinds only give a warning when missing. Imported
goods also need the inspector's two confirmations (goods match the order, packaging intact).

======================  =========================  ==============================================
grade                   origin                     needs
======================  =========================  ==============================================
medical protective      domestic medical           registration certificate, production licence,
(GB 19083-2010),                                   business licence, test report
surgical                domestic non-medical       the same (the goods are medical devices
(YY 0469-2011),                                    whatever they were recorded as) — and the
disposable medical                                 origin itself FAILS (`origin.consistent`)
(YY/T 0969-2013)        imported                   customs declaration; one of NIOSH approval, CE
                                                   certificate, FDA authorisation, or a Chinese
                                                   import registration (国械注进/许); the
                                                   inspector's confirmations
                        donation                   donation letter, plus the row above for what
                                                   the goods are (domestic or imported)
KN95 (GB 2626-2006),    domestic non-medical       business licence, test report; conformity
daily protective                                   certificate recommended
(GB/T 32610-2016)       domestic medical           the same, with a WARN that the grade is not a
                                                   medical device (`origin.consistent`)
                        imported                   customs declaration; one of NIOSH approval, CE
                                                   certificate, FDA authorisation; the inspector's
                                                   confirmations
                        donation                   donation letter, plus the row above for what
                                                   the goods are
======================  =========================  ==============================================

For a donation the goods are checked as imported when `BatchFacts.donated_goods_origin` says so,
or — when it is not given — when a NIOSH approval, CE certificate, FDA authorisation or customs
declaration is attached; otherwise as domestic (`donation.goods_origin` says which was used).

What each rule checks
=====================
* `grade.known`, `origin.consistent`: the grade is one this table covers; the origin fits it.
* `documents.<kind>` / `documents.foreign_approval`: the required papers are attached.
* `registration.number`: 2014 format (see `validators.parse_registration_number`); 械备 filings and
  pre-2014 formats fail; class digit must be 2 or 3; a province approves Class II only (Class III
  under a province fails), 国 with 准 is a domestic Class III number (warn for masks, which are
  Class II); imports (进/许) are always 国; category 14 (2017 catalogue) or 64 (2002) else warn;
  a first-registration year after the receipt date fails; 准 on imported goods or 进/许 on
  domestic goods warns.
* `production_licence.number`, `business_licence.uscc`, `niosh.number`, `ce.notified_body`,
  `customs.number`, `fda.number`: the number formats.
  CE decision (documented here as asked): respirators (medical protective, KN95) are EU PPE
  Category III and need an EU type-examination certificate from a notified body, so a CE paper
  with no four-digit notified-body number FAILS; surgical, disposable medical and daily masks may
  be CE-marked on the maker's own declaration (EU medical-device Class I), so there it only WARNS.
  Number 1282 (ECM, Ente Certificazione Macchine) FAILS for every grade: ECM states it is not a
  notified body for PPE and its "certificates of compliance" are not CE certificates
  (entecerma.it, 3 March 2021; European Safety Federation warning of April 2020).
  FDA: an FDA establishment registration or listing number (7-10 digits only) is not an
  authorisation and FAILS; a 510(k) number (K + 6 digits) or an EUA reference passes; anything
  else warns.
* `validity.<kind>`: the certificate covers the receipt date (valid_from <= received_on <=
  valid_until); expiring within 30 days after receipt warns; a registration certificate,
  production licence or CE certificate with no end date warns (business licences may be 长期,
  NIOSH approvals and EUAs have no fixed end). A registration certificate valid for six months or
  less is called out as an emergency approval (应急审批) in the message. Test reports, conformity
  certificates, customs declarations and donation letters have no validity to check.
* `company.same_name`: the holders of the business licence, production licence, registration
  certificate and test report, and the batch's maker, are one company (domestic goods only).
  Names are compared after folding full-width/half-width characters, dropping whitespace and
  brackets; when they differ only in the company-form suffix (有限公司 / 有限责任公司 /
  股份有限公司 / 公司) the rule warns, otherwise it fails.
* `test.<measure>`: every test report's measured values against the grade's standard
  (`STANDARD_LIMITS`); a missing value fails and names what is missing (for imported goods,
  whose report is not required and may follow a foreign standard, a missing value only warns;
  a value given and out of limits still fails).
* `inspection.goods_match_order`, `inspection.packaging_intact`: for imported goods (and donated
  imported goods) None fails with "needs the inspector's confirmation"; for any goods a recorded
  False fails.

Standard limits and where they come from are documented at `STANDARD_LIMITS`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from procurement.validators import (
    Message,
    NumberFormatError,
    customs_declaration_problem,
    niosh_problem,
    normalise_code,
    notified_body_problem,
    parse_production_licence,
    parse_registration_number,
    uscc_problem,
)

__all__ = [
    "EXPIRY_WARNING_DAYS",
    "GRADE_LABELS",
    "KIND_LABELS",
    "MEASURE_LABELS",
    "MEDICAL_GRADES",
    "STANDARD_LIMITS",
    "BatchFacts",
    "CertificateFacts",
    "CertificateKind",
    "Checklist",
    "Grade",
    "Limit",
    "Measure",
    "Message",
    "Origin",
    "Outcome",
    "Requirement",
    "RuleResult",
    "evaluate",
    "normalise_company_name",
    "requirement_for",
]

EXPIRY_WARNING_DAYS = 30
EMERGENCY_APPROVAL_MAX_DAYS = 190  # 2020 emergency approvals (应急审批) ran for six months


# --------------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------------


class Outcome(StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"


class Grade(StrEnum):
    """Mask grades by the standard they are made to."""

    MEDICAL_PROTECTIVE = "medical_protective"  # 医用防护口罩, GB 19083-2010
    SURGICAL = "surgical"  # 医用外科口罩, YY 0469-2011
    DISPOSABLE_MEDICAL = "disposable_medical"  # 一次性使用医用口罩, YY/T 0969-2013
    KN95 = "kn95"  # 自吸过滤式防颗粒物呼吸器 KN95, GB 2626-2006
    DAILY_PROTECTIVE = "daily_protective"  # 日常防护型口罩, GB/T 32610-2016


MEDICAL_GRADES = frozenset({Grade.MEDICAL_PROTECTIVE, Grade.SURGICAL, Grade.DISPOSABLE_MEDICAL})
# Respirators: EU PPE Category III when CE-marked, so a notified body is compulsory.
RESPIRATOR_GRADES = frozenset({Grade.MEDICAL_PROTECTIVE, Grade.KN95})


class Origin(StrEnum):
    DOMESTIC_MEDICAL = "domestic_medical"  # 国产医用
    DOMESTIC_NON_MEDICAL = "domestic_non_medical"  # 国产非医用
    IMPORTED = "imported"  # 进口
    DONATION = "donation"  # 捐赠


class CertificateKind(StrEnum):
    REGISTRATION_CERTIFICATE = "registration_certificate"  # 医疗器械注册证
    PRODUCTION_LICENCE = "production_licence"  # 医疗器械生产许可证
    BUSINESS_LICENCE = "business_licence"  # 营业执照 (number = unified social credit code)
    TEST_REPORT = "test_report"  # 检验报告 (with measured values)
    CONFORMITY_CERTIFICATE = "conformity_certificate"  # 产品合格证
    NIOSH_APPROVAL = "niosh_approval"
    CE_CERTIFICATE = "ce_certificate"  # with the notified body's number
    FDA_AUTHORISATION = "fda_authorisation"  # EUA or 510(k)
    CUSTOMS_DECLARATION = "customs_declaration"  # 进口货物报关单
    DONATION_LETTER = "donation_letter"  # 捐赠函


class Measure(StrEnum):
    """Keys of `CertificateFacts.measured` (a test report's measured values)."""

    PARTICLE_FILTRATION = "particle_filtration"  # % (NaCl / salt / non-oily particles)
    OIL_FILTRATION = "oil_filtration"  # % (paraffin oil / oily particles)
    BACTERIAL_FILTRATION = "bacterial_filtration"  # % (BFE)
    INHALATION_RESISTANCE = "inhalation_resistance"  # Pa at 85 L/min
    EXHALATION_RESISTANCE = "exhalation_resistance"  # Pa at 85 L/min
    PRESSURE_DIFFERENCE = "pressure_difference"  # Δp, Pa/cm² at 8 L/min (通气阻力/压力差)
    SYNTHETIC_BLOOD = "synthetic_blood"  # bool: True = no penetration (passes)


GRADE_LABELS: dict[Grade, Message] = {
    Grade.MEDICAL_PROTECTIVE: Message(
        "医用防护口罩（GB 19083-2010）", "medical protective mask (GB 19083-2010)"
    ),
    Grade.SURGICAL: Message("医用外科口罩（YY 0469-2011）", "surgical mask (YY 0469-2011)"),
    Grade.DISPOSABLE_MEDICAL: Message(
        "一次性使用医用口罩（YY/T 0969-2013）", "disposable medical mask (YY/T 0969-2013)"
    ),
    Grade.KN95: Message("KN95 防颗粒物口罩（GB 2626-2006）", "KN95 respirator (GB 2626-2006)"),
    Grade.DAILY_PROTECTIVE: Message(
        "日常防护型口罩（GB/T 32610-2016）", "daily protective mask (GB/T 32610-2016)"
    ),
}

KIND_LABELS: dict[CertificateKind, Message] = {
    CertificateKind.REGISTRATION_CERTIFICATE: Message(
        "医疗器械注册证", "medical device registration certificate"
    ),
    CertificateKind.PRODUCTION_LICENCE: Message(
        "医疗器械生产许可证", "medical device production licence"
    ),
    CertificateKind.BUSINESS_LICENCE: Message("营业执照", "business licence"),
    CertificateKind.TEST_REPORT: Message("检验报告", "test report"),
    CertificateKind.CONFORMITY_CERTIFICATE: Message("产品合格证", "certificate of conformity"),
    CertificateKind.NIOSH_APPROVAL: Message("NIOSH 认证", "NIOSH approval"),
    CertificateKind.CE_CERTIFICATE: Message("CE 证书", "CE certificate"),
    CertificateKind.FDA_AUTHORISATION: Message("FDA 授权（EUA）", "FDA authorisation (EUA)"),
    CertificateKind.CUSTOMS_DECLARATION: Message("进口货物报关单", "customs import declaration"),
    CertificateKind.DONATION_LETTER: Message("捐赠函", "donation letter"),
}

ORIGIN_LABELS: dict[Origin, Message] = {
    Origin.DOMESTIC_MEDICAL: Message("国产医用", "domestic medical"),
    Origin.DOMESTIC_NON_MEDICAL: Message("国产非医用", "domestic non-medical"),
    Origin.IMPORTED: Message("进口", "imported"),
    Origin.DONATION: Message("捐赠", "donation"),
}

MEASURE_LABELS: dict[Measure, Message] = {
    Measure.PARTICLE_FILTRATION: Message(
        "颗粒过滤效率（非油性/盐性介质）", "particle filtration efficiency (non-oily/salt)"
    ),
    Measure.OIL_FILTRATION: Message("油性介质过滤效率", "filtration efficiency (oily medium)"),
    Measure.BACTERIAL_FILTRATION: Message(
        "细菌过滤效率（BFE）", "bacterial filtration efficiency (BFE)"
    ),
    Measure.INHALATION_RESISTANCE: Message("吸气阻力", "inhalation resistance"),
    Measure.EXHALATION_RESISTANCE: Message("呼气阻力", "exhalation resistance"),
    Measure.PRESSURE_DIFFERENCE: Message("压力差（通气阻力 Δp）", "pressure difference (Δp)"),
    Measure.SYNTHETIC_BLOOD: Message("合成血液穿透", "synthetic blood penetration"),
}


# --------------------------------------------------------------------------------------------
# Inputs and outputs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CertificateFacts:
    """One certificate as the Flask layer recorded it.

    kind: a `CertificateKind` (or its string value). number: as printed (registration number,
    licence number, unified social credit code for a business licence, report number, NIOSH
    approval number, customs declaration number, ...). issuer: the issuing authority or lab.
    holder: the company named on it (the 注册人 / 委托单位 / licensee). valid_from / valid_until:
    the validity printed on it (for a test report, valid_from is its issue date); None when the
    paper has none (a business licence 长期). notified_body: for a CE certificate, the notified
    body's four-digit number. measured: for a test report, its measured values keyed by `Measure`
    (numbers as int, float, Decimal or numeric strings; synthetic_blood as a bool, True meaning
    no penetration).
    """

    kind: CertificateKind | str
    number: str = ""
    issuer: str = ""
    holder: str = ""
    valid_from: date | None = None
    valid_until: date | None = None
    notified_body: str | None = None
    measured: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class BatchFacts:
    """What the rules need to know about a received batch.

    grade_code: a `Grade` value (e.g. "surgical"). origin: an `Origin` value. received_on: the
    receipt date (local date). maker: the manufacturer recorded on the batch. certificates: every
    certificate attached to the batch. goods_match_order / packaging_intact: the inspector's
    confirmations (None = not confirmed yet). donated_goods_origin: for a donation, whether the
    goods themselves are domestic medical, domestic non-medical or imported (None = infer it from
    the papers attached).
    """

    grade_code: Grade | str
    origin: Origin | str
    received_on: date
    maker: str = ""
    certificates: Sequence[CertificateFacts] = ()
    goods_match_order: bool | None = None
    packaging_intact: bool | None = None
    donated_goods_origin: Origin | str | None = None


@dataclass(frozen=True)
class RuleResult:
    """One line of the checklist. `code` is stable (e.g. "registration.number"); `subject` is
    what the line is about when there can be several (a certificate's number), else ""."""

    code: str
    outcome: Outcome
    message_zh: str
    message_en: str
    subject: str = ""

    def message(self, lang: str | None = "zh") -> str:
        return self.message_en if lang and str(lang).lower().startswith("en") else self.message_zh

    def as_dict(self) -> dict[str, str]:
        """Plain values, e.g. to keep a snapshot of the checklist with a release or override."""
        return {
            "code": self.code,
            "outcome": str(self.outcome),
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "subject": self.subject,
        }


@dataclass(frozen=True)
class Checklist:
    results: tuple[RuleResult, ...]

    @property
    def verdict(self) -> Outcome:
        """FAIL if any rule failed, else WARN if any warned, else PASS."""
        outcomes = {r.outcome for r in self.results}
        if Outcome.FAIL in outcomes:
            return Outcome.FAIL
        if Outcome.WARN in outcomes:
            return Outcome.WARN
        return Outcome.PASS

    @property
    def passed(self) -> bool:
        """True when nothing failed (warnings allowed): releasable without an override."""
        return self.verdict is not Outcome.FAIL

    @property
    def failures(self) -> tuple[RuleResult, ...]:
        return tuple(r for r in self.results if r.outcome is Outcome.FAIL)

    @property
    def warnings(self) -> tuple[RuleResult, ...]:
        return tuple(r for r in self.results if r.outcome is Outcome.WARN)

    def by_code(self, code: str) -> tuple[RuleResult, ...]:
        return tuple(r for r in self.results if r.code == code)

    def as_dict(self) -> dict[str, object]:
        """{"verdict": "fail", "results": [...]} with plain values (JSON-ready)."""
        return {"verdict": str(self.verdict), "results": [r.as_dict() for r in self.results]}

    def __iter__(self) -> Iterator[RuleResult]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)


# --------------------------------------------------------------------------------------------
# Requirement table
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Requirement:
    """The papers a batch needs: every `required` kind; at least one kind of each `any_of` group;
    `recommended` kinds only warn when missing; `inspector_confirmations` for imported goods."""

    required: tuple[CertificateKind, ...] = ()
    any_of: tuple[tuple[CertificateKind, ...], ...] = ()
    recommended: tuple[CertificateKind, ...] = ()
    inspector_confirmations: bool = False


K = CertificateKind
_DOMESTIC_MEDICAL = Requirement(
    required=(K.REGISTRATION_CERTIFICATE, K.PRODUCTION_LICENCE, K.BUSINESS_LICENCE, K.TEST_REPORT)
)
_DOMESTIC_NON_MEDICAL = Requirement(
    required=(K.BUSINESS_LICENCE, K.TEST_REPORT), recommended=(K.CONFORMITY_CERTIFICATE,)
)
_IMPORTED_MEDICAL = Requirement(
    required=(K.CUSTOMS_DECLARATION,),
    any_of=((K.NIOSH_APPROVAL, K.CE_CERTIFICATE, K.FDA_AUTHORISATION, K.REGISTRATION_CERTIFICATE),),
    inspector_confirmations=True,
)
_IMPORTED_NON_MEDICAL = Requirement(
    required=(K.CUSTOMS_DECLARATION,),
    any_of=((K.NIOSH_APPROVAL, K.CE_CERTIFICATE, K.FDA_AUTHORISATION),),
    inspector_confirmations=True,
)
_FOREIGN_KINDS = frozenset(
    {K.NIOSH_APPROVAL, K.CE_CERTIFICATE, K.FDA_AUTHORISATION, K.CUSTOMS_DECLARATION}
)


def _goods_path(grade: Grade, origin: Origin) -> Origin:
    """The origin whose papers the goods need (a donation's goods are domestic or imported)."""
    if origin is Origin.IMPORTED:
        return Origin.IMPORTED
    return Origin.DOMESTIC_MEDICAL if grade in MEDICAL_GRADES else Origin.DOMESTIC_NON_MEDICAL


def requirement_for(
    grade: Grade | str, origin: Origin | str, goods_origin: Origin | str | None = None
) -> Requirement:
    """The papers a batch of `grade` and `origin` needs (see the table in the module docstring).

    For a donation, `goods_origin` says what the donated goods are (domestic or imported;
    default: domestic) and the donation letter is added to that row.
    """
    grade, origin = Grade(grade), Origin(origin)
    if origin is Origin.DONATION:
        goods = Origin(goods_origin) if goods_origin else Origin.DOMESTIC_MEDICAL
        if goods is Origin.DONATION:
            goods = Origin.DOMESTIC_MEDICAL
        base = requirement_for(grade, goods)
        return Requirement(
            required=(K.DONATION_LETTER, *base.required),
            any_of=base.any_of,
            recommended=base.recommended,
            inspector_confirmations=base.inspector_confirmations,
        )
    path = _goods_path(grade, origin)
    if path is Origin.IMPORTED:
        return _IMPORTED_MEDICAL if grade in MEDICAL_GRADES else _IMPORTED_NON_MEDICAL
    return _DOMESTIC_MEDICAL if path is Origin.DOMESTIC_MEDICAL else _DOMESTIC_NON_MEDICAL


# --------------------------------------------------------------------------------------------
# Standard limits
# --------------------------------------------------------------------------------------------


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

    def describe(self) -> Message:
        if self.must_pass:
            return Message("不得渗透", "no penetration")
        if self.minimum is not None:
            bound = f"{_fmt(self.minimum)}{self.unit}"
            return Message(f"≥{bound}", f"≥ {bound}")
        bound = f"{_fmt(self.maximum)}{self.unit}"
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
#   Note: GB 2626-2019 replaced it from 1 July 2020 with different resistance limits; its
#   figures could not be confirmed, so the 2006 limits are used for every KN95 batch.
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
    ),
    Grade.DAILY_PROTECTIVE: (
        Limit(M.PARTICLE_FILTRATION, "GB/T 32610-2016", minimum=D("90"), unit=PERCENT),
        Limit(M.OIL_FILTRATION, "GB/T 32610-2016", minimum=D("80"), unit=PERCENT),
        Limit(M.INHALATION_RESISTANCE, "GB/T 32610-2016", maximum=D("175"), unit=PA),
        Limit(M.EXHALATION_RESISTANCE, "GB/T 32610-2016", maximum=D("145"), unit=PA),
    ),
}


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _cap(text: str) -> str:
    """Capitalise the first letter only ("NIOSH approval" stays as it is)."""
    return text[:1].upper() + text[1:]


_CLASS_ZH = {1: "一", 2: "二", 3: "三"}
_CLASS_EN = {1: "I", 2: "II", 3: "III"}


def _fmt(value: Decimal | None) -> str:
    if value is None:
        return ""
    text = format(value.normalize(), "f")
    return text


def _as_date(value: date | datetime | None) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return value


def _result(code: str, outcome: Outcome, message: Message, subject: str = "") -> RuleResult:
    return RuleResult(code, outcome, message.zh, message.en, subject)


def _kind(cert: CertificateFacts) -> CertificateKind | None:
    try:
        return CertificateKind(cert.kind)
    except ValueError:
        return None


def _label(cert: CertificateFacts) -> Message:
    """“医疗器械注册证 粤械注准20202140096” — a certificate as named in messages."""
    kind = _kind(cert)
    base = KIND_LABELS[kind] if kind else Message(str(cert.kind), str(cert.kind))
    number = (cert.number or "").strip()
    if not number:
        return base
    return Message(f"{base.zh}（{number}）", f"{base.en} {number}")


# --------------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------------


def _check_origin(grade: Grade, origin: Origin) -> list[RuleResult]:
    if grade in MEDICAL_GRADES and origin is Origin.DOMESTIC_NON_MEDICAL:
        g = GRADE_LABELS[grade]
        return [
            _result(
                "origin.consistent",
                Outcome.FAIL,
                Message(
                    f"{g.zh}属第二类医疗器械，不能按“国产非医用”物资入库；"
                    "请核对品种或来源，并按医用口罩要求提供证照",
                    f"A {g.en} is a Class II medical device and cannot be received as domestic "
                    "non-medical goods: check the grade or the origin, and ask for the papers a "
                    "medical mask needs",
                ),
            )
        ]
    if grade not in MEDICAL_GRADES and origin is Origin.DOMESTIC_MEDICAL:
        g = GRADE_LABELS[grade]
        return [
            _result(
                "origin.consistent",
                Outcome.WARN,
                Message(
                    f"{g.zh}不属于医疗器械，来源却登记为“国产医用”；按非医用口罩要求核对",
                    f"A {g.en} is not a medical device but its origin is recorded as domestic "
                    "medical: checked against the requirements for non-medical masks",
                ),
            )
        ]
    return []


def _check_documents(
    requirement: Requirement, certificates: Sequence[CertificateFacts]
) -> list[RuleResult]:
    present = {_kind(c) for c in certificates}
    results = []
    for kind in requirement.required:
        label = KIND_LABELS[kind]
        if kind in present:
            results.append(
                _result(
                    f"documents.{kind}",
                    Outcome.PASS,
                    Message(f"已提供{label.zh}", f"{_cap(label.en)} provided"),
                )
            )
        else:
            results.append(
                _result(
                    f"documents.{kind}",
                    Outcome.FAIL,
                    Message(f"缺少{label.zh}", f"Missing: {label.en}"),
                )
            )
    for group in requirement.any_of:
        names_zh = "、".join(KIND_LABELS[k].zh for k in group)
        names_en = ", ".join(KIND_LABELS[k].en for k in group)
        found = [k for k in group if k in present]
        if found:
            results.append(
                _result(
                    "documents.foreign_approval",
                    Outcome.PASS,
                    Message(
                        "已提供" + "、".join(KIND_LABELS[k].zh for k in found),
                        _cap(", ".join(KIND_LABELS[k].en for k in found)) + " provided",
                    ),
                )
            )
        else:
            results.append(
                _result(
                    "documents.foreign_approval",
                    Outcome.FAIL,
                    Message(
                        f"缺少境外认证：须提供{names_zh}之一",
                        f"Missing foreign approval: one of {names_en} is needed",
                    ),
                )
            )
    for kind in requirement.recommended:
        if kind not in present:
            label = KIND_LABELS[kind]
            results.append(
                _result(
                    f"documents.{kind}",
                    Outcome.WARN,
                    Message(f"未提供{label.zh}（建议提供）", f"No {label.en} (recommended)"),
                )
            )
    return results


def _check_registration(
    cert: CertificateFacts, grade: Grade, path: Origin, received_on: date
) -> RuleResult:
    code, subject = "registration.number", cert.number or ""
    try:
        reg = parse_registration_number(cert.number)
    except NumberFormatError as error:
        return _result(code, Outcome.FAIL, error.message, subject)
    n = reg.text
    if reg.device_class not in (2, 3):
        return _result(
            code,
            Outcome.FAIL,
            Message(
                f"注册证 {n} 的管理类别位为 {reg.device_class}，医用口罩应为第二类医疗器械注册证",
                f"Registration {n} shows {reg.device_class} as its class digit; medical masks "
                "need a Class II registration",
            ),
            subject,
        )
    if reg.form in "进许" and not reg.is_national:
        return _result(
            code,
            Outcome.FAIL,
            Message(
                f"注册证编号 {n} 不正确：进口及港澳台医疗器械注册证由国家药监局核发，应以“国”开头",
                f"Registration number {n} is not valid: imported (and Hong Kong, Macao, Taiwan) "
                "devices are registered nationally, so the number starts with 国",
            ),
            subject,
        )
    if reg.form == "准" and not reg.is_national and reg.device_class == 3:
        return _result(
            code,
            Outcome.FAIL,
            Message(
                f"注册证编号 {n} 不正确：省级药监部门只审批第二类医疗器械，不能出现第三类",
                f"Registration number {n} is not valid: a province only registers Class II "
                "devices, so it cannot show Class III",
            ),
            subject,
        )
    if reg.year > received_on.year:
        return _result(
            code,
            Outcome.FAIL,
            Message(
                f"注册证编号 {n} 的首次注册年份 {reg.year} 晚于到货日期，编号有误",
                f"Registration number {n} gives {reg.year} as its first registration year, "
                "after the goods arrived: the number is wrong",
            ),
            subject,
        )
    warnings: list[Message] = []
    if reg.form == "准" and reg.is_national:
        warnings.append(
            Message(
                "“国械注准”是境内第三类医疗器械的编号，医用口罩一般为省局审批的第二类",
                "国械注准 numbers are for domestic Class III devices; medical masks are "
                "normally Class II, registered by a province",
            )
        )
    if reg.category not in ("14", "64"):
        warnings.append(
            Message(
                f"分类编码 {reg.category} 不是口罩所属类别（2017 版分类目录为 14，旧目录为 64），"
                "请核对注册证上的产品名称",
                f"Category {reg.category} is not the category masks belong to (14 in the 2017 "
                "catalogue, 64 in the old one): check the product named on the certificate",
            )
        )
    if path is Origin.IMPORTED and reg.form == "准":
        warnings.append(
            Message(
                "进口物资附的是境内注册证（准），请核对货物产地",
                "Imported goods carry a domestic registration (准): check where the goods "
                "were made",
            )
        )
    if path is not Origin.IMPORTED and reg.form in "进许":
        warnings.append(
            Message(
                "国产物资附的是进口注册证（进/许），请核对来源",
                "Domestic goods carry an import registration (进/许): check the origin",
            )
        )
    if grade not in MEDICAL_GRADES:
        warnings.append(
            Message(
                f"{GRADE_LABELS[grade].zh}不是医疗器械，附医疗器械注册证请核对品种",
                f"A {GRADE_LABELS[grade].en} is not a medical device: check the grade",
            )
        )
    if warnings:
        return _result(
            code,
            Outcome.WARN,
            Message(
                f"注册证编号 {n}：" + "；".join(w.zh for w in warnings),
                f"Registration number {n}: " + "; ".join(w.en for w in warnings),
            ),
            subject,
        )
    return _result(
        code,
        Outcome.PASS,
        Message(
            f"注册证编号 {n} 格式正确（第{_CLASS_ZH[reg.device_class]}类医疗器械，"
            f"{reg.year} 年首次注册）",
            f"Registration number {n} is well formed (Class {_CLASS_EN[reg.device_class]} "
            f"device, first registered {reg.year})",
        ),
        subject,
    )


def _check_production_licence(cert: CertificateFacts, received_on: date) -> RuleResult:
    code, subject = "production_licence.number", cert.number or ""
    try:
        lic = parse_production_licence(cert.number)
    except NumberFormatError as error:
        return _result(code, Outcome.FAIL, error.message, subject)
    if lic.year > received_on.year:
        return _result(
            code,
            Outcome.FAIL,
            Message(
                f"生产许可证编号 {lic.text} 的年份 {lic.year} 晚于到货日期，编号有误",
                f"Production licence number {lic.text} gives the year {lic.year}, after the "
                "goods arrived: the number is wrong",
            ),
            subject,
        )
    return _result(
        code,
        Outcome.PASS,
        Message(
            f"生产许可证编号 {lic.text} 格式正确",
            f"Production licence number {lic.text} is well formed",
        ),
        subject,
    )


def _check_business_licence(cert: CertificateFacts) -> RuleResult:
    code, subject = "business_licence.uscc", cert.number or ""
    problem = uscc_problem(cert.number)
    if problem is not None:
        return _result(
            code,
            Outcome.FAIL,
            Message("营业执照：" + problem.zh, "Business licence: " + problem.en),
            subject,
        )
    value = normalise_code(cert.number)
    return _result(
        code,
        Outcome.PASS,
        Message(
            f"营业执照统一社会信用代码 {value} 校验通过",
            f"Business licence: unified social credit code {value} is valid",
        ),
        subject,
    )


def _check_niosh(cert: CertificateFacts) -> RuleResult:
    code, subject = "niosh.number", cert.number or ""
    problem = niosh_problem(cert.number)
    if problem is not None:
        return _result(code, Outcome.FAIL, problem, subject)
    value = normalise_code(cert.number)
    return _result(
        code,
        Outcome.PASS,
        Message(
            f"NIOSH 批准号 {value} 格式正确（可在 NIOSH 认证设备清单核对）",
            f"NIOSH approval {value} is well formed (can be looked up in the NIOSH Certified "
            "Equipment List)",
        ),
        subject,
    )


# Numbers that appear on masks' "CE" papers but are not notified bodies for PPE.
NOT_PPE_NOTIFIED_BODIES: dict[str, Message] = {
    "1282": Message(
        "1282 为意大利 ECM 公司编号，ECM 声明其不是个人防护装备公告机构，"
        "所出具的“符合性证书”不是 CE 证书",
        "1282 is ECM (Ente Certificazione Macchine), which states it is not a notified body "
        "for personal protective equipment: its “certificates of compliance” are not CE "
        "certificates",
    ),
}


def _check_ce(cert: CertificateFacts, grade: Grade) -> RuleResult:
    code, subject = "ce.notified_body", cert.number or ""
    body = normalise_code(cert.notified_body).removeprefix("NB")
    if not body:
        if grade in RESPIRATOR_GRADES:
            return _result(
                code,
                Outcome.FAIL,
                Message(
                    "CE 证书未注明公告机构编号：防护口罩属欧盟第三类个人防护装备，"
                    "须由公告机构出具型式检验证书，制造商自我声明或检测机构报告不能代替",
                    "The CE certificate names no notified body: respirators are EU Category III "
                    "PPE and need an EU type-examination certificate from a notified body; a "
                    "maker's own declaration or a test lab's report does not replace it",
                ),
                subject,
            )
        return _result(
            code,
            Outcome.WARN,
            Message(
                "CE 证书未注明公告机构编号：此类口罩在欧盟可凭制造商符合性声明加贴 CE，"
                "请核对符合性声明及 EN 14683 检验报告",
                "The CE certificate names no notified body: such masks can carry CE on the "
                "maker's own declaration in the EU; check the declaration of conformity and the "
                "EN 14683 test report",
            ),
            subject,
        )
    problem = notified_body_problem(body)
    if problem is not None:
        return _result(code, Outcome.FAIL, problem, subject)
    if body in NOT_PPE_NOTIFIED_BODIES:
        reason = NOT_PPE_NOTIFIED_BODIES[body]
        return _result(
            code,
            Outcome.FAIL,
            Message(f"CE 证书无效：{reason.zh}", f"The CE certificate is not valid: {reason.en}"),
            subject,
        )
    return _result(
        code,
        Outcome.PASS,
        Message(
            f"CE 证书公告机构编号 {body} 格式正确（可在欧盟 NANDO 数据库核对其授权范围）",
            f"CE certificate from notified body {body} (its scope can be checked in the EU "
            "NANDO database)",
        ),
        subject,
    )


_FDA_510K_RE = re.compile(r"^K\d{6}$")
_FDA_EUA_RE = re.compile(r"^EUA\d+")


def _check_fda(cert: CertificateFacts) -> RuleResult:
    code, subject = "fda.number", cert.number or ""
    value = normalise_code(cert.number)
    if value.isdigit() and 7 <= len(value) <= 10:
        return _result(
            code,
            Outcome.FAIL,
            Message(
                f"{value} 是 FDA 企业注册或产品列名号，只说明已在 FDA 登记，"
                "不是 FDA 批准或紧急使用授权",
                f"{value} is an FDA establishment registration or listing number: it only shows "
                "the company is registered with the FDA, not an FDA clearance or emergency use "
                "authorisation",
            ),
            subject,
        )
    if _FDA_510K_RE.match(value) or _FDA_EUA_RE.match(value):
        return _result(
            code,
            Outcome.PASS,
            Message(f"FDA 授权编号 {value}", f"FDA authorisation {value}"),
            subject,
        )
    return _result(
        code,
        Outcome.WARN,
        Message(
            f"FDA 授权“{value or '（未填写编号）'}”无法自动核对，"
            "请对照 FDA 紧急使用授权（EUA）名单人工核实",
            f"FDA authorisation “{value or '(no number)'}” cannot be checked automatically: "
            "compare it with the FDA's emergency use authorisation list",
        ),
        subject,
    )


def _check_customs(cert: CertificateFacts) -> RuleResult:
    code, subject = "customs.number", cert.number or ""
    problem = customs_declaration_problem(cert.number)
    if problem is not None:
        return _result(code, Outcome.FAIL, problem, subject)
    value = normalise_code(cert.number)
    return _result(
        code,
        Outcome.PASS,
        Message(f"进口报关单号 {value} 格式正确", f"Import declaration number {value} is valid"),
        subject,
    )


_VALIDITY_KINDS = frozenset(
    {
        K.REGISTRATION_CERTIFICATE,
        K.PRODUCTION_LICENCE,
        K.BUSINESS_LICENCE,
        K.CE_CERTIFICATE,
        K.NIOSH_APPROVAL,
        K.FDA_AUTHORISATION,
    }
)
# Kinds whose papers usually carry no dates at all.
_NO_FIXED_TERM = frozenset({K.NIOSH_APPROVAL, K.FDA_AUTHORISATION})
# Kinds that always carry an end date: no end date recorded is worth a warning.
_MUST_EXPIRE = frozenset({K.REGISTRATION_CERTIFICATE, K.PRODUCTION_LICENCE, K.CE_CERTIFICATE})


def _check_validity(
    cert: CertificateFacts, kind: CertificateKind, received_on: date
) -> RuleResult | None:
    code, subject = f"validity.{kind}", cert.number or ""
    name = _label(cert)
    start, end = _as_date(cert.valid_from), _as_date(cert.valid_until)
    if start is None and end is None and kind in _NO_FIXED_TERM:
        return None  # NIOSH approvals and EUAs carry no dates: nothing to check
    emergency = Message("", "")
    if (
        kind is K.REGISTRATION_CERTIFICATE
        and start is not None
        and end is not None
        and (end - start).days <= EMERGENCY_APPROVAL_MAX_DAYS
    ):
        emergency = Message("（应急审批，有效期六个月）", " (emergency approval, six months)")
    if start is not None and start > received_on:
        return _result(
            code,
            Outcome.FAIL,
            Message(
                f"{name.zh}自 {start:%Y-%m-%d} 起有效，到货日期 {received_on:%Y-%m-%d} 时尚未生效",
                f"{_cap(name.en)} is valid from {start:%Y-%m-%d}: it was not yet valid "
                f"when the goods arrived on {received_on:%Y-%m-%d}",
            ),
            subject,
        )
    if end is None:
        if kind in _MUST_EXPIRE:
            return _result(
                code,
                Outcome.WARN,
                Message(
                    f"{name.zh}未登记有效期截止日期，请按证书补录",
                    f"{_cap(name.en)} has no end of validity recorded: copy it from the "
                    "certificate",
                ),
                subject,
            )
        return _result(
            code,
            Outcome.PASS,
            Message(
                f"{name.zh}长期有效（未注明截止日期）",
                f"{_cap(name.en)} has no end date (open-ended)",
            ),
            subject,
        )
    if end < received_on:
        return _result(
            code,
            Outcome.FAIL,
            Message(
                f"{name.zh}已于 {end:%Y-%m-%d} 过期{emergency.zh}，"
                f"到货日期 {received_on:%Y-%m-%d} 时已失效",
                f"{_cap(name.en)} expired on {end:%Y-%m-%d}{emergency.en}, before the "
                f"goods arrived on {received_on:%Y-%m-%d}",
            ),
            subject,
        )
    if end - received_on <= timedelta(days=EXPIRY_WARNING_DAYS):
        days = (end - received_on).days
        return _result(
            code,
            Outcome.WARN,
            Message(
                f"{name.zh}将于 {end:%Y-%m-%d} 到期{emergency.zh}（到货后 {days} 天），"
                "请核实是否已延续",
                f"{_cap(name.en)} expires on {end:%Y-%m-%d}{emergency.en}, {days} days "
                "after the goods arrived: check whether it has been renewed",
            ),
            subject,
        )
    return _result(
        code,
        Outcome.PASS,
        Message(
            f"{name.zh}有效期至 {end:%Y-%m-%d}{emergency.zh}，覆盖到货日期",
            f"{_cap(name.en)} is valid until {end:%Y-%m-%d}{emergency.en}, covering the "
            "receipt date",
        ),
        subject,
    )


# Company-form suffixes, longest first.
_COMPANY_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "股份公司", "公司")
_BRACKETS = str.maketrans("", "", "()[]{}<>（）【】〔〕《》")


def normalise_company_name(name: str | None) -> tuple[str, str]:
    """(core, suffix) of a company name: full-width folded, whitespace and brackets dropped, the
    company-form suffix split off. "稳健医疗（黄冈）有限公司" -> ("稳健医疗黄冈", "有限公司")."""
    folded = unicodedata.normalize("NFKC", name or "")
    compact = "".join(folded.split()).translate(_BRACKETS)
    for suffix in _COMPANY_SUFFIXES:
        if compact.endswith(suffix) and len(compact) > len(suffix):
            return compact[: -len(suffix)], suffix
    return compact, ""


_NAME_KINDS = (
    K.BUSINESS_LICENCE,
    K.PRODUCTION_LICENCE,
    K.REGISTRATION_CERTIFICATE,
    K.TEST_REPORT,
)


def _check_company(batch: BatchFacts, certificates: Sequence[CertificateFacts]) -> list[RuleResult]:
    named: list[tuple[Message, str]] = []  # (source, name as written)
    for cert in certificates:
        if _kind(cert) in _NAME_KINDS and (cert.holder or "").strip():
            named.append((_label(cert), cert.holder.strip()))
    if (batch.maker or "").strip():
        maker = Message("批次登记的生产企业", "the maker recorded on the batch")
        named.append((maker, batch.maker.strip()))
    if len(named) < 2:
        return []
    cores = {normalise_company_name(n)[0] for _, n in named}
    fulls = {"".join(normalise_company_name(n)) for _, n in named}
    listing_zh = "；".join(f"{src.zh}：{n}" for src, n in named)
    listing_en = "; ".join(f"{src.en}: {n}" for src, n in named)
    if len(cores) > 1:
        return [
            _result(
                "company.same_name",
                Outcome.FAIL,
                Message(
                    f"证照上的企业名称不一致，不是同一家企业（{listing_zh}）",
                    f"The papers name different companies ({listing_en})",
                ),
            )
        ]
    if len(fulls) > 1:
        return [
            _result(
                "company.same_name",
                Outcome.WARN,
                Message(
                    f"证照上的企业名称仅公司类型后缀不同，请核实是否为同一家企业（{listing_zh}）",
                    "The papers' company names differ only in the company-form suffix: confirm "
                    f"they are the same company ({listing_en})",
                ),
            )
        ]
    name = named[0][1]
    return [
        _result(
            "company.same_name",
            Outcome.PASS,
            Message(
                f"企业名称一致：{name}（核对了{'、'.join(src.zh for src, _ in named)}）",
                f"The same company throughout: {name} (compared "
                f"{', '.join(src.en for src, _ in named)})",
            ),
        )
    ]


def _to_decimal(value: object) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value).strip().rstrip("%").strip())
    except (InvalidOperation, ValueError):
        return None


def _check_test_report(
    cert: CertificateFacts, grade: Grade, missing: Outcome = Outcome.FAIL
) -> list[RuleResult]:
    """Each measured value against the grade's standard. A value not given is `missing` (FAIL
    where the report is required; WARN for imported goods, whose report may follow another
    standard and is not required)."""
    results = []
    report = _label(cert)
    measured = {str(k): v for k, v in (cert.measured or {}).items()}
    for limit in STANDARD_LIMITS[grade]:
        code = f"test.{limit.measure}"
        label = MEASURE_LABELS[limit.measure]
        required = limit.describe()
        std = limit.standard
        raw = measured.get(str(limit.measure))
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            results.append(
                _result(
                    code,
                    missing,
                    Message(
                        f"{report.zh}未给出{label.zh}实测值，无法判定是否符合 {std}"
                        f"（要求{required.zh}）",
                        f"{_cap(report.en)} gives no measured {label.en}: cannot tell "
                        f"whether it meets {std} ({required.en})",
                    ),
                    cert.number or "",
                )
            )
            continue
        if limit.must_pass:
            if isinstance(raw, bool):
                ok = raw
            else:
                results.append(
                    _result(
                        code,
                        Outcome.FAIL,
                        Message(
                            f"{report.zh}的{label.zh}结果“{raw}”无法识别，应登记为合格或不合格",
                            f"{_cap(report.en)}: the {label.en} result “{raw}” is not "
                            "understood; record it as passed or failed",
                        ),
                        cert.number or "",
                    )
                )
                continue
            outcome = Outcome.PASS if ok else Outcome.FAIL
            message = (
                Message(
                    f"{label.zh}：未渗透，符合 {std}",
                    f"{_cap(label.en)}: no penetration, meets {std}",
                )
                if ok
                else Message(
                    f"{label.zh}：出现渗透，不符合 {std}",
                    f"{_cap(label.en)}: penetration seen, fails {std}",
                )
            )
            results.append(_result(code, outcome, message, cert.number or ""))
            continue
        value = _to_decimal(raw)
        if value is None:
            results.append(
                _result(
                    code,
                    Outcome.FAIL,
                    Message(
                        f"{report.zh}的{label.zh}实测值“{raw}”不是数值",
                        f"{_cap(report.en)}: the measured {label.en} “{raw}” is not a number",
                    ),
                    cert.number or "",
                )
            )
            continue
        shown = f"{_fmt(value)}{limit.unit}"
        if limit.unit == PERCENT and not (0 <= value <= 100):
            results.append(
                _result(
                    code,
                    Outcome.FAIL,
                    Message(
                        f"{label.zh}实测值 {shown} 不是有效的百分数",
                        f"The measured {label.en} {shown} is not a valid percentage",
                    ),
                    cert.number or "",
                )
            )
            continue
        if value < 0:
            results.append(
                _result(
                    code,
                    Outcome.FAIL,
                    Message(
                        f"{label.zh}实测值 {shown} 不可能为负数",
                        f"The measured {label.en} {shown} cannot be negative",
                    ),
                    cert.number or "",
                )
            )
            continue
        if limit.minimum is not None:
            ok = value >= limit.minimum
            hint = Message("", "")
            if not ok and limit.unit == PERCENT and 0 < value <= 1:
                hint = Message(
                    "（是否按小数填写？应填写百分数）",
                    " (entered as a fraction? enter a percentage)",
                )
            message = (
                Message(
                    f"{label.zh}实测 {shown}，符合 {std} 要求（{required.zh}）",
                    f"{_cap(label.en)} {shown} meets {std} ({required.en})",
                )
                if ok
                else Message(
                    f"{label.zh}实测 {shown}，低于 {std} 要求（{required.zh}）{hint.zh}",
                    f"{_cap(label.en)} {shown} is below the {std} minimum ({required.en}){hint.en}",
                )
            )
        else:
            ok = value <= limit.maximum
            message = (
                Message(
                    f"{label.zh}实测 {shown}，符合 {std} 要求（{required.zh}）",
                    f"{_cap(label.en)} {shown} meets {std} ({required.en})",
                )
                if ok
                else Message(
                    f"{label.zh}实测 {shown}，超过 {std} 限值（{required.zh}）",
                    f"{_cap(label.en)} {shown} is above the {std} limit ({required.en})",
                )
            )
        results.append(
            _result(code, Outcome.PASS if ok else Outcome.FAIL, message, cert.number or "")
        )
    return results


_CONFIRMATIONS = (
    (
        "goods_match_order",
        "inspection.goods_match_order",
        Message("货物与订单（清单）一致", "goods match the order"),
        Message(
            "质检员确认：货物与订单（清单）不一致",
            "The inspector recorded that the goods do not match the order",
        ),
    ),
    (
        "packaging_intact",
        "inspection.packaging_intact",
        Message("包装完好", "packaging intact"),
        Message(
            "质检员确认：包装破损或有异常", "The inspector recorded that the packaging is damaged"
        ),
    ),
)


def _check_confirmations(batch: BatchFacts, needed: bool) -> list[RuleResult]:
    results = []
    for attr, code, what, refused in _CONFIRMATIONS:
        value = getattr(batch, attr)
        if value is None:
            if needed:
                results.append(
                    _result(
                        code,
                        Outcome.FAIL,
                        Message(
                            f"需质检员现场确认：{what.zh}",
                            f"Needs the inspector's confirmation: {what.en}",
                        ),
                    )
                )
        elif value:
            results.append(
                _result(
                    code,
                    Outcome.PASS,
                    Message(f"质检员已确认：{what.zh}", f"The inspector confirmed: {what.en}"),
                )
            )
        else:
            results.append(_result(code, Outcome.FAIL, refused))
    return results


def _donation_path(batch: BatchFacts, grade: Grade) -> tuple[Origin, RuleResult]:
    """What the donated goods are checked as, and a line saying so."""
    stated = batch.donated_goods_origin
    goods: Origin | None = None
    if stated:
        goods = Origin(stated)
        if goods is Origin.DONATION:
            goods = None
    inferred = goods is None
    if goods is None:
        kinds = {_kind(c) for c in batch.certificates}
        goods = Origin.IMPORTED if kinds & _FOREIGN_KINDS else Origin.DOMESTIC_MEDICAL
    path = _goods_path(grade, goods)
    label = ORIGIN_LABELS[path]
    if inferred:
        message = Message(
            f"捐赠物资按{label.zh}物资核对（根据所附证照判断）",
            f"Donated goods checked as {label.en} goods (judged from the papers attached)",
        )
    else:
        message = Message(
            f"捐赠物资按{label.zh}物资核对", f"Donated goods checked as {label.en} goods"
        )
    return path, _result("donation.goods_origin", Outcome.PASS, message)


# --------------------------------------------------------------------------------------------
# The checklist
# --------------------------------------------------------------------------------------------


def evaluate(batch: BatchFacts) -> Checklist:
    """Run every rule on a batch and return its checklist (see the module docstring)."""
    received_on = _as_date(batch.received_on)
    try:
        grade = Grade(batch.grade_code)
    except ValueError:
        return Checklist(
            (
                _result(
                    "grade.known",
                    Outcome.FAIL,
                    Message(
                        f"品种“{batch.grade_code}”没有核查规则，须由质检员人工核查并写明放行理由",
                        f"There are no rules for the grade “{batch.grade_code}”: the inspector "
                        "must check it by hand and write down the reason for releasing it",
                    ),
                ),
            )
        )
    origin = Origin(batch.origin)
    certificates = tuple(batch.certificates)
    results: list[RuleResult] = []

    results += _check_origin(grade, origin)
    if origin is Origin.DONATION:
        path, line = _donation_path(batch, grade)
        results.append(line)
    else:
        path = _goods_path(grade, origin)
    requirement = requirement_for(grade, origin, path)
    results += _check_documents(requirement, certificates)

    for cert in certificates:
        kind = _kind(cert)
        if kind is K.REGISTRATION_CERTIFICATE:
            results.append(_check_registration(cert, grade, path, received_on))
        elif kind is K.PRODUCTION_LICENCE:
            results.append(_check_production_licence(cert, received_on))
        elif kind is K.BUSINESS_LICENCE:
            results.append(_check_business_licence(cert))
        elif kind is K.NIOSH_APPROVAL:
            results.append(_check_niosh(cert))
        elif kind is K.CE_CERTIFICATE:
            results.append(_check_ce(cert, grade))
        elif kind is K.FDA_AUTHORISATION:
            results.append(_check_fda(cert))
        elif kind is K.CUSTOMS_DECLARATION:
            results.append(_check_customs(cert))
    for cert in certificates:
        kind = _kind(cert)
        if kind in _VALIDITY_KINDS and (line := _check_validity(cert, kind, received_on)):
            results.append(line)

    if path is not Origin.IMPORTED:
        results += _check_company(batch, certificates)
    for cert in certificates:
        if _kind(cert) is K.TEST_REPORT:
            missing = Outcome.WARN if path is Origin.IMPORTED else Outcome.FAIL
            results += _check_test_report(cert, grade, missing)
    results += _check_confirmations(batch, requirement.inspector_confirmations)
    return Checklist(tuple(results))
