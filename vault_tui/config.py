"""Configuration: command-line flags and the usual Vault/OpenBao environment variables.

Profiles from a TOML config file (issue: sign-in and profiles) layer on top of this.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping

from .vault.client import ConnectionSettings

DEFAULT_ADDR = "http://127.0.0.1:8200"
VIEWS = ("browser", "leases", "transit", "policies", "pki", "lint", "history")  # every name in views/registry.py


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
    environ = os.environ if environ is None else environ
    token = _env(environ, "VAULT_TOKEN", "BAO_TOKEN")
    if token:
        return token.strip()
    home = home or Path(environ.get("HOME") or Path.home())
    for name in (".vault-token", ".bao-token"):
        path = home / name
        try:
            text = path.read_text().strip()
        except OSError:
            continue
        if text:
            return text
    return None


def connection_from_environment(environ: Mapping[str, str] | None = None) -> ConnectionSettings:
    environ = os.environ if environ is None else environ
    return ConnectionSettings(
        addr=(_env(environ, "VAULT_ADDR", "BAO_ADDR") or DEFAULT_ADDR).rstrip("/"),
        token=token_from_environment(environ),
        namespace=_env(environ, "VAULT_NAMESPACE", "BAO_NAMESPACE"),
        ca_cert=_env(environ, "VAULT_CACERT", "BAO_CACERT"),
        ca_path=_env(environ, "VAULT_CAPATH", "BAO_CAPATH"),
        client_cert=_env(environ, "VAULT_CLIENT_CERT", "BAO_CLIENT_CERT"),
        client_key=_env(environ, "VAULT_CLIENT_KEY", "BAO_CLIENT_KEY"),
        skip_verify=truthy(_env(environ, "VAULT_SKIP_VERIFY", "BAO_SKIP_VERIFY")),
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

    def with_connection(self, connection: ConnectionSettings) -> "AppConfig":
        return replace(self, connection=connection)
