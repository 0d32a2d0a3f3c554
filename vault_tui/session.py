"""The session: one frozen value, owned by the app and replaced whole.

Everything the UI shows about "where am I connected, as whom" is in :class:`Session`. The app
holds it in a reactive attribute and replaces it with :func:`dataclasses.replace`; views and the
session bar watch it. Nothing outside the app writes it. Textual-free.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from .vault.models import ServerInfo, TokenInfo


class Link(StrEnum):
    """How the connection to the current node stands."""

    CONNECTING = "connecting"
    ACTIVE = "active"
    STANDBY = "standby"
    SEALED = "sealed"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class Session:
    """Server, node, token and settings of the running session."""

    addr: str = ""  # the node vault-tui talks to now
    addrs: tuple[str, ...] = ()  # every address configured for this profile (a cluster)
    server: ServerInfo | None = None
    leader_addr: str = ""  # the active node, as the cluster reports it
    link: Link = Link.CONNECTING
    token: TokenInfo | None = None
    token_source: str = ""  # where the token came from: "VAULT_TOKEN", "keyring (profile x)", "sign-in"…
    namespace: str | None = None
    profile: str | None = None
    read_only: bool = False
    ready: bool = False  # connected and signed in at least once
    last_good: datetime | None = None  # the last time the server answered
    problem: str = ""  # why the link is not healthy, in one sentence

    @property
    def healthy(self) -> bool:
        return self.link in (Link.ACTIVE, Link.STANDBY)

    @property
    def stale(self) -> bool:
        """The server is not answering now: what views show may be out of date."""
        return self.ready and self.link in (Link.UNREACHABLE, Link.SEALED)

    def stale_for(self, now: datetime) -> float | None:
        """Seconds since the server last answered, when stale."""
        if not self.stale or self.last_good is None:
            return None
        return max(0.0, (now - self.last_good).total_seconds())
