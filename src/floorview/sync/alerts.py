"""Alerts in a headless `floorview sync`: the rules evaluated beside the pull, never in its way.

`AlertWatch.tick_once` reads the figures the rules watch and evaluates them
(store/alerts.py: `observations`, `tick`) in one write transaction on the
sync's engine; the first tick of the process says so (`first=True`: the
holding times start again if the store's last evaluation is too long ago
to know what the figures did since, store/alerts.py `CONTINUOUS_S`). It
queues what fired or resolved for the webhook in the same transaction
(store/alert_delivery.py), and prunes the history once a day.

The watch runs on a thread of its own: the sync tells it after each page it
applied (`changed`), and it ticks every `TICK_S` besides (an agent's time in
a state grows with no change to the store). Requests that come while it
ticks are merged into one tick. The pull never waits for it beyond the
store's own write lock, held for one evaluation.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, cast

from floorview.domain.alerts import Budget, Event, Rule

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from floorview.sync.webhook import Webhook

log = logging.getLogger(__name__)
TICK_S = 15.0  # a tick at least this often, changes or not
PRUNE_EVERY_S = 86400.0
# An alert that fired or resolved this long before a tick and is not queued for the webhook yet
# (a console's evaluation on the same store, a sync that was not running) is queued then.
CATCH_UP_S = 3600.0


class AlertWatch:
    def __init__(
        self,
        engine: Engine,
        rules: Sequence[Rule],
        budget: Budget,
        site_timezone: str = "",
        *,
        webhook: Webhook | None = None,
        clock: Callable[[], float] = time.time,
        tick_s: float = TICK_S,
    ) -> None:
        self.engine, self.rules, self.budget = engine, tuple(rules), budget
        self.site_timezone, self.webhook, self.clock, self.tick_s = site_timezone, webhook, clock, tick_s
        self.first = True  # the next tick is the process's first
        self.ticks = 0
        self.pruned_at: float | None = None
        self._changed = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick_once(self) -> list[Event]:
        """One evaluation; the events it made (fired, resolved, returned, held_back)."""
        from floorview.store.alert_delivery import prune_deliveries, queue_new
        from floorview.store.alerts import observations, prune, tick
        from floorview.store.reads import site_time

        now = self.clock()
        queued = 0
        with self.engine.begin() as conn:
            raw = cast(sqlite3.Connection, conn.connection.driver_connection)  # in this same transaction
            site = site_time(raw, self.site_timezone)
            obs = observations(raw, now, site, rules=self.rules)
            _, events = tick(conn, self.rules, obs, now, self.budget, first=self.first)
            if self.pruned_at is None or now - self.pruned_at >= PRUNE_EVERY_S:
                gone = prune(conn, now, site)
                lost = prune_deliveries(conn, now)
                if lost:
                    log.warning("alerts webhook: %d events older than 7 days were never delivered: dropped", lost)
                if gone:
                    log.info("alerts: %d resolved more than 7 days ago pruned", gone)
            if self.webhook is not None:
                from floorview.sync.webhook import payload

                rules = self.rules
                queued = queue_new(conn, now - CATCH_UP_S, now, lambda eid, ev, a: payload(eid, ev, a, rules))
        if self.pruned_at is None or now - self.pruned_at >= PRUNE_EVERY_S:
            self.pruned_at = now
        self.first = False
        self.ticks += 1
        if queued and self.webhook is not None:
            self.webhook.wake()
        return events

    # -- the thread --
    def changed(self) -> None:
        """The store changed (a page was applied): tick soon. From any thread; merged."""
        self._changed.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="alerts", daemon=True)
        self._thread.start()

    def stop(self, wait_s: float = 2.0) -> None:
        self._stop.set()
        self._changed.set()
        if self._thread is not None:
            self._thread.join(wait_s)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick_once()
            except Exception as exc:  # a fault of the store: the sync says it; tick again later
                log.warning("alerts: the evaluation failed (%s: %s); trying again", type(exc).__name__, exc)
            self._changed.wait(self.tick_s)
            self._changed.clear()
