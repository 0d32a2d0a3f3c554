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
    timeout: float = 15.0  # seconds, per connect and per read (VAULT_CLIENT_TIMEOUT)
    # SSL_CERT_FILE / REQUESTS_CA_BUNDLE: trusted when neither ca_cert nor ca_path is set, instead
    # of the system's trust store (see vault/transport.py for the whole order).
    ca_bundle: str | None = None
    tls_server_name: str | None = None  # VAULT_TLS_SERVER_NAME: SNI and certificate name
    max_retries: int = 2  # VAULT_MAX_RETRIES: retries on 412/5xx and refused connections
    # Proxies, as the bao CLI picks them: proxy_addr (VAULT_PROXY_ADDR) for every request, else
    # https_proxy / http_proxy by scheme, except NO_PROXY hosts and loopback.
    http_proxy: str | None = None
    https_proxy: str | None = None
    no_proxy: str | None = None
    proxy_addr: str | None = None

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
        if self.ca_bundle:
            return self.ca_bundle
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
    """A new hvac client for ``settings``. Raises :class:`~.errors.TLSFailure` for a CA that cannot load."""
    from .errors import TLSFailure
    from .transport import TrustError, VaultHTTPAdapter

    session = SafeRedirectSession()
    # Never pick up proxies or netrc credentials from the process environment for Vault
    # traffic: proxies, CAs and retries come from ``settings`` only, through this adapter.
    session.trust_env = False
    try:
        adapter = VaultHTTPAdapter(settings)
    except TrustError as error:
        raise TLSFailure(str(error)) from None
    session.mount("https://", adapter)
    session.mount("http://", adapter)
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
