"""A seeded discrete-event simulation of a contact-center floor.

Contacts arrive per queue as a Poisson process whose rate follows the time
of day in the queue's zone; handle times are lognormal; callers have
exponential patience and abandon when it runs out; agents work shifts,
take breaks and lunch (not ready, with reasons) and move through available,
on contact and after-contact work. Routing is longest-idle agent first,
oldest contact first.

`Floor.advance(t)` runs the floor to time `t` and returns the records that
changed since the last call, as feed changes with rising versions. The same
seed and the same calls give the same floor, change for change.

`Floor.remaining_customers()` (once the floor has caught up to now) sends the
customers not met yet, then the customers' past: contacts over the 90 days
before the floor's first moment and the surveys some answered, so a customer's
card has a history and the recovery rules that reach back (hang-ups within a
week, a return within 72 hours) have something to find.
"""

from __future__ import annotations

import heapq
import math
import random
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from floorview.sources.simulator.floorplan import (
    PROFILE,
    REASONS,
    SITE_TZ,
    AgentPlan,
    FloorPlan,
    QueuePlan,
    make_plan,
)

VERBATIMS_GOOD = (
    "Sorted in one call, thank you.",
    "Friendly and knew exactly what to do.",
    "Quick answer, clear explanation.",
    "Finally someone who listened.",
    "Kept every promise made on the call.",
)
VERBATIMS_BAD = (
    "Waited far too long to get through.",
    "Transferred three times and still no answer.",
    "Was promised a call back that never came.",
    "The agent did not seem to know the product.",
    "Felt like a script, not a conversation.",
)
NOTE_BODIES = {
    "quality": "Listened to call {i}: good empathy; confirm the fix before closing.",
    "cost": "Hold and wrap time above team average; practise the billing shortcut.",
    "time": "Answer faster after wrap; set status to available promptly.",
    "risk": "Missed identity verification on call {i}; review the checklist.",
}
SEGMENTS = ("consumer", "consumer", "consumer", "small business", "enterprise")


HISTORY_DAYS = 90  # the customers' past contacts reach this far back from the floor's first moment
HISTORY_CUSTOMERS = 5000  # the customers who may have a past (a large floor's first; the small floor's all)


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat().replace("+00:00", "Z")


def _ts(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def _answers(r: random.Random, mood: float, cid: str, iid: str | None, at: float) -> dict[str, Any]:
    """A survey's answers from a customer's mood (0..1, before noise): scores, trust and its
    three legs, and now and then a verbatim to match."""
    mood = max(0.0, min(1.0, mood + r.gauss(0, 0.15)))
    return {
        "customer_id": cid,
        "interaction_id": iid,
        "answered_at": at,
        "nps": round(mood * 10),
        "csat": 1 + round(mood * 4),
        "ces": 7 - round(mood * 6),
        "trust": "yes" if mood > 0.65 else ("sometimes" if mood > 0.4 else "no"),
        "sincerity": max(1, min(5, round(1 + mood * 4 + r.gauss(0, 0.6)))),
        "competence": max(1, min(5, round(1 + mood * 4 + r.gauss(0, 0.6)))),
        "reliability": max(1, min(5, round(1 + mood * 4 + r.gauss(0, 0.6)))),
        "verbatim": r.choice(VERBATIMS_GOOD if mood > 0.5 else VERBATIMS_BAD) if r.random() < 0.5 else None,
    }


@dataclass(slots=True)
class AgentState:
    """An agent on the simulated floor, as it stands now."""

    plan: AgentPlan
    state: str
    state_since: float
    reason: str | None = None
    interaction_id: str | None = None
    # What to do when the current contact is done: log out, or go not ready (reason, seconds).
    after: str | tuple[str, float] | None = None


class Floor:
    def __init__(self, seed: int, start: float, scale: str = "small", site_tz: str = SITE_TZ) -> None:
        self.rng = random.Random(seed)
        self.seed, self.start = seed, start
        self.plan: FloorPlan = make_plan(self.rng, scale, site_tz)
        self.t = start
        self._history_sent = False
        frequent = max(1, self.plan.customers // 50)
        self._returning = [k for k in range(frequent, min(self.plan.customers, HISTORY_CUSTOMERS)) if self._past(k)[1]]
        self._events: list[tuple[float, int, str, object]] = []
        self._seq = 0
        self.versions: dict[tuple[str, str], int] = {}
        self._dirty: dict[tuple[str, str], None] = {}
        self.queues = {q.id: q for q in self.plan.queues}
        self.waiting: dict[str, deque[str]] = {q.id: deque() for q in self.plan.queues}
        self.interactions: dict[str, dict[str, Any]] = {}
        self.customers: dict[str, dict[str, Any]] = {}
        self.surveys: dict[str, dict[str, Any]] = {}
        self.notes: dict[str, dict[str, Any]] = {}
        self._next_interaction = 0
        self._site = ZoneInfo(site_tz)
        self._zones = {z: ZoneInfo(z) for z in {site_tz, *(q.timezone for q in self.plan.queues)}}
        self.agents = {a.id: AgentState(a, "offline", start) for a in self.plan.agents}
        self._skilled: dict[str, list[str]] = {}  # queue -> agents who serve it
        for a in self.plan.agents:
            for qid in a.queues:
                self._skilled.setdefault(qid, []).append(a.id)
        for q in self.plan.queues:
            self._dirty[("queue", q.id)] = None
            self._schedule_arrival(q.id)
        for aid, agent in self.agents.items():
            self._dirty[("agent", aid)] = None
            self._schedule_day(aid, start)
        self._schedule(start + 600, "notes", None)

    # -- scheduling ------------------------------------------------------------
    def _schedule(self, at: float, kind: str, payload: object) -> None:
        self._seq += 1
        heapq.heappush(self._events, (at, self._seq, kind, payload))

    def _rate(self, queue_id: str, at: float) -> float:
        q = self.queues[queue_id]
        hour = datetime.fromtimestamp(at, self._zones[q.timezone]).hour
        return q.peak_per_hour * PROFILE[hour] / 3600 if q.open_at(hour) else 0.0  # closed: nobody gets through

    def _schedule_arrival(self, queue_id: str) -> None:
        # Thinning: candidates at the peak rate, kept with probability rate/peak.
        peak = self.queues[queue_id].peak_per_hour / 3600
        at = self.t
        while True:
            at += self.rng.expovariate(peak)
            if self.rng.random() * peak <= self._rate(queue_id, at):
                break
        self._schedule(at, "arrive", queue_id)

    def _schedule_day(self, aid: str, after: float) -> None:
        """Shift start, breaks, lunch and shift end for the next shift after `after`
        (in the agent's zone: that of the callers of their home queue)."""
        plan = self.agents[aid].plan
        zone = self._zones[plan.timezone]
        local = datetime.fromtimestamp(after, zone)
        day = datetime(local.year, local.month, local.day, tzinfo=zone)
        start = (day + timedelta(hours=plan.shift_start_h)).timestamp()
        if start + 3600 * plan.shift_hours <= after:
            start = (day + timedelta(days=1, hours=plan.shift_start_h)).timestamp()
        jitter = self.rng.uniform(-300, 300)
        start = max(after, start + jitter)
        self._schedule(start, "login", aid)
        lunch = plan.lunch_h
        for offset_h, reason, minutes in (
            (lunch - 2.0, "break", 15),
            (lunch, "lunch", 30),
            (lunch + 2.25, "break", 15),
        ):
            at = start + offset_h * 3600 + self.rng.uniform(-600, 600)
            self._schedule(at, "not_ready", (aid, reason, minutes * 60))
        if self.rng.random() < 0.25:
            at = start + self.rng.uniform(1, 7) * 3600
            reason = self.rng.choice(REASONS[2:])
            self._schedule(at, "not_ready", (aid, reason, self.rng.uniform(10, 45) * 60))
        self._schedule(start + plan.shift_hours * 3600, "logout", aid)

    # -- the run ---------------------------------------------------------------
    def advance(self, to: float) -> list[dict[str, Any]]:
        """Run the floor up to `to` and return the changes since the last call."""
        while self._events and self._events[0][0] <= to:
            at, _, kind, payload = heapq.heappop(self._events)
            self.t = at
            getattr(self, f"_on_{kind}")(payload)
        self.t = max(self.t, to)
        return list(self._drain())

    def _drain(self) -> Iterator[dict[str, Any]]:
        dirty, self._dirty = self._dirty, {}
        for key in dirty:
            kind, rid = key
            version = self.versions.get(key, 0) + 1
            self.versions[key] = version
            yield {"kind": kind, "id": rid, "version": version, "op": "upsert", "data": self.data(kind, rid)}
            if kind == "interaction" and self.interactions[rid]["done"]:
                del self.interactions[rid]  # final: nothing more will change

    def _touch(self, kind: str, rid: str) -> None:
        self._dirty[(kind, rid)] = None

    # -- events ----------------------------------------------------------------
    def _on_arrive(self, queue_id: str) -> None:
        self._schedule_arrival(queue_id)
        q = self.queues[queue_id]
        self._next_interaction += 1
        iid = f"i-{self._next_interaction:08d}"
        self.interactions[iid] = {
            "queue_id": queue_id,
            "channel": q.channel,
            "customer_id": self._pick_customer(),
            "agent_id": None,
            "enqueued_at": self.t,
            "answered_at": None,
            "abandoned_at": None,
            "ended_at": None,
            "wrap_s": None,
            "transfers": 0,
            "resolved": None,
            "qa_score": None,
            "done": False,
        }
        self._touch("interaction", iid)
        agent = self._idle_agent(queue_id)
        if agent is not None:
            self._answer(agent, iid)
            return
        self.waiting[queue_id].append(iid)
        if q.patience_mean_s:
            self._schedule(self.t + self.rng.expovariate(1 / q.patience_mean_s), "abandon", iid)

    def _on_abandon(self, iid: str) -> None:
        it = self.interactions.get(iid)
        if it is None or it["answered_at"] is not None or it["abandoned_at"] is not None:
            return
        it["abandoned_at"] = self.t
        it["ended_at"] = self.t
        it["done"] = True
        self.waiting[it["queue_id"]].remove(iid)
        self._touch("interaction", iid)

    def _on_talk_end(self, aid: str) -> None:
        iid = self._contact_of(aid)
        it = self.interactions[iid]
        q = self.queues[it["queue_id"]]
        it["ended_at"] = self.t
        wrap = self.rng.lognormvariate(math.log(q.aht_mean_s * 0.16), 0.5)
        it["wrap_s"] = round(wrap, 1)
        it["resolved"] = self.rng.random() < (0.6 if it["transfers"] else 0.84)
        if self.rng.random() < 0.08:
            it["qa_score"] = round(max(0.0, min(100.0, self.rng.gauss(83, 9))), 1)
        self._touch("interaction", iid)
        self._set_state(aid, "after_contact_work")
        self._schedule(self.t + wrap, "wrap_end", aid)

    def _on_wrap_end(self, aid: str) -> None:
        a = self.agents[aid]
        iid = self._contact_of(aid)
        it = self.interactions[iid]
        it["done"] = True
        self._touch("interaction", iid)
        if self.rng.random() < 0.12:
            self._survey(iid, it)
        a.interaction_id = None
        after, a.after = a.after, None
        if after == "logout":
            self._set_state(aid, "offline")
            self._schedule_day(aid, self.t + 3600)
        elif isinstance(after, tuple):  # not ready, once the contact is done
            reason, seconds = after
            self._start_not_ready(aid, reason, seconds)
        else:
            self._become_available(aid)

    def _on_login(self, aid: str) -> None:
        self._become_available(aid)

    def _on_logout(self, aid: str) -> None:
        a = self.agents[aid]
        if a.state in ("on_contact", "after_contact_work"):
            a.after = "logout"
            return
        self._set_state(aid, "offline")
        self._schedule_day(aid, self.t + 3600)

    def _on_not_ready(self, payload: tuple[str, str, float]) -> None:
        aid, reason, seconds = payload
        a = self.agents[aid]
        if a.state == "offline":
            return
        if a.state in ("on_contact", "after_contact_work"):
            a.after = (reason, seconds)
            return
        if a.state == "available":
            self._start_not_ready(aid, reason, seconds)

    def _on_ready(self, aid: str) -> None:
        if self.agents[aid].state == "not_ready":
            self._become_available(aid)

    def _on_notes(self, _payload: object) -> None:
        """A team lead writes a coaching note or a kudos now and then."""
        self._schedule(self.t + self.rng.expovariate(1 / 900), "notes", None)
        working = [aid for aid, a in self.agents.items() if a.state != "offline"]
        if not working:
            return
        aid = self.rng.choice(working)
        self._note(aid, self.t)

    # -- helpers ---------------------------------------------------------------
    def _set_state(self, aid: str, state: str, reason: str | None = None) -> None:
        a = self.agents[aid]
        a.state, a.state_since, a.reason = state, self.t, reason
        self._touch("agent", aid)

    def _contact_of(self, aid: str) -> str:
        """The contact the agent is on (talk and wrap end only come to an agent on one)."""
        iid = self.agents[aid].interaction_id
        assert iid is not None, f"{aid} is on no contact"
        return iid

    def _start_not_ready(self, aid: str, reason: str, seconds: float) -> None:
        self._set_state(aid, "not_ready", reason)
        self._schedule(self.t + seconds, "ready", aid)

    def _idle_agent(self, queue_id: str) -> str | None:
        best, since = None, math.inf
        for aid in self._skilled.get(queue_id, ()):
            a = self.agents[aid]
            if a.state == "available" and a.state_since < since:
                best, since = aid, a.state_since
        return best

    def _become_available(self, aid: str) -> None:
        # The oldest waiting contact among the agent's queues, if any.
        oldest, where = None, None
        for qid in self.agents[aid].plan.queues:
            line = self.waiting[qid]
            if line and (oldest is None or self.interactions[line[0]]["enqueued_at"] < oldest):
                oldest, where = self.interactions[line[0]]["enqueued_at"], qid
        if where is not None:
            self._answer(aid, self.waiting[where].popleft())
        else:
            self._set_state(aid, "available")

    def _answer(self, aid: str, iid: str) -> None:
        it = self.interactions[iid]
        q = self.queues[it["queue_id"]]
        it["answered_at"] = self.t
        it["agent_id"] = aid
        talk = self.rng.lognormvariate(math.log(q.aht_mean_s * 0.65), 0.55)
        if self.rng.random() < 0.07:
            it["transfers"] = 1 + (self.rng.random() < 0.2)
            talk *= 1.0 + 0.4 * it["transfers"]
        self._touch("interaction", iid)
        a = self.agents[aid]
        a.interaction_id = iid
        self._set_state(aid, "on_contact")
        self._schedule(self.t + talk, "talk_end", aid)

    def _pick_customer(self) -> str:
        n = self.plan.customers
        # One contact in ten comes from a small set of frequent callers: repeats happen
        # (a fifth made half of Billing's contacts repeats within 72 hours, each of the
        # hundred calling six times a day); another fifth from the customers in touch
        # over the last months (those with a past).
        draw = self.rng.random()
        if draw < 0.1:
            k = self.rng.randrange(max(1, n // 50))
        elif draw < 0.3 and self._returning:
            k = self.rng.choice(self._returning)
        else:
            k = self.rng.randrange(n)
        cid = f"c-{k + 1:07d}"
        if cid not in self.customers and ("customer", cid) not in self.versions:
            self.customers[cid] = self._customer(k)
            self._touch("customer", cid)
        return cid

    def _customer(self, k: int) -> dict[str, Any]:
        r = random.Random(k * 7919 + 17)  # a customer looks the same whenever first met
        since = datetime(2026, 11, 22) - timedelta(days=r.randrange(20, 3000))
        return {
            "name": f"{r.choice(FIRST_NAMES)} {r.choice(LAST_NAMES)}",
            "segment": r.choice(SEGMENTS),
            "since": since.date().isoformat(),
            "behavior": {
                "logins_30d": r.randrange(0, 40),
                "active_days_30d": r.randrange(0, 31),
                "products": r.randrange(1, 6),
                "upgrades_90d": r.choice((0, 0, 0, 1, 2)),
                "support_contacts_30d": r.randrange(0, 6),
                "community_posts_30d": r.choice((0, 0, 0, 1, 3)),
                "usage_trend": round(r.uniform(-1, 1), 2),
            },
        }

    def _survey(self, iid: str, it: dict[str, Any]) -> None:
        r = self.rng
        wait = it["answered_at"] - it["enqueued_at"]
        mood = 0.75 + (0.15 if it["resolved"] else -0.35) - min(0.4, wait / 900) - 0.1 * it["transfers"]
        sid = f"s-{iid[2:]}"
        self.surveys[sid] = _answers(r, mood, it["customer_id"], iid, self.t + r.uniform(60, 1800))
        self._touch("survey", sid)

    def _note(self, aid: str, at: float) -> None:
        r = self.rng
        plan = self.agents[aid].plan
        nid = f"n-{len(self.notes) + 1:06d}"
        kudos = r.random() < 0.25
        topic = r.choices(("cost", "time", "quality", "risk"), (0.45, 0.2, 0.25, 0.1))[0]
        self.notes[nid] = {
            "agent_id": aid,
            "author": self.plan.teams[plan.team],
            "created_at": at,
            "updated_at": at,
            "type": "kudos" if kudos else "coaching",
            "topic": topic,
            "adkar": None if kudos else r.choice(("awareness", "desire", "knowledge", "ability", "reinforcement")),
            "follow_up_on": None
            if kudos
            else (datetime.fromtimestamp(at, self._site).date() + timedelta(days=r.choice((1, 3, 7)))).isoformat(),
            "visibility": "private" if r.random() < 0.3 else "team",
            "body": "Great save on a tough call today." if kudos else NOTE_BODIES[topic].format(i=r.randrange(1, 99)),
        }
        self._touch("note", nid)

    def remaining_customers(self) -> Iterator[dict[str, Any]]:
        """The rest of the customer base: those no contact has brought in yet; then,
        once, what the customers did before the floor's first moment (`history`)."""
        for k in range(self.plan.customers):
            cid = f"c-{k + 1:07d}"
            if ("customer", cid) not in self.versions:
                self.versions[("customer", cid)] = 1
                yield {"kind": "customer", "id": cid, "version": 1, "op": "upsert", "data": self._customer(k)}
        if self._history_sent:
            return
        self._history_sent = True
        for kind, rid, data in self.history():
            self.versions[(kind, rid)] = 1
            yield {"kind": kind, "id": rid, "version": 1, "op": "upsert", "data": data}

    def history(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """(kind, id, data) of the customers' past: contacts over the HISTORY_DAYS days
        before the floor's first moment, ended, on the floor's queues with its agents,
        and the surveys some of them answered. The frequent callers all have some,
        a share of the rest a few. Some customers are unhappy: their last contacts,
        days ago, went badly (long waits, hang-ups, transfers), and they said so.
        Each customer's past is drawn from a generator of its own and the floor's plan,
        so it is the same whatever the order the customers are met in."""
        n = min(self.plan.customers, HISTORY_CUSTOMERS)
        day0 = datetime.fromtimestamp(self.start, self._site).date()
        queues = self.plan.queues
        weights = [q.peak_per_hour for q in queues]
        for k in range(n):
            r, contacts = self._past(k)
            if not contacts:
                continue
            cid = f"c-{k + 1:07d}"
            unhappy = r.random() < 0.2
            home = r.choices(queues, weights)[0]
            days = sorted((r.randrange(1, HISTORY_DAYS + 1) for _ in range(contacts)), reverse=True)
            if unhappy:  # their trouble is recent: the last contact or two were days ago
                days[-1] = r.randint(1, 6)
                days.sort(reverse=True)
            for j, ago in enumerate(days):
                recent = unhappy and j >= contacts - 2
                q = home if r.random() < 0.65 else r.choices(queues, weights)[0]
                hour = r.choices(range(24), [p if q.open_at(h) else 0.0 for h, p in enumerate(PROFILE)])[0]
                local = datetime.combine(day0 - timedelta(days=ago), datetime.min.time(), self._zones[q.timezone])
                enq = local.timestamp() + hour * 3600 + r.uniform(0, 3600)
                iid = f"i-c{k + 1:07d}-{j + 1}"
                it = self._past_contact(r, q, cid, enq, bad=recent)
                yield "interaction", iid, it
                if it["answered_at"] is not None and r.random() < (0.6 if recent else 0.25):
                    wait = _ts(it["answered_at"]) - enq
                    mood = 0.8 + (0.15 if it["resolved"] else -0.35) - min(0.4, wait / 900) - 0.1 * it["transfers"]
                    if recent:
                        mood -= 0.3
                    at = min(_ts(it["ended_at"]) + r.uniform(60, 86400), self.start - r.uniform(60, 3600))
                    s = _answers(r, mood, cid, iid, at)
                    s["answered_at"] = iso(s["answered_at"])
                    yield "survey", f"s-c{k + 1:07d}-{j + 1}", s
            if r.random() < 0.3:  # a relationship survey, months back: the trend has a before
                ago = r.randrange(HISTORY_DAYS + 5, 2 * HISTORY_DAYS)
                at = datetime.combine(day0 - timedelta(days=ago), datetime.min.time(), self._site).timestamp()
                s = _answers(r, 0.75 if unhappy else 0.7, cid, None, at + r.uniform(9, 20) * 3600)
                s["answered_at"] = iso(s["answered_at"])
                yield "survey", f"s-c{k + 1:07d}-r", s

    def _past(self, k: int) -> tuple[random.Random, int]:
        """Customer `k`'s own generator for its past, and how many contacts that past holds."""
        r = random.Random(k * 104_729 + 7 + self.seed * 1_000_003)
        if k >= HISTORY_CUSTOMERS:
            return r, 0
        if k < max(1, self.plan.customers // 50):  # the frequent callers
            return r, r.randint(3, 6)
        return r, r.choice((1, 1, 2, 2, 3)) if r.random() < 0.2 else 0

    def _past_contact(self, r: random.Random, q: QueuePlan, cid: str, enq: float, bad: bool) -> dict[str, Any]:
        """An ended contact before the floor's time: waits about the queue's threshold,
        or, `bad`, well past it (some hung up, some were passed around)."""
        agents = self._skilled.get(q.id) or list(self.agents)
        if q.patience_mean_s is None:  # email: hours
            wait = r.uniform(0.1, 3.5 if not bad else 12) * 3600
        else:
            wait = r.expovariate(1 / (q.sl_threshold_s * (0.6 if not bad else 5)))
        abandons = q.patience_mean_s is not None and r.random() < (0.45 if bad else 0.04)
        it: dict[str, Any] = {
            "queue_id": q.id,
            "channel": q.channel,
            "customer_id": cid,
            "agent_id": None,
            "enqueued_at": iso(enq),
            "answered_at": None,
            "abandoned_at": None,
            "ended_at": None,
            "wrap_s": None,
            "transfers": 0,
            "resolved": None,
            "qa_score": None,
        }
        if abandons:
            it["abandoned_at"] = it["ended_at"] = iso(enq + max(6.0, wait))
            return it
        talk = r.lognormvariate(math.log(q.aht_mean_s * 0.65), 0.55)
        if r.random() < (0.3 if bad else 0.06):
            it["transfers"] = 1 + (r.random() < (0.6 if bad else 0.2))
            talk *= 1.0 + 0.4 * it["transfers"]
        it["agent_id"] = r.choice(agents)
        it["answered_at"] = iso(enq + wait)
        it["ended_at"] = iso(enq + wait + talk)
        it["wrap_s"] = round(r.lognormvariate(math.log(q.aht_mean_s * 0.16), 0.5), 1)
        it["resolved"] = r.random() < (0.4 if bad else (0.6 if it["transfers"] else 0.88))
        if r.random() < 0.08:
            it["qa_score"] = round(max(0.0, min(100.0, r.gauss(83 if not bad else 72, 9))), 1)
        return it

    # -- output ----------------------------------------------------------------
    def data(self, kind: str, rid: str) -> dict[str, Any]:
        """A record as feed `data`: timestamps as RFC 3339 strings."""
        if kind == "queue":
            q = self.queues[rid]
            return {
                "name": q.name,
                "channel": q.channel,
                "sl_threshold_s": q.sl_threshold_s,
                "sl_target": q.sl_target,
                "short_abandon_s": q.short_abandon_s,
                "aht_target_s": q.aht_target_s,
                "abandon_target": q.abandon_target,
                "timezone": q.timezone,
                "cost_per_agent_hour": q.cost_per_agent_hour,
            }
        if kind == "agent":
            a = self.agents[rid]
            return {
                "name": a.plan.name,
                "team": a.plan.team,
                "state": a.state,
                "state_since": iso(a.state_since),
                "reason": a.reason,
                "queues": list(a.plan.queues),
                "interaction_id": a.interaction_id,
            }
        if kind == "interaction":
            it = dict(self.interactions[rid])
            del it["done"]
            for key in ("enqueued_at", "answered_at", "abandoned_at", "ended_at"):
                if it[key] is not None:
                    it[key] = iso(it[key])
            return it
        if kind == "customer":
            return self.customers.pop(rid)  # sent once; customers do not change here
        if kind == "survey":
            s = dict(self.surveys.pop(rid))
            s["answered_at"] = iso(s["answered_at"])
            return s
        if kind == "note":
            n = dict(self.notes[rid])
            n["created_at"], n["updated_at"] = iso(n["created_at"]), iso(n["updated_at"])
            return n
        raise KeyError(kind)


FIRST_NAMES = (
    "Alex Blair Casey Dana Eden Frankie Gray Harper Indy Jordan Kendall Logan Morgan "
    "Noel Oakley Parker Quinn Reese Sage Taylor Umber Vale Wren Xen Yael Zion"
).split()
LAST_NAMES = (
    "Adams Baker Clark Dubois Evans Fischer Gomez Hughes Iqbal Jones Kowalski Lopez "
    "Martin Nguyen Olsen Perez Ricci Schmidt Torres Usman Vogel Walsh Yilmaz Zhang"
).split()
