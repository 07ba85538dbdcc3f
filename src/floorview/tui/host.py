"""What a panel may ask of the app: the typed handle screens use instead of
an untyped `self.app` (DataScreen.host). FloorviewApp implements it; a test
holds the two together (mypy checks the assignment in app.py)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from floorview.config import Settings
    from floorview.domain.clock import Clock
    from floorview.domain.sitetime import SiteTime
    from floorview.store.syncstate import TokenScope

T = TypeVar("T")


class Host(Protocol):
    settings: Settings
    clock: Clock
    site: SiteTime  # the zone of "today" and of every clock time shown
    scope: TokenScope | None  # who the hub says our token is; None: unknown
    source_label: str | None  # "DEMO", "SNAPSHOT": first in the title bar
    paused: bool

    @property
    def scoped(self) -> bool:
        """Whether the token sees part of the floor only."""
        ...

    @property
    def partial(self) -> bool:
        """Whether the store is still catching up with the hub: figures are of
        part of the day, so screens give no ✓/!/✗ verdict on them."""
        ...

    def request_load(self, force: bool = False) -> None:
        """Ask for the active screen's data (merged with a refresh under way)."""

    def refresh_status(self) -> None:
        """Repaint the status line."""

    def read_store(self, read: Callable[[sqlite3.Connection], T], then: Callable[[T], None]) -> None:
        """Run `read(con)` on the reader off the event loop, then `then(result)` on it."""

    def write_store(
        self,
        write: Callable[[Connection], None],
        done: str | None = None,
        then: Callable[[str | None], None] | None = None,
    ) -> None:
        """Run `write(conn)` in one store transaction off the event loop (see FloorviewApp)."""

    def author(self) -> str:
        """Who is writing: a note's author, a ranking's "set by"."""
        ...
