"""The feed's payloads (feed-protocol.md, "Kinds and their data"): the one definition.

Text is cleaned of control characters on the way in (`Clean`). Timestamps
must carry an offset. Unknown fields inside `data` are ignored (rule 4).

Whatever passes these models can be written to the store (rule 5: one bad
record never stops the floor): text must be valid Unicode (JSON can carry a
lone surrogate, `"\\ud800"`, which UTF-8 cannot), integers fit SQLite's
64-bit INTEGER, numbers are finite (Python's JSON reader takes NaN and
Infinity), and durations stay under 10^9 s (31 years), so no sum of them
can overflow. Anything else fails validation and is quarantined with the
reason.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from floorview.domain.ids import note_id_problem
from floorview.domain.text import clean, encodable

MAX_INT = 2**63 - 1  # SQLite's INTEGER
MAX_SECONDS = 1e9  # about 31 years: no contact, target or forecast lasts longer


def _unicode(text: str) -> str:
    """Text UTF-8 can encode: a lone surrogate is refused, not stored (it would
    stop every write of the page it came in)."""
    if not encodable(text):
        raise ValueError("text is not valid Unicode (a lone surrogate)")
    return text


Text = Annotated[str, AfterValidator(_unicode)]
Clean = Annotated[str, AfterValidator(_unicode), AfterValidator(clean)]
Id = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")]
Name = Annotated[Clean, StringConstraints(min_length=1, max_length=200)]
Fraction = Annotated[float, Field(ge=0, le=1)]
Seconds = Annotated[float, Field(ge=0, le=MAX_SECONDS)]
Count = Annotated[int, Field(ge=0, le=MAX_INT)]
Amount = Annotated[float, Field(ge=0)]  # finite, as every number here

Channel = Literal["voice", "chat", "email", "social", "task"]
AgentState = Literal["available", "on_contact", "after_contact_work", "not_ready", "offline"]


class _Data(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, allow_inf_nan=False)


class ForecastInterval(_Data):
    start: AwareDatetime
    minutes: Literal[15, 30, 60]
    offered: Amount
    aht_s: Seconds


class Queue(_Data):
    name: Name
    channel: Channel
    sl_threshold_s: Count = 20
    sl_target: Fraction = 0.8
    short_abandon_s: Count = 5
    aht_target_s: Seconds | None = None
    abandon_target: Fraction | None = None
    timezone: Annotated[Text, StringConstraints(min_length=1, max_length=64)] = "UTC"
    cost_per_agent_hour: Amount | None = None
    forecast: list[ForecastInterval] | None = None

    @model_validator(mode="after")
    def _known_zone(self) -> Queue:
        from zoneinfo import ZoneInfo

        try:
            ZoneInfo(self.timezone)
        except (ValueError, KeyError, OSError) as exc:
            raise ValueError(f"unknown time zone {self.timezone!r}") from exc
        return self


class Agent(_Data):
    name: Name
    team: Name
    state: AgentState
    state_since: AwareDatetime
    reason: Annotated[Clean, StringConstraints(max_length=200)] | None = None
    queues: list[Id] = Field(default_factory=list, max_length=1000)
    interaction_id: Id | None = None


class Interaction(_Data):
    queue_id: Id
    channel: Channel
    customer_id: Id | None = None
    agent_id: Id | None = None
    enqueued_at: AwareDatetime
    answered_at: AwareDatetime | None = None
    abandoned_at: AwareDatetime | None = None
    ended_at: AwareDatetime | None = None
    wrap_s: Seconds | None = None
    transfers: Count = 0
    resolved: bool | None = None
    qa_score: Annotated[float, Field(ge=0, le=100)] | None = None


class Behavior(_Data):
    logins_30d: Count | None = None
    active_days_30d: Annotated[int, Field(ge=0, le=31)] | None = None
    products: Count | None = None
    upgrades_90d: Count | None = None
    support_contacts_30d: Count | None = None
    community_posts_30d: Count | None = None
    usage_trend: Annotated[float, Field(ge=-1, le=1)] | None = None


class Customer(_Data):
    name: Name
    segment: Annotated[Clean, StringConstraints(max_length=100)] | None = None
    since: date | None = None
    behavior: Behavior | None = None


Score5 = Annotated[int, Field(ge=1, le=5)]


class Survey(_Data):
    customer_id: Id
    interaction_id: Id | None = None
    answered_at: AwareDatetime
    nps: Annotated[int, Field(ge=0, le=10)] | None = None
    csat: Score5 | None = None
    ces: Annotated[int, Field(ge=1, le=7)] | None = None
    trust: Literal["yes", "no", "sometimes"] | None = None
    sincerity: Score5 | None = None
    competence: Score5 | None = None
    reliability: Score5 | None = None
    verbatim: Annotated[Clean, StringConstraints(max_length=4000)] | None = None


class Note(_Data):
    agent_id: Id | None = None
    customer_id: Id | None = None
    author: Annotated[Clean, StringConstraints(min_length=1, max_length=200)]
    # Who last edited it, when not the author: the hub stamps it (clients never send it).
    edited_by: Annotated[Clean, StringConstraints(min_length=1, max_length=200)] | None = None
    created_at: AwareDatetime
    updated_at: AwareDatetime
    type: Literal["coaching", "kudos", "recovery"]
    topic: Literal["quality", "cost", "time", "risk"] | None = None
    adkar: Literal["awareness", "desire", "knowledge", "ability", "reinforcement"] | None = None
    follow_up_on: date | None = None
    interaction_id: Id | None = None
    visibility: Literal["private", "team"]
    body: Annotated[Clean, StringConstraints(max_length=20000)]

    @model_validator(mode="after")
    def _about_someone(self) -> Note:
        if self.agent_id is None and self.customer_id is None:
            raise ValueError("a note needs an agent_id or a customer_id")
        return self


def feed_time(ts: float) -> str:
    """A moment as the feed writes one: RFC 3339, in UTC."""
    return datetime.fromtimestamp(ts, timezone.utc).isoformat()


KINDS: dict[str, type[_Data]] = {
    "queue": Queue,
    "agent": Agent,
    "interaction": Interaction,
    "customer": Customer,
    "survey": Survey,
    "note": Note,
}


class Change(BaseModel):
    """One entry of a page's `changes`; `data` is validated per kind separately
    so that one bad record is quarantined, not the whole page (rule 5)."""

    model_config = ConfigDict(extra="ignore")

    kind: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    id: Id
    version: Annotated[int, Field(ge=1, le=MAX_INT)]
    op: Literal["upsert", "delete"]
    data: dict[str, Any] | None = None

    @field_validator("id")
    @classmethod
    def _note_id_fits_a_path(cls, rid: str, info: ValidationInfo) -> str:
        # A note's id is a URL path segment (PUT/DELETE /v1/notes/{id}): see domain/ids.py.
        if info.data.get("kind") == "note" and (problem := note_id_problem(rid)) is not None:
            raise ValueError(problem)
        return rid


_ID = re.compile(r"[\x21-\x7e]{1,128}")


def parse_change(raw: Any) -> Change:
    """`Change.model_validate`, with a fast path for the common well-formed case.

    A page holds a thousand changes; checking the envelope by hand and
    building the model without a second validation pass is several times
    cheaper. Anything unusual goes through the model, so errors and edge
    cases are exactly pydantic's (a test holds the two equal).
    """
    if type(raw) is dict:
        kind, rid, version, op = raw.get("kind"), raw.get("id"), raw.get("version"), raw.get("op")
        data = raw.get("data")
        if (
            type(kind) is str
            and 0 < len(kind) <= 64
            and kind.isascii()  # other text: as the model says
            and type(rid) is str
            and _ID.fullmatch(rid)
            and type(version) is int
            and 1 <= version <= MAX_INT
            and op in ("upsert", "delete")
            and (data is None or type(data) is dict)
            and (kind != "note" or note_id_problem(rid) is None)
        ):
            return Change.model_construct(kind=kind, id=rid, version=version, op=op, data=data)
    return Change.model_validate(raw)
