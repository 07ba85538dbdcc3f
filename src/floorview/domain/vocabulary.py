"""The words of the floor, one place for each: agent states as the feed
defines them (docs/feed-protocol.md) with the one label a screen shows for
each, coaching topics (the four balance constraints) and ADKAR stages.
Every screen, filter and explain view uses these, so "Wrap-up" on the
Agents table is "Wrap-up" in its title, its filter and the agent page."""

from __future__ import annotations

from floorview.domain.balance import CONSTRAINTS
from floorview.domain.metrics import AGENT_STATES

# state id -> the label shown everywhere (the table, the title, `/state:`, the agent page)
STATE_LABELS: dict[str, str] = {
    "available": "Available",
    "on_contact": "On contact",
    "after_contact_work": "Wrap-up",
    "not_ready": "Not ready",
    "offline": "Offline",
}
assert tuple(STATE_LABELS) == AGENT_STATES

TOPICS: tuple[str, ...] = CONSTRAINTS  # a coaching note's topic is one of the balance's constraints
ADKAR_STAGES: tuple[str, ...] = ("awareness", "desire", "knowledge", "ability", "reinforcement")


def state_label(state: str) -> str:
    """The label of a feed state; an unknown one (a newer feed) as it came, readable."""
    return STATE_LABELS.get(state) or state.replace("_", " ")
