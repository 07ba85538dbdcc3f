"""A hub that misbehaves, for real, on loopback: every answer is untrusted."""

from __future__ import annotations

import gzip
import json
import time
from email.utils import formatdate

import pytest
from sqlalchemy import select

from floorview.store import schema
from floorview.store.engine import open_engine
from floorview.store.syncstate import cursor
from floorview.sync.backoff import Backoff, parse_retry_after
from floorview.sync.syncer import Syncer
from floorview.sync.transport import BadAnswer, HubClient, HubError, URLRefused, check_url

from .test_hostile import CORPUS


@pytest.fixture
def local(tmp_path):
    engine = open_engine(tmp_path / "floorview.db")
    yield engine
    engine.dispose()


def page(changes, cursor="c.1", more=False) -> bytes:
    return json.dumps(
        {"cursor": cursor, "more": more, "server_time": "2026-11-20T15:00:00Z", "changes": changes}
    ).encode()


def json_reply(body: bytes, status: int = 200, headers: dict | None = None):
    return lambda h: h.reply(status, body, {"Content-Type": "application/json", **(headers or {})})


def agent(aid: str, version: int = 1, **data) -> dict:
    return {
        "kind": "agent",
        "id": aid,
        "version": version,
        "op": "upsert",
        "data": {"name": "Ada", "team": "T", "state": "available", "state_since": "2026-11-20T14:00:00Z", **data},
    }


def pull(server, local, **client_kw):
    return Syncer(local, HubClient(server.url, "t", **client_kw)).pull_page()


@pytest.mark.parametrize(
    "value, expected",
    [("7", 7.0), ("0", 1.0), ("999999", 300.0), ("-5", None), ("soon", None), ("", None), (None, None)],
)
def test_retry_after_values_are_clamped_or_ignored(value, expected):
    assert parse_retry_after(value, time.time()) == expected


def test_retry_after_as_an_http_date():
    now = time.time()
    assert parse_retry_after(formatdate(now + 30, usegmt=True), now) == pytest.approx(30, abs=1.5)
    assert parse_retry_after(formatdate(now - 30, usegmt=True), now) == 1.0  # in the past: the minimum


@pytest.mark.parametrize("status", [429, 503])
@pytest.mark.parametrize("header, wait", [("12", 12.0), ("garbage", None), ("-1", None), ("86400", 300.0)])
def test_busy_hub_is_honoured(scripted, local, status, header, wait):
    scripted.answer = json_reply(b"{}", status, {"Retry-After": header})
    with pytest.raises(HubError) as caught:
        pull(scripted, local)
    assert caught.value.retry and caught.value.retry_after == wait
    assert f"busy ({status})" in caught.value.message


def test_backoff_doubles_with_full_jitter_and_caps():
    import random

    b = Backoff(random.Random(1))
    ceilings = []
    for _ in range(8):
        wait = b.failed()
        ceilings.append(min(30.0, 0.8 * 2 ** (b.failures - 1)))
        assert 0 <= wait <= ceilings[-1]
    assert ceilings[-1] == 30.0
    b.succeeded(0)
    b.succeeded(119)
    assert b.failures == 8  # not yet two minutes of success
    b.succeeded(121)
    assert b.failures == 0


def test_a_dripping_hub_hits_the_page_deadline(scripted, local):
    def drip(h):
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", "1000")
        h.end_headers()
        for _ in range(1000):
            h.wfile.write(b" ")
            h.wfile.flush()
            time.sleep(1)

    scripted.answer = drip
    start = time.monotonic()
    with pytest.raises(HubError, match="too slowly"):
        pull(scripted, local, page_deadline_s=2)
    assert time.monotonic() - start < 10


def test_a_gzip_bomb_is_cut_off(scripted, local):
    bomb = gzip.compress(b"[" + b" " * (30 * 1024 * 1024) + b"]")
    assert len(bomb) < 100_000
    scripted.answer = json_reply(bomb, headers={"Content-Encoding": "gzip"})
    with pytest.raises(BadAnswer, match="20 MiB"):
        pull(scripted, local)


def test_a_25_mib_body_is_refused(scripted, local):
    scripted.answer = json_reply(b" " * (25 * 1024 * 1024))
    with pytest.raises(BadAnswer, match="20 MiB"):
        pull(scripted, local)


def test_json_nested_ten_thousand_deep_is_refused(scripted, local):
    scripted.answer = json_reply(b"[" * 10_000 + b"]" * 10_000)
    with pytest.raises(BadAnswer, match="nested deeper than 32"):
        pull(scripted, local)


def test_redirects_are_not_followed(scripted, local):
    scripted.answer = lambda h: h.reply(302, b"", {"Location": "http://127.0.0.1:9/elsewhere"})
    with pytest.raises(BadAnswer, match="redirect"):
        pull(scripted, local)
    assert len(scripted.requests) == 1


def test_hostile_strings_in_every_text_field_are_stored_inert(scripted, local):
    changes = []
    for k, text in enumerate(CORPUS):
        changes.append(agent(f"a{k}", name=f"N{text}", team=f"T{text}", reason=text, state="not_ready"))
        changes.append(
            {
                "kind": "customer",
                "id": f"c{k}",
                "version": 1,
                "op": "upsert",
                "data": {"name": f"C{text}", "segment": text},
            }
        )
        changes.append(
            {
                "kind": "survey",
                "id": f"s{k}",
                "version": 1,
                "op": "upsert",
                "data": {"customer_id": f"c{k}", "answered_at": "2026-11-20T14:00:00Z", "verbatim": text},
            }
        )
        changes.append(
            {
                "kind": "queue",
                "id": f"q{k}",
                "version": 1,
                "op": "upsert",
                "data": {"name": f"Q{text}", "channel": "voice"},
            }
        )
    scripted.answer = json_reply(page(changes))
    pull(scripted, local)
    with local.connect() as conn:
        texts = [
            v
            for t, cols in (
                (schema.Agent, ("name", "team", "reason")),
                (schema.Customer, ("name", "segment")),
                (schema.Survey, ("verbatim",)),
                (schema.Queue, ("name",)),
            )
            for row in conn.execute(select(*(getattr(t, c) for c in cols)))
            for v in row
        ]
    assert len(texts) == len(CORPUS) * 7
    for text in texts:
        assert not any(ch in text for ch in "\x1b\x07\x9b\u202e"), repr(text)
    assert "N[link=https://x]y[/link]" in texts


def test_bad_records_are_quarantined_and_the_rest_applied(scripted, local):
    changes = [
        agent("a-ok"),
        agent("a-wrong-type", state=42),
        agent("a-naive-time", state_since="2026-11-20T14:00:00"),
        {"kind": "agent", "version": "x", "op": "upsert"},  # no id, bad version
        {"kind": "weather", "id": "w1", "version": 1, "op": "upsert", "data": {}},
        agent("a-dup", 1, name="Old"),
        agent("a-dup", 3, name="Newest"),
        agent("a-dup", 2, name="Middle"),
    ]
    scripted.answer = json_reply(page(changes, cursor="c.9"))
    pull(scripted, local)
    with local.connect() as conn:
        names = dict(conn.execute(select(schema.Agent.id, schema.Agent.name)).all())
        quarantined = conn.execute(select(schema.Quarantine.record_id, schema.Quarantine.reason)).all()
        state = conn.execute(select(schema.SyncState.unknown_kinds, schema.SyncState.cursor)).first()
    assert names == {"a-ok": "Ada", "a-dup": "Newest"}
    reasons = dict(quarantined)
    assert set(reasons) == {"a-wrong-type", "a-naive-time", "?"}
    assert "state" in reasons["a-wrong-type"] and "timezone" in reasons["a-naive-time"]
    assert state.unknown_kinds == 1 and state.cursor == "c.9"


def test_a_cursor_of_8_kb_is_refused_and_nothing_applied(scripted, local):
    scripted.answer = json_reply(page([agent("a1")], cursor="x" * 8192))
    with pytest.raises(HubError, match="cursor"):
        pull(scripted, local)
    with local.connect() as conn:
        assert cursor(conn) is None
        assert conn.execute(select(schema.Agent.id)).first() is None


def test_the_token_travels_in_the_header_only(scripted, local):
    scripted.answer = json_reply(page([]))
    Syncer(local, HubClient(scripted.url, "s3cret-token")).pull_page()
    method, path, headers = scripted.requests[0]
    assert "s3cret" not in path
    assert headers["Authorization"] == "Bearer s3cret-token"


@pytest.mark.parametrize(
    "url, insecure, ok",
    [
        ("https://hub.example.com", False, True),
        ("http://127.0.0.1:8765", False, True),
        ("http://localhost:8765/", False, True),
        ("http://[::1]:8765", False, True),
        ("http://hub.example.com", False, False),
        ("http://10.1.2.3:8765", False, False),
        ("http://hub.example.com", True, True),
        ("ftp://hub.example.com", True, False),
    ],
)
def test_plain_http_only_to_loopback(url, insecure, ok):
    if ok:
        assert check_url(url, insecure)
    else:
        with pytest.raises(URLRefused):
            check_url(url, insecure)
