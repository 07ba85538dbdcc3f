"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-22
"""

from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('agent',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('team', sa.String(length=200), nullable=False),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('state_since', sa.Double(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('interaction_id', sa.String(length=128), nullable=True),
    sa.Column('id', sa.String(length=128), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agent'))
    )
    with op.batch_alter_table('agent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agent_team'), ['team'], unique=False)

    op.create_table('customer',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('segment', sa.String(length=100), nullable=True),
    sa.Column('since', sa.String(length=10), nullable=True),
    sa.Column('behavior', sa.Text(), nullable=True),
    sa.Column('id', sa.String(length=128), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer'))
    )
    op.create_table('interaction',
    sa.Column('queue_id', sa.String(length=128), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('customer_id', sa.String(length=128), nullable=True),
    sa.Column('agent_id', sa.String(length=128), nullable=True),
    sa.Column('enqueued_at', sa.Double(), nullable=False),
    sa.Column('answered_at', sa.Double(), nullable=True),
    sa.Column('abandoned_at', sa.Double(), nullable=True),
    sa.Column('ended_at', sa.Double(), nullable=True),
    sa.Column('wrap_s', sa.Double(), nullable=True),
    sa.Column('transfers', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('resolved', sa.Boolean(), nullable=True),
    sa.Column('qa_score', sa.Double(), nullable=True),
    sa.Column('id', sa.String(length=128), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interaction'))
    )
    with op.batch_alter_table('interaction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_interaction_agent_id_enqueued_at'), ['agent_id', 'enqueued_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_interaction_customer_id_enqueued_at'), ['customer_id', 'enqueued_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_interaction_enqueued_at_agent_id'), ['enqueued_at', 'agent_id'], unique=False)
        batch_op.create_index('ix_interaction_waiting', ['queue_id', 'enqueued_at'], unique=False, sqlite_where=sa.text('answered_at IS NULL AND abandoned_at IS NULL AND ended_at IS NULL'))

    op.create_table('note',
    sa.Column('agent_id', sa.String(length=128), nullable=True),
    sa.Column('customer_id', sa.String(length=128), nullable=True),
    sa.Column('author', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.Double(), nullable=False),
    sa.Column('updated_at', sa.Double(), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('topic', sa.String(length=16), nullable=True),
    sa.Column('adkar', sa.String(length=16), nullable=True),
    sa.Column('follow_up_on', sa.String(length=10), nullable=True),
    sa.Column('interaction_id', sa.String(length=128), nullable=True),
    sa.Column('visibility', sa.String(length=8), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('id', sa.String(length=128), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_note'))
    )
    with op.batch_alter_table('note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_note_agent_id_created_at'), ['agent_id', 'created_at'], unique=False)

    op.create_table('outbox',
    sa.Column('seq', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('note_id', sa.String(length=128), nullable=False),
    sa.Column('op', sa.String(length=8), nullable=False),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('base_version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.Double(), nullable=False),
    sa.Column('state', sa.String(length=16), server_default='pending', nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_outbox'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_note_id'), ['note_id'], unique=False)

    op.create_table('quarantine',
    sa.Column('seq', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('record_id', sa.String(length=128), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('raw', sa.Text(), nullable=False),
    sa.Column('received_at', sa.Double(), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_quarantine'))
    )
    op.create_table('queue',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('sl_threshold_s', sa.Integer(), server_default=sa.text('(20)'), nullable=False),
    sa.Column('sl_target', sa.Double(), server_default=sa.text('(0.8)'), nullable=False),
    sa.Column('short_abandon_s', sa.Integer(), server_default=sa.text('5'), nullable=False),
    sa.Column('aht_target_s', sa.Double(), nullable=True),
    sa.Column('abandon_target', sa.Double(), nullable=True),
    sa.Column('timezone', sa.String(length=64), server_default='UTC', nullable=False),
    sa.Column('cost_per_agent_hour', sa.Double(), nullable=True),
    sa.Column('forecast', sa.Text(), nullable=True),
    sa.Column('id', sa.String(length=128), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_queue'))
    )
    op.create_table('queue_interval',
    sa.Column('offered', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('answered', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('answered_in_sl', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('answer_wait_s', sa.Double(), server_default=sa.text('0'), nullable=False),
    sa.Column('abandoned', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('short_abandoned', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('abandon_wait_s', sa.Double(), server_default=sa.text('0'), nullable=False),
    sa.Column('handled', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('handle_s', sa.Double(), server_default=sa.text('0'), nullable=False),
    sa.Column('interval', sa.Integer(), nullable=False),
    sa.Column('queue_id', sa.String(length=128), nullable=False),
    sa.PrimaryKeyConstraint('interval', 'queue_id', name=op.f('pk_queue_interval'))
    )
    op.create_table('queue_minute',
    sa.Column('offered', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('answered', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('answered_in_sl', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('answer_wait_s', sa.Double(), server_default=sa.text('0'), nullable=False),
    sa.Column('abandoned', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('short_abandoned', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('abandon_wait_s', sa.Double(), server_default=sa.text('0'), nullable=False),
    sa.Column('handled', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('handle_s', sa.Double(), server_default=sa.text('0'), nullable=False),
    sa.Column('minute', sa.Integer(), nullable=False),
    sa.Column('queue_id', sa.String(length=128), nullable=False),
    sa.PrimaryKeyConstraint('minute', 'queue_id', name=op.f('pk_queue_minute'))
    )
    op.create_table('survey',
    sa.Column('customer_id', sa.String(length=128), nullable=False),
    sa.Column('interaction_id', sa.String(length=128), nullable=True),
    sa.Column('answered_at', sa.Double(), nullable=False),
    sa.Column('nps', sa.Integer(), nullable=True),
    sa.Column('csat', sa.Integer(), nullable=True),
    sa.Column('ces', sa.Integer(), nullable=True),
    sa.Column('trust', sa.String(length=16), nullable=True),
    sa.Column('sincerity', sa.Integer(), nullable=True),
    sa.Column('competence', sa.Integer(), nullable=True),
    sa.Column('reliability', sa.Integer(), nullable=True),
    sa.Column('verbatim', sa.Text(), nullable=True),
    sa.Column('id', sa.String(length=128), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey'))
    )
    with op.batch_alter_table('survey', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_customer_id_answered_at'), ['customer_id', 'answered_at'], unique=False)

    op.create_table('sync_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cursor', sa.String(length=256), nullable=True),
    sa.Column('last_success_at', sa.Double(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('last_error_at', sa.Double(), nullable=True),
    sa.Column('unknown_kinds', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_state'))
    )
    op.create_table('tombstone',
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('id', sa.String(length=128), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'id', name=op.f('pk_tombstone'))
    )
    op.create_table('agent_queue',
    sa.Column('agent_id', sa.String(length=128), nullable=False),
    sa.Column('queue_id', sa.String(length=128), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agent.id'], name=op.f('fk_agent_queue_agent_id_agent'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('agent_id', 'queue_id', name=op.f('pk_agent_queue'))
    )
    with op.batch_alter_table('agent_queue', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agent_queue_queue_id_agent_id'), ['queue_id', 'agent_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('agent_queue', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agent_queue_queue_id_agent_id'))

    op.drop_table('agent_queue')
    op.drop_table('tombstone')
    op.drop_table('sync_state')
    with op.batch_alter_table('survey', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_customer_id_answered_at'))

    op.drop_table('survey')
    op.drop_table('queue_minute')
    op.drop_table('queue_interval')
    op.drop_table('queue')
    op.drop_table('quarantine')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_note_id'))

    op.drop_table('outbox')
    with op.batch_alter_table('note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_note_agent_id_created_at'))

    op.drop_table('note')
    with op.batch_alter_table('interaction', schema=None) as batch_op:
        batch_op.drop_index('ix_interaction_waiting', sqlite_where=sa.text('answered_at IS NULL AND abandoned_at IS NULL AND ended_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_interaction_enqueued_at_agent_id'))
        batch_op.drop_index(batch_op.f('ix_interaction_customer_id_enqueued_at'))
        batch_op.drop_index(batch_op.f('ix_interaction_agent_id_enqueued_at'))

    op.drop_table('interaction')
    op.drop_table('customer')
    with op.batch_alter_table('agent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agent_team'))

    op.drop_table('agent')
