"""Plan pages at province scale: each run's requests as it served them
(allocation_plan_run_requests) and the small parts of its result (summary), written with the
run, filled here for the runs already made

Revision ID: e4b7c2a9d815
Revises: 7a1e4c9b2f63
Create Date: 2026-12-03 08:10:00.000000

"""

from collections import defaultdict
from fractions import Fraction

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e4b7c2a9d815"
down_revision = "7a1e4c9b2f63"
branch_labels = None
depends_on = None

runs = sa.table(
    "allocation_plan_runs",
    sa.column("id", sa.Integer),
    sa.column("result", sa.JSON),
    sa.column("summary", sa.JSON),
)
SUMMARY_KEYS = ("tiers", "held_back", "left_over")
requests = sa.table(
    "allocation_requests",
    sa.column("id", sa.Integer),
    sa.column("recipient_id", sa.Integer),
    sa.column("grade_id", sa.Integer),
    sa.column("quantity", sa.Integer),
)
recipients = sa.table("recipients", sa.column("id", sa.Integer), sa.column("name", sa.String))


def upgrade():
    table = op.create_table(
        "allocation_plan_run_requests",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("grade_id", sa.Integer(), nullable=False),
        sa.Column("tier", sa.Integer(), nullable=False),
        sa.Column("requested", sa.Integer(), nullable=False),
        sa.Column("allocated", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("reason_zh", sa.Text(), nullable=False),
        sa.Column("reason_en", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["grade_id"],
            ["grades.id"],
            name=op.f("fk_allocation_plan_run_requests_grade_id_grades"),
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["recipients.id"],
            name=op.f("fk_allocation_plan_run_requests_recipient_id_recipients"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["allocation_requests.id"],
            name=op.f("fk_allocation_plan_run_requests_request_id_allocation_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["allocation_plan_runs.id"],
            name=op.f("fk_allocation_plan_run_requests_run_id_allocation_plan_runs"),
        ),
        sa.PrimaryKeyConstraint(
            "run_id", "request_id", name=op.f("pk_allocation_plan_run_requests")
        ),
    )
    op.create_index(
        "ix_allocation_plan_run_requests_run_id_position",
        "allocation_plan_run_requests",
        ["run_id", "position"],
        unique=False,
    )
    # Plain ALTER TABLE (no batch: SQLite would copy the table that lines and requests refer to).
    op.add_column(
        "allocation_plan_runs",
        sa.Column("summary", sa.JSON(), nullable=False, server_default="{}"),
    )
    # The runs already made: their summary, and their rows from the run's own record of what
    # it served (the result's request ids, tiers, amounts and reasons), placed as the run page
    # placed them.
    connection = op.get_bind()
    for run_id in connection.scalars(sa.select(runs.c.id).order_by(runs.c.id)).all():
        result = connection.scalar(sa.select(runs.c.result).where(runs.c.id == run_id)) or {}
        connection.execute(
            runs.update()
            .where(runs.c.id == run_id)
            .values(
                summary={key: result.get(key, [] if key == "tiers" else {}) for key in SUMMARY_KEYS}
            )
        )
        served = result.get("requests", {})
        ids = [int(i) for i in result.get("request_ids", []) if str(i) in served]
        if not ids:
            continue
        found = {}
        for start in range(0, len(ids), 500):
            found.update(
                (row.id, row)
                for row in connection.execute(
                    sa.select(
                        requests.c.id,
                        requests.c.recipient_id,
                        requests.c.grade_id,
                        requests.c.quantity,
                        recipients.c.name,
                    )
                    .join(recipients, recipients.c.id == requests.c.recipient_id)
                    .where(requests.c.id.in_(ids[start : start + 500]))
                )
            )
        asked, given, first = defaultdict(int), defaultdict(int), {}
        for rid in ids:
            row, res = found[rid], served[str(rid)]
            asked[row.recipient_id] += row.quantity
            given[row.recipient_id] += int(res.get("allocated", 0))
            first.setdefault(row.recipient_id, (int(res.get("tier", 0)), row.name))
        order = sorted(
            first, key=lambda k: (first[k][0], Fraction(given[k], asked[k]), first[k][1], k)
        )
        position = {k: n for n, k in enumerate(order, start=1)}
        op.bulk_insert(
            table,
            [
                {
                    "run_id": run_id,
                    "request_id": rid,
                    "recipient_id": found[rid].recipient_id,
                    "grade_id": found[rid].grade_id,
                    "tier": first[found[rid].recipient_id][0],
                    "requested": found[rid].quantity,
                    "allocated": int(served[str(rid)].get("allocated", 0)),
                    "position": position[found[rid].recipient_id],
                    "reason_zh": served[str(rid)].get("reason_zh", ""),
                    "reason_en": served[str(rid)].get("reason_en", ""),
                }
                for rid in ids
            ],
        )



def downgrade():
    op.drop_column("allocation_plan_runs", "summary")
    op.drop_index(
        "ix_allocation_plan_run_requests_run_id_position",
        table_name="allocation_plan_run_requests",
    )
    op.drop_table("allocation_plan_run_requests")
