"""The typed view of the running app that screens and widgets use.

Widgets may not import :mod:`vault_tui.app` (only the CLI does). They reach the app's services
through :func:`vault_app`, which casts ``node.app`` once to the :class:`AppContext` protocol
instead of a ``type: ignore`` at every use.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, cast

if TYPE_CHECKING:
    from textual.dom import DOMNode
    from textual.screen import Screen

    from .config import AppConfig
    from .session import Session
    from .vault.errors import VaultError
    from .worker import VaultWorker


class AppContext(Protocol):
    """What vault-tui's app offers its views, beyond Textual's ``App``."""

    worker: VaultWorker
    config: AppConfig
    session: Session
    now: datetime
    quit_guards: list[Callable[[], Awaitable[bool]]]

    def copy_secret(self, text: str, label: str = "value") -> None: ...

    def report_error(self, error: VaultError, action: str = "") -> None: ...

    def view_screen(self, name: str) -> Screen[Any] | None: ...

    def action_view(self, name: str) -> None: ...

    def show_view(self, name: str, then: Callable[[Screen[Any]], None] | None = None) -> None: ...

    def explain_refusal(self, action: str) -> None: ...

    def keep_draft(self, owner: str, description: str, discard: Callable[[], None] | None = None) -> None: ...

    def drop_draft(self, owner: str) -> None: ...


def vault_app(node: DOMNode) -> AppContext:
    """``node.app`` as vault-tui's app."""
    return cast("AppContext", node.app)
