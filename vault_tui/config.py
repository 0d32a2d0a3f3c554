"""Configuration: command-line flags and the usual Vault/OpenBao environment variables.

Profiles from a TOML config file (issue: sign-in and profiles) layer on top of this.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

# AddressError / SettingError are re-exported: they are what the functions here raise.
from .vault.addresses import AddressError as AddressError
from .vault.addresses import SettingError as SettingError
from .vault.addresses import split_addrs
from .vault.client import ConnectionSettings
from .vault.transport import check_proxy_url, parse_duration, parse_retries

DEFAULT_ADDR = "http://127.0.0.1:8200"


def view_names() -> tuple[str, ...]:
    """The names ``--view`` and ``default_view`` accept: every view in views/registry.py.

    Imported when asked (the registry imports every screen, so Textual): the command-line
    sub-commands that never open a view do not pay for it.
    """
    from .views.registry import VIEWS

    return tuple(spec.name for spec in VIEWS)


def _env(environ: Mapping[str, str], *names: str) -> str | None:
    for name in names:
        value = environ.get(name)
        if value:
            return value
    return None


def truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on", "t", "y")


def token_from_environment(environ: Mapping[str, str] | None = None, home: Path | None = None) -> str | None:
    """``VAULT_TOKEN`` or ``BAO_TOKEN``, then ``~/.vault-token`` (the CLI's token helper file)."""
    return token_and_source(environ, home)[0]


def token_and_source(environ: Mapping[str, str] | None = None, home: Path | None = None) -> tuple[str | None, str]:
    """The environment's token and where it came from: ``"VAULT_TOKEN"``, ``"BAO_TOKEN"``,
    ``"~/.vault-token"``, ``"~/.bao-token"``, or ``(None, "none")``."""
    environ = os.environ if environ is None else environ
    for name in ("VAULT_TOKEN", "BAO_TOKEN"):
        token = (environ.get(name) or "").strip()
        if token:
            return token, name
    home = home or Path(environ.get("HOME") or Path.home())
    for name in (".vault-token", ".bao-token"):
        path = home / name
        try:
            text = path.read_text().strip()
        except OSError:
            continue
        if text:
            return text, f"~/{name}"
    return None, TOKEN_NONE


TOKEN_NONE = "none"
TOKEN_SIGN_IN = "sign-in"


def keyring_source(profile: str) -> str:
    """The ``token_source`` of a token remembered in the keyring for ``profile``."""
    return f"keyring (profile {profile})"


def addrs_from_environment(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """``VAULT_ADDR``/``BAO_ADDR`` (a comma-separated list is allowed), validated; else the default.

    Raises :class:`AddressError` naming the variable and the bad address.
    """
    environ = os.environ if environ is None else environ
    for name in ("VAULT_ADDR", "BAO_ADDR"):
        value = environ.get(name)
        if value and value.strip():
            return split_addrs(value, name)
    return (DEFAULT_ADDR,)


def transport_from_environment(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The ``ConnectionSettings`` fields for timeouts, retries, SNI, proxies and the CA bundle.

    Raises :class:`SettingError` naming the variable for a value that cannot be used.
    """
    environ = os.environ if environ is None else environ
    fields: dict[str, Any] = {}
    name, value = _env_named(environ, "VAULT_CLIENT_TIMEOUT", "BAO_CLIENT_TIMEOUT")
    if value is not None:
        fields["timeout"] = parse_duration(value, name)
    name, value = _env_named(environ, "VAULT_MAX_RETRIES", "BAO_MAX_RETRIES")
    if value is not None:
        fields["max_retries"] = parse_retries(value, name)
    name, value = _env_named(environ, "VAULT_TLS_SERVER_NAME", "BAO_TLS_SERVER_NAME")
    if value is not None:
        fields["tls_server_name"] = value.strip()
    # SSL_CERT_FILE as Go's crypto/x509 reads it (the bao CLI), REQUESTS_CA_BUNDLE as requests does.
    fields["ca_bundle"] = _env(environ, "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE")
    # VAULT_PROXY_ADDR (VAULT_HTTP_PROXY is its deprecated name): every request goes through it.
    name, value = _env_named(environ, "VAULT_PROXY_ADDR", "BAO_PROXY_ADDR", "VAULT_HTTP_PROXY", "BAO_HTTP_PROXY")
    if value is not None:
        fields["proxy_addr"] = check_proxy_url(value, name)
    # Go reads the upper-case name first, then the lower-case one.
    for field_name, names in (
        ("https_proxy", ("HTTPS_PROXY", "https_proxy")),
        ("http_proxy", ("HTTP_PROXY", "http_proxy")),
    ):
        name, value = _env_named(environ, *names)
        if value is not None:
            fields[field_name] = check_proxy_url(value, name)
    fields["no_proxy"] = _env(environ, "NO_PROXY", "no_proxy")
    return fields


def _env_named(environ: Mapping[str, str], *names: str) -> tuple[str, str | None]:
    for name in names:
        value = environ.get(name)
        if value and value.strip():
            return name, value
    return names[0], None


def connection_from_environment(environ: Mapping[str, str] | None = None) -> ConnectionSettings:
    """Settings from the ``VAULT_*``/``BAO_*`` variables (the first address of a list).

    Raises :class:`SettingError` (or its :class:`AddressError`) for a value that cannot be used.
    """
    environ = os.environ if environ is None else environ
    return ConnectionSettings(
        addr=addrs_from_environment(environ)[0],
        token=token_from_environment(environ),
        namespace=_env(environ, "VAULT_NAMESPACE", "BAO_NAMESPACE"),
        ca_cert=_env(environ, "VAULT_CACERT", "BAO_CACERT"),
        ca_path=_env(environ, "VAULT_CAPATH", "BAO_CAPATH"),
        client_cert=_env(environ, "VAULT_CLIENT_CERT", "BAO_CLIENT_CERT"),
        client_key=_env(environ, "VAULT_CLIENT_KEY", "BAO_CLIENT_KEY"),
        skip_verify=truthy(_env(environ, "VAULT_SKIP_VERIFY", "BAO_SKIP_VERIFY")),
        **transport_from_environment(environ),
    )


@dataclass
class AppConfig:
    connection: ConnectionSettings = field(default_factory=ConnectionSettings)
    read_only: bool = False
    initial_path: str | None = None
    initial_view: str = "browser"
    profile: str | None = None
    demo: bool = False
    demo_notes: tuple[str, ...] = ()
    # The path index of the secrets view (search, go-to-path completion): build it for every KV
    # mount as soon as the mounts are listed (else the first time a search needs it), with this
    # many LIST requests in flight where the server has no SCAN. Never for a use-limited token.
    index_at_connect: bool = False  # [settings] index_at_connect
    profile_index_at_connect: bool | None = None  # the profile's index_at_connect (wins when set)
    index_concurrency: int = 16
    # seconds before a copied value is cleared from the clipboard
    clipboard_clear_seconds: float = 30.0
    # lease dashboard
    lease_warn_seconds: int = 300
    lease_critical_seconds: int = 60
    lease_refresh_seconds: float = 30.0
    keymap: dict[str, str] = field(default_factory=dict)
    # Sign-in defaults from the profile (never secrets): method, its mount, role, username.
    auth_method: str | None = None
    auth_mount: str | None = None
    auth_role: str = ""
    auth_username: str = ""
    auth_jwt_path: str = ""
    # The profiles file (for :ctx switching); None = the default location.
    profiles_path: str | None = None
    # --read-only was given: it outlasts profile switches (a profile's read_only does not).
    read_only_flag: bool = False
    # Idle lock: after this many minutes without a key press, revealed values are hidden, the
    # clipboard is cleared (if it holds what vault-tui put there) and a key (or a new sign-in,
    # with idle_lock_sign_in) is needed before secrets show again. 0 = never.
    idle_lock_minutes: float = 15.0
    idle_lock_sign_in: bool = False
    # E in the secrets view opens the secret in $VISUAL / $EDITOR as "json" or "yaml".
    editor_format: str = "json"
    lint: Any = None  # [lint] thresholds of the lint report (a LintSettings); None = the defaults
    # The operator's trail (vault_tui.trail): on by default; None = the user's state directory.
    trail: bool = True
    trail_path: str | None = None
    # Every configured address of the server/cluster, in order (--addr list, VAULT_ADDR list or
    # the profile's addrs). The first is where ``connection`` starts; empty = (connection.addr,).
    addrs: tuple[str, ...] = ()
    # Where connection.token came from, for the session bar: "VAULT_TOKEN", "BAO_TOKEN",
    # "~/.vault-token", "~/.bao-token", "keyring (profile NAME)", "sign-in", "demo",
    # "none" (no token: sign in). Empty = "given" (set by code), or "none" without a token.
    token_source: str = ""
    # One line on a token that was deliberately NOT used (e.g. VAULT_TOKEN with a userpass
    # profile), for the UI to show once; "" when there is nothing to say.
    token_note: str = ""

    def __post_init__(self) -> None:
        if not self.addrs:
            self.addrs = (self.connection.addr,)
        if not self.token_source:
            self.token_source = "given" if self.connection.token else TOKEN_NONE

    @property
    def indexes_at_connect(self) -> bool:
        """Build the search index of every KV mount at connect (the profile's say, else [settings])."""
        return self.index_at_connect if self.profile_index_at_connect is None else self.profile_index_at_connect

    def with_connection(self, connection: ConnectionSettings) -> AppConfig:
        return replace(self, connection=connection)
