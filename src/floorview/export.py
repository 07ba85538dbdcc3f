"""`floorview export huddle`: the huddle summary as Markdown or HTML for the minutes.

Everything in it comes from `store.huddle`, which reads only team-visible
notes and no customer details. Text from the feed is escaped for the format,
so a note cannot become a link, an image or a script in the minutes.
"""

from __future__ import annotations

import html
import re
from datetime import datetime

from floorview.domain.units import EMPTY, duration
from floorview.store.huddle import Huddle

def _pct(v: float | None) -> str:
    return EMPTY if v is None else f"{v * 100:.0f}%"


def key_figures(h: Huddle) -> list[tuple[str, str]]:
    f = h.figures
    return [
        ("Service level today", _pct(f.service_level)),
        ("Contacts answered", str(f.answered)),
        ("Average speed of answer", duration(f.asa_s)),
        ("Abandoned", _pct(f.abandon_rate)),
        ("Average handle time", duration(f.aht_s)),
        ("QA average today", EMPTY if h.qa_mean is None else f"{h.qa_mean:.1f}"),
        ("Agents working now", f"{h.agents_working} of {h.agents_total}"),
    ]


def title(h: Huddle) -> str:
    who = f"Team {h.team}" if h.team else "The floor"
    return f"Huddle: {who}, {datetime.fromtimestamp(h.at).strftime('%a %d %b %Y %H:%M')}"


_MD_SPECIAL = re.compile(r"([\\`*_\[\]#!|<>~])")


def _md(text: str) -> str:
    """Untrusted text as literal Markdown: every character that could format or link is escaped."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def to_markdown(h: Huddle) -> str:
    lines = [f"# {_md(title(h))}", "", "| Figure | Value |", "| --- | --- |"]
    lines += [f"| {name} | {_md(value)} |" for name, value in key_figures(h)]
    lines += ["", f"## Coaching themes this week ({h.coaching_notes} notes, no names)", ""]
    lines += [f"- {_md(topic)}, {_md(stage)}: {n}" for topic, stage, n in h.themes] or ["- none"]
    lines += ["", f"## Kudos this week ({h.kudos_count})", ""]
    lines += [f"- **{_md(name)}**: {_md(words)}" for name, words in h.kudos] or ["- none"]
    lines += ["", "## Customers today, in their words", ""]
    lines += [f"> {_md(v)}\n" for v in h.verbatims] or ["- none"]
    if h.sentence:
        lines += ["", "## Talk and walk", "", _md(h.sentence)]
    return "\n".join(lines).rstrip() + "\n"


def to_html(h: Huddle) -> str:
    e = html.escape
    rows = "\n".join(f"<tr><th>{e(n)}</th><td>{e(v)}</td></tr>" for n, v in key_figures(h))
    themes = "\n".join(f"<li>{e(t)}, {e(s)}: {n}</li>" for t, s, n in h.themes) or "<li>none</li>"
    kudos = "\n".join(f"<li><strong>{e(n)}</strong>: {e(w)}</li>" for n, w in h.kudos) or "<li>none</li>"
    verbatims = "\n".join(f"<blockquote>{e(v)}</blockquote>" for v in h.verbatims) or "<p>none</p>"
    talk = f"<h2>Talk and walk</h2>\n<p>{e(h.sentence)}</p>" if h.sentence else ""
    return f"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{e(title(h))}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<style>body{{font-family:sans-serif;max-width:50em;margin:2em auto}}th{{text-align:left;padding-right:2em}}</style>
</head>
<body>
<h1>{e(title(h))}</h1>
<table>
{rows}
</table>
<h2>Coaching themes this week ({h.coaching_notes} notes, no names)</h2>
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
