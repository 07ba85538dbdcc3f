"""each contact knows the gap since the customer's previous one on the same queue

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('interaction', schema=None) as batch_op:
        batch_op.add_column(sa.Column('repeat_gap_s', sa.Double(), nullable=True))
    from floorview.store.apply import rebuild_repeat_gaps

    rebuild_repeat_gaps(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table('interaction', schema=None) as batch_op:
        batch_op.drop_column('repeat_gap_s')
