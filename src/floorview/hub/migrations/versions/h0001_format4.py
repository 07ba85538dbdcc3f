"""The hub's tables as format 4 left them: made on a new database, and the
missing ones added to a database made before the hub had migrations (each
format added tables; hub/hubstore.py then rewrites its rows to format 4).

A frozen copy of the tables, not hub/tables.py: later revisions change those.

Revision ID: h0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "h0001"
down_revision = None
branch_labels = None
depends_on = None


def _tables(md: sa.MetaData) -> None:
    record = sa.Table(
        "hub_record",
        md,
        sa.Column("kind", sa.String(64), primary_key=True),
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("op", sa.String(8), nullable=False),
        sa.Column("data", sa.Text),
        sa.Column("seq", sa.Integer, nullable=False, index=True, unique=True),
        sa.Column("changed_at", sa.Float, nullable=False),
        sa.Column("agent", sa.String(128)),
        sa.Column("queue", sa.String(128)),
        sa.Column("customer", sa.String(128)),
        sa.Column("is_private", sa.Boolean, nullable=False, server_default="0"),
    )
    for col in ("agent", "queue", "customer"):
        c = record.c[col]
        sa.Index(f"ix_hub_record_{col}", c, sqlite_where=c.is_not(None), postgresql_where=c.is_not(None))
    sa.Table(
        "hub_agent",
        md,
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("team", sa.String(200), nullable=False),
        sa.Column("queues", sa.Text, nullable=False),
        sa.Column("present", sa.Boolean, nullable=False),
    )
    sa.Table(
        "hub_reach",
        md,
        sa.Column("customer", sa.String(128), primary_key=True),
        sa.Column("agents", sa.Text, nullable=False),
        sa.Column("queues", sa.Text, nullable=False),
    )
    sa.Table(
        "hub_meta",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("epoch", sa.String(32), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("purged_seq", sa.Integer, nullable=False),
        sa.Column("purge_gen", sa.Integer, nullable=False, server_default="0"),
    )
    sa.Table(
        "hub_format",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("scopes", sa.Integer, nullable=False),
    )
    sa.Table(
        "hub_token",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("teams", sa.Text, nullable=False),
        sa.Column("queues", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("expires_at", sa.Float),
        sa.Column("revoked_at", sa.Float),
    )
    sa.Table(
        "hub_source",
        md,
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("resume", sa.Text),
        sa.Column("records_written", sa.Integer, nullable=False, server_default="0"),
        sa.Column("unmapped", sa.Text, nullable=False, server_default="{}"),
        sa.Column("last_record_at", sa.Float),
        sa.Column("updated_at", sa.Float, nullable=False),
    )


def upgrade() -> None:
    md = sa.MetaData()
    _tables(md)
    md.create_all(op.get_bind(), checkfirst=True)


def downgrade() -> None:
    raise NotImplementedError("the hub's database is not downgraded")
