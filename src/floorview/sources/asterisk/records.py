"""What every Asterisk source (queue_log, AMI) agrees on, so that two sources
reading one Asterisk describe one call as one record and never count it twice.

- Ids (made ones the feed takes by `feed_id`: printable ASCII, anything else
  percent-encoded). A queue's id is its Asterisk name; an agent's is its member name (the
  `MemberName` / queue_log agent field, mapped from an interface by the
  source's `members` setting where Asterisk logs the interface). A call in a
  queue is the interaction `<uniqueid>@<queue>`: the caller channel's
  uniqueid (queue_log's callid, AMI's Uniqueid) and the queue it waited in,
  so a call re-queued into another queue is a second interaction, as a
  supervisor counts it (offered twice, once per queue). A call re-entering
  the *same* queue is numbered from its second entry: `<uniqueid>@<queue>#2`.
- Versions. A record's version is its platform time in milliseconds times 8,
  so the newest event wins whichever source reports it, and an event both
  report gives the same version (the second write is ignored by the hub).
  Within one millisecond a source counts up (`Versions.next`): eight steps
  before it would pass the next millisecond's first.
- Times are ISO 8601 UTC with a Z, as the feed protocol and the simulator write them.
- Text from Asterisk (queue, member, caller and reason names) goes through
  `domain.text.clean` (the one untrusted-text filter) and is cut to what the
  feed allows.
"""

from __future__ import annotations

from datetime import datetime, timezone

from floorview.domain.text import clean

VERSION_STEPS = 8  # versions per millisecond
ID_MAX = 128  # the hub's id column
NAME_MAX = 200  # feed-protocol.md: a queue's name, 1..200


def iso(ts: float) -> str:
    """An epoch time as the feed's timestamp (UTC, Z, milliseconds kept)."""
    text = datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def text(value: str, limit: int = NAME_MAX) -> str:
    """Platform text as the feed may carry it: controls removed, trimmed, cut."""
    return clean(value).strip()[:limit]


def feed_id(value: str) -> str:
    """An id the feed takes (printable ASCII, no space: hub/checks.py, domain/feed.py):
    anything else, and `%`, percent-encoded as UTF-8, so the member "Paty Marin" is
    "Paty%20Marin" and stays distinct from every other name."""
    if value.isascii() and " " not in value and "%" not in value and value.isprintable():
        return value[:ID_MAX]
    out = []
    for ch in value:
        if "\x21" <= ch <= "\x7e" and ch != "%":
            out.append(ch)
        else:
            out.extend(f"%{b:02X}" for b in ch.encode("utf-8", "surrogatepass"))
    return "".join(out)[:ID_MAX]


def queue_id(name: str) -> str:
    return feed_id(text(name, ID_MAX))


def agent_id(member: str) -> str:
    return feed_id(text(member, ID_MAX))


def interaction_id(uniqueid: str, queue: str, entry: int = 1) -> str:
    """The call `uniqueid` in `queue`; `entry` counts its entries into that queue (1 first)."""
    base = f"{text(uniqueid, 64)}@{text(queue, ID_MAX)}"
    return feed_id(base if entry <= 1 else f"{base}#{entry}")


def version_at(ts: float) -> int:
    """The first version of a record's state at platform time `ts` (epoch seconds)."""
    return int(round(ts * 1000)) * VERSION_STEPS


class Versions:
    """Each record's last version, handed out rising: at least `version_at(ts)`,
    and above the record's last one (several changes in one millisecond, or a
    platform clock that stepped back). Its state is kept in a source's resume
    point (`state`, `restore`), so versions keep rising across restarts."""

    def __init__(self, last: dict[str, int] | None = None) -> None:
        self.last: dict[str, int] = dict(last or {})

    def next(self, key: str, ts: float) -> int:
        version = max(version_at(ts), self.last.get(key, 0) + 1)
        self.last[key] = version
        return version

    def forget(self, key: str) -> None:
        """A record that will change no more (a call ended): its entry is not kept."""
        self.last.pop(key, None)

    def state(self) -> dict[str, int]:
        return dict(self.last)

    @classmethod
    def restore(cls, state: object) -> Versions:
        if not isinstance(state, dict):
            return cls()
        return cls({str(k): int(v) for k, v in state.items() if isinstance(v, int) and not isinstance(v, bool)})


def record_key(kind: str, rid: str) -> str:
    """The key `Versions` keeps a record under."""
    return f"{kind}\x1f{rid}"
