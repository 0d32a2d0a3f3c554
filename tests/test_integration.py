"""Cross-view flows: credentials from a database mount in the tree, and the quit prompt."""

from __future__ import annotations

import hvac
import pytest
from lease_fixtures import *  # noqa: F401,F403 - lease_db, db_role fixtures

from tests.helpers import app_for, screen_ready, wait_for, wait_ready
from vault_tui.views.leases.dialogs import QuitLeasesScreen
from vault_tui.views.secrets.tree import PathTree


def _lease_alive(client: hvac.Client, lease_id: str) -> bool:
    try:
        client.sys.read_lease(lease_id)
        return True
    except hvac.exceptions.InvalidRequest:
        return False


@pytest.mark.parametrize("answer, alive", [("revoke", False), ("keep", True)])
async def test_generate_from_tree_then_quit_offers_revoke(settings, root_client, lease_db, db_role, answer, alive):
    from vault_tui.views.leases.dialogs import GenerateCredsScreen

    app = app_for(settings, initial_path=f"{lease_db}/")
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_ready(pilot)
        tree = app.screen.query_one(PathTree)
        await wait_for(
            pilot,
            lambda: (
                tree.cursor_node is not None
                and tree.cursor_node.data is not None
                and tree.cursor_node.data.mount is not None
                and tree.cursor_node.data.mount.name == lease_db
            ),
            what="database mount selected",
        )
        tree.focus()
        await pilot.press("g")
        picker = await wait_for(
            pilot,
            lambda: app.screen if screen_ready(app, GenerateCredsScreen) else None,
            what="role picker from the tree",
        )
        picker.dismiss((lease_db, db_role))
        leases = app.view_screen("leases")
        await wait_for(pilot, lambda: leases.issued, what="credentials issued")
        lease_id = next(iter(leases.issued))
        assert _lease_alive(root_client, lease_id)
        await pilot.press("ctrl+q")
        prompt = await wait_for(
            pilot, lambda: app.screen if screen_ready(app, QuitLeasesScreen) else None, what="quit prompt"
        )
        assert lease_id in prompt.lease_ids
        await pilot.click(f"#{answer}")
        await wait_for(pilot, lambda: not app.is_running, what="app exit")
    assert _lease_alive(root_client, lease_id) is alive
    if alive:
        root_client.sys.revoke_lease(lease_id)


async def test_quit_prompt_cancel_keeps_the_app(settings, root_client, lease_db, db_role):
    app = app_for(settings, initial_view="leases")
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_ready(pilot)
        leases = app.view_screen("leases")
        leases.generate(lease_db, db_role)
        await wait_for(pilot, lambda: leases.issued, what="credentials issued")
        await pilot.press("ctrl+q")
        try:
            await wait_for(pilot, lambda: screen_ready(app, QuitLeasesScreen), what="quit prompt")
        except AssertionError as error:  # say what was there instead (seen once on a busy machine)
            stack = [type(screen).__name__ for screen in app.screen_stack] if app.is_running else []
            workers = [(w.group, w.state.name) for w in app.workers]
            raise AssertionError(
                f"{error}: running={app.is_running} stack={stack} guards={len(app.quit_guards)} "
                f"issued={len(leases.issued)} workers={workers}"
            ) from None
        await pilot.press("escape")
        await pilot.pause()
        assert app.is_running
        lease_id = next(iter(leases.issued))
    root_client.sys.revoke_lease(lease_id)
