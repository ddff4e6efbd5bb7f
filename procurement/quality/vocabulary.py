"""The quality gate's words: outcomes, grades, origins, kinds of paper and measured values, with
their names in both languages. The checklist's messages and the pages' labels (`kind.label`,
`origin.label`) come from these same tables.

The grade codes and the origins belong to the catalogue (`catalog.vocabulary`: `MaskGrade`,
`LotOrigin`, stored on its models); here they are called `Grade` and `Origin`.
`CertificateKind` is stored by `procurement.models.Certificate`.
"""

from __future__ import annotations

from enum import StrEnum

from catalog.vocabulary import ORIGIN_LABELS
from catalog.vocabulary import LotOrigin as Origin
from catalog.vocabulary import MaskGrade as Grade
from core.text import Message, Worded

__all__ = [
    "GRADE_LABELS",
    "KIND_LABELS",
    "LEVEL_MEASURES",
    "MEASURE_LABELS",
    "MEDICAL_GRADES",
    "ORIGIN_LABELS",
    "PASS_FAIL_MEASURES",
    "RESPIRATOR_GRADES",
    "FOREIGN_CLASS_LABELS",
    "CertificateKind",
    "ForeignClass",
    "Grade",
    "Measure",
    "Origin",
    "Outcome",
]


class Outcome(StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"


MEDICAL_GRADES = frozenset({Grade.MEDICAL_PROTECTIVE, Grade.SURGICAL, Grade.DISPOSABLE_MEDICAL})
# Respirators: EU PPE Category III when CE-marked, so a notified body is compulsory.
RESPIRATOR_GRADES = frozenset({Grade.MEDICAL_PROTECTIVE, Grade.KN95})


class CertificateKind(Worded):
    """Kinds of paper (stored by `procurement.models.Certificate`; named by `KIND_LABELS`)."""

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

    @property
    def words(self) -> Message:
        return KIND_LABELS[self]


class Measure(StrEnum):
    """Keys of `CertificateFacts.measured` (a test report's measured values)."""

    PARTICLE_FILTRATION = "particle_filtration"  # % (NaCl / salt / non-oily particles)
    OIL_FILTRATION = "oil_filtration"  # % (paraffin oil / oily particles)
    BACTERIAL_FILTRATION = "bacterial_filtration"  # % (BFE)
    INHALATION_RESISTANCE = "inhalation_resistance"  # Pa at 85 L/min
    EXHALATION_RESISTANCE = "exhalation_resistance"  # Pa at 85 L/min
    PRESSURE_DIFFERENCE = "pressure_difference"  # Δp, Pa/cm² at 8 L/min (通气阻力/压力差)
    SYNTHETIC_BLOOD = "synthetic_blood"  # bool: True = no penetration (passes)
    BLOOD_PRESSURE = "blood_pressure"  # kPa, the pressure the synthetic blood test was run at
    TOTAL_INWARD_LEAKAGE = "total_inward_leakage"  # %, the highest wearer mean (GB 2626 5.3)
    SURFACE_MOISTURE = "surface_moisture"  # 表面抗湿性, the wetting grade (1-5)
    FIT_FACTOR = "fit_factor"  # 适合因数, the total fit factor
    AFTERFLAME = "afterflame"  # s, 续燃时间 (flammability)
    EO_RESIDUE = "eo_residue"  # μg/g, ethylene oxide residue (EO-sterilised goods)
    BACTERIA_COUNT = "bacteria_count"  # CFU/g, 细菌菌落总数
    FUNGI_COUNT = "fungi_count"  # CFU/g, 真菌菌落总数
    PATHOGENS = "pathogens"  # bool: True = none of the pathogenic bacteria detected (passes)
    PROTECTION_EFFECT = "protection_effect"  # %, GB/T 32610 防护效果
    FILTRATION_LEVEL = "filtration_level"  # GB/T 32610 level declared: I, II or III
    PROTECTION_LEVEL = "protection_level"  # GB/T 32610 level declared: A, B, C or D


class ForeignClass(Worded):
    """The foreign standard and class a foreign paper vouches for (stored by
    `procurement.models.Certificate.foreign_class`; named by `FOREIGN_CLASS_LABELS`)."""

    EN14683_I = "en14683_i"
    EN14683_II = "en14683_ii"
    EN14683_IIR = "en14683_iir"
    ASTM_F2100_L1 = "astm_f2100_l1"
    ASTM_F2100_L2 = "astm_f2100_l2"
    ASTM_F2100_L3 = "astm_f2100_l3"
    EN149_FFP1 = "en149_ffp1"
    EN149_FFP2 = "en149_ffp2"
    EN149_FFP3 = "en149_ffp3"
    NIOSH_N95 = "niosh_n95"
    SURGICAL_N95 = "surgical_n95"
    ASTM_F1862 = "astm_f1862"
    ISO_22609 = "iso_22609"

    @property
    def words(self) -> Message:
        return FOREIGN_CLASS_LABELS[self]


FOREIGN_CLASS_LABELS: dict[ForeignClass, Message] = {
    ForeignClass.EN14683_I: Message("EN 14683 I 型", "EN 14683 Type I"),
    ForeignClass.EN14683_II: Message("EN 14683 II 型", "EN 14683 Type II"),
    ForeignClass.EN14683_IIR: Message("EN 14683 IIR 型", "EN 14683 Type IIR"),
    ForeignClass.ASTM_F2100_L1: Message("ASTM F2100 1 级", "ASTM F2100 Level 1"),
    ForeignClass.ASTM_F2100_L2: Message("ASTM F2100 2 级", "ASTM F2100 Level 2"),
    ForeignClass.ASTM_F2100_L3: Message("ASTM F2100 3 级", "ASTM F2100 Level 3"),
    ForeignClass.EN149_FFP1: Message("EN 149 FFP1", "EN 149 FFP1"),
    ForeignClass.EN149_FFP2: Message("EN 149 FFP2", "EN 149 FFP2"),
    ForeignClass.EN149_FFP3: Message("EN 149 FFP3", "EN 149 FFP3"),
    ForeignClass.NIOSH_N95: Message("NIOSH N95（42 CFR 84）", "NIOSH N95 (42 CFR 84)"),
    ForeignClass.SURGICAL_N95: Message(
        "外科 N95（NIOSH 批准且经 FDA 许可）", "surgical N95 (NIOSH-approved, FDA-cleared)"
    ),
    ForeignClass.ASTM_F1862: Message(
        "ASTM F1862 合成血液穿透试验（通过）", "ASTM F1862 synthetic blood test (passed)"
    ),
    ForeignClass.ISO_22609: Message(
        "ISO 22609 抗合成血液穿透试验（通过）", "ISO 22609 splash test (passed)"
    ),
}


# Measures recorded as passed (True) or failed (False), and measures that are a declared level.
PASS_FAIL_MEASURES = frozenset({Measure.SYNTHETIC_BLOOD, Measure.PATHOGENS})
LEVEL_MEASURES = {
    Measure.FILTRATION_LEVEL: ("I", "II", "III"),
    Measure.PROTECTION_LEVEL: ("A", "B", "C", "D"),
}


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
    Measure.TOTAL_INWARD_LEAKAGE: Message("泄漏率（总泄漏率）", "total inward leakage"),
    Measure.BLOOD_PRESSURE: Message("合成血液穿透试验压力", "synthetic blood test pressure"),
    Measure.SURFACE_MOISTURE: Message("表面抗湿性（沾水等级）", "surface moisture resistance"),
    Measure.FIT_FACTOR: Message("适合因数", "fit factor"),
    Measure.AFTERFLAME: Message("阻燃性能（续燃时间）", "flammability (afterflame time)"),
    Measure.EO_RESIDUE: Message("环氧乙烷残留量", "ethylene oxide residue"),
    Measure.BACTERIA_COUNT: Message("细菌菌落总数", "total bacterial count"),
    Measure.FUNGI_COUNT: Message("真菌菌落总数", "total fungal count"),
    Measure.PATHOGENS: Message(
        "致病性化脓菌（大肠菌群、绿脓杆菌、金黄色葡萄球菌、溶血性链球菌）",
        "pathogenic bacteria (coliforms, P. aeruginosa, S. aureus, haemolytic streptococci)",
    ),
    Measure.PROTECTION_EFFECT: Message("防护效果", "protection effect"),
    Measure.FILTRATION_LEVEL: Message("过滤效率级别", "filtration level"),
    Measure.PROTECTION_LEVEL: Message("防护效果级别", "protection level"),
}
