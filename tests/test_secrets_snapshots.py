"""Snapshots of the secrets view at 80x24 and 120x40: the browser, every tab of the detail pane,
every dialog, read-only mode and NO_COLOR, against a private OpenBao with fixed data.

Stable by construction: a fixed address in the session bar, no clock tick, fixed paths and data,
and the times the server stamps on versions shown as one fixed string.
"""

from __future__ import annotations

import asyncio

import hvac
import pytest
from textual.widgets import DataTable, Input, TextArea

from tests.helpers import view_mounted
from tests.ui_checks import pin_address
from vault_tui.app import make_app
from vault_tui.config import AppConfig
from vault_tui.demo.servers import BaoServer
from vault_tui.vault.client import ConnectionSettings
from vault_tui.views.secrets import render, rules
from vault_tui.views.secrets.detail import SecretDetail
from vault_tui.views.secrets.screen import SecretsScreen

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]
ADDR = "http://127.0.0.1:8200"
SECRET = "secret/payments/checkout/prod/db"


@pytest.fixture(scope="module")
def server():
    with BaoServer() as bao:
        client = hvac.Client(url=bao.addr, token=bao.root_token)
        client.sys.enable_secrets_engine("kv", path="legacy", options={"version": "1"})
        kv = client.secrets.kv.v2
        for path in ("payments/checkout/dev/db", "payments/ledger/prod/db", "identity/login/prod/oauth"):
            kv.create_or_update_secret(path, {"username": "svc", "password": "demo-not-real"}, mount_point="secret")
        for version in (
            {"username": "svc", "password": "demo-v1", "host": "db-1.internal"},
            {"username": "svc", "password": "demo-v2", "host": "db-1.internal"},
            {"username": "svc", "password": "demo-v3", "host": "db-2.internal", "port": "5432"},
        ):
            kv.create_or_update_secret("payments/checkout/prod/db", version, mount_point="secret")
        kv.update_metadata(
            "payments/checkout/prod/db", mount_point="secret", max_versions=10, custom_metadata={"owner": "payments"}
        )
        kv.delete_secret_versions("payments/checkout/prod/db", versions=[1], mount_point="secret")
        client.secrets.kv.v1.create_or_update_secret("qa/[red]not markup", {"k": "v"}, mount_point="legacy")
        yield bao


@pytest.fixture(autouse=True)
def fixed_times(monkeypatch):
    monkeypatch.setattr(render, "format_time", lambda value: "2030-01-01 12:00:00 UTC" if value else "—")
    monkeypatch.setattr(rules, "format_time", lambda value: "2030-01-01 12:00:00 UTC" if value else "—")


def app_for(server, path: str = SECRET, **config):
    connection = ConnectionSettings(addr=server.addr, token=server.root_token)
    return make_app(AppConfig(connection=connection, initial_path=path, **config), tick=False)


async def until(pilot, condition, what: str, timeout: float = 60) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.05)


async def steady(pilot) -> None:
    """Workers done, no blinking cursor, the fixed address: ready for a screenshot."""
    app = pilot.app
    await app.workers.wait_for_complete()
    for widget in app.screen.query("Input, TextArea"):
        if isinstance(widget, (Input, TextArea)):
            widget.cursor_blink = False
    app.clear_notifications()
    await pilot.pause(0.3)
    await app.workers.wait_for_complete()
    await pilot.pause()


async def opened(pilot) -> SecretDetail:
    """The browser with the secret selected and read (data, metadata and capabilities)."""
    app = pilot.app
    await until(pilot, lambda: view_mounted(app) and isinstance(app.screen, SecretsScreen), "browser")
    detail = app.screen.query_one(SecretDetail)
    await until(pilot, lambda: detail.secret is not None and detail.permissions is not None, "secret read")
    if detail.is_kv2:
        await until(pilot, lambda: detail.metadata is not None, "metadata read")
    pin_address(app)  # for good: no health reply may put the real (random) port back
    await app.workers.wait_for_complete()
    await pilot.pause()
    return detail


async def into_pane(pilot, detail: SecretDetail, tab: str = "data") -> None:
    detail.action_tab(tab)
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
def test_browser(snap_compare, server, size):
    async def run_before(pilot):
        await opened(pilot)
        await steady(pilot)

    assert snap_compare(app_for(server), run_before=run_before, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("tab", ["data", "versions", "metadata", "json", "access"])
def test_tab(snap_compare, server, size, tab):
    async def run_before(pilot):
        detail = await opened(pilot)
        await into_pane(pilot, detail, tab)
        await steady(pilot)

    assert snap_compare(app_for(server), run_before=run_before, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_diff_tab(snap_compare, server, size):
    async def run_before(pilot):
        detail = await opened(pilot)
        await into_pane(pilot, detail, "versions")
        await pilot.press("f")  # the version shown (3) against the live one before it (2)
        await until(pilot, lambda: detail.diff_pair is not None, "diff read")
        await steady(pilot)

    assert snap_compare(app_for(server), run_before=run_before, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("mode", ["rows", "json"])
def test_editor(snap_compare, server, size, mode):
    async def run_before(pilot):
        detail = await opened(pilot)
        await into_pane(pilot, detail)
        await pilot.press("e")
        await until(pilot, lambda: type(pilot.app.screen).__name__ == "SecretEditorScreen", "editor")
        await pilot.pause()
        if mode == "json":
            await pilot.press("f2")
        await steady(pilot)

    assert snap_compare(app_for(server), run_before=run_before, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_new_secret_form(snap_compare, server, size):
    async def run_before(pilot):
        await opened(pilot)
        await pilot.press("n")
        await until(pilot, lambda: type(pilot.app.screen).__name__ == "SecretEditorScreen", "form")
        await pilot.press(*"api-key")
        await steady(pilot)

    assert snap_compare(app_for(server), run_before=run_before, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_metadata_editor(snap_compare, server, size):
    async def run_before(pilot):
        detail = await opened(pilot)
        await into_pane(pilot, detail)
        await pilot.press("m")
        await until(pilot, lambda: type(pilot.app.screen).__name__ == "MetadataEditorScreen", "metadata editor")
        await steady(pilot)

    assert snap_compare(app_for(server), run_before=run_before, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_conflict(snap_compare, server, size):
    path = f"conflict/w{size[0]}"
    client = hvac.Client(url=server.addr, token=server.root_token)
    client.secrets.kv.v2.create_or_update_secret(path, {"token": "t1", "region": "eu"}, mount_point="secret")

    async def run_before(pilot):
        detail = await opened(pilot)
        await into_pane(pilot, detail)
        await pilot.press("e")
        await until(pilot, lambda: type(pilot.app.screen).__name__ == "SecretEditorScreen", "editor")
        await pilot.pause()
        pilot.app.screen.query(".kv-value").first().value = "mine"
        await asyncio.to_thread(
            client.secrets.kv.v2.create_or_update_secret, path, {"token": "theirs", "zone": "b"}, mount_point="secret"
        )
        await pilot.press("ctrl+s")
        await until(pilot, lambda: type(pilot.app.screen).__name__ == "ConflictScreen", "conflict")
        await steady(pilot)

    assert snap_compare(app_for(server, f"secret/{path}"), run_before=run_before, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_delete_all_typed_confirm(snap_compare, server, size):
    async def run_before(pilot):
        detail = await opened(pilot)
        await into_pane(pilot, detail)
        await pilot.press("D")
        await until(pilot, lambda: type(pilot.app.screen).__name__ == "TypedConfirmScreen", "typed confirm")
        await pilot.press(*"payments")
        await steady(pilot)

    assert snap_compare(app_for(server), run_before=run_before, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_destroy_confirm(snap_compare, server, size):
    async def run_before(pilot):
        detail = await opened(pilot)
        await into_pane(pilot, detail, "versions")
        detail.query_one("#versions-table", DataTable).move_cursor(row=1)
        await pilot.press("x")
        await until(pilot, lambda: type(pilot.app.screen).__name__ == "ConfirmScreen", "confirm")
        await steady(pilot)

    assert snap_compare(app_for(server), run_before=run_before, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_read_only(snap_compare, server, size):
    async def run_before(pilot):
        detail = await opened(pilot)
        await into_pane(pilot, detail, "versions")
        await steady(pilot)

    assert snap_compare(app_for(server, read_only=True), run_before=run_before, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_no_color(snap_compare, server, size, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")

    async def run_before(pilot):
        detail = await opened(pilot)
        await into_pane(pilot, detail)
        await pilot.press("m")  # the checkbox reads [x] / [ ] without colour
        await until(pilot, lambda: type(pilot.app.screen).__name__ == "MetadataEditorScreen", "metadata editor")
        await steady(pilot)

    assert snap_compare(app_for(server), run_before=run_before, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_kv1_secret(snap_compare, server, size):
    async def run_before(pilot):
        await opened(pilot)
        await steady(pilot)

    assert snap_compare(app_for(server, "legacy/qa/[red]not markup"), run_before=run_before, terminal_size=size)
