"""Vault errors, mapped from hvac and requests exceptions into a small typed hierarchy.

Messages never contain a token or a secret value: only the HTTP status, the request path
and the server's own error strings (which the UI shows as plain text).
"""

from __future__ import annotations

import errno
import http.client
import os
import socket
import ssl
from typing import Any
from urllib.parse import urlsplit

import hvac.exceptions
import requests.exceptions


class VaultError(Exception):
    """Base class. ``str(error)`` is a one-line, human-readable reason."""

    title = "Vault error"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        errors: tuple[str, ...] = (),
        path: str = "",
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.errors = tuple(errors)
        self.path = path
        self.body = body  # parsed JSON body, e.g. per-item batch results

    def __str__(self) -> str:
        return self.message

    # Never let a traceback's locals or a repr leak anything but the message.
    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, status={self.status})"


class PermissionDenied(VaultError):
    title = "Permission denied"


class NotFound(VaultError):
    title = "Not found"


class InvalidRequest(VaultError):
    title = "Invalid request"


class CasMismatch(InvalidRequest):
    title = "Check-and-set conflict"


class Sealed(VaultError):
    title = "Server sealed"


class Unreachable(VaultError):
    title = "Server unreachable"


class NodeNotActive(VaultError):
    """The node answered, but it is a standby that cannot serve this (or redirected elsewhere)."""

    title = "Node not active"


class TLSFailure(Unreachable):
    title = "TLS error"


class TokenInvalid(PermissionDenied):
    title = "Token invalid or expired"


class RateLimited(VaultError):
    title = "Rate limited"


class ServerError(VaultError):
    title = "Server error"


class BadAddress(VaultError):
    """The server address itself is not a usable URL: bad input from the user, not the server."""

    title = "Invalid server address"

    def __init__(self, message: str, *, reason: str = "", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.reason = reason or message


class UntrustedRedirect(NodeNotActive):
    """A node redirected the request to an address that is not a known node of this cluster; the
    token was not sent there. ``origin`` and ``target`` are ``host:port`` strings."""

    title = "Redirected elsewhere"

    def __init__(self, message: str, *, origin: str = "", target: str = "", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.origin = origin
        self.target = target


def should_fail_over(error: BaseException) -> bool:
    """True when another node of the same cluster may succeed where this one failed: the node is
    unreachable, sealed, not active, or sent us somewhere we will not follow with the token.
    TLS trust problems are not in that list (every node would fail the same way)."""
    if isinstance(error, TLSFailure):
        return False
    return isinstance(error, (Unreachable, Sealed, NodeNotActive))


# Answers of a node that is not (or no longer) the active one. Matched case-insensitively.
_NOT_ACTIVE_TEXTS = (
    "local node not active",
    "no active vault instance found",
    "node is not active",
    "vault is in standby mode",
    "active cluster node not found",
)


class MalformedResponse(VaultError):
    title = "Malformed response"


class ReadOnlyMode(VaultError):
    title = "Read-only mode"


class BadPath(VaultError):
    """A path the user typed that cannot reach the server unchanged (``..``, ``a//b``...).

    Raised before any request is sent, so nothing is read or written anywhere.
    """

    title = "Invalid path"


def _strip_query(url: str | None) -> str:
    if not url:
        return ""
    # Keep only the path: never echo a full URL that could carry parameters.
    path = url.split("?", 1)[0]
    marker = "/v1/"
    index = path.find(marker)
    return path[index + len(marker) :] if index >= 0 else path


def _error_strings(exc: hvac.exceptions.VaultError) -> tuple[str, ...]:
    errors = exc.errors
    if errors is None:
        return ()
    if isinstance(errors, str):
        return (errors,)
    try:
        return tuple(str(e) for e in errors)
    except TypeError:
        return (str(errors),)


def map_exception(exc: BaseException, path: str = "") -> VaultError:
    """Turn any exception raised by hvac/requests into a :class:`VaultError`."""
    if isinstance(exc, VaultError):
        return exc
    if isinstance(exc, hvac.exceptions.VaultError):
        errors = _error_strings(exc)
        status = getattr(exc, "status_code", None) or _status_of(exc)
        where = path or _strip_query(getattr(exc, "url", None))
        detail = "; ".join(e for e in errors if e) or (exc.text or "").strip()[:300]
        body = getattr(exc, "json", None)
        kwargs: dict[str, Any] = dict(status=status, errors=errors, path=where, body=body)
        low = detail.lower()
        if any(text in low for text in _NOT_ACTIVE_TEXTS):
            return NodeNotActive(
                f"{where or 'the node'}: the node is not the active node right now ({detail})", **kwargs
            )
        if isinstance(exc, hvac.exceptions.Forbidden):
            if "invalid token" in low or "bad token" in low or "token expired" in low:
                return TokenInvalid(f"the token is invalid or has expired ({detail or '403'})", **kwargs)
            extra = "" if (not detail or "permission denied" in low) else f": {detail}"
            return PermissionDenied(f"permission denied on {where or 'this path'}{extra}", **kwargs)
        if isinstance(exc, hvac.exceptions.Unauthorized):
            return TokenInvalid(f"not authorised ({detail or '401'})", **kwargs)
        if isinstance(exc, hvac.exceptions.InvalidPath):
            return NotFound(f"nothing at {where or 'this path'}" + (f": {detail}" if detail else ""), **kwargs)
        if isinstance(exc, hvac.exceptions.VaultDown):
            if "sealed" in low or not detail:
                return Sealed("the server is sealed" + (f" ({detail})" if detail else ""), **kwargs)
            return Unreachable(f"the server is unavailable: {detail}", **kwargs)
        if isinstance(exc, hvac.exceptions.InvalidRequest):
            if "check-and-set" in low or "cas" in low.split():
                return CasMismatch(f"the secret changed since you started editing ({detail})", **kwargs)
            return InvalidRequest(detail or "invalid request", **kwargs)
        if isinstance(exc, hvac.exceptions.RateLimitExceeded):
            return RateLimited(detail or "rate limit exceeded", **kwargs)
        if isinstance(exc, (hvac.exceptions.InternalServerError, hvac.exceptions.BadGateway)):
            return ServerError(detail or "internal server error", **kwargs)
        return VaultError(detail or f"unexpected response ({status})", **kwargs)
    if isinstance(
        exc, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema)
    ):
        reason = _bad_address_reason(str(exc))
        return BadAddress(f"the server address is not valid: {reason}", path=path, reason=reason)
    if isinstance(exc, (requests.exceptions.SSLError, ssl.SSLError)):
        text = str(exc)
        if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
            return TLSFailure(
                "certificate not trusted: the server's certificate is not signed by a trusted CA. "
                "Set VAULT_CACERT (or the profile's ca_cert) to the CA file, or skip verification "
                "with VAULT_SKIP_VERIFY=true (not recommended)",
                path=path,
            )
        return TLSFailure(f"TLS handshake with {_where(exc)} failed: {_tls_reason(exc)}", path=path)
    if isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.Timeout)):
        return Unreachable(f"cannot reach {_where(exc)}: {_network_reason(exc)}", path=path)
    if isinstance(exc, requests.exceptions.TooManyRedirects):
        return VaultError(f"too many redirects from {_where(exc)}", path=path)
    if isinstance(exc, requests.exceptions.RequestException):
        return Unreachable(f"the request to {_where(exc)} failed: {_network_reason(exc)}", path=path)
    if isinstance(exc, (ConnectionError, TimeoutError, socket.timeout)):
        return Unreachable(f"cannot reach the server: {_network_reason(exc)}", path=path)
    if isinstance(exc, (ValueError, KeyError, TypeError)):
        return MalformedResponse(f"the server sent something unexpected: {_short(str(exc))}", path=path)
    return VaultError(f"{type(exc).__name__}: {_short(str(exc))}", path=path)


# -- the HTTP stack's failures, in one plain sentence -----------------------------------------
def _url_of(exc: BaseException) -> str:
    request = getattr(exc, "request", None)
    url = getattr(request, "url", None)
    return url if isinstance(url, str) else ""


def host_port(url: str) -> str:
    """``host:port`` of a URL (the default port filled in), never its path or query."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return "the server"
    if not host:
        return "the server"
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{port}"


def _where(exc: BaseException) -> str:
    url = _url_of(exc)
    return host_port(url) if url else "the server"


def _causes(exc: BaseException) -> list[BaseException]:
    """The exception and everything it wraps (urllib3 hides causes in args and ``reason``)."""
    seen: list[BaseException] = []
    todo: list[BaseException] = [exc]
    while todo and len(seen) < 20:
        current = todo.pop(0)
        if any(current is s for s in seen):
            continue
        seen.append(current)
        for attr in ("reason", "__cause__", "__context__"):
            inner = getattr(current, attr, None)
            if isinstance(inner, BaseException):
                todo.append(inner)
        todo.extend(a for a in getattr(current, "args", ()) if isinstance(a, BaseException))
    return seen


def _network_reason(exc: BaseException) -> str:
    causes = _causes(exc)

    def has(*kinds: type[BaseException]) -> bool:
        return any(isinstance(c, kinds) for c in causes)

    if has(requests.exceptions.ConnectTimeout):
        return "timed out while connecting"
    if has(ConnectionRefusedError):
        return "connection refused"
    if has(http.client.RemoteDisconnected):  # a ConnectionResetError subclass: test it first
        return "the connection was closed before an answer came"
    if has(ConnectionResetError, ConnectionAbortedError, BrokenPipeError):
        return "connection reset"
    if has(requests.exceptions.Timeout, TimeoutError, socket.timeout):
        return "timed out"
    if has(socket.gaierror) or any(type(c).__name__ == "NameResolutionError" for c in causes):
        return "the host name could not be resolved"
    if has(http.client.HTTPException):
        return "the answer was not valid HTTP"
    for cause in causes:
        code = getattr(cause, "errno", None)
        if code in (errno.ENETUNREACH, errno.EHOSTUNREACH):
            return "no route to the host"
        if isinstance(code, int) and code:
            return _strerror(code)
    return "the connection failed"


def _bad_address_reason(text: str) -> str:
    if "No connection adapters" in text:
        return "it must start with http:// or https://"
    if "No host supplied" in text:
        return "it has no host name"
    if "Failed to parse" in text or "not a valid host or port" in text or "Invalid URL" in text:
        return "the host or port is not valid (one address per server; ports go up to 65535)"
    return "it is not a URL such as https://vault.example.com:8200"


def _strerror(code: int) -> str:
    try:
        return (os.strerror(code) or "the connection failed").lower()
    except ValueError:
        return "the connection failed"


def _tls_reason(exc: BaseException) -> str:
    for cause in _causes(exc):
        if isinstance(cause, ssl.SSLError):
            reason = (getattr(cause, "reason", None) or "").upper()
            if reason in ("WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG"):
                return "the server did not answer in TLS (is the address http:// rather than https://?)"
            if reason == "UNEXPECTED_EOF_WHILE_READING" or isinstance(cause, ssl.SSLEOFError):
                return "the server closed the connection during the handshake"
            if reason:
                return reason.replace("_", " ").lower()
    return "the handshake did not complete"


def _status_of(exc: hvac.exceptions.VaultError) -> int | None:
    table = {
        hvac.exceptions.InvalidRequest: 400,
        hvac.exceptions.Unauthorized: 401,
        hvac.exceptions.Forbidden: 403,
        hvac.exceptions.InvalidPath: 404,
        hvac.exceptions.PreconditionFailed: 412,
        hvac.exceptions.RateLimitExceeded: 429,
        hvac.exceptions.InternalServerError: 500,
        hvac.exceptions.BadGateway: 502,
        hvac.exceptions.VaultDown: 503,
    }
    for kind, status in table.items():
        if isinstance(exc, kind):
            return status
    return None


def _short(text: str, limit: int = 240) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
