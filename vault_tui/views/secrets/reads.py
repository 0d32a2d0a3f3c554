"""Replies to the detail pane's own reads (they do not bubble: only the pane handles them).

Each carries the pane's generation at the time of the request, so a reply for a secret the user
has left is recognised and dropped.
"""

from __future__ import annotations

from typing import Any

from textual.message import Message

from ...vault.errors import VaultError


class _DetailMessage(Message, bubble=False):
    """Results of this pane's own reads (they do not bubble)."""


class DetailLoaded(_DetailMessage):
    def __init__(self, generation: int, what: str, result: Any) -> None:
        super().__init__()
        self.generation, self.what, self.result = generation, what, result


class DetailLoadFailed(_DetailMessage):
    def __init__(self, generation: int, what: str, error: VaultError) -> None:
        super().__init__()
        self.generation, self.what, self.error = generation, what, error
