"""How one hvac client talks HTTP: trust, proxies, retries, SNI. Built per client, never global.

* **Trust**, in the bao CLI's order: ``ca_cert`` (VAULT_CACERT) > ``ca_path`` (VAULT_CAPATH) >
  ``ca_bundle`` (SSL_CERT_FILE / REQUESTS_CA_BUNDLE) > the system's trust store (through the
  ``truststore`` package: the OS store on macOS/Windows, OpenSSL's system paths on Linux).
  certifi's bundle is never mixed in. ``skip_verify`` turns verification off.
* **Proxies** as Go's ``net/http`` (and so the bao CLI) chooses them: ``proxy_addr``
  (VAULT_PROXY_ADDR) for every request when set; else HTTPS_PROXY for https:// and HTTP_PROXY for
  http:// addresses, except hosts matched by NO_PROXY and loopback hosts (``localhost``,
  127.0.0.0/8, ``::1``), which Go never sends through an environment proxy.
* **Retries** as the Vault CLI's VAULT_MAX_RETRIES: a request answered 412 or 5xx (except 501), or
  whose connection could not be opened, is tried again up to ``max_retries`` times.
* **SNI**: ``tls_server_name`` (VAULT_TLS_SERVER_NAME) is the name sent in the TLS handshake and
  checked against the certificate, whatever host the address names.
"""

from __future__ import annotations

import ipaddress
import os
import re
import ssl
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from .addresses import SettingError

if TYPE_CHECKING:  # pragma: no cover
    from .client import ConnectionSettings

# Backoff between retries. The Vault CLI waits 1-1.5 s; vault-tui waits far less because a
# retry against a dying node only delays moving to the next node of the cluster: the first
# retry is immediate, the next ones wait 0.2 s, 0.4 s, ... never more than 0.5 s. So with the
# default of 2 retries a node that keeps answering 503 costs about 0.2 s before the caller
# sees the error and can fail over.
BACKOFF_FACTOR = 0.1
BACKOFF_MAX = 0.5
# 412: a performance standby has not caught up yet (Vault's CLI retries it); 5xx: the server
# may recover. 501 (not implemented) never will.
RETRY_STATUSES = frozenset({412, *range(500, 600)} - {501})


def parse_duration(value: str | float | int, name: str = "timeout") -> float:
    """Seconds from ``"30"``, ``"1.5"``, or a Go duration (``"60s"``, ``"1m30s"``, ``"500ms"``)."""
    if isinstance(value, bool):
        raise SettingError(f"{name} must be a number of seconds or a duration like '60s', not a boolean")
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        text = value.strip()
        seconds = _go_duration(text) if text else -1.0
        if seconds < 0:
            raise SettingError(f"{name} {value!r} is not a number of seconds or a duration like '60s' or '1m30s'")
    if not seconds > 0 or seconds != seconds or seconds == float("inf"):
        raise SettingError(f"{name} must be more than 0 seconds, got {value!r}")
    return seconds


_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h|d)")


def _go_duration(text: str) -> float:
    """Seconds, or -1 when ``text`` is neither a plain number nor a Go duration."""
    try:
        return float(text) if re.fullmatch(r"\d+(?:\.\d*)?|\.\d+", text) else _parts(text)
    except ValueError:
        return -1.0


def _parts(text: str) -> float:
    position = 0
    total = 0.0
    while position < len(text):
        found = _PART.match(text, position)
        if not found:
            return -1.0
        total += float(found.group(1)) * _UNITS[found.group(2)]
        position = found.end()
    return total if text else -1.0


def parse_retries(value: str | int, name: str = "max_retries") -> int:
    if isinstance(value, bool):
        raise SettingError(f"{name} must be a whole number, not a boolean")
    try:
        number = int(value.strip()) if isinstance(value, str) else int(value)
    except ValueError:
        raise SettingError(f"{name} {value!r} is not a whole number") from None
    if number < 0:
        raise SettingError(f"{name} must be 0 or more, got {number}")
    return number


def check_proxy_url(value: str, name: str) -> str:
    """A proxy URL as Go accepts it: ``host:port`` means ``http://host:port``."""
    text = value.strip()
    if "://" not in text:
        text = "http://" + text
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https"):
        raise SettingError(f"{name}: proxy scheme {parts.scheme!r} is not supported (use http:// or https://)")
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise SettingError(f"{name}: the proxy address has a bad port") from None
    if not parts.hostname:
        raise SettingError(f"{name}: the proxy address has no host")
    return text


# -- proxies --------------------------------------------------------------------------------------
def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def no_proxy_matches(host: str, port: int | None, no_proxy: str | None) -> bool:
    """Whether ``host`` (and ``port``) is excluded from proxying by a NO_PROXY list (Go's rules).

    Entries are comma- (or space-) separated: ``*`` matches every host; an IP address or a CIDR
    range matches addresses in it; ``example.com`` matches that host and its subdomains;
    ``.example.com`` matches subdomains only; an entry may end in ``:port``.
    """
    if not no_proxy:
        return False
    host = host.lower().strip("[]").rstrip(".")
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        ip = None
    for raw in re.split(r"[,\s]+", no_proxy.strip()):
        entry = raw.strip().lower()
        if not entry:
            continue
        if entry == "*":
            return True
        entry_port: int | None = None
        if "/" in entry:
            try:
                network = ipaddress.ip_network(entry, strict=False)
            except ValueError:
                continue
            if ip is not None and ip in network:
                return True
            continue
        bare = entry
        if entry.startswith("["):  # [::1]:8200
            close = entry.find("]")
            bare, rest = entry[1:close], entry[close + 1 :]
            if rest.startswith(":") and rest[1:].isdigit():
                entry_port = int(rest[1:])
        elif entry.count(":") == 1:
            name, _, maybe_port = entry.partition(":")
            if maybe_port.isdigit():
                bare, entry_port = name, int(maybe_port)
        if entry_port is not None and port is not None and entry_port != port:
            continue
        try:
            if ip is not None and ip == ipaddress.ip_address(bare):
                return True
            ipaddress.ip_address(bare)
            continue  # an IP entry that did not match
        except ValueError:
            pass
        bare = bare.rstrip(".")
        if bare.startswith("*."):
            bare = bare[1:]
        if bare.startswith("."):
            if host.endswith(bare):
                return True
        elif host == bare or host.endswith("." + bare):
            return True
    return False


def proxy_for(url: str, settings: ConnectionSettings) -> str | None:
    """The proxy a request to ``url`` goes through, or None for a direct connection."""
    if settings.proxy_addr:
        return settings.proxy_addr
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    proxy = settings.https_proxy if scheme == "https" else settings.http_proxy if scheme == "http" else None
    if not proxy:
        return None
    host = parts.hostname or ""
    if _is_loopback(host):
        return None
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        port = None
    if no_proxy_matches(host, port, settings.no_proxy):
        return None
    return proxy


# -- trust ----------------------------------------------------------------------------------------
class TrustError(SettingError):
    """A CA file or directory that cannot be loaded."""


def ssl_context_for(settings: ConnectionSettings) -> ssl.SSLContext | None:
    """The context that verifies the server, or None when verification is off."""
    if settings.skip_verify:
        return None
    for label, cafile, capath in (
        ("VAULT_CACERT / ca_cert", settings.ca_cert, None),
        ("VAULT_CAPATH / ca_path", None, settings.ca_path),
        ("SSL_CERT_FILE / REQUESTS_CA_BUNDLE", settings.ca_bundle, None),
    ):
        path = cafile or capath
        if path:
            if capath and not os.path.isdir(capath):
                raise TrustError(f"cannot load the CA certificates from {path} ({label}): not a directory")
            try:
                return ssl.create_default_context(cafile=cafile, capath=capath)
            except (OSError, ssl.SSLError) as error:
                reason = getattr(error, "strerror", None) or getattr(error, "reason", None) or type(error).__name__
                raise TrustError(f"cannot load the CA certificates from {path} ({label}): {reason}") from None
    return system_context()


def system_context() -> ssl.SSLContext:
    """The operating system's trust store (``truststore``), else OpenSSL's default paths."""
    try:
        import truststore
    except ImportError:  # pragma: no cover - truststore is a dependency
        return ssl.create_default_context()
    return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


# -- the adapter ------------------------------------------------------------------------------------
def retry_policy(max_retries: int) -> Retry:
    return Retry(
        total=max_retries,
        connect=max_retries,
        # A read that timed out or broke is not retried: the request may have been applied, and
        # a server that accepted and never answered would cost another full timeout per retry.
        read=False,  # False: re-raise the read error itself (a timeout stays a timeout)
        status=max_retries,
        other=0,
        redirect=False,  # requests follows redirects itself
        allowed_methods=None,  # every method, as the Vault CLI does
        status_forcelist=RETRY_STATUSES,
        backoff_factor=BACKOFF_FACTOR,
        backoff_max=BACKOFF_MAX,
        raise_on_status=False,  # the last answer goes to hvac, which maps it
        respect_retry_after_header=False,
    )


class VaultHTTPAdapter(HTTPAdapter):
    """An adapter with its own SSL context, SNI name, proxy choice and retry policy."""

    def __init__(self, settings: ConnectionSettings) -> None:
        self._settings = settings
        self._ssl_context = ssl_context_for(settings)
        self._pool_extra: dict[str, Any] = {}
        if self._ssl_context is not None:
            self._pool_extra["ssl_context"] = self._ssl_context
        if settings.tls_server_name:
            # urllib3 uses server_hostname both for SNI and for matching the certificate.
            self._pool_extra["server_hostname"] = settings.tls_server_name
        super().__init__(max_retries=retry_policy(settings.max_retries))

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs.update(getattr(self, "_pool_extra", {}))
        super().init_poolmanager(*args, **kwargs)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        # requests passes no TLS settings to the pools behind a proxy: give them ours.
        for key, value in self._pool_extra.items():
            proxy_kwargs.setdefault(key, value)
        return super().proxy_manager_for(proxy, **proxy_kwargs)

    def send(
        self,
        request: Any,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> Any:
        if self._ssl_context is not None and verify is not False:
            verify = True  # the CA is in our context already: never load another bundle
        proxy = proxy_for(request.url, self._settings)
        scheme = urlsplit(request.url).scheme.lower()
        chosen = {scheme: proxy} if proxy else {}
        return super().send(request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=chosen)

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        if self._ssl_context is None or verify is False or not url.lower().startswith("https"):
            super().cert_verify(conn, url, verify, cert)
            return
        # Like requests, minus loading certifi's bundle into our context.
        conn.cert_reqs = "CERT_REQUIRED"
        conn.ca_certs = None
        conn.ca_cert_dir = None
        if cert:
            if isinstance(cert, str):
                conn.cert_file, conn.key_file = cert, None
            else:
                conn.cert_file, conn.key_file = cert[0], cert[1]
