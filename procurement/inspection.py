"""The inspector's side of the quality gate: a batch's checklist, confirmations, release and
rejection. Plain values in, flush, never commit.

The rules themselves are in `procurement.quality` (pure); here the models are turned into its
`BatchFacts` and the decisions are written through the ledger services, each with an
`Inspection` record that keeps the checklist as it stood.
"""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from accounts.models import Role, User
from catalog.models import Lot
from core.clock import local_date
from core.db import now_utc
from core.errors import ServiceError
from core.text import clean
from extensions import db
from ledger import services as ledger
from ledger.models import EntryKind, LedgerEntry
from ledger.reasons import coded

from .models import Certificate, Decision, Inspection, ListedCompany
from .quality import BatchFacts, CertificateFacts, Checklist, evaluate
from .quality import ListedCompany as ListedFacts


def received_on(lot: Lot):
    """The receipt date: as recorded on receiving, else (lots recorded before purchases
    existed) the local date of the lot's first receipt entry, else of its record."""
    if lot.received_on is not None:
        return lot.received_on
    first = db.session.scalar(
        sa.select(sa.func.min(LedgerEntry.occurred_at)).where(
            LedgerEntry.lot_id == lot.id, LedgerEntry.kind == EntryKind.RECEIPT
        )
    )
    if isinstance(first, datetime):
        return local_date(first)
    return local_date(lot.created_at)


def certificate_facts(certificate: Certificate) -> CertificateFacts:
    return CertificateFacts(
        kind=certificate.kind.value,
        number=certificate.number,
        issuer=certificate.issuer,
        holder=certificate.holder,
        valid_from=certificate.valid_from,
        valid_until=certificate.valid_until,
        notified_body=certificate.notified_body,
        measured=dict(certificate.measured or {}),
        product_name=certificate.product_name or "",
        models=certificate.models or "",
        foreign_class=certificate.foreign_class or "",
        lab_accreditation=certificate.lab_accreditation or "",
        covers=certificate.covers or "",
        scope=certificate.scope or "",
    )


def batch_facts(lot: Lot) -> BatchFacts:
    return BatchFacts(
        grade_code=lot.grade.code,
        origin=lot.origin.value,
        received_on=received_on(lot),
        maker=lot.product.maker,
        certificates=tuple(certificate_facts(c) for c in lot.certificates),
        goods_match_order=lot.goods_match_order,
        packaging_intact=lot.packaging_intact,
        donated_goods_origin=lot.donated_goods_origin.value if lot.donated_goods_origin else None,
        production_date=lot.production_date,
        exhalation_valve=lot.exhalation_valve,
        registrant=lot.registrant or "",
        made_in=lot.made_in or "",
        model=lot.product.model,
        supplier=lot.purchase_line.purchase.supplier.name if lot.purchase_line else "",
        listed=listed_companies(),
        lot_number=lot.lot_number,
        registry_checked=lot.registry_checked,
        label_checked=lot.label_checked,
    )


def listed_companies() -> tuple[ListedFacts, ...]:
    """The negative list as the rules read it (the active entries)."""
    rows = db.session.execute(
        sa.select(ListedCompany.name, ListedCompany.uscc, ListedCompany.source).where(
            ListedCompany.active.is_(True)
        )
    )
    return tuple(ListedFacts(name, uscc or "", source) for name, uscc, source in rows)


def checklist(lot: Lot) -> Checklist:
    return evaluate(batch_facts(lot))


def _check_inspector(lot: Lot, actor: User) -> None:
    if actor is None or not actor.has_role(Role.INSPECTOR):
        raise ServiceError(_l("Only an inspector can do this."))
    if lot.created_by_id is not None and lot.created_by_id == actor.id:
        raise ServiceError(
            _l(
                "You received this batch yourself: another inspector must check it "
                "(nobody inspects their own receipt)."
            )
        )


def record_confirmations(
    lot: Lot,
    goods_match_order: bool | None,
    packaging_intact: bool | None,
    actor: User,
    registry_checked: bool | None = None,
    label_checked: bool | None = None,
) -> None:
    """The inspector's look at the goods: do they match the order, is the packaging intact
    (needed for imports); were the registration and licence numbers found in the national
    registry, does the box label carry them (needed for domestic medical goods). None: not
    checked; a recorded "no" fails the checklist for any goods."""
    _check_inspector(lot, actor)
    lot.goods_match_order = goods_match_order
    lot.packaging_intact = packaging_intact
    lot.registry_checked = registry_checked
    lot.label_checked = label_checked
    lot.confirmed_by_id = actor.id
    lot.confirmed_at = now_utc()
    db.session.flush()


def _decide(
    lot: Lot,
    actor: User,
    decision: Decision,
    reason: str,
    result: Checklist,
    overridden: bool,
    occurred_at: datetime | None = None,
):
    inspection = Inspection(
        lot=lot,
        decision=decision,
        verdict=str(result.verdict),
        overridden=overridden,
        reason=reason,
        checklist=result.as_dict(),
        inspector_id=actor.id,
        decided_at=occurred_at or now_utc(),
    )
    db.session.add(inspection)
    db.session.flush()
    return inspection


def release_batch(
    lot: Lot, actor: User, override_reason: str = "", occurred_at: datetime | None = None
) -> Inspection:
    """Release everything in quarantine for allocation. A checklist with any failing rule
    needs a written override reason, kept in the ledger and on the inspection record."""
    _check_inspector(lot, actor)
    result = checklist(lot)
    override_reason = clean(override_reason)
    if not result.passed and not override_reason:
        raise ServiceError(
            _l(
                "%(num)d checks failed: the batch can only be released with a written "
                "override reason (让步放行理由), which is kept in the ledger.",
                num=len(result.failures),
            ),
            "override_reason",
        )
    overridden = not result.passed
    if overridden:
        reason = coded(("release.override", len(result.failures)), text=override_reason)
    else:
        passed = "release.warn" if result.warnings else "release.pass"
        reason = coded(passed, text=override_reason)
    inspection = _decide(
        lot, actor, Decision.RELEASE, override_reason, result, overridden, occurred_at
    )
    entry = ledger.release(
        lot,
        actor,
        reason=reason,
        document=ledger.Document(ledger.DOC_INSPECTION, inspection.id, lot.lot_number),
        occurred_at=occurred_at,
    )
    inspection.ledger_seq = entry.seq
    db.session.flush()
    return inspection


def reject_batch(
    lot: Lot, actor: User, reason: str, occurred_at: datetime | None = None
) -> Inspection:
    """Reject everything in quarantine: it goes to the rejected bucket and is never allocatable."""
    _check_inspector(lot, actor)
    reason = clean(reason)
    if not reason:
        raise ServiceError(_l("Give a reason: it is kept in the ledger."), "reason")
    result = checklist(lot)
    inspection = _decide(lot, actor, Decision.REJECT, reason, result, False, occurred_at)
    entry = ledger.reject(
        lot,
        actor,
        coded("reject", text=reason),
        document=ledger.Document(ledger.DOC_INSPECTION, inspection.id, lot.lot_number),
        occurred_at=occurred_at,
    )
    inspection.ledger_seq = entry.seq
    db.session.flush()
    return inspection
