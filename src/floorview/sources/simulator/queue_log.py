"""The simulated floor written as an Asterisk queue_log (13+ format), so the
queue_log source can be run, and tested, on a floor whose figures are known.

`QueueLogWriter.lines(changes)` turns a batch of the floor's changes
(`Floor.advance`) into the lines Asterisk would have written for them,
oldest first:

- a contact: ENTERQUEUE when it arrives (`|caller|1`); CONNECT when answered
  (holdtime, the member's channel, ring time 0); at its end COMPLETECALLER
  (holdtime, calltime, origpos), or BLINDTRANSFER when the floor transferred
  it; ABANDON when the caller gave up (position, original position, wait);
- an agent: ADDMEMBER to each of its queues when it logs in and
  REMOVEMEMBER when it logs out, by its interface `PJSIP/<id>` (as Asterisk
  logs them unless log_membername_as_agent); PAUSEALL and a PAUSE per queue
  with the reason when it goes not ready, UNPAUSEALL and an UNPAUSE per
  queue when it comes back. Its member name, in every other line, is its
  name and id ("Alex Baker (a-0001)": names on the floor can repeat).

Times are whole seconds, as Asterisk's file has them, and the durations in
a line are the differences of those whole seconds, so a call rebuilt from
its CONNECT or COMPLETE agrees with its ENTERQUEUE. What Asterisk has no
line for is not written: wrap-up (after_contact_work), surveys, notes. A
batch holds each record as it ends the batch, so an agent's states in
between (a break begun and ended within one batch) are not seen: advance
the floor in steps of a minute or less.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

# Lines at one second in the order Asterisk writes them: a member is added or
# unpaused before it is connected, a call enters before it is answered, ends
# before its agent pauses or is removed.
_ORDER = {"ADDMEMBER": 0, "UNPAUSEALL": 1, "UNPAUSE": 1, "ENTERQUEUE": 2, "CONNECT": 3, "END": 4, "PAUSE": 5}
_REMOVE = 6
FINISHED_KEPT = 10_000  # contacts whose end is written: the floor sends one again at its wrap-up's end


def _ts(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def _sec(value: str) -> int:
    return int(_ts(value))


class QueueLogWriter:
    """Writes the floor's batches of changes as queue_log lines."""

    def __init__(self) -> None:
        self._written: dict[str, set[str]] = {}  # interaction -> its lines written (ENTERQUEUE, CONNECT, END)
        self._finished: dict[str, None] = {}  # interactions whose end is written, oldest first
        self._members: dict[str, list[str]] = {}  # agent logged in -> its queues
        self._paused: dict[str, tuple[int, str | None]] = {}  # agent paused -> (since, reason)
        self._names: dict[str, str] = {}  # agent id -> member name

    def member(self, aid: str) -> str:
        """The member name the log gives agent `aid`."""
        return self._names.get(aid, aid)

    def members(self) -> dict[str, str]:
        """Interface -> member name, for every agent written so far (the site's `members` setting)."""
        return {f"PJSIP/{aid}": name for aid, name in self._names.items()}

    def lines(self, changes: Iterable[Mapping[str, Any]]) -> list[str]:
        out: list[tuple[int, int, int, str]] = []  # (second, order at that second, arrival, line)
        for change in changes:
            data = change.get("data")
            if change.get("op") != "upsert" or not isinstance(data, dict):
                continue
            if change.get("kind") == "agent":
                self._agent(str(change["id"]), data, out)
            elif change.get("kind") == "interaction":
                self._contact(str(change["id"]), data, out)
        out.sort(key=lambda row: row[:3])
        return [row[3] for row in out]

    def _add(self, out: list[tuple[int, int, int, str]], t: int, order: int, *fields: str) -> None:
        out.append((t, order, len(out), f"{t}|" + "|".join(fields)))

    def _contact(self, iid: str, it: Mapping[str, Any], out: list[tuple[int, int, int, str]]) -> None:
        if iid in self._finished:
            return
        done = self._written.setdefault(iid, set())
        queue = str(it["queue_id"])
        enq = _sec(it["enqueued_at"])
        callid = f"{enq}.{iid.rsplit('-', 1)[-1].lstrip('0') or '0'}"
        if "ENTERQUEUE" not in done:
            done.add("ENTERQUEUE")
            customer = str(it.get("customer_id") or "")
            digits = "".join(ch for ch in customer if ch.isdigit())
            caller = f"+1555{digits[-7:]:0>7}" if digits else ""
            self._add(out, enq, _ORDER["ENTERQUEUE"], callid, queue, "NONE", "ENTERQUEUE", "", caller, "1")
        agent = self.member(str(it.get("agent_id") or "NONE"))
        if it.get("answered_at") is not None and "CONNECT" not in done:
            done.add("CONNECT")
            ans = _sec(it["answered_at"])
            channel = f"PJSIP/{it.get('agent_id')}-{iid}"
            self._add(out, ans, _ORDER["CONNECT"], callid, queue, agent, "CONNECT", str(ans - enq), channel, "0")
        if it.get("ended_at") is None or "END" in done:
            return
        done.add("END")
        end = _sec(it["ended_at"])
        if it.get("answered_at") is not None:
            hold, talk = str(_sec(it["answered_at"]) - enq), str(end - _sec(it["answered_at"]))
            fields: tuple[str, ...]
            if it.get("transfers"):
                fields = ("BLINDTRANSFER", "2000", "from-internal", hold, talk, "1")
            else:
                fields = ("COMPLETECALLER", hold, talk, "1")
            self._add(out, end, _ORDER["END"], callid, queue, agent, *fields)
        else:
            self._add(out, end, _ORDER["END"], callid, queue, "NONE", "ABANDON", "1", "1", str(end - enq))
        del self._written[iid]  # nothing more is written for it
        self._finished[iid] = None
        if len(self._finished) > FINISHED_KEPT:
            del self._finished[next(iter(self._finished))]

    def _agent(self, aid: str, a: Mapping[str, Any], out: list[tuple[int, int, int, str]]) -> None:
        name = self._names.setdefault(aid, f"{a.get('name') or aid} ({aid})")
        since = _sec(a["state_since"])
        state = a.get("state")
        queues = [str(q) for q in a.get("queues") or ()]
        paused = self._paused.get(aid)
        if paused is not None and (state != "not_ready" or paused != (since, a.get("reason"))):
            del self._paused[aid]
            if state != "not_ready":  # back (or gone): a reason change is a new PAUSE alone
                self._add(out, since, _ORDER["UNPAUSEALL"], "NONE", "NONE", name, "UNPAUSEALL", "")
                for q in self._members.get(aid, queues):
                    self._add(out, since, _ORDER["UNPAUSE"], "NONE", q, name, "UNPAUSE", "")
        if state == "offline":
            for q in self._members.pop(aid, []):
                self._add(out, since, _REMOVE, "MANAGER", q, f"PJSIP/{aid}", "REMOVEMEMBER", "")
            return
        if aid not in self._members:
            self._members[aid] = queues
            for q in queues:
                self._add(out, since, _ORDER["ADDMEMBER"], "MANAGER", q, f"PJSIP/{aid}", "ADDMEMBER", "")
        if state == "not_ready" and aid not in self._paused:
            reason = a.get("reason")
            self._paused[aid] = (since, reason)
            self._add(out, since, _ORDER["PAUSE"], "NONE", "NONE", name, "PAUSEALL", str(reason or ""))
            for q in self._members[aid]:
                self._add(out, since, _ORDER["PAUSE"], "NONE", q, name, "PAUSE", str(reason or ""))
