"""`floorview export huddle`: the huddle summary as Markdown or HTML for the minutes.

Everything in it comes from `store.huddle`, which reads only team-visible
notes and no customer details. Text from the feed is escaped for the format,
so a note cannot become a link, an image or a script in the minutes.
"""

from __future__ import annotations

import html
import re

from floorview.domain.metrics import figures
from floorview.domain.sitetime import SiteTime
from floorview.domain.units import EMPTY, counted, duration
from floorview.store.huddle import Huddle, TeamWork


def _pct(v: float | None) -> str:
    return EMPTY if v is None else f"{v * 100:.0f}%"


def who(h: Huddle) -> str:
    if h.team:
        return f"Team {h.team}"
    return "All your token sees" if h.partial else "The floor"


def channel_table(h: Huddle) -> tuple[list[str], list[list[str]]]:
    """Today by channel: the team's own work beside the served queues' figures.

    The "all channels" row adds counts only: answered, offered, and service
    level and abandons as answered-in-threshold and abandoned over answered
    plus abandoned. Waits and handle times are never averaged across channels.
    """
    head = ["Channel", "Answered", "AHT", "Offered", "Service level", "Average wait", "Abandoned"]
    rows = []
    for channel in h.channels:
        work = h.own.get(channel, TeamWork())
        f = h.served_figures(channel)
        rows.append(
            [
                channel,
                str(work.answered),
                duration(work.aht_s),
                str(f.offered),
                _pct(f.service_level),
                duration(f.asa_s),
                _pct(f.abandon_rate),
            ]
        )
    if len(rows) > 1:
        f = figures(h.served_total())
        rows.append(
            ["all channels", str(h.answered), EMPTY, str(f.offered), _pct(f.service_level), EMPTY, _pct(f.abandon_rate)]
        )
    return head, rows


def table_note(h: Huddle) -> str:
    """What the two halves of the channel table count, in words."""
    mine = f"{h.team}'s agents" if h.team else "the agents your token sees" if h.partial else "all agents"
    if h.team:
        queues = f"the {h.served_queues} queue{'s' if h.served_queues != 1 else ''} {h.team} serves"
    else:
        queues = "the contacts your token sees on every queue" if h.partial else "every queue"
    return (
        f"Answered and AHT: {mine}. Offered, service level, wait and abandoned: {queues},"
        " all teams' work included. All channels adds counts only; waits and AHT stay per channel."
    )


def other_figures(h: Huddle) -> list[tuple[str, str]]:
    qa = EMPTY if h.qa_mean is None else f"{h.qa_mean:.1f} ({h.qa_count} scored)"
    return [
        ("QA average today", qa),
        ("Agents working now", f"{h.agents_working} of {h.agents_total}"),
    ]


def talk_heading(h: Huddle) -> str:
    return f"Talk and walk: {h.team}'s coaching" if h.team else "Talk and walk"


def title(h: Huddle, site: SiteTime) -> str:
    return f"Huddle: {who(h)}, {site.stamp(h.at, '%a %d %b %Y %H:%M')}"


def day_line(h: Huddle, site: SiteTime) -> str:
    return f"Today since {site.fmt(h.day_start, '%H:%M')} {site.describe()}."


_MD_SPECIAL = re.compile(r"([\\`*_\[\]#!|<>~])")


def _md(text: str) -> str:
    """Untrusted text as literal Markdown: every character that could format or link is escaped."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def to_markdown(h: Huddle, site: SiteTime) -> str:
    head, rows = channel_table(h)
    lines = [f"# {_md(title(h, site))}", "", _md(day_line(h, site)), ""]
    lines += ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    lines += ["| " + " | ".join(_md(v) for v in row) + " |" for row in rows] or [
        "| none yet |" + " |" * (len(head) - 1)
    ]
    lines += ["", _md(table_note(h)), "", "| Figure | Value |", "| --- | --- |"]
    lines += [f"| {name} | {_md(value)} |" for name, value in other_figures(h)]
    lines += ["", f"## Coaching themes this week ({counted(h.coaching_notes, 'note')}, no names)", ""]
    lines += [f"- {_md(topic)}, {_md(stage)}: {n}" for topic, stage, n in h.themes] or ["- none"]
    lines += ["", f"## Kudos this week ({h.kudos_count})", ""]
    lines += [f"- **{_md(name)}**: {_md(words)}" for name, words in h.kudos] or ["- none"]
    lines += ["", "## Customers today, in their words", ""]
    lines += [f"> {_md(v)}\n" for v in h.verbatims] or ["- none"]
    if h.sentence:
        lines += ["", f"## {_md(talk_heading(h))}", "", _md(h.sentence)]
    return "\n".join(lines).rstrip() + "\n"


def to_html(h: Huddle, site: SiteTime) -> str:
    e = html.escape
    head, table = channel_table(h)
    by_channel = (
        "<tr>"
        + "".join(f"<th>{e(c)}</th>" for c in head)
        + "</tr>\n"
        + "\n".join("<tr>" + "".join(f"<td>{e(v)}</td>" for v in row) + "</tr>" for row in table)
    )
    rows = "\n".join(f"<tr><th>{e(n)}</th><td>{e(v)}</td></tr>" for n, v in other_figures(h))
    themes = "\n".join(f"<li>{e(t)}, {e(s)}: {n}</li>" for t, s, n in h.themes) or "<li>none</li>"
    kudos = "\n".join(f"<li><strong>{e(n)}</strong>: {e(w)}</li>" for n, w in h.kudos) or "<li>none</li>"
    verbatims = "\n".join(f"<blockquote>{e(v)}</blockquote>" for v in h.verbatims) or "<p>none</p>"
    talk = f"<h2>{e(talk_heading(h))}</h2>\n<p>{e(h.sentence)}</p>" if h.sentence else ""
    return f"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{e(title(h, site))}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<style>body{{font-family:sans-serif;max-width:50em;margin:2em auto}}th,td{{text-align:left;padding-right:1.5em}}</style>
</head>
<body>
<h1>{e(title(h, site))}</h1>
<p>{e(day_line(h, site))}</p>
<table>
{by_channel}
</table>
<p>{e(table_note(h))}</p>
<table>
{rows}
</table>
<h2>Coaching themes this week ({counted(h.coaching_notes, "note")}, no names)</h2>
<ul>
{themes}
</ul>
<h2>Kudos this week ({h.kudos_count})</h2>
<ul>
{kudos}
</ul>
<h2>Customers today, in their words</h2>
{verbatims}
{talk}
</body>
</html>
"""
