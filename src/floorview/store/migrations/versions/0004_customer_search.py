"""customer search (an FTS5 trigram index over names, kept by triggers) and the recovery list's indexes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22

A trigram index finds any fragment of three letters or more anywhere in a
name ("ngu" finds Nguyen) in milliseconds over a million customers, where
LIKE '%ngu%' reads every row. It indexes the customer table's own rows
(external content), so it costs no second copy of the names.
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('survey', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_answered_at'), ['answered_at'], unique=False)
    with op.batch_alter_table('interaction', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_interaction_customer_id_queue_id_enqueued_at'),
            ['customer_id', 'queue_id', 'enqueued_at'], unique=False)
        batch_op.create_index('ix_interaction_abandoned_by_time', ['enqueued_at', 'customer_id'], unique=False,
                              sqlite_where=sa.text('abandoned_at IS NOT NULL'))
        batch_op.create_index('ix_interaction_abandoned_by_customer', ['customer_id', 'enqueued_at'], unique=False,
                              sqlite_where=sa.text('abandoned_at IS NOT NULL'))
    op.execute(
        "CREATE VIRTUAL TABLE customer_fts USING fts5("
        "name, content='customer', content_rowid='rowid', tokenize='trigram')"
    )
    op.execute(
        "CREATE TRIGGER customer_fts_insert AFTER INSERT ON customer BEGIN"
        " INSERT INTO customer_fts(rowid, name) VALUES (new.rowid, new.name); END"
    )
    op.execute(
        "CREATE TRIGGER customer_fts_delete AFTER DELETE ON customer BEGIN"
        " INSERT INTO customer_fts(customer_fts, rowid, name) VALUES ('delete', old.rowid, old.name); END"
    )
    op.execute(
        "CREATE TRIGGER customer_fts_update AFTER UPDATE OF name ON customer BEGIN"
        " INSERT INTO customer_fts(customer_fts, rowid, name) VALUES ('delete', old.rowid, old.name);"
        " INSERT INTO customer_fts(rowid, name) VALUES (new.rowid, new.name); END"
    )
    op.execute("INSERT INTO customer_fts(customer_fts) VALUES ('rebuild')")


def downgrade() -> None:
    for trigger in ("customer_fts_insert", "customer_fts_delete", "customer_fts_update"):
        op.execute(f"DROP TRIGGER {trigger}")
    op.execute("DROP TABLE customer_fts")
    with op.batch_alter_table('survey', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_answered_at'))
    with op.batch_alter_table('interaction', schema=None) as batch_op:
        batch_op.drop_index('ix_interaction_abandoned_by_customer')
        batch_op.drop_index('ix_interaction_abandoned_by_time')
        batch_op.drop_index(batch_op.f('ix_interaction_customer_id_queue_id_enqueued_at'))
