"""The alerts webhook of a headless sync (sync/webhook.py, store/alert_delivery.py), against a
real receiver on loopback that fails, stalls and recovers: every fired and resolved event
arrives, none again after a 2xx, a restart posts what was left; bodies carry no customer, no
contact detail and no note; the URL, which may hold a secret, reaches no log, error or stderr."""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from floorview.domain.alerts import Budget, Rule
from floorview.store.alert_delivery import pending, waiting
from floorview.store.engine import open_engine
from floorview.sync.alerts import AlertWatch
from floorview.sync.syncer import Syncer
from floorview.sync.transport import HubClient
from floorview.sync.webhook import Webhook, WebhookError, check_url, label, webhook_url

SECRET = "xoxb-T0SECRET-B0SECRET-s3cr3tT0ken"
CUSTOMER = "Zebulon Quartermaine"
PHONE = "+1 617 555 0142"
EMAIL = "zebulon.q@example.net"
NOTE = "Told me about the divorce; call back on the mobile"
VERBATIM = "Nobody called me back"
PRIVATE = (CUSTOMER, "Zebulon", "Quartermaine", PHONE, "555 0142", EMAIL, NOTE, "divorce", VERBATIM)


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).isoformat().replace("+00:00", "Z")


def write_floor(hub, at: float, version: int = 1, busy: bool = True) -> None:
    """A small floor on the hub as of `at`: queue Billing with a contact waiting since 30 min
    (busy) and agent Pat Agent not ready (break) for an hour; a customer with a name, a survey
    and a note that hold contact details. `busy=False` (a later version): the contact
    answered, the agent available: the alerts resolve."""
    waiting_since = at - 1800
    contact = {"queue_id": "q-bill", "channel": "voice", "customer_id": "c-priv", "enqueued_at": _iso(waiting_since)}
    if not busy:
        contact |= {"answered_at": _iso(at - 5), "agent_id": "a-pat"}
    changes = [
        {
            "kind": "queue",
            "id": "q-bill",
            "version": 1,
            "op": "upsert",
            "data": {"name": "Billing", "channel": "voice"},
        },
        {
            "kind": "agent",
            "id": "a-pat",
            "version": version,
            "op": "upsert",
            "data": {
                "name": "Pat Agent",
                "team": "Harbor",
                "state": "not_ready" if busy else "available",
                "state_since": _iso(at - 3600 if busy else at - 5),
                "reason": "break" if busy else None,
                "queues": ["q-bill"],
            },
        },
        {"kind": "customer", "id": "c-priv", "version": 1, "op": "upsert", "data": {"name": CUSTOMER}},
        {"kind": "interaction", "id": "i-priv", "version": version, "op": "upsert", "data": contact},
        {
            "kind": "survey",
            "id": "s-priv",
            "version": 1,
            "op": "upsert",
            "data": {
                "customer_id": "c-priv",
                "answered_at": _iso(at - 7200),
                "nps": 2,
                "verbatim": f"{VERBATIM}. Reach me at {PHONE} or {EMAIL}",
            },
        },
        {
            "kind": "note",
            "id": "n-priv",
            "version": 1,
            "op": "upsert",
            "data": {
                "agent_id": "a-pat",
                "customer_id": "c-priv",
                "author": "Lead One",
                "created_at": _iso(at - 600),
                "updated_at": _iso(at - 600),
                "type": "recovery",
                "visibility": "team",
                "body": f"{NOTE}: {PHONE}, {EMAIL} ({CUSTOMER})",
            },
        },
    ]
    refusals: list = []
    hub.store.write(changes, refusals)
    assert refusals == []


# Both fire at once on the floor above (and resolve at once when it changes): a contact
# waiting over twice the 20 s threshold, an agent on break over 15 minutes.
RULES = (
    Rule("oldest-wait", "oldest_wait", "warning", for_s=0, clear_s=0, factor=2.0),
    Rule("not-ready", "not_ready", "info", for_s=0, clear_s=0, reason_limits_s=(("break", 900.0), ("other", 600.0))),
)
BUDGET = Budget(10, 10, 100)


class Clock:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


class Quick(random.Random):
    """Backoff in a hurry: the same doubling, every wait 0.05 s at most."""

    def uniform(self, a: float, b: float) -> float:
        return min(b, 0.05)


class Receiver(ThreadingHTTPServer):
    """A webhook receiver on loopback. Each POST takes the next of `script` ("fail": 500,
    "stall": read the body and never answer, "ok": 200; "ok" once the script is spent) and
    is recorded as (mode, event id, body)."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, script: list[str] | None = None, default: str = "ok") -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.script, self.default = list(script or []), default
        self.seen: list[tuple[str, str, bytes]] = []
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = f"/services/{SECRET}") -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"

    def next_mode(self) -> str:
        with self.lock:
            return self.script.pop(0) if self.script else self.default

    def ok_ids(self) -> list[str]:
        return [eid for mode, eid, _ in self.seen if mode == "ok"]

    def handle_error(self, request, client_address) -> None:
        pass  # a client that gave up on a stalled answer

    def stop(self) -> None:
        self.release.set()
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        mode = self.server.next_mode()
        self.server.seen.append((mode, self.headers.get("Idempotency-Key", ""), raw))
        if mode == "stall":
            self.server.release.wait(60)
            self.close_connection = True
            return
        status = 500 if mode == "fail" else 200
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")


@pytest.fixture
def receiver():
    made: list[Receiver] = []

    def make(script: list[str] | None = None, default: str = "ok") -> Receiver:
        made.append(Receiver(script, default))
        return made[-1]

    yield make
    for r in made:
        r.stop()


def wait_until(condition, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition never held")
        time.sleep(0.02)


def left(engine) -> int:
    with engine.connect() as conn:
        n = waiting(conn)
        conn.rollback()
    return n


def queued_ids(engine) -> list[str]:
    with engine.connect() as conn:
        ids = [r[0] for r in conn.exec_driver_sql("SELECT event_id FROM alert_delivery ORDER BY seq")]
        conn.rollback()
    return ids


def fire_and_resolve(hub, engine, watch: AlertWatch, clock: Clock) -> None:
    """The floor synced and ticked (two alerts fire), then changed, synced and ticked (both resolve)."""
    write_floor(hub, clock.t)
    Syncer(engine, HubClient(hub.url, hub.token)).pull_until_caught_up()
    assert sorted(e.kind for e in watch.tick_once()) == ["fired", "fired"]
    write_floor(hub, clock.t, version=2, busy=False)
    Syncer(engine, HubClient(hub.url, hub.token)).pull_until_caught_up()
    clock.t += 10
    assert sorted(e.kind for e in watch.tick_once()) == ["resolved", "resolved"]


def test_fails_then_stalls_then_recovers_nothing_lost_nothing_doubled(hub, local, receiver):
    r = receiver(["fail", "fail", "stall", "fail", "stall"])
    clock = Clock(float(int(time.time())))
    webhook = Webhook(local, r.url(), timeout_s=0.5, clock=clock, rng=Quick())
    watch = AlertWatch(local, RULES, BUDGET, webhook=webhook, clock=clock)
    webhook.start()
    try:
        fire_and_resolve(hub, local, watch, clock)
        events = queued_ids(local)
        assert len(events) == 4 and len(set(events)) == 4
        wait_until(lambda: sorted(r.ok_ids()) == sorted(events))
        time.sleep(0.3)  # anything that would come again would come now
    finally:
        webhook.stop()
    modes = [m for m, _, _ in r.seen]
    assert modes[:5] == ["fail", "fail", "stall", "fail", "stall"]
    # Each event was taken once, and never posted again after the receiver took it.
    assert sorted(r.ok_ids()) == sorted(events)
    for eid in events:
        after = [m for m, e, _ in r.seen[[e for _, e, _ in r.seen].index(eid) :] if e == eid]
        assert after.count("ok") == 1 and after[-1] == "ok"
    # In the order they happened: both fired before either resolved.
    kinds = [json.loads(b)["event"] for m, _, b in r.seen if m == "ok"]
    assert kinds == ["fired", "fired", "resolved", "resolved"]
    assert left(local) == 0


def test_a_restart_posts_what_was_left(hub, tmp_path, receiver):
    down = receiver(default="fail")
    path = tmp_path / "store" / "floorview.db"
    first = open_engine(path)
    clock = Clock(float(int(time.time())))
    webhook = Webhook(first, down.url(), clock=clock, rng=Quick())
    fire_and_resolve(hub, first, AlertWatch(first, RULES, BUDGET, webhook=webhook, clock=clock), clock)
    assert webhook.deliver() is not None  # the receiver fails: everything stays queued
    events = queued_ids(first)
    assert len(events) == 4 and left(first) == 4
    webhook.stop()
    first.dispose()

    # As a new `floorview sync` would: a new engine, syncer, watch and webhook on the same store.
    up = receiver()
    again = open_engine(path)
    try:
        clock.t += 20
        later = Webhook(again, up.url(), clock=clock, rng=Quick())
        watch = AlertWatch(again, RULES, BUDGET, webhook=later, clock=clock)
        Syncer(again, HubClient(hub.url, hub.token)).pull_until_caught_up()
        assert watch.tick_once() == []  # the restart's first tick fires nothing again
        later.start()
        wait_until(lambda: len(up.ok_ids()) == 4)
        time.sleep(0.2)
        later.stop()
        assert up.ok_ids() == events  # each once, in order
        assert queued_ids(again) == events  # and nothing queued twice
        assert left(again) == 0
    finally:
        again.dispose()


def bodies(hub, local, receiver, fmt: str) -> list[bytes]:
    r = receiver()
    clock = Clock(float(int(time.time())))
    webhook = Webhook(local, r.url(), fmt, clock=clock, rng=Quick())
    fire_and_resolve(hub, local, AlertWatch(local, RULES, BUDGET, webhook=webhook, clock=clock), clock)
    assert webhook.deliver() is None
    webhook.close()
    return [b for _, _, b in r.seen]


def test_the_store_holds_what_must_not_be_posted(hub, local):
    """The floor the payload tests use does hold the customer, the contact details and the note."""
    write_floor(hub, time.time())
    Syncer(local, HubClient(hub.url, hub.token)).pull_until_caught_up()
    with local.connect() as conn:
        assert conn.exec_driver_sql("SELECT name FROM customer WHERE id = 'c-priv'").scalar() == CUSTOMER
        note = conn.exec_driver_sql("SELECT body FROM note WHERE id = 'n-priv'").scalar()
        verbatim = conn.exec_driver_sql("SELECT verbatim FROM survey WHERE id = 's-priv'").scalar()
    assert NOTE in note and PHONE in note and EMAIL in note
    assert PHONE in verbatim and EMAIL in verbatim


def test_json_body_names_queues_and_agents_and_nothing_private(hub, local, receiver):
    sent = bodies(hub, local, receiver, "json")
    assert len(sent) == 4
    for raw in sent:
        text = raw.decode("utf-8")
        for secret in PRIVATE:
            assert secret not in text
    first = json.loads(sent[0])
    assert set(first) == {"type", "version", "event_id", "event", "at", "text", "alert"}
    assert first["type"] == "floorview.alert" and first["version"] == 1
    named = {json.loads(b)["alert"]["subject"]["name"] for b in sent}
    assert named == {"Billing", "Pat Agent"}
    texts = [json.loads(b)["text"] for b in sent]
    assert any(t.startswith("Alert (info): Pat Agent: not ready for 1 h 00 min") for t in texts)
    assert any(t.startswith("Resolved: Billing: a contact waiting") for t in texts)
    wait = next(json.loads(b)["alert"] for b in sent if json.loads(b)["alert"]["kind"] == "oldest_wait")
    assert wait["threshold"] == 40.0 and wait["value"] == pytest.approx(1800, abs=2)


@pytest.mark.parametrize("fmt", ["slack", "teams"])
def test_chat_bodies_are_text_only(hub, local, receiver, fmt):
    sent = bodies(hub, local, receiver, fmt)
    assert len(sent) == 4
    for raw in sent:
        body = json.loads(raw)
        assert list(body) == ["text"]
        for secret in PRIVATE:
            assert secret not in body["text"]
    assert any("Pat Agent: not ready" in json.loads(b)["text"] for b in sent)


def test_a_name_cannot_ping_a_channel():
    from floorview.sync.webhook import body

    sent = json.loads(body("slack", json.dumps({"text": "Alert: <!channel> & <https://x|y>"})))
    assert sent == {"text": "Alert: &lt;!channel&gt; &amp; &lt;https://x|y&gt;"}


def test_the_url_reaches_no_log_no_error_no_stderr(hub, local, receiver, caplog, capsys):
    caplog.set_level(logging.DEBUG)  # httpx logs each request's URL at INFO
    said: list[str] = []
    r = receiver(["fail", "stall"])
    clock = Clock(float(int(time.time())))
    webhook = Webhook(local, r.url(), timeout_s=0.3, clock=clock, rng=Quick(), report=said.append)
    fire_and_resolve(hub, local, AlertWatch(local, RULES, BUDGET, webhook=webhook, clock=clock), clock)
    outcomes = [webhook.deliver(), webhook.deliver(), webhook.deliver()]  # 500, no answer, then all
    assert [o.why if o else None for o in outcomes] == ["HTTP 500", "no answer within 0.3 s", None]
    r.stop()
    gone = webhook.deliver()  # nothing waits: nothing is tried
    assert gone is None
    webhook.close()
    # The receiver gone: connection refused.
    closed = Webhook(local, r.url(), timeout_s=0.3, clock=clock, rng=Quick(), report=said.append)
    with local.begin() as conn:
        conn.exec_driver_sql("UPDATE alert_delivery SET delivered_at = NULL")
    refused = closed.deliver()
    assert refused is not None and refused.why.startswith("cannot connect")
    closed.close()
    errors = []
    for bad in (f"http://hooks.example.com/services/{SECRET}", f"ftp://127.0.0.1/{SECRET}", f" {SECRET} x"):
        with pytest.raises(WebhookError) as caught:
            check_url(bad)
        errors.append(str(caught.value))
    out = capsys.readouterr()
    everything = "\n".join([caplog.text, out.out, out.err, *said, *errors, repr(webhook), webhook.label])
    assert SECRET not in everything and "/services/" not in everything
    assert said[0].startswith("alerts webhook http://127.0.0.1: not delivered (HTTP 500); 4 waiting")
    assert "delivering again" in said[1]
    assert "refusing plain http for the alerts webhook at http://hooks.example.com" in errors[0]


def test_what_is_shown_of_a_url_is_its_scheme_and_host():
    assert label(f"https://hooks.slack.com/services/{SECRET}?x=1") == "https://hooks.slack.com"
    assert label(f"https://user:{SECRET}@example.com:8443/x") == "https://example.com"
    assert check_url("https://example.com/hook") == "https://example.com/hook"
    assert check_url("http://[::1]:9/hook") == "http://[::1]:9/hook"


def test_where_the_url_comes_from(tmp_path, monkeypatch):
    monkeypatch.delenv("FLOORVIEW_ALERTS_WEBHOOK", raising=False)
    hook = tmp_path / "hook"
    hook.write_text("https://flag.example/x\n")
    hook.chmod(0o600)
    other = tmp_path / "other"
    other.write_text("https://file.example/y\n")
    other.chmod(0o600)
    env = {"FLOORVIEW_ALERTS_WEBHOOK": "https://env.example/z"}
    assert webhook_url(hook, other, "https://config.example/w", env) == "https://flag.example/x"
    assert webhook_url(None, other, "https://config.example/w", env) == "https://env.example/z"
    assert webhook_url(None, other, "https://config.example/w", {}) == "https://file.example/y"
    assert webhook_url(None, None, "https://config.example/w", {}) == "https://config.example/w"
    assert webhook_url(None, None, None, {}) is None
    hook.chmod(0o644)
    with pytest.raises(WebhookError, match=r"refusing alerts webhook file .*: others can read it \(mode 644\)"):
        webhook_url(hook, None, None, {})
    link = tmp_path / "link"
    link.symlink_to(other)
    with pytest.raises(WebhookError, match="symbolic link"):
        webhook_url(link, None, None, {})
    empty = tmp_path / "empty"
    empty.write_text("\n")
    empty.chmod(0o600)
    with pytest.raises(WebhookError, match="is empty"):
        webhook_url(empty, None, None, {})


def test_a_config_file_holding_the_url_must_be_private(tmp_path, monkeypatch):
    from floorview.config import ConfigError, load_settings

    folder = tmp_path / "conf"
    folder.mkdir(mode=0o700)
    cfg = folder / "config.toml"
    cfg.write_text(f'[alerts]\nwebhook_url = "https://hooks.example.com/services/{SECRET}"\n')
    cfg.chmod(0o644)
    with pytest.raises(ConfigError) as caught:
        load_settings(cfg)
    said = str(caught.value)
    assert "refusing config" in said and "it holds alerts.webhook_url, a secret" in said
    assert "others can read it (mode 644); chmod 600 it" in said and SECRET not in said
    cfg.chmod(0o600)
    folder.chmod(0o755)
    with pytest.raises(ConfigError) as caught:
        load_settings(cfg)
    assert "its directory" in str(caught.value) and "open to others (mode 755); chmod 700 it" in str(caught.value)
    folder.chmod(0o700)
    settings = load_settings(cfg)
    assert settings.alerts.webhook_url.endswith(SECRET)
    assert SECRET not in repr(settings)
    # A config file without the URL is not held to it.
    plain = tmp_path / "plain.toml"
    plain.write_text('[alerts]\nwebhook_format = "slack"\n')
    plain.chmod(0o644)
    assert load_settings(plain).alerts.webhook_format == "slack"
    plain.write_text('[alerts]\nwebhook_format = "discord"\n')
    with pytest.raises(ConfigError, match="webhook_format: expected one of json, slack, teams"):
        load_settings(plain)


def test_pending_lists_in_order_and_waiting_counts(hub, local):
    clock = Clock(float(int(time.time())))
    webhook = Webhook(local, "http://127.0.0.1:9/x", clock=clock)
    fire_and_resolve(hub, local, AlertWatch(local, RULES, BUDGET, webhook=webhook, clock=clock), clock)
    webhook.close()
    with local.connect() as conn:
        rows = pending(conn)
        conn.rollback()
    assert [d.event for d in rows] == ["fired", "fired", "resolved", "resolved"]
    assert [d.seq for d in rows] == sorted(d.seq for d in rows)
    assert all(json.loads(d.payload)["event_id"] == d.event_id for d in rows)
    assert left(local) == 4


def test_the_webhook_file_flag_is_the_only_way_on_the_command_line():
    from floorview.cli import _parser

    sync = _parser()._subparsers._group_actions[0].choices["sync"]
    flags = {o for a in sync._actions for o in a.option_strings}
    assert "--alerts-webhook-file" in flags
    assert not any(f.startswith("--alerts-webhook") and f != "--alerts-webhook-file" for f in flags)
    words = " ".join(sync.format_help().split())
    assert "There is no flag taking the URL itself" in words
