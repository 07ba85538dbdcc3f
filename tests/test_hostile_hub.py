"""A hostile hub (audit M1): every string it sends, on any path, reaches the
store, the screen and the terminal cleaned of control characters, and is
never read as markup: error details of 4xx answers, the note a 409 says it
holds, the kind and id of a change whose envelope is invalid, and who /v1/me
says the token is. Checked on the raw bytes the real program writes to a
pseudo-terminal, and on what `floorview sync` prints."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from floorview.store.engine import open_engine
from floorview.store.notes import save_note

from .conftest import SAMPLE_AT
from .hubs import Scripted
from .ptyrun import drain, read_until, spawn, stop

# OSC 52 (clipboard), OSC 8 (a link), OSC 0 (the window title), clear screen
# and colour, a C1 CSI, a right-to-left override, and Textual markup.
HOSTILE = (
    "\x1b]52;c;aGVsbG8=\x07 \x1b]8;;https://evil.example/\x07click\x1b]8;;\x07 \x1b]0;pwned\x07"
    " \x1b[2J\x1b[31;5m \x9b31m \u202eevil [@click=app.quit]boom[/] [b]bold[/b]"
)
AT = (SAMPLE_AT - timedelta(minutes=5)).isoformat()
REJECTED, CONFLICT = "n-rejected-1", "n-conflict-1"


def _note(body: str) -> dict:
    return {
        "agent_id": "a-1",
        "author": "me",
        "created_at": AT,
        "updated_at": AT,
        "type": "coaching",
        "topic": "quality",
        "visibility": "team",
        "body": body,
    }


def _page() -> bytes:
    changes = [
        {
            "kind": "queue",
            "id": "q-1",
            "version": 1,
            "op": "upsert",
            "data": {"name": "Sales " + HOSTILE, "channel": "voice", "timezone": "UTC"},
        },
        {
            "kind": "agent",
            "id": "a-1",
            "version": 1,
            "op": "upsert",
            "data": {
                "name": "Ada " + HOSTILE,
                "team": "Harbor",
                "state": "available",
                "state_since": AT,
                "queues": ["q-1"],
            },
        },
        # An envelope that fails (its id is not printable): quarantined, its kind and id listed on Q.
        {"kind": "KIND " + HOSTILE, "id": "ID " + HOSTILE, "version": 1, "op": "upsert", "data": {}},
    ]
    return json.dumps({"cursor": "c.1", "more": False, "server_time": AT, "changes": changes}).encode()


def hostile_answer(h) -> None:
    """The hub: a first page, then a refusal of every page after it; every
    push refused (422) or in conflict (409), every word of it hostile."""
    path = urlsplit(h.path)
    reply = lambda status, body: h.reply(status, json.dumps(body).encode(), {"Content-Type": "application/json"})  # noqa: E731
    if path.path == "/v1/me":
        return reply(200, {"name": "Lead " + HOSTILE, "teams": ["Harbor " + HOSTILE], "queues": []})
    if path.path == "/v1/changes":
        if "cursor" not in parse_qs(path.query):
            return h.reply(200, _page(), {"Content-Type": "application/json"})
        return reply(400, {"detail": "STATUS " + HOSTILE})
    if h.command == "PUT" and path.path == f"/v1/notes/{REJECTED}":
        return reply(422, {"detail": "REJECTED " + HOSTILE})
    if h.command == "PUT" and path.path == f"/v1/notes/{CONFLICT}":
        theirs = {
            **_note("THEIRS " + HOSTILE),
            "author": "AUTHOR " + HOSTILE,
            "adkar": HOSTILE,
            "follow_up_on": HOSTILE,
            "interaction_id": HOSTILE,
        }
        return reply(409, {"current": {"kind": "note", "id": CONFLICT, "version": 7, "op": "upsert", "data": theirs}})
    return reply(404, {"detail": "GONE " + HOSTILE})


@pytest.fixture
def hostile():
    server = Scripted()
    server.answer = hostile_answer
    yield server
    server.stop()


def _store_with_two_notes(path) -> None:
    engine = open_engine(path)
    with engine.begin() as conn:
        save_note(conn, REJECTED, _note("mine, to be rejected"))
        save_note(conn, CONFLICT, _note("mine, to conflict"))
    engine.dispose()


def _own_dirs(tmp_path) -> dict:
    return {f"XDG_{d.upper()}_HOME": str(tmp_path / d) for d in ("data", "state", "config")}


# Anything from the hub that a terminal would act on: an OSC (Textual's own
# only sets the mouse pointer's shape, OSC 22), the hub's clear-screen and
# colour, a C1 control, a bidi override, a BEL.
TEXTUAL_OWN = re.compile(rb"\x1b\]22;[a-z-]*\x07")


def _hub_control(out: bytes) -> list[bytes]:
    out = TEXTUAL_OWN.sub(b"", out)
    found = []
    for bad in (b"\x1b]", b"\x1b[2J", b"\x1b[31;5m", b"\xc2\x9b", b"\xe2\x80\xae", b"\x07"):
        if bad in out:
            at = out.index(bad)
            found.append(out[max(0, at - 40) : at + 40])
    return found


def test_the_store_keeps_only_cleaned_hub_text(hostile, tmp_path):
    from floorview.sync.syncer import Syncer
    from floorview.sync.transport import HubClient, Refused

    store = tmp_path / "s.db"
    _store_with_two_notes(store)
    engine = open_engine(store)
    try:
        syncer = Syncer(engine, HubClient(hostile.url, "t"))
        syncer.pull_until_caught_up()
        syncer.push_outbox()
        with pytest.raises(Refused) as refused:
            syncer.pull_page()
    finally:
        engine.dispose()
    assert refused.value.message.startswith("STATUS ]52;c;aGVsbG8= ]8;;https://evil.example/click")
    con = sqlite3.connect(store)
    stored = [v for row in con.execute("SELECT kind, record_id, reason, raw FROM quarantine") for v in row]
    stored += [v for row in con.execute("SELECT detail FROM outbox") for v in row]
    stored += [v for row in con.execute("SELECT name, teams FROM sync_identity") for v in row]
    assert len(stored) == 4 + 2 + 2
    for text in stored:
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", text), repr(text)
    theirs = json.loads(con.execute("SELECT detail FROM outbox WHERE note_id = ?", (CONFLICT,)).fetchone()[0])
    assert theirs["version"] == 7 and theirs["data"]["author"].startswith("AUTHOR ]52;c;")
    kind, rid = con.execute("SELECT kind, record_id FROM quarantine").fetchone()
    assert kind.startswith("KIND ]52;c;aGVsbG8= ]8;;https://evil.example/click]8;; ]0;pwned ")
    assert (
        rid
        == "ID ]52;c;aGVsbG8= ]8;;https://evil.example/click]8;; ]0;pwned [2J[31;5m 31m evil [@click=app.quit]boom[/] [b]bold[/b]"
    )


def _floorview(*args: str, env: dict) -> subprocess.CompletedProcess:
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith("FLOORVIEW_")}
    return subprocess.run(
        [sys.executable, "-m", "floorview", *args], capture_output=True, timeout=120, env={**clean_env, **env}
    )


def test_floorview_sync_prints_no_control_character_from_the_hub(hostile, tmp_path):
    store = tmp_path / "s.db"
    _store_with_two_notes(store)
    env = {**_own_dirs(tmp_path), "FLOORVIEW_TOKEN": "t"}
    args = ("--hub", hostile.url, "--db", str(store))
    first = _floorview("sync", "--once", *args, env=env)  # the page; both pushes parked
    assert first.returncode == 0, first.stderr
    second = _floorview("sync", "--once", *args, env=env)  # the next page is refused
    assert second.returncode == 2
    assert second.stderr.startswith(b"floorview: STATUS ]52;c;aGVsbG8= ]8;;https://evil.example/click")
    assert second.stderr.count(b"\n") == 1
    continuous = _floorview("sync", *args, env=env)
    assert continuous.returncode == 1 and b"STATUS ]52;c;" in continuous.stderr
    for run in (first, second, continuous):
        out = run.stdout + run.stderr
        assert b"\x1b" not in out and not _hub_control(out), out


def test_the_tui_writes_no_control_sequence_from_the_hub(hostile, tmp_path):
    """The real app in a pty, walked through every place hub text shows: the
    status line, Coaching's "waiting for you" (c) and each problem opened
    (enter), and the quarantine list (Q)."""
    store = tmp_path / "s.db"
    _store_with_two_notes(store)
    env = {**_own_dirs(tmp_path), "FLOORVIEW_TOKEN": "t"}
    proc, master = spawn(
        [sys.executable, "-m", "floorview", "--db", str(store), "--hub", hostile.url], 160, 45, env=env
    )
    out = b""

    def until(needle: bytes, key: bytes | None = None) -> None:
        nonlocal out
        if key is not None:
            os.write(master, key)
        seconds, seen = read_until(master, needle, timeout=60)
        out += seen
        assert seconds is not None, (needle, seen[-3000:])

    try:
        until(b"STATUS ")  # the status line says why the sync stopped
        until(b"Follow-ups due", b"4")
        until(b"REJECTED ", b"c")  # the problems view: the rejection's detail
        until(b"push again", b"\r")  # the rejected note opened, with the hub's detail
        os.write(master, b"\x1b")
        out += drain(master, 1.0)
        os.write(master, b"\x1b[B")  # down to the conflict
        out += drain(master, 0.5)
        until(b"THEIRS ", b"\r")  # the conflict opened: the hub's note, author and body
        out += drain(master, 1.0)
        assert b"AUTHOR " in out
        os.write(master, b"\x1b")
        out += drain(master, 1.0)
        until(b"KIND ", b"Q")  # the quarantine list: kind and id
        out += drain(master, 1.0)
    finally:
        stop(proc, master)
    assert b"[@click=app.quit]boom" in out  # shown as the characters it is
    assert not _hub_control(out), _hub_control(out)
