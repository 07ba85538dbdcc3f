"""The `e` views of the Customers panel: how the card's figures are worked out,
and the rules of the recovery list."""

from __future__ import annotations

from rich.text import Text

from floorview.config import CustomersConfig
from floorview.domain.recovery import RecoveryRules
from floorview.domain.trust import EMOTION_DAYS, EMOTION_HALF_LIFE_DAYS
from floorview.tui.customers.data import CardView
from floorview.tui.format import EMPTY, labelled


def explain_card(v: CardView, c: CustomersConfig) -> tuple[str, Text]:
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
        ("timeline", "the last 30 contacts, newest first; a contact still waiting shows its wait so far"),
        ("", "Wait: ! past twice the queue's SL threshold (none while catching up) · Xfer: times transferred"),
        ("", "NPS and Trust: the survey answered after that contact · QA: its quality score, where there is room"),
    )


def explain_recovery(r: RecoveryRules) -> tuple[str, Text]:
    s = r.severity
    return "Service recovery rules", labelled(
        (
            "long wait",
            f"waited more than {r.long_wait_factor:g} x the queue's SL threshold today (+{s['long_wait']})",
        ),
        ("abandons", f"hung up {r.abandons}+ times within {r.abandon_days:g} days, once today (+{s['abandons']})"),
        ("repeat", f"came back today to a queue contacted within {r.repeat_hours:g} hours (+{s['repeat']})"),
        ("transfers", f"transferred {r.transfers}+ times in one contact today (+{s['transfers']})"),
        ("detractor", f"scored us 0 to 6 today (+{s['detractor']})"),
        ("trust no", f'said no to "Do you trust us?" today (+{s["trust_no"]})'),
        ("order", "severity (the sum of the rules that fired), then value: segment, then products held"),
        ("leaves", "when a recovery note is written for them today (r)"),
        ("mine", "m: all customers; my team's (a contact today answered by the team's agents);"),
        ("", "my queues' (a contact today on the token's queues, else those the team's agents take)"),
        ("", "t picks the team (else the token's teams)"),
        ("config", "customers.recovery and customers.recovery.severity"),
    )
