"""A day of the simulated floor written as an Asterisk queue_log and read back through the
queue_log mapper: the queues' figures, through floorview's own store, are the floor's."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from floorview.sources.asterisk.queue_log.events import parse_line
from floorview.sources.asterisk.queue_log.mapper import QueueLogMapper
from floorview.sources.asterisk.records import feed_id
from floorview.sources.asterisk.settings import AsteriskSettings, QueueSettings
from floorview.sources.simulator.floor import Floor
from floorview.sources.simulator.floorplan import SITE_TZ
from floorview.sources.simulator.queue_log import QueueLogWriter
from floorview.store.apply import Applier
from floorview.store.engine import open_engine, open_reader
from floorview.store.reads import queue_snapshots

DAY = datetime(2026, 11, 19, tzinfo=ZoneInfo(SITE_TZ)).timestamp()  # the site's midnight
END = DAY + 86400 - 60  # a minute before the next


def _ts(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def final(changes: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    best: dict[tuple[str, str], dict[str, Any]] = {}
    for c in changes:
        key = (c["kind"], c["id"])
        if key not in best or c["version"] > best[key]["version"]:
            best[key] = c
    return best


def today(path: Path, changes: list[dict[str, Any]]) -> dict[str, Any]:
    """Each queue's counts for today at END, as the Queues screen reads them from a store."""
    engine = open_engine(path)
    try:
        with engine.begin() as conn:
            result = Applier(conn, END).apply(changes)
    finally:
        engine.dispose()
    assert result.quarantined == 0
    con = open_reader(path)
    try:
        return {s.id: s.today for s in queue_snapshots(con, END)}
    finally:
        con.close()


def agents_agree(floor_records: dict, records: dict, writer: QueueLogWriter) -> int:
    """Each agent's state in the floor and as read from the log; returns how many are working.
    Wrap-up aside: Asterisk writes no line for it, and the site sets no wrapuptime, so the log's
    agent is available from the call's end (and its time in state counts from then)."""
    working = 0
    for (kind, aid), c in floor_records.items():
        if kind != "agent":
            continue
        a = c["data"]
        mine = records.get(("agent", feed_id(writer.member(aid))))
        if mine is None:
            assert a["state"] == "offline", aid  # never logged in yet
            continue
        m = mine["data"]
        expected = "available" if a["state"] == "after_contact_work" else a["state"]
        assert (m["state"], m["reason"]) == (expected, a["reason"] if expected == "not_ready" else None), aid
        assert m["queues"] == (sorted(a["queues"]) if a["state"] != "offline" else []), aid
        if a["state"] in ("on_contact", "not_ready", "offline"):
            assert _ts(m["state_since"]) == int(_ts(a["state_since"])), aid  # whole seconds in the log
        if a["state"] == "on_contact":
            assert m["interaction_id"] is not None
        working += a["state"] != "offline"
    return working


def test_a_day_of_the_floor_written_as_a_queue_log_reads_back_as_the_floor(tmp_path):
    floor, writer = Floor(11, DAY), QueueLogWriter()
    floor_changes: list[dict[str, Any]] = []
    log: list[str] = []
    mapper: QueueLogMapper | None = None
    changes: list[dict[str, Any]] = []
    working: list[int] = []
    t = DAY
    while t < END:
        t = min(t + 30, END)
        batch = floor.advance(t)
        floor_changes += batch
        lines = writer.lines(batch)
        log += lines
        if mapper is None:  # the site's settings: the floor's queues, the agents' interfaces (all in batch 1)
            mapper = QueueLogMapper(site_of(final(floor_changes), writer.members()))
        changes += [c for line in lines for c in mapper.feed(parse_line(line))]
        if t - DAY == 12 * 3600:  # the hub restarts at noon: the mapper carries on from its state
            mapper = QueueLogMapper(mapper.settings, json.loads(json.dumps(mapper.state())))
        if (t - DAY) % 3600 == 0:  # every hour, the agents as they stand
            working.append(agents_agree(final(floor_changes), final(changes), writer))
    assert mapper is not None
    # The floor worked, and went home but for the night: at 23:00 only Tech support is open, with the
    # two the roster puts on it from 22:00 (every other queue closed; mail is worked by day).
    assert max(working) >= 20 and working[-1] == 2
    assert [int(line.split("|")[0]) for line in log] == sorted(int(line.split("|")[0]) for line in log)
    assert mapper.take_unmapped() == {}
    assert mapper.version == "12+"  # BLINDTRANSFER; the writer's ENTERQUEUE has 3 fields, CONNECT 3

    floor_records = final(floor_changes)
    want = today(tmp_path / "floor" / "store.db", floor_changes)
    got = today(tmp_path / "log" / "store.db", changes)
    assert set(got) == set(want) and len(want) >= 5
    # The log has whole seconds: an abandon's wait is the difference of its two whole-second
    # times, which can put one within a second of the short-abandon limit on the other side.
    # Counted here from the floor's own records, per queue, for today in the queue's zone.
    limit = {rid: d["data"]["short_abandon_s"] for (kind, rid), d in floor_records.items() if kind == "queue"}
    zone = {rid: d["data"]["timezone"] for (kind, rid), d in floor_records.items() if kind == "queue"}
    short: dict[str, int] = {}
    for (kind, _), c in floor_records.items():
        d = c["data"]
        if kind != "interaction" or d["abandoned_at"] is None or d["answered_at"] is not None:
            continue
        start = datetime.fromtimestamp(END, ZoneInfo(zone[d["queue_id"]])).replace(hour=0, minute=0, second=0)
        if _ts(d["enqueued_at"]) >= start.timestamp():
            waited = int(_ts(d["abandoned_at"])) - int(_ts(d["enqueued_at"]))
            short[d["queue_id"]] = short.get(d["queue_id"], 0) + (waited < limit[d["queue_id"]])
    for qid, w in want.items():
        g = got[qid]
        assert g.offered > 0, qid
        assert (g.offered, g.answered) == (w.offered, w.answered), qid
        assert g.abandoned + g.short_abandoned == w.abandoned + w.short_abandoned, qid
        assert g.short_abandoned == short.get(qid, 0), qid
    assert sum(w.offered for w in want.values()) > 1000  # a day's traffic, not a handful
    assert sum(w.abandoned for w in want.values()) > 10

    # Transfers: the floor's ended, transferred contacts are the log's BLINDTRANSFERs.
    records = final(changes)
    moved = sum(
        1
        for (k, _), c in floor_records.items()
        if k == "interaction" and c["data"]["transfers"] and c["data"]["ended_at"]
    )
    assert sum(1 for (k, _), c in records.items() if k == "interaction" and c["data"]["transfers"]) == moved > 0


def site_of(floor_records: dict, members: dict[str, str] | None = None) -> AsteriskSettings:
    return AsteriskSettings(
        queues={
            rid: QueueSettings(
                sl_threshold_s=d["sl_threshold_s"],
                sl_target=d["sl_target"],
                short_abandon_s=d["short_abandon_s"],
                timezone=d["timezone"],
                channel=d["channel"],
                name=d["name"],
            )
            for (kind, rid), c in floor_records.items()
            if kind == "queue"
            for d in [c["data"]]
        },
        members=members or {},
    )
