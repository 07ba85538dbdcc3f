"""One SQLite engine factory with one set of settings (store/engine.py,
`sqlite_engine` and `PRAGMAS`): the store's writer and readers, its migration
runner and the hub on SQLite read back the same pragmas, on real files."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from floorview.hub import hubstore
from floorview.hub.hubstore import open_hub_engine
from floorview.store import engine as store_engine
from floorview.store.engine import open_engine, open_reader, sqlite_engine

NAMES = ("journal_mode", "foreign_keys", "synchronous", "busy_timeout")
SETTINGS = {"journal_mode": "wal", "foreign_keys": 1, "synchronous": 2, "busy_timeout": 5000}


def _read(con: Any) -> dict[str, Any]:
    return {name: con.execute(f"PRAGMA {name}").fetchone()[0] for name in NAMES}


def test_the_store_its_migrations_and_the_hub_get_the_same_pragmas(tmp_path: Path, monkeypatch):
    # The migration runner's connections, read as each is made (after the factory has set it).
    made = store_engine.sqlite_engine
    migrating: list[dict[str, Any]] = []

    def recording(url: str, **options: Any):
        engine = made(url, **options)
        if options.get("migrating"):
            event.listen(engine, "connect", lambda dbapi_con, _record: migrating.append(_read(dbapi_con)))
        return engine

    monkeypatch.setattr(store_engine, "sqlite_engine", recording)
    store = tmp_path / "store" / "floorview.db"
    writer = open_engine(store)  # a new file: the migrations run first
    with writer.connect() as conn:
        assert _read(conn.connection.dbapi_connection) == SETTINGS
    writer.dispose()
    reader = open_reader(store)
    try:
        assert _read(reader) == SETTINGS  # the journal mode is the file's (set by the writer), read not set
        assert reader.execute("PRAGMA query_only").fetchone()[0] == 1
    finally:
        reader.close()

    hub = open_hub_engine(f"sqlite:///{tmp_path / 'hub.db'}")
    with hub.connect() as conn:
        assert _read(conn.connection.dbapi_connection) == SETTINGS
    hub.dispose()

    # The migrations: the same, but foreign keys off while tables are rebuilt (store/engine.py).
    assert migrating and all(got == {**SETTINGS, "foreign_keys": 0} for got in migrating), migrating
    for path in (store, tmp_path / "hub.db"):  # WAL is the files' own, whoever opens them next
        con = sqlite3.connect(path)
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        con.close()


def test_the_factory_is_for_sqlite_only_and_the_hub_on_postgresql_gets_no_pragmas(monkeypatch):
    with pytest.raises(ValueError, match="not an SQLite database"):
        sqlite_engine("postgresql://floorview:secret@db.example/hub")
    made: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(hubstore, "create_engine", lambda url, **kw: made.append((url, kw)) or "pg-engine")
    monkeypatch.setattr(hubstore, "sqlite_engine", lambda *a, **kw: pytest.fail("SQLite settings on PostgreSQL"))
    assert hubstore.hub_engine("postgresql://floorview@db.example/hub") == "pg-engine"
    ((url, kw),) = made
    assert str(url) == "postgresql://floorview@db.example/hub"
    # Errors never log parameters; the pool checks a connection before use and grows to the server's threads.
    assert kw == {"hide_parameters": True, "pool_size": 10, "max_overflow": 30, "pool_pre_ping": True}
