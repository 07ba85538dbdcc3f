"""The reads behind the customer card (5) and the service recovery list (6).

Search goes through the trigram index of migration 0004 (any fragment of
three letters or more), or straight to the key for an id. The recovery rules
read today's contacts through the index on enqueue time, and reach back (7
days of abandons, 72 hours of contacts) only for the customers seen today.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from floorview.domain.recovery import Case, Hurt, RecoveryRules, rank
from floorview.domain.trust import Answer

MIN_FRAGMENT = 3  # the trigram index needs three characters
RULES = ("long_wait", "transfers", "repeat", "abandons", "detractor", "trust_no")  # bit order of rules_hit


@dataclass(frozen=True, slots=True)
class CustomerHit:
    id: str
    name: str
    segment: str | None
    since: str | None


def search_customers(con: sqlite3.Connection, text: str, limit: int = 50) -> list[CustomerHit]:
    """Customers whose id is `text`, then those whose name holds it (3+ characters), by name."""
    text = " ".join(text.split())
    if not text:
        return []
    hits = [CustomerHit(*r) for r in con.execute(
        "SELECT id, name, segment, since FROM customer WHERE id = ?", (text,))]
    if len(text) >= MIN_FRAGMENT:
        phrase = '"' + text.replace('"', '""') + '"'  # one literal phrase: no FTS syntax from the user
        # The first `limit` matches in index order, then sorted: a common name matches tens of
        # thousands, and sorting them all to show fifty is what makes a search slow.
        found = con.execute(
            "SELECT c.id, c.name, c.segment, c.since FROM customer_fts f JOIN customer c ON c.rowid = f.rowid"
            " WHERE customer_fts MATCH ? AND c.id != ? ORDER BY f.rowid LIMIT ?",
            (phrase, text, limit),
        ).fetchall()
        hits += sorted((CustomerHit(*r) for r in found), key=lambda h: (h.name, h.id))
    return hits[:limit]


@dataclass(frozen=True, slots=True)
class Visit:
    """One contact on the customer's timeline."""

    id: str
    queue: str | None
    channel: str
    enqueued_at: float
    wait_s: float | None
    threshold_s: float | None
    answered: bool
    abandoned: bool
    ended: bool
    transfers: int
    resolved: bool | None
    qa: float | None
    agent: str | None
    survey: Answer | None


@dataclass(frozen=True, slots=True)
class CustomerCard:
    id: str
    name: str
    segment: str | None
    since: str | None
    behavior: dict | None
    answers: list[Answer]  # oldest first
    visits: list[Visit]  # newest first
    recoveries: list[tuple[float, str, str]]  # (when, author, what was done), newest first


def customer_card(con: sqlite3.Connection, customer_id: str, visits: int = 30) -> CustomerCard | None:
    row = con.execute("SELECT id, name, segment, since, behavior FROM customer WHERE id = ?", (customer_id,)).fetchone()
    if row is None:
        return None
    answers = [Answer(*r) for r in con.execute(
        "SELECT answered_at, nps, csat, ces, trust, sincerity, competence, reliability, verbatim FROM survey"
        " WHERE customer_id = ? ORDER BY answered_at", (customer_id,))]
    by_contact = {r[0]: Answer(*r[1:]) for r in con.execute(
        "SELECT interaction_id, answered_at, nps, csat, ces, trust, sincerity, competence, reliability, verbatim"
        " FROM survey WHERE customer_id = ? AND interaction_id IS NOT NULL", (customer_id,))}
    timeline = []
    for r in con.execute(
        "SELECT i.id, q.name, i.channel, i.enqueued_at, coalesce(i.answered_at, i.abandoned_at) - i.enqueued_at,"
        " q.sl_threshold_s, i.answered_at IS NOT NULL, i.abandoned_at IS NOT NULL, i.ended_at IS NOT NULL,"
        " i.transfers, i.resolved, i.qa_score, a.name FROM interaction i"
        " LEFT JOIN queue q ON q.id = i.queue_id LEFT JOIN agent a ON a.id = i.agent_id"
        " WHERE i.customer_id = ? ORDER BY i.enqueued_at DESC LIMIT ?",
        (customer_id, visits),
    ):
        resolved = None if r[10] is None else bool(r[10])
        timeline.append(Visit(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]), bool(r[7]), bool(r[8]), r[9],
                              resolved, r[11], r[12], by_contact.get(r[0])))
    recoveries = con.execute(
        "SELECT created_at, author, body FROM note WHERE customer_id = ? AND type = 'recovery'"
        " ORDER BY created_at DESC", (customer_id,)).fetchall()
    behavior = json.loads(row[4]) if row[4] else None
    return CustomerCard(row[0], row[1], row[2], row[3], behavior, answers, timeline, recoveries)


@dataclass(frozen=True, slots=True)
class RecoveryList:
    cases: list[Case]  # the most hurt first, at most `limit`
    total: int  # customers hurt today and not yet recovered


def recovery_list(
    con: sqlite3.Connection, now: float, day_start: float, rules: RecoveryRules, limit: int = 300
) -> RecoveryList:
    """Customers hurt since `day_start` by the rules, less those recovered since then:
    the `limit` most hurt, ranked (domain.recovery.rank), and how many there are in all.

    Severity needs only the rules; the customers' names and value are read for the
    candidates at the top alone, which on a big floor is a few hundred of tens of thousands.
    """
    # customer -> [(rule, at, details)]: the words are made for the shown customers only.
    # Tens of thousands of hurts on a big floor: appended inline, rules kept as bits.
    hurts: dict[str, list[tuple]] = {}
    rules_hit: dict[str, int] = {}
    bit = {rule: 1 << i for i, rule in enumerate(RULES)}

    def hurt(customer_id: str, rule: str, at: float, *detail) -> None:
        hurts.setdefault(customer_id, []).append((rule, at, detail))
        rules_hit[customer_id] = rules_hit.get(customer_id, 0) | bit[rule]

    # Today's contacts that waited too long, were passed around, or came back to a queue
    # soon after the last time (the gap is kept by the store as contacts arrive). The
    # scan filters on the shortest queue's limit and reads no queue row; each queue's
    # own limit is applied here, to the few contacts left.
    repeat_s = rules.repeat_hours * 3600
    long_wait, transfers_at_least = rules.long_wait_factor, rules.transfers
    queues = {qid: (name, thr) for qid, name, thr in con.execute("SELECT id, name, sl_threshold_s FROM queue")}
    shortest = min((thr for _, thr in queues.values()), default=20.0)
    for cid, qid, enq, wait, transfers, gap in con.execute(
        "SELECT customer_id, queue_id, enqueued_at, coalesce(answered_at, abandoned_at, ?) - enqueued_at,"
        " transfers, repeat_gap_s FROM interaction INDEXED BY ix_interaction_enqueued_at_agent_id"
        " WHERE enqueued_at >= ? AND customer_id IS NOT NULL"
        " AND (coalesce(answered_at, abandoned_at, ?) - enqueued_at > ? OR transfers >= ? OR repeat_gap_s <= ?)",
        (now, day_start, now, long_wait * shortest, transfers_at_least, repeat_s),
    ):
        queue, threshold = queues.get(qid, (qid, 20.0))
        mask = 0
        if wait > long_wait * threshold:
            hurts.setdefault(cid, []).append(("long_wait", enq, (wait, queue, threshold)))
            mask |= 1
        if transfers >= transfers_at_least:
            hurts.setdefault(cid, []).append(("transfers", enq, (transfers, queue)))
            mask |= 2
        if gap is not None and gap <= repeat_s:
            hurts.setdefault(cid, []).append(("repeat", enq, (gap, queue)))
            mask |= 4
        if mask:
            rules_hit[cid] = rules_hit.get(cid, 0) | mask

    # Abandoned today, and often enough within the window (both through the small abandon indexes).
    for cid, n in con.execute(
        "WITH today AS (SELECT DISTINCT customer_id FROM interaction INDEXED BY ix_interaction_abandoned_by_time"
        " WHERE enqueued_at >= ? AND abandoned_at IS NOT NULL AND customer_id IS NOT NULL),"
        " counted AS MATERIALIZED (SELECT t.customer_id, (SELECT count(*) FROM interaction i"
        " INDEXED BY ix_interaction_abandoned_by_customer WHERE i.customer_id = t.customer_id"
        " AND i.enqueued_at >= ? AND i.abandoned_at IS NOT NULL) AS n FROM today t)"
        " SELECT customer_id, n FROM counted WHERE n >= ?",
        (day_start, now - rules.abandon_days * 86400, rules.abandons),
    ):
        hurt(cid, "abandons", now, n)

    # Told us today: a detractor's score, or "no" to trust.
    for cid, nps, trust, at in con.execute(
        "SELECT customer_id, nps, trust, answered_at FROM survey INDEXED BY ix_survey_answered_at"
        " WHERE answered_at >= ? AND (nps <= 6 OR trust = 'no')",
        (day_start,),
    ):
        if nps is not None and nps <= 6:
            hurt(cid, "detractor", at, nps)
        if trust == "no":
            hurt(cid, "trust_no", at)

    if hurts:
        for (cid,) in con.execute(
            "SELECT DISTINCT customer_id FROM note WHERE type = 'recovery' AND created_at >= ?"
            " AND customer_id IS NOT NULL",
            (day_start,),
        ):
            hurts.pop(cid, None)
    if not hurts:
        return RecoveryList([], 0)
    by_mask = [sum(rules.severity.get(r, 1) for r in RULES if m & bit[r]) for m in range(1 << len(RULES))]
    severity = {cid: by_mask[rules_hit[cid]] for cid in hurts}
    ordered = sorted(severity, key=severity.__getitem__, reverse=True)
    cut = severity[ordered[min(limit, len(ordered)) - 1]]
    candidates = [cid for cid in ordered if severity[cid] >= cut]  # ties at the cut are ranked by value below
    cases = {cid: Case(cid, cid, None, None) for cid in candidates}  # a customer not (yet) in the store: their id
    for cid, name, segment, products in con.execute(
        "SELECT c.id, c.name, c.segment, json_extract(c.behavior, '$.products')"
        " FROM json_each(?) j JOIN customer c ON c.id = j.value",
        (json.dumps(candidates),),
    ):
        case = cases[cid]
        case.name, case.segment = name, segment
        case.products = products if isinstance(products, int) else None
    top = rank(list(cases.values()), rules)[:limit]
    for case in top:
        case.hurts = [Hurt(rule, _why(rule, detail, rules), at) for rule, at, detail in hurts[case.customer_id]]
    return RecoveryList(top, len(hurts))


def recovery_cases(con: sqlite3.Connection, now: float, day_start: float, rules: RecoveryRules) -> list[Case]:
    """Every customer hurt today and not yet recovered, ranked."""
    return recovery_list(con, now, day_start, rules, limit=10**9).cases


def _why(rule: str, detail: tuple, rules: RecoveryRules) -> str:
    if rule == "long_wait":
        wait, queue, threshold = detail
        return f"waited {_dur(wait)} on {queue} (over {rules.long_wait_factor:g}x its {threshold:g} s)"
    if rule == "transfers":
        return f"transferred {detail[0]} times on {detail[1]}"
    if rule == "repeat":
        return f"came back to {detail[1]} after {_dur(detail[0])}"
    if rule == "abandons":
        return f"hung up {detail[0]} times in {rules.abandon_days:g} days"
    if rule == "detractor":
        return f"scored us {detail[0]} out of 10"
    return 'said no to "Do you trust us?"'


def _dur(seconds: float) -> str:
    s = int(seconds)
    if s < 3600:
        return f"{s // 60}:{s % 60:02d}"
    if s < 86400:
        return f"{s // 3600}h{s % 3600 // 60:02d}"
    return f"{s // 86400}d{s % 86400 // 3600:02d}h"
