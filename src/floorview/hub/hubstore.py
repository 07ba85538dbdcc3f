"""The hub's own database: the current feed document of every record, in
change order, and the tokens that may read it.

`hub_record` is a compacted change log: one row per (kind, id) holding the
latest version, with a `seq` that moves to the end of the log whenever the
record changes. Serving "everything after cursor N" is then a range read on
`seq`, and a client that starts from nothing gets the current state, each
record once. Deleted records stay as tombstones for `TOMBSTONE_DAYS`; a cursor
older than the newest purged tombstone could have missed a delete and is
answered 410, as is a cursor from another hub database (its epoch differs).
A cursor also names the purge generation it was issued in, so a client that
starts over after a purge is not told 410 for positions it reaches afterwards.

Scope (feed-protocol.md, Scope) is worked out in two halves:
- At write time each row keeps the facts its visibility depends on: the
  agent it is about or was handled by, an interaction's queue, the customer
  it hangs on, and whether it is a private note. `hub_agent` keeps every
  agent's team and queues, and `hub_reach` each customer's reach: the agents
  and queues of the customer's contacts.
- At read time a token's scope is resolved against the floor as it stands
  (`View`): its teams' agents, the queues they serve, the agents it sees;
  the page is filtered by it in the database (`_sees`, with each customer's
  reach one member a row in `hub_reach_member`), so a team token reads its
  share of the log, not all of it.
When that resolution grows for records a token's cursor has already passed
(an agent joins a team or takes a queue, a customer contacts a new queue),
the rows concerned are re-stamped: same version, a new seq at the end of the
log. Clients that have them ignore the repeat (same version); tokens that
now see them receive them.

Team names may hold spaces ("Team A"), so lists of teams, agents and queues
are kept joined by the ASCII unit separator, which cleaned feed text and ids
(printable characters) never hold.

What is stored is what every client can store (checks.py): a record with text
that is not Unicode or a number out of range is refused, counted and logged,
and the rest of its batch written. Data is kept as UTF-8 JSON, and a page is
cut by bytes (`PAGE_BYTES`) as well as by count.

Reads take SQLite's deferred transactions, so in WAL mode they never wait for
a writer; writes take `BEGIN IMMEDIATE` (the `floorview_write` execution
option), so two writers queue rather than deadlock. A token is found by the
index on its hash and checked, revocation and expiry included, on every
request: nothing is cached, so every hub process on the database refuses a
revoked token at its next request.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Set
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Table,
    and_,
    bindparam,
    case,
    create_engine,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from floorview.hub.checks import change_problem
from floorview.hub.known_tokens import ALIVE_S, TOKENS_CHANNEL, KnownTokens
from floorview.hub.tables import (
    HUB_FORMAT,
    TEAM_SEP,
    TOMBSTONE_DAYS,
    facts_of,
    hub_agent,
    hub_format,
    hub_lease,
    hub_meta,
    hub_reach,
    hub_reach_member,
    hub_record,
    hub_source,
    hub_token,
    join_teams,
    queues_of,
    split_teams,
    team_of,
)
from floorview.store.engine import WRITE_OPTION, sqlite_engine

log = logging.getLogger(__name__)

NOTIFY_CHANNEL = "floorview_hub"  # PostgreSQL: a write's NOTIFY wakes long polls in every hub process
PAGE_BYTES = 8 << 20  # a page's changes, serialized: well under the client's 20 MiB
_WRITE = {WRITE_OPTION: True}  # execution option: BEGIN IMMEDIATE (on SQLite)
UNMAPPED_EXAMPLES = 5  # examples kept per reason a source could not map a record
PROBLEM_MAX = 300  # a source's problem, as kept for `hub status`


@dataclass(frozen=True)
class SourceState:
    """A source's row in `hub_source` (`floorview hub status` reports it)."""

    name: str
    resume: Any  # the source's own resume point, as it wrote it
    records_written: int
    records_read: int  # lines or events the source read from its platform
    unmapped: dict[str, dict[str, Any]]  # reason -> {"count": n, "examples": [...]}
    last_record_at: float | None
    updated_at: float
    problem: str | None = None  # its newest error, in one line
    problem_at: float | None = None

    @property
    def failing(self) -> bool:
        """Its newest problem came after its last write (or it never wrote)."""
        return self.problem_at is not None and self.problem_at >= self.updated_at


# Within a batch, records others refer to are written first.
_KIND_ORDER = {"queue": 0, "agent": 1, "customer": 2, "interaction": 3, "survey": 4, "note": 5}
_CHUNK = 500


class HubDatabaseError(Exception):
    """The hub database cannot be used by this version."""


class LeaseLost(Exception):
    """A source's batch from a process that no longer holds the source's lease (hub/leases.py)."""


class CursorGone(Exception):
    """A cursor the log cannot continue from (410); the message says why, in words."""


class TokenRefused(Exception):
    """A presented token the hub will not take; the message says why, in words."""


@dataclass(frozen=True)
class TokenInfo:
    """A token as `floorview hub token list` shows it: never the token or its hash."""

    id: int
    name: str
    teams: tuple[str, ...]
    queues: tuple[str, ...]
    created_at: float
    expires_at: float | None
    revoked_at: float | None


@dataclass(frozen=True)
class Scope:
    """Who a token is and what it may see. Empty teams and queues: the whole floor."""

    name: str
    teams: frozenset[str] = frozenset()
    queues: frozenset[str] = frozenset()

    @property
    def whole_floor(self) -> bool:
        return not self.teams and not self.queues


@dataclass(frozen=True)
class View:
    """A scope resolved against the floor as it stands."""

    team_agents: frozenset[str]  # the agents of its teams
    agents: frozenset[str]  # those, and the agents serving its own queues
    queues: frozenset[str]  # its own queues and those its teams' agents serve

    def reaches(self, agents: str | None, queues: str | None) -> bool:
        """A customer's reach: one of its contacts was handled by a team agent or is on a queue seen."""
        return bool(
            agents
            and not self.team_agents.isdisjoint(agents.split(TEAM_SEP))
            or queues
            and not self.queues.isdisjoint(queues.split(TEAM_SEP))
        )


def change_json(row) -> str:
    """A stored row as the JSON of a feed change; the data is stored as JSON already."""
    head = f'{{"kind":{json.dumps(row.kind)},"id":{json.dumps(row.id)},"version":{row.version},"op":"{row.op}"'
    return f'{head},"data":{row.data}}}' if row.op == "upsert" else head + "}"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def hub_engine(url: str) -> Engine:
    """On SQLite, the store's engine factory and settings; readers take a
    snapshot and never wait (WAL), writers queue for the lock up front. Any
    other database as it comes (no SQLite pragmas on PostgreSQL)."""
    where = make_url(url)
    if where.get_backend_name() == "sqlite":
        return sqlite_engine(url, begin="marked")
    try:
        # Errors never log note text or token hashes. The pool grows to the server's
        # worker threads (40: a page read or a token check each) and shrinks back to 10;
        # a connection the server dropped (a restart, a failover) is found before use.
        return create_engine(where, hide_parameters=True, pool_size=10, max_overflow=30, pool_pre_ping=True)
    except ImportError as exc:  # the driver is an extra: say which
        raise HubDatabaseError(
            f"a hub on {where.get_backend_name()} needs its driver ({exc.name}); the hub runs on SQLite, and on"
            " PostgreSQL with floorview[postgresql] installed"
        ) from None


def open_hub_engine(url: str) -> Engine:
    """The hub's engine, its tables made or brought to `HUB_FORMAT` first.

    Several hubs may start at once on a new database: the tables are made,
    and the format checked and upgraded, inside one write transaction (BEGIN
    IMMEDIATE on SQLite), so the hubs take turns and each finds the work done
    by the one before. A database that cannot serialise DDL that way (another
    process made a table between our look and our CREATE) answers "already
    exists": we look again."""
    engine = hub_engine(url)
    for attempt in range(_OPEN_TRIES):
        try:
            _prepare(engine)
            return engine
        except (OperationalError, IntegrityError, ProgrammingError) as exc:
            if attempt == _OPEN_TRIES - 1 or not _made_meanwhile(exc):
                if isinstance(exc, OperationalError):  # unreachable, refused, locked: said in one line
                    reason = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else type(exc.orig)
                    raise HubDatabaseError(f"the hub database cannot be opened: {reason}") from None
                raise
            log.info("hub tables made by another process while this one started; looking again")
    raise AssertionError("unreachable")


_OPEN_TRIES = 3


def _made_meanwhile(exc: Exception) -> bool:
    text = str(getattr(exc, "orig", exc)).lower()
    return "already exists" in text or "duplicate" in text


def _prepare(engine: Engine) -> None:
    """Make the tables, or bring them to this floorview's revision, in one write transaction."""
    from floorview.hub import migrate

    with engine.execution_options(**_WRITE).begin() as conn:
        if conn.dialect.name == "postgresql":  # DDL takes no lock that serialises the hubs: this does
            conn.execute(select(func.pg_advisory_xact_lock(_SCHEMA_LOCK)))
        rev = migrate.revision(conn)
        if rev is not None and rev not in migrate.HUB_REVISIONS:
            raise HubDatabaseError(
                f"the hub database was written by a newer floorview (revision {rev}; this one knows up to "
                f"{migrate.HUB_HEAD}); upgrade floorview"
            )
        if rev is None:  # new, or made before the hub had migrations: format 4's tables, then its rows
            migrate.upgrade(conn, migrate.BASELINE)
            _rows_to_format_4(conn)
        migrate.upgrade(conn)


# pg_advisory_xact_lock's key for making and upgrading the hub's tables ("fvhub").
_SCHEMA_LOCK = 0x6676687562


def _rows_to_format_4(conn) -> None:
    """The meta row of a new database; an older database's rows rewritten to format 4."""
    fresh = conn.execute(select(hub_meta.c.id)).first() is None
    if fresh:
        conn.execute(insert(hub_meta).values(id=1, epoch=secrets.token_hex(8), seq=0, purged_seq=0))
    written_in = conn.execute(select(hub_format.c.scopes)).scalar()
    if written_in is not None and written_in > HUB_FORMAT:
        raise HubDatabaseError(
            f"the hub database was written by a newer floorview (format {written_in}); upgrade floorview"
        )
    if written_in is None and fresh:
        conn.execute(insert(hub_format).values(id=1, scopes=HUB_FORMAT))
    elif written_in != HUB_FORMAT:  # made by an older hub: rewrite it
        if written_in is None or written_in < 3:
            from floorview.hub.scope_upgrade import upgrade_scopes

            upgrade_scopes(conn, written_in)
        from floorview.hub.format_upgrade import upgrade_to_4

        upgrade_to_4(conn)
        conn.execute(delete(hub_format))
        conn.execute(insert(hub_format).values(id=1, scopes=HUB_FORMAT))


class HubStore:
    """Writes records into the log with their scope, and reads pages for a scope."""

    def __init__(self, engine: Engine, clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self.writer = engine.execution_options(**_WRITE)  # its transactions take the write lock at once
        self.clock = clock
        self.listeners: list[Callable[[], None]] = []  # told after every commit
        self.refused = 0  # records `write` would not store, since this store was made
        self._lock = threading.Lock()
        self._epoch: str | None = None
        self.postgres = engine.dialect.name == "postgresql"
        # A page is read in one snapshot (docs/hub.md): SQLite's read transaction in WAL is
        # one; PostgreSQL's default (READ COMMITTED) takes a new snapshot per statement.
        self.reader = engine.execution_options(isolation_level="REPEATABLE READ") if self.postgres else engine
        self.known: KnownTokens[Scope] = KnownTokens()  # used only while `listen` runs (known_tokens.py)

    # -- tokens ----------------------------------------------------------------
    def create_token(
        self, name: str, teams: Iterable[str] = (), queues: Iterable[str] = (), expires_at: float | None = None
    ) -> str:
        """A new random token; only its hash is kept, so this is the one time it is seen."""
        token = "fv_" + secrets.token_urlsafe(32)
        self.add_token(token, name, teams, queues, expires_at)
        return token

    def add_token(
        self,
        token: str,
        name: str,
        teams: Iterable[str] = (),
        queues: Iterable[str] = (),
        expires_at: float | None = None,
    ) -> None:
        """Keep a token (its hash). A name is 1 to 200 characters, as the table
        holds it (PostgreSQL enforces the width; `floorview hub token create`
        refuses other names in words before it gets here)."""
        if not 1 <= len(name) <= 200:
            raise ValueError(f"a token's name is 1 to 200 characters, not {len(name)}")
        with self.writer.begin() as conn:
            conn.execute(
                insert(hub_token).values(
                    name=name,
                    token_hash=hash_token(token),
                    teams=join_teams(teams),
                    queues=" ".join(sorted(set(queues))),
                    created_at=self.clock(),
                    expires_at=expires_at,
                )
            )

    def check_token(self, token: str) -> Scope:
        """The scope of a presented token; `TokenRefused` when unknown, revoked or expired.

        Found by the unique index on its hash, then compared in constant time.
        A process that listens for revocations (`listen`, PostgreSQL) keeps the
        tokens it accepted and answers from memory (hub/known_tokens.py); any
        other reads the database at every call. Either way a revocation by any
        process holds at the next request once it is heard.
        """
        wanted = hash_token(token)
        kept = self.known.get(wanted, self.clock())
        if kept is not None:
            return kept
        generation = self.known.generation
        c = hub_token.c
        with self.engine.connect() as conn:
            row = conn.execute(
                select(c.name, c.token_hash, c.teams, c.queues, c.expires_at, c.revoked_at).where(
                    c.token_hash == wanted
                )
            ).first()
        if row is None or not hmac.compare_digest(row.token_hash, wanted):
            raise TokenRefused("the token is not known to this hub")
        if row.revoked_at is not None:
            raise TokenRefused("the token was revoked")
        if row.expires_at is not None and self.clock() >= row.expires_at:
            raise TokenRefused("the token has expired")
        scope = Scope(row.name, split_teams(row.teams), frozenset(row.queues.split()))
        self.known.keep(wanted, scope, row.expires_at, generation)
        return scope

    def cached_scope(self, token: str) -> Scope | None:
        """The scope of a token this process accepted and may still trust without
        the database (see `check_token`); None when the database must be asked."""
        return self.known.get(hash_token(token), self.clock())

    def scope_for(self, token: str) -> Scope | None:
        """The scope of a presented token; None if unknown, revoked or expired."""
        try:
            return self.check_token(token)
        except TokenRefused:
            return None

    def tokens(self) -> list[TokenInfo]:
        """Every token, revoked and expired ones included, oldest first."""
        c = hub_token.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(c.id, c.name, c.teams, c.queues, c.created_at, c.expires_at, c.revoked_at).order_by(c.id)
            ).all()
        return [
            TokenInfo(
                r.id,
                r.name,
                tuple(sorted(split_teams(r.teams))),
                tuple(sorted(set(r.queues.split()))),
                r.created_at,
                r.expires_at,
                r.revoked_at,
            )
            for r in rows
        ]

    def revoke(self, name_or_id: str | int) -> tuple[list[TokenInfo], list[TokenInfo]]:
        """Revoke the token with this id, or else every token of this name:
        (revoked now, revoked before). Both empty when nothing matches."""
        c = hub_token.c
        with self.writer.begin() as conn:
            by_id = None
            if isinstance(name_or_id, int) or re.fullmatch(r"[0-9]{1,18}", name_or_id):
                by_id = conn.execute(select(c.id).where(c.id == int(name_or_id))).scalar()
            match = c.id == by_id if by_id is not None else c.name == str(name_or_id)
            found = conn.execute(select(c.id, c.revoked_at).where(match)).all()
            fresh = [r.id for r in found if r.revoked_at is None]
            if fresh:
                conn.execute(update(hub_token).where(c.id.in_(fresh)).values(revoked_at=self.clock()))
                if self.postgres:  # every process forgets the tokens it kept, at commit (known_tokens.py)
                    conn.execute(select(func.pg_notify(TOKENS_CHANNEL, "")))
        if fresh:
            self.known.forget()  # this process at once, before its own NOTIFY comes back
        ids = {r.id for r in found}
        listed = [t for t in self.tokens() if t.id in ids]
        return [t for t in listed if t.id in fresh], [t for t in listed if t.id not in fresh]

    # -- the log ----------------------------------------------------------------
    @property
    def epoch(self) -> str:
        if self._epoch is None:  # a database's epoch never changes
            with self.engine.connect() as conn:
                self._epoch = conn.execute(select(hub_meta.c.epoch)).scalar_one()
        return self._epoch

    def write(
        self,
        changes: Iterable[Mapping[str, Any]],
        refusals: list | None = None,
        expect: Mapping[tuple[str, str], int] | None = None,
        resume: tuple[str, Any, Mapping[str, Any]] | None = None,
    ) -> int:
        """Record changes (feed change dicts); a version not above the stored one is
        ignored. Returns the number of records written.

        `expect` maps (kind, id) to the version the record must be stored at
        (0: no row) for its change to be written, a compare-and-set: a note
        PUT on `base_version`. It is checked, like the version, inside the
        write transaction that takes the change's position, so two writers
        on one version (in any hub process) never both succeed.

        Positions are taken inside that transaction too: `hub_meta.seq` is
        read under the write lock (BEGIN IMMEDIATE on SQLite, FOR UPDATE
        elsewhere), the batch's rows are stamped above it, and it is moved
        up to the last one before the commit; a write that changes nothing
        leaves it alone. Writers take turns, so positions never repeat, and
        each commit's positions are above every committed one (docs/hub.md).

        A change no client could store (checks.py) is skipped: counted in
        `refused`, logged, and added to `refusals` as (kind, id, reason) when
        given; the rest of the batch is written.

        Batched: one lookup per kind for what is stored, one executemany for
        new rows and one for changed rows. Then what the batch changed about
        agents and customers' contacts is followed up: records that become
        visible to more tokens are re-stamped at the end of the log.

        `resume` is (source name, resume point, counters) from a source
        (sources/base.py): the source's row in `hub_source` takes the resume
        point (any JSON value; left as it is with `keep_point` among the counters)
        and the counters in the same transaction as the records, so a hub killed
        at any moment keeps both or neither.
        Counters are added to what is stored: `unmapped` ({reason: [examples]}
        of this batch, each example one record not mapped), `last_record_at`
        (kept if newer), `read` (lines or events read, added); the records
        written are counted here. A batch with
        no changes still moves the resume point (a heartbeat).
        """
        best: dict[tuple[str, str], Mapping[str, Any]] = {}
        texts: dict[tuple[str, str], str | None] = {}
        for ch in changes:
            problem, text = change_problem(ch)
            if problem:
                kind, rid = (ch.get("kind"), ch.get("id")) if isinstance(ch, dict) else (None, None)
                self.refused += 1
                log.warning("refused %r %r: %s", kind, rid, problem)
                if refusals is not None:
                    refusals.append((kind, rid, problem))
                continue
            key = (ch["kind"], ch["id"])
            if key not in best or best[key]["version"] < ch["version"]:
                best[key] = ch
                texts[key] = text
        if not best and resume is None:
            return 0
        with self._lock, self.writer.begin() as conn:
            start = seq = conn.execute(select(hub_meta.c.seq).with_for_update()).scalar_one()
            if not best:
                assert resume is not None
                self._keep_resume(conn, resume, 0)
                return 0
            stored = self._fetch(conn, list(best))
            order = sorted(best.values(), key=lambda ch: _KIND_ORDER.get(ch["kind"], 9))
            inserts: list[tuple] = []  # rows of _INSERT_RECORD
            updates: list[tuple] = []  # rows of _UPDATE_RECORD
            touched: set[tuple[str, str]] = set()
            agents: dict[str, Mapping[str, Any] | None] = {}  # agents written: data, None if deleted
            # Customers' reach (_follow_contacts): what the batch's interactions add to each
            # customer's, and the customers whose reach may also have lost something.
            added: dict[str, tuple[set[str], set[str]]] = {}
            redo: set[str] = set()
            now = self.clock()
            for ch in order:
                kind, rid = key = (ch["kind"], ch["id"])
                old = stored.get(key)
                version = ch["version"]
                if old is not None and old["version"] >= version:
                    continue
                if expect is not None and key in expect and (old["version"] if old else 0) != expect[key]:
                    continue  # changed since the writer read it: not this write's to make
                data = ch.get("data") if ch["op"] == "upsert" else None
                if data is not None or old is None:
                    facts = facts_of(kind, rid, data)
                else:  # a delete keeps the facts of what it deletes: it goes where the record went
                    facts = {k: old[k] for k in ("agent", "queue", "customer", "is_private")}
                seq += 1
                row = (
                    version,
                    ch["op"],
                    texts[key],
                    seq,
                    now,
                    facts["agent"],
                    facts["queue"],
                    facts["customer"],
                    facts["is_private"],
                    kind,
                    rid,
                )
                (updates if old is not None else inserts).append(row)
                stored[key] = {"version": version, "op": ch["op"], **facts}
                touched.add(key)
                if kind == "agent":
                    agents[rid] = data
                elif kind == "interaction":
                    _contact(old, ch["op"], facts, added, redo)
            _many(conn, _INSERT_RECORD, inserts)
            _many(conn, _UPDATE_RECORD, updates)
            seq = self._follow_agents(conn, agents, touched, seq)
            seq = self._follow_contacts(conn, added, redo, touched, seq)
            if seq != start:
                _move_seq(conn, start, seq)
                self._announce(conn)
            if resume is not None:
                self._keep_resume(conn, resume, len(inserts) + len(updates))
        written = len(inserts) + len(updates)
        if written:
            for listener in self.listeners:
                listener()
        return written

    def _announce(self, conn) -> None:
        """Tell the other hub processes, once this transaction commits, that the log moved
        (PostgreSQL's NOTIFY, delivered at commit and dropped on rollback): their long
        polls wake at once (`listen`). On SQLite they find it at their next look."""
        if self.postgres:
            conn.execute(select(func.pg_notify(NOTIFY_CHANNEL, "")))

    def listen(self, stop: threading.Event) -> None:
        """Until `stop`: wake this process's listeners when another process writes,
        and forget the tokens kept when any process revokes one (PostgreSQL's
        LISTEN; returns at once on SQLite). Run in a thread of its own; a lost
        connection is opened again after a second, and kept tokens are not used
        until it is (hub/known_tokens.py)."""
        if not self.postgres:
            return
        import psycopg

        url = self.engine.url.set(drivername="postgresql")
        dsn = url.render_as_string(hide_password=False)  # in memory only: never logged
        while not stop.is_set():
            try:
                with psycopg.connect(dsn, autocommit=True) as conn:
                    conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    conn.execute(f"LISTEN {TOKENS_CHANNEL}")
                    self.known.forget()  # revocations may have passed unheard before
                    proven = 0.0
                    while not stop.is_set():
                        if time.monotonic() - proven >= ALIVE_S:
                            conn.execute("SELECT 1")
                            proven = time.monotonic()
                            self.known.alive()
                        moved = False
                        for note in conn.notifies(timeout=0.5):
                            if note.channel == TOKENS_CHANNEL:
                                self.known.forget()
                            else:
                                moved = True
                            if moved:
                                break  # wake the long polls at once; any more are read next turn
                        if moved:
                            for listener in list(self.listeners):
                                listener()
            except psycopg.Error as exc:
                self.known.deaf()
                log.warning("listening for other hub processes' writes: %s; again in 1 s", type(exc).__name__)
                stop.wait(1.0)
        self.known.deaf()

    def _keep_resume(self, conn, resume: tuple[str, Any, Mapping[str, Any]], written: int) -> None:
        """A source's resume point and counters, inside the write's transaction; first,
        when the counters name the writing process (`owner`), that it holds the source's
        lease (hub/leases.py): `LeaseLost` otherwise, and the whole batch is rolled back."""
        name, point, counters = resume
        keep = bool(counters.get("keep_point"))  # the stored point stands (sources/base.py's KEEP)
        owner = counters.get("owner")
        if owner is not None:
            held = conn.execute(select(hub_lease.c.owner).where(hub_lease.c.name == name)).scalar()
            if held != owner:
                raise LeaseLost(f"another hub process runs the source {name!r} now")
        row = conn.execute(select(hub_source).where(hub_source.c.name == name)).first()
        unmapped = json.loads(row.unmapped) if row is not None else {}
        for reason, examples in (counters.get("unmapped") or {}).items():
            entry = unmapped.setdefault(str(reason), {"count": 0, "examples": []})
            entry["count"] += len(examples)
            entry["examples"] = (entry["examples"] + [str(e)[:200] for e in examples])[:UNMAPPED_EXAMPLES]
        read = int(counters.get("read") or 0)
        last = counters.get("last_record_at")
        if row is not None and row.last_record_at is not None and (last is None or row.last_record_at > last):
            last = row.last_record_at
        values = {
            "unmapped": json.dumps(unmapped, ensure_ascii=False),
            "last_record_at": last,
            "updated_at": self.clock(),
        }
        if not keep:
            values["resume"] = json.dumps(point, ensure_ascii=False, allow_nan=False)
        if row is None:
            conn.execute(insert(hub_source).values(name=name, records_written=written, records_read=read, **values))
        else:
            conn.execute(
                update(hub_source)
                .where(hub_source.c.name == name)
                .values(
                    records_written=hub_source.c.records_written + written,
                    records_read=hub_source.c.records_read + read,
                    **values,
                )
            )

    def source_state(self, name: str) -> SourceState | None:
        """A source's row: its resume point and counters (None: it never wrote)."""
        return next((s for s in self.sources() if s.name == name), None)

    def sources(self) -> list[SourceState]:
        """Every source's row, by name."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(hub_source).order_by(hub_source.c.name)).all()
        return [
            SourceState(
                r.name,
                json.loads(r.resume) if r.resume is not None else None,
                r.records_written,
                r.records_read,
                json.loads(r.unmapped),
                r.last_record_at,
                r.updated_at,
                r.problem,
                r.problem_at,
            )
            for r in rows
        ]

    def source_problem(self, name: str, problem: str, at: float) -> None:
        """Keep a source's newest problem (one line) for `floorview hub status`: on its
        row, made now if the source never wrote (its heartbeat is then the problem's time)."""
        problem = problem[:PROBLEM_MAX]
        with self.writer.begin() as conn:
            conn.execute(select(hub_meta.c.seq).with_for_update())  # serialised with every write
            found = conn.execute(
                update(hub_source).where(hub_source.c.name == name).values(problem=problem, problem_at=at)
            ).rowcount
            if not found:
                conn.execute(
                    insert(hub_source).values(
                        name=name,
                        resume=None,
                        records_written=0,
                        records_read=0,
                        unmapped="{}",
                        updated_at=at,
                        problem=problem,
                        problem_at=at,
                    )
                )

    def _fetch(self, conn, keys: list[tuple[str, str]]) -> dict[tuple[str, str], dict]:
        """What is stored for these records (version, op and facts), a kind at a time."""
        out: dict[tuple[str, str], dict] = {}
        by_kind: dict[str, list[str]] = {}
        for kind, rid in keys:
            by_kind.setdefault(kind, []).append(rid)
        for kind, ids in by_kind.items():
            for rid, version, op, agent, queue, customer, private in _rows_in(
                conn,
                "SELECT id, version, op, agent, queue, customer, is_private FROM hub_record WHERE kind = ? AND id IN",
                ids,
                kind,
            ):
                out[(kind, rid)] = {
                    "version": version,
                    "op": op,
                    "agent": agent,
                    "queue": queue,
                    "customer": customer,
                    "is_private": bool(private),
                }
        return out

    def _follow_agents(self, conn, written: dict[str, Mapping[str, Any] | None], touched: set, seq: int) -> int:
        """Keep `hub_agent`; when an agent joins a team, takes a queue, or a team
        comes to serve a queue, re-stamp what that makes visible."""
        if not written:
            return seq
        old = {
            r.id: (r.team, split_teams(r.queues), bool(r.present))
            for r in _in(conn, hub_agent, hub_agent.c.id, written)
        }
        new: dict[str, tuple[str, frozenset[str], bool]] = {}
        for aid, data in written.items():
            before = old.get(aid)
            if data is None:
                after = (before[0], before[1], False) if before else None
            else:
                after = (team_of(data), queues_of(data), True)
            if after is not None and after != before:
                new[aid] = after
        if not new:
            return seq  # the common case: a change of state, nothing about scope
        teams = {t for t, _, _ in new.values()} | {old[a][0] for a in new if a in old}
        members = {
            r.id: (r.team, split_teams(r.queues), bool(r.present))
            for r in conn.execute(select(hub_agent).where(hub_agent.c.team.in_(sorted(teams))))
        }
        served_before = _served(members)
        members.update(new)
        served_after = _served(members)
        gained = set().union(*(served_after[t] - served_before.get(t, frozenset()) for t in served_after))
        whole, notes_of = set(), set()  # agents whose records newly reach a team; agents newly seen by queue
        for aid, (team, queues, present) in new.items():
            if not present:
                continue
            was = old.get(aid)
            if was is None or not was[2] or was[0] != team:
                whole.add(aid)
            elif queues - was[1]:
                notes_of.add(aid)
        rows = [{"i": a, "team": t, "queues": join_teams(q), "present": p} for a, (t, q, p) in new.items()]
        known = [r for r in rows if r["i"] in old]
        if known:
            conn.execute(
                update(hub_agent)
                .where(hub_agent.c.id == bindparam("i"))
                .values(team=bindparam("team"), queues=bindparam("queues"), present=bindparam("present")),
                known,
            )
        fresh = [{"id": r["i"], **{k: r[k] for k in ("team", "queues", "present")}} for r in rows if r["i"] not in old]
        if fresh:
            conn.execute(insert(hub_agent), fresh)
        c = hub_record.c
        bump: set[tuple[str, str]] = set()
        customers: set[str] = set()
        for r in _in(conn, hub_record, c.agent, whole | notes_of, c.kind, c.id, c.customer, c.agent, c.op):
            if r.op != "upsert":
                continue
            if r.kind == "note" or (r.kind == "interaction" and r.agent in whole):
                bump.add((r.kind, r.id))
                if r.kind == "interaction" and r.customer:
                    customers.add(r.customer)
        for r in _in(conn, hub_record, c.queue, gained, c.kind, c.id, c.customer, c.op):
            if r.op != "upsert":
                continue
            bump.add((r.kind, r.id))
            if r.customer:
                customers.add(r.customer)
        bump |= self._hanging_on(conn, customers)
        return self._bump(conn, bump - touched, seq)

    def _follow_contacts(
        self, conn, added: dict[str, tuple[set[str], set[str]]], redo: set[str], touched: set, seq: int
    ) -> int:
        """Keep each customer's reach (the agents and queues of its live contacts);
        when it grows so that more tokens may see the customer, re-stamp the
        customer and what hangs on it.

        `added`: what the batch's interactions add to each customer's reach;
        `redo`: the customers one of whose contacts lost an agent or a queue (or
        went), whose reach is worked out again from their contacts. Every other
        customer's reach is what it was and what was added (`_contact`)."""
        customers = set(added) | redo
        if not customers:
            return seq
        nothing: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset())
        before = {
            cid: (split_teams(agents), split_teams(queues))
            for cid, agents, queues in _rows_in(
                conn, "SELECT customer, agents, queues FROM hub_reach WHERE customer IN", customers
            )
        }
        reach: dict[str, tuple[set, set]] = {}
        for cid, (agents, queues) in added.items():
            if cid not in redo:
                was = before.get(cid, nothing)
                reach[cid] = (set(was[0] | agents), set(was[1] | queues))
        if redo:
            reach.update((cid, (set(), set())) for cid in redo)
            for cid, agent, queue in _rows_in(
                conn,
                "SELECT customer, agent, queue FROM hub_record"
                " WHERE kind = 'interaction' AND op = 'upsert' AND customer IN",
                redo,
            ):
                if agent:
                    reach[cid][0].add(agent)
                if queue:
                    reach[cid][1].add(queue)
        changed = {cid: r for cid, r in reach.items() if (frozenset(r[0]), frozenset(r[1])) != before.get(cid, nothing)}
        if not changed:
            return seq
        newcomers = set().union(*(r[0] - before.get(cid, nothing)[0] for cid, r in changed.items()))
        serving = {
            aid: (split_teams(queues), bool(present))
            for aid, queues, present in _rows_in(
                conn, "SELECT id, queues, present FROM hub_agent WHERE id IN", newcomers
            )
        }
        grown = set()
        for cid, (agents, queues) in changed.items():
            was_agents, was_queues = before.get(cid, nothing)
            if queues - was_queues:
                grown.add(cid)
                continue
            for aid in agents - was_agents:
                # Tokens of this agent's team see the queues it serves: if one of
                # them is among the customer's, those tokens saw the customer already.
                queues_of, present = serving.get(aid, (frozenset(), False))
                if aid in serving and not (present and queues_of & was_queues):
                    grown.add(cid)
                    break
        # One member a row: a customer worked out again has its rows made anew, any
        # other only gains the rows of what was added.
        redone = sorted(cid for cid in changed if cid in redo)
        gone = [cid for cid in redone if not changed[cid][0] and not changed[cid][1]]
        for i in range(0, len(gone), _CHUNK):
            conn.execute(delete(hub_reach).where(hub_reach.c.customer.in_(gone[i : i + _CHUNK])))
        for i in range(0, len(redone), _CHUNK):
            conn.execute(delete(hub_reach_member).where(hub_reach_member.c.customer.in_(redone[i : i + _CHUNK])))
        members: list[tuple[str, bool, str]] = []
        for cid, (a, q) in changed.items():
            was = nothing if cid in redo else before.get(cid, nothing)
            members.extend((cid, False, m) for m in a - was[0])
            members.extend((cid, True, m) for m in q - was[1])
        if members:
            _many(conn, "INSERT INTO hub_reach_member (customer, is_queue, member) VALUES (?, ?, ?)", members)
        known: list[tuple[str, str, str]] = []
        fresh: list[tuple[str, str, str]] = []
        for cid, (a, q) in changed.items():
            if a or q:
                (known if cid in before else fresh).append((join_teams(a), join_teams(q), cid))
        if known:
            _many(conn, "UPDATE hub_reach SET agents = ?, queues = ? WHERE customer = ?", known)
        if fresh:
            _many(conn, "INSERT INTO hub_reach (agents, queues, customer) VALUES (?, ?, ?)", fresh)
        return self._bump(conn, self._hanging_on(conn, grown, touched) - touched, seq)

    def _hanging_on(
        self, conn, customers: set[str], touched: Set[tuple[str, str]] = frozenset()
    ) -> set[tuple[str, str]]:
        """The live customer records, surveys and notes of these customers (the
        customer records in `touched`, which the caller leaves out, unread)."""
        out = set(
            _rows_in(
                conn,
                "SELECT kind, id FROM hub_record WHERE kind IN ('survey', 'note') AND op = 'upsert' AND customer IN",
                customers,
            )
        )
        out.update(
            ("customer", rid)
            for (rid,) in _rows_in(
                conn,
                "SELECT id FROM hub_record WHERE kind = 'customer' AND op = 'upsert' AND id IN",
                (cid for cid in customers if ("customer", cid) not in touched),
            )
        )
        return out

    def _bump(self, conn, keys: set[tuple[str, str]], seq: int) -> int:
        """Re-stamp records at the end of the log, same version (tombstones stay where they are)."""
        if not keys:
            return seq
        changes = []
        for kind, rid in sorted(keys):
            seq += 1
            changes.append((seq, kind, rid))
        _many(conn, "UPDATE hub_record SET seq = ? WHERE kind = ? AND id = ? AND op = 'upsert'", changes)
        return seq

    def purge_tombstones(self, older_than_s: float = TOMBSTONE_DAYS * 86400) -> int:
        cutoff = self.clock() - older_than_s
        with self._lock, self.writer.begin() as conn:
            conn.execute(select(hub_meta.c.seq).with_for_update())  # the write lock on PostgreSQL (docs/hub.md)
            rows = conn.execute(
                select(hub_record.c.kind, hub_record.c.id, hub_record.c.seq).where(
                    hub_record.c.op == "delete", hub_record.c.changed_at < cutoff
                )
            ).all()
            if rows:
                top = max(r.seq for r in rows)
                for r in rows:
                    conn.execute(hub_record.delete().where(hub_record.c.kind == r.kind, hub_record.c.id == r.id))
                purged = conn.execute(select(hub_meta.c.purged_seq)).scalar_one()
                conn.execute(update(hub_meta).values(purged_seq=max(purged, top), purge_gen=hub_meta.c.purge_gen + 1))
                self._announce(conn)
        return len(rows)

    # -- reading ------------------------------------------------------------------
    def view(self, conn, scope: Scope) -> View:
        """The scope resolved against the agents as they stand now."""
        team_agents, agents, queues = set(), set(), set(scope.queues)
        for aid, team, joined, present in conn.execute(
            select(hub_agent.c.id, hub_agent.c.team, hub_agent.c.queues, hub_agent.c.present)
        ):
            serves = split_teams(joined)
            if team in scope.teams:
                team_agents.add(aid)
                agents.add(aid)
                if present:
                    queues |= serves
            elif scope.queues and not scope.queues.isdisjoint(serves):
                agents.add(aid)
        return View(frozenset(team_agents), frozenset(agents), frozenset(queues))

    def read_page(
        self, scope: Scope, at: tuple[int, int] | None, limit: int, max_bytes: int = PAGE_BYTES
    ) -> tuple[list, int, bool, int]:
        """A page after a cursor's position `at` (purge generation, seq; None
        for the start), read in one read transaction, one snapshot of the
        database: the position is checked against the log's bounds as they
        stand in it (`CursorGone` when a client there could have missed a
        change), the rows are read, and the generation the next cursor names
        is the one of that snapshot. (rows, last seq examined, more, generation).

        Read apart, a purge committed between the check and the rows would
        take a tombstone from under the page, and the next cursor would name
        the new generation: the client would miss a delete for good."""
        with self.reader.connect() as conn, conn.begin():
            meta = conn.execute(select(hub_meta.c.purge_gen, hub_meta.c.purged_seq, hub_meta.c.seq)).one()
            after = 0
            if at is not None:
                gen, after = at
                if gen > meta.purge_gen or after > meta.seq:
                    raise CursorGone("the cursor is beyond this hub's log: start again without one")
                if gen < meta.purge_gen and after < meta.purged_seq:
                    raise CursorGone("the cursor is older than the retained log: start again without one")
            rows, last, more = self._page(conn, scope, after, limit, max_bytes, meta.seq)
        return rows, last, more, meta.purge_gen

    def page_rows(self, scope: Scope, after: int, limit: int, max_bytes: int = PAGE_BYTES) -> tuple[list, int, bool]:
        """Up to `limit` stored rows the scope sees after seq `after`, and no more
        than `max_bytes` of them as JSON unless the first alone is: (rows, last
        seq examined, more)."""
        with self.reader.connect() as conn, conn.begin():
            return self._page(conn, scope, after, limit, max_bytes)

    def _page(
        self, conn, scope: Scope, after: int, limit: int, max_bytes: int, end: int | None = None
    ) -> tuple[list, int, bool]:
        """The page after `after`, read in `conn`'s snapshot, whose log ends at `end`
        (read here when not given). Only the rows the scope sees leave the database;
        when none are left, the page's last position is the log's end in the
        snapshot, so the next page does not look at the rows it passed again (every
        position up to the end is committed: docs/hub.md). One row past the limit
        is read to know whether there are more."""
        out: list = []
        size = 0
        last = after
        c = hub_record.c
        query = select(c.kind, c.id, c.version, c.op, c.data, c.seq)
        if not scope.whole_floor:
            query = query.where(_sees(self.view(conn, scope)))
        rows = conn.execute(query.where(c.seq > after).order_by(c.seq).limit(limit + 1)).all()
        for r in rows[:limit]:
            size += _size(r)
            if out and size > max_bytes:
                return out, last, True  # r is the next page's first
            out.append(r)
            last = r.seq
        if len(rows) > limit:
            return out, last, True
        if end is None:
            end = conn.execute(select(hub_meta.c.seq)).scalar_one()
        return out, max(last, end), False

    def page(self, scope: Scope, after: int, limit: int) -> tuple[list[dict], int, bool]:
        """As `page_rows`, the rows as change dicts."""
        rows, last, more = self.page_rows(scope, after, limit)
        return [json.loads(change_json(r)) for r in rows], last, more

    def purged(self) -> tuple[int, int]:
        """(purge generation, newest purged seq)."""
        gen, purged_seq, _ = self.log_bounds()
        return gen, purged_seq

    def log_bounds(self) -> tuple[int, int, int]:
        """(purge generation, newest purged seq, the end of the log)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(hub_meta.c.purge_gen, hub_meta.c.purged_seq, hub_meta.c.seq)).one()
        return row.purge_gen, row.purged_seq, row.seq

    def current(self, kind: str, rid: str) -> dict | None:
        c = hub_record.c
        with self.engine.connect() as conn:
            r = conn.execute(select(c.kind, c.id, c.version, c.op, c.data).where(c.kind == kind, c.id == rid)).first()
        if r is None:
            return None
        change = {"kind": r.kind, "id": r.id, "version": r.version, "op": r.op}
        if r.op == "upsert":
            change["data"] = json.loads(r.data)
        return change

    def may_write_note(self, scope: Scope, facts: Mapping[str, Any]) -> bool:
        """Whether a token may create, change or delete a note with these facts
        (see `facts_of`). A whole-floor token, any note. A scoped token:
        - a note about an agent of its teams, private or team;
        - a team note about an agent serving one of its own queues (what a
          queue's token sees of the floor: not a private note, which it could
          not read back);
        - a team note about only a customer it sees (a recovery)."""
        return self.note_refusal(scope, facts) is None

    def note_refusal(self, scope: Scope, facts: Mapping[str, Any]) -> str | None:
        """Why `may_write_note` says no, in words; None when it says yes."""
        if scope.whole_floor:
            return None
        private = bool(facts.get("is_private"))
        with self.engine.connect() as conn:
            if facts.get("agent"):
                agent = conn.execute(
                    select(hub_agent.c.team, hub_agent.c.queues, hub_agent.c.present).where(
                        hub_agent.c.id == facts["agent"]
                    )
                ).first()
                if agent is not None and agent.team in scope.teams:
                    return None
                on_own_queue = (
                    agent is not None and agent.present and not scope.queues.isdisjoint(split_teams(agent.queues))
                )
                if on_own_queue and not private:
                    return None
                if on_own_queue:
                    return "a private note is for the agent's own team: write a team note"
                return "the note's agent is outside the token's scope"
            if not facts.get("customer"):
                return "a note without an agent or customer is for whole-floor tokens"
            if private:
                return "a private note needs an agent of the token's teams"
            reach = conn.execute(
                select(hub_reach.c.agents, hub_reach.c.queues).where(hub_reach.c.customer == facts["customer"])
            ).first()
            if reach is not None and self.view(conn, scope).reaches(reach.agents, reach.queues):
                return None
            return "the note's customer is outside the token's scope"

    def note_facts(self, note_id: str) -> dict | None:
        """The stored facts of a note (see `facts_of`), or None."""
        with self.engine.connect() as conn:
            stored = self._fetch(conn, [("note", note_id)]).get(("note", note_id))
        return None if stored is None else {k: v for k, v in stored.items() if k != "op"}


def _move_seq(conn, start: int, end: int) -> None:
    """The log's end from `start` to `end`, in the write transaction that read
    `start` under the write lock. Checked: were writers ever not serialised,
    the write fails rather than hand out a position twice or move the end back."""
    moved = conn.execute(update(hub_meta).where(hub_meta.c.seq == start).values(seq=end)).rowcount
    if moved != 1 or end < start:
        raise RuntimeError(f"the log's end moved under a write ({start} -> {end}): writers are not serialised")


# The customer a row hangs on: a customer record's own id, else its `customer` fact.
_customer_of = case((hub_record.c.kind == "customer", hub_record.c.id), else_=hub_record.c.customer)


def _sees(view: View) -> ColumnElement[bool]:
    """The rows a resolved scope sees, as a condition on `hub_record` (the Scope rule of
    feed-protocol.md): queues, always; an interaction handled by a team agent or on a
    queue seen; an agent seen; a private note about a team agent; a team note about an
    agent seen or a customer reached; a customer or survey reached. A customer is
    reached when one of its contacts was handled by a team agent or is on a queue seen
    (`hub_reach_member`, indexed). Kinds the hub does not know: the whole floor only."""
    c, m = hub_record.c, hub_reach_member.c
    team, agents, queues = sorted(view.team_agents), sorted(view.agents), sorted(view.queues)
    reached = (
        select(m.customer)
        .where(
            m.customer == _customer_of,
            or_(and_(m.is_queue.is_(False), m.member.in_(team)), and_(m.is_queue.is_(True), m.member.in_(queues))),
        )
        .exists()
    )
    return or_(
        c.kind == "queue",
        and_(c.kind == "interaction", or_(c.agent.in_(team), c.queue.in_(queues))),
        and_(c.kind == "agent", c.id.in_(agents)),
        and_(c.kind == "note", c.is_private.is_(True), c.agent.in_(team)),
        and_(c.kind == "note", c.is_private.is_(False), or_(c.agent.in_(agents), reached)),
        and_(c.kind.in_(("customer", "survey")), reached),
    )


def _size(row) -> int:
    """A row's bytes as a change on a page, near enough: its data, and the envelope around it."""
    data = row.data or ""
    return (len(data) if data.isascii() else len(data.encode())) + len(row.id) + len(row.kind) + 64


def _in(conn, table: Table, column, values: Iterable[str], *cols):
    """Rows of `table` whose `column` is one of `values`, 500 at a time."""
    values = sorted(v for v in values if v)
    for i in range(0, len(values), _CHUNK):
        yield from conn.execute(select(*(cols or (table,))).where(column.in_(values[i : i + _CHUNK])))


# A record's row as `write` stores it: its columns in this order.
_RECORD_COLUMNS = ("version", "op", "data", "seq", "changed_at", "agent", "queue", "customer", "is_private")
_INSERT_RECORD = f"INSERT INTO hub_record ({', '.join(_RECORD_COLUMNS)}, kind, id) VALUES ({', '.join('?' * 11)})"
_UPDATE_RECORD = f"UPDATE hub_record SET {', '.join(c + ' = ?' for c in _RECORD_COLUMNS)} WHERE kind = ? AND id = ?"


def _sql(conn, sql: str) -> str:
    """SQL written with `?` placeholders in the driver's own style (psycopg's `%s`)."""
    return sql if conn.dialect.paramstyle == "qmark" else sql.replace("?", "%s")


def _rows_in(conn, sql: str, values: Iterable[str], *params: Any):
    """Rows of `sql`, which ends in `IN` (its other parameters `params`), for each of
    `values` that is not empty, 500 at a time: straight to the driver, as the write's
    many lookups would spend longer in SQLAlchemy's making of the statement than in
    the database."""
    values = sorted(v for v in values if v)
    for i in range(0, len(values), _CHUNK):
        chunk = values[i : i + _CHUNK]
        query = _sql(conn, f"{sql} ({', '.join('?' * len(chunk))})")
        yield from conn.exec_driver_sql(query, (*params, *chunk))


def _many(conn, sql: str, rows: list[tuple]) -> None:
    """`sql` (with `?` placeholders) once for each row, handed to the driver's executemany."""
    if rows:
        conn.exec_driver_sql(_sql(conn, sql), rows)


def _contact(
    old: Mapping[str, Any] | None,
    op: str,
    facts: Mapping[str, Any],
    added: dict[str, tuple[set[str], set[str]]],
    redo: set[str],
) -> None:
    """An interaction written over what was stored (`old`): what it adds to its
    customer's reach (`added`), and whether the customer it was a live contact of
    may lose an agent or a queue by it (`redo`). A customer's reach is the agents
    and queues of its live interactions (`_follow_contacts`)."""
    now = (facts["customer"], facts["agent"], facts["queue"]) if op == "upsert" else (None, None, None)
    was = (old["customer"], old["agent"], old["queue"]) if old is not None and old["op"] == "upsert" else None
    if was == now:
        return  # the customer's reach is as it was
    customer, agent, queue = now
    if customer:
        agents, queues = added.setdefault(customer, (set(), set()))
        if agent:
            agents.add(agent)
        if queue:
            queues.add(queue)
    if (
        was is not None
        and was[0]
        and (was[0] != customer or (was[1] and was[1] != agent) or (was[2] and was[2] != queue))
    ):
        redo.add(was[0])


def _served(members: Mapping[str, tuple[str, frozenset[str], bool]]) -> dict[str, frozenset[str]]:
    """Team -> the queues its present agents serve."""
    out: dict[str, set[str]] = {}
    for team, queues, present in members.values():
        if present:
            out.setdefault(team, set()).update(queues)
        else:
            out.setdefault(team, set())
    return {t: frozenset(q) for t, q in out.items()}
