"""Huddle mode (h): a team's day in large type for a shared screen.

It reads only `store.huddle`, which holds no private note, no agent-level
coaching and no customer detail; `h` (or escape) returns to the screen before.
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Digits, Static

from floorview.domain.metrics import day_start
from floorview.export import key_figures
from floorview.store.huddle import Huddle, load_huddle
from floorview.store.walk import week_sentence
from floorview.tui.screens.base import DataScreen


class HuddleScreen(DataScreen):
    BINDINGS = [
        Binding("h,escape", "app.pop_screen", "Leave huddle", id="huddle.leave"),
        Binding("t", "team", "Team", id="huddle.team"),
    ]
    DEFAULT_CSS = """
    HuddleScreen #marker { height: 1; background: $warning; color: $background; text-style: bold; padding: 0 1; }
    HuddleScreen #big { height: auto; padding: 0 1; }
    HuddleScreen .figure { width: 1fr; height: auto; }
    HuddleScreen .figure Static { color: $text-muted; }
    HuddleScreen #rest { height: 1fr; padding: 0 1; overflow-y: auto; }
    """
    title_text = "Huddle"
    AUTO_FOCUS = ""  # nothing to type into: keys go to the screen, the hidden filter stays shut

    def __init__(self, team: str | None = None) -> None:
        super().__init__()
        self.team = team
        self._huddle: Huddle | None = None

    def compose_body(self) -> ComposeResult:
        yield Static(id="marker")
        with Horizontal(id="big"):
            for key, label in (("sl", "% service level today"), ("answered", "contacts answered"), ("asa", "average wait (m:ss)")):
                with Vertical(classes="figure"):
                    yield Digits("–", id=key)
                    yield Static(Text(label))
        yield Static(id="rest")

    def on_mount(self) -> None:
        self._marker()
        self._update_title()

    def _marker(self) -> None:
        who = f"Team {self.team}" if self.team else "The whole floor"
        text = Text(" HUDDLE ", style="reverse")
        text.append(f"  {who} · private notes and customer details hidden · h back · t team")
        self.query_one("#marker", Static).update(text)

    def load(self, con: sqlite3.Connection, now: float) -> Huddle:
        settings = self.app.settings
        h = load_huddle(con, self.team, now, day_start(now, settings.site_timezone or None))
        return replace(h, sentence=week_sentence(con, now, settings.balance.priorities))

    def show(self, data: Huddle, now: float) -> None:
        self._huddle = data
        f = data.figures
        self.query_one("#sl", Digits).update(f"{f.service_level * 100:.0f}" if f.service_level is not None else "-")
        self.query_one("#answered", Digits).update(str(f.answered))
        asa = f.asa_s
        self.query_one("#asa", Digits).update(f"{int(asa) // 60}:{int(asa) % 60:02d}" if asa is not None else "-")
        rest = Text()
        figures = [(n, v) for n, v in key_figures(data) if n not in (
            "Service level today", "Contacts answered", "Average speed of answer")]
        rest.append("   ".join(f"{n}: {v}" for n, v in figures))
        rest.append("\n\n")
        rest.append(f"Coaching themes this week ({data.coaching_notes} notes, no names)\n", style="bold")
        rest.append("  " + ("   ".join(f"{t} · {s}: {n}" for t, s, n in data.themes) or "none yet") + "\n")
        rest.append(f"Kudos this week ({data.kudos_count})\n", style="bold")
        for name, words in data.kudos[:3]:
            rest.append("  ★ ")
            rest.append(name, style="bold")
            rest.append(": ")
            rest.append(" ".join(words.split()))
            rest.append("\n")
        if not data.kudos:
            rest.append("  none yet\n")
        rest.append("Customers today, in their words\n", style="bold")
        for v in data.verbatims[:3]:
            rest.append("  “")
            rest.append(" ".join(v.split()))
            rest.append("”\n")
        if not data.verbatims:
            rest.append("  no verbatims yet today\n")
        if data.sentence:
            rest.append("Talk and walk\n", style="bold")
            rest.append("  " + data.sentence + "\n")
        self.query_one("#rest", Static).update(rest)

    def action_team(self) -> None:
        teams = [None, *(self._huddle.teams if self._huddle else [])]
        i = teams.index(self.team) if self.team in teams else 0
        self.team = teams[(i + 1) % len(teams)]
        self._marker()
        self.app.request_load(force=True)
