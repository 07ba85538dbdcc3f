"""The Coaching panel's data as Text cells, and the columns they go in.

Columns are as wide as their widest value (names within a cap), so a date,
a count or a stage is never cut; the note's text takes what is left.
Everything from the feed or a person is plain Text, never markup.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from rich.text import Text

from floorview.domain.sitetime import SiteTime
from floorview.domain.text import clean
from floorview.domain.vocabulary import TOPICS
from floorview.store.coaching import NoteView, Problem, Uncoached
from floorview.tui.coaching.data import ThemeRow
from floorview.tui.format import EMPTY, cell, num, pct, words_to
from floorview.tui.widgets.live_table import Column

# A note's state against the hub, in words (the note view, the agent page).
SYNC_WORDS: dict[str | None, str] = {
    None: "✓ on the hub",
    "pending": "↑ saved here, waiting to push",
    "conflict": "⚠ conflict: someone changed it on the hub",
    "rejected": "✗ rejected by the hub",
}
# Who reads a note of each visibility (docs/feed-protocol.md), in the note view.
VISIBILITY_SHORT = {
    "team": "team (all who see this agent)",
    "private": "private (this team's leads and whole-floor only; never on the huddle)",
}
WRITTEN = "%d %b %H:%M"  # 12 characters: "01 Dec 11:05"
NAME_CAP = 20  # an agent's or author's name column grows to this, then the name is cut
NOTE_MIN = 12
SCROLLBAR = 2  # the table's vertical scrollbar
PAD = 2  # a cell's padding, one each side


def _widest(values: Iterable[str], header: str, cap: int | None = None) -> int:
    width = max([len(header), *(len(v) for v in values)])
    return min(width, cap) if cap else width


def due_words(follow_up_on: str | None, today: str) -> str:
    """ "today", "3d late" (site days), or EMPTY."""
    if not follow_up_on:
        return EMPTY
    try:
        days = (date.fromisoformat(today) - date.fromisoformat(follow_up_on)).days
    except ValueError:
        return follow_up_on
    if days <= 0:
        return "today" if days == 0 else follow_up_on
    return f"{days}d late"


def _late(n: NoteView, today: str) -> bool:
    return bool(n.follow_up_on) and (n.follow_up_on or "") < today


def _left(width: int, columns: list[Column]) -> int:
    return width - SCROLLBAR - sum((c.width or 0) + PAD for c in columns) - PAD


def note_columns(width: int, due: bool, notes: Iterable[NoteView], today: str) -> list[Column]:
    """Follow-ups (due) or the search's matches (written): who it is about,
    the topic, the author always, the ADKAR stage where there is room, the note."""
    notes = list(notes)
    if due:
        first = Column(
            "due",
            "Due",
            _widest((("! " if _late(n, today) else "") + due_words(n.follow_up_on, today) for n in notes), "Due"),
        )
    else:
        first = Column("when", "Written", len("01 Dec 11:05"))
    cols = [
        first,
        Column("agent", "Agent", _widest((n.agent_name or n.agent_id or EMPTY for n in notes), "Agent", NAME_CAP)),
        Column("topic", "Topic", _widest(TOPICS, "Topic")),
    ]
    if width >= 100:
        cols.append(Column("adkar", "ADKAR", len("reinforcement")))
    cols.append(Column("author", "By", _widest((n.author for n in notes), "By", NAME_CAP if width >= 100 else 14)))
    cols.append(Column("body", "Note", max(NOTE_MIN, _left(width, cols))))
    return cols


def note_cells(n: NoteView, today: str, site: SiteTime, body_width: int) -> dict[str, Text]:
    late = _late(n, today)
    return {
        "due": cell(("! " if late else "") + due_words(n.follow_up_on, today), "bold yellow" if late else ""),
        "when": cell(site.fmt(n.created_at, WRITTEN)),
        "agent": cell(n.agent_name or n.agent_id or EMPTY),
        "topic": cell(n.topic or EMPTY),
        "adkar": cell(n.adkar or EMPTY),
        "author": cell(n.author),
        "body": cell(words_to(n.body, body_width)),  # cut between words, never mid-word
    }


def _topic_value(row: ThemeRow, topic: str) -> str:
    return f"{row.topics[TOPICS.index(topic)]} {pct(row.share(topic)):>4}"


def theme_columns(rows: Iterable[ThemeRow]) -> list[Column]:
    rows = list(rows)
    return [
        Column("team", "Team", _widest((r.team for r in rows), "Team", NAME_CAP)),
        *(Column(t, t.title(), _widest((_topic_value(r, t) for r in rows), t.title()), "right") for t in TOPICS),
        Column("total", "Notes", _widest((str(r.total) for r in rows), "Notes"), "right"),
        Column("stage", "Most noted stage", _widest((r.top_stage or EMPTY for r in rows), "Most noted stage")),
    ]


def theme_cells(row: ThemeRow) -> dict[str, Text]:
    return {
        "team": cell(row.team),
        **{t: num(_topic_value(row, t)) for t in TOPICS},
        "total": num(str(row.total)),
        "stage": cell(row.top_stage or EMPTY),
    }


LAST_COACHED = "%a %d %b"


def uncoached_columns(rows: Iterable[Uncoached]) -> list[Column]:
    rows = list(rows)
    return [
        Column("name", "Agent", _widest((u.name for u in rows), "Agent", NAME_CAP)),
        Column("team", "Team", _widest((u.team for u in rows), "Team", NAME_CAP)),
        Column("last", "Last coached", len("Last coached")),
    ]


def uncoached_cells(u: Uncoached, site: SiteTime) -> dict[str, Text]:
    return {
        "name": cell(u.name),
        "team": cell(u.team),
        "last": cell(site.fmt(u.last_coached, LAST_COACHED) if u.last_coached else "never"),
    }


def problem_columns(width: int) -> list[Column]:
    cols = [
        Column("when", "Written", len("01 Dec 11:05")),
        Column("state", "Hub said", len("⚠ conflict")),
        Column("op", "Change", len("Change")),
    ]
    cols.append(Column("what", "Note", max(20, _left(width, cols))))
    return cols


def problem_cells(p: Problem, site: SiteTime) -> dict[str, Text]:
    # The hub's words and note are cleaned when they come (sync/syncer.py), and
    # again here for what an older floorview stored raw.
    what = Text()
    if p.state == "conflict":
        what.append("not on the hub: " if p.detail == "null" else "changed on the hub meanwhile: ")
    elif p.detail:
        what.append(clean(p.detail))
        what.append(": ")
    body = (p.mine or {}).get("body") or ((p.theirs or {}).get("data") or {}).get("body") or ""
    what.append(clean(" ".join(str(body).split())))
    what.no_wrap = True
    return {
        "when": cell(site.fmt(p.created_at, WRITTEN)),
        "state": cell("⚠ conflict" if p.state == "conflict" else "✗ rejected", "bold yellow"),
        "op": cell("edit" if p.op == "put" else "delete"),
        "what": what,
    }
