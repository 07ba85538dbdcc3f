"""The huddle's data as text: figures in large type that scale with the
screen, and the rest of the team's day laid out to the width. Plain Text,
never markup: team names, kudos and verbatims are feed text."""

from __future__ import annotations

from floorview.domain.units import counted

from rich.text import Text
from textual.renderables.digits import DIGITS, DIGITS3X3_BOLD

from floorview.export import channel_table, day_line, other_figures, table_note, talk_heading
from floorview.domain.sitetime import SiteTime
from floorview.store.huddle import Huddle

MAX_SCALE = 6  # 15 rows a digit: past that the figures crowd the rest out
REST_ROWS = 26  # kept for the rest of the day (the channel table, coaching, kudos, words) below the figures
GAP = "   "  # between "name: value" pairs on one line

# The strokes each box-drawing character of the 3x3 font draws out of its cell.
_UP, _DOWN, _LEFT, _RIGHT = 1, 2, 4, 8
_STROKES = {
    "━": _LEFT | _RIGHT,
    "┃": _UP | _DOWN,
    "┏": _RIGHT | _DOWN,
    "┓": _LEFT | _DOWN,
    "┗": _UP | _RIGHT,
    "┛": _UP | _LEFT,
    "┣": _UP | _DOWN | _RIGHT,
    "┫": _UP | _DOWN | _LEFT,
    "┳": _LEFT | _RIGHT | _DOWN,
    "┻": _LEFT | _RIGHT | _UP,
    "╋": _UP | _DOWN | _LEFT | _RIGHT,
    "╺": _RIGHT,
    "╸": _LEFT,
    "╻": _DOWN,
    "╹": _UP,
}


def _joins(a: str, b: str, first: int, second: int) -> bool:
    return bool(_STROKES.get(a, 0) & first and _STROKES.get(b, 0) & second)


def glyph(ch: str, scale: int) -> list[str]:
    """One character in large type, 3 + 2 x scale rows tall: Textual's 3x3
    font with each stroke drawn longer (a stroke between two cells is
    continued through the rows and columns put between them)."""
    height = 3 + 2 * scale
    if ch == ":":
        rows = [" "] * height
        if scale == 0:
            rows[1] = ":"
        else:
            rows[scale // 2 + 1] = rows[height - scale // 2 - 2] = "•"
        return rows
    if ch not in DIGITS:
        return [" "] * (height // 2) + [ch] + [" "] * (height // 2)
    at = DIGITS.index(ch) * 3
    small = [DIGITS3X3_BOLD[at + r].ljust(3)[:3] for r in range(3)]
    tall: list[str] = []
    for r, row in enumerate(small):  # rows between rows, ┃ where a stroke goes on down
        tall.append(row)
        if r < 2:
            below = small[r + 1]
            fill = "".join("┃" if _joins(row[c], below[c], _DOWN, _UP) else " " for c in range(3))
            tall += [fill] * scale
    out = []
    for row in tall:  # columns between columns, ━ where a stroke goes on across
        wide = row[0]
        for c in (1, 2):
            wide += ("━" if _joins(row[c - 1], row[c], _RIGHT, _LEFT) else " ") * scale + row[c]
        out.append(wide)
    return out


def big_width(text: str, scale: int) -> int:
    return sum(len(glyph(ch, scale)[0]) for ch in text) + (len(text) - 1) * (1 if scale else 0)


def big(text: str, scale: int, style: str = "bold") -> Text:
    """`text` in large type, one line per row (a space between characters once scaled)."""
    glyphs = [glyph(ch, scale) for ch in text]
    sep = " " if scale else ""
    rows = [sep.join(g[r] for g in glyphs) for r in range(3 + 2 * scale)]
    return Text("\n".join(rows), style=style, no_wrap=True, end="")


def scale_for(width: int, height: int, texts: list[str]) -> int:
    """The largest scale at which the figures fit three abreast in `width`
    and leave the rest of the day its rows below them (80x24: the 3-row
    font; 120x40: 9 rows; 200x50: 15)."""
    column = max(1, (width - 2) // 3 - 1)
    rows = height - 4 - REST_ROWS  # the title, the HUDDLE bar, the figures' labels and the status line
    for scale in range(MAX_SCALE, 0, -1):
        if 3 + 2 * scale <= rows and all(big_width(t, scale) <= column for t in texts):
            return scale
    return 0


def wait_figure(asa: float | None) -> tuple[str, str]:
    """The average wait in large type and its unit: m:ss under an hour, h:mm past it."""
    if asa is None:
        return "-", "m:ss"
    if asa < 3600:
        return f"{int(asa) // 60}:{int(asa) % 60:02d}", "m:ss"
    return f"{int(asa) // 3600}:{int(asa) % 3600 // 60:02d}", "h:mm"


def pairs(items: list[tuple[str, str]], width: int) -> Text:
    """ "name: value" pairs on one line where they fit whole, else one a line:
    a pair never breaks over two lines."""
    shown = [f"{n}: {v}" for n, v in items]
    if len(GAP.join(shown)) <= width:
        return Text(GAP.join(shown))
    return Text("\n".join(shown))


def packed(items: list[str], width: int, indent: str = "  ") -> str:
    """Items on lines of `width`, as many a line as fit whole, GAP between them:
    an item never breaks over two lines (one wider than a line has one to itself)."""
    lines: list[str] = []
    for item in items:
        if lines and len(lines[-1]) + len(GAP) + len(item) <= width:
            lines[-1] += GAP + item
        else:
            lines.append(indent + item)
    return "\n".join(lines)


def rest(data: Huddle, site: SiteTime, width: int) -> Text:
    """Under the large figures: today by channel, then the week's coaching,
    kudos, customers' words and the talk/walk sentence of the team."""
    out = Text()
    head, rows = channel_table(data)
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    out.append("  ".join(h.rjust(w) if i else h.ljust(w) for i, (h, w) in enumerate(zip(head, widths))), style="bold")
    out.append("\n")
    for row in rows:
        out.append("  ".join(v.rjust(w) if i else v.ljust(w) for i, (v, w) in enumerate(zip(row, widths))))
        out.append("\n")
    if not rows:
        out.append("nothing answered or offered yet today\n")
    out.append(table_note(data) + " " + day_line(data, site) + "\n", style="dim")
    out.append_text(pairs(other_figures(data), width))
    out.append("\n\n")
    out.append(f"Coaching themes this week ({counted(data.coaching_notes, 'note')}, no names)\n", style="bold")
    out.append((packed([f"{t} · {s}: {n}" for t, s, n in data.themes], width) or "  none yet") + "\n")
    out.append(f"Kudos this week ({data.kudos_count})\n", style="bold")
    for name, words in data.kudos[:3]:
        out.append("  ★ ")
        out.append(name, style="bold")
        out.append(": ")
        out.append(" ".join(words.split()))
        out.append("\n")
    if not data.kudos:
        out.append("  none yet\n")
    out.append("Customers today, in their words\n", style="bold")
    for v in data.verbatims[:3]:
        out.append("  “")
        out.append(" ".join(v.split()))
        out.append("”\n")
    if not data.verbatims:
        out.append("  no verbatims yet today\n")
    if data.sentence:
        out.append(talk_heading(data) + "\n", style="bold")
        out.append("  " + data.sentence + "\n")
    return out


def marker(who: str, clock: str, partial: bool, width: int) -> Text:
    """The HUDDLE bar: the site's clock, whose day it is, and what it leaves out."""
    text = Text(" HUDDLE ", style="reverse")
    text.append("  ")
    text.append(clock, style="bold")
    text.append("  ")
    text.append(who)  # a team name is feed text: a Text span, never markup
    tail = " · no private notes or customer details"
    if partial:
        tail += " · catching up"
    if text.cell_len + len(tail) + len(" · h back") <= width:
        tail += " · h back"
    text.append(tail)
    return text
