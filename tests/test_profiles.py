"""Profiles: the TOML file, env fill-in, error messages with file and line, applying a profile."""

from __future__ import annotations

from pathlib import Path

import pytest

from vault_tui.config import AppConfig
from vault_tui.profiles import ConfigError, apply_profile, config_path, load_profiles, parse_profiles

GOOD = """\
default_profile = "prod"

[profiles.prod]
addr = "https://vault.example.com:8200/"
namespace = "team-a/"
default_view = "leases"
read_only = true

[profiles.prod.auth]
method = "approle"
mount = "auth/ci-approle/"
role = "role-123"

[profiles.prod.tls]
ca_cert = "~/certs/ca.pem"
client_cert = "/c.pem"
client_key = "/k.pem"

[profiles.dev]
addrs = ["http://127.0.0.1:8200", "http://127.0.0.1:8201"]
auth = { method = "userpass", username = "alice" }
tls = { skip_verify = true }
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_load_good_file(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    config = load_profiles(write(tmp_path, GOOD))
    assert config.names == ("prod", "dev") and config.default_profile == "prod"
    prod = config.get("prod")
    assert prod.addr == "https://vault.example.com:8200"
    assert prod.namespace == "team-a"
    assert prod.auth.method == "approle" and prod.auth.mount == "auth/ci-approle" and prod.auth.role == "role-123"
    assert prod.tls.ca_cert == str(tmp_path / "certs/ca.pem")
    assert prod.read_only is True and prod.default_view == "leases"
    dev = config.get("dev")
    assert dev.addrs == ("http://127.0.0.1:8200", "http://127.0.0.1:8201")
    assert dev.auth.username == "alice" and dev.tls.skip_verify is True


def test_missing_file_is_empty(tmp_path):
    config = load_profiles(tmp_path / "nope.toml")
    assert config.names == ()
    with pytest.raises(ConfigError, match="no profile named 'x'"):
        config.get("x")


def test_env_fills_what_the_profile_leaves_out(tmp_path):
    environ = {
        "VAULT_ADDR": "https://vault.example.com:8200",
        "VAULT_TOKEN": "s.env-token",
        "VAULT_NAMESPACE": "env-ns",
        "BAO_CAPATH": "/etc/cas",
        "VAULT_CACERT": "/env/ca.pem",
        "VAULT_SKIP_VERIFY": "true",
        "HOME": str(tmp_path),
    }
    config = load_profiles(write(tmp_path, GOOD))
    prod = config.get("prod").connection(environ)
    assert prod.addr == "https://vault.example.com:8200"
    assert prod.namespace == "team-a"  # the profile wins
    assert prod.ca_cert.endswith("certs/ca.pem")  # the profile wins
    assert prod.ca_path == "/etc/cas"  # env fills in
    assert prod.cert == ("/c.pem", "/k.pem")
    assert prod.skip_verify is True  # env fills an unset skip_verify
    # Same server as VAULT_ADDR, but prod signs in with AppRole: VAULT_TOKEN is another identity.
    assert prod.token is None
    assert config.get("prod").environment_token(environ) == (
        None,
        "none",
        "VAULT_TOKEN not used: profile prod signs in with approle, as another identity",
    )
    plain = parse_profiles('[profiles.p]\naddr = "https://vault.example.com:8200"\n').get("p")
    assert plain.connection(environ).token == "s.env-token"  # no method: the environment's token is fine

    dev = config.get("dev").connection(environ)
    assert dev.addr == "http://127.0.0.1:8200"
    assert dev.namespace == "env-ns"
    # VAULT_TOKEN belongs to another server: never sent to this one
    assert dev.token is None


def test_bao_variables_work(tmp_path):
    environ = {"BAO_ADDR": "http://127.0.0.1:9999", "BAO_TOKEN": "s.bao", "HOME": str(tmp_path)}
    profile = parse_profiles('[profiles.p]\nnamespace = "x"\n').get("p")
    settings = profile.connection(environ)
    assert settings.addr == "http://127.0.0.1:9999" and settings.token == "s.bao"


@pytest.mark.parametrize(
    "text, line, problem",
    [
        ('[profiles.a]\naddr = "http://x"\nread_only = "yes"\n', 3, "'read_only' must be true or false, not a string"),
        ("[profiles.a]\naddr = \n", 2, "invalid TOML"),
        ("[profiles.a]\n[profiles.a.tls]\n\nca_cert = 3\n", 4, "'ca_cert' must be a string"),
        ("[profiles.a]\ntls = { ca_cert = 3 }\n", 2, "'ca_cert' must be a string"),
        ('[profiles.a]\naddr = "vault:8200"\n', 2, "must be an http:// or https:// address"),
        ('[profiles.a]\n\naddrs = ["http://a:1", "http://b:2/x"]\n', 3, "'http://b:2/x': it has a path"),
        ('[profiles.a]\naddr = "http://a:99999"\n', 2, "out of range"),
        ('[profiles.a]\naddr = "http://user:pw@a:1"\n', 2, "'http://***@a:1': it contains a user name or password"),
        ('[profiles.a]\ntimeout = "soon"\n', 2, "timeout 'soon' is not a number of seconds"),
        ("[profiles.a]\nmax_retries = -1\n", 2, "max_retries must be 0 or more"),
        ('[profiles.a]\nmax_retries = "2"\n', 2, "max_retries must be a whole number"),
        ('[profiles.a]\nproxy = "socks5://p:1080"\n', 2, "proxy scheme 'socks5' is not supported"),
        ('[profiles.a]\n\n\ntoken = "s.x"\n', 4, "secrets are kept in the OS keyring"),
        ('[profiles.a]\nadress = "http://x"\n', 2, "unknown setting 'adress'"),
        ('[profiles.a.auth]\nmethod = "kerberos"\n', 2, "auth method must be one of"),
        ('default_profile = "b"\n[profiles.a]\n', 1, "not a defined profile"),
        ('[profiles.a]\ndefault_view = "nope"\n', 2, "'default_view' must be one of"),
        ('[profiles.a.tls]\nclient_cert = "/c"\n', 2, "must be given together"),
        ('[profiles.a]\naddr = "http://x"\n[profiles.a]\n', 3, "invalid TOML"),
        ('x = """\n', 1, "invalid TOML"),
    ],
)
def test_bad_file_names_file_line_and_problem(tmp_path, text, line, problem):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_profiles(path)
    error = info.value
    assert error.line == line, str(error)
    assert problem in error.problem
    assert str(error).startswith(f"{path}, line {line}: ")


def test_not_utf8(tmp_path):
    path = tmp_path / "config.toml"
    path.write_bytes(b'[profiles.a]\naddr = "\xff"\n')
    with pytest.raises(ConfigError, match="line 2: is not valid UTF-8"):
        load_profiles(path)


def test_config_path_follows_xdg(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert config_path({}) == tmp_path / "vault-tui" / "config.toml"
    assert config_path({"VAULT_TUI_CONFIG": "/x/y.toml"}) == Path("/x/y.toml")


def test_apply_profile(tmp_path):
    config = load_profiles(write(tmp_path, GOOD))
    applied = apply_profile(AppConfig(), config.get("prod"), {"HOME": str(tmp_path)})
    assert applied.profile == "prod"
    assert applied.read_only is True and applied.initial_view == "leases"
    assert applied.auth_method == "approle" and applied.auth_role == "role-123"
    assert applied.connection.addr == "https://vault.example.com:8200"
    dev = apply_profile(AppConfig(), config.get("dev"), {"HOME": str(tmp_path)}, read_only=True)
    assert dev.read_only is True  # the CLI flag wins
    assert apply_profile(AppConfig(), config.get("dev"), {"HOME": str(tmp_path)}).read_only is False


# -- CLI and switching in the running app --------------------------------------------------------
import keyring  # noqa: E402
from keyrings.alt.file import PlaintextKeyring  # noqa: E402

from tests.helpers import screen_ready  # noqa: E402
from vault_tui import cli  # noqa: E402
from vault_tui.credentials import CredentialStore  # noqa: E402
from vault_tui.widgets.session_bar import render_bar  # noqa: E402


@pytest.fixture
def file_keyring(tmp_path, monkeypatch):
    previous = keyring.get_keyring()
    backend = PlaintextKeyring()
    backend.file_path = str(tmp_path / "keyring.cfg")
    keyring.set_keyring(backend)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    yield backend
    keyring.set_keyring(previous)


def test_cli_profile_uses_remembered_token(tmp_path, file_keyring):
    path = write(tmp_path, GOOD)
    CredentialStore().store("prod", "token", "s.from-keyring")
    args = cli.build_parser().parse_args(["--config", str(path), "--profile", "prod"])
    config = cli.config_from_args(args, environ={"HOME": str(tmp_path)})
    assert config.profile == "prod" and config.read_only
    assert config.connection.token == "s.from-keyring"
    assert config.connection.addr == "https://vault.example.com:8200"
    assert config.profiles_path == str(path)
    # --addr elsewhere: the profile's token is not sent there
    args = cli.build_parser().parse_args(["--config", str(path), "--profile", "prod", "--addr", "https://evil:8200"])
    assert cli.config_from_args(args, environ={"HOME": str(tmp_path)}).connection.token is None


def test_cli_default_profile_and_errors(tmp_path, capsys):
    path = write(tmp_path, GOOD)
    args = cli.build_parser().parse_args(["--config", str(path)])
    assert cli.config_from_args(args, environ={"HOME": str(tmp_path)}).profile == "prod"
    bad = tmp_path / "bad.toml"
    bad.write_text("[profiles.a]\nread_only = 1\n")
    assert cli.main(["--config", str(bad)]) == 2
    assert f"{bad}, line 2: 'read_only' must be true or false" in capsys.readouterr().err
    assert cli.main(["--config", str(path), "--profile", "nope"]) == 2
    assert "no profile named 'nope'" in capsys.readouterr().err


def test_cli_forget(file_keyring, capsys):
    CredentialStore().store("prod", "token", "s.x")
    CredentialStore().store("prod", "secret_id", "sid")
    assert cli.main(["--forget", "prod"]) == 0
    assert "removed the remembered token and secret_id" in capsys.readouterr().out
    assert CredentialStore().get("prod", "token") is None
    assert cli.main(["--forget", "prod"]) == 0
    assert "nothing remembered" in capsys.readouterr().out


async def test_switch_profile_in_the_running_app(bao, root_client, tmp_path, file_keyring):
    """Two saved profiles on the same server in different namespaces; :ctx switches live."""
    from tests.conftest import unique
    from vault_tui.app import make_app
    from vault_tui.screens.signin import SignInScreen
    from vault_tui.vault.client import ConnectionSettings

    namespace = unique("ns-")
    root_client.adapter.post(f"/v1/sys/namespaces/{namespace}")
    path = write(
        tmp_path,
        f'[profiles.one]\naddr = "{bao.addr}"\ndefault_view = "policies"\n'
        f'[profiles.two]\naddr = "{bao.addr}"\nnamespace = "{namespace}"\nread_only = true\n'
        f'[profiles.three]\naddr = "{bao.addr}"\n',
    )
    CredentialStore().store("two", "token", bao.root_token)
    config = AppConfig(
        connection=ConnectionSettings(addr=bao.addr, token=bao.root_token),
        profile="one",
        profiles_path=str(path),
        initial_view="policies",
    )
    app = make_app(config, tick=False)

    async def settle(pilot, predicate):
        from tests.helpers import wait_for

        await wait_for(pilot, predicate, timeout=60.0)

    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, lambda: app.session.ready)
        app.command_line.run("ctx two")
        await settle(pilot, lambda: app.config.profile == "two" and app.session.token is not None)
        assert app.gateway.settings.namespace == namespace
        assert app.gateway.read_only and app.config.read_only
        assert app.gateway.settings.token == bao.root_token  # from the keyring
        bar = render_bar(app.session, app.now).plain
        assert "profile:two" in bar and f"ns:{namespace}" in bar and "READ-ONLY" in bar
        # a profile with nothing remembered asks to sign in
        app.command_line.run("ctx three")
        await settle(pilot, lambda: screen_ready(app, SignInScreen))
        await pilot.pause()
        assert app.config.profile == "three" and not app.config.read_only
        # an unknown profile is reported, nothing changes
        app.screen.dismiss(None)
        await pilot.pause()
        app.command_line.run("ctx nope")
        from tests.helpers import wait_for

        await wait_for(
            pilot,
            lambda: any("no profile named 'nope'" in str(n.message) for n in app._notifications),
            timeout=60.0,
            what="the unknown profile is reported",
        )
        assert app.config.profile == "three" and app.is_running


def test_keymap_and_settings_tables(tmp_path):
    from vault_tui.config import AppConfig
    from vault_tui.profiles import ConfigError, parse_profiles

    config = parse_profiles(
        '[keymap]\n"tree.refresh" = "f5"\n\n[settings]\nlease_warn_seconds = 600\nclipboard_clear_seconds = 10\n',
        tmp_path / "config.toml",
    )
    applied = config.apply_settings(AppConfig())
    assert applied.keymap == {"tree.refresh": "f5"}
    assert applied.lease_warn_seconds == 600 and applied.clipboard_clear_seconds == 10.0
    with pytest.raises(ConfigError) as error:
        parse_profiles("[settings]\n\nlease_warn_secs = 5\n", tmp_path / "config.toml")
    assert "lease_warn_secs" in str(error.value) and "line 3" in str(error.value)
    applied = parse_profiles(
        "[settings]\nidle_lock_minutes = 5\nidle_lock_sign_in = true\ntrail = false\n", tmp_path / "c.toml"
    ).apply_settings(AppConfig())
    assert applied.idle_lock_minutes == 5.0 and applied.idle_lock_sign_in is True and applied.trail is False
    with pytest.raises(ConfigError) as error:
        parse_profiles("[settings]\nidle_lock_sign_in = 1\n", tmp_path / "config.toml")
    assert "true or false" in str(error.value)


async def test_keymap_rebinds_a_key(settings, root_client, kv2_mount):
    from tests.helpers import app_for, view_mounted, wait_for
    from vault_tui.views.secrets.tree import PathTree

    root_client.secrets.kv.v2.create_or_update_secret("a/b", {"k": "v"}, mount_point=kv2_mount)
    app = app_for(settings, initial_path=f"{kv2_mount}/a/b", keymap={"tree.refresh": "f5"})
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: view_mounted(app), timeout=60.0, what="session ready and view mounted")
        await pilot.pause()
        tree = app.screen.query_one(PathTree)
        await wait_for(pilot, lambda: tree.index.is_loaded(f"{kv2_mount}/", "a/"), timeout=60.0, what="loaded")
        tree.focus()
        before = app.worker.requests_sent
        await pilot.press("f5")
        await wait_for(pilot, lambda: app.worker.requests_sent > before, timeout=60.0, what="refresh by f5")


def test_lint_thresholds_table(tmp_path):
    """[lint] sets the lint report's thresholds (the UI view and `vault-tui lint` read config.lint)."""
    from vault_tui.views.lint.model import LintSettings
    from vault_tui.views.lint.view_model import lint_settings

    applied = parse_profiles("[lint]\nstale_days = 90\ncert_expiry_days = 14\n", tmp_path / "c.toml").apply_settings(
        AppConfig()
    )
    assert applied.lint == LintSettings(stale_days=90, cert_expiry_days=14)
    assert lint_settings(applied) == (LintSettings(stale_days=90, cert_expiry_days=14), "")
    assert parse_profiles("[settings]\n", tmp_path / "c.toml").apply_settings(AppConfig()).lint is None
    with pytest.raises(ConfigError) as error:
        parse_profiles("[lint]\nstale_days = 90\nstale_dayz = 3\n", tmp_path / "c.toml")
    assert "stale_dayz" in str(error.value) and "line 3" in str(error.value)
    with pytest.raises(ConfigError) as error:
        parse_profiles('[lint]\nlease_ttl_days = "a week"\n', tmp_path / "c.toml")
    assert "whole number" in str(error.value) and "line 2" in str(error.value)
