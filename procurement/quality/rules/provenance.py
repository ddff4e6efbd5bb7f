"""Where a paper comes from and what it covers: `report.lab` (the lab's accreditation: a CMA
number, 12 digits — year 2, authority 2, field 2, sector 2, serial 4, per chinajiance.com — or a
CNAS laboratory number such as CNAS L1234), `report.age` (the report's date, at most
`REPORT_MAX_AGE_DAYS` before the goods arrived: the city's procurement rule, not a standard's),
`report.covers` (the model or lot the report was made on) and `production_licence.scope` (the
licence's 生产范围 must include masks: the contract maker's licence must cover the product it
makes, 医疗器械生产监督管理办法 2014 arts. 26-30)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta

from core.text import Message, capitalised

from ..facts import BatchFacts, CertificateFacts, RuleResult, as_date, paper_name, rule_result
from ..vocabulary import Outcome

__all__ = ["REPORT_MAX_AGE_DAYS", "check_licence_scope", "check_report_provenance"]

REPORT_MAX_AGE_DAYS = 365
_CMA = re.compile(r"^\d{12}$")
_CNAS = re.compile(r"^CNAS ?L\d{4,5}$")
# What a production licence's scope says when it covers masks: the product itself, or its
# category (2017 catalogue 14-14, the old 6864 医用卫生材料及敷料).
_MASK_SCOPE = ("口罩", "14-14", "6864")


def _fold(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text or "").split()).casefold()


def check_report_provenance(
    cert: CertificateFacts, batch: BatchFacts, received_on: date | None, missing: Outcome
) -> list[RuleResult]:
    report = paper_name(cert)
    subject = cert.number or ""
    results = []
    lab = unicodedata.normalize("NFKC", cert.lab_accreditation or "").strip().upper()
    if not lab:
        results.append(rule_result("report.lab", missing, Message(
            f"{report.zh}未登记检验机构的资质认定（CMA）或认可（CNAS）编号",
            f"{capitalised(report.en)}: the lab's CMA or CNAS number is not recorded",
        ), subject))  # fmt: skip
    elif _CMA.match(lab) or _CNAS.match(lab):
        results.append(rule_result("report.lab", Outcome.PASS, Message(
            f"检验机构资质编号 {lab}", f"The lab's accreditation: {lab}",
        ), subject))  # fmt: skip
    else:
        results.append(rule_result("report.lab", Outcome.FAIL, Message(
            f"检验机构资质编号“{lab}”格式不对：CMA 编号为 12 位数字，CNAS 实验室编号如 CNAS L1234",
            f"The lab's number “{lab}” is not valid: a CMA number has 12 digits, a CNAS "
            "laboratory number reads like CNAS L1234",
        ), subject))  # fmt: skip

    issued = as_date(cert.valid_from)
    if issued is None:
        results.append(rule_result("report.age", missing, Message(
            f"{report.zh}未登记报告日期，无法判断是否在 {REPORT_MAX_AGE_DAYS} 天内",
            f"{capitalised(report.en)}: its date is not recorded, so its age cannot be checked",
        ), subject))  # fmt: skip
    elif received_on is not None and issued < received_on - timedelta(days=REPORT_MAX_AGE_DAYS):
        age = (received_on - issued).days
        results.append(rule_result("report.age", Outcome.FAIL, Message(
            f"{report.zh}出具于 {issued.isoformat()}，到货时已 {age} 天，超过 "
            f"{REPORT_MAX_AGE_DAYS} 天：请供应商提供近期检验报告",
            f"{capitalised(report.en)} is dated {issued.isoformat()}, {age} days before the goods "
            f"arrived, more than {REPORT_MAX_AGE_DAYS}: ask for a recent report",
        ), subject))  # fmt: skip
    else:
        results.append(rule_result("report.age", Outcome.PASS, Message(
            f"{report.zh}出具于 {issued.isoformat()}，在 {REPORT_MAX_AGE_DAYS} 天之内",
            f"{capitalised(report.en)} is dated {issued.isoformat()}, within "
            f"{REPORT_MAX_AGE_DAYS} days",
        ), subject))  # fmt: skip

    covers = _fold(cert.covers)
    received = [v for v in (_fold(batch.model), _fold(batch.lot_number)) if v]
    if not covers:
        results.append(rule_result("report.covers", Outcome.WARN, Message(
            f"{report.zh}未登记所检样品的型号或批号：请核对报告所检产品与到货一致",
            f"{capitalised(report.en)}: the model or lot it tested is not recorded; check that "
            "it is the product received",
        ), subject))  # fmt: skip
    elif not received or any(v in covers or covers in v for v in received):
        results.append(rule_result("report.covers", Outcome.PASS, Message(
            f"{report.zh}所检样品（{cert.covers.strip()}）与到货一致",
            f"{capitalised(report.en)} tested {cert.covers.strip()}, the product received",
        ), subject))  # fmt: skip
    else:
        results.append(rule_result("report.covers", Outcome.FAIL, Message(
            f"{report.zh}所检样品为“{cert.covers.strip()}”，不是到货的型号或批号"
            f"（{batch.model or batch.lot_number}）",
            f"{capitalised(report.en)} tested “{cert.covers.strip()}”, not the model or lot "
            f"received ({batch.model or batch.lot_number})",
        ), subject))  # fmt: skip
    return results


def check_licence_scope(cert: CertificateFacts) -> RuleResult:
    licence = paper_name(cert)
    subject = cert.number or ""
    scope = _fold(cert.scope)
    if not scope:
        return rule_result("production_licence.scope", Outcome.WARN, Message(
            f"{licence.zh}未登记生产范围：请核对其包含口罩",
            f"{capitalised(licence.en)}: its scope is not recorded; check that it covers masks",
        ), subject)  # fmt: skip
    if any(_fold(word) in scope for word in _MASK_SCOPE):
        return rule_result("production_licence.scope", Outcome.PASS, Message(
            f"{licence.zh}的生产范围包含口罩", f"{capitalised(licence.en)} covers masks",
        ), subject)  # fmt: skip
    return rule_result("production_licence.scope", Outcome.FAIL, Message(
        f"{licence.zh}的生产范围（{cert.scope.strip()}）不包含口罩：该企业无权生产这批货物",
        f"{capitalised(licence.en)} does not cover masks ({cert.scope.strip()}): the maker may "
        "not make these goods",
    ), subject)  # fmt: skip
