"""alerts: their history, the evaluator's state per rule and subject, and what the budget held back;
the token's identity (sync_identity) joins the schema

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def _sync_identity():
    return op.create_table('sync_identity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('teams', sa.Text(), nullable=False),
    sa.Column('queues', sa.Text(), nullable=False),
    sa.Column('fetched_at', sa.Double(), nullable=False),
    sa.CheckConstraint('id = 1'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_identity'))
    )


def upgrade() -> None:
    op.create_table('alert',
    sa.Column('id', sa.String(length=600), nullable=False),
    sa.Column('rule_id', sa.String(length=128), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('subject_kind', sa.String(length=8), nullable=False),
    sa.Column('subject_id', sa.String(length=128), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('since', sa.Double(), nullable=False),
    sa.Column('fired_at', sa.Double(), nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('value', sa.Double(), nullable=True),
    sa.Column('threshold', sa.Double(), nullable=True),
    sa.Column('ack_by', sa.String(length=200), nullable=True),
    sa.Column('ack_at', sa.Double(), nullable=True),
    sa.Column('snooze_until', sa.Double(), nullable=True),
    sa.Column('resolved_at', sa.Double(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert'))
    )
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.create_index('ix_alert_up', ['fired_at'], unique=False, sqlite_where=sa.text('resolved_at IS NULL'))
        batch_op.create_index(batch_op.f('ix_alert_day'), ['day'], unique=False)
        batch_op.create_index(batch_op.f('ix_alert_resolved_at'), ['resolved_at'], unique=False)

    op.create_table('alert_track',
    sa.Column('rule_id', sa.String(length=128), nullable=False),
    sa.Column('subject_kind', sa.String(length=8), nullable=False),
    sa.Column('subject_id', sa.String(length=128), nullable=False),
    sa.Column('true_since', sa.Double(), nullable=True),
    sa.Column('false_since', sa.Double(), nullable=True),
    sa.Column('held_day', sa.String(length=10), nullable=True),
    sa.Column('snooze_until', sa.Double(), nullable=True),
    sa.Column('alert_id', sa.String(length=600), nullable=True),
    sa.PrimaryKeyConstraint('rule_id', 'subject_kind', 'subject_id', name=op.f('pk_alert_track'))
    )
    op.create_table('alert_held',
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('subject_kind', sa.String(length=8), nullable=False),
    sa.Column('subject_id', sa.String(length=128), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'subject_kind', 'subject_id', name=op.f('pk_alert_held'))
    )

    # sync_identity was made by hand by the sync (store/syncstate.py) the first
    # time it stored the token's identity: a store that has it keeps its row,
    # in the table as the schema now makes it.
    bind = op.get_bind()
    if sa.inspect(bind).has_table('sync_identity'):
        row = bind.exec_driver_sql('SELECT name, teams, queues, fetched_at FROM sync_identity WHERE id = 1').first()
        op.drop_table('sync_identity')
        table = _sync_identity()
        if row is not None:
            op.bulk_insert(table, [{'id': 1, 'name': row[0], 'teams': row[1], 'queues': row[2], 'fetched_at': row[3]}])
    else:
        _sync_identity()


def downgrade() -> None:
    # sync_identity stays: floorview at 0005 makes it by hand, in the same shape, and reads it.
    op.drop_table('alert_held')
    op.drop_table('alert_track')
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_resolved_at'))
        batch_op.drop_index(batch_op.f('ix_alert_day'))
        batch_op.drop_index('ix_alert_up', sqlite_where=sa.text('resolved_at IS NULL'))
    op.drop_table('alert')
