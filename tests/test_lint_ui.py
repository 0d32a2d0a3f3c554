"""Pilot tests of the lint view against a real OpenBao with planted problems."""

from __future__ import annotations

import csv
import io
import json
import os
import stat

import pytest
from conftest import unique
from helpers import app_for, screen_ready, wait_for, wait_ready
from rich.text import Text
from textual.widgets import Input, Static

from vault_tui.screens.modals import PromptScreen
from vault_tui.views.lint.checks import FindingKind, LintSettings
from vault_tui.views.lint.model import CSV_COLUMNS
from vault_tui.views.lint.screen import LintScreen
from vault_tui.views.pki.screen import PkiScreen
from vault_tui.views.secrets.screen import SecretsScreen

PLANTED_VALUE = "lint-ui-planted-value-9XkQ2w"


@pytest.fixture
def planted(root_client):
    """A KV v2 mount without cas (one secret), a transit key never rotated, a PKI mount with a
    certificate expiring in 3 days."""
    kv, transit, pki_mount = unique("lintui-kv-"), unique("lintui-tr-"), unique("lintui-pki-")
    c = root_client
    c.sys.enable_secrets_engine("kv", path=kv, options={"version": "2"})
    c.secrets.kv.v2.create_or_update_secret("team/app/db", secret={"password": PLANTED_VALUE}, mount_point=kv)
    c.sys.enable_secrets_engine("transit", path=transit)
    c.secrets.transit.create_key("never", mount_point=transit)
    c.sys.enable_secrets_engine("pki", path=pki_mount, config={"max_lease_ttl": "87600h"})
    c.write(
        f"{pki_mount}/root/generate/internal", common_name="lint ui root", ttl="87600h", key_type="ec", key_bits=256
    )
    c.write(
        f"{pki_mount}/roles/web", allowed_domains="example.test", allow_subdomains=True, key_type="ec", key_bits=256
    )
    serial = c.write(f"{pki_mount}/issue/web", common_name="soon.example.test", ttl="72h")["data"]["serial_number"]
    yield kv, transit, pki_mount, serial
    for mount in (kv, transit, pki_mount):
        try:
            c.sys.disable_secrets_engine(mount)
        except Exception:
            pass


def plain(widget: Static) -> str:
    rendered = widget.render()
    return rendered.plain if isinstance(rendered, Text) else str(rendered)


async def open_lint(pilot) -> LintScreen:
    app = pilot.app
    await wait_ready(pilot)
    await wait_for(pilot, lambda: screen_ready(app, LintScreen), timeout=30, what="lint view")
    screen: LintScreen = app.screen
    await wait_for(pilot, lambda: screen.report is not None and not screen.running, timeout=90, what="lint finished")
    await pilot.pause()
    return screen


def found(screen: LintScreen) -> set[tuple[FindingKind, str]]:
    assert screen.report is not None
    return {(f.kind, f.path) for f in screen.report.findings}


async def test_lint_finds_the_planted_problems_and_opens_them(settings, planted, monkeypatch):
    kv, transit, pki_mount, serial = planted
    opened: list[str] = []
    monkeypatch.setattr(SecretsScreen, "open_path", lambda self, path: opened.append(path), raising=False)
    app = app_for(settings, initial_view="lint")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_lint(pilot)
        assert {
            (FindingKind.MOUNT_CAS_OFF, f"{kv}/"),
            (FindingKind.SECRET_CAS_OFF, f"{kv}/team/app/db"),
            (FindingKind.KEY_NEVER_ROTATED, f"{transit}/keys/never"),
            (FindingKind.CERT_EXPIRING, f"{pki_mount}/cert/{serial}"),
        } <= found(screen)
        assert "finding" in plain(screen.query_one("#lint-status", Static))
        table = screen.table
        assert table.row_count == len(screen.report.findings)
        # Sorted most severe first; s sorts by the next column, S reverses.
        ranks = [f.severity.rank for f in screen.shown]
        assert ranks == sorted(ranks)
        await pilot.press("s")
        assert screen.sort_column == "kind"
        kinds = [f.kind.value for f in screen.shown]
        assert kinds == sorted(kinds)
        await pilot.press("S")
        assert [f.kind.value for f in screen.shown] == sorted(kinds, reverse=True)
        # Filter to the planted secret; enter opens it in the secrets view.
        await pilot.press("slash")
        screen.query_one("#lint-filter", Input).value = f"{kv}/team"
        await wait_for(pilot, lambda: [f.path for f in screen.shown] == [f"{kv}/team/app/db"], what="filtered")
        assert f"{kv}/team/app/db" in plain(screen.query_one("#lint-detail", Static))
        table.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: opened == [f"{kv}/team/app/db"], timeout=30, what="secret opened")
        assert isinstance(app.screen, SecretsScreen)
        # Back to lint (the report is kept), then a certificate opens in the PKI view.
        app.action_view("lint")
        await wait_for(pilot, lambda: app.screen is screen, what="lint again")
        screen.query_one("#lint-filter", Input).value = serial
        await wait_for(pilot, lambda: len(screen.shown) == 1, what="certificate finding")
        table.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_ready(app, PkiScreen), timeout=30, what="PKI view")
        pki_screen: PkiScreen = app.screen
        await wait_for(
            pilot,
            lambda: pki_screen.current is not None and pki_screen.current.serial == serial,
            timeout=60,
            what="certificate highlighted",
        )


async def test_lint_export_parses_back_without_values(settings, planted, tmp_path):
    kv, _transit, _pki, _serial = planted
    app = app_for(settings, initial_view="lint")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_lint(pilot)
        for name in ("report.csv", "report.json"):
            await pilot.press("e")
            await wait_for(pilot, lambda: screen_ready(app, PromptScreen), what="file prompt")
            target = tmp_path / name
            app.screen.query_one(Input).value = str(target)
            await pilot.press("enter")
            await wait_for(pilot, lambda target=target: target.exists(), timeout=30, what=f"{name} written")
            await wait_for(pilot, lambda: app.screen is screen, what="prompt closed")
            assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
            assert PLANTED_VALUE not in target.read_text()
        rows = list(csv.DictReader(io.StringIO((tmp_path / "report.csv").read_text())))
        assert tuple(rows[0]) == CSV_COLUMNS
        assert {(r["kind"], r["path"]) for r in rows} == {(f.kind.value, f.path) for f in screen.report.findings}
        assert any(r["path"] == f"{kv}/team/app/db" for r in rows)
        data = json.loads((tmp_path / "report.json").read_text())
        assert len(data["findings"]) == len(rows) and data["clean"] is False


async def test_lint_cancel_and_thresholds_from_config(settings, planted):
    _kv, _transit, pki_mount, serial = planted
    app = app_for(settings, initial_view="lint")
    app.config.lint = LintSettings(cert_expiry_days=1)  # the lead maps the [lint] table here
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_lint(pilot)
        assert (FindingKind.CERT_EXPIRING, f"{pki_mount}/cert/{serial}") not in found(screen)
        # esc while it runs cancels: the report comes back marked partial.
        screen.reload()
        assert screen.running
        await pilot.press("escape")
        await wait_for(pilot, lambda: not screen.running, timeout=60, what="cancelled run finished")
        assert screen.report is not None and screen._cancel is not None and screen._cancel.is_set()
        if screen.report.cancelled:  # unless the run had already finished when esc arrived
            assert "CANCELLED" in plain(screen.query_one("#lint-status", Static))
