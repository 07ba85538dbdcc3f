"""GET /v1/me: the hub says who a token is; the client keeps it in the store
for the screens, and carries on without it when a hub does not say."""

from __future__ import annotations

import json
import threading

import pytest

from floorview.store.engine import open_engine, open_reader
from floorview.store.syncstate import TokenScope, token_scope
from floorview.sync.syncer import Syncer
from floorview.sync.transport import HubClient, TokenRejected


@pytest.fixture
def store(tmp_path):
    path = tmp_path / "client.db"
    engine = open_engine(path)
    yield engine, path
    engine.dispose()


def read_scope(path):
    con = open_reader(path)
    try:
        return token_scope(con)
    finally:
        con.close()


def test_the_hub_says_who_a_token_is(hub):
    team = hub.store.create_token("Bo Lead", teams=["Canyon", "Team A"], queues=["q-b"])
    assert HubClient(hub.url, team).request("GET", "/v1/me").body == {
        "name": "Bo Lead",
        "teams": ["Canyon", "Team A"],
        "queues": ["q-b"],
    }
    assert HubClient(hub.url, hub.token).request("GET", "/v1/me").body == {
        "name": "Lead One",
        "teams": [],
        "queues": [],
    }
    with pytest.raises(TokenRejected):
        HubClient(hub.url, "fv_unknown").request("GET", "/v1/me")


def test_the_client_keeps_it_for_the_screens(hub, store):
    engine, path = store
    assert read_scope(path) is None  # never synced: unknown
    token = hub.store.create_token("Bo Lead", teams=["Canyon"])
    Syncer(engine, HubClient(hub.url, token)).pull_until_caught_up()
    scope = read_scope(path)
    assert scope == TokenScope("Bo Lead", ("Canyon",), ())
    assert not scope.whole_floor
    with engine.connect() as conn:  # a SQLAlchemy connection does too
        assert token_scope(conn) == scope
    Syncer(engine, HubClient(hub.url, hub.token)).pull_until_caught_up()  # another token, the whole floor
    assert read_scope(path) == TokenScope("Lead One") and read_scope(path).whole_floor


def page(cursor: str = "c.1") -> bytes:
    return json.dumps(
        {
            "cursor": cursor,
            "more": False,
            "server_time": "2026-11-20T15:00:00Z",
            "changes": [
                {"kind": "queue", "id": "q1", "version": 1, "op": "upsert", "data": {"name": "Q", "channel": "voice"}}
            ],
        }
    ).encode()


def answering(me: tuple[int, bytes], changes=lambda: (200, page())):
    """A scripted hub: /v1/me answers `me`, /v1/changes a page."""

    def answer(h):
        status, body = me if h.path.startswith("/v1/me") else changes()
        h.reply(status, body, {"Content-Type": "application/json"})

    return answer


@pytest.mark.parametrize(
    "status, body",
    [
        (404, b'{"detail": "Not Found"}'),  # an adapter that does not implement it
        (404, b"<html>not here</html>"),
        (405, b""),
        (200, b'["not", "an", "object"]'),
        (200, b'{"name": "X", "teams": "Canyon"}'),
        (200, b'{"name": "", "teams": [], "queues": []}'),
        (200, json.dumps({"name": "X" * 201, "teams": [], "queues": []}).encode()),
        (200, b"not json"),
    ],
)
def test_a_hub_that_does_not_say_leaves_it_unknown_and_the_sync_goes_on(scripted, store, status, body):
    engine, path = store
    with engine.begin() as conn:  # known from before: a hub that no longer says makes it unknown
        from floorview.store.syncstate import save_token_scope

        save_token_scope(conn, TokenScope("Old", ("T",)), 0)
    scripted.answer = answering((status, body))
    result = Syncer(engine, HubClient(scripted.url, "t")).pull_until_caught_up()
    assert result.caught_up and result.changes == 1
    assert read_scope(path) is None


def test_a_fault_keeps_what_was_known_and_asks_again(scripted, store):
    engine, path = store
    with engine.begin() as conn:
        from floorview.store.syncstate import save_token_scope

        save_token_scope(conn, TokenScope("Bo", ("Canyon",)), 0)
    scripted.answer = answering((500, b"{}"))
    syncer = Syncer(engine, HubClient(scripted.url, "t"))
    assert syncer.pull_until_caught_up().caught_up
    assert read_scope(path) == TokenScope("Bo", ("Canyon",)) and syncer.identity_due
    scripted.answer = answering((200, b'{"name": "Bo", "teams": ["Delta"], "queues": []}'))
    syncer.pull_until_caught_up()
    assert read_scope(path) == TokenScope("Bo", ("Delta",)) and not syncer.identity_due
    syncer.pull_until_caught_up()
    assert sum(1 for _, p, _ in scripted.requests if p.startswith("/v1/me")) == 2  # once known, not asked per catch-up


def test_hostile_text_is_cleaned_before_it_is_stored(scripted, store):
    engine, path = store
    me = {"name": "Bo\x1b[31m Lead\u202e", "teams": ["Can\x07yon", "\x1b", "[b]Team[/b]"], "queues": ["q\x9b1"]}
    scripted.answer = answering((200, json.dumps(me).encode()))
    Syncer(engine, HubClient(scripted.url, "t")).pull_until_caught_up()
    assert read_scope(path) == TokenScope("Bo[31m Lead", ("Canyon", "[b]Team[/b]"), ("q1",))


def test_asked_again_after_a_410(scripted, store):
    engine, path = store
    answers = iter([(410, b'{"detail": "gone"}'), (200, page("c.2"))])
    lock = threading.Lock()

    def changes():
        with lock:
            return next(answers, (200, page("c.3")))

    scripted.answer = answering((200, b'{"name": "Bo", "teams": [], "queues": ["q1"]}'), changes)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT OR REPLACE INTO sync_state (id, cursor, unknown_kinds) VALUES (1, 'old.1', 0)")
    Syncer(engine, HubClient(scripted.url, "t")).pull_until_caught_up()
    asked = [p for _, p, _ in scripted.requests if p.startswith("/v1/me")]
    assert len(asked) == 2  # at the start, and after the reset
    assert read_scope(path) == TokenScope("Bo", (), ("q1",))


def test_a_rejected_token_stops_as_on_a_page(scripted, store):
    engine, _ = store
    scripted.answer = answering((401, b'{"detail": "no"}'), lambda: (401, b'{"detail": "no"}'))
    with pytest.raises(TokenRejected):
        Syncer(engine, HubClient(scripted.url, "t")).pull_until_caught_up()


def test_sync_once_stores_who_the_token_is(hub, tmp_path):
    """The B1 lead, as a script syncs: `floorview sync --once` with a team token."""
    from .test_sync_cli import run, token_file

    token = hub.store.create_token("Bo Lead", teams=["Canyon"])
    db = tmp_path / "store" / "floorview.db"
    out = run("sync", "--once", "--hub", hub.url, "--token-file", str(token_file(tmp_path, token)), "--db", str(db))
    assert out.returncode == 0, out.stderr
    assert read_scope(db) == TokenScope("Bo Lead", ("Canyon",))
