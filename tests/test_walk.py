"""The Balance screen's reads agree with the contacts, notes and surveys they sum."""

from __future__ import annotations

import sqlite3
from collections import defaultdict

import pytest

from floorview.config import ConfigError, load_settings
from floorview.domain.attainment import Targets, attainment
from floorview.store.balance import interval_sums, queue_settings
from floorview.tui.balance.data import BLOCK, OLD_TTL_S, TallyCache, load_walk

from .conftest import SAMPLE_AT

NOW = SAMPLE_AT.timestamp()


def test_interval_sums_agree_with_the_raw_rows(sample_store):
    targets = Targets()
    since = NOW - 3 * 86400
    sums = interval_sums(sqlite3.connect(sample_store), since, NOW, targets)
    con = sqlite3.connect(sample_store)
    contacts = con.execute(
        "SELECT i.id, i.queue_id, i.customer_id, i.enqueued_at, i.answered_at, i.abandoned_at, i.transfers,"
        " i.resolved, i.qa_score, q.sl_threshold_s FROM interaction i JOIN queue q ON q.id = i.queue_id"
    ).fetchall()
    first, last = int(since // 900), int(NOW // 900)
    want = defaultdict(lambda: defaultdict(float))
    seen = defaultdict(list)  # (customer, queue) -> enqueue times
    for c in contacts:
        if c[2] is not None:
            seen[(c[2], c[1])].append(c[3])
    bucket_of = {}
    for cid, queue, customer, enq, ans, aba, transfers, resolved, qa, thr in contacts:
        b = int(enq // 900)
        bucket_of[cid] = (queue, b)
        if not first <= b < last:
            continue
        w = want[(queue, b)]
        end = ans if ans is not None else aba
        w["long_waits"] += end is not None and end - enq > 2 * thr
        if qa is not None:
            w["qa_n"] += 1
            w["qa_sum"] += qa
            w["qa_fails"] += qa < targets.compliance_score
        if resolved is not None:
            w["outcome_n"] += 1
            w["resolved"] += resolved
        w["transferred"] += ans is not None and transfers > 0
        if customer is not None:
            w["known_n"] += 1
            w["repeats"] += any(enq - 72 * 3600 <= t < enq for t in seen[(customer, queue)])
    for interaction_id, csat in con.execute("SELECT interaction_id, csat FROM survey WHERE csat IS NOT NULL"):
        where = bucket_of.get(interaction_id)
        if where and first <= where[1] < last:
            want[where]["csat_n"] += 1
            want[where]["csat_good"] += csat >= 4
            want[where]["csat_bad"] += csat <= 2
    assert want, "the sample has contacts in the window"
    for key, w in want.items():
        got = sums[key]
        for name, value in w.items():
            assert getattr(got, name) == pytest.approx(value), (key, name)
    assert any(s.repeats for s in sums.values()) and any(s.csat_n for s in sums.values())


def test_a_tied_ranking_in_the_config_is_refused_with_the_reason(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        "[balance.priorities]\n"
        "quality = { rank = 1, weight = 4 }\ncost = { rank = 2, weight = 4 }\n"
        "time = { rank = 3, weight = 2 }\nrisk = { rank = 4, weight = 1 }\n"
    )
    with pytest.raises(
        ConfigError, match="balance.priorities: Quality and Cost both weigh 4: everything cannot be equal"
    ):
        load_settings(cfg)
    cfg.write_text("[balance.targets]\nqa_score = 120\n")
    with pytest.raises(ConfigError, match="qa_score: must be between 0 and 100"):
        load_settings(cfg)
    cfg.write_text("[balance]\nwindow_days = 14\n")
    with pytest.raises(ConfigError, match="window_days: expected one of 7, 30"):
        load_settings(cfg)
    cfg.write_text("[balance.targets]\nrepeats = 0.2\n")
    assert load_settings(cfg).balance.targets == Targets(repeats=0.2)


def _read_whole(con, now: float, settings) -> dict:
    """The window's attainment from one read of it: what the kept tallies must match."""
    targets = settings.balance.targets
    known = queue_settings(con)
    queues = {q: v[1] for q, v in known.items()}
    sums = interval_sums(con, now - 7 * 86400, now, targets)
    return attainment(((q, i, s) for (q, i), s in sums.items()), queues, targets, {q: v[3] for q, v in known.items()})


def _summary(results) -> dict:
    # The pooled value is summed in another order: equal to rounding.
    def rounded(v):
        return v if v is None else round(v, 6)

    return {
        k: (
            rounded(a.value),
            a.sample,
            a.checked,
            a.met,
            a.missed,
            a.breaches,
            a.longest,
            a.longest_queue,
            {c: (rounded(v), n) for c, (v, n) in a.by_channel.items()},
        )
        for k, a in results.items()
    }


def test_kept_block_tallies_give_the_walk_read_whole(sample_store):
    settings = load_settings(None)
    con = sqlite3.connect(sample_store)
    cache = TallyCache()
    edge = NOW - 3.5 * 3600  # 12:00 UTC: a block edge, for the window's end and its start
    assert edge % (BLOCK * 900) == 0
    for minutes in (-20, -1, 0, 1, 16, 45):  # the window slides across intervals and the edge
        now = edge + minutes * 60
        kept = load_walk(con, now, 7, settings.balance.targets, cache=cache).results
        whole = _read_whole(con, now, settings)
        assert _summary(kept) == _summary(whole), minutes
    assert any(a.breaches for a in kept.values()) and any(a.longest > 1 for a in kept.values())


def test_a_late_change_to_a_kept_block_shows_once_the_block_is_re_read(sample_store):
    settings = load_settings(None)
    con = sqlite3.connect(sample_store)
    cache = TallyCache()
    before = load_walk(con, NOW, 7, settings.balance.targets, cache=cache).results["qa"].sample
    # A QA score lands on a contact of four days ago, inside a kept block.
    old = NOW - 4 * 86400
    (contact,) = con.execute(
        "SELECT id FROM interaction WHERE qa_score IS NULL AND answered_at IS NOT NULL"
        " AND enqueued_at BETWEEN ? AND ? LIMIT 1",
        (old, old + 3600),
    ).fetchone()
    con.execute("UPDATE interaction SET qa_score = 0 WHERE id = ?", (contact,))
    con.commit()
    assert (
        load_walk(con, NOW + 60, 7, settings.balance.targets, cache=cache).results["qa"].sample == before
    )  # kept, not re-read
    assert _read_whole(con, NOW + 60, settings)["qa"].sample == before + 1
    # Past their time to live, kept blocks are re-read one a load, the stalest first.
    for k in range(60):
        now = NOW + OLD_TTL_S + k * 60
        kept = load_walk(con, now, 7, settings.balance.targets, cache=cache).results
    assert _summary(kept) == _summary(_read_whole(con, now, settings))
