"""The top status line: server, node state, leader, profile/namespace, token identity and TTL.

It renders :attr:`VaultApp.session` (attributes down): it watches the session and the clock, and
never asks the server anything itself. When the server is away it says so, with the age of what
the views show ("stale: last good 42 s ago").
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.widgets import Static

from ..context import vault_app
from ..safe import visible
from ..session import Link, Session
from ..timefmt import format_ttl

LINK_STYLE = {
    Link.CONNECTING: "dim",
    Link.ACTIVE: "bold green",
    Link.STANDBY: "bold yellow",
    Link.SEALED: "bold reverse red",
    Link.UNREACHABLE: "bold reverse red",
}


class SessionBar(Static):
    def __init__(self) -> None:
        super().__init__("", markup=False, id="session-bar")

    def on_mount(self) -> None:
        app = vault_app(self)
        self.watch(self.app, "now", self._tick, init=False)
        self.watch(self.app, "session", self._refresh_all, init=False)
        self.update(
            render_bar(app.session, app.now, demo=app.config.demo, skip_verify=app.config.connection.skip_verify)
        )

    def _refresh_all(self, _value: object = None) -> None:
        app = vault_app(self)
        self.update(
            render_bar(app.session, app.now, demo=app.config.demo, skip_verify=app.config.connection.skip_verify)
        )

    def _tick(self, _now: datetime) -> None:
        session = vault_app(self).session
        if (session.token is not None and session.token.expire_time is not None) or session.stale:
            self._refresh_all()


def render_bar(session: Session, now: datetime, *, demo: bool = False, skip_verify: bool = False) -> Text:
    """The bar's text for a session at ``now`` (pure: tested without an app)."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append("vault-tui ", style="bold")
    server = session.server
    if server is not None:
        text.append(f"{visible(server.flavor)} {visible(server.version)} ", style="bold cyan")
    link = session.link
    label = link.value if session.ready or link is not Link.CONNECTING else "connecting…"
    text.append(label, style=LINK_STYLE[link])
    text.append(f" {visible(session.addr)}", style="dim")
    if session.leader_addr and session.leader_addr.rstrip("/") != session.addr.rstrip("/"):
        text.append(f"  leader {visible(session.leader_addr)}", style="dim")
    stale_for = session.stale_for(now)
    if stale_for is not None:
        text.append(f"  STALE: last good {format_ttl(stale_for)} ago", style="bold yellow")
    if session.profile:
        text.append(f"  profile:{visible(session.profile)}", style="magenta")
    if session.namespace:
        text.append(f"  ns:{visible(session.namespace)}", style="magenta")
    if skip_verify:
        text.append("  TLS NOT VERIFIED", style="bold reverse red")
    if session.read_only:
        text.append("  READ-ONLY", style="bold reverse yellow")
    if demo:
        text.append("  DEMO", style="bold reverse blue")
    token = session.token
    if token is not None:
        text.append(f"  {visible(token.display_name or 'token')}", style="bold")
        if session.token_source and session.token_source not in ("given", "none"):
            text.append(f" ({visible(session.token_source)})", style="dim")
        policies = ",".join(token.policies[:4]) + ("…" if len(token.policies) > 4 else "")
        text.append(f" [{visible(policies)}]", style="dim")
        if token.expire_time is None:
            text.append("  ttl ∞", style="dim")
        else:
            remaining = (token.expire_time - now).total_seconds()
            style = "red" if remaining < 60 else ("yellow" if remaining < 600 else "green")
            text.append(f"  ttl {format_ttl(remaining)}", style=style)
    elif session.ready:
        text.append("  not signed in", style="bold red")
    return text
