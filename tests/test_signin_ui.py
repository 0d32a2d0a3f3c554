"""The sign-in screen in the running app, against the real OpenBao: failures, remember, re-login."""

from __future__ import annotations

import keyring
import pytest
from keyrings.alt.file import PlaintextKeyring
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Input, Static

from tests.conftest import unique
from tests.helpers import screen_ready
from vault_tui.app import make_app
from vault_tui.config import AppConfig
from vault_tui.credentials import CredentialStore
from vault_tui.messages import TokenLost
from vault_tui.screens.signin import SignInScreen
from vault_tui.vault.client import ConnectionSettings
from vault_tui.vault.gateway import Gateway
from vault_tui.worker import Call


async def wait_for(pilot, predicate, what="condition", steps=None, timeout=60.0):
    """Wait for a condition with a generous deadline (the suite must pass on a busy machine)."""
    import asyncio

    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.05)


@pytest.fixture
def file_keyring(tmp_path, monkeypatch):
    previous = keyring.get_keyring()
    backend = PlaintextKeyring()
    backend.file_path = str(tmp_path / "keyring.cfg")
    keyring.set_keyring(backend)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def userpass(root_client):
    mount = unique("up-")
    policy = unique("pol-")
    root_client.sys.create_or_update_policy(policy, 'path "sys/mounts" { capabilities = ["read"] }')
    root_client.sys.enable_auth_method("userpass", path=mount)
    root_client.write(f"auth/{mount}/users/alice", password="right pw", token_policies=[policy])
    yield mount, policy
    root_client.sys.disable_auth_method(mount)
    root_client.sys.delete_policy(policy)


@pytest.fixture
def approle(root_client):
    mount = unique("ar-")
    root_client.sys.enable_auth_method("approle", path=mount)
    root_client.write(f"auth/{mount}/role/app", token_policies=["default"], token_ttl="10m")
    role_id = root_client.read(f"auth/{mount}/role/app/role-id")["data"]["role_id"]
    yield mount, role_id
    root_client.sys.disable_auth_method(mount)


# The policies view (ours) is the first view, so these tests do not depend on other views.
def no_token_app(bao, **config) -> object:
    config.setdefault("initial_view", "policies")
    return make_app(AppConfig(connection=ConnectionSettings(addr=bao.addr), **config), tick=False)


def set_input(screen, name: str, value: str) -> None:
    screen.query_one(f"#{name}", Input).value = value


async def test_no_token_shows_sign_in_and_failed_login_keeps_fields(bao, userpass):
    mount, policy = userpass
    app = no_token_app(bao)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: screen_ready(app, SignInScreen), "sign-in screen")
        screen = app.screen
        screen.query_one("#method").value = "userpass"
        await pilot.pause()
        assert screen.query_one("#row-username").display and not screen.query_one("#row-token").display
        set_input(screen, "mount", mount)
        set_input(screen, "username", "alice")
        set_input(screen, "password", "wrong pw")
        await pilot.click("#submit")
        await wait_for(pilot, lambda: screen.last_error is not None, "login failure")
        await pilot.pause()
        error = str(screen.query_one("#signin-error", Static).render())
        assert "invalid username or password" in error
        # non-secret fields kept, secret ones cleared
        assert screen.query_one("#username", Input).value == "alice"
        assert screen.query_one("#mount", Input).value == mount
        assert screen.query_one("#password", Input).value == ""
        assert app.is_running and app.screen is screen

        set_input(screen, "password", "right pw")
        await pilot.click("#submit")
        await wait_for(pilot, lambda: app.session.ready, "session")
        assert not isinstance(app.screen, SignInScreen)
        assert policy in app.session.token.policies
        assert app.gateway.settings.token  # adopted


async def test_hostile_reason_is_plain_text(bao):
    app = no_token_app(bao)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: screen_ready(app, SignInScreen), "sign-in screen")
        screen = app.screen
        screen.query_one("#method").value = "userpass"
        await pilot.pause()
        set_input(screen, "mount", "[@click=app.quit]x")
        set_input(screen, "username", "[red]bob")
        set_input(screen, "password", "pw")
        await pilot.click("#submit")
        await wait_for(pilot, lambda: screen.last_error is not None, "login failure")
        await pilot.pause()
        shown = str(screen.query_one("#signin-error", Static).render())
        assert "[@click=app.quit]x" in shown
        assert app.is_running


async def test_bad_token_then_good_token(bao, root_client):
    app = no_token_app(bao)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: screen_ready(app, SignInScreen), "sign-in screen")
        screen = app.screen
        set_input(screen, "token", "s.bogus\x1b]52;c;aGk=\x07")
        await pilot.click("#submit")
        await wait_for(pilot, lambda: screen.last_error is not None, "login failure")
        assert "characters a Vault token cannot have" in str(screen.last_error)
        token = root_client.auth.token.create(policies=["default"], ttl="10m")["auth"]["client_token"]
        set_input(screen, "token", token)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.session.ready, "session")


async def test_remember_approle_secret_id_then_auto_sign_in(bao, root_client, approle, file_keyring):
    mount, role_id = approle
    wrapped = root_client.adapter.post(f"/v1/auth/{mount}/role/app/secret-id", headers={"X-Vault-Wrap-TTL": "120s"})[
        "wrap_info"
    ]["token"]
    config = dict(profile="ci", auth_method="approle", auth_mount=mount, auth_role=role_id)
    app = no_token_app(bao, **config)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: screen_ready(app, SignInScreen), "sign-in screen")
        screen = app.screen
        assert screen.query_one("#role", Input).value == role_id  # from the profile
        set_input(screen, "wrapped_secret_id", wrapped)
        screen.query_one("#remember").value = True
        await pilot.click("#submit")
        await wait_for(pilot, lambda: app.session.ready, "session")
    remembered = CredentialStore().get("ci", "secret_id")
    assert remembered and remembered != wrapped

    # Next start: the remembered secret ID signs in by itself.
    app = no_token_app(bao, **config)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.session.ready, "automatic sign-in")
        assert "default" in app.session.token.policies

    # Forget it: the next start asks again.
    assert CredentialStore().forget("ci") == ["secret_id"]
    app = no_token_app(bao, **config)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: screen_ready(app, SignInScreen), "sign-in screen")
        await pilot.pause(0.2)
        assert not app.session.ready


async def test_remember_without_keyring_says_so(bao, userpass, monkeypatch):
    from keyring.backends import fail

    mount, _ = userpass
    app = no_token_app(bao, profile="p")
    app.credentials = CredentialStore(fail.Keyring())
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: screen_ready(app, SignInScreen), "sign-in screen")
        screen = app.screen
        screen.query_one("#method").value = "userpass"
        await pilot.pause()
        set_input(screen, "mount", mount)
        set_input(screen, "username", "alice")
        set_input(screen, "password", "right pw")
        screen.query_one("#remember").value = True
        await pilot.pause()
        assert "no usable keyring" in str(screen.query_one("#signin-keyring", Static).render())
        await pilot.click("#submit")
        await wait_for(pilot, lambda: app.session.ready, "session")


class EditorScreen(Screen[None]):
    """Stands in for any view with an unsaved edit."""

    def compose(self) -> ComposeResult:
        yield Input(id="draft")


async def test_token_lost_relogin_keeps_place_and_edits(bao, root_client):
    token = root_client.auth.token.create(policies=["default"], ttl="1h")["auth"]["client_token"]
    app = make_app(
        AppConfig(connection=ConnectionSettings(addr=bao.addr, token=token), initial_view="policies"), tick=False
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.session.ready, "session")
        editor = EditorScreen()
        await app.push_screen(editor)
        editor.query_one("#draft", Input).value = "half-typed secret value"
        # The token is revoked behind our back; the next call finds out.
        root_client.auth.token.revoke(token)
        app.worker.submit(Call(Gateway.lookup_self), action="checking the token")
        await wait_for(pilot, lambda: screen_ready(app, SignInScreen), "sign-in over the editor")
        await pilot.pause()
        assert editor in app.screen_stack
        fresh = root_client.auth.token.create(policies=["default"], ttl="1h")["auth"]["client_token"]
        set_input(app.screen, "token", fresh)
        # (a toast about the failed call may cover the button: use the key)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is editor, "back to the editor")
        assert editor.query_one("#draft", Input).value == "half-typed secret value"
        assert app.gateway.settings.token == fresh
        assert app.session.token is not None


async def test_token_expiry_brings_sign_in(bao, root_client):
    """A short, non-renewable token really runs out; the worker reports it and sign-in comes up."""
    # 10 s: long enough for the session to start on a busy machine (2 s was not), short enough to wait out.
    token = root_client.auth.token.create(policies=["default"], ttl="10s", renewable=False)["auth"]["client_token"]
    seen = []
    app = make_app(
        AppConfig(connection=ConnectionSettings(addr=bao.addr, token=token), initial_view="policies"), tick=False
    )
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await wait_for(pilot, lambda: app.session.ready, "session")
        await wait_for(pilot, lambda: screen_ready(app, SignInScreen), "sign-in after expiry", steps=200)
        await pilot.pause()
        assert any(isinstance(m, TokenLost) for m in seen)
        assert "Your session ended" in str(app.screen.query_one("#signin-reason", Static).render())
