"""The key footer, with `?` first: at 80 columns a footer of many keys is cut
on the right, and the one key that finds all the others must never be.

Keys that do not fit whole are left out from the right, never shown cut
("q Qui"): `?` lists them all."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey  # Textual exports the footer's key widget only from here

HELP_ACTION = "help"  # the app's `app.help` intent


class KeyFooter(Footer):
    def compose(self) -> ComposeResult:
        widgets = list(super().compose())
        first = [w for w in widgets if isinstance(w, FooterKey) and w.action.rsplit(".", 1)[-1] == HELP_ACTION]
        yield from first
        yield from (w for w in widgets if w not in first)
        self.call_after_refresh(self._fit)

    def on_resize(self) -> None:
        self.call_after_refresh(self._fit)

    def _fit(self) -> None:
        """Show the keys, in order, that fit whole beside the palette key; hide the rest.
        Widths come from each key's content and styles, not its layout, so one pass does."""
        if not self.is_attached or not self.size.width:
            return
        keys = [w for w in self.children if not w.has_class("-command-palette")]
        room = self.size.width - sum(self._width(w) for w in self.children if w.has_class("-command-palette"))
        used = 0
        for widget in keys:
            width = self._width(widget)
            fits = used + width - widget.styles.margin.right <= room  # a key's right margin may meet the edge
            used = used + width if fits else room + 1  # keys stay in order: none after a key left out
            widget.display = fits

    def _width(self, widget: Widget) -> int:
        """The columns a footer key takes: its content, padding, border and margins."""
        content = widget.get_content_width(self.size, self.app.size)
        return content + widget.styles.gutter.width + widget.styles.margin.width
