"""The store's tables as typed SQLAlchemy 2 models.

Timestamps are REAL seconds since the epoch (UTC): compact, fast to compare
and to aggregate in SQL. Dates are ISO strings. Feed records carry the
feed's `version`; a deleted record leaves a row in `tombstone` so that an
older upsert arriving later cannot bring it back (protocol rule 2). Feed
records do not reference each other by foreign key because the protocol
does not order kinds: an interaction may arrive before its queue.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, MetaData, String, Text, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from floorview.domain.metrics import COUNT_COLUMNS

if TYPE_CHECKING:
    from alembic.runtime.environment import NameFilterParentNames, NameFilterType


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "pk": "pk_%(table_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        }
    )


class Record:
    """Columns every synced record has."""

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    version: Mapped[int]


class Queue(Record, Base):
    __tablename__ = "queue"
    name: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(16))
    sl_threshold_s: Mapped[int] = mapped_column(server_default=text("20"))
    sl_target: Mapped[float] = mapped_column(server_default=text("0.8"))
    short_abandon_s: Mapped[int] = mapped_column(server_default=text("5"))
    aht_target_s: Mapped[float | None]
    abandon_target: Mapped[float | None]
    timezone: Mapped[str] = mapped_column(String(64), server_default="UTC")
    cost_per_agent_hour: Mapped[float | None]
    forecast: Mapped[str | None] = mapped_column(Text, doc="JSON list of forecast intervals")


class Agent(Record, Base):
    __tablename__ = "agent"
    name: Mapped[str] = mapped_column(String(200))
    team: Mapped[str] = mapped_column(String(200), index=True)
    state: Mapped[str] = mapped_column(String(32))
    state_since: Mapped[float]
    reason: Mapped[str | None] = mapped_column(String(200))
    interaction_id: Mapped[str | None] = mapped_column(String(128))


class AgentQueue(Base):
    """The queues an agent serves (the feed's `agent.queues` list)."""

    __tablename__ = "agent_queue"
    agent_id: Mapped[str] = mapped_column(ForeignKey("agent.id", ondelete="CASCADE"), primary_key=True)
    queue_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    __table_args__ = (Index(None, "queue_id", "agent_id"),)


class Interaction(Record, Base):
    __tablename__ = "interaction"
    queue_id: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(16))
    customer_id: Mapped[str | None] = mapped_column(String(128))
    agent_id: Mapped[str | None] = mapped_column(String(128))
    enqueued_at: Mapped[float]
    answered_at: Mapped[float | None]
    abandoned_at: Mapped[float | None]
    ended_at: Mapped[float | None]
    wrap_s: Mapped[float | None]
    transfers: Mapped[int] = mapped_column(server_default=text("0"))
    resolved: Mapped[bool | None]
    qa_score: Mapped[float | None]
    # Seconds since the customer's previous contact on the same queue (None: the first
    # the store knows). Kept by the store on every write, for the recovery list's
    # "came back" rule, which would otherwise look back once per contact of the day.
    repeat_gap_s: Mapped[float | None]
    __table_args__ = (
        # Contacts waiting now, per queue, oldest first: a small partial index.
        Index(
            "ix_interaction_waiting",
            "queue_id",
            "enqueued_at",
            sqlite_where=text("answered_at IS NULL AND abandoned_at IS NULL AND ended_at IS NULL"),
        ),
        # An agent's contacts today (handled, AHT, QA on the Agents screen).
        Index(None, "agent_id", "enqueued_at"),
        Index(None, "customer_id", "enqueued_at"),
        # Today's contacts across the floor (agents' figures today), by time.
        Index(None, "enqueued_at", "agent_id"),
        # Service recovery: a customer's previous contact on the same queue (one
        # covering seek), and abandons by time and by customer (small: abandons only).
        Index(None, "customer_id", "queue_id", "enqueued_at"),
        Index(
            "ix_interaction_abandoned_by_time",
            "enqueued_at",
            "customer_id",
            sqlite_where=text("abandoned_at IS NOT NULL"),
        ),
        Index(
            "ix_interaction_abandoned_by_customer",
            "customer_id",
            "enqueued_at",
            sqlite_where=text("abandoned_at IS NOT NULL"),
        ),
    )


class Customer(Record, Base):
    __tablename__ = "customer"
    name: Mapped[str] = mapped_column(String(200))
    segment: Mapped[str | None] = mapped_column(String(100))
    since: Mapped[str | None] = mapped_column(String(10))
    behavior: Mapped[str | None] = mapped_column(Text, doc="JSON behavior figures")


class Survey(Record, Base):
    __tablename__ = "survey"
    customer_id: Mapped[str] = mapped_column(String(128))
    interaction_id: Mapped[str | None] = mapped_column(String(128))
    answered_at: Mapped[float]
    nps: Mapped[int | None]
    csat: Mapped[int | None]
    ces: Mapped[int | None]
    trust: Mapped[str | None] = mapped_column(String(16))
    sincerity: Mapped[int | None]
    competence: Mapped[int | None]
    reliability: Mapped[int | None]
    verbatim: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (
        Index(None, "customer_id", "answered_at"),
        Index(None, "answered_at"),  # today's answers, for the recovery list
    )


class Note(Record, Base):
    __tablename__ = "note"
    agent_id: Mapped[str | None] = mapped_column(String(128))
    customer_id: Mapped[str | None] = mapped_column(String(128))
    author: Mapped[str] = mapped_column(String(200))
    edited_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[float]
    updated_at: Mapped[float]
    type: Mapped[str] = mapped_column(String(16))
    topic: Mapped[str | None] = mapped_column(String(16))
    adkar: Mapped[str | None] = mapped_column(String(16))
    follow_up_on: Mapped[str | None] = mapped_column(String(10))
    interaction_id: Mapped[str | None] = mapped_column(String(128))
    visibility: Mapped[str] = mapped_column(String(8))
    body: Mapped[str] = mapped_column(Text)
    __table_args__ = (Index(None, "agent_id", "created_at"),)


class Tombstone(Base):
    __tablename__ = "tombstone"
    kind: Mapped[str] = mapped_column(String(64), primary_key=True)
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    version: Mapped[int]


class SyncState(Base):
    """One row: where the pull stands and how the last attempt went."""

    __tablename__ = "sync_state"
    id: Mapped[int] = mapped_column(primary_key=True)
    cursor: Mapped[str | None] = mapped_column(String(256))
    last_success_at: Mapped[float | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[float | None]
    unknown_kinds: Mapped[int] = mapped_column(server_default=text("0"))
    source: Mapped[str | None] = mapped_column(String(32), doc="'demo', 'hub' or 'sample'")


class Quarantine(Base):
    """Changes whose data failed validation (protocol rule 5), kept with the reason."""

    __tablename__ = "quarantine"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(64))
    record_id: Mapped[str] = mapped_column(String(128))
    version: Mapped[int]
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[str] = mapped_column(Text, doc="the change's data as JSON, cut at 64 KiB")
    received_at: Mapped[float]


class Outbox(Base):
    """Local writes not yet accepted upstream, in the order they were made."""

    __tablename__ = "outbox"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    note_id: Mapped[str] = mapped_column(String(128), index=True)
    op: Mapped[str] = mapped_column(String(8), doc="'put' or 'delete'")
    body: Mapped[str | None] = mapped_column(Text, doc="the note's data as JSON")
    base_version: Mapped[int]
    created_at: Mapped[float]
    state: Mapped[str] = mapped_column(String(16), server_default="pending")
    detail: Mapped[str | None] = mapped_column(Text)
    prior: Mapped[str | None] = mapped_column(
        Text, doc="the note as it stood before this write (JSON row), to restore on discard"
    )


class PrioritySetting(Base):
    """The site's stated priorities as set on the Balance screen: what, who and
    when. Local to this store; the latest row wins over the config file."""

    __tablename__ = "priority_setting"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    set_at: Mapped[float]
    set_by: Mapped[str] = mapped_column(String(200))
    ranking: Mapped[str] = mapped_column(Text, doc="JSON: constraint -> {rank, weight}")


class SyncIdentity(Base):
    """One row: who the hub says our token is (`GET /v1/me`), as last fetched (store/syncstate.py)."""

    __tablename__ = "sync_identity"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    teams: Mapped[str] = mapped_column(Text, doc="JSON list of team names")
    queues: Mapped[str] = mapped_column(Text, doc="JSON list of queue ids")
    fetched_at: Mapped[float]
    __table_args__ = (CheckConstraint("id = 1"),)


class AlertRecord(Base):
    """An alert that fired (domain/alerts.py), up or resolved: kept 7 days after it resolves."""

    __tablename__ = "alert"
    id: Mapped[str] = mapped_column(String(600), primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))
    subject_kind: Mapped[str] = mapped_column(String(8), doc="'queue' or 'agent'")
    subject_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(200), doc="the queue's or agent's name when it fired")
    since: Mapped[float] = mapped_column(doc="the condition held from")
    fired_at: Mapped[float]
    day: Mapped[str] = mapped_column(String(10), doc="the site day whose budget it counts against")
    value: Mapped[float | None] = mapped_column(doc="the figure when it fired")
    threshold: Mapped[float | None] = mapped_column(doc="the line it was past")
    ack_by: Mapped[str | None] = mapped_column(String(200))
    ack_at: Mapped[float | None]
    snooze_until: Mapped[float | None]
    resolved_at: Mapped[float | None]
    __table_args__ = (
        Index("ix_alert_up", "fired_at", sqlite_where=text("resolved_at IS NULL")),
        Index(None, "day"),
        Index(None, "resolved_at"),
    )


class AlertTrack(Base):
    """Where one alert rule stands on one subject: the evaluator's state between refreshes."""

    __tablename__ = "alert_track"
    rule_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    true_since: Mapped[float | None]
    false_since: Mapped[float | None]
    held_day: Mapped[str | None] = mapped_column(String(10))
    snooze_until: Mapped[float | None]
    alert_id: Mapped[str | None] = mapped_column(String(600), doc="the alert up, in table alert")


class AlertHeld(Base):
    """Alerts the budget held back, per site day and subject."""

    __tablename__ = "alert_held"
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    count: Mapped[int]


class AlertClock(Base):
    """One row: when the alert rules were last evaluated on this store (store/alerts.py `tick`)."""

    __tablename__ = "alert_clock"
    id: Mapped[int] = mapped_column(primary_key=True)
    evaluated_at: Mapped[float]
    __table_args__ = (CheckConstraint("id = 1"),)


class AlertDelivery(Base):
    """Alert events (fired, resolved) for a headless sync's webhook, delivered or still to go
    (store/alert_delivery.py): kept 7 days, as the alerts' history."""

    __tablename__ = "alert_delivery"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True, doc="stable: a receiver drops a repeat by it")
    alert_id: Mapped[str] = mapped_column(String(600))
    event: Mapped[str] = mapped_column(String(16), doc="'fired' or 'resolved'")
    at: Mapped[float] = mapped_column(doc="when it fired or resolved")
    payload: Mapped[str] = mapped_column(Text, doc="the JSON body, made when it was queued")
    queued_at: Mapped[float]
    delivered_at: Mapped[float | None] = mapped_column(doc="the receiver answered 2xx; None: still to go")
    __table_args__ = (
        Index("ix_alert_delivery_waiting", "seq", sqlite_where=text("delivered_at IS NULL")),
        Index(None, "at"),
    )


def _counts_columns() -> tuple[dict[str, Any], dict[str, Any]]:
    """A class body with a column per count, and its annotations (held in the body too)."""
    cols: dict[str, Any] = {}
    annotations: dict[str, Any] = {}
    for name in COUNT_COLUMNS:
        is_sum = name.endswith("_s")
        cols[name] = mapped_column(default=0.0 if is_sum else 0, server_default=text("0"))
        cols["__annotations__"] = annotations
        annotations[name] = Mapped[float] if is_sum else Mapped[int]
    return cols, annotations


def _aggregate(name: str, bucket: str, doc: str) -> type[Base]:
    body, annotations = _counts_columns()
    annotations.update({"queue_id": Mapped[str], bucket: Mapped[int]})
    # The bucket leads the key: the screens ask for a time range across all queues.
    body.update(
        __tablename__=name,
        __doc__=doc,
        **{bucket: mapped_column(Integer, primary_key=True)},
        queue_id=mapped_column(String(128), primary_key=True),
    )
    return type(name.title().replace("_", ""), (Base,), body)


QueueMinute = _aggregate(
    "queue_minute", "minute", "Per-queue sums by minute of enqueue (epoch // 60): the rolling window."
)
QueueInterval = _aggregate(
    "queue_interval", "interval", "Per-queue sums by 15-minute interval (epoch // 900): today and sparklines."
)

RecordTable = type[Queue] | type[Agent] | type[Interaction] | type[Customer] | type[Survey] | type[Note]
RECORD_TABLES: dict[str, RecordTable] = {
    "queue": Queue,
    "agent": Agent,
    "interaction": Interaction,
    "customer": Customer,
    "survey": Survey,
    "note": Note,
}


# The customer search index (migration 0004) is an FTS5 table and its shadow
# tables, kept by triggers: not modelled here, so schema comparisons skip them.
SEARCH_INDEX = "customer_fts"


def include_name(name: str | None, type_: NameFilterType, parent_names: NameFilterParentNames) -> bool:
    """Alembic's filter: everything but the search index."""
    return not (type_ == "table" and name and name.startswith(SEARCH_INDEX))
