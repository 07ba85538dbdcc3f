"""The Asterisk queue_log mapper: queue_logs of each Asterisk family, written here from the
formats of platform-formats.md section 1, mapped and pushed through floorview's own store.

Every expected figure is worked out by hand from the log above it (the arithmetic in the
comment beside it), never taken from an earlier run of the code.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from floorview.domain.metrics import QueueFigures, figures
from floorview.hub.checks import change_problem
from floorview.sources.asterisk.queue_log.events import BadLine, QueueLogEvent, parse_line
from floorview.sources.asterisk.queue_log.mapper import QueueLogMapper
from floorview.sources.asterisk.settings import AsteriskSettings, QueueSettings
from floorview.store.apply import Applier
from floorview.store.engine import open_engine, open_reader
from floorview.store.reads import queue_snapshots

T = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc).timestamp()  # every log's "0"
NOW = T + 3600  # when the store is read: the same day in UTC


def lines(log: str) -> list[str]:
    """A log written with times relative to T ("100|..." is T+100), as Asterisk writes it."""
    out = []
    for row in log.strip().splitlines():
        row = row.strip()
        if not row:
            out.append("")
            continue
        rel, rest = row.split("|", 1)
        out.append(f"{int(T + int(rel))}|{rest}")
    return out


def run(rows: list[str], site: AsteriskSettings, mapper: QueueLogMapper | None = None) -> tuple[QueueLogMapper, list]:
    """Feeds the lines as the reader does: a line parse_line refuses goes to bad_line."""
    mapper = mapper or QueueLogMapper(site)
    changes: list[dict[str, Any]] = []
    for row in rows:
        try:
            event = parse_line(row)
        except BadLine as exc:
            mapper.bad_line(str(exc), row)
            continue
        changes.extend(mapper.feed(event))
    return mapper, changes


def final(changes: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """Each record as the hub keeps it: its highest version."""
    best: dict[tuple[str, str], dict[str, Any]] = {}
    for c in changes:
        key = (c["kind"], c["id"])
        if key not in best or c["version"] > best[key]["version"]:
            best[key] = c
    return best


def of(records: dict, kind: str, rid: str) -> dict[str, Any]:
    return records[(kind, rid)]["data"]


def at(value: str | None) -> float | None:
    return None if value is None else datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() - T


def store(tmp_path: Path, changes: list[dict[str, Any]]) -> tuple[dict[str, QueueFigures], dict[str, tuple]]:
    """The changes judged by the hub's own checks, then applied by the store's own Applier (what the sync runs) to a real SQLite
    file; returns each queue's figures for today as the Queues screen computes them, and
    each agent's (state, reason) as the store holds it."""
    problems = {c["id"]: change_problem(dict(c))[0] for c in changes}
    assert {rid: p for rid, p in problems.items() if p} == {}  # the hub, first, takes every change
    path = tmp_path / "store" / "floorview.db"
    engine = open_engine(path)
    try:
        with engine.begin() as conn:
            result = Applier(conn, NOW).apply(changes)
    finally:
        engine.dispose()
    assert (result.quarantined, result.unknown) == (0, 0)  # every record valid by the feed's models
    con = open_reader(path)
    try:
        queues = {s.id: figures(s.today) for s in queue_snapshots(con, NOW)}
        agents = {aid: (state, reason) for aid, state, reason in con.execute("SELECT id, state, reason FROM agent")}
    finally:
        con.close()
    return queues, agents


def check(f: QueueFigures, offered, answered, abandoned, short, sl, asa, aht) -> None:
    assert (f.offered, f.answered, f.abandoned, f.short_abandoned) == (offered, answered, abandoned, short)
    for got, want in ((f.service_level, sl), (f.asa_s, asa), (f.aht_s, aht)):
        assert (got is None and want is None) or math.isclose(got, want, abs_tol=1e-9), (got, want)


# -- Asterisk 1.4: chan_agent, two-field ENTERQUEUE/CONNECT/COMPLETE, four-field TRANSFER ----------

LOG_1_4 = """
0|NONE|NONE|NONE|QUEUESTART|
10|1183.1|NONE|Agent/1001|AGENTLOGIN|SIP/1001-0981
12|NONE|NONE|Agent/1002|AGENTCALLBACKLOGIN|1002@agents
100|A|support|NONE|ENTERQUEUE||5551001
101|A|support|Agent/1002|RINGNOANSWER|15000
115|A|support|Agent/1001|CONNECT|15|A2
200|B|support|NONE|ENTERQUEUE||5551002
230|B|support|Agent/1002|CONNECT|30|B2
295|A|support|Agent/1001|COMPLETEAGENT|15|180
300|C|support|NONE|ENTERQUEUE||5551003
303|C|support|NONE|ABANDON|1|1|3
320|B|support|Agent/1002|TRANSFER|2000|default|30|90
400|D|support|NONE|ENTERQUEUE||5551004
460|D|support|NONE|ABANDON|1|1|60
500|E|support|NONE|ENTERQUEUE||5551005
520|E|support|NONE|EXITWITHKEY|1|1
600|F|support|NONE|ENTERQUEUE||5551006
601|F|support|NONE|EXITEMPTY|1|1|1
700|NONE|support|Agent/1001|PAUSE|
701|NONE|NONE|Agent/1001|PAUSEREASON|Training
800|NONE|NONE|Agent/1002|AGENTCALLBACKLOGOFF|1002@agents|788|CommandLogoff
"""


def test_asterisk_1_4(tmp_path):
    mapper, changes = run(lines(LOG_1_4), AsteriskSettings())
    assert mapper.version == "1.4"  # CONNECT with 2 fields is 1.4 alone
    assert mapper.newest == T + 800
    assert mapper.take_unmapped() == {}
    rec = final(changes)
    a, b = of(rec, "interaction", "A@support"), of(rec, "interaction", "B@support")
    assert (at(a["enqueued_at"]), at(a["answered_at"]), at(a["ended_at"])) == (100, 115, 295)
    assert (a["agent_id"], a["transfers"]) == ("Agent/1001", 0)
    assert (at(b["answered_at"]), at(b["ended_at"]), b["transfers"]) == (230, 320, 1)  # talk 320-230 = 90
    e = of(rec, "interaction", "E@support")  # EXITWITHKEY key|pos: its wait from ENTERQUEUE
    assert (at(e["abandoned_at"]), at(e["ended_at"]), e["answered_at"]) == (520, 520, None)
    # Agent/1001: paused in support (its one queue), reason from PAUSEREASON, time in state from the PAUSE.
    a1 = of(rec, "agent", "Agent/1001")
    assert (a1["state"], a1["reason"], a1["queues"], at(a1["state_since"])) == (
        "not_ready",
        "Training",
        ["support"],
        700,
    )
    a2 = of(rec, "agent", "Agent/1002")  # rung in support (RINGNOANSWER), logged off at 800
    assert (a2["state"], a2["queues"], at(a2["state_since"])) == ("offline", ["support"], 800)
    queues, agents = store(tmp_path, changes)
    # offered: A B C D E F = 6; answered A (wait 15) B (wait 30) = 2; in SL (<= 20 s): A = 1;
    # abandoned (>= 5 s): D (60) E (520-500 = 20) = 2; short: C (3) F (1) = 2.
    # SL 1 / (2 + 2) = 0.25; ASA (15 + 30) / 2 = 22.5; AHT (180 + 90) / 2 = 135 (no wrap-up).
    check(queues["support"], 6, 2, 2, 2, 0.25, 22.5, 135.0)
    assert queues["support"].abandon_rate == 0.5  # 2 / (2 + 2)
    assert agents == {"Agent/1001": ("not_ready", "Training"), "Agent/1002": ("offline", None)}


# -- Asterisk 1.8: three-field ENTERQUEUE, five-field TRANSFER, four-field EXITWITHKEY, hazards -----

SITE_1_8 = AsteriskSettings(
    queues={"sales": QueueSettings(wrapup_s=10)},
    members={"PJSIP/2001": "Paty Marin", "PJSIP/2002": "Lee Wong"},
    teams={"Paty Marin": "North"},
)
LOG_1_8 = """
0|NONE|NONE|NONE|CONFIGRELOAD|
5|MANAGER|sales|PJSIP/2001|ADDMEMBER|
6|MANAGER|billing|PJSIP/2001|ADDMEMBER|
7|MANAGER|sales|PJSIP/2002|ADDMEMBER|
8|MANAGER|billing|PJSIP/2002|ADDMEMBER|
30|P|sales|Lee Wong|COMPLETECALLER|12|25|2
118|Q|sales|Paty Marin|CONNECT|18|Q.2|4
100|Q|sales|NONE|ENTERQUEUE||+44 20 7946 0001|1
200|R|sales|NONE|ENTERQUEUE||5552001|2
260|R|sales|NONE|EXITWITHTIMEOUT|2|2|60
261|R|billing|NONE|ENTERQUEUE||5552001|1
281|R|billing|Lee Wong|CONNECT|20|R.3|2
341|R|billing|Lee Wong|TRANSFER|3000|from-internal|20|60|1
400|Q|sales|Paty Marin|COMPLETEAGENT|18|282|1
400|Q|sales|Paty Marin|COMPLETEAGENT|18|282|1

500|S|sales|NONE|ENTERQUEUE||5553001|1
530|S|sales|NONE|EXITWITHKEY|5|1|1|30
540|S|sales|NONE|ENTERQUEUE||5553001|1
545|S|sales|Paty Marin|CONNECT|5|S.9|2
645|S|sales|Paty Marin|COMPLETECALLER|5|100|1
700|NONE|NONE|Paty Marin|PAUSEALL|Lunch
700|NONE|sales|Paty Marin|PAUSE|Lunch
700|NONE|billing|Paty Marin|PAUSE|Lunch
1000|NONE|NONE|Paty Marin|UNPAUSEALL|
1000|NONE|sales|Paty Marin|UNPAUSE|
1000|NONE|billing|Paty Marin|UNPAUSE|
1100|NONE|sales|Paty Marin|PAUSE|Coaching
1200|MANAGER|sales|PJSIP/2002|REMOVEMEMBER|
1201|MANAGER|billing|PJSIP/2002|REMOVEMEMBER|
"""


def test_asterisk_1_8_with_hazards(tmp_path):
    mapper, changes = run(lines(LOG_1_8), SITE_1_8)
    assert mapper.version == "1.8-11"  # 3-field ENTERQUEUE: 1.8+; TRANSFER: up to 11
    # The blank line is the reader's to skip (parse_line refuses it); the repeated COMPLETEAGENT is dropped.
    assert mapper.take_unmapped() == {
        "blank line": [""],
        "repeated line (identical to one just read)": [f"{int(T + 400)}|Q|sales|Paty Marin|COMPLETEAGENT|18|282|1"],
    }
    rec = final(changes)
    # P's ENTERQUEUE is before the log: rebuilt from COMPLETECALLER 12|25 at 30:
    # answered 30 - 25 = 5, enqueued 5 - 12 = -7.
    p = of(rec, "interaction", "P@sales")
    assert (at(p["enqueued_at"]), at(p["answered_at"]), at(p["ended_at"]), p["agent_id"]) == (-7, 5, 30, "Lee%20Wong")
    # Q's CONNECT came before its ENTERQUEUE: one call (rebuilt 118 - 18 = 100 matches), not two.
    q = of(rec, "interaction", "Q@sales")
    assert (at(q["enqueued_at"]), at(q["answered_at"]), at(q["ended_at"]), q["wrap_s"]) == (100, 118, 400, 10.0)
    assert ("interaction", "Q@sales#2") not in rec
    assert q["customer_id"] == SITE_1_8.customer_id("+44 20 7946 0001")
    # R timed out of sales and was re-queued into billing: one interaction per queue.
    r1, r2 = of(rec, "interaction", "R@sales"), of(rec, "interaction", "R@billing")
    assert (at(r1["abandoned_at"]), r1["answered_at"]) == (260, None)
    assert (at(r2["enqueued_at"]), at(r2["answered_at"]), at(r2["ended_at"]), r2["transfers"]) == (261, 281, 341, 1)
    # S left sales by key and came back to sales: its second entry is S@sales#2.
    s1, s2 = of(rec, "interaction", "S@sales"), of(rec, "interaction", "S@sales#2")
    assert (at(s1["abandoned_at"]), at(s2["enqueued_at"]), at(s2["answered_at"])) == (530, 540, 545)
    # Paty: unpaused everywhere at 1000; the PAUSE in sales alone at 1100 leaves her taking billing's calls.
    paty = of(rec, "agent", "Paty%20Marin")
    assert (paty["name"], paty["team"], paty["state"], at(paty["state_since"])) == (
        "Paty Marin",
        "North",
        "available",
        1000,
    )
    assert paty["queues"] == ["billing", "sales"]
    lee = of(rec, "agent", "Lee%20Wong")
    assert (lee["team"], lee["state"], lee["queues"], at(lee["state_since"])) == ("Floor", "offline", [], 1201)
    queues, agents = store(tmp_path, changes)
    # sales: P (wait 12, talk 25) Q (18, 282) R (abandoned after 60) S (abandoned after 30) S#2 (5, 100):
    # offered 5, answered 3 all within 20 s, abandoned 2. SL 3 / (3 + 2) = 0.6; ASA (12 + 18 + 5) / 3;
    # AHT (25 + 10 + 282 + 10 + 100 + 10) / 3 = 437 / 3 (wrap-up 10 s after each).
    check(queues["sales"], 5, 3, 2, 0, 0.6, 35 / 3, 437 / 3)
    # billing: R (wait 281 - 261 = 20, within 20 s; talk 60, no wrap-up).
    check(queues["billing"], 1, 1, 0, 0, 1.0, 20.0, 60.0)
    assert agents["Paty%20Marin"] == ("available", None) and agents["Lee%20Wong"] == ("offline", None)


def test_wrap_up_shows_until_a_later_line_then_available_at_its_end():
    _, changes = run(lines(LOG_1_8)[:15], SITE_1_8)  # up to Q's COMPLETEAGENT at 400
    states = [(c["data"]["state"], at(c["data"]["state_since"])) for c in changes if c["id"] == "Paty%20Marin"]
    # on Q from 118; after-contact work from its end at 400, for sales' 10 s; nothing later yet.
    assert states[-2:] == [("on_contact", 118), ("after_contact_work", 400)]
    _, changes = run(lines(LOG_1_8)[:18], SITE_1_8)  # and S's ENTERQUEUE at 500
    states = [(c["data"]["state"], at(c["data"]["state_since"])) for c in changes if c["id"] == "Paty%20Marin"]
    assert states[-1] == ("available", 410)  # 400 + 10, written when a line past it came


# -- Asterisk 11: ADDMEMBER PAUSED, RINGINUSE, two-field EXITWITHKEY; re-queued with no exit line ---

LOG_11 = """
0|MANAGER|tech|Ana|ADDMEMBER|PAUSED
1|NONE|tech|Ana|PENALTY|2
2|NONE|tech|Ana|RINGINUSE|0
60|NONE|tech|Ana|UNPAUSE|
100|U|tech|NONE|ENTERQUEUE||5554001|1
140|U|tier2|NONE|ENTERQUEUE||5554001|1
150|U|tier2|NONE|EXITWITHKEY|1|1
200|V|tech|NONE|ENTERQUEUE||5554002|1
203|V|tech|Ana|CONNECT|3|V.1|2
263|V|tier2|NONE|ENTERQUEUE||5554002|1
300|V|tier2|NONE|ABANDON|1|1|37
400|W|tech|NONE|ENTERQUEUE||5554003|1
402|W|tech|Ana|CONNECT|2|W.1|1
472|W|tech|Ana|TRANSFER|4000|default|2|70|1
"""


def test_asterisk_11_and_calls_requeued_without_an_exit(tmp_path):
    mapper, changes = run(lines(LOG_11)[:1], AsteriskSettings())
    assert of(final(changes), "agent", "Ana")["state"] == "not_ready"  # added paused
    mapper, changes = run(lines(LOG_11), AsteriskSettings())
    assert mapper.version == "11"  # RINGINUSE, ADDMEMBER PAUSED: 11+; 2-field EXITWITHKEY: up to 11
    assert mapper.take_unmapped() == {}
    rec = final(changes)
    # U entered tier2 at 140 with no exit from tech: it left tech unanswered then.
    u = of(rec, "interaction", "U@tech")
    assert (at(u["abandoned_at"]), u["answered_at"]) == (140, None)
    # V was on Ana's line in tech when it entered tier2 at 263: her part ended then, as a transfer.
    v = of(rec, "interaction", "V@tech")
    assert (at(v["answered_at"]), at(v["ended_at"]), v["transfers"]) == (203, 263, 1)
    assert of(rec, "agent", "Ana")["state"] == "available" and of(rec, "agent", "Ana")["queues"] == ["tech"]
    queues, _ = store(tmp_path, changes)
    # tech: U (abandoned after 40) V (wait 3, talk 60) W (wait 2, talk 70): SL 2 / (2 + 1); ASA 2.5; AHT 65.
    check(queues["tech"], 3, 2, 1, 0, 2 / 3, 2.5, 65.0)
    # tier2: U (150 - 140 = 10) V (300 - 263 = 37), both abandoned: SL 0 / (0 + 2) = 0.
    check(queues["tier2"], 2, 0, 2, 0, 0.0, None, None)


# -- Asterisk 13-18: BLIND/ATTENDEDTRANSFER (BRIDGE, LINK, APP), RINGCANCELED, WITHDRAW, app_agent_pool

SITE_18 = AsteriskSettings(
    queues={"care": QueueSettings(sl_threshold_s=30, short_abandon_s=10)},
    members={"Agent/301": "Kim Lee", "PJSIP/302": "Jo"},
)
LOG_18 = """
0|NONE|NONE|NONE|QUEUESTART|
5|NONE|NONE|Agent/301|AGENTLOGIN|PJSIP/301-00000001
6|MANAGER|care|Agent/301|ADDMEMBER|
7|MANAGER|care|PJSIP/302|ADDMEMBER|
100|A|care|NONE|ENTERQUEUE||+1 (555) 010-0001|1
101|A|care|Jo|RINGCANCELED|1000
125|A|care|Kim Lee|CONNECT|25|A.2|1
200|B|care|NONE|ENTERQUEUE||5550002|1
240|B|care|Jo|CONNECT|40|B.2|3
245|A|care|Kim Lee|BLINDTRANSFER|5000|internal|25|120|1
300|B|care|Jo|ATTENDEDTRANSFER|BRIDGE|bridge-uuid-1|40|60|1
300|C|care|NONE|ENTERQUEUE||5550003|1
305|C|care|Kim Lee|CONNECT|5|C.2|1
400|D|care|NONE|ENTERQUEUE||5550004|1
402|D|care|Jo|CONNECT|2|D.2|1
405|C|care|Kim Lee|ATTENDEDTRANSFER|LINK|PJSIP/301-0002|PJSIP/400-0003|5|100|1
442|D|care|Jo|ATTENDEDTRANSFER|APP|Voicemail|2|40|1
500|E|care|NONE|ENTERQUEUE||5550005|1
508|E|care|NONE|WITHDRAW|1|1|8|callback requested
600|F|care|NONE|ENTERQUEUE||5550006|1
645|F|care|NONE|EXITWITHKEY|3|1|1|45
700|G|care|NONE|ENTERQUEUE||5550007|1
790|G|care|NONE|EXITWITHTIMEOUT|1|1|90
800|NONE|care|Jo|PAUSE|Break
860|NONE|care|Jo|UNPAUSE|Auto-Unpause
860|NONE|care|Jo|PAUSE|Meeting
900|NONE|NONE|Agent/301|AGENTLOGOFF|PJSIP/301-00000001|895
"""


def test_asterisk_13_to_18(tmp_path):
    mapper, changes = run(lines(LOG_18), SITE_18)
    assert mapper.version == "16+"  # WITHDRAW: 16.25 on
    assert mapper.take_unmapped() == {}
    rec = final(changes)
    transfers = {iid: of(rec, "interaction", f"{iid}@care")["transfers"] for iid in "ABCDEFG"}
    assert transfers == {"A": 1, "B": 1, "C": 1, "D": 1, "E": 0, "F": 0, "G": 0}
    talk = {
        iid: at(of(rec, "interaction", f"{iid}@care")["ended_at"])
        - at(of(rec, "interaction", f"{iid}@care")["answered_at"])
        for iid in "ABCD"
    }
    assert talk == {"A": 120, "B": 60, "C": 100, "D": 40}  # 245-125, 300-240, 405-305, 442-402
    kim, jo = of(rec, "agent", "Kim%20Lee"), of(rec, "agent", "Jo")
    assert (kim["state"], at(kim["state_since"]), kim["queues"]) == ("offline", 900, ["care"])
    assert (jo["state"], jo["reason"], at(jo["state_since"])) == ("not_ready", "Meeting", 860)
    queues, agents = store(tmp_path, changes)
    # offered A..G = 7; answered A (wait 25) B (40) C (5) D (2); within 30 s: A C D = 3;
    # abandoned (>= 10 s): F (45) G (90) = 2; short: E (withdrawn after 8) = 1.
    # SL 3 / (4 + 2) = 0.5; ASA (25 + 40 + 5 + 2) / 4 = 18; AHT (120 + 60 + 100 + 40) / 4 = 80.
    check(queues["care"], 7, 4, 2, 1, 0.5, 18.0, 80.0)
    assert math.isclose(queues["care"].abandon_rate, 2 / 6)
    assert agents == {"Kim%20Lee": ("offline", None), "Jo": ("not_ready", "Meeting")}


def test_a_realtime_table_s_padded_data_columns_read_as_the_file():
    """queue_adaptive_realtime: data1..data5, the unused ones empty, and data5 holding the rest."""
    padded = []
    for row in lines(LOG_1_4) + lines(LOG_18):
        e = parse_line(row)
        data = (*e.data[:4], "|".join(e.data[4:])) if len(e.data) > 5 else e.data + ("",) * (5 - len(e.data))
        padded.append(QueueLogEvent(e.time, e.callid, e.queue, e.agent, e.event, data))
    for log, site, version in ((LOG_1_4, AsteriskSettings(), "1.4"), (LOG_18, SITE_18, "16+")):
        n = len(lines(log))
        rows, padded = padded[:n], padded[n:]
        mapper = QueueLogMapper(site)
        changes = [c for e in rows for c in mapper.feed(e)]
        assert mapper.version == version
        assert final(changes) == final(run(lines(log), site)[1])


# -- Asterisk 20.14+/22: ENTERQUEUE with the caller-id name; dialplan and vendor events ---------------

LOG_22 = """
0|NONE|NONE|NONE|QUEUESTART|
1|A|vip|NONE|DID|8005551234
100|A|vip|NONE|ENTERQUEUE||+15550100|1|Jane Q
110|A|vip|Max|CONNECT|10|A.2|2
170|A|vip|Max|COMPLETECALLER|10|60|1
200|B|vip|NONE|ENTERQUEUE||15550100|1|
203|B|vip|NONE|ABANDON|1|1|3
300|C|vip|NONE|ENTERQUEUE||5550177|1|5550177
330|C|vip|Max|CONNECT|30|C.2|1
390|C|vip|Max|COMPLETEAGENT|30|60|1
400|D|vip|NONE|ENTERQUEUE|||1|
420|D|vip|NONE|EXITEMPTY|1|1|20
500|E|vip|NONE|FULL|
510|F|vip|NONE|JOINEMPTY|
520|G|vip|NONE|CLOSED|
530|A|vip|Max|INFO|something
531|A|vip|Max|CALLSTATUS|ok
532|H|NONE|Max|CALLOUTBOUND||5550999
533|I|NONE|Max|OUTDIAL|5550998
534|NONE|NONE|NONE|FOO|x
535|C|vip|Max|OUTCALL|ANSWER|30|x
"""


def test_asterisk_22_caller_names_and_dialplan_events(tmp_path):
    site = AsteriskSettings(customer_key="k")
    mapper, changes = run(lines(LOG_22), site)
    assert mapper.version == "20.14+"
    stamp = {rel: int(T + rel) for rel in (1, 520, 530, 531, 532, 533, 534, 535)}
    assert mapper.take_unmapped() == {
        "DID: nothing in the feed holds it": [f"{stamp[1]}|A|vip|NONE|DID|8005551234"],
        "CLOSED: a call refused while the queue is closed, not queue traffic": [f"{stamp[520]}|G|vip|NONE|CLOSED|"],
        "INFO: nothing in the feed holds it": [f"{stamp[530]}|A|vip|Max|INFO|something"],
        "CALLSTATUS: nothing in the feed holds it": [f"{stamp[531]}|A|vip|Max|CALLSTATUS|ok"],
        "CALLOUTBOUND: an outbound call, not queue traffic": [f"{stamp[532]}|H|NONE|Max|CALLOUTBOUND||5550999"],
        "OUTDIAL: an outbound call, not queue traffic": [f"{stamp[533]}|I|NONE|Max|OUTDIAL|5550998"],
        "unknown event FOO": [f"{stamp[534]}|NONE|NONE|NONE|FOO|x"],
        "OUTCALL: an outbound call, not queue traffic": [f"{stamp[535]}|C|vip|Max|OUTCALL|ANSWER|30|x"],
    }
    rec = final(changes)
    jane = site.customer_id("+15550100")
    assert of(rec, "customer", jane) == {"name": "Jane Q"}
    # B is Jane again with no name logged: the same customer, its name not written over.
    assert of(rec, "interaction", "B@vip")["customer_id"] == jane
    assert sum(1 for c in changes if c["kind"] == "customer" and c["id"] == jane) == 1
    # C's "name" is its number: with hashed numbers it is not shown; the hash's start is.
    c_id = site.customer_id("5550177")
    assert of(rec, "customer", c_id) == {"name": f"Caller {c_id[4:10]}"} and "5550177" not in c_id
    assert of(rec, "interaction", "D@vip")["customer_id"] is None  # restricted: no number
    queues, _ = store(tmp_path, changes)
    # offered A B C D E F = 6 (FULL and JOINEMPTY refused at once); answered A (wait 10) C (wait 30);
    # within 20 s: A; abandoned (>= 5 s): D (EXITEMPTY after 20); short: B (3) E (0) F (0).
    # SL 1 / (2 + 1); ASA (10 + 30) / 2 = 20; AHT (60 + 60) / 2 = 60.
    check(queues["vip"], 6, 2, 1, 3, 1 / 3, 20.0, 60.0)


def test_a_caller_name_holding_digits_is_not_shown_when_numbers_are_hashed():
    row = lines("100|A|vip|NONE|ENTERQUEUE||+15550177|1|Cell 555 0177")
    hashed = AsteriskSettings()
    cid = hashed.customer_id("+15550177")
    assert of(final(run(row, hashed)[1]), "customer", cid) == {"name": f"Caller {cid[4:10]}"}
    plain = AsteriskSettings(caller_ids="plain")  # the number is in the id already
    assert of(final(run(row, plain)[1]), "customer", "tel:15550177") == {"name": "Cell 555 0177"}


def test_plain_numbers_name_the_customer_by_the_number_as_logged():
    site = AsteriskSettings(caller_ids="plain")
    _, changes = run(lines("100|A|vip|NONE|ENTERQUEUE||+1 555-0100|1|5550100"), site)
    assert of(final(changes), "customer", "tel:15550100") == {"name": "+1 555-0100"}
    _, changes = run(lines("100|A|vip|NONE|ENTERQUEUE||+1 555-0100|1"), AsteriskSettings(caller_ids="none"))
    assert [c["kind"] for c in changes] == ["queue", "interaction"]


def test_the_queues_screen_sees_who_waits_and_who_staffs(tmp_path):
    log = """
    1|MANAGER|q|PJSIP/1|ADDMEMBER|
    2|MANAGER|q|PJSIP/2|ADDMEMBER|
    3|MANAGER|q|PJSIP/3|ADDMEMBER|PAUSED
    100|A|q|NONE|ENTERQUEUE||5550100|1
    110|B|q|NONE|ENTERQUEUE||5550101|1
    120|C|q|NONE|ENTERQUEUE||5550102|1
    125|A|q|Ann|CONNECT|25|A.2|1
    """
    site = AsteriskSettings(members={"PJSIP/1": "Ann", "PJSIP/2": "Bo", "PJSIP/3": "Cy"})
    _, changes = run(lines(log), site)
    store(tmp_path, changes)
    con = open_reader(tmp_path / "store" / "floorview.db")
    try:
        (snap,) = queue_snapshots(con, NOW)
    finally:
        con.close()
    assert (snap.waiting, snap.oldest_enqueued_at) == (2, T + 110)  # B and C; A was answered
    assert snap.staffing.by_state == {"on_contact": 1, "available": 1, "not_ready": 1}  # Ann, Bo, Cy
    assert snap.staffing.can_take == 2  # Ann (on this queue's call) and Bo


# -- hazards ------------------------------------------------------------------------------------


def test_a_log_of_only_starts_and_reloads_carries_nothing():
    mapper, changes = run(lines("0|NONE|NONE|NONE|QUEUESTART|\n9|NONE|NONE|NONE|CONFIGRELOAD|"), AsteriskSettings())
    assert (changes, mapper.take_unmapped(), mapper.version, mapper.newest) == ([], {}, None, T + 9)


def test_rows_out_of_time_order_never_undo_a_later_fact():
    log = """
    100|A|q|NONE|ENTERQUEUE||5550001|1
    200|A|q|Zed|COMPLETECALLER|10|90|1
    110|A|q|Zed|CONNECT|10|A.2|1
    300|NONE|q|Zed|UNPAUSE|
    250|NONE|q|Zed|PAUSE|Late
    """
    mapper, changes = run(lines(log), AsteriskSettings())
    assert mapper.take_unmapped() == {}
    rec = final(changes)
    a = of(rec, "interaction", "A@q")
    assert (at(a["enqueued_at"]), at(a["answered_at"]), at(a["ended_at"]), a["agent_id"]) == (100, 110, 200, "Zed")
    zed = of(rec, "agent", "Zed")  # the late CONNECT does not put Zed back on A, nor the late PAUSE pause him
    assert (zed["state"], zed["interaction_id"], zed["reason"]) == ("available", None, None)
    assert not any(c["data"]["state"] == "not_ready" for c in changes if c["kind"] == "agent")


def test_pauses_per_queue_and_everywhere():
    log = """
    1|MANAGER|q1|Bo|ADDMEMBER|
    2|MANAGER|q2|Bo|ADDMEMBER|
    10|NONE|NONE|Bo|PAUSEALL|Break
    20|NONE|q1|Bo|UNPAUSE|
    30|NONE|q1|Bo|PAUSE|Admin
    40|NONE|q2|Bo|PAUSE|Lunch
    50|NONE|q2|Bo|UNPAUSE|
    60|NONE|NONE|Bo|PAUSE|Meeting
    """
    rows = lines(log)
    seen = []
    for n in range(3, len(rows) + 1):
        bo = of(final(run(rows[:n], AsteriskSettings())[1]), "agent", "Bo")
        seen.append((bo["state"], bo["reason"], at(bo["state_since"])))
    assert seen == [
        ("not_ready", "Break", 10),  # paused everywhere
        ("available", None, 20),  # unpaused in q1: takes q1's calls again
        ("not_ready", "Admin", 30),  # paused in q1; q2 still paused by the PAUSEALL
        ("not_ready", "Lunch", 40),  # a new pause, a new reason (the newest): its time starts
        ("available", None, 50),
        ("not_ready", "Meeting", 60),  # PAUSE with no queue: everywhere
    ]


def test_a_pause_during_a_call_or_a_wrap_up():
    log = """
    1|MANAGER|q|Di|ADDMEMBER|
    100|A|q|NONE|ENTERQUEUE||5550100|1
    105|A|q|Di|CONNECT|5|A.1|1
    150|NONE|q|Di|PAUSE|Break
    200|A|q|Di|COMPLETEAGENT|5|95|1
    300|NONE|q|Di|UNPAUSE|
    400|B|q|NONE|ENTERQUEUE||5550101|1
    402|B|q|Di|CONNECT|2|B.1|1
    500|B|q|Di|COMPLETECALLER|2|98|1
    510|NONE|q|Di|PAUSE|Coaching
    520|NONE|q|Di|UNPAUSE|
    600|C|q|NONE|ENTERQUEUE||5550102|1
    """
    site = AsteriskSettings(default_queue=QueueSettings(wrapup_s=60))
    _, changes = run(lines(log), site)
    di = [(c["data"]["state"], c["data"]["reason"], at(c["data"]["state_since"])) for c in changes if c["id"] == "Di"]
    assert di == [
        ("available", None, 1),
        ("on_contact", None, 105),  # the pause at 150 waits for the call's end
        ("not_ready", "Break", 200),  # paused beats wrap-up
        ("available", None, 300),  # unpaused after the wrap-up's end (200 + 60)
        ("on_contact", None, 402),
        ("after_contact_work", None, 500),
        ("not_ready", "Coaching", 510),
        ("after_contact_work", None, 520),  # unpaused within the wrap-up: its rest, to 500 + 60
        ("available", None, 560),  # written when the line at 600 comes
    ]
    a = of(final(changes), "interaction", "A@q")
    assert a["wrap_s"] == 60.0


def test_logged_off_an_agent_is_back_only_when_rung_or_connected():
    log = """
    1|MANAGER|q|Cy|ADDMEMBER|
    10|NONE|NONE|Cy|AGENTLOGOFF|PJSIP/9-1|9
    20|NONE|q|Cy|PAUSE|Admin
    30|NONE|q|Cy|UNPAUSE|
    40|A|q|NONE|ENTERQUEUE||5550100|1
    41|A|q|Cy|RINGNOANSWER|1000
    """
    rows = lines(log)
    cy = [of(final(run(rows[:n], AsteriskSettings())[1]), "agent", "Cy")["state"] for n in (2, 3, 4, 6)]
    # an administrator's pause of a logged-off member does not log it in; being rung does
    assert cy == ["offline", "offline", "offline", "available"]


def test_the_version_narrows_line_by_line_and_starts_again_at_an_upgrade():
    mapper = QueueLogMapper(AsteriskSettings())
    seen = []
    for row in lines("""
    1|A|q|NONE|ENTERQUEUE||5550100|1
    2|A|q|Al|CONNECT|1|A.1|1
    9|A|q|Al|TRANSFER|200|default|1|7|1
    20|B|q|NONE|ENTERQUEUE||5550101|1
    25|B|q|Al|CONNECT|5|B.1|1
    30|B|q|Al|BLINDTRANSFER|200|default|5|5|1
    40|C|q|NONE|WITHDRAW|1|1|3|x
    """):
        mapper.feed(parse_line(row))
        seen.append(mapper.version)
    # 3-field ENTERQUEUE: 1.8+; CONNECT's 3 fields (1.6+) change nothing; TRANSFER: up to 11;
    # BLINDTRANSFER (12+) fits none of 1.8-11: upgraded; WITHDRAW: 16+.
    assert seen == ["1.8+", "1.8+", "1.8-11", "1.8-11", "1.8-11", "12+", "16+"]


def test_parse_line():
    e = parse_line("1700000000|1700000000.5|sales|Paty Marin|ENTERQUEUE||+15550100|1\r\n")
    assert e == QueueLogEvent(1700000000.0, "1700000000.5", "sales", "Paty Marin", "ENTERQUEUE", ("", "+15550100", "1"))
    assert parse_line("1|NONE|NONE|NONE|QUEUESTART|").data == ("",)
    for bad, reason in (
        ("", "blank line"),
        ("   ", "blank line"),
        ("1|2|3|4", "fewer than 5 fields"),
        ("hello", "fewer than 5 fields"),
        ("x|NONE|q|a|ENTERQUEUE", "time is not epoch seconds"),
        ("nan|NONE|q|a|ENTERQUEUE", "time is not epoch seconds"),
        ("9999999999|NONE|q|a|ENTERQUEUE", "time after 2100"),
        ("1|NONE|q|a| ", "no event name"),
    ):
        with pytest.raises(BadLine) as exc:
            parse_line(bad)
        assert str(exc.value) == reason


def test_hostile_text_is_cleaned_and_ids_are_ones_the_feed_takes():
    name = "Evil\x1b[2J [/b]\u202e Ägent"
    _, changes = run(
        [f"{int(T)}|C1|q\x07ueue|{name}|PAUSE|[link=https://x]y[/link]\x1b]52;c;x\x07"], AsteriskSettings()
    )
    agent = final(changes)[("agent", "Evil[2J%20[/b]%20%C3%84gent")]["data"]
    assert agent["name"] == "Evil[2J [/b] Ägent" and agent["reason"] == "[link=https://x]y[/link]]52;c;x"
    assert agent["queues"] == ["queue"]
    for c in changes:
        assert all(0x21 <= ord(ch) <= 0x7E for ch in c["id"])


def test_a_call_with_no_line_for_six_hours_is_ended_and_counted():
    log = """
    100|A|q|NONE|ENTERQUEUE||5550001|1
    110|B|q|NONE|ENTERQUEUE||5550002|1
    115|B|q|Zed|CONNECT|5|B.1|1
    21705|NONE|NONE|NONE|QUEUESTART|
    22010|NONE|NONE|NONE|QUEUESTART|
    """
    # Open calls are checked every 300 s of log time. At 21705, A's last line (100) is 21605 s old,
    # over 6 h (21600 s); B's (115) is 21590 s old. At 22010 (21705 + 300 passed), B's is 21895 s old.
    mapper, changes = run(lines(log)[:4], AsteriskSettings())
    assert mapper.take_unmapped() == {"call lost: no line for 6 h": ["A@q"]}
    mapper, changes = run(lines(log), AsteriskSettings())
    assert mapper.take_unmapped() == {"call lost: no line for 6 h": ["A@q", "B@q"]}
    rec = final(changes)
    a, b = of(rec, "interaction", "A@q"), of(rec, "interaction", "B@q")
    assert (at(a["ended_at"]), a["abandoned_at"], a["answered_at"]) == (100, None, None)  # waits no more
    assert (at(b["answered_at"]), at(b["ended_at"])) == (115, 115)
    assert (of(rec, "agent", "Zed")["state"], of(rec, "agent", "Zed")["interaction_id"]) == ("available", None)
    assert json.loads(json.dumps(mapper.state()))["calls"] != []  # ended calls kept a while for late rows


def test_the_state_stays_bounded():
    rows = []
    for n in range(1500):  # 1500 answered calls, a new caller each, ten seconds apart
        t = 10 * n
        rows += [
            f"{t}|c{n}|q|NONE|ENTERQUEUE||555{n:05d}|1",
            f"{t + 2}|c{n}|q|Ann|CONNECT|2|x|1",
            f"{t + 9}|c{n}|q|Ann|COMPLETECALLER|2|7|1",
        ]
    mapper, changes = run(lines("\n".join(rows)), AsteriskSettings())
    assert sum(1 for c in changes if c["kind"] == "interaction") == 4500  # entered, answered, ended: each
    state = json.loads(json.dumps(mapper.state()))
    assert len(state["calls"]) == 300 and len(state["customers"]) == 1000 and len(state["recent"]) == 500
    assert len(state["versions"]) == 300 + 1000 + 2  # kept calls, customers, the queue and Ann
    assert len(json.dumps(state)) < 400_000


def test_an_event_with_an_impossible_time_is_counted_not_mapped():
    """A table reader builds events itself: a time no feed timestamp can hold is refused."""
    mapper = QueueLogMapper(AsteriskSettings())
    for t in (math.nan, math.inf, -1.0, 5e9):
        assert mapper.feed(QueueLogEvent(t, "A", "q", "NONE", "ENTERQUEUE", ("", "5550100", "1"))) == []
    assert mapper.take_unmapped() == {
        "time out of range": ["nan|A|q|NONE|ENTERQUEUE||5550100|1", "inf|A|q|NONE|ENTERQUEUE||5550100|1",
                              "-1|A|q|NONE|ENTERQUEUE||5550100|1", "5000000000|A|q|NONE|ENTERQUEUE||5550100|1"]
    }  # fmt: skip
    assert mapper.newest is None


def test_an_event_not_built_as_typed_is_counted_as_a_fault_not_raised():
    mapper = QueueLogMapper(AsteriskSettings())
    bad = QueueLogEvent(T, None, "q", "NONE", "ENTERQUEUE", (1, 2))  # type: ignore[arg-type]
    assert mapper.feed(bad) == []
    assert list(mapper.take_unmapped()) == ["mapper fault on ENTERQUEUE: AttributeError"]


# -- resume ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("log,site", [(LOG_1_8, SITE_1_8), (LOG_18, SITE_18), (LOG_1_4, AsteriskSettings())])
def test_resume_from_state_gives_the_records_of_one_run(log, site):
    rows = lines(log)
    whole, whole_changes = run(rows, site)
    for cut in range(1, len(rows)):
        first, changes = run(rows[:cut], site)
        state = json.loads(json.dumps(first.state()))
        second, rest = run(rows[cut:], site, QueueLogMapper(site, state))
        assert final(changes + rest) == final(whole_changes), cut
        assert (second.version, second.newest) == (whole.version, whole.newest)


# -- never fatal ------------------------------------------------------------------------------------

EVENTS = [
    "ENTERQUEUE", "CONNECT", "COMPLETECALLER", "COMPLETEAGENT", "TRANSFER", "BLINDTRANSFER", "ATTENDEDTRANSFER",
    "ABANDON", "EXITWITHTIMEOUT", "EXITWITHKEY", "EXITEMPTY", "WITHDRAW", "RINGNOANSWER", "RINGCANCELED",
    "PAUSE", "UNPAUSE", "PAUSEALL", "UNPAUSEALL", "PAUSEREASON", "ADDMEMBER", "REMOVEMEMBER", "PENALTY",
    "RINGINUSE", "AGENTLOGIN", "AGENTLOGOFF", "AGENTCALLBACKLOGIN", "AGENTCALLBACKLOGOFF", "FULL", "JOINEMPTY",
    "CLOSED", "DID", "QUEUESTART", "FOO",
]  # fmt: skip
field_text = st.one_of(
    st.sampled_from(["", "NONE", "0", "5", "30", "LINK", "PAUSED", "-1", "1e9"]), st.text(max_size=12)
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=80))
def test_parse_line_raises_only_bad_line(line):
    try:
        parse_line(line)
    except BadLine:
        pass


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.integers(0, 2000),
            st.sampled_from(["A", "B", "NONE", ""]),
            st.sampled_from(["q1", "q2", "NONE", "", "q 3"]),
            st.sampled_from(["Ann", "Bo Li", "NONE", "PJSIP/1"]),
            st.sampled_from(EVENTS),
            st.lists(field_text, max_size=6),
        ),
        max_size=40,
    ),
    st.text(max_size=60),
)
def test_feed_never_raises_and_its_records_are_valid(tmp_path_factory, rows, junk):
    site = AsteriskSettings(queues={"q1": QueueSettings(wrapup_s=15)}, members={"PJSIP/1": "Ann"})
    log = [f"{int(T + t)}|{c}|{q}|{a}|{e}|" + "|".join(d) for t, c, q, a, e, d in rows] + [junk]
    mapper, changes = run(log, site)
    assert not any(reason.startswith("mapper fault") for reason in mapper.take_unmapped())
    store(tmp_path_factory.mktemp("s"), changes)  # every record passes the feed's models
    state = json.loads(json.dumps(mapper.state()))
    assert len(json.dumps(state)) < 200_000


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.integers(0, 600),
            st.sampled_from(["A", "B", "C"]),
            st.sampled_from(["q1", "q2"]),
            st.sampled_from(["Ann", "Bo Li", "NONE"]),
            st.sampled_from(EVENTS),
            st.lists(st.sampled_from(["", "0", "3", "30", "Lunch", "PAUSED", "LINK"]), max_size=6),
        ),
        max_size=30,
    ),
    st.data(),
)
def test_any_log_resumed_anywhere_gives_the_records_of_one_run(rows, data):
    site = AsteriskSettings(queues={"q1": QueueSettings(wrapup_s=15)})
    log = [f"{int(T + t)}|{c}|{q}|{a}|{e}|" + "|".join(d) for t, c, q, a, e, d in rows]
    cut = data.draw(st.integers(0, len(log)))
    whole, all_changes = run(log, site)
    first, changes = run(log[:cut], site)
    second, rest = run(log[cut:], site, QueueLogMapper(site, json.loads(json.dumps(first.state()))))
    assert final(changes + rest) == final(all_changes)
    # Change for change: a resumed mapper writes again nothing it had written (it keeps digests of
    # what it wrote, where a running one keeps the data), and leaves out nothing.
    assert changes + rest == all_changes
    unmapped = first.take_unmapped()
    for reason, examples in second.take_unmapped().items():
        unmapped.setdefault(reason, []).extend(examples)
    assert unmapped == whole.take_unmapped()


nasty = st.one_of(
    st.sampled_from(["\x07", " ", "NONE", " NONE ", "Ä b", "\ud800", "%", "q", "Ann", "A"]), st.text(max_size=6)
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.integers(0, 100),
            nasty,
            nasty,
            nasty,
            st.sampled_from(EVENTS),
            st.lists(st.text(max_size=6), max_size=6),
        ),
        max_size=20,
    )
)
def test_any_text_in_any_field_makes_only_records_the_hub_takes(rows):
    """Names that clean to nothing, controls, lone surrogates, spaces: never an id the hub refuses."""
    mapper = QueueLogMapper(AsteriskSettings())
    changes = [c for t, *fields, e, d in rows for c in mapper.feed(QueueLogEvent(T + t, *fields, e, tuple(d)))]
    assert not any(reason.startswith("mapper fault") for reason in mapper.take_unmapped())
    assert [(c["id"], change_problem(c)[0]) for c in changes if change_problem(c)[0]] == []
