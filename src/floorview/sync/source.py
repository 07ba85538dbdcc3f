"""Live sources for the app: a hub to sync from, or a demo hub started as a child."""

from __future__ import annotations

import logging
import os
import secrets
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from floorview.sync.backoff import Backoff
from floorview.sync.syncer import Syncer
from floorview.sync.transport import HubClient, HubError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)
Report = Callable[[str, "str | None"], None]


class HubSource:
    """Sync the store from a hub until stopped.

    A fault of the hub is the syncer's to handle (it backs off, or stops on a
    refused token). A fault of this machine (the disk full, the store or its
    directory read-only, an I/O error) is retried here with the same backoff,
    said on the status line as the reason the data is stale, until it clears:
    the sync never stops for the session on something that can be fixed
    while the app runs. A store that must not be used (`StoreError`: another
    user's, a symbolic link) stops it, naming the hub.
    """

    def __init__(
        self,
        store_path: Path,
        hub_url: str,
        token: str,
        long_poll: bool = True,
        poll_s: float = 1.0,
        proxy: str | None = None,
    ) -> None:
        self.store_path, self.hub_url, self.token = Path(store_path), hub_url, token
        self.long_poll, self.poll_s, self.proxy = long_poll, poll_s, proxy

    @property
    def label(self) -> str | None:
        """The hub as the title and status line name it: host and port."""
        return hub_label(self.hub_url) or None

    def run(self, report: Report, stop: threading.Event) -> None:
        report("starting", f"connecting to {self.label or 'the hub'}")
        self.sync_store(report, stop)

    def sync_store(self, report: Report, stop: threading.Event, engine: Engine | None = None) -> None:
        """Open the store (unless `engine` is it, opened already) and sync into
        it until stopped; local faults retried."""
        from floorview.store.engine import open_engine

        backoff = Backoff()

        def said(state: str, detail: str | None = None) -> None:
            if state == "live":  # the store took a page: the next fault starts the backoff afresh
                backoff.failures = 0
            report(state, detail)

        while not stop.is_set():
            try:
                if engine is None:
                    engine = open_engine(self.store_path)
                try:
                    self.sync(engine, said, stop)
                    return
                finally:
                    engine.dispose()
                    engine = None
            except Exception as exc:
                reason = local_fault(exc)
                if reason is None or stop.is_set():
                    raise
                log.warning("the store cannot be written (%s): trying again", reason)
                report("stale", f"cannot write the store: {reason} (trying again)")
                stop.wait(backoff.failed())

    def sync(self, engine: Engine, report: Report, stop: threading.Event) -> None:
        with HubClient(self.hub_url, self.token, proxy=self.proxy) as client:
            # Quitting must not wait for a long poll or a slow hub: closing the
            # client aborts the request in flight.
            def abort_on_stop() -> None:
                stop.wait()
                client.abort()

            threading.Thread(target=abort_on_stop, daemon=True).start()
            try:
                Syncer(engine, client, long_poll=self.long_poll, poll_s=self.poll_s, source=self.source).run(
                    report, stop
                )
            except HubError:
                if not stop.is_set():
                    raise

    source = "hub"


def hub_label(url: str) -> str:
    """host:port of a hub URL, never a user name or password."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if not parts.hostname:
        return ""
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{host}:{port}" if port else host


def local_fault(exc: BaseException) -> str | None:
    """The reason, in one line, when `exc` is a fault of this machine's store
    or files (not of the hub, not a bug); None otherwise."""
    import sqlite3

    from sqlalchemy.exc import DBAPIError

    if isinstance(exc, DBAPIError) and isinstance(exc.orig, sqlite3.Error):
        exc = exc.orig
    if isinstance(exc, sqlite3.OperationalError) or type(exc) is sqlite3.DatabaseError:  # full, read-only, I/O, corrupt
        return " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, OSError) and not isinstance(exc, HubError):
        where = f" ({exc.filename})" if exc.filename else ""
        return f"{exc.strerror or type(exc).__name__}{where}"
    return None


class DemoHubSource(HubSource):
    """With no hub configured: a simulating hub on a free loopback port, as a
    child process that ends with us (on exit, SIGHUP or a lost terminal)."""

    label = "DEMO"
    source = "demo"

    def __init__(self, store_path: Path, hub_db: Path, seed: int, poll_s: float = 1.0) -> None:
        super().__init__(store_path, "", secrets.token_urlsafe(32), True, poll_s)
        self.hub_db, self.seed = Path(hub_db), seed
        self.child: subprocess.Popen[str] | None = None

    def run(self, report: Report, stop: threading.Event) -> None:
        for path in (self.store_path, self.hub_db):
            for suffix in ("", "-wal", "-shm"):  # a demo starts afresh
                side = path.with_name(path.name + suffix)
                if side.exists() or side.is_symlink():
                    side.unlink()
        report("starting", "starting the demo hub and its simulated floor")
        from floorview.store.engine import open_engine

        try:
            self._spawn_child()
            try:
                engine = open_engine(self.store_path)  # while the hub starts
            except Exception as exc:
                if local_fault(exc) is None:
                    raise
                engine = None  # said and retried by sync_store
            self.hub_url = f"http://127.0.0.1:{self._child_port()}"
            self.sync_store(report, stop, engine)
        finally:
            self.stop_child()

    def _spawn_child(self) -> None:
        argv = [
            sys.executable,
            "-m",
            "floorview",
            "hub",
            "--simulate",
            "--seed",
            str(self.seed),
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--db",
            f"sqlite:///{self.hub_db}",
            "--parent-pid",
            str(os.getpid()),
            "--print-port",
        ]
        env = {**os.environ, "FLOORVIEW_HUB_BOOTSTRAP_TOKEN": self.token}
        self.child = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            text=True,
        )

    def _child_port(self) -> int:
        child = self.child
        assert child is not None and child.stdout is not None, "the child is spawned first, its stdout a pipe"
        line = child.stdout.readline()  # "PORT 41234" once the hub listens
        if not line.startswith("PORT "):
            code = child.poll()
            raise RuntimeError(f"the demo hub did not start (exit {code})")
        return int(line.split()[1])

    def stop_child(self) -> None:
        child, self.child = self.child, None
        if child is None or child.poll() is not None:
            return
        child.terminate()
        try:
            child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _die_with_parent() -> None:
    """In the child: the kernel sends SIGTERM when the parent dies (Linux)."""
    import ctypes

    PR_SET_PDEATHSIG = 1
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass
