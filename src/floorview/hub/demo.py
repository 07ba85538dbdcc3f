"""The demo floor: a simulated floor run live into a fresh demo store.

A stepping stone until the sync issue: then the demo is a simulating hub on
loopback and the TUI syncs from it over HTTP like from any other hub.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from floorview.domain.clock import Clock
from floorview.hub.floorplan import afternoon_zone
from floorview.hub.seed import first_midnight, run_floor
from floorview.hub.simulator import Floor

log = logging.getLogger(__name__)


class DemoFloor:
    label = "DEMO"

    def __init__(self, path: Path, seed: int, clock: Clock, interval_s: float = 1.0) -> None:
        self.path, self.seed, self.clock, self.interval_s = Path(path), seed, clock, interval_s

    def reset_store(self) -> None:
        """The demo starts from an empty store each time: its floor restarts too."""
        for suffix in ("", "-wal", "-shm"):
            side = self.path.with_name(self.path.name + suffix)
            if side.is_symlink() or side.exists():
                side.unlink()

    def run(self, report: Callable[[str, str | None], None], stop: threading.Event) -> None:
        from sqlalchemy import update

        from floorview.store import schema
        from floorview.store.apply import Applier, ensure_sync_state
        from floorview.store.bulk import load_changes
        from floorview.store.engine import open_engine

        report("starting", "creating the demo store")
        self.reset_store()
        engine = open_engine(self.path)
        try:
            now = self.clock.now()
            report("starting", "simulating today's floor since midnight")
            zone = afternoon_zone(now)  # somewhere the floor is at work now
            floor = Floor(self.seed, first_midnight(now, 1, zone), "small", zone)

            def stamp(conn, at: float) -> None:
                ensure_sync_state(conn)
                conn.execute(
                    update(schema.SyncState)
                    .where(schema.SyncState.id == 1)
                    .values(source="demo", last_success_at=at)
                )

            with engine.begin() as conn:
                load_changes(conn, run_floor(floor, now), now)
                stamp(conn, now)
            report("live", None)
            while not stop.wait(self.interval_s):
                now = self.clock.now()
                changes = floor.advance(now)
                with engine.begin() as conn:
                    if changes:
                        Applier(conn, now).apply(changes)
                    stamp(conn, now)
                report("live", None)
        finally:
            engine.dispose()
