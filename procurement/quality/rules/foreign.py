"""`foreign.class`: what a foreign paper vouches for, by its standard and class, against the grade
the imported goods are received as.

The mapping follows the comparison the NMPA's Center for Medical Device Standards Management
published in 2020 (English translation at sesec.eu, "Comparison between Chinese and EU medical
masks") and the standards' own figures:
* 医用外科口罩 (YY 0469-2011) resists synthetic blood at 16.0 kPa (120 mmHg): EN 14683 Type IIR
  (splash ≥16.0 kPa) and ASTM F2100 Levels 2 and 3 (120 and 160 mmHg) meet it; EN 14683 Types I
  and II (no splash test) and ASTM F2100 Level 1 (80 mmHg) do not: they are checked as
  一次性使用医用口罩 (YY/T 0969-2013), the mask without a splash requirement.
* 医用防护口罩 (GB 19083-2010) filters ≥95% like a NIOSH N95 or EN 149 FFP2, but also resists
  synthetic blood at 10.7 kPa (80 mmHg): a respirator approval alone is not enough. It needs
  fluid-resistance evidence: a surgical N95 (NIOSH-approved and FDA-cleared, tested to ASTM
  F1862), or an ASTM F1862 / ISO 22609 result beside an N95, FFP2 or FFP3 approval.
* KN95 (GB 2626): NIOSH N95, EN 149 FFP2 and FFP3 (3M technical bulletin, 2020). FFP1 (≥80%)
  meets none of the Chinese respirator grades.
"""

from __future__ import annotations

from collections.abc import Sequence

from core.text import Message

from ..facts import CertificateFacts, RuleResult, kind_of, rule_result
from ..vocabulary import FOREIGN_CLASS_LABELS, GRADE_LABELS, ForeignClass, Grade, Outcome
from ..vocabulary import CertificateKind as K

__all__ = ["FOREIGN_CLASS_GRADES", "check_foreign_classes"]

F = ForeignClass
G = Grade
RESPIRATORS = frozenset({F.NIOSH_N95, F.EN149_FFP2, F.EN149_FFP3, F.SURGICAL_N95})
FLUID_RESISTANCE = frozenset({F.SURGICAL_N95, F.ASTM_F1862, F.ISO_22609})

# The grades a paper of each class can stand for on its own.
FOREIGN_CLASS_GRADES: dict[ForeignClass, frozenset[Grade]] = {
    F.EN14683_I: frozenset({G.DISPOSABLE_MEDICAL}),
    F.EN14683_II: frozenset({G.DISPOSABLE_MEDICAL}),
    F.EN14683_IIR: frozenset({G.SURGICAL, G.DISPOSABLE_MEDICAL}),
    F.ASTM_F2100_L1: frozenset({G.DISPOSABLE_MEDICAL}),
    F.ASTM_F2100_L2: frozenset({G.SURGICAL, G.DISPOSABLE_MEDICAL}),
    F.ASTM_F2100_L3: frozenset({G.SURGICAL, G.DISPOSABLE_MEDICAL}),
    F.EN149_FFP1: frozenset(),
    F.EN149_FFP2: frozenset({G.KN95, G.DAILY_PROTECTIVE}),
    F.EN149_FFP3: frozenset({G.KN95, G.DAILY_PROTECTIVE}),
    F.NIOSH_N95: frozenset({G.KN95, G.DAILY_PROTECTIVE}),
    F.SURGICAL_N95: frozenset({G.MEDICAL_PROTECTIVE, G.KN95, G.DAILY_PROTECTIVE}),
    F.ASTM_F1862: frozenset(),
    F.ISO_22609: frozenset(),
}
_FOREIGN_KINDS = (K.NIOSH_APPROVAL, K.CE_CERTIFICATE, K.FDA_AUTHORISATION, K.TEST_REPORT)


def _classes(certificates: Sequence[CertificateFacts]) -> set[ForeignClass]:
    found = set()
    for cert in certificates:
        try:
            found.add(ForeignClass(cert.foreign_class))
        except ValueError:
            continue
    return found


def check_foreign_classes(
    grade: Grade, certificates: Sequence[CertificateFacts]
) -> list[RuleResult]:
    """For imported goods: do the foreign papers' classes cover the grade received? A Chinese
    import registration (国械注进/许) covers it whatever the foreign papers say."""
    if any(kind_of(c) is K.REGISTRATION_CERTIFICATE for c in certificates):
        return []
    foreign = [c for c in certificates if kind_of(c) in _FOREIGN_KINDS]
    classes = _classes(foreign)
    label = GRADE_LABELS[grade]
    if not classes:
        if not any(kind_of(c) is not K.TEST_REPORT for c in foreign):
            return []  # no foreign approval at all: `documents.foreign_approval` says so
        return [
            rule_result(
                "foreign.class",
                Outcome.FAIL if grade in (G.MEDICAL_PROTECTIVE, G.SURGICAL) else Outcome.WARN,
                Message(
                    "境外证书未登记所依据的标准和类别（如 EN 14683 IIR 型、ASTM F2100 2 级、"
                    f"NIOSH N95）：无法判断是否相当于{label.zh}",
                    "The foreign papers' standard and class are not recorded (e.g. EN 14683 "
                    f"Type IIR, ASTM F2100 Level 2, NIOSH N95): cannot tell whether they amount to "
                    f"a {label.en}",
                ),
            )
        ]
    names_zh = "、".join(FOREIGN_CLASS_LABELS[c].zh for c in sorted(classes))
    names_en = ", ".join(FOREIGN_CLASS_LABELS[c].en for c in sorted(classes))
    covered = set().union(*(FOREIGN_CLASS_GRADES[c] for c in classes))
    if grade is G.MEDICAL_PROTECTIVE and classes & RESPIRATORS and classes & FLUID_RESISTANCE:
        covered.add(G.MEDICAL_PROTECTIVE)
    if grade in covered:
        return [
            rule_result(
                "foreign.class",
                Outcome.PASS,
                Message(
                    f"境外证书（{names_zh}）相当于{label.zh}",
                    f"The foreign papers ({names_en}) amount to a {label.en}",
                ),
            )
        ]
    if grade is G.MEDICAL_PROTECTIVE and classes & RESPIRATORS:
        message = Message(
            f"境外证书（{names_zh}）只证明过滤效率：医用防护口罩还须有抗合成血液穿透的证明"
            "（外科 N95 的 FDA 许可，或 ASTM F1862 / ISO 22609 试验）",
            f"The foreign papers ({names_en}) show filtration only: a medical protective mask "
            "also needs fluid-resistance evidence (an FDA-cleared surgical N95, or an ASTM F1862 "
            "or ISO 22609 test)",
        )
    else:
        message = Message(
            f"境外证书（{names_zh}）不相当于{label.zh}，请按实际类别入库或提供相应证明",
            f"The foreign papers ({names_en}) do not amount to a {label.en}: receive the goods "
            "as what they are, or provide the papers",
        )
    return [rule_result("foreign.class", Outcome.FAIL, message)]
