"""What the rules read and what they write: `CertificateFacts` and `BatchFacts` in (the Flask
layer fills them from its models), `RuleResult` lines and a `Checklist` out; and the small
helpers every rule uses to read a certificate and write a line."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from core.text import Message

from .vocabulary import KIND_LABELS, CertificateKind, Grade, Origin, Outcome

__all__ = [
    "BatchFacts",
    "CertificateFacts",
    "Checklist",
    "ListedCompany",
    "RuleResult",
    "as_date",
    "kind_of",
    "paper_name",
    "rule_result",
]


@dataclass(frozen=True)
class CertificateFacts:
    """One certificate as the Flask layer recorded it.

    kind: a `CertificateKind` (or its string value). number: as printed (registration number,
    licence number, unified social credit code for a business licence, report number, NIOSH
    approval number, customs declaration number, ...). issuer: the issuing authority or lab.
    holder: the company named on it (the 注册人 / 委托单位 / licensee). valid_from / valid_until:
    the validity printed on it (for a test report, valid_from is its issue date); None when the
    paper has none (a business licence 长期). notified_body: for a CE certificate, the notified
    body's four-digit number. measured: for a test report, its measured values keyed by `Measure`
    (numbers as int, float, Decimal or numeric strings; synthetic_blood as a bool, True meaning
    no penetration). product_name / models: what a registration certificate covers.
    """

    kind: CertificateKind | str
    number: str = ""
    issuer: str = ""
    holder: str = ""
    valid_from: date | None = None
    valid_until: date | None = None
    notified_body: str | None = None
    measured: Mapping[str, object] = field(default_factory=dict)
    product_name: str = ""  # a registration certificate's 产品名称
    models: str = ""  # its 型号、规格, as printed (several separated by 、，,;；/)
    foreign_class: str = ""  # a foreign paper's standard and class (`ForeignClass` value)
    lab_accreditation: str = ""  # a test report's lab: its CMA (12 digits) or CNAS number
    covers: str = ""  # the model or lot a test report covers, as printed
    scope: str = ""  # a production licence's scope (生产范围)


@dataclass(frozen=True)
class BatchFacts:
    """What the rules need to know about a received batch.

    grade_code: a `Grade` value (e.g. "surgical"). origin: an `Origin` value. received_on: the
    receipt date (local date). maker: the manufacturer recorded on the batch. certificates: every
    certificate attached to the batch. goods_match_order / packaging_intact: the inspector's
    confirmations (None = not confirmed yet). donated_goods_origin: for a donation, whether the
    goods themselves are domestic medical, domestic non-medical or imported (None = infer it from
    the papers attached). production_date: when the goods were made (chooses the edition of a
    standard). exhalation_valve: whether the mask has one (None = not recorded). registrant: the
    注册人 who holds the registration when another company (the maker, 受托生产企业) made the
    goods under contract ("" = the maker itself). made_in: ISO country code of where the goods were
    made (产地; "" = not recorded). model: the model received. supplier: who delivered them.
    listed: the companies on the negative list (names and codes) to compare everyone with.
    registry_checked / label_checked: the inspector's confirmations for domestic medical goods
    (the numbers were looked up in the national registry; the box label carries them).
    """

    grade_code: Grade | str
    origin: Origin | str
    received_on: date
    maker: str = ""
    certificates: Sequence[CertificateFacts] = ()
    goods_match_order: bool | None = None
    packaging_intact: bool | None = None
    donated_goods_origin: Origin | str | None = None
    production_date: date | None = None
    exhalation_valve: bool | None = None
    registrant: str = ""
    made_in: str = ""
    model: str = ""
    supplier: str = ""
    listed: Sequence[ListedCompany] = ()
    lot_number: str = ""
    registry_checked: bool | None = None
    label_checked: bool | None = None


@dataclass(frozen=True)
class ListedCompany:
    """A company on the negative list (黑名单): batches it made, registered or delivered fail."""

    name: str
    code: str = ""  # its unified social credit code, when known
    source: str = ""  # who listed it and where (e.g. a regulator's announcement)


@dataclass(frozen=True)
class RuleResult:
    """One line of the checklist. `code` is stable (e.g. "registration.number"); `subject` is
    what the line is about when there can be several (a certificate's number), else ""."""

    code: str
    outcome: Outcome
    message_zh: str
    message_en: str
    subject: str = ""

    def message(self, lang: str | None = "zh") -> str:
        return self.message_en if lang and str(lang).lower().startswith("en") else self.message_zh

    def as_dict(self) -> dict[str, str]:
        """Plain values, e.g. to keep a snapshot of the checklist with a release or override."""
        return {
            "code": self.code,
            "outcome": str(self.outcome),
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "subject": self.subject,
        }


@dataclass(frozen=True)
class Checklist:
    results: tuple[RuleResult, ...]

    @property
    def verdict(self) -> Outcome:
        """FAIL if any rule failed, else WARN if any warned, else PASS."""
        outcomes = {r.outcome for r in self.results}
        if Outcome.FAIL in outcomes:
            return Outcome.FAIL
        if Outcome.WARN in outcomes:
            return Outcome.WARN
        return Outcome.PASS

    @property
    def passed(self) -> bool:
        """True when nothing failed (warnings allowed): releasable without an override."""
        return self.verdict is not Outcome.FAIL

    @property
    def failures(self) -> tuple[RuleResult, ...]:
        return tuple(r for r in self.results if r.outcome is Outcome.FAIL)

    @property
    def warnings(self) -> tuple[RuleResult, ...]:
        return tuple(r for r in self.results if r.outcome is Outcome.WARN)

    def by_code(self, code: str) -> tuple[RuleResult, ...]:
        return tuple(r for r in self.results if r.code == code)

    def as_dict(self) -> dict[str, object]:
        """{"verdict": "fail", "results": [...]} with plain values (JSON-ready)."""
        return {"verdict": str(self.verdict), "results": [r.as_dict() for r in self.results]}

    def __iter__(self) -> Iterator[RuleResult]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)


def as_date(value: date | datetime | None) -> date | None:
    """The date of a date or a datetime."""
    if isinstance(value, datetime):
        return value.date()
    return value


def rule_result(code: str, outcome: Outcome, message: Message, subject: str = "") -> RuleResult:
    """A checklist line from a bilingual message."""
    return RuleResult(code, outcome, message.zh, message.en, subject)


def kind_of(cert: CertificateFacts) -> CertificateKind | None:
    """The certificate's kind, None when it is not one the rules know."""
    try:
        return CertificateKind(cert.kind)
    except ValueError:
        return None


def paper_name(cert: CertificateFacts) -> Message:
    """A certificate as messages name it: “医疗器械注册证（粤械注准20202140096）”, "medical device
    registration certificate 粤械注准20202140096"."""
    kind = kind_of(cert)
    base = KIND_LABELS[kind] if kind else Message(str(cert.kind), str(cert.kind))
    number = (cert.number or "").strip()
    if not number:
        return base
    return Message(f"{base.zh}（{number}）", f"{base.en} {number}")
