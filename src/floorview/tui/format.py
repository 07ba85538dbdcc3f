"""Turning figures into cells: text with a sign and a word, colour only as a bonus.

Every cell is a rich Text built from plain strings (never markup), so data
from the feed cannot style, link or act.
"""

from __future__ import annotations

import textwrap

from rich.cells import cell_len
from rich.console import JustifyMethod
from rich.text import Text

from floorview.domain.metrics import Level
from floorview.domain.units import EMPTY, duration

LEVEL_STYLE = {
    Level.OK: "green",
    Level.WARN: "yellow",
    Level.BREACH: "bold red",
    Level.NONE: "",
}
SPARK = "▁▂▃▄▅▆▇█"


def cell(value: object, style: str = "", justify: JustifyMethod = "left") -> Text:
    """A table cell from any value, as plain text (no markup is parsed)."""
    return Text("" if value is None else str(value), style=style, justify=justify, no_wrap=True)


def num(value: str, style: str = "") -> Text:
    return cell(value, style, justify="right")


def pct(value: float | None, digits: int = 0) -> str:
    if value is None:
        return EMPTY
    return f"{value * 100:.{digits}f}%"


def age(seconds: float | None) -> str:
    """Coarse durations for times in state: 45s, 4m, 1h04, 2d03.

    Seconds tick below a minute only; past it a cell changes once a minute
    rather than every second, on every row, over every SSH link.
    """
    if seconds is None:
        return EMPTY
    s = max(0, int(seconds))
    if 60 <= s < 3600:
        return f"{s // 60}m"
    return duration(s)


def judged(text: str, level: str) -> Text:
    """A figure with its verdict: sign first (✓ ! ✗), then the value, coloured."""
    sign = Level.SIGN[level]
    return num(f"{sign} {text}" if level != Level.NONE else text, LEVEL_STYLE[level])


def sparkline(values: list[float | None], width: int) -> Text:
    """Service level by interval, newest on the right; a gap where nothing was offered.

    The scale is absolute (0 to 100%), so bars compare across queues.
    """
    tail = values[-width:] if width > 0 else []
    chars = []
    for v in tail:
        if v is None:
            chars.append(" ")
        else:
            chars.append(SPARK[min(len(SPARK) - 1, int(v * (len(SPARK) - 1) + 0.5))])
    return cell("".join(chars).rjust(width))


def escalation(seconds: float, thresholds: list[float]) -> int:
    """0 below the first threshold, then 1, 2, 3."""
    return sum(seconds >= t for t in thresholds)


ESCALATION_STYLE = ("", "bold", "yellow bold", "reverse red bold")
ESCALATION_MARK = ("  ", " ·", " !", "!!")


LABEL_W = 10
EXPLAIN_WIDTH = 54  # a value's width that fits the explain panel at 80 columns, beside its label


def labelled(*rows: tuple[str, str], width: int = EXPLAIN_WIDTH) -> Text:
    """Lines of "label  value", the layout of every explain view; a long value
    wraps onto lines indented under itself, never back to the left edge (m21)."""
    text = Text()
    for label, value in rows:
        lines = [part for para in value.split("\n") for part in (textwrap.wrap(para, width) or [""])]
        text.append(f"{label:<{LABEL_W}}", style="bold")
        text.append(f"{lines[0]}\n")
        for line in lines[1:]:
            text.append(" " * LABEL_W + f"{line}\n")
    return text


def words_to(text: str, width: int) -> str:
    """`text` on one line in `width` cells, cut between words with "…"
    rather than mid-word (a single longer word is cut, marked)."""
    flat = " ".join(text.split())
    if cell_len(flat) <= width:
        return flat
    room = max(1, width - 1)
    cut = flat[:room]
    while cell_len(cut) > room:  # wide characters take two cells
        cut = cut[:-1]
    space = cut.rfind(" ")
    if space > len(cut) // 3:
        cut = cut[:space]
    return cut.rstrip() + "…"
