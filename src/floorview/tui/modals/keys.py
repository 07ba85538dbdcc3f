"""The `?` help: every intent active on this screen, once, with all its keys
and the id to remap it by. Generated from the same bindings that handle the
keys, so it cannot drift."""

from __future__ import annotations

from rich.text import Text
from textual.screen import Screen

from floorview.tui.bindings import bind
from floorview.tui.modals.panel import TextPanel

MOVING = "↑ ↓ ← →  PgUp PgDn  Home End"


def _section(intent_id: str) -> int:
    """This screen's keys first, then the screens, then the app's."""
    if intent_id.startswith("screen."):
        return 1
    if intent_id.startswith("app."):
        return 2
    return 0


def keys_text(screen: Screen[object]) -> Text:
    app = screen.app
    by_id: dict[str, tuple[list[str], str]] = {}
    for active in screen.active_bindings.values():
        b = active.binding
        if not b.id or not b.description:
            continue  # Textual's own keys: movement is one line below
        keys, _ = by_id.setdefault(b.id, ([], b.description))
        shown = app.get_key_display(b)
        if shown not in keys:
            keys.append(shown)
    rows = sorted(by_id.items(), key=lambda item: _section(item[0]))
    keys_w = max([len(" ".join(keys)) for _, (keys, _) in rows] + [len("↑ ↓ ← →")])
    desc_w = max([len(d) for _, (_, d) in rows] + [len("Move the cursor")])
    text = Text()
    titles = ("This screen", "Screens", "Anywhere")
    section = -1
    for intent_id, (keys, description) in rows:
        if _section(intent_id) != section:
            section = _section(intent_id)
            text.append(("\n" if text else "") + titles[section] + "\n", style="bold")
        text.append(f"{' '.join(keys):>{keys_w}}  ", style="bold")
        text.append(f"{description:<{desc_w}}  ")
        text.append(f"{intent_id}\n", style="dim")
    text.append(f"\n{MOVING}  move the cursor in a list; enter opens\n")
    text.append('\nRemap a key in the config file: [keys] then  id = "key"', style="dim")
    return text


class KeysScreen(TextPanel):
    DEFAULT_CSS = """
    KeysScreen { align: right top; }
    KeysScreen > VerticalScroll { width: 64; max-width: 100%; height: 100%; max-height: 100%; }
    """
    BINDINGS = [bind("panel.close", "dismiss"), bind("app.help", "dismiss", show=False)]
    body_id = "keys"

    def __init__(self, body: Text) -> None:
        super().__init__("Keys", body)
