"""Token scopes on the hub: team names with spaces, and hub databases made
before team scopes had a format."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from sqlalchemy import delete, update

from floorview.hub.hubstore import HubDatabaseError, HubStore, hub_format, hub_token, open_hub_engine
from floorview.hub.scope_upgrade import read_old_teams


def _agent(aid: str, team: str) -> dict:
    return {"kind": "agent", "id": aid, "version": 1, "op": "upsert",
            "data": {"name": f"Agent {aid}", "team": team, "state": "available", "queues": ["q1"]}}


def _floor(tmp_path) -> tuple[str, HubStore]:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    store = HubStore(open_hub_engine(url))
    store.write([_agent("a1", "Team A"), _agent("a2", "Team B"), _agent("a3", "A"), _agent("a4", "Team")])
    return url, store


def _seen(store: HubStore, token: str) -> set[str]:
    rows, _, _ = store.page(store.scope_for(token), 0, 100)
    return {r["id"] for r in rows if r["kind"] == "agent"}


def test_a_team_with_a_space_is_one_team(tmp_path):
    _, store = _floor(tmp_path)
    assert _seen(store, store.create_token("Lead A", teams=["Team A"])) == {"a1"}
    assert _seen(store, store.create_token("Lead", teams=["Team"])) == {"a4"}
    assert _seen(store, store.create_token("Two", teams=["Team A", "Team B"])) == {"a1", "a2"}
    assert _seen(store, store.create_token("Floor")) == {"a1", "a2", "a3", "a4"}


def test_an_old_hub_database_has_its_tokens_read_back_whole(tmp_path):
    url, store = _floor(tmp_path)
    token = store.create_token("Lead AB", teams=["Team A", "Team B"])
    with store.engine.begin() as conn:  # as the first format wrote it
        conn.execute(update(hub_token).values(teams="Team A Team B"))
        conn.execute(delete(hub_format))
    store.engine.dispose()
    store = HubStore(open_hub_engine(url))
    assert store.scope_for(token).teams == {"Team A", "Team B"}
    assert _seen(store, token) == {"a1", "a2"}
    with sqlite3.connect(tmp_path / "hub.db") as con:
        assert con.execute("SELECT scopes FROM hub_format").fetchall() == [(2,)]


def test_old_team_strings_are_read_as_the_longest_known_names():
    known = {"Team A", "Team", "North Shore East", "A"}
    assert read_old_teams("Team A North Shore East", known) == {"Team A", "North Shore East"}
    assert read_old_teams("Team", known) == {"Team"}
    assert read_old_teams("Gone Team", known) == {"Gone", "Team"}
    assert read_old_teams("", known) == set()


def test_a_database_from_a_newer_hub_is_refused_in_one_line(tmp_path):
    url, store = _floor(tmp_path)
    with store.engine.begin() as conn:
        conn.execute(update(hub_format).values(scopes=99))
    store.engine.dispose()
    with pytest.raises(HubDatabaseError, match="newer floorview"):
        open_hub_engine(url)
    out = subprocess.run(
        [sys.executable, "-m", "floorview", "hub", "token", "create", "--name", "X", "--db", url],
        capture_output=True, text=True, timeout=120,
    )
    assert out.returncode == 2 and out.stderr.startswith("floorview: the hub database was written by a newer")
    assert "Traceback" not in out.stderr
