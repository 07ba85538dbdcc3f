"""H2: a page over the client's 20 MiB limit. The client asks again with a
smaller `limit` (halving down to 1), keeps the size that worked for a while
and grows back; a single change over the limit stops the sync at that
position with a clear reason (it cannot skip what it cannot read)."""

from __future__ import annotations

import json
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from floorview.store import schema
from floorview.store.syncstate import cursor
from floorview.sync.syncer import GROW_AFTER_S, PageSize, PageTooLarge, Syncer
from floorview.sync.transport import MAX_BODY, HubClient

from .hubs import Scripted
from .test_poison import AT, GOOD, change

OVERSIZED = b" " * (MAX_BODY + 1)  # the client stops reading past 20 MiB: what follows does not matter


class Floor:
    """A scripted hub over a log of agents; an answer for more than `fits`
    changes is over 20 MiB. Records the `limit` of every page asked for."""

    def __init__(self, server: Scripted, n: int, fits: int) -> None:
        self.log = [change("agent", f"a-{k}", GOOD["agent"]) for k in range(n)]
        self.fits = fits
        self.limits: list[int] = []
        self.lock = threading.Lock()
        server.answer = self.answer

    def add(self, n: int) -> None:
        with self.lock:
            self.log += [change("agent", f"a-{len(self.log) + k}", GOOD["agent"]) for k in range(n)]

    def answer(self, h) -> None:
        url = urlsplit(h.path)
        if url.path != "/v1/changes":
            h.reply(404, b'{"detail": "not here"}', {"Content-Type": "application/json"})
            return
        query = parse_qs(url.query)
        limit, at = int(query["limit"][0]), int(query.get("cursor", ["c.0"])[0][2:])
        with self.lock:
            self.limits.append(limit)
            if limit > self.fits:
                body = OVERSIZED
            else:
                chunk = self.log[at : at + limit]
                end = at + len(chunk)
                body = json.dumps(
                    {"cursor": f"c.{end}", "more": end < len(self.log), "server_time": AT, "changes": chunk}
                ).encode()
        h.reply(200, body, {"Content-Type": "application/json"})


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def agents(engine) -> int:
    with engine.connect() as conn:
        return len(conn.execute(select(schema.Agent.id)).all())


def test_a_page_too_large_is_asked_for_again_smaller_kept_and_grown_back(scripted, engine):
    floor, clock = Floor(scripted, 40, fits=10), Clock()
    syncer = Syncer(engine, HubClient(scripted.url, "t"), clock=clock, page_limit=64)
    result = syncer.pull_until_caught_up()
    assert result.caught_up and agents(engine) == 40
    assert floor.limits == [64, 32, 16, 8, 8, 8, 8, 8]  # halved until it fit, then kept
    with engine.connect() as conn:
        assert cursor(conn) == "c.40"

    floor.limits.clear()
    floor.add(8)
    syncer.pull_until_caught_up()
    assert floor.limits == [8]  # remembered: no oversized answer again within the while

    floor.limits.clear()
    floor.add(40)
    clock.now += GROW_AFTER_S
    syncer.pull_until_caught_up()
    assert floor.limits == [8, 16, 8, 8, 8, 8]  # grown once the while passed; too large again, so halved
    assert agents(engine) == 88

    floor.limits.clear()
    floor.fits = 1000  # the hub's records got smaller
    floor.add(8 + 16 + 32 + 64 + 64)
    clock.now += GROW_AFTER_S
    syncer.pull_until_caught_up()
    assert floor.limits == [8, 16, 32, 64, 64]  # back to the ceiling, page by page
    assert agents(engine) == 88 + 184


def test_a_single_change_over_the_limit_stops_at_its_position_with_the_reason(scripted, engine):
    floor = Floor(scripted, 5, fits=0)
    syncer = Syncer(engine, HubClient(scripted.url, "t"), page_limit=64)
    with pytest.raises(PageTooLarge, match="single change over 20 MiB: the sync cannot read past it"):
        syncer.pull_until_caught_up()
    assert floor.limits == [64, 32, 16, 8, 4, 2, 1]
    with engine.connect() as conn:
        assert cursor(conn) is None
    floor.limits.clear()
    with pytest.raises(PageTooLarge):
        syncer.pull_page()
    assert floor.limits == [1]  # it remembers: one answer, not the whole descent again


def test_the_live_sync_reports_it_stale_with_the_reason_and_keeps_trying(scripted, engine):
    Floor(scripted, 5, fits=0)
    syncer = Syncer(engine, HubClient(scripted.url, "t"), page_limit=4)
    stop, reports = threading.Event(), []

    def report(state: str, detail: str | None) -> None:
        reports.append((state, detail))
        if state != "catching up":
            stop.set()

    syncer.run(report, stop)
    state, detail = reports[-1]
    assert state == "stale" and "single change over 20 MiB" in detail
    assert PageTooLarge.retry  # a later try may find the hub has shrunk or dropped it


def test_page_size_halves_to_one_and_grows_back_after_the_while():
    clock = Clock()
    size = PageSize(1000, clock)
    assert size.too_large(1000) and size.now == 500
    assert size.too_large(500) and size.now == 250
    size.worked()
    assert size.now == 250
    clock.now += GROW_AFTER_S - 1
    size.worked()
    assert size.now == 250
    clock.now += 1
    size.worked()
    size.worked()
    assert size.now == 1000
    size.worked()
    assert size.now == 1000
    assert size.too_large(3) and size.now == 1
    assert not size.too_large(1) and size.now == 1
