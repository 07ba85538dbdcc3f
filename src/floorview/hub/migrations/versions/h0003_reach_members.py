"""Each customer's reach, one row per agent or queue (`hub_reach_member`), so a
scoped page is filtered in the database by an indexed lookup instead of by
reading every row of the log into the hub and splitting joined lists there.
Filled from `hub_reach`, which stays as it is (the write path reads it whole).

Revision ID: h0003
Revises: h0002
"""

import sqlalchemy as sa
from alembic import op

revision = "h0003"
down_revision = "h0002"
branch_labels = None
depends_on = None

SEP = "\x1f"  # hub/tables.py's TEAM_SEP, as format 4 joined the lists


def upgrade() -> None:
    member = op.create_table(
        "hub_reach_member",
        sa.Column("customer", sa.String(128), primary_key=True),
        sa.Column("is_queue", sa.Boolean, primary_key=True),
        sa.Column("member", sa.String(128), primary_key=True),
    )
    op.create_index("ix_hub_reach_member_member", "hub_reach_member", ["is_queue", "member"])
    bind = op.get_bind()
    rows: list[dict] = []
    for customer, agents, queues in bind.execute(sa.text("SELECT customer, agents, queues FROM hub_reach")):
        for is_queue, joined in ((False, agents), (True, queues)):
            rows.extend(
                {"customer": customer, "is_queue": is_queue, "member": m} for m in set((joined or "").split(SEP)) if m
            )
        if len(rows) >= 5000:
            op.bulk_insert(member, rows)
            rows = []
    if rows:
        op.bulk_insert(member, rows)


def downgrade() -> None:
    raise NotImplementedError("the hub's database is not downgraded")
