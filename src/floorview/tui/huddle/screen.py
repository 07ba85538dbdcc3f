"""Huddle mode (h): a team's day in large type for a shared screen.

It reads only `store.huddle`, which holds no private note, no agent-level
coaching and no customer detail. A wallboard: the figures scale with the
terminal, the site's clock is on the HUDDLE bar, and neither the key footer
nor toasts show. `h` (app.huddle) or escape returns to the screen before.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.widgets import Static

from floorview.tui.base import DataScreen
from floorview.tui.bindings import bind
from floorview.tui.huddle.cells import big, marker, rest, scale_for, wait_figure
from floorview.tui.huddle.data import HuddleData, HuddleRequest, load
from floorview.tui.huddle.explain import explain_huddle
from floorview.store.huddle import Huddle, TeamWork

FIGURES = ("sl", "answered", "asa")


class BigFigure(Static):
    """A figure in large type (huddle.cells.big), as tall as the screen allows."""

    DEFAULT_CSS = "BigFigure { width: auto; height: auto; }"

    def __init__(self, id: str) -> None:
        super().__init__(id=id)
        self.value = "-"  # what is shown, as characters
        self.scale = 0

    def set(self, value: str, scale: int) -> None:
        if (value, scale) != (self.value, self.scale) or not self.content:
            self.value, self.scale = value, scale
            self.update(big(value, scale))


class HuddleScreen(DataScreen[HuddleRequest, HuddleData]):
    BINDINGS = [
        bind("nav.back", "back"),  # h leaves too: app.huddle toggles
        bind("view.team", "team"),
        bind("view.channel", "channel"),
    ]
    DEFAULT_CSS = """
    HuddleScreen #marker { height: 1; background: $warning; color: $background; text-style: bold; padding: 0 1; }
    HuddleScreen #big { height: auto; padding: 0 1; }
    HuddleScreen .figure { width: 1fr; height: auto; padding-right: 1; }
    HuddleScreen .figure Static.label { color: $text-muted; }
    HuddleScreen #rest { height: 1fr; padding: 0 1; overflow-y: auto; }
    /* A wallboard: no key footer, no toasts over the figures. */
    HuddleScreen Footer { display: none; }
    HuddleScreen ToastRack { display: none; }
    """
    title_text = "Huddle"
    AUTO_FOCUS = ""  # nothing to type into: keys go to the screen, the hidden filter stays shut

    # View state: what the next load asks for (one watcher: _view_changed).
    team: reactive[str | None] = reactive(None, init=False)
    channel: reactive[str | None] = reactive(None, init=False)  # in large type; None: the busiest

    def __init__(self, team: str | None = None) -> None:
        super().__init__()
        self.set_reactive(HuddleScreen.team, team)
        self._data: HuddleData | None = None
        self._huddle: Huddle | None = None  # the day on show

    loader = staticmethod(load)

    def compose_body(self) -> ComposeResult:
        yield Static(id="marker")
        with Horizontal(id="big"):
            for key in FIGURES:
                with Vertical(classes="figure"):
                    yield BigFigure(key)
                    yield Static(id=f"{key}-label", classes="label")
        yield Static(id="rest")

    def on_mount(self) -> None:
        self._marker()
        self._update_title()

    def on_resize(self) -> None:
        self._marker()
        if self._data is not None:
            self._paint(self._data)

    # -- the load contract -----------------------------------------------------
    def request(self) -> HuddleRequest:
        settings = self.host.settings
        return HuddleRequest(
            team=self.team,
            channel=self.channel,
            default=settings.balance.priorities,
            site_timezone=settings.site_timezone,
            scoped=self.host.scoped,
        )

    def show(self, data: HuddleData, request: HuddleRequest, now: float) -> None:
        self._data, self._huddle = data, data.huddle
        self._paint(data)
        self._marker()

    def tick(self, now: float) -> None:
        self._marker()  # the clock

    # -- view state ----------------------------------------------------------
    def watch_team(self) -> None:
        self._view_changed()

    def watch_channel(self) -> None:
        self._view_changed()

    def _view_changed(self) -> None:
        self._marker()
        self.host.request_load(True)

    # -- painting --------------------------------------------------------------
    def _who(self) -> str:
        if self.team:
            return f"Team {self.team}"
        return "All your token sees" if self.host.scoped else "The whole floor"

    def _marker(self) -> None:
        now = self.host.clock.now()
        clock = f"{self.host.site.stamp(now, '%H:%M')}"
        width = (self.size.width or 80) - 2
        self.query_one("#marker", Static).update(marker(self._who(), clock, self.host.partial, width))

    def _paint(self, data: HuddleData) -> None:
        h, channel = data.huddle, data.channel
        f = h.served_figures(channel) if channel else None
        work = h.own.get(channel or "", TeamWork())
        sl = f.service_level if f else None
        wait, unit = wait_figure(f.asa_s if f else None)
        values = {"sl": f"{sl * 100:.0f}" if sl is not None else "-", "answered": str(work.answered), "asa": wait}
        size = self.size
        scale = scale_for(size.width or 80, size.height or 24, list(values.values()))
        for key, value in values.items():
            self.query_one(f"#{key}", BigFigure).set(value, scale)
        on = channel or "no channel"
        room = (size.width or 80) // len(FIGURES) - 2  # one line under each figure
        words = [f"answered by {h.team} · {on}", f"{h.team} answered · {on}"] if h.team else []
        answered = next((w for w in words if len(w) <= room), f"answered · {on}")  # the team is on the HUDDLE bar
        self.query_one("#sl-label", Static).update(Text(f"% service level · {on}"))
        self.query_one("#answered-label", Static).update(Text(answered))
        self.query_one("#asa-label", Static).update(Text(f"average wait {unit} · {on}"))
        self.query_one("#rest", Static).update(rest(h, self.host.site, (size.width or 80) - 2))

    def explain(self) -> tuple[str, Text] | None:
        if self._data is None:
            return None
        return explain_huddle(self._data, self.host.site)

    # -- keys ------------------------------------------------------------------
    def action_back(self) -> None:
        self.app.pop_screen()

    def action_team(self) -> None:
        teams = [None, *(self._huddle.teams if self._huddle else [])]
        i = teams.index(self.team) if self.team in teams else 0
        self.team = teams[(i + 1) % len(teams)]

    def action_channel(self) -> None:
        data = self._data
        if data is None or not data.huddle.channels:
            return
        channels = data.huddle.channels
        shown = data.channel
        self.channel = channels[(channels.index(shown) + 1) % len(channels)] if shown in channels else channels[0]
