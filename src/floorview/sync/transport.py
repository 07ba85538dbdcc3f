"""HTTP to the hub, defensively: every answer is untrusted.

Explicit timeouts (connect 5 s, read 30 s) and a deadline for a whole page
(so a hub dripping a byte a second cannot hold a sync forever); redirects
not followed; TLS verified; proxies from the environment ignored unless
asked for; bodies cut at 20 MiB after decompression; JSON nested deeper than
32 levels refused before it is parsed.
"""

from __future__ import annotations

import ipaddress
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from floorview.domain.text import clean
from floorview.sync.backoff import parse_retry_after

MAX_BODY = 20 * 1024 * 1024
MAX_DEPTH = 32
CONNECT_S, READ_S = 5.0, 30.0
PAGE_DEADLINE_S = 60.0  # on top of the long-poll wait


class HubError(Exception):
    """Why a call to the hub did not give an answer to use; `message` is for people."""

    retry: bool = True  # try again after a backoff

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


class TokenRejected(HubError):
    retry = False


class NoScope(HubError):
    retry = False


class CursorGone(HubError):
    pass


class Busy(HubError):
    """429 or 503: the hub asks us to come back (`retry_after`, when it says when)."""


class BadAnswer(HubError):
    pass


class TooLarge(BadAnswer):
    """An answer over MAX_BODY (after decompression): the reading stopped
    there. A page asked for with a smaller `limit` may fit."""


class Refused(HubError):
    """The answer to one request (409, 422, 404): a verdict, not a fault."""

    retry = False

    def __init__(self, status: int, body: Any, message: str) -> None:
        super().__init__(message)
        self.status, self.body = status, body


class URLRefused(ValueError):
    pass


def check_url(url: str, insecure_http: bool) -> str:
    """https anywhere; plain http only to loopback unless `insecure_http`; no
    user name or password in the URL (it would show on screen, and httpx
    would send it as Basic auth in place of the token)."""
    parts = urlsplit(url)
    if "@" in parts.netloc:  # said without echoing the URL: it holds a password
        raise URLRefused(
            "refusing a hub URL with a user name or password in it: "
            "give the hub as scheme://host:port, the token with --token-file"
        )
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise URLRefused(f"{clean(url)!r} is not an http(s) URL")
    if parts.scheme == "http" and not insecure_http and not _loopback(parts.hostname):
        raise URLRefused(f"refusing plain http to {parts.hostname}: use https, or --insecure-http if you must")
    return url.rstrip("/")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def depth_ok(value: Any, limit: int = MAX_DEPTH) -> bool:
    """True when no array or object in a parsed document nests deeper than `limit`."""
    stack = [(value, 1)]
    containers = (dict, list)
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return False
        for child in node.values() if type(node) is dict else node:
            if type(child) in containers:
                stack.append((child, depth + 1))
    return True


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any


class HubClient:
    def __init__(
        self,
        base_url: str,
        token: str,
        proxy: str | None = None,
        verify: bool | str = True,
        page_deadline_s: float = PAGE_DEADLINE_S,
    ) -> None:
        self.base_url = base_url
        self.page_deadline_s = page_deadline_s
        self._client = httpx.Client(
            base_url=base_url,
            headers={"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip", "User-Agent": "floorview"},
            timeout=httpx.Timeout(READ_S, connect=CONNECT_S),
            follow_redirects=False,
            verify=verify,
            trust_env=False,
            proxy=proxy,
        )

    def close(self) -> None:
        self._client.close()

    def abort(self) -> None:
        """From another thread: end the request in flight (its socket is shut) and any to come."""
        self._client.close()

    def __enter__(self) -> HubClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        wait_s: float = 0,
    ) -> Answer:
        """One call; raises HubError for anything but a usable answer."""
        deadline = time.monotonic() + self.page_deadline_s + wait_s
        timeout = httpx.Timeout(READ_S + wait_s, connect=CONNECT_S)
        try:
            with self._client.stream(method, path, params=params, json=json_body, timeout=timeout) as resp:
                body = self._read(resp, deadline)
        except httpx.ConnectError as exc:
            raise HubError(f"hub unreachable ({_reason(exc)})") from None
        except httpx.TimeoutException:
            raise HubError("hub did not answer in time") from None
        except httpx.DecodingError:
            raise BadAnswer("hub sent a body that does not decompress") from None
        except httpx.HTTPError as exc:
            raise HubError(f"connection to the hub failed ({_reason(exc)})") from None
        return self._judge(resp, body)

    def _read(self, resp: httpx.Response, deadline: float) -> bytes:
        chunks, size = [], 0
        for chunk in resp.iter_bytes():  # decoded: the limit holds after decompression
            size += len(chunk)
            if size > MAX_BODY:
                raise TooLarge("hub sent more than 20 MiB in one answer")
            if time.monotonic() > deadline:
                raise HubError("hub is answering too slowly (page deadline passed)")
            chunks.append(chunk)
        return b"".join(chunks)

    def _judge(self, resp: httpx.Response, raw: bytes) -> Answer:
        status = resp.status_code
        if status in (429, 503):
            wait = parse_retry_after(resp.headers.get("Retry-After"), time.time())
            raise Busy(f"hub is busy ({status})", retry_after=wait)
        if status == 401:
            raise TokenRejected("token rejected by hub")
        if status == 403:
            raise NoScope("hub refused: the token has no scope here (403)")
        if status == 410:
            raise CursorGone("hub no longer knows our cursor (410): starting again")
        if 300 <= status < 400:
            raise BadAnswer(f"hub redirected ({status}); redirects are not followed")
        if status == 408 or status >= 500:
            raise HubError(f"hub error ({status})")
        body = self._json(raw) if raw else None
        if status in (404, 409, 413, 422) or 400 <= status < 500:
            raise Refused(status, body, _detail(body) or f"hub refused the request ({status})")
        return Answer(status, body)

    @staticmethod
    def _json(raw: bytes) -> Any:
        # The C parser refuses runaway nesting by itself (RecursionError, not a
        # crash); the 32-level rule is checked on the parsed document.
        try:
            value = json.loads(raw)
        except RecursionError:
            raise BadAnswer(f"hub sent JSON nested deeper than {MAX_DEPTH} levels") from None
        except ValueError:
            raise BadAnswer("hub sent a body that is not JSON") from None
        if isinstance(value, (dict, list)) and not depth_ok(value):
            raise BadAnswer(f"hub sent JSON nested deeper than {MAX_DEPTH} levels")
        return value


def _detail(body: Any) -> str | None:
    """The hub's `detail`, in words we may show and print: cleaned like feed text
    (protocol rule 6), on one line, cut at 500 characters."""
    if isinstance(body, dict):
        detail = body.get("detail")
        if detail is not None and not isinstance(detail, str):
            detail = json.dumps(detail, ensure_ascii=False)
        if detail is not None:
            return " ".join(clean(detail).split())[:500] or None
    return None


def _reason(exc: Exception) -> str:
    text = str(exc).lower()
    for known in (
        "connection refused",
        "name or service not known",
        "no route to host",
        "network is unreachable",
        "certificate verify failed",
        "timed out",
    ):
        if known in text:
            return known
    return type(exc).__name__
