"""Message handlers that cope with arriving before their screen is composed or after it is gone.

A worker reply, a keep-alive report or a timer may reach the lease screen while it is still
composing (its children do not exist yet) or after it has left the app (its children are gone):
:func:`when_composed` runs the handler only when the screen is composed and attached, defers it
until after the next refresh while the screen is composing, and drops it once the screen is gone.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from textual.dom import DOMNode
from textual.widget import Widget

P = ParamSpec("P")
N = TypeVar("N", bound=Widget)


def gone(node: DOMNode) -> bool:
    """The node has left the app (or never joined it): nothing to update."""
    return not node.is_attached or getattr(node, "_closing", False) or getattr(node, "_closed", False)


def composed(node: Widget) -> bool:
    """The node is attached, mounted and has composed its children: safe to query."""
    return not gone(node) and node.is_mounted


def when_composed(handler: Callable[Concatenate[N, P], None]) -> Callable[Concatenate[N, P], None]:
    """Run ``handler`` only while its widget is composed (see the module docstring)."""

    @functools.wraps(handler)
    def run(self: N, *args: P.args, **kwargs: P.kwargs) -> None:
        if gone(self):
            return
        if not self.is_mounted:
            self.call_after_refresh(run, self, *args, **kwargs)
            return
        handler(self, *args, **kwargs)

    return run
