"""`floorview hub`: serve the feed from a database, optionally with a live simulated floor."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from types import FrameType
from typing import TYPE_CHECKING

from floorview.hub.hubstore import HubStore, open_hub_engine
from floorview.hub.supervise import WriterStatus, supervise

if TYPE_CHECKING:
    from floorview.hub.sources import SourceRunner
    from floorview.sources.base import Source
    from floorview.sources.simulator.floor import Floor

log = logging.getLogger(__name__)

HEADER_TIMEOUT_S = 10.0  # from a connection's start, or the end of its last answer, to a request's last header
KEEP_ALIVE_S = 5  # an idle connection between requests
PURGE_EVERY_S = 3600.0


def hub_config(app, host: str, port: int, header_timeout: float = HEADER_TIMEOUT_S, **overrides):
    """The uvicorn configuration the hub serves with (tests use it too)."""
    import uvicorn

    settings = dict(
        host=host,
        port=port,
        http=_protocol(header_timeout),
        log_level="warning",
        access_log=False,
        timeout_keep_alive=KEEP_ALIVE_S,
        h11_max_incomplete_event_size=16 * 1024,  # a request line and headers: at most 16 KiB
        timeout_graceful_shutdown=2,  # long polls would otherwise hold a stop for up to 25 s
    )
    settings.update(overrides)
    return uvicorn.Config(app, **settings)


def _protocol(header_timeout: float):
    """uvicorn's h11 protocol with a deadline for a request's headers (audit L1).

    uvicorn bounds the idle time between requests (`timeout_keep_alive`) but
    not the time a client takes to send a request's headers: a client sending
    one byte a second holds a connection, and a socket, for ever (slowloris).
    Here a request's headers must be complete within `header_timeout` of the
    connection opening, or of the previous answer on it; otherwise the
    connection is closed. A request being answered (a long poll included) is
    not limited. Built on uvicorn's H11Protocol (the hub names it explicitly,
    so httptools, if installed, does not bypass it); tests/test_hub_hardening
    holds it to its word on each uvicorn the lock file names.
    """
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class HubH11Protocol(H11Protocol):
        _deadline = None

        def connection_made(self, transport) -> None:
            super().connection_made(transport)
            self._arm()

        def handle_events(self) -> None:
            super().handle_events()
            if self.cycle is not None and not self.cycle.response_complete:
                self._disarm()  # a request's headers are in: it is being answered

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing() and (self.cycle is None or self.cycle.response_complete):
                self._arm()  # the next request's headers, from now

        def connection_lost(self, exc) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            self._disarm()
            self._deadline = self.loop.call_later(header_timeout, self._too_slow)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _too_slow(self) -> None:
            self._deadline = None
            if (self.cycle is None or self.cycle.response_complete) and not self.transport.is_closing():
                self.transport.close()

    return HubH11Protocol


class FloorFeeder:
    """Runs the simulated floor into the hub's log: today so far at once, then live.

    The floor is a source (sources/simulator/) run like any other
    (hub/sources.py): at `speed` X its clock runs X times as fast as the wall
    clock, from when it first started (so at X > 1 its timestamps run ahead
    of real time). Its resume point, committed with its records, lets a
    restarted hub carry on with the floor it had rather than start a new one.

    A write that fails (the database locked past its timeout, a full disk)
    does not end the floor: the thread logs it and starts its work again
    with backoff (supervise.py), `status` says so in `/v1/health`, and the
    batch that failed is kept and written first, so no change of the floor
    is lost.
    """

    def __init__(
        self, store: HubStore, seed: int, speed: float = 1.0, tick_s: float = 1.0, day_start: float | None = None
    ) -> None:
        """`day_start`: the floor's first moment (default: the site's midnight)."""
        from floorview.sources.simulator.floorplan import afternoon_zone
        from floorview.hub.seed import first_midnight
        from floorview.sources.simulator.floor import Floor
        from floorview.hub.sources import SourceRunner
        from floorview.sources.simulator import SimulatorSource

        self.store, self.seed, self.speed, self.tick_s = store, seed, speed, tick_s
        now = time.time()
        zone = afternoon_zone(now)
        start = first_midnight(now, 1, zone) if day_start is None else day_start

        def make() -> SimulatorSource:  # afresh after another hub process ran the floor (leases.py)
            return SimulatorSource(Floor, seed, zone, start, speed, tick_s)

        self.runner = SourceRunner(store, make(), status_name="floor", remake=make)
        self.stop, self.ready, self.status = self.runner.stop, self.runner.ready, self.runner.status

    @property
    def floor(self) -> Floor | None:
        """The floor, once started."""
        return self.runner.source.floor  # type: ignore[attr-defined]  # a SimulatorSource's Floor

    def run(self) -> None:
        """The thread's body: the floor's work, started again after an error, until `stop`."""
        self.runner.run()


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
    sources: Sequence[Source] = (),
) -> None:
    """Serve until interrupted. `on_ready(port)` is called once the port is bound and
    every source has caught up with its platform's history; with `parent_pid`, the hub
    also ends when that process is gone. Each of `sources` runs in a thread of its own
    (hub/sources.py), started again with backoff after an error."""
    import uvicorn

    from floorview.hub.server import create_app

    store = HubStore(open_hub_engine(db_url))
    if bootstrap_token:  # the demo: the parent made the token and handed it over privately
        store.add_token(bootstrap_token, "demo")
    feeder = None
    stopping = threading.Event()
    purging = WriterStatus("purge")
    writers = [purging]
    if simulate:
        feeder = FloorFeeder(store, seed, speed)
        writers.append(feeder.status)
        # Written while uvicorn starts; the port is announced once the day so far
        # is in, so the demo never shows a half-written morning as "live".
        threading.Thread(target=feeder.run, name="floor", daemon=True).start()
    runners: list[SourceRunner] = [] if feeder is None else [feeder.runner]
    threads: list[threading.Thread] = []
    if sources:
        from floorview.hub.sources import SourceRunner

        for source in sources:
            runner = SourceRunner(store, source)
            runners.append(runner)
            writers.append(runner.status)
            threads.append(threading.Thread(target=runner.run, name=f"source {source.name}", daemon=True))
            threads[-1].start()

    def wind_down() -> None:
        """Stop the sources: a batch being written goes in, and their leases are
        released, so another process takes them over at once (leases.py)."""
        stopping.set()
        for runner in runners:
            runner.stop.set()
        deadline = time.monotonic() + 3.0
        for runner in runners:
            runner.done.wait(max(0.0, deadline - time.monotonic()))

    class HubServer(uvicorn.Server):
        def handle_exit(self, sig: int, frame: FrameType | None) -> None:  # Ctrl-C, SIGTERM: long polls answer now
            stopping.set()
            super().handle_exit(sig, frame)

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            # uvicorn raises a caught SIGTERM again as it leaves, which ends the process
            # before `serve`'s `finally`: the sources wind down first.
            with super().capture_signals():
                try:
                    yield
                finally:
                    wind_down()

    server = HubServer(hub_config(create_app(store, stopping, writers), host, port))

    def watch() -> None:  # started before serving: report the port, then mind the parent
        while not server.started:
            if server.should_exit:
                return
            time.sleep(0.05)
        while feeder is not None and not feeder.ready.wait(0.05):
            if server.should_exit:
                return
        for runner in runners:  # announced once each source has caught up (or failed: it is retried)
            while not runner.ready.wait(0.05):
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
        while True:
            store.purge_tombstones()
            purging.ok()
            if stopping.wait(PURGE_EVERY_S):
                return

    threading.Thread(target=watch, name="watch", daemon=True).start()
    threading.Thread(target=supervise, args=(purge, purging, stopping), name="purge", daemon=True).start()
    try:
        server.run()
    finally:
        wind_down()
