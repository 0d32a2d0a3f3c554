"""Build hvac clients safely.

* One client per thread: a ``requests.Session`` is not promised to be thread-safe.
* A redirect to another host never carries the ``X-Vault-Token`` header (requests only strips
  ``Authorization`` on its own).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from urllib.parse import urlparse

import hvac
import requests

SENSITIVE_HEADERS = ("X-Vault-Token", "Authorization")


class SafeRedirectSession(requests.Session):
    """A session that drops the Vault token when a redirect leaves the original host."""

    def rebuild_auth(self, prepared_request, response):  # type: ignore[override]
        original = urlparse(response.request.url)
        target = urlparse(prepared_request.url)
        if (original.hostname, original.port, original.scheme) != (
            target.hostname,
            target.port,
            target.scheme,
        ):
            for header in SENSITIVE_HEADERS:
                prepared_request.headers.pop(header, None)
        super().rebuild_auth(prepared_request, response)


@dataclass(frozen=True)
class ConnectionSettings:
    """Where and how to connect. ``repr`` never shows the token."""

    addr: str = "http://127.0.0.1:8200"
    token: str | None = None
    namespace: str | None = None
    ca_cert: str | None = None  # file
    ca_path: str | None = None  # directory
    client_cert: str | None = None
    client_key: str | None = None
    skip_verify: bool = False
    timeout: float = 15.0

    def __repr__(self) -> str:
        token = "set" if self.token else "none"
        return (
            f"ConnectionSettings(addr={self.addr!r}, namespace={self.namespace!r}, "
            f"token=<{token}>, skip_verify={self.skip_verify})"
        )

    __str__ = __repr__

    @property
    def verify(self) -> bool | str:
        if self.skip_verify:
            return False
        if self.ca_cert:
            return self.ca_cert
        if self.ca_path:
            return self.ca_path
        return True

    @property
    def cert(self) -> tuple[str, str] | None:
        if self.client_cert and self.client_key:
            return (self.client_cert, self.client_key)
        return None

    def with_token(self, token: str | None) -> "ConnectionSettings":
        return replace(self, token=token)

    def with_namespace(self, namespace: str | None) -> "ConnectionSettings":
        return replace(self, namespace=namespace or None)

    @property
    def is_loopback(self) -> bool:
        host = urlparse(self.addr).hostname or ""
        return host in ("127.0.0.1", "localhost", "::1")


def build_client(settings: ConnectionSettings) -> hvac.Client:
    session = SafeRedirectSession()
    # Never pick up proxies or netrc credentials from the environment for Vault traffic.
    session.trust_env = False
    # hvac takes verify/cert from a passed-in session when the session's verify is truthy
    # (hvac issue 991), which it is by default: set them on the session so a CA file, a CA dir,
    # a client certificate or skip-verify are actually used.
    session.verify = settings.verify
    session.cert = settings.cert
    client = hvac.Client(
        url=settings.addr,
        token=settings.token,
        namespace=settings.namespace,
        verify=settings.verify,
        cert=settings.cert,
        timeout=settings.timeout,
        session=session,
    )
    return client


def env_first(*names: str) -> str | None:
    for name in names:
        value = os.environ.get(name)
        if value:
            return value
    return None
