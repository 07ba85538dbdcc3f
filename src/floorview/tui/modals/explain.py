"""The explain view: formula, inputs, settings and units behind a number."""

from __future__ import annotations

from textual.binding import Binding

from floorview.tui.modals.panel import TextPanel


class ExplainScreen(TextPanel):
    BINDINGS = [Binding("escape,e,q", "dismiss", "Close", id="explain.close")]
