"""Messages shared across the app, all dataclasses. Results of Vault calls arrive as these.

A view's own messages are nested classes of the view (e.g. ``PathTree.Loaded``); only what more
than one part of the app handles lives here.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from .vault.errors import VaultError
from .vault.models import Mount, ServerInfo, TokenInfo


@dataclass
class VaultFailed(Message):
    """A Vault call failed. ``action`` says what was being done, in words, for the UI."""

    error: VaultError
    action: str = ""
    key: str | None = None


@dataclass
class SessionReady(Message):
    """Connected and the token checked: the session can start (or carry on)."""

    server: ServerInfo
    token: TokenInfo


@dataclass
class ConnectFailed(Message):
    error: VaultError
    server: ServerInfo | None = None


@dataclass
class TokenRenewed(Message):
    token: TokenInfo


@dataclass
class TokenLost(Message):
    """The session token can no longer be used (expired, revoked, max TTL reached)."""

    error: VaultError


@dataclass
class LinkChanged(Message):
    """The health of the connection changed: another node, sealed, unreachable, back."""

    link: str  # a session.Link value
    addr: str  # the node vault-tui now talks to
    leader_addr: str = ""
    problem: str = ""  # why it is not healthy, one sentence
    moved_from: str = ""  # set when vault-tui moved to another node by itself
    server: ServerInfo | None = None
    recovered: bool = False  # a call had failed as if the server were away, and it answers now


@dataclass
class MountsLoaded(Message):
    mounts: tuple[Mount, ...]
