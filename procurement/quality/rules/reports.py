"""`test.<measure>`: a test report's measured values against the grade's standard."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from core.text import Message, capitalised

from ..facts import CertificateFacts, RuleResult, paper_name, rule_result
from ..limits import PERCENT, Limit, format_number, limits_for
from ..vocabulary import MEASURE_LABELS, Grade, Measure, Outcome


def _to_decimal(value: object) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value).strip().rstrip("%").strip())
    except (InvalidOperation, ValueError):
        return None


def check_test_report(
    cert: CertificateFacts,
    grade: Grade,
    missing: Outcome = Outcome.FAIL,
    limits: tuple[Limit, ...] | None = None,
) -> list[RuleResult]:
    """Each measured value against the grade's standard (`limits`, default the grade's
    `limits_for`). A value not given is `missing` (FAIL where the report is required; WARN for
    imported goods, whose report may follow another standard and is not required); an optional
    value (total inward leakage) is checked only where it is given."""
    results = []
    report = paper_name(cert)
    measured = {str(k): v for k, v in (cert.measured or {}).items()}
    for limit in limits if limits is not None else limits_for(grade):
        code = f"test.{limit.measure}"
        label = MEASURE_LABELS[limit.measure]
        required = limit.describe()
        std = limit.standard
        raw = measured.get(str(limit.measure))
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if limit.optional:
                continue
            results.append(
                rule_result(
                    code,
                    missing,
                    Message(
                        f"{report.zh}未给出{label.zh}实测值，无法判定是否符合 {std}"
                        f"（要求{required.zh}）",
                        f"{capitalised(report.en)} gives no measured {label.en}: cannot tell "
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
                    rule_result(
                        code,
                        Outcome.FAIL,
                        Message(
                            f"{report.zh}的{label.zh}结果“{raw}”无法识别，应登记为合格或不合格",
                            f"{capitalised(report.en)}: the {label.en} result “{raw}” is not "
                            "understood; record it as passed or failed",
                        ),
                        cert.number or "",
                    )
                )
                continue
            outcome = Outcome.PASS if ok else Outcome.FAIL
            blood = limit.measure is Measure.SYNTHETIC_BLOOD
            passed, failed = (
                (Message("未渗透", "no penetration"), Message("出现渗透", "penetration seen"))
                if blood
                else (Message("未检出", "none detected"), Message("检出", "detected"))
            )
            message = (
                Message(
                    f"{label.zh}：{passed.zh}，符合 {std}",
                    f"{capitalised(label.en)}: {passed.en}, meets {std}",
                )
                if ok
                else Message(
                    f"{label.zh}：{failed.zh}，不符合 {std}",
                    f"{capitalised(label.en)}: {failed.en}, fails {std}",
                )
            )
            results.append(rule_result(code, outcome, message, cert.number or ""))
            continue
        value = _to_decimal(raw)
        if value is None:
            results.append(
                rule_result(
                    code,
                    Outcome.FAIL,
                    Message(
                        f"{report.zh}的{label.zh}实测值“{raw}”不是数值",
                        f"{capitalised(report.en)}: the measured {label.en} “{raw}” "
                        "is not a number",
                    ),
                    cert.number or "",
                )
            )
            continue
        shown = f"{format_number(value)}{limit.unit}"
        if limit.unit == PERCENT and not (0 <= value <= 100):
            results.append(
                rule_result(
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
                rule_result(
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
                    f"{capitalised(label.en)} {shown} meets {std} ({required.en})",
                )
                if ok
                else Message(
                    f"{label.zh}实测 {shown}，低于 {std} 要求（{required.zh}）{hint.zh}",
                    f"{capitalised(label.en)} {shown} is below the {std} minimum "
                    f"({required.en}){hint.en}",
                )
            )
        else:
            ok = value <= limit.maximum
            message = (
                Message(
                    f"{label.zh}实测 {shown}，符合 {std} 要求（{required.zh}）",
                    f"{capitalised(label.en)} {shown} meets {std} ({required.en})",
                )
                if ok
                else Message(
                    f"{label.zh}实测 {shown}，超过 {std} 限值（{required.zh}）",
                    f"{capitalised(label.en)} {shown} is above the {std} limit ({required.en})",
                )
            )
        results.append(
            rule_result(code, Outcome.PASS if ok else Outcome.FAIL, message, cert.number or "")
        )
    return results


def check_declared_levels(cert: CertificateFacts) -> list[RuleResult]:
    """A daily protective mask's report declares its filtration level (I-III) and protection
    level (A-D); its values are judged at those levels (GB/T 32610-2016 tables 1 and 2), at the
    lowest (III, D) with a warning when it declares none."""
    measured = {str(k): v for k, v in (cert.measured or {}).items()}
    filtration = str(measured.get(Measure.FILTRATION_LEVEL.value) or "").strip().upper()
    protection = str(measured.get(Measure.PROTECTION_LEVEL.value) or "").strip().upper()
    report = paper_name(cert)
    if filtration and protection:
        return [
            rule_result(
                "test.declared_level",
                Outcome.PASS,
                Message(
                    f"{report.zh}标称过滤效率 {filtration} 级、防护效果 {protection} 级，"
                    "按相应级别判定（GB/T 32610-2016 表 1、表 2）",
                    f"{capitalised(report.en)} declares filtration level {filtration} and "
                    f"protection level {protection}: judged at those levels (GB/T 32610-2016 "
                    "tables 1 and 2)",
                ),
                cert.number or "",
            )
        ]
    return [
        rule_result(
            "test.declared_level",
            Outcome.WARN,
            Message(
                f"{report.zh}未登记标称的过滤效率级别或防护效果级别：按最低的 III 级、D 级判定；"
                "外包装标称更高级别的，须按标称级别核对",
                f"{capitalised(report.en)} has no declared filtration or protection level: "
                "judged at the lowest (III, D); a box that claims a higher level must meet it",
            ),
            cert.number or "",
        )
    ]
