"""Test helpers shared by the Pilot tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from vault_tui.app import VaultApp, make_app
from vault_tui.config import AppConfig
from vault_tui.vault.client import ConnectionSettings


def app_for(settings: ConnectionSettings, **config: Any) -> VaultApp:
    return make_app(AppConfig(connection=settings, **config))


async def wait_for(pilot: Any, predicate: Callable[[], Any], timeout: float = 60.0, what: str = "condition") -> Any:
    """Pause the pilot until ``predicate()`` is truthy (workers finish, messages arrive)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.05)


async def wait_ready(pilot: Any) -> None:
    app = pilot.app
    await wait_for(pilot, lambda: view_mounted(app), what="session ready and view mounted")
    await pilot.pause()


async def edit_secret(pilot: Any, path: str, value: str, timeout: float = 60.0) -> Any:
    """With the browser on ``path`` (a KV secret), open the editor with ``e`` and type ``value``
    into the first field. Returns the editor screen."""
    from vault_tui.views.secrets.editor import SecretEditorScreen
    from vault_tui.views.secrets.tree import PathTree

    app = pilot.app
    tree = app.screen.query_one(PathTree)
    await wait_for(pilot, lambda: tree.cursor_node is not None and tree.cursor_node.data.path == path, timeout, path)
    detail = app.screen.query_one("#detail")
    await wait_for(pilot, lambda: detail.metadata is not None, timeout, "secret loaded")
    detail.query_one("#data-table").focus()
    await pilot.press("e")
    await wait_for(pilot, lambda: screen_ready(app, SecretEditorScreen), timeout, "editor")
    editor = app.screen
    editor.query(".kv-value").first().value = value
    return editor


def view_mounted(app: Any) -> bool:
    """The session is up and the first view's screen has composed and mounted."""
    screen = app.screen
    return bool(app.session.ready and type(screen).__name__ != "ConnectingScreen" and screen.is_mounted)


def tree_labels(tree: Any) -> list[str]:
    out: list[str] = []

    def walk(node: Any) -> None:
        for child in node.children:
            out.append(str(child.label.plain))
            walk(child)

    walk(tree.root)
    return out


def screen_ready(app: Any, kind: type) -> bool:
    """``app.screen`` is a ``kind`` and has composed and mounted (safe to query and click)."""
    screen = app.screen
    return isinstance(screen, kind) and screen.is_mounted and bool(screen.children)
