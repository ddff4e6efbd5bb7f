"""Citizens' rationing: the outlets of retail units and their opening slots, booking rounds on an
issued plan's retail allocation, each outlet's share of a round, and citizens' bookings

Revision ID: 8555fc3cd6ee
Revises: e4b7c2a9d815
Create Date: 2026-12-03 08:00:55.096344

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "8555fc3cd6ee"
down_revision = "e4b7c2a9d815"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "rationing_outlets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("district", sa.String(length=100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["recipients.id"],
            name=op.f("fk_rationing_outlets_recipient_id_recipients"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rationing_outlets")),
        sa.UniqueConstraint("recipient_id", "name", name="uq_outlets_unit_name"),
    )
    with op.batch_alter_table("rationing_outlets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rationing_outlets_recipient_id"), ["recipient_id"], unique=False
        )

    op.create_table(
        "rationing_outlet_slots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("starts", sa.Time(), nullable=False),
        sa.Column("ends", sa.Time(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "capacity >= 1", name=op.f("ck_rationing_outlet_slots_capacity_positive")
        ),
        sa.CheckConstraint(
            "ends > starts", name=op.f("ck_rationing_outlet_slots_ends_after_start")
        ),
        sa.ForeignKeyConstraint(
            ["outlet_id"],
            ["rationing_outlets.id"],
            name=op.f("fk_rationing_outlet_slots_outlet_id_rationing_outlets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rationing_outlet_slots")),
        sa.UniqueConstraint("outlet_id", "starts", name="uq_outlet_slots_outlet_starts"),
    )
    with op.batch_alter_table("rationing_outlet_slots", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rationing_outlet_slots_outlet_id"), ["outlet_id"], unique=False
        )

    op.create_table(
        "rationing_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("grade_id", sa.Integer(), nullable=False),
        sa.Column("pieces_per_person", sa.Integer(), nullable=False),
        sa.Column("price_per_piece", sa.Numeric(precision=12, scale=4), nullable=False),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pickup_on", sa.Date(), nullable=False),
        sa.Column("quota_days", sa.Integer(), nullable=False),
        sa.Column("seed_sha256", sa.String(length=64), nullable=False),
        sa.Column("seed", sa.String(length=64), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "drawn",
                name="booking_round_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("drawn_by_id", sa.Integer(), nullable=True),
        sa.Column("drawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "closes_at > opens_at", name=op.f("ck_rationing_rounds_closes_after_opening")
        ),
        sa.UniqueConstraint("plan_id", "grade_id", name="uq_rationing_rounds_plan_grade"),
        sa.CheckConstraint(
            "pieces_per_person >= 1", name=op.f("ck_rationing_rounds_pieces_per_person_positive")
        ),
        sa.CheckConstraint(
            "price_per_piece >= 0", name=op.f("ck_rationing_rounds_price_not_negative")
        ),
        sa.CheckConstraint("quota_days >= 1", name=op.f("ck_rationing_rounds_quota_days_positive")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_rationing_rounds_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["drawn_by_id"], ["users.id"], name=op.f("fk_rationing_rounds_drawn_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["grade_id"], ["grades.id"], name=op.f("fk_rationing_rounds_grade_id_grades")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["allocation_plans.id"],
            name=op.f("fk_rationing_rounds_plan_id_allocation_plans"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rationing_rounds")),
    )
    with op.batch_alter_table("rationing_rounds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rationing_rounds_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "rationing_bookings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=False),
        sa.Column("flexible", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "entered",
                "won",
                "lost",
                name="booking_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("won_outlet_id", sa.Integer(), nullable=True),
        sa.Column("won_slot_id", sa.Integer(), nullable=True),
        sa.Column("pickup_code", sa.String(length=8), nullable=True),
        sa.ForeignKeyConstraint(
            ["outlet_id"],
            ["rationing_outlets.id"],
            name=op.f("fk_rationing_bookings_outlet_id_rationing_outlets"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["rationing_rounds.id"],
            name=op.f("fk_rationing_bookings_round_id_rationing_rounds"),
        ),
        sa.ForeignKeyConstraint(
            ["slot_id"],
            ["rationing_outlet_slots.id"],
            name=op.f("fk_rationing_bookings_slot_id_rationing_outlet_slots"),
        ),
        sa.ForeignKeyConstraint(
            ["won_outlet_id"],
            ["rationing_outlets.id"],
            name=op.f("fk_rationing_bookings_won_outlet_id_rationing_outlets"),
        ),
        sa.ForeignKeyConstraint(
            ["won_slot_id"],
            ["rationing_outlet_slots.id"],
            name=op.f("fk_rationing_bookings_won_slot_id_rationing_outlet_slots"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rationing_bookings")),
        sa.UniqueConstraint("reference", name=op.f("uq_rationing_bookings_reference")),
        sa.UniqueConstraint("round_id", "id_hash", name="uq_bookings_round_person"),
        sa.UniqueConstraint("round_id", "pickup_code", name="uq_bookings_round_code"),
    )
    with op.batch_alter_table("rationing_bookings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rationing_bookings_id_hash"), ["id_hash"], unique=False
        )

    op.create_table(
        "rationing_round_outlets",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("pieces", sa.Integer(), nullable=False),
        sa.Column("places", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "pieces >= 0", name=op.f("ck_rationing_round_outlets_pieces_not_negative")
        ),
        sa.CheckConstraint(
            "places >= 0", name=op.f("ck_rationing_round_outlets_places_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["outlet_id"],
            ["rationing_outlets.id"],
            name=op.f("fk_rationing_round_outlets_outlet_id_rationing_outlets"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["rationing_rounds.id"],
            name=op.f("fk_rationing_round_outlets_round_id_rationing_rounds"),
        ),
        sa.PrimaryKeyConstraint("round_id", "outlet_id", name=op.f("pk_rationing_round_outlets")),
    )


def downgrade():
    op.drop_table("rationing_round_outlets")
    with op.batch_alter_table("rationing_bookings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rationing_bookings_id_hash"))

    op.drop_table("rationing_bookings")
    with op.batch_alter_table("rationing_rounds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rationing_rounds_plan_id"))

    op.drop_table("rationing_rounds")
    with op.batch_alter_table("rationing_outlet_slots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rationing_outlet_slots_outlet_id"))

    op.drop_table("rationing_outlet_slots")
    with op.batch_alter_table("rationing_outlets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rationing_outlets_recipient_id"))

    op.drop_table("rationing_outlets")
