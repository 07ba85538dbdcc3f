"""Several hub processes on one database, an SQLite file or PostgreSQL (issue 14; docs/hub.md).

Three real `floorview hub` processes serve one database while writers work
in every way the hub is written: note PUTs on shared notes from several
clients through every process, and store writes (agents that change team,
interactions, deletes, tombstone purges) from separate processes through
`HubStore`. Readers page with cursors against a random process at every
request. When the writers stop, each reader catches up once more, and what
it holds is compared with the final log:
- no change skipped: every reader holds exactly the log's live records at
  the log's versions (a write that landed below a reader's cursor, or a
  delete a purge took from under a page, would leave it behind for good);
- positions never repeat and never go back: each reader's cursor only rises,
  the log's counter is at or past every position, and no write failed;
- every accepted note version holds exactly one text, the one its PUT was
  answered with, in every reader and in the log;
- no 500s.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import create_engine
from sqlalchemy import text as sql

from floorview.hub.hubstore import HubStore, open_hub_engine

NOTES = [f"n-{i}" for i in range(4)]  # few notes, many writers: every PUT contends

# A store writer in a process of its own: batches of agents (some changing
# team, which re-stamps their records), interactions, customers and deletes,
# and, in the first writer, purges of tombstones as soon as they are 0.3 s old.
# It pauses a few milliseconds between batches, as a source does between ticks:
# SQLite's lock is not fair, and writers in tight loops can starve another
# writer past the busy timeout (a PUT is then answered 503, a source's write
# raises and its thread retries, as this one does).
STORE_WRITER = r"""
import json, random, sys, time
from sqlalchemy.exc import OperationalError
from floorview.hub.hubstore import HubStore, open_hub_engine

url, name, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
store = HubStore(open_hub_engine(url))
rng = random.Random(name)
teams, queues = ["Harbor", "Summit", "Canyon"], ["q-1", "q-2", "q-3", "q-4"]
mine, written, purged_now, batches, busy = [], 0, [], 0, 0


def retried(work):
    # Run `work`; the times the lock stayed taken past the busy timeout (it then tries again, as a writer thread does).
    for attempt in range(20):
        try:
            work()
            return attempt
        except OperationalError as exc:
            if "locked" not in str(exc):
                raise
            time.sleep(0.05)
    raise RuntimeError("the lock stayed taken for 20 busy timeouts")


end = time.monotonic() + seconds
while time.monotonic() < end:
    batch = []
    for _ in range(rng.randint(1, 12)):
        roll = rng.random()
        version = time.time_ns()  # shared records: rising across processes
        if roll < 0.15:
            aid = f"ag-{rng.randrange(6)}"
            data = {"name": aid, "team": rng.choice(teams), "state": "available",
                    "state_since": "2026-11-20T10:00:00Z", "queues": rng.sample(queues, 2)}
            batch.append({"kind": "agent", "id": aid, "version": version, "op": "upsert", "data": data})
        elif roll < 0.25:
            cid = f"c-{rng.randrange(10)}"
            batch.append({"kind": "customer", "id": cid, "version": version, "op": "upsert",
                          "data": {"name": cid, "segment": "consumer"}})
        elif roll < 0.35 and mine:
            iid = mine.pop(rng.randrange(len(mine)))
            batch.append({"kind": "interaction", "id": iid, "version": 2, "op": "delete"})
        else:
            iid = f"{name}-i{written}"
            written += 1
            mine.append(iid)
            data = {"queue_id": rng.choice(queues), "agent_id": f"ag-{rng.randrange(6)}",
                    "customer_id": f"c-{rng.randrange(10)}", "channel": "voice", "state": "handled",
                    "arrived_at": "2026-11-20T10:00:00Z"}
            batch.append({"kind": "interaction", "id": iid, "version": 1, "op": "upsert", "data": data})
    busy += retried(lambda: store.write(batch))
    batches += 1
    if name == "w0" and rng.random() < 0.2:
        busy += retried(lambda: purged_now.append(store.purge_tombstones(older_than_s=0.3)))
    time.sleep(rng.uniform(0.002, 0.02))  # a source between ticks (a tight loop starves the others of the lock)
print(json.dumps({"batches": batches, "written": written, "purged": sum(purged_now), "busy": busy}))
"""


def start_hubs(url: str, n: int, stderr: Path, *flags: str) -> list[tuple[subprocess.Popen, str]]:
    """`n` hub processes on the database, started together; (process, base URL) each."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FLOORVIEW_")}
    procs = []
    for i in range(n):
        with open(stderr.with_suffix(f".{i}.log"), "w") as err:
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "floorview", "hub", "--db", url, "--port", "0", "--print-port", *flags],
                    stdout=subprocess.PIPE,
                    stderr=err,
                    text=True,
                    env=clean,
                )
            )
    out = []
    for proc in procs:
        line = proc.stdout.readline()
        out.append((proc, f"http://127.0.0.1:{int(line.split()[1])}" if line.startswith("PORT ") else ""))
    return out


def stop_hubs(hubs) -> None:
    for proc, _ in hubs:
        proc.terminate()
    for proc, _ in hubs:
        proc.wait(30)


@dataclass
class Reader:
    """A client paging with a cursor, each request to a random hub process."""

    token: str
    urls: list[str]
    rng: random.Random
    held: dict = field(default_factory=dict)  # (kind, id) -> (version, op)
    note_texts: list = field(default_factory=list)  # (id, version, body) of every note version seen
    cursor: str | None = None
    pages: int = 0
    restarts: int = 0
    statuses: Counter = field(default_factory=Counter)
    backwards: int = 0  # a cursor whose position is below the one before it

    def step(self, client: httpx.Client, wait: float = 0) -> bool:
        """One page; True when it said there is no more."""
        params: dict = {"limit": self.rng.choice((7, 50, 400))}
        if self.cursor:
            params["cursor"] = self.cursor
        if wait:
            params["wait"] = wait
        answer = client.get(f"{self.rng.choice(self.urls)}/v1/changes", params=params)
        self.statuses[answer.status_code] += 1
        if answer.status_code == 410:  # a purge passed the cursor: start over, as the protocol says
            self.held.clear()
            self.cursor = None
            self.restarts += 1
            return False
        if answer.status_code != 200:
            return False
        body = answer.json()
        for ch in body["changes"]:
            key = (ch["kind"], ch["id"])
            if ch["kind"] == "note" and ch["op"] == "upsert":
                self.note_texts.append((ch["id"], ch["version"], ch["data"]["body"]))
            if key not in self.held or self.held[key][0] < ch["version"]:
                self.held[key] = (ch["version"], ch["op"])
        if self.cursor and int(body["cursor"].rsplit(".", 1)[1]) < int(self.cursor.rsplit(".", 1)[1]):
            self.backwards += 1
        self.cursor = body["cursor"]
        self.pages += 1
        return not body["more"]


@dataclass
class NoteWriter:
    """A client editing the shared notes, each PUT to a random hub process, on
    the version it last knew (from its own answer or a 409)."""

    name: str
    token: str
    urls: list[str]
    rng: random.Random
    known: dict = field(default_factory=dict)  # note id -> version
    accepted: list = field(default_factory=list)  # (id, version, body) answered 200/201
    statuses: Counter = field(default_factory=Counter)
    busy_without_retry_after: int = 0

    def step(self, client: httpx.Client, n: int) -> None:
        note_id = self.rng.choice(NOTES)
        text = f"{self.name} edit {n}"
        body = {"agent_id": "ag-0", "type": "coaching", "visibility": "team", "body": text}
        body["base_version"] = self.known.get(note_id, 0)
        answer = client.put(f"{self.rng.choice(self.urls)}/v1/notes/{note_id}", json=body)
        self.statuses[answer.status_code] += 1
        if answer.status_code in (200, 201):
            got = answer.json()
            self.accepted.append((note_id, got["version"], got["data"]["body"]))
            self.known[note_id] = got["version"]
        elif answer.status_code == 409:
            current = answer.json()["current"]
            self.known[note_id] = current["version"] if current else 0
        elif answer.status_code == 503:
            self.busy_without_retry_after += "retry-after" not in answer.headers


@dataclass
class Outcome:
    readers: list[Reader]
    writers: list[NoteWriter]
    store_writers: list[dict]
    log: dict  # (kind, id) -> (version, op)
    log_notes: dict  # note id -> (version, body)
    meta_seq: int
    max_seq: int
    hub_errors: list[str]


def contend(
    tmp_path: Path, url: str, seconds: float, n_hubs: int = 3, n_readers: int = 4, n_writers: int = 6
) -> Outcome:
    setup = HubStore(open_hub_engine(url))
    token = setup.create_token("Floor")
    setup.engine.dispose()
    hubs = start_hubs(url, n_hubs, tmp_path / "hub")
    try:
        urls = [u for _, u in hubs]
        assert all(urls), "a hub did not start"
        store_writers = [
            subprocess.Popen(
                [sys.executable, "-c", STORE_WRITER, url, f"w{i}", str(seconds)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for i in range(2)
        ]
        stop = threading.Event()
        readers = [Reader(token, urls, random.Random(i)) for i in range(n_readers)]
        writers = [NoteWriter(f"c{i}", token, urls, random.Random(100 + i)) for i in range(n_writers)]
        failures: list[BaseException] = []

        def read(reader: Reader) -> None:
            try:
                with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
                    while not stop.is_set():
                        reader.step(client, wait=reader.rng.choice((0, 0, 0.5)))
            except BaseException as exc:  # noqa: BLE001 - reported by the test
                failures.append(exc)

        def write(writer: NoteWriter) -> None:
            try:
                with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
                    n = 0
                    while not stop.is_set():
                        writer.step(client, n)
                        n += 1
            except BaseException as exc:  # noqa: BLE001
                failures.append(exc)

        threads = [threading.Thread(target=read, args=(r,)) for r in readers]
        threads += [threading.Thread(target=write, args=(w,)) for w in writers]
        for t in threads:
            t.start()
        results = []
        for proc in store_writers:
            out, err = proc.communicate(timeout=seconds + 60)
            assert proc.returncode == 0, err[-3000:]
            results.append(json.loads(out))
        stop.set()
        for t in threads:
            t.join(60)
        assert not failures, failures
        # Writers done: every reader catches up once more.
        with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
            for reader in readers:
                for _ in range(10_000):
                    if reader.step(client):
                        break
    finally:
        stop_hubs(hubs)
    engine = create_engine(url)
    with engine.connect() as con:
        log = {(k, i): (v, op) for k, i, v, op in con.execute(sql("SELECT kind, id, version, op FROM hub_record"))}
        notes = sql("SELECT id, version, data FROM hub_record WHERE kind='note' AND op='upsert'")
        log_notes = {i: (v, json.loads(d)["body"]) for i, v, d in con.execute(notes)}
        meta_seq = con.execute(sql("SELECT seq FROM hub_meta")).scalar_one()
        max_seq = con.execute(sql("SELECT coalesce(max(seq), 0) FROM hub_record")).scalar_one()
    engine.dispose()
    hub_errors = [
        p.read_text() for p in tmp_path.glob("hub.*.log") if "Traceback" in p.read_text() or "ERROR" in p.read_text()
    ]
    return Outcome(readers, writers, results, log, log_notes, meta_seq, max_seq, hub_errors)


def problems(out: Outcome) -> dict[str, int]:
    """Each kind of fault, counted (all zero when the hub is right)."""
    live = {k: v for k, (v, op) in out.log.items() if op == "upsert"}
    accepted: dict[tuple[str, int], set[str]] = {}
    for w in out.writers:
        for note_id, version, text in w.accepted:
            accepted.setdefault((note_id, version), set()).add(text)
    found = Counter()
    for r in out.readers:
        held = {k: v for k, (v, op) in r.held.items() if op == "upsert"}
        found["records a reader lacks or holds stale"] += sum(1 for k, v in live.items() if held.get(k) != v)
        found["records a reader holds that the log deleted"] += sum(1 for k in held if k not in live)
        found["cursors that went back"] += r.backwards
        found["reader 5xx"] += sum(n for s, n in r.statuses.items() if s >= 500)
        for note_id, version, text in r.note_texts:
            if text not in accepted.get((note_id, version), {text}):
                found["note versions read with a text not accepted"] += 1
    found["note versions accepted with two texts"] = sum(1 for texts in accepted.values() if len(texts) > 1)
    # 503 (with Retry-After) is the protocol's answer when the file stays locked
    # for the busy timeout: writers in tight loops may starve a PUT that long.
    found["writer 5xx but 503"] = sum(n for w in out.writers for s, n in w.statuses.items() if s >= 500 and s != 503)
    found["writer 503 without Retry-After"] = sum(w.busy_without_retry_after for w in out.writers)
    for note_id, (version, text) in out.log_notes.items():
        if text not in accepted.get((note_id, version), {text}):
            found["notes in the log with a text not accepted"] += 1
        # Only PUTs write notes, each on the version before it: the versions
        # accepted are 1 to the note's last, each once; a gap is an edit lost.
        taken = sorted(v for w in out.writers for n, v, _ in w.accepted if n == note_id)
        if taken != list(range(1, version + 1)):
            found["notes whose accepted versions are not 1 to the last, each once"] += 1
    found["log counter behind a position"] = int(out.meta_seq < out.max_seq)
    found["hub processes that logged an error"] = len(out.hub_errors)
    return {k: v for k, v in found.items() if v}


def test_three_hub_processes_serve_concurrent_writers_and_readers_every_change_once(tmp_path, hub_url):
    out = contend(tmp_path, hub_url, seconds=8)
    assert problems(out) == {}, (problems(out), out.hub_errors[:1])
    # It was a contest: notes were taken and refused, records were purged, every reader paged.
    puts = sum((w.statuses for w in out.writers), Counter())
    assert puts[200] + puts[201] > 20 and puts[409] > 20, puts
    assert all(r.pages > 20 for r in out.readers)
    assert sum(s["purged"] for s in out.store_writers) > 0
    assert sum(s["batches"] for s in out.store_writers) > 20


# -- starting together -----------------------------------------------------------


def test_three_hubs_starting_at_once_on_a_new_database_all_serve(tmp_path, hub_url):
    """The tables are made inside a write transaction: the hubs take turns and
    the later ones find them made (before: "database is locked" for all but
    one, in 30 of 30 tries of three threads)."""
    url = hub_url
    hubs = start_hubs(url, 3, tmp_path / "hub")
    try:
        assert all(u for _, u in hubs), [p.read_text()[-2000:] for p in tmp_path.glob("hub.*.log")]
        store = HubStore(open_hub_engine(url))
        token = store.create_token("Floor")
        store.write([{"kind": "queue", "id": "q-1", "version": 1, "op": "upsert", "data": {"name": "Sales"}}])
        epochs = set()
        for _, u in hubs:
            health = httpx.get(f"{u}/v1/health").json()
            assert health["status"] == "ok" and health["protocol"] == 1, health
            page = httpx.get(f"{u}/v1/changes", headers={"Authorization": f"Bearer {token}"}).json()
            assert [c["id"] for c in page["changes"]] == ["q-1"]
            epochs.add(page["cursor"].split(".")[0])
        assert len(epochs) == 1  # one database, one epoch: made once
        store.engine.dispose()
    finally:
        stop_hubs(hubs)


def test_hubs_opening_a_new_database_in_threads_at_once_each_get_it_made_once(hub_dbs):
    for _attempt in range(10):
        url = hub_dbs()
        barrier = threading.Barrier(4)
        errors: list[BaseException] = []
        epochs: list[str] = []

        def start() -> None:
            barrier.wait()
            try:
                store = HubStore(open_hub_engine(url))
                epochs.append(store.epoch)
                store.engine.dispose()
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)

        threads = [threading.Thread(target=start) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not errors, errors
        assert len(epochs) == 4 and len(set(epochs)) == 1
        engine = create_engine(url)
        with engine.connect() as con:
            for table in ("hub_meta", "hub_format", "hub_alembic_version"):
                assert con.execute(sql(f"SELECT count(*) FROM {table}")).scalar_one() == 1, table
        engine.dispose()


# -- positions and versions ------------------------------------------------------


def _note(body: str) -> dict:
    return {"agent_id": "ag-0", "type": "coaching", "visibility": "team", "body": body}


def test_a_write_that_changes_nothing_leaves_the_log_end_where_it_is(hub_url):
    store = HubStore(open_hub_engine(hub_url))
    store.write([{"kind": "queue", "id": f"q-{i}", "version": 2, "op": "upsert", "data": {}} for i in range(3)])
    end = store.log_bounds()[2]
    assert end == 3
    assert store.write([{"kind": "queue", "id": "q-0", "version": 1, "op": "upsert", "data": {}}]) == 0
    assert store.write([{"kind": "queue", "id": "q-1", "version": 2, "op": "upsert", "data": {}}]) == 0
    assert store.log_bounds()[2] == end
    assert store.write([{"kind": "queue", "id": "q-9", "version": 1, "op": "upsert", "data": {}}]) == 1
    assert store.log_bounds()[2] == end + 1
    store.engine.dispose()


def test_a_put_on_a_purged_tombstones_version_does_not_overwrite_the_note_made_since(hub_url):
    """Version check and bump in the write transaction, against the version the
    PUT was judged on: a PUT judged on a tombstone (version 2) that a purge then
    took, while another client made the note anew (version 1), is a conflict;
    it was written over the new note (version 3 > 1), an edit lost."""
    from floorview.hub import server
    from floorview.hub.hubstore import Scope

    store = HubStore(open_hub_engine(hub_url))
    floor = Scope("Floor")
    assert server._put_note(store, floor, "n-1", {**_note("first"), "base_version": 0}).status_code == 201
    store.write([{"kind": "note", "id": "n-1", "version": 2, "op": "delete"}])
    judged = store.current
    late: list = []

    def current_then_purge_and_remake(kind: str, rid: str):
        seen = judged(kind, rid)
        if not late:  # the first PUT read the tombstone; then the purge, then another client's new note
            late.append(seen)
            assert store.purge_tombstones(older_than_s=-1) == 1
            assert server._put_note(store, floor, "n-1", {**_note("made anew"), "base_version": 0}).status_code == 201
        return seen

    store.current = current_then_purge_and_remake  # type: ignore[method-assign]
    answer = server._put_note(store, floor, "n-1", {**_note("an edit of the deleted note"), "base_version": 2})
    store.current = judged  # type: ignore[method-assign]
    assert answer.status_code == 409
    assert store.current("note", "n-1")["data"]["body"] == "made anew"
    store.engine.dispose()


# -- a purge while a page is read --------------------------------------------------


def test_a_purge_while_a_long_poll_waits_is_a_410_not_a_missed_delete(hub_url):
    """The long poll's position is checked against the log in the snapshot each
    page is read in. Before, it was checked once, when the request came: a
    purge while it waited took the delete from under it, and the cursor it
    was given named the new purge generation, so the client never learned."""
    from .hubs import start_hub

    hub = start_hub(hub_url)
    try:
        hub.store.write([{"kind": "queue", "id": "q-1", "version": 1, "op": "upsert", "data": {}}])
        auth = {"Authorization": f"Bearer {hub.token}"}
        cursor = httpx.get(f"{hub.url}/v1/changes", headers=auth).json()["cursor"]
        answers: list = []
        poll = threading.Thread(
            target=lambda: answers.append(
                httpx.get(f"{hub.url}/v1/changes", headers=auth, params={"cursor": cursor, "wait": 5}, timeout=30)
            )
        )
        poll.start()
        time.sleep(0.3)  # the poll is waiting (it would only answer sooner, with the delete, were it not)
        other = HubStore(open_hub_engine(hub_url))  # another process's store: no wake-up but NOTIFY
        other.write([{"kind": "queue", "id": "q-1", "version": 2, "op": "delete"}])
        assert other.purge_tombstones(older_than_s=-1) == 1
        poll.join(30)
        other.engine.dispose()
        answer = answers[0]
        if answer.status_code == 200:  # it saw the delete before the purge
            assert [(c["id"], c["op"]) for c in answer.json()["changes"]] == [("q-1", "delete")]
        else:
            assert answer.status_code == 410, answer.text
    finally:
        hub.stop()


# -- a writer thread that meets an error ---------------------------------------------


def test_the_floors_writer_restarts_after_errors_says_so_in_health_and_loses_nothing(tmp_path, monkeypatch):
    import uvicorn
    from sqlalchemy import select
    from sqlalchemy.exc import OperationalError

    from floorview.hub import supervise
    from floorview.hub.run import FloorFeeder, hub_config
    from floorview.hub.server import create_app
    from floorview.hub.tables import hub_record

    monkeypatch.setattr(supervise, "FIRST_WAIT_S", 0.05)
    store = HubStore(open_hub_engine(f"sqlite:///{tmp_path / 'hub.db'}"))
    failing = threading.Event()
    failing.set()
    real_write = store.write

    def write(changes, *args, **kwargs):  # a fault no real part produces on demand
        if failing.is_set():
            raise OperationalError("INSERT ...", None, sqlite3.OperationalError("database is locked"))
        return real_write(changes, *args, **kwargs)

    monkeypatch.setattr(store, "write", write)
    feeder = FloorFeeder(store, seed=7, speed=600, tick_s=0.02, day_start=time.time() - 1800)
    server = uvicorn.Server(hub_config(create_app(store, None, [feeder.status]), "127.0.0.1", 0, log_level="critical"))
    serving = threading.Thread(target=server.run, daemon=True)
    serving.start()
    floor = threading.Thread(target=feeder.run, daemon=True)
    floor.start()
    try:
        for _ in range(2000):
            if server.started and feeder.status.restarts >= 3:
                break
            time.sleep(0.01)
        url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
        health = httpx.get(f"{url}/v1/health").json()
        assert health["status"] == "degraded"
        (writer,) = health["writers"]
        assert writer["name"] == "floor" and writer["state"] == "restarting" and writer["restarts"] >= 3
        assert "database is locked" in writer["last_error"]
        assert floor.is_alive() and feeder.ready.is_set()  # the hub serves what it has meanwhile
        failing.clear()
        for _ in range(2000):
            if feeder.status.state == "running":
                break
            time.sleep(0.01)
        health = httpx.get(f"{url}/v1/health").json()
        assert health["status"] == "ok" and health["writers"][0]["state"] == "running"
        assert "database is locked" in health["writers"][0]["last_error"]  # the last error stays on record
    finally:
        feeder.stop.set()
        floor.join(30)
        server.should_exit = True
        serving.join(30)
    assert not floor.is_alive()
    # Nothing the floor made was lost to the failed writes: every record at the floor's version.
    with store.engine.connect() as conn:
        stored = {
            (r.kind, r.id): r.version
            for r in conn.execute(select(hub_record.c.kind, hub_record.c.id, hub_record.c.version))
        }
    assert feeder.floor is not None and feeder.floor.versions
    assert stored == feeder.floor.versions
    store.engine.dispose()


# -- waking long polls across processes (PostgreSQL) -------------------------------------


def test_a_long_poll_on_one_hub_process_wakes_at_once_when_another_writes(tmp_path, pg_server):
    """On PostgreSQL a write NOTIFYs every hub process (LISTEN), so a long poll
    on another process answers at once rather than at its next look a second
    later (before: median 259-384 ms, worst 1 s). Measured from the moment the
    writer's commit returns to the moment the poll's answer arrives."""
    url = pg_server.database()
    setup = HubStore(open_hub_engine(url))
    token = setup.create_token("Floor")
    hubs = start_hubs(url, 2, tmp_path / "hub")
    try:
        poll_at, _ = hubs[0][1], hubs[1][1]
        auth = {"Authorization": f"Bearer {token}"}
        cursor = httpx.get(f"{poll_at}/v1/changes", headers=auth).json()["cursor"]
        delays = []
        with httpx.Client(headers=auth, timeout=30) as client:
            for i in range(20):
                answers: list = []

                def poll(c=cursor) -> None:
                    got = client.get(f"{poll_at}/v1/changes", params={"cursor": c, "wait": 10})
                    answers.append((time.monotonic(), got))

                waiting = threading.Thread(target=poll)
                waiting.start()
                time.sleep(0.25 + random.random() * 0.5)  # the poll waits; the write lands anywhere in its second
                setup.write([{"kind": "queue", "id": f"q-{i}", "version": 1, "op": "upsert", "data": {}}])
                written = time.monotonic()
                waiting.join(30)
                answered, page = answers[0]
                assert [c["id"] for c in page.json()["changes"]] == [f"q-{i}"]
                delays.append(answered - written)
                cursor = page.json()["cursor"]
    finally:
        stop_hubs(hubs)
        setup.engine.dispose()
    delays.sort()
    # Without the wake-up the poll finds the write at its next look: up to 1 s, 500 ms at the median.
    # (The 200 ms p95 target is measured by benchmarks/hub_scale.py: a test does not time a shared machine.)
    assert delays[len(delays) // 2] < 0.25, delays


def test_long_polls_woken_together_at_one_cursor_read_their_page_once(hub_url):
    """Caught-up clients all hold the log's end: a write wakes them together, and
    they share one read of the page and one check of the token (before: one each,
    so a hundred clients made a hundred identical reads per write)."""
    from .hubs import start_hub

    hub = start_hub(hub_url)
    reads: list = []
    real = hub.store.read_page

    def counted(*args, **kwargs):
        reads.append(args[1])
        return real(*args, **kwargs)

    hub.store.read_page = counted  # type: ignore[method-assign]
    try:
        auth = {"Authorization": f"Bearer {hub.token}"}
        cursor = httpx.get(f"{hub.url}/v1/changes", headers=auth).json()["cursor"]
        answers: list = []

        def poll() -> None:
            with httpx.Client(headers=auth, timeout=30) as client:
                answers.append(client.get(f"{hub.url}/v1/changes", params={"cursor": cursor, "wait": 10}))

        polls = [threading.Thread(target=poll) for _ in range(20)]
        for p in polls:
            p.start()
        time.sleep(1.5)  # all waiting (each has looked at least once, and again at its 1 s re-check)
        reads.clear()
        hub.store.write([{"kind": "queue", "id": "q-1", "version": 1, "op": "upsert", "data": {"name": "Sales"}}])
        for p in polls:
            p.join(30)
        assert [a.status_code for a in answers] == [200] * 20
        assert all([c["id"] for c in a.json()["changes"]] == ["q-1"] for a in answers)
        assert len({a.json()["cursor"] for a in answers}) == 1
        # One read for the wake (a re-check landing at the same moment may make a second).
        assert len(reads) <= 3, len(reads)
    finally:
        hub.store.read_page = real  # type: ignore[method-assign]
        hub.stop()


def test_long_polls_woken_together_are_sent_one_answer_compressed_once(hub_url):
    """The answer of a shared read is made once, gzip included: clients that accept
    gzip (httpx does, as the client's transport) are sent the same compressed
    bytes, stamped with the read's time; a client that does not is sent the same
    page uncompressed."""
    from .hubs import start_hub

    hub = start_hub(hub_url)
    try:
        auth = {"Authorization": f"Bearer {hub.token}"}
        cursor = httpx.get(f"{hub.url}/v1/changes", headers=auth).json()["cursor"]
        answers: list[tuple[str, httpx.Response]] = []

        def poll(encoding: str) -> None:
            with httpx.Client(headers={**auth, "Accept-Encoding": encoding}, timeout=30) as client:
                answers.append((encoding, client.get(f"{hub.url}/v1/changes", params={"cursor": cursor, "wait": 10})))

        polls = [threading.Thread(target=poll, args=("gzip" if i % 4 else "identity",)) for i in range(12)]
        for p in polls:
            p.start()
        time.sleep(1.5)  # all waiting
        queue = {"kind": "queue", "version": 1, "op": "upsert"}
        hub.store.write([{**queue, "id": f"q-{i}", "data": {"name": f"Queue number {i}"}} for i in range(40)])
        for p in polls:
            p.join(30)
        assert len(answers) == 12 and all(a.status_code == 200 for _, a in answers)
        pages = [a.json() for _, a in answers]
        assert all([c["id"] for c in page["changes"]] == [f"q-{i}" for i in range(40)] for page in pages)
        assert len({json.dumps(page, sort_keys=True) for page in pages}) == 1  # one answer, one server_time
        for encoding, answer in answers:
            assert answer.headers.get("content-encoding") == ("gzip" if encoding == "gzip" else None), encoding
            assert len(answer.content) > 1024
    finally:
        hub.stop()
