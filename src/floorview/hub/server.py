"""The reference hub: feed-protocol.md served over HTTP (FastAPI on uvicorn).

The feed's pydantic models (domain/feed.py) are the payloads' one
definition; the OpenAPI document FastAPI derives from them is the protocol's.
"""

import asyncio
import gzip
import json
import re
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.exc import OperationalError

from floorview.domain.text import clean
from floorview.domain import feed
from floorview.domain.ids import note_id_problem
from floorview.hub.checks import MAX_VERSION, value_problem, version_problem
from floorview.hub.supervise import WriterStatus
from floorview.hub.status import RUNNING_WITHIN_S
from floorview.hub.plain_polls import CURSOR_MAX, LIMIT_MAX, WAIT_MAX_S, PlainPolls
from floorview.hub.hubstore import CursorGone, HubStore, Scope, TokenRefused, change_json, facts_of

PROTOCOL = 1
GZIP_MIN_BYTES = 1024  # as GZipMiddleware's minimum for every other answer
BODY_BYTES = 1 << 20  # a request body: a note is at most 20,000 characters
_TOO_LARGE = "a request body is at most 1 MiB"


class Writer(BaseModel):
    """One of the hub process's writer threads (the simulated floor, the purge)."""

    name: str
    state: str  # starting, running, restarting (after an error), standby (another process runs it), stopped
    restarts: int
    last_error: str | None = None
    last_error_at: float | None = None


class SourceHealth(BaseModel):
    """A source feeding the hub, from its row in the database (any process may run it)."""

    name: str
    running: bool  # it wrote (a batch or its heartbeat) within the last minute
    updated_at: float
    last_record_at: float | None = None  # the platform's time of its newest record
    lag_s: float | None = None  # how far behind the platform it is
    read: int  # lines or events read from the platform
    written: int  # records written
    unmapped: dict[str, dict[str, Any]]  # reason -> {"count", "examples"}
    problem: str | None = None  # its newest error, in one line (cleaned)
    problem_at: float | None = None
    failing: bool = False  # that problem came after its last write


class Health(BaseModel):
    status: str = "ok"  # "degraded": a writer thread of this process is failing and restarting
    protocol: int = PROTOCOL
    writers: list[Writer] | None = None  # this process's writer threads, when it runs any
    sources: list[SourceHealth] | None = None  # for a whole-floor token only: every source's standing


class Page(BaseModel):
    cursor: str = Field(max_length=CURSOR_MAX)
    more: bool
    server_time: datetime
    changes: list[feed.Change]


class Me(BaseModel):
    """Who a token is: empty teams and queues mean the whole floor."""

    name: str
    teams: list[str]
    queues: list[str]


class Accepted(BaseModel):
    id: str
    version: int
    data: dict[str, Any] | None = None  # a PUT's note as the hub stored it (author and times are the hub's)


class Conflict(BaseModel):
    current: feed.Change | None


def _problem(status: int, detail: str, headers: dict | None = None) -> HTTPException:
    return HTTPException(status_code=status, detail=detail, headers=headers)


class BodyLimit:
    """Refuses a request whose Content-Length is over `limit` before any of it
    is read (M8). A chunked body is cut off where it is read (`_json_body`)."""

    def __init__(self, app, limit: int = BODY_BYTES) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            for name, value in scope["headers"]:
                if name == b"content-length" and (len(value) > 12 or int(value) > self.limit):
                    answer = JSONResponse({"detail": _TOO_LARGE}, status_code=413, headers={"Connection": "close"})
                    await answer(scope, receive, send)
                    return
        await self.app(scope, receive, send)


def create_app(
    store: HubStore, stopping: threading.Event | None = None, writers: Sequence[WriterStatus] = ()
) -> PlainPolls:
    """The hub's HTTP app. `stopping`, once set (the server is shutting down),
    ends long polls at once with what they have, so a stop is clean (m20).
    `writers`: the process's writer threads, reported by `/v1/health`."""
    changed = asyncio.Event()
    stopping = stopping or threading.Event()
    shared = _Shared()

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        loop = asyncio.get_running_loop()

        def wake() -> None:  # called by writers in any thread: wake the long polls
            loop.call_soon_threadsafe(changed.set)

        store.listeners.append(wake)
        # Other hub processes' writes (PostgreSQL: LISTEN; SQLite: the once-a-second look).
        heard = threading.Event()
        listener = threading.Thread(target=store.listen, args=(heard,), name="hub-listen", daemon=True)
        if store.postgres:
            listener.start()
        yield
        heard.set()
        store.listeners.remove(wake)

    app = FastAPI(
        title="floorview hub",
        version=str(PROTOCOL),
        description="The floorview feed protocol, version 1 (feed-protocol.md).",
        lifespan=lifespan,
        redirect_slashes=False,  # a redirect would be built from the Host header (I2)
    )
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MIN_BYTES)
    app.add_middleware(BodyLimit)

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": _in_words(exc.errors())})

    @app.exception_handler(OperationalError)
    async def busy(_request: Request, exc: OperationalError) -> JSONResponse:
        if not any(word in str(exc.orig).lower() for word in ("locked", "busy")):
            raise exc
        return JSONResponse(
            status_code=503, content={"detail": "the hub's database is busy: try again"}, headers={"Retry-After": "2"}
        )

    async def scope_of(authorization: list[str]) -> Scope:
        """The presented token's scope (`authorization`: the request's Authorization
        headers): from memory when this process may trust what it kept
        (hub/known_tokens.py), else one database lookup shared by every request
        presenting the same token at that moment."""
        if len(authorization) > 1:
            raise _problem(400, "one Authorization header, not several")
        scheme, _, token = authorization[0].strip().partition(" ") if authorization else ("", "", "")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:  # the scheme is case-insensitive (RFC 6750)
            raise _problem(401, "a bearer token is required", {"WWW-Authenticate": "Bearer"})
        kept = store.cached_scope(token)
        if kept is not None:
            return kept
        try:
            return await shared.run(("token", token), store.check_token, token)
        except TokenRefused as exc:
            raise _problem(401, str(exc), {"WWW-Authenticate": 'Bearer error="invalid_token"'}) from None

    async def authorize(request: Request) -> Scope:
        return await scope_of(request.headers.getlist("authorization"))

    async def poll(who: Scope, at: tuple[int, int] | None, limit: int, wait: float) -> _PageAnswer:
        """The page after `at`; with `wait`, a long poll: until a write lands (or the
        wait ends, or the hub stops). 410 when the log cannot continue from `at`."""
        deadline = asyncio.get_running_loop().time() + wait
        while True:
            changed.clear()
            try:  # the position checked, the page read and its generation: one snapshot (docs/hub.md)
                page = await shared.run(("page", who, at, limit), _page_answer, store, who, at, limit)
            except CursorGone as exc:
                raise _problem(410, str(exc)) from None
            remaining = deadline - asyncio.get_running_loop().time()
            if page.body or remaining <= 0 or stopping.is_set():
                return page
            try:  # long poll: sleep until a write lands, or check again each second
                await asyncio.wait_for(changed.wait(), timeout=min(remaining, 1.0))
            except TimeoutError:
                pass
            at = (page.gen, page.last)  # a purge while it waits is checked against where it stands

    async def plain_changes(
        authorization: str, cursor: str | None, limit: int, wait: float, gzip_ok: bool
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes] | None:
        """A plain GET /v1/changes (hub/plain_polls.py): its answer, or None for the app to
        answer the request itself (a refused token or cursor: said in words there)."""
        try:
            who = await scope_of([authorization])
            at = _position(store, cursor)
            page = await poll(who, at, limit, wait)
        except (HTTPException, OperationalError):
            return None  # nothing sent yet: the app answers it (401, 410, 503) as it would any request
        try:  # revoked or expired while it waited: no page for it
            await scope_of([authorization])
        except HTTPException as exc:
            head = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (exc.headers or {}).items()]
            body = json.dumps({"detail": exc.detail}).encode()
            return exc.status_code, [(b"content-type", b"application/json"), *head], body
        headers, body = _page_response(store, page, gzip_ok)
        return 200, [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()], body

    @app.get("/v1/health", response_model=Health, response_model_exclude_none=True)
    async def health(request: Request) -> Health:
        """The protocol's health, and this process's writer threads; with a whole-floor
        token (an administrator's), every source's standing too. Without a token no
        database is read: answered on the event loop, never queued for a thread."""
        out = Health()
        if writers:
            reports = [Writer(**w.report()) for w in writers]
            failing = any(w.state in ("restarting", "stopped") for w in reports) and not stopping.is_set()
            out = Health(status="degraded" if failing else "ok", writers=reports)
        if request.headers.get("authorization"):
            who = await authorize(request)
            if who.whole_floor:
                out.sources = await run_in_threadpool(_sources, store)
        return out

    @app.get("/v1/me", response_model=Me)
    def me(who: Annotated[Scope, Depends(authorize)]) -> Me:
        return Me(name=who.name, teams=sorted(who.teams), queues=sorted(who.queues))

    @app.get("/v1/changes", response_model=Page, response_model_exclude_none=True)
    async def changes(
        request: Request,
        who: Annotated[Scope, Depends(authorize)],
        cursor: Annotated[str | None, Query(max_length=CURSOR_MAX)] = None,
        limit: Annotated[int, Query(ge=1, le=LIMIT_MAX)] = 1000,
        wait: Annotated[float, Query(ge=0, le=WAIT_MAX_S)] = 0,
    ) -> Response:  # a Page (response_model), written by hand
        page = await poll(who, _position(store, cursor), limit, wait)
        # The token may have been revoked or expired since the request began
        # (while it waited, or between its check and the read): no page for it.
        await authorize(request)
        headers, body = _page_response(store, page, "gzip" in request.headers.get("accept-encoding", ""))
        return Response(body, headers=headers)  # GZipMiddleware lets an answer with Content-Encoding by

    # `:path`, so that an id holding a slash reaches the handler and is refused in words.
    @app.put("/v1/notes/{note_id:path}", response_model=Accepted, responses={409: {"model": Conflict}})
    async def put_note(
        who: Annotated[Scope, Depends(authorize)],
        request: Request,
        note_id: Annotated[str, Path()],
    ) -> Any:
        _check_note_id(note_id)
        body = await _json_body(request)
        return await run_in_threadpool(_put_note, store, who, note_id, body)

    @app.delete("/v1/notes/{note_id:path}", response_model=Accepted, responses={409: {"model": Conflict}})
    def delete_note(
        who: Annotated[Scope, Depends(authorize)],
        note_id: Annotated[str, Path()],
        base_version: Annotated[int, Query(ge=0, le=MAX_VERSION)],
    ) -> Any:
        _check_note_id(note_id)
        current = store.current("note", note_id)
        if current is None or current["op"] == "delete":
            raise _problem(404, "no such note")
        refusal = _stored_note_refusal(store, who, note_id)
        if refusal:
            raise _problem(403, f"this note is outside the token's scope: {refusal}")
        if current["version"] != base_version:
            return JSONResponse(status_code=409, content={"current": current})
        version = _next_version(current["version"])
        tombstone = {"kind": "note", "id": note_id, "version": version, "op": "delete"}
        if not store.write([tombstone], expect={("note", note_id): base_version}):
            return JSONResponse(status_code=409, content={"current": store.current("note", note_id)})  # a race, lost
        return JSONResponse(status_code=200, content={"id": note_id, "version": version})

    return PlainPolls(app, plain_changes)


@dataclass
class _PageAnswer:
    """A page read, and its answer made once for every request that shares the read
    (`_Shared`): woken together, hundreds of long polls send the same bytes."""

    found: str  # the changes, joined as JSON
    last: int
    more: bool
    gen: int
    read_at: float  # the hub's clock at the read: the answer's server_time
    body: bytes = b""  # made when there is something to send
    gzipped: bytes | None = None  # the body compressed once, for clients that accept gzip


def _page_answer(store: HubStore, who: Scope, at: tuple[int, int] | None, limit: int) -> _PageAnswer:
    """`read_page`, and when it has something to send, the answer's bytes (and their gzip)."""
    rows, last, more, gen = store.read_page(who, at, limit)
    page = _PageAnswer(",".join(change_json(r) for r in rows), last, more, gen, time.time())
    if page.found or page.more:
        page.body = _page_body(store.epoch, page)
        if len(page.body) >= GZIP_MIN_BYTES:
            page.gzipped = gzip.compress(page.body, compresslevel=6)
    return page


def _page_response(store: HubStore, page: _PageAnswer, gzip_ok: bool) -> tuple[dict[str, str], bytes]:
    """The headers and bytes of a page's answer: the shared ones (compressed once, when
    the client takes gzip), or an empty page stamped now when the wait ended with nothing."""
    headers = {"Content-Type": "application/json"}
    if page.gzipped is not None:
        headers["Vary"] = "Accept-Encoding"
        if gzip_ok:
            return {**headers, "Content-Encoding": "gzip"}, page.gzipped
    return headers, page.body or _page_body(store.epoch, replace(page, read_at=time.time()))


def _page_body(epoch: str, page: _PageAnswer) -> bytes:
    """A Page, written by hand from the stored JSON: the records were checked on the
    way in, and re-validating a thousand of them per page halves the hub."""
    head = json.dumps(
        {
            "cursor": f"{epoch}.{page.gen}.{page.last}",
            "more": page.more,
            "server_time": datetime.fromtimestamp(page.read_at, timezone.utc).isoformat().replace("+00:00", "Z"),
        }
    )
    return f'{head[:-1]},"changes":[{page.found}]}}'.encode()


def _sources(store: HubStore) -> list[SourceHealth]:
    now = store.clock()
    return [
        SourceHealth(
            name=s.name,
            running=now - s.updated_at <= RUNNING_WITHIN_S and not s.failing,
            updated_at=s.updated_at,
            last_record_at=s.last_record_at,
            lag_s=None if s.last_record_at is None else round(now - s.last_record_at, 3),
            read=s.records_read,
            written=s.records_written,
            unmapped=s.unmapped,
            problem=None if s.problem is None else clean(s.problem),
            problem_at=s.problem_at,
            failing=s.failing,
        )
        for s in store.sources()
    ]


class _Shared:
    """Identical reads in flight at once are read once (single flight). Caught-up
    clients all hold the log's end: a write wakes their long polls together, each
    to read the same page and check the same kind of token again. A read shared
    is as right as one made when the first was asked: the page's own cursor
    names the snapshot it came from, and a token re-checked at that moment was
    valid then (the next request checks it again)."""

    def __init__(self) -> None:
        self.flights: dict[Any, asyncio.Future] = {}

    async def run(self, key: Any, fn: Callable[..., Any], *args: Any) -> Any:
        flight = self.flights.get(key)
        if flight is None:
            flight = asyncio.ensure_future(run_in_threadpool(fn, *args))
            self.flights[key] = flight
            flight.add_done_callback(lambda done: self._landed(key, done))
        return await asyncio.shield(flight)  # a client that goes away does not cancel the others' read

    def _landed(self, key: Any, done: asyncio.Future) -> None:
        self.flights.pop(key, None)
        if not done.cancelled():
            done.exception()  # retrieved here too: every asker may have gone


def _in_words(errors, request: bool = True) -> str:
    """Validation errors as one line: `limit: Input should be ...`. With
    `request`, FastAPI's errors, whose first place is where in the request."""
    parts = []
    for error in list(errors)[:5]:
        loc = [str(p) for p in error.get("loc", ())]
        if request and loc and loc[0] in ("query", "path", "header", "body"):
            loc = loc[1:]
        parts.append(f"{'.'.join(loc) or 'request'}: {error.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def _check_note_id(note_id: str) -> None:
    problem = note_id_problem(note_id)
    if problem:
        raise _problem(422, problem)


_SEQ = re.compile(r"[0-9]{1,18}")  # ASCII digits, and below 2^63


def _position(store: HubStore, cursor: str | None) -> tuple[int, int] | None:
    """The (purge generation, seq) a cursor names; None for no cursor; 410 when it
    is not one of this hub's. Whether the log can continue from there is
    checked with the page, in its snapshot (`HubStore.read_page`)."""
    if cursor is None:
        return None
    parts = cursor.split(".")
    if len(parts) != 3 or parts[0] != store.epoch or not (_SEQ.fullmatch(parts[1]) and _SEQ.fullmatch(parts[2])):
        raise _problem(410, "the cursor is unknown to this hub: start again without one")
    return int(parts[1]), int(parts[2])


class _Constant(ValueError):
    pass


def _no_constant(name: str) -> None:
    raise _Constant(f"{name} is not a number JSON allows")


async def _json_body(request: Request) -> dict:
    """The PUT body: JSON in UTF-8, at most 1 MiB, every value one a client could store."""
    media, _, params = request.headers.get("content-type", "").partition(";")
    if media.strip().lower() != "application/json":
        raise _problem(415, "a note is sent as application/json")
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            raise _problem(415, "a note is sent as JSON in UTF-8")
    chunks, size = [], 0
    async for chunk in request.stream():  # counted as it comes: a chunked body is not read past the limit
        size += len(chunk)
        if size > BODY_BYTES:
            raise _problem(413, _TOO_LARGE, {"Connection": "close"})
        chunks.append(chunk)
    try:
        text = b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError:
        raise _problem(422, "the body is not UTF-8") from None
    try:
        body = json.loads(text, parse_constant=_no_constant)
    except _Constant as exc:
        raise _problem(422, f"the body is not JSON: {exc}") from None
    except RecursionError:
        raise _problem(422, "the body is nested too deeply") from None
    except ValueError:
        raise _problem(422, "the body is not JSON") from None
    if not isinstance(body, dict):
        raise _problem(422, "the body must be a JSON object")
    problem = value_problem(body, "body")
    if problem:
        raise _problem(422, problem)
    return body


# What the hub writes itself, whatever the client sends (L11, I5).
_STAMPS = ("author", "created_at", "updated_at", "edited_by")


def _stamp(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _content(data: dict) -> dict:
    return {k: v for k, v in data.items() if k not in _STAMPS}


def _next_version(version: int) -> int:
    if version >= MAX_VERSION:
        raise _problem(422, "the note has no version left (2^63-1)")
    return version + 1


def _stored_note_refusal(store: HubStore, who: Scope, note_id: str) -> str | None:
    """Why the token may not touch the stored note (a tombstone too), or None.
    No stored facts: the row went since it was read (a purged tombstone), and
    the id is anyone's, as if it had never been."""
    facts = store.note_facts(note_id)
    return store.note_refusal(who, facts) if facts is not None else None


def _put_note(store: HubStore, who: Scope, note_id: str, body: dict) -> Any:
    base = body.pop("base_version", None)
    problem = version_problem(base, "base_version", lowest=0)
    if problem:
        raise _problem(422, f"{problem}, 0 for a new note")
    now = _stamp(store.clock())
    for name in _STAMPS:
        body.pop(name, None)
    body.update(author=who.name, created_at=now, updated_at=now)  # the token's identity, the hub's clock
    try:
        note = feed.Note.model_validate(body)
    except ValidationError as exc:
        raise _problem(422, _in_words(exc.errors(), request=False)) from None
    data = note.model_dump(mode="json", exclude_none=True)
    current = store.current("note", note_id)
    live = current if current is not None and current["op"] == "upsert" else None  # the note stored, not deleted
    if current is not None:  # a tombstone too: a deleted note's id stays with those who could write it
        refusal = _stored_note_refusal(store, who, note_id)
        if refusal:
            raise _problem(403, f"this note is outside the token's scope: {refusal}")
    if live is not None and _content(live["data"]) == _content(data):  # a retried PUT: already here
        return JSONResponse(status_code=200, content={"id": note_id, "version": live["version"], "data": live["data"]})
    current_version = current["version"] if current is not None else 0
    if base != current_version:
        return JSONResponse(status_code=409, content={"current": current})
    refusal = store.note_refusal(who, facts_of("note", note_id, data))
    if refusal:
        raise _problem(403, refusal)
    if live is not None:  # an edit: the note keeps its author and its birth; the editor is named beside them
        old = live["data"]
        data.update(author=old.get("author") or who.name, created_at=old.get("created_at") or now, edited_by=who.name)
    version = _next_version(current_version)
    refusals: list = []
    # Written only if the note still stands at the version this PUT was judged
    # on: checked inside the write transaction that takes its position.
    written = store.write(
        [{"kind": "note", "id": note_id, "version": version, "op": "upsert", "data": data}],
        refusals,
        expect={("note", note_id): current_version},
    )
    if refusals:
        raise _problem(422, refusals[0][2])
    if not written:  # another PUT took this version first
        return JSONResponse(status_code=409, content={"current": store.current("note", note_id)})
    return JSONResponse(
        status_code=200 if live is not None else 201, content={"id": note_id, "version": version, "data": data}
    )
