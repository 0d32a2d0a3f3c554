"""Snapshot of the main screen (the browser), against a private, deterministic OpenBao."""

from __future__ import annotations

import hvac
import pytest

from tests.helpers import view_mounted, wait_for
from tests.ui_checks import pin_address
from vault_tui.app import make_app
from vault_tui.config import AppConfig
from vault_tui.demo.servers import BaoServer
from vault_tui.vault.client import ConnectionSettings


@pytest.fixture(scope="module")
def snapshot_server():
    with BaoServer() as server:
        client = hvac.Client(url=server.addr, token=server.root_token)
        client.sys.enable_secrets_engine("kv", path="legacy", options={"version": "1"})
        client.sys.enable_secrets_engine("transit", path="transit")
        for path in (
            "payments/checkout/prod/db",
            "payments/checkout/prod/api-keys",
            "payments/checkout/dev/db",
            "payments/ledger/prod/db",
            "identity/login/prod/oauth",
        ):
            client.secrets.kv.v2.create_or_update_secret(
                path, {"username": "svc", "password": "demo-not-real"}, mount_point="secret"
            )
        client.secrets.kv.v1.create_or_update_secret("qa/[red]not markup", {"k": "v"}, mount_point="legacy")
        yield server


def test_browser_snapshot(snap_compare, snapshot_server):
    app = make_app(
        AppConfig(
            connection=ConnectionSettings(addr=snapshot_server.addr, token=snapshot_server.root_token),
            initial_path="secret/payments/checkout/prod/db",
        ),
        tick=False,
    )

    async def run_before(pilot):
        from vault_tui.views.secrets.detail import SecretDetail

        def read() -> bool:
            if not view_mounted(app):
                return False
            detail = app.screen.query_one(SecretDetail)
            return detail.secret is not None and detail.permissions is not None

        await wait_for(pilot, read, timeout=120, what="the secret read")
        pin_address(app)  # the port is random: a fixed address, for good
        await app.workers.wait_for_complete()
        await pilot.pause(0.3)

    assert snap_compare(app, run_before=run_before, terminal_size=(120, 36))
