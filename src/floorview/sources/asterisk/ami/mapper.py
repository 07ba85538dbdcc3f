"""AMI messages to feed changes: pure, no sockets (tests feed it messages).

What it keeps: each agent's facts per queue (paused, reason) and its device
state; each open call (waiting, or answered and not yet ended); the data it
last wrote per record, so a re-snapshot that finds nothing new writes nothing.

One call, one record, whichever Asterisk source reports it
-----------------------------------------------------------
The queue_log source (sources/asterisk/queue_log/) may read the same Asterisk.
Both use records.py: a call is `interaction_id(uniqueid, queue)` (AMI's caller
`Uniqueid` is queue_log's callid), an agent is its member name, a queue its
name, so a call both report is one record in the hub, never two. Its versions
come from the event's time (`version_at`), and every time is cut to the whole
second: queue_log stamps its lines with `time(NULL)`, whole seconds, and AMI's
`Timestamp` (manager.conf `timestampevents=yes`; else the time we read the
event) has microseconds. So the same event from both gives the same version
and the same times, and the hub keeps the first and ignores the second (a
version not above the stored one); a later event wins from whichever source.
Both write full records of the same shape (every interaction key, None where
unknown), so the one kept is whole, and make ids the feed takes the same way
(`feed_id`: printable ASCII, anything else percent-encoded, so the member
"Paty Marin" is the agent "Paty%20Marin" in both). tests/test_ami_source.py
feeds the queue_log mapper the lines Asterisk logs for a traced stream and
finds the same call records, versions included.

Where they may still differ: AMI's Timestamp and queue_log's time(NULL) are
taken microseconds apart, and on either side of a second's edge they give
versions a second apart: the later wins, the same state with its times one
second off, still one record. A customer's name: AMI has CallerIDName,
queue_log a caller name only from Asterisk 20.14; at equal versions the first
written stays.

A guess is written with the lowest version that passes ours (`Versions.next`
at time 0): a waiting call gone from a snapshot taken after a reconnect (it
was answered, abandoned or left while we were away: when, and how, AMI no
longer says) is ended at the snapshot's time, and the queue_log's report of
what really happened, being later than anything we wrote, replaces it.

Mapping
-------
- QueueParams: the queue's record (settings.queue_data).
- QueueMember / QueueMember* events: an agent, one record for all its queues.
  Device state (Status) 5 UNAVAILABLE, 4 INVALID, 0 UNKNOWN: offline; then
  in a call (InCall, or 2 INUSE, 3 BUSY, 7 RINGINUSE, 8 ONHOLD, or a call we
  saw it take): on_contact; then paused in every queue it serves: not_ready
  with the pause reason; else (1 NOT_INUSE, 6 RINGING: not yet on a contact)
  available. An agent in no queue is offline.
- QueueEntry, Join/QueueCallerJoin: a waiting call (`enqueued_at` = now - Wait
  for a snapshot's caller), its customer from CallerIDNum.
- AgentConnect: answered by the member; AgentComplete: ended (Reason
  `transfer` counts a transfer); QueueCallerAbandon: abandoned.
- Leave/QueueCallerLeave comes before AgentConnect for an answered call
  (app_queue.c's try_calling leaves the queue, then publishes AgentConnect),
  and alone for a caller who left by timeout, key or an empty queue. So a
  Leave is held `leave_grace_s`; not answered by then, the caller left the
  queue unanswered: abandoned_at and ended_at at the Leave, as the queue_log
  source maps EXITWITHTIMEOUT, EXITWITHKEY and EXITEMPTY (a caller the queue
  timed out is a call it failed, in service level and the abandon rate).
- Known events that change no record: AgentCalled, AgentRingNoAnswer,
  AgentDump, QueueMemberPenalty, QueueMemberRinginuse. Any other event is
  counted as unmapped ("unknown event", its name as the example), never fatal.
- After-contact work: AMI sends no event for it; as the queue_log source
  does, a call's end puts its agent in after_contact_work for its queue's
  `wrapup_s` (settings; the call's wrap_s), ended at its own time by the
  first event or tick past it.
- Customers: a caller's number (settings.customer_id) and CallerIDName make
  the customer record, named as the queue_log source names it (a name with
  no letter, or one that may hold a hashed number, is not taken).
- A call a snapshot no longer shows (see the guess above) is ended with
  ended_at alone: AMI cannot say whether it was answered or abandoned. An
  answered call whose agent is still in a call stays open (QueueStatus lists
  waiting callers, not calls in progress).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from floorview.sources.asterisk.ami.protocol import Message
from floorview.sources.asterisk.records import (
    Versions,
    agent_id,
    interaction_id,
    iso,
    queue_id,
    record_key,
    text,
)
from floorview.sources.asterisk.settings import AsteriskSettings
from floorview.sources.base import Change

LEAVE_GRACE_S = 2.0
RECENT_CALLS = 5000  # ended calls remembered (their entry count, their data for a late event)
CUSTOMERS_KEPT = 5000  # customers whose record was written (not written again)
EXAMPLE_MAX = 80

OFFLINE = frozenset({0, 4, 5})  # UNKNOWN, INVALID, UNAVAILABLE
IN_USE = frozenset({2, 3, 7, 8})  # INUSE, BUSY, RINGINUSE, ONHOLD
# Events that are understood and change no record.
NO_CHANGE = frozenset(
    {
        "AgentCalled",
        "AgentRingNoAnswer",
        "AgentDump",
        "QueueMemberPenalty",
        "QueueMemberRinginuse",
        "FullyBooted",
        "SuccessfulAuth",
        "ChallengeSent",
    }
)


def qid_of(name: str) -> str:
    return queue_id(name)


def iid_of(uniqueid: str, queue: str, entry: int = 1) -> str:
    return interaction_id(uniqueid, queue, entry)


@dataclass
class Agent:
    """What AMI has said of one member (one agent, all its queues)."""

    aid: str  # the agent id (feed_id of the member name)
    name: str  # the member name
    interface: str = ""
    status: int | None = None  # device state, the latest reported
    in_call: bool = False
    queues: dict[str, tuple[bool, str | None]] = field(default_factory=dict)  # Asterisk queue -> paused, reason
    interaction_id: str | None = None
    wrap_iid: str | None = None  # the call whose after-contact work it is in
    wrap_until: float | None = None
    shown: tuple[str, str | None, str | None] | None = None  # state, reason, interaction last derived
    since: float = 0.0


@dataclass
class Call:
    """An open call in a queue: waiting, or answered and not ended."""

    cid: str
    uniqueid: str
    queue: str
    data: dict[str, Any]
    left_at: float | None = None  # its Leave's time, held to see whether an AgentConnect follows
    left_seen: float | None = None  # when we read that Leave (our clock)


class Mapper:
    """AMI's snapshot and events to feed changes; its state outlives a connection."""

    def __init__(
        self,
        settings: AsteriskSettings,
        resume: object = None,
        leave_grace_s: float = LEAVE_GRACE_S,
    ) -> None:
        self.settings = settings
        self.leave_grace_s = leave_grace_s
        self.versions = Versions()
        self.agents: dict[str, Agent] = {}
        self.calls: dict[str, Call] = {}
        self.open: dict[tuple[str, str], str] = {}  # (uniqueid, queue) -> open call id
        self.entries: OrderedDict[tuple[str, str], int] = OrderedDict()  # (uniqueid, queue) -> entries so far
        self.by_interface: dict[str, str] = {}
        self.written: dict[str, dict[str, Any]] = {}  # record key -> the data last written
        # ended calls' last data and version (recent ones): a late event carries on from them
        self.closed: OrderedDict[str, tuple[dict[str, Any], int]] = OrderedDict()
        self.customers: OrderedDict[str, tuple[str, bool]] = OrderedDict()  # id -> (name written, a real name)
        self.unmapped: dict[str, list[str]] = {}
        self.newest: float | None = None  # the newest platform time mapped since `take_newest`
        self._restore(resume)

    # -- resume point ----------------------------------------------------------------
    def resume(self) -> dict[str, Any]:
        """Small: versions of open records and the open calls (AMI's state is read again on connect)."""
        calls = {
            c.cid: {"uniqueid": c.uniqueid, "queue": c.queue, "data": c.data, "left_at": c.left_at}
            for c in self.calls.values()
        }
        return {"versions": self.versions.state(), "calls": calls}

    def _restore(self, point: object) -> None:
        if not isinstance(point, dict):
            return
        self.versions = Versions.restore(point.get("versions"))
        for key in self.versions.state():
            kind, _, rid = key.partition("\x1f")
            if kind == "agent" and rid:
                self.agents[rid] = Agent(rid, unquote(rid))  # facts unknown until the snapshot
        calls = point.get("calls")
        for cid, c in (calls if isinstance(calls, dict) else {}).items():
            if not isinstance(c, dict) or not isinstance(c.get("data"), dict):
                continue
            uniqueid, queue = str(c.get("uniqueid", "")), str(c.get("queue", ""))
            left = c.get("left_at")
            call = Call(str(cid), uniqueid, queue, dict(c["data"]), left if isinstance(left, (int, float)) else None)
            self.calls[call.cid] = call
            self.open[(uniqueid, queue)] = call.cid
            talking = call.data.get("agent_id")
            if isinstance(talking, str) and talking in self.agents and call.data.get("answered_at"):
                self.agents[talking].interaction_id = call.cid
            entry = 1 if call.cid == iid_of(uniqueid, queue) else _int(call.cid.rpartition("#")[2]) or 1
            self.entries[(uniqueid, queue)] = max(entry, self.entries.get((uniqueid, queue), 0))

    # -- what the source reads back --------------------------------------------------
    def take_unmapped(self) -> dict[str, list[str]]:
        out, self.unmapped = self.unmapped, {}
        return out

    def take_newest(self) -> float | None:
        out, self.newest = self.newest, None
        return out

    def skip(self, reason: str, example: str) -> None:
        self.unmapped.setdefault(reason, []).append(text(example, EXAMPLE_MAX))

    # -- records ---------------------------------------------------------------------
    def _emit(
        self, out: list[Change], kind: str, rid: str, data: dict[str, Any], ts: float, guess: bool = False
    ) -> None:
        key = record_key(kind, rid)
        if self.written.get(key) == data:
            return
        version = self.versions.next(key, 0.0 if guess else ts)
        self.written[key] = dict(data)
        out.append({"kind": kind, "id": rid, "version": version, "op": "upsert", "data": dict(data)})

    def _queue(self, out: list[Change], name: str, ts: float) -> None:
        qid = qid_of(name)
        if qid:
            self._emit(out, "queue", qid, self.settings.queue_data(name), ts)

    def _customer(self, out: list[Change], caller: str, cidname: str, ts: float) -> str | None:
        """The caller's customer id; its record written when new or newly named (as queue_log names it)."""
        found = self.settings.customer(caller, cidname)
        if found is None:
            return None
        cid, name, real = found
        held = self.customers.pop(cid, None)
        if held is not None and (held[0] == name or (held[1] and not real)):
            self.customers[cid] = held  # written already, and never a real name for none
            return cid
        self.customers[cid] = (name, real)
        while len(self.customers) > CUSTOMERS_KEPT:
            self.customers.popitem(last=False)
        key = record_key("customer", cid)
        self.written.pop(key, None)
        self._emit(out, "customer", cid, {"name": name}, ts)
        self.written.pop(key, None)  # not kept: `customers` remembers it, the resume point stays small
        self.versions.forget(key)
        return cid

    def _member(self, name: str, interface: str) -> str:
        """A member's name: its MemberName, else its interface as `settings.members` maps it."""
        if name and name != interface:
            return text(self.settings.member(name))
        return text(self.settings.member(interface or name))

    def _agent_named(self, member: str, interface: str = "") -> Agent | None:
        aid = agent_id(member)
        if not aid:
            return None
        a = self.agents.get(aid)
        if a is None:
            a = self.agents[aid] = Agent(aid, member or aid, interface)
        elif a.name != member and member:
            a.name = member
        if interface:
            a.interface = interface
            self.by_interface[interface] = aid
        return a

    def _state(self, a: Agent, now: float) -> tuple[str, str | None, str | None]:
        """(state, reason, interaction) of an agent, as the module says."""
        if not a.queues or (a.status is not None and a.status in OFFLINE):
            return "offline", None, None
        if a.in_call or a.interaction_id is not None or (a.status is not None and a.status in IN_USE):
            return "on_contact", None, a.interaction_id
        paused = [a.queues[q] for q in sorted(a.queues)]
        if all(p for p, _ in paused):
            return "not_ready", next((r for _, r in paused if r), None), None
        if a.wrap_until is not None and now < a.wrap_until:
            return "after_contact_work", None, a.wrap_iid
        return "available", None, None

    def _agent(self, out: list[Change], a: Agent, ts: float, since: float | None = None) -> None:
        shown = self._state(a, ts)
        if shown != a.shown:
            a.shown, a.since = shown, min(ts, since) if since else ts
        state, reason, iid = shown
        data = {
            "name": a.name,
            "team": self.settings.team(a.name) or self.settings.default_team or "Floor",
            "state": state,
            "state_since": iso(a.since),
            "reason": reason,
            "queues": sorted({qid_of(q) for q in a.queues} - {""}),
            "interaction_id": iid,
        }
        self._emit(out, "agent", a.aid, data, ts)

    def _new_call(self, out: list[Change], uniqueid: str, queue: str, enqueued: float, m: Message) -> Call:
        key = (uniqueid, queue)
        entry = self.entries.pop(key, 0) + 1
        self.entries[key] = entry
        while len(self.entries) > RECENT_CALLS:
            self.entries.popitem(last=False)
        cid = iid_of(uniqueid, queue, entry)
        data: dict[str, Any] = {
            "queue_id": qid_of(queue),
            "channel": self.settings.queue(queue).channel,
            "customer_id": self._customer(out, m.get("CallerIDNum", ""), m.get("CallerIDName", ""), enqueued),
            "agent_id": None,
            "enqueued_at": iso(enqueued),
            "answered_at": None,
            "abandoned_at": None,
            "ended_at": None,
            "wrap_s": None,
            "transfers": 0,
        }
        call = Call(cid, uniqueid, queue, data)
        self.calls[cid] = call
        self.open[key] = cid
        return call

    def _call_of(self, uniqueid: str, queue: str) -> Call | None:
        cid = self.open.get((uniqueid, queue))
        return None if cid is None else self.calls.get(cid)

    def _late_call(self, uniqueid: str, queue: str) -> Call | None:
        """A call no longer held open (ended by a guess): its latest entry again."""
        entry = self.entries.get((uniqueid, queue))
        if entry is None:
            return None
        cid = iid_of(uniqueid, queue, entry)
        ended = self.closed.pop(cid, None)
        if ended is None:
            return None
        data, version = ended
        key = record_key("interaction", cid)
        self.written[key] = dict(data)
        self.versions.last[key] = max(version, self.versions.last.get(key, 0))
        call = Call(cid, uniqueid, queue, dict(data))
        self.calls[cid] = call
        self.open[(uniqueid, queue)] = cid
        return call

    def _close(self, call: Call) -> None:
        self.calls.pop(call.cid, None)
        if self.open.get((call.uniqueid, call.queue)) == call.cid:
            del self.open[(call.uniqueid, call.queue)]
        key = record_key("interaction", call.cid)
        self.closed[call.cid] = (self.written.pop(key, call.data), self.versions.last.get(key, 0))
        self.versions.forget(key)
        while len(self.closed) > RECENT_CALLS:
            self.closed.popitem(last=False)

    # -- the snapshot ------------------------------------------------------------------
    def snapshot(self, items: Sequence[Message], now: float) -> list[Change]:
        """A QueueStatus answer (its QueueParams, QueueMember and QueueEntry events) read at `now`.

        The snapshot is the truth: agents and calls we held that it no longer
        lists have gone (offline; ended, as a guess)."""
        t = float(math.floor(now))
        self._saw(t)
        out: list[Change] = []
        members: dict[str, Agent] = {}
        hints: dict[str, float] = {}
        waiting: set[str] = set()
        for m in items:
            name = m.event or ""
            queue = m.get("Queue", "")
            if name in ("QueueParams", "QueueMember", "QueueEntry") and not qid_of(queue):
                self.skip(f"{name} without Queue", name)
                continue
            if name == "QueueParams":
                self._queue(out, queue, t)
            elif name == "QueueMember":
                self._snapshot_member(m, queue, members, hints)
            elif name == "QueueEntry":
                cid = self._snapshot_entry(out, m, queue, t)
                if cid is not None:
                    waiting.add(cid)
            else:
                self.skip("unknown snapshot item", name or "(no Event)")
        for a in members.values():
            for q in a.queues:
                self._queue(out, q, t)
        # agents: the snapshot's facts, keeping what a snapshot cannot say (the call taken, the wrap-up)
        for aid in sorted(set(members) | set(self.agents)):
            new = members.get(aid)
            old = self.agents.get(aid)
            if new is None:  # no longer a member of any queue
                assert old is not None
                old.queues, old.in_call, old.interaction_id = {}, False, None
                self._agent(out, old, t)
                continue
            if old is not None:
                new.shown, new.since, new.wrap_iid, new.wrap_until = old.shown, old.since, old.wrap_iid, old.wrap_until
                if new.in_call or (new.status is not None and new.status in IN_USE):
                    new.interaction_id = old.interaction_id
            self.agents[aid] = new
            if new.interface:
                self.by_interface[new.interface] = aid
            self._agent(out, new, t, since=hints.get(aid) if self._state(new, t)[0] != "on_contact" else None)
        # calls we held open that the snapshot no longer shows
        for call in list(self.calls.values()):
            if call.cid in waiting:
                continue
            agent = self.agents.get(call.data.get("agent_id") or "")
            if call.data["answered_at"] is not None and agent is not None and agent.interaction_id == call.cid:
                continue  # still talking (the snapshot lists callers waiting, not calls in progress)
            if call.data["answered_at"] is None and call.left_at is not None:
                self._exit(out, call)  # it left the queue unanswered before we lost sight of it
                continue
            began = max(_epoch(call.data.get("answered_at")) or t, _epoch(call.data.get("enqueued_at")) or t)
            call.data["ended_at"] = iso(max(t, began))  # never before it began (clocks apart)
            self._emit(out, "interaction", call.cid, call.data, t, guess=True)
            self._close(call)
        return out

    def _snapshot_member(self, m: Message, queue: str, members: dict[str, Agent], hints: dict[str, float]) -> None:
        interface = m.first("Location", "Interface", "StateInterface")
        name = self._member(m.first("Name", "MemberName"), interface)
        aid = agent_id(name)
        if not aid:
            self.skip("QueueMember without a name", queue)
            return
        a = members.setdefault(aid, Agent(aid, name))
        a.interface = interface or a.interface
        status = _int(m.get("Status"))
        if status is not None:
            a.status = status
        a.in_call = a.in_call or m.get("InCall") == "1"
        paused = m.get("Paused") == "1"
        a.queues[queue] = (paused, (text(m.first("PausedReason", "Reason")) or None) if paused else None)
        # when its state began, as well as the snapshot can tell: not before its last call, pause or login
        times = [x for x in (_int(m.get(k)) for k in ("LastCall", "LastPause", "LoginTime")) if x and x > 0]
        if times:
            hints[aid] = max(hints.get(aid, 0.0), float(max(times)))

    def _snapshot_entry(self, out: list[Change], m: Message, queue: str, t: float) -> str | None:
        uniqueid = m.get("Uniqueid", "")
        if not text(uniqueid):
            self.skip("QueueEntry without Uniqueid", queue)
            return None
        self._queue(out, queue, t)
        call = self._call_of(uniqueid, queue)
        if call is None or call.data["answered_at"] is not None:
            wait = max(0, _int(m.get("Wait")) or 0)
            call = self._new_call(out, uniqueid, queue, t - wait, m)
            self._emit(out, "interaction", call.cid, call.data, t - wait)
        call.left_at = call.left_seen = None  # waiting still
        return call.cid

    # -- events ------------------------------------------------------------------------
    def event(self, m: Message, received: float) -> list[Change]:
        """One event read at `received` (our clock); its changes."""
        name = m.event or ""
        t = _event_time(m, received)
        out: list[Change] = []
        handler = _HANDLERS.get(name)
        if handler is None:
            if name not in NO_CHANGE:
                self.skip("unknown event", name or "(no Event)")
            return out
        self._saw(t)
        self._end_wraps(out, t)
        handler(self, m, t, received, out)
        return out

    def tick(self, now: float) -> list[Change]:
        """Time passing with no event: Leaves not followed by an AgentConnect within
        `leave_grace_s` (the caller left unanswered), wrap-ups that are over."""
        out: list[Change] = []
        for call in list(self.calls.values()):
            if call.left_seen is not None and call.left_at is not None and now - call.left_seen >= self.leave_grace_s:
                self._exit(out, call)
        self._end_wraps(out, now)
        return out

    def _end_wraps(self, out: list[Change], now: float) -> None:
        for a in self.agents.values():
            if a.wrap_until is not None and a.wrap_until <= now:
                until = a.wrap_until
                a.wrap_until = a.wrap_iid = None
                self._agent(out, a, until)

    def _saw(self, t: float) -> None:
        self.newest = t if self.newest is None else max(self.newest, t)

    def _exit(self, out: list[Change], call: Call) -> None:
        """The caller left the queue unanswered (timeout, key, empty queue): abandoned, as queue_log says."""
        assert call.left_at is not None
        call.data.update(abandoned_at=iso(call.left_at), ended_at=iso(call.left_at))
        self._emit(out, "interaction", call.cid, call.data, call.left_at)
        self._close(call)

    def _caller(self, m: Message, name: str) -> tuple[str, str] | None:
        uniqueid, queue = m.get("Uniqueid", ""), m.get("Queue", "")
        if not text(uniqueid) or not qid_of(queue):
            self.skip(f"{name} without Uniqueid or Queue", name)
            return None
        return uniqueid, queue

    def _join(self, m: Message, t: float, received: float, out: list[Change]) -> None:
        key = self._caller(m, m.event or "Join")
        if key is None:
            return
        uniqueid, queue = key
        call = self._call_of(uniqueid, queue)
        if call is not None and call.left_at is None and call.data["answered_at"] is None:
            return  # a Join we hold already
        if call is not None and call.left_at is not None and call.data["answered_at"] is None:
            self._exit(out, call)  # it left and came back: the first entry ended when it left
        self._queue(out, queue, t)
        call = self._new_call(out, uniqueid, queue, t, m)
        self._emit(out, "interaction", call.cid, call.data, t)

    def _leave(self, m: Message, t: float, received: float, out: list[Change]) -> None:
        key = self._caller(m, m.event or "Leave")
        if key is None:
            return
        call = self._call_of(*key)
        if call is None or call.data["answered_at"] is not None:
            return
        call.left_at, call.left_seen = t, received

    def _abandon(self, m: Message, t: float, received: float, out: list[Change]) -> None:
        key = self._caller(m, "QueueCallerAbandon")
        if key is None:
            return
        uniqueid, queue = key
        call = self._call_of(uniqueid, queue) or self._late_call(uniqueid, queue)
        if call is None:
            self._queue(out, queue, t)
            call = self._new_call(out, uniqueid, queue, t - (_int(m.first("HoldTime", "Holdtime")) or 0), m)
        call.data.update(abandoned_at=iso(t), ended_at=iso(t))
        self._emit(out, "interaction", call.cid, call.data, t)
        self._close(call)

    def _agent_of(self, m: Message) -> Agent | None:
        interface = m.first("Interface", "Member", "Location")
        return self._agent_named(self._member(m.first("MemberName", "Name"), interface), interface)

    def _connect(self, m: Message, t: float, received: float, out: list[Change]) -> None:
        key = self._caller(m, "AgentConnect")
        if key is None:
            return
        a = self._agent_of(m)
        if a is None:
            self.skip("AgentConnect without MemberName", "AgentConnect")
            return
        uniqueid, queue = key
        call = self._call_of(uniqueid, queue) or self._late_call(uniqueid, queue)
        if call is None:
            self._queue(out, queue, t)
            call = self._new_call(out, uniqueid, queue, t - (_int(m.first("HoldTime", "Holdtime")) or 0), m)
        call.left_at = call.left_seen = None
        call.data.update(answered_at=iso(t), agent_id=a.aid, abandoned_at=None, ended_at=None)
        self._emit(out, "interaction", call.cid, call.data, t)
        a.queues.setdefault(queue, (False, None))
        a.interaction_id, a.in_call = call.cid, True
        a.wrap_iid = a.wrap_until = None
        self._agent(out, a, t)

    def _complete(self, m: Message, t: float, received: float, out: list[Change]) -> None:
        key = self._caller(m, "AgentComplete")
        if key is None:
            return
        a = self._agent_of(m)
        uniqueid, queue = key
        call = self._call_of(uniqueid, queue) or self._late_call(uniqueid, queue)
        if call is None:  # answered before we could see it
            talk = _int(m.get("TalkTime")) or 0
            hold = _int(m.first("HoldTime", "Holdtime")) or 0
            self._queue(out, queue, t)
            call = self._new_call(out, uniqueid, queue, t - talk - hold, m)
            call.data["answered_at"] = iso(t - talk)
        if a is not None and call.data["agent_id"] is None:
            call.data["agent_id"] = a.aid
        call.data["ended_at"] = iso(t)
        if m.get("Reason", "").strip().lower() == "transfer":
            call.data["transfers"] = int(call.data.get("transfers") or 0) + 1
        wrap = self.settings.queue(queue).wrapup_s
        if wrap > 0:
            call.data["wrap_s"] = float(wrap)
        self._emit(out, "interaction", call.cid, call.data, t)
        self._close(call)
        if a is not None:
            if a.interaction_id == call.cid:
                a.interaction_id = None
            a.in_call = False
            if a.status is not None and a.status in IN_USE:
                a.status = 1  # the device's own state change may not be sent (Asterisk 11, eventmemberstatus=no)
            if wrap > 0:
                a.wrap_iid, a.wrap_until = call.cid, t + wrap
            self._agent(out, a, t)

    def _member_event(self, m: Message, t: float, received: float, out: list[Change]) -> None:
        name = m.event or ""
        a = self._agent_of(m)
        if a is None:
            self.skip(f"{name} without MemberName", name)
            return
        queue = m.get("Queue", "")
        status = _int(m.get("Status"))
        if status is not None:
            a.status = status
        if "InCall" in m:
            a.in_call = m.get("InCall") == "1"
        if name == "QueueMemberRemoved":
            a.queues.pop(queue, None)
        else:
            targets = [queue] if qid_of(queue) else list(a.queues)  # a pause without Queue: all of its queues
            for q in targets:
                paused, reason = a.queues.get(q, (False, None))
                if "Paused" in m:
                    paused = m.get("Paused") == "1"
                    reason = (text(m.first("PausedReason", "Reason")) or None) if paused else None
                a.queues[q] = (paused, reason if paused else None)
                self._queue(out, q, t)
        self._agent(out, a, t)

    def _agent_login(self, m: Message, t: float, received: float, out: list[Change]) -> None:
        """chan_agent (Agentlogin, before 12) and app_agent_pool (AgentLogin): the member Agent/<id>."""
        number = m.get("Agent", "")
        if not text(number):
            self.skip(f"{m.event} without Agent", m.event or "")
            return
        interface = number if "/" in number else f"Agent/{number}"
        aid = self.by_interface.get(interface)
        a = self.agents.get(aid) if aid else self._agent_named(text(self.settings.member(interface)), interface)
        if a is None:
            self.skip(f"{m.event} without Agent", m.event or "")
            return
        a.status = 5 if (m.event or "").lower() == "agentlogoff" else 1
        if a.status == 5:
            a.in_call, a.interaction_id = False, None
        self._agent(out, a, t)


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip().split(".")[0])
    except ValueError:
        return None


def _epoch(value: object) -> float | None:
    """A feed timestamp we wrote (iso) back to epoch seconds."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _event_time(m: Message, received: float) -> float:
    """The event's time in whole seconds: its Timestamp if Asterisk sent one, else when we read it."""
    ts = received
    stamp = m.get("Timestamp")
    if stamp:
        try:
            value = float(stamp)
        except ValueError:
            value = math.nan
        if math.isfinite(value) and value > 0:
            ts = value
    return float(math.floor(ts))


_HANDLERS = {
    "Join": Mapper._join,
    "QueueCallerJoin": Mapper._join,
    "Leave": Mapper._leave,
    "QueueCallerLeave": Mapper._leave,
    "QueueCallerAbandon": Mapper._abandon,
    "AgentConnect": Mapper._connect,
    "AgentComplete": Mapper._complete,
    "QueueMemberStatus": Mapper._member_event,
    "QueueMemberAdded": Mapper._member_event,
    "QueueMemberRemoved": Mapper._member_event,
    "QueueMemberPaused": Mapper._member_event,
    "QueueMemberPause": Mapper._member_event,
    "Agentlogin": Mapper._agent_login,
    "AgentLogin": Mapper._agent_login,
    "Agentlogoff": Mapper._agent_login,
    "AgentLogoff": Mapper._agent_login,
}
