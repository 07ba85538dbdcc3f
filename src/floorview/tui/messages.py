"""Typed messages from workers to the screens."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message

from floorview.store.reads import StoreStatus


@dataclass
class Loaded(Message):
    """A screen's data, read off the event loop, with the request it answers."""

    screen_id: int
    request: Any  # the screen's frozen request (DataScreen.request)
    data: Any  # what its loader returned for it
    status: StoreStatus
    now: float
    forced: bool = False  # asked for by a key, so shown even while paused


@dataclass
class SourceChanged(Message):
    """The live source (demo floor or sync) says how it stands."""

    state: str  # "starting", "live", "error", "stopped"
    detail: str | None = None
