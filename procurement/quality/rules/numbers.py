"""The numbers printed on the papers: `registration.number`, `production_licence.number`,
`business_licence.uscc`, `niosh.number`, `ce.notified_body`, `fda.number`, `customs.number`.
The formats themselves are read by `procurement.validators`."""

from __future__ import annotations

import re
from datetime import date

from core.text import Message
from procurement.validators import (
    NumberFormatError,
    customs_declaration_problem,
    niosh_problem,
    normalise_code,
    notified_body_problem,
    parse_production_licence,
    parse_registration_number,
    uscc_problem,
)

from ..facts import CertificateFacts, RuleResult, rule_result
from ..vocabulary import GRADE_LABELS, MEDICAL_GRADES, RESPIRATOR_GRADES, Grade, Origin, Outcome

_CLASS_ZH = {1: "一", 2: "二", 3: "三"}
_CLASS_EN = {1: "I", 2: "II", 3: "III"}


def check_registration(
    cert: CertificateFacts, grade: Grade, path: Origin, received_on: date
) -> RuleResult:
    code, subject = "registration.number", cert.number or ""
    try:
        reg = parse_registration_number(cert.number)
    except NumberFormatError as error:
        return rule_result(code, Outcome.FAIL, error.message, subject)
    n = reg.text
    if reg.device_class not in (2, 3):
        return rule_result(
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
        return rule_result(
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
        return rule_result(
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
        return rule_result(
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
        return rule_result(
            code,
            Outcome.WARN,
            Message(
                f"注册证编号 {n}：" + "；".join(w.zh for w in warnings),
                f"Registration number {n}: " + "; ".join(w.en for w in warnings),
            ),
            subject,
        )
    return rule_result(
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


def check_production_licence(cert: CertificateFacts, received_on: date) -> RuleResult:
    code, subject = "production_licence.number", cert.number or ""
    try:
        lic = parse_production_licence(cert.number)
    except NumberFormatError as error:
        return rule_result(code, Outcome.FAIL, error.message, subject)
    if lic.year > received_on.year:
        return rule_result(
            code,
            Outcome.FAIL,
            Message(
                f"生产许可证编号 {lic.text} 的年份 {lic.year} 晚于到货日期，编号有误",
                f"Production licence number {lic.text} gives the year {lic.year}, after the "
                "goods arrived: the number is wrong",
            ),
            subject,
        )
    return rule_result(
        code,
        Outcome.PASS,
        Message(
            f"生产许可证编号 {lic.text} 格式正确",
            f"Production licence number {lic.text} is well formed",
        ),
        subject,
    )


def check_business_licence(cert: CertificateFacts) -> RuleResult:
    code, subject = "business_licence.uscc", cert.number or ""
    problem = uscc_problem(cert.number)
    if problem is not None:
        return rule_result(
            code,
            Outcome.FAIL,
            Message("营业执照：" + problem.zh, "Business licence: " + problem.en),
            subject,
        )
    value = normalise_code(cert.number)
    return rule_result(
        code,
        Outcome.PASS,
        Message(
            f"营业执照统一社会信用代码 {value} 校验通过",
            f"Business licence: unified social credit code {value} is valid",
        ),
        subject,
    )


def check_niosh(cert: CertificateFacts) -> RuleResult:
    code, subject = "niosh.number", cert.number or ""
    problem = niosh_problem(cert.number)
    if problem is not None:
        return rule_result(code, Outcome.FAIL, problem, subject)
    value = normalise_code(cert.number)
    return rule_result(
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


def check_ce(cert: CertificateFacts, grade: Grade) -> RuleResult:
    code, subject = "ce.notified_body", cert.number or ""
    body = normalise_code(cert.notified_body).removeprefix("NB")
    if not body:
        if grade in RESPIRATOR_GRADES:
            return rule_result(
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
        return rule_result(
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
        return rule_result(code, Outcome.FAIL, problem, subject)
    if body in NOT_PPE_NOTIFIED_BODIES:
        reason = NOT_PPE_NOTIFIED_BODIES[body]
        return rule_result(
            code,
            Outcome.FAIL,
            Message(f"CE 证书无效：{reason.zh}", f"The CE certificate is not valid: {reason.en}"),
            subject,
        )
    return rule_result(
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


def check_fda(cert: CertificateFacts) -> RuleResult:
    code, subject = "fda.number", cert.number or ""
    value = normalise_code(cert.number)
    if value.isdigit() and 7 <= len(value) <= 10:
        return rule_result(
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
        return rule_result(
            code,
            Outcome.PASS,
            Message(f"FDA 授权编号 {value}", f"FDA authorisation {value}"),
            subject,
        )
    return rule_result(
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


def check_customs(cert: CertificateFacts) -> RuleResult:
    code, subject = "customs.number", cert.number or ""
    problem = customs_declaration_problem(cert.number)
    if problem is not None:
        return rule_result(code, Outcome.FAIL, problem, subject)
    value = normalise_code(cert.number)
    return rule_result(
        code,
        Outcome.PASS,
        Message(f"进口报关单号 {value} 格式正确", f"Import declaration number {value} is valid"),
        subject,
    )
