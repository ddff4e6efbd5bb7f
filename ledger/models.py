"""The stock ledger: append-only, hash-chained entries and the balances they add up to.

Every movement of stock is one `LedgerEntry`: `quantity` pieces of a lot move from one status
bucket to another (`None` stands for outside the city's stock: a receipt comes from outside).
A negative quantity moves them the other way, which is how a reversal undoes an entry. Entries are
numbered by `seq` without gaps and chained: each stores the previous entry's hash and its own
SHA-256 over a canonical serialisation of its fields (`ledger.chain`), so that an edited, deleted
or reordered row is found by `flask ledger verify`.

Entries are never updated or deleted: the ORM refuses it here, and on PostgreSQL a trigger (made
by the migration) refuses it too. `Balance` holds, per lot and bucket, the sum of the entries; it
is updated in the same transaction as the entry, and a CHECK keeps it from going below zero.
`LedgerHead` is a single row that is locked while an entry is written, so that two people
posting at the same moment cannot both take the same sequence number or fork the chain.
"""

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from accounts.models import User
from catalog.models import Lot
from core.db import UTCDateTime, enum_type
from extensions import db
from recipients.models import Recipient

GENESIS_HASH = "0" * 64


class Bucket(enum.StrEnum):
    """Where a lot's pieces are: the status buckets of the ledger."""

    QUARANTINE = "quarantine"
    AVAILABLE = "available"
    ON_HOLD = "on_hold"
    REJECTED = "rejected"
    ISSUED = "issued"
    WRITTEN_OFF = "written_off"
    SOLD = "sold"  # issued to a retail unit, then sold by one of its outlets to a citizen

    @property
    def label(self) -> str:
        return str(BUCKET_LABELS[self])


BUCKET_LABELS = {
    Bucket.QUARANTINE: _l("Awaiting inspection"),
    Bucket.AVAILABLE: _l("Available"),
    Bucket.ON_HOLD: _l("On hold"),
    Bucket.REJECTED: _l("Rejected"),
    Bucket.ISSUED: _l("Issued"),
    Bucket.WRITTEN_OFF: _l("Written off"),
    Bucket.SOLD: _l("Sold to citizens"),
}

# Buckets that still hold stock in the warehouse (issued, sold and written-off stock has left).
IN_STOCK = (Bucket.QUARANTINE, Bucket.AVAILABLE, Bucket.ON_HOLD, Bucket.REJECTED)


class EntryKind(enum.StrEnum):
    RECEIPT = "receipt"
    RELEASE = "release"
    REJECT = "reject"
    HOLD = "hold"
    UNHOLD = "unhold"
    ISSUE = "issue"
    ADJUSTMENT = "adjustment"
    REVERSAL = "reversal"
    WRITE_OFF = "write_off"
    SALE = "sale"  # an outlet of a retail unit sells issued pieces to a citizen
    RETURN = "return"  # a unit hands issued pieces it did not sell back to the city's stock

    @property
    def label(self) -> str:
        return str(KIND_LABELS[self])


KIND_LABELS = {
    EntryKind.RECEIPT: _l("Receipt"),
    EntryKind.RELEASE: _l("Release"),
    EntryKind.REJECT: _l("Rejection"),
    EntryKind.HOLD: _l("Hold"),
    EntryKind.UNHOLD: _l("Hold lifted"),
    EntryKind.ISSUE: _l("Issue"),
    EntryKind.ADJUSTMENT: _l("Stock-count adjustment"),
    EntryKind.REVERSAL: _l("Reversal"),
    EntryKind.WRITE_OFF: _l("Write-off"),
    EntryKind.SALE: _l("Sale to a citizen"),
    EntryKind.RETURN: _l("Returned unsold"),
}

# Entries that move pieces a recipient holds: they name it, and it cannot give more than it has.
FROM_A_RECIPIENT = (EntryKind.SALE, EntryKind.RETURN)


class LedgerEntry(db.Model):
    """One movement of stock. Written by `ledger.services.post` only; never changed afterwards."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        sa.CheckConstraint("quantity <> 0", name="quantity_not_zero"),
        sa.CheckConstraint("seq >= 1", name="seq_positive"),
        sa.CheckConstraint(
            "from_bucket IS NOT NULL OR to_bucket IS NOT NULL", name="moves_somewhere"
        ),
        sa.CheckConstraint(
            "from_bucket IS NULL OR to_bucket IS NULL OR from_bucket <> to_bucket",
            name="buckets_differ",
        ),
        sa.CheckConstraint(
            "kind <> 'issue' OR recipient_id IS NOT NULL", name="issue_has_recipient"
        ),
        sa.CheckConstraint(
            "kind NOT IN ('sale', 'return') OR recipient_id IS NOT NULL",
            name="sale_or_return_has_recipient",
        ),
        sa.CheckConstraint(
            "(kind = 'reversal') = (reverses_seq IS NOT NULL)", name="reversal_points_back"
        ),
        sa.UniqueConstraint("hash", name="uq_ledger_entries_hash"),
        sa.Index("ix_ledger_entries_lot_id_seq", "lot_id", "seq"),
        sa.Index("ix_ledger_entries_recipient_id", "recipient_id"),
        sa.Index("ix_ledger_entries_document", "document_type", "document_id"),
        sa.Index("ix_ledger_entries_occurred_at", "occurred_at"),
    )

    seq: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    # When it happened, as the person says; and when the server wrote it down.
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    kind: Mapped[EntryKind] = mapped_column(enum_type(EntryKind, "entry_kind"), nullable=False)
    lot_id: Mapped[int] = mapped_column(sa.ForeignKey("lots.id"), nullable=False)
    from_bucket: Mapped[Bucket | None] = mapped_column(
        enum_type(Bucket, "from_bucket"), nullable=True
    )
    to_bucket: Mapped[Bucket | None] = mapped_column(enum_type(Bucket, "to_bucket"), nullable=True)
    quantity: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    # Who received the stock (issues, and the reversals of issues); for sales and returns, the
    # unit that held it.
    recipient_id: Mapped[int | None] = mapped_column(sa.ForeignKey("recipients.id"), nullable=True)
    # The document the entry belongs to: a batch receipt, a plan line, an inspection ...
    document_type: Mapped[str | None] = mapped_column(sa.String(40), nullable=True)
    document_id: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    document_ref: Mapped[str | None] = mapped_column(sa.String(100), nullable=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    reason: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    # The entry this one corrects (reversals only); an entry is reversed at most once.
    reverses_seq: Mapped[int | None] = mapped_column(
        sa.ForeignKey("ledger_entries.seq"), unique=True, nullable=True
    )
    prev_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    hash: Mapped[str] = mapped_column(sa.String(64), nullable=False)

    lot: Mapped[Lot] = relationship(lazy="joined")
    recipient: Mapped[Recipient | None] = relationship()
    actor: Mapped[User | None] = relationship()
    reverses: Mapped["LedgerEntry | None"] = relationship(
        remote_side=[seq], foreign_keys=[reverses_seq], back_populates="reversed_by"
    )
    reversed_by: Mapped["LedgerEntry | None"] = relationship(
        foreign_keys=[reverses_seq], back_populates="reverses", uselist=False
    )

    def __repr__(self) -> str:
        return f"<LedgerEntry {self.seq} {self.kind} {self.quantity}>"


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or delete a ledger entry."""


@sa.event.listens_for(LedgerEntry, "before_update")
def _refuse_update(mapper, connection, target) -> None:
    state = sa.inspect(target)
    changed = [
        attr.key for attr in mapper.column_attrs if state.attrs[attr.key].history.has_changes()
    ]
    if changed:  # (relationship bookkeeping alone marks an object dirty: that is harmless)
        raise AppendOnlyError(
            f"ledger entry {target.seq} cannot be changed ({', '.join(changed)}): "
            "post a reversal instead"
        )


@sa.event.listens_for(LedgerEntry, "before_delete")
def _refuse_delete(mapper, connection, target) -> None:
    raise AppendOnlyError(f"ledger entry {target.seq} cannot be deleted: post a reversal instead")


@sa.event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes(state) -> None:
    """`update(LedgerEntry)` / `delete(LedgerEntry)` statements skip the mapper events."""
    if (state.is_update or state.is_delete) and any(
        mapper.class_ is LedgerEntry for mapper in state.all_mappers
    ):
        raise AppendOnlyError("ledger entries cannot be changed or deleted: post a reversal")


class Balance(db.Model):
    """Pieces of a lot in one bucket: always the sum of that lot's entries for the bucket."""

    __tablename__ = "stock_balances"
    __table_args__ = (
        sa.CheckConstraint("quantity >= 0", name="quantity_not_negative"),
        sa.Index("ix_stock_balances_bucket", "bucket"),
    )

    lot_id: Mapped[int] = mapped_column(sa.ForeignKey("lots.id"), primary_key=True)
    bucket: Mapped[Bucket] = mapped_column(enum_type(Bucket, "bucket"), primary_key=True)
    quantity: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)

    lot: Mapped[Lot] = relationship()


class LedgerHead(db.Model):
    """The one row that says where the chain ends; locked by whoever is writing an entry."""

    __tablename__ = "ledger_head"
    __table_args__ = (sa.CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    last_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False, default=GENESIS_HASH)
