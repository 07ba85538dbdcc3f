"""`floorview hub` on PostgreSQL from the command line, as a site would run it:
the database named without a password on the command line, several processes
on one database with one simulated floor between them."""

from __future__ import annotations

import os
import signal
import time

import httpx
from sqlalchemy import select

from floorview.hub.hubstore import HubStore, open_hub_engine
from floorview.hub.tables import hub_lease

from .test_hub_processes import start_hubs, stop_hubs
from .test_sync_cli import run


def test_a_password_on_the_command_line_is_refused_with_where_to_put_it(pg_server):
    url = pg_server.database().replace("floorview@", "floorview:s3cret@")
    out = run("hub", "token", "list", "--db", url)
    assert out.returncode == 2
    assert out.stderr.startswith("floorview: a password in --db would show in the process list")
    assert "FLOORVIEW_HUB_DB" in out.stderr and "s3cret" not in out.stderr
    # In the environment it is taken (trust auth: the server ignores the password).
    listed = run("hub", "token", "list", env={"FLOORVIEW_HUB_DB": url})
    assert listed.returncode == 0, listed.stderr
    assert "s3cret" not in listed.stdout + listed.stderr


def test_a_database_that_cannot_be_reached_is_said_in_one_line(pg_server):
    out = run("hub", "token", "list", "--db", f"postgresql+psycopg://floorview@127.0.0.1:{_closed_port()}/x")
    assert out.returncode == 2, out.stderr
    assert out.stderr.startswith("floorview: the hub database cannot be opened: connection")
    assert "Traceback" not in out.stderr


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_simulating_hubs_on_one_database_run_one_floor_and_the_survivor_takes_it_over(tmp_path, pg_server):
    url = pg_server.database()
    setup = HubStore(open_hub_engine(url))
    token = setup.create_token("Floor")
    hubs = start_hubs(url, 2, tmp_path / "hub", "--simulate", "--speed", "60")
    try:
        assert all(u for _, u in hubs), [p.read_text()[-2000:] for p in tmp_path.glob("hub.*.log")]
        states = _floor_states(hubs)
        assert sorted(states) == ["running", "standby"], states  # one floor, fed by one process
        owner = hubs[states.index("running")][0]
        survivor = hubs[states.index("standby")]
        written = setup.source_state("simulator").records_written
        os.kill(owner.pid, signal.SIGKILL)
        owner.wait(10)
        end = time.monotonic() + 20  # the dead process is on this host: taken at the next look (~3 s)
        while _floor_states([survivor]) != ["running"]:
            assert time.monotonic() < end, _floor_states([survivor])
            time.sleep(0.2)
        while setup.source_state("simulator").records_written <= written:
            assert time.monotonic() < end
            time.sleep(0.2)
        page = httpx.get(f"{survivor[1]}/v1/changes", headers={"Authorization": f"Bearer {token}"}).json()
        assert page["changes"], "the survivor serves the floor"
    finally:
        stop_hubs([h for h in hubs if h[0].poll() is None])
        setup.engine.dispose()


def _floor_states(hubs) -> list[str]:
    return [
        next(w["state"] for w in httpx.get(f"{u}/v1/health").json()["writers"] if w["name"] == "floor") for _, u in hubs
    ]


def test_a_hub_stopped_by_sigterm_gives_its_source_up_for_another_process_to_take_at_once(tmp_path, pg_server):
    """uvicorn raises a caught SIGTERM again as it leaves, which ended the process
    before it released its leases: a process on another host then waited for
    the lease to lapse (up to 13 s). The sources now wind down first."""
    url = pg_server.database()
    setup = HubStore(open_hub_engine(url))
    hubs = start_hubs(url, 1, tmp_path / "hub", "--simulate", "--speed", "60")
    try:
        assert _floor_states(hubs) == ["running"]
        with setup.engine.connect() as conn:
            assert conn.execute(select(hub_lease.c.name)).scalars().all() == ["simulator"]
        proc = hubs[0][0]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) in (0, -signal.SIGTERM)
        with setup.engine.connect() as conn:
            assert conn.execute(select(hub_lease.c.name)).scalars().all() == []
    finally:
        stop_hubs([h for h in hubs if h[0].poll() is None])
        setup.engine.dispose()
