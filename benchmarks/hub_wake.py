"""What one woken long poll costs a hub process: N clients long poll at the log's
end on one hub process (PostgreSQL), one write wakes them all, over several
rounds; the hub's CPU per woken poll, and the wall time from the write's
commit to the last answer.

Two ways in the same run: plain requests (hub/plain_polls.py, the clients'
own) and the same requests with one unused parameter, which the plain path
leaves to FastAPI (the reference: every request as the app answers it).
Every client accepts gzip, as the client's httpx does, and is given the
one write's change each round (checked).

    uv run python benchmarks/hub_wake.py [--clients 300] [--rounds 12]
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.hub_scale import TOKEN, cpu_s, start_hubs  # noqa: E402
from floorview.hub.hubstore import HubStore, open_hub_engine  # noqa: E402
from tests.pgserver import PostgresServer  # noqa: E402

TARGET_RATIO = 0.8  # the plain path at most 0.8 of the app's CPU per woken poll


async def rounds(store: HubStore, port: int, clients: int, n: int, extra: str, tag: str) -> tuple[float, float]:
    """(hub CPU seconds per woken poll, median seconds from commit to the last answer)."""
    gen, _, end = store.log_bounds()
    cursors = [f"{store.epoch}.{gen}.{end}"] * clients
    conns = [await asyncio.open_connection("127.0.0.1", port) for _ in range(clients)]

    async def poll(k: int) -> list[str]:
        reader, writer = conns[k]
        writer.write(
            (
                f"GET /v1/changes?cursor={cursors[k]}&wait=25{extra} HTTP/1.1\r\nHost: hub\r\n"
                f"Authorization: Bearer {TOKEN}\r\nAccept-Encoding: gzip\r\n\r\n"
            ).encode()
        )
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(int(h.split(b":")[1]) for h in head.split(b"\r\n") if h.lower().startswith(b"content-length:"))
        raw = await reader.readexactly(length)
        body = json.loads(gzip.decompress(raw) if b"content-encoding: gzip" in head.lower() else raw)
        cursors[k] = body["cursor"]
        return [c["id"] for c in body["changes"]]

    cpu, walls = 0.0, []
    for i in range(n + 1):
        polls = [asyncio.create_task(poll(k)) for k in range(clients)]
        await asyncio.sleep(0.5)  # all waiting
        before, start = cpu_s(PROC[0]), time.perf_counter()
        mark = f"m-{tag}-{i}"
        store.write([{"kind": "queue", "id": mark, "version": 1, "op": "upsert", "data": {"name": "m" * 2000}}])
        got = await asyncio.gather(*polls)
        assert all(ids == [mark] for ids in got), got[:3]
        if i:  # the first round opens the connections
            walls.append(time.perf_counter() - start)
            cpu += cpu_s(PROC[0]) - before
    for _, writer in conns:
        writer.close()
    return cpu / (clients * n), sorted(walls)[len(walls) // 2]


PROC: list[int] = []


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=12)
    args = parser.parse_args()
    pg = PostgresServer().start()
    try:
        url = pg.database()
        store = HubStore(open_hub_engine(url))
        store.add_token(TOKEN, "Bench")
        ((proc, base),) = start_hubs(url, 1)
        PROC.append(proc.pid)
        try:
            port = int(base.rsplit(":", 1)[1])
            results = {}
            ways = (("app", "&unused=1"), ("plain", ""), ("app", "&unused=1"), ("plain", ""))
            for turn, (label, extra) in enumerate(ways):
                cpu, wall = asyncio.run(rounds(store, port, args.clients, args.rounds, extra, f"{label}{turn}"))
                results.setdefault(label, []).append((cpu, wall))
                print(
                    f"{label:5} {args.clients} polls: {cpu * 1e6:.0f} us hub CPU per woken poll, burst {wall * 1000:.0f} ms"
                )
        finally:
            proc.terminate()
            proc.wait()
        app = min(c for c, _ in results["app"])
        plain = min(c for c, _ in results["plain"])
        verdict = "PASS" if plain / app <= TARGET_RATIO else "FAIL"
        print(f"RESULT hub_wake_cpu_per_poll plain {plain * 1e6:.0f} us, app {app * 1e6:.0f} us")
        print(f"RESULT hub_wake_plain_over_app {plain / app:.2f} target <= {TARGET_RATIO} {verdict}")
    finally:
        pg.stop()


if __name__ == "__main__":
    main()
