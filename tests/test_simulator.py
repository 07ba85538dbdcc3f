"""The simulated floor: deterministic, realistic in shape, and the source of sample.db."""

from __future__ import annotations

import sqlite3
from collections import Counter

from floorview.hub.seed import seed_store, simulated_changes
from floorview.sources.simulator.floor import Floor
from floorview.store.engine import SCHEMA_HEAD

from .conftest import SAMPLE, SAMPLE_AT, SAMPLE_DAYS, SAMPLE_SEED

END = SAMPLE_AT.timestamp()


def test_same_seed_same_floor_other_seed_other_floor():
    a = [c for batch in simulated_changes(11, END) for c in batch]
    b = [c for batch in simulated_changes(11, END) for c in batch]
    c = [c for batch in simulated_changes(12, END) for c in batch]
    assert a == b
    assert a != c


def test_floor_has_the_shape_of_a_contact_center():
    changes = [c for batch in simulated_changes(SAMPLE_SEED, END) for c in batch]
    latest = {}
    for ch in changes:
        latest[(ch["kind"], ch["id"])] = ch["data"]
    kinds = Counter(k for k, _ in latest)
    assert kinds["queue"] >= 8 and kinds["agent"] >= 60
    channels = {d["channel"] for (k, _), d in latest.items() if k == "queue"}
    assert channels == {"voice", "chat", "email"}
    interactions = [d for (k, _), d in latest.items() if k == "interaction"]
    assert sum(1 for d in interactions if d.get("abandoned_at")) > 10
    assert sum(1 for d in interactions if d.get("transfers")) > 10
    assert sum(1 for d in interactions if d.get("qa_score") is not None) > 10
    states = Counter(d["state"] for (k, _), d in latest.items() if k == "agent")
    assert {"available", "on_contact", "after_contact_work", "not_ready", "offline"} <= set(states)
    reasons = {d["reason"] for (k, _), d in latest.items() if k == "agent" and d["state"] == "not_ready"}
    assert reasons and None not in reasons
    surveys = [d for (k, _), d in latest.items() if k == "survey"]
    assert {d["trust"] for d in surveys} == {"yes", "no", "sometimes"}
    assert any(d.get("verbatim") for d in surveys)
    assert kinds["note"] > 5 and kinds["customer"] >= 5000


def test_live_floor_moves_and_versions_rise():
    floor = Floor(5, END - 3600)
    first = floor.advance(END - 600)
    second = floor.advance(END)
    assert first and second
    seen = {}
    for ch in first + second:
        key = (ch["kind"], ch["id"])
        assert ch["version"] > seen.get(key, 0)
        seen[key] = ch["version"]
    assert floor.advance(END) == []  # nothing happens without time passing


def test_sample_db_is_the_generators_output_at_the_current_schema(tmp_path):
    fresh = tmp_path / "sample.db"
    seed_store(fresh, SAMPLE_SEED, "small", END, SAMPLE_DAYS)
    con = sqlite3.connect(f"file:{SAMPLE}?mode=ro", uri=True)  # read as it is: the repository's file stays untouched
    assert con.execute("SELECT version_num FROM alembic_version").fetchone()[0] == SCHEMA_HEAD
    other = sqlite3.connect(fresh)
    tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
    assert "interaction" in tables
    for table in tables:
        ours = sorted(map(repr, con.execute(f"SELECT * FROM {table}")))
        theirs = sorted(map(repr, other.execute(f"SELECT * FROM {table}")))
        assert ours == theirs, f"sample.db differs from the generator in {table}: regenerate it (README)"
