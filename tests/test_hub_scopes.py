"""Token scopes on the hub: team names with spaces, and hub databases made
before team scopes had a format."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from sqlalchemy import delete, text, update

from floorview.hub.hubstore import HubDatabaseError, HubStore, open_hub_engine
from floorview.hub.tables import FORMAT_MARK, hub_format, hub_token
from floorview.hub.scope_upgrade import read_old_teams


def _agent(aid: str, team: str) -> dict:
    return {
        "kind": "agent",
        "id": aid,
        "version": 1,
        "op": "upsert",
        "data": {"name": f"Agent {aid}", "team": team, "state": "available", "queues": ["q1"]},
    }


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
    with store.engine.begin() as conn:  # as the first format wrote it, before the hub had migrations
        conn.execute(update(hub_token).values(teams="Team A Team B"))
        conn.execute(delete(hub_format))
        _before_migrations(conn)
    store.engine.dispose()
    store = HubStore(open_hub_engine(url))
    assert store.scope_for(token).teams == {"Team A", "Team B"}
    assert _seen(store, token) == {"a1", "a2"}
    with sqlite3.connect(tmp_path / "hub.db") as con:
        assert con.execute("SELECT scopes FROM hub_format").fetchall() == [(FORMAT_MARK,)]


def _before_migrations(conn) -> None:
    """A database of this floorview as one from before the hub's migrations (format 4 at most) stands."""
    conn.execute(text("DROP TABLE hub_alembic_version"))
    conn.execute(text("DROP TABLE hub_lease"))
    conn.execute(text("DROP TABLE hub_reach_member"))
    conn.execute(text("ALTER TABLE hub_source DROP COLUMN records_read"))
    conn.execute(text("ALTER TABLE hub_source DROP COLUMN problem"))
    conn.execute(text("ALTER TABLE hub_source DROP COLUMN problem_at"))


def test_old_team_strings_are_read_as_the_longest_known_names():
    known = {"Team A", "Team", "North Shore East", "A"}
    assert read_old_teams("Team A North Shore East", known) == {"Team A", "North Shore East"}
    assert read_old_teams("Team", known) == {"Team"}
    assert read_old_teams("Gone Team", known) == {"Gone", "Team"}
    assert read_old_teams("", known) == set()


@pytest.mark.parametrize("made_by", ["a newer revision", "a newer format, before migrations"])
def test_a_database_from_a_newer_hub_is_refused_in_one_line(tmp_path, made_by):
    url, store = _floor(tmp_path)
    with store.engine.begin() as conn:
        if made_by == "a newer revision":
            conn.execute(text("UPDATE hub_alembic_version SET version_num = 'h9999'"))
        else:
            _before_migrations(conn)
            conn.execute(update(hub_format).values(scopes=99))
    store.engine.dispose()
    with pytest.raises(HubDatabaseError, match="newer floorview"):
        open_hub_engine(url)
    out = subprocess.run(
        [sys.executable, "-m", "floorview", "hub", "token", "create", "--name", "X", "--db", url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2 and out.stderr.startswith("floorview: the hub database was written by a newer")
    assert "Traceback" not in out.stderr


OLD_SCHEMA = """
CREATE TABLE hub_record (kind VARCHAR(64) NOT NULL, id VARCHAR(128) NOT NULL, version INTEGER NOT NULL,
    op VARCHAR(8) NOT NULL, data TEXT, seq INTEGER NOT NULL, teams TEXT DEFAULT '' NOT NULL,
    queues TEXT DEFAULT '' NOT NULL, private_team VARCHAR(200), changed_at FLOAT NOT NULL, PRIMARY KEY (kind, id));
CREATE UNIQUE INDEX ix_hub_record_seq ON hub_record (seq);
CREATE TABLE hub_meta (id INTEGER NOT NULL, epoch VARCHAR(32) NOT NULL, seq INTEGER NOT NULL,
    purged_seq INTEGER NOT NULL, purge_gen INTEGER DEFAULT '0' NOT NULL, PRIMARY KEY (id));
CREATE TABLE hub_format (id INTEGER NOT NULL, scopes INTEGER NOT NULL, PRIMARY KEY (id));
CREATE TABLE hub_token (id INTEGER NOT NULL, name VARCHAR(200) NOT NULL, token_hash VARCHAR(64) NOT NULL,
    teams TEXT NOT NULL, queues TEXT NOT NULL, created_at FLOAT NOT NULL, PRIMARY KEY (id), UNIQUE (token_hash));
"""


def test_a_format_2_hub_database_is_rewritten_to_the_scope_rule(tmp_path):
    """A database the previous hub wrote, with its scopes worked out at write
    time (queues seen by nobody scoped, customers by queue only): upgraded in
    place, a Canyon token then gets what the rule says."""
    import json

    from floorview.hub.hubstore import hash_token

    from .test_team_scope import visible

    at = "2026-11-20T14:00:00Z"
    records = {
        ("queue", "q-a"): {"name": "A", "channel": "voice"},
        ("queue", "q-b"): {"name": "B", "channel": "voice"},
        ("agent", "c1"): {
            "name": "C",
            "team": "Canyon",
            "state": "available",
            "state_since": at,
            "queues": ["q-a", "q-b"],
        },
        ("agent", "d1"): {"name": "D", "team": "Delta", "state": "available", "state_since": at, "queues": ["q-b"]},
        ("interaction", "i1"): {"queue_id": "q-a", "channel": "voice", "enqueued_at": at, "customer_id": "k1"},
        ("interaction", "i2"): {
            "queue_id": "q-b",
            "channel": "voice",
            "enqueued_at": at,
            "agent_id": "d1",
            "customer_id": "k2",
        },
        ("customer", "k1"): {"name": "K1"},
        ("customer", "k2"): {"name": "K2"},
        ("survey", "s1"): {"customer_id": "k1", "answered_at": at},
        ("note", "n1"): {
            "agent_id": "c1",
            "author": "x",
            "created_at": at,
            "updated_at": at,
            "type": "kudos",
            "visibility": "private",
            "body": "b",
        },
        ("note", "n2"): {
            "agent_id": "d1",
            "author": "x",
            "created_at": at,
            "updated_at": at,
            "type": "kudos",
            "visibility": "private",
            "body": "b",
        },
    }
    path = tmp_path / "hub.db"
    with sqlite3.connect(path) as con:
        con.executescript(OLD_SCHEMA)
        con.execute("INSERT INTO hub_meta VALUES (1, 'e1', ?, 0, 0)", (len(records) + 1,))
        con.execute("INSERT INTO hub_format VALUES (1, 2)")
        con.execute("INSERT INTO hub_token VALUES (1, 'Bo', ?, 'Canyon', '', 0)", (hash_token("tok"),))
        for seq, ((kind, rid), data) in enumerate(records.items(), 1):
            con.execute(
                "INSERT INTO hub_record VALUES (?, ?, 1, 'upsert', ?, ?, '', '', NULL, 0)",
                (kind, rid, json.dumps(data), seq),
            )
        con.execute(
            "INSERT INTO hub_record VALUES ('interaction', 'i0', 2, 'delete', NULL, ?, 'Canyon', 'q-a', NULL, 0)",
            (len(records) + 1,),
        )
    store = HubStore(open_hub_engine(f"sqlite:///{path}"))
    rows, _, _ = store.page(store.scope_for("tok"), 0, 100)
    want = visible({k: ("upsert", d) for k, d in records.items()}, {"Canyon"}, set())
    assert {(r["kind"], r["id"]) for r in rows} == want | {("interaction", "i0")}  # the tombstone kept its queue
    assert {("queue", "q-b"), ("interaction", "i2"), ("customer", "k2"), ("survey", "s1")} <= want
    assert not {("agent", "d1"), ("note", "n2")} & want
    with sqlite3.connect(path) as con:
        assert con.execute("SELECT scopes FROM hub_format").fetchall() == [(FORMAT_MARK,)]
