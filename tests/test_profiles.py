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
    assert prod.token == "s.env-token"  # same server as VAULT_ADDR

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
        ('[profiles.a]\naddr = \n', 2, "invalid TOML"),
        ('[profiles.a]\n[profiles.a.tls]\n\nca_cert = 3\n', 4, "'ca_cert' must be a string"),
        ('[profiles.a]\ntls = { ca_cert = 3 }\n', 2, "'ca_cert' must be a string"),
        ('[profiles.a]\naddr = "vault:8200"\n', 2, "must be an http:// or https:// address"),
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
