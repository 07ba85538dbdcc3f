"""The quarantine list: records the feed sent that failed validation, with why."""

from __future__ import annotations

from rich.text import Text

from floorview.domain.sitetime import SiteTime
from floorview.store.quarantine import Quarantined
from floorview.tui.bindings import bind
from floorview.tui.modals.panel import TextPanel

LIMIT = 500  # records listed; the count says how many there are


def quarantine_text(total: int, rows: list[Quarantined], site: SiteTime) -> Text:
    text = Text()
    if not rows:
        text.append("Nothing is quarantined: every record the hub sent was valid.")
        return text
    text.append(
        f"{total} record{'s' if total != 1 else ''} set aside, newest first"
        f"{f' (the latest {LIMIT} shown)' if total > LIMIT else ''}. The rest of each page was applied.\n\n"
    )
    for q in rows:  # text from the hub: plain Text, never markup
        text.append(f"{site.fmt(q.received_at, '%d %b %H:%M:%S')}  {q.kind} {q.record_id} v{q.version}\n", style="bold")
        text.append(f"    {q.reason}\n")
    return text


class QuarantineScreen(TextPanel):
    DEFAULT_CSS = """
    QuarantineScreen > VerticalScroll { width: 90%; max-width: 100%; height: 80%; border: round $warning; }
    """
    BINDINGS = [bind("panel.close", "dismiss")]
    body_id = "quarantine"

    def __init__(self, body: Text) -> None:
        super().__init__("Quarantined records", body)
