"""Build hvac clients safely.

* One client per thread: a ``requests.Session`` is not promised to be thread-safe.
* A redirect to another host never carries the ``X-Vault-Token`` header (requests only strips
  ``Authorization`` on its own), unless that host is a node of the same cluster
  (:class:`ClusterOrigins`: the profile's addresses and those learned from ``sys/leader`` /
  ``sys/ha-status``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlparse

import hvac
import requests

SENSITIVE_HEADERS = ("X-Vault-Token", "Authorization")


def origin_of(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of a URL with the default port filled in; None if it has no host."""
    try:
        parts = urlparse(url.strip())
        host = (parts.hostname or "").lower()
        scheme = (parts.scheme or "").lower()
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        return None
    return (scheme, host, port) if host and scheme else None


class ClusterOrigins:
    """The nodes of one cluster (scheme, host and port of each API address), shared by every
    session of a gateway. A redirect to one of them keeps the token. Thread-safe."""

    def __init__(self, addrs: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._origins: frozenset[tuple[str, str, int]] = frozenset()
        self.add(addrs)

    def add(self, addrs: Iterable[str]) -> None:
        found = {o for o in (origin_of(a) for a in addrs if isinstance(a, str)) if o is not None}
        with self._lock:
            self._origins = self._origins | found

    def replace(self, addrs: Iterable[str]) -> None:
        with self._lock:
            self._origins = frozenset()
        self.add(addrs)

    def __contains__(self, url: object) -> bool:
        origin = origin_of(url) if isinstance(url, str) else None
        return origin is not None and origin in self._origins

    def __len__(self) -> int:
        return len(self._origins)


def _host_port(origin: tuple[str, str, int] | None) -> str:
    return f"{origin[1]}:{origin[2]}" if origin else "?"


class SafeRedirectSession(requests.Session):
    """A session that drops the Vault token when a redirect leaves the original host, unless the
    target is a node of the same cluster (``cluster``).

    ``redirects`` lists the (from, to, token_kept) hops of the last request, as ``host:port``
    strings, so the gateway can explain a failure that happened after a redirect.
    """

    def __init__(self, cluster: ClusterOrigins | None = None) -> None:
        super().__init__()
        self.cluster = cluster
        self.redirects: list[tuple[str, str, bool]] = []

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        self.redirects = []
        return super().request(*args, **kwargs)

    def rebuild_auth(self, prepared_request: requests.PreparedRequest, response: requests.Response) -> None:
        original = origin_of(response.request.url or "")
        target = origin_of(prepared_request.url or "")
        keep = original is not None and original == target
        if not keep and self.cluster is not None and target is not None:
            keep = (prepared_request.url or "") in self.cluster
        if not keep:
            for header in SENSITIVE_HEADERS:
                prepared_request.headers.pop(header, None)
        self.redirects.append((_host_port(original), _host_port(target), keep))
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

    def with_token(self, token: str | None) -> ConnectionSettings:
        return replace(self, token=token)

    def with_namespace(self, namespace: str | None) -> ConnectionSettings:
        return replace(self, namespace=namespace or None)

    @property
    def is_loopback(self) -> bool:
        host = urlparse(self.addr).hostname or ""
        return host in ("127.0.0.1", "localhost", "::1")


def build_client(settings: ConnectionSettings, cluster: ClusterOrigins | None = None) -> hvac.Client:
    """A new hvac client for ``settings``. Raises :class:`~.errors.TLSFailure` for a CA that cannot load.

    ``cluster``: the nodes of the same cluster, to which a redirect keeps the token.
    """
    from .errors import TLSFailure
    from .transport import TrustError, VaultHTTPAdapter

    session = SafeRedirectSession(cluster)
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
