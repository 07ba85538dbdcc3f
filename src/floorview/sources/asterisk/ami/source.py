"""The Asterisk Manager Interface as a source (sources/base.py): live agent
states and waiting callers.

`run` runs an asyncio loop in the thread the hub gives it: connect, log in
(MD5 challenge), take a snapshot with QueueStatus, then follow events, writing
a batch at most every `batch_s` (and a heartbeat every `heartbeat_s`).

- A session that drops is opened again with backoff (0.5 s doubling to 30 s,
  with jitter; back to 0.5 s after a session that lasted 30 s), and every new
  session starts with a snapshot, which corrects whatever was missed. A link
  silent for `ping_s` is pinged; no answer, and it is taken for dropped (a
  dead link sends no FIN).
- Log-in asks for app_queue's event classes only (client.event_mask).
- A refused log-in raises `AmiLoginRefused`, and `give_up_after` connection
  attempts failing in a row raise `AmiUnavailable`: the hub's supervisor
  (hub/supervise.py) then says why in /v1/health and starts `run` again with
  its own backoff. So a wrong secret is retried slowly, never a crash loop.
- `run` returns within about a second of `stop` being set, writing what it
  mapped first.
- The resume point is small: the versions of the open records and the open
  calls (mapper.py); AMI's state itself is read again by the snapshot.
- The secret is kept on the object only, never in its repr, a log line or an
  exception message.
"""

from __future__ import annotations

import asyncio
import logging
import random
import ssl
import threading
import time
from collections.abc import Callable
from typing import Any

from floorview.sources.asterisk.ami.client import AmiClient, AmiError, AmiLoginRefused, AmiProtocolError
from floorview.sources.asterisk.ami.mapper import LEAVE_GRACE_S, Mapper
from floorview.sources.asterisk.ami.protocol import Message
from floorview.sources.asterisk.records import text
from floorview.sources.asterisk.settings import AsteriskSettings
from floorview.sources.base import Change, Sink

log = logging.getLogger(__name__)

FIRST_WAIT_S = 0.5
LONGEST_WAIT_S = 30.0
BATCH_MAX = 500  # changes in one write at most
POLL_S = 0.1  # how often the loop looks at `stop`


class AmiUnavailable(AmiError):
    """Asterisk's manager could not be reached, several times in a row."""


class AmiSource:
    """Asterisk's live queues, agents and waiting callers, read over AMI."""

    def __init__(
        self,
        host: str,
        port: int,
        user: str,
        secret: str,
        settings: AsteriskSettings,
        name: str = "asterisk-ami",
        *,
        allow_plain_login: bool = False,
        clock: Callable[[], float] = time.time,
        connect_timeout: float = 10.0,
        leave_grace_s: float = LEAVE_GRACE_S,
        batch_s: float = 0.25,
        heartbeat_s: float = 10.0,
        give_up_after: int = 5,
        ping_s: float = 20.0,
        tls: ssl.SSLContext | None = None,
        first_wait_s: float = FIRST_WAIT_S,
        longest_wait_s: float = LONGEST_WAIT_S,
    ) -> None:
        """`allow_plain_login`: log in with the secret itself when Asterisk offers
        no MD5 challenge (the secret then crosses the wire: use it on loopback or a
        trusted network only). `tls`: speak TLS (manager.conf `tlsenable`), checked
        as the context says (`ssl.create_default_context()` checks the host's
        certificate); AMI is plain TCP otherwise, and its events carry callers'
        numbers: across a network other than loopback, TLS or a tunnel."""
        self._name = name
        self.host, self.port, self.user, self.settings = host, port, user, settings
        self._secret = secret
        self.allow_plain_login = allow_plain_login
        self.clock, self.connect_timeout, self.leave_grace_s = clock, connect_timeout, leave_grace_s
        self.batch_s, self.heartbeat_s, self.give_up_after = batch_s, heartbeat_s, give_up_after
        self.ping_s, self.tls = ping_s, tls
        self.first_wait_s, self.longest_wait_s = first_wait_s, longest_wait_s
        self.mapper: Mapper | None = None  # made from the stored resume point on the first run
        self.sessions = 0  # sessions that logged in and took a snapshot
        self.last_error: str | None = None
        self.login_how: str | None = None  # "md5" or "plain", once logged in
        self._pending: list[Change] = []
        self._unmapped: dict[str, list[str]] = {}
        self._read = 0
        self._newest: float | None = None
        self._last_write = -1e18

    def __repr__(self) -> str:
        return f"AmiSource({self.host!r}, {self.port}, user={self.user!r}, name={self._name!r})"

    @property
    def name(self) -> str:
        return self._name

    # -- the run ---------------------------------------------------------------------
    def run(self, sink: Sink, stop: threading.Event) -> None:
        if self.mapper is None:
            self.mapper = Mapper(self.settings, sink.resume_point(), self.leave_grace_s)
        try:
            asyncio.run(self._until_stopped(sink, stop))
        finally:
            if stop.is_set() and (self._pending or self._unmapped or self._read):
                self._flush(sink, force=True)  # stopping: what was mapped goes in

    async def _until_stopped(self, sink: Sink, stop: threading.Event) -> None:
        """`_main`, cancelled if it has not ended half a second after `stop` (a connect that hangs)."""
        main = asyncio.ensure_future(self._main(sink, stop))
        stopped_at: float | None = None
        cancelled = False
        while not main.done():
            await asyncio.wait({main}, timeout=POLL_S)
            if stop.is_set() and not main.done():
                stopped_at = stopped_at or time.monotonic()
                if time.monotonic() - stopped_at > 0.5 and not cancelled:
                    main.cancel()  # once: its clean-up (closing the socket) then runs undisturbed
                    cancelled = True
        try:
            await main
        except asyncio.CancelledError:
            if not stop.is_set():
                raise

    async def _main(self, sink: Sink, stop: threading.Event) -> None:
        if self._pending or self._unmapped:
            self._flush(sink, force=True)  # a batch that failed to write before
        wait, failures = self.first_wait_s, 0
        while not stop.is_set():
            began = time.monotonic()
            logged_in = False
            try:
                logged_in = await self._session(sink, stop)
            except AmiLoginRefused as exc:
                self.last_error = str(exc)
                raise
            except AmiError as exc:
                self.last_error = str(exc)
            if stop.is_set():
                return
            if logged_in:
                failures = 0
                if time.monotonic() - began > self.longest_wait_s:
                    wait = self.first_wait_s  # it had been working: a new trouble, not the same one
            else:
                failures += 1
                if failures >= self.give_up_after:
                    raise AmiUnavailable(
                        f"the Asterisk manager at {self.host}:{self.port} failed {failures} times in a row;"
                        f" the last: {self.last_error}"
                    )
            log.warning(
                "AMI source %s: %s; connecting again in %.1f s", self._name, self.last_error or "disconnected", wait
            )
            if await _sleep(wait * random.uniform(0.8, 1.2), stop):
                return
            wait = min(wait * 2, self.longest_wait_s)

    async def _session(self, sink: Sink, stop: threading.Event) -> bool:
        """One connection: log in, snapshot, events until it ends or `stop`; True once it had its
        snapshot. Raises AmiError when it could not connect, log in or take the snapshot; a drop
        after that is a return."""
        assert self.mapper is not None
        client = await AmiClient.connect(self.host, self.port, self.connect_timeout, self.tls)
        try:
            self.login_how = await client.login(self.user, self._secret, self.allow_plain_login)
            _, items = await client.action_list("QueueStatus", timeout=max(30.0, self.connect_timeout))
            self.sessions += 1  # a session counts as working once it has its snapshot
            try:
                snapshot = self.mapper.snapshot(items, self.clock())
            except Exception as exc:  # a fault of the mapper: counted and logged; the events still follow
                self.mapper.skip(f"mapper fault on QueueStatus: {type(exc).__name__}", "QueueStatus")
                log.exception("AMI source %s: the mapper failed on the QueueStatus snapshot", self._name)
                snapshot = []
            self._add(snapshot, read=len(items))
            self._flush(sink, force=True)
            sink.caught_up()
            try:
                await self._follow(client, sink, stop)
            except AmiProtocolError as exc:  # it went silent: a new session, as after a drop
                self.last_error = str(exc)
                return True
            if client.garbage.count:
                self._unmapped.setdefault("garbled line", []).extend(client.garbage.take())
            if stop.is_set():
                await client.logoff()
            return True
        finally:
            await client.close()

    async def _follow(self, client: AmiClient, sink: Sink, stop: threading.Event) -> None:
        """Events until the connection ends or `stop`; a peer silent for `ping_s` is pinged,
        and one that does not answer is an AmiProtocolError (a link gone dead sends no FIN)."""
        assert self.mapper is not None
        getter: asyncio.Future[Message | None] | None = None
        try:
            while not stop.is_set():
                if getter is None:
                    getter = asyncio.ensure_future(client.events.get())
                done, _ = await asyncio.wait({getter}, timeout=POLL_S)
                if getter in done:
                    message = getter.result()
                    getter = None
                    if message is None:
                        self.last_error = f"the Asterisk manager connection ended ({client.closed_because})"
                        return
                    self._event(message)
                    while not client.events.empty() and len(self._pending) < BATCH_MAX:
                        more = client.events.get_nowait()
                        if more is None:
                            client.events.put_nowait(None)  # seen on the next turn
                            break
                        self._event(more)
                self._add(self.mapper.tick(self.clock()))
                if client.garbage.count:
                    self._unmapped.setdefault("garbled line", []).extend(client.garbage.take())
                self._flush(sink)
                if time.monotonic() - client.last_read > self.ping_s:
                    await client.action("Ping", timeout=min(10.0, self.ping_s))
        finally:
            if getter is not None:
                getter.cancel()

    def _event(self, message: Message) -> None:
        """One event mapped; a fault of the mapper on it is counted, never fatal."""
        assert self.mapper is not None
        try:
            changes = self.mapper.event(message, self.clock())
        except Exception as exc:
            self.mapper.skip(
                f"mapper fault on {text(message.event or '', 40)}: {type(exc).__name__}", message.event or ""
            )
            log.exception("AMI source %s: the mapper failed on an event %s", self._name, message.event)
            changes = []
        self._add(changes, read=1)

    # -- batches ---------------------------------------------------------------------
    def _add(self, changes: list[Change], read: int = 0) -> None:
        assert self.mapper is not None
        self._pending.extend(changes)
        self._read += read
        for reason, examples in self.mapper.take_unmapped().items():
            self._unmapped.setdefault(reason, []).extend(examples)
        newest = self.mapper.take_newest()
        if newest is not None:
            self._newest = newest if self._newest is None else max(self._newest, newest)

    def _flush(self, sink: Sink, force: bool = False) -> None:
        """Write what is pending, with the resume point; kept for the next try if the write fails."""
        if self.mapper is None:
            return
        now = time.monotonic()
        due = now - self._last_write >= (self.batch_s if (self._pending or self._unmapped) else self.heartbeat_s)
        if not (force or due or len(self._pending) >= BATCH_MAX):
            return
        counters: dict[str, Any] = {"read": self._read, "last_record_at": self._newest}
        if self._unmapped:
            counters["unmapped"] = {reason: list(ex) for reason, ex in self._unmapped.items()}
        sink.write(list(self._pending), resume=self.mapper.resume(), **counters)
        self._pending, self._unmapped, self._read, self._newest = [], {}, 0, None
        self._last_write = now


async def _sleep(seconds: float, stop: threading.Event) -> bool:
    """Wait, looking at `stop`; whether it was set."""
    end = time.monotonic() + seconds
    while not stop.is_set():
        left = end - time.monotonic()
        if left <= 0:
            return False
        await asyncio.sleep(min(POLL_S, left))
    return True
