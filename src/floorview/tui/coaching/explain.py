"""The Coaching panel's `e` views: what the row under the cursor shows, and why it is listed."""

from __future__ import annotations

from floorview.domain.units import counted

from rich.text import Text

from floorview.domain.sitetime import SiteTime
from floorview.domain.vocabulary import ADKAR_STAGES, TOPICS
from floorview.store.coaching import NoteView, Problem, Uncoached
from floorview.tui.coaching.cells import due_words
from floorview.tui.coaching.data import THEME_DAYS, ThemeRow
from floorview.tui.format import EMPTY, labelled, pct

Explained = tuple[str, Text]


def _zone(site: SiteTime) -> str:
    return site.describe()


def follow_up(n: NoteView, today: str, site: SiteTime, whose: str) -> Explained:
    text = labelled(
        ("agent", n.agent_name or n.agent_id or EMPTY),
        ("due", f"{n.follow_up_on} ({due_words(n.follow_up_on, today)})"),
        ("written", f"{site.stamp(n.created_at, '%a %d %b %Y %H:%M')}"),
        ("by", n.author),
        ("topic", n.topic or EMPTY),
        ("ADKAR", n.adkar or EMPTY),
    )
    text.append(
        "\nListed: coaching notes whose follow-up date is today or earlier, in site time "
        f"({_zone(site)}), the oldest due first; `! ` marks one past its day. "
    )
    text.append(f"Showing {whose}. ")
    text.append("d marks it done: the follow-up date is cleared, an edit pushed like any other. enter opens the note.")
    return "Follow-up", text


def search_match(n: NoteView, words: str, site: SiteTime, whose: str) -> Explained:
    text = labelled(
        ("agent", n.agent_name or n.agent_id or EMPTY),
        ("written", f"{site.stamp(n.created_at, '%a %d %b %Y %H:%M')}"),
        ("by", n.author),
        ("topic", n.topic or EMPTY),
    )
    text.append("\nListed: notes whose text, author, agent's name or topic holds every word of ")
    text.append(repr(words))
    text.append(f" (any case), newest first, up to 200. Showing {whose}.")
    return "Search match", text


def theme(row: ThemeRow) -> Explained:
    rows = [(t, f"{row.topics[i]} of {row.total} notes, {pct(row.share(t))}") for i, t in enumerate(TOPICS)]
    untopiced = row.total - sum(row.topics)
    if untopiced:
        rows.append(("no topic", str(untopiced)))
    text = labelled(("team", row.team), *rows)
    text.append("\nBy ADKAR stage: ")
    text.append(", ".join(f"{s} {c}" for s, c in zip(ADKAR_STAGES, row.stages)) or EMPTY)
    text.append(f"; most noted: {row.top_stage or 'none noted'} (the earlier stage on a tie).\n")
    text.append(
        f"\nCounted: coaching notes (not kudos or recovery) written in the last {THEME_DAYS} days about the "
        "team's agents (the team an agent is in now). Shares are of the team's notes, rounded."
    )
    return f"Themes: {row.team}", text


def uncoached(u: Uncoached, days: int, site: SiteTime, whose: str) -> Explained:
    last = f"{site.fmt(u.last_coached, '%a %d %b %Y')}" if u.last_coached else "never, as far as this store knows"
    text = labelled(("agent", u.name), ("team", u.team), ("last", last))
    text.append(
        f"\nListed: agents without a coaching note in the last {counted(days, 'day')} "
        f"(setting coaching.not_coached_days), the longest without first. Showing {whose}. "
        "enter opens the agent, n writes a note."
    )
    return "Not coached lately", text


def problem(p: Problem, site: SiteTime) -> Explained:
    text = labelled(
        ("written", f"{site.stamp(p.created_at, '%a %d %b %Y %H:%M')}"),
        ("change", "an edit" if p.op == "put" else "a deletion"),
        ("hub said", "conflict (409)" if p.state == "conflict" else "rejected (403 or 422)"),
    )
    if p.state == "conflict":
        text.append(
            "\nSomeone changed this note on the hub after the version yours was made on. "
            "enter shows both; m keeps yours, t takes theirs, b keeps both, x discards yours."
        )
    else:
        text.append("\nThe hub refused this change; enter shows why. c edits it and pushes again, x discards it.")
    return "Waiting for you", text
