"""`evaluate`: every rule on a batch, in order, into its checklist."""

from __future__ import annotations

from core.text import Message

from .facts import BatchFacts, Checklist, RuleResult, as_date, kind_of, rule_result
from .limits import limits_for
from .requirements import goods_path, requirement_for
from .rules.company import check_company, check_foreign_holders, check_listed
from .rules.confirmations import check_confirmations
from .rules.design import check_design
from .rules.documents import check_documents
from .rules.foreign import check_foreign_classes
from .rules.numbers import (
    check_business_licence,
    check_ce,
    check_customs,
    check_fda,
    check_niosh,
    check_production_licence,
    check_registration,
)
from .rules.origin import check_origin, donation_path, made_in_check
from .rules.product import check_registered_product
from .rules.provenance import check_licence_scope, check_report_provenance
from .rules.reports import check_declared_levels, check_test_report
from .rules.validity import VALIDITY_KINDS, check_validity
from .vocabulary import CertificateKind as K
from .vocabulary import Grade, Origin, Outcome

__all__ = ["evaluate"]


def evaluate(batch: BatchFacts) -> Checklist:
    """Run every rule on a batch and return its checklist (see the package docstring)."""
    received_on = as_date(batch.received_on)
    try:
        grade = Grade(batch.grade_code)
    except ValueError:
        return Checklist(
            (
                rule_result(
                    "grade.known",
                    Outcome.FAIL,
                    Message(
                        f"品种“{batch.grade_code}”没有核查规则，须由质检员人工核查并写明放行理由",
                        f"There are no rules for the grade “{batch.grade_code}”: the inspector "
                        "must check it by hand and write down the reason for releasing it",
                    ),
                ),
            )
        )
    origin = Origin(batch.origin)
    certificates = tuple(batch.certificates)
    results: list[RuleResult] = []

    results += check_origin(grade, origin)
    if origin is Origin.DONATION:
        path, line = donation_path(batch, grade)
        results.append(line)
    else:
        path = goods_path(grade, origin)
    path, lines = made_in_check(batch, path, grade)
    results += lines
    requirement = (
        requirement_for(grade, origin, path)
        if origin is Origin.DONATION
        else requirement_for(grade, path)
    )
    results += check_documents(requirement, certificates)
    results += check_design(batch, grade)

    for cert in certificates:
        kind = kind_of(cert)
        if kind is K.REGISTRATION_CERTIFICATE:
            results.append(check_registration(cert, grade, path, received_on))
            results += check_registered_product(cert, grade, batch.model)
        elif kind is K.PRODUCTION_LICENCE:
            results.append(check_production_licence(cert, received_on))
            results.append(check_licence_scope(cert))
        elif kind is K.BUSINESS_LICENCE:
            results.append(check_business_licence(cert))
        elif kind is K.NIOSH_APPROVAL:
            results.append(check_niosh(cert))
        elif kind is K.CE_CERTIFICATE:
            results.append(check_ce(cert, grade))
        elif kind is K.FDA_AUTHORISATION:
            results.append(check_fda(cert))
        elif kind is K.CUSTOMS_DECLARATION:
            results.append(check_customs(cert))
    for cert in certificates:
        kind = kind_of(cert)
        if kind in VALIDITY_KINDS and (line := check_validity(cert, kind, received_on)):
            results.append(line)

    if path is not Origin.IMPORTED:
        results += check_company(batch, certificates)
    else:
        results += check_foreign_holders(batch, certificates)
        results += check_foreign_classes(grade, certificates)
    results += check_listed(batch, certificates)
    for cert in certificates:
        if kind_of(cert) is K.TEST_REPORT:
            missing = Outcome.WARN if path is Origin.IMPORTED else Outcome.FAIL
            limits = limits_for(
                grade, as_date(batch.production_date), batch.exhalation_valve, cert.measured
            )
            if grade is Grade.DAILY_PROTECTIVE:
                results += check_declared_levels(cert)
            results += check_report_provenance(cert, batch, received_on, missing)
            results += check_test_report(cert, grade, missing, limits)
    results += check_confirmations(
        batch, requirement.inspector_confirmations, path is Origin.DOMESTIC_MEDICAL
    )
    return Checklist(tuple(results))
