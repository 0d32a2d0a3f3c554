"""Pilot tests of the history view with a temporary trail file (``config.trail_path``)."""

from __future__ import annotations

from helpers import app_for, screen_ready, wait_for, wait_ready
from newviews_fixtures import write_trail
from rich.text import Text
from textual.widgets import Input, Static

from vault_tui.trail import Action, Trail
from vault_tui.views.history.screen import HistoryScreen
from vault_tui.views.pki.screen import PkiScreen
from vault_tui.views.secrets.screen import BrowserScreen


def plain(widget: Static) -> str:
    rendered = widget.render()
    return rendered.plain if isinstance(rendered, Text) else str(rendered)


def history_app(settings, tmp_path, **config):
    app = app_for(settings, initial_view="history", **config)
    app.config.trail_path = str(tmp_path / "trail.jsonl")  # the one attribute the view reads
    return app


async def open_history(pilot, count: int) -> HistoryScreen:
    app = pilot.app
    await wait_ready(pilot)
    await wait_for(pilot, lambda: screen_ready(app, HistoryScreen), timeout=30, what="history view")
    screen: HistoryScreen = app.screen
    await wait_for(pilot, lambda: screen.loaded and len(screen.entries) == count, timeout=30, what="trail read")
    await pilot.pause()
    return screen


async def test_history_newest_first_filter_and_reload_when_shown(settings, tmp_path):
    trail = write_trail(tmp_path / "trail.jsonl")
    app = history_app(settings, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_history(pilot, 8)
        table = screen.table
        assert table.row_count == 8
        actions = [str(table.get_row_at(i)[1].plain) for i in range(8)]
        assert actions == [
            "patch",
            "cert-revoke",
            "cert-issue",
            "destroy",
            "renew",
            "credentials-issued",
            "key-rotate",
            "write",
        ]
        first = [cell.plain for cell in table.get_row_at(0)]
        assert first == ["2026-03-01 11:07", "patch", "ok", "secret/team/app/api", "dev", "—", "http://127.0.0.1:8200"]
        failed = [cell.plain for cell in table.get_row_at(3)]
        assert failed[1:4] == ["destroy", "permission denied", "secret/team/old/token v1,2"]
        assert table.get_row_at(3)[2].style == "bold red"
        assert "8 changes recorded · 1 failed" in plain(screen.query_one("#history-status", Static))
        detail = plain(screen.query_one("#history-detail", Static))
        assert "2026-03-01 11:07:00 UTC  patch secret/team/app/api\nok · profile dev" in detail
        # / filters over every field.
        await pilot.press("slash")
        screen.query_one("#history-filter", Input).value = "team-a"
        await wait_for(pilot, lambda: table.row_count == 5, what="filtered to the prod namespace")
        assert "5 match" in plain(screen.query_one("#history-status", Static))
        await pilot.press("escape")
        await wait_for(pilot, lambda: table.row_count == 8, what="filter cleared")
        # A change made elsewhere appears when the view is shown again.
        app.action_view("browser")
        await wait_for(pilot, lambda: screen_ready(app, BrowserScreen), timeout=30, what="browser")
        Trail(trail.path).record(Action.UNDELETE, "secret/team/new", profile="dev", server="http://127.0.0.1:8200")
        app.command_line.run("trail")  # :trail
        await wait_for(pilot, lambda: app.screen is screen and len(screen.entries) == 9, timeout=30, what="reloaded")
        await wait_for(pilot, lambda: table.row_count == 9, what="new row")
        assert table.get_row_at(0)[1].plain == "undelete"


async def test_history_enter_opens_the_item(settings, tmp_path, monkeypatch):
    write_trail(tmp_path / "trail.jsonl")
    opened: list[str] = []
    monkeypatch.setattr(BrowserScreen, "open_path", lambda self, path: opened.append(path), raising=False)
    app = history_app(settings, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_history(pilot, 8)
        screen.table.focus()
        await pilot.press("enter")  # the newest: a patch of secret/team/app/api
        await wait_for(pilot, lambda: opened == ["secret/team/app/api"], timeout=30, what="secret opened")
        assert isinstance(app.screen, BrowserScreen)
        # A certificate entry opens the PKI view (which says when the certificate is not there).
        app.action_view("history")
        await wait_for(pilot, lambda: app.screen is screen and screen.loaded, what="history again")
        notes: list[str] = []
        original = app.notify
        app.notify = lambda message, *a, **k: (notes.append(str(message)), original(message, *a, **k))[-1]
        screen.table.move_cursor(row=1)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_ready(app, PkiScreen), timeout=30, what="PKI view")
        pki_screen: PkiScreen = app.screen
        await wait_for(
            pilot, lambda: pki_screen.loaded_once and not pki_screen.loading_now, timeout=60, what="PKI loaded"
        )
        await wait_for(pilot, lambda: any("3a:12" in n for n in notes), timeout=30, what="told it is not there")
        # An issue entry has no serial yet: the PKI view shows the certificates with that name.
        app.action_view("history")
        await wait_for(pilot, lambda: app.screen is screen and screen.loaded, what="history again")
        screen.table.move_cursor(row=2)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is pki_screen, timeout=30, what="PKI view again")
        await wait_for(pilot, lambda: pki_screen.filter_text == "grafana.example.test", what="filtered by name")


async def test_history_empty_trail_says_so(settings, tmp_path):
    app = history_app(settings, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_history(pilot, 0)
        assert "Nothing recorded yet" in plain(screen.query_one("#history-status", Static))
        await pilot.press("enter")
        assert app.screen is screen
