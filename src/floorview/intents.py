"""The intents a key can be bound to: one id per thing a user means to do,
shared by every screen where it applies, so that one line of `[keys]` in the
config remaps it everywhere. Plain data (no Textual): the config checks
`[keys]` against it, the TUI builds its bindings from it, and help lists
each intent once.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Intent:
    id: str
    keys: str  # Textual key names, comma-separated
    description: str
    show: bool = True  # in the footer (help and the palette list every intent)


_INTENTS = (
    # Screens
    Intent("screen.queues", "1", "Queues", False),
    Intent("screen.agents", "2", "Agents", False),
    Intent("screen.balance", "3", "Balance", False),
    Intent("screen.coaching", "4", "Coaching", False),
    Intent("screen.customers", "5", "Customers", False),
    Intent("screen.recovery", "6", "Recovery", False),
    Intent("screen.alerts", "7", "Alerts", False),
    # The app
    Intent("app.help", "question_mark", "Help"),
    Intent("app.huddle", "h", "Huddle"),
    Intent("app.pause", "p", "Pause"),
    Intent("app.quarantine", "Q", "Quarantined records", False),
    Intent("app.quit", "q", "Quit"),
    # Moving about
    Intent("nav.open", "enter", "Open", False),
    Intent("nav.back", "escape", "Back"),
    Intent("nav.customer", "c", "Customer"),
    Intent("nav.whatif", "x", "What-if"),
    Intent("panel.close", "escape,q", "Close"),
    Intent("table.next", "tab", "Next table", False),
    # The view of a list
    Intent("view.filter", "slash", "Filter"),
    Intent("view.explain", "e", "Explain"),
    Intent("view.sort", "s", "Sort"),
    Intent("view.window", "w", "Window"),
    Intent("view.team", "t", "Team"),
    Intent("view.mine", "m", "Mine"),  # all, my team's, my queues'
    Intent("view.state", "f", "State"),
    Intent("view.channel", "c", "Channel"),
    Intent("filter.clear", "escape", "Clear filter"),
    Intent("filter.keep", "enter", "Keep filter"),
    # Notes and forms
    Intent("note.new", "n", "Note"),
    Intent("note.edit", "c", "Edit"),
    Intent("note.delete", "D", "Delete"),
    Intent("note.keep_mine", "m", "Keep mine"),
    Intent("note.take_theirs", "t", "Take theirs"),
    Intent("note.keep_both", "b", "Keep both"),
    Intent("note.discard", "x", "Discard mine"),
    Intent("form.save", "ctrl+s", "Save"),
    Intent("form.cancel", "escape", "Cancel"),
    Intent("form.yes", "y", "Yes"),
    Intent("form.no", "n", "No"),
    # Coaching
    Intent("coaching.due", "f", "Follow-ups"),
    Intent("coaching.themes", "t", "Themes"),
    Intent("coaching.uncoached", "u", "Uncoached"),
    Intent("coaching.problems", "c", "Conflicts"),
    Intent("followup.done", "d", "Follow-up done"),
    # Customers
    Intent("customer.recovered", "r", "Recovered"),
    # Alerts
    Intent("alert.ack", "a", "Acknowledge"),
    Intent("alert.snooze", "z", "Snooze"),
    # Balance
    Intent("balance.rank_up", "u", "Rank up"),
    Intent("balance.rank_down", "d", "Rank down"),
    Intent("balance.heavier", "plus,equals_sign", "Weight +"),
    Intent("balance.lighter", "minus", "Weight -"),
    # What-if
    Intent("whatif.less", "left,minus", "Less"),
    Intent("whatif.more", "right,plus,equals_sign", "More"),
    Intent("whatif.reset", "r", "Reset"),
    Intent("whatif.earlier", "left_square_bracket", "Earlier"),
    Intent("whatif.later", "right_square_bracket", "Later"),
    Intent("whatif.prev_queue", "comma", "Prev queue"),
    Intent("whatif.next_queue", "full_stop", "Next queue"),
)

INTENTS: dict[str, Intent] = {i.id: i for i in _INTENTS}


def intent(intent_id: str) -> Intent:
    """The intent of that id; a KeyError names a typo in the code at import time."""
    return INTENTS[intent_id]
