"""Alembic environment: online migrations against one SQLite file.

The store's engine factory (store/engine.py: `sqlite_engine`) switches the
driver's own transaction handling off and begins every transaction
explicitly, so a migration's DDL and its version stamp commit together or
not at all; its connections have the store's settings, foreign keys off.
"""

from alembic import context

from floorview.store.engine import sqlite_engine
from floorview.store.schema import Base, include_name

config = context.config
url = config.get_main_option("sqlalchemy.url")
if url is None:
    raise RuntimeError("the migrations need sqlalchemy.url (store/migrate.py sets it)")
engine = sqlite_engine(url, migrating=True)


with engine.connect() as connection:
    context.configure(
        connection=connection, target_metadata=Base.metadata, render_as_batch=True, include_name=include_name
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
