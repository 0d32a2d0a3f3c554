"""Vault errors, mapped from hvac and requests exceptions into a small typed hierarchy.

Messages never contain a token or a secret value: only the HTTP status, the request path
and the server's own error strings (which the UI shows as plain text).
"""

from __future__ import annotations

import ssl
from typing import Any

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
        kwargs = dict(status=status, errors=errors, path=where, body=body)
        low = detail.lower()
        if isinstance(exc, hvac.exceptions.Forbidden):
            if "invalid token" in low or "bad token" in low or "token expired" in low:
                return TokenInvalid(
                    f"the token is invalid or has expired ({detail or '403'})", **kwargs
                )
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
                return CasMismatch(
                    f"the secret changed since you started editing ({detail})", **kwargs
                )
            return InvalidRequest(detail or "invalid request", **kwargs)
        if isinstance(exc, hvac.exceptions.RateLimitExceeded):
            return RateLimited(detail or "rate limit exceeded", **kwargs)
        if isinstance(exc, (hvac.exceptions.InternalServerError, hvac.exceptions.BadGateway)):
            return ServerError(detail or "internal server error", **kwargs)
        return VaultError(detail or f"unexpected response ({status})", **kwargs)
    if isinstance(exc, requests.exceptions.SSLError) or isinstance(exc, ssl.SSLError):
        text = str(exc)
        if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
            return TLSFailure(
                "certificate not trusted: the server's certificate is not signed by a trusted CA. "
                "Set VAULT_CACERT (or the profile's ca_cert) to the CA file, or skip verification "
                "with VAULT_SKIP_VERIFY=true (not recommended)",
                path=path,
            )
        return TLSFailure(f"TLS handshake failed: {_short(text)}", path=path)
    if isinstance(exc, requests.exceptions.ConnectionError):
        return Unreachable(f"cannot connect to the server: {_short(str(exc))}", path=path)
    if isinstance(exc, requests.exceptions.Timeout):
        return Unreachable("the server did not answer in time", path=path)
    if isinstance(exc, requests.exceptions.TooManyRedirects):
        return VaultError("too many redirects", path=path)
    if isinstance(exc, (ValueError, KeyError, TypeError)):
        return MalformedResponse(f"the server sent something unexpected: {_short(str(exc))}", path=path)
    return VaultError(f"{type(exc).__name__}: {_short(str(exc))}", path=path)


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
