"""Tokens (security audit 1, M5 and L10): `floorview hub token list`, `revoke`
and `create --expires`. A revoked or expired token is refused at once by every
hub process on the database; the listing never shows a token or its hash. A
hub database of the previous format gains expiry and revocation in place."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import threading
from datetime import datetime, timezone

import pytest

from floorview.hub.hubstore import HubStore, hash_token, open_hub_engine
from floorview.hub.tables import FORMAT_MARK, SCOPE_FORMAT
from floorview.store.engine import open_engine
from floorview.sync.syncer import Syncer
from floorview.sync.transport import HubClient, TokenRejected

from .hubs import start_hub
from .test_sync_cli import run

AT = "2026-11-20T14:00:00Z"


def url_of(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'hub.db'}"


def created(tmp_path, *args: str) -> str:
    out = run("hub", "token", "create", *args, "--db", url_of(tmp_path))
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def me(url: str, token: str) -> dict:
    return HubClient(url, token).request("GET", "/v1/me").body


def refused(url: str, token: str, path: str = "/v1/me") -> str:
    """The detail of a 401 for this token."""
    import httpx

    answer = httpx.get(url + path, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401, answer.text
    return answer.json()["detail"]


def test_the_list_says_who_and_what_never_the_secret(tmp_path):
    dana = created(tmp_path, "--name", "Dana Lead", "--team", "Harbor", "--team", "Summit 2")
    floor = created(tmp_path, "--name", "Floor Manager", "--expires", "30d")
    quinn = created(tmp_path, "--name", "Quinn", "--queue", "q-sales", "--expires", "2030-01-31")
    assert run("hub", "token", "revoke", "Quinn", "--db", url_of(tmp_path)).returncode == 0
    out = run("hub", "token", "list", "--db", url_of(tmp_path))
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert re.split(r"\s{2,}", lines[0].strip()) == [
        "ID",
        "NAME",
        "SCOPE",
        "CREATED (UTC)",
        "EXPIRES (UTC)",
        "REVOKED (UTC)",
    ]
    rows = [re.split(r"\s{2,}", line.strip()) for line in lines[1:]]
    today = datetime.now(timezone.utc).date().isoformat()
    assert [r[:3] for r in rows] == [
        ["1", "Dana Lead", "teams: Harbor, Summit 2"],
        ["2", "Floor Manager", "whole floor"],
        ["3", "Quinn", "queues: q-sales"],
    ]
    assert all(r[3].startswith(today) for r in rows)
    assert [r[4] for r in rows][::2] == ["never", "2030-01-31 00:00"] and rows[1][4] > today
    assert [r[5] for r in rows][:2] == ["-", "-"] and rows[2][5].startswith(today)
    with sqlite3.connect(tmp_path / "hub.db") as con:
        hashes = [h for (h,) in con.execute("SELECT token_hash FROM hub_token")]
    for secret in (dana, floor, quinn, *hashes):
        assert secret not in out.stdout + out.stderr
        assert secret[3:13] not in out.stdout  # not even a piece of it


def test_expiry_is_a_duration_or_a_date(tmp_path):
    created(tmp_path, "--name", "A", "--expires", "30d")
    created(tmp_path, "--name", "B", "--expires", "12h")
    created(tmp_path, "--name", "C", "--expires", "2030-01-31")
    created(tmp_path, "--name", "D", "--expires", "2030-01-31T17:00:00+01:00")
    store = HubStore(open_hub_engine(url_of(tmp_path)))
    tokens = {t.name: t for t in store.tokens()}
    assert tokens["A"].expires_at - tokens["A"].created_at == pytest.approx(30 * 86400, abs=5)
    assert tokens["B"].expires_at - tokens["B"].created_at == pytest.approx(12 * 3600, abs=5)
    assert tokens["C"].expires_at == datetime(2030, 1, 31, tzinfo=timezone.utc).timestamp()
    assert tokens["D"].expires_at == datetime(2030, 1, 31, 16, tzinfo=timezone.utc).timestamp()
    for bad in ("soon", "0d", "-3d", "2001-01-01", "2030-01-31T17:00:00", "99999999d"):
        out = run("hub", "token", "create", "--name", "E", f"--expires={bad}", "--db", url_of(tmp_path))
        assert out.returncode == 2 and out.stderr.startswith("floorview: "), (bad, out.stderr)
        assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1
    assert len(store.tokens()) == 4


@pytest.mark.parametrize("name", ["", " ", "Dana\x1b[31m", "x" * 201, "Dana\nLead"])
def test_a_token_name_is_one_printable_line(tmp_path, name):
    out = run("hub", "token", "create", "--name", name, "--db", url_of(tmp_path))
    assert out.returncode == 2 and "a name is" in out.stderr


def _second_hub(url: str) -> tuple[subprocess.Popen, str]:
    """Another hub process on the same database."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FLOORVIEW_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "floorview", "hub", "--db", url, "--port", "0", "--print-port"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=clean,
    )
    line = proc.stdout.readline()
    assert line.startswith("PORT "), line
    return proc, f"http://127.0.0.1:{int(line.split()[1])}"


def test_a_revoked_token_is_refused_at_once_by_every_hub_process(tmp_path):
    hub = start_hub(tmp_path / "hub.db")
    proc, other_url = _second_hub(url_of(tmp_path))
    try:
        dana = hub.store.create_token("Dana Lead", teams=["Harbor"])
        eli = hub.store.create_token("Eli")
        for url in (hub.url, other_url):
            assert me(url, dana)["name"] == "Dana Lead"  # known, and read once by each
        out = run("hub", "token", "revoke", "Dana Lead", "--db", url_of(tmp_path))
        assert out.returncode == 0, out.stderr
        assert "revoked" in out.stdout and "Dana Lead" in out.stdout and dana not in out.stdout
        for url in (hub.url, other_url):
            assert "revoked" in refused(url, dana)
            assert "revoked" in refused(url, dana, "/v1/changes")
            with pytest.raises(TokenRejected):
                HubClient(url, dana).request("GET", "/v1/changes")
            assert me(url, eli)["name"] == "Eli"
        eli_id = next(t.id for t in hub.store.tokens() if t.name == "Eli")
        assert run("hub", "token", "revoke", str(eli_id), "--db", url_of(tmp_path)).returncode == 0
        for url in (hub.url, other_url):
            with pytest.raises(TokenRejected):
                me(url, eli)
        again = run("hub", "token", "revoke", "Dana Lead", "--db", url_of(tmp_path))
        assert again.returncode == 0 and "already" in again.stdout
        nobody = run("hub", "token", "revoke", "Nobody", "--db", url_of(tmp_path))
        assert nobody.returncode == 2 and nobody.stderr.startswith("floorview: no token")
    finally:
        proc.terminate()
        proc.wait(30)
        hub.stop()


def test_a_long_poll_parked_when_its_token_is_revoked_gets_401_not_data(tmp_path):
    hub = start_hub(tmp_path / "hub.db")
    try:
        dana = hub.store.create_token("Dana Lead")
        client = HubClient(hub.url, dana)
        cursor = client.request("GET", "/v1/changes").body["cursor"]
        answers: list = []

        def poll() -> None:
            try:
                answers.append(client.request("GET", "/v1/changes", params={"cursor": cursor, "wait": 25}).body)
            except TokenRejected as exc:
                answers.append(exc)

        thread = threading.Thread(target=poll)
        thread.start()
        hub.store.revoke("Dana Lead")
        hub.store.write(
            [
                {
                    "kind": "queue",
                    "id": "q-new",
                    "version": 1,
                    "op": "upsert",
                    "data": {"name": "New", "channel": "voice"},
                }
            ]
        )
        thread.join(60)
        assert len(answers) == 1 and isinstance(answers[0], TokenRejected), answers
    finally:
        hub.stop()


def test_an_expired_token_is_refused(tmp_path):
    now = [1_800_000_000.0]
    store = HubStore(open_hub_engine(url_of(tmp_path)), clock=lambda: now[0])
    hub = start_hub(tmp_path / "hub.db", store=store)
    try:
        temp = store.create_token("Temp", expires_at=now[0] + 3600)
        assert me(hub.url, temp)["name"] == "Temp"
        now[0] += 3600
        assert "expired" in refused(hub.url, temp)
        with pytest.raises(TokenRejected):
            me(hub.url, temp)
        assert me(hub.url, hub.token)["name"] == "Lead One"
    finally:
        hub.stop()


FORMAT_3 = """
CREATE TABLE hub_record (kind VARCHAR(64) NOT NULL, id VARCHAR(128) NOT NULL, version INTEGER NOT NULL,
    op VARCHAR(8) NOT NULL, data TEXT, seq INTEGER NOT NULL, changed_at FLOAT NOT NULL, agent VARCHAR(128),
    queue VARCHAR(128), customer VARCHAR(128), is_private BOOLEAN DEFAULT '0' NOT NULL, PRIMARY KEY (kind, id));
CREATE INDEX ix_hub_record_queue ON hub_record (queue) WHERE queue IS NOT NULL;
CREATE INDEX ix_hub_record_agent ON hub_record (agent) WHERE agent IS NOT NULL;
CREATE UNIQUE INDEX ix_hub_record_seq ON hub_record (seq);
CREATE INDEX ix_hub_record_customer ON hub_record (customer) WHERE customer IS NOT NULL;
CREATE TABLE hub_agent (id VARCHAR(128) NOT NULL, team VARCHAR(200) NOT NULL, queues TEXT NOT NULL,
    present BOOLEAN NOT NULL, PRIMARY KEY (id));
CREATE TABLE hub_reach (customer VARCHAR(128) NOT NULL, agents TEXT NOT NULL, queues TEXT NOT NULL,
    PRIMARY KEY (customer));
CREATE TABLE hub_meta (id INTEGER NOT NULL, epoch VARCHAR(32) NOT NULL, seq INTEGER NOT NULL,
    purged_seq INTEGER NOT NULL, purge_gen INTEGER DEFAULT '0' NOT NULL, PRIMARY KEY (id));
CREATE TABLE hub_format (id INTEGER NOT NULL, scopes INTEGER NOT NULL, PRIMARY KEY (id));
CREATE TABLE hub_token (id INTEGER NOT NULL, name VARCHAR(200) NOT NULL, token_hash VARCHAR(64) NOT NULL,
    teams TEXT NOT NULL, queues TEXT NOT NULL, created_at FLOAT NOT NULL, PRIMARY KEY (id), UNIQUE (token_hash));
"""


def test_a_format_3_database_gains_revocation_and_loses_its_poison(tmp_path):
    """The previous hub's database: its tokens work on, can be revoked, and the
    records it stored that no client could (a lone surrogate, an integer past
    SQLite's) become tombstones, so a whole-floor client syncs again."""
    path = tmp_path / "hub.db"
    records = [
        ("queue", "q1", '{"name": "Q", "channel": "voice"}', None),
        (
            "agent",
            "a1",
            '{"name": "bad \\ud800 name", "team": "T", "state": "available", '
            f'"state_since": "{AT}", "queues": ["q1"]}}',
            None,
        ),
        (
            "interaction",
            "i1",
            f'{{"queue_id": "q1", "channel": "voice", "enqueued_at": "{AT}", "transfers": {2**64}}}',
            "q1",
        ),
    ]
    with sqlite3.connect(path) as con:
        con.executescript(FORMAT_3)
        con.execute("INSERT INTO hub_meta VALUES (1, 'e3', 3, 0, 0)")
        con.execute("INSERT INTO hub_format VALUES (1, 3)")
        con.execute("INSERT INTO hub_token VALUES (1, 'Bo', ?, '', '', 0)", (hash_token("tok"),))
        for seq, (kind, rid, data, queue) in enumerate(records, 1):
            con.execute(
                "INSERT INTO hub_record (kind, id, version, op, data, seq, changed_at, queue) "
                "VALUES (?, ?, 1, 'upsert', ?, ?, 0, ?)",
                (kind, rid, data, seq, queue),
            )
        con.execute("INSERT INTO hub_agent VALUES ('a1', 'T', 'q1', 1)")
    store = HubStore(open_hub_engine(f"sqlite:///{path}"))
    with sqlite3.connect(path) as con:
        assert con.execute("SELECT scopes FROM hub_format").fetchall() == [(FORMAT_MARK,)]
    assert SCOPE_FORMAT == 4
    assert store.scope_for("tok").name == "Bo"
    assert store.current("queue", "q1")["op"] == "upsert"
    for kind, rid in (("agent", "a1"), ("interaction", "i1")):
        gone = store.current(kind, rid)
        assert gone["op"] == "delete" and gone["version"] == 2
    hub = start_hub(path, store=store)
    engine = open_engine(tmp_path / "client.db")
    try:
        assert Syncer(engine, HubClient(hub.url, "tok")).pull_until_caught_up().caught_up
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM queue").scalar() == 1
        store.revoke("Bo")
        with pytest.raises(TokenRejected):
            me(hub.url, "tok")
    finally:
        engine.dispose()
        hub.stop()
    listing = run("hub", "token", "list", "--db", f"sqlite:///{path}")
    assert listing.returncode == 0 and re.search(r"^1\s+Bo\b", listing.stdout, re.M)
    assert json.dumps("tok") not in listing.stdout
