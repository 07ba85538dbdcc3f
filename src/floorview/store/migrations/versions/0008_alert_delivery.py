"""alert events on their way to a headless sync's webhook: delivered, or still to go

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_delivery",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("alert_id", sa.String(length=600), nullable=False),
        sa.Column("event", sa.String(length=16), nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("queued_at", sa.Double(), nullable=False),
        sa.Column("delivered_at", sa.Double(), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_alert_delivery")),
        sa.UniqueConstraint("event_id"),
    )
    op.create_index(op.f("ix_alert_delivery_at"), "alert_delivery", ["at"], unique=False)
    op.create_index(
        "ix_alert_delivery_waiting",
        "alert_delivery",
        ["seq"],
        unique=False,
        sqlite_where=sa.text("delivered_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_alert_delivery_waiting", table_name="alert_delivery", sqlite_where=sa.text("delivered_at IS NULL"))
    op.drop_index(op.f("ix_alert_delivery_at"), table_name="alert_delivery")
    op.drop_table("alert_delivery")
