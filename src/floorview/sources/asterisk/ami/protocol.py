"""The Asterisk Manager Interface's framing, without sockets.

On connecting, Asterisk sends one banner line, `Asterisk Call Manager/x.y`,
and then messages: `Key: Value` lines ending in CRLF, a blank line ending the
message. A message is a response (`Response: Success|Error|Follows`, carrying
the `ActionID` of the action it answers), or an event (`Event: Name`). An
action that answers with a list (QueueStatus) sends its response
(`EventList: start` from Asterisk 12) and then events carrying its ActionID,
ended by an event named `...Complete` (with `EventList: Complete` from 12).

The parser is lenient where Asterisk is, and never trusts the wire: a bare LF
is taken as a line end, a line that is not `Key: Value` is counted and kept
as an example (never fatal), and an over-long line or message is cut off and
counted, so a peer sending garbage costs memory only up to the limits.
Keys are matched without regard to case (Asterisk 11 says `Holdtime`, 13
`HoldTime`); the first value of a repeated key is kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

BANNER = re.compile(r"^Asterisk Call Manager/(\S+)")
MAX_LINE = 8192  # bytes of one line: AMI lines are short (a long caller name is ~80)
MAX_FIELDS = 400  # lines of one message (a QueueMember has ~20, a VarSet-heavy event a few dozen)
_UNSAFE = re.compile(r"[\r\n]")


class Message(Mapping[str, str]):
    """One AMI message: its fields by key, looked up without regard to case."""

    __slots__ = ("_fields",)

    def __init__(self, fields: Mapping[str, str] | None = None) -> None:
        self._fields: dict[str, tuple[str, str]] = {}
        for key, value in (fields or {}).items():
            self.add(key, value)

    def add(self, key: str, value: str) -> None:
        self._fields.setdefault(key.lower(), (key, value))

    def __getitem__(self, key: str) -> str:
        return self._fields[key.lower()][1]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._fields

    def __iter__(self) -> Iterator[str]:
        return (k for k, _ in self._fields.values())

    def __len__(self) -> int:
        return len(self._fields)

    def __repr__(self) -> str:
        return f"Message({dict(self.items())!r})"

    def first(self, *keys: str, default: str = "") -> str:
        """The value of the first of `keys` present (Asterisk renamed fields between versions)."""
        for key in keys:
            entry = self._fields.get(key.lower())
            if entry is not None:
                return entry[1]
        return default

    @property
    def event(self) -> str | None:
        return self.get("Event")

    @property
    def response(self) -> str | None:
        return self.get("Response")

    @property
    def action_id(self) -> str | None:
        return self.get("ActionID")

    def ends_list(self) -> bool:
        """Whether this event ends an event list (`QueueStatusComplete`, `EventList: Complete`)."""
        name = self.event or ""
        return self.get("EventList", "").lower() == "complete" or name.endswith("Complete")


@dataclass
class Parsed:
    """What one `Parser.feed` found."""

    banner: str | None = None  # the manager version the banner named
    messages: list[Message] = field(default_factory=list)
    garbage: list[str] = field(default_factory=list)  # lines that were not `Key: Value`, cut short


class Parser:
    """Bytes in, messages out; keeps what an unfinished line or message holds."""

    def __init__(self, expect_banner: bool = True) -> None:
        self._buffer = b""
        self._current = Message()
        self._lines = 0
        self._expect_banner = expect_banner
        self._skipping = False  # inside an over-long line: dropped up to its end

    def feed(self, data: bytes) -> Parsed:
        out = Parsed()
        self._buffer += data
        while True:
            end = self._buffer.find(b"\n")
            if end < 0:
                if len(self._buffer) > MAX_LINE:  # no line end in sight: drop it, keep reading
                    if not self._skipping:
                        out.garbage.append(_example(self._buffer[:80]) + "... (line too long)")
                    self._buffer, self._skipping = b"", True
                break
            raw, self._buffer = self._buffer[:end], self._buffer[end + 1 :]
            if self._skipping:
                self._skipping = False
                continue
            self._line(raw.rstrip(b"\r"), out)
        return out

    def _line(self, raw: bytes, out: Parsed) -> None:
        line = raw.decode("utf-8", errors="replace")
        if self._expect_banner:
            self._expect_banner = False
            match = BANNER.match(line)
            if match:
                out.banner = match.group(1)
                return
            out.garbage.append(_example(raw) + " (no banner)")
            return
        if not line.strip():
            if len(self._current):
                out.messages.append(self._current)
            self._current, self._lines = Message(), 0
            return
        key, sep, value = line.partition(":")
        key = key.strip()
        if not sep or not key or " " in key:
            out.garbage.append(_example(raw))
            return
        self._lines += 1
        if self._lines > MAX_FIELDS:
            if self._lines == MAX_FIELDS + 1:
                out.garbage.append(f"message of more than {MAX_FIELDS} lines, cut")
            return
        self._current.add(key, value[1:] if value.startswith(" ") else value)


def _example(raw: bytes) -> str:
    """A garbled line as an example: short, printable."""
    text = raw[:80].decode("utf-8", errors="replace")
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def encode(fields: Mapping[str, str]) -> bytes:
    """An action as the wire carries it. A value holding CR or LF would let it
    write further lines (another action), so it is refused, naming the key only:
    the value may be a secret."""
    lines = []
    for key, value in fields.items():
        if _UNSAFE.search(key) or _UNSAFE.search(value):
            raise ValueError(f"an AMI field may not hold a line break ({key!r})")
        lines.append(f"{key}: {value}\r\n")
    return ("".join(lines) + "\r\n").encode("utf-8")
