"""Typed messages from workers to the screens."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message


@dataclass
class Loaded(Message):
    """A screen's data, read off the event loop."""

    screen_id: int
    data: Any
    status: Any  # reads.StoreStatus
    now: float
    forced: bool = False  # asked for by a key, so shown even while paused


@dataclass
class SourceChanged(Message):
    """The live source (demo floor or sync) says how it stands."""

    state: str  # "starting", "live", "error", "stopped"
    detail: str | None = None
