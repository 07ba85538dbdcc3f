"""What Asterisk does not say and a site must: each queue's service-level
settings and zone, each member's team, how a caller becomes a customer.

Read from the hub's config (a `[sources.NAME]` table, config/hub.toml) and
shared by the queue_log and AMI sources, so both write the same records.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from floorview.sources.asterisk.records import feed_id, queue_id, text

CHANNELS = ("voice", "chat", "email", "social", "task")
# Caller-id names that name no one.
_NOT_DIGITS = {c: None for c in range(128) if not chr(c).isdigit()}  # str.translate: ASCII but 0-9 dropped
NO_NAMES = frozenset({"", "unknown", "<unknown>", "anonymous", "restricted", "private", "unavailable"})


@dataclass(frozen=True)
class QueueSettings:
    """A queue's settings as its feed record carries them (feed-protocol.md, `queue`)."""

    sl_threshold_s: int = 20
    sl_target: float = 0.8
    short_abandon_s: int = 5
    timezone: str = "UTC"
    channel: str = "voice"
    name: str | None = None  # shown instead of the Asterisk name
    # Asterisk's `wrapuptime`: a member's after-contact work after each call,
    # shown as after_contact_work and carried as the call's wrap_s (0: none, available at once).
    wrapup_s: int = 0


@dataclass(frozen=True)
class AsteriskSettings:
    """A site's answers to what Asterisk leaves out."""

    default_queue: QueueSettings = QueueSettings()
    queues: Mapping[str, QueueSettings] = field(default_factory=dict)  # by Asterisk queue name
    members: Mapping[str, str] = field(default_factory=dict)  # interface ("PJSIP/1001") -> member name
    teams: Mapping[str, str] = field(default_factory=dict)  # member name -> team
    default_team: str = "Floor"
    # A caller's number as the interaction's customer: "hashed" (keyed by
    # `customer_key`, so the number itself never reaches the hub), "plain", or "none".
    caller_ids: Literal["hashed", "plain", "none"] = "hashed"
    customer_key: str = field(default="", repr=False)  # the key for "hashed" (a secret); empty: unkeyed

    def queue(self, name: str) -> QueueSettings:
        return self.queues.get(name, self.default_queue)

    def queue_data(self, name: str) -> dict[str, Any]:
        """A queue's feed record `data`."""
        q = self.queue(name)
        return {
            "name": text(q.name or name) or queue_id(name) or "?",
            "channel": q.channel,
            "sl_threshold_s": q.sl_threshold_s,
            "sl_target": q.sl_target,
            "short_abandon_s": q.short_abandon_s,
            "timezone": q.timezone,
        }

    def member(self, agent: str) -> str:
        """The member name of a queue_log agent field or an AMI interface."""
        return self.members.get(agent, agent)

    def team(self, member: str) -> str:
        return text(self.teams.get(member, self.default_team))

    def customer_id(self, caller: str) -> str | None:
        """The customer a caller's number names (None: no number, or not kept).
        Numbers are compared by their digits: "+1 555-0100" and "15550100" are one caller."""
        if caller.isascii():  # the common case, at a tenth of the cost
            digits = caller.translate(_NOT_DIGITS)
        else:
            digits = "".join(ch for ch in caller if ch.isdigit())
        if self.caller_ids == "none" or len(digits) < 3:
            return None
        if self.caller_ids == "plain":
            return f"tel:{digits}"
        key = self.customer_key.encode()
        return "tel#" + hmac.new(key, digits.encode(), hashlib.sha256).hexdigest()[:24]

    def customer(self, caller: str, cidname: str | None) -> tuple[str, str, bool] | None:
        """The customer a call's caller is, as both Asterisk sources write it: (id, name,
        whether the name is the caller's own), or None. The name is the caller-id name
        unless it names no one, is a number, or (numbers hashed) may hold the number the
        hash hides; then the number itself ("plain") or "Caller" and the hash's start."""
        raw = self.customer_id(caller)
        if raw is None:
            return None
        cid = feed_id(raw)
        name = text(cidname) if cidname is not None else ""
        if (
            name.lower() in NO_NAMES
            or not any(ch.isalpha() for ch in name)
            or (self.caller_ids == "hashed" and sum(ch.isdigit() for ch in name) >= 3)
        ):
            name = ""
        if name:
            return cid, name, True
        shown = text(caller) if self.caller_ids == "plain" else ""
        return cid, shown or f"Caller {cid.removeprefix('tel#')[:6]}", False
