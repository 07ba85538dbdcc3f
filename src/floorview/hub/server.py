"""The reference hub: feed-protocol.md served over HTTP (FastAPI on uvicorn).

The feed's pydantic models (domain/feed.py) are the payloads' one
definition; the OpenAPI document FastAPI derives from them is the protocol's.
"""


import asyncio
import json
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, HTTPException, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, ValidationError

from floorview.domain import feed
from floorview.hub.hubstore import HubStore, Scope, change_json, facts_of

PROTOCOL = 1
CURSOR_MAX = 256


class Health(BaseModel):
    status: str = "ok"
    protocol: int = PROTOCOL


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


class Conflict(BaseModel):
    current: feed.Change | None


def _problem(status: int, detail: str, headers: dict | None = None) -> HTTPException:
    return HTTPException(status_code=status, detail=detail, headers=headers)


def create_app(store: HubStore) -> FastAPI:
    changed = asyncio.Event()

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        loop = asyncio.get_running_loop()

        def wake() -> None:  # called by writers in any thread: wake the long polls
            loop.call_soon_threadsafe(changed.set)

        store.listeners.append(wake)
        yield
        store.listeners.remove(wake)

    app = FastAPI(
        title="floorview hub",
        version=str(PROTOCOL),
        description="The floorview feed protocol, version 1 (feed-protocol.md).",
        lifespan=lifespan,
    )
    app.add_middleware(GZipMiddleware, minimum_size=1024)

    def scope(authorization: Annotated[str | None, Header()] = None) -> Scope:
        if not authorization or not authorization.startswith("Bearer "):
            raise _problem(401, "a bearer token is required", {"WWW-Authenticate": "Bearer"})
        found = store.scope_for(authorization[7:].strip())
        if found is None:
            raise _problem(401, "the token is not known to this hub", {"WWW-Authenticate": "Bearer"})
        return found

    @app.get("/v1/health", response_model=Health)
    def health() -> Health:
        return Health()

    @app.get("/v1/me", response_model=Me)
    def me(who: Annotated[Scope, Depends(scope)]) -> Me:
        return Me(name=who.name, teams=sorted(who.teams), queues=sorted(who.queues))

    @app.get("/v1/changes", response_model=Page, response_model_exclude_none=True)
    async def changes(
        who: Annotated[Scope, Depends(scope)],
        cursor: Annotated[str | None, Query(max_length=CURSOR_MAX)] = None,
        limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
        wait: Annotated[float, Query(ge=0, le=25)] = 0,
    ) -> Page:
        after = await run_in_threadpool(_position, store, cursor)
        deadline = asyncio.get_running_loop().time() + wait
        while True:
            changed.clear()
            found, last, more = await run_in_threadpool(store.page_rows, who, after, limit)
            remaining = deadline - asyncio.get_running_loop().time()
            if found or more or remaining <= 0:
                break
            try:  # long poll: sleep until a write lands, or check again each second
                await asyncio.wait_for(changed.wait(), timeout=min(remaining, 1.0))
            except TimeoutError:
                pass
            after = last
        epoch = await run_in_threadpool(lambda: store.epoch)
        gen, _ = await run_in_threadpool(store.purged)
        # Written by hand from the stored JSON: the records were validated on the
        # way in, and re-validating a thousand of them per page halves the hub.
        head = json.dumps({
            "cursor": f"{epoch}.{gen}.{last}", "more": more,
            "server_time": datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"),
        })
        body = f'{head[:-1]},"changes":[{",".join(change_json(r) for r in found)}]}}'
        return Response(body, media_type="application/json")

    @app.put("/v1/notes/{note_id}", response_model=Accepted, responses={409: {"model": Conflict}})
    async def put_note(
        who: Annotated[Scope, Depends(scope)],
        request: Request,
        note_id: Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")],
    ) -> Any:
        body = await _json_body(request)
        return await run_in_threadpool(_put_note, store, who, note_id, body)

    @app.delete("/v1/notes/{note_id}", response_model=Accepted, responses={409: {"model": Conflict}})
    def delete_note(
        who: Annotated[Scope, Depends(scope)],
        note_id: Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")],
        base_version: Annotated[int, Query(ge=0)],
    ) -> Any:
        current = store.current("note", note_id)
        if current is None or current["op"] == "delete":
            raise _problem(404, "no such note")
        if not store.may_write_note(who, store.note_facts(note_id)):
            raise _problem(403, "this note is outside the token's scope")
        if current["version"] != base_version:
            return JSONResponse(status_code=409, content={"current": current})
        version = current["version"] + 1
        store.write([{"kind": "note", "id": note_id, "version": version, "op": "delete"}])
        return Accepted(id=note_id, version=version)

    return app


def _position(store: HubStore, cursor: str | None) -> int:
    """The seq a cursor stands at; 410 when it is not this hub's or too old."""
    if cursor is None:
        return 0
    parts = cursor.split(".")
    if len(parts) != 3 or parts[0] != store.epoch or not (parts[1].isdigit() and parts[2].isdigit()):
        raise _problem(410, "the cursor is unknown to this hub: start again without one")
    gen, seq = int(parts[1]), int(parts[2])
    current_gen, purged_seq = store.purged()
    if gen < current_gen and seq < purged_seq:
        raise _problem(410, "the cursor is older than the retained log: start again without one")
    return seq


async def _json_body(request: Request) -> dict:
    raw = await request.body()
    if len(raw) > 1 << 20:
        raise _problem(413, "a note body is at most 1 MiB")
    try:
        body = json.loads(raw)
    except ValueError:
        raise _problem(422, "the body is not JSON") from None
    if not isinstance(body, dict):
        raise _problem(422, "the body must be a JSON object")
    return body


def _put_note(store: HubStore, who: Scope, note_id: str, body: dict) -> Any:
    base = body.pop("base_version", None)
    if not isinstance(base, int) or isinstance(base, bool) or base < 0:
        raise _problem(422, "base_version: a whole number, 0 for a new note")
    body["author"] = who.name  # the token's identity, whatever the client says
    try:
        note = feed.Note.model_validate(body)
    except ValidationError as exc:
        reasons = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])
        raise _problem(422, reasons) from None
    data = note.model_dump(mode="json", exclude_none=True)
    current = store.current("note", note_id)
    live = current is not None and current["op"] == "upsert"
    if live and not store.may_write_note(who, store.note_facts(note_id)):
        raise _problem(403, "this note is outside the token's scope")
    if live and current["data"] == data:
        return Accepted(id=note_id, version=current["version"])  # a retried PUT: already here
    current_version = current["version"] if current is not None else 0
    if base != current_version:
        return JSONResponse(status_code=409, content={"current": current})
    if not store.may_write_note(who, facts_of("note", note_id, data)):
        raise _problem(403, "the note's agent or customer is outside the token's scope")
    version = current_version + 1
    store.write([{"kind": "note", "id": note_id, "version": version, "op": "upsert", "data": data}])
    return JSONResponse(status_code=201 if current is None else 200, content={"id": note_id, "version": version})
