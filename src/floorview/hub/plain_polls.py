"""Plain long polls answered without FastAPI's routing and dependency solving.

Nearly every request a hub serves is the same: GET /v1/changes with a bearer
token, a cursor, perhaps `limit` and `wait`. A write wakes every waiting
client at once, and at 500 clients the framework's work per request
(routing, solving dependencies, validating parameters, five middlewares)
was half of what a woken poll cost the hub's one event loop: the burst that
a health check or the next write waits behind.

So such a request, when it is plain (exactly one Authorization header, no
body, no parameter but those three, each once and well formed), is served
here through the same code as the app's endpoint (`serve`: the token check,
the long poll and the shared answer of hub/server.py). Anything else, and
any refusal before waiting (a bad token or cursor, a busy database), goes to
the app untouched, which answers it in words as it answers every request.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

Headers = list[tuple[bytes, bytes]]
Serve = Callable[[str, str | None, int, float, bool], Awaitable[tuple[int, Headers, bytes] | None]]

CURSOR_MAX = 256  # the parameters' bounds, the app's endpoint's too
LIMIT_MAX = 5000
WAIT_MAX_S = 25
_LIMIT = re.compile(r"[0-9]{1,4}")
_WAIT = re.compile(r"[0-9]{1,2}(\.[0-9]{1,6})?")
_BODY_HEADERS = (b"content-length", b"transfer-encoding")


class PlainPolls:
    """ASGI: plain GET /v1/changes to `serve`; everything else to `app`."""

    def __init__(self, app: Any, serve: Serve) -> None:
        self.app = app
        self.serve = serve

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        plain = _plain(scope) if scope["type"] == "http" and scope["path"] == "/v1/changes" else None
        answer = None if plain is None else await self.serve(*plain)
        if answer is None:
            await self.app(scope, receive, send)
            return
        status, headers, body = answer
        headers = [*headers, (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _plain(scope: dict) -> tuple[str, str | None, int, float, bool] | None:
    """(authorization, cursor, limit, wait, accepts gzip) of a plain long poll; None otherwise."""
    if scope["method"] != "GET":
        return None
    authorization, accepts = [], b""
    for name, value in scope["headers"]:
        if name == b"authorization":
            authorization.append(value)
        elif name == b"accept-encoding":
            accepts += value
        elif name in _BODY_HEADERS and value.strip() != b"0":
            return None
    if len(authorization) != 1:
        return None
    try:
        query = scope["query_string"].decode("ascii")
        params = parse_qsl(query, keep_blank_values=True, strict_parsing=True) if query else []
    except (UnicodeDecodeError, ValueError):
        return None
    found = dict(params)
    if len(found) != len(params) or not found.keys() <= {"cursor", "limit", "wait"}:
        return None
    cursor, limit, wait = found.get("cursor"), found.get("limit", "1000"), found.get("wait", "0")
    if cursor is not None and len(cursor) > CURSOR_MAX:
        return None
    if not (_LIMIT.fullmatch(limit) and 1 <= int(limit) <= LIMIT_MAX and _WAIT.fullmatch(wait)):
        return None
    if float(wait) > WAIT_MAX_S:
        return None
    return authorization[0].decode("latin-1"), cursor, int(limit), float(wait), b"gzip" in accepts
