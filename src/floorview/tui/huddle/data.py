"""The Huddle panel's data: the request built on the event loop (team and
channel) and the pure loader run in the worker. Everything comes from
`store.huddle`, which holds no private note and no customer detail."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, replace

from floorview.domain.balance import Priorities
from floorview.store.balance import week_sentence
from floorview.store.huddle import Huddle, load_huddle
from floorview.store.reads import site_time


@dataclass(frozen=True, slots=True)
class HuddleRequest:
    team: str | None  # None: the floor (or all the token sees)
    channel: str | None  # the channel in large type; None: the busiest
    default: Priorities  # the config's ranking, for the talk/walk sentence
    site_timezone: str
    scoped: bool  # the token sees part of the floor


@dataclass(frozen=True, slots=True)
class HuddleData:
    huddle: Huddle
    channel: str | None  # the channel in large type (the one asked for, if it has anything today)


def load(con: sqlite3.Connection, now: float, request: HuddleRequest) -> HuddleData:
    """The huddle of the request's team at `now`, with the talk/walk sentence of its coaching."""
    site = site_time(con, request.site_timezone)
    h = load_huddle(con, request.team, now, site)
    h = replace(h, sentence=week_sentence(con, now, request.default, request.team), partial=request.scoped)
    channel = request.channel if request.channel in h.channels else h.busiest()
    return HuddleData(h, channel)
