"""`floorview hub`: serve the feed from a database, optionally with a live simulated floor."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

from floorview.hub.hubstore import HubStore, open_hub_engine

log = logging.getLogger(__name__)


class FloorFeeder:
    """Runs the simulated floor into the hub's log: today so far at once, then live.

    At `speed` X the floor's clock runs X times as fast as the wall clock,
    starting from now (so at X > 1 its timestamps run ahead of real time).
    """

    def __init__(self, store: HubStore, seed: int, speed: float = 1.0, tick_s: float = 1.0) -> None:
        self.store, self.seed, self.speed, self.tick_s = store, seed, speed, tick_s
        self.stop = threading.Event()
        self.ready = threading.Event()

    def run(self) -> None:
        from floorview.hub.floorplan import afternoon_zone
        from floorview.hub.seed import first_midnight, run_floor
        from floorview.hub.simulator import Floor

        real0 = time.time()
        zone = afternoon_zone(real0)
        floor = Floor(self.seed, first_midnight(real0, 1, zone), "small", zone)
        try:
            for batch in run_floor(floor, real0):
                self.store.write(batch)
        finally:
            self.ready.set()  # also on failure: the hub still serves what it has
        while not self.stop.wait(self.tick_s):
            sim_now = real0 + (time.time() - real0) * self.speed
            changes = floor.advance(sim_now)
            if changes:
                self.store.write(changes)


def serve(
    db_url: str,
    host: str = "127.0.0.1",
    port: int = 8765,
    simulate: bool = False,
    seed: int = 7,
    speed: float = 1.0,
    on_ready: Callable[[int], None] | None = None,
    parent_pid: int | None = None,
    bootstrap_token: str | None = None,
) -> None:
    """Serve until interrupted. `on_ready(port)` is called once the port is bound;
    with `parent_pid`, the hub also ends when that process is gone."""
    import uvicorn

    from floorview.hub.server import create_app

    store = HubStore(open_hub_engine(db_url))
    if bootstrap_token:  # the demo: the parent made the token and handed it over privately
        store.add_token(bootstrap_token, "demo")
    feeder = None
    if simulate:
        feeder = FloorFeeder(store, seed, speed)
        # Written while uvicorn starts; the port is announced once the day so far
        # is in, so the demo never shows a half-written morning as "live".
        threading.Thread(target=feeder.run, name="floor", daemon=True).start()
    config = uvicorn.Config(
        create_app(store), host=host, port=port, log_level="warning", access_log=False,
        timeout_graceful_shutdown=2,  # long polls would otherwise hold a stop for up to 25 s
    )
    server = uvicorn.Server(config)

    def watch() -> None:  # started before serving: report the port, then mind the parent
        while not server.started:
            if server.should_exit:
                return
            time.sleep(0.05)
        while feeder is not None and not feeder.ready.wait(0.05):
            if server.should_exit:
                return
        if on_ready is not None:
            on_ready(server.servers[0].sockets[0].getsockname()[1])
        while parent_pid is not None and not server.should_exit:
            if os.getppid() != parent_pid:  # orphaned: the app that started us is gone
                log.warning("parent %s gone; hub stopping", parent_pid)
                server.should_exit = True
            time.sleep(0.5)

    def purge() -> None:  # old tombstones go; cursors from before them answer 410
        while not server.should_exit:
            try:
                store.purge_tombstones()
            except Exception:
                log.exception("purging tombstones failed")
            for _ in range(3600):
                if server.should_exit:
                    return
                time.sleep(1)

    threading.Thread(target=watch, name="watch", daemon=True).start()
    threading.Thread(target=purge, name="purge", daemon=True).start()
    try:
        server.run()
    finally:
        if feeder is not None:
            feeder.stop.set()
