"""The store: file safety, SQLite settings, schema versions, and the apply rules."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from floorview.store import schema
from floorview.store.engine import SCHEMA_HEAD, open_engine, open_reader
from floorview.store.location import StoreError


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_store_is_private_and_configured(tmp_path):
    path = tmp_path / "fresh" / "nested" / "floorview.db"
    engine = open_engine(path, default=True)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO tombstone VALUES ('x', 'y', 1)")
        pragmas = {
            name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "foreign_keys", "synchronous", "busy_timeout")
        }
    assert pragmas == {"journal_mode": "wal", "foreign_keys": 1, "synchronous": 2, "busy_timeout": 5000}
    assert _mode(path.parent) == 0o700
    for f in path.parent.iterdir():
        assert _mode(f) == 0o600, f
    engine.dispose()


def test_default_directory_is_tightened(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir(mode=0o755)
    engine = open_engine(folder / "floorview.db", default=True)
    engine.dispose()
    assert _mode(folder) == 0o700


def test_write_transactions_begin_immediate(engine):
    # A transaction that has not written yet already holds the write lock.
    path = engine.url.database
    with engine.begin() as conn:
        conn.exec_driver_sql("SELECT 1")
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()


def test_symlinked_store_is_refused(tmp_path):
    real = tmp_path / "real.db"
    open_engine(real).dispose()
    link = tmp_path / "link.db"
    link.symlink_to(real)
    with pytest.raises(StoreError, match="symbolic link"):
        open_engine(link)
    with pytest.raises(StoreError, match="symbolic link"):
        open_reader(link)


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to give a file away")  # CI runs as root
def test_store_of_another_user_is_refused(tmp_path):
    path = tmp_path / "theirs.db"
    open_engine(path).dispose()
    os.chown(path, 4242, -1)
    with pytest.raises(StoreError, match="belongs to another user"):
        open_reader(path)


def test_store_from_a_newer_floorview_is_refused(tmp_path):
    path = tmp_path / "future.db"
    open_engine(path).dispose()
    con = sqlite3.connect(path)
    con.execute("UPDATE alembic_version SET version_num = '9999'")
    con.commit()
    con.close()
    with pytest.raises(StoreError, match="newer floorview"):
        open_reader(path)


def test_other_sqlite_files_are_refused(tmp_path):
    path = tmp_path / "other.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE stuff (x)")
    con.close()
    with pytest.raises(StoreError, match="not a floorview store"):
        open_engine(path)
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="not a floorview store"):
        open_engine(garbage)


def test_empty_store_file_is_migrated_to_head(tmp_path):
    path = tmp_path / "empty.db"
    path.touch(mode=0o600)
    open_engine(path).dispose()
    con = sqlite3.connect(path)
    assert con.execute("SELECT version_num FROM alembic_version").fetchone()[0] == SCHEMA_HEAD
    con.close()


def test_migrations_match_the_models(engine):
    """The migrations build exactly the schema the models describe."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": schema.include_name})
        diff = compare_metadata(context, schema.Base.metadata)
    assert diff == []


def test_reader_is_read_only(sample_store):
    con = open_reader(sample_store)
    with pytest.raises(sqlite3.OperationalError):
        con.execute("DELETE FROM agent")
    assert con.execute("SELECT count(*) FROM agent").fetchone()[0] == 64


def test_a_store_the_app_will_write_goes_to_wal_before_the_reader_opens(sample_store):
    """A snapshot comes in rollback-journal mode; left so, the first local write
    (a note, an alert) found the reader's reads in the way and failed "database
    is locked". `floorview --db` prepares it; the reader alone never changes it
    (test_local_faults), and a link is refused before anything is touched."""
    import sqlite3

    from floorview.store.engine import open_reader, prepare_for_writes
    from floorview.store.location import StoreError

    def mode(path) -> str:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return con.execute("PRAGMA journal_mode").fetchone()[0]
        finally:
            con.close()

    link = sample_store.with_name("link.db")
    link.symlink_to(sample_store)
    with pytest.raises(StoreError, match="symbolic link"):
        prepare_for_writes(link)
    assert mode(sample_store) == "delete"
    open_reader(sample_store).close()
    assert mode(sample_store) == "delete"
    prepare_for_writes(sample_store)
    assert mode(sample_store) == "wal"


def test_the_writer_connects_in_the_mode_it_finds_when_wal_must_wait(sample_store):
    """Opened in rollback-journal mode while a read holds the file, the writer
    cannot switch to WAL (SQLite answers "locked" at once): it connects and
    writes in the mode it finds, rather than failing the note."""
    from floorview.store.engine import open_engine, open_reader

    reader = open_reader(sample_store)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM note").fetchone()  # a read under way holds a shared lock
    engine = open_engine(sample_store)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "delete"
        reader.execute("COMMIT")
        with engine.begin() as conn:
            conn.exec_driver_sql("UPDATE sync_state SET unknown_kinds = unknown_kinds WHERE id = 1")
    finally:
        engine.dispose()
        reader.close()
