"""The hub at scale, on PostgreSQL: long-polling clients across 1 and 3 hub
processes while a large floor writes, and a fresh client's catch-up on
PostgreSQL against SQLite.

For each process count, `--clients` clients long poll (wait=25) with their
own cursors, each request to the next process in turn, as a load balancer
would send them. A writer process writes the large simulated floor's changes
in batches (the load), about 100 changes a second in batches of 20 every
200 ms, each with a marker record whose commit time it notes; a client's
latency is the marker's arrival minus that time. Figures: change-to-client
latency p50/p95, /v1/health p95 under the load, the hubs' CPU seconds per
second per 1,000 clients. The clients run in 4 processes (plain HTTP/1.1 on
asyncio streams, one keep-alive connection each, accepting gzip as the
client does) and the health probe in
another; on a small machine they, the writer, the hubs and PostgreSQL share
the cores, and the figures include that.

    uv run python benchmarks/hub_scale.py [--clients 500] [--seconds 20] [--no-catch-up] [--no-load]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from floorview.hub.hubstore import HubStore, open_hub_engine  # noqa: E402
from floorview.hub.seed import simulated_changes  # noqa: E402
from tests.pgserver import PostgresServer  # noqa: E402

TARGET_P95_S = 1.0
TARGET_HEALTH_MS = 100.0
TOKEN = "bench-token-for-hub-scale"
AT = 1763654400.0 + 15 * 3600  # 2025-11-20 15:00 UTC: any fixed day will do

WRITER = r"""
import itertools, json, sys, time
from floorview.hub.hubstore import HubStore, open_hub_engine
from floorview.hub.seed import simulated_changes
url, seconds, at = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
store = HubStore(open_hub_engine(url))
# Another large floor's changes, in the order it made them (agents changing state, contacts
# arriving and ending), under ids of their own: the load is new changes, as a live floor's are.
def own(c):
    c = {**c, "id": "w-" + c["id"]}
    if c.get("data"):
        d = dict(c["data"])
        for key in ("agent_id", "queue_id", "customer_id", "interaction_id"):
            if isinstance(d.get(key), str):
                d[key] = "w-" + d[key]
        if isinstance(d.get("queues"), list):
            d["queues"] = ["w-" + q for q in d["queues"]]
        c["data"] = d
    return c
load = (own(c) for batch in simulated_changes(11, at, "large", days=1) for c in batch)
end, n = time.monotonic() + seconds, 0
next_mark = time.monotonic()
while time.monotonic() < end:
    # A large floor's pace: about 100 changes a second, in batches of 20 every 200 ms, each with a marker.
    n += 1
    batch = list(itertools.islice(load, 19))
    batch.append({"kind": "queue", "id": f"mark-{n}", "version": 1, "op": "upsert",
                  "data": {"name": "mark", "channel": "voice"}})
    store.write(batch)
    print(json.dumps([f"mark-{n}", time.time()]), flush=True)  # committed: the clock starts
    next_mark += 0.2
    time.sleep(max(0.0, next_mark - time.monotonic()))
"""


def start_hubs(url: str, n: int) -> list[tuple[subprocess.Popen, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOORVIEW_")}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "floorview", "hub", "--db", url, "--port", "0", "--print-port"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        for _ in range(n)
    ]
    return [(p, f"http://127.0.0.1:{_port(p)}") for p in procs]


def _port(proc: subprocess.Popen) -> int:
    assert proc.stdout is not None
    return int(proc.stdout.readline().split()[1])


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


# The clients speak plain HTTP/1.1 on asyncio streams, one keep-alive connection each:
# httpx costs a few milliseconds a response, and 500 of them on a small machine
# measured the client, not the hub.
CLIENTS = r"""
import asyncio, gzip, json, sys, time
from urllib.parse import urlsplit
urls, n, first, cursor0, token, seconds = json.loads(sys.argv[1])
async def main():
    arrived, pages = [], []
    async def client(k):
        cursor, turn, conns = cursor0, first + k, {}
        while True:
            turn += 1
            where = urlsplit(urls[turn % len(urls)])
            try:
                if where.port not in conns:
                    conns[where.port] = await asyncio.open_connection(where.hostname, where.port)
                reader, writer = conns[where.port]
                writer.write((f"GET /v1/changes?cursor={cursor}&wait=25&limit=1000 HTTP/1.1\r\n"
                              f"Host: {where.netloc}\r\nAuthorization: Bearer {token}\r\n"
                              "Accept-Encoding: gzip\r\n\r\n").encode())  # as the client's httpx asks
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head.split(b" ", 2)[1])
                length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length:"))
                raw = await reader.readexactly(length)
                body = json.loads(gzip.decompress(raw) if b"content-encoding: gzip" in head.lower() else raw)
            except (OSError, asyncio.IncompleteReadError, StopIteration, ValueError):
                conns.pop(where.port, None)
                await asyncio.sleep(0.2)
                continue
            now = time.time()
            if status != 200:
                await asyncio.sleep(0.5)
                continue
            cursor = body["cursor"]
            pages.append(len(body["changes"]))
            arrived.extend((ch["id"], now) for ch in body["changes"] if ch["id"].startswith("mark-"))
    tasks = [asyncio.create_task(client(k)) for k in range(n)]
    print("READY", flush=True)
    await asyncio.sleep(seconds)
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    print(json.dumps({"arrived": arrived, "pages": pages}), flush=True)
asyncio.run(main())
"""

PROBE = r"""
import json, sys, time
import httpx
urls, seconds = json.loads(sys.argv[1])
out, end = [], time.monotonic() + seconds
with httpx.Client(timeout=30) as http:
    while time.monotonic() < end:
        t = time.perf_counter()
        http.get(f"{urls[len(out) % len(urls)]}/v1/health")
        out.append((time.perf_counter() - t) * 1000)
        time.sleep(0.1)
print(json.dumps(out), flush=True)
"""


def load_run(urls: list[str], clients: int, seconds: float, db_url: str, workers: int = 4) -> dict:
    """`clients` long-polling clients in `workers` processes, a health probe in another,
    while the writer writes for `seconds`."""
    bounds = HubStore(open_hub_engine(db_url))
    gen, _, end = bounds.log_bounds()
    cursor0 = f"{bounds.epoch}.{gen}.{end}"  # every client starts at the log's end: it is sent the load
    bounds.engine.dispose()
    span = seconds + 8
    share = [clients // workers + (i < clients % workers) for i in range(workers)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CLIENTS, json.dumps([urls, n, sum(share[:i]), cursor0, TOKEN, span])],
            stdout=subprocess.PIPE,
            text=True,
        )
        for i, n in enumerate(share)
        if n
    ]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "READY"
    time.sleep(2)  # every client waiting
    probe = subprocess.Popen(
        [sys.executable, "-c", PROBE, json.dumps([urls, seconds])], stdout=subprocess.PIPE, text=True
    )
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, db_url, str(seconds), str(AT)], stdout=subprocess.PIPE, text=True
    )
    sent = dict(json.loads(line) for line in writer.communicate()[0].splitlines())
    health = json.loads(probe.communicate()[0])
    delays, pages = [], []
    for proc in procs:
        got = json.loads(proc.communicate()[0].splitlines()[-1])
        delays += [at - sent[mark] for mark, at in got["arrived"] if mark in sent]
        pages += got["pages"]
    expected = len(sent) * clients
    return {
        "delays": delays,
        "health": health,
        "delivered": len(delays) / expected if expected else 0.0,
        "per_page": statistics.mean(pages) if pages else 0.0,
    }


def catch_up(db_url: str, tmp: Path, label: str) -> tuple[float, int]:
    """A fresh client pulling the whole large floor from one hub: seconds, changes."""
    from floorview.store.engine import open_engine
    from floorview.sync.syncer import Syncer
    from floorview.sync.transport import HubClient

    hub = start_hubs(db_url, 1)[0]
    try:
        engine = open_engine(tmp / f"client-{label}.db")
        with HubClient(hub[1], TOKEN) as client:
            start = time.perf_counter()
            result = Syncer(engine, client).pull_until_caught_up()
            elapsed = time.perf_counter() - start
        engine.dispose()
    finally:
        hub[0].terminate()
        hub[0].wait()
    return elapsed, result.changes


def seed(url: str, changes: list[dict]) -> None:
    store = HubStore(open_hub_engine(url))
    store.add_token(TOKEN, "Bench")
    for i in range(0, len(changes), 5000):
        store.write(changes[i : i + 5000])
    store.engine.dispose()


def report(runs: dict) -> None:
    """The RESULT lines of the runs under load."""
    p95_3 = pct(runs[3]["delays"], 0.95)
    h95 = max(pct(runs[n]["health"], 0.95) for n in runs)
    ratio = pct(runs[1]["delays"], 0.95) / p95_3 if p95_3 else float("nan")
    verdict = "PASS" if p95_3 < TARGET_P95_S else "FAIL"
    print(f"RESULT hub_scale_p95_3_processes {p95_3 * 1000:.0f} ms target < {TARGET_P95_S * 1000:.0f} {verdict}")
    verdict = "PASS" if h95 < TARGET_HEALTH_MS else "FAIL"
    print(f"RESULT hub_scale_health_p95 {h95:.0f} ms target < {TARGET_HEALTH_MS:.0f} {verdict}")
    print(f"RESULT hub_scale_p95_1_over_3 {ratio:.2f} x (latency of 1 process over 3, same clients)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--no-catch-up", action="store_true", help="leave out the catch-up comparison")
    parser.add_argument("--no-load", action="store_true", help="leave out the clients under load (catch-up only)")
    args = parser.parse_args()
    floor = [c for batch in simulated_changes(7, AT, "large", days=1) for c in batch]
    pg = PostgresServer().start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tmp_path = Path(tmp)
            runs = {}
            for n in () if args.no_load else (1, 3):
                url = pg.database()
                seed(url, floor)
                hubs = start_hubs(url, n)
                try:
                    before = sum(cpu_s(p.pid) for p, _ in hubs)
                    started = time.monotonic()
                    out = load_run([u for _, u in hubs], args.clients, args.seconds, url)
                    cpu = (sum(cpu_s(p.pid) for p, _ in hubs) - before) / (time.monotonic() - started)
                finally:
                    for p, _ in hubs:
                        p.terminate()
                        p.wait()
                runs[n] = out
                p50, p95 = pct(out["delays"], 0.5), pct(out["delays"], 0.95)
                h95 = pct(out["health"], 0.95)
                print(
                    f"{n} process(es), {args.clients} clients: change-to-client p50 {p50 * 1000:.0f} ms, "
                    f"p95 {p95 * 1000:.0f} ms; /v1/health p95 {h95:.0f} ms; hub CPU {cpu / args.clients * 1000:.2f} "
                    f"s/s per 1,000 clients; marks delivered {out['delivered']:.1%}, {out['per_page']:.0f} changes a page"
                )
            if runs:
                report(runs)
            if args.no_catch_up:
                return
            pg_url, lite_url = pg.database(), f"sqlite:///{tmp_path / 'hub.db'}"
            for url in (pg_url, lite_url):
                seed(url, floor)
            pg_s, n_pg = catch_up(pg_url, tmp_path, "pg")
            lite_s, n_lite = catch_up(lite_url, tmp_path, "sqlite")
            print(
                f"RESULT hub_catch_up_postgresql {n_pg / pg_s:,.0f} changes/s ({n_pg:,} in {pg_s:.1f} s)"
                f" | sqlite {n_lite / lite_s:,.0f} changes/s ({n_lite:,} in {lite_s:.1f} s)"
            )
    finally:
        pg.stop()


if __name__ == "__main__":
    main()
