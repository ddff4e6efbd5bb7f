"""`company.same_name`: the papers of domestic goods name one company, the batch's maker."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from core.text import Message

from ..facts import BatchFacts, CertificateFacts, RuleResult, kind_of, paper_name, rule_result
from ..vocabulary import CertificateKind as K
from ..vocabulary import Outcome

# Company-form suffixes, longest first.
_COMPANY_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "股份公司", "公司")
_BRACKETS = str.maketrans("", "", "()[]{}<>（）【】〔〕《》")


def normalise_company_name(name: str | None) -> tuple[str, str]:
    """(core, suffix) of a company name: full-width folded, whitespace and brackets dropped, the
    company-form suffix split off. "稳健医疗（黄冈）有限公司" -> ("稳健医疗黄冈", "有限公司")."""
    folded = unicodedata.normalize("NFKC", name or "")
    compact = "".join(folded.split()).translate(_BRACKETS)
    for suffix in _COMPANY_SUFFIXES:
        if compact.endswith(suffix) and len(compact) > len(suffix):
            return compact[: -len(suffix)], suffix
    return compact, ""


_NAME_KINDS = (
    K.BUSINESS_LICENCE,
    K.PRODUCTION_LICENCE,
    K.REGISTRATION_CERTIFICATE,
    K.TEST_REPORT,
)


def check_company(batch: BatchFacts, certificates: Sequence[CertificateFacts]) -> list[RuleResult]:
    named: list[tuple[Message, str]] = []  # (source, name as written)
    for cert in certificates:
        if kind_of(cert) in _NAME_KINDS and (cert.holder or "").strip():
            named.append((paper_name(cert), cert.holder.strip()))
    if (batch.maker or "").strip():
        maker = Message("批次登记的生产企业", "the maker recorded on the batch")
        named.append((maker, batch.maker.strip()))
    if len(named) < 2:
        return []
    cores = {normalise_company_name(n)[0] for _, n in named}
    fulls = {"".join(normalise_company_name(n)) for _, n in named}
    listing_zh = "；".join(f"{src.zh}：{n}" for src, n in named)
    listing_en = "; ".join(f"{src.en}: {n}" for src, n in named)
    if len(cores) > 1:
        return [
            rule_result(
                "company.same_name",
                Outcome.FAIL,
                Message(
                    f"证照上的企业名称不一致，不是同一家企业（{listing_zh}）",
                    f"The papers name different companies ({listing_en})",
                ),
            )
        ]
    if len(fulls) > 1:
        return [
            rule_result(
                "company.same_name",
                Outcome.WARN,
                Message(
                    f"证照上的企业名称仅公司类型后缀不同，请核实是否为同一家企业（{listing_zh}）",
                    "The papers' company names differ only in the company-form suffix: confirm "
                    f"they are the same company ({listing_en})",
                ),
            )
        ]
    name = named[0][1]
    return [
        rule_result(
            "company.same_name",
            Outcome.PASS,
            Message(
                f"企业名称一致：{name}（核对了{'、'.join(src.zh for src, _ in named)}）",
                f"The same company throughout: {name} (compared "
                f"{', '.join(src.en for src, _ in named)})",
            ),
        )
    ]
