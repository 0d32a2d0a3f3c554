"""The idle lock: after a while without a key press, nothing secret stays on screen.

The app hides every revealed value (each view's ``conceal()``), clears the clipboard if it still
holds what vault-tui put there, and shows this screen over everything. A key press (or, when
the settings say so, a new sign-in) brings the user back to where they were.
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Center, Middle
from textual.screen import Screen
from textual.widgets import Static


class LockScreen(Screen[None]):
    """Covers the whole app; dismissed by any key (the app decides whether to sign in again)."""

    VIEW_TITLE = "Locked"
    BINDINGS = []  # every key unlocks; none reaches the views underneath

    def __init__(self, minutes: float, sign_in: bool) -> None:
        super().__init__()
        self.minutes = minutes
        self.sign_in = sign_in

    def compose(self) -> ComposeResult:
        how = "sign in again" if self.sign_in else "press any key"
        with Middle():
            with Center():
                yield Static(
                    Text.assemble(
                        ("vault-tui is locked", "bold"),
                        f"\n\nNothing was used for {self.minutes:g} min: revealed values were hidden again "
                        "and the clipboard was cleared.\n",
                        (f"To carry on, {how}.", "bold"),
                    ),
                    id="lock-message",
                )

    def on_key(self, event: events.Key) -> None:
        event.stop()
        event.prevent_default()
        self.dismiss(None)

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.dismiss(None)
