"""Snapshots of the transit playground at 80x24 and 120x40, against a private, deterministic OpenBao.

Nothing random is shown: no ciphertext or signature of this run (only forms, masked values,
verdicts, hashes and errors), key times and history times are pinned, and the session bar shows a
fixed address.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import hvac
import pytest
from helpers import screen_ready, wait_for, wait_ready
from ui_checks import pin_address, settle, steady_cursors

from vault_tui.app import make_app
from vault_tui.config import AppConfig
from vault_tui.demo.servers import BaoServer
from vault_tui.screens.modals import ConfirmScreen
from vault_tui.vault.client import ConnectionSettings
from vault_tui.vault.transit_models import Operation
from vault_tui.views.transit.dialogs import CreateKeyScreen, ExportKeyScreen, KeyConfigScreen
from vault_tui.views.transit.history import TransitHistory
from vault_tui.views.transit.screen import TransitScreen

SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])


@pytest.fixture(scope="module")
def server():
    with BaoServer() as bao:
        client = hvac.Client(url=bao.addr, token=bao.root_token)
        client.sys.enable_secrets_engine("transit", path="transit")
        client.secrets.transit.create_key("orders", mount_point="transit")
        client.secrets.transit.create_key("signer", key_type="ed25519", exportable=True, mount_point="transit")
        client.adapter.post("/v1/transit/keys/rsa-signer", json={"type": "rsa-2048"})
        yield bao


@pytest.fixture(autouse=True)
def pinned_times(monkeypatch):
    import vault_tui.views.transit.keys as transit_keys
    import vault_tui.views.transit.screen as transit_screen

    monkeypatch.setattr(transit_keys, "_when", lambda value: "2026-01-01 12:00 UTC")
    monkeypatch.setattr(transit_screen, "utcnow", lambda: datetime(2026, 1, 1, 12, 0, tzinfo=UTC))


def make(server: BaoServer, **config: Any):
    settings = ConnectionSettings(addr=server.addr, token=server.root_token)
    return make_app(AppConfig(connection=settings, initial_view="transit", **config), tick=False)


async def open_transit(pilot) -> TransitScreen:
    app = pilot.app
    await wait_ready(pilot)
    await wait_for(pilot, lambda: screen_ready(app, TransitScreen), timeout=60, what="transit")
    screen: TransitScreen = app.screen
    await wait_for(
        pilot,
        lambda: (
            set(screen.keys_table.keys_by_name) == {"orders", "signer", "rsa-signer"} and not screen.keys_table.loading
        ),
        timeout=60,
        what="keys listed",
    )
    pin_address(app)
    steady_cursors(screen)
    screen.keys_table.focus()
    await pilot.pause()
    return screen


async def type_text(pilot, text: str) -> None:
    await pilot.press(*[{" ": "space", "\n": "enter"}.get(ch, ch) for ch in text])


async def run_and_wait(pilot, screen: TransitScreen) -> None:
    history = screen.query_one(TransitHistory)
    before = len(history.entries)
    await pilot.press("ctrl+r")
    await wait_for(pilot, lambda: len(history.entries) > before, timeout=60, what="operation finished")


def snap(snap_compare, app, size, steps: Callable[[Any, TransitScreen], Awaitable[None]] | None = None) -> bool:
    async def run_before(pilot) -> None:
        screen = await open_transit(pilot)
        if steps is not None:
            await steps(pilot, screen)
        await settle(pilot)

    return snap_compare(app, run_before=run_before, terminal_size=size)


@SIZES
def test_keys(snap_compare, server, size):
    assert snap(snap_compare, make(server), size)


FORMS: dict[str, tuple[str, str, str]] = {
    # operation: (key to highlight, shortcut, what to type)
    "encrypt": ("orders", "e", "attack at dawn"),
    "decrypt": ("orders", "d", "vault:v1:not-from-this-run"),
    "rewrap": ("orders", "w", "vault:v1:not-from-this-run"),
    "sign": ("rsa-signer", "s", "release notes"),
    "verify": ("signer", "v", "release notes"),
    "hmac": ("orders", "h", "payload"),
    "datakey": ("orders", "k", ""),
}


@SIZES
@pytest.mark.parametrize("operation", list(FORMS))
def test_operation_form(snap_compare, server, size, operation):
    name, shortcut, text = FORMS[operation]

    async def steps(pilot, screen: TransitScreen) -> None:
        screen.keys_table.select_key(name)
        await pilot.pause()
        await pilot.press(shortcut)
        await type_text(pilot, text)

    assert snap(snap_compare, make(server), size, steps)


@SIZES
def test_batch_mode(snap_compare, server, size):
    async def steps(pilot, screen: TransitScreen) -> None:
        await pilot.press("e", "ctrl+b")
        await type_text(pilot, "first line\nsecond line\nthird line")

    assert snap(snap_compare, make(server), size, steps)


@SIZES
def test_history_and_a_verdict(snap_compare, server, size):
    """A failed decrypt, a hash (deterministic), then a verify that says NOT valid."""

    async def steps(pilot, screen: TransitScreen) -> None:
        await pilot.press("d")
        await type_text(pilot, "vault:v1:junk")
        await run_and_wait(pilot, screen)
        screen.set_operation(Operation.HASH)
        screen.input_area.text = "abc"
        await run_and_wait(pilot, screen)
        screen.keys_table.select_key("signer")
        screen.keys_table.focus()
        await pilot.press("v")
        screen.input_area.text = "release notes"  # the plaintext box is shared with hash: replace "abc"
        screen.query_one("#opt-proof").value = "vault:v1:AAAA"
        await run_and_wait(pilot, screen)
        screen.keys_table.focus()

    assert snap(snap_compare, make(server), size, steps)


@SIZES
def test_create_key_dialog(snap_compare, server, size):
    async def steps(pilot, screen: TransitScreen) -> None:
        await pilot.press("n")
        await wait_for(pilot, lambda: screen_ready(pilot.app, CreateKeyScreen), what="create form")
        await type_text(pilot, "payments")

    assert snap(snap_compare, make(server), size, steps)


@SIZES
def test_key_config_dialog(snap_compare, server, size):
    async def steps(pilot, screen: TransitScreen) -> None:
        await pilot.press("c")
        await wait_for(pilot, lambda: screen_ready(pilot.app, KeyConfigScreen), what="config form")

    assert snap(snap_compare, make(server), size, steps)


@SIZES
def test_delete_confirm(snap_compare, server, size):
    async def steps(pilot, screen: TransitScreen) -> None:
        await pilot.press("x")
        await wait_for(pilot, lambda: screen_ready(pilot.app, ConfirmScreen), what="confirm")

    assert snap(snap_compare, make(server), size, steps)


@SIZES
def test_export_masked(snap_compare, server, size):
    async def steps(pilot, screen: TransitScreen) -> None:
        screen.keys_table.select_key("signer")
        await pilot.pause()
        await pilot.press("E")
        await wait_for(pilot, lambda: screen_ready(pilot.app, ExportKeyScreen), what="export dialog")
        dialog = pilot.app.screen
        await pilot.press("enter")
        await wait_for(pilot, lambda: dialog.exported is not None, timeout=60, what="exported")

    assert snap(snap_compare, make(server), size, steps)


@SIZES
def test_read_only(snap_compare, server, size):
    async def steps(pilot, screen: TransitScreen) -> None:
        await pilot.press("s")

    assert snap(snap_compare, make(server, read_only=True), size, steps)


@SIZES
def test_no_color(snap_compare, server, size, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")

    async def steps(pilot, screen: TransitScreen) -> None:
        await pilot.press("e", "ctrl+b")
        await type_text(pilot, "one\ntwo")

    assert snap(snap_compare, make(server), size, steps)
