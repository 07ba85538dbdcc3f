"""Opening a store: file checks, SQLite settings, schema version.

Two ways in:
- `open_engine` (SQLAlchemy) for the writer: migrations, applying changes.
- `open_reader` (the standard library's sqlite3) for the screens. The
  screens must paint within a fraction of a second of start-up, and
  importing SQLAlchemy alone costs more than all of Textual; the queries in
  `reads.py` are plain SQL over the same schema.

Both check the schema version without importing Alembic; only a store that
needs an upgrade pays for it.

`sqlite_engine` is the one way floorview opens an SQLite database with
SQLAlchemy, with the one set of settings (`PRAGMAS`): the store's writer,
the migration runner (store/migrations/env.py) and the hub on SQLite
(hub/hubstore.py). The readers take the same set, less the journal mode.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from floorview.store.location import StoreError, check_store_file, secure_directory

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

# The newest migration this floorview knows. Keep in step with migrations/versions.
SCHEMA_HEAD = "0009"
KNOWN_REVISIONS = ("0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008")

BUSY_TIMEOUT_MS = 5000
# Every connection to a database floorview works in: the store (writer and
# readers), its migrations, the hub on SQLite.
PRAGMAS = (
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",  # first: switching to WAL takes a lock, and must wait for one too
    "PRAGMA journal_mode=WAL",  # readers never wait for the writer
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=FULL",  # a commit survives a power cut
)
# While a migration runs, foreign keys are off: rebuilding a table (Alembic's
# batch mode on SQLite) drops the old one, and with them on that drop would
# delete or refuse the rows that refer to it (agent_queue's ON DELETE CASCADE).
# SQLite's own procedure for schema changes: https://sqlite.org/lang_altertable.html
MIGRATION_PRAGMAS = tuple("PRAGMA foreign_keys=OFF" if "foreign_keys" in p else p for p in PRAGMAS)
# An execution option: with begin="marked", the transactions of a connection
# carrying it take the write lock at once (BEGIN IMMEDIATE), the others not.
WRITE_OPTION = "floorview_write"


def prepare_path(path: Path, *, create: bool, default: bool = False) -> Path:
    path = Path(path).expanduser()
    secure_directory(path.parent, own_default=default)
    check_store_file(path, create=create)
    return path


def schema_revision(path: Path) -> str | None:
    """The store's Alembic revision, or None for an empty file."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        row = con.execute("SELECT name FROM sqlite_master WHERE type='table' AND name='alembic_version'").fetchone()
        if row is None:
            tables = con.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if tables:
                raise StoreError(f"{path} is an SQLite file but not a floorview store")
            return None
        rev = con.execute("SELECT version_num FROM alembic_version").fetchone()
        return rev[0] if rev else None
    except sqlite3.OperationalError:
        # It cannot be read now (the disk full, the file or its directory
        # read-only, an I/O error): a fault of this machine, not of the file.
        raise
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path} is not a floorview store ({exc})") from None
    finally:
        con.close()


def ensure_schema(path: Path) -> None:
    """Bring the store to SCHEMA_HEAD; refuse one written by a newer floorview."""
    rev = schema_revision(path)
    if rev == SCHEMA_HEAD:
        return
    if rev is not None and rev not in KNOWN_REVISIONS:
        raise StoreError(
            f"{path} was written by a newer floorview (schema {rev}; this one knows up to "
            f"{SCHEMA_HEAD}). Upgrade floorview, or point --db at another store."
        )
    from floorview.store.migrate import upgrade

    upgrade(path)


def open_engine(path: Path, *, create: bool = True, default: bool = False) -> Engine:
    """The writer's engine: WAL, busy timeout, foreign keys, synchronous FULL,
    and every transaction begun IMMEDIATE so writers never deadlock on upgrade."""
    path = prepare_path(path, create=create, default=default)
    old_umask = os.umask(0o077)  # the -wal and -shm files SQLite creates are ours alone
    try:
        ensure_schema(path)
        return _engine(path)
    finally:
        os.umask(old_umask)


def _engine(path: Path) -> Engine:
    return sqlite_engine(f"sqlite:///{path}")


def sqlite_engine(url: str, *, begin: Literal["immediate", "marked"] = "immediate", migrating: bool = False) -> Engine:
    """An SQLAlchemy engine on an SQLite database, every connection set with
    `PRAGMAS` (`MIGRATION_PRAGMAS` when `migrating`), the driver's own
    transaction handling off and every transaction begun by us:
    `begin="immediate"`, each takes the write lock at once, so writers never
    deadlock on upgrade; `begin="marked"`, only those of a connection with
    the `WRITE_OPTION` execution option do, and the others (reads, in WAL)
    never wait for a writer."""
    from sqlalchemy import create_engine, event
    from sqlalchemy.engine import make_url

    if make_url(url).get_backend_name() != "sqlite":
        raise ValueError(f"not an SQLite database: {make_url(url).render_as_string(hide_password=True)}")
    pragmas = MIGRATION_PRAGMAS if migrating else PRAGMAS
    # hide_parameters: an error must never carry a note's text (or a token) into a log or onto the screen.
    engine = create_engine(url, hide_parameters=True)

    @event.listens_for(engine, "connect")
    def _connect(dbapi_con: sqlite3.Connection, _record: object) -> None:
        dbapi_con.isolation_level = None  # we issue BEGIN ourselves
        for pragma in pragmas:
            try:
                dbapi_con.execute(pragma)
            except sqlite3.OperationalError as exc:
                # Switching a rollback-journal store (a snapshot) to WAL needs it
                # to itself, and the screens' reader, reading every second, may
                # hold it: SQLite answers "locked" at once, whatever the busy
                # timeout. Write in the journal mode it has; a later connection
                # switches it. Any other refusal stands.
                if "journal_mode" not in pragma or "locked" not in str(exc):
                    raise

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        immediate = begin == "immediate" or conn.get_execution_options().get(WRITE_OPTION)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def prepare_for_writes(path: Path) -> None:
    """Put a store the app will write (notes, alerts) in WAL mode before the
    screens' reader opens on it. A snapshot comes in rollback-journal mode, a
    self-contained file; in that mode every read holds a lock that a write
    must wait out, and switching later needs the file to itself, which the
    reader, reading every second, denies ("database is locked"). The reader
    itself never does this (--offline reads a snapshot as it is). A file we
    cannot write, or one in use elsewhere, is left as it is."""
    path = prepare_path(path, create=False)  # the store's checks first: never through a link
    if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
        return
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        if con.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            con.execute("PRAGMA journal_mode=WAL")
    except sqlite3.OperationalError:
        pass  # in use elsewhere: the writer's own connection switches it when it can
    finally:
        con.close()


def open_reader(path: Path) -> sqlite3.Connection:
    """A connection for the screens' reads (stdlib sqlite3, cheap to import).

    It refuses to create or migrate: the writer does that before readers open.
    """
    path = prepare_path(path, create=False)
    try:
        rev = schema_revision(path)
    except sqlite3.OperationalError as exc:
        raise StoreError(f"cannot read the store {path}: {exc}") from None
    if rev != SCHEMA_HEAD:
        ensure_schema(path)  # an older store: upgrade, or a clear refusal
    con = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    for pragma in PRAGMAS:
        if "journal_mode" not in pragma:  # a reader never changes the store (a snapshot may be read-only)
            con.execute(pragma)
    con.execute("PRAGMA query_only=ON")
    return con
