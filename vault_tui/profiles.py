"""Named connection profiles from a TOML file in the user's config directory.

The file is ``$XDG_CONFIG_HOME/vault-tui/config.toml`` on Linux (``platformdirs``), or
whatever ``VAULT_TUI_CONFIG`` names::

    default_profile = "prod"

    [profiles.prod]
    addr = "https://vault.example.com:8200"      # or: addrs = ["https://a:8200", "https://b:8200"]
    namespace = "team-a"
    # timeout = "30s"                            # per connect/read; else VAULT_CLIENT_TIMEOUT, else 15 s
    # max_retries = 2                            # else VAULT_MAX_RETRIES (412/5xx, refused connections)
    # proxy = "http://proxy.example.com:3128"    # every request (else VAULT_PROXY_ADDR, HTTPS_PROXY...)
    default_view = "browser"                     # browser | leases | transit | policies
    read_only = true

    [profiles.prod.auth]
    method = "approle"                           # token | approle | userpass | ldap | kubernetes | jwt
    mount = "approle"                            # where the method is mounted (default: its name)
    role = "5f0c...-role-id"                     # AppRole role_id; Kubernetes/JWT role name
    # username = "alice"                         # userpass / ldap
    # jwt_path = "/var/run/secrets/kubernetes.io/serviceaccount/token"

    [profiles.prod.tls]
    ca_cert = "~/certs/vault-ca.pem"             # else VAULT_CACERT, VAULT_CAPATH, SSL_CERT_FILE, system store
    # server_name = "vault.internal"             # SNI / certificate name (VAULT_TLS_SERVER_NAME)
    # ...

    [keymap]                                     # binding id (shown by ? in the app) = keys
    "tree.refresh" = "f5"

    [settings]
    clipboard_clear_seconds = 30
    lease_warn_seconds = 300                     # TTL colour thresholds in the lease dashboard
    lease_critical_seconds = 60
    lease_refresh_seconds = 30
    # ca_path = "/etc/vault/cas"
    # client_cert = "~/certs/me.pem"
    # client_key = "~/certs/me-key.pem"
    # skip_verify = false

No secrets go in this file: tokens and secret IDs live in the OS keyring (see
:mod:`vault_tui.credentials`). The ``VAULT_*``/``BAO_*`` environment variables fill in whatever a
profile leaves out. A bad file raises :class:`ConfigError` naming the file, the line and the
problem.

Which token a profile runs on (``AppConfig.token_source`` says which it was):

1. the token remembered in the keyring for this profile (a previous sign-in with "remember");
2. only for a profile whose ``auth.method`` is ``token`` or unset: the environment's token
   (``VAULT_TOKEN``, ``BAO_TOKEN``, ``~/.vault-token``), and only when it belongs to the same
   server (the profile names no address, ``VAULT_ADDR`` is unset, or it is one of the profile's);
3. otherwise none: the app signs in with the profile's method. A profile that says
   ``method = "userpass"`` (approle, ldap, ...) never runs on a token of another identity
   picked up from the environment; ``AppConfig.token_note`` says that one was left unused.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import platformdirs

from .config import (
    DEFAULT_ADDR,
    TOKEN_NONE,
    AppConfig,
    _env,
    keyring_source,
    token_and_source,
    transport_from_environment,
    truthy,
    view_names,
)
from .lint_settings import LintSettings
from .vault.addresses import AddressError, SettingError, split_addrs, validate_addr
from .vault.auth import METHODS
from .vault.client import ConnectionSettings
from .vault.transport import check_proxy_url, parse_duration, parse_retries

APP_NAME = "vault-tui"
CONFIG_ENV = "VAULT_TUI_CONFIG"

PROFILE_KEYS = {
    "addr",
    "addrs",
    "namespace",
    "default_view",
    "read_only",
    "auth",
    "tls",
    "description",
    "timeout",
    "max_retries",
    "proxy",
    "index_at_connect",
}
AUTH_KEYS = {"method", "mount", "role", "username", "jwt_path"}
TLS_KEYS = {"ca_cert", "ca_path", "client_cert", "client_key", "skip_verify", "server_name"}
TOP_KEYS = {"default_profile", "profiles", "keymap", "settings", "lint"}
# [settings]: name -> (type, minimum)
SETTINGS = {
    "clipboard_clear_seconds": (float, 0.0),
    "lease_warn_seconds": (int, 0),
    "lease_critical_seconds": (int, 0),
    "lease_refresh_seconds": (float, 1.0),
    "idle_lock_minutes": (float, 0.0),
    "index_concurrency": (int, 1),  # LIST requests in flight while indexing a mount without SCAN
}
# [settings] that are true/false
BOOL_SETTINGS = {
    "idle_lock_sign_in",  # after the idle lock, sign in again (not just a key press)
    "trail",  # keep the operator's trail of changes (default true)
    "index_at_connect",  # index every KV mount for search as soon as the mounts are listed
}
# [settings] that take one of a few words
CHOICE_SETTINGS = {
    "editor_format": ("json", "yaml"),  # the format E (edit in $EDITOR) opens a secret in
}
SECRET_KEYS = {"token", "secret_id", "password", "jwt", "wrapped_secret_id", "client_token"}
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")


class ConfigError(Exception):
    """A problem in the config file. ``str()`` is ``"<file>, line N: <problem>"``."""

    def __init__(self, path: Path | str | None, problem: str, line: int | None = None) -> None:
        self.path = Path(path) if path else None
        self.problem = problem
        self.line = line
        where = str(self.path) if self.path else "config"
        if line:
            where += f", line {line}"
        super().__init__(f"{where}: {problem}")


class EnvironmentSettingError(ConfigError):
    """A ``VAULT_*``/``BAO_*`` variable a profile relies on cannot be used. ``str()`` names it."""

    def __init__(self, problem: str) -> None:
        Exception.__init__(self, problem)
        self.path = None
        self.problem = problem
        self.line = None


@dataclass(frozen=True)
class AuthSettings:
    method: str | None = None
    mount: str | None = None
    role: str = ""
    username: str = ""
    jwt_path: str = ""


@dataclass(frozen=True)
class TLSSettings:
    ca_cert: str | None = None
    ca_path: str | None = None
    client_cert: str | None = None
    client_key: str | None = None
    skip_verify: bool | None = None
    server_name: str | None = None


@dataclass(frozen=True)
class Profile:
    name: str
    addrs: tuple[str, ...] = ()
    namespace: str | None = None
    auth: AuthSettings = field(default_factory=AuthSettings)
    tls: TLSSettings = field(default_factory=TLSSettings)
    default_view: str | None = None
    read_only: bool | None = None
    index_at_connect: bool | None = None  # else [settings] index_at_connect
    description: str = ""
    timeout: float | None = None
    max_retries: int | None = None
    proxy: str | None = None

    @property
    def addr(self) -> str | None:
        return self.addrs[0] if self.addrs else None

    @property
    def uses_environment_token(self) -> bool:
        """Only a profile that signs in with a token (or says nothing) may run on ``$VAULT_TOKEN``."""
        return self.auth.method in (None, "token")

    def addresses(self, environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
        """The profile's addresses, else ``VAULT_ADDR``'s (a list is allowed), else the default."""
        if self.addrs:
            return self.addrs
        environ = os.environ if environ is None else environ
        for name in ("VAULT_ADDR", "BAO_ADDR"):
            value = environ.get(name)
            if value and value.strip():
                try:
                    return split_addrs(value, name)
                except AddressError as error:
                    raise EnvironmentSettingError(f"{error} (profile {self.name!r} has no addr of its own)") from None
        return (DEFAULT_ADDR,)

    def environment_token(self, environ: Mapping[str, str] | None = None) -> tuple[str | None, str, str]:
        """``(token, source, note)``: the environment's token if this profile may use it.

        ``source`` is e.g. ``"VAULT_TOKEN"`` or ``"none"``; ``note`` says why a token that is
        there was not used ("" when nothing was left out).
        """
        environ = os.environ if environ is None else environ
        token, source = token_and_source(environ)
        if token is None:
            return None, TOKEN_NONE, ""
        if not self.uses_environment_token:
            return (
                None,
                TOKEN_NONE,
                (f"{source} not used: profile {self.name} signs in with {self.auth.method}, as another identity"),
            )
        env_value = (_env(environ, "VAULT_ADDR", "BAO_ADDR") or "").strip()
        if self.addrs and env_value:
            try:
                env_addrs = split_addrs(env_value)
            except AddressError:
                env_addrs = ()
            if not env_addrs or env_addrs[0] not in self.addrs:
                return (
                    None,
                    TOKEN_NONE,
                    (f"{source} not used: it is for VAULT_ADDR's server, not profile {self.name}'s"),
                )
        return token, source, ""

    def connection(self, environ: Mapping[str, str] | None = None, *, addr: str | None = None) -> ConnectionSettings:
        """Settings for this profile; environment variables fill what it leaves out.

        The environment's token (``VAULT_TOKEN``/``BAO_TOKEN``/``~/.vault-token``) is used only
        when it belongs to the same server: when the profile names no address, or
        ``VAULT_ADDR`` is unset or equal to the profile's address. A token is never sent to a
        server it was not issued for.
        """
        environ = os.environ if environ is None else environ
        address = addr.rstrip("/") if addr else self.addresses(environ)[0]
        token = self.environment_token(environ)[0]
        tls = self.tls
        skip = tls.skip_verify
        if skip is None:
            skip = truthy(_env(environ, "VAULT_SKIP_VERIFY", "BAO_SKIP_VERIFY"))
        try:
            transport = transport_from_environment(environ)
        except SettingError as error:
            raise EnvironmentSettingError(str(error)) from None
        if self.timeout is not None:
            transport["timeout"] = self.timeout
        if self.max_retries is not None:
            transport["max_retries"] = self.max_retries
        if tls.server_name:
            transport["tls_server_name"] = tls.server_name
        if self.proxy:
            transport["proxy_addr"] = self.proxy
        return ConnectionSettings(
            addr=address,
            token=token,
            namespace=(
                self.namespace if self.namespace is not None else _env(environ, "VAULT_NAMESPACE", "BAO_NAMESPACE")
            ),
            ca_cert=tls.ca_cert or _env(environ, "VAULT_CACERT", "BAO_CACERT"),
            ca_path=tls.ca_path or _env(environ, "VAULT_CAPATH", "BAO_CAPATH"),
            client_cert=tls.client_cert or _env(environ, "VAULT_CLIENT_CERT", "BAO_CLIENT_CERT"),
            client_key=tls.client_key or _env(environ, "VAULT_CLIENT_KEY", "BAO_CLIENT_KEY"),
            skip_verify=bool(skip),
            **transport,
        )


@dataclass(frozen=True)
class ProfilesConfig:
    path: Path | None = None
    profiles: Mapping[str, Profile] = field(default_factory=dict)
    default_profile: str | None = None
    keymap: Mapping[str, str] = field(default_factory=dict)  # binding id -> keys, e.g. "tree.refresh" = "f5"
    settings: Mapping[str, float | bool | str] = field(default_factory=dict)
    lint: Any = None  # the [lint] thresholds (a LintSettings), None when the file has no [lint]

    def apply_settings(self, config: AppConfig) -> AppConfig:
        """Copy the [keymap], [settings] and [lint] tables onto ``config``."""
        changes: dict[str, Any] = dict(self.settings)
        if self.lint is not None:
            changes["lint"] = self.lint
        if self.keymap:
            changes["keymap"] = {**config.keymap, **self.keymap}
        return replace(config, **changes) if changes else config

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.profiles)

    def get(self, name: str) -> Profile:
        try:
            return self.profiles[name]
        except KeyError:
            known = ", ".join(self.profiles) or "none defined"
            where = f" in {self.path}" if self.path else ""
            raise ConfigError(self.path, f"no profile named {name!r}{where} (profiles: {known})") from None


def config_path(environ: Mapping[str, str] | None = None) -> Path:
    environ = os.environ if environ is None else environ
    override = environ.get(CONFIG_ENV)
    if override:
        return Path(override).expanduser()
    return platformdirs.user_config_path(APP_NAME) / "config.toml"


# -- loading ----------------------------------------------------------------------------------
def load_profiles(path: Path | str | None = None, *, environ: Mapping[str, str] | None = None) -> ProfilesConfig:
    """Read and validate the config file. A missing file is an empty config."""
    path = Path(path).expanduser() if path else config_path(environ)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return ProfilesConfig(path=path)
    except IsADirectoryError:
        raise ConfigError(path, "is a directory, not a TOML file") from None
    except OSError as error:
        raise ConfigError(path, f"cannot be read: {error.strerror or error}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ConfigError(path, "is not valid UTF-8 text", line) from None
    return parse_profiles(text, path)


def parse_profiles(text: str, path: Path | str | None = None) -> ProfilesConfig:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        # Python 3.14 adds lineno/colno/msg; older versions only put them in the message.
        message = str(error)
        found = re.search(r"\(at line (\d+), column (\d+)\)\s*$", message)
        line = getattr(error, "lineno", None) or (int(found.group(1)) if found else None)
        column = getattr(error, "colno", None) or (int(found.group(2)) if found else None)
        problem = getattr(error, "msg", None) or (message[: found.start()].strip() if found else message)
        if line is None and message.endswith("(at end of document)"):
            problem = message[: -len("(at end of document)")].strip() + " (at the end of the file)"
            line = text.count("\n") + (0 if text.endswith("\n") else 1)
        elif column:
            problem = f"{problem} (column {column})"
        raise ConfigError(path, f"invalid TOML: {problem}", line) from None
    return _Validator(text, path).document(document)


class _Validator:
    def __init__(self, text: str, path: Path | str | None) -> None:
        self.text = text
        self.path = Path(path) if path else None

    def fail(self, problem: str, table: tuple[str, ...], key: str | None = None) -> ConfigError:
        return ConfigError(self.path, problem, locate(self.text, table, key))

    def document(self, doc: dict[str, Any]) -> ProfilesConfig:
        for key in doc:
            if key not in TOP_KEYS:
                raise self.fail(
                    f"unknown setting {key!r} (expected 'default_profile', [profiles.NAME], [keymap], [settings] or [lint])",
                    (),
                    key,
                )
        profiles_raw = doc.get("profiles", {})
        if not isinstance(profiles_raw, dict):
            raise self.fail("'profiles' must be a table of [profiles.NAME] sections", (), "profiles")
        profiles: dict[str, Profile] = {}
        for name, body in profiles_raw.items():
            table = ("profiles", name)
            if not _NAME_RE.match(name):
                raise self.fail(
                    f"profile name {name!r} is not allowed (letters, digits, '-', '_', '.', '@'; max 64)",
                    table,
                )
            if not isinstance(body, dict):
                raise self.fail(f"profile {name!r} must be a table", ("profiles",), name)
            profiles[name] = self.profile(name, body)
        default = doc.get("default_profile")
        if default is not None:
            if not isinstance(default, str):
                raise self.fail("'default_profile' must be a string", (), "default_profile")
            if default not in profiles:
                raise self.fail(f"default_profile {default!r} is not a defined profile", (), "default_profile")
        keymap = self.keymap(doc.get("keymap", {}))
        settings = self.settings(doc.get("settings", {}))
        lint = self.lint(doc["lint"]) if "lint" in doc else None
        return ProfilesConfig(
            path=self.path, profiles=profiles, default_profile=default, keymap=keymap, settings=settings, lint=lint
        )

    def lint(self, body: Any) -> Any:
        """The [lint] table: the lint report's thresholds (stale_days, transit_rotation_days, ...)."""
        if not isinstance(body, dict):
            raise self.fail("'lint' must be a table of thresholds, e.g. stale_days = 365", (), "lint")
        try:
            return LintSettings.from_mapping(body)
        except ValueError as error:
            bad = next((key for key in body if f"lint.{key}:" in str(error)), None)
            raise self.fail(str(error), ("lint",), bad) from None

    def keymap(self, body: Any) -> dict[str, str]:
        if not isinstance(body, dict):
            raise self.fail("'keymap' must be a table of binding-id = \"keys\" (see ? in the app)", (), "keymap")
        for key, value in body.items():
            if not isinstance(value, str) or not value.strip():
                raise self.fail(
                    f'keymap entry {key!r} must be a string of keys, e.g. "f5" or "ctrl+r,f5"', ("keymap",), key
                )
        return {str(k): str(v) for k, v in body.items()}

    def settings(self, body: Any) -> dict[str, float | bool | str]:
        if not isinstance(body, dict):
            raise self.fail("'settings' must be a table", (), "settings")
        out: dict[str, float | bool | str] = {}
        for key, value in body.items():
            if key in CHOICE_SETTINGS:
                choices = CHOICE_SETTINGS[key]
                if not isinstance(value, str) or value.strip().lower() not in choices:
                    words = " or ".join(f'"{choice}"' for choice in choices)
                    raise self.fail(f"{key} must be {words}", ("settings",), key)
                out[key] = value.strip().lower()
                continue
            if key in BOOL_SETTINGS:
                if not isinstance(value, bool):
                    raise self.fail(f"{key} must be true or false", ("settings",), key)
                out[key] = value
                continue
            if key not in SETTINGS:
                known = ", ".join(sorted([*SETTINGS, *BOOL_SETTINGS, *CHOICE_SETTINGS]))
                raise self.fail(f"unknown setting {key!r} (known: {known})", ("settings",), key)
            kind, minimum = SETTINGS[key]
            wrong_kind = kind is int and not isinstance(value, int)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or wrong_kind:
                raise self.fail(f"{key} must be a {'whole ' if kind is int else ''}number", ("settings",), key)
            if value < minimum:
                raise self.fail(f"{key} must be at least {minimum}", ("settings",), key)
            out[key] = kind(value)
        return out

    def _string(self, body: dict[str, Any], key: str, table: tuple[str, ...]) -> str | None:
        value = body.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.fail(f"{key!r} must be a string, not {_toml_type(value)}", table, key)
        return value

    def _bool(self, body: dict[str, Any], key: str, table: tuple[str, ...]) -> bool | None:
        value = body.get(key)
        if value is None:
            return None
        if not isinstance(value, bool):
            raise self.fail(f"{key!r} must be true or false, not {_toml_type(value)}", table, key)
        return value

    def _unknown(self, body: dict[str, Any], allowed: set[str], table: tuple[str, ...]) -> None:
        for key in body:
            if key in SECRET_KEYS:
                raise self.fail(
                    f"{key!r} does not belong in the config file: secrets are kept in the OS keyring "
                    "(tick 'remember' when signing in)",
                    table,
                    key,
                )
            if key not in allowed:
                raise self.fail(f"unknown setting {key!r} (expected one of: {', '.join(sorted(allowed))})", table, key)

    def _addrs(self, value: str, table: tuple[str, ...], key: str) -> tuple[str, ...]:
        try:
            return split_addrs(value) if key == "addr" else (validate_addr(value),)
        except AddressError as error:
            raise self.fail(f"{key!r} must be an http:// or https:// address: {error}", table, key) from None

    def _number(self, body: dict[str, Any], key: str, table: tuple[str, ...]) -> Any:
        value = body.get(key)
        if value is None:
            return None
        try:
            if key == "timeout":
                if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                    raise SettingError(f'timeout must be seconds or a duration like "60s", not {_toml_type(value)}')
                return parse_duration(value, key)
            if isinstance(value, bool) or not isinstance(value, int):
                raise SettingError(f"{key} must be a whole number, not {_toml_type(value)}")
            return parse_retries(value, key)
        except SettingError as error:
            raise self.fail(str(error), table, key) from None

    def profile(self, name: str, body: dict[str, Any]) -> Profile:
        table = ("profiles", name)
        self._unknown(body, PROFILE_KEYS, table)
        addrs: list[str] = []
        addr = self._string(body, "addr", table)
        if addr is not None:
            addrs.extend(self._addrs(addr, table, "addr"))
        many = body.get("addrs")
        if many is not None:
            if not isinstance(many, list) or not all(isinstance(a, str) for a in many) or not many:
                raise self.fail("'addrs' must be a non-empty list of addresses", table, "addrs")
            for each in many:
                addrs.extend(self._addrs(each, table, "addrs"))
        proxy = self._string(body, "proxy", table)
        if proxy is not None:
            try:
                proxy = check_proxy_url(proxy, "proxy")
            except SettingError as error:
                raise self.fail(str(error), table, "proxy") from None
        view = self._string(body, "default_view", table)
        if view is not None and view not in view_names():
            raise self.fail(
                f"'default_view' must be one of {', '.join(view_names())}, got {view!r}", table, "default_view"
            )
        namespace = self._string(body, "namespace", table)
        if namespace is not None:
            namespace = namespace.strip().strip("/") or None
        return Profile(
            name=name,
            addrs=tuple(dict.fromkeys(addrs)),
            namespace=namespace,
            auth=self.auth(body.get("auth"), table + ("auth",)),
            tls=self.tls(body.get("tls"), table + ("tls",)),
            default_view=view,
            read_only=self._bool(body, "read_only", table),
            index_at_connect=self._bool(body, "index_at_connect", table),
            description=self._string(body, "description", table) or "",
            timeout=self._number(body, "timeout", table),
            max_retries=self._number(body, "max_retries", table),
            proxy=proxy,
        )

    def auth(self, body: Any, table: tuple[str, ...]) -> AuthSettings:
        if body is None:
            return AuthSettings()
        if not isinstance(body, dict):
            raise self.fail("'auth' must be a table", table[:-1], "auth")
        self._unknown(body, AUTH_KEYS, table)
        method = self._string(body, "method", table)
        if method is not None and method not in METHODS:
            raise self.fail(f"auth method must be one of {', '.join(METHODS)}, got {method!r}", table, "method")
        return AuthSettings(
            method=method,
            mount=(self._string(body, "mount", table) or "").strip("/") or None,
            role=self._string(body, "role", table) or "",
            username=self._string(body, "username", table) or "",
            jwt_path=_expand(self._string(body, "jwt_path", table)) or "",
        )

    def tls(self, body: Any, table: tuple[str, ...]) -> TLSSettings:
        if body is None:
            return TLSSettings()
        if not isinstance(body, dict):
            raise self.fail("'tls' must be a table", table[:-1], "tls")
        self._unknown(body, TLS_KEYS, table)
        cert = _expand(self._string(body, "client_cert", table))
        key = _expand(self._string(body, "client_key", table))
        if bool(cert) != bool(key):
            where = "client_cert" if cert else "client_key"
            raise self.fail("'client_cert' and 'client_key' must be given together", table, where)
        return TLSSettings(
            ca_cert=_expand(self._string(body, "ca_cert", table)),
            ca_path=_expand(self._string(body, "ca_path", table)),
            client_cert=cert,
            client_key=key,
            skip_verify=self._bool(body, "skip_verify", table),
            server_name=(self._string(body, "server_name", table) or "").strip() or None,
        )


def _expand(value: str | None) -> str | None:
    if not value:
        return None
    return os.path.expanduser(os.path.expandvars(value))


def _toml_type(value: Any) -> str:
    names = {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "a table",
    }
    return names.get(type(value), type(value).__name__)


# -- locating a key's line (tomllib gives positions only for syntax errors) ----------------------
_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(r"""^\s*((?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+)(?:\s*\.\s*(?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+))*)\s*=""")


def _split_dotted(text: str) -> tuple[str, ...]:
    parts = re.findall(r""""([^"]*)"|'([^']*)'|([A-Za-z0-9_-]+)""", text)
    return tuple(a or b or c for a, b, c in parts)


def locate(text: str, table: tuple[str, ...], key: str | None = None) -> int | None:
    """Best-effort line number of ``key`` in ``[table]`` (or of the table's header).

    Finds ``key = ...`` under a ``[table]`` header, dotted keys (``tls.ca_cert = ...``) and, for
    an inline table (``tls = { ca_cert = 1 }``), the line that opens it.
    """
    current: tuple[str, ...] = ()
    header_line = None
    inline_line = None
    for number, line in enumerate(text.splitlines(), 1):
        header = _HEADER.match(line)
        if header:
            current = _split_dotted(header.group(1))
            if current == table and header_line is None:
                header_line = number
            continue
        match = _KEY.match(line)
        if not match:
            continue
        full = current + _split_dotted(match.group(1))
        if key is not None and full == table + (key,):
            return number
        if full == table and inline_line is None:
            if key is None or re.search(rf"(?<![A-Za-z0-9_-]){re.escape(key)}\s*=", line):
                return number
            inline_line = number
    return header_line or inline_line


# -- applying a profile -------------------------------------------------------------------------
def apply_profile(
    config: AppConfig,
    profile: Profile,
    environ: Mapping[str, str] | None = None,
    *,
    read_only: bool | None = None,
) -> AppConfig:
    """A copy of ``config`` connected as ``profile`` describes.

    ``read_only`` (the CLI flag) wins over the profile; the profile wins over ``config``.
    """
    environ = os.environ if environ is None else environ
    connection = profile.connection(environ)
    _token, source, note = profile.environment_token(environ)
    ro = bool(read_only) or bool(profile.read_only) or (config.read_only and profile.read_only is None)
    return replace(
        config,
        connection=connection,
        addrs=profile.addresses(environ),
        token_source=source,
        token_note=note,
        read_only=ro,
        initial_view=profile.default_view or config.initial_view,
        profile_index_at_connect=profile.index_at_connect,
        profile=profile.name,
        auth_method=profile.auth.method,
        auth_mount=profile.auth.mount,
        auth_role=profile.auth.role,
        auth_username=profile.auth.username,
        auth_jwt_path=profile.auth.jwt_path,
    )


def use_remembered_token(config: AppConfig, token: str | None) -> AppConfig:
    """``config`` running on ``token``, the one remembered in the keyring for ``config.profile``.

    The keyring token wins over an environment token (it was issued to this profile's identity).
    Unchanged when ``token`` is empty.
    """
    if not token:
        return config
    return replace(
        config,
        connection=config.connection.with_token(token),
        token_source=keyring_source(config.profile or "default"),
    )
