"""The real program in a real pseudo-terminal: what reaches the screen."""

from __future__ import annotations

import re
import sys

from .conftest import SAMPLE
from .ptyrun import drain, read_until, spawn, stop

COLOUR = re.compile(rb"\x1b\[(?:[0-9]+;)*(?:3[0-8]|4[0-8]|9[0-7]|10[0-7])[;m]")  # 39 and 49 are "default"


def _first_screen(env: dict) -> bytes:
    proc, master = spawn([sys.executable, "-m", "floorview", "--db", str(SAMPLE)], 80, 24, env=env)
    try:
        seconds, out = read_until(master, b"Tech support", timeout=60)
        out += drain(master, 0.5)  # the rest of the first frame
    finally:
        stop(proc, master)
    assert seconds is not None, out[-2000:]
    return out


def test_no_color_sends_no_colour_and_keeps_the_signs():
    plain = _first_screen({"NO_COLOR": "1"})
    assert not COLOUR.search(plain)
    assert "✓".encode() in plain and b"SNAPSHOT" in plain
    coloured = _first_screen({})
    assert COLOUR.search(coloured)
