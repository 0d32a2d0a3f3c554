"""The footer every vault-tui screen uses."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Footer


class KeysFooter(Footer):
    """Textual's Footer, recomposed only when the keys it shows change.

    The stock Footer recomposes (unmounts and mounts a FooterKey per binding, each styled by the
    CSS engine) on every "bindings changed" signal: on every focus change, and on every cursor
    move that changes which actions are available. Each recompose costs 25-50 ms of event-loop
    time (far more on a busy machine), which arrow keys and worker replies then wait for.
    Same keys: skip.
    """

    _shown: tuple[Any, ...] | None = None

    def _signature(self) -> tuple[Any, ...]:
        """What compose() would show: the shown keys and the command palette key."""
        app = self.app
        keys = tuple(
            (
                binding.key,
                app.get_key_display(binding),
                binding.description,
                binding.action,
                enabled,
                tooltip,
                binding.group,
            )
            for (_node, binding, enabled, tooltip) in self.screen.active_bindings.values()
            if binding.show or binding.key == app.COMMAND_PALETTE_BINDING
        )
        return (keys, self.show_command_palette, app.ENABLE_COMMAND_PALETTE)

    def compose(self) -> ComposeResult:
        self._shown = self._signature() if self._bindings_ready else None
        yield from super().compose()

    async def recompose(self) -> None:
        if self._shown is not None and self.is_attached and self._signature() == self._shown:
            return
        await super().recompose()
