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

from floorview.domain.metrics import figures
from floorview.domain.units import EMPTY
from floorview.export import channel_table, day_line, other_figures, table_note, talk_heading, who
from floorview.store.huddle import Huddle, TeamWork, load_huddle
from floorview.store.balance import week_sentence
from floorview.tui.format import labelled
from floorview.tui.base import DataScreen


class HuddleScreen(DataScreen):
    BINDINGS = [
        Binding("h,escape", "app.pop_screen", "Leave huddle", id="huddle.leave"),
        Binding("t", "team", "Team", id="huddle.team"),
        Binding("c", "channel", "Channel", id="huddle.channel"),
    ]
    DEFAULT_CSS = """
    HuddleScreen #marker { height: 1; background: $warning; color: $background; text-style: bold; padding: 0 1; }
    HuddleScreen #big { height: auto; padding: 0 1; }
    HuddleScreen .figure { width: 1fr; height: auto; padding-right: 1; }
    HuddleScreen .figure Static { color: $text-muted; }
    HuddleScreen #rest { height: 1fr; padding: 0 1; overflow-y: auto; }
    """
    title_text = "Huddle"
    AUTO_FOCUS = ""  # nothing to type into: keys go to the screen, the hidden filter stays shut

    def __init__(self, team: str | None = None) -> None:
        super().__init__()
        self.team = team
        self.channel: str | None = None  # the channel in large type; None: the busiest
        self._huddle: Huddle | None = None

    def compose_body(self) -> ComposeResult:
        yield Static(id="marker")
        with Horizontal(id="big"):
            for key in ("sl", "answered", "asa"):
                with Vertical(classes="figure"):
                    yield Digits("–", id=key)
                    yield Static(id=f"{key}-label")
        yield Static(id="rest")

    def on_mount(self) -> None:
        self._marker()
        self._update_title()

    def _marker(self) -> None:
        who = f"Team {self.team}" if self.team else "All your token sees" if self.app.scoped else "The whole floor"
        text = Text(" HUDDLE ", style="reverse")
        text.append("  ")
        text.append(who)  # a team name is feed text: a Text span, never markup
        text.append(" · no private notes or customer details · h back")
        self.query_one("#marker", Static).update(text)

    def load(self, con: sqlite3.Connection, now: float) -> Huddle:
        settings = self.app.settings
        h = load_huddle(con, self.team, now, self.app.site)
        return replace(
            h, sentence=week_sentence(con, now, settings.balance.priorities, self.team), partial=self.app.scoped
        )

    def _shown_channel(self, data: Huddle) -> str | None:
        return self.channel if self.channel in data.channels else data.busiest()

    def show(self, data: Huddle, now: float) -> None:
        self._huddle = data
        channel = self._shown_channel(data)
        f = data.served_figures(channel) if channel else None
        work = data.own.get(channel or "", TeamWork())
        sl = f.service_level if f else None
        self.query_one("#sl", Digits).update(f"{sl * 100:.0f}" if sl is not None else "-")
        self.query_one("#answered", Digits).update(str(work.answered))
        asa = f.asa_s if f else None
        if asa is None:
            wait, unit = "-", "m:ss"
        elif asa < 3600:
            wait, unit = f"{int(asa) // 60}:{int(asa) % 60:02d}", "m:ss"
        else:
            wait, unit = f"{int(asa) // 3600}:{int(asa) % 3600 // 60:02d}", "h:mm"
        self.query_one("#asa", Digits).update(wait)
        on = channel or "no channel"
        by = f" by {data.team}" if data.team else ""
        self.query_one("#sl-label", Static).update(Text(f"% service level · {on}"))
        self.query_one("#answered-label", Static).update(Text(f"answered{by} · {on}"))
        self.query_one("#asa-label", Static).update(Text(f"average wait · {on} ({unit})"))
        self.query_one("#rest", Static).update(self._rest(data))

    def _rest(self, data: Huddle) -> Text:
        rest = Text()
        head, rows = channel_table(data)
        widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
        rest.append(
            "  ".join(h.rjust(w) if i else h.ljust(w) for i, (h, w) in enumerate(zip(head, widths))), style="bold"
        )
        rest.append("\n")
        for row in rows:
            rest.append("  ".join(v.rjust(w) if i else v.ljust(w) for i, (v, w) in enumerate(zip(row, widths))))
            rest.append("\n")
        if not rows:
            rest.append("nothing answered or offered yet today\n")
        rest.append(table_note(data) + " " + day_line(data, self.app.site) + "\n", style="dim")
        rest.append("   ".join(f"{n}: {v}" for n, v in other_figures(data)))
        rest.append("\n\n")
        notes = "1 note" if data.coaching_notes == 1 else f"{data.coaching_notes} notes"
        rest.append(f"Coaching themes this week ({notes}, no names)\n", style="bold")
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
            rest.append(talk_heading(data) + "\n", style="bold")
            rest.append("  " + data.sentence + "\n")
        return rest

    def explain(self) -> tuple[str, Text] | None:
        h = self._huddle
        if h is None:
            return None
        channel = self._shown_channel(h)
        f = h.served_figures(channel) if channel else None
        c = h.served.get(channel or "")
        total = h.served_total()
        whose = f"{h.team}'s agents" if h.team else "the agents your token sees" if h.partial else "every agent"
        rows = [
            ("today", day_line(h, self.app.site)),
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
        ]
        return f"Huddle figures — {who(h)}", labelled(*rows)

    def action_team(self) -> None:
        teams = [None, *(self._huddle.teams if self._huddle else [])]
        i = teams.index(self.team) if self.team in teams else 0
        self.team = teams[(i + 1) % len(teams)]
        self._marker()
        self.app.request_load(force=True)

    def action_channel(self) -> None:
        if self._huddle is None or not self._huddle.channels:
            return
        channels = self._huddle.channels
        shown = self._shown_channel(self._huddle)
        self.channel = channels[(channels.index(shown) + 1) % len(channels)] if shown in channels else channels[0]
        self.show(self._huddle, self.app.clock.now())
