"""queue_log events as feed changes: queues, agents, interactions, customers.

Pure: events in, changes out, and a JSON-able state (`state()`) to carry on
after a restart exactly where it stopped. The conventions every Asterisk
source shares (ids, time-based versions, times, text) are records.py's; what
Asterisk leaves out (queue settings, teams, customers) is settings.py's.
Ids are records.py's, made ones the feed takes (`feed_id`: a member "Paty
Marin" is the agent "Paty%20Marin"), as the AMI source makes them.

Calls. ENTERQUEUE opens an interaction `<callid>@<queue>`; CONNECT answers
it (agent, answered_at); COMPLETECALLER/COMPLETEAGENT end it, and so do
TRANSFER (up to 11), BLINDTRANSFER and ATTENDEDTRANSFER (12 on), which
also count one transfer. A call whose ENTERQUEUE is before the log's start
is rebuilt from its own fields: CONNECT's holdtime (enqueued = t - hold),
COMPLETE's or a transfer's holdtime and calltime (answered = t - calltime,
enqueued = answered - hold), an exit's waittime (enqueued = t - wait).

Re-queued calls (one callid, several ENTERQUEUE). Each entry into a queue is
an interaction of its own: `<callid>@<queue>` and, from the second entry
into the same queue, `#2`, `#3` (records.interaction_id), so a call that
overflows from Sales to Support is offered once in each, as a supervisor
counts it. Asterisk writes the first entry's exit (EXITWITHTIMEOUT,
EXITWITHKEY, a transfer...) before the next ENTERQUEUE; where it did not (a
lost line, a dialplan re-queueing on its own), the entry still open is
closed at the new ENTERQUEUE: unanswered, it left unanswered then
(abandoned_at, as the exits below); answered, its agent's part ended then,
with one transfer. An ENTERQUEUE arriving after the CONNECT or COMPLETE of
a call rebuilt from them (rows out of order), in the same queue and within
2 s of the rebuilt enqueue time (hold times are whole seconds), is that
call's, not a re-entry.

Exits. ABANDON, EXITWITHTIMEOUT, EXITWITHKEY, EXITEMPTY and WITHDRAW all
mean the caller left the queue unanswered, so each sets abandoned_at (and
ended_at) at the exit's time. That is what gives floorview's queue figures
rightly: the store (domain/metrics.contribution, kept as sums by
store/apply.py) counts an interaction with abandoned_at and no answered_at
as abandoned when it waited at least the queue's short_abandon_s and as a
short abandon otherwise, and service level = answered within threshold /
(answered + abandoned). A caller the queue kept 300 s and then timed out
(or who gave up by key, or was withdrawn for a callback) is a call the
queue failed: it counts against service level and in the abandon rate. An
EXITEMPTY within seconds of entering is a short abandon: offered (so in the
arrival rate staffing is computed from), in neither rate. Were the exits
given ended_at alone, they would be offered but neither answered nor
abandoned, and service level would leave out exactly the callers the queue
failed (a queue timing half its callers out at 30 s would show 100 %). The
cost: Erlang A's patience estimate (wait / abandons) takes a timeout for an
abandon, and so reads patience a little short. Wazo's FULL and JOINEMPTY
(a caller refused at the door) are an interaction enqueued and abandoned at
once: offered, a short abandon. CLOSED (refused out of hours) is not queue
traffic: counted unmapped.

Agents. An agent is a member name (an interface mapped by settings.member).
Its state is derived from facts each kept with its time, so a late row
(rows are out of time order) never overrides a newer fact: membership per
queue (ADDMEMBER/REMOVEMEMBER; an event in a queue also shows membership
there, for static members), presence (ADDMEMBER, AGENTLOGIN,
AGENTCALLBACKLOGIN; logoffs and removal from the last queue end it), pauses
per queue (PAUSE/UNPAUSE; PAUSEALL/UNPAUSEALL, and PAUSE with queue NONE,
for all), the call (CONNECT, until its end) and the wrap-up. In that order
of precedence: on a call: on_contact (with interaction_id); not present:
offline; paused in every queue it serves: not_ready (with the newest
pause's reason, or a later PAUSEREASON's); within its queue's wrapup_s
after a call: after_contact_work (interaction_id: the call just ended);
else available. A wrap-up's end is written (at its own time) as soon as an
event later than it is fed, as Asterisk writes no line for it; the call
carries the wrap-up as its wrap_s (in AHT), none when wrapup_s is 0.
With `agents` False (an AMI source of the same hub owns agent records:
hub/source_config.py's `agents`), agents are followed all the same, for
the calls, but no agent record is written.
RINGNOANSWER and RINGCANCELED (rung, so logged in), PENALTY and RINGINUSE
only show membership. DID, INFO, CALLSTATUS, AGENTDUMP and SYSCOMPAT have
no place in the feed, and OUTCALL, CALLOUTBOUND and PBXware's OUT* are
outbound calls, not queue traffic: counted unmapped. QUEUESTART and
CONFIGRELOAD carry nothing and lose nothing.

Customers. ENTERQUEUE's caller id gives the customer (settings.customer_id).
Its record's name is the caller-id name Asterisk 20.14+ logs
(log-caller-id-name), unless it has no letter (carriers often send the
number as the name) or the numbers are hashed and the name holds digits
(it may hold the number the hash hides); else, with plain
numbers, the number as logged; else "Caller" and the start of the hash,
which a supervisor can read out and which says nothing of the number.

Versions. Asterisk's version shows in the shape of some events
(platform-formats.md 1.3: ENTERQUEUE's and CONNECT's field counts, TRANSFER
up to 11, BLIND/ATTENDEDTRANSFER from 12; and RINGCANCELED 15+, WITHDRAW
16+, RINGINUSE 11+ ...): each narrows the range of families the log fits
(`version`, "1.8-11"). A line that fits none of the range so far means the
log spans an upgrade: the range starts again from that line's. Each line is
read by its own fields, whatever the range says, and a realtime table's
padded data1..data5 (trailing empty columns) by the fields it holds.

Never fatal. A line that cannot be used (an unknown event, a call never
seen whose line lacks the times to rebuild it, an event with no place in
the feed) is counted by reason in `take_unmapped`, with the line as
example. Exact repeats of a recent line are dropped (and counted).

Bounded. The state keeps open calls, the last ENDED_KEPT ended ones (for
late rows), agents, the queues seen, recent customers and digests of the
last DEDUPE lines (the lines themselves). A call with no line for STALE_S has lost its end (a
line never written, a log rotated away): it is ended at its last line,
outcome unknown (offered, neither answered nor abandoned, no longer
waiting), and counted unmapped.
"""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from floorview.sources.asterisk.queue_log.events import MAX_TIME, QueueLogEvent
from floorview.sources.asterisk.records import (
    Versions,
    agent_id,
    feed_id,
    interaction_id,
    iso,
    queue_id,
    record_key,
    text,
)
from floorview.sources.asterisk.settings import AsteriskSettings

STATE_FORMAT = 1
# What the state keeps, so that a resume point (written with every batch) stays small:
DEDUPE = 500  # recent events' digests, to drop exact repeats
ENDED_KEPT = 300  # ended calls kept for their late rows (a minute or more of a busy floor)
CUSTOMERS_KEPT = 1000  # customers whose record was written (not written again soon)
STALE_S = 6 * 3600  # an open call with no line for this long has lost its end
SWEEP_S = 300  # how often (platform time) open calls are checked for that
MATCH_S = 2.0  # a rebuilt enqueue time (whole seconds of hold) and its late ENTERQUEUE
MAX_SECONDS = 1e7  # a hold, talk or wait beyond this (115 days) is not taken
EXAMPLE_MAX = 200

# Asterisk families, oldest first: the version markers of platform-formats.md 1.3 and 1.2.
FAMILIES = ("1.2", "1.4", "1.6", "1.8", "10", "11", "12", "13", "15", "16", "18", "20", "20.14")
_LAST = len(FAMILIES) - 1

OUTBOUND = frozenset(
    {"OUTCALL", "CALLOUTBOUND", "OUTDIAL", "OUTANSWER", "OUTCANCEL", "OUTCHANUNAVAIL", "OUTCONGESTION", "OUTTRANSFER"}
)
NO_FIELD = frozenset({"AGENTDUMP", "SYSCOMPAT", "DID", "INFO", "CALLSTATUS"})
SILENT = frozenset({"QUEUESTART", "CONFIGRELOAD"})  # logger.c's own: nothing to map, nothing lost


def _unicode(value: str) -> str:
    """Text UTF-8 can hold: a lone surrogate (a file decoded leniently) becomes '?'."""
    return value.encode("utf-8", "replace").decode("utf-8") if not value.isascii() else value


_K = TypeVar("_K", bound=Hashable)
MEMO_MAX = 10_000  # a memo's entries (it starts again when full): queue names, agents, times


def _memo(fn: Callable[[_K], str]) -> Callable[[_K], str]:
    """`fn`, a pure function, remembering its recent answers (a backfill asks the same ones
    again and again: a queue's id for each of its lines, a call's times each time it is shown)."""
    cache: dict[_K, str] = {}

    def call(value: _K) -> str:
        out = cache.get(value)
        if out is None:
            if len(cache) >= MEMO_MAX:
                cache.clear()
            out = cache[value] = fn(value)
        return out

    return call


_queue_id = _memo(queue_id)
_iso = _memo(iso)


def _entry_id(entry: tuple[str, str, int]) -> str:
    """The interaction id of (call id, queue, entry)."""
    return interaction_id(*entry)


def _callid(callid: str) -> str:
    """A call id as the feed's ids take it ("" when nothing is left of it)."""
    return feed_id(text(callid, 64))


_interaction_id = _memo(_entry_id)
_call_id = _memo(_callid)


def _digest(value: object) -> str:
    """A short digest of data built in a fixed order (strings, numbers, None, lists and
    dicts of them), for what the state need only compare: its repr is stable across runs."""
    return hashlib.blake2b(repr(value).encode("utf-8", "replace"), digest_size=8).hexdigest()


def _shown(data: dict[str, Any] | str | None) -> str | None:
    """What a state keeps of the data last written: its digest."""
    return _digest(data) if isinstance(data, dict) else data


def _same(shown: dict[str, Any] | str | None, data: dict[str, Any]) -> bool:
    """Whether `data` is what was last written. The data itself is kept in memory, as comparing
    dicts costs far less than a digest a show (a backfill shows a call or an agent twice a
    line); a mapper restored from a state has the digest until it writes again."""
    return shown == data if isinstance(shown, dict) else shown is not None and shown == _digest(data)


def _given(value: str) -> bool:
    return value.strip() not in ("", "NONE")


def _is_queue(name: str) -> bool:
    """A queue field naming a queue: not NONE, and not a name that cleans to nothing."""
    return _given(name) and bool(_queue_id(name))


def _seconds(data: tuple[str, ...], at: int) -> float | None:
    """Field `at` as a duration in seconds, or None (absent, not a number, out of range)."""
    if at >= len(data):
        return None
    raw = data[at].split("|")[0].strip()  # a realtime data5 holds the rest: "100|1"
    try:
        value = float(raw) if raw.replace(".", "", 1).isdigit() else None
    except ValueError:
        return None
    return value if value is not None and value <= MAX_SECONDS else None


def _marker(event: str, data: tuple[str, ...]) -> tuple[str, str] | None:
    """The range of families an event's shape shows (platform-formats.md 1.2, 1.3)."""
    if len(data) == 5 and not data[-1].strip():
        # A realtime table's data1..data5, padded with empty columns: its own fields are the rest.
        while data and not data[-1].strip():
            data = data[:-1]
    n = len(data)
    last = FAMILIES[_LAST]
    if event == "ENTERQUEUE":
        return {2: ("1.2", "1.6"), 3: ("1.8", last)}.get(n, ("20.14", last) if n >= 4 else None)
    if event == "CONNECT":
        return {1: ("1.2", "1.2"), 2: ("1.4", "1.4")}.get(n, ("1.6", last) if n >= 3 else None)
    if event in ("COMPLETECALLER", "COMPLETEAGENT"):
        return ("1.2", "1.4") if n == 2 else ("1.6", last) if n >= 3 else None
    if event == "TRANSFER":
        return {2: ("1.2", "1.2"), 4: ("1.4", "1.6")}.get(n, ("1.6", "11") if n >= 5 else ("1.2", "11"))
    if event in ("BLINDTRANSFER", "ATTENDEDTRANSFER"):
        return ("12", last)
    if event == "EXITWITHKEY":
        return ("1.2", "11") if n == 2 else ("1.8", last) if n >= 4 else None
    ranges = {
        "WITHDRAW": "16",
        "RINGCANCELED": "15",
        "OUTCALL": "15",
        "RINGINUSE": "11",
        "PENALTY": "1.6",
        "RINGNOANSWER": "1.4",
        "EXITEMPTY": "1.4",
    }
    if event in ranges:
        return (ranges[event], last)
    if event == "ADDMEMBER" and n and data[0].strip() == "PAUSED":
        return ("11", last)
    if event in ("PAUSE", "UNPAUSE") and n and data[0].strip():
        return ("1.6", last)  # a pause reason: 1.6.2 on
    return None


# -- what the mapper keeps: a call, an agent ---------------------------------------------


@dataclass(slots=True)
class _Call:
    iid: str
    callid: str
    queue: str  # the Asterisk queue name (settings are keyed by it)
    entered: bool  # enqueued_at is ENTERQUEUE's own time, not rebuilt from a hold time
    enqueued_at: float
    seen: float  # platform time of its newest line
    customer_id: str | None = None
    agent_id: str | None = None
    answered_at: float | None = None
    abandoned_at: float | None = None
    ended_at: float | None = None
    wrap_s: float | None = None
    transfers: int = 0
    shown: dict[str, Any] | str | None = None  # the data last written (_same), or its digest

    def data(self, settings: AsteriskSettings) -> dict[str, Any]:
        def when(ts: float | None) -> str | None:
            return None if ts is None else _iso(ts)

        return {
            "queue_id": _queue_id(self.queue),
            "channel": settings.queue(self.queue).channel,
            "customer_id": self.customer_id,
            "agent_id": self.agent_id,
            "enqueued_at": _iso(self.enqueued_at),
            "answered_at": when(self.answered_at),
            "abandoned_at": when(self.abandoned_at),
            "ended_at": when(self.ended_at),
            "wrap_s": self.wrap_s,
            "transfers": self.transfers,
        }

    def dump(self) -> dict[str, Any]:
        out = {name: getattr(self, name) for name in _CALL_FIELDS}
        out["shown"] = _shown(self.shown)
        return out


_CALL_FIELDS = _Call.__slots__


@dataclass(slots=True)
class _Agent:
    aid: str
    name: str
    member: dict[str, tuple[bool, float]] = field(default_factory=dict)  # queue id -> (in it, since)
    present: tuple[bool, float] | None = None
    paused: dict[str, tuple[bool, str | None, float]] = field(default_factory=dict)  # queue id or "*"
    note: tuple[str, float] | None = None  # PAUSEREASON
    call: tuple[str | None, float] | None = None  # (interaction on, since)
    wrap_iid: str | None = None
    wrap_until: float | None = None
    current: tuple[str, str | None, str | None] | None = None  # (state, reason, interaction) derived
    since: float = 0.0
    shown: dict[str, Any] | str | None = None  # the data last written (_same), or its digest

    def queues(self) -> list[str]:
        return sorted(q for q, (inside, _) in self.member.items() if inside)

    def pause(self) -> tuple[bool, str | None]:
        """Whether it takes no calls by a pause, and the newest pause's reason."""
        everywhere = self.paused.get("*")
        serving = self.queues()
        if everywhere is not None and everywhere[0]:
            facts = [everywhere, *(self.paused[q] for q in serving if q in self.paused)]
        elif serving and all(q in self.paused and self.paused[q][0] for q in serving):
            facts = [self.paused[q] for q in serving]
        else:
            return False, None
        newest = max((f for f in facts if f[0]), key=lambda f: f[2])
        reason = newest[1]
        if self.note is not None and self.note[1] >= newest[2]:
            reason = self.note[0]
        return True, reason or None

    def derive(self, now: float) -> tuple[str, str | None, str | None]:
        if self.call is not None and self.call[0] is not None:
            return ("on_contact", None, self.call[0])
        if self.present is None or not self.present[0]:
            return ("offline", None, None)
        paused, reason = self.pause()
        if paused:
            return ("not_ready", reason, None)
        if self.wrap_until is not None and now < self.wrap_until:
            return ("after_contact_work", None, self.wrap_iid)
        return ("available", None, None)

    def dump(self) -> dict[str, Any]:
        return {
            "aid": self.aid,
            "name": self.name,
            "member": {q: list(v) for q, v in self.member.items()},
            "present": None if self.present is None else list(self.present),
            "paused": {q: list(v) for q, v in self.paused.items()},
            "note": None if self.note is None else list(self.note),
            "call": None if self.call is None else list(self.call),
            "wrap_iid": self.wrap_iid,
            "wrap_until": self.wrap_until,
            "current": None if self.current is None else list(self.current),
            "since": self.since,
            "shown": _shown(self.shown),
        }

    @classmethod
    def load(cls, d: dict[str, Any]) -> _Agent:
        def pair(v: Any) -> Any:
            return None if v is None else tuple(v)

        return cls(
            aid=str(d["aid"]),
            name=str(d["name"]),
            member={str(q): (bool(v[0]), float(v[1])) for q, v in d["member"].items()},
            present=pair(d["present"]),
            paused={str(q): (bool(v[0]), v[1], float(v[2])) for q, v in d["paused"].items()},
            note=pair(d["note"]),
            call=pair(d["call"]),
            wrap_iid=d["wrap_iid"],
            wrap_until=d["wrap_until"],
            current=pair(d["current"]),
            since=float(d["since"]),
            shown=d["shown"],
        )


def _newer(fact: tuple[Any, ...] | None, t: float) -> bool:
    """Whether a fact at time `t` replaces `fact` (the later wins; on a tie, the later line)."""
    return fact is None or t >= fact[-1]


class QueueLogMapper:
    """Turns queue_log events into feed changes; see the module for the mapping."""

    def __init__(self, settings: AsteriskSettings, state: object | None = None, agents: bool = True) -> None:
        self.settings = settings
        # False: agents are tracked (calls and wrap-ups need them) but their records are not
        # written: another source (AMI) owns them (hub/source_config.py, `agents`).
        self.agents = agents
        self.newest: float | None = None
        self._versions = Versions()
        self._span: tuple[int, int] | None = None
        self._queues: set[str] = set()
        self._customers: dict[str, tuple[str, bool]] = {}  # id -> (digest of the name written, a real name)
        self._agents: dict[str, _Agent] = {}
        self._wraps: dict[str, float] = {}  # agents in wrap-up -> its end (from the agents)
        self._wrap_ends: list[tuple[float, str]] = []  # a heap of (end, agent), _wraps' and ones since replaced
        self._calls: dict[str, _Call] = {}
        self._open: dict[str, str] = {}  # callid -> its interaction still open
        self._entries: dict[str, dict[str, int]] = {}  # callid -> queue name -> entries into it
        self._ended: dict[str, None] = {}  # ended calls, oldest first
        self._recent: dict[str, None] = {}  # recent events' digests, oldest first
        self._sweep_at = 0.0
        self._unmapped: dict[str, list[str]] = {}
        self._out: list[dict[str, Any]] = []
        self._members: dict[str, tuple[str, str]] = {}  # agent field -> (member name, agent id)
        if isinstance(state, dict) and state.get("format") == STATE_FORMAT:
            self._restore(state)

    # -- the interface -------------------------------------------------------------------
    @property
    def version(self) -> str | None:
        """The Asterisk versions the data so far fits, in words ("1.8-11", "12+")."""
        if self._span is None:
            return None
        lo, hi = self._span
        if hi == _LAST:
            return f"{FAMILIES[lo]}+"
        return FAMILIES[lo] if lo == hi else f"{FAMILIES[lo]}-{FAMILIES[hi]}"

    def feed(self, event: QueueLogEvent) -> list[dict[str, Any]]:
        self._out = []
        try:
            self._feed(event)
        except Exception as exc:  # a fault of this mapper (or an event not built as typed): counted, never fatal
            try:
                example = event.line()
            except Exception:
                example = repr(event)
            reason = f"mapper fault on {text(str(event.event), 40)}: {type(exc).__name__}"
            self._unmapped.setdefault(reason, []).append(text(example, EXAMPLE_MAX))
        out, self._out = self._out, []
        return out

    def bad_line(self, reason: str, example: str) -> None:
        self._unmapped.setdefault(reason, []).append(text(example, EXAMPLE_MAX))

    def take_unmapped(self) -> dict[str, list[str]]:
        taken, self._unmapped = self._unmapped, {}
        return taken

    def state(self) -> object:
        return {
            "format": STATE_FORMAT,
            "newest": self.newest,
            "versions": self._versions.state(),
            "span": None if self._span is None else list(self._span),
            "queues": sorted(self._queues),
            "customers": [[cid, name, real] for cid, (name, real) in self._customers.items()],
            "agents": [a.dump() for a in self._agents.values()],
            "calls": [c.dump() for c in self._calls.values()],
            "open": dict(self._open),
            "entries": {k: dict(v) for k, v in self._entries.items()},
            "ended": list(self._ended),
            "recent": list(self._recent),
            "sweep_at": self._sweep_at,
        }

    def _restore(self, s: dict[str, Any]) -> None:
        self.newest = s["newest"]
        self._versions = Versions.restore(s["versions"])
        self._span = None if s["span"] is None else (int(s["span"][0]), int(s["span"][1]))
        self._queues = set(s["queues"])
        self._customers = {str(cid): (str(name), bool(real)) for cid, name, real in s["customers"]}
        self._agents = {a.aid: a for a in map(_Agent.load, s["agents"])}
        self._wraps = {a.aid: a.wrap_until for a in self._agents.values() if a.wrap_until is not None}
        self._wrap_ends = sorted((until, aid) for aid, until in self._wraps.items())
        self._calls = {c.iid: c for c in (_Call(**d) for d in s["calls"])}
        self._open = {str(k): str(v) for k, v in s["open"].items()}
        self._entries = {str(k): {str(q): int(n) for q, n in v.items()} for k, v in s["entries"].items()}
        self._ended = dict.fromkeys(s["ended"])
        self._recent = dict.fromkeys(map(str, s["recent"]))
        self._sweep_at = float(s["sweep_at"])

    # -- the mapping ---------------------------------------------------------------------
    def _feed(self, raw: QueueLogEvent) -> None:
        t = raw.time
        if not 0 <= t <= MAX_TIME:  # also NaN
            self._unmap("time out of range", raw)
            return
        e = QueueLogEvent(
            t,
            _unicode(raw.callid.strip()),
            _unicode(raw.queue.strip()),
            _unicode(raw.agent.strip()),
            _unicode(raw.event.strip()).upper(),
            tuple(_unicode(d) for d in raw.data),
        )
        key = "|".join((repr(t), *e[1:5], *e.data))  # the line as read, cleaned
        if key in self._recent:
            self._unmap("repeated line (identical to one just read)", e)
            return
        self._recent[key] = None
        if len(self._recent) > DEDUPE:
            del self._recent[next(iter(self._recent))]
        self.newest = t if self.newest is None else max(self.newest, t)
        self._end_wraps(self.newest)
        self._detect(e)
        handler = self._HANDLERS.get(e.event)
        if handler is not None:
            handler(self, e)
        elif e.event in SILENT:
            pass
        elif e.event in OUTBOUND:
            self._unmap(f"{e.event}: an outbound call, not queue traffic", e)
        elif e.event in NO_FIELD:
            self._unmap(f"{e.event}: nothing in the feed holds it", e)
        elif e.event == "CLOSED":
            self._unmap("CLOSED: a call refused while the queue is closed, not queue traffic", e)
        else:
            self._unmap(f"unknown event {text(e.event, 40)}", e)
        if self.newest >= self._sweep_at:
            self._sweep(self.newest)

    def _unmap(self, reason: str, e: QueueLogEvent) -> None:
        self._unmapped.setdefault(reason, []).append(text(e.line(), EXAMPLE_MAX))

    def _detect(self, e: QueueLogEvent) -> None:
        marker = _marker(e.event, e.data)
        if marker is None:
            return
        lo, hi = FAMILIES.index(marker[0]), FAMILIES.index(marker[1])
        if self._span is not None:
            both = (max(lo, self._span[0]), min(hi, self._span[1]))
            if both[0] <= both[1]:
                lo, hi = both
            # else the log changes version (an upgrade): the newer lines' range stands
        self._span = (lo, hi)

    def _emit(self, kind: str, rid: str, data: dict[str, Any], t: float) -> None:
        version = self._versions.next(record_key(kind, rid), t)
        self._out.append({"kind": kind, "id": rid, "version": version, "op": "upsert", "data": data})

    # -- queues and customers --------------------------------------------------------------
    def _queue(self, name: str, t: float) -> str:
        qid = _queue_id(name)
        if qid not in self._queues:
            self._queues.add(qid)
            data = self.settings.queue_data(name)
            data["name"] = _unicode(data["name"])
            self._emit("queue", qid, data, t)
        return qid

    def _customer(self, caller: str, cidname: str | None, t: float) -> str | None:
        found = self.settings.customer(caller, cidname)
        if found is None:
            return None
        cid, name, real = found
        held, digest = self._customers.pop(cid, None), _digest(name)
        if held is not None and (held[0] == digest or (held[1] and not real)):
            self._customers[cid] = held  # written already, and never a real name for none
            return cid
        self._customers[cid] = (digest, real)
        if len(self._customers) > CUSTOMERS_KEPT:
            old = next(iter(self._customers))
            del self._customers[old]
            self._versions.forget(record_key("customer", old))
        self._emit("customer", cid, {"name": name}, t)
        return cid

    # -- calls --------------------------------------------------------------------------
    def _iid(self, callid: str, queue: str, entry: int) -> str:
        return _interaction_id((callid, queue, entry))

    def _latest(self, callid: str, queue: str) -> _Call | None:
        """The newest entry of the call into `queue` still kept."""
        n = self._entries.get(callid, {}).get(queue)
        return None if n is None else self._calls.get(self._iid(callid, queue, n))

    def _new_call(self, e: QueueLogEvent, enqueued_at: float, entered: bool) -> _Call:
        still = self._open.get(e.callid)
        if still is not None and still in self._calls:
            self._leave(self._calls[still], max(enqueued_at, 0.0))
        entries = self._entries.setdefault(e.callid, {})
        entries[e.queue] = entries.get(e.queue, 0) + 1
        iid = self._iid(e.callid, e.queue, entries[e.queue])
        call = _Call(iid, e.callid, e.queue, entered, max(enqueued_at, 0.0), e.time)
        self._calls[iid] = call
        self._open[e.callid] = iid
        return call

    def _show(self, call: _Call, t: float) -> None:
        call.seen = max(call.seen, t)
        data = call.data(self.settings)
        if not _same(call.shown, data):
            call.shown = data
            self._emit("interaction", call.iid, data, t)
        if call.ended_at is not None and self._open.get(call.callid) == call.iid:
            del self._open[call.callid]
            self._ended[call.iid] = None
            while len(self._ended) > ENDED_KEPT:
                self._forget(next(iter(self._ended)))

    def _forget(self, iid: str) -> None:
        self._ended.pop(iid, None)
        call = self._calls.pop(iid, None)
        self._versions.forget(record_key("interaction", iid))
        if call is None or call.callid in self._open:
            return
        entries = self._entries.get(call.callid, {})
        if not any(self._iid(call.callid, q, n) in self._calls for q, n in entries.items()):
            self._entries.pop(call.callid, None)

    def _leave(self, call: _Call, t: float) -> None:
        """The call entered another queue while this entry was open: it left this one at `t`."""
        if call.ended_at is not None:
            return
        if call.answered_at is not None:
            call.transfers += 1
            self._end(call, max(t, call.answered_at))
        else:
            call.abandoned_at = call.ended_at = max(t, call.enqueued_at)
            self._show(call, t)

    def _end(self, call: _Call, t: float) -> None:
        """An answered call's end: the call, then its agent into wrap-up."""
        call.ended_at = t
        wrap = self.settings.queue(call.queue).wrapup_s
        if wrap > 0:
            call.wrap_s = float(wrap)
        self._show(call, t)
        agent = self._agents.get(call.agent_id or "")
        if agent is not None and agent.call is not None and agent.call[0] == call.iid:
            agent.call = (None, t)
            if wrap > 0:
                agent.wrap_iid, agent.wrap_until = call.iid, t + wrap
                self._wraps[agent.aid] = t + wrap
                heapq.heappush(self._wrap_ends, (t + wrap, agent.aid))
            self._show_agent(agent, t)

    def _enterqueue(self, e: QueueLogEvent) -> None:
        if not self._call_line(e):
            return
        self._queue(e.queue, e.time)
        caller = e.data[1] if len(e.data) > 1 else ""
        cidname = e.data[3] if len(e.data) > 3 else None
        customer = self._customer(caller, cidname, e.time)
        call = self._latest(e.callid, e.queue)
        if call is None or call.entered or abs(call.enqueued_at - e.time) > MATCH_S:
            call = self._new_call(e, e.time, entered=True)
        call.entered, call.enqueued_at = True, e.time
        call.customer_id = customer
        self._show(call, e.time)

    def _refused(self, e: QueueLogEvent) -> None:
        """FULL, JOINEMPTY (Wazo): a caller refused at the door, offered and gone at once."""
        if not self._call_line(e):
            return
        self._queue(e.queue, e.time)
        call = self._new_call(e, e.time, entered=True)
        call.abandoned_at = call.ended_at = e.time
        self._show(call, e.time)

    def _connect(self, e: QueueLogEvent) -> None:
        if not self._call_line(e):
            return
        qid = self._queue(e.queue, e.time)
        agent = self._agent(e)
        call = self._latest(e.callid, e.queue)
        if call is None or call.abandoned_at is not None or (call.agent_id not in (None, _aid(self, e))):
            hold = _seconds(e.data, 0)
            if hold is None:
                self._unmap("CONNECT for a call never seen, without a hold time", e)
                return
            call = self._new_call(e, e.time - hold, entered=False)
        if call.answered_at is None:
            call.answered_at = e.time
        if agent is not None:
            call.agent_id = agent.aid
        self._show(call, e.time)
        if agent is None:
            return
        self._membership(agent, qid, e.time, strong=True)
        if call.ended_at is None and _newer(agent.call, e.time):
            agent.call = (call.iid, e.time)
        self._show_agent(agent, e.time)

    def _complete(self, e: QueueLogEvent, hold_at: int, talk_at: int, transfer: bool) -> None:
        if not self._call_line(e):
            return
        qid = self._queue(e.queue, e.time)
        hold, talk = _seconds(e.data, hold_at), _seconds(e.data, talk_at)
        agent = self._agent(e)
        call = self._latest(e.callid, e.queue)
        if call is not None and call.ended_at is not None and call.abandoned_at is None:
            return  # ended already (the first end wins): a second end line
        if call is None or call.abandoned_at is not None:
            if hold is None or talk is None:
                self._unmap(f"{e.event} for a call never seen, without hold and talk times", e)
                return
            call = self._new_call(e, e.time - talk - hold, entered=False)
        if call.answered_at is None:
            call.answered_at = max(call.enqueued_at, e.time - (talk or 0.0))
        if call.agent_id is None and agent is not None:
            call.agent_id = agent.aid
        if transfer:
            call.transfers += 1
        if agent is not None:
            self._membership(agent, qid, e.time, strong=False)
            if agent.call is None or agent.call[0] is None and _newer(agent.call, call.answered_at):
                agent.call = (call.iid, call.answered_at)  # its CONNECT never seen: on it until now
        self._end(call, e.time)

    def _completed(self, e: QueueLogEvent) -> None:
        self._complete(e, 0, 1, transfer=False)

    def _transfer(self, e: QueueLogEvent) -> None:
        if e.event == "ATTENDEDTRANSFER" and e.data and e.data[0].strip() == "LINK":
            self._complete(e, 3, 4, transfer=True)  # LINK|chan1|chan2|hold|call|origpos
        else:
            self._complete(e, 2, 3, transfer=True)  # exten|context|hold|call, BRIDGE|id|hold|call

    def _exit(self, e: QueueLogEvent) -> None:
        if not self._call_line(e):
            return
        self._queue(e.queue, e.time)
        wait = _seconds(e.data, 3 if e.event == "EXITWITHKEY" else 2)
        call = self._latest(e.callid, e.queue)
        if call is not None and call.ended_at is None and call.answered_at is not None:
            self._unmap(f"{e.event} for an answered call", e)
            return
        if call is not None and call.abandoned_at is not None:
            return  # it left already (the first exit wins)
        if call is None or call.ended_at is not None:
            if wait is None:
                self._unmap(f"{e.event} for a call never seen, without a wait time", e)
                return
            call = self._new_call(e, e.time - wait, entered=False)
        call.abandoned_at = call.ended_at = max(e.time, call.enqueued_at)
        self._show(call, e.time)

    def _call_line(self, e: QueueLogEvent) -> bool:
        """Whether a call's line names its call and queue (counted unmapped if not)."""
        if not _given(e.callid) or not _call_id(e.callid):
            self._unmap(f"{e.event} without a call id", e)
            return False
        if not _is_queue(e.queue):
            self._unmap(f"{e.event} without a queue", e)
            return False
        return True

    # -- agents -------------------------------------------------------------------------
    def _agent(self, e: QueueLogEvent) -> _Agent | None:
        if not _given(e.agent):
            return None
        member, aid = self._member(e.agent)
        if not aid:
            return None
        agent = self._agents.get(aid)
        if agent is None:
            agent = self._agents[aid] = _Agent(aid, text(member) or aid, since=e.time)
        return agent

    def _member(self, field: str) -> tuple[str, str]:
        """An agent field's member name and agent id (remembered: a floor has a few thousand)."""
        known = self._members.get(field)
        if known is None:
            if len(self._members) >= MEMO_MAX:
                self._members.clear()
            member = self.settings.member(field)
            known = self._members[field] = (member, agent_id(member))
        return known

    def _membership(self, agent: _Agent, qid: str, t: float, strong: bool) -> None:
        """An event of the agent in a queue: it serves it (a static member need never be
        added), and it is logged in: for sure (`strong`: rung, on a call) or if nothing says otherwise."""
        fact = agent.member.get(qid)
        if fact is None or (not fact[0] and t > fact[1]):
            agent.member[qid] = (True, t)
        if agent.present is None or (strong and not agent.present[0] and t > agent.present[1]):
            agent.present = (True, t)

    def _show_agent(self, agent: _Agent, t: float, same_pause: bool = False) -> None:
        """Writes the agent if its record changed. `same_pause`: a reason given to the pause
        under way (PAUSEREASON), so its time in the state runs on."""
        now = max(t, self.newest or t)
        current = agent.derive(now)
        if current != agent.current:
            named = same_pause and agent.current is not None and agent.current[::2] == current[::2]
            if not named:
                agent.since = max(agent.since, t)
            agent.current = current
        if not self.agents:
            return
        state, reason, iid = current
        data = {
            "name": agent.name,
            "team": self.settings.team(agent.name) or self.settings.default_team or "Floor",
            "state": state,
            "state_since": _iso(agent.since),
            "reason": reason,
            "queues": agent.queues(),
            "interaction_id": iid,
        }
        if not _same(agent.shown, data):
            agent.shown = data
            self._emit("agent", agent.aid, data, max(t, agent.since))

    def _end_wraps(self, now: float) -> None:
        """The wrap-ups ended by `now`, the first ended first (a heap: this runs every line)."""
        ends = self._wrap_ends
        while ends and ends[0][0] <= now:
            until, aid = heapq.heappop(ends)
            if self._wraps.get(aid) != until:
                continue  # a later call's wrap-up replaced it, or it was ended already
            del self._wraps[aid]
            agent = self._agents[aid]
            if agent.wrap_until == until:
                agent.wrap_until = agent.wrap_iid = None
                if agent.current is not None and agent.current[0] == "after_contact_work":
                    self._show_agent(agent, until)

    def _agent_line(self, e: QueueLogEvent) -> _Agent | None:
        agent = self._agent(e)
        if agent is None:
            self._unmap(f"{e.event} without an agent", e)
        return agent

    def _member_change(self, e: QueueLogEvent) -> None:
        agent = self._agent_line(e)
        if agent is None:
            return
        if not _is_queue(e.queue):
            self._unmap(f"{e.event} without a queue", e)
            return
        qid, t = self._queue(e.queue, e.time), e.time
        if not _newer(agent.member.get(qid), t):
            return  # a later line already says otherwise
        if e.event == "ADDMEMBER":
            agent.member[qid] = (True, t)
            if _newer(agent.present, t):
                agent.present = (True, t)
            paused = bool(e.data) and e.data[0].strip() == "PAUSED"
            self._set_pause(agent, qid, paused, None, t)
        else:
            agent.member[qid] = (False, t)
            if not agent.queues() and _newer(agent.present, t):
                agent.present = (False, t)
        self._show_agent(agent, t)

    def _set_pause(self, agent: _Agent, where: str, paused: bool, reason: str | None, t: float) -> None:
        targets = [where] if where != "*" else ["*", *agent.queues()]
        for q in targets:
            if _newer(agent.paused.get(q), t):
                agent.paused[q] = (paused, reason, t)
        everywhere = agent.paused.get("*")
        if not paused and where != "*" and everywhere is not None and everywhere[0] and t >= everywhere[2]:
            agent.paused["*"] = (False, None, t)  # takes calls in `where` again: no longer paused everywhere

    def _pause(self, e: QueueLogEvent) -> None:
        agent = self._agent_line(e)
        if agent is None:
            return
        paused = e.event in ("PAUSE", "PAUSEALL")
        reason = text(e.data[0]) if e.data and paused else None
        if e.event in ("PAUSEALL", "UNPAUSEALL") or not _is_queue(e.queue):
            where = "*"
        else:
            where = self._queue(e.queue, e.time)
            self._membership(agent, where, e.time, strong=False)
        if agent.present is None:
            agent.present = (True, e.time)  # a member pausing is logged in
        self._set_pause(agent, where, paused, reason or None, e.time)
        self._show_agent(agent, e.time)

    def _pause_reason(self, e: QueueLogEvent) -> None:
        agent = self._agent_line(e)
        if agent is None:
            return
        reason = text(e.data[0]) if e.data else ""
        if not reason:
            self._unmap("PAUSEREASON without a reason", e)
            return
        if _newer(agent.note, e.time):
            agent.note = (reason, e.time)
        self._show_agent(agent, e.time, same_pause=True)

    def _login(self, e: QueueLogEvent) -> None:
        agent = self._agent_line(e)
        if agent is None:
            return
        if _is_queue(e.queue):
            self._membership(agent, self._queue(e.queue, e.time), e.time, strong=False)
        if _newer(agent.present, e.time):
            agent.present = (e.event in ("AGENTLOGIN", "AGENTCALLBACKLOGIN"), e.time)
        self._show_agent(agent, e.time)

    def _ring(self, e: QueueLogEvent) -> None:
        """RINGNOANSWER, RINGCANCELED (rung: logged in), PENALTY, RINGINUSE (a member's
        settings): the agent serves the queue. Nothing of the call changes."""
        agent = self._agent_line(e)
        if agent is None:
            return
        if not _is_queue(e.queue):
            self._unmap(f"{e.event} without a queue", e)
            return
        strong = e.event in ("RINGNOANSWER", "RINGCANCELED")
        self._membership(agent, self._queue(e.queue, e.time), e.time, strong=strong)
        self._show_agent(agent, e.time)

    def _sweep(self, now: float) -> None:
        """Open calls with no line for STALE_S lost their end: ended then, outcome unknown
        (offered, in neither rate), so they neither wait on the screen nor stay in the state."""
        self._sweep_at = now + SWEEP_S
        for iid in [iid for iid in self._open.values() if iid in self._calls]:
            call = self._calls[iid]
            if call.seen >= now - STALE_S:
                continue
            self._unmapped.setdefault(f"call lost: no line for {STALE_S // 3600} h", []).append(call.iid)
            call.ended_at = max(call.seen, call.answered_at or call.enqueued_at)
            self._show(call, call.seen)
            agent = self._agents.get(call.agent_id or "")
            if agent is not None and agent.call is not None and agent.call[0] == iid:
                agent.call = (None, call.ended_at)
                self._show_agent(agent, call.ended_at)
        for callid, iid in list(self._open.items()):
            if iid not in self._calls:
                del self._open[callid]

    _HANDLERS: dict[str, Callable[[QueueLogMapper, QueueLogEvent], None]] = {
        "ENTERQUEUE": _enterqueue,
        "CONNECT": _connect,
        "COMPLETECALLER": _completed,
        "COMPLETEAGENT": _completed,
        "TRANSFER": _transfer,
        "BLINDTRANSFER": _transfer,
        "ATTENDEDTRANSFER": _transfer,
        "ABANDON": _exit,
        "EXITWITHTIMEOUT": _exit,
        "EXITWITHKEY": _exit,
        "EXITEMPTY": _exit,
        "WITHDRAW": _exit,
        "FULL": _refused,
        "JOINEMPTY": _refused,
        "ADDMEMBER": _member_change,
        "REMOVEMEMBER": _member_change,
        "PAUSE": _pause,
        "UNPAUSE": _pause,
        "PAUSEALL": _pause,
        "UNPAUSEALL": _pause,
        "PAUSEREASON": _pause_reason,
        "AGENTLOGIN": _login,
        "AGENTLOGOFF": _login,
        "AGENTCALLBACKLOGIN": _login,
        "AGENTCALLBACKLOGOFF": _login,
        "RINGNOANSWER": _ring,
        "RINGCANCELED": _ring,
        "PENALTY": _ring,
        "RINGINUSE": _ring,
    }


def _aid(mapper: QueueLogMapper, e: QueueLogEvent) -> str | None:
    return mapper._member(e.agent)[1] if _given(e.agent) else None
