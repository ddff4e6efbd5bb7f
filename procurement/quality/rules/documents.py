"""`documents.<kind>` and `documents.foreign_approval`: the papers a batch needs are attached."""

from __future__ import annotations

from collections.abc import Sequence

from core.text import Message, capitalised

from ..facts import CertificateFacts, RuleResult, kind_of, rule_result
from ..requirements import Requirement
from ..vocabulary import KIND_LABELS, Outcome


def check_documents(
    requirement: Requirement, certificates: Sequence[CertificateFacts]
) -> list[RuleResult]:
    present = {kind_of(c) for c in certificates}
    results = []
    for kind in requirement.required:
        label = KIND_LABELS[kind]
        if kind in present:
            results.append(
                rule_result(
                    f"documents.{kind}",
                    Outcome.PASS,
                    Message(f"已提供{label.zh}", f"{capitalised(label.en)} provided"),
                )
            )
        else:
            results.append(
                rule_result(
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
                rule_result(
                    "documents.foreign_approval",
                    Outcome.PASS,
                    Message(
                        "已提供" + "、".join(KIND_LABELS[k].zh for k in found),
                        capitalised(", ".join(KIND_LABELS[k].en for k in found)) + " provided",
                    ),
                )
            )
        else:
            results.append(
                rule_result(
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
                rule_result(
                    f"documents.{kind}",
                    Outcome.WARN,
                    Message(f"未提供{label.zh}（建议提供）", f"No {label.en} (recommended)"),
                )
            )
    return results
