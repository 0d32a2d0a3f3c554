"""Snapshots of the lease dashboard at 80x24 and 120x40: grouped and flat, the side panel, every
dialog, no-sudo, read-only, NO_COLOR, the inventory summary and the expiry chart.

The app runs against a private OpenBao (session bar, mounts, roles, the role check are real). The
leases themselves are a fixed set at fixed times: the two Vault-layer calls that list and look
them up are replaced by ones returning that set (the same data the real calls return in
tests/test_leases_*), the clocks are fixed (``tick=False``, ``app.now``, the refresh clock), and
the session bar shows a fixed address.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import hvac
import pytest
from textual.widgets import Input

from tests.helpers import view_mounted
from tests.ui_checks import fix_address
from vault_tui.app import make_app
from vault_tui.config import AppConfig
from vault_tui.demo.servers import BaoServer
from vault_tui.vault import leases as api
from vault_tui.vault.client import ConnectionSettings
from vault_tui.vault.errors import PermissionDenied
from vault_tui.vault.leases import IssuedCredentials, Lease, LeaseListing
from vault_tui.views.leases import refresh
from vault_tui.views.leases.screen import LeasesScreen

T0 = datetime(2030, 1, 1, 12, 0, 0, tzinfo=UTC)
SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]
ADDR = "http://127.0.0.1:8200"

# (lease id, seconds left, renewable on the server)
LEASES = [
    ("database/creds/readonly/Vx1c9Qe0aZrT2mNb8Lk3", 3500, True),
    ("database/creds/readonly/Kq7Lm2PzX0bW4yHa5Dd9", 240, True),
    ("database/creds/readonly/Tt4Yu8Io1Pp5Aa2Ss6Df", 20 * 3600, True),
    ("database/creds/readwrite/Zt5Rf8Gh1JkL3nMp7Qw2", 45, True),
    ("database/creds/retired/Hh3Jj7Kk1Ll5Zz9Xx2Cc", 7200, True),
    ("auth/token/create/h4f2a9c1e7b3d5f6a8c0e2b4d6f8a1c3e", 1800, True),
    ("auth/userpass/login/alice/h9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4", 5400, True),
    ("pki/issue/web/6d:2f:aa:19:0c:77", 3 * 86400, False),
]
CREDS = IssuedCredentials(
    "database",
    "readonly",
    "database/creds/readonly/Vx1c9Qe0aZrT2mNb8Lk3",
    3500,
    True,
    T0 - timedelta(seconds=100),
    {"username": "v-token-readonly-Vx1c9Qe0", "password": "demo-not-a-real-password"},
)


def lease(lease_id: str, seconds: float, renewable: bool) -> Lease:
    return Lease(
        id=lease_id,
        issue_time=T0 - timedelta(minutes=10),
        expire_time=T0 + timedelta(seconds=seconds),
        last_renewal=None,
        server_renewable=renewable,
        ttl=int(seconds),
        looked_up_at=T0,
    )


KNOWN = {lease_id: lease(lease_id, seconds, renewable) for lease_id, seconds, renewable in LEASES}


@pytest.fixture(scope="module")
def snapshot_server():
    """A private OpenBao with a database mount and two roles (a third, 'retired', is gone)."""
    with BaoServer() as server:
        client = hvac.Client(url=server.addr, token=server.root_token)
        client.sys.enable_secrets_engine("database", path="database")
        client.write(
            "database/config/pg",
            plugin_name="postgresql-database-plugin",
            connection_url="postgresql://{{username}}:{{password}}@127.0.0.1:1/none",
            username="u",
            password="p",
            allowed_roles="*",
            verify_connection=False,
        )
        for role in ("readonly", "readwrite"):
            client.write(f"database/roles/{role}", db_name="pg", creation_statements=["SELECT 1;"], max_ttl="2h")
        yield server


@pytest.fixture
def fixed_leases(monkeypatch):
    """The listing and the look-ups return the fixed set; the refresh clock is fixed."""
    state = {"no_sudo": False}

    def list_all_leases(gateway):
        if state["no_sudo"]:
            raise PermissionDenied("permission denied", status=403)
        return LeaseListing(tuple(KNOWN))

    def lookup_many(gateway, lease_ids):
        return tuple(KNOWN.get(i) or api.LeaseGone("the lease no longer exists") for i in lease_ids)

    monkeypatch.setattr(api, "list_all_leases", list_all_leases)
    monkeypatch.setattr(api, "lookup_many", lookup_many)
    monkeypatch.setattr(api, "count_prefix", lambda gateway, prefix: sum(i.startswith(prefix) for i in KNOWN))
    monkeypatch.setattr(api, "lookup_lease", lambda gateway, lease_id: KNOWN[lease_id])
    monkeypatch.setattr(refresh, "utcnow", lambda: T0)
    return state


def dashboard(server, **config):
    app = make_app(
        AppConfig(
            connection=ConnectionSettings(addr=server.addr, token=server.root_token),
            initial_view="leases",
            lease_refresh_seconds=0,
            **config,
        ),
        tick=False,
    )
    app.now = T0
    fix_address(app)  # the port is random: the bar always shows ADDR
    return app


async def until(pilot, condition, what: str, timeout: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.05)


async def settle(pilot) -> LeasesScreen:
    """The dashboard is open, refreshed, its footer built, and the session bar fixed."""
    app = pilot.app
    await until(pilot, lambda: view_mounted(app) and isinstance(app.screen, LeasesScreen), "the dashboard")
    screen = app.screen
    await until(pilot, lambda: screen.refresh_count > 0 and screen._footer is not None, "the first refresh")
    await until(pilot, lambda: bool(screen._footer.children), "the footer's keys")
    app.update_session(addr=ADDR, server=app.session.server, last_good=T0)
    app.now = T0
    await pilot.pause(0.2)
    return screen


async def quiet(pilot, screen: LeasesScreen) -> None:
    """No refresh running, nothing left to paint (the keep-alive worker never completes)."""
    await until(pilot, lambda: not screen.refreshing, "the refresh to finish")
    for box in pilot.app.screen.query(Input):
        box.cursor_blink = False  # a blinking cursor is shown or not at random
    await pilot.pause(0.3)


def snap(snap_compare, app, size, steps=None) -> bool:
    async def run_before(pilot):
        screen = await settle(pilot)
        if steps is not None:
            await steps(pilot, screen)
        await quiet(pilot, screen)

    return snap_compare(app, run_before=run_before, terminal_size=size)


# -- the dashboard --------------------------------------------------------------------------------------
@pytest.mark.parametrize("size", SIZES)
def test_dashboard_grouped(snap_compare, snapshot_server, fixed_leases, size):
    assert snap(snap_compare, dashboard(snapshot_server), size)


@pytest.mark.parametrize("size", SIZES)
def test_dashboard_flat(snap_compare, snapshot_server, fixed_leases, size):
    async def flat(pilot, screen):
        await pilot.press("G", "s")  # flat, sorted by TTL

    assert snap(snap_compare, dashboard(snapshot_server), size, flat)


@pytest.mark.parametrize("size", SIZES)
def test_detail_side_panel(snap_compare, snapshot_server, fixed_leases, size):
    async def detail(pilot, screen):
        screen._adopt_creds(CREDS)  # issued this session: the panel shows its credentials
        await pilot.press("v")  # revealed

    assert snap(snap_compare, dashboard(snapshot_server), size, detail)


# -- the dialogs ---------------------------------------------------------------------------------------
def on_lease(lease_id: str, *keys: str):
    async def steps(pilot, screen):
        screen.table.move_to(lease_id)
        await pilot.press(*keys)
        await until(pilot, lambda: pilot.app.screen is not screen and pilot.app.screen.is_mounted, "a dialog")

    return steps


@pytest.mark.parametrize("size", SIZES)
def test_renew_dialog(snap_compare, snapshot_server, fixed_leases, size):
    steps = on_lease("database/creds/readonly/Vx1c9Qe0aZrT2mNb8Lk3", "n")
    assert snap(snap_compare, dashboard(snapshot_server), size, steps)


@pytest.mark.parametrize("size", SIZES)
def test_revoke_confirm(snap_compare, snapshot_server, fixed_leases, size):
    steps = on_lease("database/creds/readwrite/Zt5Rf8Gh1JkL3nMp7Qw2", "x")
    assert snap(snap_compare, dashboard(snapshot_server), size, steps)


@pytest.mark.parametrize("size", SIZES)
def test_revoke_prefix_typed(snap_compare, snapshot_server, fixed_leases, size):
    async def steps(pilot, screen):
        await on_lease("database/creds/readonly/", "P")(pilot, screen)
        await pilot.press(*"database/creds/")

    assert snap(snap_compare, dashboard(snapshot_server), size, steps)


@pytest.mark.parametrize("size", SIZES)
def test_force_revoke_warning(snap_compare, snapshot_server, fixed_leases, size):
    async def steps(pilot, screen):
        await on_lease("database/creds/readonly/", "ctrl+x")(pilot, screen)
        await pilot.press(*"database/creds/readonly/", "enter")
        await until(pilot, lambda: type(pilot.app.screen).__name__ == "ConfirmScreen", "the second warning")

    assert snap(snap_compare, dashboard(snapshot_server), size, steps)


@pytest.mark.parametrize("size", SIZES)
def test_generate_credentials(snap_compare, snapshot_server, fixed_leases, size):
    async def steps(pilot, screen):
        await pilot.press("g")
        await until(pilot, lambda: pilot.app.screen is not screen, "the role picker")
        picker = pilot.app.screen
        await until(pilot, lambda: "role(s)" in str(picker.query_one("#gen-status").render()), "the roles")

    assert snap(snap_compare, dashboard(snapshot_server), size, steps)


@pytest.mark.parametrize("size", SIZES)
def test_quit_with_leases(snap_compare, snapshot_server, fixed_leases, size):
    async def steps(pilot, screen):
        screen._adopt_creds(CREDS)
        await pilot.press("ctrl+q")
        await until(pilot, lambda: type(pilot.app.screen).__name__ == "QuitLeasesScreen", "the quit prompt")

    assert snap(snap_compare, dashboard(snapshot_server), size, steps)


# -- modes ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("size", SIZES)
def test_no_sudo(snap_compare, snapshot_server, fixed_leases, size):
    fixed_leases["no_sudo"] = True

    async def steps(pilot, screen):
        screen._adopt_creds(CREDS)  # what this session issued is shown without sudo
        screen.table.focus()

    assert snap(snap_compare, dashboard(snapshot_server), size, steps)


@pytest.mark.parametrize("size", SIZES)
def test_read_only(snap_compare, snapshot_server, fixed_leases, size):
    assert snap(snap_compare, dashboard(snapshot_server, read_only=True), size)


@pytest.mark.parametrize("size", SIZES)
def test_no_color(snap_compare, snapshot_server, fixed_leases, monkeypatch, size):
    monkeypatch.setenv("NO_COLOR", "1")
    steps = on_lease("database/creds/readwrite/Zt5Rf8Gh1JkL3nMp7Qw2")

    async def cursor(pilot, screen):
        screen.table.move_to("database/creds/readwrite/Zt5Rf8Gh1JkL3nMp7Qw2")

    assert steps is not None
    assert snap(snap_compare, dashboard(snapshot_server), size, cursor)


# -- the audit -------------------------------------------------------------------------------------------
async def open_inventory(pilot, screen) -> None:
    await pilot.press("a")
    await until(pilot, lambda: screen.inventory_shown and screen.audit.roles is not None, "the role check")
    await until(pilot, lambda: not screen.audit_checking, "the counts")


@pytest.mark.parametrize("size", SIZES)
def test_inventory_summary(snap_compare, snapshot_server, fixed_leases, size):
    assert snap(snap_compare, dashboard(snapshot_server), size, open_inventory)


@pytest.mark.parametrize("size", SIZES)
def test_expiry_chart(snap_compare, snapshot_server, fixed_leases, size):
    async def chart(pilot, screen):
        await open_inventory(pilot, screen)
        screen.query_one("#inv-chart").focus()
        await pilot.press("right")  # +1h to +2h selected

    assert snap(snap_compare, dashboard(snapshot_server), size, chart)
