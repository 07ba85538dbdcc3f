"""The demo floor looks like a real one on first launch: most queues near their
service-level targets and one or two in trouble; customers with a past (contacts
over the last 90 days, surveys), so the card and the recovery list have something
to show. The figures here are worked out from the floor's emitted records, not
taken from the code under test."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from floorview.domain.sitetime import SiteTime
from floorview.hub.seed import run_floor
from floorview.sources.simulator.floor import Floor
from floorview.sources.simulator.floorplan import SITE_TZ
from floorview.store.apply import Applier
from floorview.store.customers import customer_card
from floorview.store.engine import open_engine, open_reader
from floorview.tui.customers.data import RecoveryLoader, RecoveryRequest

DAY = datetime(2026, 11, 19, tzinfo=ZoneInfo(SITE_TZ)).timestamp()  # a Thursday's midnight, site time
STEP = 900


def _ts(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def _latest(changes: list[dict[str, Any]], into: dict[tuple[str, str], dict[str, Any]]) -> None:
    for c in changes:
        into[(c["kind"], c["id"])] = c["data"]


def _service_levels(records: dict[tuple[str, str], dict[str, Any]], now: float) -> dict[str, tuple[float, float]]:
    """Each queue's (service level today so far, target): answered within the threshold over
    answered plus abandoned, short abandons (under the queue's limit) not counted, contacts
    still waiting not counted; today from midnight in the queue's own zone."""
    queues = {rid: d for (kind, rid), d in records.items() if kind == "queue"}
    counts: dict[str, list[int]] = {qid: [0, 0] for qid in queues}  # in threshold, answered + abandoned
    for (kind, _), d in records.items():
        if kind != "interaction":
            continue
        q = queues[d["queue_id"]]
        local = datetime.fromtimestamp(now, ZoneInfo(q["timezone"]))
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
        enq = _ts(d["enqueued_at"])
        if not midnight <= enq < now:
            continue
        if d["answered_at"] is not None:
            counts[d["queue_id"]][0] += _ts(d["answered_at"]) - enq <= q["sl_threshold_s"]
            counts[d["queue_id"]][1] += 1
        elif d["abandoned_at"] is not None and _ts(d["abandoned_at"]) - enq >= q["short_abandon_s"]:
            counts[d["queue_id"]][1] += 1
    return {qid: (n / of, queues[qid]["sl_target"]) for qid, (n, of) in counts.items() if of}


def test_most_queues_run_near_target_and_one_or_two_are_in_trouble():
    for seed in (1, 2, 3, 4):
        floor = Floor(seed, DAY, "small")
        records: dict[tuple[str, str], dict[str, Any]] = {}
        t = DAY
        for hour in (11, 15):
            while t < DAY + hour * 3600:
                t += STEP
                _latest(floor.advance(t), records)
            levels = _service_levels(records, t)
            assert len(levels) == 8, (seed, hour)
            near = [qid for qid, (sl, target) in levels.items() if sl >= target - 0.05]
            trouble = [qid for qid, (sl, target) in levels.items() if sl < target - 0.05]
            assert len(near) > len(levels) / 2, (seed, hour, levels)
            assert 1 <= len(trouble) <= 3, (seed, hour, levels)  # not all green, not all red


def test_customers_have_contacts_and_surveys_over_the_last_90_days():
    floor = Floor(7, DAY, "small")
    end = DAY + 14 * 3600
    batches = list(run_floor(floor, end))
    today: dict[tuple[str, str], dict[str, Any]] = {}
    for batch in batches[:-1]:
        _latest(batch, today)
    last = batches[-1]
    past = {(c["kind"], c["id"]): c["data"] for c in last if c["kind"] != "customer"}
    queues = {rid for kind, rid in today if kind == "queue"}
    agents = {rid for kind, rid in today if kind == "agent"}
    contacts = [d for (kind, _), d in past.items() if kind == "interaction"]
    surveys = [d for (kind, _), d in past.items() if kind == "survey"]

    assert 1000 <= len(contacts) and len(past) <= 5000  # a past, and not so much the demo starts slowly
    assert all(c["version"] == 1 and c["op"] == "upsert" for c in last)
    for d in contacts:
        enq = _ts(d["enqueued_at"])
        assert DAY - 90 * 86400 <= enq < DAY
        assert d["queue_id"] in queues and d["ended_at"] is not None and _ts(d["ended_at"]) >= enq
        assert (d["answered_at"] is None) == (d["agent_id"] is None)
        assert d["agent_id"] is None or d["agent_id"] in agents
        assert (d["answered_at"] is None) != (d["abandoned_at"] is None)
    days = {int((DAY - _ts(d["enqueued_at"])) // 86400) for d in contacts}
    assert len(days) >= 80  # spread over the 90 days, not bunched
    assert sum(1 for d in contacts if d["abandoned_at"]) > 50
    assert sum(1 for d in contacts if d["transfers"]) > 50
    waits = sorted(
        _ts(d["answered_at"]) - _ts(d["enqueued_at"]) for d in contacts if d["answered_at"] and d["channel"] == "voice"
    )
    assert 5 <= waits[len(waits) // 2] <= 60  # a voice contact's typical wait: seconds, not hours
    talks = sorted(_ts(d["ended_at"]) - _ts(d["answered_at"]) for d in contacts if d["answered_at"])
    assert 120 <= talks[len(talks) // 2] <= 600

    assert len(surveys) >= 300
    assert all(_ts(s["answered_at"]) < DAY for s in surveys)  # told us before today
    assert {s["trust"] for s in surveys} == {"yes", "no", "sometimes"}
    for leg in ("nps", "csat", "ces", "sincerity", "competence", "reliability"):
        assert all(s[leg] is not None for s in surveys), leg
    assert sum(1 for s in surveys if s["verbatim"]) > 50
    unhappy = {s["customer_id"] for s in surveys if s["nps"] <= 6 and s["trust"] == "no"}
    assert len(unhappy) > 30
    # Unhappy lately: a detractor whose last contacts, within the week, went badly.
    last_week = [d for d in contacts if d["customer_id"] in unhappy and DAY - _ts(d["enqueued_at"]) <= 7 * 86400]
    assert sum(1 for d in last_week if d["abandoned_at"] or d["transfers"] or d["resolved"] is False) > 10

    # Many of today's callers have a past.
    callers = {d["customer_id"] for (kind, _), d in today.items() if kind == "interaction"}
    with_past = callers & {d["customer_id"] for d in contacts}
    assert len(with_past) > len(callers) / 4
    assert len(callers & {s["customer_id"] for s in surveys}) > 100

    # The history is the floor's: the same seed, the same past; sent once.
    again = list(run_floor(Floor(7, DAY, "small"), end))[-1]
    assert again == last
    assert [c for c in floor.remaining_customers()] == []


def test_first_launch_recovery_list_has_customers_with_a_past(tmp_path: Path):
    now = DAY + 14 * 3600
    engine = open_engine(tmp_path / "store.db")
    try:
        with engine.begin() as conn:
            for batch in run_floor(Floor(7, DAY, "small"), now):  # as the demo's hub catches up
                assert Applier(conn, now).apply(batch).quarantined == 0
    finally:
        engine.dispose()
    con = open_reader(tmp_path / "store.db")
    try:
        found = RecoveryLoader()(con, now, RecoveryRequest(SiteTime(SITE_TZ, "setting")))
        assert found.total >= 20 and found.cases
        rules = Counter(h.rule for case in found.cases for h in case.hurts)
        assert rules["abandons"] > 0  # hung up today and in the days before
        assert rules["detractor"] > 0 and rules["long_wait"] > 0
        # The cards of the customers on top show a past: contacts before today, surveys.
        cards = [customer_card(con, case.customer_id) for case in found.cases[:20]]
        assert sum(1 for c in cards if c and any(v.enqueued_at < DAY for v in c.visits)) >= 5
        assert sum(1 for c in cards if c and len(c.answers) >= 2) >= 5
    finally:
        con.close()


def _two_days(seed: int) -> tuple[dict[tuple[str, str], dict[str, Any]], dict[str, list[float]]]:
    """The floor's records over two whole days from DAY, each at its last version; and when each
    agent logged in (went from offline to working), from every version of the agents sent."""
    floor = Floor(seed, DAY, "small")
    records: dict[tuple[str, str], dict[str, Any]] = {}
    logins: dict[str, list[float]] = {}
    t = DAY
    while t < DAY + 2 * 86400:
        t += STEP
        for c in floor.advance(t):
            if c["kind"] == "agent":
                before = records.get(("agent", c["id"]))
                if c["data"]["state"] != "offline" and (before is None or before["state"] == "offline"):
                    logins.setdefault(c["id"], []).append(_ts(c["data"]["state_since"]))
            records[(c["kind"], c["id"])] = c["data"]
    return records, logins


def test_the_floor_keeps_its_hours_and_answers_the_night_and_the_evening():
    """A floor this size opens its lines and chats by day, each in its own zone, and keeps Tech support
    open round the clock with a few on at night: no contact reaches a closed queue; callers at night
    are answered, not left to hang up (all of them did when nobody was rostered at night); the evening,
    when the late shift is on, is not far worse than the day."""
    for seed in (1, 7):
        records, _ = _two_days(seed)
        queues = {rid: d for (kind, rid), d in records.items() if kind == "queue"}
        assert queues["q-retention"]["timezone"] == "America/Chicago"
        night = [0, 0]  # hung up, answered or hung up: Tech support, 22:00 to 06:00
        evening: dict[str, list[int]] = {}  # live queue -> [hung up, answered or hung up], 16:00 to 19:00
        for (kind, _), d in records.items():
            if kind != "interaction" or d["channel"] == "email":
                continue
            q = queues[d["queue_id"]]
            hour = datetime.fromtimestamp(_ts(d["enqueued_at"]), ZoneInfo(q["timezone"])).hour
            if d["queue_id"] != "q-tech-support":
                assert 7 <= hour < 22, (seed, q["name"], d["enqueued_at"])  # opening hours at the latest
            hung_up = d["abandoned_at"] is not None
            if not hung_up and d["answered_at"] is None:
                continue  # waiting still
            if d["queue_id"] == "q-tech-support" and (hour >= 22 or hour < 6):
                night[0] += hung_up
                night[1] += 1
            if 16 <= hour < 19:
                cell = evening.setdefault(q["name"], [0, 0])
                cell[0] += hung_up
                cell[1] += 1
        assert night[1] > 30 and night[0] / night[1] < 0.15, (seed, night)
        everyone = [sum(c[0] for c in evening.values()), sum(c[1] for c in evening.values())]
        assert everyone[0] / everyone[1] < 0.15, (seed, evening)
        # Tech support is short of people all day, on purpose: in the evening too, but not half hanging up.
        ts = evening["Tech support"]
        assert ts[0] / ts[1] < 0.3, (seed, evening)


def test_each_agent_works_the_hours_of_their_queues_zone():
    """Retention takes its callers on Chicago time (08:00 to 18:00 there, 09:00 to 19:00 in New York):
    its people log in on Chicago's hours, not New York's. Every login of an agent whose first queue
    is Retention falls within Retention's day in Chicago (a shift may start 5 minutes early); rostered
    on New York's hours, the first of them came in at 07:00 Chicago time, an hour before its callers."""
    records, logins = _two_days(7)
    chicago = ZoneInfo("America/Chicago")
    retention = [rid for (kind, rid), d in records.items() if kind == "agent" and d["queues"][0] == "q-retention"]
    assert retention
    seen = [at for aid in retention for at in logins.get(aid, [])]
    assert len(seen) >= len(retention)  # each of them worked
    for at in seen:
        local = datetime.fromtimestamp(at, chicago)
        assert 7 * 60 + 55 <= local.hour * 60 + local.minute < 18 * 60, local
