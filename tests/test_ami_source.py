"""The Asterisk Manager Interface source (sources/asterisk/ami/) against a fake
AMI on loopback (tests/fake_ami.py) replaying traces written from the wire
format (tests/ami_traces/): an Asterisk 11 stream and a 13+ stream (the
renames), a connection dropped mid-stream, a refused login, garbage on the
wire; the hub store it writes into; one call reported by AMI and queue_log is
one record; the secret is never logged or raised.

Times: T = 1764000000 (2025-11-24T16:00:00Z) is the fake's clock when the
first snapshot is read; the source is given the fake's clock. Expected figures
are worked out by hand from the traces (the comments say how).
"""

from __future__ import annotations

import logging
import os
import threading
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from floorview.hub.hubstore import HubStore, open_hub_engine
from floorview.hub.sources import SourceRunner
from floorview.hub.status import status_text
from floorview.sources.asterisk.ami import AmiSource
from floorview.sources.asterisk.ami.client import AmiLoginRefused
from floorview.sources.asterisk.ami.credentials import CredentialsError, ami_secret, ami_user
from floorview.sources.asterisk.ami import mapper as mapper_module
from floorview.sources.asterisk.ami.mapper import Mapper
from floorview.sources.asterisk.ami.protocol import Message, Parser, encode
from floorview.sources.asterisk.records import interaction_id, iso, version_at
from floorview.sources.asterisk.settings import AsteriskSettings, QueueSettings
from tests.fake_ami import FakeAmi, load_trace

TRACES = Path(__file__).parent / "ami_traces"
T = 1764000000
USER, SECRET = "floorview", "s3cret-Pa55"
SETTINGS = AsteriskSettings(
    queues={"sales": QueueSettings(sl_threshold_s=30, sl_target=0.9)},
    members={"PJSIP/1003": "Carol Diaz", "Agent/1005": "Eve Park"},
    teams={"Ana Lima": "North", "Bob Stone": "North", "Carol Diaz": "South", "Eve Park": "South"},
    caller_ids="plain",
)


def at(offset: float) -> str:
    return iso(T + offset)


class ListSink:
    """A sink keeping batches; `records` holds what a hub would (the highest version per record)."""

    def __init__(self, point: Any = None) -> None:
        self.batches: list[dict[str, Any]] = []
        self.point = point
        self.caught = threading.Event()
        self.lock = threading.Lock()

    def resume_point(self) -> Any:
        return self.point

    def write(
        self,
        changes: Sequence[Mapping[str, Any]],
        *,
        resume: Any,
        unmapped: Mapping[str, Sequence[str]] | None = None,
        last_record_at: float | None = None,
        read: int = 0,
    ) -> int:
        with self.lock:
            self.batches.append(
                {"changes": list(changes), "resume": resume, "unmapped": dict(unmapped or {}), "read": read}
            )
            self.point = resume
        return len(changes)

    def caught_up(self) -> None:
        self.caught.set()

    def records(self) -> dict[tuple[str, str], dict[str, Any]]:
        out: dict[tuple[str, str], dict[str, Any]] = {}
        with self.lock:
            for batch in self.batches:
                for ch in batch["changes"]:
                    key = (ch["kind"], ch["id"])
                    if key not in out or out[key]["version"] < ch["version"]:
                        out[key] = ch
        return {k: v["data"] for k, v in out.items()}

    def unmapped(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        with self.lock:
            for batch in self.batches:
                for reason, examples in batch["unmapped"].items():
                    out.setdefault(reason, []).extend(examples)
        return out


def wait_for(check: Callable[[], bool], timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.02)


def source_for(ami: FakeAmi, secret: str = SECRET, **kw: Any) -> AmiSource:
    options: dict[str, Any] = {"clock": ami.now, "leave_grace_s": 0.3, "batch_s": 0.05, "first_wait_s": 0.1}
    return AmiSource("127.0.0.1", ami.port, USER, secret, SETTINGS, **{**options, **kw})


class Running:
    """`source.run(sink, stop)` in a thread, as the hub runs it."""

    def __init__(self, source: AmiSource, sink: ListSink) -> None:
        self.source, self.sink = source, sink
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            self.source.run(self.sink, self.stop)
        except BaseException as exc:  # the test looks at it
            self.error = exc

    def __enter__(self) -> Running:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(5)
        assert not self.thread.is_alive(), "the source did not stop"


def agent(state: str, since: str, queues: list[str], team: str, name: str, **kw: Any) -> dict[str, Any]:
    return {
        "name": name,
        "team": team,
        "state": state,
        "state_since": since,
        "reason": kw.get("reason"),
        "queues": queues,
        "interaction_id": kw.get("interaction_id"),
    }


def call(queue: str, enqueued: str, **kw: Any) -> dict[str, Any]:
    return {
        "queue_id": queue,
        "channel": "voice",
        "customer_id": kw.get("customer_id"),
        "agent_id": kw.get("agent_id"),
        "enqueued_at": enqueued,
        "answered_at": kw.get("answered_at"),
        "abandoned_at": kw.get("abandoned_at"),
        "ended_at": kw.get("ended_at"),
        "wrap_s": kw.get("wrap_s"),
        "transfers": kw.get("transfers", 0),
    }


# The 13+ trace, worked by hand (T+n: n seconds after the snapshot; times cut to whole seconds):
# - Ana Lima: available since her last call (LastCall T-600) in the snapshot, answers the sales
#   caller 1763999960.10 at T+5, who completes by transfer at T+60 -> available since T+60.
# - Bob Stone: paused "Lunch" since LastPause T-300; unpaused at T+3 (QueueMemberPause, the 13
#   name) -> available since T+3; added to support at T+80 (still available: since T+3).
# - PJSIP/1003 (settings: Carol Diaz): in a call at the snapshot; pauses "Coaching..." at T+61
#   while still in the call (on_contact), call over at T+70 -> not_ready since T+70, the reason's
#   ESC removed and its brackets kept as text.
# - Dan Roe: unavailable (offline) since the snapshot, removed from support at T+90 (no queues).
# - Calls: 1763999960.10 waited 40 s at the snapshot (enqueued T-40), answered T+5 (a 45 s
#   wait, as its HoldTime says), ended T+60 with one transfer; 1764000001.20 joined support at
#   T+1, abandoned at T+10 (9 s, its HoldTime); 1764000012.30 joined sales at T+12 and left at
#   T+20 unanswered (timeout: Leave alone) -> abandoned T+20, as queue_log maps EXITWITHTIMEOUT;
#   1764000100.40 waits in support since T+100.
# - Ids: member names with a space are percent-encoded ("Ana%20Lima"), as the queue_log source does.
EXPECTED_13_AGENTS = {
    "Ana%20Lima": agent("available", at(60), ["sales", "support"], "North", "Ana Lima"),
    "Bob%20Stone": agent("available", at(3), ["sales", "support"], "North", "Bob Stone"),
    "Carol%20Diaz": agent("not_ready", at(70), ["support"], "South", "Carol Diaz", reason="Coaching [b]1:1[/b][2J"),
    "Dan%20Roe": agent("offline", at(0), [], "Floor", "Dan Roe"),
}
EXPECTED_13_CALLS = {
    "1763999960.10@sales": call(
        "sales",
        at(-40),
        customer_id="tel:15550100001",
        agent_id="Ana%20Lima",
        answered_at=at(5),
        ended_at=at(60),
        transfers=1,
    ),
    "1764000001.20@support": call("support", at(1), customer_id="tel:5550200", abandoned_at=at(10), ended_at=at(10)),
    "1764000012.30@sales": call("sales", at(12), abandoned_at=at(20), ended_at=at(20)),
    "1764000100.40@support": call("support", at(100), customer_id="tel:5550400"),
}


def _check_13(records: Mapping[tuple[str, str], Mapping[str, Any]]) -> None:
    agents = {rid: data for (kind, rid), data in records.items() if kind == "agent"}
    calls = {rid: data for (kind, rid), data in records.items() if kind == "interaction"}
    queues = {rid: data for (kind, rid), data in records.items() if kind == "queue"}
    customers = {rid: data for (kind, rid), data in records.items() if kind == "customer"}
    assert agents == EXPECTED_13_AGENTS
    assert calls == EXPECTED_13_CALLS
    assert sorted(queues) == ["sales", "support"]
    assert (queues["sales"]["sl_threshold_s"], queues["sales"]["sl_target"]) == (30, 0.9)
    assert (queues["support"]["sl_threshold_s"], queues["support"]["sl_target"]) == (20, 0.8)
    if customers:  # caller names as data: markup kept as text; no customer for a caller without a number
        assert customers == {
            "tel:15550100001": {"name": "[b]Eve[/b]"},
            "tel:5550200": {"name": "Sam Patel"},
            "tel:5550400": {"name": "Zoë Quinn"},
        }


def test_asterisk13_trace_through_the_hub_into_a_real_store(tmp_path: Path) -> None:
    """SourceRunner (the hub's thread, supervise) -> HubStore on SQLite: the final records."""
    store = HubStore(open_hub_engine(f"sqlite:///{tmp_path / 'hub.db'}"))
    with FakeAmi(load_trace(TRACES / "asterisk13.ami")) as ami:
        source = source_for(ami)
        runner = SourceRunner(store, source)
        thread = threading.Thread(target=runner.run, daemon=True)
        thread.start()
        try:
            assert runner.ready.wait(10)

            def done() -> bool:
                current = store.current("interaction", "1764000012.30@sales")
                return current is not None and current["data"]["ended_at"] is not None

            wait_for(lambda: ami.replayed == 1 and done())
            wait_for(lambda: store.current("interaction", "1764000100.40@support") is not None)
        finally:
            runner.stop.set()
            thread.join(5)
        assert not thread.is_alive()
    records: dict[tuple[str, str], dict[str, Any]] = {}
    for kind, ids in (
        ("agent", EXPECTED_13_AGENTS),
        ("interaction", EXPECTED_13_CALLS),
        ("queue", {"sales": 0, "support": 0}),
        ("customer", {"tel:15550100001": 0, "tel:5550200": 0, "tel:5550400": 0}),
    ):
        for rid in ids:
            current = store.current(kind, rid)
            assert current is not None, (kind, rid)
            records[(kind, rid)] = current["data"]
    _check_13(records)
    state = store.source_state("asterisk-ami")
    assert state is not None
    assert state.resume["calls"].keys() == {"1764000100.40@support"}  # the one call still open
    assert state.unmapped == {"unknown event": {"count": 1, "examples": ["Newexten"]}}
    assert state.last_record_at == T + 100
    assert runner.status.report()["state"] == "stopped" and runner.status.restarts == 0
    assert ami.logins == 1


def test_asterisk13_login_is_md5_and_the_secret_never_crosses_the_wire() -> None:
    with FakeAmi(load_trace(TRACES / "asterisk13.ami")) as ami:
        sink = ListSink()
        with Running(source_for(ami), sink) as run:
            wait_for(sink.caught.is_set)
        assert run.source.login_how == "md5"
    logins = [a for a in ami.received if a.get("Action") == "Login"]
    assert len(logins) == 1 and "Secret" not in logins[0] and logins[0]["AuthType"] == "MD5"
    assert logins[0]["Events"] == "agent"  # manager 2.x (Asterisk 12+): app_queue's events are all `agent`
    assert all(SECRET not in value for action in ami.received for value in action.values())
    assert [a["Action"] for a in ami.received] == ["Challenge", "Login", "QueueStatus", "Logoff"]


def test_asterisk11_trace_old_event_names() -> None:
    """Join/Leave, QueueMemberPaused (Reason), Location, Holdtime, Agentlogin/Agentlogoff; no EventList.

    By hand: Eve Park (member Agent/1005) is unavailable at the snapshot (offline since T), logs in
    at T+2 (available), answers 1764000003.50 at T+8 (it waited 5 s: Join T+3), the caller hangs
    up at T+38 (available again), logs off at T+42 -> offline since T+42. Ana Lima, available
    since the snapshot, pauses for "Break" at T+9. 1764000010.60 abandons after 4 s (T+10 to T+14);
    1764000050.70 waits since T+50."""
    with FakeAmi(load_trace(TRACES / "asterisk11.ami"), version="1.3", eventlist=False) as ami:
        sink = ListSink()
        with Running(source_for(ami), sink):
            wait_for(lambda: ("interaction", "1764000050.70@sales") in sink.records())
    records = sink.records()
    assert records[("agent", "Eve%20Park")] == agent("offline", at(42), ["sales"], "South", "Eve Park")
    assert records[("agent", "Ana%20Lima")] == agent("not_ready", at(9), ["sales"], "North", "Ana Lima", reason="Break")
    # the caller's name as data: the right-to-left override removed
    assert records[("customer", "tel:5550500")] == {"name": "Zoëevil"}
    calls = {rid: data for (kind, rid), data in records.items() if kind == "interaction"}
    assert calls == {
        "1764000003.50@sales": call(
            "sales", at(3), customer_id="tel:5550500", agent_id="Eve%20Park", answered_at=at(8), ended_at=at(38)
        ),
        "1764000010.60@sales": call("sales", at(10), customer_id="tel:5550600", abandoned_at=at(14), ended_at=at(14)),
        "1764000050.70@sales": call("sales", at(50), customer_id="tel:5550700"),
    }
    # before 12 (manager 1.x), Join and Leave are `call` events: asked for too
    assert [a["Events"] for a in ami.received if a.get("Action") == "Login"] == ["agent,call"]
    # Eve's states in the order written: offline (snapshot), available, on_contact, available, offline
    eve = [ch["data"]["state"] for b in sink.batches for ch in b["changes"] if ch["id"] == "Eve%20Park"]
    assert eve == ["offline", "available", "on_contact", "available", "offline"]
    assert sink.unmapped() == {}


def test_asterisk13_with_a_fake_sink_the_same_figures() -> None:
    with FakeAmi(load_trace(TRACES / "asterisk13.ami")) as ami:
        sink = ListSink()
        with Running(source_for(ami), sink):
            wait_for(
                lambda: (
                    sink.records().get(("interaction", "1764000012.30@sales"), {}).get("ended_at") is not None
                    and ("interaction", "1764000100.40@support") in sink.records()
                )
            )
    _check_13(sink.records())
    # the events read are counted: 8 in the snapshot (2 QueueParams, 5 QueueMember, 1 QueueEntry),
    # then FullyBooted and the 20 of the trace
    assert sum(b["read"] for b in sink.batches) == 8 + 1 + 20
    # versions rise per record, and an event's version is its whole second's (records.version_at)
    seen: dict[tuple[str, str], int] = {}
    for batch in sink.batches:
        for ch in batch["changes"]:
            key = (ch["kind"], ch["id"])
            assert ch["version"] > seen.get(key, 0)
            seen[key] = ch["version"]
    answered = [
        ch
        for b in sink.batches
        for ch in b["changes"]
        if ch["id"] == "1763999960.10@sales" and ch["data"]["answered_at"] and not ch["data"]["ended_at"]
    ]
    assert [ch["version"] for ch in answered] == [version_at(T + 5)]


def test_dropped_connection_reconnects_and_snapshots_again() -> None:
    """By hand: before the drop Ana answers 1763999990.80 at T+4 (it waited 14 s) and 1764000002.81
    joins. While away the call ends (Ana's LastCall T+60), .81 goes, Bob is added and paused
    ("Training", LastPause T+90), 1764000097.83 joins (Wait 3 at T+100). The second snapshot
    (T+100) ends .80 and .81 at T+100 as guesses (neither answered nor abandoned for .81); Ana is
    available since T+60, then answers .83 at T+101."""
    with FakeAmi(load_trace(TRACES / "dropped.ami")) as ami:
        sink = ListSink()
        with Running(source_for(ami), sink) as run:
            wait_for(
                lambda: sink.records().get(("interaction", "1764000097.83@sales"), {}).get("answered_at") is not None
            )
            assert ami.connections == 2 and run.source.sessions == 2
    records = sink.records()
    assert records[("interaction", "1763999990.80@sales")] == call(
        "sales", at(-10), customer_id="tel:5550800", agent_id="Ana%20Lima", answered_at=at(4), ended_at=at(100)
    )
    assert records[("interaction", "1764000002.81@sales")] == call(
        "sales", at(2), customer_id="tel:5550810", ended_at=at(100)
    )
    assert records[("interaction", "1764000097.83@sales")] == call(
        "sales", at(97), customer_id="tel:5550830", agent_id="Ana%20Lima", answered_at=at(101)
    )
    assert records[("agent", "Ana%20Lima")] == agent(
        "on_contact", at(101), ["sales"], "North", "Ana Lima", interaction_id="1764000097.83@sales"
    )
    assert records[("agent", "Bob%20Stone")] == agent(
        "not_ready", at(90), ["sales"], "North", "Bob Stone", reason="Training"
    )
    ana = [ch["data"]["state"] for b in sink.batches for ch in b["changes"] if ch["id"] == "Ana%20Lima"]
    assert ana == ["available", "on_contact", "available", "on_contact"]


def test_login_refused_is_a_clear_error_retried_by_the_hub(tmp_path: Path) -> None:
    """A wrong secret: run() raises AmiLoginRefused, health says why, the hub starts it again
    (backing off); the secret is in no message."""
    store = HubStore(open_hub_engine(f"sqlite:///{tmp_path / 'hub.db'}"))
    with FakeAmi(load_trace(TRACES / "asterisk13.ami")) as ami:
        runner = SourceRunner(store, source_for(ami, secret="wrong-" + SECRET))
        thread = threading.Thread(target=runner.run, daemon=True)
        thread.start()
        try:
            wait_for(lambda: runner.status.restarts >= 1 and ami.refused >= 2)
            report = runner.status.report()
        finally:
            runner.stop.set()
            thread.join(5)
        assert not thread.is_alive()
    assert report["state"] in ("restarting", "running")
    assert report["last_error"] == "AmiLoginRefused: the Asterisk manager refused the login of user 'floorview':" + (
        " Authentication failed"
    )
    assert SECRET not in report["last_error"]
    # Kept in the database for `floorview hub status`, though the source never wrote.
    state = store.source_state("asterisk-ami")
    assert ami.logins == 0 and state is not None and state.records_written == 0 and state.failing
    assert state.problem == report["last_error"]
    said = status_text(store.sources(), time.time())
    assert said.startswith("source asterisk-ami: FAILING, nothing written yet")
    assert f"problem (now): {report['last_error']}" in said and SECRET not in said


def test_login_refused_then_accepted_writes_the_floor(tmp_path: Path) -> None:
    store = HubStore(open_hub_engine(f"sqlite:///{tmp_path / 'hub.db'}"))
    with FakeAmi(load_trace(TRACES / "asterisk11.ami"), eventlist=False, refuse_logins=1) as ami:
        runner = SourceRunner(store, source_for(ami))
        thread = threading.Thread(target=runner.run, daemon=True)
        thread.start()
        try:
            wait_for(lambda: store.current("interaction", "1764000050.70@sales") is not None)
        finally:
            runner.stop.set()
            thread.join(5)
    assert ami.refused == 1 and ami.logins == 1 and runner.status.restarts == 1
    said = status_text(store.sources(), time.time())
    assert said.startswith("source asterisk-ami: running") and "problem (since recovered): AmiLoginRefused" in said
    eve = store.current("agent", "Eve%20Park")
    assert eve is not None and (eve["data"]["state"], eve["data"]["state_since"]) == ("offline", at(42))


def test_no_md5_challenge_refuses_a_plain_login_unless_allowed() -> None:
    with FakeAmi(load_trace(TRACES / "asterisk11.ami"), eventlist=False, md5=False) as ami:
        sink = ListSink()
        with Running(source_for(ami), sink) as run:
            wait_for(lambda: run.error is not None)
        assert isinstance(run.error, AmiLoginRefused)
        assert "no MD5 challenge" in str(run.error) and "plain login" in str(run.error)
        assert not any("Secret" in a for a in ami.received)
        with Running(source_for(ami, allow_plain_login=True), sink) as run:
            wait_for(sink.caught.is_set)
        assert run.error is None and run.source.login_how == "plain"


def test_garbage_on_the_wire_is_counted_and_skipped() -> None:
    """Binary junk, lines that are not `Key: Value`, a 20 kB line, a Join without Uniqueid and an
    unknown event: counted, and the good events around them still mapped (Ana paused for
    "Wellbeing" at T+8, callers .90 and .91 waiting since T+5 and T+9)."""
    scripts = load_trace(TRACES / "garbage.ami")
    scripts[0].events.insert(2, ("garbage", b"A" * 20000 + b"\r\n"))
    with FakeAmi(scripts) as ami:
        sink = ListSink()
        with Running(source_for(ami), sink) as run:
            wait_for(lambda: ("interaction", "1764000009.91@sales") in sink.records())
            assert run.error is None and ami.connections == 1
    records = sink.records()
    assert records[("agent", "Ana%20Lima")] == agent(
        "not_ready", at(8), ["sales"], "North", "Ana Lima", reason="Wellbeing"
    )
    assert records[("interaction", "1764000005.90@sales")] == call("sales", at(5), customer_id="tel:5550900")
    assert records[("interaction", "1764000009.91@sales")] == call("sales", at(9), customer_id="tel:5550910")
    unmapped = sink.unmapped()
    assert len(unmapped.pop("garbled line")) == 4  # junk, not AMI, the long line, the key without colon
    assert unmapped == {"QueueCallerJoin without Uniqueid or Queue": ["QueueCallerJoin"], "unknown event": ["Mystery"]}


def test_not_an_ami_and_no_one_listening_are_errors_not_hangs() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nobody listens there
    source = AmiSource("127.0.0.1", port, USER, SECRET, SETTINGS, first_wait_s=0.01, give_up_after=3)
    sink = ListSink()
    with Running(source, sink) as run:
        wait_for(lambda: run.error is not None)
    assert type(run.error).__name__ == "AmiUnavailable"
    assert f"127.0.0.1:{port} failed 3 times in a row" in str(run.error)
    assert sink.batches == []


def test_stop_returns_within_a_second_while_connected() -> None:
    with FakeAmi(load_trace(TRACES / "asterisk13.ami")) as ami:
        sink = ListSink()
        run = Running(source_for(ami), sink)
        run.thread.start()
        wait_for(sink.caught.is_set)
        started = time.monotonic()
        run.stop.set()
        run.thread.join(3)
        assert (
            not run.thread.is_alive() and time.monotonic() - started < 1.5
        )  # ~0.6 s by design; margin for a loaded machine
    assert run.error is None


def test_the_secret_is_in_no_log_record_and_no_exception(caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    caplog.set_level(logging.DEBUG)
    store = HubStore(open_hub_engine(f"sqlite:///{tmp_path / 'hub.db'}"))
    texts: list[str] = []
    with FakeAmi(load_trace(TRACES / "dropped.ami"), refuse_logins=1) as ami:
        source = source_for(ami)
        texts.append(repr(source))
        runner = SourceRunner(store, source)
        thread = threading.Thread(target=runner.run, daemon=True)
        thread.start()
        try:
            wait_for(lambda: ami.connections >= 3)
        finally:
            runner.stop.set()
            thread.join(5)
        texts.append(str(runner.status.report()))
        bad = source_for(ami, secret=SECRET + "\r\nAction: Originate")  # a line break never reaches the wire
        sink = ListSink()
        with Running(bad, sink) as run:
            wait_for(lambda: run.error is not None)
        assert run.error is not None
        texts.append("".join(traceback.format_exception(run.error)))
        assert not any("Originate" in str(a) for a in ami.received)
    assert runner.status.restarts >= 1  # the refused login was logged, with its traceback
    for record in caplog.records:
        texts.append(record.getMessage())
        if record.exc_info:
            texts.append("".join(traceback.format_exception(*record.exc_info)))
    assert any("refused the login" in t for t in texts)
    assert not any(SECRET in t for t in texts)


# -- one call, one record: AMI and queue_log on one Asterisk ------------------------------------


def queue_log_changes() -> list[dict[str, Any]]:
    """What a queue_log source writes for the 13 trace's calls, by hand with records.py's scheme:
    `<callid>@<queue>` ids, versions `version_at(line time)` (whole seconds), the same record shape.
    ENTERQUEUE/CONNECT/ATTENDEDTRANSFER/ABANDON/EXITWITHTIMEOUT lines, as queue_log logs them
    (an exit is abandoned_at and ended_at: queue_log/mapper.py)."""

    def ch(rid: str, ts: int, data: dict[str, Any]) -> dict[str, Any]:
        return {"kind": "interaction", "id": rid, "version": version_at(ts), "op": "upsert", "data": data}

    c10, c20, c30 = "1763999960.10@sales", "1764000001.20@support", "1764000012.30@sales"
    cust10 = {"customer_id": "tel:15550100001"}
    return [
        ch(c10, T - 40, call("sales", at(-40), **cust10)),  # ENTERQUEUE
        ch(c10, T + 5, call("sales", at(-40), **cust10, agent_id="Ana%20Lima", answered_at=at(5))),  # CONNECT|45
        ch(  # ATTENDEDTRANSFER (12+), at AgentComplete's second
            c10,
            T + 60,
            call("sales", at(-40), **cust10, agent_id="Ana%20Lima", answered_at=at(5), ended_at=at(60), transfers=1),
        ),
        ch(c20, T + 1, call("support", at(1), customer_id="tel:5550200")),
        ch(c20, T + 10, call("support", at(1), customer_id="tel:5550200", abandoned_at=at(10), ended_at=at(10))),
        ch(c30, T + 12, call("sales", at(12))),
        ch(c30, T + 20, call("sales", at(20 - 8), abandoned_at=at(20), ended_at=at(20))),  # EXITWITHTIMEOUT|1|1|8
    ]


def ami_changes() -> list[dict[str, Any]]:
    """The mapper's changes for the 13 trace (its messages fed directly, as the source would)."""
    scripts = load_trace(TRACES / "asterisk13.ami")
    mapper = Mapper(SETTINGS, leave_grace_s=0.5)
    out = mapper.snapshot([Message(m) for m in scripts[0].snapshot], T + 0.2)
    for i, m in enumerate(scripts[0].events):  # read 10 ms apart, ticks between them
        out += mapper.event(Message(m), T + 0.3 + i / 100)
        out += mapper.tick(T + 0.3 + i / 100)
    return out + mapper.tick(T + 2)


@pytest.mark.parametrize("order", ["ami first", "queue_log first", "interleaved"])
def test_a_call_both_sources_report_is_one_record_in_the_hub(tmp_path: Path, order: str) -> None:
    ami, qlog = ami_changes(), queue_log_changes()
    ami_calls = [ch for ch in ami if ch["kind"] == "interaction"]
    # the same event gives the same version from both: each queue_log change's version is one AMI wrote
    assert {ch["version"] for ch in qlog if ch["id"] != "1764000100.40@support"} <= {ch["version"] for ch in ami_calls}
    store = HubStore(open_hub_engine(f"sqlite:///{tmp_path / 'hub.db'}"))
    if order == "ami first":
        batches = [ami, qlog]
    elif order == "queue_log first":
        batches = [qlog, ami]
    else:
        batches = [[ch] for pair in zip(ami_calls, qlog) for ch in pair] + [ami, qlog]
    for batch in batches:
        store.write(batch)
    with store.engine.connect() as conn:
        from sqlalchemy import func, select

        from floorview.hub.tables import hub_record

        n = conn.execute(select(func.count()).select_from(hub_record).where(hub_record.c.kind == "interaction"))
        assert n.scalar_one() == 4  # three calls both reported, one still waiting: never 7 or 8
    for rid, expected in EXPECTED_13_CALLS.items():
        current = store.current("interaction", rid)
        assert current is not None and current["data"] == expected


def test_a_guess_after_a_reconnect_gives_way_to_queue_log(tmp_path: Path) -> None:
    """The dropped trace's caller 1764000002.81 went while AMI was away: the second snapshot ends it
    at T+100 as a guess, written with the lowest version above AMI's own. queue_log knows it
    abandoned at T+30 (ABANDON line): whichever comes first, the hub keeps queue_log's."""
    scripts = load_trace(TRACES / "dropped.ami")
    mapper = Mapper(SETTINGS, leave_grace_s=0.0)
    ami = mapper.snapshot([Message(m) for m in scripts[0].snapshot], T)
    for m in scripts[0].events:
        if isinstance(m, dict):
            ami += mapper.event(Message(m), T + 0.5)
    ami += mapper.snapshot([Message(m) for m in scripts[1].snapshot], T + 100)
    guess = [ch for ch in ami if ch["id"] == "1764000002.81@sales"][-1]
    assert guess["data"]["ended_at"] == at(100) and guess["version"] == version_at(T + 2) + 1
    truth = call("sales", at(2), customer_id="tel:5550810", abandoned_at=at(30), ended_at=at(30))
    qlog = [
        {
            "kind": "interaction",
            "id": "1764000002.81@sales",
            "version": version_at(T + 30),
            "op": "upsert",
            "data": truth,
        }
    ]
    for first, second in ((ami, qlog), (qlog, ami)):
        store = HubStore(open_hub_engine(f"sqlite:///{tmp_path / f'hub-{len(first)}.db'}"))
        store.write(first)
        store.write(second)
        current = store.current("interaction", "1764000002.81@sales")
        assert current is not None and current["data"] == truth


# -- the mapper and the framing, without sockets ------------------------------------------------


def test_event_time_is_the_timestamp_else_the_receive_time_cut_to_the_second() -> None:
    mapper = Mapper(SETTINGS)
    join = {"Event": "QueueCallerJoin", "Uniqueid": "1.1", "Queue": "sales", "CallerIDNum": "5551000"}
    (queue, customer, first) = mapper.event(Message(join), T + 7.9)
    assert (queue["kind"], customer["kind"]) == ("queue", "customer") and first["data"]["enqueued_at"] == at(7)
    assert first["version"] == customer["version"] == version_at(T + 7)
    (second,) = mapper.event(Message({**join, "Uniqueid": "1.2", "Timestamp": f"{T + 3}.999"}), T + 9.5)
    assert second["data"]["enqueued_at"] == at(3) and second["version"] == version_at(T + 3)
    (third,) = mapper.event(Message({**join, "Uniqueid": "1.3", "Timestamp": "nonsense"}), T + 11.2)
    assert third["data"]["enqueued_at"] == at(11)


def test_a_caller_requeued_into_the_same_queue_is_numbered_as_queue_log_numbers_it() -> None:
    mapper = Mapper(SETTINGS, leave_grace_s=0.0)
    base = {"Uniqueid": "1764000000.5", "Queue": "sales", "CallerIDNum": "5551000"}
    ids = []
    for n, name in enumerate(["QueueCallerJoin", "QueueCallerLeave", "QueueCallerJoin"]):
        for ch in mapper.event(Message({"Event": name, "Timestamp": str(T + 10 * n), **base}), T + n):
            ids.append((ch["id"], ch["data"].get("abandoned_at")))
        for ch in mapper.tick(T + n + 1):
            ids.append((ch["id"], ch["data"].get("abandoned_at")))
    # queue, customer, the first entry; its exit (abandoned at its Leave, T+10); the second entry
    assert ids == [
        ("sales", None),
        ("tel:5551000", None),
        (interaction_id("1764000000.5", "sales"), None),
        ("1764000000.5@sales", at(10)),
        ("1764000000.5@sales#2", None),
    ]


def test_an_agent_in_several_queues_is_one_record_paused_only_when_paused_in_all() -> None:
    mapper = Mapper(SETTINGS)
    member = {"Event": "QueueMember", "Name": "Ana Lima", "Location": "PJSIP/1001", "Status": "1", "InCall": "0"}
    out = mapper.snapshot(
        [
            Message({**member, "Queue": "sales", "Paused": "1", "PausedReason": "Break"}),
            Message({**member, "Queue": "support", "Paused": "0"}),
            Message({**member, "Queue": "billing", "Paused": "1", "PausedReason": "Break"}),
        ],
        T,
    )
    agents = [ch for ch in out if ch["kind"] == "agent"]
    assert len(agents) == 1 and agents[0]["data"]["queues"] == ["billing", "sales", "support"]
    assert (agents[0]["data"]["state"], agents[0]["data"]["reason"]) == ("available", None)
    pause = {"Event": "QueueMemberPause", "MemberName": "Ana Lima", "Interface": "PJSIP/1001", "Timestamp": str(T + 5)}
    (changed,) = mapper.event(Message({**pause, "Queue": "support", "Paused": "1", "PausedReason": "Break"}), T + 5)
    assert (changed["data"]["state"], changed["data"]["reason"], changed["data"]["state_since"]) == (
        "not_ready",
        "Break",
        at(5),
    )


@pytest.mark.parametrize(
    ("status", "paused", "state"),
    [
        ("1", "0", "available"),
        ("6", "0", "available"),  # ringing: not yet on a contact
        ("2", "0", "on_contact"),
        ("3", "0", "on_contact"),
        ("8", "0", "on_contact"),
        ("2", "1", "on_contact"),  # paused during a call: still on it
        ("1", "1", "not_ready"),
        ("5", "0", "offline"),
        ("4", "0", "offline"),
        ("0", "1", "offline"),
    ],
)
def test_device_state_and_pause_to_agent_state(status: str, paused: str, state: str) -> None:
    mapper = Mapper(SETTINGS)
    m = {"Event": "QueueMember", "Queue": "sales", "Name": "Ana Lima", "Location": "PJSIP/1001"}
    out = mapper.snapshot([Message({**m, "Status": status, "Paused": paused, "PausedReason": "Lunch"})], T)
    (data,) = [ch["data"] for ch in out if ch["kind"] == "agent"]
    assert data["state"] == state
    assert data["reason"] == ("Lunch" if state == "not_ready" else None)


def test_a_snapshot_that_finds_nothing_new_writes_nothing() -> None:
    scripts = load_trace(TRACES / "asterisk13.ami")
    mapper = Mapper(SETTINGS)
    first = mapper.snapshot([Message(m) for m in scripts[0].snapshot], T)
    assert sorted(ch["kind"] for ch in first) == ["agent"] * 4 + ["customer", "interaction"] + ["queue"] * 2
    assert mapper.snapshot([Message(m) for m in scripts[0].snapshot], T + 1) == []


def test_a_restarted_source_keeps_versions_rising_and_closes_what_went(tmp_path: Path) -> None:
    """From its resume point alone (a new process): the open call it held, gone from the new
    snapshot, is ended; an agent it knew and the snapshot no longer lists is offline."""
    scripts = load_trace(TRACES / "dropped.ami")
    first = Mapper(SETTINGS)
    out = first.snapshot([Message(m) for m in scripts[0].snapshot], T)
    point = first.resume()
    assert set(point["calls"]) == {"1763999990.80@sales"}
    again = Mapper(SETTINGS, resume=point)
    later = again.snapshot([Message(m) for m in scripts[1].snapshot if m.get("Name") != "Ana Lima"], T + 100)
    by_id = {ch["id"]: ch for ch in later}
    assert by_id["1763999990.80@sales"]["data"]["ended_at"] == at(100)
    assert by_id["Ana%20Lima"]["data"]["state"] == "offline" and by_id["Ana%20Lima"]["data"]["queues"] == []
    before = {ch["id"]: ch["version"] for ch in out}
    assert all(ch["version"] > before.get(ch["id"], 0) for ch in later)


def test_parser_frames_messages_across_chunks_and_counts_garbage() -> None:
    parser = Parser()
    wire = b"Asterisk Call Manager/5.0.1\r\nResponse: Success\r\nActionID: 1\r\nMessage: ok\r\n\r\nEvent: Join\nQue"
    first = parser.feed(wire)
    assert first.banner == "5.0.1" and [dict(m) for m in first.messages] == [
        {"Response": "Success", "ActionID": "1", "Message": "ok"}
    ]
    second = parser.feed(b"ue: sales\r\nnot a field\r\nHoldtime: 5\r\n\r\n")
    (join,) = second.messages
    assert (join.event, join["queue"], join.first("HoldTime")) == ("Join", "sales", "5")
    assert second.garbage == ["not a field"]
    assert Parser().feed(b"SSH-2.0-OpenSSH\r\n").garbage == ["SSH-2.0-OpenSSH (no banner)"]


def test_an_action_value_with_a_line_break_is_refused_without_echoing_it() -> None:
    with pytest.raises(ValueError) as caught:
        encode({"Action": "Login", "Secret": "x\r\nAction: Originate"})
    assert "Originate" not in str(caught.value) and "Secret" in str(caught.value)


# -- credentials ------------------------------------------------------------------------------


def test_credentials_from_a_0600_file_the_environment_or_config(tmp_path: Path) -> None:
    secret_file = tmp_path / "ami.secret"
    secret_file.write_text(SECRET + "\n")
    secret_file.chmod(0o600)
    env = {"FLOORVIEW_AMI_SECRET_FILE": str(secret_file), "FLOORVIEW_AMI_SECRET": "from-env"}
    assert ami_secret("from-config", env) == SECRET
    assert ami_secret("from-config", {"FLOORVIEW_AMI_SECRET": "from-env"}) == "from-env"
    assert ami_secret("from-config", {}) == "from-config"
    assert ami_user("cfg-user", {"FLOORVIEW_AMI_USER": "env-user"}) == "env-user"
    assert ami_user("cfg-user", {}) == "cfg-user"
    with pytest.raises(CredentialsError, match="no AMI user"):
        ami_user(None, {})
    with pytest.raises(CredentialsError, match="no AMI secret"):
        ami_secret(None, {})


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o620])
def test_a_secret_file_others_may_read_is_refused(tmp_path: Path, mode: int) -> None:
    secret_file = tmp_path / "ami.secret"
    secret_file.write_text(SECRET)
    os.chmod(secret_file, mode)
    with pytest.raises(CredentialsError) as caught:
        ami_secret(None, {"FLOORVIEW_AMI_SECRET_FILE": str(secret_file)})
    assert f"mode {mode:04o}" in str(caught.value) and "chmod 600" in str(caught.value)
    assert SECRET not in str(caught.value)
    with pytest.raises(CredentialsError, match="cannot read"):
        ami_secret(None, {"FLOORVIEW_AMI_SECRET_FILE": str(tmp_path / "missing")})
    link = tmp_path / "link"  # a link to it (as mounted secrets are): the file it names is judged
    link.symlink_to(secret_file)
    with pytest.raises(CredentialsError, match=f"mode {mode:04o}"):
        ami_secret(None, {"FLOORVIEW_AMI_SECRET_FILE": str(link)})
    secret_file.chmod(0o400)
    assert ami_secret(None, {"FLOORVIEW_AMI_SECRET_FILE": str(link)}) == SECRET


def test_the_queue_log_mapper_itself_makes_the_same_call_records() -> None:
    """The queue_log source's own mapper (sources/asterisk/queue_log/), fed the queue_log lines
    Asterisk writes for the 13 trace's calls, makes the very records the AMI mapper makes: same
    ids, same versions, same data. So whichever source writes first, the hub keeps one record
    per call and ignores the other's equal version."""
    events = pytest.importorskip("floorview.sources.asterisk.queue_log.events")
    qmapper = pytest.importorskip("floorview.sources.asterisk.queue_log.mapper")
    lines = [
        f"{T - 40}|1763999960.10|sales|NONE|ENTERQUEUE||+1 (555) 010-0001|1",
        f"{T + 1}|1764000001.20|support|NONE|ENTERQUEUE||5550200|1",
        f"{T + 5}|1763999960.10|sales|Ana Lima|CONNECT|45|1764000003.11|2",
        f"{T + 10}|1764000001.20|support|NONE|ABANDON|1|1|9",
        f"{T + 12}|1764000012.30|sales|NONE|ENTERQUEUE|||1",
        f"{T + 20}|1764000012.30|sales|NONE|EXITWITHTIMEOUT|1|1|8",
        f"{T + 60}|1763999960.10|sales|Ana Lima|ATTENDEDTRANSFER|BRIDGE|4f2a|45|55|1",
        f"{T + 100}|1764000100.40|support|NONE|ENTERQUEUE||5550400|1",
    ]
    mapper = qmapper.QueueLogMapper(SETTINGS)
    qlog = [ch for line in lines for ch in mapper.feed(events.parse_line(line))]

    def calls(changes: list[dict[str, Any]]) -> list[tuple[str, int, dict[str, Any]]]:
        return sorted((ch["id"], ch["version"], ch["data"]) for ch in changes if ch["kind"] == "interaction")

    assert calls(qlog) == calls(ami_changes())
    assert {ch["id"]: ch["data"] for ch in qlog if ch["kind"] == "interaction"} == EXPECTED_13_CALLS


def test_ids_are_ids_the_hub_takes_made_in_one_place_for_both_sources() -> None:
    """records.py makes every Asterisk id (both sources import it): printable ASCII,
    anything else and `%` percent-encoded as UTF-8, so names stay distinct."""
    from floorview.hub.checks import change_problem
    from floorview.sources.asterisk.records import agent_id, feed_id, interaction_id, queue_id

    assert agent_id("Paty Marin") == "Paty%20Marin"
    assert feed_id("100%") == "100%25" and feed_id("Zoë") == "Zo%C3%AB"
    assert queue_id("support desk") == "support%20desk"
    assert interaction_id("1764000000.5", "support desk", 2) == "1764000000.5@support%20desk#2"
    names = ["Ana Lima", "Ana%20Lima", "Agent/1001", "PJSIP/1001", "100%", "Zoë", "a\u202eb", "tel:555"]
    assert len({agent_id(n) for n in names}) == len(names)
    for name in names + ["x" * 200]:
        change = {"kind": "agent", "id": agent_id(name), "version": 1, "op": "delete"}
        assert change_problem(change)[0] is None, name


def test_a_late_agent_connect_reopens_a_call_taken_for_an_exit_with_a_higher_version() -> None:
    """A Leave held less than the AgentConnect took to come (a slow read): the call was written as
    abandoned at T+5; the AgentConnect of the same second writes it answered, one version above."""
    mapper = Mapper(SETTINGS, leave_grace_s=0.0)
    caller = {"Uniqueid": "1764000000.9", "Queue": "sales", "CallerIDNum": "5550900"}
    mapper.event(Message({"Event": "QueueCallerJoin", "Timestamp": str(T), **caller}), T)
    mapper.event(Message({"Event": "QueueCallerLeave", "Timestamp": str(T + 5), **caller}), T + 5)
    (exit_,) = mapper.tick(T + 5)
    assert exit_["data"]["abandoned_at"] == at(5) and exit_["version"] == version_at(T + 5)
    connect = {"Event": "AgentConnect", "Timestamp": f"{T + 5}.2", "MemberName": "Ana Lima", "Interface": "PJSIP/1"}
    answered, ana = mapper.event(Message({**connect, **caller, "HoldTime": "5"}), T + 5.3)
    assert answered["version"] == version_at(T + 5) + 1
    assert (answered["data"]["answered_at"], answered["data"]["abandoned_at"], answered["data"]["ended_at"]) == (
        at(5),
        None,
        None,
    )
    assert ana["data"]["interaction_id"] == answered["id"] == "1764000000.9@sales"


def test_wrap_up_is_after_contact_work_for_the_queues_wrapup_s() -> None:
    """sales has wrapup_s 15: Ana's call ends at T+60, she is in after-contact work on it
    until T+75 (the call's wrap_s 15.0), then available since T+75 (written at a tick)."""
    settings = AsteriskSettings(queues={"sales": QueueSettings(wrapup_s=15)}, teams={"Ana Lima": "North"})
    mapper = Mapper(settings)
    mapper.snapshot(
        [Message({"Event": "QueueMember", "Queue": "sales", "Name": "Ana Lima", "Location": "PJSIP/1", "Status": "1"})],
        T,
    )
    caller = {"Uniqueid": "1764000000.7", "Queue": "sales", "MemberName": "Ana Lima", "Interface": "PJSIP/1"}
    mapper.event(Message({"Event": "AgentConnect", "Timestamp": str(T + 10), "HoldTime": "4", **caller}), T + 10)
    done = mapper.event(
        Message({"Event": "AgentComplete", "Timestamp": str(T + 60), "TalkTime": "50", "Reason": "agent", **caller}),
        T + 60,
    )
    call_data = next(ch["data"] for ch in done if ch["kind"] == "interaction")
    ana = next(ch["data"] for ch in done if ch["kind"] == "agent")
    assert (call_data["enqueued_at"], call_data["answered_at"], call_data["ended_at"], call_data["wrap_s"]) == (
        at(6),
        at(10),
        at(60),
        15.0,
    )
    assert (ana["state"], ana["state_since"], ana["interaction_id"]) == (
        "after_contact_work",
        at(60),
        "1764000000.7@sales",
    )
    assert mapper.tick(T + 74) == []
    (back,) = mapper.tick(T + 75.5)
    assert (back["data"]["state"], back["data"]["state_since"], back["version"]) == (
        "available",
        at(75),
        version_at(T + 75),
    )


def test_app_agent_pool_login_and_logoff_13_names() -> None:
    mapper = Mapper(SETTINGS)
    member = {"Event": "QueueMember", "Queue": "sales", "Name": "Agent/1005", "Location": "Agent/1005", "Status": "5"}
    (offline,) = [ch for ch in mapper.snapshot([Message(member)], T) if ch["kind"] == "agent"]
    assert (offline["id"], offline["data"]["state"]) == ("Eve%20Park", "offline")
    (login,) = mapper.event(Message({"Event": "AgentLogin", "Timestamp": str(T + 4), "Agent": "1005"}), T + 4)
    assert (login["data"]["state"], login["data"]["state_since"]) == ("available", at(4))
    (logoff,) = mapper.event(Message({"Event": "AgentLogoff", "Timestamp": str(T + 9), "Agent": "1005"}), T + 9)
    assert (logoff["data"]["state"], logoff["data"]["state_since"]) == ("offline", at(9))


def test_stop_returns_within_a_second_while_a_peer_never_sends_its_banner() -> None:
    import socket

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        source = AmiSource("127.0.0.1", server.getsockname()[1], USER, SECRET, SETTINGS, connect_timeout=30)
        sink = ListSink()
        run = Running(source, sink)
        run.thread.start()
        conn, _ = server.accept()  # connected; silent
        with conn:
            time.sleep(0.2)
            started = time.monotonic()
            run.stop.set()
            run.thread.join(3)
            assert (
                not run.thread.is_alive() and time.monotonic() - started < 1.5
            )  # ~0.6 s by design; margin for a loaded machine
    assert run.error is None and sink.batches == []


def test_a_link_gone_silent_is_pinged_and_opened_again() -> None:
    """No FIN, no answer to Ping: after `ping_s` of silence and the Ping's wait, a new session
    and a new snapshot (the fake answers no Ping at all here)."""
    with FakeAmi(load_trace(TRACES / "asterisk13.ami"), answer_ping=False) as ami:
        sink = ListSink()
        with Running(source_for(ami, ping_s=0.3), sink) as run:
            wait_for(lambda: ami.sessions >= 2, timeout=5)
            assert run.error is None
    pings = [a for a in ami.received if a.get("Action") == "Ping"]
    assert pings and "did not answer Ping" in (run.source.last_error or "")
    records = sink.records()  # the first session's calls stand; Ana's state, unchanged, keeps its time
    for rid in ("1763999960.10@sales", "1764000001.20@support", "1764000012.30@sales"):
        assert records[("interaction", rid)] == EXPECTED_13_CALLS[rid]
    assert records[("agent", "Ana%20Lima")] == EXPECTED_13_AGENTS["Ana%20Lima"]


def test_a_new_process_carries_on_from_the_resume_point_in_the_hub(tmp_path: Path) -> None:
    """A hub restarted (a new AmiSource, its state only what the store kept): at T+200 the
    snapshot lists Ana alone (her last call T+60) and no caller. The caller 1764000100.40, open
    in the resume point, is ended at T+200 (a guess, one version above the last); Bob, Carol and
    Dan, known by their versions, are offline in no queue; Ana is unchanged."""
    db = f"sqlite:///{tmp_path / 'hub.db'}"

    def run_until(store: HubStore, ami: FakeAmi, check: Callable[[], bool]) -> None:
        runner = SourceRunner(store, source_for(ami))
        thread = threading.Thread(target=runner.run, daemon=True)
        thread.start()
        try:
            wait_for(check)
        finally:
            runner.stop.set()
            thread.join(5)
        assert not thread.is_alive()

    first = HubStore(open_hub_engine(db))
    with FakeAmi(load_trace(TRACES / "asterisk13.ami")) as ami:
        run_until(
            first,
            ami,
            lambda: (
                first.current("interaction", "1764000100.40@support") is not None
                and (first.current("interaction", "1764000012.30@sales") or {"data": {}})["data"].get("ended_at")
                is not None
            ),
        )
    before = first.current("interaction", "1764000100.40@support")
    assert before is not None and before["version"] == version_at(T + 100)
    point = first.source_state("asterisk-ami")
    assert point is not None and set(point.resume["calls"]) == {"1764000100.40@support"}

    scripts = load_trace(TRACES / "asterisk13.ami")
    ana = [
        {**m, "LastCall": str(T + 60)}
        for m in scripts[0].snapshot
        if m["Event"] == "QueueParams" or m.get("Name") == "Ana Lima"
    ]
    scripts[0].snapshot, scripts[0].events, scripts[0].at = ana, [], float(T + 200)
    second = HubStore(open_hub_engine(db))

    def ended() -> bool:
        current = second.current("interaction", "1764000100.40@support")
        return current is not None and current["data"]["ended_at"] is not None

    with FakeAmi(scripts) as ami:
        run_until(second, ami, ended)
    after = second.current("interaction", "1764000100.40@support")
    assert after is not None and after["version"] == version_at(T + 100) + 1
    assert after["data"] == call("support", at(100), customer_id="tel:5550400", ended_at=at(200))
    for rid in ("Bob%20Stone", "Carol%20Diaz", "Dan%20Roe"):
        current = second.current("agent", rid)
        assert current is not None
        assert (current["data"]["state"], current["data"]["queues"]) == ("offline", []), rid
    ana_now = second.current("agent", "Ana%20Lima")
    assert ana_now is not None and ana_now["data"] == EXPECTED_13_AGENTS["Ana%20Lima"]


def test_a_mapper_fault_is_counted_and_the_stream_goes_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug of ours on one event (here: AgentComplete raising) is counted as unmapped with its
    reason and logged; the events after it are still mapped and the session stays up."""

    def broken(self: Mapper, *args: Any) -> None:
        raise KeyError("boom")

    monkeypatch.setitem(mapper_module._HANDLERS, "AgentComplete", broken)
    with FakeAmi(load_trace(TRACES / "asterisk13.ami")) as ami:
        sink = ListSink()
        with Running(source_for(ami), sink) as run:
            wait_for(lambda: ("interaction", "1764000100.40@support") in sink.records())
            assert run.error is None and ami.connections == 1
    assert sink.unmapped()["mapper fault on AgentComplete: KeyError"] == ["AgentComplete"]
    records = sink.records()
    assert records[("interaction", "1763999960.10@sales")]["ended_at"] is None  # its end was the fault
    assert records[("agent", "Bob%20Stone")] == EXPECTED_13_AGENTS["Bob%20Stone"]  # later events mapped


def test_the_queue_log_mapper_itself_makes_the_same_agent_records_after_the_snapshot() -> None:
    """Agents, for the events both see (an unpause at T+3, a call T+5 to T+60, an added queue at
    T+80): the queue_log mapper's records are the AMI mapper's, version for version. Before the
    snapshot only queue_log has a history; AMI's snapshot (version at T) then stands."""
    events = pytest.importorskip("floorview.sources.asterisk.queue_log.events")
    qmapper = pytest.importorskip("floorview.sources.asterisk.queue_log.mapper")
    lines = [
        f"{T - 7200}|NONE|sales|Bob Stone|ADDMEMBER|",
        f"{T - 3600}|NONE|sales|Ana Lima|ADDMEMBER|",
        f"{T - 3600}|NONE|support|Ana Lima|ADDMEMBER|",
        f"{T - 300}|NONE|sales|Bob Stone|PAUSE|Lunch",
        f"{T - 40}|1763999960.10|sales|NONE|ENTERQUEUE||+1 (555) 010-0001|1",
        f"{T + 3}|NONE|sales|Bob Stone|UNPAUSE|",
        f"{T + 5}|1763999960.10|sales|Ana Lima|CONNECT|45|1764000003.11|2",
        f"{T + 60}|1763999960.10|sales|Ana Lima|ATTENDEDTRANSFER|BRIDGE|4f2a|45|55|1",
        f"{T + 80}|NONE|support|Bob Stone|ADDMEMBER|",
    ]
    mapper = qmapper.QueueLogMapper(SETTINGS)
    qlog = [ch for line in lines for ch in mapper.feed(events.parse_line(line))]

    def agents(changes: list[dict[str, Any]]) -> list[tuple[str, int, dict[str, Any]]]:
        return sorted(
            (ch["id"], ch["version"], ch["data"])
            for ch in changes
            if ch["kind"] == "agent" and ch["id"] in ("Ana%20Lima", "Bob%20Stone") and ch["version"] > version_at(T)
        )

    ours = agents(ami_changes())
    assert [(rid, v) for rid, v, _ in ours] == [
        ("Ana%20Lima", version_at(T + 5)),
        ("Ana%20Lima", version_at(T + 60)),
        ("Bob%20Stone", version_at(T + 3)),
        ("Bob%20Stone", version_at(T + 80)),
    ]
    assert agents(qlog) == ours


def test_ami_over_tls_checks_the_certificate(tmp_path: Path) -> None:
    """manager.conf tlsenable: the source speaks TLS when given a context, and one that does not
    trust the server's certificate never logs in (no secret, no MD5 key sent)."""
    import shutil
    import ssl
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("no openssl to make a certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert)]
        + ["-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True,
        capture_output=True,
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert, key)
    trusting = ssl.create_default_context(cafile=str(cert))
    with FakeAmi(load_trace(TRACES / "asterisk11.ami"), eventlist=False, tls=server) as ami:
        sink = ListSink()
        with Running(source_for(ami, tls=trusting), sink):
            wait_for(lambda: ("interaction", "1764000050.70@sales") in sink.records())
        assert sink.records()[("agent", "Eve%20Park")]["state"] == "offline"
        stranger = ssl.create_default_context()  # the system's CAs: this certificate is not among them
        refused = ListSink()
        with Running(source_for(ami, tls=stranger, give_up_after=1), refused) as run:
            wait_for(lambda: run.error is not None)
        assert "CERTIFICATE_VERIFY_FAILED" in str(run.error) and refused.batches == []
        assert ami.logins == 1


def test_the_13_trace_through_the_clients_own_store_gives_the_queue_figures(tmp_path: Path) -> None:
    """The AMI changes applied by the store's Applier (what the sync runs), read as the Queues
    screen reads them at T+3600 (the same UTC day). By hand, from the calls above:
    sales: offered 2 (.10, .30), answered 1 after 45 s (over its 30 s threshold), abandoned 1
    (8 s, not short: >= 5 s); service level 0/(1+1) = 0, ASA 45, abandon rate 1/2, AHT 55 (talk,
    no wrap-up); nobody waiting. support: offered 2 (.20, .40), abandoned 1 (9 s), none answered:
    service level 0/1, abandon rate 1, no ASA or AHT; 1 waiting since T+100."""
    from floorview.domain.metrics import figures
    from floorview.store.apply import Applier
    from floorview.store.engine import open_engine, open_reader
    from floorview.store.reads import queue_snapshots

    path = tmp_path / "store" / "floorview.db"
    engine = open_engine(path)
    try:
        with engine.begin() as conn:
            result = Applier(conn, T + 3600).apply(ami_changes())
    finally:
        engine.dispose()
    assert (result.quarantined, result.unknown) == (0, 0)  # every record valid by the feed's models
    con = open_reader(path)
    try:
        snaps = {s.id: s for s in queue_snapshots(con, T + 3600)}
        agents = dict(
            ((aid, (state, reason)) for aid, state, reason in con.execute("SELECT id, state, reason FROM agent"))
        )
    finally:
        con.close()
    sales, support = figures(snaps["sales"].today), figures(snaps["support"].today)
    assert (sales.offered, sales.answered, sales.abandoned, sales.short_abandoned) == (2, 1, 1, 0)
    assert (sales.service_level, sales.asa_s, sales.abandon_rate, sales.aht_s) == (0.0, 45.0, 0.5, 55.0)
    assert (snaps["sales"].waiting, snaps["sales"].oldest_enqueued_at) == (0, None)
    assert (support.offered, support.answered, support.abandoned, support.short_abandoned) == (2, 0, 1, 0)
    assert (support.service_level, support.asa_s, support.abandon_rate, support.aht_s) == (0.0, None, 1.0, None)
    assert (snaps["support"].waiting, snaps["support"].oldest_enqueued_at) == (1, T + 100)
    assert agents == {
        "Ana%20Lima": ("available", None),
        "Bob%20Stone": ("available", None),
        "Carol%20Diaz": ("not_ready", "Coaching [b]1:1[/b][2J"),
        "Dan%20Roe": ("offline", None),
    }
