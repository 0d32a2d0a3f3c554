"""PKI models: certificates, roles and inventories (frozen dataclasses), their export rows, and the
local parsing of a certificate's PEM (pure: no Vault call here; the calls are in :mod:`.pki`).

``IssuedCertificate.private_key`` is never shown by a ``repr``.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509.oid import ExtensionOID, NameOID, SignatureAlgorithmOID

from .errors import InvalidRequest, MalformedResponse
from .models import parse_time

__all__ = [
    "Certificate",
    "IssuedCertificate",
    "PkiInventory",
    "PkiRole",
    "RevokedCertificate",
    "CERT_EXPORT_COLUMNS",
    "certificate_row",
    "parse_certificate",
    "normalise_serial",
]

_SIGNATURE_NAMES = {
    SignatureAlgorithmOID.RSA_WITH_MD5: "MD5-RSA",
    SignatureAlgorithmOID.RSA_WITH_SHA1: "SHA1-RSA",
    SignatureAlgorithmOID.RSA_WITH_SHA224: "SHA224-RSA",
    SignatureAlgorithmOID.RSA_WITH_SHA256: "SHA256-RSA",
    SignatureAlgorithmOID.RSA_WITH_SHA384: "SHA384-RSA",
    SignatureAlgorithmOID.RSA_WITH_SHA512: "SHA512-RSA",
    SignatureAlgorithmOID.RSASSA_PSS: "RSA-PSS",
    SignatureAlgorithmOID.ECDSA_WITH_SHA1: "ECDSA-SHA1",
    SignatureAlgorithmOID.ECDSA_WITH_SHA224: "ECDSA-SHA224",
    SignatureAlgorithmOID.ECDSA_WITH_SHA256: "ECDSA-SHA256",
    SignatureAlgorithmOID.ECDSA_WITH_SHA384: "ECDSA-SHA384",
    SignatureAlgorithmOID.ECDSA_WITH_SHA512: "ECDSA-SHA512",
    SignatureAlgorithmOID.DSA_WITH_SHA1: "DSA-SHA1",
    SignatureAlgorithmOID.DSA_WITH_SHA256: "DSA-SHA256",
    SignatureAlgorithmOID.ED25519: "Ed25519",
    SignatureAlgorithmOID.ED448: "Ed448",
}

_SERIAL = re.compile(r"^[0-9a-f]{1,2}(:[0-9a-f]{2})*$")


# -- models -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Certificate:
    """One X.509 certificate as stored by a PKI mount, parsed locally from its PEM.

    ``days_left`` is whole days from the ``now`` given when parsing to ``not_after`` (rounded down;
    negative once expired). Issuer fields (``issuer_ref``...) are set when the certificate is one
    of the mount's issuers (a CA it signs with)."""

    mount: str  # "pki/"
    serial: str  # colon-separated lower-case hex, as Vault shows it
    common_name: str
    subject: str  # RFC 4514
    dns_names: tuple[str, ...]
    ip_addresses: tuple[str, ...]
    emails: tuple[str, ...]
    uris: tuple[str, ...]
    issuer_cn: str
    issuer: str  # RFC 4514
    not_before: datetime
    not_after: datetime
    days_left: int
    is_ca: bool
    key_type: str  # "RSA", "EC", "Ed25519", "Ed448", "DSA"
    key_bits: int
    signature_algorithm: str  # Go-style names, as the Vault CLI shows them: "SHA256-RSA", "ECDSA-SHA256"
    fingerprint_sha256: str  # upper-case hex pairs joined by ':'
    pem: str
    revoked: bool = False
    revocation_time: datetime | None = None
    subject_key_id: str = ""  # hex
    authority_key_id: str = ""  # hex: the signer's subject_key_id
    signed_by_issuer_id: str = ""  # the mount's issuer that signed it (from the server, else matched locally)
    issuer_ref: str = ""  # this certificate is the mount's issuer with this id
    issuer_name: str = ""  # ... and this name ("" when unnamed)
    default_issuer: bool = False

    @property
    def is_issuer(self) -> bool:
        return bool(self.issuer_ref)

    @property
    def sans(self) -> tuple[str, ...]:
        """Every subject alternative name, DNS first, then IPs, e-mails and URIs."""
        return (*self.dns_names, *self.ip_addresses, *self.emails, *self.uris)

    @property
    def self_signed(self) -> bool:
        return self.subject == self.issuer

    def remaining(self, now: datetime) -> float:
        """Seconds until ``not_after`` (negative once expired)."""
        return (self.not_after - now).total_seconds()

    def days_left_at(self, now: datetime) -> int:
        return _days_left(self.not_after, now)

    def expired(self, now: datetime) -> bool:
        return self.not_after <= now

    @property
    def state(self) -> str:
        """ "revoked" or "valid" (expiry is relative to a clock: see :meth:`expired`)."""
        return "revoked" if self.revoked else "valid"


class _MaskedText(str):
    """A string whose repr never shows its content."""

    def __repr__(self) -> str:
        return "<masked>" if self else "''"


@dataclass(frozen=True, repr=False)
class IssuedCertificate:
    """A certificate just issued from a role. ``private_key`` is the only copy vault-tui holds:
    it is never shown by ``repr`` and never written anywhere by this module."""

    certificate: Certificate
    serial: str
    private_key_type: str
    issuing_ca: str
    ca_chain: tuple[str, ...]
    private_key: str = field(default="", repr=False, compare=False)

    def __repr__(self) -> str:
        return (
            f"IssuedCertificate(serial={self.serial!r}, common_name={self.certificate.common_name!r}, "
            f"private_key=<masked>)"
        )

    __str__ = __repr__


@dataclass(frozen=True)
class RevokedCertificate:
    mount: str
    serial: str
    revocation_time: datetime | None
    state: str = "revoked"


@dataclass(frozen=True)
class PkiRole:
    """The fields of ``<mount>/roles/<name>`` that an issue form needs."""

    mount: str
    name: str
    allowed_domains: tuple[str, ...] = ()
    allow_subdomains: bool = False
    allow_bare_domains: bool = False
    allow_glob_domains: bool = False
    allow_wildcard_certificates: bool = False
    allow_any_name: bool = False
    allow_localhost: bool = False
    allow_ip_sans: bool = False
    allowed_uri_sans: tuple[str, ...] = ()
    enforce_hostnames: bool = True
    require_cn: bool = True
    key_type: str = "rsa"
    key_bits: int = 0
    ttl: int = 0  # seconds; 0 = the mount's default
    max_ttl: int = 0  # seconds; 0 = the mount's maximum
    generate_lease: bool = False
    no_store: bool = False
    issuer_ref: str = "default"
    server_flag: bool = True
    client_flag: bool = True
    key_usage: tuple[str, ...] = ()
    ext_key_usage: tuple[str, ...] = ()


@dataclass(frozen=True)
class PkiInventory:
    """A PKI mount's issuers and certificates, one row per serial, sorted by expiry (soonest first).

    ``problems`` are one-line notes about what could not be read (e.g. "could not read cert
    1a:2b: permission denied"); the rest is still there."""

    mount: str
    certificates: tuple[Certificate, ...]
    problems: tuple[str, ...] = ()
    cancelled: bool = False

    @property
    def issuers(self) -> tuple[Certificate, ...]:
        return tuple(c for c in self.certificates if c.is_issuer)

    def expiring_within(self, days: float, now: datetime) -> tuple[Certificate, ...]:
        """Not revoked, not yet expired, and expiring within ``days`` of ``now``."""
        limit = days * 86400
        return tuple(c for c in self.certificates if not c.revoked and 0 < c.remaining(now) <= limit)


# -- export (pure) ----------------------------------------------------------------------------
#: Columns of an inventory export (CSV/JSON). Certificates only: there is never a private key here.
CERT_EXPORT_COLUMNS = (
    "mount",
    "serial",
    "common_name",
    "sans",
    "issuer",
    "not_before",
    "not_after",
    "days_left",
    "revoked",
    "revocation_time",
    "is_ca",
    "issuer_ref",
    "key",
    "signature_algorithm",
    "fingerprint_sha256",
)


def _iso(when: datetime | None) -> str:
    return "" if when is None else when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def certificate_row(cert: Certificate, now: datetime | None = None) -> dict[str, str]:
    """One certificate as export columns (:data:`CERT_EXPORT_COLUMNS`); ``days_left`` from ``now``."""
    days = cert.days_left if now is None else cert.days_left_at(now)
    return {
        "mount": cert.mount,
        "serial": cert.serial,
        "common_name": cert.common_name,
        "sans": " ".join(cert.sans),
        "issuer": cert.issuer_cn or cert.issuer,
        "not_before": _iso(cert.not_before),
        "not_after": _iso(cert.not_after),
        "days_left": str(days),
        "revoked": "yes" if cert.revoked else "no",
        "revocation_time": _iso(cert.revocation_time),
        "is_ca": "yes" if cert.is_ca else "no",
        "issuer_ref": cert.issuer_ref,
        "key": f"{cert.key_type} {cert.key_bits}".strip(),
        "signature_algorithm": cert.signature_algorithm,
        "fingerprint_sha256": cert.fingerprint_sha256,
    }


# -- parsing (pure) ---------------------------------------------------------------------------
def _utcnow() -> datetime:
    return datetime.now(UTC)


def _days_left(not_after: datetime, now: datetime) -> int:
    return math.floor((not_after - now).total_seconds() / 86400)


def normalise_serial(serial: str) -> str:
    """``0A-AB-77`` / ``0a:ab:77`` → ``0a:ab:77``. Raises :class:`InvalidRequest` for anything else."""
    text = str(serial or "").strip().lower().replace("-", ":")
    if not _SERIAL.match(text):
        raise InvalidRequest("a certificate serial is hex pairs separated by ':' or '-'")
    return text


def _serial_text(number: int) -> str:
    raw = number.to_bytes(max(1, (number.bit_length() + 7) // 8), "big")
    return ":".join(f"{b:02x}" for b in raw)


def _name_cn(name: x509.Name) -> str:
    try:
        values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    except Exception:  # noqa: BLE001 - a malformed name is shown as empty
        return ""
    if not values:
        return ""
    value = values[0].value
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _rfc4514(name: x509.Name) -> str:
    try:
        return name.rfc4514_string()
    except Exception:  # noqa: BLE001
        return ""


def _key_info(cert: x509.Certificate) -> tuple[str, int]:
    try:
        key = cert.public_key()
    except Exception:  # noqa: BLE001 - an algorithm cryptography does not know
        return "unknown", 0
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", key.curve.key_size
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", 256
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", 456
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size
    return type(key).__name__, 0


def _sans(cert: x509.Certificate) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    try:
        ext = cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
    except x509.ExtensionNotFound:
        return (), (), (), ()
    assert isinstance(ext, x509.SubjectAlternativeName)
    dns = tuple(str(v) for v in ext.get_values_for_type(x509.DNSName))
    ips = tuple(str(v) for v in ext.get_values_for_type(x509.IPAddress))
    emails = tuple(str(v) for v in ext.get_values_for_type(x509.RFC822Name))
    uris = tuple(str(v) for v in ext.get_values_for_type(x509.UniformResourceIdentifier))
    return dns, ips, emails, uris


def _key_ids(cert: x509.Certificate) -> tuple[str, str]:
    ski = aki = ""
    try:
        ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest.hex()
    except (x509.ExtensionNotFound, ValueError):
        pass
    try:
        raw = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
        aki = raw.hex() if raw else ""
    except (x509.ExtensionNotFound, ValueError):
        pass
    return ski, aki


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        ext = cert.extensions.get_extension_for_oid(ExtensionOID.BASIC_CONSTRAINTS).value
    except x509.ExtensionNotFound:
        return False
    return bool(getattr(ext, "ca", False))


def parse_certificate(
    pem: str,
    *,
    mount: str = "",
    now: datetime | None = None,
    revocation_time: datetime | None = None,
    signed_by_issuer_id: str = "",
) -> Certificate:
    """Parse one PEM certificate. Raises :class:`MalformedResponse` when it is not one."""
    now = now or _utcnow()
    text = str(pem or "").strip()
    try:
        cert = x509.load_pem_x509_certificate(text.encode("utf-8"))
        # Re-serialise only the first certificate: a bundle's other members are not this one.
        own_pem = cert.public_bytes(serialization.Encoding.PEM).decode("ascii")
        fingerprint = hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest().upper()
        not_before = cert.not_valid_before_utc
        not_after = cert.not_valid_after_utc
        dns, ips, emails, uris = _sans(cert)
    except (ValueError, TypeError) as exc:
        raise MalformedResponse(f"not a PEM certificate: {type(exc).__name__}", path=mount) from None
    key_type, key_bits = _key_info(cert)
    ski, aki = _key_ids(cert)
    try:
        sig_oid = cert.signature_algorithm_oid
        signature = _SIGNATURE_NAMES.get(sig_oid, sig_oid.dotted_string)
    except Exception:  # noqa: BLE001
        signature = "unknown"
    return Certificate(
        mount=(mount.strip("/") + "/") if mount else "",
        serial=_serial_text(cert.serial_number),
        common_name=_name_cn(cert.subject),
        subject=_rfc4514(cert.subject),
        dns_names=dns,
        ip_addresses=ips,
        emails=emails,
        uris=uris,
        issuer_cn=_name_cn(cert.issuer),
        issuer=_rfc4514(cert.issuer),
        not_before=not_before,
        not_after=not_after,
        days_left=_days_left(not_after, now),
        is_ca=_is_ca(cert),
        key_type=key_type,
        key_bits=key_bits,
        signature_algorithm=signature,
        fingerprint_sha256=":".join(fingerprint[i : i + 2] for i in range(0, len(fingerprint), 2)),
        pem=own_pem,
        revoked=revocation_time is not None,
        revocation_time=revocation_time,
        subject_key_id=ski,
        authority_key_id=aki,
        signed_by_issuer_id=signed_by_issuer_id,
    )


def _revocation_time(data: dict[str, Any]) -> datetime | None:
    parsed = parse_time(data.get("revocation_time_rfc3339"))
    if parsed is not None:
        return parsed
    raw = data.get("revocation_time")
    if isinstance(raw, (int, float)) and not isinstance(raw, bool) and raw > 0:
        return datetime.fromtimestamp(int(raw), tz=UTC)
    return None
