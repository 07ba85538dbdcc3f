"""`floorview sync --once` and `floorview hub token create`, as scripts use them."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest

from .hubs import start_hub
from .test_sync import feed_hub


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FLOORVIEW_")}
    return subprocess.run(
        [sys.executable, "-m", "floorview", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**clean, **(env or {})},
    )


@pytest.fixture
def hub(tmp_path):
    running = start_hub(tmp_path / "hub.db")
    feed_hub(running)
    yield running
    running.stop()


def token_file(tmp_path, token: str, mode: int = 0o600):
    path = tmp_path / "token"
    path.write_text(token + "\n")
    path.chmod(mode)
    return path


def test_sync_once_pulls_and_exits_0(hub, tmp_path):
    db = tmp_path / "store" / "floorview.db"
    out = run("sync", "--once", "--hub", hub.url, "--token-file", str(token_file(tmp_path, hub.token)), "--db", str(db))
    assert out.returncode == 0, out.stderr
    assert "synced" in out.stdout
    assert sqlite3.connect(db).execute("SELECT count(*) FROM queue").fetchone()[0] == 8
    assert hub.token not in out.stdout + out.stderr


def test_token_from_the_environment(hub, tmp_path):
    out = run("sync", "--once", "--hub", hub.url, "--db", str(tmp_path / "s.db"), env={"FLOORVIEW_TOKEN": hub.token})
    assert out.returncode == 0, out.stderr


@pytest.mark.parametrize(
    "case, expected",
    [
        ("bad token", "token rejected by hub"),
        ("readable token file", "others can read it"),
        ("unreachable", "hub unreachable (connection refused)"),
        ("plain http", "refusing plain http"),
    ],
)
def test_sync_once_failures_are_one_clear_line(hub, tmp_path, case, expected):
    url, token = hub.url, token_file(tmp_path, hub.token)
    if case == "bad token":
        token = token_file(tmp_path, "fv_wrong")
    elif case == "readable token file":
        token = token_file(tmp_path, hub.token, 0o644)
    elif case == "unreachable":
        url = "http://127.0.0.1:9"
    elif case == "plain http":
        url = "http://hub.example.com"
    out = run("sync", "--once", "--hub", url, "--token-file", str(token), "--db", str(tmp_path / "s.db"))
    assert out.returncode != 0
    assert out.stderr.count("\n") == 1 and expected in out.stderr, out.stderr


def test_token_create_prints_once_and_stores_only_a_hash(tmp_path):
    db = f"sqlite:///{tmp_path / 'hub.db'}"
    out = run("hub", "token", "create", "--name", "Dana Lead", "--team", "Harbor", "--db", db)
    assert out.returncode == 0, out.stderr
    token = out.stdout.strip()
    assert token.startswith("fv_") and len(token) > 30
    raw = (tmp_path / "hub.db").read_bytes()
    assert token.encode() not in raw
    from floorview.hub.hubstore import HubStore, open_hub_engine

    scope = HubStore(open_hub_engine(db)).scope_for(token)
    assert scope.name == "Dana Lead" and scope.teams == {"Harbor"}
    assert oct((tmp_path / "hub.db").stat().st_mode & 0o777) == "0o600"


def test_token_create_keeps_team_names_whole_and_refuses_unprintable_ones(tmp_path):
    db = f"sqlite:///{tmp_path / 'hub.db'}"
    out = run("hub", "token", "create", "--name", "Dana", "--team", "Harbor 1", "--team", "Summit 2", "--db", db)
    assert out.returncode == 0, out.stderr
    from floorview.hub.hubstore import HubStore, open_hub_engine

    assert HubStore(open_hub_engine(db)).scope_for(out.stdout.strip()).teams == {"Harbor 1", "Summit 2"}
    for bad in ("--team", "Harbor\x1f1"), ("--team", " "), ("--queue", "q 1"):
        out = run("hub", "token", "create", "--name", "Dana", *bad, "--db", db)
        assert out.returncode == 2, out.stderr
        assert ("a team is" if bad[0] == "--team" else "a queue id is") in out.stderr


def test_openapi_document_matches_the_protocol(hub):
    import httpx

    doc = httpx.get(f"{hub.url}/openapi.json").json()
    assert {"/v1/health", "/v1/changes", "/v1/notes/{note_id}"} <= set(doc["paths"])
    params = {p["name"]: p for p in doc["paths"]["/v1/changes"]["get"]["parameters"] if p["in"] == "query"}
    assert params["limit"]["schema"]["minimum"] == 1 and params["limit"]["schema"]["maximum"] == 5000
    assert params["wait"]["schema"]["maximum"] == 25
    assert params["cursor"]["schema"]["anyOf"][0]["maxLength"] == 256
    assert set(doc["paths"]["/v1/notes/{note_id}"]) == {"put", "delete"}
    change = doc["components"]["schemas"]["Change"]
    assert change["properties"]["op"]["enum"] == ["upsert", "delete"]
    assert httpx.get(f"{hub.url}/v1/health").json() == {"status": "ok", "protocol": 1}
