"""`validity.<kind>`: a paper covers the receipt date."""

from __future__ import annotations

from datetime import date, timedelta

from core.text import Message, capitalised

from ..facts import CertificateFacts, RuleResult, as_date, paper_name, rule_result
from ..vocabulary import CertificateKind, Outcome
from ..vocabulary import CertificateKind as K

EXPIRY_WARNING_DAYS = 30
EMERGENCY_APPROVAL_MAX_DAYS = 190  # 2020 emergency approvals (应急审批) ran for six months

VALIDITY_KINDS = frozenset(
    {
        K.REGISTRATION_CERTIFICATE,
        K.PRODUCTION_LICENCE,
        K.BUSINESS_LICENCE,
        K.CE_CERTIFICATE,
        K.NIOSH_APPROVAL,
        K.FDA_AUTHORISATION,
    }
)
# Kinds whose papers usually carry no dates at all.
_NO_FIXED_TERM = frozenset({K.NIOSH_APPROVAL, K.FDA_AUTHORISATION})
# Kinds that always carry an end date: no end date recorded is worth a warning.
_MUST_EXPIRE = frozenset({K.REGISTRATION_CERTIFICATE, K.PRODUCTION_LICENCE, K.CE_CERTIFICATE})


def check_validity(
    cert: CertificateFacts, kind: CertificateKind, received_on: date
) -> RuleResult | None:
    code, subject = f"validity.{kind}", cert.number or ""
    name = paper_name(cert)
    start, end = as_date(cert.valid_from), as_date(cert.valid_until)
    if start is None and end is None and kind in _NO_FIXED_TERM:
        return None  # NIOSH approvals and EUAs carry no dates: nothing to check
    emergency = Message("", "")
    if (
        kind is K.REGISTRATION_CERTIFICATE
        and start is not None
        and end is not None
        and (end - start).days <= EMERGENCY_APPROVAL_MAX_DAYS
    ):
        emergency = Message("（应急审批，有效期六个月）", " (emergency approval, six months)")
    if start is not None and start > received_on:
        return rule_result(
            code,
            Outcome.FAIL,
            Message(
                f"{name.zh}自 {start:%Y-%m-%d} 起有效，到货日期 {received_on:%Y-%m-%d} 时尚未生效",
                f"{capitalised(name.en)} is valid from {start:%Y-%m-%d}: it was not yet valid "
                f"when the goods arrived on {received_on:%Y-%m-%d}",
            ),
            subject,
        )
    if end is None:
        if kind in _MUST_EXPIRE:
            return rule_result(
                code,
                Outcome.WARN,
                Message(
                    f"{name.zh}未登记有效期截止日期，请按证书补录",
                    f"{capitalised(name.en)} has no end of validity recorded: copy it from the "
                    "certificate",
                ),
                subject,
            )
        return rule_result(
            code,
            Outcome.PASS,
            Message(
                f"{name.zh}长期有效（未注明截止日期）",
                f"{capitalised(name.en)} has no end date (open-ended)",
            ),
            subject,
        )
    if end < received_on:
        return rule_result(
            code,
            Outcome.FAIL,
            Message(
                f"{name.zh}已于 {end:%Y-%m-%d} 过期{emergency.zh}，"
                f"到货日期 {received_on:%Y-%m-%d} 时已失效",
                f"{capitalised(name.en)} expired on {end:%Y-%m-%d}{emergency.en}, before the "
                f"goods arrived on {received_on:%Y-%m-%d}",
            ),
            subject,
        )
    if end - received_on <= timedelta(days=EXPIRY_WARNING_DAYS):
        days = (end - received_on).days
        return rule_result(
            code,
            Outcome.WARN,
            Message(
                f"{name.zh}将于 {end:%Y-%m-%d} 到期{emergency.zh}（到货后 {days} 天），"
                "请核实是否已延续",
                f"{capitalised(name.en)} expires on {end:%Y-%m-%d}{emergency.en}, {days} days "
                "after the goods arrived: check whether it has been renewed",
            ),
            subject,
        )
    return rule_result(
        code,
        Outcome.PASS,
        Message(
            f"{name.zh}有效期至 {end:%Y-%m-%d}{emergency.zh}，覆盖到货日期",
            f"{capitalised(name.en)} is valid until {end:%Y-%m-%d}{emergency.en}, covering the "
            "receipt date",
        ),
        subject,
    )
