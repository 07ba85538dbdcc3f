"""The Alerts panel's cells: status in a sign and words, severity in a word,
the alert in a supervisor's words (domain.alerts.describe). Every cell is a
rich Text built from plain strings: queue and agent names are data.

A name gives way before a figure: the alert's words keep their figure and
line whole and the name is cut (with …) to what is left; the detail line
under the table has it whole."""

from __future__ import annotations

from datetime import timedelta

from rich.cells import cell_len
from rich.text import Text

from floorview.domain.alerts import Alert, describe
from floorview.domain.sitetime import SiteTime
from floorview.tui.alerts.data import AlertRow
from floorview.tui.widgets.live_table import Column

WIDE = 100  # from this width: severity in a whole word, the time fired, who acknowledged at more length
NAME_LEAST = 8  # a name keeps at least this many cells before its figure
ACK_NAME = (8, 16)  # who acknowledged, at most (narrow, wide)
SCROLLBAR = 2

SEVERITY_WORD = {"critical": "critical", "warning": "warning", "info": "info"}
SEVERITY_SHORT = {"critical": "crit", "warning": "warn", "info": "info"}
SEVERITY_STYLE = {"critical": "bold red", "warning": "yellow", "info": ""}


def hhmm(ts: float, site: SiteTime) -> str:
    return site.fmt(ts, "%H:%M")


def _cut(name: str, width: int) -> Text:
    t = Text(name, no_wrap=True)
    if t.cell_len > width:
        t.truncate(max(1, width), overflow="ellipsis")
    return t


def until_words(until: float, now: float, site: SiteTime) -> str:
    """A snooze's end: "10:45" today, "tomorrow" at the next day's start, else "Sat 09:00"."""
    today = site.today(now)
    if site.today(until) == today:
        return hhmm(until, site)
    if until == site.date_start(today + timedelta(days=1)):
        return "tomorrow"
    return site.fmt(until, "%a %H:%M")


def status_cell(a: Alert, now: float, site: SiteTime, wide: bool) -> Text:
    """`● firing`, `✓ ack by Ana 10:12`, `z until 10:45`, `resolved 10:20`: a sign and words."""
    status = a.status(now)
    if status == "firing":
        return Text("● firing", style="bold", no_wrap=True)
    if status == "acknowledged":
        t = Text("✓ ack by ", no_wrap=True)
        t.append_text(_cut(a.ack_by or "?", ACK_NAME[wide]))
        t.append(f" {hhmm(a.ack_at or now, site)}")
        return t
    if status == "snoozed":
        return Text(f"z until {until_words(a.snooze_until or now, now, site)}", style="dim", no_wrap=True)
    return Text(f"resolved {hhmm(a.resolved_at or now, site)}", style="dim", no_wrap=True)


def severity_cell(a: Alert, wide: bool) -> Text:
    words = SEVERITY_WORD if wide else SEVERITY_SHORT
    style = SEVERITY_STYLE.get(a.severity, "") if a.resolved_at is None else "dim"
    return Text(words.get(a.severity, a.severity), style=style, no_wrap=True)


def words(row: AlertRow, now: float, reason: bool = True) -> str:
    """The alert in words after its name: ": service level 62% for 12 min, target 80%"."""
    a = row.alert
    text = describe(a, now, row.rule, row.reason if reason else None)
    return text[len(a.name) :] if text.startswith(a.name) else f": {text}"


def what_cell(row: AlertRow, now: float, width: int) -> Text:
    """The name (cut to what is left) and the figure with its line (whole)."""
    rest = words(row, now)
    if cell_len(rest) + NAME_LEAST > width:  # a long not-ready reason goes first (the detail line has it)
        rest = words(row, now, reason=False)
    t = _cut(row.alert.name, max(NAME_LEAST, width - cell_len(rest)))
    t.append(rest)
    if row.alert.resolved_at is not None:
        t.stylize("dim")
    return t


def row_cells(row: AlertRow, now: float, site: SiteTime, width: int, what_w: int) -> dict[str, Text]:
    wide = width >= WIDE
    a = row.alert
    cells = {
        "status": status_cell(a, now, site, wide),
        "severity": severity_cell(a, wide),
        "what": what_cell(row, now, what_w),
    }
    if wide:
        cells["fired"] = Text(hhmm(a.fired_at, site), no_wrap=True)
    return cells


def columns(rows: tuple[AlertRow, ...], now: float, site: SiteTime, width: int) -> list[Column]:
    """Status, severity (and the time fired, wide), then the alert in what is left: each as wide as
    its widest value; the alert's words at least as wide as the longest figure and line."""
    wide = width >= WIDE

    def widest(label: str, values: list[Text]) -> int:
        return max([len(label), *(v.cell_len for v in values)])

    status_w = widest("Status", [status_cell(r.alert, now, site, wide) for r in rows])
    sev_w = widest("Sev" if not wide else "Severity", [severity_cell(r.alert, wide) for r in rows])
    cols = [Column("status", "Status", status_w), Column("severity", "Severity" if wide else "Sev", sev_w)]
    if wide:
        cols.append(Column("fired", "Fired", 5))
    used = sum((c.width or 0) + 2 for c in cols) + 2 + SCROLLBAR
    least = max([24, *(cell_len(words(r, now, reason=False)) + NAME_LEAST for r in rows)])
    cols.append(Column("what", "Alert", max(least, width - used)))
    return cols


def detail(row: AlertRow, now: float, site: SiteTime) -> Text:
    """The alert under the cursor whole: name, words, when and what it came from, what enter opens."""
    a = row.alert
    t = Text(a.name, style="bold")
    if row.team:
        t.append(f" (team {row.team})")
    t.append(words(row, now))
    zone = site.abbrev(now)
    t.append(f" · fired {hhmm(a.fired_at, site)} {zone} · rule {a.rule_id}, {a.severity}")
    status = a.status(now)
    if a.ack_by is not None and a.ack_at is not None:
        t.append(" · acknowledged by ")
        t.append(a.ack_by)
        t.append(f" at {hhmm(a.ack_at, site)}")
    if status == "snoozed" and a.snooze_until is not None:
        t.append(f" · snoozed until {until_words(a.snooze_until, now, site)}")
    if a.resolved_at is not None:
        t.append(f" · resolved {hhmm(a.resolved_at, site)}")
    t.append(f" · enter opens the {a.subject.kind}", style="dim")
    return t
