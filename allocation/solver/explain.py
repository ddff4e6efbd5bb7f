"""Plain-language reasons (Chinese and English) for every request and tier.

Every sentence states a fact about the result that was checked when it was written: a grade is
"exhausted" only when nothing of it (no whole box, with ``whole_boxes``) is left; the tiers
named as having taken a grade's stock are the tiers that received it; "N boxes short" is
said of the boxes the request received; nothing below 100% is ever "fully served".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import TYPE_CHECKING

from .contract import ClassLevel, Explanation

if TYPE_CHECKING:
    from .engine import Engine


class Words:
    """Display names of grades, and lists in both languages."""

    def __init__(self, names: Mapping[str, str | tuple[str, str]] | None):
        self.names = dict(names or {})

    def zh(self, grade: str) -> str:
        name = self.names.get(grade, grade)
        return name if isinstance(name, str) else name[0]

    def en(self, grade: str) -> str:
        name = self.names.get(grade, grade)
        return name if isinstance(name, str) else name[1]

    @staticmethod
    def join_zh(items: Sequence[str], last: str = "和") -> str:
        if len(items) <= 1:
            return "".join(items)
        return "、".join(items[:-1]) + last + items[-1]

    @staticmethod
    def join_en(items: Sequence[str], last: str = "and") -> str:
        if len(items) <= 1:
            return "".join(items)
        return ", ".join(items[:-1]) + f" {last} " + items[-1]

    def grades_zh(self, grades: Sequence[str], last: str = "和") -> str:
        return self.join_zh([self.zh(g) for g in grades], last)

    def grades_en(self, grades: Sequence[str], last: str = "and") -> str:
        return self.join_en([self.en(g) for g in grades], last)

    @staticmethod
    def tiers_zh(tiers: Sequence[int]) -> str:
        return "第" + "、".join(str(t) for t in tiers) + "梯队" if tiers else "任何梯队"

    @staticmethod
    def tiers_en(tiers: Sequence[int]) -> str:
        if not tiers:
            return "no tier"
        word = "tier" if len(tiers) == 1 else "tiers"
        return f"{word} " + Words.join_en([str(t) for t in tiers])


def percent(value: Fraction) -> str:
    """A level as a percentage that never shows 100 below 1 nor 0 above 0."""
    if value >= 1:
        return "100"
    hundred = value * 100
    whole = math.floor(hundred + Fraction(1, 2))
    if whole >= 100:
        return f"{math.floor(hundred * 10) / 10:g}"
    if whole == 0 and value > 0:
        return "<1"
    return str(whole)


def percent_of(part: int, whole: int) -> str:
    """``percent(part / whole)`` in integers (whole > 0)."""
    if part >= whole:
        return "100"
    rounded = (200 * part + whole) // (2 * whole)
    if rounded >= 100:
        return f"{1000 * part // whole / 10:g}"
    if rounded == 0 and part > 0:
        return "<1"
    return str(rounded)


def reserve_percent(value: Fraction) -> str:
    hundred = value * 100
    if hundred.denominator == 1:
        return str(hundred.numerator)
    return f"{float(hundred):.2f}".rstrip("0").rstrip(".")


def pieces(value: Fraction) -> tuple[str, str]:
    """(zh, en) of an exact number of pieces; a fraction is shown "about" to two decimals."""
    if value.denominator == 1:
        return f"{value.numerator:,}", f"{value.numerator:,}"
    text = f"{float(value):,.2f}".rstrip("0").rstrip(".")
    return f"约{text}", f"about {text}"


class Explainer:
    """Reasons and summaries for a finished allocation (``s.given`` and ``s.entries`` set)."""

    def __init__(self, s: Engine):
        self.s = s
        self.words = s.words
        self.cache: dict[tuple, Explanation] = {}
        if s.boxes:
            box = s.box
            self.left = [0] * len(s.grades)  # whole boxes left per graph grade
            self.left_sizes: list[set[int]] = [set() for _ in s.grades]
            for i, lot in enumerate(s.lots):
                if s.cap[i]:
                    g = s.gindex[lot.grade]
                    boxes = (s.cap[i] - s.used_by_lot[i]) // s.box_size[i]
                    if boxes:
                        self.left[g] += boxes
                        self.left_sizes[g].add(s.box_size[i])
            self.sizes = [
                sorted({t.size for t in (box.types[i] for i in ts)}) for ts in box.grade_types
            ]
        self.taken_by: list[set[int]] = [set() for _ in s.grades]  # tiers that received a grade
        for r, entries in enumerate(s.entries):
            for lot, quantity in entries.items():
                if quantity:
                    self.taken_by[s.gindex[s.lots[lot].grade]].add(s.reqs[r].tier)

    # -- requests ---------------------------------------------------------------------------------

    def reason(self, r: int) -> Explanation:
        s = self.s
        req, given = s.reqs[r], s.given[r]
        if req.quantity == 0:
            return Explanation("未申请数量", "nothing requested")
        if given >= req.quantity:
            return Explanation("全额满足", "fully served")
        return self._boxes(r, given) if s.boxes else self._pieces(r)

    def _constraints(self, r: int, zh: list[str], en: list[str]) -> None:
        """What else bounds the request: restricted or missing grades, reserves."""
        s, words, elig = self.s, self.words, self.s.elig[r]
        for g in elig.restricted:
            allowed = sorted(s.policy.tier_grades.get(g, ()))
            zh.append(f"{words.zh(g)}仅限{words.tiers_zh(allowed)}")
            en.append(f"{words.en(g)} restricted to {words.tiers_en(allowed)}")
        if elig.empty:
            zh.append(f"{words.grades_zh(elig.empty)}无可分配库存")
            en.append(f"no {words.grades_en(elig.empty, 'or')} stock to allocate")
        if not elig.pref:
            zh.append("没有可用的品级")
            en.append("no grade it may use")
        for g in elig.usable:
            reserve = s.reserves.get(g, Fraction(0))
            if reserve and s.held_back.get(g):
                zh.append(f"{words.zh(g)}预留{reserve_percent(reserve)}%储备")
                en.append(f"reserve of {reserve_percent(reserve)}% of {words.en(g)} held back")

    def _pieces(self, r: int) -> Explanation:
        """The level its class reached and what bound it (piece mode)."""
        s, words = self.s, self.words
        req = s.reqs[r]
        c = s.classes[s.cls[r]]
        level = c.level
        at_minimum = req.minimum * level.denominator > level.numerator * req.quantity
        key = (c.index, req.grade, at_minimum and req.minimum)
        found = self.cache.get(key)
        if found is not None:
            return found
        pct = percent(level)
        if at_minimum:
            head_zh = f"按保底数量{req.minimum:,}件分配，第{req.tier}梯队满足{pct}%"
            head_en = f"guaranteed minimum of {req.minimum:,} pieces; "
            head_en += f"tier {req.tier} filled to {pct}%"
        else:
            head_zh = f"第{req.tier}梯队满足{pct}%"
            head_en = f"tier {req.tier} filled to {pct}%"
        zh: list[str] = []
        en: list[str] = []
        exhausted = [s.grades[g] for g in s.elig[r].avail]
        if exhausted:
            zh.append(f"{words.grades_zh(exhausted)}库存已分完")
            en.append(f"{words.grades_en(exhausted)} stock exhausted")
        self._constraints(r, zh, en)
        found = Explanation(head_zh + "：" + "；".join(zh), head_en + ": " + "; ".join(en))
        self.cache[key] = found
        return found

    def _boxes(self, r: int, given: int) -> Explanation:
        """Its own fill, its fair share against the boxes it got, and what the stock did."""
        s, words, box = self.s, self.words, self.s.box
        req = s.reqs[r]
        share = box.shares[r]
        c = s.classes[s.cls[r]]
        pct = percent_of(given, req.quantity)
        lacks = req.quantity - given
        at_minimum = bool(req.minimum) and share == box.lo[r] and share > c.level * req.quantity
        if at_minimum:
            head_zh = f"按保底数量{req.minimum:,}件分配，第{req.tier}梯队按整箱满足{pct}%"
            head_en = f"guaranteed minimum of {req.minimum:,} pieces; "
            head_en += f"tier {req.tier} filled to {pct}% in whole boxes"
        else:
            head_zh = f"第{req.tier}梯队按整箱满足{pct}%"
            head_en = f"tier {req.tier} filled to {pct}% in whole boxes"
        zh: list[str] = []
        en: list[str] = []
        sizes, stock_zh, stock_en, left = self._stock_facts(r)
        up = -(-share.numerator // share.denominator)
        if given < up and sizes:
            short = up - given
            received = [s.box_size[lot] for lot, q in s.entries[r].items() if q]
            size = max(received) if received else sizes[0]
            n = -(-short // size)
            unit_en = "box" if n == 1 else "boxes"
            share_zh, share_en = pieces(share)
            zh.append(f"比应得份额{share_zh}件少{short:,}件（{n}箱，每箱{size:,}件）")
            en.append(
                f"{short:,} pieces ({n} {unit_en} of {size:,}) short of its fair share of "
                f"{share_en}"
            )
        elif given > share:
            share_zh, share_en = pieces(share)
            more_zh, more_en = pieces(given - share)
            zh.append(f"比应得份额{share_zh}件多{more_zh}件")
            en.append(f"{more_en} pieces above its fair share of {share_en}")
        over = [size for size in sizes if size > lacks]
        if over:
            shown_zh = "、".join(f"{size:,}" for size in over)
            shown_en = words.join_en([f"{size:,}" for size in over], "or")
            zh.append(f"再加一箱（每箱{shown_zh}件）就超过申请数量")
            en.append(f"another box of {shown_en} pieces would exceed its request")
        zh.extend(stock_zh)
        en.extend(stock_en)
        fits = [size for size in sizes if size <= lacks]
        if fits and left is not None and not left.intersection(fits):
            shown_zh = "、".join(f"{size:,}" for size in fits)
            shown_en = words.join_en([f"{size:,}" for size in fits], "or")
            zh.append(f"每箱{shown_zh}件的整箱已分完")
            en.append(f"no box of {shown_en} pieces left")
        zh.extend(self._constraint_texts(r)[0])
        en.extend(self._constraint_texts(r)[1])
        return Explanation(head_zh + "：" + "；".join(zh), head_en + ": " + "; ".join(en))

    def _stock_facts(self, r: int) -> tuple:
        """(box sizes it may use, exhausted-grade texts, sizes left or None if all gone)."""
        s, words = self.s, self.words
        avail = s.elig[r].avail
        key = ("stock", avail)
        found = self.cache.get(key)
        if found is None:
            sizes = sorted({size for g in avail for size in self.sizes[g]})
            zh: list[str] = []
            en: list[str] = []
            exhausted = [g for g in avail if not self.left[g]]
            if exhausted:
                tiers = sorted(set().union(*(self.taken_by[g] for g in exhausted)))
                names = [s.grades[g] for g in exhausted]
                zh.append(f"{words.grades_zh(names)}库存已分完（分给{words.tiers_zh(tiers)}）")
                en.append(
                    f"{words.grades_en(names)} stock exhausted (taken by {words.tiers_en(tiers)})"
                )
            left = None
            if len(exhausted) < len(avail):
                left = {size for g in avail for size in self.left_sizes[g]}
            found = self.cache[key] = (sizes, zh, en, left)
        return found

    def _constraint_texts(self, r: int) -> tuple[list[str], list[str]]:
        key = ("constraints", self.s.reqs[r].grade, self.s.reqs[r].tier)
        found = self.cache.get(key)
        if found is None:
            zh: list[str] = []
            en: list[str] = []
            self._constraints(r, zh, en)
            found = self.cache[key] = (zh, en)
        return found

    # -- tiers ------------------------------------------------------------------------------------

    def summary(self, tier: int, levels: list[ClassLevel]) -> Explanation:
        s, words = self.s, self.words
        if not levels:
            return Explanation(f"第{tier}梯队：未申请数量", f"tier {tier}: nothing requested")
        if all(k.allocated == k.requested for k in levels):
            return Explanation(f"第{tier}梯队：全额满足", f"tier {tier}: fully served")
        zh, en = [], []
        for k in levels:
            # With whole boxes the class's own fill; in pieces its level (the same up to
            # a piece per request).
            fill = Fraction(k.allocated, k.requested) if s.boxes else k.level
            pct = percent(fill)
            if not k.grades:
                zh.append(f"无可用库存的需求满足{pct}%")
                en.append(f"requests with no usable stock {pct}%")
                continue
            part_zh = f"可用{words.grades_zh(k.grades, '或')}的需求满足{pct}%"
            part_en = f"{words.grades_en(k.grades, 'or')} requests {pct}%"
            exhausted = (
                not any(self.left[s.gindex[g]] for g in k.grades) if s.boxes else k.level < 1
            )
            if fill < 1 and exhausted:
                part_zh += f"（{words.grades_zh(k.grades)}库存已分完）"
                part_en += f" ({words.grades_en(k.grades)} stock exhausted)"
            zh.append(part_zh)
            en.append(part_en)
        suffix_zh = "（按整箱）" if s.boxes else ""
        suffix_en = " (whole boxes)" if s.boxes else ""
        return Explanation(
            f"第{tier}梯队{suffix_zh}：" + "；".join(zh),
            f"tier {tier}{suffix_en}: " + "; ".join(en),
        )
