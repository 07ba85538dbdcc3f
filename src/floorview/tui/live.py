"""What the app needs of whatever keeps its store current (demo floor, sync)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol

Report = Callable[[str, "str | None"], None]


class LiveSource(Protocol):
    @property
    def label(self) -> str | None:
        """Shown in the title bar, e.g. "DEMO" or the hub's host; None: nothing."""
        ...

    def run(self, report: Report, stop: threading.Event) -> None:
        """Keep the store current until `stop` is set. Runs in a worker thread.

        Reports ("starting", detail) while preparing the store, ("live", None)
        after each successful commit, and ("error", reason) when it cannot go on.
        """
