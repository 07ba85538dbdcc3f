"""The huddle's `e` view: what each figure counts, and how channels add up."""

from __future__ import annotations

from rich.text import Text

from floorview.domain.metrics import figures
from floorview.domain.sitetime import SiteTime
from floorview.domain.units import EMPTY
from floorview.store.balance import MIN_TEAM_NOTES
from floorview.export import day_line, table_note, who
from floorview.tui.format import labelled
from floorview.tui.huddle.data import HuddleData


def explain_huddle(data: HuddleData, site: SiteTime) -> tuple[str, Text]:
    h, channel = data.huddle, data.channel
    f = h.served_figures(channel) if channel else None
    c = h.served.get(channel or "")
    total = h.served_total()
    whose = f"{h.team}'s agents" if h.team else "the agents your token sees" if h.partial else "every agent"
    rows = [
        ("today", day_line(h, site)),
        (
            "answered",
            f"contacts {whose} answered, counted by the day they were enqueued; "
            "AHT = (talk + after-contact work) / those finished",
        ),
        ("served", table_note(h)),
        (
            "SL",
            "answered within the queue's threshold / (answered + abandoned); abandons shorter than "
            "the queue's short-abandon limit count in neither",
        ),
    ]
    if c is not None and f is not None:
        rows.append(
            (
                "",
                f"{channel}: {c.answered_in_sl} / {c.answered + c.abandoned}"
                f" = {EMPTY if f.service_level is None else f'{f.service_level * 100:.1f}%'}",
            )
        )
    all_sl = figures(total).service_level
    rows += [
        (
            "all",
            f"every channel as counts: {total.answered_in_sl} / {total.answered + total.abandoned}"
            f" = {EMPTY if all_sl is None else f'{all_sl * 100:.1f}%'}; counts add up across queues"
            " and channels, each judged by its own queue's threshold",
        ),
        (
            "wait",
            "total wait of answered contacts / answered, per channel only: a mean over voice, chat and"
            " email together would mix seconds with hours",
        ),
        (
            "large",
            f"the {channel or 'busiest'} channel's figures (c picks another); the busiest is the one"
            " with most contacts offered today",
        ),
        ("QA", f"mean of today's QA scores of {whose}, every channel (a score, not a time)"),
        ("agents", "working now: available, on a contact or in wrap-up, of those in the store"),
        (
            "talk/walk",
            "this week's team-visible coaching notes against the ranking in force (the Balance screen's"
            f" sentence); none with fewer than {MIN_TEAM_NOTES} notes, too few to tell a trend",
        ),
    ]
    return f"Huddle figures — {who(h)}", labelled(*rows)
