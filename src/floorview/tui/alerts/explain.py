"""The Alerts panel's `e` view: the rule behind the alert under the cursor and
its inputs: the line and how it is reached, the holding and clearing times,
the figure when it fired and now, the scope, and the budget."""

from __future__ import annotations

from rich.text import Text

from floorview.domain.alerts import SEVERITY_SHARE, Alert, Budget, Kind, Rule, Scope
from floorview.domain.sitetime import SiteTime
from floorview.domain.units import EMPTY, counted
from floorview.tui.alerts.cells import hhmm, until_words, words
from floorview.tui.alerts.data import AlertRow
from floorview.tui.format import labelled

KIND_WORDS: dict[str, str] = {
    "service_level": "a queue's service level in the window, below its target",
    "oldest_wait": "a queue's oldest contact waiting, past a multiple of its service-level threshold",
    "abandon_rate": "a queue's abandon rate in the window, above its abandon target",
    "agents_short": "agents needed for a queue's target, above those who can take its next contact",
    "not_ready": "an agent not ready, past the limit for the reason",
    "after_contact_work": "an agent in after-contact work, past a limit",
}


def span(seconds: float | None) -> str:
    """Seconds in words: 45 s, 12 min, 1 h 05 min."""
    if seconds is None:
        return EMPTY
    s = max(0, int(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min" + (f" {s % 60} s" if s % 60 else "")
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


def figure(kind: Kind, value: float | None) -> str:
    """A rule's figure in its unit: a rate in %, a time in words, agents as a count."""
    if value is None:
        return EMPTY
    if kind in ("service_level", "abandon_rate"):
        return f"{value * 100:.1f}%"
    if kind == "agents_short":
        return counted(int(value), "agent")
    return span(value)


def line_words(rule: Rule) -> str:
    """Where the rule's line is, in words, with the settings that put it there."""
    k = rule.kind
    if k == "service_level":
        return (
            f"below the queue's service-level target by more than {rule.margin * 100:g} points (margin),"
            f" once the window holds {rule.min_contacts}+ answered and abandoned contacts (min_contacts)"
        )
    if k == "abandon_rate":
        return (
            f"above the queue's abandon target by more than {rule.margin * 100:g} points (margin), on"
            f" {rule.min_contacts}+ contacts (min_contacts); a queue without an abandon target is not judged"
        )
    if k == "oldest_wait":
        return f"the oldest contact waiting {rule.factor:g} x the queue's service-level threshold or longer (factor)"
    if k == "agents_short":
        return (
            f"agents needed for the target (as on the Queues screen) exceed those who can take the queue's"
            f" next contact by {rule.short_by} or more (short_by)"
        )
    if k == "not_ready":
        limits = ", ".join(f"{name} {span(s)}" for name, s in rule.reason_limits_s) or "none"
        return f"not ready for the reason's limit or longer (reason_limits_s: {limits}; other: any reason not named)"
    return f"in after-contact work for {span(rule.limit_s)} or longer (limit_s)"


def scope_words(scope: Scope, kind: str) -> str:
    parts = [
        f"{name} {', '.join(sorted(values))}"
        for name, values in (("queues", scope.queues), ("channels", scope.channels), ("teams", scope.teams))
        if values
    ]
    every = "every queue" if kind == "queue" else "every agent"
    return "; ".join(parts) if parts else f"{every} in the store"


def status_words(a: Alert, now: float, site: SiteTime) -> str:
    zone = site.abbrev(now)
    out = [f"fired {hhmm(a.fired_at, site)} {zone}, its condition held since {hhmm(a.since, site)}"]
    if a.ack_by is not None and a.ack_at is not None:
        out.append(f"acknowledged by {a.ack_by} at {hhmm(a.ack_at, site)}")
    if a.snooze_until is not None and a.status(now) == "snoozed":
        out.append(f"snoozed until {until_words(a.snooze_until, now, site)}: the rule stays quiet for it till then")
    if a.resolved_at is not None:
        out.append(f"resolved {hhmm(a.resolved_at, site)}")
    elif a.status(now) != "snoozed":
        out.append("up: a to acknowledge, z to snooze")
    return "; ".join(out)


def explain_alert(row: AlertRow, now: float, site: SiteTime, budget: Budget, held: int) -> tuple[str, Text]:
    a, rule = row.alert, row.rule
    rows: list[tuple[str, str]] = [
        ("alert", f"{a.name}{words(row, now)}"),
        ("status", status_words(a, now, site)),
    ]
    if rule is None:
        rows.append(("rule", f"{a.rule_id}: no longer in the config (alerts.rules); it ended at the next evaluation"))
    else:
        rows += [
            ("rule", f"{rule.id} ({rule.severity}): {KIND_WORDS.get(rule.kind, rule.kind)}"),
            ("line", line_words(rule)),
            (
                "holds",
                f"fires once past its line for {span(rule.for_s)} (for_s); clears once back within it for"
                f" {span(rule.clear_s)} (clear_s), so a figure wobbling at its line alerts once",
            ),
            ("scope", scope_words(rule.scope, a.subject.kind)),
        ]
    rows.append(("fired at", f"{figure(a.kind, a.value)} against a line of {figure(a.kind, a.limit)}"))
    live = row.live
    if live is None:
        now_words = (
            "not watched now (the agent is in another state)" if a.subject.kind == "agent" else "not in the store now"
        )
    else:
        past = "past the line" if live.holds else "within the line"
        now_words = f"{figure(a.kind, live.value)} against {figure(a.kind, live.limit)}: {past}"
        if row.reason and a.kind == "not_ready":
            now_words += f" (reason: {row.reason})"
    rows.append(("now", now_words))
    hour = budget.hour_for(a.severity)
    share = SEVERITY_SHARE.get(a.severity, 1.0)
    rows += [
        (
            "budget",
            f"at most {counted(budget.per_agent_day, 'alert')} per agent and {budget.per_queue_day} per queue"
            f" in a site day; {budget.per_hour} on the floor in any hour, of which {a.severity} may fill"
            f" {hour} ({share:.0%}); more severe alerts go first (alerts.budget)",
        ),
        ("held back", f"{counted(held, 'alert')} held back by the budget today; each fires later if the budget frees"),
        ("times", f"in the site's zone, {site.describe()}"),
    ]
    return f"Alert — {a.name}", labelled(*rows)
