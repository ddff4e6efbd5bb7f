"""`standard.edition` and `design.valve`: which edition of GB 2626 a KN95 batch is judged by (the
one in force when it was made), and its exhalation valve: recorded for KN95 made to GB 2626-2019,
whose resistance limits depend on it (clause 5.5), and never on a medical protective mask
(GB 19083-2010, 4.1: no exhalation valve)."""

from __future__ import annotations

from core.text import Message

from ..facts import BatchFacts, RuleResult, as_date, rule_result
from ..limits import GB2626_2019_FROM, kn95_edition
from ..vocabulary import Grade, Outcome

__all__ = ["check_design"]


def check_design(batch: BatchFacts, grade: Grade) -> list[RuleResult]:
    results = []
    made = as_date(batch.production_date)
    valve = batch.exhalation_valve
    if grade is Grade.KN95:
        edition = kn95_edition(made)
        since = GB2626_2019_FROM.isoformat()
        if made is None:
            results.append(
                rule_result(
                    "standard.edition",
                    Outcome.WARN,
                    Message(
                        f"未登记生产日期：按现行 {edition} 判定（{since} 起生产的 KN95 适用）；"
                        "请按外包装补录生产日期",
                        f"No production date recorded: judged by {edition}, in force for KN95 "
                        f"made from {since}; record the date printed on the box",
                    ),
                )
            )
        else:
            results.append(
                rule_result(
                    "standard.edition",
                    Outcome.PASS,
                    Message(
                        f"生产日期 {made.isoformat()}，按 {edition} 判定"
                        f"（GB 2626-2019 自 {since} 起实施）",
                        f"Made on {made.isoformat()}: judged by {edition} (GB 2626-2019 applies "
                        f"from {since})",
                    ),
                )
            )
        if edition == "GB 2626-2019":
            if valve is None:
                results.append(
                    rule_result(
                        "design.valve",
                        Outcome.FAIL,
                        Message(
                            "须登记口罩是否带呼气阀：GB 2626-2019（5.5）对有阀和无阀口罩的"
                            "呼吸阻力限值不同（未登记时按两者中较严的限值判定）",
                            "Record whether the mask has an exhalation valve: GB 2626-2019 (5.5) "
                            "sets different resistance limits with and without one (until then "
                            "the stricter of the two is applied)",
                        ),
                    )
                )
            else:
                has, with_ = ("有", "with") if valve else ("无", "without")
                results.append(
                    rule_result(
                        "design.valve",
                        Outcome.PASS,
                        Message(
                            f"{has}呼气阀：按 GB 2626-2019 {has}阀口罩的呼吸阻力限值判定",
                            f"Exhalation valve recorded: judged by the GB 2626-2019 resistance "
                            f"limits for masks {with_} one",
                        ),
                    )
                )
    if grade is Grade.MEDICAL_PROTECTIVE and valve is True:
        results.append(
            rule_result(
                "design.valve",
                Outcome.FAIL,
                Message(
                    "医用防护口罩不得设呼气阀（GB 19083-2010 4.1）：带阀口罩呼出的气体未经过滤，"
                    "不能用于医疗防护",
                    "A medical protective mask must not have an exhalation valve "
                    "(GB 19083-2010, 4.1): the air breathed out through it is not filtered",
                ),
            )
        )
    return results
