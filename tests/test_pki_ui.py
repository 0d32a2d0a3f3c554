"""Pilot tests of the PKI view against a real OpenBao PKI mount set up by each test."""

from __future__ import annotations

import csv
import io
import os
import stat

import pytest
from conftest import unique
from helpers import app_for, screen_ready, wait_for, wait_ready
from rich.text import Text
from textual.widgets import Input, OptionList, Static

from vault_tui.screens.modals import ConfirmScreen, PromptScreen
from vault_tui.vault import pki, pki_models
from vault_tui.vault.pki_models import IssuedCertificate
from vault_tui.views.pki.dialogs import CertificateDialog, IssuedDialog, IssueDialog, RolePickerDialog
from vault_tui.views.pki.screen import PkiScreen

ROOT_CN = "vault-tui UI Test Root"


@pytest.fixture
def pki_mount(root_client):
    """A PKI mount with an EC root, a role ``web`` and three certificates: 72 h, 240 h (revoked)
    and 1000 h."""
    mount = unique("pki-ui-")
    root_client.sys.enable_secrets_engine("pki", path=mount, config={"max_lease_ttl": "87600h"})
    root_client.write(f"{mount}/root/generate/internal", common_name=ROOT_CN, ttl="87600h", key_type="ec", key_bits=256)
    root_client.write(
        f"{mount}/roles/web",
        allowed_domains="example.test",
        allow_subdomains=True,
        allow_ip_sans=True,
        max_ttl="2160h",
        key_type="ec",
        key_bits=256,
    )
    serials = {}
    for cn, ttl in (("long.example.test", "1000h"), ("short.example.test", "72h"), ("mid.example.test", "240h")):
        serials[cn] = root_client.write(f"{mount}/issue/web", common_name=cn, ttl=ttl)["data"]["serial_number"]
    root_client.write(f"{mount}/revoke", serial_number=serials["mid.example.test"])
    yield mount, serials
    root_client.sys.disable_secrets_engine(mount)


def plain(widget: Static) -> str:
    rendered = widget.render()
    return rendered.plain if isinstance(rendered, Text) else str(rendered)


def my_rows(screen: PkiScreen, mount: str) -> list:
    return [row for row in screen.rows if row.cert.mount == f"{mount}/"]


async def open_pki(pilot, mount: str, count: int) -> PkiScreen:
    app = pilot.app
    await wait_ready(pilot)
    await wait_for(pilot, lambda: screen_ready(app, PkiScreen), timeout=30, what="PKI view")
    screen: PkiScreen = app.screen
    await wait_for(
        pilot,
        lambda: screen.loaded_once and not screen.loading_now and len(my_rows(screen, mount)) >= count,
        timeout=60,
        what="certificates listed",
    )
    await pilot.pause()
    return screen


def recorder(app):
    notes: list[str] = []
    original = app.notify

    def notify(message, *args, **kwargs):
        notes.append(str(message))
        return original(message, *args, **kwargs)

    app.notify = notify
    return notes


async def test_sorted_by_expiry_marked_and_detailed(settings, pki_mount):
    mount, serials = pki_mount
    app = app_for(settings, initial_view="pki")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_pki(pilot, mount, 4)
        rows = my_rows(screen, mount)
        assert [r.cells["cn"] for r in rows] == [
            "short.example.test",
            "mid.example.test",
            "long.example.test",
            ROOT_CN,
        ]
        short, mid, long_, root = rows
        assert (short.state, mid.state, long_.state) == ("expiring", "revoked", "valid")
        assert (short.days_left, mid.days_left, long_.days_left) == (2, 9, 41)
        assert root.cert.is_issuer and root.cells["state"] == "CA default"
        assert short.cert.serial == serials["short.example.test"]
        # The whole table across mounts is sorted by expiry.
        expiries = [r.cert.not_after for r in screen.rows]
        assert expiries == sorted(expiries)
        # Highlighted rows are styled; the revoked one is marked.
        table = screen.table
        assert table.get_row(short.key)[0].style == "bold yellow"
        assert table.get_cell(mid.key, "state").plain == "REVOKED"
        # Moving the cursor shows the certificate's details and PEM below.
        table.move_cursor(row=table.get_row_index(mid.key))
        await pilot.pause()
        detail = plain(screen.query_one("#pki-detail", Static))
        assert serials["mid.example.test"] in detail and "revoked" in detail and "BEGIN CERTIFICATE" in detail
        # enter opens them in a dialog; c copies the PEM.
        copied: list[tuple[str, str]] = []
        app.copy_secret = lambda text, label="value": copied.append((label, text))
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_ready(app, CertificateDialog), what="details dialog")
        await pilot.press("c")
        assert copied[-1][0] == "certificate PEM" and copied[-1][1] == mid.cert.pem
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, what="dialog closed")
        # The filter narrows the table.
        await pilot.press("slash")
        for ch in "short.":
            await pilot.press(ch if ch != "." else "full_stop")
        await wait_for(pilot, lambda: [r.cells["cn"] for r in screen.rows] == ["short.example.test"], what="filtered")
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(screen.rows) > 1, what="filter cleared")


async def test_issue_shows_the_key_masked_then_the_new_certificate(settings, gateway, pki_mount):
    mount, _serials = pki_mount
    app = app_for(settings, initial_view="pki")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_pki(pilot, mount, 4)
        copied: list[tuple[str, str]] = []
        app.copy_secret = lambda text, label="value": copied.append((label, text))
        await pilot.press("i")
        await wait_for(pilot, lambda: screen_ready(app, RolePickerDialog), what="role picker")
        picker: RolePickerDialog = app.screen
        wanted = f"{mount}/\0web"
        options = picker.query_one(OptionList)
        await wait_for(
            pilot,
            lambda: any(options.get_option_at_index(i).id == wanted for i in range(options.option_count)),
            timeout=30,
            what="roles listed",
        )
        options.highlighted = next(
            i for i in range(options.option_count) if options.get_option_at_index(i).id == wanted
        )
        options.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_ready(app, IssueDialog), timeout=30, what="issue form")
        form: IssueDialog = app.screen
        assert [f.name for f in form.fields] == ["common_name", "alt_names", "ip_sans", "ttl"]
        # A name outside the role is refused by the server and the form stays.
        form.query_one("#issue-common_name", Input).value = "evil.example.org"
        await pilot.press("enter")
        await wait_for(
            pilot, lambda: "refused" in plain(form.query_one("#issue-error", Static)), timeout=30, what="refusal"
        )
        assert app.screen is form
        form.query_one("#issue-common_name", Input).value = "new.example.test"
        form.query_one("#issue-ip_sans", Input).value = "192.0.2.5"
        form.query_one("#issue-ttl", Input).value = "100h"
        form.query_one("#issue-common_name", Input).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_ready(app, IssuedDialog), timeout=30, what="issued dialog")
        issued_dialog: IssuedDialog = app.screen
        key_text = lambda: plain(issued_dialog.query_one("#issued-key", Static))  # noqa: E731
        assert "PRIVATE KEY" not in key_text() and "••••" in key_text()
        await pilot.press("v")
        assert "BEGIN EC PRIVATE KEY" in key_text() or "BEGIN PRIVATE KEY" in key_text()
        await pilot.press("v")
        assert "PRIVATE KEY" not in key_text()
        await pilot.press("k")
        assert copied[-1][0] == "private key" and "PRIVATE KEY" in copied[-1][1]
        serial = issued_dialog.issued.serial
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, what="back to the table")
        # The view reloads and puts the cursor on the new certificate.
        await wait_for(
            pilot,
            lambda: not screen.loading_now and screen.current is not None and screen.current.serial == serial,
            timeout=60,
            what="new certificate highlighted",
        )
        new = screen.current
        assert new.common_name == "new.example.test" and new.ip_addresses == ("192.0.2.5",)
        assert 4 <= new.days_left_at(app.now) <= 5
        assert pki.read_certificate(gateway, mount, serial).common_name == "new.example.test"
        # Nothing in the view holds the private key afterwards.
        assert not any(isinstance(v, IssuedCertificate) for v in vars(screen).values())
        assert "PRIVATE KEY" not in repr(vars(screen))


async def test_revoke_asks_then_marks_the_row(settings, gateway, pki_mount):
    mount, serials = pki_mount
    app = app_for(settings, initial_view="pki")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_pki(pilot, mount, 4)
        notes = recorder(app)
        long_key = f"{mount}/{serials['long.example.test']}"
        screen.table.move_cursor(row=screen.table.get_row_index(long_key))
        await pilot.pause()
        # Cancelling changes nothing.
        await pilot.press("x")
        await wait_for(pilot, lambda: screen_ready(app, ConfirmScreen), what="confirmation")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, what="cancelled")
        assert not pki.read_certificate(gateway, mount, serials["long.example.test"]).revoked
        await pilot.press("x")
        await wait_for(pilot, lambda: screen_ready(app, ConfirmScreen), what="confirmation")
        await pilot.press("y")
        await wait_for(pilot, lambda: screen.model.find(long_key).revoked, timeout=30, what="marked revoked")
        assert screen.table.get_cell(long_key, "state").plain == "REVOKED"
        assert pki.read_certificate(gateway, mount, serials["long.example.test"]).revoked
        assert any("Revoked long.example.test" in n for n in notes)
        # An already revoked certificate and an issuer are refused without asking.
        await pilot.press("x")
        await pilot.pause()
        assert app.screen is screen and any("already revoked" in n for n in notes)
        root_key = next(r.key for r in my_rows(screen, mount) if r.cert.is_issuer)
        screen.table.move_cursor(row=screen.table.get_row_index(root_key))
        await pilot.press("x")
        await pilot.pause()
        assert app.screen is screen and any("issuer" in n for n in notes)


async def test_read_only_refuses_issue_and_revoke_and_says_why(settings, gateway, pki_mount):
    mount, serials = pki_mount
    app = app_for(settings, initial_view="pki", read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_pki(pilot, mount, 4)
        notes = recorder(app)
        assert "read-only" in plain(screen.query_one("#pki-status", Static))
        long_key = f"{mount}/{serials['long.example.test']}"
        screen.table.move_cursor(row=screen.table.get_row_index(long_key))
        await pilot.press("i")
        await pilot.pause()
        assert app.screen is screen
        await pilot.press("x")
        await pilot.pause()
        assert app.screen is screen
        assert any("Issuing a certificate: read-only mode" in n for n in notes)
        assert any("Revoking a certificate: read-only mode" in n for n in notes)
        assert not pki.read_certificate(gateway, mount, serials["long.example.test"]).revoked


async def test_export_writes_the_inventory_0600_without_keys(settings, pki_mount, tmp_path):
    mount, serials = pki_mount
    app = app_for(settings, initial_view="pki")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_pki(pilot, mount, 4)
        screen.query_one("#pki-filter", Input).value = f"{mount}/"
        await wait_for(pilot, lambda: len(screen.rows) == 4, what="filtered to the test mount")
        screen.table.focus()
        await pilot.press("e")
        await wait_for(pilot, lambda: screen_ready(app, PromptScreen), what="file prompt")
        target = tmp_path / "certs.csv"
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await wait_for(pilot, lambda: target.exists(), timeout=30, what="export written")
        assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
        rows = list(csv.DictReader(io.StringIO(target.read_text())))
        assert tuple(rows[0]) == pki_models.CERT_EXPORT_COLUMNS
        assert [r["common_name"] for r in rows] == [
            "short.example.test",
            "mid.example.test",
            "long.example.test",
            ROOT_CN,
        ]
        assert rows[1]["revoked"] == "yes" and rows[1]["serial"] == serials["mid.example.test"]
        assert "PRIVATE" not in target.read_text() and "BEGIN" not in target.read_text()


async def test_hostile_names_are_plain_text(settings, root_client):
    mount = unique("pki-[red]x-")
    root_client.sys.enable_secrets_engine("pki", path=mount, config={"max_lease_ttl": "87600h"})
    try:
        root_client.write(f"{mount}/root/generate/internal", common_name="[bold]root[/bold]", ttl="8760h")
        root_client.write(
            f"{mount}/roles/any", allow_any_name=True, enforce_hostnames=False, key_type="ec", key_bits=256
        )
        root_client.write(f"{mount}/issue/any", common_name="[@click=app.quit]boom", ttl="24h")
        app = app_for(settings, initial_view="pki")
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await open_pki(pilot, mount, 2)
            rows = my_rows(screen, mount)
            cells = [screen.table.get_cell(r.key, "cn").plain for r in rows]
            assert cells == ["[@click=app.quit]boom", "[bold]root[/bold]"]
            assert screen.table.get_cell(rows[0].key, "mount").plain == f"{mount}/"
            screen.table.move_cursor(row=screen.table.get_row_index(rows[0].key))
            await pilot.pause()
            assert "[@click=app.quit]boom" in plain(screen.query_one("#pki-detail", Static))
            assert app.is_running
    finally:
        root_client.sys.disable_secrets_engine(mount)


async def test_a_token_that_reads_one_mount_sees_it_and_a_note_for_the_other(settings, root_client, pki_mount):
    mount, _serials = pki_mount
    denied = unique("pki-denied-")  # visible to the token (it may list issuers), certificates not
    root_client.sys.enable_secrets_engine("pki", path=denied)
    hidden = unique("pki-hidden-")  # no capability at all: not even listed
    root_client.sys.enable_secrets_engine("pki", path=hidden)
    policy = unique("pki-reader-")
    root_client.sys.create_or_update_policy(
        policy,
        f"""
        path "{mount}/certs" {{ capabilities = ["list"] }}
        path "{mount}/certs/revoked" {{ capabilities = ["list"] }}
        path "{mount}/issuers" {{ capabilities = ["list"] }}
        path "{mount}/issuer/*" {{ capabilities = ["read"] }}
        path "{mount}/cert/*" {{ capabilities = ["read"] }}
        path "{denied}/issuers" {{ capabilities = ["list"] }}
        """,
    )
    token = root_client.auth.token.create(policies=[policy], ttl="1h")["auth"]["client_token"]
    try:
        app = app_for(settings.with_token(token), initial_view="pki")
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await open_pki(pilot, mount, 4)
            assert {r.cert.mount for r in screen.rows} >= {f"{mount}/"}
            assert not [r for r in screen.rows if r.cert.mount in (f"{denied}/", f"{hidden}/")]
            assert f"{hidden}/" not in {m.path for m in screen.mounts}
            assert any(p.startswith(f"could not read the certificate list of {denied}/") for p in screen.model.problems)
            assert "permission denied" in plain(screen.query_one("#pki-notes", Static))
    finally:
        root_client.sys.disable_secrets_engine(denied)
        root_client.sys.disable_secrets_engine(hidden)
        root_client.sys.delete_policy(policy)
