"""The explain view: formula, inputs, settings and units behind a number."""

from __future__ import annotations

from floorview.tui.bindings import bind
from floorview.tui.modals.panel import TextPanel


class ExplainScreen(TextPanel):
    # `e` again closes it: remapping explain remaps its close.
    BINDINGS = [bind("panel.close", "dismiss"), bind("view.explain", "dismiss", show=False)]
