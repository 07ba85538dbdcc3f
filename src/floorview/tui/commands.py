"""The command palette's commands: the intents active on the screen, once
each (screens and this screen's actions first), generated from the same
bindings that handle the keys. Textual's own movement keys are left out:
nobody looks for "Cursor up" in a palette."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider


def _order(intent_id: str) -> int:
    return 0 if intent_id.startswith("screen.") else 2 if intent_id.startswith("app.") else 1


class BindingCommands(Provider):
    def _commands(self) -> Iterator[tuple[str, str, Callable[[], object]]]:
        seen: set[str] = set()
        found = []
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if not binding.id or not binding.description or binding.id in seen or not active.enabled:
                continue
            seen.add(binding.id)
            display = self.app.get_key_display(binding)
            run = partial(self.app.run_action, binding.action, active.node)
            found.append((_order(binding.id), binding.description, display, run))
        for _, description, display, run in sorted(found, key=lambda f: f[0]):
            yield description, display, run

    async def discover(self) -> Hits:
        for description, key, run in self._commands():
            yield DiscoveryHit(description, run, help=f"key: {key}")

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for description, key, run in self._commands():
            score = matcher.match(description)
            if score > 0:
                yield Hit(score, matcher.highlight(description), run, help=f"key: {key}")
