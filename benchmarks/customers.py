"""The customer card (5) and the recovery list (6) on the large store
(1 million customers, about 2 million contacts).

Search and card: a search by a fragment of a name through the trigram index,
then the card of the first customer found (its reads and every score), as
`/` then `enter` do. Reference, in the same run: the same fragment found the
plain way, `name LIKE '%fragment%'` over the customer table.

Recovery: what the Recovery screen loads: every rule over today's contacts, the
7-day abandons and the 72-hour repeats, every hurt customer's severity, and the
300 most hurt ranked by severity and value with their reasons. Reference, in the same run: one plain pass counting today's
contacts per customer, the least any such list has to read.

    uv run python benchmarks/customers.py [--runs N]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from large_store import large_store  # noqa: E402

from floorview.config import Settings  # noqa: E402
from floorview.domain.metrics import day_start  # noqa: E402
from floorview.domain.recovery import RecoveryRules  # noqa: E402
from floorview.store.customers import customer_card, recovery_list, search_customers  # noqa: E402
from floorview.store.engine import open_engine, open_reader  # noqa: E402
from floorview.store.reads import store_status  # noqa: E402
from floorview.domain.sitetime import SiteTime  # noqa: E402
from floorview.tui.customers.data import card_view  # noqa: E402

SEARCH_MS, RECOVERY_MS = 20, 200


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    path = large_store()
    open_engine(path).dispose()  # bring an older store up to the current schema (builds the index once)
    con = open_reader(path)
    now = store_status(con).last_success_at
    customers = con.execute("SELECT count(*) FROM customer").fetchone()[0]
    contacts = con.execute("SELECT max(rowid) FROM interaction").fetchone()[0]
    print(f"large store: {customers:,} customers, about {contacts:,} contacts")
    rng = random.Random(7)
    names = [
        n
        for (n,) in con.execute(
            "SELECT name FROM customer WHERE rowid IN (%s)"
            % ",".join(str(rng.randrange(1, customers)) for _ in range(args.runs))
        )
    ]
    fragments = []
    for name in names:  # a piece of the surname, 4 to 6 letters, from anywhere in it
        last = name.split()[-1].lower()
        size = min(len(last), rng.randrange(4, 7))
        start = rng.randrange(0, len(last) - size + 1)
        fragments.append(last[start : start + size])
    settings = Settings()
    site = SiteTime()
    search_card = []
    found = []
    for frag in fragments:
        t0 = time.perf_counter()
        hits = search_customers(con, frag)
        card = customer_card(con, hits[0].id)
        card_view(card, now, settings.customers, site)
        search_card.append((time.perf_counter() - t0) * 1000)
        found.append(len(hits))
    ref = []
    for frag in fragments[: max(3, args.runs // 8)]:
        t0 = time.perf_counter()
        con.execute("SELECT id, name FROM customer WHERE name LIKE ? LIMIT 50", (f"%{frag}%",)).fetchall()
        ref.append((time.perf_counter() - t0) * 1000)
    rules = RecoveryRules()
    start = day_start(now, "America/New_York")
    recovery, listed = [], 0
    for _ in range(max(5, args.runs // 4)):
        t0 = time.perf_counter()
        listed = recovery_list(con, now, start, rules, 300).total
        recovery.append((time.perf_counter() - t0) * 1000)
    plain = []
    for _ in range(3):
        t0 = time.perf_counter()
        con.execute(
            "SELECT customer_id, count(*) FROM interaction WHERE enqueued_at >= ? GROUP BY 1", (start,)
        ).fetchall()
        plain.append((time.perf_counter() - t0) * 1000)
    m_sc, m_ref, m_rec, m_plain = (statistics.median(x) for x in (search_card, ref, recovery, plain))
    print(
        f"search + card open:          median {m_sc:7.2f} ms  p95 {sorted(search_card)[int(len(search_card) * 0.95) - 1]:7.2f} ms"
        f"  ({statistics.median(found):.0f} hits shown, median)"
    )
    print(f"reference, LIKE '%frag%':    median {m_ref:7.2f} ms  (ratio {m_sc / m_ref:.3f})")
    print(f"recovery list (300 most hurt of {listed:,}): median {m_rec:7.1f} ms")
    print(f"reference, today per customer: median {m_plain:7.1f} ms  (ratio {m_rec / m_plain:.2f})")
    print(
        f"RESULT customer_search_and_card_median {m_sc:.1f} ms target < {SEARCH_MS} {'PASS' if m_sc < SEARCH_MS else 'FAIL'}"
    )
    print(
        f"RESULT recovery_list_median {m_rec:.0f} ms target < {RECOVERY_MS} {'PASS' if m_rec < RECOVERY_MS else 'FAIL'}"
    )


if __name__ == "__main__":
    main()
