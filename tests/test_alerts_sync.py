"""Alerts in a headless `floorview sync` (sync/alerts.py, cli.py): it ticks after each applied
page and on a timer, never holding the pull up, not even while the webhook's receiver stalls;
`sync --once` ticks once and posts what waits, and a new process posts what the last one left;
the webhook's URL is refused in words where it is not kept private, and never printed."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from floorview.sync.alerts import AlertWatch
from floorview.sync.syncer import Syncer
from floorview.sync.transport import HubClient
from floorview.sync.webhook import Webhook

from .test_alerts_webhook import BUDGET, RULES, SECRET, Clock, Quick, queued_ids, receiver, wait_until, write_floor
from .test_sync_cli import run, token_file

__all__ = ["receiver"]  # the fixture, shared


def test_the_sync_keeps_pulling_while_the_receiver_stalls(hub, local, receiver):
    r = receiver(default="stall")
    clock = Clock(float(int(time.time())))
    write_floor(hub, clock.t)
    webhook = Webhook(local, r.url(), timeout_s=60, rng=Quick())
    watch = AlertWatch(local, RULES, BUDGET, webhook=webhook, clock=clock)
    syncer = Syncer(local, HubClient(hub.url, hub.token), long_poll=False, poll_s=0.1)
    syncer.on_applied = watch.changed  # as `floorview sync` wires it
    stop = threading.Event()
    states: list[str] = []
    thread = threading.Thread(target=syncer.run, args=(lambda s, d: states.append(s), stop), daemon=True)
    watch.start()
    webhook.start()
    thread.start()
    try:
        wait_until(lambda: len(r.seen) >= 1)  # a post is in flight, and will never be answered
        hub.store.write(
            [
                {
                    "kind": "queue",
                    "id": "q-late",
                    "version": 1,
                    "op": "upsert",
                    "data": {"name": "Late", "channel": "chat"},
                }
            ]
        )

        def synced() -> bool:
            with local.connect() as conn:
                found = conn.exec_driver_sql("SELECT name FROM queue WHERE id = 'q-late'").scalar()
                conn.rollback()
            return found == "Late"

        wait_until(synced)  # the store advanced past the stalled post
        assert [m for m, _, _ in r.seen] == ["stall"] and webhook.posted == 0
        assert "live" in states
    finally:
        stop.set()
        watch.stop()
        r.release.set()
        webhook.stop()
        thread.join(10)


def test_the_watch_ticks_after_each_page_and_on_a_timer(hub, local):
    clock = Clock(float(int(time.time())))
    write_floor(hub, clock.t)
    watch = AlertWatch(local, RULES, BUDGET, clock=clock, tick_s=3600)
    syncer = Syncer(local, HubClient(hub.url, hub.token))
    syncer.on_applied = watch.changed
    watch.start()
    try:
        wait_until(lambda: watch.ticks == 1)  # at start, the process's first
        assert not watch.first
        syncer.pull_until_caught_up()
        wait_until(lambda: watch.ticks >= 2)  # a page applied: a tick, long before the timer's
        with local.connect() as conn:
            up = conn.exec_driver_sql("SELECT count(*) FROM alert WHERE resolved_at IS NULL").scalar()
            conn.rollback()
        assert up == 2
    finally:
        watch.stop()
    timed = AlertWatch(local, RULES, BUDGET, clock=clock, tick_s=0.05)
    timed.start()
    try:
        wait_until(lambda: timed.ticks >= 4)  # nothing changed, and it ticks all the same
    finally:
        timed.stop()


def _env(tmp_path: Path, **more: str) -> dict[str, str]:
    """A process of its own: its log in tmp_path/state (the user log directory)."""
    return {"HOME": str(tmp_path / "home"), "XDG_STATE_HOME": str(tmp_path / "state"), **more}


def _logs(tmp_path: Path) -> str:
    return "".join(p.read_text() for p in (tmp_path / "state").rglob("*") if p.is_file())


def test_sync_once_ticks_posts_and_a_new_process_posts_what_was_left(hub, tmp_path, receiver):
    write_floor(hub, time.time())
    db = tmp_path / "store" / "floorview.db"
    args = ("sync", "--once", "--hub", hub.url, "--token-file", str(token_file(tmp_path, hub.token)), "--db", str(db))
    down = receiver(default="fail")
    out = run(*args, env=_env(tmp_path, FLOORVIEW_ALERTS_WEBHOOK=down.url()))
    assert out.returncode == 0, out.stderr
    assert "alerts: 2 fired, 0 resolved; webhook http://127.0.0.1: 0 posted, 2 waiting" in out.stdout
    assert out.stderr == "alerts webhook http://127.0.0.1: not delivered (HTTP 500); 2 kept for the next sync\n"
    assert down.seen and all(m == "fail" for m, _, _ in down.seen)

    up = receiver()
    again = run(*args, env=_env(tmp_path, FLOORVIEW_ALERTS_WEBHOOK=up.url()))
    assert again.returncode == 0, again.stderr
    assert "alerts: 0 fired, 0 resolved; webhook http://127.0.0.1: 2 posted, 0 waiting" in again.stdout
    from floorview.store.engine import open_engine

    engine = open_engine(db)
    try:
        assert up.ok_ids() == queued_ids(engine)
    finally:
        engine.dispose()
    kinds = sorted(json.loads(b)["alert"]["kind"] for _, _, b in up.seen)
    assert kinds == ["not_ready", "oldest_wait"]
    for text in (out.stdout, out.stderr, again.stdout, again.stderr, _logs(tmp_path)):
        assert SECRET not in text and "/services/" not in text


def test_sync_once_with_alerts_off_does_not_tick(hub, tmp_path):
    write_floor(hub, time.time())
    db = tmp_path / "store" / "floorview.db"
    out = run(
        "sync", "--once", "--hub", hub.url, "--db", str(db),
        env=_env(tmp_path, FLOORVIEW_TOKEN=hub.token, FLOORVIEW_ALERTS__ENABLED="false"),
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "alerts:" not in out.stdout
    import sqlite3

    assert sqlite3.connect(db).execute("SELECT count(*) FROM alert").fetchone()[0] == 0


def test_a_readable_config_holding_the_url_is_refused_in_one_line(hub, tmp_path):
    folder = tmp_path / "conf"
    folder.mkdir(mode=0o700)
    cfg = folder / "config.toml"
    cfg.write_text(f'[alerts]\nwebhook_url = "https://hooks.example.com/services/{SECRET}"\n')
    cfg.chmod(0o640)
    out = run(
        "sync", "--once", "--hub", hub.url, "--config", str(cfg), "--db", str(tmp_path / "s.db"),
        env=_env(tmp_path, FLOORVIEW_TOKEN=hub.token),
    )  # fmt: skip
    assert out.returncode == 2
    assert "refusing config" in out.stderr and "others can read it (mode 640); chmod 600 it" in out.stderr
    assert SECRET not in out.stderr + out.stdout


def test_a_webhook_file_others_can_read_and_plain_http_are_refused(hub, tmp_path):
    hook = tmp_path / "hook"
    hook.write_text(f"https://hooks.example.com/services/{SECRET}\n")
    hook.chmod(0o644)
    base = ("sync", "--once", "--hub", hub.url, "--db", str(tmp_path / "s.db"))
    out = run(*base, "--alerts-webhook-file", str(hook), env=_env(tmp_path, FLOORVIEW_TOKEN=hub.token))
    assert out.returncode == 2 and out.stderr.count("\n") == 1
    assert f"refusing alerts webhook file {hook}: others can read it (mode 644); chmod 600 it" in out.stderr
    plain = run(
        *base,
        env=_env(tmp_path, FLOORVIEW_TOKEN=hub.token, FLOORVIEW_ALERTS_WEBHOOK=f"http://hooks.example.com/{SECRET}"),
    )
    assert (
        plain.returncode == 2
        and "refusing plain http for the alerts webhook at http://hooks.example.com" in plain.stderr
    )
    for text in (out.stderr, plain.stderr, _logs(tmp_path)):
        assert SECRET not in text
