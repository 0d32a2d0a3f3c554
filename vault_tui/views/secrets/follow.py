"""The detail pane follows the tree's cursor once the cursor rests.

Every cursor move used to load the secret under it at once (three requests per move): a burst of
arrows sent hundreds of reads and the pane trailed far behind. :class:`CursorFollower` waits until
the cursor has rested for :data:`REST` seconds, and while input is still waiting to be handled
(keys the app has received but not processed yet: a busy machine falls behind a held-down arrow)
it keeps waiting; each newer move replaces the pending one. ``flush`` shows the pending move now
(``enter`` on a secret moves into its pane).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Generic, TypeVar

from textual.message_pump import MessagePump
from textual.timer import Timer
from textual.widget import Widget

REST = 0.15  # seconds without a move before the pane loads what is under the cursor

T = TypeVar("T")


class CursorFollower(Generic[T]):
    """Calls ``show(item)`` for the latest move once the cursor rests.

    ``busy()`` says whether input is waiting to be handled (then the rest has not begun)."""

    def __init__(
        self,
        owner: Widget,
        show: Callable[[T], None],
        *,
        rest: float = REST,
        busy: Callable[[], bool] | None = None,
    ) -> None:
        self.owner = owner
        self.show = show
        self.rest = rest
        self.busy = busy or (lambda: False)
        self._last_move = float("-inf")
        self._timer: Timer | None = None
        self._pending: T | None = None
        self.deferred = 0  # moves not shown because a newer one came first (for tests)

    def moved(self, item: T) -> None:
        self._last_move = time.monotonic()
        if self._pending is not None:
            self.deferred += 1
        self.cancel()
        self._pending = item
        self._timer = self.owner.set_timer(self.rest, self._fire)

    def _fire(self) -> None:
        self._timer = None
        if self._pending is None:
            return
        if self.busy():
            self._timer = self.owner.set_timer(self.rest / 3, self._fire)  # keys still to handle
            return
        waited = time.monotonic() - self._last_move
        if waited < self.rest * 0.95:
            self._timer = self.owner.set_timer(self.rest - waited, self._fire)
            return
        self.flush()

    def flush(self) -> None:
        """Show the pending move now (if any)."""
        item, self._pending = self._pending, None
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if item is not None:
            self.show(item)

    def cancel(self) -> None:
        """Forget the pending move (another kind of node was chosen, or the view closes)."""
        self._pending = None
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    @property
    def waiting(self) -> bool:
        return self._pending is not None


def input_waiting(*pumps: MessagePump) -> bool:
    """Whether any of these (the app, the focused widget) has messages not handled yet."""
    for pump in pumps:
        queue = getattr(pump, "_message_queue", None)
        if queue is not None and queue.qsize():
            return True
    return False
