"""Alembic environment: online migrations against one SQLite file.

The driver's own transaction handling is switched off and every transaction
begun explicitly, so a migration's DDL and its version stamp commit together
or not at all.
"""

from alembic import context
from sqlalchemy import create_engine, event

from floorview.store.schema import Base, include_name

config = context.config
engine = create_engine(config.get_main_option("sqlalchemy.url"))


@event.listens_for(engine, "connect")
def _connect(dbapi_con, _record):
    dbapi_con.isolation_level = None
    dbapi_con.execute("PRAGMA journal_mode=WAL")
    dbapi_con.execute("PRAGMA busy_timeout=5000")


@event.listens_for(engine, "begin")
def _begin(conn):
    conn.exec_driver_sql("BEGIN IMMEDIATE")


with engine.connect() as connection:
    context.configure(
        connection=connection, target_metadata=Base.metadata, render_as_batch=True, include_name=include_name
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
