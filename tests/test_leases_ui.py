"""Pilot tests of the lease dashboard against a real OpenBao and PostgreSQL, plus a snapshot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import hvac
import pytest
from conftest import unique
from lease_fixtures import *  # noqa: F401,F403 - fixtures
from lease_fixtures import lease_app, line_text, make_db_role, open_dashboard, pg_role_exists, refreshed
from textual.app import App, ComposeResult

from tests.helpers import screen_ready, wait_for
from vault_tui.vault import leases as api
from vault_tui.vault.client import ConnectionSettings
from vault_tui.vault.leases import Lease
from vault_tui.views import leases as leases_view
from vault_tui.views.leases.dialogs import GenerateCredsScreen
from vault_tui.views.leases.model import LeaseStore
from vault_tui.views.leases.table import LeaseTable


async def test_dashboard_lists_db_token_and_userpass_leases(
    settings, bao, root_client, lease_db, db_role, userpass_mount
):
    creds = [root_client.read(f"{lease_db}/creds/{db_role}") for _ in range(2)]
    token_role = unique("tr")
    root_client.write(f"auth/token/roles/{token_role}", allowed_policies="default", token_ttl="1h")
    root_client.write(f"auth/token/create/{token_role}", policies=["default"])
    user = hvac.Client(url=bao.addr)
    user.auth.userpass.login("alice", "pw", mount_point=userpass_mount)

    app = lease_app(settings)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_dashboard(pilot)
        store, table = screen.store, screen.table
        for item in creds:
            assert item["lease_id"] in store.known
        token_ids = store.ids_under(f"auth/token/create/{token_role}/")
        userpass_ids = store.ids_under(f"auth/{userpass_mount}/login/alice/")
        assert len(token_ids) == 1 and len(userpass_ids) == 1
        # Grouped by prefix with counts.
        group = next(r for r in table.rows if r.is_group and r.key == f"{lease_db}/creds/{db_role}/")
        assert group.total == 2
        # Rows show a TTL; auth leases say not renewable.
        assert "59m" in line_text(table, creds[0]["lease_id"])
        assert line_text(table, token_ids[0]).rstrip().endswith("no")
        assert store.known[userpass_ids[0]].is_auth


async def test_countdown_advances_without_server_requests(settings, root_client, lease_db, db_role):
    lease_id = root_client.read(f"{lease_db}/creds/{db_role}")["lease_id"]
    app = lease_app(settings)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_dashboard(pilot)
        table = screen.table
        expire = screen.store.known[lease_id].expire_time
        app.now = expire - timedelta(seconds=600)
        await pilot.pause()
        before = app.worker.requests_sent
        renders = table.renders
        assert "10m00s" in line_text(table, lease_id)
        app.now = expire - timedelta(seconds=30)  # crosses the critical threshold
        await pilot.pause()
        assert "30s" in line_text(table, lease_id)
        app.now = expire + timedelta(seconds=1)
        await pilot.pause()
        assert "expired" in line_text(table, lease_id)
        assert app.worker.requests_sent == before  # no request per tick, per row or otherwise
        # Only visible lines re-render on a tick (never the whole 5,000-row list).
        assert table.renders - renders < 3 * table.size.height + 10


async def test_second_refresh_does_not_re_look_up_known_leases(settings, root_client, lease_db, db_role):
    root_client.read(f"{lease_db}/creds/{db_role}")
    app = lease_app(settings)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_dashboard(pilot)
        await refreshed(pilot, screen)
        soon = datetime.now(UTC) + timedelta(seconds=30)
        # Leases whose expiry is known (and still ahead) were not looked up again.
        stable = {i for i, lease in screen.store.known.items() if lease.expire_time is None or lease.expire_time > soon}
        assert stable and not (screen.last_looked_up & stable)
        await refreshed(pilot, screen, force=True)  # asked for: look everything up again
        assert stable <= screen.last_looked_up


async def test_renew_from_the_ui_changes_expiry(settings, root_client, lease_db):
    role = make_db_role(root_client, lease_db, default_ttl="120s", max_ttl="1h")
    lease_id = root_client.read(f"{lease_db}/creds/{role}")["lease_id"]
    app = lease_app(settings)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_dashboard(pilot)
        old = screen.store.known[lease_id].expire_time
        assert screen.table.move_to(lease_id)
        await pilot.press("n")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "RenewDialog", what="prompt")
        await pilot.press(*"30m", "enter")
        await wait_for(
            pilot, lambda: screen.store.known[lease_id].expire_time > old + timedelta(minutes=20), what="renewed"
        )
        assert screen.store.known[lease_id].last_renewal is not None
        assert "29m" in line_text(screen.table, lease_id) or "30m" in line_text(screen.table, lease_id)


async def test_renew_token_lease_is_refused_clearly(settings, root_client):
    role = unique("tr")
    root_client.write(f"auth/token/roles/{role}", allowed_policies="default", token_ttl="1h")
    root_client.write(f"auth/token/create/{role}", policies=["default"])
    seen = []
    app = lease_app(settings)
    async with app.run_test(size=(140, 40), message_hook=seen.append) as pilot:
        screen = await open_dashboard(pilot)
        lease_id = screen.store.ids_under(f"auth/token/create/{role}/")[0]
        screen.table.move_to(lease_id)
        await pilot.press("n")
        await pilot.pause()
        assert type(app.screen).__name__ == "LeasesScreen"  # no prompt for a non-renewable lease
        assert any("cannot be renewed" in line for line in screen.activity)


async def test_revoke_with_confirmation_removes_lease_and_pg_role(settings, root_client, lease_db, db_role, postgres):
    data = root_client.read(f"{lease_db}/creds/{db_role}")
    lease_id, username = data["lease_id"], data["data"]["username"]
    app = lease_app(settings)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_dashboard(pilot)
        screen.table.move_to(lease_id)
        await pilot.press("x")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen", what="confirm")
        await pilot.press("y")
        await wait_for(pilot, lambda: lease_id not in screen.store, what="row removed")
        assert not pg_role_exists(postgres, username)
        assert api.list_lease_ids(app.gateway, f"{lease_db}/creds/{db_role}") == ()


async def test_revoke_prefix_counts_then_typed_confirmation(settings, root_client, lease_db, db_role, postgres):
    users = [root_client.read(f"{lease_db}/creds/{db_role}")["data"]["username"] for _ in range(3)]
    prefix = f"{lease_db}/creds/{db_role}/"
    app = lease_app(settings)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_dashboard(pilot)
        assert screen.table.move_to(prefix)
        await pilot.press("P")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "TypedConfirmScreen", what="typed confirm")
        body = str(app.screen._body)
        assert "3 leases" in body
        await pilot.press(*prefix[:-3])
        await pilot.press("enter")
        assert type(app.screen).__name__ == "TypedConfirmScreen"  # a wrong prefix does nothing
        await pilot.press(*prefix[-3:])
        assert app.screen.query_one("#typed").value == prefix
        await pilot.press("enter")
        await wait_for(pilot, lambda: not screen.store.ids_under(prefix), what="prefix revoked")
        assert api.count_prefix(screen.app.gateway, prefix) == 0
        for name in users:
            assert not pg_role_exists(postgres, name)


async def test_generate_credentials_masked_copy_and_session_leases(settings, root_client, lease_db, db_role):
    copied = []
    app = lease_app(settings)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_dashboard(pilot)
        app.copy_secret = lambda text, label="value": copied.append((label, text))
        await pilot.press("g")
        await wait_for(pilot, lambda: screen_ready(app, GenerateCredsScreen), what="generate modal")
        await pilot.press(*f"{lease_db}/creds/{db_role}", "enter")
        await wait_for(pilot, lambda: screen.issued, what="credentials")
        ((lease_id, creds),) = screen.issued.items()
        assert lease_id in screen.store and screen.table.current_lease_id == lease_id
        shown = str(screen.query_one("#lease-creds").render())
        assert creds.password not in shown and creds.username not in shown and "••••" in shown
        await pilot.press("p")
        assert copied == [("password", creds.password)]
        assert list(screen.issued) == [lease_id]
        assert "★" in line_text(screen.table, lease_id)
        assert await screen.revoke_session_leases() == []
        assert list(screen.issued) == []
        with pytest.raises(api.LeaseGone):
            api.lookup_lease(app.gateway, lease_id)


async def test_keepalive_from_the_ui_renews_past_original_expiry(settings, root_client, lease_db):
    role = make_db_role(root_client, lease_db, default_ttl="5s", max_ttl="1h")
    lease_id = root_client.read(f"{lease_db}/creds/{role}")["lease_id"]
    app = lease_app(settings)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_dashboard(pilot)
        first = screen.store.known[lease_id].expire_time
        screen.table.move_to(lease_id)
        await pilot.press("K")
        assert lease_id in screen.keepalive
        await wait_for(pilot, lambda: datetime.now(UTC) > first + timedelta(seconds=3), timeout=15, what="time")
        assert api.lookup_lease(app.gateway, lease_id).expire_time > first
        assert screen.store.known[lease_id].expire_time > first
        assert any("keep-alive renewed" in line for line in screen.activity)
        screen.keepalive.unwatch(lease_id)


async def test_no_sudo_token_says_so_and_offers_lookup(bao, root_client, lease_db, db_role, no_sudo_token):
    other = root_client.read(f"{lease_db}/creds/{db_role}")["lease_id"]
    app = lease_app(ConnectionSettings(addr=bao.addr, token=no_sudo_token))
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_dashboard(pilot)
        assert screen.can_list is False
        notice = screen.query_one("#lease-notice")
        assert notice.display and "sudo" in str(notice.render())
        assert screen.query_one("#lease-lookup").display
        assert len(screen.store) == 0
        screen.generate(lease_db, db_role)  # issued this session: shown
        await wait_for(pilot, lambda: screen.issued, what="issued")
        screen.query_one("#lease-lookup").focus()
        await pilot.press(*other, "enter")
        await wait_for(pilot, lambda: other in screen.store.known, what="looked up by id")
        assert len(screen.store) == 2
        await refreshed(pilot, screen)  # a refresh keeps both
        assert len(screen.store) == 2
        await screen.revoke_session_leases()


async def test_revoked_elsewhere_row_updates_to_truth(settings, root_client, lease_db, db_role):
    lease_id = root_client.read(f"{lease_db}/creds/{db_role}")["lease_id"]
    app = lease_app(settings)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_dashboard(pilot)
        root_client.write("sys/leases/revoke", lease_id=lease_id, sync=True)
        screen.table.move_to(lease_id)
        await pilot.press("n")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "RenewDialog", what="prompt")
        await pilot.press("enter")
        await wait_for(pilot, lambda: lease_id not in screen.store, what="row removed")
        assert any("already gone" in line for line in screen.activity)


async def test_read_only_hides_and_blocks_writes(settings, root_client, lease_db, db_role):
    lease_id = root_client.read(f"{lease_db}/creds/{db_role}")["lease_id"]
    app = lease_app(settings, read_only=True)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_dashboard(pilot)
        keys = {b.binding.action for b in screen.active_bindings.values()}
        assert "renew" not in keys and "revoke" not in keys and "generate" not in keys
        screen.table.move_to(lease_id)
        await pilot.press("x")
        await pilot.pause()
        assert type(app.screen).__name__ == "LeasesScreen"
        assert lease_id in screen.store


async def test_poll_waits_while_a_modal_is_open(settings):
    app = lease_app(settings, lease_refresh_seconds=0.2)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_dashboard(pilot)
        await pilot.press("g")
        await wait_for(pilot, lambda: screen_ready(app, GenerateCredsScreen), what="modal")
        await wait_for(pilot, lambda: screen._poll_waiting, what="poll deferred")
        count = screen.refresh_count
        await pilot.pause(0.5)
        assert screen.refresh_count == count and not screen.refreshing
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen.refresh_count > count, what="poll resumed")


# -- the widget on its own: hostile ids and a snapshot ----------------------------------------------
T0 = datetime(2030, 1, 1, 12, 0, 0, tzinfo=UTC)


def fixed_store() -> LeaseStore:
    store = LeaseStore()
    rows = [
        ("database/creds/readonly/Vx1c9Qe0aZrT2mNb", 3500, True),
        ("database/creds/readonly/Kq7Lm2PzX0bW4yHa", 240, True),
        ("database/creds/readwrite/Zt5Rf8Gh1JkL3nMp", 45, True),
        ("auth/token/create/h4f2a9c1e7b3d5f6a8c0e2b4d6f8a1c3e", 1800, True),
        ("aws/creds/deploy/[red]x\x1b]0;evil\x07", -3, True),
        ("pki/issue/web/6d:2f:aa:19", 86400 * 3, False),
    ]
    for lease_id, ttl, renewable in rows:
        store.add(
            lease_id,
            Lease(
                id=lease_id,
                issue_time=T0 - timedelta(minutes=10),
                expire_time=T0 + timedelta(seconds=ttl),
                last_renewal=None,
                server_renewable=renewable,
                ttl=max(ttl, 0),
                looked_up_at=T0,
            ),
        )
    store.add("database/creds/readonly/pendingNotLookedUp")
    store.marked.add("database/creds/readonly/Kq7Lm2PzX0bW4yHa")
    return store


class TableApp(App[None]):
    CSS_PATH = str(Path(leases_view.__file__).parent / "leases.tcss")

    def compose(self) -> ComposeResult:
        table = LeaseTable(fixed_store(), warn_seconds=300, critical_seconds=60, id="t")
        table.now = T0
        table.keepalive = frozenset({"database/creds/readonly/Vx1c9Qe0aZrT2mNb"})
        yield table

    def on_mount(self) -> None:
        table = self.query_one(LeaseTable)
        table.rebuild()
        table.focus()


async def test_hostile_lease_ids_render_as_plain_text():
    app = TableApp()
    async with app.run_test(size=(120, 20)) as pilot:
        table = app.query_one(LeaseTable)
        table.now = T0
        await pilot.pause()
        lines = [table.render_line(y).text for y in range(len(table.rows) + 1)]
        hostile = next(line for line in lines if "[red]x" in line)
        assert "\x1b" not in hostile and "\x07" not in hostile and "\\x1b" in hostile
        assert "expired" in hostile
        await pilot.press("down", "down", "enter")  # collapse a group
        assert any(r.collapsed for r in table.rows if r.is_group)


def test_lease_table_snapshot(snap_compare):
    async def settle(pilot):
        await pilot.pause()

    assert snap_compare(TableApp(), run_before=settle, terminal_size=(120, 16))
