"""Keyring store / reuse / forget with a real backend (keyrings.alt's file backend in tmp)."""

from __future__ import annotations

import keyring
import pytest
from keyring.backends import fail
from keyrings.alt.file import PlaintextKeyring

from vault_tui.credentials import SERVICE, BackendState, CredentialStore, check_backend


@pytest.fixture
def file_keyring(tmp_path, monkeypatch):
    """A real keyring backend writing into tmp_path, selected explicitly as a user would."""
    previous = keyring.get_keyring()
    backend = PlaintextKeyring()
    backend.file_path = str(tmp_path / "keyring_pass.cfg")
    keyring.set_keyring(backend)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    yield backend
    keyring.set_keyring(previous)


def test_store_reuse_forget(file_keyring, tmp_path):
    store = CredentialStore()
    assert store.status.usable
    status = store.store("prod", "token", "s.remember-me")
    assert status.state is BackendState.OK
    # a new store (as after a restart) reads it back through keyring
    assert CredentialStore().get("prod", "token") == "s.remember-me"
    assert keyring.get_password(SERVICE, "prod:token") == "s.remember-me"
    # profiles are separate
    assert store.get("staging", "token") is None
    store.store("prod", "secret_id", "sid-1")
    assert store.forget("prod", "token") == ["token"]
    assert store.get("prod", "token") is None
    assert store.get("prod", "secret_id") == "sid-1"
    assert store.forget("prod") == ["secret_id"]
    assert store.forget("prod") == []
    assert (tmp_path / "keyring_pass.cfg").exists()  # the backend's file, not ours


def test_fail_backend_reports_plainly():
    store = CredentialStore(fail.Keyring())
    status = store.status
    assert status.state is BackendState.UNAVAILABLE
    assert "no usable keyring" in status.message
    # storing does nothing and says why; reading finds nothing
    assert store.store("prod", "token", "s.x").state is BackendState.UNAVAILABLE
    assert store.get("prod", "token") is None


def test_plaintext_backend_refused_unless_chosen(tmp_path, monkeypatch):
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))  # no keyringrc.cfg
    backend = PlaintextKeyring()
    backend.file_path = str(tmp_path / "kr.cfg")
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        store = CredentialStore()
        assert store.status.state is BackendState.INSECURE
        assert "plain file" in store.status.message
        store.store("p", "token", "s.never-written")
        assert not (tmp_path / "kr.cfg").exists()
    finally:
        keyring.set_keyring(previous)
    # passing a backend explicitly counts as choosing it
    assert check_backend(backend, explicit=True).usable


def test_unknown_kind_rejected(file_keyring):
    with pytest.raises(ValueError):
        CredentialStore().store("p", "password", "x")


# -- backends that would ask for a password on the terminal ---------------------------------------
import getpass  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import textwrap  # noqa: E402
import threading  # noqa: E402

from keyring.backend import KeyringBackend  # noqa: E402

from vault_tui.credentials import CredentialError, PromptRefused, no_terminal_prompts  # noqa: E402

LIMIT = 60.0  # a refusal is immediate; a prompt would block forever: any generous limit tells them apart


def in_thread(fn, *args):
    """Run ``fn`` in a thread; fail (instead of hanging the suite) if it does not return in time."""
    outcome: dict = {}

    def run():
        try:
            outcome["value"] = fn(*args)
        except BaseException as error:  # noqa: BLE001 - handed back to the test
            outcome["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(LIMIT)
    assert not thread.is_alive(), f"{fn.__name__} blocked (a keyring prompt?)"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def test_isolated_suite_has_no_usable_keyring_by_default():
    """conftest: the developer's keyring is never touched; HOME is a temporary directory."""
    assert CredentialStore().status.state is BackendState.UNAVAILABLE
    assert "vault-tui-tests-" in os.environ["HOME"]


def test_encrypted_keyring_is_refused_and_never_prompts(tmp_path):
    pytest.importorskip("Crypto.Cipher")
    from keyrings.alt.file import EncryptedKeyring

    backend = EncryptedKeyring()
    backend.file_path = str(tmp_path / "crypted_pass.cfg")
    store = CredentialStore(backend)
    status = in_thread(lambda: store.status)
    assert status.state is BackendState.PROMPTS and not status.usable
    assert "keyrings.alt.file.EncryptedKeyring" in status.message
    assert "Secret Service" in status.message and "gnome-keyring" in status.message
    assert "PYTHON_KEYRING_BACKEND" in status.message
    assert in_thread(store.store, "prod", "token", "s.never-stored").state is BackendState.PROMPTS
    with pytest.raises(CredentialError, match="asks for its password on the terminal"):
        in_thread(store.get, "prod", "token")
    with pytest.raises(CredentialError):
        in_thread(store.forget, "prod")
    assert not (tmp_path / "crypted_pass.cfg").exists()


def test_an_unlocked_encrypted_keyring_is_allowed(tmp_path):
    pytest.importorskip("Crypto.Cipher")
    from keyrings.alt.file import EncryptedKeyring

    backend = EncryptedKeyring()
    backend.file_path = str(tmp_path / "crypted_pass.cfg")
    backend.keyring_key = "unlocked-by-someone-else"
    assert check_backend(backend, explicit=True).usable


CHILD = textwrap.dedent(
    """
    import json, sys, time
    from vault_tui.credentials import CredentialError, CredentialStore

    started = time.monotonic()
    store = CredentialStore()
    status = store.store("prod", "token", "s.never-stored")
    try:
        store.get("prod", "token")
        got = "no error"
    except CredentialError as error:
        got = str(error)
    print(json.dumps({"state": status.state.value, "message": status.message, "get": got,
                      "seconds": time.monotonic() - started}))
    """
)


@pytest.mark.parametrize(
    "backend, module",
    [
        ("keyrings.alt.file.EncryptedKeyring", "Crypto.Cipher"),
        ("keyrings.cryptfile.cryptfile.CryptFileKeyring", "keyrings.cryptfile"),
    ],
)
def test_prompting_backend_chosen_by_environment_is_refused_quickly(tmp_path, backend, module):
    """As a user would run it: PYTHON_KEYRING_BACKEND names a prompting backend, and stdin is an
    open pipe nobody writes to, so a getpass fallback would wait forever."""
    pytest.importorskip(module)
    env = dict(
        os.environ,
        PYTHON_KEYRING_BACKEND=backend,
        HOME=str(tmp_path),
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
    )
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,  # no controlling terminal: getpass would read stdin
    )
    try:
        out, err = child.communicate(timeout=LIMIT)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 0, err
    import json

    result = json.loads(out)
    assert result["state"] == "prompts"
    assert backend in result["message"] and "PYTHON_KEYRING_BACKEND" in result["message"]
    assert backend in result["get"]
    assert "Password" not in err  # no prompt was written anywhere
    assert not any(p.name.endswith(".cfg") for p in tmp_path.rglob("*"))


def test_cryptfile_unlocked_by_the_apps_own_prompt(tmp_path):
    pytest.importorskip("keyrings.cryptfile")
    from keyrings.cryptfile.cryptfile import CryptFileKeyring

    def fresh() -> CryptFileKeyring:
        backend = CryptFileKeyring()
        backend.file_path = str(tmp_path / "cryptfile_pass.cfg")
        return backend

    asked: list[str] = []

    def prompt(question: str) -> str:
        asked.append(question)
        return "correct horse"

    store = CredentialStore(fresh(), password_prompt=prompt)
    assert in_thread(store.store, "prod", "token", "s.kept").usable
    assert asked and "CryptFileKeyring" in asked[0]
    # A new process (a new backend object) with the right password reads it back...
    again = CredentialStore(fresh(), password_prompt=lambda _q: "correct horse")
    assert in_thread(again.get, "prod", "token") == "s.kept"
    # ...a wrong one, or none, is refused, without a prompt on the terminal.
    wrong = CredentialStore(fresh(), password_prompt=lambda _q: "wrong")
    assert in_thread(lambda: wrong.status).state is BackendState.PROMPTS
    declined = CredentialStore(fresh(), password_prompt=lambda _q: None)
    assert in_thread(lambda: declined.status).state is BackendState.PROMPTS
    assert in_thread(lambda: CredentialStore(fresh()).status).state is BackendState.PROMPTS


class SneakyKeyring(KeyringBackend):
    """A backend nobody knew would prompt: it calls getpass inside get_password."""

    priority = 1  # type: ignore[assignment]

    def get_password(self, service, username):
        return getpass.getpass("unlock me: ")

    def set_password(self, service, username, password):
        input("confirm: ")

    def delete_password(self, service, username):
        raise keyring.errors.PasswordDeleteError()


def test_backstop_makes_any_prompt_fail_fast():
    store = CredentialStore(SneakyKeyring())
    assert store.status.usable  # nothing to see from outside...
    with pytest.raises(PromptRefused, match="asked for a password on the terminal"):
        in_thread(store.get, "prod", "token")  # ...but the prompt fails at once
    with pytest.raises(PromptRefused):
        in_thread(store.store, "prod", "token", "s.x")
    # and everything is put back afterwards
    assert getpass.getpass is not None and getpass.getpass.__name__ != "_refuse_prompt"
    assert input.__name__ == "input"


def test_no_terminal_prompts_is_reentrant_and_restores():
    original = getpass.getpass
    with no_terminal_prompts():
        with no_terminal_prompts():
            with pytest.raises(PromptRefused):
                getpass.getpass("x")
        with pytest.raises(PromptRefused):
            input("y")
    assert getpass.getpass is original


async def test_sign_in_with_a_prompting_keyring_does_not_freeze(bao, root_client, tmp_path, monkeypatch):
    """The issue's freeze: "remember" ticked, EncryptedKeyring chosen. The app signs in, says why
    nothing was remembered, and keeps running (the worker never waits on getpass)."""
    pytest.importorskip("Crypto.Cipher")
    from keyrings.alt.file import EncryptedKeyring
    from textual.widgets import Input

    from tests.conftest import unique
    from tests.helpers import screen_ready, wait_for
    from vault_tui.app import make_app
    from vault_tui.config import AppConfig
    from vault_tui.screens.signin import SignInScreen
    from vault_tui.vault.client import ConnectionSettings

    mount = unique("up-")
    root_client.sys.enable_auth_method("userpass", path=mount)
    root_client.write(f"auth/{mount}/users/alice", password="pw", token_policies=["default"])
    backend = EncryptedKeyring()
    backend.file_path = str(tmp_path / "crypted_pass.cfg")
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.EncryptedKeyring")
    try:
        config = AppConfig(
            connection=ConnectionSettings(addr=bao.addr),
            profile="p",
            initial_view="policies",
            auth_method="userpass",
            auth_mount=mount,
            auth_username="alice",
        )
        app = make_app(config, tick=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: screen_ready(app, SignInScreen), timeout=LIMIT, what="sign-in")
            screen = app.screen
            screen.query_one("#password", Input).value = "pw"
            screen.query_one("#remember").value = True
            screen.action_submit()
            await wait_for(pilot, lambda: session_ready(app), timeout=LIMIT, what="signed in")
            messages = [str(n.message) for n in app._notifications]
            assert any("not remembered" in m and "EncryptedKeyring" in m for m in messages), messages
        assert not (tmp_path / "crypted_pass.cfg").exists()
    finally:
        keyring.set_keyring(previous)
        root_client.sys.disable_auth_method(mount)


def session_ready(app) -> bool:
    """``app.session.ready`` (the restructured app) or ``app.session_ready`` (before it)."""
    session = getattr(app, "session", None)
    return bool(session.ready) if session is not None else bool(getattr(app, "session_ready", False))
