"""Server addresses typed by the user: validated before anything connects.

An address is ``http`` or ``https``, a host (a name, an IPv4 address or a bracketed IPv6
address), an optional numeric port, and nothing after it but an optional ``/``. No user name or
password, no path, query or fragment. ``--addr`` and ``VAULT_ADDR`` may hold a comma-separated
list (``http://a:8200,http://b:8200``), a profile ``addr`` or ``addrs = [...]``.

A bad address raises :class:`AddressError`, whose message names the address (with any password
masked) and says what is wrong, e.g. ``invalid address 'http://a:1x': the port '1x' is not a
number``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

SCHEMES = ("http", "https")
_LABEL = r"[A-Za-z0-9_][A-Za-z0-9_-]{0,62}"
_HOSTNAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*\.?$")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


class SettingError(ValueError):
    """A connection setting from the user (flag, environment variable, profile) is unusable.

    ``str()`` is one plain sentence naming the setting and the problem; never a secret.
    """


class AddressError(SettingError):
    """An address that is not a valid ``http(s)://host[:port]`` URL."""

    def __init__(self, address: str, reason: str, source: str = "") -> None:
        self.address = mask(address)
        self.reason = reason
        self.source = source
        where = f"{source}: " if source else ""
        super().__init__(f"{where}invalid address {self.address!r}: {reason}")


def mask(address: str) -> str:
    """``address`` with a ``user:password@`` part replaced, so a message never shows a password."""
    found = _SCHEME.match(address)
    start = found.end() if found else 0
    rest = address[start:]
    authority_end = len(rest)
    for stop in "/?#":
        index = rest.find(stop)
        if index >= 0:
            authority_end = min(authority_end, index)
    if "@" in rest[:authority_end]:
        host = rest[:authority_end].rsplit("@", 1)[1]
        return address[:start] + "***@" + host + rest[authority_end:]
    return address


def validate_addr(address: str, source: str = "") -> str:
    """The address, normalised (lower-case scheme, no trailing ``/``), or :class:`AddressError`."""
    text = address.strip()
    if not text:
        raise AddressError(address, "it is empty", source)
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise AddressError(address, "it contains spaces or control characters", source)
    if "," in text:
        raise AddressError(
            address,
            "it contains ','; list several addresses as separate entries (addrs = [...]), "
            "or comma-separated in --addr, VAULT_ADDR or a profile's addr",
            source,
        )
    found = _SCHEME.match(text)
    if not found:
        if text.startswith(("unix:", "/")):
            raise AddressError(address, "Unix sockets are not supported; use an http:// or https:// address", source)
        hint = f" (e.g. https://{text})" if _HOSTNAME.match(text.partition(":")[0]) else ""
        raise AddressError(address, f"it must start with http:// or https://{hint}", source)
    scheme = found.group(1).lower()
    if scheme == "unix":
        raise AddressError(address, "Unix sockets are not supported; use an http:// or https:// address", source)
    if scheme not in SCHEMES:
        raise AddressError(address, f"the scheme {found.group(1)!r} is not http or https", source)
    rest = text[found.end() :]
    authority = rest
    tail = ""
    for index, ch in enumerate(rest):
        if ch in "/?#":
            authority, tail = rest[:index], rest[index:]
            break
    if "@" in authority:
        raise AddressError(
            address, "it contains a user name or password; put credentials in the sign-in, not the address", source
        )
    if tail not in ("", "/"):
        if tail.startswith("?"):
            raise AddressError(address, "it has a query ('?...'); nothing may follow the port", source)
        if tail.startswith("#"):
            raise AddressError(address, "it has a fragment ('#...'); nothing may follow the port", source)
        raise AddressError(address, f"it has a path ({tail!r}); nothing may follow the port but '/'", source)
    host, port = _split_host_port(address, authority, source)
    if port is not None:
        if not port:
            raise AddressError(address, "the port after ':' is empty", source)
        if not port.isdigit() or not port.isascii():
            raise AddressError(address, f"the port {port!r} is not a number", source)
        number = int(port)
        if not 1 <= number <= 65535:
            raise AddressError(address, f"the port {number} is out of range (1-65535)", source)
    if host.startswith("["):
        try:
            ipaddress.IPv6Address(host[1:-1].split("%", 1)[0])
        except ValueError:
            raise AddressError(address, f"{host!r} is not a valid IPv6 address", source) from None
    elif not _HOSTNAME.match(host):
        raise AddressError(address, f"{host!r} is not a valid host name", source)
    normalised = f"{scheme}://{host.lower()}" + (f":{int(port)}" if port is not None else "")
    return normalised


def _split_host_port(address: str, authority: str, source: str) -> tuple[str, str | None]:
    if not authority:
        raise AddressError(address, "it has no host", source)
    if authority.startswith("["):
        end = authority.find("]")
        if end < 0:
            raise AddressError(address, "an IPv6 host must be closed with ']'", source)
        host, after = authority[: end + 1], authority[end + 1 :]
        if not after:
            return host, None
        if not after.startswith(":"):
            raise AddressError(address, f"unexpected {after!r} after the host", source)
        return host, after[1:]
    if authority.count(":") > 1:
        raise AddressError(address, "more than one ':' (an IPv6 host must be written in brackets: [::1])", source)
    host, colon, port = authority.partition(":")
    if not host:
        raise AddressError(address, "it has no host", source)
    return host, (port if colon else None)


def split_addrs(value: str, source: str = "") -> tuple[str, ...]:
    """A comma-separated list of addresses, each validated; duplicates dropped, order kept."""
    parts = value.split(",")
    if len(parts) > 1 and any(not part.strip() for part in parts):
        raise AddressError(value, "the list has an empty entry (two commas, or a comma at either end)", source)
    return validate_addrs(parts, source)


def validate_addrs(addresses: Iterable[str], source: str = "") -> tuple[str, ...]:
    out = [validate_addr(address, source) for address in addresses]
    if not out:
        raise AddressError("", "no address given", source)
    return tuple(dict.fromkeys(out))
