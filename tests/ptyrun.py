"""Run a program under a pseudo-terminal, as a person's terminal would (tests and benchmarks)."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import termios
import time


def spawn(argv: list[str], cols: int, rows: int, env: dict | None = None):
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    full_env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(cols), "LINES": str(rows), **(env or {})}
    proc = subprocess.Popen(
        argv, stdin=slave, stdout=slave, stderr=slave, env=full_env, start_new_session=True, close_fds=True
    )
    os.close(slave)
    return proc, master


def read_until(master: int, needle: bytes, timeout: float) -> tuple[float | None, bytes]:
    """Seconds until `needle` appears in the output (None on timeout), and the output."""
    start = time.perf_counter()
    seen = b""
    while time.perf_counter() - start < timeout:
        ready, _, _ = select.select([master], [], [], 0.05)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            seen += chunk
            if needle in seen:
                return time.perf_counter() - start, seen
    return None, seen


def stop(proc: subprocess.Popen, master: int) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    os.close(master)


def drain(master: int, seconds: float) -> bytes:
    """What the program writes in the next `seconds`."""
    end = time.perf_counter() + seconds
    seen = b""
    while (left := end - time.perf_counter()) > 0:
        ready, _, _ = select.select([master], [], [], min(left, 0.05))
        if ready:
            try:
                seen += os.read(master, 65536)
            except OSError:
                break
    return seen


def process_tree(pid: int) -> list[int]:
    """`pid` and its children, from /proc."""
    out = [pid]
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(entry))
    return out
