"""L3: a hub that says `more: true` forever with pages that do not move the
cursor. The client takes such a page as caught up, so `sync --once` ends and
the live sync does not ask at full speed."""

from __future__ import annotations

import json
import threading
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from floorview.store import schema
from floorview.store.syncstate import cursor
from floorview.sync.syncer import Syncer
from floorview.sync.transport import HubClient

from .hubs import Scripted
from .test_poison import AT, GOOD, change
from .test_sync_cli import run, token_file


def endless(server: Scripted, pages: dict[str, tuple[list, str]]) -> list[str]:
    """Every answer says `more: true`; `pages[cursor or ""]` is (changes, next cursor).
    Returns the list of cursors asked from, as it fills."""
    asked: list[str] = []
    lock = threading.Lock()

    def answer(h) -> None:
        url = urlsplit(h.path)
        if url.path != "/v1/changes":
            h.reply(404, b'{"detail": "not here"}', {"Content-Type": "application/json"})
            return
        at = parse_qs(url.query).get("cursor", [""])[0]
        with lock:
            asked.append(at)
        changes, nxt = pages[at]
        body = json.dumps({"cursor": nxt, "more": True, "server_time": AT, "changes": changes}).encode()
        h.reply(200, body, {"Content-Type": "application/json"})

    server.answer = answer
    return asked


def test_an_empty_page_that_keeps_the_cursor_is_caught_up(scripted, engine):
    asked = endless(scripted, {"": ([change("agent", "a-1", GOOD["agent"])], "c.1"), "c.1": ([], "c.1")})
    result = Syncer(engine, HubClient(scripted.url, "t")).pull_until_caught_up()
    assert result.caught_up and result.pages == 2
    assert asked == ["", "c.1"]
    with engine.connect() as conn:
        assert cursor(conn) == "c.1"
        assert conn.execute(select(schema.Agent.id)).scalars().all() == ["a-1"]


def test_a_hub_going_round_in_circles_is_caught_up(scripted, engine):
    asked = endless(
        scripted, {"": ([], "c.1"), "c.1": ([], "c.2"), "c.2": ([change("agent", "a-1", GOOD["agent"])], "c.1")}
    )
    result = Syncer(engine, HubClient(scripted.url, "t")).pull_until_caught_up()
    assert result.caught_up and asked == ["", "c.1", "c.2"]
    with engine.connect() as conn:
        assert conn.execute(select(schema.Agent.id)).scalars().all() == ["a-1"]  # what came is applied


def test_the_long_poll_takes_it_as_caught_up_too(scripted, engine):
    endless(scripted, {"": ([], "c.1"), "c.1": ([], "c.1")})
    syncer = Syncer(engine, HubClient(scripted.url, "t"), poll_s=0)
    assert syncer.pull_page(wait_s=1) == (0, True)  # a page that moved the cursor: more is more
    assert syncer.pull_page(wait_s=1) == (0, False)


def test_sync_once_ends(scripted, tmp_path):
    asked = endless(scripted, {"": ([change("agent", "a-1", GOOD["agent"])], "c.1"), "c.1": ([], "c.1")})
    out = run(
        "sync",
        "--once",
        "--hub",
        scripted.url,
        "--token-file",
        str(token_file(tmp_path, "t")),
        "--db",
        str(tmp_path / "s.db"),
    )
    assert out.returncode == 0, out.stderr
    assert "synced 1 changes in 2 pages" in out.stdout
    assert asked == ["", "c.1"]
