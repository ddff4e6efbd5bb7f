"""List pages at province scale: indexes for paging the recipients register, a round's
requests and the traces in order (by tier and name), and a recipient's requests

Revision ID: 7a1e4c9b2f63
Revises: 5d2f8a1c7e40
Create Date: 2026-12-02 18:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '7a1e4c9b2f63'
down_revision = '5d2f8a1c7e40'
branch_labels = None
depends_on = None


def upgrade():
    # Plain CREATE INDEX (no batch: SQLite creates an index without rebuilding the table).
    op.create_index('ix_recipients_tier_name', 'recipients', ['tier', 'name'], unique=False)
    op.create_index(
        'ix_recipients_tier_category_name', 'recipients', ['tier', 'category', 'name'], unique=False
    )
    op.create_index(
        'ix_allocation_requests_round_id_recipient_id',
        'allocation_requests',
        ['round_id', 'recipient_id'],
        unique=False,
    )
    op.create_index(
        'ix_allocation_requests_recipient_id', 'allocation_requests', ['recipient_id'], unique=False
    )


def downgrade():
    op.drop_index('ix_allocation_requests_recipient_id', table_name='allocation_requests')
    op.drop_index('ix_allocation_requests_round_id_recipient_id', table_name='allocation_requests')
    op.drop_index('ix_recipients_tier_category_name', table_name='recipients')
    op.drop_index('ix_recipients_tier_name', table_name='recipients')
