"""Site time: "today" and every clock time follow the site's zone, never the host's.

The process runs in UTC (conftest), as a jump host does; the export is also
run in Pacific/Kiritimati (UTC+14), where the host's "today" is a day ahead of
a New York floor's. Expected instants are written out by hand from the
zones' known offsets, not computed by the code under test.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import datetime, timezone

import pytest

from floorview.domain.sitetime import SiteTime, resolve
from floorview.store.agents import agent_days_figures
from floorview.store.reads import site_time

from .conftest import make_app, settle, wait_for

UTC = timezone.utc
NY = "America/New_York"


def _utc(*args) -> float:
    return datetime(*args, tzinfo=UTC).timestamp()


def test_the_site_zone_is_the_setting_else_the_queues_most_common_else_utc():
    assert resolve("Europe/London", [(NY, 5)]) == SiteTime("Europe/London", "setting")
    assert resolve("", [(NY, 5), ("America/Chicago", 1)]).name == NY
    assert resolve("", [(NY, 2), ("America/Chicago", 1), ("America/Chicago", 2)]).name == "America/Chicago"
    assert resolve("", [("Europe/Paris", 1), ("Asia/Tokyo", 1)]).name == "Asia/Tokyo"  # a tie goes by name
    assert resolve("", [("Mars/Olympus", 9), (NY, 1)]).name == NY  # an unknown zone from the feed is no candidate
    fallback = resolve("", [])
    assert fallback.name == "UTC" and "no site_timezone" in fallback.describe()


def test_the_sample_floor_is_in_new_york_by_its_queues(sample_store):
    site = site_time(sqlite3.connect(sample_store), "")
    assert (site.name, site.source) == (NY, "queues")  # seven queues in New York, Retention in Chicago


@pytest.mark.parametrize(
    "now, start",
    [
        # EDT (UTC-4) until 06:00 UTC on 1 November 2026, EST (UTC-5) after: that day is 25 hours long.
        (_utc(2026, 11, 1, 3, 59), _utc(2026, 10, 31, 4, 0)),
        (_utc(2026, 11, 1, 4, 0), _utc(2026, 11, 1, 4, 0)),
        (_utc(2026, 11, 2, 4, 59), _utc(2026, 11, 1, 4, 0)),  # 23:59 EST, still 1 November
        (_utc(2026, 11, 2, 5, 0), _utc(2026, 11, 2, 5, 0)),  # midnight EST
        # 8 March 2026: clocks go forward at 02:00 EST; the day is 23 hours long.
        (_utc(2026, 3, 8, 12, 0), _utc(2026, 3, 8, 5, 0)),
        (_utc(2026, 3, 9, 3, 59), _utc(2026, 3, 8, 5, 0)),  # 23:59 EDT
        (_utc(2026, 3, 9, 4, 0), _utc(2026, 3, 9, 4, 0)),
    ],
)
def test_today_begins_at_the_sites_midnight_across_dst(now, start):
    assert SiteTime(NY, "setting").day_start(now) == start


def test_dates_begin_at_their_own_midnight_on_both_sides_of_a_dst_change():
    site = SiteTime(NY, "setting")
    assert site.date_start(datetime(2026, 11, 1).date()) == _utc(2026, 11, 1, 4, 0)
    assert site.date_start(datetime(2026, 11, 2).date()) == _utc(2026, 11, 2, 5, 0)
    assert site.fmt(_utc(2026, 11, 2, 4, 30), "%d %H:%M") == "01 23:30"
    assert (site.abbrev(_utc(2026, 10, 31)), site.abbrev(_utc(2026, 11, 3))) == ("EDT", "EST")


def test_an_agents_days_are_cut_at_the_sites_midnights_across_dst():
    con = sqlite3.connect(":memory:")
    con.execute("CREATE TABLE interaction (agent_id, enqueued_at, answered_at, ended_at, wrap_s, qa_score, resolved)")
    contacts = [
        _utc(2026, 10, 31, 23, 0),  # 19:00 EDT, 31 October
        _utc(2026, 11, 1, 4, 30),  # 00:30 EDT, 1 November
        _utc(2026, 11, 2, 4, 30),  # 23:30 EST, still 1 November (a fixed offset of -4 h put it on the 2nd)
        _utc(2026, 11, 2, 5, 30),  # 00:30 EST, 2 November
    ]
    con.executemany(
        "INSERT INTO interaction VALUES ('a1', ?, ?, ?, 0, NULL, 1)", [(t, t + 10, t + 70) for t in contacts]
    )
    site = SiteTime(NY, "setting")
    days = [(d, site.date_start(datetime.fromisoformat(d).date())) for d in ("2026-10-31", "2026-11-01", "2026-11-02")]
    got = {d.day: d.handled for d in agent_days_figures(con, "a1", days)}
    assert got == {"2026-10-31": 1, "2026-11-01": 2, "2026-11-02": 1}


def _export(sample_store, tz: str, config: str | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOORVIEW_")} | {"TZ": tz}
    args = [sys.executable, "-m", "floorview", "export", "huddle", "--db", str(sample_store), "--format", "md"]
    if config:
        args += ["--config", config]
    out = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_the_export_counts_the_sites_day_whatever_the_hosts_zone(sample_store, tmp_path):
    con = sqlite3.connect(sample_store)
    # The sample was taken at 10:30 EST on 20 November: its day began at 05:00 UTC.
    answered = con.execute(
        "SELECT count(*) FROM interaction WHERE answered_at IS NOT NULL AND enqueued_at >= ?",
        (_utc(2026, 11, 20, 5, 0),),
    ).fetchone()[0]
    in_utc = _export(sample_store, "UTC")
    in_kiritimati = _export(sample_store, "Pacific/Kiritimati")
    cfg = tmp_path / "floorview.toml"
    cfg.write_text(f'site_timezone = "{NY}"\n')
    cfg.chmod(0o600)
    set_explicitly = _export(sample_store, "UTC", str(cfg))
    assert in_utc == in_kiritimati
    assert set_explicitly.replace("(site\\_timezone)", "(the queues' zone)") == in_utc
    assert in_utc.startswith("# Huddle: The floor, Fri 20 Nov 2026 10:30 EST\n")
    assert "Today since 00:00 America/New\\_York (the queues' zone)." in in_utc
    all_channels = next(line for line in in_utc.splitlines() if line.startswith("| all channels |"))
    assert all_channels.split(" | ")[1] == str(answered)


async def test_screens_show_site_time_in_a_far_host_zone(sample_store, monkeypatch):
    import time

    monkeypatch.setenv("TZ", "Pacific/Kiritimati")
    time.tzset()
    try:
        app = make_app(sample_store)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            assert app.site.name == NY
            status = app.screen.query_one("#status").render()
            assert "taken 2026-11-20 10:30 EST" in str(status)
            await pilot.press("h")
            await wait_for(pilot, lambda: getattr(app.screen, "_huddle", None) is not None)
            huddle = app.screen._huddle
            answered = (
                sqlite3.connect(sample_store)
                .execute(
                    "SELECT count(*) FROM interaction WHERE answered_at IS NOT NULL AND enqueued_at >= ?",
                    (_utc(2026, 11, 20, 5, 0),),
                )
                .fetchone()[0]
            )
            assert huddle.day_start == _utc(2026, 11, 20, 5, 0)
            assert huddle.answered == answered
    finally:
        monkeypatch.setenv("TZ", "UTC")
        time.tzset()


def test_the_data_age_reads_in_site_time_and_words():
    from floorview.tui.widgets.status import as_of

    site = SiteTime(NY, "setting")
    taken = _utc(2026, 11, 20, 15, 13, 3)  # 10:13:03 EST
    assert as_of(taken, taken + 5, site) == "as of just now"
    assert as_of(taken, taken + 100, site) == "as of 10:13:03 EST, 1 min ago"  # not "1:00 ago"
    assert as_of(taken, taken + 45, site) == "as of 10:13:03 EST, 40 s ago"
    assert as_of(taken, taken + 2 * 3600 + 300, site) == "as of 10:13:03 EST, 2 h 05 min ago"
