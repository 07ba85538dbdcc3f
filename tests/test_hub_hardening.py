"""The hub refuses what would break its clients or itself (security audit 1,
the hub's side): text that is not Unicode, numbers out of range, pages over
the client's limit, note ids that could turn a request elsewhere, reads that
wait on writers, oversized bodies, slow headers, crafted cursors and bodies,
and the smaller points of its HTTP surface. Each through a real hub on
loopback, spoken to byte for byte where the point is the bytes."""

from __future__ import annotations

import http.client
import json
import socket
import sqlite3
from urllib.parse import urlsplit

import pytest

from floorview.hub.hubstore import HubStore, open_hub_engine
from floorview.sync.syncer import Syncer
from floorview.sync.transport import HubClient

from .hubs import start_hub

AT = "2026-11-20T14:00:00Z"
MIB = 1 << 20


def rec(kind: str, rid: str, version: int = 1, **data) -> dict:
    return {"kind": kind, "id": rid, "version": version, "op": "upsert", "data": data}


def floor() -> list[dict]:
    """Harbor and Summit serve q-care; Other serves q-sales; k1 called q-sales, k2 q-care."""
    agent = dict(state="available", state_since=AT)
    return [
        rec("queue", "q-sales", name="Sales", channel="voice"),
        rec("queue", "q-care", name="Care", channel="chat"),
        rec("agent", "h1", name="Hana", team="Harbor", queues=["q-care"], **agent),
        rec("agent", "s1", name="Sam", team="Summit", queues=["q-care"], **agent),
        rec("agent", "o1", name="Oli", team="Other", queues=["q-sales"], **agent),
        rec("customer", "k1", name="Kit"),
        rec("customer", "k2", name="Kay"),
        rec("interaction", "i1", queue_id="q-sales", channel="voice", enqueued_at=AT, agent_id="o1", customer_id="k1"),
        rec("interaction", "i2", queue_id="q-care", channel="chat", enqueued_at=AT, agent_id="h1", customer_id="k2"),
    ]


def note(**fields) -> dict:
    return {
        "type": "coaching",
        "visibility": "team",
        "body": "Good call.",
        "created_at": AT,
        "updated_at": AT,
        "author": "whoever",
        "base_version": 0,
        **fields,
    }


@pytest.fixture
def hub(tmp_path):
    running = start_hub(tmp_path / "hub.db")
    running.store.write(floor())
    yield running
    running.stop()


class Answer:
    def __init__(self, resp: http.client.HTTPResponse) -> None:
        self.status = resp.status
        self.headers = resp.headers
        self.raw = resp.read()

    @property
    def body(self):
        return json.loads(self.raw) if self.raw else None

    @property
    def detail(self) -> str:
        detail = self.body["detail"]
        assert isinstance(detail, str), detail  # in words, for the client to show
        return detail


def call(
    hub,
    method: str,
    path: str,
    body: bytes | str | dict | None = None,
    token: str | None = "",
    headers: list[tuple[str, str]] | None = None,
    content_type: str | None = "application/json",
) -> Answer:
    """One request exactly as written: the path unnormalised, headers repeatable."""
    url = urlsplit(hub.url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    try:
        own_host = any(name.lower() == "host" for name, _ in headers or [])
        conn.putrequest(method, path, skip_host=own_host, skip_accept_encoding=True)
        if token is not None:
            conn.putheader("Authorization", f"Bearer {token or hub.token}")
        for name, value in headers or []:
            conn.putheader(name, value)
        if isinstance(body, dict):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        if body is not None:
            if content_type is not None:
                conn.putheader("Content-Type", content_type)
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        return Answer(conn.getresponse())
    finally:
        conn.close()


# -- H1: text that is not Unicode, numbers out of range --------------------------------------------
BODY = '{"agent_id": "h1", "type": "coaching", "visibility": "team", "created_at": "%s", "updated_at": "%s", ' % (
    AT,
    AT,
)


NOT_UNICODE = [
    '"body": "bad \\ud800 text", "base_version": 0}',
    '"body": "ok", "author": "\\udfff", "base_version": 0}',  # replaced by the hub, refused all the same
    '"body": "ok", "extra": ["\\ud83d"], "base_version": 0}',  # a field the hub would drop
    '"body": "ok", "\\ud800": 1, "base_version": 0}',
    '"body": "a pair \\ud83d\\ude00 then half \\ude00", "base_version": 0}',
]
OUT_OF_RANGE = [
    '"body": "ok", "base_version": 9223372036854775808}',
    '"body": "ok", "base_version": -1}',
    '"body": "ok", "base_version": 1.5}',
    '"body": "ok", "base_version": true}',
    '"body": "ok", "extra": 1000000000000000000000000000000, "base_version": 0}',
    '"body": "ok", "extra": NaN, "base_version": 0}',
    '"body": "ok", "extra": -Infinity, "base_version": 0}',
    '"body": "ok", "extra": 1e400, "base_version": 0}',
]


def test_text_that_is_not_unicode_is_refused_in_words(hub):
    for tail in NOT_UNICODE:
        answer = call(hub, "PUT", "/v1/notes/n-1", BODY + tail)
        assert answer.status == 422 and "Unicode" in answer.detail, tail
        assert hub.store.current("note", "n-1") is None
    # a surrogate pair is one character beyond the BMP: taken
    answer = call(
        hub, "PUT", "/v1/notes/n-1", BODY + '"body": "a pair \\ud83d\\ude00 is one emoji", "base_version": 0}'
    )
    assert answer.status == 201, answer.raw
    assert hub.store.current("note", "n-1")["data"]["body"] == "a pair \U0001f600 is one emoji"


def test_numbers_out_of_range_are_refused_in_words(hub):
    for tail in OUT_OF_RANGE:
        answer = call(hub, "PUT", "/v1/notes/n-1", BODY + tail)
        assert answer.status == 422 and answer.detail, (tail, answer.raw)
        assert hub.store.current("note", "n-1") is None


def test_sources_cannot_store_what_no_client_could(hub, local):
    """HubStore.write (the simulator, an adapter) skips such a record and counts it;
    the rest of the batch is written, and a whole-floor client syncs."""
    q = {"name": "Q", "channel": "voice"}
    bad = [
        rec("queue", "q-bad-1", name="bad \ud800 name", channel="voice"),
        rec("queue", "q-bad-2", sl_threshold_s=10**30, **q),
        rec("interaction", "i-bad-1", queue_id="q-sales", channel="voice", enqueued_at=AT, transfers=2**63),
        rec("queue", "q-bad-3", version=2**63, **q),
        rec("queue", "q-bad-4", version=0, **q),
        {**rec("queue", "q-bad-5", **q), "version": "3"},
        {**rec("queue", "q-bad-6", **q), "version": True},
        rec("survey", "s-bad-1", customer_id="k1", answered_at=AT, nps=11),  # documented range 0..10
        rec("queue", "q-bad-7", sl_target=float("nan"), name="Q", channel="voice"),
        rec("queue", "q-bad-8", cost_per_agent_hour=float("inf"), **q),
        rec(
            "note",
            "n-bad-1",
            agent_id="h1",
            author="x",
            created_at=AT,
            updated_at=AT,
            type="kudos",
            visibility="team",
            body="half \udc00",
        ),
        rec("gizmo", "g-bad-1", x={"y": "\udfff"}),  # a kind the hub does not know: still text
        rec("gizmo", "g-bad-2", x=json.loads("[" * 40 + "]" * 40)),  # deeper than a client reads
        rec("queue", "q bad", **q),  # not an id
        rec("", "q-bad-9", **q),
        {"kind": "queue", "id": "q-bad-10", "version": 1, "op": "upsert", "data": None},
        {"kind": "queue", "id": "q-bad-11", "version": 1, "op": "upsert", "data": ["not", "an", "object"]},
        {"kind": "queue", "id": "q-bad-12", "version": 1, "op": "replace", "data": q},
        {"kind": "queue", "version": 1, "op": "upsert", "data": q},
        "not a change",
    ]
    good = [
        rec("queue", "q-ok", **q),
        # Wrong in ways a client quarantines (rule 5), not poison: stored and served.
        rec("agent", "a-dancing", name="D", team="T", state="dancing", state_since=AT),
    ]
    refusals: list = []
    assert hub.store.write([good[0], *bad, good[1]], refusals=refusals) == 2
    assert len(refusals) == len(bad)
    assert hub.store.refused >= len(bad)
    assert all(isinstance(r, str) and r for _, _, r in refusals)
    result = Syncer(local, HubClient(hub.url, hub.token)).pull_until_caught_up()
    assert result.caught_up
    with local.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM queue WHERE id = 'q-ok'").scalar() == 1
    for kind, rid in (("queue", "q-bad-1"), ("queue", "q-bad-3"), ("survey", "s-bad-1"), ("gizmo", "g-bad-1")):
        assert hub.store.current(kind, rid) is None


# -- H2: pages bounded by bytes; text stored as UTF-8 --------------------------------------------------
def test_pages_are_cut_by_bytes_and_text_is_stored_as_utf8(hub, local, tmp_path):
    body = "\U0001f600" * 20_000  # the longest note body: 80,000 bytes of UTF-8
    hub.store.write(
        [
            rec(
                "note",
                f"n-{k}",
                agent_id="h1",
                author="x",
                created_at=AT,
                updated_at=AT,
                type="kudos",
                visibility="team",
                body=body,
            )
            for k in range(110)
        ]
    )
    with sqlite3.connect(tmp_path / "hub.db") as con:
        stored = con.execute("SELECT data FROM hub_record WHERE kind = 'note' LIMIT 1").fetchone()[0]
    assert "\U0001f600" in stored and "\\ud83d" not in stored
    first = call(hub, "GET", "/v1/changes?limit=1000")
    assert first.status == 200
    assert len(first.raw) <= 8 * MIB  # well under the client's 20 MiB
    page = first.body
    assert page["more"] and 1 <= sum(c["kind"] == "note" for c in page["changes"]) < 110
    result = Syncer(local, HubClient(hub.url, hub.token)).pull_until_caught_up()
    assert result.caught_up
    with local.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM note").scalar() == 110
    rows, _, more = hub.store.page_rows(hub.store.scope_for(hub.token), 0, 1000, max_bytes=1)
    assert len(rows) == 1 and more  # always at least one change


# -- M2: note ids that are not one plain path segment --------------------------------------------------
BAD_IDS = [
    "a/b",
    "a%2Fb",
    "a%3Fb",
    "a%23b",
    "a%25b",
    ".",
    "..",
    "%2E",
    "%2e%2E",
    "a%01b",
    "a%7Fb",
    "a%20b",
    "%C3%A9t%C3%A9",
    "x" * 129,
]


PLAIN_IDS = ["n-1.2", "...", "a~b", "x" * 128, "9f1c0e4e-9d3c-4c1e-8a59-3e3c1f0b2a11"]


def test_note_ids_that_are_not_one_plain_segment_are_refused(hub):
    for note_id in BAD_IDS:
        put = call(hub, "PUT", f"/v1/notes/{note_id}", note(agent_id="h1"))
        assert put.status == 422 and "note id" in put.detail, note_id
        delete = call(hub, "DELETE", f"/v1/notes/{note_id}?base_version=0")
        assert delete.status == 422 and "note id" in delete.detail, note_id
    with hub.store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM hub_record WHERE kind = 'note'").scalar() == 0
    for note_id in PLAIN_IDS:
        assert call(hub, "PUT", f"/v1/notes/{note_id}", note(agent_id="h1")).status == 201, note_id
        assert call(hub, "DELETE", f"/v1/notes/{note_id}?base_version=1").status == 200, note_id


# -- M4: reads never wait for a writer -----------------------------------------------------------------
def test_reads_answer_while_another_connection_holds_the_write_lock(hub, tmp_path):
    con = sqlite3.connect(tmp_path / "hub.db", isolation_level=None, timeout=0)
    con.execute("BEGIN IMMEDIATE")
    try:
        for path in ("/v1/changes", "/v1/me", "/v1/changes?limit=1", "/v1/changes?wait=1"):
            answer = call(hub, "GET", path)
            assert answer.status == 200, (path, answer.raw)
    finally:
        con.execute("ROLLBACK")
        con.close()


def test_a_write_that_cannot_get_the_lock_is_busy_not_an_error(hub, tmp_path):
    con = sqlite3.connect(tmp_path / "hub.db", isolation_level=None, timeout=0)
    con.execute("BEGIN IMMEDIATE")
    try:
        answer = call(hub, "PUT", "/v1/notes/n-1", note(agent_id="h1"))
    finally:
        con.execute("ROLLBACK")
        con.close()
    assert answer.status == 503 and answer.headers["Retry-After"]
    assert call(hub, "PUT", "/v1/notes/n-1", note(agent_id="h1")).status == 201  # the retry goes through


# -- M7: a queue-only token writes within its scope ------------------------------------------------
def test_a_queue_token_writes_team_notes_about_what_its_queues_show_it(hub):
    sales = hub.store.create_token("Quinn Queue", queues=["q-sales"])
    assert call(hub, "PUT", "/v1/notes/n-k1", note(customer_id="k1", type="recovery"), token=sales).status == 201
    assert call(hub, "PUT", "/v1/notes/n-o1", note(agent_id="o1"), token=sales).status == 201
    private = call(hub, "PUT", "/v1/notes/n-o1p", note(agent_id="o1", visibility="private"), token=sales)
    assert private.status == 403 and "private" in private.detail
    assert call(hub, "PUT", "/v1/notes/n-h1", note(agent_id="h1"), token=sales).status == 403  # not on q-sales
    assert call(hub, "PUT", "/v1/notes/n-k2", note(customer_id="k2"), token=sales).status == 403  # called q-care
    harbor = hub.store.create_token("Harbor Lead", teams=["Harbor"])
    assert call(hub, "PUT", "/v1/notes/n-h1", note(agent_id="h1", visibility="private"), token=harbor).status == 201
    assert call(hub, "PUT", "/v1/notes/n-k2", note(customer_id="k2"), token=harbor).status == 201
    assert call(hub, "PUT", "/v1/notes/n-s1", note(agent_id="s1"), token=harbor).status == 403  # Summit's agent
    assert call(hub, "PUT", "/v1/notes/n-o1", note(agent_id="o1", base_version=1), token=harbor).status == 403


# -- M8: bodies over 1 MiB --------------------------------------------------------------------------
def _socket(hub) -> socket.socket:
    url = urlsplit(hub.url)
    return socket.create_connection((url.hostname, url.port), timeout=30)


def _status(sock: socket.socket) -> int:
    head = b""
    while b"\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            break
        head += chunk
    return int(head.split()[1])


def test_a_declared_oversized_body_is_refused_before_it_is_read(hub):
    with _socket(hub) as sock:
        sock.sendall(
            b"PUT /v1/notes/n-1 HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\n"
            b"Authorization: Bearer " + hub.token.encode() + b"\r\nContent-Length: 268435456\r\n\r\n{"
        )
        assert _status(sock) == 413  # answered without the other 256 MiB


def test_a_chunked_body_stops_being_read_past_1_mib(hub):
    with _socket(hub) as sock:
        sock.sendall(
            b"PUT /v1/notes/n-1 HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\n"
            b"Authorization: Bearer " + hub.token.encode() + b"\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"%x\r\n%s\r\n" % (64 * 1024, b" " * 64 * 1024)
        try:
            for _ in range(24):  # 1.5 MiB, and the body never ends
                sock.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the hub hung up: it stopped reading
        assert _status(sock) == 413


# -- L1: a client that sends its headers slowly ---------------------------------------------------------
def test_headers_dripped_slowly_are_cut_off(tmp_path):
    hub = start_hub(tmp_path / "hub.db", header_timeout=1.0)
    try:
        with _socket(hub) as sock:
            sock.sendall(b"GET /v1/health HTTP/1.1\r\nHost: hub\r\n")
            closed = False
            for _ in range(150):  # a header byte every 0.2 s; bounded at 30 s
                try:
                    sock.sendall(b"X")
                    sock.settimeout(0.2)
                    sock.recv(4096)
                except TimeoutError:
                    continue
                except (BrokenPipeError, ConnectionResetError):
                    pass
                closed = True  # hung up (or answered headers that never ended)
                break
            assert closed
        # an ordinary request on a new connection is served as ever
        assert call(hub, "GET", "/v1/health", token=None).status == 200
    finally:
        hub.stop()


# -- L4 and I6: crafted cursors; a body nested deep ------------------------------------------------------
def test_crafted_cursors_answer_410(hub):
    epoch = hub.store.epoch
    page = call(hub, "GET", "/v1/changes").body
    _, gen, seq = page["cursor"].split(".")
    for cursor in (
        f"{epoch}.0.{'9' * 40}",
        f"{epoch}.0.\u00b2",
        f"{epoch}.\u00b2.1",
        f"{epoch}.0.-1",
        f"{epoch}.{gen}.{int(seq) + 1}",
        f"{epoch}.{int(gen) + 1}.{seq}",
        f"{epoch}.0.1.1",
    ):
        answer = call(hub, "GET", "/v1/changes?" + _query(cursor=cursor))
        assert answer.status == 410, (cursor, answer.raw)
        assert answer.detail
    assert call(hub, "GET", "/v1/changes?" + _query(cursor=page["cursor"])).status == 200


def _query(**params) -> str:
    from urllib.parse import urlencode

    return urlencode(params)


@pytest.mark.parametrize("depth", [100_000, 200])
def test_a_body_nested_deep_is_refused_in_words(hub, depth):
    answer = call(
        hub,
        "PUT",
        "/v1/notes/n-1",
        BODY + '"body": "x", "extra": ' + "[" * depth + "]" * depth + ', "base_version": 0}',
    )
    assert answer.status == 422 and answer.detail


# -- L10: the token is found by its hash -------------------------------------------------------------------
def test_a_token_is_looked_up_by_an_index(hub):
    from sqlalchemy import event

    seen: list[tuple[str, tuple]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if "hub_token" in statement:
            seen.append((statement, parameters))

    event.listen(hub.store.engine, "before_cursor_execute", record)
    try:
        assert call(hub, "GET", "/v1/me").status == 200
        assert call(hub, "GET", "/v1/me", token="fv_not_a_token").status == 401
    finally:
        event.remove(hub.store.engine, "before_cursor_execute", record)
    assert seen
    with hub.store.engine.connect() as conn:
        for statement, parameters in seen:
            plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters))
            assert "SEARCH" in plan and "SCAN" not in plan, (statement, plan)


# -- L11 and I5: the hub's clock, the author kept ----------------------------------------------------------
def test_the_hub_stamps_notes_and_keeps_the_author(tmp_path):
    now = [1_800_000_000.0]  # 2027-01-15T08:00:00Z
    store = HubStore(open_hub_engine(f"sqlite:///{tmp_path / 'hub.db'}"), clock=lambda: now[0])
    store.write(floor())
    hub = start_hub(tmp_path / "hub.db", store=store)
    try:
        gia = store.create_token("Gia Jensen", teams=["Harbor"])
        lead = store.create_token("Harbor Lead", teams=["Harbor"])
        first = note(agent_id="h1", created_at="2019-01-07T00:00:00Z", updated_at="2099-01-01T00:00:00Z")
        assert call(hub, "PUT", "/v1/notes/n-1", first, token=gia).status == 201
        data = store.current("note", "n-1")["data"]
        assert (data["created_at"], data["updated_at"]) == ("2027-01-15T08:00:00Z", "2027-01-15T08:00:00Z")
        assert data["author"] == "Gia Jensen" and "edited_by" not in data
        now[0] += 3600
        edit = {**first, "body": "Better call.", "base_version": 1, "author": "Someone Else"}
        answer = call(hub, "PUT", "/v1/notes/n-1", edit, token=lead)
        assert answer.status == 200
        data = store.current("note", "n-1")["data"]
        assert answer.body == {"id": "n-1", "version": 2, "data": data}  # what the hub holds, for the writer to keep
        assert (data["created_at"], data["updated_at"]) == ("2027-01-15T08:00:00Z", "2027-01-15T09:00:00Z")
        assert data["author"] == "Gia Jensen" and data["edited_by"] == "Harbor Lead"
        now[0] += 3600  # the same edit again (its answer lost): no new version, no new stamp
        again = call(hub, "PUT", "/v1/notes/n-1", edit, token=lead)
        assert again.status == 200 and again.body == {"id": "n-1", "version": 2, "data": data}
        assert store.current("note", "n-1")["data"]["updated_at"] == "2027-01-15T09:00:00Z"
    finally:
        hub.stop()


# -- I1: the Authorization header -----------------------------------------------------------------------
def test_a_repeated_authorization_header_is_refused(hub):
    harbor = hub.store.create_token("Harbor Lead", teams=["Harbor"])
    twice = [("Authorization", f"Bearer {hub.token}")]
    answer = call(hub, "GET", "/v1/me", token=harbor, headers=twice)
    assert answer.status == 400 and answer.detail
    answer = call(hub, "GET", "/v1/me", token=None, headers=[("Authorization", "Bearer bogus"), *twice])
    assert answer.status == 400


@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "BeArEr"])
def test_the_bearer_scheme_is_case_insensitive(hub, scheme):
    answer = call(hub, "GET", "/v1/me", token=None, headers=[("Authorization", f"{scheme} {hub.token}")])
    assert answer.status == 200 and answer.body["name"] == "Lead One"


# -- I2: no redirects built from the Host header ------------------------------------------------------------
def test_no_trailing_slash_redirects(hub):
    answer = call(hub, "GET", "/v1/changes/", headers=[("Host", "evil.example")])
    assert answer.status == 404 and "location" not in answer.headers


# -- I3: PUT speaks JSON in UTF-8 -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/json; charset=utf-16",
        "multipart/form-data; boundary=x",
    ],
)
def test_a_put_that_is_not_json_is_refused_415(hub, content_type):
    answer = call(hub, "PUT", "/v1/notes/n-1", note(agent_id="h1"), content_type=content_type)
    assert answer.status == 415 and answer.detail


def test_json_that_is_not_utf8_is_refused(hub):
    answer = call(hub, "PUT", "/v1/notes/n-1", json.dumps(note(agent_id="h1")).encode("utf-16"))
    assert answer.status == 422 and "UTF-8" in answer.detail
    ok = call(hub, "PUT", "/v1/notes/n-1", note(agent_id="h1"), content_type="Application/JSON; charset=UTF-8")
    assert ok.status == 201


# -- I4: a deleted note's id stays its owner's -----------------------------------------------------------
def test_a_deleted_note_cannot_be_taken_over_by_another_team(hub):
    summit = hub.store.create_token("Summit Lead", teams=["Summit"])
    harbor = hub.store.create_token("Harbor Lead", teams=["Harbor"])
    assert call(hub, "PUT", "/v1/notes/n-s", note(agent_id="s1", visibility="private"), token=summit).status == 201
    assert call(hub, "DELETE", "/v1/notes/n-s?base_version=1", token=summit).status == 200
    answer = call(hub, "PUT", "/v1/notes/n-s", note(agent_id="h1", base_version=2), token=harbor)
    assert answer.status == 403
    assert call(hub, "PUT", "/v1/notes/n-s", note(agent_id="s1", base_version=2), token=summit).status == 201


# -- 422s in words ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("query", ["limit=0", "limit=5001", "wait=26", "wait=nan", "cursor=" + "c" * 257])
def test_bad_queries_are_refused_in_words(hub, query):
    answer = call(hub, "GET", "/v1/changes?" + query)
    assert answer.status == 422 and answer.detail


def test_delete_base_version_out_of_range(hub):
    assert call(hub, "PUT", "/v1/notes/n-1", note(agent_id="h1")).status == 201
    answer = call(hub, "DELETE", f"/v1/notes/n-1?base_version={2**63}")
    assert answer.status == 422 and answer.detail
    assert call(hub, "DELETE", "/v1/notes/n-1?base_version=1").status == 200
