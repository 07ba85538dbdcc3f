from __future__ import annotations

import os
import shutil
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

# The process runs in UTC, as a shared jump host does: times on screen are the
# site's all the same (tests/test_site_time.py also runs in a far zone).
os.environ["TZ"] = "UTC"
time.tzset()
for _name in [n for n in os.environ if n.startswith("FLOORVIEW_")]:
    del os.environ[_name]

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample.db"
# sample.db is `floorview seed sample.db --seed 7 --days 8 --at` this moment:
# today so far and the seven days before (the Balance screen's week).
SAMPLE_AT = datetime(2026, 11, 20, 10, 30, tzinfo=ZoneInfo("America/New_York"))
SAMPLE_SEED = 7
SAMPLE_DAYS = 8


@pytest.fixture(scope="session", autouse=True)
def sample_db_stays_untouched():
    """The repository's sample.db is compared with the generator and copied by
    every test that needs a store: a test that writes to it (or switches its
    journal mode by opening it to write) would change every test after it."""
    import hashlib

    def digest() -> str:
        return hashlib.sha256(SAMPLE.read_bytes()).hexdigest()

    before = digest()
    yield
    assert digest() == before, "a test changed the repository's sample.db: use the sample_store fixture (a copy)"
    assert not SAMPLE.with_name("sample.db-wal").exists(), "a test opened sample.db in WAL mode"


@pytest.fixture
def sample_store(tmp_path: Path) -> Path:
    """A private copy of sample.db (tests may write to it)."""
    path = tmp_path / "store" / "floorview.db"
    path.parent.mkdir(mode=0o700)
    shutil.copyfile(SAMPLE, path)
    path.chmod(0o600)
    return path


def apply_to(store: Path, changes: list[dict], at: float | None = None) -> None:
    """Feed changes applied to a store (a copy: see sample_store) as a sync would apply a hub's,
    the per-minute and per-interval sums kept as the store keeps them."""
    from floorview.store.apply import Applier
    from floorview.store.engine import open_engine

    engine = open_engine(store)
    try:
        with engine.begin() as conn:
            result = Applier(conn, SAMPLE_AT.timestamp() if at is None else at).apply(changes)
            assert result.quarantined == 0
    finally:
        engine.dispose()


def add_waiting(store: Path, callers: list[tuple[str, float, str | None]], at: float | None = None) -> list[str]:
    """Contacts waiting in a copy of the sample: (queue, seconds waited by `at`, customer), `at`
    the sample's moment unless given. At its moment only Tech support (the queue in trouble) has
    callers waiting on the sample's live queues, three, for 10 to 28 s (SQL on sample.db); a test
    about a caller waiting elsewhere puts one there. Their ids."""
    import sqlite3
    from datetime import timezone

    when = SAMPLE_AT.timestamp() if at is None else at
    con = sqlite3.connect(store)
    channels = dict(con.execute("SELECT id, channel FROM queue"))
    con.close()
    changes = []
    for n, (queue, waited, customer) in enumerate(callers):
        enqueued = datetime.fromtimestamp(when - waited, timezone.utc).isoformat()
        data = {"queue_id": queue, "channel": channels[queue], "customer_id": customer, "enqueued_at": enqueued}
        changes.append({"kind": "interaction", "id": f"i-waiting-{n + 1}", "version": 1, "op": "upsert", "data": data})
    apply_to(store, changes, when)
    return [c["id"] for c in changes]


@pytest.fixture
def hub(tmp_path: Path):
    """The reference hub on loopback, on a fresh database (tests/hubs.py)."""
    from .hubs import start_hub

    running = start_hub(tmp_path / "hub.db")
    yield running
    running.stop()


@pytest.fixture
def local(tmp_path: Path):
    """A client store, fresh (the engine the sync writes through)."""
    from floorview.store.engine import open_engine

    engine = open_engine(tmp_path / "client" / "floorview.db")
    yield engine
    engine.dispose()


@pytest.fixture
def scripted():
    """A misbehaving hub on loopback that answers whatever the test scripts (tests/hubs.py)."""
    from .hubs import Scripted

    server = Scripted()
    yield server
    server.stop()


@pytest.fixture
def engine(tmp_path: Path):
    from floorview.store.engine import open_engine

    eng = open_engine(tmp_path / "data" / "test.db")
    yield eng
    eng.dispose()


def make_app(store: Path, now: float | None = None, **settings):
    """The TUI on a store, at a frozen moment (the sample's, by default)."""
    from floorview.config import Settings
    from floorview.domain.clock import FrozenClock
    from floorview.store.engine import open_reader, prepare_for_writes
    from floorview.tui.app import FloorviewApp

    prepare_for_writes(store)  # as `floorview --db` does for a store it may write
    clock = FrozenClock(SAMPLE_AT.timestamp() if now is None else now)
    return FloorviewApp(Settings(**settings), store, clock=clock, reader=open_reader(store), source_label="SNAPSHOT")


async def settle(pilot, selector: str = "LiveTable", rows: bool = True):
    """Wait until the refresh worker has delivered and the table has rows."""
    from textual.css.query import NoMatches

    app = pilot.app
    for _ in range(300):
        await pilot.pause(0.01)
        try:
            table = app.screen.query_one(selector)
        except NoMatches:
            continue
        if not app._loading and (table.row_count or not rows):
            await pilot.pause()
            return table
    raise AssertionError(f"{selector} never filled")


async def wait_for(pilot, condition, tries: int = 500) -> None:
    """Let the app run until `condition()` holds (workers, messages, repaints)."""
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError("condition never held")


# -- PostgreSQL: the hub's tests run on it as well as on SQLite ----------------------------------
@pytest.fixture(scope="session")
def pg_server():
    """A throwaway PostgreSQL server for the session (tests/pgserver.py)."""
    from tests.pgserver import PostgresServer

    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def hub_dbs(request, tmp_path):
    """Makes new, empty hub databases (their URLs): SQLite files in tmp_path
    (hub.db first), or databases on the session's PostgreSQL."""
    if request.param == "sqlite":
        made = iter(range(1_000_000))
        return lambda: f"sqlite:///{tmp_path / f'hub{next(made) or str()}.db'}"
    return request.getfixturevalue("pg_server").database


@pytest.fixture
def hub_url(hub_dbs):
    """A new, empty hub database's URL, on SQLite and on PostgreSQL."""
    return hub_dbs()
