"""The floorview Textual app: screens, keys, the refresh worker and the status line."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from rich.text import Text
from textual import work
from textual.app import App, ScreenStackError

from floorview.config import Settings
from floorview.domain.clock import Clock, SystemClock
from floorview.domain.sitetime import SiteTime
from floorview.domain.text import clean
from floorview.domain.units import counted
from floorview.store.reads import QueueSnapshot, StoreStatus, data_version, site_time, store_status
from floorview.store.syncstate import TokenScope, token_scope
from floorview.tui import nav
from floorview.tui.bindings import bind
from floorview.tui.commands import BindingCommands
from floorview.tui.host import Host
from floorview.tui.live import LiveSource
from floorview.tui.messages import Loaded, SourceChanged
from floorview.tui.base import DataScreen
from floorview.tui.queues.screen import QueuesScreen
from floorview.tui.widgets.status import as_of

if TYPE_CHECKING:
    from sqlalchemy import Engine


log = logging.getLogger(__name__)
T = TypeVar("T")
TICK_LOW_BANDWIDTH_S = 5.0  # --low-bandwidth: durations tick every 5 s, not every second
QUEUE_FIGURES_FRESH_S = 2.0  # the Queues refresh's figures, reused by an evaluation this soon after
ALERTS_EVERY_S = 15.0  # alerts are evaluated this often, and after a load that saw the store change
FIRST_ALERTS_AFTER_S = 0.3  # the first evaluation, this long after the first figures are shown


def _screen(module: str, name: str) -> DataScreen:
    from importlib import import_module

    return getattr(import_module(f"floorview.tui.{module}"), name)()


class FloorviewApp(App[None]):
    TITLE = "floorview"
    ENABLE_COMMAND_PALETTE = True
    COMMANDS = {BindingCommands}  # screens and actions; not Textual's own (its "Keys" would shadow our help)
    # Screens past the first are imported when first shown: start-up pays only for Queues.
    MODES = {
        "queues": QueuesScreen,
        "agents": lambda: _screen("agents.screen", "AgentsScreen"),
        "balance": lambda: _screen("balance.screen", "BalanceScreen"),
        "coaching": lambda: _screen("coaching.screen", "CoachingScreen"),
        "customers": lambda: _screen("customers.screen", "CustomersScreen"),
        "recovery": lambda: _screen("customers.recovery", "RecoveryScreen"),
        "alerts": lambda: _screen("alerts.screen", "AlertsScreen"),
    }
    BINDINGS = [
        *(bind(f"screen.{mode}", f"show('{mode}')") for mode in MODES),
        bind("app.huddle", "huddle"),
        bind("app.pause", "pause"),
        bind("app.help", "help"),
        bind("app.quarantine", "quarantine"),
        bind("app.quit", "quit"),
    ]

    def __init__(
        self,
        settings: Settings,
        store_path: Path,
        *,
        clock: Clock | None = None,
        reader: sqlite3.Connection | None = None,
        source: LiveSource | None = None,
        source_label: str | None = None,
    ) -> None:
        # NO_COLOR: Textual alone turns colours to greys; in ANSI mode it drops them.
        super().__init__(ansi_color=True if os.environ.get("NO_COLOR") else None)
        self.settings = settings
        self.store_path = store_path
        self.clock = clock or SystemClock()
        self.reader = reader
        self.source = source
        self.source_label = source_label or (source.label if source else None)
        # The zone of "today" and of every clock time shown: read from the store
        # by the load worker, set here on the event loop (see domain.sitetime).
        self.site = SiteTime(settings.site_timezone, "setting") if settings.site_timezone else SiteTime()
        # Who the hub says our token is; None: unknown (no hub, or one that does not say).
        self.scope: TokenScope | None = None
        self.paused = False
        self._stop = threading.Event()
        self._read_lock = threading.Lock()  # the reader: one load or one read at a time
        self._loading = False
        self._pending: bool | None = None  # a refresh asked for while one ran (True: forced)
        self._seen: tuple | None = None  # (screen, request, data_version, minute) of the last load
        self._status: StoreStatus | None = None
        self._source_state: tuple[str, str | None] = ("starting", None) if source else ("none", None)
        self._writer: Engine | None = None  # the store's SQLAlchemy engine, opened on the first local write
        self._write_lock = threading.Lock()
        # Alerts, evaluated in the client (store.alerts.evaluate_now) between loads, never beside one.
        self._alerts_due = False  # an evaluation asked for: the timer, or a load that saw the store change
        self._alerts_first = True  # the process's first evaluation: holding times start again
        self._first_alerts_at: float | None = None  # the first evaluation is put off past the first paint
        self._alerts_failed = False  # the last one failed (said once in the log)
        self._alerts_pruned: str | None = None  # the site day history was last pruned on (alerts worker only)
        self._version: int | None = None  # the store's data_version at the last load (load worker only)
        self._version_judged: int | None = None  # the last that asked for an evaluation
        # The Queues refresh's queue snapshots and when they were read: the next evaluation judges
        # those rather than read every queue again (alerts: at most 0.3x a refresh).
        self._queue_figures: tuple[float, list[QueueSnapshot]] | None = None

    # -- start and stop -------------------------------------------------------
    def on_mount(self) -> None:
        if self.settings.keys:
            self.set_keymap(self.settings.keys)
        self.switch_mode("queues")
        self.set_interval(self.settings.refresh_s, self._poll, name="poll")
        self.set_interval(TICK_LOW_BANDWIDTH_S if self.settings.low_bandwidth else 1.0, self._tick, name="tick")
        if not self.is_headless:
            self._tty_fds = [fd for fd in (0, 1, 2) if os.isatty(fd)]
            self.set_interval(2.0, self._check_terminal, name="terminal")
        if self.source is not None:
            self._run_source()
        if self.alerts_evaluated:
            self.set_interval(ALERTS_EVERY_S, self._alerts_timer, name="alerts")

    def on_unmount(self) -> None:
        self._stop.set()
        if self._writer is not None:
            self._writer.dispose()

    @work(thread=True, group="source", exit_on_error=False)
    def _run_source(self) -> None:
        def report(state: str, detail: str | None = None) -> None:
            self.post_message(SourceChanged(state, detail))

        source = self.source
        assert source is not None  # started only with a source
        try:
            source.run(report, self._stop)
        except Exception as exc:  # the floor stops; the screens keep what they have
            log.exception("the live source stopped")
            reason = " ".join(str(exc).split())[:300] or type(exc).__name__
            where = source.label or self.source_label or "the hub"
            self.post_message(SourceChanged("error", f"sync with {where} stopped: {reason} (see the log)"))

    def on_source_changed(self, message: SourceChanged) -> None:
        # The detail may quote the hub: cleaned where it entered (sync/transport.py),
        # and here again, since the status line is a terminal's to interpret.
        self._source_state = (message.state, clean(message.detail) if message.detail else message.detail)
        if message.state in ("live", "catching up") and self.reader is None:
            from floorview.store.engine import open_reader
            from floorview.store.location import StoreError

            try:
                self.reader = open_reader(self.store_path)
            except StoreError as exc:
                self._source_state = ("error", str(exc))
        if message.state in ("live", "catching up"):
            self.request_load()
        self.refresh_status()

    def _data_screen(self) -> DataScreen | None:
        """The active data screen; None when another screen is on top, or while
        the app shuts down: its timers outlive the screens, which lose their
        widgets first, so a late tick must touch none of them."""
        if not self.is_running:
            return None
        try:
            screen = self.screen
        except ScreenStackError:
            return None
        if not isinstance(screen, DataScreen) or not screen.is_attached or not screen.is_running:
            return None
        return screen

    # -- refresh ---------------------------------------------------------------
    def _poll(self) -> None:
        if not self.paused:
            self.request_load()

    def request_load(self, force: bool = False) -> None:
        """Ask for the active screen's data; merged with any refresh under way."""
        if self.paused and not force:
            return
        if self._loading:
            self._pending = bool(self._pending) or force
            return
        screen = self._data_screen()
        if self.reader is None or not isinstance(screen, DataScreen):
            return
        if screen.loader is None:
            return
        self._loading = True
        self._load(screen, screen.loader, screen.request(), force)

    @work(thread=True, group="load", exit_on_error=False)
    def _load(self, screen: DataScreen, loader: Callable[..., Any], request: Any, force: bool) -> None:
        """The worker's side of the load contract (tui/base.py): runs the
        loader on a request built on the event loop; touches no widget."""
        con = self.reader
        assert con is not None  # request_load starts no load before the store is open
        now = self.clock.now()
        name = type(screen).__name__
        try:
            with self._read_lock:
                version = data_version(con)
                seen = (id(screen), request, version, int(now // 60))
                if not force and seen == self._seen:
                    self.call_from_thread(self._load_done)
                    return
                con.execute("BEGIN")  # one consistent snapshot for every query of the screen
                try:
                    site, scope = site_time(con, self.settings.site_timezone), token_scope(con)
                    if (site, scope) != (self.site, self.scope):  # came with the feed: every screen follows
                        self.call_from_thread(self._set_context, site, scope)
                    data = loader(con, now, request)
                    status = store_status(con)
                    if self.settings.alerts.enabled:
                        from floorview.store.alerts import firing_count  # off the start-up path

                        status.alerts = firing_count(con, now)
                finally:
                    con.execute("COMMIT")
            self._seen, self._version = seen, version
            self.post_message(Loaded(id(screen), request, data, status, now, force))
        except sqlite3.Error as exc:
            self.call_from_thread(self._load_failed, str(exc))
        except Exception as exc:  # a bug must not stop the refreshes for good
            log.exception("loading %s failed", name)
            self.call_from_thread(self._load_failed, f"{type(exc).__name__}: {exc} (see the log)")

    def read_store(self, read: Callable[[sqlite3.Connection], T], then: Callable[[T], None]) -> None:
        """Run `read(con)` on the reader off the event loop, then `then(result)`
        on it (a form's choices, a note opened from a list). Nothing happens
        while the store is not open yet."""
        if self.reader is None:
            self.notify("The store is not open yet.", markup=False)
            return
        self._read(read, then)

    @work(thread=True, group="read", exit_on_error=False)
    def _read(self, read: Callable[[sqlite3.Connection], Any], then: Callable[[Any], None]) -> None:
        try:
            with self._read_lock:
                assert self.reader is not None  # read_store checked
                result = read(self.reader)
        except Exception as exc:
            log.exception("a store read failed")
            self.call_from_thread(self.notify, f"Cannot read the store: {exc}", markup=False, severity="error")
            return
        self.call_from_thread(then, result)

    def author(self) -> str:
        """Who is writing, for a note's author or a ranking's "set by" (the hub
        puts the token's name on the notes it stores)."""
        import getpass

        try:
            return getpass.getuser()
        except (KeyError, OSError):  # no name for this uid (a container, a bare jump host)
            return "unknown user"

    def _set_context(self, site: SiteTime, scope: TokenScope | None) -> None:
        self.site, self.scope = site, scope

    @property
    def scoped(self) -> bool:
        """Whether the token sees part of the floor only (some teams or queues)."""
        return self.scope is not None and not self.scope.whole_floor

    @property
    def partial(self) -> bool:
        """Whether the store is still catching up (or starting): no verdicts on part of a day."""
        return self._source_state[0] in ("starting", "catching up")

    def on_loaded(self, message: Loaded) -> None:
        if self._version != self._version_judged:  # the store changed: the figures the rules watch may have
            self._version_judged = self._version
            self._alerts_due = True
        if self.paused and not message.forced:
            # A refresh that was under way when `p` was pressed: paused means
            # nothing moves. Resuming forces a fresh read.
            self._load_done()
            return
        self._status = message.status
        screen = self._data_screen()
        if isinstance(screen, DataScreen) and id(screen) == message.screen_id:
            screen.show(message.data, message.request, message.now)
            if isinstance(screen, QueuesScreen):
                self._queue_figures = (message.now, [row.snap for row in message.data])
        self.refresh_status()
        self._load_done()

    def _load_done(self) -> None:
        self._loading = False
        if self._alerts_due and self._alerts_first and self._first_alerts_at is None and not self.is_headless:
            # In a terminal the process's first evaluation waits a moment: its thread imports
            # SQLAlchemy (a third of a second of CPU), which would hold up painting the first
            # figures. (Headless, as under Pilot, nothing is painted: it runs at once.)
            self._first_alerts_at = time.monotonic() + FIRST_ALERTS_AFTER_S
            self.set_timer(FIRST_ALERTS_AFTER_S, self._alerts_timer)
        if self._alerts_due and time.monotonic() >= (self._first_alerts_at or 0) and self._evaluate_alerts():
            return  # a load asked for meanwhile follows the evaluation (_alerts_done)
        if self._pending is not None:
            force, self._pending = self._pending, None
            self.request_load(force)

    def _load_failed(self, reason: str) -> None:
        self._source_state = ("error", f"cannot read the store: {reason}")
        self.refresh_status()
        self._load_done()

    def _check_terminal(self) -> None:
        """End when the terminal is gone. SIGHUP covers a dropped SSH session;
        this covers a terminal that vanished without one (a zero-byte write,
        nothing on the wire, fails once the other side has closed)."""
        for fd in self._tty_fds:  # isatty() itself turns false once the line hangs up
            try:
                os.write(fd, b"")
            except OSError:
                log.warning("terminal gone: exiting")
                self.exit(return_code=1)
                return

    def _tick(self) -> None:
        if self.paused:
            return
        screen = self._data_screen()
        if isinstance(screen, DataScreen):
            screen.tick(self.clock.now())
            if self.settings.show_clock:
                screen._update_title()
        self.refresh_status()

    # -- alerts ------------------------------------------------------------------
    @property
    def alerts_evaluated(self) -> bool:
        """Whether this process evaluates the alert rules: on, and the store writable."""
        return self.settings.alerts.enabled and not self.settings.offline

    def _alerts_timer(self) -> None:
        self._alerts_due = True
        if not self._loading:
            self._load_done()

    def _evaluate_alerts(self) -> bool:
        """Start an evaluation if one may run now (the store open, not catching up: no alert on part
        of a day). It runs where a load would, so the two never overlap; True: started."""
        self._alerts_due = False
        if not self.alerts_evaluated or self.reader is None or self.partial or not self.is_running:
            return False
        self._loading = True
        now = self.clock.now()
        figures, self._queue_figures = self._queue_figures, None
        queues = figures[1] if figures is not None and 0 <= now - figures[0] <= QUEUE_FIGURES_FRESH_S else None
        self._run_alerts(now, self.site, self._alerts_first, queues)
        return True

    @work(thread=True, group="alerts", exit_on_error=False)
    def _run_alerts(self, now: float, site: SiteTime, first: bool, queues: list[QueueSnapshot] | None) -> None:
        """Read the figures and evaluate in one write transaction (store.alerts.evaluate_now); an
        evaluation that changes nothing writes nothing, so it wakes no screen. Pruned once a day."""
        from floorview.store.alerts import evaluate_now, prune

        alerts = self.settings.alerts
        day = site.today(now).isoformat()
        try:
            with self._write_lock:
                with self._engine().begin() as conn:
                    _, events = evaluate_now(
                        conn, alerts.rules, now, site, alerts.budget.budget(), first=first, queues=queues
                    )
                    if day != self._alerts_pruned:
                        prune(conn, now, site)
            self._alerts_pruned = day
        except Exception:
            if not self._alerts_failed:
                log.exception("evaluating the alerts failed")
            self.call_from_thread(self._alerts_done, False, 0)
            return
        fired = sum(1 for e in events if e.kind == "fired")
        self.call_from_thread(self._alerts_done, True, fired)

    def _alerts_done(self, ok: bool, fired: int) -> None:
        self._alerts_failed = not ok
        if ok:
            self._alerts_first = False
        if fired and self.settings.alerts.bell and not self._in_huddle():
            self.bell()
        self._loading = False
        # What it wrote (and the count) is read by the next load; nothing written: no load.
        force, self._pending = bool(self._pending), None
        self.request_load(force)

    def _in_huddle(self) -> bool:
        """Huddle mode is on the screen stack: a shared screen, so no bell."""
        from floorview.tui.huddle.screen import HuddleScreen

        return any(isinstance(s, HuddleScreen) for s in self.screen_stack)

    def _engine(self) -> Engine:
        """The writer's engine, opened on the first local write. Called under _write_lock."""
        if self._writer is None:
            from floorview.store.engine import open_engine

            self._writer = open_engine(self.store_path)
        return self._writer

    # -- status line -------------------------------------------------------------
    def status_text(self, now: float) -> Text:
        text = Text()
        if self.paused:
            text.append(" ⏸ PAUSED ", style="reverse bold")
            text.append(" p resumes │ ")
        state, detail = self._source_state
        status = self._status
        if status is not None and status.alerts:
            key = self.settings.keys.get("screen.alerts", "7")
            text.append(f"▲ {counted(status.alerts, 'alert')} ({key})", style="bold")
            text.append(" │ ")
        if state == "starting":
            text.append(f"◌ starting: {detail or 'preparing the store'}")
        elif state == "live":
            text.append("● live", style="bold")
        elif state == "catching up":
            text.append(f"◌ catching up ({detail})")
        elif state == "stale":
            text.append(f"⚠ stale: {detail}", style="bold yellow")
        elif state == "error":
            text.append(f"✗ {detail}", style="bold red")
        elif status is not None and status.source == "snapshot":
            text.append("◆ snapshot, offline")
            if status.last_success_at:
                taken = status.last_success_at
                text.append(f" │ taken {self.site.stamp(taken, '%Y-%m-%d %H:%M')}")
        else:
            text.append("◆ offline: store only")
        if status is not None and status.source != "snapshot":
            live = state == "live" and not self.paused
            text.append(f" │ {as_of(status.last_success_at, now, self.site, live)}")
        if status is not None:
            if status.quarantined:
                text.append(f" │ ⚠ {status.quarantined} quarantined (Q lists)", style="yellow")
            if status.unknown_kinds:
                text.append(f" │ {status.unknown_kinds} unknown skipped")
            if status.outbox:
                text.append(f" │ ↑ {status.outbox} to push")
            if status.conflicts:
                text.append(f" │ ⚠ {status.conflicts} in conflict", style="yellow")
            if status.rejected:
                text.append(f" │ ✗ {status.rejected} rejected by hub", style="yellow")
        return text

    def refresh_status(self) -> None:
        screen = self._data_screen()
        if isinstance(screen, DataScreen):
            now = self.clock.now()  # paused, the data on screen grows older all the same
            screen.show_status(self.status_text(now))

    # -- actions -----------------------------------------------------------------
    def action_show(self, mode: str) -> None:
        if self.current_mode != mode:
            self.switch_mode(mode)

    def action_pause(self) -> None:
        self.paused = not self.paused
        if not self.paused:
            self.request_load(force=True)
        self.refresh_status()

    def action_huddle(self) -> None:
        """Huddle mode for a shared screen; `h` again returns. The team is the
        one on show (the Agents team filter, the agent page's) if any."""
        from floorview.tui.huddle.screen import HuddleScreen

        if isinstance(self.screen, HuddleScreen):
            self.pop_screen()
            return
        team = self.screen.huddle_team if isinstance(self.screen, DataScreen) else None
        if team is None and self.scope is not None and self.scope.teams:
            team = self.scope.teams[0]  # a team lead's token: their team first
        self.push_screen(HuddleScreen(team))
        self.request_load(force=True)

    def action_quarantine(self) -> None:
        from floorview.store.quarantine import quarantined
        from floorview.tui.modals.quarantine import LIMIT, QuarantineScreen, quarantine_text

        def show(found: tuple[int, list]) -> None:
            self.push_screen(QuarantineScreen(quarantine_text(*found, self.site)))

        self.read_store(lambda con: quarantined(con, LIMIT), show)

    # -- local writes ---------------------------------------------------------------
    def write_store(self, write, done: str | None = None, then=None) -> None:
        """Run `write(conn)` in one store transaction, off the event loop; the
        screens re-read when it commits. A failure is said on screen; nothing
        else is lost, since nothing was shown as saved before the commit.
        `then(problem)`, if given, is called on the event loop when the write
        has ended: problem is None once it committed, else why it did not (a
        form holding typed text stays open until then: L5)."""
        if self.settings.offline:
            self.notify("Read-only (--offline): nothing can be saved.", markup=False, severity="warning")
            if then is not None:
                then("this store is read-only (--offline)")
            return
        self._write(write, done, then)

    @work(thread=True, group="write", exit_on_error=False)
    def _write(self, write, done: str | None, then=None) -> None:
        try:
            with self._write_lock:  # one local write at a time, in the order made
                with self._engine().begin() as conn:
                    write(conn)
        except Exception as exc:
            log.exception("a local write failed")
            self.call_from_thread(self.notify, f"Not saved: {exc}", markup=False, severity="error", timeout=8)
            if then is not None:
                self.call_from_thread(then, str(getattr(exc, "orig", None) or exc))
            self.call_from_thread(self.request_load, True)
            return
        if then is not None:
            self.call_from_thread(then, None)
        if done:
            self.call_from_thread(self.notify, done, markup=False, timeout=2)
        self.call_from_thread(self.request_load, True)

    # -- navigation: every panel opens another by posting one of tui/nav.py ---------
    def _open(self, screen: Any) -> None:
        self.push_screen(screen)
        self.request_load(force=True)

    def on_open_queue(self, message: nav.OpenQueue) -> None:
        from floorview.tui.queues.drill import QueueDetailScreen

        self._open(QueueDetailScreen(message.queue_id, message.name))

    def on_open_what_if(self, message: nav.OpenWhatIf) -> None:
        from floorview.tui.queues.whatif import WhatIfScreen

        self._open(WhatIfScreen(message.queue_id))

    def on_open_agent(self, message: nav.OpenAgent) -> None:
        from floorview.tui.agents.page import AgentPageScreen

        self._open(AgentPageScreen(message.agent_id, message.name))

    def on_open_customer(self, message: nav.OpenCustomer) -> None:
        from floorview.tui.customers.card import CustomerCardScreen

        self._open(CustomerCardScreen(message.customer_id))

    def on_new_note(self, message: nav.NewNote) -> None:
        from floorview.tui.coaching.notes import new_note

        new_note(self.screen, message.agent_id, message.agent_name, message.interaction_id)

    def on_open_note(self, message: nav.OpenNote) -> None:
        from floorview.tui.coaching.notes import open_note

        open_note(self.screen, message.note_id)

    def action_help(self) -> None:
        from floorview.tui.modals.keys import KeysScreen, keys_text

        self.push_screen(KeysScreen(keys_text(self.screen)))


def _host(app: FloorviewApp) -> Host:
    return app  # mypy holds the app to the handle panels use (tui/host.py)
