"""A hub process on PostgreSQL keeps the tokens it accepted (hub/known_tokens.py):
their next requests read no database, and a revocation by any process is
heard (NOTIFY) and holds at the next request. On SQLite nothing is kept."""

from __future__ import annotations


import httpx
from sqlalchemy import event

from floorview.hub.hubstore import HubStore, open_hub_engine
from floorview.hub.known_tokens import TRUST_S, KnownTokens

from .hubs import start_hub
from .test_hub_leases import _wait
from .test_hub_tokens import _second_hub, refused
from .test_sync_cli import run


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_kept_token_is_used_only_while_the_listener_is_proven_alive():
    clock = Clock()
    known: KnownTokens[str] = KnownTokens(monotonic=clock)
    known.keep("h", "scope", None, known.generation)
    assert known.get("h", 0) is None  # nobody listening: nothing was kept
    known.alive()
    known.keep("h", "scope", None, known.generation)
    assert known.get("h", 0) == "scope"
    clock.now += TRUST_S - 0.01
    assert known.get("h", 0) == "scope"
    clock.now += 0.02  # no proof for TRUST_S: the database is asked again
    assert known.get("h", 0) is None
    known.alive()
    assert known.get("h", 0) == "scope"
    known.deaf()
    known.alive()
    assert known.get("h", 0) is None  # a lost connection forgot everything


def test_a_lookup_begun_before_a_revocation_was_heard_is_not_kept():
    known: KnownTokens[str] = KnownTokens()
    known.alive()
    began = known.generation
    known.forget()  # a revocation heard while the lookup read the database
    known.keep("h", "scope", None, began)
    assert known.get("h", 0) is None
    known.keep("h", "scope", None, known.generation)
    assert known.get("h", 0) == "scope"


def test_a_kept_token_still_expires_at_its_time():
    known: KnownTokens[str] = KnownTokens()
    known.alive()
    known.keep("h", "scope", 1_000.0, known.generation)
    assert known.get("h", 999.9) == "scope"
    assert known.get("h", 1_000.0) is None


def _token_reads(store: HubStore) -> list[str]:
    seen: list[str] = []

    @event.listens_for(store.engine, "before_cursor_execute")
    def _(conn, cursor, statement, *args) -> None:
        if "hub_token" in statement:
            seen.append(statement)

    return seen


def test_on_postgresql_a_kept_token_reads_no_database_and_a_revocation_elsewhere_is_heard(pg_server):
    url = pg_server.database()
    store = HubStore(open_hub_engine(url))
    hub = start_hub(url, store=store)
    try:
        reads = _token_reads(store)
        headers = {"Authorization": f"Bearer {hub.token}"}
        with httpx.Client(base_url=hub.url, headers=headers) as http:
            _wait(lambda: http.get("/v1/me").status_code == 200 and store.cached_scope(hub.token) is not None)
            before = len(reads)
            for _ in range(20):
                assert http.get("/v1/changes", params={"limit": 1}).status_code == 200
                assert http.get("/v1/me").json()["name"] == "Lead One"
            assert len(reads) == before  # 40 requests, no token read
            # Revoked through another engine (another process, to the database): heard by NOTIFY.
            other = HubStore(open_hub_engine(url))
            other.revoke("Lead One")
            _wait(lambda: http.get("/v1/me").status_code == 401, timeout=2.0)
            assert "revoked" in refused(hub.url, hub.token, "/v1/changes")
            other.engine.dispose()
    finally:
        hub.stop()


def test_on_sqlite_nothing_is_kept_and_every_request_reads_the_token(tmp_path):
    hub = start_hub(tmp_path / "hub.db")
    try:
        reads = _token_reads(hub.store)
        with httpx.Client(base_url=hub.url, headers={"Authorization": f"Bearer {hub.token}"}) as http:
            for _ in range(5):
                assert http.get("/v1/me").status_code == 200
        assert len(reads) == 5 and hub.store.cached_scope(hub.token) is None
    finally:
        hub.stop()


def test_on_postgresql_a_token_revoked_by_the_command_is_refused_at_once_by_every_hub_process(pg_server):
    url = pg_server.database()
    hub = start_hub(url)
    proc, other_url = _second_hub(url)
    try:
        dana = hub.store.create_token("Dana Lead", teams=["Harbor"])
        for where in (hub.url, other_url):
            for _ in range(3):  # accepted, and kept by both processes
                assert httpx.get(where + "/v1/me", headers={"Authorization": f"Bearer {dana}"}).status_code == 200
        _wait(lambda: hub.store.cached_scope(dana) is not None)
        out = run("hub", "token", "revoke", "Dana Lead", "--db", url)
        assert out.returncode == 0, out.stderr
        for where in (hub.url, other_url):
            assert "revoked" in refused(where, dana)
            assert "revoked" in refused(where, dana, "/v1/changes")
    finally:
        proc.terminate()
        proc.wait(30)
        hub.stop()
