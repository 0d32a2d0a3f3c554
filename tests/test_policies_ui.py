"""The policies view: the "check a path" box, keys around it, and replies that race the screen."""

from __future__ import annotations

import pytest
from conftest import unique
from helpers import app_for, screen_ready, wait_for, wait_ready
from textual.widgets import DataTable, Input

from vault_tui.screens.modals import CommandLineScreen, HelpScreen
from vault_tui.views.policies.screen import PoliciesScreen


@pytest.fixture
def policy(root_client):
    name = unique("pol-ui-")
    root_client.sys.create_or_update_policy(name, 'path "secret/data/app/*" { capabilities = ["read"] }\n')
    yield name
    root_client.sys.delete_policy(name)


async def open_policies(pilot) -> PoliciesScreen:
    app = pilot.app
    await wait_ready(pilot)
    await wait_for(
        pilot, lambda: screen_ready(app, PoliciesScreen) and app.screen.policies, timeout=60, what="policies"
    )
    return app.screen


async def test_check_box_takes_colon_and_question_mark_and_escape_leaves_it(settings, policy):
    app = app_for(settings, initial_view="policies")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_policies(pilot)
        await pilot.press("c")  # focus the box
        box = screen.query_one("#policy-path", Input)
        assert app.focused is box
        await pilot.press(*"sys/x", "colon", "question_mark")
        assert box.value == "sys/x:?"
        assert app.screen is screen  # neither the command line nor help opened
        await pilot.press("escape")
        await pilot.pause()
        assert app.focused is not box and isinstance(app.focused, DataTable)
        await pilot.press("colon")
        await wait_for(pilot, lambda: screen_ready(app, CommandLineScreen), what="command line")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, what="command line closed")
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: screen_ready(app, HelpScreen), what="help")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, what="help closed")
        assert box.value == "sys/x:?"


async def test_check_a_path_shows_capabilities(settings, policy):
    app = app_for(settings, initial_view="policies")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_policies(pilot)
        await pilot.press("c", *"secret/data/app/x", "enter")
        panel = screen.query_one("#policy-capabilities")
        await wait_for(pilot, lambda: panel.result is not None, timeout=60, what="capabilities")
        assert "root" in panel.result.capabilities


async def test_every_focusable_shows_focus_without_colour(settings, policy):
    from ui_checks import appearance, focusables, steady_cursors

    app = app_for(settings, initial_view="policies")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_policies(pilot)
        steady_cursors(screen)
        widgets = focusables(screen)
        assert len(widgets) >= 3
        table = screen.query_one("#policies-table")
        for widget in widgets:
            other = table if widget is not table else screen.query_one("#policy-path")
            other.focus()
            await pilot.pause()
            blurred = appearance(app, widget)
            widget.focus()
            await pilot.pause()
            assert appearance(app, widget) != blurred, f"{widget!r} looks the same focused and not (without colour)"


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 50)])
async def test_nothing_is_cut_off(settings, root_client, size):
    from ui_checks import cut_off

    name = unique("pol-long-")
    long_line = 'path "secret/data/' + "very/deep/" * 12 + '*" { capabilities = ["read", "list"] }\n'
    root_client.sys.create_or_update_policy(name, long_line)
    try:
        app = app_for(settings, initial_view="policies")
        async with app.run_test(size=size) as pilot:
            screen = await open_policies(pilot)
            table = screen.query_one("#policies-table", DataTable)
            table.move_cursor(row=[r.key.value for r in table.ordered_rows].index(name))
            await wait_for(
                pilot, lambda: screen.shown is not None and screen.shown.name == name, timeout=60, what="shown"
            )
            await pilot.pause()
            assert not cut_off(screen), cut_off(screen)
            hcl = screen.query_one("#policy-hcl")
            assert hcl.size.width <= screen.query_one("#policy-scroll").content_region.width  # wrapped, not clipped
    finally:
        root_client.sys.delete_policy(name)
