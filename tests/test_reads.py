"""The screens' queries are served by indexes and the per-interval sums."""

from __future__ import annotations

from floorview.store.engine import open_reader
from floorview.domain.attainment import Targets
from floorview.store.reads import agent_snapshots, queue_snapshots, waiting_contacts
from floorview.store.balance import interval_sums, queue_intervals

from .conftest import SAMPLE_AT


def test_no_screen_query_scans_the_contacts(sample_store):
    con = open_reader(sample_store)
    statements: list[str] = []
    con.set_trace_callback(statements.append)
    now = SAMPLE_AT.timestamp()
    queue_snapshots(con, now)
    agent_snapshots(con, now, "America/New_York")
    agent_snapshots(con, now, "America/New_York", "q-billing")
    waiting_contacts(con, "q-billing")
    interval_sums(con, now - 7 * 86400, now, Targets())  # the Balance screen
    queue_intervals(con, "q-billing", now - 86400, now)  # the what-if
    con.set_trace_callback(None)
    assert len(statements) >= 6
    for sql in statements:
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        plan = [row[3] for row in con.execute(f"EXPLAIN QUERY PLAN {sql}")]
        for step in plan:
            words = step.split()
            # The big tables are only ever searched by key or range; a scan is
            # allowed only over the small partial index of contacts waiting now.
            if words[0] == "SCAN" and words[1] in ("interaction", "i", "p", "queue_minute", "queue_interval"):
                assert "ix_interaction_waiting" in step, (sql, plan)


def test_queue_snapshot_agrees_with_the_contacts(sample_store):
    """The sums say what counting the contacts directly says."""
    con = open_reader(sample_store)
    now = SAMPLE_AT.timestamp()
    snaps = {s.id: s for s in queue_snapshots(con, now)}
    billing = snaps["q-billing"]
    start = now - billing.today_s
    offered, answered = con.execute(
        "SELECT count(*), sum(answered_at IS NOT NULL) FROM interaction"
        " WHERE queue_id = 'q-billing' AND enqueued_at >= ?",
        (start,),
    ).fetchone()
    assert (billing.today.offered, billing.today.answered) == (offered, answered)
    waiting = con.execute(
        "SELECT count(*) FROM interaction WHERE queue_id = 'q-orders-email'"
        " AND answered_at IS NULL AND abandoned_at IS NULL AND ended_at IS NULL"
    ).fetchone()[0]
    assert snaps["q-orders-email"].waiting == waiting
    assert 59 * 29 <= billing.window_s <= 60 * 30
