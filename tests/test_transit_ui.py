"""Pilot tests of the transit playground, driven by keyboard against a real OpenBao transit mount."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import hvac
import pytest
from conftest import unique
from helpers import app_for, screen_ready, wait_for, wait_ready
from rich.text import Text
from textual.widgets import Checkbox, Input, Select, Static, TextArea

from vault_tui.screens.modals import ConfirmScreen
from vault_tui.vault.transit_models import Operation
from vault_tui.views.transit.dialogs import CreateKeyScreen, KeyConfigScreen
from vault_tui.views.transit.history import TransitHistory
from vault_tui.views.transit.screen import TransitScreen


@pytest.fixture
def mount(root_client):
    path = unique("transit-ui-")
    root_client.sys.enable_secrets_engine("transit", path=path)
    yield path
    root_client.sys.disable_secrets_engine(path)


async def open_transit(pilot, mount: str, keys: tuple[str, ...]) -> TransitScreen:
    app = pilot.app
    await wait_ready(pilot)
    await wait_for(pilot, lambda: isinstance(app.screen, TransitScreen) and app.screen.mounts, what="transit mounts")
    screen: TransitScreen = app.screen
    screen.query_one("#transit-mount", Select).value = f"{mount}/"
    await wait_for(
        pilot,
        lambda: (
            screen.mount_path == f"{mount}/"
            and set(screen.keys_table.keys_by_name) == set(keys)
            and not screen.keys_table.loading
        ),
        what="keys listed",
    )
    screen.keys_table.focus()
    await pilot.pause()
    return screen


def plain(widget: Static) -> str:
    rendered = widget.render()
    return rendered.plain if isinstance(rendered, Text) else str(rendered)


async def run_and_wait(pilot, screen: TransitScreen) -> None:
    before = len(screen.query_one(TransitHistory).entries)
    await pilot.press("ctrl+r")
    await wait_for(pilot, lambda: len(screen.query_one(TransitHistory).entries) > before, what="operation finished")
    await pilot.pause()


async def type_text(pilot, text: str) -> None:
    await pilot.press(*[{" ": "space"}.get(ch, ch) for ch in text])


async def test_encrypt_rotate_rewrap_decrypt_by_keyboard(settings, root_client, mount):
    root_client.secrets.transit.create_key("orders", mount_point=mount)
    app = app_for(settings, initial_view="transit")
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_transit(pilot, mount, ("orders",))
        assert "aes256-gcm96" in plain(screen.query_one("#transit-details", Static))
        # e: encrypt with the highlighted key, type, ctrl+r
        await pilot.press("e")
        assert screen.operation is Operation.ENCRYPT and isinstance(app.focused, TextArea)
        await type_text(pilot, "attack at dawn")
        await run_and_wait(pilot, screen)
        old_ct = screen.output.copy_value
        assert old_ct.startswith("vault:v1:")
        # rotate (r on the key list), then rewrap the old ciphertext: f4 moves output to input
        await pilot.press("escape", "r")
        await wait_for(pilot, lambda: screen.keys_table.keys_by_name["orders"].latest_version == 2, what="rotated")
        await pilot.press("f4")  # ciphertext -> input, operation -> decrypt
        assert screen.query_one("#transit-input", TextArea).text == old_ct
        assert screen.operation is Operation.DECRYPT
        await pilot.press("escape", "w")  # rewrap
        await run_and_wait(pilot, screen)
        out = plain(screen.query_one("#transit-output", Static))
        assert "v1 → v2" in out and screen.output.copy_value.startswith("vault:v2:")
        # decrypt the rewrapped ciphertext; plaintext is masked until f2
        await pilot.press("f4")
        await run_and_wait(pilot, screen)
        out = plain(screen.query_one("#transit-output", Static))
        assert "attack at dawn" not in out and "••••" in out
        await pilot.press("f2")
        assert "attack at dawn" in plain(screen.query_one("#transit-output", Static))
        # raise min_decryption_version to 2 (c opens the config form), then the old ciphertext is refused
        await pilot.press("escape", "c")
        await wait_for(pilot, lambda: screen_ready(app, KeyConfigScreen), what="config form")
        form = app.screen
        form.query_one("#cfg-min-dec", Input).value = ""
        await type_text(pilot, "2")
        await pilot.press("enter")
        await wait_for(
            pilot, lambda: screen.keys_table.keys_by_name["orders"].min_decryption_version == 2, what="config saved"
        )
        assert app.screen is screen
        screen.query_one("#transit-input", TextArea).text = old_ct
        await pilot.press("escape", "d")
        await run_and_wait(pilot, screen)
        error = screen.query_one("#transit-error", Static)
        assert error.display and "Invalid request" in plain(error)
        # the input is kept on error
        assert screen.query_one("#transit-input", TextArea).text == old_ct
        history = screen.query_one(TransitHistory).entries
        assert [e.operation for e in history][:2] == [Operation.DECRYPT, Operation.DECRYPT]
        assert history[0].ok is False


async def test_sign_then_verify_not_valid(settings, root_client, mount):
    root_client.secrets.transit.create_key("signer", key_type="ecdsa-p256", mount_point=mount)
    app = app_for(settings, initial_view="transit")
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_transit(pilot, mount, ("signer",))
        await pilot.press("s")
        await type_text(pilot, "release v1.2")
        await run_and_wait(pilot, screen)
        assert screen.output.copy_value.startswith("vault:v1:")
        await pilot.press("f4")  # signature -> "to verify" field, operation -> verify
        assert screen.operation is Operation.VERIFY
        await run_and_wait(pilot, screen)
        assert "✔ signature valid" in plain(screen.query_one("#transit-output", Static))
        await type_text(pilot, "!")  # tamper with the message
        await run_and_wait(pilot, screen)
        out = plain(screen.query_one("#transit-output", Static))
        assert "signature NOT valid" in out and "✔" not in out
        assert screen.query_one(TransitHistory).entries[0].summary == "signature NOT valid"


async def test_hmac_verify_and_hash(settings, gateway, mount):
    from vault_tui.vault import transit

    transit.create_key(gateway, mount, "mac", "hmac")
    app = app_for(settings, initial_view="transit")
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_transit(pilot, mount, ("mac",))
        await pilot.press("h")
        await type_text(pilot, "payload")
        await run_and_wait(pilot, screen)
        await pilot.press("f4")
        assert screen.operation is Operation.VERIFY_HMAC
        await run_and_wait(pilot, screen)
        assert "✔ hmac valid" in plain(screen.query_one("#transit-output", Static))
        await pilot.press("ctrl+n")  # verify-hmac -> sign -> verify -> hash
        await pilot.press("ctrl+n", "ctrl+n")
        assert screen.operation is Operation.HASH
        await run_and_wait(pilot, screen)
        assert len(screen.output.copy_value) > 20


async def test_batch_with_one_bad_line(settings, root_client, mount):
    root_client.secrets.transit.create_key("k", mount_point=mount)
    app = app_for(settings, initial_view="transit")
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_transit(pilot, mount, ("k",))
        await pilot.press("e")
        await pilot.press("ctrl+b")
        assert screen.query_one("#transit-batch", Checkbox).value
        screen.query_one("#transit-b64", Checkbox).value = True
        good = base64.b64encode(b"one").decode()
        await type_text(pilot, good)
        await pilot.press("enter")
        await type_text(pilot, "%%not-base64")
        await pilot.press("enter")
        await type_text(pilot, base64.b64encode(b"three").decode())
        await run_and_wait(pilot, screen)
        out = plain(screen.query_one("#transit-output", Static))
        lines = out.splitlines()
        assert "3 items, 1 failed" in lines[0]
        assert lines[1].startswith("1: vault:v1:") and lines[3].startswith("3: vault:v1:")
        assert lines[2].startswith("2: ✘ error:") and "base64" in lines[2]
        entry = screen.query_one(TransitHistory).entries[0]
        assert entry.batch and entry.items == 3 and not entry.ok


async def test_unknown_key_asks_before_creating(settings, root_client, mount):
    app = app_for(settings, initial_view="transit")
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_transit(pilot, mount, ())
        screen.query_one("#transit-key", Input).focus()
        await type_text(pilot, "typo")
        screen.query_one("#transit-input", TextArea).focus()
        await type_text(pilot, "hello")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: screen_ready(app, ConfirmScreen), what="confirmation")
        await pilot.press("escape")
        await pilot.pause()
        assert "does not exist" in plain(screen.query_one("#transit-error", Static))
        with pytest.raises(hvac.exceptions.InvalidPath):
            root_client.secrets.transit.read_key("typo", mount_point=mount)
        assert screen.query_one("#transit-input", TextArea).text == "hello"
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: screen_ready(app, ConfirmScreen), what="confirmation")
        await pilot.press("y")
        await wait_for(pilot, lambda: "typo" in screen.keys_table.keys_by_name, what="key created and listed")
        assert screen.output.copy_value.startswith("vault:v1:")


async def test_errors_shown_as_plain_text_and_input_kept(settings, root_client, mount):
    root_client.secrets.transit.create_key("derived", derived=True, mount_point=mount)
    app = app_for(settings, initial_view="transit")
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_transit(pilot, mount, ("derived",))
        await pilot.press("e")
        await type_text(pilot, "[red]x[/] [@click=app.quit]")
        await run_and_wait(pilot, screen)
        error = plain(screen.query_one("#transit-error", Static))
        assert "missing 'context'" in error
        assert screen.query_one("#transit-input", TextArea).text == "[red]x[/] [@click=app.quit]"
        # now with a context: works; the hostile text round-trips literally
        screen.query_one("#opt-context", Input).value = "tenant-1"
        await run_and_wait(pilot, screen)
        assert not screen.query_one("#transit-error", Static).display
        await pilot.press("f4")
        await run_and_wait(pilot, screen)
        await pilot.press("f2")
        assert "[red]x[/] [@click=app.quit]" in plain(screen.query_one("#transit-output", Static))
        assert app.is_running
        # a bad ciphertext
        screen.query_one("#transit-input", TextArea).text = "vault:v1:\x1b]0;evil\x07"
        await run_and_wait(pilot, screen)
        shown = plain(screen.query_one("#transit-error", Static))
        assert "invalid ciphertext" in shown and "\x1b" not in shown


async def test_non_utf8_plaintext_shows_base64_and_hex(settings, root_client, mount):
    root_client.secrets.transit.create_key("k", mount_point=mount)
    raw = b"\xff\xfe\x00binary"
    ct = root_client.secrets.transit.encrypt_data("k", base64.b64encode(raw).decode(), mount_point=mount)["data"][
        "ciphertext"
    ]
    app = app_for(settings, initial_view="transit")
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_transit(pilot, mount, ("k",))
        await pilot.press("d")
        screen.query_one("#transit-input", TextArea).text = ct
        await run_and_wait(pilot, screen)
        await pilot.press("f2")
        out = plain(screen.query_one("#transit-output", Static))
        assert "not UTF-8" in out and base64.b64encode(raw).decode() in out and raw.hex() in out


async def test_history_never_holds_plaintext_and_reruns(settings, root_client, mount):
    root_client.secrets.transit.create_key("k", mount_point=mount)
    app = app_for(settings, initial_view="transit")
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_transit(pilot, mount, ("k",))
        await pilot.press("e")
        await type_text(pilot, "topsecret")
        await run_and_wait(pilot, screen)
        await pilot.press("f4")
        await run_and_wait(pilot, screen)
        history = screen.query_one(TransitHistory)
        for entry in history.entries:
            assert "topsecret" not in repr(entry)
        for row in range(history.row_count):
            assert "topsecret" not in " ".join(str(c) for c in history.get_row_at(row))
        # re-run the encrypt from history (enter on its row): it uses the current input box
        history.focus()
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: len(history.entries) == 3, what="re-run")
        assert history.entries[0].operation is Operation.ENCRYPT and history.entries[0].ok


async def test_delete_key_confirms_and_fails_clearly_until_allowed(settings, root_client, mount):
    root_client.secrets.transit.create_key("doomed", mount_point=mount)
    app = app_for(settings, initial_view="transit")
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_transit(pilot, mount, ("doomed",))
        await pilot.press("x")
        await wait_for(pilot, lambda: screen_ready(app, ConfirmScreen), what="confirm")
        await pilot.press("y")
        await wait_for(pilot, lambda: screen.query_one("#transit-error", Static).display, what="refusal")
        assert "deletion is not allowed" in plain(screen.query_one("#transit-error", Static))
        assert "doomed" in screen.keys_table.keys_by_name
        # allow deletion in the config form, then delete
        await pilot.press("c")
        await wait_for(pilot, lambda: screen_ready(app, KeyConfigScreen), what="config form")
        app.screen.query_one("#cfg-deletion", Checkbox).focus()
        await pilot.press("space")
        app.screen.query_one("#cfg-min-dec", Input).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.keys_table.keys_by_name["doomed"].deletion_allowed, what="config")
        screen.keys_table.focus()
        await pilot.press("x")
        await wait_for(pilot, lambda: screen_ready(app, ConfirmScreen), what="confirm")
        await pilot.press("y")
        await wait_for(pilot, lambda: "doomed" not in screen.keys_table.keys_by_name, what="deleted")


async def test_create_key_by_keyboard(settings, root_client, mount):
    app = app_for(settings, initial_view="transit")
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_transit(pilot, mount, ())
        await pilot.press("n")
        await wait_for(pilot, lambda: screen_ready(app, CreateKeyScreen), what="create form")
        await type_text(pilot, "payments")
        app.screen.query_one("#key-type", Select).value = "chacha20-poly1305"
        await pilot.press("enter")
        await wait_for(pilot, lambda: "payments" in screen.keys_table.keys_by_name, what="created")
        assert screen.keys_table.keys_by_name["payments"].type == "chacha20-poly1305"


async def test_read_only_hides_key_changes_but_encrypts(settings, root_client, mount):
    root_client.secrets.transit.create_key("k", mount_point=mount)
    app = app_for(settings, initial_view="transit", read_only=True)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_transit(pilot, mount, ("k",))
        active = {b.binding.id for b in screen.active_bindings.values()}
        assert "transit.encrypt" in active and "transit.run" in active
        assert not {"transit.create", "transit.rotate", "transit.config", "transit.delete"} & active
        await pilot.press("r", "n", "x")
        await pilot.pause()
        assert screen.keys_table.keys_by_name["k"].latest_version == 1 and app.screen is screen
        await pilot.press("e")
        await type_text(pilot, "fine")
        await run_and_wait(pilot, screen)
        assert screen.output.copy_value.startswith("vault:v1:")


async def test_permission_denied_shown(settings, bao, root_client, mount):
    from vault_tui.vault.client import ConnectionSettings

    root_client.secrets.transit.create_key("k", mount_point=mount)
    policy = unique("tr-ui-")
    root_client.sys.create_or_update_policy(
        policy,
        f'path "{mount}/keys" {{ capabilities = ["list"] }}\npath "{mount}/keys/*" {{ capabilities = ["read"] }}\n'
        'path "sys/internal/ui/mounts" { capabilities = ["read"] }\npath "sys/internal/ui/mounts/*" { capabilities = ["read"] }',
    )
    token = root_client.auth.token.create(policies=[policy], ttl="10m")["auth"]["client_token"]
    app = app_for(ConnectionSettings(addr=bao.addr, token=token), initial_view="transit")
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_transit(pilot, mount, ("k",))
        await pilot.press("e")
        await type_text(pilot, "x")
        await run_and_wait(pilot, screen)
        assert "Permission denied" in plain(screen.query_one("#transit-error", Static))
        assert screen.query_one("#transit-input", TextArea).text == "x"


def test_snapshot(snap_compare, settings, root_client, monkeypatch):
    """The playground after a failed verify. Volatile text (port, times) is pinned."""
    import vault_tui.views.transit.keys as transit_keys
    import vault_tui.views.transit.screen as transit_screen

    mount = "snapshot-transit"
    try:
        root_client.sys.disable_secrets_engine(mount)
    except Exception:
        pass
    root_client.sys.enable_secrets_engine("transit", path=mount)
    root_client.secrets.transit.create_key("orders", mount_point=mount)
    root_client.secrets.transit.create_key("signer", key_type="ed25519", mount_point=mount)
    monkeypatch.setattr(transit_keys, "_when", lambda value: "2026-01-01 12:00:00 UTC")
    monkeypatch.setattr(transit_screen, "utcnow", lambda: datetime(2026, 1, 1, 12, 0, tzinfo=UTC))
    import vault_tui.widgets.session_bar as session_bar

    monkeypatch.setattr(
        session_bar, "render_bar", lambda *a, **k: Text("vault-tui  OpenBao  http://127.0.0.1:PORT  token [root]")
    )
    app = app_for(settings, initial_view="transit")
    app._tick_enabled = False

    async def run_before(pilot) -> None:
        screen = await open_transit(pilot, mount, ("orders", "signer"))
        await pilot.press("down", "v")
        await type_text(pilot, "release notes")
        screen.query_one("#opt-proof", Input).focus()
        await type_text(pilot, "vault:v1:AAAA")
        await run_and_wait(pilot, screen)
        screen.keys_table.focus()
        await pilot.pause()

    try:
        assert snap_compare(app, run_before=run_before, terminal_size=(120, 36))
    finally:
        root_client.sys.disable_secrets_engine(mount)


async def test_hostile_mount_name_is_plain_text(settings, root_client):
    mount = unique("tr[red]x[/]-")
    root_client.sys.enable_secrets_engine("transit", path=mount)
    try:
        root_client.secrets.transit.create_key("k", mount_point=mount)
        app = app_for(settings, initial_view="transit")
        async with app.run_test(size=(120, 36)) as pilot:
            screen = await open_transit(pilot, mount, ("k",))
            await pilot.press("e")
            await type_text(pilot, "x")
            await run_and_wait(pilot, screen)
            assert screen.output.copy_value.startswith("vault:v1:")
            history = screen.query_one(TransitHistory)
            assert f"{mount}/k" in str(history.get_row_at(0)[4])
            label = screen.query_one("#transit-mount", Select).query_one("SelectCurrent Static", Static)
            assert f"{mount}/" in plain(label)
    finally:
        root_client.sys.disable_secrets_engine(mount)


async def test_datakey_random_copy_and_help(settings, root_client, mount):
    from vault_tui.screens.modals import HelpScreen

    root_client.secrets.transit.create_key("k", mount_point=mount)
    app = app_for(settings, initial_view="transit")
    copied: list[tuple[str, str]] = []
    app.copy_secret = lambda text, label="value": copied.append((text, label))  # type: ignore[method-assign]
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_transit(pilot, mount, ("k",))
        await pilot.press("k")  # data key
        assert screen.operation is Operation.DATAKEY
        await run_and_wait(pilot, screen)
        out = plain(screen.query_one("#transit-output", Static))
        assert "wrapped: vault:v1:" in out and "••••" in out
        key_b64 = screen.last_result.plaintext.base64
        assert key_b64 not in out
        await pilot.press("ctrl+g")
        assert copied == [(key_b64, "data key")]
        # the wrapped key decrypts to the same bytes (binary: shown as base64 + hex)
        await pilot.press("f4")
        await run_and_wait(pilot, screen)
        assert screen.last_result.plaintext.base64 == key_b64
        # random bytes: no key needed
        for _ in range(8):
            await pilot.press("ctrl+n")
        assert screen.operation is Operation.RANDOM
        await run_and_wait(pilot, screen)
        assert len(base64.b64decode(screen.output.copy_value)) == 32
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: screen_ready(app, HelpScreen), what="help")
        ids = {row[2] for row in app.screen.rows}
        assert {"transit.run", "transit.batch", "transit.copy", "transit.reveal"} <= ids
