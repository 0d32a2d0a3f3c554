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

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable
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

#: method -> default mount path
DEFAULT_MOUNTS: dict[str, str] = {
    "token": "token",
    "approle": "approle",
    "userpass": "userpass",
    "ldap": "ldap",
    "kubernetes": "kubernetes",
    "jwt": "jwt",
}
METHODS: tuple[str, ...] = tuple(DEFAULT_MOUNTS)
METHOD_LABELS: dict[str, str] = {
    "token": "Token",
    "approle": "AppRole",
    "userpass": "Username & password",
    "ldap": "LDAP",
    "kubernetes": "Kubernetes",
    "jwt": "JWT",
}


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
        return normalise_mount(self.mount or DEFAULT_MOUNTS.get(self.method, self.method))


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
            f"no service-account token at {where} (not running in a Kubernetes pod? "
            "set the JWT file path)"
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


def login(gateway: Gateway, request: LoginRequest) -> LoginResult:
    """Dispatch a :class:`LoginRequest` to the right method."""
    method = request.method
    handlers: dict[str, Callable[[], LoginResult]] = {
        "token": lambda: login_token(gateway, request.token),
        "approle": lambda: login_approle(
            gateway,
            request.role,
            request.secret_id,
            wrapped_secret_id=request.wrapped_secret_id,
            mount=request.effective_mount,
        ),
        "userpass": lambda: login_userpass(
            gateway, request.username, request.password, mount=request.effective_mount
        ),
        "ldap": lambda: login_ldap(gateway, request.username, request.password, mount=request.effective_mount),
        "kubernetes": lambda: login_kubernetes(
            gateway,
            request.role,
            jwt=request.jwt,
            jwt_path=request.jwt_path or DEFAULT_K8S_JWT_PATH,
            mount=request.effective_mount,
        ),
        "jwt": lambda: login_jwt(gateway, request.role, request.jwt, mount=request.effective_mount),
    }
    handler = handlers.get(method)
    if handler is None:
        raise InvalidRequest(f"unknown sign-in method {method!r} (one of: {', '.join(METHODS)})")
    return handler()
