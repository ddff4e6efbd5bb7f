"""The quality gate's rules, on plain data: no app, no database."""

import re
import subprocess
import sys
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

import core.text
from catalog.vocabulary import MASK_GRADES, LotOrigin, MaskGrade
from procurement.quality import (
    KIND_LABELS,
    ORIGIN_LABELS,
    STANDARD_LIMITS,
    BatchFacts,
    CertificateFacts,
    CertificateKind,
    Checklist,
    Grade,
    Measure,
    Origin,
    Outcome,
    Requirement,
    RuleResult,
    evaluate,
    normalise_company_name,
    requirement_for,
)
from procurement.quality.rules.product import GRADE_PRODUCT_NAMES

K = CertificateKind
RECEIVED = date(2020, 3, 2)
MAKER = "稳健医疗（黄冈）有限公司"
CJK = re.compile(r"[\u4e00-\u9fff]")

# Measured values that comfortably meet each grade's standard.
GOOD_VALUES = {
    Grade.MEDICAL_PROTECTIVE: {
        "particle_filtration": 96.8,
        "inhalation_resistance": 210.5,
        "synthetic_blood": True,
        "blood_pressure": 10.7,
        "surface_moisture": 4,
        "fit_factor": 200,
        "bacteria_count": 20,
        "fungi_count": 10,
        "pathogens": True,
    },
    Grade.SURGICAL: {
        "bacterial_filtration": 98.6,
        "particle_filtration": 41.2,
        "pressure_difference": 38.0,
        "synthetic_blood": True,
        "blood_pressure": 16.0,
        "afterflame": 0,
        "bacteria_count": 12,
        "fungi_count": 0,
        "pathogens": True,
    },
    Grade.DISPOSABLE_MEDICAL: {
        "bacterial_filtration": 97.1,
        "pressure_difference": 29.4,
        "bacteria_count": 30,
        "pathogens": True,
    },
    Grade.KN95: {
        "particle_filtration": 97.3,
        "inhalation_resistance": 182,
        "exhalation_resistance": 141,
    },
    Grade.DAILY_PROTECTIVE: {
        "filtration_level": "III",
        "protection_level": "D",
        "particle_filtration": 93.5,
        "oil_filtration": 86.0,
        "protection_effect": 70,
        "inhalation_resistance": 121,
        "exhalation_resistance": 98,
        "bacteria_count": 50,
        "fungi_count": 20,
    },
}


# ---- factories (plain functions returning facts) --------------------------------------------


def registration(number="鄂械注准20202140096", **kw):
    defaults = dict(
        issuer="湖北省药品监督管理局",
        holder=MAKER,
        valid_from=date(2020, 2, 6),
        valid_until=date(2025, 2, 5),
    )
    return CertificateFacts(K.REGISTRATION_CERTIFICATE, number, **{**defaults, **kw})


def production_licence(number="鄂食药监械生产许20160031号", **kw):
    defaults = dict(
        issuer="湖北省药品监督管理局",
        holder=MAKER,
        scope="Ⅱ类：14-14-03 医用口罩",
        valid_from=date(2016, 3, 1),
        valid_until=date(2021, 2, 28),
    )
    return CertificateFacts(K.PRODUCTION_LICENCE, number, **{**defaults, **kw})


def business_licence(number="914403001922038216", **kw):
    defaults = dict(issuer="黄冈市市场监督管理局", holder=MAKER, valid_from=date(2010, 5, 1))
    return CertificateFacts(K.BUSINESS_LICENCE, number, **{**defaults, **kw})


def lab_report(grade=Grade.SURGICAL, number="WT2020-0315", measured=None, **kw):
    defaults = dict(
        issuer="湖北省医疗器械质量监督检验研究院",
        holder=MAKER,
        valid_from=date(2020, 2, 20),
        lab_accreditation="190012340123",
        covers="平面耳挂式 17.5×9.5cm",
    )
    values = GOOD_VALUES[grade] if measured is None else measured
    return CertificateFacts(K.TEST_REPORT, number, measured=values, **{**defaults, **kw})


def conformity(**kw):
    return CertificateFacts(K.CONFORMITY_CERTIFICATE, "HG-20200301", holder=MAKER, **kw)


def niosh(number="TC-84A-0006", **kw):
    return CertificateFacts(K.NIOSH_APPROVAL, number, issuer="NIOSH", holder="3M Company", **kw)


def ce(notified_body="0086", number="CE 2020/0412", **kw):
    defaults = dict(
        issuer="BSI Group The Netherlands B.V.",
        holder="Medline International B.V.",
        valid_from=date(2019, 6, 1),
        valid_until=date(2024, 5, 31),
    )
    return CertificateFacts(
        K.CE_CERTIFICATE, number, notified_body=notified_body, **{**defaults, **kw}
    )


def fda(number="EUA200142", **kw):
    return CertificateFacts(K.FDA_AUTHORISATION, number, issuer="U.S. FDA", **kw)


def customs(number="531620201000456789", **kw):
    return CertificateFacts(K.CUSTOMS_DECLARATION, number, issuer="大鹏海关", **kw)


def donation_letter(**kw):
    return CertificateFacts(K.DONATION_LETTER, "JZ-2020-017", holder="湖北省慈善总会", **kw)


def domestic_papers(grade, **report_kw):
    if grade in (Grade.KN95, Grade.DAILY_PROTECTIVE):
        return [business_licence(), lab_report(grade, **report_kw), conformity()]
    return [
        registration(product_name=GRADE_PRODUCT_NAMES[grade]),
        production_licence(),
        business_licence(),
        lab_report(grade, **report_kw),
    ]


def domestic_origin(grade):
    if grade in (Grade.KN95, Grade.DAILY_PROTECTIVE):
        return Origin.DOMESTIC_NON_MEDICAL
    return Origin.DOMESTIC_MEDICAL


def batch(grade=Grade.SURGICAL, origin=None, certificates=None, **kw):
    # Made a month before it arrived: a KN95 of then is judged by GB 2626-2006.
    kw.setdefault("production_date", RECEIVED - timedelta(days=30))
    # The inspector looked the numbers up in the registry and on the box (domestic medical goods).
    kw.setdefault("registry_checked", True)
    kw.setdefault("label_checked", True)
    return BatchFacts(
        grade_code=grade,
        origin=origin or domestic_origin(grade),
        received_on=kw.pop("received_on", RECEIVED),
        maker=kw.pop("maker", MAKER),
        certificates=domestic_papers(grade) if certificates is None else certificates,
        **kw,
    )


# The foreign papers that make a complete import of each grade (issue 13: a plain N95 is not a
# medical protective mask; a Type I mask is not a surgical one).
def foreign_papers(grade):
    return {
        Grade.MEDICAL_PROTECTIVE: [
            niosh(foreign_class="niosh_n95"),
            fda("K183514", holder="3M Company", foreign_class="surgical_n95"),
        ],
        Grade.SURGICAL: [ce(notified_body="0123", foreign_class="en14683_iir")],
        Grade.DISPOSABLE_MEDICAL: [ce(notified_body="0123", foreign_class="en14683_i")],
        Grade.KN95: [niosh(foreign_class="niosh_n95")],
        Grade.DAILY_PROTECTIVE: [niosh(foreign_class="niosh_n95")],
    }[Grade(grade)]


def imported(grade=Grade.MEDICAL_PROTECTIVE, certificates=None, **kw):
    kw.setdefault("goods_match_order", True)
    kw.setdefault("packaging_intact", True)
    kw.setdefault("made_in", "US")
    papers = [*foreign_papers(grade), customs()] if certificates is None else certificates
    return batch(grade, Origin.IMPORTED, papers, maker="3M Company", **kw)


def only(checklist: Checklist, code: str) -> RuleResult:
    found = checklist.by_code(code)
    assert len(found) == 1, (code, [(r.code, r.outcome) for r in checklist])
    return found[0]


def outcome(checklist: Checklist, code: str) -> Outcome:
    return only(checklist, code).outcome


# ---- the requirement table -------------------------------------------------------------------

MEDICAL = [Grade.MEDICAL_PROTECTIVE, Grade.SURGICAL, Grade.DISPOSABLE_MEDICAL]
NON_MEDICAL = [Grade.KN95, Grade.DAILY_PROTECTIVE]
DOMESTIC_MEDICAL_PAPERS = {
    K.REGISTRATION_CERTIFICATE,
    K.PRODUCTION_LICENCE,
    K.BUSINESS_LICENCE,
    K.TEST_REPORT,
}
FOREIGN = {K.NIOSH_APPROVAL, K.CE_CERTIFICATE, K.FDA_AUTHORISATION}

TABLE = [
    # (grade, origin, goods origin, required, one of, recommended, confirmations)
    *[
        (g, o, None, DOMESTIC_MEDICAL_PAPERS, None, set(), False)
        for g in MEDICAL
        for o in (Origin.DOMESTIC_MEDICAL, Origin.DOMESTIC_NON_MEDICAL)
    ],
    *[
        (g, Origin.IMPORTED, None, {K.CUSTOMS_DECLARATION}, FOREIGN | {K.REGISTRATION_CERTIFICATE},
         set(), True)
        for g in MEDICAL
    ],
    *[
        (g, Origin.DONATION, None, DOMESTIC_MEDICAL_PAPERS | {K.DONATION_LETTER}, None, set(),
         False)
        for g in MEDICAL
    ],
    *[
        (g, Origin.DONATION, Origin.IMPORTED, {K.DONATION_LETTER, K.CUSTOMS_DECLARATION},
         FOREIGN | {K.REGISTRATION_CERTIFICATE}, set(), True)
        for g in MEDICAL
    ],
    *[
        (g, o, None, {K.BUSINESS_LICENCE, K.TEST_REPORT}, None, {K.CONFORMITY_CERTIFICATE}, False)
        for g in NON_MEDICAL
        for o in (Origin.DOMESTIC_MEDICAL, Origin.DOMESTIC_NON_MEDICAL)
    ],
    *[
        (g, Origin.IMPORTED, None, {K.CUSTOMS_DECLARATION}, FOREIGN, set(), True)
        for g in NON_MEDICAL
    ],
    *[
        (g, Origin.DONATION, None, {K.DONATION_LETTER, K.BUSINESS_LICENCE, K.TEST_REPORT}, None,
         {K.CONFORMITY_CERTIFICATE}, False)
        for g in NON_MEDICAL
    ],
    *[
        (g, Origin.DONATION, Origin.IMPORTED, {K.DONATION_LETTER, K.CUSTOMS_DECLARATION}, FOREIGN,
         set(), True)
        for g in NON_MEDICAL
    ],
]  # fmt: skip


@pytest.mark.parametrize(
    ("grade", "origin", "goods", "required", "one_of", "recommended", "confirmations"), TABLE
)
def test_requirement_table(grade, origin, goods, required, one_of, recommended, confirmations):
    req = requirement_for(grade, origin, goods)
    assert isinstance(req, Requirement)
    assert set(req.required) == required
    assert [set(group) for group in req.any_of] == ([one_of] if one_of else [])
    assert set(req.recommended) == recommended
    assert req.inspector_confirmations is confirmations


def test_requirement_table_covers_every_grade_and_origin():
    covered = {(grade, origin) for grade, origin, *_ in TABLE}
    assert covered == {(g, o) for g in Grade for o in Origin}


def test_requirement_for_accepts_strings():
    assert requirement_for("surgical", "imported") == requirement_for(
        Grade.SURGICAL, Origin.IMPORTED
    )


# ---- whole batches -------------------------------------------------------------------------


@pytest.mark.parametrize("grade", list(Grade))
def test_a_complete_domestic_batch_passes(grade):
    checklist = evaluate(batch(grade))
    assert checklist.verdict is Outcome.PASS, [
        (r.code, r.message_en) for r in checklist if r.outcome is not Outcome.PASS
    ]
    assert checklist.passed
    assert not checklist.failures and not checklist.warnings
    # Every limit of the grade's standard was checked.
    tested = {
        r.code for r in checklist if r.code.startswith("test.") and r.code != "test.declared_level"
    }
    assert tested == {f"test.{lim.measure}" for lim in STANDARD_LIMITS[grade] if not lim.optional}


@pytest.mark.parametrize("grade", list(Grade))
def test_a_complete_imported_batch_passes(grade):
    checklist = evaluate(imported(grade))
    assert checklist.verdict is Outcome.PASS, [(r.code, r.message_en) for r in checklist]


def test_any_failure_fails_the_batch_and_warnings_alone_warn():
    failing = evaluate(batch(certificates=domestic_papers(Grade.SURGICAL)[1:]))
    assert failing.verdict is Outcome.FAIL and not failing.passed
    warning = evaluate(batch(Grade.KN95, certificates=[business_licence(), lab_report(Grade.KN95)]))
    assert warning.verdict is Outcome.WARN and warning.passed
    assert [r.code for r in warning.warnings] == ["documents.conformity_certificate"]


def test_checklist_is_iterable_and_sized():
    checklist = evaluate(batch())
    assert len(checklist) == len(list(checklist)) == len(checklist.results)


def test_accepts_plain_strings_and_datetimes():
    facts = BatchFacts(
        grade_code="surgical",
        origin="domestic_medical",
        received_on=datetime(2020, 3, 2, 9, 30),
        maker=MAKER,
        registry_checked=True,
        label_checked=True,
        certificates=[
            replace(c, kind=str(c.kind), valid_until=datetime(2025, 2, 5, 0, 0))
            if c.kind is K.REGISTRATION_CERTIFICATE
            else replace(c, kind=str(c.kind))
            for c in domestic_papers(Grade.SURGICAL)
        ],
    )
    assert evaluate(facts).verdict is Outcome.PASS


def test_unknown_grade_needs_a_manual_check():
    checklist = evaluate(batch(grade="nitrile_gloves", certificates=[], origin=Origin.IMPORTED))
    result = only(checklist, "grade.known")
    assert result.outcome is Outcome.FAIL
    assert "人工核查" in result.message_zh and "by hand" in result.message_en


# ---- documents and origin --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("missing", "zh"),
    [
        (K.REGISTRATION_CERTIFICATE, "缺少医疗器械注册证"),
        (K.PRODUCTION_LICENCE, "缺少医疗器械生产许可证"),
        (K.BUSINESS_LICENCE, "缺少营业执照"),
        (K.TEST_REPORT, "缺少检验报告"),
    ],
)
def test_each_missing_domestic_paper_fails(missing, zh):
    papers = [c for c in domestic_papers(Grade.SURGICAL) if c.kind is not missing]
    result = only(evaluate(batch(certificates=papers)), f"documents.{missing}")
    assert result.outcome is Outcome.FAIL
    assert result.message_zh == zh
    assert result.message_en.startswith("Missing: ")


def test_missing_foreign_approval_fails():
    result = only(evaluate(imported(certificates=[customs()])), "documents.foreign_approval")
    assert result.outcome is Outcome.FAIL
    assert "NIOSH" in result.message_zh and "CE" in result.message_en


@pytest.mark.parametrize("paper", [ce(), fda(), registration("国械注进20193140123")])
def test_any_one_foreign_approval_is_enough(paper):
    checklist = evaluate(imported(Grade.SURGICAL, certificates=[paper, customs()]))
    assert outcome(checklist, "documents.foreign_approval") is Outcome.PASS


def test_a_chinese_import_registration_does_not_cover_a_kn95():
    checklist = evaluate(imported(Grade.KN95, certificates=[registration("国械注进20193140123")]))
    assert outcome(checklist, "documents.foreign_approval") is Outcome.FAIL
    assert outcome(checklist, "documents.customs_declaration") is Outcome.FAIL


def test_medical_mask_recorded_as_non_medical_fails():
    checklist = evaluate(batch(Grade.MEDICAL_PROTECTIVE, Origin.DOMESTIC_NON_MEDICAL))
    result = only(checklist, "origin.consistent")
    assert result.outcome is Outcome.FAIL
    assert "第二类医疗器械" in result.message_zh
    # ... and it still needs the medical papers.
    assert outcome(checklist, "documents.registration_certificate") is Outcome.PASS


def test_kn95_recorded_as_medical_warns():
    checklist = evaluate(batch(Grade.KN95, Origin.DOMESTIC_MEDICAL))
    assert outcome(checklist, "origin.consistent") is Outcome.WARN
    assert checklist.verdict is Outcome.WARN


def test_consistent_origin_says_nothing():
    assert not evaluate(batch()).by_code("origin.consistent")


# ---- donations -------------------------------------------------------------------------------


def test_donation_of_domestic_goods_needs_letter_and_domestic_papers():
    papers = domestic_papers(Grade.SURGICAL)
    without_letter = evaluate(batch(origin=Origin.DONATION, certificates=papers))
    assert outcome(without_letter, "documents.donation_letter") is Outcome.FAIL
    line = only(without_letter, "donation.goods_origin")
    assert "国产医用" in line.message_zh and "judged from the papers" in line.message_en
    with_letter = evaluate(batch(origin=Origin.DONATION, certificates=[*papers, donation_letter()]))
    assert with_letter.verdict is Outcome.PASS


def test_donation_with_foreign_papers_is_checked_as_imported():
    facts = BatchFacts(
        grade_code=Grade.MEDICAL_PROTECTIVE,
        origin=Origin.DONATION,
        received_on=RECEIVED,
        certificates=[niosh(), customs(), donation_letter()],
    )
    checklist = evaluate(facts)
    assert "进口" in only(checklist, "donation.goods_origin").message_zh
    # Imported goods need the inspector's confirmations even when donated.
    assert outcome(checklist, "inspection.goods_match_order") is Outcome.FAIL
    assert outcome(checklist, "inspection.packaging_intact") is Outcome.FAIL
    assert not checklist.by_code("documents.registration_certificate")


def test_donation_with_stated_goods_origin():
    checklist = evaluate(
        batch(
            Grade.KN95,
            Origin.DONATION,
            [ce(foreign_class="en149_ffp2"), customs(), donation_letter()],
            donated_goods_origin="imported",
            maker="Medline International B.V.",
            goods_match_order=True,
            packaging_intact=True,
        )
    )
    line = only(checklist, "donation.goods_origin")
    assert "judged" not in line.message_en and "imported" in line.message_en
    assert checklist.verdict is Outcome.PASS


# ---- registration certificate numbers --------------------------------------------------------


def registration_result(number, grade=Grade.SURGICAL, **kw):
    papers = [registration(number), *domestic_papers(grade)[1:]]
    return only(evaluate(batch(grade, certificates=papers, **kw)), "registration.number")


@pytest.mark.parametrize(
    "number", ["粤械注准20202140096", "鄂械注准20162640123", "苏械注准20202140937号"]
)
def test_registration_number_passes(number):
    result = registration_result(number)
    assert result.outcome is Outcome.PASS
    assert "第二类医疗器械" in result.message_zh and "Class II" in result.message_en
    assert result.subject == number


@pytest.mark.parametrize(
    ("number", "zh", "en"),
    [
        (
            "粤穗械备20200123号",
            "医疗器械注册证编号格式不正确：械备类备案凭证是第一类医疗器械备案，"
            "不能用于医用口罩（第二类医疗器械）",
            "Registration number is not valid: a Class I filing (械备) cannot cover medical "
            "masks, which are Class II medical devices",
        ),
        ("粤食药监械(准)字2013第2640001号", "旧格式", "before 2014"),
        ("国食药监械(进)字2012第3641234号", "旧格式", "before 2014"),
        ("穗械注准20202140096", "不是省级简称", "province"),
        ("粤械注准2020214009", "11 位数字", "11 digits"),
        ("粤械注准20201140096", "管理类别位为 1", "Class II registration"),
        ("粤械注进20192140123", "应以“国”开头", "starts with 国"),
        ("粤械注准20203140096", "只审批第二类", "only registers Class II"),
        ("粤械注准20212140096", "晚于到货日期", "after the goods arrived"),
    ],
)
def test_registration_number_fails(number, zh, en):
    result = registration_result(number)
    assert result.outcome is Outcome.FAIL
    assert zh in result.message_zh
    assert en in result.message_en


@pytest.mark.parametrize(
    ("number", "zh", "en"),
    [
        ("国械注准20203140096", "境内第三类", "domestic Class III"),
        ("粤械注准20202150096", "分类编码 15", "Category 15"),
        ("国械注进20193140123", "进口注册证", "import registration"),
    ],
)
def test_registration_number_warns(number, zh, en):
    result = registration_result(number)
    assert result.outcome is Outcome.WARN
    assert zh in result.message_zh
    assert en in result.message_en


def test_domestic_registration_on_imported_goods_warns():
    checklist = evaluate(imported(Grade.SURGICAL, certificates=[registration(), customs()]))
    result = only(checklist, "registration.number")
    assert result.outcome is Outcome.WARN
    assert "境内注册证" in result.message_zh


def test_import_registration_on_imported_goods_passes():
    papers = [registration("国械注进20193140123"), customs()]
    assert outcome(evaluate(imported(Grade.SURGICAL, papers)), "registration.number") is (
        Outcome.PASS
    )


# ---- other numbers ---------------------------------------------------------------------------


def test_production_licence_number():
    def result(number):
        papers = domestic_papers(Grade.SURGICAL)
        papers[1] = production_licence(number)
        return only(evaluate(batch(certificates=papers)), "production_licence.number")

    assert result("苏药监械生产许20200093号").outcome is Outcome.PASS
    filing = result("粤穗食药监械生产备20150012号")
    assert filing.outcome is Outcome.FAIL and "生产备" in filing.message_zh
    future = result("鄂药监械生产许20210031号")
    assert future.outcome is Outcome.FAIL and "after the goods arrived" in future.message_en


def test_business_licence_credit_code():
    def result(number):
        papers = domestic_papers(Grade.SURGICAL)
        papers[2] = business_licence(number)
        return only(evaluate(batch(certificates=papers)), "business_licence.uscc")

    assert result("91440300708461136T").outcome is Outcome.PASS
    wrong = result("91440300708461136X")
    assert wrong.outcome is Outcome.FAIL
    assert wrong.message_zh.startswith("营业执照：统一社会信用代码校验位不正确")
    assert wrong.message_en.startswith("Business licence: The check character")


@pytest.mark.parametrize(
    ("number", "expected"),
    [("TC-84A-0006", Outcome.PASS), ("TC-84A-06", Outcome.FAIL), ("TC-23C-0006", Outcome.FAIL)],
)
def test_niosh_number(number, expected):
    checklist = evaluate(imported(certificates=[niosh(number), customs()]))
    assert outcome(checklist, "niosh.number") is expected


@pytest.mark.parametrize(
    ("grade", "body", "expected", "en"),
    [
        (Grade.MEDICAL_PROTECTIVE, "0086", Outcome.PASS, "notified body 0086"),
        (Grade.KN95, "2163", Outcome.PASS, "notified body 2163"),
        (Grade.MEDICAL_PROTECTIVE, None, Outcome.FAIL, "Category III"),
        (Grade.KN95, "", Outcome.FAIL, "Category III"),
        (Grade.SURGICAL, None, Outcome.WARN, "own declaration"),
        (Grade.DISPOSABLE_MEDICAL, "", Outcome.WARN, "own declaration"),
        (Grade.SURGICAL, "123", Outcome.FAIL, "exactly 4 digits"),
        (Grade.KN95, "CE-0123", Outcome.FAIL, "exactly 4 digits"),
        (Grade.KN95, "1282", Outcome.FAIL, "not a notified body for personal protective"),
        (Grade.SURGICAL, "1282", Outcome.FAIL, "ECM"),
    ],
)
def test_ce_notified_body(grade, body, expected, en):
    checklist = evaluate(imported(grade, certificates=[ce(body), customs()]))
    result = only(checklist, "ce.notified_body")
    assert result.outcome is expected
    assert en in result.message_en
    assert CJK.search(result.message_zh)


@pytest.mark.parametrize(
    ("number", "expected", "en"),
    [
        ("EUA200142", Outcome.PASS, "FDA authorisation EUA200142"),
        ("K201234", Outcome.PASS, "K201234"),
        ("3016685880", Outcome.FAIL, "establishment registration"),
        ("1423537", Outcome.FAIL, "not an FDA clearance"),
        ("FDA certificate 2020", Outcome.WARN, "cannot be checked automatically"),
        ("", Outcome.WARN, "(no number)"),
    ],
)
def test_fda_authorisation(number, expected, en):
    checklist = evaluate(imported(Grade.KN95, certificates=[fda(number), customs()]))
    result = only(checklist, "fda.number")
    assert result.outcome is expected
    assert en in result.message_en


def test_customs_declaration_number():
    good = evaluate(imported())
    assert outcome(good, "customs.number") is Outcome.PASS
    export = evaluate(imported(certificates=[niosh(), customs("531620200000456789")]))
    result = only(export, "customs.number")
    assert result.outcome is Outcome.FAIL
    assert "出口报关单" in result.message_zh


# ---- validity --------------------------------------------------------------------------------


def validity(cert, received_on=RECEIVED):
    kind = CertificateKind(cert.kind)
    checklist = evaluate(batch(certificates=[cert], received_on=received_on))
    return only(checklist, f"validity.{kind}")


def test_valid_certificate_covers_the_receipt_date():
    result = validity(registration())
    assert result.outcome is Outcome.PASS
    assert "2025-02-05" in result.message_zh and "covering the receipt date" in result.message_en


def test_expired_certificate_fails():
    result = validity(registration(valid_until=date(2020, 3, 1)))
    assert result.outcome is Outcome.FAIL
    assert "已于 2020-03-01 过期" in result.message_zh
    assert "expired on 2020-03-01" in result.message_en


def test_not_yet_valid_certificate_fails():
    result = validity(production_licence(valid_from=date(2020, 3, 3)))
    assert result.outcome is Outcome.FAIL
    assert "尚未生效" in result.message_zh and "not yet valid" in result.message_en


def test_boundaries_of_validity():
    # Valid from the day of receipt, valid until the day of receipt: both cover it.
    assert validity(registration(valid_from=RECEIVED)).outcome is Outcome.PASS
    last_day = validity(registration(valid_until=RECEIVED))
    assert last_day.outcome is Outcome.WARN and "0 days" in last_day.message_en


def test_expiring_within_thirty_days_warns():
    soon = validity(registration(valid_until=RECEIVED + timedelta(days=30)))
    assert soon.outcome is Outcome.WARN
    assert "到货后 30 天" in soon.message_zh and "renewed" in soon.message_en
    later = validity(registration(valid_until=RECEIVED + timedelta(days=31)))
    assert later.outcome is Outcome.PASS


def test_emergency_approval_is_named():
    result = validity(registration(valid_from=date(2020, 2, 6), valid_until=date(2020, 8, 5)))
    assert result.outcome is Outcome.PASS
    assert "应急审批" in result.message_zh and "emergency approval" in result.message_en
    expired = validity(
        registration(valid_from=date(2020, 2, 6), valid_until=date(2020, 8, 5)),
        received_on=date(2020, 9, 1),
    )
    assert expired.outcome is Outcome.FAIL and "应急审批" in expired.message_zh


def test_missing_end_date():
    assert validity(registration(valid_until=None)).outcome is Outcome.WARN
    assert validity(ce(valid_until=None)).outcome is Outcome.WARN
    open_ended = validity(business_licence())
    assert open_ended.outcome is Outcome.PASS and "长期有效" in open_ended.message_zh


def test_test_reports_and_customs_have_no_validity_rule():
    checklist = evaluate(imported(certificates=[niosh(), customs(), lab_report()]))
    assert not [r for r in checklist if r.code.startswith("validity.test")]
    assert not checklist.by_code("validity.customs_declaration")
    assert not checklist.by_code("validity.niosh_approval")  # no dates given, nothing to check
    dated = evaluate(imported(certificates=[niosh(valid_until=date(2020, 1, 1)), customs()]))
    assert outcome(dated, "validity.niosh_approval") is Outcome.FAIL


def test_a_report_issued_after_receipt_is_fine():
    papers = domestic_papers(Grade.SURGICAL)
    papers[3] = lab_report(valid_from=RECEIVED + timedelta(days=5))
    assert evaluate(batch(certificates=papers)).verdict is Outcome.PASS


# ---- same company ----------------------------------------------------------------------------


def company(names, maker=MAKER, grade=Grade.SURGICAL):
    papers = [replace(c, holder=n) for c, n in zip(domestic_papers(grade), names, strict=False)]
    return only(evaluate(batch(grade, certificates=papers, maker=maker)), "company.same_name")


def test_same_company_passes():
    result = company([MAKER] * 4)
    assert result.outcome is Outcome.PASS
    assert MAKER in result.message_zh


def test_brackets_and_spaces_do_not_matter():
    names = [
        "稳健医疗（黄冈）有限公司",
        "稳健医疗(黄冈)有限公司",
        "稳健医疗 (黄冈) 有限公司",
        MAKER,
    ]
    assert company(names).outcome is Outcome.PASS


def test_only_the_company_form_differs_warns():
    names = [MAKER, "稳健医疗（黄冈）股份有限公司", MAKER, "稳健医疗(黄冈)有限责任公司"]
    result = company(names)
    assert result.outcome is Outcome.WARN
    assert "公司类型后缀" in result.message_zh and "suffix" in result.message_en


def test_different_companies_fail():
    names = [MAKER, MAKER, "湖北某某卫生用品有限公司", MAKER]
    result = company(names)
    assert result.outcome is Outcome.FAIL
    assert "湖北某某卫生用品有限公司" in result.message_zh
    assert "different companies" in result.message_en


def test_maker_on_the_batch_is_compared_too():
    result = company([MAKER] * 4, maker="振德医疗用品股份有限公司")
    assert result.outcome is Outcome.FAIL
    assert "批次登记的生产企业" in result.message_zh


def test_non_medical_papers_are_compared():
    result = company(
        ["仙桃市某某防护用品有限公司", "仙桃市某某防护用品公司"], maker="", grade=Grade.KN95
    )
    assert result.outcome is Outcome.WARN


def test_no_comparison_for_imports_or_single_names():
    assert not evaluate(imported()).by_code("company.same_name")
    assert not evaluate(batch(certificates=[business_licence()], maker="")).by_code(
        "company.same_name"
    )


def test_normalise_company_name():
    assert normalise_company_name("稳健医疗（黄冈）有限公司") == ("稳健医疗黄冈", "有限公司")
    assert normalise_company_name(" 振德医疗用品股份有限公司 ") == ("振德医疗用品", "股份有限公司")
    assert normalise_company_name("仙桃市某某防护用品公司") == ("仙桃市某某防护用品", "公司")
    assert normalise_company_name(None) == ("", "")


# ---- test report values ----------------------------------------------------------------------

LIMIT_CASES = [
    # (grade, measure, at the limit (passes), just beyond (fails))
    (Grade.MEDICAL_PROTECTIVE, Measure.PARTICLE_FILTRATION, 95, 94.9),
    (Grade.MEDICAL_PROTECTIVE, Measure.INHALATION_RESISTANCE, 343.2, 343.3),
    (Grade.SURGICAL, Measure.BACTERIAL_FILTRATION, 95, 94.99),
    (Grade.SURGICAL, Measure.PARTICLE_FILTRATION, 30, 29.9),
    (Grade.SURGICAL, Measure.PRESSURE_DIFFERENCE, 49, 49.1),
    (Grade.DISPOSABLE_MEDICAL, Measure.BACTERIAL_FILTRATION, 95, 94.5),
    (Grade.DISPOSABLE_MEDICAL, Measure.PRESSURE_DIFFERENCE, 49, 50),
    (Grade.KN95, Measure.PARTICLE_FILTRATION, 95, 94.8),
    (Grade.KN95, Measure.INHALATION_RESISTANCE, 350, 351),
    (Grade.KN95, Measure.EXHALATION_RESISTANCE, 250, 250.5),
    (Grade.KN95, Measure.TOTAL_INWARD_LEAKAGE, 8, 8.1),
    (Grade.MEDICAL_PROTECTIVE, Measure.BLOOD_PRESSURE, 10.7, 10.6),
    (Grade.MEDICAL_PROTECTIVE, Measure.SURFACE_MOISTURE, 3, 2),
    (Grade.MEDICAL_PROTECTIVE, Measure.FIT_FACTOR, 100, 99),
    (Grade.MEDICAL_PROTECTIVE, Measure.BACTERIA_COUNT, 200, 201),
    (Grade.MEDICAL_PROTECTIVE, Measure.FUNGI_COUNT, 100, 101),
    (Grade.MEDICAL_PROTECTIVE, Measure.AFTERFLAME, 5, 5.5),
    (Grade.MEDICAL_PROTECTIVE, Measure.EO_RESIDUE, 10, 10.5),
    (Grade.SURGICAL, Measure.BLOOD_PRESSURE, 16.0, 10.7),
    (Grade.SURGICAL, Measure.AFTERFLAME, 5, 6),
    (Grade.SURGICAL, Measure.BACTERIA_COUNT, 100, 101),
    (Grade.SURGICAL, Measure.FUNGI_COUNT, 0, 1),
    (Grade.SURGICAL, Measure.EO_RESIDUE, 10, 11),
    (Grade.DISPOSABLE_MEDICAL, Measure.BACTERIA_COUNT, 100, 120),
    (Grade.DISPOSABLE_MEDICAL, Measure.FUNGI_COUNT, 100, 101),
    (Grade.DISPOSABLE_MEDICAL, Measure.EO_RESIDUE, 10, 10.1),
    (Grade.DAILY_PROTECTIVE, Measure.PROTECTION_EFFECT, 65, 64),
    (Grade.DAILY_PROTECTIVE, Measure.BACTERIA_COUNT, 200, 250),
    (Grade.DAILY_PROTECTIVE, Measure.FUNGI_COUNT, 100, 150),
    (Grade.DAILY_PROTECTIVE, Measure.EO_RESIDUE, 10, 12),
    (Grade.DAILY_PROTECTIVE, Measure.PARTICLE_FILTRATION, 90, 89.9),
    (Grade.DAILY_PROTECTIVE, Measure.OIL_FILTRATION, 80, 79.5),
    (Grade.DAILY_PROTECTIVE, Measure.INHALATION_RESISTANCE, 175, 176),
    (Grade.DAILY_PROTECTIVE, Measure.EXHALATION_RESISTANCE, 145, 145.1),
]


def value_result(grade, measure, value):
    measured = {**GOOD_VALUES[grade], str(measure): value}
    checklist = evaluate(batch(grade, certificates=[lab_report(grade, measured=measured)]))
    return only(checklist, f"test.{measure}")


def test_every_standard_limit_has_a_case():
    assert {(g, m) for g, m, *_ in LIMIT_CASES} == {
        (g, limit.measure) for g, limits in STANDARD_LIMITS.items() for limit in limits
        if not limit.must_pass
    }  # fmt: skip


@pytest.mark.parametrize(("grade", "measure", "at_limit", "beyond"), LIMIT_CASES)
def test_values_against_the_standard(grade, measure, at_limit, beyond):
    passing = value_result(grade, measure, at_limit)
    assert passing.outcome is Outcome.PASS
    assert "符合" in passing.message_zh and "meets" in passing.message_en
    failing = value_result(grade, measure, beyond)
    assert failing.outcome is Outcome.FAIL
    assert ("低于" in failing.message_zh) or ("超过" in failing.message_zh)
    assert ("below" in failing.message_en) or ("above" in failing.message_en)
    assert failing.subject == "WT2020-0315"


def test_value_messages_name_the_standard_and_the_limit():
    result = value_result(Grade.SURGICAL, Measure.BACTERIAL_FILTRATION, 92)
    assert result.message_zh == "细菌过滤效率（BFE）实测 92%，低于 YY 0469-2011 要求（≥95%）"
    assert result.message_en == (
        "Bacterial filtration efficiency (BFE) 92% is below the YY 0469-2011 minimum (≥ 95%)"
    )
    result = value_result(Grade.MEDICAL_PROTECTIVE, Measure.INHALATION_RESISTANCE, 380)
    assert result.message_zh == "吸气阻力实测 380 Pa，超过 GB 19083-2010 限值（≤343.2 Pa）"


@pytest.mark.parametrize("grade", list(Grade))
def test_missing_values_fail_and_are_named(grade):
    checklist = evaluate(batch(grade, certificates=[lab_report(grade, measured={})]))
    results = [
        r for r in checklist if r.code.startswith("test.") and r.code != "test.declared_level"
    ]
    required = [limit for limit in STANDARD_LIMITS[grade] if not limit.optional]
    assert len(results) == len(required)
    for result in results:
        assert result.outcome is Outcome.FAIL
        assert "未给出" in result.message_zh and "gives no measured" in result.message_en
    codes = {r.code for r in results}
    assert codes == {f"test.{limit.measure}" for limit in required}


def test_missing_bfe_message():
    measured = {k: v for k, v in GOOD_VALUES[Grade.SURGICAL].items() if k != "bacterial_filtration"}
    checklist = evaluate(batch(certificates=[lab_report(measured=measured)]))
    result = only(checklist, "test.bacterial_filtration")
    assert result.message_zh == (
        "检验报告（WT2020-0315）未给出细菌过滤效率（BFE）实测值，"
        "无法判定是否符合 YY 0469-2011（要求≥95%）"
    )
    assert "bacterial filtration efficiency (BFE)" in result.message_en


@pytest.mark.parametrize(
    ("value", "expected"),
    [("96.5", Outcome.PASS), ("96.5%", Outcome.PASS), (Decimal("95.0"), Outcome.PASS),
     (97, Outcome.PASS), ("94.5 %", Outcome.FAIL)],
)  # fmt: skip
def test_numbers_in_any_form(value, expected):
    assert value_result(Grade.KN95, Measure.PARTICLE_FILTRATION, value).outcome is expected


@pytest.mark.parametrize(
    ("value", "en"),
    [
        ("合格", "not a number"),
        (True, "not a number"),
        (0.96, "entered as a fraction"),
        (120, "not a valid percentage"),
        (-3, "not a valid percentage"),
        ("", "gives no measured"),
    ],
)
def test_implausible_values_fail(value, en):
    result = value_result(Grade.KN95, Measure.PARTICLE_FILTRATION, value)
    assert result.outcome is Outcome.FAIL
    assert en in result.message_en


def test_a_foreign_report_on_imported_goods_only_warns_about_missing_values():
    # An N95's NIOSH report gives filtration and inhalation resistance but no synthetic blood.
    report = lab_report(
        Grade.MEDICAL_PROTECTIVE,
        number="NIOSH-TEB-2019-118",
        measured={"particle_filtration": 97.4, "inhalation_resistance": 221},
    )
    papers = [*foreign_papers(Grade.MEDICAL_PROTECTIVE), customs()]
    checklist = evaluate(imported(certificates=[*papers, report]))
    assert outcome(checklist, "test.particle_filtration") is Outcome.PASS
    assert outcome(checklist, "test.synthetic_blood") is Outcome.WARN
    assert checklist.verdict is Outcome.WARN
    # A value that is there and fails still fails.
    worse = replace(report, measured={**report.measured, "particle_filtration": 91})
    assert outcome(evaluate(imported(certificates=[*papers, worse])),
                   "test.particle_filtration") is Outcome.FAIL  # fmt: skip


def test_checklist_as_plain_values():
    checklist = evaluate(batch(certificates=domestic_papers(Grade.SURGICAL)[1:]))
    data = checklist.as_dict()
    assert data["verdict"] == "fail"
    assert data["results"][0] == {
        "code": "documents.registration_certificate",
        "outcome": "fail",
        "message_zh": "缺少医疗器械注册证",
        "message_en": "Missing: medical device registration certificate",
        "subject": "",
    }
    assert len(data["results"]) == len(checklist)


def test_negative_resistance_fails():
    result = value_result(Grade.KN95, Measure.INHALATION_RESISTANCE, -1)
    assert result.outcome is Outcome.FAIL and "negative" in result.message_en


@pytest.mark.parametrize("grade", [Grade.MEDICAL_PROTECTIVE, Grade.SURGICAL])
def test_synthetic_blood(grade):
    assert value_result(grade, Measure.SYNTHETIC_BLOOD, True).outcome is Outcome.PASS
    failed = value_result(grade, Measure.SYNTHETIC_BLOOD, False)
    assert failed.outcome is Outcome.FAIL and "出现渗透" in failed.message_zh
    unclear = value_result(grade, Measure.SYNTHETIC_BLOOD, "ok")
    assert unclear.outcome is Outcome.FAIL and "not understood" in unclear.message_en


def test_each_test_report_is_checked():
    good = lab_report(number="WT2020-0315")
    bad = lab_report(number="WT2020-0400", measured={**GOOD_VALUES[Grade.SURGICAL],
                                                       "bacterial_filtration": 90})  # fmt: skip
    checklist = evaluate(batch(certificates=[good, bad]))
    results = checklist.by_code("test.bacterial_filtration")
    assert [(r.subject, r.outcome) for r in results] == [
        ("WT2020-0315", Outcome.PASS),
        ("WT2020-0400", Outcome.FAIL),
    ]


# ---- inspector's confirmations ---------------------------------------------------------------


@pytest.mark.parametrize("field", ["goods_match_order", "packaging_intact"])
def test_imports_need_the_inspectors_confirmation(field):
    checklist = evaluate(imported(**{field: None}))
    result = only(checklist, f"inspection.{field}")
    assert result.outcome is Outcome.FAIL
    assert result.message_zh.startswith("需质检员现场确认")
    assert result.message_en.startswith("Needs the inspector's confirmation")
    assert checklist.verdict is Outcome.FAIL


@pytest.mark.parametrize("field", ["goods_match_order", "packaging_intact"])
def test_inspector_saying_no_fails_any_batch(field):
    for facts in (imported(**{field: False}), batch(**{field: False})):
        result = only(evaluate(facts), f"inspection.{field}")
        assert result.outcome is Outcome.FAIL
        assert "质检员确认" in result.message_zh


def test_confirmed_imports_pass():
    checklist = evaluate(imported())
    assert outcome(checklist, "inspection.goods_match_order") is Outcome.PASS
    assert outcome(checklist, "inspection.packaging_intact") is Outcome.PASS


def test_domestic_batches_do_not_wait_for_confirmations():
    checklist = evaluate(batch())
    assert not checklist.by_code("inspection.goods_match_order")
    assert not checklist.by_code("inspection.packaging_intact")


# ---- both languages everywhere ---------------------------------------------------------------

ASSORTED = [
    batch(grade, origin, papers, **kw)
    for grade in Grade
    for origin, papers, kw in [
        (None, None, {}),
        (Origin.DOMESTIC_NON_MEDICAL, [], {}),
        (
            Origin.DONATION,
            [
                registration("粤穗械备20200123号", valid_until=date(2020, 3, 10)),
                production_licence("粤穗食药监械生产备20150012号", valid_until=None),
                business_licence("91440300708461136X", holder="另一家公司"),
                lab_report(grade, measured={"particle_filtration": "n/a", "synthetic_blood": 1}),
                ce(None, valid_until=date(2020, 1, 1)),
                fda("3016685880"),
                customs("531620200000456789"),
                niosh("TC-84A-06"),
            ],
            {"goods_match_order": False, "packaging_intact": None},
        ),
        (Origin.IMPORTED, [ce("1282"), fda("x"), customs()], {}),
    ]
]


@pytest.mark.parametrize("facts", ASSORTED)
def test_every_message_is_in_both_languages(facts):
    checklist = evaluate(facts)
    assert checklist.results
    for result in checklist:
        assert CJK.search(result.message_zh), result
        assert re.search(r"[A-Za-z]{3}", result.message_en), result
        # The English never falls back to Chinese words (names and numbers quoted are fine).
        assert not re.search(r"[缺少已提供请核对应为不能]", result.message_en), result
        assert result.message("en") == result.message_en
        assert result.message("zh_Hans_CN") == result.message_zh
        assert result.outcome in (Outcome.PASS, Outcome.WARN, Outcome.FAIL)
        assert re.fullmatch(r"[a-z_]+\.[a-z_]+", result.code), result.code


def test_rules_import_neither_flask_nor_the_database():
    # The test process has Flask loaded already (tests/conftest.py), so look in a fresh one.
    code = (
        "import sys, procurement.quality, procurement.validators, catalog.vocabulary; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'flask', 'flask_babel', 'sqlalchemy', 'extensions', 'app'}))"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    )
    assert out.stdout.strip() == "[]"


# ---- one vocabulary for the rules, the models and the pages ----------------------------------


def test_the_rules_use_the_catalogues_enums():
    assert Origin is LotOrigin  # catalog.models.LotOrigin, stored on every lot
    assert Grade is MaskGrade
    assert [code for code, *_ in MASK_GRADES] == [
        "medical_protective",
        "kn95",
        "surgical",
        "disposable_medical",
        "daily_protective",
    ]
    assert {code for code, *_ in MASK_GRADES} == set(Grade)


def test_labels_are_the_checklists_words(monkeypatch):
    # Pages name a paper or an origin with the words the checklist uses (one table each).
    for kind in CertificateKind:
        assert kind.words is KIND_LABELS[kind]
    for origin in Origin:
        assert origin.words is ORIGIN_LABELS[origin]
    missing = evaluate(batch(Grade.SURGICAL, certificates=[])).by_code("documents.test_report")[0]
    assert K.TEST_REPORT.words.zh in missing.message_zh
    assert K.TEST_REPORT.words.en in missing.message_en

    monkeypatch.setattr(core.text, "_in_page_language", lambda message: message.zh)
    assert K.TEST_REPORT.label == "检验报告"
    assert K.CUSTOMS_DECLARATION.label == "进口货物报关单"
    assert Origin.DOMESTIC_MEDICAL.label == "国产医用"
    monkeypatch.setattr(core.text, "_in_page_language", lambda message: message.en)
    # English capitalised for a choice or a heading; "NIOSH" stays as it is.
    assert K.TEST_REPORT.label == "Test report"
    assert K.NIOSH_APPROVAL.label == "NIOSH approval"
    assert Origin.DOMESTIC_NON_MEDICAL.label == "Domestic non-medical"
