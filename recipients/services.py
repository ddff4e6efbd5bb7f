"""The register of recipient units: plain values in, flush, never commit."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from accounts.models import User, actor_id
from core.errors import ServiceError
from core.text import clean, one_line
from extensions import db

from .models import TIERS, Recipient, RecipientCategory, RecipientTierChange

MAX_REASON = 2000


def find_recipient(name: str) -> Recipient | None:
    return db.session.scalars(sa.select(Recipient).where(Recipient.name == one_line(name))).first()


def _check_recipient_name(name: str, current: Recipient | None = None) -> str:
    name = one_line(name)
    if not name:
        raise ServiceError(_l("Give the unit's name."), "name")
    found = find_recipient(name)
    if found is not None and found is not current:
        raise ServiceError(_l("A recipient named %(name)s already exists.", name=name), "name")
    return name


def create_recipient(
    name: str,
    category: str,
    *,
    district: str = "",
    contact: str = "",
    headcount_or_beds: int | None = None,
) -> Recipient:
    """Register a unit; its tier follows from the category (change it with `change_tier`)."""
    recipient = Recipient(
        name=_check_recipient_name(name),
        category=RecipientCategory(category),
        district=one_line(district),
        contact=one_line(contact),
        headcount_or_beds=headcount_or_beds,
    )
    db.session.add(recipient)
    db.session.flush()
    return recipient


def update_recipient(
    recipient: Recipient,
    name: str,
    category: str,
    *,
    district: str = "",
    contact: str = "",
    headcount_or_beds: int | None = None,
) -> Recipient:
    """Edit a unit's particulars. The tier stays as it is: it changes only with a reason."""
    recipient.name = _check_recipient_name(name, recipient)
    recipient.category = RecipientCategory(category)
    recipient.district = one_line(district)
    recipient.contact = one_line(contact)
    recipient.headcount_or_beds = headcount_or_beds
    db.session.flush()
    return recipient


def change_tier(
    recipient: Recipient, tier: int, reason: str, actor: User | int | None
) -> RecipientTierChange:
    """Move a recipient to another priority tier, recording who, when and why."""
    if tier not in TIERS:
        raise ServiceError(_l("The tier is 1, 2 or 3."), "tier")
    reason = clean(reason)
    if not reason:
        raise ServiceError(_l("Say why the tier changes."), "reason")
    if len(reason) > MAX_REASON:
        raise ServiceError(_l("The reason is too long."), "reason")
    if tier == recipient.tier:
        raise ServiceError(_l("The recipient is already in this tier."), "tier")
    change = RecipientTierChange(
        recipient_id=recipient.id,
        old_tier=recipient.tier,
        new_tier=tier,
        reason=reason,
        changed_by_id=actor_id(actor),
    )
    recipient.tier = tier
    db.session.add(change)
    db.session.flush()
    return change


def tier_changes(recipient_id: int) -> list[RecipientTierChange]:
    return list(
        db.session.scalars(
            sa.select(RecipientTierChange)
            .where(RecipientTierChange.recipient_id == recipient_id)
            .order_by(RecipientTierChange.id.desc())
        )
    )


def set_recipient_active(recipient: Recipient, active: bool) -> None:
    recipient.active = active
    db.session.flush()


def recipients(
    *,
    search: str = "",
    category: str = "",
    tier: int | None = None,
    district: str = "",
    include_inactive: bool = False,
) -> list[Recipient]:
    query = sa.select(Recipient).order_by(Recipient.tier, Recipient.category, Recipient.name)
    if search:
        like = f"%{search}%"
        query = query.where(sa.or_(Recipient.name.ilike(like), Recipient.contact.ilike(like)))
    if category in {c.value for c in RecipientCategory}:
        query = query.where(Recipient.category == RecipientCategory(category))
    if tier in TIERS:
        query = query.where(Recipient.tier == tier)
    if district:
        query = query.where(Recipient.district == district)
    if not include_inactive:
        query = query.where(Recipient.active.is_(True))
    return list(db.session.scalars(query))


def districts() -> list[str]:
    return [
        d
        for d in db.session.scalars(
            sa.select(Recipient.district).distinct().order_by(Recipient.district)
        )
        if d
    ]
