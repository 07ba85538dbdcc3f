"""The command line as an operator scripts it: exit codes and one clear line."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

from .conftest import SAMPLE


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "floorview", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_version():
    out = run("--version")
    assert out.returncode == 0 and out.stdout.startswith("floorview ")


def test_seed_writes_a_private_store_and_refuses_to_overwrite(tmp_path):
    path = tmp_path / "new" / "floor.db"
    out = run("seed", str(path), "--seed", "3", "--at", "2026-11-20T10:00:00-05:00")
    assert out.returncode == 0, out.stderr
    assert "wrote" in out.stdout
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert oct(path.parent.stat().st_mode & 0o777) == "0o700"
    con = sqlite3.connect(path)
    assert con.execute("SELECT count(*) FROM queue").fetchone()[0] == 8
    again = run("seed", str(path))
    assert again.returncode == 2
    assert again.stderr.count("\n") == 1 and "exists" in again.stderr


def test_seed_rejects_a_time_without_offset(tmp_path):
    out = run("seed", str(tmp_path / "x.db"), "--at", "2026-11-20T10:00:00")
    assert out.returncode == 2 and "offset" in out.stderr


def test_missing_store_is_one_clear_line_with_the_next_step(tmp_path):
    """m28: the error says what to do: name, seed or sync a store."""
    for args in (("--db",), ("export", "huddle", "--db")):
        out = run(*args, str(tmp_path / "nope.db"))
        assert out.returncode == 2
        line = out.stderr.strip()
        assert line.startswith(f"floorview: no store at {tmp_path / 'nope.db'}: ") and "\n" not in line, line
        assert "floorview seed" in line and "--hub" in line, line


def test_help_matches_what_each_command_does():
    """m28: every hub option says what it is and its default; export reads a
    store only, so it offers neither the demo nor the screen's options."""
    hub = run("hub", "--help").stdout
    for option, words in (("--host", "default 127.0.0.1"), ("--port", "default 8765"), ("--seed", "default 7")):
        assert words in " ".join(hub.split()), (option, hub)
    export = " ".join(run("export", "huddle", "--help").stdout.split())
    assert "demo" not in export and "--low-bandwidth" not in export and "--hub" not in export, export
    assert "--db" in export and "the store to read" in export


def test_symlinked_store_is_refused_before_the_screen_opens(tmp_path):
    link = tmp_path / "link.db"
    link.symlink_to(SAMPLE)
    out = run("--db", str(link))
    assert out.returncode == 2 and "symbolic link" in out.stderr


def test_bad_config_is_named(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("refresh_s = 'often'\n")
    out = run("--config", str(cfg), "--db", str(SAMPLE))
    assert out.returncode == 2
    assert "refresh_s" in out.stderr and "expected a number" in out.stderr


def test_bad_environment_setting_is_named():
    out = run("--db", str(SAMPLE), env={"FLOORVIEW_REFRESH_S": "0"})
    assert out.returncode == 2 and "refresh_s" in out.stderr
