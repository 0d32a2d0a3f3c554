"""Messages shared across the app. Results of Vault calls arrive as these, posted by the worker."""

from __future__ import annotations

from typing import Any

from textual.message import Message

from .vault.errors import VaultError
from .vault.models import Mount, ServerInfo, TokenInfo


class VaultFailed(Message):
    """A Vault call failed. ``action`` says what was being done, in words, for the UI."""

    def __init__(self, error: VaultError, action: str = "", key: str | None = None) -> None:
        super().__init__()
        self.error = error
        self.action = action
        self.key = key


class VaultResult(Message):
    """A generic typed result: ``result`` is a frozen dataclass (or a tuple of them)."""

    def __init__(self, result: Any, key: str | None = None) -> None:
        super().__init__()
        self.result = result
        self.key = key


class SessionReady(Message):
    def __init__(self, server: ServerInfo, token: TokenInfo) -> None:
        super().__init__()
        self.server = server
        self.token = token


class ConnectFailed(Message):
    def __init__(self, error: VaultError, server: ServerInfo | None = None) -> None:
        super().__init__()
        self.error = error
        self.server = server


class TokenRenewed(Message):
    def __init__(self, token: TokenInfo) -> None:
        super().__init__()
        self.token = token


class TokenLost(Message):
    """The session token can no longer be used (expired, revoked, max TTL reached)."""

    def __init__(self, error: VaultError) -> None:
        super().__init__()
        self.error = error


class MountsLoaded(Message):
    def __init__(self, mounts: tuple[Mount, ...]) -> None:
        super().__init__()
        self.mounts = mounts


class Notice(Message):
    """Something for the status line / a toast."""

    def __init__(self, text: str, severity: str = "information") -> None:
        super().__init__()
        self.text = text
        self.severity = severity
