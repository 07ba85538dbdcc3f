"""Plain long polls are served without FastAPI's routing (hub/plain_polls.py): which
requests count as plain, and that a plain request and the same request through
the app get the same answer, refusals included."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from floorview.hub.plain_polls import _plain

from .hubs import start_hub


def scope(query: str = "", method: str = "GET", **headers: str) -> dict:
    raw = [(k.replace("_", "-").encode(), v.encode()) for k, v in headers.items()]
    return {"type": "http", "method": method, "path": "/v1/changes", "query_string": query.encode(), "headers": raw}


def test_a_plain_poll_is_read_from_its_headers_and_parameters():
    assert _plain(scope(authorization="Bearer t")) == ("Bearer t", None, 1000, 0.0, False)
    got = _plain(scope("cursor=e.1.2&limit=50&wait=25", authorization="Bearer t", accept_encoding="gzip, br"))
    assert got == ("Bearer t", "e.1.2", 50, 25.0, True)
    assert _plain(scope("wait=0.5&limit=1", authorization="Bearer t", content_length="0"))[2:4] == (1, 0.5)


@pytest.mark.parametrize(
    "query, headers",
    [
        ("", {}),  # no token: the app says why
        ("limit=0", {"authorization": "Bearer t"}),
        ("limit=5001", {"authorization": "Bearer t"}),
        ("limit=-1", {"authorization": "Bearer t"}),
        ("limit=1e3", {"authorization": "Bearer t"}),
        ("wait=25.5", {"authorization": "Bearer t"}),
        ("wait=inf", {"authorization": "Bearer t"}),
        ("wait=nan", {"authorization": "Bearer t"}),
        ("cursor=" + "x" * 257, {"authorization": "Bearer t"}),
        ("cursor=a&cursor=b", {"authorization": "Bearer t"}),
        ("limit=5&x=1", {"authorization": "Bearer t"}),
        ("limit", {"authorization": "Bearer t"}),
        ("", {"authorization": "Bearer t", "content_length": "5"}),
        ("", {"authorization": "Bearer t", "transfer_encoding": "chunked"}),
    ],
)
def test_anything_not_plain_goes_to_the_app(query, headers):
    assert _plain(scope(query, **headers)) is None


def test_two_authorization_headers_and_other_methods_go_to_the_app():
    two = scope(authorization="Bearer t")
    two["headers"].append((b"authorization", b"Bearer u"))
    assert _plain(two) is None
    assert _plain(scope(method="HEAD", authorization="Bearer t")) is None
    assert _plain(scope(method="POST", authorization="Bearer t")) is None


def _comparable(answer: httpx.Response) -> dict:
    page = answer.json()
    page.pop("server_time")
    return page


def test_the_plain_path_and_the_app_answer_alike(tmp_path):
    hub = start_hub(tmp_path / "hub.db")
    try:
        hub.store.write(
            [
                {"kind": "queue", "id": f"q-{i}", "version": 1, "op": "upsert", "data": {"name": f"Q {i}" * 40}}
                for i in range(30)
            ]
        )
        auth = {"Authorization": f"Bearer {hub.token}"}
        with httpx.Client(base_url=hub.url, headers=auth) as http:
            plain = http.get("/v1/changes", params={"limit": 7})
            app = http.get("/v1/changes", params={"limit": 7, "unused": "x"})  # an unknown parameter: the app's
            assert plain.status_code == app.status_code == 200
            assert _comparable(plain) == _comparable(app) and len(plain.json()["changes"]) == 7
            assert plain.headers["content-encoding"] == app.headers["content-encoding"] == "gzip"
            raw = http.get("/v1/changes", params={"limit": 7}, headers={"Accept-Encoding": "identity"})
            assert "content-encoding" not in raw.headers and _comparable(raw) == _comparable(plain)
            # Refusals: the app answers them, in words, for plain requests too.
            gone = http.get("/v1/changes", params={"cursor": "not-a-cursor"})
            assert gone.status_code == 410 and "unknown to this hub" in gone.json()["detail"]
            bad = http.get("/v1/changes", headers={"Authorization": "Bearer fv_nobody"})
            assert bad.status_code == 401 and bad.headers["www-authenticate"].startswith("Bearer")
            assert http.get("/v1/changes", params={"limit": 0}).status_code == 422
    finally:
        hub.stop()


def test_a_plain_long_poll_whose_token_is_revoked_while_it_waits_is_answered_401(tmp_path):
    hub = start_hub(tmp_path / "hub.db")
    try:
        dana = hub.store.create_token("Dana Lead")
        auth = {"Authorization": f"Bearer {dana}", "Accept-Encoding": "gzip"}
        cursor = httpx.get(f"{hub.url}/v1/changes", headers=auth).json()["cursor"]
        answers: list[httpx.Response] = []
        waiting = threading.Thread(
            target=lambda: answers.append(
                httpx.get(f"{hub.url}/v1/changes", params={"cursor": cursor, "wait": 20}, headers=auth, timeout=30)
            )
        )
        waiting.start()
        time.sleep(0.5)
        hub.store.revoke("Dana Lead")
        hub.store.write([{"kind": "queue", "id": "q-1", "version": 1, "op": "upsert", "data": {"name": "x" * 3000}}])
        waiting.join(30)
        (answer,) = answers
        assert answer.status_code == 401 and answer.json() == {"detail": "the token was revoked"}
        assert answer.headers["www-authenticate"] == 'Bearer error="invalid_token"'
        assert b"q-1" not in answer.content
    finally:
        hub.stop()
