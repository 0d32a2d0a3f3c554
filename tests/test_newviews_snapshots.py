"""Snapshots of the PKI, lint and history views at 80x24 and 120x40.

Deterministic: a private OpenBao (its real load finishes first), then fixed data (certificates
signed with fixed Ed25519 keys, a fixed lint report, a trail file with fixed entries), a fixed
clock, a fixed session-bar address and no ticking clock.
"""

from __future__ import annotations

import pytest
from helpers import screen_ready, view_mounted, wait_for
from newviews_fixtures import NOW, certificates, lint_report, write_trail
from ui_checks import pin_address

from vault_tui.app import make_app
from vault_tui.config import AppConfig
from vault_tui.demo.servers import BaoServer
from vault_tui.vault.client import ConnectionSettings
from vault_tui.views.history.screen import HistoryScreen
from vault_tui.views.lint.screen import LintScreen
from vault_tui.views.pki.screen import PkiScreen

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


@pytest.fixture(scope="module")
def quiet_server():
    with BaoServer() as server:
        yield server


def make(server, view: str):
    config = AppConfig(connection=ConnectionSettings(addr=server.addr, token=server.root_token), initial_view=view)
    return make_app(config, tick=False)


async def settle(pilot) -> None:
    app = pilot.app
    app.now = NOW
    pin_address(app)
    await app.workers.wait_for_complete()
    await pilot.pause(0.2)


@pytest.mark.parametrize("size", SIZES)
def test_pki_snapshot(snap_compare, quiet_server, size):
    app = make(quiet_server, "pki")

    async def run_before(pilot) -> None:
        await wait_for(pilot, lambda: view_mounted(app) and screen_ready(app, PkiScreen), timeout=30, what="PKI view")
        screen: PkiScreen = app.screen
        await wait_for(pilot, lambda: screen.loaded_once and not screen.loading_now, timeout=30, what="loaded")
        app.now = NOW
        screen.post_message(PkiScreen.Loaded(certificates(), ("could not read pki_old/: permission denied",)))
        await wait_for(pilot, lambda: len(screen.rows) == 8, what="fixed certificates shown")
        screen.table.move_cursor(row=2)  # checkout: expiring in 20 days, two SANs
        await settle(pilot)

    assert snap_compare(app, run_before=run_before, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_lint_snapshot(snap_compare, quiet_server, size):
    app = make(quiet_server, "lint")

    async def run_before(pilot) -> None:
        await wait_for(pilot, lambda: view_mounted(app) and screen_ready(app, LintScreen), timeout=30, what="lint view")
        screen: LintScreen = app.screen
        await wait_for(pilot, lambda: screen.report is not None and not screen.running, timeout=60, what="real run")
        screen.post_message(LintScreen.Finished(lint_report()))
        await wait_for(pilot, lambda: len(screen.shown) == 7, what="fixed report shown")
        screen.table.move_cursor(row=1)  # the expiring certificate
        await settle(pilot)

    assert snap_compare(app, run_before=run_before, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_history_snapshot(snap_compare, quiet_server, size, tmp_path):
    write_trail(tmp_path / "trail.jsonl")
    app = make(quiet_server, "history")
    app.config.trail_path = str(tmp_path / "trail.jsonl")

    async def run_before(pilot) -> None:
        await wait_for(
            pilot, lambda: view_mounted(app) and screen_ready(app, HistoryScreen), timeout=30, what="history"
        )
        screen: HistoryScreen = app.screen
        await wait_for(pilot, lambda: screen.loaded and len(screen.entries) == 8, timeout=30, what="trail read")
        screen.table.move_cursor(row=3)  # the failed destroy
        await settle(pilot)

    assert snap_compare(app, run_before=run_before, terminal_size=size)
