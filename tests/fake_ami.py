"""A fake Asterisk Manager Interface on 127.0.0.1:0, for the AMI source's tests.

A real TCP server, run in a thread with its own event loop. Each connection
gets the banner, answers Challenge (MD5), Login (MD5 key or plain secret),
QueueStatus (from its script's snapshot), Ping and Logoff, and once the
QueueStatus list is sent, replays its script's events (each session that
asks for QueueStatus takes the next script). Faults are scripted:
refuse the first N logins, offer no MD5 challenge, drop the connection at a
point of the trace, send raw garbage.

A trace (tests/ami_traces/*.ami) is written from the documented wire format
(docs of app_queue.c's events, platform-formats.md section 2):

    # a comment
    #! connection          the next session's script starts
    #! at 1764000000       the fake's clock (`now`) at this connection
    #! snapshot            QueueStatus answers with the messages that follow
    Event: QueueParams
    Queue: sales

    #! events              replayed once the snapshot is sent
    #! garbage text\\r\\n    raw bytes (Python escapes), sent as they are
    #! sleep 0.1
    #! drop                the connection is closed here

Messages are `Key: Value` lines, a blank line between two; they are sent with
CRLF line ends. A session beyond the scripts gets the last one's snapshot and
no events.
"""

from __future__ import annotations

import asyncio
import codecs
import hashlib
import ssl
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Item = Any  # dict[str, str] (a message) | ("garbage", bytes) | ("sleep", float) | ("drop",)


@dataclass
class Script:
    snapshot: list[dict[str, str]] = field(default_factory=list)
    events: list[Item] = field(default_factory=list)
    at: float | None = None


def load_trace(path: Path | str) -> list[Script]:
    scripts: list[Script] = []
    section = "events"
    message: dict[str, str] = {}

    def end_message() -> None:
        nonlocal message
        if message:
            if not scripts:
                scripts.append(Script())
            target = scripts[-1].snapshot if section == "snapshot" else scripts[-1].events
            target.append(message)
            message = {}

    for raw in Path(path).read_text(encoding="utf-8").splitlines():
        line = raw.rstrip("\n")
        if line.startswith("#!"):
            end_message()
            word, _, rest = line[2:].strip().partition(" ")
            if word == "connection":
                scripts.append(Script())
                section = "events"
            elif word == "at":
                scripts[-1].at = float(rest)
            elif word in ("snapshot", "events"):
                section = word
            elif word == "garbage":
                scripts[-1].events.append(("garbage", codecs.decode(rest, "unicode_escape").encode("latin-1")))
            elif word == "sleep":
                scripts[-1].events.append(("sleep", float(rest)))
            elif word == "drop":
                scripts[-1].events.append(("drop",))
            else:
                raise ValueError(f"unknown directive {line!r}")
        elif line.startswith("#"):
            continue
        elif not line.strip():
            end_message()
        else:
            key, _, value = line.partition(":")
            message[key.strip()] = value[1:] if value.startswith(" ") else value
    end_message()
    return scripts


def wire(fields: dict[str, str]) -> bytes:
    return ("".join(f"{k}: {v}\r\n" for k, v in fields.items()) + "\r\n").encode("utf-8")


class FakeAmi:
    """The server; `with FakeAmi(scripts) as ami: ... ami.port ...`."""

    def __init__(
        self,
        scripts: list[Script],
        user: str = "floorview",
        secret: str = "s3cret-Pa55",
        version: str = "2.10.4",  # the banner's manager version (13's is 2.x, 11's 1.3)
        eventlist: bool = True,  # `EventList: start/Complete` (Asterisk 12 and later)
        md5: bool = True,
        refuse_logins: int = 0,  # the first N logins are refused whatever the secret
        answer_ping: bool = True,  # False: a link gone dead (no answer, no FIN)
        tls: ssl.SSLContext | None = None,  # a server context: AMI over TLS
    ) -> None:
        self.scripts, self.user, self.secret, self.version = scripts, user, secret, version
        self.eventlist, self.md5, self.refuse_logins = eventlist, md5, refuse_logins
        self.answer_ping, self.tls = answer_ping, tls
        self.port = 0
        self.connections = 0
        self.logins = 0  # accepted
        self.refused = 0
        self.received: list[dict[str, str]] = []  # every action, as read
        self.replayed = 0  # scripts whose events were all sent
        self.sessions = 0  # QueueStatus actions answered (each takes the next script)
        self._base: tuple[float, float] | None = None  # (fake time, monotonic) the clock runs from
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.AbstractServer | None = None
        self._ready = threading.Event()
        self._writers: set[asyncio.StreamWriter] = set()
        if scripts and scripts[0].at is not None:
            self._base = (scripts[0].at, time.monotonic())

    # -- the clock the tests give the source: the script's time, running on ----------
    def now(self) -> float:
        if self._base is None:
            return time.time()
        at, mono = self._base
        return at + (time.monotonic() - mono)

    # -- running -----------------------------------------------------------------------
    def __enter__(self) -> FakeAmi:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        assert self._ready.wait(5), "the fake AMI did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        loop = self._loop
        if loop is not None:
            loop.call_soon_threadsafe(self._shutdown)
        if self._thread is not None:
            self._thread.join(5)

    def _run(self) -> None:
        loop = self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._server = loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.tls))
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def _shutdown(self) -> None:
        assert self._loop is not None and self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        for task in asyncio.all_tasks(self._loop):
            task.cancel()
        self._loop.call_later(0.05, self._loop.stop)

    # -- one connection ---------------------------------------------------------------
    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        index = self.connections
        self.connections += 1
        self._writers.add(writer)
        challenge = f"{184467 + index * 7919:09d}"
        logged_in = False
        try:
            writer.write(f"Asterisk Call Manager/{self.version}\r\n".encode())
            await writer.drain()
            while True:
                action = await self._read_message(reader)
                if action is None:
                    return
                self.received.append(action)
                name, aid = action.get("Action", "").lower(), action.get("ActionID", "")
                head = {"ActionID": aid} if aid else {}
                if name == "challenge":
                    if self.md5 and action.get("AuthType", "").lower() == "md5":
                        writer.write(wire({"Response": "Success", **head, "Challenge": challenge}))
                    else:
                        writer.write(wire({"Response": "Error", **head, "Message": "Must specify AuthType"}))
                elif name == "login":
                    if self._accept(action, challenge):
                        logged_in = True
                        self.logins += 1
                        writer.write(wire({"Response": "Success", **head, "Message": "Authentication accepted"}))
                        writer.write(
                            wire({"Event": "FullyBooted", "Privilege": "system,all", "Status": "Fully Booted"})
                        )
                    else:
                        self.refused += 1
                        writer.write(wire({"Response": "Error", **head, "Message": "Authentication failed"}))
                        await writer.drain()
                        return  # Asterisk ends the session after a failed login
                elif not logged_in:
                    writer.write(wire({"Response": "Error", **head, "Message": "Permission denied"}))
                elif name == "queuestatus":
                    # each logged-in session takes the next script (a refused login takes none)
                    n, self.sessions = self.sessions, self.sessions + 1
                    script = self.scripts[n] if n < len(self.scripts) else Script(self.scripts[-1].snapshot, [])
                    if script.at is not None:
                        self._base = (script.at, time.monotonic())
                    await self._queue_status(writer, head, script)
                    if not await self._replay(writer, script):
                        return
                    self.replayed += 1
                elif name == "ping":
                    if self.answer_ping:
                        writer.write(wire({"Response": "Success", **head, "Ping": "Pong"}))
                elif name == "logoff":
                    writer.write(wire({"Response": "Goodbye", **head, "Message": "Thanks for all the fish."}))
                    await writer.drain()
                    return
                else:
                    writer.write(wire({"Response": "Error", **head, "Message": "Invalid/unknown command"}))
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            return
        finally:
            self._writers.discard(writer)
            writer.close()

    def _accept(self, action: dict[str, str], challenge: str) -> bool:
        if self.refused < self.refuse_logins:
            return False
        if action.get("Username") != self.user:
            return False
        if action.get("AuthType", "").lower() == "md5":
            return action.get("Key") == hashlib.md5((challenge + self.secret).encode()).hexdigest()
        return action.get("Secret") == self.secret

    async def _queue_status(self, writer: asyncio.StreamWriter, head: dict[str, str], script: Script) -> None:
        more = {"EventList": "start"} if self.eventlist else {}
        writer.write(wire({"Response": "Success", **head, **more, "Message": "Queue status will follow"}))
        for item in script.snapshot:
            event = {"Event": item["Event"], **head, **{k: v for k, v in item.items() if k != "Event"}}
            writer.write(wire(event))
        end = {"Event": "QueueStatusComplete", **head}
        if self.eventlist:
            end.update({"EventList": "Complete", "ListItems": str(len(script.snapshot))})
        writer.write(wire(end))
        await writer.drain()

    async def _replay(self, writer: asyncio.StreamWriter, script: Script) -> bool:
        """The script's events; False if it dropped the connection."""
        for item in script.events:
            if isinstance(item, dict):
                writer.write(wire(item))
            elif item[0] == "garbage":
                writer.write(item[1])
            elif item[0] == "sleep":
                await writer.drain()
                await asyncio.sleep(item[1])
            elif item[0] == "drop":
                await writer.drain()
                self.replayed += 1
                return False
        await writer.drain()
        return True

    @staticmethod
    async def _read_message(reader: asyncio.StreamReader) -> dict[str, str] | None:
        fields: dict[str, str] = {}
        while True:
            line = await reader.readline()
            if not line:
                return None
            text = line.decode("utf-8", errors="replace").rstrip("\r\n")
            if not text:
                if fields:
                    return fields
                continue
            key, _, value = text.partition(":")
            fields[key.strip()] = value.strip()
