"""audit: stored documents keep the fingerprint they are found again by

Revision ID: 5d2f8a1c7e40
Revises: 3c5e0b7a9d21
Create Date: 2026-12-02 18:00:00

A stored plan or recall report PDF is found again by the hash of what it prints that can
change after it was printed (names, last status change, last delivery), without rebuilding its
record (audit/documents.py). Documents stored before have none and are found by their record,
as before, and given one then.
"""

import sqlalchemy as sa
from alembic import op

revision = "5d2f8a1c7e40"
down_revision = "3c5e0b7a9d21"
branch_labels = None
depends_on = None

TABLES = ("audit_plan_documents", "audit_report_documents")


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            column = sa.Column("source_fingerprint", sa.String(length=64), nullable=True)
            batch_op.add_column(column)
            batch_op.create_index(
                batch_op.f(f"ix_{table}_source_fingerprint"), ["source_fingerprint"], unique=False
            )


def downgrade():
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_source_fingerprint"))
            batch_op.drop_column("source_fingerprint")
