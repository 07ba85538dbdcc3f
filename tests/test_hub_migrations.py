"""The hub database under its own migrations (hub/migrations/), on SQLite and PostgreSQL.

- A new database made by the migrations is exactly the tables hub/tables.py
  declares (Alembic's own comparison finds nothing to change).
- A database from before the migrations (made by the old create_all, format 4,
  32-bit positions on PostgreSQL) is upgraded in place, its records kept, and
  then takes positions and versions past 2^31-1 (the protocol allows 2^63-1).
- A database of a newer floorview is refused, in words.
"""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from floorview.hub.hubstore import HubDatabaseError, HubStore, Scope, open_hub_engine
from floorview.hub.migrate import HUB_HEAD, VERSION_TABLE
from floorview.hub.tables import FORMAT_MARK, metadata

BIG = 2**40  # past 32 bits: PostgreSQL's INTEGER ends at 2^31-1


def test_a_new_database_is_exactly_the_declared_tables(hub_url):
    HubStore(open_hub_engine(hub_url)).engine.dispose()
    engine = create_engine(hub_url)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE, "compare_type": True})
        assert ctx.get_current_revision() == HUB_HEAD
        assert compare_metadata(ctx, metadata) == []
        assert conn.execute(text("SELECT scopes FROM hub_format")).scalar_one() == FORMAT_MARK
    engine.dispose()


# The hub's tables as floorview made them before its migrations (create_all of format 4):
# INTEGER positions and versions, no lease table, no count of lines read.
FORMAT_4 = [
    """CREATE TABLE hub_record (kind VARCHAR(64) NOT NULL, id VARCHAR(128) NOT NULL, version INTEGER NOT NULL,
    op VARCHAR(8) NOT NULL, data TEXT, seq INTEGER NOT NULL, changed_at FLOAT NOT NULL, agent VARCHAR(128),
    queue VARCHAR(128), customer VARCHAR(128), is_private BOOLEAN DEFAULT '0' NOT NULL, PRIMARY KEY (kind, id))""",
    "CREATE UNIQUE INDEX ix_hub_record_seq ON hub_record (seq)",
    "CREATE INDEX ix_hub_record_agent ON hub_record (agent)",
    "CREATE INDEX ix_hub_record_queue ON hub_record (queue)",
    "CREATE INDEX ix_hub_record_customer ON hub_record (customer)",
    """CREATE TABLE hub_agent (id VARCHAR(128) NOT NULL, team VARCHAR(200) NOT NULL, queues TEXT NOT NULL,
    present BOOLEAN NOT NULL, PRIMARY KEY (id))""",
    "CREATE TABLE hub_reach (customer VARCHAR(128) NOT NULL, agents TEXT NOT NULL, queues TEXT NOT NULL, "
    "PRIMARY KEY (customer))",
    """CREATE TABLE hub_meta (id INTEGER NOT NULL, epoch VARCHAR(32) NOT NULL, seq INTEGER NOT NULL,
    purged_seq INTEGER NOT NULL, purge_gen INTEGER DEFAULT '0' NOT NULL, PRIMARY KEY (id))""",
    "CREATE TABLE hub_format (id INTEGER NOT NULL, scopes INTEGER NOT NULL, PRIMARY KEY (id))",
    """CREATE TABLE hub_token (id {serial} NOT NULL, name VARCHAR(200) NOT NULL, token_hash VARCHAR(64) NOT NULL,
    teams TEXT NOT NULL, queues TEXT NOT NULL, created_at FLOAT NOT NULL, expires_at FLOAT, revoked_at FLOAT,
    PRIMARY KEY (id), UNIQUE (token_hash))""",
    """CREATE TABLE hub_source (name VARCHAR(200) NOT NULL, resume TEXT, records_written INTEGER DEFAULT '0' NOT NULL,
    unmapped TEXT DEFAULT '{{}}' NOT NULL, last_record_at FLOAT, updated_at FLOAT NOT NULL, PRIMARY KEY (name))""",
    "INSERT INTO hub_meta VALUES (1, 'e0ld', 2, 0, 0)",
    "INSERT INTO hub_format VALUES (1, 4)",
    """INSERT INTO hub_record (kind, id, version, op, data, seq, changed_at, queue)
    VALUES ('queue', 'q-1', 3, 'upsert', '{{"name": "Sales"}}', 1, 0, NULL),
           ('interaction', 'i-1', 1, 'upsert', '{{"queue_id": "q-1"}}', 2, 0, 'q-1')""",
    """INSERT INTO hub_source (name, resume, records_written, updated_at) VALUES ('simulator', '{{"step": 4}}', 2, 0)""",
]


def test_a_database_from_before_the_migrations_is_upgraded_and_takes_64_bit_versions(hub_url):
    engine = create_engine(hub_url)
    serial = "SERIAL" if engine.dialect.name == "postgresql" else "INTEGER"
    with engine.begin() as conn:
        for statement in FORMAT_4:
            conn.execute(text(statement.format(serial=serial)))
    engine.dispose()

    store = HubStore(open_hub_engine(hub_url))
    assert store.epoch == "e0ld"  # the same log: clients' cursors still hold
    assert store.current("queue", "q-1") == {
        "kind": "queue",
        "id": "q-1",
        "version": 3,
        "op": "upsert",
        "data": {"name": "Sales"},
    }
    assert store.source_state("simulator").resume == {"step": 4}
    assert store.source_state("simulator").records_read == 0
    assert store.write([{"kind": "queue", "id": "q-1", "version": BIG, "op": "upsert", "data": {"name": "Big"}}]) == 1
    rows, last, _ = store.page_rows(Scope("Floor"), 0, 10)
    assert [(r.id, r.version) for r in rows] == [("i-1", 1), ("q-1", BIG)]
    assert last == 3
    with store.engine.connect() as conn:
        conn.execute(text("UPDATE hub_meta SET seq = :s"), {"s": BIG})  # a long-lived log
        conn.commit()
    store.write([{"kind": "queue", "id": "q-2", "version": 1, "op": "upsert", "data": {}}])
    assert store.log_bounds()[2] == BIG + 1
    with store.engine.connect() as conn:
        assert conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar_one() == HUB_HEAD
        assert "hub_lease" in inspect(conn).get_table_names()
    store.engine.dispose()


def test_a_database_of_a_newer_floorview_is_refused_in_words(hub_url):
    HubStore(open_hub_engine(hub_url)).engine.dispose()
    engine = create_engine(hub_url)
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE {VERSION_TABLE} SET version_num = 'h9999'"))
    engine.dispose()
    with pytest.raises(HubDatabaseError, match=rf"newer floorview \(revision h9999; this one knows up to {HUB_HEAD}\)"):
        open_hub_engine(hub_url)
