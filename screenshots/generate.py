"""Regenerate the README screenshots (SVG) from a real demo session.

    python screenshots/generate.py

Starts the same seeded OpenBao (+ PostgreSQL) as ``vault-tui --demo``, drives the app with
Textual's Pilot, and saves one SVG per view into this folder. Values stay masked and only
demo data is used; no token is shown (the session bar shows the token's display name only).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from vault_tui.app import make_app  # noqa: E402
from vault_tui.config import AppConfig  # noqa: E402
from vault_tui.demo.environment import DemoEnvironment  # noqa: E402
from vault_tui.demo.seed import KV2_MOUNT, MANY_VERSIONS_PATH  # noqa: E402

SIZE = (140, 40)


async def settle(pilot: Any, until: Callable[[], Any] | None = None, timeout: float = 15.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while until is not None and not until():
        if loop.time() > deadline:
            raise RuntimeError("screenshot step timed out")
        await pilot.pause(0.1)
    try:
        await asyncio.wait_for(pilot.app.workers.wait_for_complete(), timeout=10)
    except Exception:
        pass  # cancelled (superseded) or long-running workers: nothing to wait for
    await pilot.pause(0.5)


async def shoot(config: AppConfig, name: str, steps: Callable[[Any], Awaitable[None]]) -> None:
    app = make_app(config, tick=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: app.session.ready)
        await steps(pilot)
        path = HERE / f"{name}.svg"
        app.save_screenshot(str(path))
        print(f"wrote {path.relative_to(HERE.parent)}")


async def browser(pilot: Any) -> None:
    from vault_tui.views.secrets.tree import PathTree

    tree = pilot.app.screen.query_one(PathTree)
    await settle(
        pilot,
        lambda: (
            tree.cursor_node is not None
            and tree.cursor_node.data is not None
            and tree.cursor_node.data.path == MANY_VERSIONS_PATH
        ),
    )


async def transit(pilot: Any) -> None:
    """Encrypt a line with the demo's payments key, then decrypt it again (f4 uses the output)."""
    pilot.app.action_view("transit")
    await settle(pilot)
    await pilot.pause(1.0)
    await pilot.press("e")
    await pilot.pause(0.3)
    for ch in "card 4000-0000-0000-0002 (demo)":
        await pilot.press(ch if ch != " " else "space")
    await pilot.press("ctrl+r")
    await settle(pilot)
    await pilot.pause(0.5)


async def leases(pilot: Any) -> None:
    pilot.app.action_view("leases")
    await settle(pilot)
    await pilot.pause(2.0)
    await settle(pilot)


async def search(pilot: Any) -> None:
    """ctrl+f over the demo's KV mount: the index is built, then a fragment is typed."""
    from vault_tui.views.secrets.search import SearchScreen

    await browser(pilot)
    await pilot.press("ctrl+f")
    await settle(pilot, lambda: isinstance(pilot.app.screen, SearchScreen))
    panel = pilot.app.screen
    await settle(pilot, lambda: not panel.indexer.running())
    for ch in "prod db":
        await pilot.press(ch if ch != " " else "space")
    await settle(pilot)


async def pki(pilot: Any) -> None:
    pilot.app.action_view("pki")
    await settle(pilot)
    await pilot.pause(2.0)
    await settle(pilot)


async def lint(pilot: Any) -> None:
    pilot.app.action_view("lint")
    await settle(pilot)
    await pilot.pause(3.0)
    await settle(pilot)


async def cluster(pilot: Any) -> None:
    pilot.app.action_view("cluster")
    await settle(pilot)
    await pilot.pause(2.0)
    await settle(pilot)


async def help_screen(pilot: Any) -> None:
    await browser(pilot)
    await pilot.press("question_mark")
    await settle(pilot)


async def main() -> None:
    with DemoEnvironment() as demo:

        def config(**extra: Any) -> AppConfig:
            cfg = AppConfig(connection=demo.settings, demo=True, **extra)
            return cfg

        await shoot(config(initial_path=f"{KV2_MOUNT}/{MANY_VERSIONS_PATH}"), "browser", browser)
        await shoot(config(initial_path=f"{KV2_MOUNT}/{MANY_VERSIONS_PATH}"), "help", help_screen)
        await shoot(config(), "leases", leases)
        await shoot(config(), "transit", transit)
        await shoot(config(initial_path=f"{KV2_MOUNT}/{MANY_VERSIONS_PATH}"), "search", search)
        await shoot(config(), "pki", pki)
        await shoot(config(), "lint", lint)
        await shoot(config(), "cluster", cluster)


if __name__ == "__main__":
    asyncio.run(main())
