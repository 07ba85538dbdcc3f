"""The customer's trust and behavior card: trust and its three legs, emotion,
behavior, the quadrant with what to do, and the timeline of their contacts."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from floorview.domain.sitetime import SiteTime
from floorview.domain.trust import (
    EMOTION_DAYS,
    EMOTION_HALF_LIFE_DAYS,
    LEGS,
    MEANING,
    Emotion,
    Engagement,
    Stool,
    actions,
    emotion,
    engagement,
    net_trust,
    nps_category,
    quadrant,
    stool,
    trust_trend,
)
from floorview.store.customers import CustomerCard, Visit, customer_card
from floorview.tui.format import EMPTY, cell, duration, labelled, num
from floorview.tui.base import DataScreen
from floorview.tui.widgets.live_table import Column, LiveTable


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


def card_view(card: CustomerCard, now: float, settings, site: SiteTime) -> CardView:
    c = settings.customers
    answers = card.answers
    trust, n = net_trust(answers)
    legs = stool(answers)
    feel = emotion(answers, now)
    engaged = engagement(card.behavior, c.engagement)
    since = date.fromisoformat(card.since) if card.since else None
    today = site.today(now)
    return CardView(
        card,
        trust,
        n,
        trust_trend(answers, now),
        legs,
        feel,
        engaged,
        quadrant(engaged.score, feel.score, c.behavior_high, c.emotion_high),
        actions(engaged.score, feel.score, legs.weakest, since, today, c.behavior_high, c.emotion_high),
    )


def _signed(v: float | None) -> str:
    return EMPTY if v is None else f"{v:+.0f}"


def _bar(value: float | None, top: float = 5.0, width: int = 10) -> str:
    if value is None:
        return "·" * width
    filled = round(value / top * width)
    return "█" * filled + "░" * (width - filled)


class CustomerCardScreen(DataScreen):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="card.back"),
        Binding("r", "recovered", "Recovered", id="card.recovered"),
    ]
    DEFAULT_CSS = """
    CustomerCardScreen #card { height: auto; padding: 0 1; }
    CustomerCardScreen #timeline { height: 1fr; min-height: 4; }
    """
    filter_hint = "filter the timeline by queue, agent or outcome"

    def __init__(self, customer_id: str) -> None:
        super().__init__()
        self.customer_id = customer_id
        self.title_text = f"Customer {customer_id}"
        self.view: CardView | None = None

    def compose_body(self) -> ComposeResult:
        yield Static(id="card")
        yield LiveTable(id="timeline")

    def on_mount(self) -> None:
        wide = self.size.width >= 110
        cols = [
            Column("when", "When", 12),
            Column("queue", "Queue", 13),
            Column("wait", "Wait", 6, "right"),
            Column("outcome", "Outcome", 18),
            Column("qa", "QA", 4, "right"),
            Column("survey", "Said", 20 if wide else 14),
        ]
        if wide:
            cols.insert(4, Column("agent", "Agent", 14))
        self.query_one(LiveTable).set_columns(cols)
        self._update_title()

    def load(self, con: sqlite3.Connection, now: float) -> CardView | None:
        card = customer_card(con, self.customer_id)
        return card_view(card, now, self.app.settings, self.app.site) if card else None

    def show(self, data: CardView | None, now: float) -> None:
        if data is None:
            self.query_one("#card", Static).update(Text(f"No customer {self.customer_id} in the store."))
            return
        self.view = data
        self.title_text = f"Customer: {data.card.name}"
        self._update_title()
        self.query_one("#card", Static).update(self._card_text(data))
        self._paint_timeline()

    def refilter(self) -> None:
        if self.view is not None:
            self._paint_timeline()

    def _card_text(self, v: CardView) -> Text:
        c = v.card
        t = Text()
        t.append(c.name, style="bold")
        t.append(f"  {c.id} · {c.segment or 'no segment'}")
        if c.since:
            t.append(f" · customer since {c.since}")
        t.append("\n")
        # Trust
        recent, earlier = v.trend
        arrow = ""
        if recent is not None and earlier is not None:
            arrow = " ▲" if recent > earlier + 5 else " ▼" if recent < earlier - 5 else " →"
            arrow += f" ({_signed(earlier)} the 90 days before)"
        t.append("Trust    ", style="bold")
        t.append(f"net {_signed(v.trust)} of {v.trust_n} answers{arrow}\n")
        t.append("  stool  ")
        weakest = v.stool.weakest
        wide = self.size.width >= 100
        for leg in LEGS:
            mean = v.stool.legs[leg]
            style = "bold reverse" if leg == weakest else ""
            t.append(f"{leg} {mean:.1f}" if mean is not None else f"{leg} {EMPTY}", style=style)
            t.append((" " + _bar(mean, width=5) if wide else "") + "  ")
        if weakest:
            t.append(f"← weakest: {weakest}", style="bold")
        t.append("\n")
        # Emotion
        e = v.emotion
        t.append("Emotion  ", style="bold")
        category = nps_category(e.latest_nps)
        t.append(f"{e.score:.0f}/100 · " if e.score is not None else f"{EMPTY} · ")
        t.append(f"NPS {e.latest_nps} {category}" if category else f"NPS {EMPTY}")
        history = [a.nps for a in c.answers if a.nps is not None][-(6 if self.size.width >= 100 else 4) :]
        if len(history) > 1:
            t.append(f" (history {' '.join(map(str, history))})")
        t.append(f" · CSAT {e.csat:.1f}" if e.csat is not None else f" · CSAT {EMPTY}")
        t.append(f" · CES {e.ces:.1f}\n" if e.ces is not None else f" · CES {EMPTY}\n")
        verbatims = [a.verbatim for a in reversed(c.answers) if a.verbatim][:2]
        for words in verbatims:
            t.append("  “")
            t.append(" ".join(words.split()))
            t.append("”\n")
        # Behavior
        g = v.engagement
        t.append("Behavior ", style="bold")
        t.append(f"{g.score:.0f}/100 engagement" if g.score is not None else f"{EMPTY} (no behavior figures)")
        if c.behavior:
            short = {
                "logins_30d": "logins",
                "active_days_30d": "active days",
                "products": "products",
                "upgrades_90d": "upgrades",
                "support_contacts_30d": "support",
                "community_posts_30d": "posts",
                "usage_trend": "usage trend",
            }
            shown = ", ".join(f"{short.get(k, k)} {c.behavior[k]}" for k in c.behavior)
            t.append(f" · {shown}")
        t.append("\n")
        # Quadrant and actions
        if v.quadrant:
            t.append(f" {v.quadrant.upper()} ", style="reverse bold")
            t.append(f" {MEANING[v.quadrant]}\n")
        for a in v.actions:
            t.append("  → ")
            t.append(a)
            t.append("\n")
        if c.recoveries:
            when, author, what = c.recoveries[0]
            t.append("Recovered ", style="bold")
            t.append(f"{self.app.site.fmt(when, '%d %b %H:%M')} by ")
            t.append(author)
            t.append(": ")
            t.append(" ".join(what.split()))
            t.append("\n")
        return t

    def _paint_timeline(self) -> None:
        v = self.view
        assert v is not None
        wanted = self.filter_text.lower()
        rows = []
        for visit in v.card.visits:
            cells = _visit_cells(visit, self.app.site)
            if wanted and wanted not in " ".join(x.plain for x in cells.values()).lower():
                continue
            rows.append((visit.id, cells))
        self.query_one(LiveTable).sync(rows, reorder=True)

    def action_recovered(self) -> None:
        if self.view is None:
            return
        from floorview.tui.customers.recovery import mark_recovered

        mark_recovered(self, self.view.card.id, self.view.card.name)

    def explain(self) -> tuple[str, Text] | None:
        v = self.view
        if v is None:
            return None
        c = self.app.settings.customers
        inputs = ", ".join(f"{k} {val:g} → {unit:.2f} × {w:g}" for k, (val, unit, w) in v.engagement.inputs.items())
        return f"Trust and behavior — {v.card.name}", labelled(
            ("net trust", '"Do you trust us?": yes +1, no and sometimes -1, averaged, x 100 (-100..+100)'),
            ("", f"{v.trust_n} answers; the arrow compares the last 90 days with the 90 before"),
            ("stool", "mean answer 1..5 for sincerity, competence, reliability; the lowest is the weakest leg"),
            ("emotion", "mean of net trust ((t+100)/2), NPS (x10), CSAT ((x-1)/4), effort ((7-x)/6), on 0..100"),
            (
                "",
                f"each a mean of the last {EMOTION_DAYS} days' answers, a survey weighing half as much every"
                f" {EMOTION_HALF_LIFE_DAYS} days of its age: no one survey flips the quadrant",
            ),
            ("", " · ".join(f"{k} {p:.0f}" for k, p in v.emotion.parts.items()) or EMPTY),
            ("behavior", "weighted mean of the behavior figures, each capped and put on 0..1 (customers.engagement)"),
            ("", inputs or EMPTY),
            (
                "quadrant",
                f"behavior ≥ {c.behavior_high:g} and emotion ≥ {c.emotion_high:g} count as high "
                "(customers.behavior_high, customers.emotion_high)",
            ),
            ("", "Advocate high/high · Captive behavior high, emotion low · Dormant fan the reverse · At risk low/low"),
        )


def _visit_cells(v: Visit, site: SiteTime) -> dict[str, Text]:
    if v.abandoned:
        outcome = "abandoned"
    elif not v.answered:
        outcome = "waiting"
    elif not v.ended:
        outcome = "in progress"
    else:
        outcome = {True: "resolved", False: "unresolved", None: "ended"}[v.resolved]
    if v.transfers:
        outcome += f", {v.transfers}× transferred"
    long_wait = v.wait_s is not None and v.threshold_s is not None and v.wait_s > 2 * v.threshold_s
    said = ""
    if v.survey is not None:
        s = v.survey
        parts = [f"NPS {s.nps}" if s.nps is not None else "", f"trust {s.trust}" if s.trust else ""]
        said = " ".join(p for p in parts if p)
    return {
        "when": cell(site.fmt(v.enqueued_at, "%d %b %H:%M")),
        "queue": cell(v.queue or EMPTY),
        "wait": num(("! " if long_wait else "") + duration(v.wait_s), "bold yellow" if long_wait else ""),
        "outcome": cell(outcome, "yellow" if v.abandoned or v.transfers >= 2 else ""),
        "agent": cell(v.agent or EMPTY),
        "qa": num(f"{v.qa:.0f}" if v.qa is not None else ""),
        "survey": cell(said),
    }
