"""Snapshots of the secrets view's workflow dialogs at 80x24 and 120x40: export (form and preview),
import (form and dry run), copy and move (forms and a preview with a conflict), .env, progress.

Stable by construction: a fixed address in the session bar (the health watch stopped first), no
clock tick, fixed paths and data, file names relative to a fixed working directory."""

from __future__ import annotations

import asyncio
import json

import hvac
import pytest
from textual.widgets import Input, TextArea

from tests.helpers import screen_ready, view_mounted
from tests.ui_checks import pin_address
from vault_tui.app import make_app
from vault_tui.config import AppConfig
from vault_tui.demo.servers import BaoServer
from vault_tui.vault import transfer
from vault_tui.vault.client import ConnectionSettings
from vault_tui.views.secrets.detail import SecretDetail
from vault_tui.views.secrets.screen import SecretsScreen
from vault_tui.views.secrets.transfer_dialogs import (
    DotenvDialog,
    ExportDialog,
    ImportDialog,
    PlanScreen,
    ProgressScreen,
    TransferDialog,
)
from vault_tui.views.secrets.tree import PathTree
from vault_tui.views.secrets.workflow_model import JobProgress

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]
ADDR = "http://127.0.0.1:8200"


@pytest.fixture(scope="module")
def server():
    with BaoServer() as bao:
        client = hvac.Client(url=bao.addr, token=bao.root_token)
        client.sys.enable_secrets_engine("kv", path="copy", options={"version": "2"})
        client.sys.enable_secrets_engine("kv", path="legacy", options={"version": "1"})
        kv = client.secrets.kv.v2
        for version in ({"user": "svc", "password": "demo-v1"}, {"user": "svc", "password": "demo-v2", "port": "5432"}):
            kv.create_or_update_secret("team/app/db", version, mount_point="secret")
        kv.create_or_update_secret("team/app/api", {"token": "demo-token", "region": "eu"}, mount_point="secret")
        kv.create_or_update_secret("team/app/env", {"DB_HOST": "db.internal", "bad-key": "x"}, mount_point="secret")
        for _ in range(60):  # the new KV v2 mount upgrades for a moment
            try:
                kv.create_or_update_secret("team/app/db", {"user": "other"}, mount_point="copy")
                break
            except hvac.exceptions.InvalidRequest:
                import time

                time.sleep(0.1)
        client.secrets.kv.v1.create_or_update_secret("qa/one", {"k": "v"}, mount_point="legacy")
        yield bao


@pytest.fixture(autouse=True)
def in_a_fixed_directory(tmp_path, monkeypatch):
    """Relative file names (as the dialogs show them) and an export file to import."""
    monkeypatch.chdir(tmp_path)
    document = {
        "format": transfer.FORMAT,
        "version": transfer.FORMAT_VERSION,
        "mount": "secret/",
        "kind": "kv2",
        "root": "team/app",
        "secrets": {
            "db": {"data": {"user": "svc", "password": "new", "port": "5432"}},
            "api": {"data": {"token": "demo-token", "region": "eu"}},
            "cache": {"data": {"url": "redis://x"}},
        },
    }
    (tmp_path / "app.json").write_text(json.dumps(document))


def app_for(server, path: str):
    connection = ConnectionSettings(addr=server.addr, token=server.root_token)
    return make_app(AppConfig(connection=connection, initial_path=path), tick=False)


async def until(pilot, condition, what: str, timeout: float = 60) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.05)


async def opened(pilot, full: str) -> None:
    """The browser with ``full`` selected (a secret: read), and the fixed address."""
    app = pilot.app
    await until(pilot, lambda: view_mounted(app) and isinstance(app.screen, SecretsScreen), "browser")
    tree = app.screen.query_one(PathTree)
    await until(pilot, lambda: tree.cursor_node is not None and tree.cursor_node.data.full_path == full, "selected")
    if not full.endswith("/"):
        detail = app.screen.query_one(SecretDetail)
        await until(pilot, lambda: detail.secret is not None and detail.permissions is not None, "secret read")
    pin_address(app)  # for good: no health reply may put the real (random) port back
    await app.workers.wait_for_complete()
    await pilot.pause()


async def shown(pilot, kind: type) -> None:
    await until(pilot, lambda: screen_ready(pilot.app, kind), kind.__name__)
    await pilot.pause()


async def steady(pilot) -> None:
    """No blinking cursor, no toasts: ready for a screenshot."""
    app = pilot.app
    for widget in app.screen.query("Input, TextArea"):
        if isinstance(widget, (Input, TextArea)):
            widget.cursor_blink = False
    app.clear_notifications()
    await pilot.pause(0.3)
    await pilot.pause()


async def submit(pilot) -> None:
    pilot.app.screen.submit()
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
def test_export_form(snap_compare, server, size):
    async def run_before(pilot):
        await opened(pilot, "secret/team/app/")
        await pilot.press("X")
        await shown(pilot, ExportDialog)
        await steady(pilot)

    assert snap_compare(app_for(server, "secret/team/app/"), run_before=run_before, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_export_preview(snap_compare, server, size):
    async def run_before(pilot):
        await opened(pilot, "secret/team/app/")
        await pilot.press("X")
        await shown(pilot, ExportDialog)
        await submit(pilot)
        await shown(pilot, PlanScreen)
        await steady(pilot)

    assert snap_compare(app_for(server, "secret/team/app/"), run_before=run_before, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_import_form(snap_compare, server, size):
    async def run_before(pilot):
        await opened(pilot, "copy/team/app/")
        await pilot.press("I")
        await shown(pilot, ImportDialog)
        pilot.app.screen.query_one("#import-file", Input).value = "app.json"
        await steady(pilot)

    assert snap_compare(app_for(server, "copy/team/app/"), run_before=run_before, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_import_dry_run(snap_compare, server, size):
    async def run_before(pilot):
        await opened(pilot, "copy/team/app/")
        await pilot.press("I")
        await shown(pilot, ImportDialog)
        pilot.app.screen.query_one("#import-file", Input).value = "app.json"
        await submit(pilot)
        await shown(pilot, PlanScreen)
        await steady(pilot)

    assert snap_compare(app_for(server, "copy/team/app/"), run_before=run_before, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_copy_form(snap_compare, server, size):
    async def run_before(pilot):
        await opened(pilot, "secret/team/app/db")
        await pilot.press("f5")
        await shown(pilot, TransferDialog)
        await steady(pilot)

    assert snap_compare(app_for(server, "secret/team/app/db"), run_before=run_before, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_move_form(snap_compare, server, size):
    async def run_before(pilot):
        await opened(pilot, "secret/team/app/")
        await pilot.press("M")
        await shown(pilot, TransferDialog)
        await steady(pilot)

    assert snap_compare(app_for(server, "secret/team/app/"), run_before=run_before, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_copy_preview_with_a_conflict(snap_compare, server, size):
    async def run_before(pilot):
        await opened(pilot, "secret/team/app/")
        await pilot.press("f5")
        await shown(pilot, TransferDialog)
        pilot.app.screen.query_one("#transfer-target", Input).value = "copy/team/app"
        await submit(pilot)
        await shown(pilot, PlanScreen)
        await steady(pilot)

    assert snap_compare(app_for(server, "secret/team/app/"), run_before=run_before, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_dotenv_form(snap_compare, server, size):
    async def run_before(pilot):
        await opened(pilot, "secret/team/app/env")
        await pilot.press("dollar_sign")
        await shown(pilot, DotenvDialog)
        await steady(pilot)

    assert snap_compare(app_for(server, "secret/team/app/env"), run_before=run_before, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_progress(snap_compare, server, size):
    async def run_before(pilot):
        await opened(pilot, "secret/team/app/")
        progress = JobProgress(12)
        progress.done = 5
        pilot.app.push_screen(ProgressScreen("Importing into secret/team/app/…", progress, writes=True))
        await shown(pilot, ProgressScreen)
        await steady(pilot)

    assert snap_compare(app_for(server, "secret/team/app/"), run_before=run_before, terminal_size=size)
