"""Positions and versions 64-bit everywhere (the protocol allows 2^63-1;
PostgreSQL's INTEGER stops at 2^31-1), a count of what each source read,
and the table of source leases (a source runs in one hub process at a time).
The format marker moves to 5, so a hub from before the migrations, which
reads only the marker, refuses this database instead of writing into it.

SQLite's INTEGER is 64-bit already and SQLite cannot change a column's type:
the types change on other databases only.

Revision ID: h0002
Revises: h0001
"""

import sqlalchemy as sa
from alembic import op

revision = "h0002"
down_revision = "h0001"
branch_labels = None
depends_on = None

WIDE = {
    "hub_record": ("version", "seq"),
    "hub_meta": ("seq", "purged_seq", "purge_gen"),
    "hub_source": ("records_written",),
}


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        for table, columns in WIDE.items():
            for column in columns:
                op.alter_column(table, column, type_=sa.BigInteger(), existing_nullable=False)
    op.add_column(
        "hub_source",
        sa.Column(
            "records_read",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
            server_default="0",
        ),
    )
    op.create_table(
        "hub_lease",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
        sa.Column("taken_at", sa.Float, nullable=False),
    )
    op.execute(sa.text("UPDATE hub_format SET scopes = 5"))


def downgrade() -> None:
    raise NotImplementedError("the hub's database is not downgraded")
