"""What-can-I-do: capabilities for a restricted policy, in the Vault layer and in the UI."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input, Static

from tests.conftest import unique
from vault_tui.app import make_app
from vault_tui.config import AppConfig
from vault_tui.vault.client import ConnectionSettings
from vault_tui.vault.gateway import Gateway
from vault_tui.vault.models import EngineKind
from vault_tui.vault.policies import list_policies, read_policy, secret_permissions
from vault_tui.widgets.capabilities import CapabilitiesPanel


@pytest.fixture
def restricted(bao, root_client, kv2_mount):
    name = unique("ro-")
    hcl = (
        f'path "{kv2_mount}/data/team/*" {{ capabilities = ["read"] }}\n'
        f'path "{kv2_mount}/metadata/team/*" {{ capabilities = ["list", "read"] }}\n'
        f'path "sys/policies/acl/{name}" {{ capabilities = ["read"] }}\n'
        'path "sys/policies/acl" { capabilities = ["list"] }\n'
        "# [red]not markup[/red] \x1b[31m\n"
    )
    root_client.sys.create_or_update_policy(name, hcl)
    token = root_client.auth.token.create(policies=[name], ttl="10m")["auth"]["client_token"]
    yield kv2_mount, name, token
    root_client.sys.delete_policy(name)


def test_secret_permissions_for_restricted_token(bao, restricted):
    mount, _name, token = restricted
    gateway = Gateway(ConnectionSettings(addr=bao.addr, token=token))
    perms = secret_permissions(gateway, EngineKind.KV2, mount, "team/db")
    assert perms.allows("read") and perms.allows("list") and perms.allows("read_metadata")
    write = perms.get("write")
    assert not write.allowed
    assert write.reason == f"needs create or update on {mount}/data/team/db (you have: read)"
    assert not perms.allows("destroy") and "destroy/team/db" in perms.get("destroy").reason
    # outside the policy: nothing at all
    assert not secret_permissions(gateway, EngineKind.KV2, mount, "other/x").allows("read")


def test_read_only_mode_forbids_writes_even_for_root(gateway, kv2_mount):
    gateway.read_only = True
    perms = secret_permissions(gateway, EngineKind.KV2, kv2_mount, "a")
    assert perms.allows("read") and not perms.allows("write")
    assert perms.get("write").reason == "read-only mode"


def test_list_and_read_policies_restricted(bao, restricted):
    _mount, name, token = restricted
    gateway = Gateway(ConnectionSettings(addr=bao.addr, token=token))
    summaries = {p.name: p.readable for p in list_policies(gateway)}
    assert summaries[name] is True
    assert summaries["default"] is False  # listed, not readable
    assert "[red]not markup[/red]" in read_policy(gateway, name).hcl


async def test_policies_view_and_capability_panel(bao, restricted):
    mount, name, token = restricted
    app = make_app(
        AppConfig(connection=ConnectionSettings(addr=bao.addr, token=token), initial_view="policies"), tick=False
    )
    async with app.run_test(size=(140, 40)) as pilot:
        for _ in range(200):
            if app.session.ready and type(app.screen).__name__ == "PoliciesScreen" and app.screen.policies:
                break
            await pilot.pause(0.05)
        screen = app.screen
        table = screen.query_one("#policies-table", DataTable)
        keys = [row.key.value for row in table.ordered_rows]
        table.move_cursor(row=keys.index(name))
        for _ in range(100):
            if screen.shown is not None and screen.shown.name == name:
                break
            await pilot.pause(0.05)
        hcl = str(screen.query_one("#policy-hcl", Static).render())
        assert "[red]not markup[/red]" in hcl and "\\x1b[31m" in hcl
        # a policy we may list but not read says so
        table.move_cursor(row=keys.index("default"))
        await pilot.pause(0.1)
        assert "You cannot read this policy" in str(screen.query_one("#policy-hcl", Static).render())
        # what can I do at a path
        path_input = screen.query_one("#policy-path", Input)
        path_input.value = f"{mount}/data/team/db"
        path_input.focus()
        await pilot.press("enter")
        panel = screen.query_one(CapabilitiesPanel)
        for _ in range(100):
            if panel.result is not None:
                break
            await pilot.pause(0.05)
        assert panel.result.capabilities == ("read",)
        assert f"Capabilities on {mount}/data/team/db: read" in str(panel.render())
