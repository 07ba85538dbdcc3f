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

from floorview.domain.recovery import Case, Hurt, RecoveryRules
from floorview.domain.trust import Answer

MIN_FRAGMENT = 3  # the trigram index needs three characters


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


def recovery_cases(con: sqlite3.Connection, now: float, day_start: float, rules: RecoveryRules) -> list[Case]:
    """Customers hurt since `day_start` by the rules, less those recovered since then (unranked)."""
    cases: dict[str, Case] = {}

    def hurt(customer_id: str, rule: str, why: str, at: float) -> None:
        case = cases.get(customer_id)
        if case is None:
            case = cases[customer_id] = Case(customer_id, "", None, None)
        case.hurts.append(Hurt(rule, why, at))

    # Today's contacts that waited too long or were passed around.
    for cid, queue, enq, wait, threshold, transfers in con.execute(
        "SELECT i.customer_id, q.name, i.enqueued_at, coalesce(i.answered_at, i.abandoned_at, ?) - i.enqueued_at,"
        " q.sl_threshold_s, i.transfers FROM interaction i JOIN queue q ON q.id = i.queue_id"
        " WHERE i.enqueued_at >= ? AND i.customer_id IS NOT NULL"
        " AND (coalesce(i.answered_at, i.abandoned_at, ?) - i.enqueued_at > ? * q.sl_threshold_s OR i.transfers >= ?)",
        (now, day_start, now, rules.long_wait_factor, rules.transfers),
    ):
        if wait > rules.long_wait_factor * threshold:
            hurt(cid, "long_wait", f"waited {_dur(wait)} on {queue} (over {rules.long_wait_factor:g}x its {threshold:g} s)", enq)
        if transfers >= rules.transfers:
            hurt(cid, "transfers", f"transferred {transfers} times on {queue}", enq)

    # Abandoned today, and often enough within the window (both through the small abandon indexes).
    for cid, n, last in con.execute(
        "WITH today AS (SELECT DISTINCT customer_id FROM interaction INDEXED BY ix_interaction_abandoned_by_time"
        " WHERE enqueued_at >= ? AND abandoned_at IS NOT NULL AND customer_id IS NOT NULL),"
        " counted AS (SELECT t.customer_id, (SELECT count(*) FROM interaction i"
        " INDEXED BY ix_interaction_abandoned_by_customer WHERE i.customer_id = t.customer_id"
        " AND i.enqueued_at >= ? AND i.abandoned_at IS NOT NULL) AS n FROM today t)"
        " SELECT customer_id, n, ? FROM counted WHERE n >= ?",
        (day_start, now - rules.abandon_days * 86400, now, rules.abandons),
    ):
        hurt(cid, "abandons", f"hung up {n} times in {rules.abandon_days:g} days", last)

    # Came back today to a queue they had contacted within the window: one covering seek per contact.
    for cid, queue, enq, gap in con.execute(
        "SELECT i.customer_id, q.name, i.enqueued_at, i.enqueued_at - ("
        "  SELECT max(p.enqueued_at) FROM interaction p INDEXED BY ix_interaction_customer_id_queue_id_enqueued_at"
        "  WHERE p.customer_id = i.customer_id AND p.queue_id = i.queue_id"
        "  AND p.enqueued_at < i.enqueued_at AND p.enqueued_at >= i.enqueued_at - ?)"
        " AS gap FROM interaction i INDEXED BY ix_interaction_enqueued_at_agent_id JOIN queue q ON q.id = i.queue_id"
        " WHERE i.enqueued_at >= ? AND i.customer_id IS NOT NULL AND gap IS NOT NULL",
        (rules.repeat_hours * 3600, day_start),
    ):
        hurt(cid, "repeat", f"came back to {queue} after {_dur(gap)}", enq)

    # Told us today: a detractor's score, or "no" to trust.
    for cid, nps, trust, at in con.execute(
        "SELECT customer_id, nps, trust, answered_at FROM survey INDEXED BY ix_survey_answered_at"
        " WHERE answered_at >= ? AND (nps <= 6 OR trust = 'no')",
        (day_start,),
    ):
        if nps is not None and nps <= 6:
            hurt(cid, "detractor", f"scored us {nps} out of 10", at)
        if trust == "no":
            hurt(cid, "trust_no", "said no to \"Do you trust us?\"", at)

    if not cases:
        return []
    recovered = {cid for (cid,) in con.execute(
        "SELECT DISTINCT customer_id FROM note WHERE type = 'recovery' AND created_at >= ? AND customer_id IS NOT NULL",
        (day_start,))}
    ids = [cid for cid in cases if cid not in recovered]
    out = []
    for chunk in range(0, len(ids), 500):
        part = ids[chunk:chunk + 500]
        for cid, name, segment, products in con.execute(
            "SELECT id, name, segment, json_extract(behavior, '$.products') FROM customer"
            f" WHERE id IN ({','.join('?' * len(part))})", part
        ):
            case = cases[cid]
            case.name, case.segment = name, segment
            case.products = products if isinstance(products, int) else None
            out.append(case)
    # A customer hurt today but not (yet) in the store keeps their id for a name.
    known = {c.customer_id for c in out}
    for cid in ids:
        if cid not in known:
            case = cases[cid]
            case.name = cid
            out.append(case)
    return out


def _dur(seconds: float) -> str:
    s = int(seconds)
    if s < 3600:
        return f"{s // 60}:{s % 60:02d}"
    if s < 86400:
        return f"{s // 3600}h{s % 3600 // 60:02d}"
    return f"{s // 86400}d{s % 86400 // 3600:02d}h"
