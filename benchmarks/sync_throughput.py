"""End-to-end sync throughput: a local hub serving 200,000 changes, pulled into
an empty store, against the raw bound measured in the same run.

The bound: the same JSON pages parsed and validated with the feed's pydantic
models, and written with SQLite executemany upserts, 1,000 rows per
transaction, with no HTTP, no version checks and no per-interval sums.

    uv run python benchmarks/sync_throughput.py [--changes N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from floorview.domain import feed
from floorview.hub.hubstore import HubStore, open_hub_engine
from floorview.hub.seed import simulated_changes
from floorview.store.apply import row_values
from floorview.store.engine import open_engine
from floorview.sync.syncer import Syncer
from floorview.sync.transport import HubClient

TARGET = 0.5
AT = 1763654400.0 + 15 * 3600  # 2025-11-20 15:00 UTC: any fixed day will do


def changes(n: int):
    """Copies of a simulated day, ids made distinct, until there are n changes."""
    day = [c for batch in simulated_changes(7, AT) for c in batch]
    copy = 0
    made = 0
    while made < n:
        for c in day:
            if made == n:
                return
            yield {**c, "id": f"{c['id']}~{copy}"}
            made += 1
        copy += 1


def start_hub(db_url: str, token: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "floorview", "hub", "--db", db_url, "--port", "0", "--print-port"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "FLOORVIEW_HUB_BOOTSTRAP_TOKEN": token},
    )
    line = proc.stdout.readline()
    return proc, f"http://127.0.0.1:{int(line.split()[1])}"


def raw_bound(pages: list[bytes], db: Path) -> float:
    import sqlite3

    from floorview.store import schema

    open_engine(db).dispose()
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    statements = {}
    for kind, table in schema.RECORD_TABLES.items():
        cols = [c.name for c in table.__table__.columns]
        statements[kind] = (
            cols,
            f"INSERT INTO {kind} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
            f"ON CONFLICT(id) DO UPDATE SET {', '.join(f'{c}=excluded.{c}' for c in cols if c != 'id')}",
        )
    n = 0
    start = time.perf_counter()
    for raw in pages:
        rows: dict[str, list] = {}
        for c in json.loads(raw)["changes"]:
            change = feed.Change.model_validate(c)
            model = feed.KINDS[change.kind].model_validate(change.data)
            values = {"id": change.id, "version": change.version, **row_values(change.kind, model)}
            cols = statements[change.kind][0]
            rows.setdefault(change.kind, []).append([values.get(col) for col in cols])
            n += 1
        con.execute("BEGIN IMMEDIATE")
        for kind, batch in rows.items():
            con.executemany(statements[kind][1], batch)
        con.execute("COMMIT")
    elapsed = time.perf_counter() - start
    con.close()
    return n / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--changes", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        hub_url_db = f"sqlite:///{tmp / 'hub.db'}"
        store = HubStore(open_hub_engine(hub_url_db))
        batch = []
        for c in changes(args.changes):
            batch.append(c)
            if len(batch) == 5000:
                store.write(batch)
                batch = []
        store.write(batch)
        store.engine.dispose()
        token = "bench-token"
        hub, url = start_hub(hub_url_db, token)
        try:
            engine = open_engine(tmp / "client.db")
            with HubClient(url, token) as client:
                syncer = Syncer(engine, client)
                start = time.perf_counter()
                result = syncer.pull_until_caught_up()
                elapsed = time.perf_counter() - start
                # the same pages again, kept raw, for the bound
                pages, cursor = [], None
                while True:
                    params = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
                    answer = client.request("GET", "/v1/changes", params=params)
                    pages.append(json.dumps(answer.body).encode())
                    cursor = answer.body["cursor"]
                    if not answer.body["more"]:
                        break
            engine.dispose()
        finally:
            hub.terminate()
            hub.wait()
        ours = result.changes / elapsed
        bound = raw_bound(pages, tmp / "bound.db")
    print(f"end to end: {result.changes:,} changes in {result.pages} pages, {elapsed:.1f} s: {ours:,.0f} changes/s")
    print(f"raw bound (validate + executemany, 1,000 per transaction): {bound:,.0f} changes/s")
    ratio = ours / bound
    print(f"RESULT sync_throughput_ratio {ratio:.2f} x target >= {TARGET} {'PASS' if ratio >= TARGET else 'FAIL'}")


if __name__ == "__main__":
    main()
