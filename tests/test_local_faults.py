"""Faults of this machine, not of the hub (audit L6), and a hub URL holding a
password (L12): `floorview sync` and `sync --once` end in one line on stderr
and a non-zero exit, never a traceback and never a hang; the app names the
hub when its sync stops, and retries a store it cannot write until it can.

The disk is filled for real, on a small tmpfs, and a store is made read-only
with a read-only bind mount: both need root (CAP_SYS_ADMIN) and are skipped
without it. A read-only store as an ordinary user is plain chmod."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from floorview.config import Settings
from floorview.store.engine import open_engine
from floorview.sync.source import HubSource
from floorview.tui.app import FloorviewApp

from .hubs import start_hub

AT = "2026-11-20T15:00:00Z"


def _floor(n: int = 2000) -> list[dict]:  # about a megabyte in the store
    changes = [
        {
            "kind": "queue",
            "id": "q-1",
            "version": 1,
            "op": "upsert",
            "data": {"name": "Sales", "channel": "voice", "timezone": "UTC"},
        }
    ]
    for k in range(n):
        changes.append(
            {
                "kind": "agent",
                "id": f"a-{k}",
                "version": 1,
                "op": "upsert",
                "data": {
                    "name": f"Agent {k} " + "x" * 150,
                    "team": "T",
                    "state": "available",
                    "state_since": AT,
                    "queues": ["q-1"],
                },
            }
        )
    return changes


@pytest.fixture
def hub(tmp_path):
    running = start_hub(tmp_path / "hub.db")
    running.store.write(_floor())
    yield running
    running.stop()


def run(*args: str, env: dict | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FLOORVIEW_")}
    return subprocess.run(
        [sys.executable, "-m", "floorview", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**clean, **(env or {})},
    )


def one_line(out: subprocess.CompletedProcess, expected: str) -> None:
    assert out.returncode != 0, out
    assert out.stderr.count("\n") == 1 and expected in out.stderr, out.stderr
    assert "Traceback" not in out.stderr


def _token(tmp_path, hub) -> Path:
    path = tmp_path / "token"
    path.write_text(hub.token + "\n")
    path.chmod(0o600)
    return path


# -- the token file ---------------------------------------------------------------
def test_a_token_file_that_is_a_directory_is_refused_in_one_line(hub, tmp_path):
    folder = tmp_path / "token"
    folder.mkdir(mode=0o700)
    out = run("sync", "--once", "--hub", hub.url, "--token-file", str(folder), "--db", str(tmp_path / "s.db"))
    one_line(out, "it is not a regular file")
    assert out.returncode == 2


def test_a_token_file_that_is_a_fifo_is_refused_without_waiting(hub, tmp_path):
    fifo = tmp_path / "token"
    os.mkfifo(fifo, 0o600)
    out = run(
        "sync", "--once", "--hub", hub.url, "--token-file", str(fifo), "--db", str(tmp_path / "s.db"), timeout=30
    )  # nobody ever writes to it: a blocking open would never return
    one_line(out, "it is not a regular file")


def test_a_token_that_is_not_printable_ascii_is_refused(hub, tmp_path):
    out = run("sync", "--once", "--hub", hub.url, "--db", str(tmp_path / "s.db"), env={"FLOORVIEW_TOKEN": "tok\u00e9n"})
    one_line(out, "FLOORVIEW_TOKEN does not hold a token")


# -- L12: a password in the hub URL --------------------------------------------------
@pytest.mark.parametrize("url", ["http://lead:s3cret@127.0.0.1:8765", "https://lead@hub.example", "ftp://u:s3cret@x"])
def test_a_hub_url_with_a_user_or_password_is_refused_without_echoing_it(tmp_path, url):
    for args in (("sync", "--once"), ()):
        out = run(*args, "--hub", url, "--db", str(tmp_path / "s.db"), env={"FLOORVIEW_TOKEN": "t"})
        one_line(out, "refusing a hub URL with a user name or password in it")
        assert out.returncode == 2 and "s3cret" not in out.stderr and "lead" not in out.stderr


# -- the store ------------------------------------------------------------------------
def _root_mounts() -> bool:
    return os.geteuid() == 0


@contextmanager
def _mounted(*cmds: list[str], target: Path):
    try:
        for cmd in cmds:
            subprocess.run(cmd, check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"cannot mount here: {exc}")
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], capture_output=True)


@contextmanager
def full_disk(tmp_path):
    """A store on a 4 MiB tmpfs with all but 96 KiB taken by a filler file: the
    store opens, and the first page fills the disk. Removing the filler gives
    the room back."""
    if not _root_mounts():
        pytest.skip("a small tmpfs needs root")
    disk = tmp_path / "disk"
    disk.mkdir(mode=0o700)
    with _mounted(["mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", str(disk)], target=disk):
        store = disk / "floorview.db"
        open_engine(store).dispose()
        filler = disk / "filler"
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            for size in (65536, 512):
                try:
                    while True:
                        os.write(fd, b"\0" * size)
                except OSError:
                    pass
            os.ftruncate(fd, max(0, os.fstat(fd).st_size - 96 * 1024))
        finally:
            os.close(fd)
        yield store, filler


def test_a_full_disk_ends_sync_in_one_line(hub, tmp_path):
    with full_disk(tmp_path) as (store, _):
        for args in (("sync", "--once"), ("sync",)):
            out = run(*args, "--hub", hub.url, "--token-file", str(_token(tmp_path, hub)), "--db", str(store))
            one_line(out, f"floorview: cannot write the store {store}: ")
            assert "database or disk is full" in out.stderr or "disk I/O error" in out.stderr
            assert out.returncode == 1


@pytest.mark.parametrize("what", ["store", "directory"])
def test_a_read_only_store_ends_sync_in_one_line(hub, tmp_path, what):
    folder = tmp_path / "ro"
    folder.mkdir(mode=0o700)
    store = folder / "floorview.db"
    open_engine(store).dispose()
    target = store if what == "store" else folder
    token = _token(tmp_path, hub)

    def sync_both() -> None:
        for args in (("sync", "--once"), ("sync",)):
            out = run(*args, "--hub", hub.url, "--token-file", str(token), "--db", str(store))
            # A read-only directory: SQLite cannot make the store's -shm, so it cannot even be read.
            reason = "attempt to write a readonly database" if what == "store" else "unable to open database file"
            one_line(out, f"floorview: cannot write the store {store}: {reason}")
            assert out.returncode == 1

    if not _root_mounts():  # an ordinary user: the mode is enough
        target.chmod(0o400 if what == "store" else 0o500)
        try:
            sync_both()
        finally:
            target.chmod(0o600 if what == "store" else 0o700)
        return
    with _mounted(
        ["mount", "--bind", str(target), str(target)], ["mount", "-o", "remount,bind,ro", str(target)], target=target
    ):
        sync_both()


# -- the app ----------------------------------------------------------------------------
def status(app) -> str:
    return str(app.screen.query_one("#status").render())


async def _until(pilot, predicate, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.05)


async def test_the_app_names_the_hub_when_its_sync_stops(hub, tmp_path):
    real = tmp_path / "real.db"
    open_engine(real).dispose()
    link = tmp_path / "link.db"
    link.symlink_to(real)  # a store the sync must not use: it stops
    source = HubSource(link, hub.url, hub.token)
    app = FloorviewApp(Settings(), link, source=source)
    async with app.run_test(size=(120, 30)) as pilot:
        await _until(pilot, lambda: "stopped" in status(app))
        port = hub.url.rsplit(":", 1)[1]
        assert f"✗ sync with 127.0.0.1:{port} stopped: refusing store" in status(app)
        assert "None" not in status(app)
        assert f"127.0.0.1:{port}" in str(app.screen.query_one("#titlebar").render())


async def test_the_app_retries_a_full_disk_until_there_is_room(hub, tmp_path):
    with full_disk(tmp_path) as (store, filler):
        source = HubSource(store, hub.url, hub.token, long_poll=False, poll_s=0.2)  # no poll left open at the end
        app = FloorviewApp(Settings(), store, source=source)
        async with app.run_test(size=(120, 30)) as pilot:
            await _until(
                pilot, lambda: "cannot write the store: database or disk is full (trying again)" in status(app)
            )
            assert "stale" in status(app)
            filler.unlink()  # room again: the next try goes through, no restart needed
            await _until(pilot, lambda: "● live" in status(app), seconds=60)


def test_reading_a_store_never_changes_it(tmp_path):
    """`floorview --db sample.db` reads a snapshot as it is: the reader sets
    no journal mode (switching to WAL writes the file, and fails on a
    read-only one) and waits for a lock like the writer."""
    import shutil
    import sqlite3

    from floorview.store.engine import open_reader

    from .conftest import SAMPLE

    copy = tmp_path / "snapshot.db"
    shutil.copyfile(SAMPLE, copy)
    con = sqlite3.connect(copy)
    con.execute("PRAGMA journal_mode=DELETE")
    con.close()
    before = copy.read_bytes()[:100]
    reader = open_reader(copy)
    try:
        assert reader.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert reader.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
    finally:
        reader.close()
    assert copy.read_bytes()[:100] == before
