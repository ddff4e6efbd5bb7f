"""`inspection.goods_match_order`, `inspection.packaging_intact` (imports) and
`inspection.registry_checked`, `inspection.label_checked` (domestic medical goods: the inspector
looked the registration and licence numbers up in the national registry, 国家药监局数据查询, and
the box label carries them): the inspector's confirmations."""

from __future__ import annotations

from core.text import Message

from ..facts import BatchFacts, RuleResult, rule_result
from ..vocabulary import Outcome

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


_REGISTRY_CONFIRMATIONS = (
    (
        "registry_checked",
        "inspection.registry_checked",
        Message(
            "注册证、生产许可证编号已在国家药监局数据库中查询核实",
            "the registration and licence numbers were looked up in the national registry",
        ),
        Message(
            "质检员确认：注册证或生产许可证编号在国家药监局数据库中查询不到或不符",
            "The inspector recorded that the numbers are not in the national registry or differ",
        ),
    ),
    (
        "label_checked",
        "inspection.label_checked",
        Message(
            "外包装标签载有注册证编号和生产许可证编号",
            "the box label carries the registration and licence numbers",
        ),
        Message(
            "质检员确认：外包装标签未载明注册证或生产许可证编号，或与证件不符",
            "The inspector recorded that the box label lacks the numbers or they differ",
        ),
    ),
)


def check_confirmations(
    batch: BatchFacts, needed: bool, registry_needed: bool = False
) -> list[RuleResult]:
    results = []
    confirmations = [(c, needed) for c in _CONFIRMATIONS]
    confirmations += [(c, registry_needed) for c in _REGISTRY_CONFIRMATIONS]
    for (attr, code, what, refused), needed in confirmations:
        value = getattr(batch, attr)
        if value is None:
            if needed:
                results.append(
                    rule_result(
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
                rule_result(
                    code,
                    Outcome.PASS,
                    Message(f"质检员已确认：{what.zh}", f"The inspector confirmed: {what.en}"),
                )
            )
        else:
            results.append(rule_result(code, Outcome.FAIL, refused))
    return results
