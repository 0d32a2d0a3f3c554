"""Addresses are checked before anything connects: a typo is the user's, said plainly, exit 2."""

from __future__ import annotations

import pytest

from vault_tui import cli
from vault_tui.config import AddressError, AppConfig, addrs_from_environment, connection_from_environment
from vault_tui.profiles import apply_profile, parse_profiles
from vault_tui.vault.addresses import mask, split_addrs, validate_addr


@pytest.mark.parametrize(
    "address, normalised",
    [
        ("http://127.0.0.1:8200", "http://127.0.0.1:8200"),
        ("http://127.0.0.1:8200/", "http://127.0.0.1:8200"),
        ("  https://vault.example.com:8200  ", "https://vault.example.com:8200"),
        ("HTTPS://Vault.Example.COM", "https://vault.example.com"),  # no port: the scheme's default
        ("http://[::1]:8200", "http://[::1]:8200"),
        ("https://vault-0.vault-internal:8200", "https://vault-0.vault-internal:8200"),
        ("http://node_1:8200", "http://node_1:8200"),
        ("http://localhost:08200", "http://localhost:8200"),
    ],
)
def test_good_addresses(address, normalised):
    assert validate_addr(address) == normalised


@pytest.mark.parametrize(
    "address, why",
    [
        ("", "it is empty"),
        ("vault:8200", "it must start with http:// or https:// (e.g. https://vault:8200)"),
        ("ftp://vault:21", "the scheme 'ftp' is not http or https"),
        ("unix:///run/vault.sock", "Unix sockets are not supported"),
        ("http://", "it has no host"),
        ("http://:8200", "it has no host"),
        ("http://vault:", "the port after ':' is empty"),
        ("http://vault:82oo", "the port '82oo' is not a number"),
        ("http://vault:0", "the port 0 is out of range (1-65535)"),
        ("http://vault:65536", "the port 65536 is out of range"),
        ("http://vault:8200/ui", "it has a path ('/ui'); nothing may follow the port but '/'"),
        ("http://vault:8200//", "it has a path ('//')"),
        ("http://vault:8200?x=1", "it has a query"),
        ("http://vault:8200#top", "it has a fragment"),
        ("http://a:1,http://b:2", "it contains ','"),
        ("http://vault.example.com:8200 ", None),  # trailing space is trimmed: fine
        ("http://vault example:8200", "it contains spaces or control characters"),
        ("http://va\x1bult:8200", "it contains spaces or control characters"),
        ("http://[::1:8200", "an IPv6 host must be closed with ']'"),
        ("http://[zz::1]:8200", "is not a valid IPv6 address"),
        ("http://::1:8200", "more than one ':'"),
        ("http://vault!:8200", "'vault!' is not a valid host name"),
        ("http://-vault:8200", "is not a valid host name"),
    ],
)
def test_bad_addresses_say_why(address, why):
    if why is None:
        validate_addr(address)
        return
    with pytest.raises(AddressError) as info:
        validate_addr(address, "--addr")
    message = str(info.value)
    assert message.startswith("--addr: invalid address ")
    assert why in message and why in info.value.reason


def test_credentials_in_an_address_are_refused_and_never_echoed():
    with pytest.raises(AddressError) as info:
        validate_addr("https://alice:s3cret-pw@vault.example.com:8200", "VAULT_ADDR")
    message = str(info.value)
    assert "s3cret-pw" not in message and "alice" not in message
    assert "'https://***@vault.example.com:8200'" in message and "user name or password" in message
    assert mask("http://u:p@h:1/x?y") == "http://***@h:1/x?y"
    assert mask("http://h:1/a@b") == "http://h:1/a@b"  # an @ in the path is not a credential


def test_comma_separated_lists():
    assert split_addrs("http://a:1,http://b:2") == ("http://a:1", "http://b:2")
    assert split_addrs(" http://a:1 , http://b:2/ , http://a:1 ") == ("http://a:1", "http://b:2")  # deduplicated
    for bad, why in (
        ("http://a:1,,http://b:2", "empty entry"),
        ("http://a:1,", "empty entry"),
        ("http://a:1,b:2", "'b:2': it must start with http://"),
        ("http://a:1,http://b:x", "'http://b:x': the port 'x' is not a number"),
    ):
        with pytest.raises(AddressError, match=why):
            split_addrs(bad, "--addr")


def test_environment_lists_and_errors():
    assert addrs_from_environment({"VAULT_ADDR": "http://a:1,http://b:2"}) == ("http://a:1", "http://b:2")
    assert addrs_from_environment({"BAO_ADDR": "http://c:3"}) == ("http://c:3",)
    assert addrs_from_environment({}) == ("http://127.0.0.1:8200",)
    assert (
        connection_from_environment({"VAULT_ADDR": "http://a:1,http://b:2", "HOME": "/nonexistent"}).addr
        == "http://a:1"
    )
    with pytest.raises(AddressError, match="^VAULT_ADDR: invalid address 'vault:8200'"):
        connection_from_environment({"VAULT_ADDR": "vault:8200"})


# -- the command line ----------------------------------------------------------------------------------
def parse(*argv: str, environ: dict[str, str] | None = None) -> AppConfig:
    args = cli.build_parser().parse_args(list(argv))
    return cli.config_from_args(args, environ=environ if environ is not None else {"HOME": "/nonexistent"})


def test_cli_keeps_the_whole_list():
    config = parse("--addr", "http://127.0.0.1:8200,http://127.0.0.1:8202/")
    assert config.connection.addr == "http://127.0.0.1:8200"
    assert config.addrs == ("http://127.0.0.1:8200", "http://127.0.0.1:8202")
    config = parse(environ={"VAULT_ADDR": "http://a:1,http://b:2", "HOME": "/nonexistent"})
    assert config.addrs == ("http://a:1", "http://b:2") and config.connection.addr == "http://a:1"
    assert parse().addrs == ("http://127.0.0.1:8200",)


@pytest.mark.parametrize(
    "argv, expected",
    [
        (
            ["--addr", "http://a:1,http://b:x"],
            "vault-tui: --addr: invalid address 'http://b:x': the port 'x' is not a number",
        ),
        (["--addr", "vault.example.com:8200"], "--addr: invalid address 'vault.example.com:8200': it must start with"),
        (["--addr", "http://a:1/v1/"], "it has a path ('/v1/')"),
        (["--demo", "--addr", "http://a:1:2"], "--addr: invalid address 'http://a:1:2'"),
    ],
)
def test_cli_bad_addr_exits_2_before_connecting(argv, expected, capsys, monkeypatch):
    def never(*_args, **_kwargs):  # pragma: no cover - reaching it is the failure
        raise AssertionError("the app (or the demo) was started with a bad address")

    monkeypatch.setattr(cli, "run_app", never)
    monkeypatch.setattr(cli, "run_demo", never)
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert "Malformed response" not in err and "Traceback" not in err


def test_cli_bad_environment_exits_2(capsys, monkeypatch):
    monkeypatch.setenv("VAULT_ADDR", "http://a:1,http://b:2/ui")
    monkeypatch.setattr(cli, "run_app", lambda config: 0)
    assert cli.main([]) == 2
    assert "VAULT_ADDR: invalid address 'http://b:2/ui'" in capsys.readouterr().err
    monkeypatch.setenv("VAULT_ADDR", "http://a:1")
    monkeypatch.setenv("VAULT_CLIENT_TIMEOUT", "forever")
    assert cli.main([]) == 2
    assert "VAULT_CLIENT_TIMEOUT 'forever'" in capsys.readouterr().err


# -- profiles ----------------------------------------------------------------------------------------------
def test_profile_addr_list_and_addrs():
    config = parse_profiles(
        '[profiles.a]\naddr = "http://n1:8200, http://n2:8200"\n'
        '[profiles.b]\naddrs = ["http://n1:8200/", "HTTP://N2:8200"]\n'
        '[profiles.c]\naddr = "http://n0:8200"\naddrs = ["http://n1:8200"]\n'
    )
    assert config.get("a").addrs == ("http://n1:8200", "http://n2:8200")
    assert config.get("b").addrs == ("http://n1:8200", "http://n2:8200")
    assert config.get("c").addrs == ("http://n0:8200", "http://n1:8200")
    applied = apply_profile(AppConfig(), config.get("b"), {"HOME": "/nonexistent"})
    assert applied.addrs == ("http://n1:8200", "http://n2:8200") and applied.connection.addr == "http://n1:8200"
    # a profile without an address takes VAULT_ADDR's list
    bare = parse_profiles('[profiles.d]\nnamespace = "x"\n').get("d")
    applied = apply_profile(AppConfig(), bare, {"VAULT_ADDR": "http://e1:1,http://e2:2", "HOME": "/nonexistent"})
    assert applied.addrs == ("http://e1:1", "http://e2:2") and applied.connection.addr == "http://e1:1"


def test_profile_without_addr_and_a_bad_vault_addr(tmp_path, capsys):
    path = tmp_path / "config.toml"
    path.write_text('default_profile = "d"\n[profiles.d]\nnamespace = "x"\n')
    args = cli.build_parser().parse_args(["--config", str(path)])
    from vault_tui.profiles import ConfigError

    with pytest.raises(ConfigError, match="VAULT_ADDR: invalid address 'nope'.*profile 'd' has no addr"):
        cli.config_from_args(args, environ={"VAULT_ADDR": "nope", "HOME": str(tmp_path)})


def test_cli_addr_list_inside_the_profiles_cluster_keeps_its_token(tmp_path):
    import keyring
    from keyrings.alt.file import PlaintextKeyring

    from vault_tui.credentials import CredentialStore

    path = tmp_path / "config.toml"
    path.write_text('[profiles.ha]\naddrs = ["http://n1:8200", "http://n2:8200", "http://n3:8200"]\n')
    previous = keyring.get_keyring()
    backend = PlaintextKeyring()
    backend.file_path = str(tmp_path / "kr.cfg")
    keyring.set_keyring(backend)
    try:
        CredentialStore(backend).store("ha", "token", "s.ha")
        args = cli.build_parser().parse_args(
            ["--config", str(path), "-p", "ha", "--addr", "http://n2:8200,http://n3:8200"]
        )
        config = cli.config_from_args(args, environ={"HOME": str(tmp_path), "PYTHON_KEYRING_BACKEND": "x"})
        assert config.connection.addr == "http://n2:8200" and config.addrs == ("http://n2:8200", "http://n3:8200")
        assert config.connection.token == "s.ha" and config.token_source == "keyring (profile ha)"
        args = cli.build_parser().parse_args(
            ["--config", str(path), "-p", "ha", "--addr", "http://n2:8200,http://elsewhere:1"]
        )
        config = cli.config_from_args(args, environ={"HOME": str(tmp_path)})
        assert config.connection.token is None and config.token_source == "none"
        assert "not sent to --addr" in config.token_note and "s.ha" not in config.token_note
    finally:
        keyring.set_keyring(previous)
