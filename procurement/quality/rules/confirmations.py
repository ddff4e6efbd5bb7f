"""`inspection.goods_match_order`, `inspection.packaging_intact`: the inspector's confirmations."""

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


def check_confirmations(batch: BatchFacts, needed: bool) -> list[RuleResult]:
    results = []
    for attr, code, what, refused in _CONFIRMATIONS:
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
