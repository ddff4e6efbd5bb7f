"""`origin.consistent` (the grade fits the origin), `donation.goods_origin` (what donated goods
are checked as) and `origin.made_in` (goods made in China need the Chinese papers, whatever
channel brought them and whatever export papers they carry)."""

from __future__ import annotations

from core.text import Message

from ..facts import BatchFacts, RuleResult, kind_of, rule_result
from ..requirements import FOREIGN_KINDS, goods_path
from ..vocabulary import GRADE_LABELS, MEDICAL_GRADES, ORIGIN_LABELS, Grade, Origin, Outcome


def check_origin(grade: Grade, origin: Origin) -> list[RuleResult]:
    if grade in MEDICAL_GRADES and origin is Origin.DOMESTIC_NON_MEDICAL:
        g = GRADE_LABELS[grade]
        return [
            rule_result(
                "origin.consistent",
                Outcome.FAIL,
                Message(
                    f"{g.zh}属第二类医疗器械，不能按“国产非医用”物资入库；"
                    "请核对品种或来源，并按医用口罩要求提供证照",
                    f"A {g.en} is a Class II medical device and cannot be received as domestic "
                    "non-medical goods: check the grade or the origin, and ask for the papers a "
                    "medical mask needs",
                ),
            )
        ]
    if grade not in MEDICAL_GRADES and origin is Origin.DOMESTIC_MEDICAL:
        g = GRADE_LABELS[grade]
        return [
            rule_result(
                "origin.consistent",
                Outcome.WARN,
                Message(
                    f"{g.zh}不属于医疗器械，来源却登记为“国产医用”；按非医用口罩要求核对",
                    f"A {g.en} is not a medical device but its origin is recorded as domestic "
                    "medical: checked against the requirements for non-medical masks",
                ),
            )
        ]
    return []


def donation_path(batch: BatchFacts, grade: Grade) -> tuple[Origin, RuleResult]:
    """What the donated goods are checked as, and a line saying so."""
    stated = batch.donated_goods_origin
    goods: Origin | None = None
    if stated:
        goods = Origin(stated)
        if goods is Origin.DONATION:
            goods = None
    inferred = goods is None
    if goods is None:
        kinds = {kind_of(c) for c in batch.certificates}
        goods = Origin.IMPORTED if kinds & FOREIGN_KINDS else Origin.DOMESTIC_MEDICAL
    path = goods_path(grade, goods)
    label = ORIGIN_LABELS[path]
    if inferred:
        message = Message(
            f"捐赠物资按{label.zh}物资核对（根据所附证照判断）",
            f"Donated goods checked as {label.en} goods (judged from the papers attached)",
        )
    else:
        message = Message(
            f"捐赠物资按{label.zh}物资核对", f"Donated goods checked as {label.en} goods"
        )
    return path, rule_result("donation.goods_origin", Outcome.PASS, message)


def looks_chinese(name: str | None) -> bool:
    """A company name written in Chinese characters (a maker registered in China, most likely)."""
    return any("\u4e00" <= ch <= "\u9fff" for ch in name or "")


def made_in_check(batch: BatchFacts, path: Origin, grade: Grade) -> tuple[Origin, list[RuleResult]]:
    """The path the goods' papers follow once their country of manufacture is known: goods made
    in China that came in as imports (re-imported exports, donations from abroad) are checked as
    domestic goods — a CE certificate or FDA paper is no substitute for the Chinese registration
    (medical masks) or the GB test report (KN95, daily masks)."""
    if path is not Origin.IMPORTED:
        return path, []
    made_in = (batch.made_in or "").strip().upper()
    if made_in == "CN":
        domestic = goods_path(grade, Origin.DOMESTIC_MEDICAL)
        label = ORIGIN_LABELS[domestic]
        return domestic, [
            rule_result(
                "origin.made_in",
                Outcome.PASS,
                Message(
                    f"产地为中国：按{label.zh}物资核对国内证照；出口或境外证书（CE、FDA、NIOSH "
                    "等）不能代替国内注册证或检验报告",
                    f"Made in China: checked as {label.en} goods against the Chinese papers; "
                    "export or foreign papers (CE, FDA, NIOSH) do not replace them",
                ),
            )
        ]
    if not made_in and looks_chinese(batch.maker):
        return path, [
            rule_result(
                "origin.made_in",
                Outcome.FAIL,
                Message(
                    f"生产企业“{batch.maker}”为中文名称，请登记产地：在中国生产的物资无论以何种"
                    "渠道进入，都须具备国内注册证或检验报告",
                    f"The maker “{batch.maker}” has a Chinese name: record where the goods were "
                    "made; goods made in China need the Chinese papers whatever channel they came "
                    "through",
                ),
            )
        ]
    return path, []
