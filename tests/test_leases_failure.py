"""The lease dashboard under failure (issue 9): a server that goes away and comes back, revocations
that fail on quit, and replies that arrive before the screen is composed or after it is gone."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import hvac
from conftest import unique
from lease_fixtures import *  # noqa: F401,F403 - fixtures
from lease_fixtures import lease_app, make_db_role, open_dashboard, refreshed
from textual.message import Message

from tests.helpers import screen_ready, wait_for
from vault_tui.demo.servers import BaoServer
from vault_tui.vault.client import ConnectionSettings
from vault_tui.vault.errors import InvalidRequest, Unreachable
from vault_tui.vault.leases import IssuedCredentials, Lease, RenewResult, RevokeResult
from vault_tui.views.leases.dialogs import QuitLeasesScreen, RevokeFailedScreen
from vault_tui.views.leases.model import KeepAliveEvent
from vault_tui.views.leases.screen import LeasesScreen


def token_leases(server: BaoServer, count: int) -> str:
    client = hvac.Client(url=server.addr, token=server.root_token)
    role = unique("tr")
    client.write(f"auth/token/roles/{role}", allowed_policies="default", token_ttl="1h")
    for _ in range(count):
        client.write(f"auth/token/create/{role}", policies=["default"])
    return f"auth/token/create/{role}/"


def status(screen: LeasesScreen) -> str:
    return str(screen.query_one("#lease-status").render())


async def test_server_away_keeps_the_rows_marked_stale_and_recovery_reloads():
    server = BaoServer().start()
    port, token = server.port, server.root_token
    prefix = token_leases(server, 3)
    again = None
    try:
        app = lease_app(ConnectionSettings(addr=server.addr, token=token))
        async with app.run_test(size=(160, 40)) as pilot:
            screen = await open_dashboard(pilot)
            shown = screen.store.ids_under(prefix)
            assert len(shown) == 3 and all(i in screen.store.known for i in shown)
            assert "refreshed" in status(screen)
            server.stop()
            count = screen.refresh_count
            await pilot.press("r")
            await wait_for(pilot, lambda: screen.refresh_count > count, timeout=60, what="the failed refresh")
            # It kept what it showed, says so with its age, and never claims "refreshed".
            assert screen.store.ids_under(prefix) == shown and all(i in screen.store.known for i in shown)
            assert not screen.store.errors
            text = status(screen)
            assert "refreshed" not in text and "STALE" in text and "last good" in text, text
            assert screen.table.stale and "(stale)" in screen.table.render_line(0).text
            assert isinstance(screen.refreshes.last.failure, Unreachable)
            assert any("server is away" in line for line in screen.activity)
            # The clock moves on: so does the age.
            app.now = app.now.replace(microsecond=0)
            # The server comes back (a new dev server on the same port: its leases are new).
            again = BaoServer(port=port, root_token=token).start()
            fresh = token_leases(again, 2)
            await wait_for(
                pilot,
                lambda: len(screen.store.ids_under(fresh)) == 2 and not screen.refreshes.stale(app.session.stale),
                timeout=90,
                what="the app's recovery reloading the view",
            )
            await wait_for(pilot, lambda: not screen.refreshing, timeout=60, what="the reload finished")
            assert not screen.store.ids_under(prefix)  # gone with the old server: the rows say so
            text = status(screen)
            assert "refreshed" in text and "STALE" not in text, text
            assert not screen.table.stale
    finally:
        server.stop()
        if again is not None:
            again.stop()


async def test_quit_names_each_failed_revocation_and_stays_until_seen(settings, root_client, lease_db, postgres):
    good = make_db_role(root_client, lease_db)
    bad = make_db_role(root_client, lease_db, revocation=["THIS IS NOT SQL;"])
    app = lease_app(settings)
    try:
        async with app.run_test(size=(140, 40)) as pilot:
            screen = await open_dashboard(pilot)
            screen.generate(lease_db, good)
            screen.generate(lease_db, bad)
            await wait_for(pilot, lambda: len(screen.issued) == 2, what="two leases issued")
            doomed = next(i for i in screen.issued if f"/{bad}/" in i)
            fine = next(i for i in screen.issued if f"/{good}/" in i)
            await pilot.press("ctrl+q")
            await wait_for(pilot, lambda: screen_ready(app, QuitLeasesScreen), what="quit prompt")
            await pilot.click("#revoke")
            report = await wait_for(
                pilot,
                lambda: app.screen if screen_ready(app, RevokeFailedScreen) else None,
                timeout=60,
                what="the report of failed revocations",
            )
            assert app.is_running  # not gone before the user has seen it
            assert report.failures and [lease_id for lease_id, _ in report.failures] == [doomed]
            text = " ".join(str(w.render()) for w in report.query("Static"))
            assert doomed in text and fine not in text and "1 of 2 revocation(s) failed" in text
            stay = report.query_one("#stay")
            await wait_for(pilot, lambda: app.focused is stay, what="the safe choice focused")
            await pilot.press("enter")  # stay
            await wait_for(pilot, lambda: app.screen is screen, what="back in the app")
            assert app.is_running and list(screen.issued) == [doomed]
            assert any("on quit failed" in line for line in screen.activity)
            # Quitting again asks again, about the one still live; "keep" quits.
            await pilot.press("ctrl+q")
            prompt = await wait_for(
                pilot, lambda: app.screen if screen_ready(app, QuitLeasesScreen) else None, what="asked again"
            )
            assert prompt.lease_ids == [doomed]
            await pilot.click("#keep")
            await wait_for(pilot, lambda: not app.is_running, timeout=30, what="quit")
    finally:
        root_client.write(f"sys/leases/revoke-force/{lease_db}/creds/{bad}")
        root_client.write(f"sys/leases/revoke-prefix/{lease_db}/creds/{good}", sync=True)


# -- replies that arrive early or late ---------------------------------------------------------------
T0 = datetime(2030, 1, 1, tzinfo=UTC)
LEASE = Lease("db/creds/ro/x", T0, T0, None, True, 60, T0)
CREDS = IssuedCredentials("db", "ro", "db/creds/ro/x", 60, True, T0, {"username": "u", "password": "p"})


def every_reply() -> list[Message]:
    cls = LeasesScreen
    return [
        cls.Renewed(RenewResult(LEASE, 60, 60)),
        cls.Revoked("db/creds/ro/x", RevokeResult(1)),
        cls.PrefixRevoked(RevokeResult(1, prefix="db/creds/ro")),
        cls.LookedUp(LEASE, by_hand=True),
        cls.CredsIssued(CREDS),
        cls.LeaseFailed("db/creds/ro/x", "renewing", InvalidRequest("no")),
        cls.KeepAliveReport(KeepAliveEvent("renewed", "db/creds/ro/x", LEASE)),
    ]


def handlers(screen: LeasesScreen) -> dict[type, list]:
    out: dict[type, list] = {}
    for klass in type(screen).__mro__:
        for name, member in vars(klass).items():
            for message_type, _selectors in getattr(member, "_textual_on", ()):
                out.setdefault(message_type, []).append(getattr(screen, name))
    return out


async def test_replies_before_compose_or_after_the_screen_is_gone(settings):
    app = lease_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_dashboard(pilot)
        table = handlers(screen)
        replies = every_reply()
        assert {type(m) for m in replies} <= set(table), "a reply without a handler"
        # Not composed yet: a new screen that never joined the app. Nothing runs, nothing breaks.
        early = LeasesScreen()
        for message in replies:
            for handler in handlers(early)[type(message)]:
                handler(dataclasses.replace(message))
        early.reload()
        early.update_status()
        early.show_detail()
        # Gone: a second dashboard pushed, composed, then popped.
        late = LeasesScreen()
        await app.push_screen(late)
        await wait_for(pilot, lambda: late.is_mounted and late.refresh_count > 0, timeout=60, what="second screen")
        await app.pop_screen()
        await wait_for(pilot, lambda: not late.is_attached, what="second screen gone")
        for message in replies:
            for handler in handlers(late)[type(message)]:
                handler(dataclasses.replace(message))
        late.reload()
        late._tick(app.now)
        assert late.quit_guard not in app.quit_guards  # a gone screen does not guard the quit
        # The live screen handles them all.
        for message in replies:
            screen.post_message(dataclasses.replace(message))
        await pilot.pause(0.3)
        await refreshed(pilot, screen)
        assert app.is_running and screen.is_attached
        await screen.revoke_session_leases()
