"""Citizens' pickups: outlet staff (a role, and the outlets each works at), pickups and no-shows
of bookings, closed rounds; in the ledger, sales to citizens (a `sold` bucket) and the return of
what a unit did not sell

Revision ID: 29ab51432eb6
Revises: 8555fc3cd6ee
Create Date: 2026-12-03 12:21:12.397151

The new values of the enum columns are CHECK constraints, changed in batch mode: on SQLite the
table is copied (ledger_entries refers to itself, so foreign keys are not enforced while it is
copied, then checked); on PostgreSQL the constraint is dropped and made again, and the rows are
only read (the append-only trigger is not touched).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "29ab51432eb6"
down_revision = "8555fc3cd6ee"
branch_labels = None
depends_on = None

ROLES = ("procurement", "inspector", "allocator", "approver", "auditor", "admin")
KINDS = (
    "receipt",
    "release",
    "reject",
    "hold",
    "unhold",
    "issue",
    "adjustment",
    "reversal",
    "write_off",
)
BUCKETS = ("quarantine", "available", "on_hold", "rejected", "issued", "written_off")
ROUND_STATUSES = ("open", "drawn")
BOOKING_STATUSES = ("entered", "won", "lost")

NEW_ROLES = (*ROLES, "outlet")
NEW_KINDS = (*KINDS, "sale", "return")
NEW_BUCKETS = (*BUCKETS, "sold")
NEW_ROUND_STATUSES = (*ROUND_STATUSES, "closed")
NEW_BOOKING_STATUSES = (*BOOKING_STATUSES, "picked_up", "no_show")

SALE_RECIPIENT = "kind NOT IN ('sale', 'return') OR recipient_id IS NOT NULL"


def _enum(values, name):
    return sa.Enum(
        *values,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(value) for value in values),
    )


def _change(batch_op, column, old, new, name, nullable):
    batch_op.alter_column(
        column,
        existing_type=_enum(old, name),
        type_=_enum(new, name),
        existing_nullable=nullable,
    )


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _without_foreign_keys(change) -> None:
    """Run `change` with SQLite's foreign keys off (a table copied in batch mode is dropped
    while rows refer to it), then check that every reference still holds.

    The pragma is ignored inside a transaction, so it is set in an autocommit block, which
    commits what the migrations before this one did (SQLite's DDL is not transactional
    anyway). Should `change` fail, the command fails and its connection is not used again."""
    if not _sqlite():
        change()
        return
    context = op.get_context()
    with context.autocommit_block():
        op.execute("PRAGMA foreign_keys=OFF")
    change()
    broken = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"foreign keys broken by the migration: {broken[:5]}")
    with context.autocommit_block():
        op.execute("PRAGMA foreign_keys=ON")


def _ledger(kinds_old, kinds_new, buckets_old, buckets_new, add_check: bool):
    def change():
        with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
            _change(batch_op, "kind", kinds_old, kinds_new, "entry_kind", False)
            _change(batch_op, "from_bucket", buckets_old, buckets_new, "from_bucket", True)
            _change(batch_op, "to_bucket", buckets_old, buckets_new, "to_bucket", True)
            if add_check:
                batch_op.create_check_constraint(
                    op.f("ck_ledger_entries_sale_or_return_has_recipient"), SALE_RECIPIENT
                )
            else:
                batch_op.drop_constraint(
                    op.f("ck_ledger_entries_sale_or_return_has_recipient"), type_="check"
                )
        with op.batch_alter_table("stock_balances", schema=None) as batch_op:
            _change(batch_op, "bucket", buckets_old, buckets_new, "bucket", False)

    _without_foreign_keys(change)


def upgrade():
    with op.batch_alter_table("user_roles", schema=None) as batch_op:
        _change(batch_op, "role", ROLES, NEW_ROLES, "role", False)

    _ledger(KINDS, NEW_KINDS, BUCKETS, NEW_BUCKETS, add_check=True)

    op.create_table(
        "rationing_outlet_staff",
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["outlet_id"],
            ["rationing_outlets.id"],
            name=op.f("fk_rationing_outlet_staff_outlet_id_rationing_outlets"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_rationing_outlet_staff_user_id_users")
        ),
        sa.PrimaryKeyConstraint("outlet_id", "user_id", name=op.f("pk_rationing_outlet_staff")),
    )
    with op.batch_alter_table("rationing_outlet_staff", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rationing_outlet_staff_user_id"), ["user_id"], unique=False
        )

    with op.batch_alter_table("rationing_bookings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("picked_up_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("picked_up_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("id_checked", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        _change(batch_op, "status", BOOKING_STATUSES, NEW_BOOKING_STATUSES, "booking_status", False)
        batch_op.create_index(
            batch_op.f("ix_rationing_bookings_pickup_code"), ["pickup_code"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_rationing_bookings_picked_up_by_id_users"),
            "users",
            ["picked_up_by_id"],
            ["id"],
        )

    with op.batch_alter_table("rationing_rounds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("closed_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
        _change(
            batch_op,
            "status",
            ROUND_STATUSES,
            NEW_ROUND_STATUSES,
            "booking_round_status",
            False,
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_rationing_rounds_closed_by_id_users"), "users", ["closed_by_id"], ["id"]
        )


def downgrade():
    # Refused (by the constraints) while any row uses a value made here: sales, returns, pickups,
    # closed rounds. Those are records of what happened; they are not thrown away.
    with op.batch_alter_table("rationing_rounds", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_rationing_rounds_closed_by_id_users"), type_="foreignkey"
        )
        _change(
            batch_op,
            "status",
            NEW_ROUND_STATUSES,
            ROUND_STATUSES,
            "booking_round_status",
            False,
        )
        batch_op.drop_column("closed_at")
        batch_op.drop_column("closed_by_id")

    with op.batch_alter_table("rationing_bookings", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_rationing_bookings_picked_up_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_rationing_bookings_pickup_code"))
        _change(batch_op, "status", NEW_BOOKING_STATUSES, BOOKING_STATUSES, "booking_status", False)
        batch_op.drop_column("id_checked")
        batch_op.drop_column("picked_up_by_id")
        batch_op.drop_column("picked_up_at")

    with op.batch_alter_table("rationing_outlet_staff", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rationing_outlet_staff_user_id"))
    op.drop_table("rationing_outlet_staff")

    _ledger(NEW_KINDS, KINDS, NEW_BUCKETS, BUCKETS, add_check=False)

    # A role is a permission, not a record: the outlet role goes with the outlets' staff lists.
    op.execute("DELETE FROM user_roles WHERE role = 'outlet'")
    with op.batch_alter_table("user_roles", schema=None) as batch_op:
        _change(batch_op, "role", NEW_ROLES, ROLES, "role", False)
