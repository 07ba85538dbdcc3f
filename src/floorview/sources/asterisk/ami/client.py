"""A small asyncio client of the Asterisk Manager Interface, over asyncio streams.

Our own rather than panoramisk (which the platform report recommends): the
source needs five things of AMI (connect, log in, one list action, events,
log off), a client of ~200 lines keeps the hub's dependencies few, and it is
tested end to end against tests/fake_ami.py on loopback.

Log-in prefers the MD5 challenge (`Action: Challenge` then `Login` with
`AuthType: MD5` and `Key: md5(challenge + secret)`), so the secret never
crosses the wire; a plain `Secret:` login is made only when the caller allows
it. The secret is never put into a log line or an exception message.

One reader task reads the socket: a response goes to the action waiting for
its ActionID, an event carrying a list action's ActionID to that list, and
every other event to `events`. Lines that are not AMI are counted in
`garbage` with a few examples, never fatal.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import logging
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from floorview.sources.asterisk.ami.protocol import Message, Parser, encode

log = logging.getLogger(__name__)

READ_CHUNK = 65536
GARBAGE_EXAMPLES = 5


class AmiError(Exception):
    """The manager could not be used (the message says why, never a secret)."""


class AmiLoginRefused(AmiError):
    """Asterisk refused the log-in: wrong user or secret, or not allowed from this host."""


class AmiProtocolError(AmiError):
    """The peer does not speak AMI, or broke off."""


@dataclass
class Garbage:
    """Lines read that were not AMI: counted, a few kept as examples."""

    count: int = 0
    examples: list[str] = field(default_factory=list)

    def add(self, lines: list[str]) -> None:
        self.count += len(lines)
        room = GARBAGE_EXAMPLES - len(self.examples)
        self.examples.extend(lines[: max(0, room)])

    def take(self) -> list[str]:
        """One example per garbled line since the last take (at most a few kept; the rest as '...')."""
        out = self.examples + ["..."] * (self.count - len(self.examples))
        self.count, self.examples = 0, []
        return out


class AmiClient:
    """One manager session."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, version: str) -> None:
        self.reader, self.writer, self.version = reader, writer, version
        self.events: asyncio.Queue[Message | None] = asyncio.Queue()  # None: the connection ended
        self.garbage = Garbage()
        self.read_count = 0  # messages read (responses and events)
        self._ids = itertools.count(1)
        self._waiting: dict[str, asyncio.Future[Message]] = {}
        self._lists: dict[str, list[Message]] = {}
        self._list_done: dict[str, asyncio.Future[list[Message]]] = {}
        self._parser = Parser(expect_banner=False)
        self._task: asyncio.Task[None] | None = None
        self.closed_because: str | None = None
        self.last_read = time.monotonic()  # when the peer last sent anything (a silent peer is pinged)

    @classmethod
    async def connect(cls, host: str, port: int, timeout: float = 10.0, tls: ssl.SSLContext | None = None) -> AmiClient:
        """Open a session: TCP (TLS with `tls`: manager.conf `tlsenable`, port 5039 by default),
        then the banner (an error if the peer is not an AMI)."""
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port, ssl=tls), timeout)
        except (OSError, asyncio.TimeoutError) as exc:
            raise AmiProtocolError(f"cannot connect to the Asterisk manager at {host}:{port}: {_why(exc)}") from None
        try:
            line = await asyncio.wait_for(reader.readline(), timeout)
        except (OSError, asyncio.TimeoutError, ValueError) as exc:
            writer.close()
            raise AmiProtocolError(f"no banner from {host}:{port}: {_why(exc)}") from None
        parsed = Parser().feed(line if line.endswith(b"\n") else line + b"\n")
        if parsed.banner is None:
            writer.close()
            raise AmiProtocolError(f"{host}:{port} is not an Asterisk manager (its first line: {parsed.garbage[:1]})")
        client = cls(reader, writer, parsed.banner)
        client._task = asyncio.get_running_loop().create_task(client._read())
        return client

    async def _read(self) -> None:
        why = "closed by Asterisk"
        try:
            while True:
                data = await self.reader.read(READ_CHUNK)
                if not data:
                    break
                self.last_read = time.monotonic()
                parsed = self._parser.feed(data)
                if parsed.garbage:
                    self.garbage.add(parsed.garbage)
                for message in parsed.messages:
                    self.read_count += 1
                    self._dispatch(message)
        except (OSError, asyncio.IncompleteReadError) as exc:
            why = _why(exc)
        finally:
            self.closed_because = why
            gone = AmiProtocolError(f"the Asterisk manager connection ended ({why})")
            futures: list[asyncio.Future[Any]] = [*self._waiting.values(), *self._list_done.values()]
            for future in futures:
                if not future.done():
                    future.set_exception(gone)
            self.events.put_nowait(None)

    def _dispatch(self, message: Message) -> None:
        action_id = message.action_id
        if message.response is not None and action_id in self._waiting:
            future = self._waiting.pop(action_id)
            if not future.done():
                future.set_result(message)
            return
        if message.event is not None and action_id is not None and action_id in self._lists:
            if message.ends_list():
                items = self._lists.pop(action_id)
                done = self._list_done.pop(action_id)
                if not done.done():
                    done.set_result(items)
            else:
                self._lists[action_id].append(message)
            return
        if message.event is not None:
            self.events.put_nowait(message)
        # a response nobody waits for (an action that timed out) is dropped

    async def action(self, name: str, fields: Mapping[str, str] | None = None, timeout: float = 10.0) -> Message:
        """Send an action; its response."""
        action_id = f"fv-{next(self._ids)}"
        future: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        self._waiting[action_id] = future
        try:
            self.writer.write(encode({"Action": name, "ActionID": action_id, **(fields or {})}))
            await self.writer.drain()
            return await asyncio.wait_for(future, timeout)
        except (OSError, asyncio.TimeoutError) as exc:
            raise AmiProtocolError(f"the Asterisk manager did not answer {name}: {_why(exc)}") from None
        finally:
            self._waiting.pop(action_id, None)

    async def action_list(
        self, name: str, fields: Mapping[str, str] | None = None, timeout: float = 30.0
    ) -> tuple[Message, list[Message]]:
        """Send an action that answers with an event list; its response and the list's events."""
        action_id = f"fv-{next(self._ids)}"
        loop = asyncio.get_running_loop()
        waiting: asyncio.Future[Message] = loop.create_future()
        done: asyncio.Future[list[Message]] = loop.create_future()
        self._waiting[action_id], self._lists[action_id], self._list_done[action_id] = waiting, [], done
        try:
            self.writer.write(encode({"Action": name, "ActionID": action_id, **(fields or {})}))
            await self.writer.drain()
            response = await asyncio.wait_for(waiting, timeout)
            if response.response != "Success":
                raise AmiError(f"the Asterisk manager refused {name}: {_said(response)}")
            return response, await asyncio.wait_for(done, timeout)
        except (OSError, asyncio.TimeoutError) as exc:
            raise AmiProtocolError(f"the Asterisk manager did not answer {name}: {_why(exc)}") from None
        finally:
            self._waiting.pop(action_id, None)
            self._lists.pop(action_id, None)
            self._list_done.pop(action_id, None)
            if done.done() and not done.cancelled():
                done.exception()  # retrieved: the error was raised by the response's wait already
            else:
                done.cancel()

    def event_mask(self) -> str:
        """The event classes the source reads: app_queue's events are `agent` from Asterisk 12
        (manager 2.x); before, Join and Leave were `call`. Asking for these only keeps the
        dialplan's flood (Newexten, VarSet) off the wire."""
        major = self.version.split(".")[0]
        return "agent,call" if major.isdigit() and int(major) < 2 else "agent"

    async def login(self, user: str, secret: str, allow_plain: bool = False) -> str:
        """Log in as `user`; how ("md5" or "plain"). AmiLoginRefused when Asterisk says no."""
        challenge = await self.action("Challenge", {"AuthType": "MD5"})
        if challenge.response == "Success" and challenge.get("Challenge"):
            key = hashlib.md5((challenge["Challenge"] + secret).encode("utf-8")).hexdigest()
            fields = {"Username": user, "AuthType": "MD5", "Key": key, "Events": self.event_mask()}
            how = "md5"
        elif allow_plain:
            fields = {"Username": user, "Secret": secret, "Events": self.event_mask()}
            how = "plain"
        else:
            raise AmiLoginRefused(
                f"the Asterisk manager offers no MD5 challenge ({_said(challenge)}), and a plain login"
                " (the secret sent as it is) is not allowed by the source's settings"
            )
        try:
            answer = await self.action("Login", fields)
        except ValueError:  # a line break in the user or secret: never sent, never echoed
            raise AmiLoginRefused(f"the AMI user or secret of {user!r} holds a line break") from None
        if answer.response != "Success":
            raise AmiLoginRefused(f"the Asterisk manager refused the login of user {user!r}: {_said(answer)}")
        return how

    async def logoff(self) -> None:
        try:
            await self.action("Logoff", timeout=1.0)
        except AmiError:
            pass

    async def close(self) -> None:
        self.writer.close()
        try:
            await asyncio.wait_for(self.writer.wait_closed(), 1.0)
        except (OSError, asyncio.TimeoutError):
            pass
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass


def _said(message: Message) -> str:
    """What Asterisk said in a response, short and printable."""
    text = message.get("Message") or message.response or "no answer"
    return "".join(ch if ch.isprintable() else "?" for ch in text[:120])


def _why(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
