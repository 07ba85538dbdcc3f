"""Bindings from intents (floorview.intents): a binding's id is its intent's,
so `[keys]` remaps an intent on every screen at once."""

from __future__ import annotations

from textual.binding import Binding

from floorview.intents import intent


def bind(intent_id: str, action: str, *, show: bool | None = None, priority: bool = False) -> Binding:
    """The binding of an intent to this screen's action, with the intent's keys and words."""
    i = intent(intent_id)
    return Binding(i.keys, action, i.description, show=i.show if show is None else show, id=i.id, priority=priority)
