"""Posting alerts to a webhook, from a headless `floorview sync`, never blocking it.

What is posted: each alert that fires and each that resolves, as one JSON
body (`payload`, our format, documented in README.md and
config/floorview.toml), or as `{"text": ...}` for a Slack or a Teams
incoming webhook. A body names queues and agents and gives the figures: no
customer, no contact detail, no note (an alert holds none of them).

How: the events wait in the store (store/alert_delivery.py) until the
receiver answers 2xx; a thread of its own posts them oldest first, one at a
time, and after a failure (an error status, no connection, no answer within
the timeout) waits 0.8 s doubling to 30 s with jitter (a Retry-After wins)
and tries the same event again. So a receiver that fails, stalls and
recovers gets every event in order, and a restart posts what was left.
Delivery is at least once: an event whose 2xx was lost on the way is posted
again, with the same id (`event_id` in the body, `Idempotency-Key` header).

The URL may hold a secret (Slack's and Teams' do): it is never logged, never
in an error or a status line, never on a command line. `label` is what is
shown of it: the scheme and the host.
"""

from __future__ import annotations

import json
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx

from floorview.domain.alerts import Alert, Rule, describe
from floorview.sync.backoff import Backoff, parse_retry_after
from floorview.sync.transport import CONNECT_S, _loopback, _reason

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from floorview.store.alert_delivery import Delivery, Posted

log = logging.getLogger(__name__)
ENV = "FLOORVIEW_ALERTS_WEBHOOK"
FORMATS = ("json", "slack", "teams")
PAYLOAD_TYPE = "floorview.alert"
PAYLOAD_VERSION = 1


class WebhookError(Exception):
    """The webhook cannot be used; the message names no more of the URL than `label` does."""


# -- where to post -------------------------------------------------------------------------------
def label(url: str) -> str:
    """What may be shown of a webhook URL: its scheme and host, never its path, query or user."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    return f"{parts.scheme}://{f'[{host}]' if ':' in host else host}"


def check_url(url: str) -> str:
    """https anywhere, plain http only to this machine (the hub's rule); refused in words that
    do not repeat the URL."""
    url = url.strip()
    if not url or any(ord(c) < 0x21 or ord(c) == 0x7F for c in url):
        raise WebhookError("the alerts webhook is not a URL (empty, or with spaces or control characters)")
    parts = urlsplit(url)
    try:
        parts.port
    except ValueError:
        raise WebhookError("the alerts webhook's URL has a port that is not a number") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookError("the alerts webhook is not an http(s) URL")
    if parts.scheme == "http" and not _loopback(parts.hostname):
        raise WebhookError(
            f"refusing plain http for the alerts webhook at {label(url)}: use https (plain http only to this machine)"
        )
    return url


def webhook_url(
    flag_file: Path | None,
    config_file: Path | None,
    config_url: str | None,
    environ: Mapping[str, str] = os.environ,
) -> str | None:
    """The webhook's URL, checked: from `--alerts-webhook-file`, else FLOORVIEW_ALERTS_WEBHOOK,
    else `alerts.webhook_file`, else `alerts.webhook_url`; None: no webhook."""
    from floorview.sync.token import read_private_file

    def from_file(path: Path) -> str:
        text = read_private_file(path, "alerts webhook file", "a URL", WebhookError).strip()
        if not text:
            raise WebhookError(f"alerts webhook file {path} is empty")
        return text

    if flag_file is not None:
        return check_url(from_file(flag_file))
    if environ.get(ENV, "").strip():
        return check_url(environ[ENV])
    if config_file is not None:
        return check_url(from_file(config_file))
    if config_url:
        return check_url(config_url)
    return None


# -- what is posted ------------------------------------------------------------------------------
def _iso(t: float | None) -> str | None:
    if t is None:
        return None
    return datetime.fromtimestamp(t, timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def payload(eid: str, event: Posted, alert: Alert, rules: Sequence[Rule] = ()) -> str:
    """Our JSON body for one event: its id, what happened, the alert's figures and its words.
    Names of queues and agents only; the figures are fractions (rates) or seconds (waits,
    time in a state) or agents (agents short), as `threshold` is."""
    rule = next((r for r in rules if r.id == alert.rule_id), None)
    at = alert.fired_at if event == "fired" else (alert.resolved_at or alert.fired_at)
    words = describe(alert, at, rule)
    text = f"Alert ({alert.severity}): {words}" if event == "fired" else f"Resolved: {words}"
    body = {
        "type": PAYLOAD_TYPE,
        "version": PAYLOAD_VERSION,
        "event_id": eid,
        "event": event,
        "at": _iso(at),
        "text": text,
        "alert": {
            "id": alert.id,
            "rule": alert.rule_id,
            "kind": alert.kind,
            "severity": alert.severity,
            "subject": {"kind": alert.subject.kind, "id": alert.subject.id, "name": alert.name},
            "value": alert.value,
            "threshold": alert.limit,
            "since": _iso(alert.since),
            "fired_at": _iso(alert.fired_at),
            "resolved_at": _iso(alert.resolved_at),
            "day": alert.day,
        },
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def _chat_text(text: str) -> str:
    """Slack's and Teams' text: &, < and > escaped, so a name cannot ping a channel or make a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def body(fmt: str, stored: str) -> bytes:
    """The bytes posted for an event kept as our JSON (`payload`), in the format configured."""
    if fmt == "json":
        return stored.encode("utf-8")
    text = _chat_text(str(json.loads(stored).get("text", "")))
    return json.dumps({"text": text}, ensure_ascii=False).encode("utf-8")


# -- posting -------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Outcome:
    ok: bool
    why: str = ""  # in words, never the URL
    retry_after: float | None = None


class _NoURL(logging.Filter):
    """httpx logs each request's URL (INFO, logger "httpx"): never this one's."""

    def __init__(self, url: str) -> None:
        super().__init__()
        parts = urlsplit(url)
        # The whole URL, and its path and query alone (where a secret sits), when they say anything.
        self.secrets = [s for s in (url, parts.path, parts.query) if len(s) > 1]

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:  # a record that cannot be formatted cannot show the URL either
            return True
        return not any(s in text for s in self.secrets)


Report = Callable[[str], None]


class Webhook:
    """Posts the events queued in the store; `start` a thread of its own, or `deliver` in place."""

    def __init__(
        self,
        engine: Engine,
        url: str,
        fmt: str = "json",
        *,
        timeout_s: float = 10.0,
        proxy: str | None = None,
        clock: Callable[[], float] = time.time,
        report: Report | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if fmt not in FORMATS:
            raise WebhookError(f"alerts.webhook_format: expected one of {', '.join(FORMATS)}")
        self.engine, self.fmt, self.timeout_s, self.clock = engine, fmt, timeout_s, clock
        self._url = check_url(url)
        self.label = label(self._url)
        self.report = report
        self.backoff = Backoff(rng)
        self.failing: str | None = None  # why the last attempt failed; None: the last one worked
        self.posted = 0
        self._filter = _NoURL(self._url)
        logging.getLogger("httpx").addFilter(self._filter)
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout_s, connect=min(CONNECT_S, timeout_s)),
            follow_redirects=False,  # a redirect would take the alerts elsewhere
            trust_env=False,
            proxy=proxy,
            headers={"User-Agent": "floorview", "Content-Type": "application/json"},
        )
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:  # never the URL
        return f"Webhook({self.label}, {self.fmt})"

    # -- one post --
    def post(self, delivery: Delivery) -> Outcome:
        """One attempt at one event. Never raises for the receiver's sake."""
        headers = {"Idempotency-Key": delivery.event_id}
        try:
            with self._client.stream("POST", self._url, content=body(self.fmt, delivery.payload), headers=headers) as r:
                status = r.status_code
                retry = r.headers.get("Retry-After")
        except httpx.TimeoutException:
            return Outcome(False, f"no answer within {self.timeout_s:g} s")
        except httpx.ConnectError as exc:
            return Outcome(False, f"cannot connect ({_reason(exc)})")
        except httpx.HTTPError as exc:
            return Outcome(False, f"the connection failed ({_reason(exc)})")
        if 200 <= status < 300:
            return Outcome(True)
        if 300 <= status < 400:
            return Outcome(False, f"HTTP {status}: redirects are not followed")
        wait = parse_retry_after(retry, time.time()) if status in (429, 503) else None
        return Outcome(False, f"HTTP {status}", wait)

    # -- the queue --
    def deliver(self, stop: threading.Event | None = None) -> Outcome | None:
        """Post what waits, oldest first, until none is left (None) or one fails (its Outcome)."""
        from floorview.store.alert_delivery import delivered, pending

        while stop is None or not stop.is_set():
            with self.engine.connect() as conn:
                batch = pending(conn, 50)
                conn.rollback()
            if not batch:
                return None
            for d in batch:
                if stop is not None and stop.is_set():
                    return None
                outcome = self.post(d)
                if not outcome.ok:
                    self._failed(outcome)
                    return outcome
                with self.engine.begin() as conn:
                    delivered(conn, [d.event_id], self.clock())
                self.posted += 1
                self._worked()
        return None

    def waiting(self) -> int:
        from floorview.store.alert_delivery import waiting

        with self.engine.connect() as conn:
            n = waiting(conn)
            conn.rollback()
        return n

    def _failed(self, outcome: Outcome) -> None:
        if self.failing is None:  # said once per outage, not at every retry
            try:
                n = self.waiting()
            except Exception:  # the store's fault is the sync's to say
                n = 0
            line = f"alerts webhook {self.label}: not delivered ({outcome.why}); {n} waiting, trying again"
            log.warning("%s", line)
            if self.report is not None:
                self.report(line)
        self.failing = outcome.why

    def _worked(self) -> None:
        self.backoff.failures = 0
        if self.failing is not None:
            line = f"alerts webhook {self.label}: delivering again"
            log.warning("%s", line)
            if self.report is not None:
                self.report(line)
        self.failing = None

    # -- the thread --
    def wake(self) -> None:
        """Something was queued: post it (from any thread)."""
        self._wake.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="alerts-webhook", daemon=True)
        self._thread.start()

    def stop(self, wait_s: float = 2.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(wait_s)
        self.close()

    def close(self) -> None:
        self._client.close()
        logging.getLogger("httpx").removeFilter(self._filter)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                failed = self.deliver(self._stop)
            except Exception as exc:  # the store: a fault of this machine; try again later
                log.warning("alerts webhook %s: cannot read or mark the queue (%s)", self.label, type(exc).__name__)
                failed = Outcome(False, "store fault")
            if failed is None:
                self._wake.wait()
                continue
            delay = failed.retry_after if failed.retry_after is not None else self.backoff.failed()
            self._stop.wait(delay)
