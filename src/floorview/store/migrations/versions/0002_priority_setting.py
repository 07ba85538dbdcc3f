"""priorities set on the Balance screen

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('priority_setting',
    sa.Column('seq', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('set_at', sa.Double(), nullable=False),
    sa.Column('set_by', sa.String(length=200), nullable=False),
    sa.Column('ranking', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_priority_setting'))
    )


def downgrade() -> None:
    op.drop_table('priority_setting')
