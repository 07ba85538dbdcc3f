"""Delivery is at least once and unordered: any duplication and reordering of
pages must give the same store."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from floorview.domain.metrics import COUNT_COLUMNS
from floorview.hub.seed import simulated_changes
from floorview.store import schema
from floorview.store.apply import Applier
from floorview.store.engine import open_engine

from .conftest import SAMPLE_AT

# The busiest stretch of a morning (the last batch, the unmet customers, left out),
# with an agent and an interaction deleted along the way.
_BATCHES = list(simulated_changes(9, SAMPLE_AT.timestamp() - 3600))[:-1]
CHANGES = [c for batch in _BATCHES for c in batch][-600:]
CHANGES += [
    {"kind": "agent", "id": "a-0001", "version": 10**6, "op": "delete"},
    next(
        {"kind": "interaction", "id": c["id"], "version": c["version"] + 50, "op": "delete"}
        for c in CHANGES
        if c["kind"] == "interaction"
    ),
]
PAGES = [CHANGES[i : i + 60] for i in range(0, len(CHANGES), 60)]
TABLES = [t for t in schema.Base.metadata.sorted_tables if t.name not in ("quarantine", "sync_state", "outbox")]


_TEMPLATE = Path(tempfile.mkdtemp()) / "empty.db"
open_engine(_TEMPLATE).dispose()  # migrated once; each example starts from a copy


def final_store(order: list[list[dict]]) -> dict:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "s.db"
        shutil.copyfile(_TEMPLATE, path)
        engine = open_engine(path)
        for page in order:
            with engine.begin() as conn:
                Applier(conn, 0).apply(page)
        out = {}
        with engine.connect() as conn:
            for table in TABLES:
                rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
                rows = [tuple(round(v, 6) if isinstance(v, float) else v for v in r) for r in rows]
                if table.name.startswith("queue_"):  # a bucket emptied again equals one never filled
                    counts = [table.columns.keys().index(c) for c in COUNT_COLUMNS]
                    rows = [r for r in rows if any(r[i] for i in counts)]
                out[table.name] = rows
        engine.dispose()
    return out


IN_ORDER = final_store(PAGES)


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_any_duplication_and_reordering_gives_the_same_store(data):
    extra = data.draw(st.lists(st.integers(0, len(PAGES) - 1), max_size=len(PAGES)))
    order = data.draw(st.permutations(list(range(len(PAGES))) + extra))
    shuffled = [data.draw(st.permutations(PAGES[i])) for i in order]
    assert final_store(shuffled) == IN_ORDER


envelopes = st.fixed_dictionaries(
    {},
    optional={
        "kind": st.one_of(st.text(max_size=70), st.integers(), st.none()),
        "id": st.one_of(st.text(max_size=130), st.from_regex(r"[\x21-\x7e]{1,130}", fullmatch=True), st.integers()),
        "version": st.one_of(
            st.integers(min_value=-5, max_value=2**64), st.booleans(), st.floats(), st.text(max_size=3)
        ),
        "op": st.sampled_from(["upsert", "delete", "UPSERT", "", None]),
        "data": st.one_of(
            st.none(),
            st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
            st.lists(st.integers(), max_size=2),
        ),
    },
)


@settings(max_examples=400, deadline=None)
@given(envelopes)
def test_the_fast_envelope_check_agrees_with_the_model(raw):
    from pydantic import ValidationError

    from floorview.domain.feed import Change, parse_change

    try:
        expected = Change.model_validate(raw).model_dump()
    except ValidationError:
        expected = "invalid"
    try:
        got = parse_change(raw).model_dump()
    except ValidationError:
        got = "invalid"
    assert got == expected
