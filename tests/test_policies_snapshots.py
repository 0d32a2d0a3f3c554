"""Snapshots of the policies view at 80x24 and 120x40, against a private, deterministic OpenBao."""

from __future__ import annotations

import hvac
import pytest
from helpers import screen_ready, wait_for, wait_ready
from textual.widgets import DataTable
from ui_checks import pin_address, settle

from vault_tui.app import make_app
from vault_tui.config import AppConfig
from vault_tui.demo.servers import BaoServer
from vault_tui.vault.client import ConnectionSettings
from vault_tui.views.policies.screen import PoliciesScreen
from vault_tui.widgets.capabilities import CapabilitiesPanel

SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
APP_POLICY = """# Read the app's secrets; list its folders.
path "secret/data/app/*" {
  capabilities = ["read"]
}

path "secret/metadata/app/*" {
  capabilities = ["list", "read"]
}

# A deliberately long path, to show how long lines wrap rather than run off the edge
path "secret/data/app/team-with-a-long-name/service-with-a-long-name/environment/*" {
  capabilities = ["read", "list"]
}
"""


@pytest.fixture(scope="module")
def server():
    with BaoServer() as bao:
        client = hvac.Client(url=bao.addr, token=bao.root_token)
        client.sys.create_or_update_policy("app-read", APP_POLICY)
        yield bao


def make(server: BaoServer):
    settings = ConnectionSettings(addr=server.addr, token=server.root_token)
    return make_app(AppConfig(connection=settings, initial_view="policies"), tick=False)


async def open_policy(pilot, name: str) -> PoliciesScreen:
    app = pilot.app
    await wait_ready(pilot)
    await wait_for(
        pilot, lambda: screen_ready(app, PoliciesScreen) and app.screen.policies, timeout=60, what="policies"
    )
    screen: PoliciesScreen = app.screen
    pin_address(app)
    table = screen.query_one("#policies-table", DataTable)
    table.move_cursor(row=[row.key.value for row in table.ordered_rows].index(name))
    await wait_for(pilot, lambda: screen.shown is not None and screen.shown.name == name, timeout=60, what="shown")
    return screen


@SIZES
def test_a_policy_shown(snap_compare, server, size):
    async def run_before(pilot) -> None:
        await open_policy(pilot, "app-read")
        await settle(pilot)

    assert snap_compare(make(server), run_before=run_before, terminal_size=size)


@SIZES
def test_a_path_checked(snap_compare, server, size):
    async def run_before(pilot) -> None:
        screen = await open_policy(pilot, "app-read")
        await pilot.press("c", *"secret/data/app/db", "enter")
        panel = screen.query_one(CapabilitiesPanel)
        await wait_for(pilot, lambda: panel.result is not None, timeout=60, what="capabilities")
        await settle(pilot)

    assert snap_compare(make(server), run_before=run_before, terminal_size=size)
