"""The catalogue's words as pure data: the mask grades it starts with and where a lot comes from.

No Flask and no database, so that the quality rules (`procurement.quality`, pure) use the very
enums the models store: `catalog.models.LotOrigin` is `LotOrigin` from here, and the rules call
it `Origin` (and `MaskGrade` `Grade`).

Words for pages: `LotOrigin` is a `core.text.Worded` enum, so each member has its name in both
languages (`words`, also what the quality checklist writes) and `label`, that name in the page's
language.
"""

from __future__ import annotations

from enum import StrEnum

from core.text import Message, Worded

__all__ = [
    "MASK_GRADES",
    "ORIGIN_LABELS",
    "LotOrigin",
    "MaskGrade",
]


class MaskGrade(StrEnum):
    """The codes of the five mask grades (`catalog.models.Grade.code`), by the standard they are
    made to. The quality rules know these grades (`procurement.quality.Grade`); other material
    (gloves, disinfectant) is added by an administrator and has no rules."""

    MEDICAL_PROTECTIVE = "medical_protective"  # 医用防护口罩, GB 19083-2010
    SURGICAL = "surgical"  # 医用外科口罩, YY 0469-2011
    DISPOSABLE_MEDICAL = "disposable_medical"  # 一次性使用医用口罩, YY/T 0969-2013
    KN95 = "kn95"  # 自吸过滤式防颗粒物呼吸器 KN95, GB 2626-2006
    DAILY_PROTECTIVE = "daily_protective"  # 日常防护型口罩, GB/T 32610-2016


# Each mask grade as a fresh database has it, in the order the migration puts the rows in: its
# standard and its names. An administrator may rename them; pages show the database's names.
_MASK_GRADE_ROWS: dict[MaskGrade, tuple[str, Message]] = {
    MaskGrade.MEDICAL_PROTECTIVE: ("GB 19083", Message("医用防护口罩", "Medical protective mask")),
    MaskGrade.KN95: ("GB 2626", Message("KN95 防护口罩", "KN95 respirator")),
    MaskGrade.SURGICAL: ("YY 0469", Message("医用外科口罩", "Surgical mask")),
    MaskGrade.DISPOSABLE_MEDICAL: (
        "YY/T 0969",
        Message("一次性使用医用口罩", "Disposable medical mask"),
    ),
    MaskGrade.DAILY_PROTECTIVE: ("GB/T 32610", Message("日常防护型口罩", "Daily protective mask")),
}

# The five mask grades the migration puts in: (code, standard, Chinese name, English name).
MASK_GRADES: list[tuple[str, str, str, str]] = [
    (grade.value, standard, name.zh, name.en)
    for grade, (standard, name) in _MASK_GRADE_ROWS.items()
]


class LotOrigin(Worded):
    """Where a lot comes from; which papers it needs depends on it (`procurement.quality`)."""

    DOMESTIC_MEDICAL = "domestic_medical"  # 国产医用
    DOMESTIC_NON_MEDICAL = "domestic_non_medical"  # 国产非医用
    IMPORTED = "imported"  # 进口
    DONATION = "donation"  # 捐赠

    @property
    def words(self) -> Message:
        return ORIGIN_LABELS[self]


ORIGIN_LABELS: dict[LotOrigin, Message] = {
    LotOrigin.DOMESTIC_MEDICAL: Message("国产医用", "domestic medical"),
    LotOrigin.DOMESTIC_NON_MEDICAL: Message("国产非医用", "domestic non-medical"),
    LotOrigin.IMPORTED: Message("进口", "imported"),
    LotOrigin.DONATION: Message("捐赠", "donation"),
}
