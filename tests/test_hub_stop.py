"""m20: Ctrl-C on a hub with clients long-polling stops it cleanly: no
"graceful shutdown exceeded", no traceback, exit status 0."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import httpx

from floorview.hub.hubstore import HubStore, open_hub_engine


def test_ctrl_c_with_long_polls_waiting_stops_cleanly(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    token = HubStore(open_hub_engine(url)).create_token("Ana Sup")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FLOORVIEW_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "floorview", "hub", "--db", url, "--port", "0", "--print-port"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean,
    )
    try:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        assert line.startswith("PORT "), line
        base = f"http://127.0.0.1:{int(line.split()[1])}"
        headers = {"Authorization": f"Bearer {token}"}
        first = httpx.get(f"{base}/v1/changes", headers=headers, timeout=10).json()
        answers: list[int] = []
        waiting = threading.Event()

        def long_poll() -> None:
            waiting.set()
            try:
                r = httpx.get(
                    f"{base}/v1/changes", params={"after": first["cursor"], "wait": 25}, headers=headers, timeout=40
                )
                answers.append(r.status_code)
            except httpx.HTTPError:
                answers.append(-1)

        polls = [threading.Thread(target=long_poll) for _ in range(3)]
        for t in polls:
            t.start()
        waiting.wait(5)
        threading.Event().wait(1.0)  # the polls are now parked on the hub
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
        for t in polls:
            t.join(20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode in (0, 130), err  # 130: ended by SIGINT, as a shell expects of Ctrl-C
    assert err.strip() == "", err
    assert "Traceback" not in err and "graceful shutdown exceeded" not in err and "ERROR" not in err, err
    assert answers == [200, 200, 200], answers  # each long poll answered, empty, before the hub went
