"""The units that receive protective material (需求单位).

A recipient has a category and a priority tier: 1 medical (hospitals, fever clinics, CDC), 2 city
operations (water, power, gas, sanitation, transport, community workers, reopening enterprises),
3 retail (pharmacies and shops selling to citizens). The tier defaults from the category and can
be changed, with a reason that is kept. Recipients are deactivated, never deleted, so that every
issue stays traceable.

The register sits below the ledger and allocation: the ledger names a recipient on every issue,
allocation takes their requests; neither is imported here.
"""

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import User
from core.db import UTCDateTime, enum_type, now_utc
from extensions import db


class RecipientCategory(enum.StrEnum):
    HOSPITAL = "hospital"
    FEVER_CLINIC = "fever_clinic"
    CDC = "cdc"
    WATER = "water"
    POWER = "power"
    GAS = "gas"
    SANITATION = "sanitation"
    TRANSPORT = "transport"
    COMMUNITY = "community"
    REOPENING_ENTERPRISE = "reopening_enterprise"
    PHARMACY = "pharmacy"
    SUPERMARKET = "supermarket"
    OTHER = "other"

    @property
    def label(self) -> str:
        return str(CATEGORY_LABELS[self])

    @property
    def default_tier(self) -> int:
        return CATEGORY_TIERS[self]


CATEGORY_LABELS = {
    RecipientCategory.HOSPITAL: _l("Hospital"),
    RecipientCategory.FEVER_CLINIC: _l("Fever clinic"),
    RecipientCategory.CDC: _l("Centre for disease control"),
    RecipientCategory.WATER: _l("Water supply"),
    RecipientCategory.POWER: _l("Power supply"),
    RecipientCategory.GAS: _l("Gas supply"),
    RecipientCategory.SANITATION: _l("Sanitation"),
    RecipientCategory.TRANSPORT: _l("Transport"),
    RecipientCategory.COMMUNITY: _l("Community workers"),
    RecipientCategory.REOPENING_ENTERPRISE: _l("Reopening enterprise"),
    RecipientCategory.PHARMACY: _l("Pharmacy"),
    RecipientCategory.SUPERMARKET: _l("Supermarket"),
    RecipientCategory.OTHER: _l("Other"),
}

MEDICAL, CITY_OPERATIONS, RETAIL = 1, 2, 3
TIERS = (MEDICAL, CITY_OPERATIONS, RETAIL)

CATEGORY_TIERS = {
    RecipientCategory.HOSPITAL: MEDICAL,
    RecipientCategory.FEVER_CLINIC: MEDICAL,
    RecipientCategory.CDC: MEDICAL,
    RecipientCategory.WATER: CITY_OPERATIONS,
    RecipientCategory.POWER: CITY_OPERATIONS,
    RecipientCategory.GAS: CITY_OPERATIONS,
    RecipientCategory.SANITATION: CITY_OPERATIONS,
    RecipientCategory.TRANSPORT: CITY_OPERATIONS,
    RecipientCategory.COMMUNITY: CITY_OPERATIONS,
    RecipientCategory.REOPENING_ENTERPRISE: CITY_OPERATIONS,
    RecipientCategory.PHARMACY: RETAIL,
    RecipientCategory.SUPERMARKET: RETAIL,
    RecipientCategory.OTHER: RETAIL,
}

TIER_LABELS = {
    MEDICAL: _l("Tier 1: medical"),
    CITY_OPERATIONS: _l("Tier 2: city operations"),
    RETAIL: _l("Tier 3: retail"),
}


class Recipient(db.Model):
    __tablename__ = "recipients"
    __table_args__ = (
        sa.CheckConstraint("tier BETWEEN 1 AND 3", name="tier_range"),
        sa.CheckConstraint(
            "headcount_or_beds IS NULL OR headcount_or_beds >= 0", name="headcount_not_negative"
        ),
        # The register and the traces are paged in tier and name order, by category too.
        sa.Index("ix_recipients_tier_name", "tier", "name"),
        sa.Index("ix_recipients_tier_category_name", "tier", "category", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True, nullable=False)
    category: Mapped[RecipientCategory] = mapped_column(
        enum_type(RecipientCategory, "recipient_category"), nullable=False
    )
    # Priority tier; defaults from the category (see CATEGORY_TIERS).
    tier: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    district: Mapped[str] = mapped_column(sa.String(100), nullable=False, default="")
    # Contact person and telephone, as the unit gives them.
    contact: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    # Staff for operational units, beds for hospitals: the size a request is judged against.
    headcount_or_beds: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    def __init__(self, **kwargs):
        category = kwargs.get("category")
        if kwargs.get("tier") is None and category is not None:
            kwargs["tier"] = RecipientCategory(category).default_tier
        super().__init__(**kwargs)

    def __repr__(self) -> str:
        return f"<Recipient {self.name}>"

    @property
    def tier_label(self) -> str:
        return str(TIER_LABELS.get(self.tier, self.tier))


class RecipientTierChange(db.Model):
    """A change of a recipient's priority tier: who, when and why (the tier decides who is
    served first, so every change is kept)."""

    __tablename__ = "recipient_tier_changes"
    __table_args__ = (
        sa.CheckConstraint("old_tier BETWEEN 1 AND 3", name="old_tier_range"),
        sa.CheckConstraint("new_tier BETWEEN 1 AND 3", name="new_tier_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(
        sa.ForeignKey("recipients.id"), nullable=False, index=True
    )
    old_tier: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    new_tier: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    reason: Mapped[str] = mapped_column(sa.Text, nullable=False)
    changed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    changed_by: Mapped[User | None] = relationship()

    @property
    def old_label(self) -> str:
        return str(TIER_LABELS.get(self.old_tier, self.old_tier))

    @property
    def new_label(self) -> str:
        return str(TIER_LABELS.get(self.new_tier, self.new_tier))
