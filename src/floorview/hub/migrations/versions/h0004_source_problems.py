"""A source's newest problem (`hub_source.problem`, `problem_at`), so `floorview
hub status` says why a source is not feeding the hub, also one that failed
before its first write (its row is then made by the problem).

Revision ID: h0004
Revises: h0003
"""

import sqlalchemy as sa
from alembic import op

revision = "h0004"
down_revision = "h0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("hub_source", sa.Column("problem", sa.Text, nullable=True))
    op.add_column("hub_source", sa.Column("problem_at", sa.Float, nullable=True))


def downgrade() -> None:
    raise NotImplementedError("the hub's database is not downgraded")
