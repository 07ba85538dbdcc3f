"""The Customers panel's data as text: search hits, the card and its timeline,
and the recovery list. Every string from the store is appended as plain text
(never markup). Nothing here is cut mid-word: lines break between whole
parts, and a cell too narrow for its reasons shows those that fit and how
many more there are (the detail line under the list has them all)."""

from __future__ import annotations

from floorview.domain.units import counted

from collections.abc import Sequence

from rich.text import Text

from floorview.domain.recovery import Case, RecoveryRules
from floorview.domain.sitetime import SiteTime
from floorview.domain.trust import LEGS, MEANING, nps_category
from floorview.store.customers import CustomerHit, Visit
from floorview.tui.customers.data import CardView
from floorview.tui.format import EMPTY, cell, duration, num
from floorview.tui.widgets.live_table import Column

LABEL_W = 9  # "Behavior " and the other labels of the card
BEHAVIOR_WORDS = {
    "logins_30d": "logins",
    "active_days_30d": "active days",
    "products": "products",
    "upgrades_90d": "upgrades",
    "support_contacts_30d": "support",
    "community_posts_30d": "posts",
    "usage_trend": "usage trend",
}


# -- laying out lines --------------------------------------------------------------------------------
def flow(label: str, parts: Sequence[str | Text], width: int, sep: str = " · ", indent: int = LABEL_W) -> Text:
    """`label` then the parts, joined by `sep`, broken into lines of at most
    `width` cells between parts only (a part never splits unless it alone is
    wider than a line); lines after the first are indented. Ends with a newline."""
    out = Text()
    out.append(label.ljust(indent) if label else " " * indent, style="bold" if label.strip() else "")
    used = indent
    first = True
    for i, part in enumerate(parts):
        piece = part if isinstance(part, Text) else Text(part)
        gap = 0 if first else len(sep)
        tail = len(sep.rstrip()) if i < len(parts) - 1 else 0  # the separator ending the line if the next breaks
        if not first and used + gap + piece.cell_len + tail > width:
            out.append(sep.rstrip() + "\n" + " " * indent)
            used = indent
        elif not first:
            out.append(sep)
            used += gap
        out.append_text(piece)
        used += piece.cell_len
        first = False
    out.append("\n")
    return out


def words_line(text: str, width: int, indent: int = 2) -> Text:
    """Free text (a verbatim), broken between words into indented lines."""
    return flow("", text.split(), width, sep=" ", indent=indent)


# -- screen 5 --------------------------------------------------------------------------------------
SEARCH_COLUMNS = [
    Column("name", "Customer", 22),
    Column("id", "Id", 14),
    Column("segment", "Segment", 15),
    Column("since", "Since", 10),
]


def hit_cells(h: CustomerHit) -> dict[str, Text]:
    return {"name": cell(h.name), "id": cell(h.id), "segment": cell(h.segment or ""), "since": cell(h.since or "")}


# -- the card --------------------------------------------------------------------------------------
def _signed(v: float | None) -> str:
    return EMPTY if v is None else f"{v:+.0f}"


def _bar(value: float | None, top: float = 5.0, width: int = 10) -> str:
    if value is None:
        return "·" * width
    filled = round(value / top * width)
    return "█" * filled + "░" * (width - filled)


def card_text(v: CardView, width: int, site: SiteTime) -> Text:
    """The card above the timeline, for a line of `width` cells: whole parts only."""
    c = v.card
    t = Text()
    head = [Text(c.name, style="bold"), Text(c.id), Text(c.segment or "no segment")]
    if c.since:
        head.append(Text(f"customer since {c.since}"))
    t.append_text(flow("", head, width, indent=0))
    # Trust, and its three legs with the weakest named in words (not by reverse video alone)
    trust = [f"net {_signed(v.trust)} of {counted(v.trust_n, 'answer')}"]
    recent, earlier = v.trend
    if recent is not None and earlier is not None:
        trend = "▲" if recent > earlier + 5 else "▼" if recent < earlier - 5 else "→"
        trust.append(f"{trend} {_signed(earlier)} the 90 days before")
    t.append_text(flow("Trust", trust, width))
    weakest = v.stool.weakest
    bars = width >= 100
    legs: list[Text] = []
    for leg in LEGS:
        mean = v.stool.legs[leg]
        shown = f"{leg} {mean:.1f}" if mean is not None else f"{leg} {EMPTY}"
        if bars:
            shown += " " + _bar(mean, width=5)
        legs.append(Text(shown, style="bold reverse" if leg == weakest else ""))
    if weakest:
        arrow = Text(f"← weakest: {weakest}", style="bold")
        if LABEL_W + sum(x.cell_len + 2 for x in legs) + arrow.cell_len - 1 <= width:
            legs[-1] = Text.assemble(legs[-1], " ", arrow)  # one line, closer to the leg it names
        else:
            legs.append(arrow)
    t.append_text(flow("  stool", legs, width, sep="  "))
    # Emotion
    e = v.emotion
    category = nps_category(e.latest_nps)
    feel = [f"{e.score:.0f}/100" if e.score is not None else EMPTY]
    feel.append(f"NPS {e.latest_nps} {category}" if category else f"NPS {EMPTY}")
    history = [a.nps for a in c.answers if a.nps is not None][-(6 if width >= 100 else 4) :]
    if len(history) > 1:
        feel[-1] += f" (history {' '.join(map(str, history))})"
    feel.append(f"CSAT {e.csat:.1f}" if e.csat is not None else f"CSAT {EMPTY}")
    feel.append(f"CES {e.ces:.1f}" if e.ces is not None else f"CES {EMPTY}")
    t.append_text(flow("Emotion", feel, width))
    for words in [a.verbatim for a in reversed(c.answers) if a.verbatim][:2]:
        t.append_text(words_line(f"“{' '.join(words.split())}”", width))
    # Behavior
    g = v.engagement
    behavior = [f"{g.score:.0f}/100 engagement" if g.score is not None else f"{EMPTY} (no behavior figures)"]
    if c.behavior:
        behavior += [f"{BEHAVIOR_WORDS.get(k, k)} {c.behavior[k]}" for k in c.behavior]
    t.append_text(flow("Behavior", behavior, width, sep=", "))
    # Quadrant and what to do
    if v.quadrant:
        badge = Text(f" {v.quadrant.upper()} ", style="reverse bold")
        t.append_text(flow("", [badge, *MEANING[v.quadrant].split()], width, sep=" ", indent=0))
    for a in v.actions:
        t.append_text(flow("  →", a.split(), width, sep=" ", indent=4))
    if c.recoveries:
        when, author, what = c.recoveries[0]
        done = [f"{site.fmt(when, '%d %b %H:%M')} by", *author.split(), *what.split()]
        done[len(author.split())] += ":"
        t.append_text(flow("Recovered", done, width, sep=" ", indent=LABEL_W + 1))
    t.rstrip()
    return t


def outcome(v: Visit) -> str:
    if v.abandoned:
        return "abandoned"
    if not v.answered:
        return "waiting"
    if not v.ended:
        return "in progress"
    return {True: "resolved", False: "unresolved", None: "ended"}[v.resolved]


def live_wait(v: Visit, now: float) -> float | None:
    """How long the contact waited; a contact still waiting, how long it has so far."""
    if not v.answered and not v.abandoned and not v.ended:
        return max(0.0, now - v.enqueued_at)
    return v.wait_s


def wait_cell(v: Visit, now: float, partial: bool) -> Text:
    """The wait; "!" past twice the queue's SL threshold (no mark while catching up)."""
    wait = live_wait(v, now)
    long_wait = not partial and wait is not None and v.threshold_s is not None and wait > 2 * v.threshold_s
    return num(("! " if long_wait else "") + duration(wait), "bold yellow" if long_wait else "")


def visit_cells(v: Visit, site: SiteTime, now: float, partial: bool) -> dict[str, Text]:
    s = v.survey
    flagged = not partial and (v.abandoned or v.transfers >= 2)
    return {
        "when": cell(site.fmt(v.enqueued_at, "%d %b %H:%M")),
        "queue": cell(v.queue or EMPTY),
        "wait": wait_cell(v, now, partial),
        "outcome": cell(outcome(v), "yellow" if flagged and v.abandoned else ""),
        "xfer": num(f"{v.transfers}×" if v.transfers else "", "yellow" if flagged and v.transfers >= 2 else ""),
        "agent": cell(v.agent or EMPTY),
        "qa": num(f"{v.qa:.0f}" if v.qa is not None else ""),
        "nps": num(str(s.nps) if s is not None and s.nps is not None else ""),
        "trust": cell(s.trust if s is not None and s.trust else ""),
    }


def timeline_columns(visits: Sequence[Visit], width: int) -> list[Column]:
    """Columns as wide as their widest value, for a table `width` cells wide:
    when, queue, wait, outcome, transfers and what the customer said always;
    QA, then the agent, where there is room. Only a name (the queue's) gives
    way, never a figure or an outcome."""

    def widest(values: Sequence[str], label: str) -> int:
        return max([len(label), *(len(x) for x in values)])

    said = [v.survey.trust or "" for v in visits if v.survey is not None]
    wait = Column("wait", "Wait", len("! 53:58"), "right")  # the widest a duration reads, marked
    outcomes = Column("outcome", "Outcome", widest([outcome(v) for v in visits], "Outcome"))
    xfer = Column("xfer", "Xfer", widest([f"{v.transfers}×" for v in visits if v.transfers], "Xfer"), "right")
    nps = Column("nps", "NPS", 3, "right")
    trust = Column("trust", "Trust", widest(said, "Trust"))
    when = Column("when", "When", 12)
    fixed = (when, wait, outcomes, xfer, nps, trust)
    room = width - 2 - sum((c.width or 0) + 2 for c in fixed)  # 2: the vertical scroll bar
    queue_w = min(widest([v.queue or EMPTY for v in visits], "Queue"), max(8, room - 2))
    room -= queue_w + 2
    show_qa = room >= 3 + 2
    room -= 5 if show_qa else 0
    agent_w = min(20, widest([v.agent or EMPTY for v in visits], "Agent"))
    cols = [when, Column("queue", "Queue", queue_w)]
    if room >= agent_w + 2:
        cols.append(Column("agent", "Agent", agent_w))
    cols += [wait, outcomes, xfer]
    if show_qa:
        cols.append(Column("qa", "QA", 3, "right"))
    return [*cols, nps, trust]


# -- screen 6 --------------------------------------------------------------------------------------
def reasons(case: Case) -> list[str]:
    """Why the customer is on the list, the latest hurt first, each once."""
    return list(dict.fromkeys(h.why for h in sorted(case.hurts, key=lambda h: -h.at)))


def fit_reasons(why: Sequence[str], width: int) -> str:
    """As many whole reasons as fit in `width`, then how many more there are:
    never a reason cut mid-word. A first reason wider than the cell is cut
    between words, with an ellipsis."""
    out = ""
    for i, reason in enumerate(why):
        rest = len(why) - i - 1
        more = f" +{rest} more" if rest else ""
        joined = f"{out}; {reason}" if out else reason
        if len(joined) + len(more) <= width:
            out = joined
            continue
        more = f" +{len(why) - i} more"
        if out:
            return out + more
        words, line = reason.split(), ""
        for w in words:
            if len(line) + len(w) + 1 + len(f"… +{rest} more" if rest else "…") > width:
                break
            line = f"{line} {w}" if line else w
        return line + "…" + (f" +{rest} more" if rest else "")
    return out


def recovery_columns(cases: Sequence[Case], width: int) -> list[Column]:
    """Sev, Customer, Segment (as wide as the widest segment), Why (the rest)."""
    segment = max([len("Segment"), *(len(c.segment or "") for c in cases)])
    name = min(20, max([len("Customer"), *(len(c.name) for c in cases)]))
    why = max(20, width - 2 - (3 + 2) - (name + 2) - (segment + 2) - 2)
    return [
        Column("sev", "Sev", 3, "right"),
        Column("name", "Customer", name),
        Column("segment", "Segment", segment),
        Column("why", "Why", why),
    ]


def case_cells(case: Case, rules: RecoveryRules, name_width: int, why_width: int) -> dict[str, Text]:
    name = cell(case.name)
    name.truncate(name_width, overflow="ellipsis")
    return {
        "sev": num(str(case.severity(rules))),
        "name": name,
        "segment": cell(case.segment or ""),
        "why": cell(fit_reasons(reasons(case), why_width)),
    }


def case_detail(case: Case) -> Text:
    """The cursor row whole: who, and every reason."""
    t = Text()
    t.append(case.name, style="bold")
    t.append(f" · {case.segment or 'no segment'} · {case.customer_id}: ")
    t.append("; ".join(reasons(case)))
    return t
