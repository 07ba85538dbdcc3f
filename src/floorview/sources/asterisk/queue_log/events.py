"""One queue_log line as an event (platform-formats.md 1.1).

Asterisk's logger writes `epoch|callid|queue|agent|EVENT|data1|data2|...`;
the data's field count varies by event and version, so it is kept as
written (a tuple) and read by the mapper. Text is kept raw here: the mapper
cleans every string it passes on (records.text), and so do the examples of
lines it could not map.
"""

from __future__ import annotations

import math
import re
from typing import NamedTuple

# The newest time taken (2100-01-01): later ones are a corrupt line, and a feed
# timestamp (and a wrap-up end after it) must stay within what datetime holds.
MAX_TIME = 4_102_444_800.0
_TIME = re.compile(r"\d{1,10}(?:\.\d{1,9})?")


class BadLine(ValueError):
    """A line that is not a queue_log line; str(exc) is the reason in words."""


class QueueLogEvent(NamedTuple):  # a tuple: a backfill makes two a line, and a tuple is made fastest
    time: float  # epoch seconds
    callid: str  # caller channel uniqueid, or "NONE"
    queue: str  # queue name, or "NONE"
    agent: str  # member name / interface, or "NONE"
    event: str  # e.g. "ENTERQUEUE"
    data: tuple[str, ...]

    def line(self) -> str:
        """The event as queue_log writes it (for examples of what was not mapped)."""
        t = self.time
        stamp = str(int(t)) if math.isfinite(t) and t == int(t) else repr(t)
        return "|".join((stamp, self.callid, self.queue, self.agent, self.event, *self.data))


def parse_line(line: str) -> QueueLogEvent:
    """One line, without its newline (a trailing CR or LF is dropped too); raises BadLine."""
    line = line.rstrip("\r\n")
    if not line.strip():
        raise BadLine("blank line")
    fields = line.split("|")
    if len(fields) < 5:
        raise BadLine("fewer than 5 fields")  # one reason, so lines are counted together
    stamp = fields[0].strip()
    if not _TIME.fullmatch(stamp):
        raise BadLine("time is not epoch seconds")
    time = float(stamp)
    if time > MAX_TIME:
        raise BadLine("time after 2100")
    event = fields[4].strip()
    if not event:
        raise BadLine("no event name")
    return QueueLogEvent(time, fields[1], fields[2], fields[3], event, tuple(fields[5:]))
