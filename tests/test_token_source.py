"""Which token runs the session, and where it came from (``AppConfig.token_source``).

A profile that signs in as someone (userpass, approle, ...) never runs on ``$VAULT_TOKEN`` or
``~/.vault-token``, which belong to whoever ran ``vault login`` last.
"""

from __future__ import annotations

import os
from pathlib import Path

import keyring
import pytest
from keyrings.alt.file import PlaintextKeyring

from vault_tui import cli
from vault_tui.config import AppConfig, token_and_source
from vault_tui.credentials import CredentialStore
from vault_tui.profiles import apply_profile, parse_profiles, use_remembered_token
from vault_tui.vault.client import ConnectionSettings

LIMIT = 60.0

PROFILES = """\
[profiles.alice]
addr = "{addr}"
auth = {{ method = "userpass", username = "alice" }}

[profiles.ci]
addr = "{addr}"
auth = {{ method = "approle", role = "r-1" }}

[profiles.tok]
addr = "{addr}"
auth = {{ method = "token" }}

[profiles.plain]
addr = "{addr}"

[profiles.anywhere]
namespace = "team"
"""


@pytest.fixture
def home(tmp_path) -> Path:
    """A HOME whose ~/.vault-token holds somebody's token."""
    (tmp_path / ".vault-token").write_text("s.from-the-file\n")
    return tmp_path


@pytest.fixture
def file_keyring(tmp_path, monkeypatch):
    previous = keyring.get_keyring()
    backend = PlaintextKeyring()
    backend.file_path = str(tmp_path / "keyring.cfg")
    keyring.set_keyring(backend)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    yield backend
    keyring.set_keyring(previous)


def test_the_suite_is_hermetic():
    leaked = [n for n in os.environ if n.startswith(("VAULT_", "BAO_")) and not n.startswith("VAULT_TUI_")]
    assert leaked == []
    assert os.environ["VAULT_TUI_CONFIG"].endswith("no-config.toml")
    assert not (Path.home() / ".vault-token").exists()
    assert "vault-tui-tests-" in str(Path.home())


def test_environment_sources(home, tmp_path):
    assert token_and_source({"VAULT_TOKEN": " s.v ", "BAO_TOKEN": "s.b", "HOME": str(home)}) == ("s.v", "VAULT_TOKEN")
    assert token_and_source({"BAO_TOKEN": "s.b", "HOME": str(home)}) == ("s.b", "BAO_TOKEN")
    assert token_and_source({"HOME": str(home)}) == ("s.from-the-file", "~/.vault-token")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert token_and_source({"HOME": str(empty)}) == (None, "none")
    (empty / ".bao-token").write_text("s.bao-file")
    assert token_and_source({"HOME": str(empty)}) == ("s.bao-file", "~/.bao-token")


def test_app_config_defaults():
    assert AppConfig().token_source == "none"
    assert AppConfig(connection=ConnectionSettings(token="s.x")).token_source == "given"
    assert AppConfig().addrs == ("http://127.0.0.1:8200",)


def test_cli_without_a_profile(home):
    args = cli.build_parser().parse_args([])
    config = cli.config_from_args(args, environ={"HOME": str(home)})
    assert config.connection.token == "s.from-the-file" and config.token_source == "~/.vault-token"
    config = cli.config_from_args(args, environ={"HOME": str(home), "BAO_TOKEN": "s.b"})
    assert config.connection.token == "s.b" and config.token_source == "BAO_TOKEN"
    # --addr without a profile: the environment's token goes along, as with `bao -address`.
    args = cli.build_parser().parse_args(["--addr", "http://127.0.0.1:9"])
    config = cli.config_from_args(args, environ={"HOME": str(home), "VAULT_TOKEN": "s.v"})
    assert config.connection.token == "s.v" and config.token_source == "VAULT_TOKEN"


@pytest.mark.parametrize("name, method", [("alice", "userpass"), ("ci", "approle")])
def test_a_sign_in_profile_never_runs_on_the_environment_token(home, name, method):
    profiles = parse_profiles(PROFILES.format(addr="http://127.0.0.1:8200"))
    environ = {"HOME": str(home), "VAULT_TOKEN": "s.someone-else", "VAULT_ADDR": "http://127.0.0.1:8200"}
    config = apply_profile(AppConfig(), profiles.get(name), environ)
    assert config.connection.token is None
    assert config.token_source == "none"
    assert config.token_note == f"VAULT_TOKEN not used: profile {name} signs in with {method}, as another identity"
    assert "s.someone-else" not in config.token_note
    # ~/.vault-token alone is not used either
    config = apply_profile(AppConfig(), profiles.get(name), {"HOME": str(home)})
    assert config.connection.token is None and config.token_note.startswith("~/.vault-token not used")


def test_token_profiles_use_the_environment_of_the_same_server(home):
    profiles = parse_profiles(PROFILES.format(addr="http://127.0.0.1:8200"))
    for name in ("tok", "plain"):
        config = apply_profile(AppConfig(), profiles.get(name), {"HOME": str(home), "VAULT_TOKEN": "s.v"})
        assert config.connection.token == "s.v" and config.token_source == "VAULT_TOKEN" and not config.token_note
        other = {"HOME": str(home), "VAULT_TOKEN": "s.v", "VAULT_ADDR": "http://127.0.0.1:9999"}
        config = apply_profile(AppConfig(), profiles.get(name), other)
        assert config.connection.token is None and config.token_source == "none"
        assert "not used: it is for VAULT_ADDR's server" in config.token_note
    config = apply_profile(AppConfig(), profiles.get("anywhere"), {"HOME": str(home)})
    assert config.connection.token == "s.from-the-file" and config.token_source == "~/.vault-token"


def test_the_profiles_keyring_token_wins(home, tmp_path, file_keyring):
    path = tmp_path / "config.toml"
    path.write_text(PROFILES.format(addr="http://127.0.0.1:8200"))
    CredentialStore().store("alice", "token", "s.alices-own")
    CredentialStore().store("tok", "token", "s.tok-remembered")
    environ = {"HOME": str(home), "VAULT_TOKEN": "s.someone-else", "PYTHON_KEYRING_BACKEND": "x"}
    for name, token in (("alice", "s.alices-own"), ("tok", "s.tok-remembered")):
        args = cli.build_parser().parse_args(["--config", str(path), "--profile", name])
        config = cli.config_from_args(args, environ=environ)
        assert config.connection.token == token
        assert config.token_source == f"keyring (profile {name})"
    # nothing remembered: the userpass profile signs in; the token profile runs on VAULT_TOKEN
    args = cli.build_parser().parse_args(["--config", str(path), "--profile", "ci"])
    config = cli.config_from_args(args, environ=environ)
    assert config.connection.token is None and config.token_source == "none"
    args = cli.build_parser().parse_args(["--config", str(path), "--profile", "plain"])
    assert cli.config_from_args(args, environ=environ).token_source == "VAULT_TOKEN"
    assert use_remembered_token(AppConfig(profile="p"), None).token_source == "none"


async def test_userpass_profile_signs_in_instead_of_running_as_root(bao, home, tmp_path, monkeypatch):
    """The real thing: VAULT_TOKEN is the root token, ~/.vault-token exists, the profile says
    userpass. The app must ask alice to sign in, not browse as root."""
    from tests.helpers import screen_ready, wait_for
    from vault_tui.app import make_app
    from vault_tui.screens.signin import SignInScreen

    path = tmp_path / "config.toml"
    path.write_text(PROFILES.format(addr=bao.addr))
    environ = {"HOME": str(home), "VAULT_TOKEN": bao.root_token, "VAULT_ADDR": bao.addr}
    args = cli.build_parser().parse_args(["--config", str(path), "--profile", "alice"])
    config = cli.config_from_args(args, environ=environ)
    assert config.connection.token is None and config.token_source == "none"
    app = make_app(config, tick=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: screen_ready(app, SignInScreen), timeout=LIMIT, what="the sign-in screen")
        assert app.gateway.settings.token is None
