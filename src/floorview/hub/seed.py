"""`floorview seed`: write a store holding a simulated floor."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from floorview.sources.simulator.floorplan import SITE_TZ
from floorview.sources.simulator.floor import Floor
from floorview.store.apply import ApplyResult

STEP = 900  # simulate in 15-minute steps so finished contacts leave memory
DAYS = {"small": 1, "large": 16}  # large: sixteen days of history, about two million contacts


def first_midnight(end: float, days: int, site_tz: str = SITE_TZ) -> float:
    """Midnight, site time, `days - 1` days before the day of `end`."""
    zone = ZoneInfo(site_tz)
    last = datetime.fromtimestamp(end, zone)
    return datetime.combine(last.date() - timedelta(days=days - 1), datetime.min.time(), zone).timestamp()


def run_floor(floor: Floor, end: float) -> Iterator[list[dict]]:
    """Batches of changes as `floor` runs up to `end`; then every customer not yet met."""
    t = floor.t
    while t < end:
        t = min(end, t + STEP)
        yield floor.advance(t)
    yield list(floor.remaining_customers())


def simulated_changes(seed: int, end: float, scale: str = "small", days: int | None = None) -> Iterator[list[dict]]:
    """The changes of a floor run from midnight, `days` (default `DAYS[scale]`) days back, up to `end`."""
    floor = Floor(seed, first_midnight(end, days or DAYS[scale]), scale)
    return run_floor(floor, end)


def seed_store(path: Path, seed: int, scale: str, end: float, days: int | None = None) -> ApplyResult:
    from sqlalchemy import update

    from floorview.store import schema
    from floorview.store.apply import ensure_sync_state
    from floorview.store.bulk import load_changes
    from floorview.store.engine import open_engine

    if Path(path).exists():
        raise FileExistsError(f"{path} exists; seed writes a new store")
    engine = open_engine(Path(path))
    try:
        with engine.begin() as conn:
            result = load_changes(conn, simulated_changes(seed, end, scale, days), end)
            ensure_sync_state(conn)
            conn.execute(
                update(schema.SyncState).where(schema.SyncState.id == 1).values(source="snapshot", last_success_at=end)
            )
    finally:
        engine.dispose()
    compact(Path(path))
    return result


def compact(path: Path) -> None:
    """Fold the WAL into the file and drop free pages: one self-contained file."""
    import sqlite3

    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.execute("VACUUM")
        con.execute("PRAGMA journal_mode=DELETE")  # a snapshot travels as one file
    finally:
        con.close()
