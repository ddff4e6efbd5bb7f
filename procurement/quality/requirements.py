"""The requirement table: which papers a batch needs by grade and origin (the table itself is
written out in the package's docstring, `procurement.quality`)."""

from __future__ import annotations

from dataclasses import dataclass

from .vocabulary import MEDICAL_GRADES, CertificateKind, Grade, Origin
from .vocabulary import CertificateKind as K

__all__ = ["FOREIGN_KINDS", "Requirement", "goods_path", "requirement_for"]


@dataclass(frozen=True)
class Requirement:
    """The papers a batch needs: every `required` kind; at least one kind of each `any_of` group;
    `recommended` kinds only warn when missing; `inspector_confirmations` for imported goods."""

    required: tuple[CertificateKind, ...] = ()
    any_of: tuple[tuple[CertificateKind, ...], ...] = ()
    recommended: tuple[CertificateKind, ...] = ()
    inspector_confirmations: bool = False


_DOMESTIC_MEDICAL = Requirement(
    required=(K.REGISTRATION_CERTIFICATE, K.PRODUCTION_LICENCE, K.BUSINESS_LICENCE, K.TEST_REPORT)
)
_DOMESTIC_NON_MEDICAL = Requirement(
    required=(K.BUSINESS_LICENCE, K.TEST_REPORT), recommended=(K.CONFORMITY_CERTIFICATE,)
)
_IMPORTED_MEDICAL = Requirement(
    required=(K.CUSTOMS_DECLARATION,),
    any_of=((K.NIOSH_APPROVAL, K.CE_CERTIFICATE, K.FDA_AUTHORISATION, K.REGISTRATION_CERTIFICATE),),
    inspector_confirmations=True,
)
_IMPORTED_NON_MEDICAL = Requirement(
    required=(K.CUSTOMS_DECLARATION,),
    any_of=((K.NIOSH_APPROVAL, K.CE_CERTIFICATE, K.FDA_AUTHORISATION),),
    inspector_confirmations=True,
)
FOREIGN_KINDS = frozenset(
    {K.NIOSH_APPROVAL, K.CE_CERTIFICATE, K.FDA_AUTHORISATION, K.CUSTOMS_DECLARATION}
)


def goods_path(grade: Grade, origin: Origin) -> Origin:
    """The origin whose papers the goods need (a donation's goods are domestic or imported)."""
    if origin is Origin.IMPORTED:
        return Origin.IMPORTED
    return Origin.DOMESTIC_MEDICAL if grade in MEDICAL_GRADES else Origin.DOMESTIC_NON_MEDICAL


def requirement_for(
    grade: Grade | str, origin: Origin | str, goods_origin: Origin | str | None = None
) -> Requirement:
    """The papers a batch of `grade` and `origin` needs (the table in the package docstring).

    For a donation, `goods_origin` says what the donated goods are (domestic or imported;
    default: domestic) and the donation letter is added to that row.
    """
    grade, origin = Grade(grade), Origin(origin)
    if origin is Origin.DONATION:
        goods = Origin(goods_origin) if goods_origin else Origin.DOMESTIC_MEDICAL
        if goods is Origin.DONATION:
            goods = Origin.DOMESTIC_MEDICAL
        base = requirement_for(grade, goods)
        return Requirement(
            required=(K.DONATION_LETTER, *base.required),
            any_of=base.any_of,
            recommended=base.recommended,
            inspector_confirmations=base.inspector_confirmations,
        )
    path = goods_path(grade, origin)
    if path is Origin.IMPORTED:
        return _IMPORTED_MEDICAL if grade in MEDICAL_GRADES else _IMPORTED_NON_MEDICAL
    return _DOMESTIC_MEDICAL if path is Origin.DOMESTIC_MEDICAL else _DOMESTIC_NON_MEDICAL
