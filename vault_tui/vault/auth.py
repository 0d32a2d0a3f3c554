"""Sign-in: token, AppRole (plain or response-wrapped secret_id), userpass, LDAP, Kubernetes, JWT.

Every login is a plain function taking the app's :class:`Gateway` (for the address, namespace
and TLS settings; its token is never sent with a login) and returning a :class:`LoginResult`:
the new client token plus its :class:`TokenInfo`. The gateway itself is not changed; the
caller adopts the token (``VaultWorker.adopt_token``).

A login the server refuses raises :class:`LoginFailed` carrying the server's own reason
("invalid username or password", "invalid role or secret ID"...). Connection and TLS
problems keep their own types (:class:`Unreachable`, :class:`TLSFailure`, :class:`Sealed`) so
the sign-in screen can say "the server is down" rather than "wrong password".

Secrets (passwords, secret IDs, JWTs, tokens) never appear in a ``repr``, a message or a log.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .client import build_client
from .errors import (
    InvalidRequest,
    MalformedResponse,
    Sealed,
    TokenInvalid,
    Unreachable,
    VaultError,
    map_exception,
)
from .gateway import Gateway
from .models import TokenInfo

DEFAULT_K8S_JWT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount/token"
# Largest JWT file we will read: a service-account token is a few KB.
MAX_JWT_FILE_BYTES = 64 * 1024


class LoginFailed(VaultError):
    """The server refused the credentials. ``str()`` is Vault's reason, in plain words."""

    title = "Sign-in failed"


class CredentialFileError(VaultError):
    """A credential file (the Kubernetes service-account JWT) could not be read."""

    title = "Cannot read credential file"


@dataclass(frozen=True)
class LoginResult:
    """A successful sign-in. ``repr`` never shows the token or the secret ID."""

    client_token: str = field(repr=False)
    token: TokenInfo
    method: str
    mount: str
    # The AppRole secret_id actually used (after unwrapping a wrapped one), so that the
    # caller can remember it: a wrapping token is single-use and cannot be stored.
    secret_id: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class LoginRequest:
    """What the sign-in screen collected. Secret fields are hidden from ``repr``."""

    method: str
    mount: str = ""
    role: str = ""  # approle role_id; kubernetes/jwt role name
    username: str = ""
    password: str = field(default="", repr=False)  # userpass/ldap password
    token: str = field(default="", repr=False)
    secret_id: str = field(default="", repr=False)
    wrapped_secret_id: str = field(default="", repr=False)  # a wrapping token
    jwt: str = field(default="", repr=False)
    jwt_path: str = ""  # kubernetes: where the service-account JWT lives

    @property
    def effective_mount(self) -> str:
        method = AUTH_METHOD.get(self.method)
        return normalise_mount(self.mount or (method.default_mount if method else self.method))


def normalise_mount(mount: str) -> str:
    """``"auth/my-approle/"`` or ``"/my-approle"`` -> ``"my-approle"``; rejects odd paths."""
    text = (mount or "").strip().strip("/")
    if text.startswith("auth/"):
        text = text[len("auth/") :].strip("/")
    if not text:
        raise InvalidRequest("the auth mount path is empty")
    parts = text.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise InvalidRequest(f"the auth mount path {mount!r} is not valid")
    if any(ch.isspace() or ch in "?#%" for ch in text):
        raise InvalidRequest(f"the auth mount path {mount!r} contains characters a mount cannot have")
    return text


# -- low-level ------------------------------------------------------------------------------
def _post(gateway: Gateway, path: str, payload: dict[str, Any], *, token: str | None = None) -> dict[str, Any]:
    """POST to ``/v1/<path>`` with a fresh client that carries ``token`` (none by default).

    A fresh client, because the shared gateway's per-thread client sends the current (maybe
    expired) session token, and a login must not depend on it.
    """
    client = build_client(gateway.settings.with_token(token))
    try:
        response = client.adapter.post("/v1/" + path, json=payload)
    except Exception as exc:  # noqa: BLE001 - mapped below
        raise _login_error(map_exception(exc, path)) from None
    finally:
        try:
            client.adapter.close()
        except Exception:  # pragma: no cover - best effort
            pass
    if not isinstance(response, dict):
        raise MalformedResponse(f"the server sent no JSON body for {path}", path=path)
    return response


def _login_error(error: VaultError) -> VaultError:
    """Keep connection problems as they are; turn refusals into :class:`LoginFailed`."""
    if isinstance(error, (Unreachable, Sealed, LoginFailed, CredentialFileError, MalformedResponse)):
        return error
    reason = "; ".join(e for e in error.errors if e) or error.message
    if error.status == 403 and error.path.startswith("auth/"):
        # Vault answers a login on a path where nothing is mounted with a bare 403.
        mount = error.path[len("auth/") :].split("/login", 1)[0]
        reason = f"{reason} (is an auth method mounted at auth/{mount}/ ?)"
    return LoginFailed(reason, status=error.status, errors=error.errors, path=error.path, body=error.body)


def _token_info(gateway: Gateway, client_token: str) -> TokenInfo:
    """Look the new token up with its own throw-away gateway (the shared one is untouched)."""
    probe = Gateway(gateway.settings.with_token(client_token))
    try:
        return probe.lookup_self()
    except TokenInvalid as error:
        raise LoginFailed(f"the token is invalid, expired or revoked ({error.message})", status=error.status) from None
    except VaultError as error:
        raise _login_error(error) from None
    finally:
        client = getattr(probe._local, "client", None)  # noqa: SLF001 - our own probe
        if client is not None:
            try:
                client.adapter.close()
            except Exception:  # pragma: no cover
                pass


def _finish(gateway: Gateway, body: dict[str, Any], method: str, mount: str, **extra: Any) -> LoginResult:
    auth = body.get("auth")
    if not isinstance(auth, dict) or not isinstance(auth.get("client_token"), str) or not auth["client_token"]:
        raise MalformedResponse(f"the {method} login reply carries no client token", path=f"auth/{mount}/login")
    client_token = auth["client_token"]
    return LoginResult(client_token, _token_info(gateway, client_token), method, mount, **extra)


def _require(value: str, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidRequest(f"{what} is required")
    return value


# -- methods ----------------------------------------------------------------------------------
def _header_safe(value: str, what: str) -> str:
    """Tokens travel in an HTTP header: printable ASCII only (and never echoed back)."""
    if not all(33 <= ord(ch) <= 126 for ch in value):
        raise LoginFailed(f"{what} contains characters a Vault token cannot have (spaces or control characters?)")
    return value


def login_token(gateway: Gateway, token: str) -> LoginResult:
    """Check a token with ``auth/token/lookup-self``."""
    token = _header_safe(_require(token, "a token"), "the token")
    return LoginResult(token, _token_info(gateway, token), "token", "token")


def unwrap_secret_id(gateway: Gateway, wrapping_token: str) -> str:
    """Unwrap a response-wrapped AppRole secret_id (``sys/wrapping/unwrap``).

    A wrapping token works once: a second attempt fails with Vault's reason.
    """
    wrapping_token = _header_safe(_require(wrapping_token, "the wrapping token"), "the wrapping token")
    body = _post(gateway, "sys/wrapping/unwrap", {}, token=wrapping_token)
    data = body.get("data")
    secret_id = data.get("secret_id") if isinstance(data, dict) else None
    if not isinstance(secret_id, str) or not secret_id:
        raise LoginFailed(
            "the wrapped response does not contain an AppRole secret_id "
            "(was it created with auth/<approle>/role/<name>/secret-id?)",
            path="sys/wrapping/unwrap",
        )
    return secret_id


def login_approle(
    gateway: Gateway,
    role_id: str,
    secret_id: str | None = None,
    *,
    wrapped_secret_id: str | None = None,
    mount: str = "approle",
) -> LoginResult:
    """AppRole with a plain ``secret_id``, or a response-wrapped one that is unwrapped first.

    A role with ``bind_secret_id=false`` needs no secret_id at all.
    """
    mount = normalise_mount(mount)
    role_id = _require(role_id, "the role_id")
    if wrapped_secret_id and wrapped_secret_id.strip():
        secret_id = unwrap_secret_id(gateway, wrapped_secret_id)
    payload: dict[str, Any] = {"role_id": role_id}
    if secret_id and secret_id.strip():
        payload["secret_id"] = secret_id.strip()
    body = _post(gateway, f"auth/{mount}/login", payload)
    return _finish(gateway, body, "approle", mount, secret_id=payload.get("secret_id"))


def _login_password(gateway: Gateway, method: str, mount: str, username: str, password: str) -> LoginResult:
    mount = normalise_mount(mount)
    username = _require(username, "a username")
    if not password:
        raise InvalidRequest("a password is required")
    body = _post(gateway, f"auth/{mount}/login/{quote(username, safe='')}", {"password": password})
    return _finish(gateway, body, method, mount)


def login_userpass(gateway: Gateway, username: str, password: str, *, mount: str = "userpass") -> LoginResult:
    return _login_password(gateway, "userpass", mount, username, password)


def login_ldap(gateway: Gateway, username: str, password: str, *, mount: str = "ldap") -> LoginResult:
    return _login_password(gateway, "ldap", mount, username, password)


def read_jwt_file(path: str | Path = DEFAULT_K8S_JWT_PATH) -> str:
    """Read a service-account JWT from a file, with a clear message for every way it fails."""
    where = Path(path).expanduser()
    try:
        with open(where, "rb") as handle:
            raw = handle.read(MAX_JWT_FILE_BYTES + 1)
    except FileNotFoundError:
        raise CredentialFileError(
            f"no service-account token at {where} (not running in a Kubernetes pod? set the JWT file path)"
        ) from None
    except IsADirectoryError:
        raise CredentialFileError(f"{where} is a directory, not a token file") from None
    except PermissionError:
        raise CredentialFileError(f"permission denied reading {where}") from None
    except OSError as error:
        raise CredentialFileError(f"cannot read {where}: {error.strerror or error}") from None
    if len(raw) > MAX_JWT_FILE_BYTES:
        raise CredentialFileError(f"{where} is too large to be a service-account token")
    try:
        text = raw.decode("ascii").strip()
    except UnicodeDecodeError:
        raise CredentialFileError(f"{where} does not contain a JWT (it is not text)") from None
    if not text:
        raise CredentialFileError(f"{where} is empty")
    if text.count(".") != 2 or any(ch.isspace() for ch in text):
        raise CredentialFileError(f"{where} does not contain a JWT (expected header.payload.signature)")
    return text


def login_kubernetes(
    gateway: Gateway,
    role: str,
    *,
    jwt: str | None = None,
    jwt_path: str | Path | None = None,
    mount: str = "kubernetes",
) -> LoginResult:
    """Kubernetes auth with the pod's service-account JWT (read from ``jwt_path`` by default)."""
    mount = normalise_mount(mount)
    role = _require(role, "the role")
    token = (jwt or "").strip() or read_jwt_file(jwt_path or DEFAULT_K8S_JWT_PATH)
    body = _post(gateway, f"auth/{mount}/login", {"role": role, "jwt": token})
    return _finish(gateway, body, "kubernetes", mount)


def login_jwt(gateway: Gateway, role: str, jwt: str, *, mount: str = "jwt") -> LoginResult:
    """JWT/OIDC auth with a JWT the user already has. An empty role uses the mount's default."""
    mount = normalise_mount(mount)
    jwt = _require(jwt, "a JWT")
    payload: dict[str, Any] = {"jwt": jwt}
    if role and role.strip():
        payload["role"] = role.strip()
    body = _post(gateway, f"auth/{mount}/login", payload)
    return _finish(gateway, body, "jwt", mount)


# -- the methods, declared once ---------------------------------------------------------------
@dataclass(frozen=True)
class AuthField:
    """One input of a sign-in method. ``name`` is a :class:`LoginRequest` field."""

    name: str
    label: str
    secret: bool = False
    profile_key: str = ""  # the [profiles.NAME.auth] key that pre-fills it
    default: str = ""


@dataclass(frozen=True)
class AuthMethod:
    """A sign-in method: the sign-in form, profile validation and the login derive from this."""

    name: str
    label: str
    default_mount: str
    fields: tuple[AuthField, ...]
    login: Callable[[Gateway, LoginRequest], LoginResult]
    remembers: str = "token"  # what "remember" keeps in the keyring: "token" or "secret_id"


def _login_approle_request(gateway: Gateway, r: LoginRequest) -> LoginResult:
    return login_approle(gateway, r.role, r.secret_id, wrapped_secret_id=r.wrapped_secret_id, mount=r.effective_mount)


def _login_kubernetes_request(gateway: Gateway, r: LoginRequest) -> LoginResult:
    return login_kubernetes(
        gateway, r.role, jwt=r.jwt, jwt_path=r.jwt_path or DEFAULT_K8S_JWT_PATH, mount=r.effective_mount
    )


_USERNAME = AuthField("username", "Username", profile_key="username")
_PASSWORD = AuthField("password", "Password", secret=True)

AUTH_METHODS: tuple[AuthMethod, ...] = (
    AuthMethod(
        "token",
        "Token",
        "token",
        (AuthField("token", "Token", secret=True),),
        lambda gateway, r: login_token(gateway, r.token),
    ),
    AuthMethod(
        "approle",
        "AppRole",
        "approle",
        (
            AuthField("role", "Role ID", profile_key="role"),
            AuthField("secret_id", "Secret ID", secret=True),
            AuthField("wrapped_secret_id", "…or a wrapping token for the secret ID", secret=True),
        ),
        _login_approle_request,
        remembers="secret_id",
    ),
    AuthMethod(
        "userpass",
        "Username & password",
        "userpass",
        (_USERNAME, _PASSWORD),
        lambda gateway, r: login_userpass(gateway, r.username, r.password, mount=r.effective_mount),
    ),
    AuthMethod(
        "ldap",
        "LDAP",
        "ldap",
        (_USERNAME, _PASSWORD),
        lambda gateway, r: login_ldap(gateway, r.username, r.password, mount=r.effective_mount),
    ),
    AuthMethod(
        "kubernetes",
        "Kubernetes",
        "kubernetes",
        (
            AuthField("role", "Role", profile_key="role"),
            AuthField("jwt_path", "Service-account JWT file", profile_key="jwt_path", default=DEFAULT_K8S_JWT_PATH),
        ),
        _login_kubernetes_request,
    ),
    AuthMethod(
        "jwt",
        "JWT",
        "jwt",
        (
            AuthField("role", "Role (empty: the mount's default)", profile_key="role"),
            AuthField("jwt", "JWT", secret=True),
        ),
        lambda gateway, r: login_jwt(gateway, r.role, r.jwt, mount=r.effective_mount),
    ),
)
AUTH_METHOD: dict[str, AuthMethod] = {method.name: method for method in AUTH_METHODS}
METHODS: tuple[str, ...] = tuple(AUTH_METHOD)
DEFAULT_MOUNTS: dict[str, str] = {method.name: method.default_mount for method in AUTH_METHODS}
METHOD_LABELS: dict[str, str] = {method.name: method.label for method in AUTH_METHODS}
#: keys a profile's [auth] table may have
AUTH_PROFILE_KEYS: frozenset[str] = frozenset(
    {"method", "mount"} | {f.profile_key for m in AUTH_METHODS for f in m.fields if f.profile_key}
)


def login(gateway: Gateway, request: LoginRequest) -> LoginResult:
    """Sign in with the method the request names."""
    method = AUTH_METHOD.get(request.method)
    if method is None:
        raise InvalidRequest(f"unknown sign-in method {request.method!r} (one of: {', '.join(METHODS)})")
    return method.login(gateway, request)
