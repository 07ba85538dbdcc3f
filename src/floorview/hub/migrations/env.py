"""Alembic environment for the hub's database: run from code (hub/migrate.py)
on a connection already inside the hub's write transaction, so a migration's
DDL, its version stamp and the hub's own checks commit together (PostgreSQL
DDL is transactional; on SQLite the write lock serialises the hubs)."""

from alembic import context

from floorview.hub.migrate import VERSION_TABLE
from floorview.hub.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, version_table=VERSION_TABLE)
with context.begin_transaction():  # inside the caller's transaction: no commit of its own
    context.run_migrations()
