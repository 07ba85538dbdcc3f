"""The quarantine list: records the feed sent that failed validation, with why."""

from __future__ import annotations

import sqlite3

from rich.text import Text
from floorview.tui.bindings import bind

from floorview.domain.sitetime import SiteTime
from floorview.domain.text import clean
from floorview.tui.modals.panel import TextPanel

LIMIT = 500


def quarantine_text(con: sqlite3.Connection, site: SiteTime) -> Text:
    rows = con.execute(
        "SELECT kind, record_id, version, reason, received_at FROM quarantine ORDER BY seq DESC LIMIT ?", (LIMIT,)
    ).fetchall()
    total = con.execute("SELECT count(*) FROM quarantine").fetchone()[0]
    text = Text()
    if not rows:
        text.append("Nothing is quarantined: every record the hub sent was valid.")
        return text
    text.append(
        f"{total} record{'s' if total != 1 else ''} set aside, newest first"
        f"{f' (the latest {LIMIT} shown)' if total > LIMIT else ''}. The rest of each page was applied.\n\n"
    )
    for kind, rid, version, reason, at in rows:
        # Kind, id and reason come from the hub: plain text, never markup, and
        # cleaned of control characters (again: a store may predate the sync's cleaning).
        text.append(
            f"{site.fmt(at, '%d %b %H:%M:%S')}  {clean(str(kind))} {clean(str(rid))} v{version}\n", style="bold"
        )
        text.append(f"    {clean(str(reason))}\n")
    return text


class QuarantineScreen(TextPanel):
    DEFAULT_CSS = """
    QuarantineScreen > VerticalScroll { width: 90%; max-width: 100%; height: 80%; border: round $warning; }
    """
    BINDINGS = [bind("panel.close", "dismiss")]
    body_id = "quarantine"

    def __init__(self, body: Text) -> None:
        super().__init__("Quarantined records", body)
