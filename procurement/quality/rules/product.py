"""`registration.product`: the registration certificate covers the goods received, by its product
name (产品名称) and its models (型号、规格). The commonest substitution of 2020 was a registration
for 一次性使用医用口罩 (YY/T 0969) presented with a batch sold as 医用外科口罩 (YY 0469)."""

from __future__ import annotations

import re
import unicodedata

from core.text import Message

from ..facts import CertificateFacts, RuleResult, rule_result
from ..vocabulary import GRADE_LABELS, Grade, Outcome

__all__ = ["GRADE_PRODUCT_NAMES", "check_registered_product"]

# The product name a registration certificate gives for each medical grade.
GRADE_PRODUCT_NAMES = {
    Grade.MEDICAL_PROTECTIVE: "医用防护口罩",
    Grade.SURGICAL: "医用外科口罩",
    Grade.DISPOSABLE_MEDICAL: "一次性使用医用口罩",
}
_SEPARATORS = re.compile(r"[、，,;；/\n]+")


def _fold(text: str) -> str:
    """Full-width folded, spaces dropped, lower case: "ZD-FH 折叠式" == "zd-fh折叠式"."""
    return "".join(unicodedata.normalize("NFKC", text or "").split()).casefold()


def check_registered_product(
    cert: CertificateFacts, grade: Grade, model: str = ""
) -> list[RuleResult]:
    expected = GRADE_PRODUCT_NAMES.get(grade)
    if expected is None:
        return []
    subject = cert.number or ""
    name = _fold(cert.product_name)
    label = GRADE_LABELS[grade]
    if not name:
        return [
            rule_result(
                "registration.product",
                Outcome.WARN,
                Message(
                    "注册证未登记产品名称：请按注册证填写产品名称和型号规格，以核对与到货品种一致",
                    "The registration's product name is not recorded: enter the product name and "
                    "models printed on it, so that they can be compared with the goods",
                ),
                subject,
            )
        ]
    if _fold(expected) not in name:
        return [
            rule_result(
                "registration.product",
                Outcome.FAIL,
                Message(
                    f"注册证的产品名称为“{cert.product_name.strip()}”，不是{expected}："
                    f"不能作为{label.zh}的注册证",
                    f"The registration is for “{cert.product_name.strip()}”, not a {label.en}: "
                    "it does not cover these goods",
                ),
                subject,
            )
        ]
    results = [
        rule_result(
            "registration.product",
            Outcome.PASS,
            Message(
                f"注册证产品名称“{cert.product_name.strip()}”与到货品种一致",
                f"The registration's product “{cert.product_name.strip()}” is the grade received",
            ),
            subject,
        )
    ]
    listed = [m.strip() for m in _SEPARATORS.split(cert.models or "") if m.strip()]
    received = _fold(model)
    if listed and received:
        if any(_fold(m) in received or received in _fold(m) for m in listed):
            results.append(
                rule_result(
                    "registration.model",
                    Outcome.PASS,
                    Message(
                        f"型号“{model.strip()}”在注册证所列型号规格之内",
                        f"Model “{model.strip()}” is among the models the registration lists",
                    ),
                    subject,
                )
            )
        else:
            shown = "、".join(listed)
            results.append(
                rule_result(
                    "registration.model",
                    Outcome.FAIL,
                    Message(
                        f"到货型号“{model.strip()}”不在注册证所列型号规格（{shown}）之内",
                        f"The model received, “{model.strip()}”, is not among the models the "
                        f"registration lists ({', '.join(listed)})",
                    ),
                    subject,
                )
            )
    return results
