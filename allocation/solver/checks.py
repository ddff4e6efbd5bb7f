"""Input checks: every problem with the lots, requests and policy, listed at once."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

from .contract import AllocationError, Lot, Policy, Request

SHOWN_PROBLEMS = 8


def _is_whole(value: object) -> bool:
    return type(value) is int or (
        isinstance(value, numbers.Integral) and not isinstance(value, bool)
    )


def _as_fraction(value: object) -> Fraction | None:
    """Exact value of a reserve fraction, or None if it is not a finite real number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        return Fraction(repr(value)) if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return Fraction(value) if value.is_finite() else None
    if isinstance(value, numbers.Rational):
        return Fraction(value.numerator, value.denominator)
    return None


def check_input(lots: list[Lot], requests: list[Request], policy: Policy) -> dict[str, Fraction]:
    """Raise AllocationError listing every problem; return the reserves as exact fractions."""
    problems: list[tuple[str, str]] = []

    def bad(en: str, zh: str) -> None:
        problems.append((en, zh))

    def check_id(kind_en: str, kind_zh: str, value: object, seen: set, dups: list) -> bool:
        if not isinstance(value, str) or not value:
            bad(
                f"{kind_en} id must be a non-empty string, got {value!r}",
                f"{kind_zh}编号须为非空文本：{value!r}",
            )
            return False
        if value in seen:
            dups.append(value)
        seen.add(value)
        return True

    seen: set[str] = set()
    dups: list[str] = []
    for lot in lots:
        check_id("lot", "批次", lot.id, seen, dups)
        name_en, name_zh = f"lot {lot.id!r}", f"批次{lot.id}"
        if not isinstance(lot.grade, str) or not lot.grade:
            bad(f"{name_en}: grade must be a non-empty string", f"{name_zh}：品级须为非空文本")
        if not _is_whole(lot.quantity) or lot.quantity < 0:
            bad(
                f"{name_en}: quantity must be a whole number of pieces ≥ 0, got {lot.quantity!r}",
                f"{name_zh}：数量须为不小于0的整数（件），实为{lot.quantity!r}",
            )
        if not _is_whole(lot.pieces_per_box) or lot.pieces_per_box < 1:
            bad(
                f"{name_en}: pieces per box must be a whole number ≥ 1, got {lot.pieces_per_box!r}",
                f"{name_zh}：每箱件数须为不小于1的整数，实为{lot.pieces_per_box!r}",
            )
        if lot.expires_on is not None and (
            not isinstance(lot.expires_on, date) or isinstance(lot.expires_on, datetime)
        ):
            bad(
                f"{name_en}: expires_on must be a date or None, got {lot.expires_on!r}",
                f"{name_zh}：有效期须为日期或空，实为{lot.expires_on!r}",
            )
    if dups:
        shown = ", ".join(sorted(set(dups))[:SHOWN_PROBLEMS])
        bad(f"duplicate lot ids: {shown}", f"批次编号重复：{shown}")

    seen, dups = set(), []
    for req in requests:
        check_id("request", "申请", req.id, seen, dups)
        name_en, name_zh = f"request {req.id!r}", f"申请{req.id}"
        if not isinstance(req.recipient, str):
            bad(f"{name_en}: recipient must be a string", f"{name_zh}：收货单位须为文本")
        if not isinstance(req.grade, str) or not req.grade:
            bad(f"{name_en}: grade must be a non-empty string", f"{name_zh}：品级须为非空文本")
        if not _is_whole(req.tier):
            bad(
                f"{name_en}: tier must be a whole number, got {req.tier!r}",
                f"{name_zh}：梯队须为整数，实为{req.tier!r}",
            )
        quantity_ok = _is_whole(req.quantity) and req.quantity >= 0
        minimum_ok = _is_whole(req.minimum) and req.minimum >= 0
        if not quantity_ok:
            bad(
                f"{name_en}: quantity must be a whole number of pieces ≥ 0, got {req.quantity!r}",
                f"{name_zh}：申请数量须为不小于0的整数（件），实为{req.quantity!r}",
            )
        if not minimum_ok:
            bad(
                f"{name_en}: minimum must be a whole number of pieces ≥ 0, got {req.minimum!r}",
                f"{name_zh}：保底数量须为不小于0的整数（件），实为{req.minimum!r}",
            )
        if quantity_ok and minimum_ok and req.minimum > req.quantity:
            bad(
                f"{name_en}: minimum {req.minimum} is above the quantity {req.quantity}",
                f"{name_zh}：保底数量{req.minimum}超过申请数量{req.quantity}",
            )
    if dups:
        shown = ", ".join(sorted(set(dups))[:SHOWN_PROBLEMS])
        bad(f"duplicate request ids: {shown}", f"申请编号重复：{shown}")

    reserves: dict[str, Fraction] = {}
    if not isinstance(policy.reserve, Mapping):
        bad("policy.reserve must map grades to fractions", "预留比例须为“品级→比例”的对应表")
    else:
        for grade, value in policy.reserve.items():
            exact = _as_fraction(value)
            if exact is None or not 0 <= exact < 1:
                bad(
                    f"reserve for grade {grade!r} must be in [0, 1), got {value!r}",
                    f"品级{grade}的预留比例须在[0, 1)之内，实为{value!r}",
                )
            else:
                reserves[grade] = exact
    if not isinstance(policy.substitutes, Mapping):
        bad(
            "policy.substitutes must map grades to lists of grades",
            "替代表须为“品级→品级列表”的对应表",
        )
    else:
        for grade, options in policy.substitutes.items():
            if isinstance(options, str | bytes) or not isinstance(options, Sequence):
                # A set has no order, and the order is the preference (rule 5).
                bad(
                    f"substitutes for grade {grade!r} must be a list of grades in order of "
                    f"preference, got {options!r}",
                    f"品级{grade}的替代品级须为按优先顺序排列的列表，实为{options!r}",
                )
            elif not all(isinstance(g, str) for g in options):
                bad(
                    f"substitutes for grade {grade!r} must be grade ids (strings)",
                    f"品级{grade}的替代品级须为品级编号（文本）",
                )
    if not isinstance(policy.tier_grades, Mapping):
        bad(
            "policy.tier_grades must map grades to sets of tiers",
            "品级梯队限制须为“品级→梯队集合”的对应表",
        )
    else:
        for grade, tiers in policy.tier_grades.items():
            if (
                isinstance(tiers, str | bytes)
                or not isinstance(tiers, Iterable)
                or not all(_is_whole(t) for t in tiers)
            ):
                bad(
                    f"tier_grades for grade {grade!r} must be a set of whole tiers, got {tiers!r}",
                    f"品级{grade}的可用梯队须为整数集合，实为{tiers!r}",
                )

    if problems:
        extra = len(problems) - SHOWN_PROBLEMS
        en = "; ".join(p[0] for p in problems[:SHOWN_PROBLEMS])
        zh = "；".join(p[1] for p in problems[:SHOWN_PROBLEMS])
        if extra > 0:
            en += f"; and {extra} more"
            zh += f"；另有{extra}处"
        raise AllocationError(f"invalid allocation input: {en}", f"分配输入有误：{zh}", problems)
    return reserves
