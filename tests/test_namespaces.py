"""Namespaces on the real OpenBao dev server."""

from __future__ import annotations

import time

import pytest

from tests.conftest import unique
from vault_tui.vault import kv
from vault_tui.vault.errors import InvalidRequest
from vault_tui.vault.models import EngineKind
from vault_tui.vault.namespaces import join, list_namespaces, normalise, parent_of


@pytest.fixture
def tree(root_client, gateway):
    top = unique("ns-")
    root_client.adapter.post(f"/v1/sys/namespaces/{top}")
    child = gateway.__class__(gateway.settings.with_namespace(top))
    for name in ("beta", "alpha"):
        child.request("POST", f"sys/namespaces/{name}")
    yield top
    # Deleting a namespace is asynchronous on OpenBao: best effort, the dev server is throw-away.
    for name in ("alpha", "beta"):
        child.request("DELETE", f"sys/namespaces/{name}")
    for _ in range(50):
        try:
            root_client.adapter.delete(f"/v1/sys/namespaces/{top}")
            break
        except Exception:
            time.sleep(0.1)


def test_list_children(gateway, tree):
    names = [ns.path for ns in list_namespaces(gateway)]
    assert tree in names
    gateway.set_namespace(tree)
    children = list_namespaces(gateway)
    assert [ns.name for ns in children] == ["alpha", "beta"]
    assert children[0].path == f"{tree}/alpha"
    assert children[0].id


def test_no_children_is_empty(gateway, tree):
    gateway.set_namespace(f"{tree}/alpha")
    assert list_namespaces(gateway) == ()


def test_switching_namespace_scopes_requests(gateway, tree, root_client):
    """A mount made inside a namespace is visible there and not at the root."""
    gateway.set_namespace(f"{tree}/alpha")
    mount = unique("kv-")
    gateway.request("POST", f"sys/mounts/{mount}", json={"type": "kv", "options": {"version": "2"}})
    kv_paths = [m.path for m in gateway.mounts()]
    assert f"{mount}/" in kv_paths
    kv.write_v2(gateway, mount, "app/db", {"user": "x"}, cas=0)
    assert kv.read_secret(gateway, EngineKind.KV2, mount, "app/db").data == {"user": "x"}
    gateway.set_namespace(None)
    assert f"{mount}/" not in [m.path for m in gateway.mounts()]
    gateway.set_namespace(f"{tree}/alpha")
    gateway.request("DELETE", f"sys/mounts/{mount}")


def test_path_helpers():
    assert normalise("/a/b/") == "a/b"
    assert normalise("root") == "" and normalise(None) == ""
    assert join("a", "b/") == "a/b" and join(None, "b") == "b"
    assert parent_of("a/b") == "a" and parent_of("a") == ""
    with pytest.raises(InvalidRequest):
        normalise("a/../b")


async def test_namespace_switcher_modal(bao, tree):
    from textual.widgets import OptionList

    from vault_tui.app import make_app
    from vault_tui.config import AppConfig
    from vault_tui.screens.profiles import NamespaceSwitcherScreen
    from vault_tui.vault.client import ConnectionSettings

    config = AppConfig(
        connection=ConnectionSettings(addr=bao.addr, token=bao.root_token, namespace=tree), initial_view="policies"
    )
    app = make_app(config, tick=False)
    async with app.run_test(size=(120, 36)) as pilot:
        for _ in range(200):
            if app.session.ready:
                break
            await pilot.pause(0.05)
        app.command_line.open_namespace_switcher()
        for _ in range(200):
            if isinstance(app.screen, NamespaceSwitcherScreen) and app.screen.namespaces is not None:
                break
            await pilot.pause(0.05)
        options = app.screen.query_one(OptionList)
        ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
        assert ids == ["\x00root", f"{tree}/alpha", f"{tree}/beta"]
        options.highlighted = 1
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert app.gateway.settings.namespace == f"{tree}/alpha"
        assert app.session.namespace == f"{tree}/alpha"
