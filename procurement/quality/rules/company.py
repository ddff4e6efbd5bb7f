"""`company.same_name`: the papers of domestic goods name one company, the batch's maker; or, under
entrusted production (注册人制度: the registrant 注册人 has the goods made by a contract maker
受托生产企业), `company.entrusted`: each paper names the party that holds it. `company.listed`:
nobody involved is on the negative list. `company.foreign_holder`: a NIOSH approval or FDA
authorisation is held by the maker of the goods."""

from __future__ import annotations

import re
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


def _core(name: str | None) -> str:
    return normalise_company_name(name)[0]


def _full(name: str | None) -> str:
    return "".join(normalise_company_name(name))


# Under entrusted production, whose name each paper carries: the registration certificate is the
# registrant's; the production licence the contract maker's (its licence must cover the goods);
# a business licence or test report may be either party's.
_ENTRUSTED_HOLDERS = {
    K.REGISTRATION_CERTIFICATE: ("registrant",),
    K.PRODUCTION_LICENCE: ("maker",),
    K.BUSINESS_LICENCE: ("registrant", "maker"),
    K.TEST_REPORT: ("registrant", "maker"),
}


def entrusted(batch: BatchFacts) -> bool:
    """Whether the batch was made under contract for a registrant other than its maker."""
    registrant = (batch.registrant or "").strip()
    return bool(registrant) and _core(registrant) != _core(batch.maker)


def check_entrusted(
    batch: BatchFacts, certificates: Sequence[CertificateFacts]
) -> list[RuleResult]:
    registrant, maker = batch.registrant.strip(), (batch.maker or "").strip()
    parties = {"registrant": registrant, "maker": maker}
    party_words = {
        "registrant": Message(f"注册人{registrant}", f"the registrant {registrant}"),
        "maker": Message(f"受托生产企业{maker}", f"the contract maker {maker}"),
    }
    wrong: list[Message] = []
    suffix_only: list[Message] = []
    for cert in certificates:
        kind = kind_of(cert)
        holder = (cert.holder or "").strip()
        if kind not in _ENTRUSTED_HOLDERS or not holder:
            continue
        owners = _ENTRUSTED_HOLDERS[kind]
        if any(_core(holder) == _core(parties[o]) for o in owners):
            if not any(_full(holder) == _full(parties[o]) for o in owners):
                suffix_only.append(paper_name(cert))
            continue
        should = [party_words[o] for o in owners]
        wrong.append(
            Message(
                f"{paper_name(cert).zh}的持有人为{holder}，应为{'或'.join(w.zh for w in should)}",
                f"{paper_name(cert).en} is held by {holder}, not by "
                f"{' or '.join(w.en for w in should)}",
            )
        )
    if wrong:
        return [
            rule_result(
                "company.entrusted",
                Outcome.FAIL,
                Message(
                    "委托生产的证照持有人不符：" + "；".join(w.zh for w in wrong),
                    "Entrusted production, papers held by the wrong company: "
                    + "; ".join(w.en for w in wrong),
                ),
            )
        ]
    if suffix_only:
        return [
            rule_result(
                "company.entrusted",
                Outcome.WARN,
                Message(
                    "委托生产：以下证照上的企业名称仅公司类型后缀不同，请核实："
                    + "、".join(m.zh for m in suffix_only),
                    "Entrusted production: the company names on these papers differ only in the "
                    "company-form suffix, confirm them: " + ", ".join(m.en for m in suffix_only),
                ),
            )
        ]
    return [
        rule_result(
            "company.entrusted",
            Outcome.PASS,
            Message(
                f"委托生产：注册证由注册人{registrant}持有，生产许可证由受托生产企业{maker}持有，"
                "各证照与持证企业相符",
                f"Entrusted production: the registration is held by the registrant {registrant}, "
                f"the production licence by the contract maker {maker}; every paper names the "
                "right party",
            ),
        )
    ]


def check_listed(batch: BatchFacts, certificates: Sequence[CertificateFacts]) -> list[RuleResult]:
    """Every company the batch names (maker, registrant, supplier, the papers' holders and their
    codes) against the negative list."""
    if not batch.listed:
        return []
    names = [batch.maker, batch.registrant, batch.supplier]
    names += [c.holder for c in certificates]
    codes = {
        (c.number or "").strip().upper() for c in certificates if kind_of(c) is K.BUSINESS_LICENCE
    }
    cores = {_core(n).casefold() for n in names if (n or "").strip()}
    hits = []
    for entry in batch.listed:
        if _core(entry.name).casefold() in cores or (
            entry.code and entry.code.strip().upper() in codes
        ):
            hits.append(entry)
    if not hits:
        return [
            rule_result(
                "company.listed",
                Outcome.PASS,
                Message(
                    "生产企业、注册人和供应商均不在黑名单上",
                    "Neither the maker, the registrant nor the supplier is on the negative list",
                ),
            )
        ]
    return [
        rule_result(
            "company.listed",
            Outcome.FAIL,
            Message(
                f"{entry.name}在黑名单上" + (f"（{entry.source}）" if entry.source else ""),
                f"{entry.name} is on the negative list"
                + (f" ({entry.source})" if entry.source else ""),
            ),
            entry.name,
        )
        for entry in hits
    ]


_FOREIGN_SUFFIXES = re.compile(
    r"\b(inc|incorporated|co|company|corp|corporation|ltd|limited|llc|gmbh|ag|sa|plc|kg)\b"
)


def _foreign_core(name: str) -> str:
    folded = unicodedata.normalize("NFKC", name or "").casefold()
    folded = re.sub(r"[^\w\s]", " ", folded)
    return "".join(_FOREIGN_SUFFIXES.sub(" ", folded).split())


def check_foreign_holders(
    batch: BatchFacts, certificates: Sequence[CertificateFacts]
) -> list[RuleResult]:
    """A NIOSH approval or FDA authorisation names its holder: it must be the maker (counterfeit
    respirators in 2020 carried real approval numbers of other makers)."""
    maker = (batch.maker or "").strip()
    results = []
    for cert in certificates:
        if kind_of(cert) not in (K.NIOSH_APPROVAL, K.FDA_AUTHORISATION):
            continue
        holder = (cert.holder or "").strip()
        if not holder or not maker:
            continue
        same = _foreign_core(holder) == _foreign_core(maker) or _core(holder) == _core(maker)
        results.append(
            rule_result(
                "company.foreign_holder",
                Outcome.PASS if same else Outcome.FAIL,
                Message(
                    f"{paper_name(cert).zh}的持有人为生产企业{maker}",
                    f"{paper_name(cert).en} is held by the maker {maker}",
                )
                if same
                else Message(
                    f"{paper_name(cert).zh}的持有人为{holder}，不是生产企业{maker}："
                    "该证书不能证明这批货物（假冒产品常借用他人的批准号）",
                    f"{paper_name(cert).en} is held by {holder}, not by the maker {maker}: it "
                    "does not vouch for these goods (counterfeits borrow real approval numbers)",
                ),
                cert.number or "",
            )
        )
    return results


def check_company(batch: BatchFacts, certificates: Sequence[CertificateFacts]) -> list[RuleResult]:
    if entrusted(batch):
        return check_entrusted(batch, certificates)
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
