"""Message handlers that cope with arriving before their screen is composed or after it is gone.

A worker reply, a timer or a dialog's callback can reach a screen while Textual is still
composing it, or while it is being taken down (the app quitting, a screen popped): its children
are then missing and ``query_one`` raises ``NoMatches``. Every handler of a view that touches its
children is wrapped in :func:`when_composed`:

* the node is gone (detached, closing, being pruned): the call is dropped — nobody is there to
  see it;
* the node is attached but not mounted yet (still composing): the call runs again after the
  next refresh, once its children exist;
* otherwise it runs now.
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
    """The node has left (or is leaving) the DOM: its children cannot be relied on."""
    return not node.is_attached or node._closing or node._closed or node._pruning


def when_composed(handler: Callable[Concatenate[N, P], None]) -> Callable[Concatenate[N, P], None]:
    """Run ``handler`` only while its widget (a screen) is composed; see the module docstring."""

    @functools.wraps(handler)
    def run(self: N, *args: P.args, **kwargs: P.kwargs) -> None:
        if gone(self):
            return
        if not self.is_mounted:
            self.call_after_refresh(run, self, *args, **kwargs)
            return
        handler(self, *args, **kwargs)

    setattr(run, "guarded", True)  # noqa: B010 - lets a test find handlers that are not guarded
    return run


def is_guarded(function: object) -> bool:
    """Whether ``function`` is wrapped in :func:`when_composed`."""
    return bool(getattr(function, "guarded", False))
