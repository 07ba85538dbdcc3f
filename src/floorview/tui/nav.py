"""Typed navigation: a panel asks for another panel by posting one of these;
the app handles each in one place (FloorviewApp.on_*), so no panel imports
another and none reaches into the screen stack."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass
class OpenQueue(Message):
    """The queue's drill-down: who waits, who serves it."""

    queue_id: str
    name: str


@dataclass
class OpenWhatIf(Message):
    """The what-if, on that queue (None: the first)."""

    queue_id: str | None = None


@dataclass
class OpenAgent(Message):
    """The agent's page."""

    agent_id: str
    name: str


@dataclass
class OpenCustomer(Message):
    """The customer's trust and behavior card."""

    customer_id: str


@dataclass
class NewNote(Message):
    """The note editor, for a new note about the agent (on that contact, if given)."""

    agent_id: str
    agent_name: str
    interaction_id: str | None = None


@dataclass
class OpenNote(Message):
    """A note, whole, with what can be done with it."""

    note_id: str
