"""The quality gate against the rules as they are (issue 13): GB 2626 by edition and valve,
entrusted production, goods made in China that came in as imports, the registration's product,
the negative list. Each case is a certificate set as 2020's batches came with them."""

from datetime import date

from procurement.quality import BatchFacts, CertificateFacts, CertificateKind, Outcome, evaluate
from procurement.quality.facts import ListedCompany
from procurement.validators import parse_registration_number

K = CertificateKind
RECEIVED = date(2020, 9, 15)
BYD = "比亚迪精密制造有限公司"
BYD_CODE = "914403007883124559"


def kn95_papers(measured):
    return [
        CertificateFacts(K.BUSINESS_LICENCE, BYD_CODE, issuer="深圳市市场监督管理局", holder=BYD),
        CertificateFacts(
            K.TEST_REPORT,
            "SZJY2020-0812",
            issuer="深圳市计量质量检测研究院",
            holder=BYD,
            valid_from=date(2020, 8, 12),
            measured=measured,
            lab_accreditation="190012340123",
            covers="BYD-KN95 折叠式",
        ),
        CertificateFacts(K.CONFORMITY_CERTIFICATE, "HG-0812", holder=BYD),
    ]


def kn95(made, valve, measured, **kw):
    return evaluate(
        BatchFacts(
            "kn95",
            "domestic_non_medical",
            RECEIVED,
            maker=BYD,
            certificates=kn95_papers(measured),
            production_date=made,
            exhalation_valve=valve,
            **kw,
        )
    )


def line(checklist, code):
    found = checklist.by_code(code)
    assert len(found) == 1, [(r.code, r.outcome) for r in checklist]
    return found[0]


# 1. GB 2626: the edition of the production date, the valve, total inward leakage -----------

# A report that met GB 2626-2006 (inhalation ≤350 Pa, exhalation ≤250 Pa) but not 2019.
OLD_FIGURES = {
    "particle_filtration": "96.2",
    "inhalation_resistance": "280",
    "exhalation_resistance": "190",
}


def test_kn95_made_before_july_2020_is_judged_by_the_2006_edition():
    checklist = kn95(date(2020, 6, 20), None, OLD_FIGURES)
    assert checklist.verdict is Outcome.PASS, [(r.code, r.message_en) for r in checklist.failures]
    assert "GB 2626-2006" in line(checklist, "standard.edition").message_zh
    assert not checklist.by_code("design.valve")  # the 2006 limits do not depend on it


def test_the_same_report_fails_for_kn95_made_after_july_2020_without_a_valve():
    checklist = kn95(date(2020, 7, 1), False, OLD_FIGURES)
    inhale = line(checklist, "test.inhalation_resistance")
    exhale = line(checklist, "test.exhalation_resistance")
    assert inhale.outcome is Outcome.FAIL and "GB 2626-2019" in inhale.message_zh
    assert "≤210 Pa" in inhale.message_zh and "≤210 Pa" in exhale.message_zh
    assert exhale.outcome is Outcome.PASS  # 190 ≤ 210


def test_a_valved_kn95_has_its_own_limits():
    figures = {**OLD_FIGURES, "inhalation_resistance": "240", "exhalation_resistance": "160"}
    checklist = kn95(date(2020, 8, 3), True, figures)
    assert line(checklist, "test.inhalation_resistance").outcome is Outcome.PASS  # ≤250
    exhale = line(checklist, "test.exhalation_resistance")
    assert exhale.outcome is Outcome.FAIL and "≤150 Pa" in exhale.message_zh
    assert line(checklist, "design.valve").outcome is Outcome.PASS


def test_the_valve_must_be_recorded_for_the_2019_edition():
    good = {**OLD_FIGURES, "inhalation_resistance": "180", "exhalation_resistance": "120"}
    checklist = kn95(date(2020, 8, 3), None, good)
    valve = line(checklist, "design.valve")
    assert valve.outcome is Outcome.FAIL and "呼气阀" in valve.message_zh
    assert "exhalation valve" in valve.message_en


def test_no_production_date_is_judged_by_the_edition_in_force_and_warned():
    good = {**OLD_FIGURES, "inhalation_resistance": "180", "exhalation_resistance": "120"}
    checklist = kn95(None, False, good)
    edition = line(checklist, "standard.edition")
    assert edition.outcome is Outcome.WARN and "GB 2626-2019" in edition.message_zh
    assert checklist.passed


def test_total_inward_leakage_is_checked_where_the_report_gives_it():
    good = {**OLD_FIGURES, "inhalation_resistance": "180", "exhalation_resistance": "120"}
    assert not kn95(date(2020, 8, 3), False, good).by_code("test.total_inward_leakage")
    leaky = kn95(date(2020, 8, 3), False, {**good, "total_inward_leakage": "9.5"})
    til = line(leaky, "test.total_inward_leakage")
    assert til.outcome is Outcome.FAIL and "≤8%" in til.message_zh
    tight = kn95(date(2020, 8, 3), False, {**good, "total_inward_leakage": "4.2"})
    assert line(tight, "test.total_inward_leakage").outcome is Outcome.PASS


# Medical papers for 稳健's surgical masks, made by a contract maker in 2020.
WJ = "稳健医疗用品股份有限公司"
WJ_HG = "稳健医疗（黄冈）有限公司"
SURGICAL_FIGURES = {
    "bacterial_filtration": "98.6",
    "particle_filtration": "52.4",
    "pressure_difference": "36.5",
    "synthetic_blood": True,
    "blood_pressure": "16.0",
    "afterflame": "0",
    "bacteria_count": "8",
    "fungi_count": "0",
    "pathogens": True,
}


def medical_papers(registrant=WJ, maker=WJ_HG, product="医用外科口罩", models="平面耳挂式"):
    return [
        CertificateFacts(
            K.REGISTRATION_CERTIFICATE, "粤械注准20202140096", issuer="广东省药品监督管理局",
            holder=registrant, valid_from=date(2020, 2, 10), valid_until=date(2025, 2, 9),
            product_name=product, models=models,
        ),
        CertificateFacts(
            K.PRODUCTION_LICENCE, "鄂食药监械生产许20160031号", issuer="湖北省药品监督管理局",
            holder=maker, valid_from=date(2016, 3, 1), valid_until=date(2021, 2, 28),
            scope="Ⅱ类：14-14-03 医用口罩",
        ),
        CertificateFacts(K.BUSINESS_LICENCE, "91421100739531458M", holder=maker),
        CertificateFacts(
            K.TEST_REPORT, "GZJY2020-0311", issuer="广州医疗器械质量监督检验中心",
            holder=registrant, valid_from=date(2020, 3, 11), measured=SURGICAL_FIGURES,
            lab_accreditation="190012340123", covers="平面耳挂式 17.5×9.5cm",
        ),
    ]  # fmt: skip


def surgical(papers, **kw):
    kw.setdefault("maker", WJ_HG)
    kw.setdefault("model", "平面耳挂式 17.5×9.5cm")
    return evaluate(
        BatchFacts(
            "surgical",
            "domestic_medical",
            RECEIVED,
            certificates=papers,
            production_date=date(2020, 9, 1),
            **{"registry_checked": True, "label_checked": True, **kw},
        )
    )


def test_a_medical_protective_mask_with_a_valve_fails():
    papers = medical_papers(product="医用防护口罩")
    papers[-1] = CertificateFacts(
        K.TEST_REPORT,
        "GZJY2020-0312",
        holder=WJ,
        valid_from=date(2020, 3, 11),
        measured={
            "particle_filtration": "96",
            "inhalation_resistance": "200",
            "synthetic_blood": True,
        },
    )
    checklist = evaluate(
        BatchFacts(
            "medical_protective", "domestic_medical", RECEIVED, maker=WJ_HG, registrant=WJ,
            certificates=papers, exhalation_valve=True, model="平面耳挂式",
        )
    )  # fmt: skip
    valve = line(checklist, "design.valve")
    assert valve.outcome is Outcome.FAIL and "GB 19083-2010 4.1" in valve.message_zh


# 2. Entrusted production -----------------------------------------------------------------


def test_entrusted_production_passes_when_each_paper_names_its_holder():
    checklist = surgical(medical_papers(), registrant=WJ)
    entrusted = line(checklist, "company.entrusted")
    assert entrusted.outcome is Outcome.PASS, entrusted.message_en
    assert not checklist.by_code("company.same_name")
    assert checklist.verdict is Outcome.PASS, [(r.code, r.message_en) for r in checklist.failures]


def test_without_the_registrant_the_same_papers_look_like_two_companies():
    checklist = surgical(medical_papers())
    assert line(checklist, "company.same_name").outcome is Outcome.FAIL


def test_a_registration_held_by_the_contract_maker_fails():
    checklist = surgical(medical_papers(registrant=WJ_HG), registrant=WJ)
    entrusted = line(checklist, "company.entrusted")
    assert entrusted.outcome is Outcome.FAIL
    assert "注册证" in entrusted.message_zh and "注册人" in entrusted.message_zh


def test_a_production_licence_of_a_third_company_fails():
    papers = medical_papers(maker="仙桃市某某防护用品有限公司")
    papers[2] = CertificateFacts(K.BUSINESS_LICENCE, "91421100739531458M", holder=WJ_HG)
    checklist = surgical(papers, registrant=WJ)
    assert line(checklist, "company.entrusted").outcome is Outcome.FAIL


# 3. Goods made in China that came in as imports ------------------------------------------


def exported_kn95(**kw):
    papers = [
        CertificateFacts(
            K.CE_CERTIFICATE, "2163-PPE-0412", issuer="Universal Certification",
            notified_body="2163", holder=BYD, valid_from=date(2020, 4, 1),
            valid_until=date(2025, 3, 31),
        ),
        CertificateFacts(K.CUSTOMS_DECLARATION, "531620201000456789", issuer="大鹏海关"),
    ]  # fmt: skip
    return evaluate(
        BatchFacts(
            "kn95", "imported", RECEIVED, maker=BYD, certificates=papers,
            production_date=date(2020, 8, 1), exhalation_valve=False,
            goods_match_order=True, packaging_intact=True, **kw,
        )
    )  # fmt: skip


def test_an_import_made_in_china_with_only_a_ce_paper_fails():
    checklist = exported_kn95(made_in="CN")
    assert checklist.verdict is Outcome.FAIL
    assert line(checklist, "origin.made_in").outcome is Outcome.PASS
    missing = {r.code for r in checklist.failures}
    assert {"documents.business_licence", "documents.test_report"} <= missing


def test_an_import_by_a_chinese_named_maker_needs_its_country_recorded():
    checklist = exported_kn95()
    made_in = line(checklist, "origin.made_in")
    assert made_in.outcome is Outcome.FAIL and "产地" in made_in.message_zh


def test_an_import_made_abroad_is_checked_on_its_foreign_papers():
    papers = [
        CertificateFacts(
            K.NIOSH_APPROVAL, "TC-84A-0006", holder="3M Company", foreign_class="niosh_n95"
        ),
        CertificateFacts(K.CUSTOMS_DECLARATION, "531620201000456789"),
    ]
    checklist = evaluate(
        BatchFacts(
            "kn95", "imported", RECEIVED, maker="3M Company", certificates=papers, made_in="US",
            production_date=date(2020, 8, 1), exhalation_valve=False,
            goods_match_order=True, packaging_intact=True,
        )
    )  # fmt: skip
    assert checklist.verdict is Outcome.PASS, [(r.code, r.message_en) for r in checklist]
    assert not checklist.by_code("origin.made_in")
    assert line(checklist, "company.foreign_holder").outcome is Outcome.PASS


# 5. The registration covers the product received -------------------------------------------


def test_a_disposable_mask_registration_on_a_surgical_batch_fails():
    checklist = surgical(medical_papers(product="一次性使用医用口罩"), registrant=WJ)
    product = line(checklist, "registration.product")
    assert product.outcome is Outcome.FAIL
    assert (
        "一次性使用医用口罩" in product.message_zh and "not a surgical mask" in product.message_en
    )


def test_a_model_the_registration_does_not_list_fails():
    papers = medical_papers(models="平面耳挂式、平面绑带式")
    checklist = surgical(papers, registrant=WJ, model="折叠式 KZ-01")
    assert line(checklist, "registration.model").outcome is Outcome.FAIL
    listed = surgical(papers, registrant=WJ, model="平面绑带式")
    assert line(listed, "registration.model").outcome is Outcome.PASS


def test_a_registration_without_its_product_name_warns():
    checklist = surgical(medical_papers(product=""), registrant=WJ)
    assert line(checklist, "registration.product").outcome is Outcome.WARN


# 8. Negative list, 兵团 registrations, foreign approval holders -----------------------------


def test_a_maker_on_the_negative_list_fails_by_name_or_code():
    listed = [ListedCompany("稳健医疗（黄冈）有限公司", "", "市监总局 2020 年第 12 号通告")]
    checklist = surgical(medical_papers(), registrant=WJ, listed=listed)
    hit = line(checklist, "company.listed")
    assert hit.outcome is Outcome.FAIL and "黑名单" in hit.message_zh and "通告" in hit.message_zh
    by_code = [ListedCompany("某公司", "91421100739531458M")]
    assert (
        line(surgical(medical_papers(), registrant=WJ, listed=by_code), "company.listed").outcome
        is Outcome.FAIL
    )  # noqa: E501
    clean = [ListedCompany("仙桃市某某防护用品有限公司")]
    assert (
        line(surgical(medical_papers(), registrant=WJ, listed=clean), "company.listed").outcome
        is Outcome.PASS
    )  # noqa: E501


def test_a_corps_registration_number_is_accepted():
    reg = parse_registration_number("兵械注准20202140018")
    assert reg.device_class == 2 and reg.category == "14"


def test_a_niosh_approval_of_another_maker_fails():
    papers = [
        CertificateFacts(K.NIOSH_APPROVAL, "TC-84A-0006", holder="3M Company"),
        CertificateFacts(K.CUSTOMS_DECLARATION, "531620201000456789"),
    ]
    checklist = evaluate(
        BatchFacts(
            "kn95", "imported", RECEIVED, maker="Fangtian Safety Co., Ltd.", made_in="US",
            certificates=papers, production_date=date(2020, 8, 1), exhalation_valve=False,
            goods_match_order=True, packaging_intact=True,
        )
    )  # fmt: skip
    holder = line(checklist, "company.foreign_holder")
    assert holder.outcome is Outcome.FAIL and "3M Company" in holder.message_zh


# 6. The test items the standards have beyond filtration and resistance ------------------------


def test_a_surgical_report_without_microbial_and_flammability_results_fails():
    kept = ("bacterial_filtration", "particle_filtration", "pressure_difference", "synthetic_blood")
    bare = {k: v for k, v in SURGICAL_FIGURES.items() if k in kept}
    papers = medical_papers()
    papers[-1] = CertificateFacts(
        K.TEST_REPORT, "GZJY2020-0311", holder=WJ, valid_from=date(2020, 3, 11), measured=bare
    )
    checklist = surgical(papers, registrant=WJ)
    missing = {r.code for r in checklist.failures}
    assert {
        "test.blood_pressure",
        "test.afterflame",
        "test.bacteria_count",
        "test.fungi_count",
        "test.pathogens",
    } <= missing
    assert not checklist.by_code("test.eo_residue")  # only for EO-sterilised masks, where given


def test_synthetic_blood_at_the_medical_protective_pressure_is_not_enough_for_surgical():
    papers = medical_papers()
    papers[-1] = CertificateFacts(
        K.TEST_REPORT, "GZJY2020-0311", holder=WJ, valid_from=date(2020, 3, 11),
        measured={**SURGICAL_FIGURES, "blood_pressure": "10.7"},
    )  # fmt: skip
    pressure = line(surgical(papers, registrant=WJ), "test.blood_pressure")
    assert pressure.outcome is Outcome.FAIL and "16 kPa" in pressure.message_zh


def test_pathogens_detected_fail():
    papers = medical_papers()
    papers[-1] = CertificateFacts(
        K.TEST_REPORT, "GZJY2020-0311", holder=WJ, valid_from=date(2020, 3, 11),
        measured={**SURGICAL_FIGURES, "pathogens": False},
    )  # fmt: skip
    found = line(surgical(papers, registrant=WJ), "test.pathogens")
    assert found.outcome is Outcome.FAIL and "检出" in found.message_zh


DAILY = "广州美丽康保健用品有限公司"
DAILY_FIGURES = {
    "particle_filtration": "96.0",
    "oil_filtration": "95.5",
    "protection_effect": "88",
    "inhalation_resistance": "120",
    "exhalation_resistance": "95",
    "bacteria_count": "40",
    "fungi_count": "10",
}


def daily(measured):
    papers = [
        CertificateFacts(K.BUSINESS_LICENCE, "91440111304512345X", holder=DAILY),
        CertificateFacts(
            K.TEST_REPORT, "GDZJ2020-0901", holder=DAILY, valid_from=date(2020, 9, 1),
            measured=measured,
        ),
        CertificateFacts(K.CONFORMITY_CERTIFICATE, "HG-0901", holder=DAILY),
    ]  # fmt: skip
    return evaluate(BatchFacts("daily_protective", "domestic_non_medical", RECEIVED, maker=DAILY,
                               certificates=papers))  # fmt: skip


def test_a_daily_mask_is_judged_at_the_levels_its_report_declares():
    level_two_b = daily({**DAILY_FIGURES, "filtration_level": "II", "protection_level": "B"})
    assert line(level_two_b, "test.declared_level").outcome is Outcome.PASS
    assert line(level_two_b, "test.particle_filtration").outcome is Outcome.PASS  # 96 ≥ 95
    assert line(level_two_b, "test.protection_effect").outcome is Outcome.PASS  # 88 ≥ 85
    level_one_a = daily({**DAILY_FIGURES, "filtration_level": "I", "protection_level": "A"})
    assert line(level_one_a, "test.particle_filtration").outcome is Outcome.FAIL  # < 99
    assert line(level_one_a, "test.oil_filtration").outcome is Outcome.FAIL  # < 99
    effect = line(level_one_a, "test.protection_effect")
    assert effect.outcome is Outcome.FAIL and "≥90%" in effect.message_zh


def test_a_daily_report_without_declared_levels_is_judged_at_the_lowest_and_warned():
    checklist = daily(DAILY_FIGURES)
    assert line(checklist, "test.declared_level").outcome is Outcome.WARN
    assert "≥80%" in line(checklist, "test.oil_filtration").message_zh


# 4. Foreign standards and classes against the grade received ---------------------------------


def foreign_import(grade, *papers):
    return evaluate(
        BatchFacts(
            grade, "imported", RECEIVED, maker="3M Company", made_in="US",
            certificates=[*papers, CertificateFacts(K.CUSTOMS_DECLARATION, "531620201000456789")],
            production_date=date(2020, 8, 1), exhalation_valve=False,
            goods_match_order=True, packaging_intact=True,
        )
    )  # fmt: skip


N95 = CertificateFacts(K.NIOSH_APPROVAL, "TC-84A-0006", holder="3M Company",
                       foreign_class="niosh_n95")  # fmt: skip


def test_a_plain_n95_is_not_a_medical_protective_mask():
    checklist = foreign_import("medical_protective", N95)
    found = line(checklist, "foreign.class")
    assert found.outcome is Outcome.FAIL and "抗合成血液穿透" in found.message_zh
    assert line(foreign_import("kn95", N95), "foreign.class").outcome is Outcome.PASS


def test_an_n95_with_fluid_resistance_evidence_is():
    surgical_n95 = CertificateFacts(
        K.FDA_AUTHORISATION, "K183514", holder="3M Company", foreign_class="surgical_n95"
    )
    assert (
        line(foreign_import("medical_protective", N95, surgical_n95), "foreign.class").outcome
        is Outcome.PASS
    )  # noqa: E501
    f1862 = CertificateFacts(K.TEST_REPORT, "NL-F1862-0412", issuer="Nelson Labs",
                             foreign_class="astm_f1862")  # fmt: skip
    assert (
        line(foreign_import("medical_protective", N95, f1862), "foreign.class").outcome
        is Outcome.PASS
    )  # noqa: E501


def ce_class(foreign_class):
    return CertificateFacts(
        K.CE_CERTIFICATE, "CE-2020-0412", notified_body="0123", holder="3M Company",
        valid_from=date(2020, 1, 1), valid_until=date(2025, 1, 1), foreign_class=foreign_class,
    )  # fmt: skip


def test_a_type_i_import_is_not_a_surgical_mask():
    type_one = line(foreign_import("surgical", ce_class("en14683_i")), "foreign.class")
    assert type_one.outcome is Outcome.FAIL and "EN 14683 I 型" in type_one.message_zh
    level_one = line(foreign_import("surgical", ce_class("astm_f2100_l1")), "foreign.class")
    assert level_one.outcome is Outcome.FAIL
    for ok in ("en14683_iir", "astm_f2100_l2", "astm_f2100_l3"):
        assert (
            line(foreign_import("surgical", ce_class(ok)), "foreign.class").outcome is Outcome.PASS
        )  # noqa: E501
    disposable = foreign_import("disposable_medical", ce_class("en14683_i"))
    assert line(disposable, "foreign.class").outcome is Outcome.PASS


def test_foreign_papers_without_a_recorded_class_fail_for_medical_grades():
    bare = CertificateFacts(K.CE_CERTIFICATE, "CE-2020-0412", notified_body="0123",
                            valid_from=date(2020, 1, 1), valid_until=date(2025, 1, 1))  # fmt: skip
    assert line(foreign_import("surgical", bare), "foreign.class").outcome is Outcome.FAIL


# 7. Where the papers come from and what they cover; the inspector's registry check -----------


def report(**kw):
    defaults = dict(
        holder=WJ, valid_from=date(2020, 3, 11), measured=SURGICAL_FIGURES,
        lab_accreditation="190012340123", covers="平面耳挂式 17.5×9.5cm",
    )  # fmt: skip
    return CertificateFacts(K.TEST_REPORT, "GZJY2020-0311", **{**defaults, **kw})


def with_report(**kw):
    papers = medical_papers()
    papers[-1] = report(**kw)
    return surgical(papers, registrant=WJ)


def test_a_report_needs_its_labs_accreditation_number():
    assert line(with_report(), "report.lab").outcome is Outcome.PASS
    assert line(with_report(lab_accreditation="CNAS L0412"), "report.lab").outcome is Outcome.PASS
    assert line(with_report(lab_accreditation=""), "report.lab").outcome is Outcome.FAIL
    wrong = line(with_report(lab_accreditation="CMA-12"), "report.lab")
    assert wrong.outcome is Outcome.FAIL and "12 位数字" in wrong.message_zh


def test_a_report_older_than_a_year_fails():
    old = line(with_report(valid_from=date(2019, 9, 1)), "report.age")
    assert old.outcome is Outcome.FAIL and "365" in old.message_zh
    assert line(with_report(valid_from=None), "report.age").outcome is Outcome.FAIL


def test_a_report_on_another_model_fails():
    other = line(with_report(covers="折叠式 KZ-01"), "report.covers")
    assert other.outcome is Outcome.FAIL and "折叠式 KZ-01" in other.message_zh
    assert line(with_report(covers=""), "report.covers").outcome is Outcome.WARN


def test_a_production_licence_must_cover_masks():
    papers = medical_papers()
    papers[1] = CertificateFacts(
        K.PRODUCTION_LICENCE, "鄂食药监械生产许20160031号", holder=WJ_HG,
        valid_from=date(2016, 3, 1), valid_until=date(2021, 2, 28),
        scope="Ⅱ类：14-10 医用棉签",
    )  # fmt: skip
    scope = line(surgical(papers, registrant=WJ), "production_licence.scope")
    assert scope.outcome is Outcome.FAIL and "不包含口罩" in scope.message_zh


def test_domestic_medical_goods_need_the_registry_and_label_checks():
    unchecked = evaluate(
        BatchFacts(
            "surgical", "domestic_medical", RECEIVED, maker=WJ_HG, registrant=WJ,
            certificates=medical_papers(), model="平面耳挂式 17.5×9.5cm",
        )
    )  # fmt: skip
    assert line(unchecked, "inspection.registry_checked").outcome is Outcome.FAIL
    assert line(unchecked, "inspection.label_checked").outcome is Outcome.FAIL
    refused = surgical(medical_papers(), registrant=WJ, registry_checked=False)
    assert line(refused, "inspection.registry_checked").outcome is Outcome.FAIL
    # KN95 are not medical devices: no registry check.
    assert not kn95(date(2020, 8, 3), False, OLD_FIGURES).by_code("inspection.registry_checked")
