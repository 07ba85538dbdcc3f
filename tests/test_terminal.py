"""The real program in a real pseudo-terminal: what reaches the screen."""

from __future__ import annotations

import os
import re
import signal
import sys
import time
from datetime import datetime, timezone

from floorview.hub.seed import simulated_changes

from .hubs import start_hub
from .ptyrun import drain, process_tree, read_until, spawn, stop

COLOUR = re.compile(rb"\x1b\[(?:[0-9]+;)*(?:3[0-8]|4[0-8]|9[0-7]|10[0-7])[;m]")  # 39 and 49 are "default"


def _first_screen(store, env: dict) -> bytes:
    proc, master = spawn([sys.executable, "-m", "floorview", "--db", str(store)], 80, 24, env=env)
    try:
        seconds, out = read_until(master, b"Tech support", timeout=60)
        out += drain(master, 0.5)  # the rest of the first frame
    finally:
        stop(proc, master)
    assert seconds is not None, out[-2000:]
    return out


def test_no_color_sends_no_colour_and_keeps_the_signs(sample_store):
    plain = _first_screen(sample_store, {"NO_COLOR": "1"})
    assert not COLOUR.search(plain)
    assert "✓".encode() in plain and b"SNAPSHOT" in plain
    coloured = _first_screen(sample_store, {})
    assert COLOUR.search(coloured)


def _alive(pids: list[int]) -> list[int]:
    alive = []
    for pid in pids:
        try:
            state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.append(pid)
    return alive


def _own_dirs(tmp_path) -> dict:
    """Data, state and config under tmp_path, not the user's."""
    return {f"XDG_{d.upper()}_HOME": str(tmp_path / d) for d in ("data", "state", "config")}


def _demo(tmp_path):
    proc, master = spawn([sys.executable, "-m", "floorview"], 100, 30, env=_own_dirs(tmp_path))
    seconds, out = read_until(master, b"live", timeout=90)
    assert seconds is not None, out[-2000:]
    tree = process_tree(proc.pid)
    assert len(tree) == 2, "the demo runs its hub as a child"
    return proc, master, tree


def _ends(pids: list[int], within: float) -> bool:
    deadline = time.monotonic() + within
    while _alive(pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not _alive(pids)


def test_sighup_ends_the_app_and_its_hub(tmp_path):
    proc, master, tree = _demo(tmp_path)
    try:
        os.killpg(proc.pid, signal.SIGHUP)
        # That they end, not how fast: a loaded machine (CI, other suites) once took more than 10 s.
        assert _ends(tree, 30), f"still running after SIGHUP: {_alive(tree)}"
    finally:
        stop(proc, master)


def test_a_vanished_terminal_ends_the_app_and_its_hub(tmp_path):
    proc, master, tree = _demo(tmp_path)
    os.close(master)  # no SIGHUP: the terminal is simply gone
    try:
        assert _ends(tree, 30), f"still running without a terminal: {_alive(tree)}"
    finally:
        for pid in _alive(tree):
            os.kill(pid, signal.SIGKILL)


def test_a_paused_app_writes_nothing(tmp_path):
    """Paused, the app sends nothing, even while the hub keeps changing and a
    contact's wait would tick every second. The app syncs from a hub the test
    writes to, so that changes arrive on demand (the demo floor may be quiet)."""
    hub = start_hub(tmp_path / "hub.db")
    for batch in simulated_changes(5, time.time()):
        hub.store.write(batch)
    env = {**_own_dirs(tmp_path), "FLOORVIEW_TOKEN": hub.token}
    proc, master = spawn(
        [sys.executable, "-m", "floorview", "--db", str(tmp_path / "store.db"), "--hub", hub.url], 100, 30, env=env
    )
    try:
        seconds, out = read_until(master, b"live", timeout=90)
        assert seconds is not None, out[-2000:]
        drain(master, 1.5)  # the rest of catching up
        _wait_on(hub, "w-1")
        assert _output_within(master, 10), "a change on the hub should reach the screen"
        os.write(master, b"p")
        drain(master, 1.5)  # the PAUSED marker itself
        _wait_on(hub, "w-2")
        assert drain(master, 4) == b""
        os.write(master, b"p")
        assert _output_within(master, 5), "resumed, the app shows what changed"
    finally:
        stop(proc, master)
        hub.stop()


def _wait_on(hub, rid: str) -> None:
    """A contact starts waiting on Billing: its wait ticks every second while live."""
    at = datetime.now(timezone.utc).isoformat()
    hub.store.write(
        [
            {
                "kind": "interaction",
                "id": rid,
                "version": 1,
                "op": "upsert",
                "data": {"queue_id": "q-billing", "channel": "voice", "enqueued_at": at},
            }
        ]
    )


def _output_within(master: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if drain(master, 0.5):
            return True
    return False
