"""Connecting: a dead server, a sealed server, a refused token, and keeping the token alive."""

from __future__ import annotations

import asyncio

import hvac

from tests.helpers import app_for, wait_for, wait_ready
from vault_tui.demo.servers import BaoServer, free_port
from vault_tui.screens.modals import ConnectErrorScreen
from vault_tui.vault.client import ConnectionSettings


def _error_screen(app):
    """The connect-error screen once it has composed (safe to read and press keys on)."""
    screen = next((s for s in app.screen_stack if isinstance(s, ConnectErrorScreen)), None)
    return screen if screen is not None and screen.is_mounted and screen.children else None


async def test_dead_server_shows_clear_screen_and_retry():
    app = app_for(ConnectionSettings(addr=f"http://127.0.0.1:{free_port()}", token="demo-token"))
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await wait_for(pilot, lambda: _error_screen(app), what="error screen")
        assert "down or unreachable" in screen.title_text
        before = app.worker.requests_sent
        await pilot.press("r")
        await wait_for(pilot, lambda: app.worker.requests_sent > before and _error_screen(app), what="retry")
        assert app.is_running


async def test_bad_token_is_reported_as_refused(bao):
    app = app_for(ConnectionSettings(addr=bao.addr, token="demo-not-a-valid-token"))
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await wait_for(pilot, lambda: _error_screen(app), what="error screen")
        assert "token was refused" in screen.title_text


async def test_sealed_server_is_reported_with_retry():
    with BaoServer() as server:
        client = hvac.Client(url=server.addr, token=server.root_token)
        client.sys.seal()
        app = app_for(ConnectionSettings(addr=server.addr, token=server.root_token))
        async with app.run_test(size=(120, 36)) as pilot:
            screen = await wait_for(pilot, lambda: _error_screen(app), what="error screen")
            assert "sealed" in screen.title_text.lower()
            assert app.session.server is not None and app.session.server.sealed
            await pilot.press("r")
            await pilot.pause(0.3)
            assert _error_screen(app) is not None and app.is_running


async def test_token_is_renewed_before_it_expires(bao, root_client):
    token = root_client.auth.token.create(policies=["default"], ttl="6s", explicit_max_ttl="120s", renewable=True)[
        "auth"
    ]["client_token"]
    app = app_for(ConnectionSettings(addr=bao.addr, token=token))
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_ready(pilot)
        first = app.session.token.expire_time
        assert first is not None
        await wait_for(
            pilot,
            lambda: app.session.token is not None and app.session.token.expire_time > first,
            timeout=15,
            what="renewal",
        )
        await asyncio.sleep(0)  # the original TTL has passed by now or soon; the session still works
        assert app.is_running


def test_server_detection(gateway):
    info = gateway.server
    assert info.flavor == "OpenBao"
    assert info.version and not info.sealed and info.initialized
    assert info.supports_scan and info.supports_paginated_list


async def test_server_dying_mid_session_keeps_the_app_up():
    from vault_tui.views.secrets.tree import PathTree

    server = BaoServer().start()
    try:
        app = app_for(ConnectionSettings(addr=server.addr, token=server.root_token))
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_ready(pilot)
            tree = app.screen.query_one(PathTree)
            await wait_for(pilot, lambda: tree.mounts, what="mounts")
            server.stop()
            tree.move_cursor(tree.root.children[0])
            tree.root.children[0].expand()
            await wait_for(pilot, lambda: app.last_error is not None, what="error reported")
            assert "connect" in str(app.last_error).lower()
            assert app.is_running
    finally:
        server.stop()
