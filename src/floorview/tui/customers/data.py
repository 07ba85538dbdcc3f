"""The Customers panel's data: the search (5), the trust and behavior card, and
the service recovery list (6). Requests are frozen values built on the event
loop; the loaders run in the refresh worker and touch no widget (tui/base.py)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from floorview.config import CustomersConfig
from floorview.domain.recovery import Case, RecoveryRules
from floorview.domain.sitetime import SiteTime
from floorview.domain.trust import (
    Emotion,
    Engagement,
    Stool,
    actions,
    emotion,
    engagement,
    net_trust,
    quadrant,
    stool,
    trust_trend,
)
from floorview.store.customers import (
    CustomerCard,
    CustomerHit,
    customer_card,
    local_writes,
    queue_names,
    recent_customers,
    recovery_list,
    search_customers,
    team_names,
    team_queues,
)

RECENT_S = 3600  # with no search: the customers in contact this last hour
RECENT = 50
LIMIT = 50  # search results shown
REFRESH_S = 30  # on a big floor the recovery rules read a day of contacts: at most this often
SHOWN = 300  # the most hurt; the rest are counted (a supervisor works from the top)


# -- screen 5: the search ------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SearchRequest:
    query: str  # as typed, stripped; "": the customers in contact in the last hour


@dataclass(frozen=True, slots=True)
class SearchData:
    hits: tuple[CustomerHit, ...]


def load_search(con: sqlite3.Connection, now: float, request: SearchRequest) -> SearchData:
    if request.query:
        return SearchData(tuple(search_customers(con, request.query, LIMIT)))
    return SearchData(tuple(recent_customers(con, now - RECENT_S, RECENT)))


# -- the card --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CardRequest:
    customer_id: str
    site: SiteTime  # "today", for the customer's tenure
    config: CustomersConfig = field(hash=False)  # the quadrant's thresholds, engagement's weights


@dataclass(slots=True)
class CardView:
    card: CustomerCard
    trust: float | None
    trust_n: int
    trend: tuple[float | None, float | None]
    stool: Stool
    emotion: Emotion
    engagement: Engagement
    quadrant: str | None
    actions: list[str]


def card_view(card: CustomerCard, now: float, config: CustomersConfig, site: SiteTime) -> CardView:
    """The card's figures, worked out from the customer's answers and behavior."""
    answers = card.answers
    trust, n = net_trust(answers)
    legs = stool(answers)
    feel = emotion(answers, now)
    engaged = engagement(card.behavior, config.engagement)
    since = date.fromisoformat(card.since) if card.since else None
    return CardView(
        card,
        trust,
        n,
        trust_trend(answers, now),
        legs,
        feel,
        engaged,
        quadrant(engaged.score, feel.score, config.behavior_high, config.emotion_high),
        actions(
            engaged.score,
            feel.score,
            legs.weakest,
            since,
            site.today(now),
            config.behavior_high,
            config.emotion_high,
        ),
    )


def load_card(con: sqlite3.Connection, now: float, request: CardRequest) -> CardView | None:
    card = customer_card(con, request.customer_id)
    return card_view(card, now, request.config, request.site) if card else None


# -- screen 6: service recovery ----------------------------------------------------------------------
Kind = Literal["all", "team", "queues"]
KINDS: tuple[Kind, ...] = ("all", "team", "queues")


@dataclass(frozen=True, slots=True)
class Mine:
    """Whose customers the list holds: everyone's; those a contact of which
    today was answered by the teams; or those in contact today on the queues
    (the token's, else the ones the teams' agents are assigned to)."""

    kind: Kind = "all"
    teams: tuple[str, ...] = ()
    queues: tuple[str, ...] = ()  # the token's; empty: the teams'


@dataclass(frozen=True, slots=True)
class RecoveryRequest:
    site: SiteTime  # where "today" starts
    mine: Mine = Mine()
    rules: RecoveryRules = field(default_factory=RecoveryRules, hash=False)


@dataclass(frozen=True, slots=True)
class RecoveryData:
    cases: list[Case]  # the most hurt first, at most SHOWN
    total: int  # customers hurt today and not yet recovered, of the filter
    teams: tuple[str, ...]  # every team of the floor (what `t` cycles through)
    queues: tuple[str, ...]  # the queues of a queues filter, by name


class RecoveryLoader:
    """Loads the recovery list, at most every REFRESH_S unless a recovery was
    recorded here or the request changed: a recorded recovery leaves the list
    at once, new hurts show within REFRESH_S. Owned by one screen's load
    worker (loads never overlap), so its cache needs no lock."""

    def __init__(self) -> None:
        self._key: tuple[int, tuple[int, int], RecoveryRequest] | None = None
        self._data: RecoveryData | None = None

    def __call__(self, con: sqlite3.Connection, now: float, request: RecoveryRequest) -> RecoveryData:
        key = (int(now // REFRESH_S), local_writes(con), request)
        if self._data is not None and key == self._key:
            return self._data
        mine = request.mine
        teams: tuple[str, ...] | None = None
        queues: tuple[str, ...] | None = None
        if mine.kind == "team":
            teams = mine.teams
        elif mine.kind == "queues":
            queues = mine.queues or tuple(team_queues(con, mine.teams))
        found = recovery_list(con, now, request.site.day_start(now), request.rules, SHOWN, teams, queues)
        names = queue_names(con)
        shown = tuple(sorted(names.get(q, q) for q in queues)) if queues is not None else ()
        self._data = RecoveryData(found.cases, found.total, tuple(team_names(con)), shown)
        self._key = key
        return self._data
