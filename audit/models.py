"""Stored audit documents and their downloads.

An allocation PDF is rendered once for a given content (the canonical record of the plan's
lines, approvals and issue entries) and language, stored under `instance/pdf/`, and served
from there afterwards. `content_sha256` is printed in the PDF's footer; `file_sha256` is the
hash of the stored file itself, so that the verification page accepts the genuine file and
refuses one that differs by a single byte. The daily and recall report PDFs are stored and
checked the same way (`ReportDocument`).
"""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import User
from allocation.models import Plan
from catalog.models import Lot
from core.db import UTCDateTime, now_utc
from extensions import db


class PlanDocument(db.Model):
    __tablename__ = "audit_plan_documents"
    __table_args__ = (
        sa.UniqueConstraint("content_sha256", "language", name="uq_plan_documents_content_lang"),
        sa.UniqueConstraint("file_sha256", name="uq_plan_documents_file_sha256"),
        sa.CheckConstraint("language IN ('zh', 'en')", name="language_known"),
        sa.CheckConstraint("size > 0", name="size_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        sa.ForeignKey("allocation_plans.id"), nullable=False, index=True
    )
    run_version: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    language: Mapped[str] = mapped_column(sa.String(5), nullable=False)
    # SHA-256 of `content` (the canonical JSON record), printed in the footer.
    content_sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False, index=True)
    content: Mapped[str] = mapped_column(sa.Text, nullable=False)
    # The last plan transition the record includes (later ones make a newer document).
    last_transition_id: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    # SHA-256 of what the document prints that can change after it is printed (names, the last
    # status change): found again by it without rebuilding the record (None: stored before).
    source_fingerprint: Mapped[str | None] = mapped_column(sa.String(64), nullable=True, index=True)
    file_sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    # File name under instance/pdf/.
    filename: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    size: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    pages: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)

    plan: Mapped[Plan] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    downloads: Mapped[list["DocumentDownload"]] = relationship(
        back_populates="document", order_by="DocumentDownload.id"
    )


class DocumentDownload(db.Model):
    """Who downloaded a stored document, and when (the system's own audit trail)."""

    __tablename__ = "audit_document_downloads"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        sa.ForeignKey("audit_plan_documents.id"), nullable=False, index=True
    )
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    document: Mapped[PlanDocument] = relationship(back_populates="downloads")
    user: Mapped[User | None] = relationship()


class ReportDocument(db.Model):
    """A daily report (日报表) or recall report PDF as printed. `content` is the record of the
    ledger facts it is made from (the entries up to `through_seq`: the day's, or the lot's
    deliveries), hashed into `content_sha256` for verification. A stored file is served again
    while the page it would print is the same (`page_sha256`); a renamed unit or a changed
    phone number makes a new file with the same content hash."""

    __tablename__ = "audit_report_documents"
    __table_args__ = (
        sa.UniqueConstraint("page_sha256", name="uq_report_documents_page_sha256"),
        sa.UniqueConstraint("file_sha256", name="uq_report_documents_file_sha256"),
        sa.CheckConstraint("language IN ('zh', 'en')", name="language_known"),
        sa.CheckConstraint(
            "(kind = 'daily' AND day IS NOT NULL AND lot_id IS NULL)"
            " OR (kind = 'recall' AND lot_id IS NOT NULL AND day IS NULL)",
            name="kind_subject",
        ),
        sa.CheckConstraint("size > 0", name="size_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    day: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    lot_id: Mapped[int | None] = mapped_column(sa.ForeignKey("lots.id"), nullable=True, index=True)
    # The last ledger entry the report was made from (0: none yet).
    through_seq: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    language: Mapped[str] = mapped_column(sa.String(5), nullable=False)
    content_sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False, index=True)
    content: Mapped[str] = mapped_column(sa.Text, nullable=False)
    # SHA-256 of the HTML the PDF was rendered from, without its print time.
    page_sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    # Recall reports: SHA-256 of what the report prints that can change (the last delivery,
    # the names and contacts of those who received the lot): found again by it without
    # building the report (None: a daily report, or stored before).
    source_fingerprint: Mapped[str | None] = mapped_column(sa.String(64), nullable=True, index=True)
    file_sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    filename: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    size: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    pages: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)

    lot: Mapped[Lot | None] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    downloads: Mapped[list["ReportDownload"]] = relationship(
        back_populates="document", order_by="ReportDownload.id"
    )


class ReportDownload(db.Model):
    """Who downloaded a stored report, and when."""

    __tablename__ = "audit_report_downloads"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        sa.ForeignKey("audit_report_documents.id"), nullable=False, index=True
    )
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    document: Mapped[ReportDocument] = relationship(back_populates="downloads")
    user: Mapped[User | None] = relationship()
