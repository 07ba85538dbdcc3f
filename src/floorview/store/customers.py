"""The reads behind the customer card (5) and the service recovery list (6).

Search goes through the trigram index of migration 0004 (any fragment of
three letters or more), or straight to the key for an id. The recovery rules
read today's contacts through the index on enqueue time, and reach back (7
days of abandons, 72 hours of contacts) only for the customers seen today.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from floorview.domain.recovery import RULES, Case, Hurt, RecoveryRules, rank, severity
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
    hits = [CustomerHit(*r) for r in con.execute("SELECT id, name, segment, since FROM customer WHERE id = ?", (text,))]
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


def recent_customers(con: sqlite3.Connection, since: float, limit: int = 50) -> list[CustomerHit]:
    """Customers in contact since `since`, the latest first."""
    rows = con.execute(
        "SELECT c.id, c.name, c.segment, c.since FROM interaction i INDEXED BY ix_interaction_enqueued_at_agent_id"
        " JOIN customer c ON c.id = i.customer_id WHERE i.enqueued_at >= ? GROUP BY c.id"
        " ORDER BY max(i.enqueued_at) DESC LIMIT ?",
        (since, limit),
    ).fetchall()
    return [CustomerHit(*r) for r in rows]


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
    behavior: dict[str, Any] | None
    answers: list[Answer]  # oldest first
    visits: list[Visit]  # newest first
    recoveries: list[tuple[float, str, str]]  # (when, author, what was done), newest first


def customer_card(con: sqlite3.Connection, customer_id: str, visits: int = 30) -> CustomerCard | None:
    row = con.execute("SELECT id, name, segment, since, behavior FROM customer WHERE id = ?", (customer_id,)).fetchone()
    if row is None:
        return None
    answers = [
        Answer(*r)
        for r in con.execute(
            "SELECT answered_at, nps, csat, ces, trust, sincerity, competence, reliability, verbatim FROM survey"
            " WHERE customer_id = ? ORDER BY answered_at",
            (customer_id,),
        )
    ]
    by_contact = {
        r[0]: Answer(*r[1:])
        for r in con.execute(
            "SELECT interaction_id, answered_at, nps, csat, ces, trust, sincerity, competence, reliability, verbatim"
            " FROM survey WHERE customer_id = ? AND interaction_id IS NOT NULL",
            (customer_id,),
        )
    }
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
        timeline.append(
            Visit(
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                r[5],
                bool(r[6]),
                bool(r[7]),
                bool(r[8]),
                r[9],
                resolved,
                r[11],
                r[12],
                by_contact.get(r[0]),
            )
        )
    recoveries = con.execute(
        "SELECT created_at, author, body FROM note WHERE customer_id = ? AND type = 'recovery'"
        " ORDER BY created_at DESC",
        (customer_id,),
    ).fetchall()
    behavior = json.loads(row[4]) if row[4] else None
    return CustomerCard(row[0], row[1], row[2], row[3], behavior, answers, timeline, recoveries)


Said = dict[str, list[tuple[str, float, tuple[Any, ...]]]]  # customer: (rule, when, detail) of what they told us


@dataclass(frozen=True, slots=True)
class RecoveryList:
    cases: list[Case]  # the most hurt first, at most `limit`
    total: int  # customers hurt today and not yet recovered


def recovery_list(
    con: sqlite3.Connection,
    now: float,
    day_start: float,
    rules: RecoveryRules,
    limit: int = 300,
    teams: Sequence[str] | None = None,
    queues: Sequence[str] | None = None,
) -> RecoveryList:
    """Customers hurt since `day_start` by the rules, less those recovered since then:
    the `limit` most hurt, ranked (domain.recovery.rank), and how many there are in all.

    `teams`: only customers with a contact since `day_start` answered by an agent of
    one of these teams; `queues`: only those with a contact since then on one of
    these queues (None: no such limit; empty: nobody).

    A big floor has tens of thousands of hurt customers. So the first pass only
    says which rules each customer broke (severity needs no more); names, value
    and the words of each hurt are read for the candidates at the top alone.
    """
    bit = {rule: 1 << i for i, rule in enumerate(RULES)}
    rules_hit: dict[str, int] = {}
    repeat_s = rules.repeat_hours * 3600
    queue_info = {qid: (name, thr) for qid, name, thr in con.execute("SELECT id, name, sl_threshold_s FROM queue")}
    limit_sql, limit_args = _wait_limits(queue_info, rules.long_wait_factor)

    # Today's contacts that waited too long, were passed around, or came back to a queue soon
    # after the last time (the gap is kept by the store as contacts arrive): one flag per rule.
    waited = f"coalesce(answered_at, abandoned_at, {now!r}) - enqueued_at > {limit_sql}"
    for cid, long_wait, passed, back in con.execute(
        f"SELECT customer_id, max({waited}), max(transfers >= ?), max(coalesce(repeat_gap_s <= ?, 0))"
        " FROM interaction INDEXED BY ix_interaction_enqueued_at_agent_id"
        f" WHERE enqueued_at >= ? AND customer_id IS NOT NULL AND ({waited} OR transfers >= ? OR repeat_gap_s <= ?)"
        " GROUP BY customer_id",
        (*limit_args, rules.transfers, repeat_s, day_start, *limit_args, rules.transfers, repeat_s),
    ):
        rules_hit[cid] = long_wait * bit["long_wait"] | passed * bit["transfers"] | back * bit["repeat"]

    # Abandoned today, and often enough within the window (both through the small abandon indexes).
    abandons: dict[str, int] = {}
    for cid, n in con.execute(
        "WITH today AS (SELECT DISTINCT customer_id FROM interaction INDEXED BY ix_interaction_abandoned_by_time"
        " WHERE enqueued_at >= ? AND abandoned_at IS NOT NULL AND customer_id IS NOT NULL),"
        " counted AS MATERIALIZED (SELECT t.customer_id, (SELECT count(*) FROM interaction i"
        " INDEXED BY ix_interaction_abandoned_by_customer WHERE i.customer_id = t.customer_id"
        " AND i.enqueued_at >= ? AND i.abandoned_at IS NOT NULL) AS n FROM today t)"
        " SELECT customer_id, n FROM counted WHERE n >= ?",
        (day_start, now - rules.abandon_days * 86400, rules.abandons),
    ):
        abandons[cid] = n
        rules_hit[cid] = rules_hit.get(cid, 0) | bit["abandons"]

    # Told us today: a detractor's score, or "no" to trust.
    said: Said = {}
    for cid, nps, trust, at in con.execute(
        "SELECT customer_id, nps, trust, answered_at FROM survey INDEXED BY ix_survey_answered_at"
        " WHERE answered_at >= ? AND (nps <= 6 OR trust = 'no')",
        (day_start,),
    ):
        if nps is not None and nps <= 6:
            said.setdefault(cid, []).append(("detractor", at, (nps,)))
            rules_hit[cid] = rules_hit.get(cid, 0) | bit["detractor"]
        if trust == "no":
            said.setdefault(cid, []).append(("trust_no", at, ()))
            rules_hit[cid] = rules_hit.get(cid, 0) | bit["trust_no"]

    if teams is not None or queues is not None:
        mine = _customers_of(con, day_start, teams, queues)
        rules_hit = {cid: hit for cid, hit in rules_hit.items() if cid in mine}
    if rules_hit:
        for (cid,) in con.execute(
            "SELECT DISTINCT customer_id FROM note WHERE type = 'recovery' AND created_at >= ?"
            " AND customer_id IS NOT NULL",
            (day_start,),
        ):
            rules_hit.pop(cid, None)
    if not rules_hit:
        return RecoveryList([], 0)
    # The rules fired are kept as bits (RULES order); each combination's severity is worked out once.
    by_mask = [severity((r for r in RULES if m & bit[r]), rules) for m in range(1 << len(RULES))]
    weight = {cid: by_mask[mask] for cid, mask in rules_hit.items()}
    ordered = sorted(weight, key=weight.__getitem__, reverse=True)
    cut = weight[ordered[min(limit, len(ordered)) - 1]]
    candidates = [cid for cid in ordered if weight[cid] >= cut]  # ties at the cut are ranked by value below
    cases = {cid: Case(cid, cid, None, None) for cid in candidates}  # a customer not (yet) in the store: their id
    for cid, name, segment, products in con.execute(
        "SELECT c.id, c.name, c.segment, json_extract(c.behavior, '$.products')"
        " FROM json_each(?) j JOIN customer c ON c.id = j.value",
        (json.dumps(candidates),),
    ):
        case = cases[cid]
        case.name, case.segment = name, segment
        case.products = products if isinstance(products, int) else None
    _explain_hurts(con, list(cases.values()), abandons, said, queue_info, now, day_start, rules)
    return RecoveryList(rank(list(cases.values()), rules)[:limit], len(rules_hit))


def _customers_of(
    con: sqlite3.Connection, day_start: float, teams: Sequence[str] | None, queues: Sequence[str] | None
) -> set[str]:
    """Customers with a contact since `day_start` answered by one of `teams` and on one of `queues`."""
    sql = (
        "SELECT DISTINCT i.customer_id FROM interaction i INDEXED BY ix_interaction_enqueued_at_agent_id"
        " WHERE i.enqueued_at >= ? AND i.customer_id IS NOT NULL"
    )
    args: list[Any] = [day_start]
    if teams is not None:
        sql += " AND i.agent_id IN (SELECT a.id FROM agent a JOIN json_each(?) t ON a.team = t.value)"
        args.append(json.dumps(list(teams)))
    if queues is not None:
        sql += " AND i.queue_id IN (SELECT value FROM json_each(?))"
        args.append(json.dumps(list(queues)))
    return {cid for (cid,) in con.execute(sql, args)}


def team_names(con: sqlite3.Connection) -> list[str]:
    """Every team of the floor, by name."""
    return [t for (t,) in con.execute("SELECT DISTINCT team FROM agent ORDER BY team")]


def team_queues(con: sqlite3.Connection, teams: Sequence[str]) -> list[str]:
    """The queues the teams' agents are assigned to (their skills), by id."""
    return [
        q
        for (q,) in con.execute(
            "SELECT DISTINCT aq.queue_id FROM agent_queue aq JOIN agent a ON a.id = aq.agent_id"
            " JOIN json_each(?) t ON a.team = t.value ORDER BY aq.queue_id",
            (json.dumps(list(teams)),),
        )
    ]


def queue_names(con: sqlite3.Connection) -> dict[str, str]:
    """Every queue's name, by id."""
    return {qid: name for qid, name in con.execute("SELECT id, name FROM queue")}


def local_writes(con: sqlite3.Connection) -> tuple[int, int]:
    """A mark that moves with every local write queued for the hub (a recovery recorded here)."""
    count, last = con.execute("SELECT count(*), coalesce(max(seq), 0) FROM outbox").fetchone()
    return int(count), int(last)


def _wait_limits(queues: dict[str, tuple[str, float]], factor: float) -> tuple[str, list[Any]]:
    """The long-wait limit of each contact's queue as SQL: one branch per distinct
    threshold (a floor has a few), so the scan reads no queue row."""
    by_limit: dict[float, list[str]] = {}
    for qid, (_, thr) in queues.items():
        by_limit.setdefault(factor * thr, []).append(qid)
    if not by_limit:
        return "?", [factor * 20.0]
    sql, args = "CASE", list[Any]()
    for limit_s, ids in by_limit.items():
        sql += f" WHEN queue_id IN ({','.join('?' * len(ids))}) THEN ?"
        args += [*ids, limit_s]
    return sql + " ELSE ? END", [*args, factor * 20.0]  # a queue not in the store: the feed's default


def _explain_hurts(
    con: sqlite3.Connection,
    cases: list[Case],
    abandons: dict[str, int],
    said: Said,
    queues: dict[str, tuple[str, float]],
    now: float,
    day_start: float,
    rules: RecoveryRules,
) -> None:
    """Each candidate's hurts in words, from their own contacts today (rank weighs them)."""
    if not cases:
        return
    repeat_s = rules.repeat_hours * 3600
    mine: Said = {c.customer_id: [] for c in cases}
    for cid, qid, enq, wait, transfers, gap in con.execute(
        "SELECT i.customer_id, i.queue_id, i.enqueued_at, coalesce(i.answered_at, i.abandoned_at, ?) - i.enqueued_at,"
        " i.transfers, i.repeat_gap_s FROM json_each(?) j"
        " JOIN interaction i INDEXED BY ix_interaction_customer_id_enqueued_at"
        " ON i.customer_id = j.value AND i.enqueued_at >= ?",
        (now, json.dumps(list(mine)), day_start),
    ):
        queue, threshold = queues.get(qid, (qid, 20.0))
        if wait > rules.long_wait_factor * threshold:
            mine[cid].append(("long_wait", enq, (wait, queue, threshold)))
        if transfers >= rules.transfers:
            mine[cid].append(("transfers", enq, (transfers, queue)))
        if gap is not None and gap <= repeat_s:
            mine[cid].append(("repeat", enq, (gap, queue)))
    for case in cases:
        cid = case.customer_id
        found = mine[cid] + said.get(cid, [])
        if cid in abandons:
            found.append(("abandons", now, (abandons[cid],)))
        case.hurts = [Hurt(rule, _why(rule, detail, rules), at) for rule, at, detail in found]


def _why(rule: str, detail: tuple[Any, ...], rules: RecoveryRules) -> str:
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
