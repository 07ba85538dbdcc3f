"""when the alert rules were last evaluated on this store, so that a process starting soon after
(a cron `floorview sync --once`) carries the holding times on rather than starting them again

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_clock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evaluated_at", sa.Double(), nullable=False),
        sa.CheckConstraint("id = 1"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_clock")),
    )


def downgrade() -> None:
    op.drop_table("alert_clock")
