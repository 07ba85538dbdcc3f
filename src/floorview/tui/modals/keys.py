"""The `?` help: every key active on this screen, with the id to remap it by.

Generated from the same bindings that handle the keys, so it cannot drift.
"""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding

from floorview.tui.modals.panel import TextPanel


def keys_text(screen) -> Text:
    app = screen.app
    bindings = [a.binding for a in screen.active_bindings.values() if a.binding.description]
    ours = [(app.get_key_display(b), b.description, b.id) for b in bindings if b.id]
    # Textual's own keys (cursor movement, copy, its ctrl+q) where ours do not cover them.
    covered = {b.action for b in bindings if b.id}
    widget = [(app.get_key_display(b), b.description, "") for b in bindings if not b.id and b.action not in covered]
    text = Text()
    for key, description, bid in ours:
        text.append(f"{key:>8}  ", style="bold")
        text.append(f"{description:<20}")
        text.append(f"{bid}\n", style="dim")
    if widget:
        text.append("\nIn tables and fields\n", style="bold")
        for key, description, _ in widget:
            text.append(f"{key:>8}  {description}\n")
    text.append('\nRemap a key in the config file: [keys] then  id = "key"', style="dim")
    return text


class KeysScreen(TextPanel):
    DEFAULT_CSS = """
    KeysScreen { align: right top; }
    KeysScreen > VerticalScroll { width: 60; max-width: 100%; height: 100%; max-height: 100%; }
    """
    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "Close", id="help.close")]
    body_id = "keys"

    def __init__(self, body: Text) -> None:
        super().__init__("Keys", body)
