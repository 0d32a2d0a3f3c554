"""The top status line: server, profile/namespace, token identity and a live token TTL."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.widgets import Static

from ..safe import visible
from ..timefmt import format_ttl


class SessionBar(Static):
    DEFAULT_CSS = """
    SessionBar { dock: top; height: 1; background: $panel; color: $text; padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__("", markup=False, id="session-bar")

    def on_mount(self) -> None:
        self.watch(self.app, "now", self._tick, init=False)
        self.watch(self.app, "session_version", self._refresh_all, init=True)

    def _refresh_all(self, _value: object = None) -> None:
        self.update(self.render_bar())

    def _tick(self, _now: datetime) -> None:
        token = getattr(self.app, "token", None)
        if token is not None and token.expire_time is not None:
            self.update(self.render_bar())

    def render_bar(self) -> Text:
        app = self.app
        server = getattr(app, "server", None)
        token = getattr(app, "token", None)
        config = getattr(app, "config", None)
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append("vault-tui ", style="bold")
        if server is not None:
            text.append(f"{server.flavor} {server.version}", style="bold cyan")
            text.append(" sealed" if server.sealed else (" standby" if server.standby else " active"),
                        style="red" if server.sealed else "green")
            text.append(f"  {visible(server.address)}", style="dim")
        else:
            text.append("connecting…", style="dim")
        if config is not None:
            if config.profile:
                text.append(f"  profile:{visible(config.profile)}", style="magenta")
            namespace = getattr(app, "namespace", None) or config.connection.namespace
            if namespace:
                text.append(f"  ns:{visible(namespace)}", style="magenta")
            if config.connection.skip_verify:
                text.append("  TLS NOT VERIFIED", style="bold reverse red")
            if config.read_only:
                text.append("  READ-ONLY", style="bold reverse yellow")
            if config.demo:
                text.append("  DEMO", style="bold reverse blue")
        if token is not None:
            text.append(f"  {visible(token.display_name or 'token')}", style="bold")
            policies = ",".join(token.policies[:4]) + ("…" if len(token.policies) > 4 else "")
            text.append(f" [{visible(policies)}]", style="dim")
            if token.expire_time is None:
                text.append("  ttl ∞", style="dim")
            else:
                remaining = (token.expire_time - app.now).total_seconds()  # type: ignore[attr-defined]
                style = "red" if remaining < 60 else ("yellow" if remaining < 600 else "green")
                text.append(f"  ttl {format_ttl(remaining)}", style=style)
        return text
