"""The PKI view's model (no Textual): rows of certificates across mounts, their details, the
issue form's fields and validation, and the CSV export (never a private key).

The screen (:mod:`.screen`) loads :class:`~vault_tui.vault.pki_models.PkiInventory` values through the
worker and hands them to :class:`PkiModel`; everything shown is computed here from those and a
clock, so it is tested without an app.
"""

from __future__ import annotations

import csv
import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, TextIO

from ...timefmt import format_ttl
from ...vault.pki_models import CERT_EXPORT_COLUMNS, Certificate, PkiInventory, PkiRole, certificate_row

#: Certificates expiring within this many days are highlighted (config: ``pki_warn_days``).
DEFAULT_WARN_DAYS = 30

#: The table's columns: (key, label, width or None for the content's). Expiry first after the
#: name: at 80 columns the name, days left, expiry, state and mount are what fit.
COLUMNS: tuple[tuple[str, str, int | None], ...] = (
    ("cn", "Common name", 26),
    ("days", "Days", 5),
    ("not_after", "Not after", 10),
    ("state", "State", 11),
    ("mount", "Mount", None),
    ("sans", "SANs", 24),
    ("issuer", "Issuer", 24),
    ("not_before", "Not before", 10),
)

SANS_SHOWN = 2  # SANs in a cell before "+N"


def warn_days(config: Any) -> int:
    """The highlight threshold: ``config.pki_warn_days`` when set, else the lint's
    ``cert_expiry_days`` (``config.lint``), else :data:`DEFAULT_WARN_DAYS`."""
    value = getattr(config, "pki_warn_days", None)
    if value is None:
        value = getattr(getattr(config, "lint", None), "cert_expiry_days", None)
    try:
        days = int(value) if value is not None and not isinstance(value, bool) else DEFAULT_WARN_DAYS
    except (TypeError, ValueError):
        days = DEFAULT_WARN_DAYS
    return max(0, days)


def row_key(cert: Certificate) -> str:
    """A certificate's key in the table: mount and serial (``pki_int/1a:2b:…``)."""
    return f"{cert.mount}{cert.serial}"


def state_of(cert: Certificate, now: datetime, warn: int) -> str:
    """``revoked``, ``expired``, ``expiring`` (within ``warn`` days) or ``valid``."""
    if cert.revoked:
        return "revoked"
    if cert.expired(now):
        return "expired"
    if cert.remaining(now) <= warn * 86400:
        return "expiring"
    return "valid"


def _date(when: datetime | None) -> str:
    return "" if when is None else when.astimezone(UTC).strftime("%Y-%m-%d")


def _time(when: datetime | None) -> str:
    return "—" if when is None else when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def sans_cell(cert: Certificate) -> str:
    """The SANs other than the common name, the first few then ``+N``."""
    sans = [s for s in cert.sans if s != cert.common_name]
    shown = ", ".join(sans[:SANS_SHOWN])
    more = len(sans) - SANS_SHOWN
    return f"{shown} +{more}" if more > 0 else shown


def state_label(cert: Certificate, state: str) -> str:
    label = {"revoked": "REVOKED", "expired": "expired", "expiring": "expiring", "valid": "valid"}[state]
    if cert.is_issuer:
        label = f"CA {label}" if state != "valid" else ("CA default" if cert.default_issuer else "CA")
    return label


@dataclass(frozen=True)
class CertRow:
    key: str
    cert: Certificate
    state: str  # see state_of
    days_left: int
    cells: Mapping[str, str]


def make_row(cert: Certificate, now: datetime, warn: int) -> CertRow:
    state = state_of(cert, now, warn)
    days = cert.days_left_at(now)
    cells = {
        "cn": cert.common_name or cert.subject or cert.serial,
        "sans": sans_cell(cert),
        "issuer": cert.issuer_cn or cert.issuer,
        "not_before": _date(cert.not_before),
        "not_after": _date(cert.not_after),
        "days": str(days),
        "state": state_label(cert, state),
        "mount": cert.mount,
    }
    return CertRow(row_key(cert), cert, state, days, cells)


def matches(cert: Certificate, text: str) -> bool:
    """Case-insensitive substring over the name, SANs, issuer, serial and mount."""
    needle = text.strip().casefold()
    if not needle:
        return True
    fields = (cert.common_name, cert.subject, *cert.sans, cert.issuer_cn, cert.serial, cert.mount, cert.issuer_name)
    return any(needle in field.casefold() for field in fields)


class PkiModel:
    """Every loaded mount's certificates, one list sorted by expiry (soonest first)."""

    def __init__(self, warn: int = DEFAULT_WARN_DAYS) -> None:
        self.warn = warn
        self.inventories: dict[str, PkiInventory] = {}
        self.problems: list[str] = []

    def set_inventories(self, inventories: Iterable[PkiInventory], problems: Iterable[str] = ()) -> None:
        self.inventories = {inv.mount: inv for inv in inventories}
        self.problems = list(problems)
        for inv in self.inventories.values():
            self.problems.extend(inv.problems)

    @property
    def certificates(self) -> list[Certificate]:
        certs = [c for inv in self.inventories.values() for c in inv.certificates]
        return sorted(certs, key=lambda c: (c.not_after, c.common_name, c.mount, c.serial))

    def rows(self, now: datetime, text: str = "") -> list[CertRow]:
        return [make_row(c, now, self.warn) for c in self.certificates if matches(c, text)]

    def find(self, key: str) -> Certificate | None:
        for inv in self.inventories.values():
            for cert in inv.certificates:
                if row_key(cert) == key:
                    return cert
        return None

    def find_serial(self, mount: str, serial: str) -> Certificate | None:
        return self.find(f"{mount.strip('/')}/{serial}")

    def mark_revoked(self, mount: str, serial: str, when: datetime | None) -> None:
        """Show a revocation at once (the next load confirms it)."""
        base = mount.strip("/") + "/"
        inv = self.inventories.get(base)
        if inv is None:
            return
        certs = tuple(
            replace(c, revoked=True, revocation_time=when or c.revocation_time) if c.serial == serial else c
            for c in inv.certificates
        )
        self.inventories[base] = replace(inv, certificates=certs)

    def summary(self, now: datetime, shown: int) -> str:
        certs = self.certificates
        expiring = sum(1 for c in certs if state_of(c, now, self.warn) == "expiring")
        expired = sum(1 for c in certs if state_of(c, now, self.warn) == "expired")
        revoked = sum(1 for c in certs if c.revoked)
        mounts = len(self.inventories)
        parts = [
            f"{mounts} PKI mount{'s' if mounts != 1 else ''}",
            f"{len(certs)} certificate{'s' if len(certs) != 1 else ''}",
            f"{expiring} expiring within {self.warn} days",
        ]
        if expired:
            parts.append(f"{expired} expired")
        parts.append(f"{revoked} revoked")
        if shown != len(certs):
            parts.append(f"{shown} shown")
        return " · ".join(parts)


# -- details ----------------------------------------------------------------------------------
def details(cert: Certificate, now: datetime, warn: int) -> list[tuple[str, str]]:
    """(label, value) lines describing a certificate. No private key exists here to show."""
    state = state_of(cert, now, warn)
    left = cert.remaining(now)
    if state == "revoked":
        status = f"revoked {_time(cert.revocation_time)}" if cert.revocation_time else "revoked"
    elif state == "expired":
        status = f"expired {format_ttl(-left)} ago" if left < 0 else "expired"
    else:
        status = f"valid, {cert.days_left_at(now)} days left ({format_ttl(left)})"
        if state == "expiring":
            status += f" — expires within {warn} days"
    lines = [
        ("Common name", cert.common_name or "—"),
        ("Subject", cert.subject or "—"),
        ("State", status),
    ]
    for label, values in (
        ("DNS names", cert.dns_names),
        ("IP addresses", cert.ip_addresses),
        ("E-mails", cert.emails),
        ("URIs", cert.uris),
    ):
        if values:
            lines.append((label, ", ".join(values)))
    lines += [
        ("Issuer", cert.issuer or "—"),
        ("Not before", _time(cert.not_before)),
        ("Not after", _time(cert.not_after)),
        ("Serial", cert.serial),
        ("Mount", cert.mount),
    ]
    if cert.is_issuer:
        name = f" ({cert.issuer_name})" if cert.issuer_name else ""
        default = ", the mount's default" if cert.default_issuer else ""
        lines.append(("Issuer of this mount", f"{cert.issuer_ref}{name}{default}"))
    if cert.signed_by_issuer_id:
        lines.append(("Signed by issuer", cert.signed_by_issuer_id))
    lines += [
        ("CA", "yes" if cert.is_ca else "no"),
        ("Key", f"{cert.key_type} {cert.key_bits}".strip()),
        ("Signature", cert.signature_algorithm),
        ("SHA-256", cert.fingerprint_sha256),
    ]
    if cert.subject_key_id:
        lines.append(("Subject key id", cert.subject_key_id))
    if cert.authority_key_id:
        lines.append(("Authority key id", cert.authority_key_id))
    return lines


# -- export -----------------------------------------------------------------------------------
def write_inventory_csv(out: TextIO, certs: Sequence[Certificate], now: datetime) -> int:
    """One row per certificate (:data:`~vault_tui.vault.pki_models.CERT_EXPORT_COLUMNS`). There is no
    column that could hold a private key. Returns the number of rows."""
    writer = csv.DictWriter(out, fieldnames=list(CERT_EXPORT_COLUMNS), lineterminator="\n")
    writer.writeheader()
    for cert in certs:
        writer.writerow(certificate_row(cert, now=now))
    return len(certs)


# -- issuing ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class IssueField:
    name: str  # common_name, alt_names, ip_sans, uri_sans, ttl
    label: str
    placeholder: str = ""


@dataclass(frozen=True)
class IssueRequest:
    """What the issue form asks for: the arguments of :func:`~vault_tui.vault.pki.issue_certificate`."""

    mount: str
    role: str
    common_name: str
    alt_names: tuple[str, ...] = ()
    ip_sans: tuple[str, ...] = ()
    uri_sans: tuple[str, ...] = ()
    ttl: str | None = None
    exclude_cn_from_sans: bool = False


def allowed_names(role: PkiRole) -> str:
    """What names the role allows, in words."""
    if role.allow_any_name:
        return "any name"
    parts = []
    for domain in role.allowed_domains:
        forms = []
        if role.allow_bare_domains:
            forms.append(domain)
        if role.allow_subdomains:
            forms.append(f"*.{domain}" if not role.allow_glob_domains else f"*.{domain} (globs allowed)")
        if not forms:
            forms.append(domain if "*" in domain or role.allow_glob_domains else f"{domain} (exact)")
        parts.extend(forms)
    if role.allow_localhost:
        parts.append("localhost")
    return ", ".join(parts) if parts else "no names (the role allows none)"


def _allows_dns(role: PkiRole) -> bool:
    return role.allow_any_name or bool(role.allowed_domains) or role.allow_localhost


def issue_fields(role: PkiRole) -> tuple[IssueField, ...]:
    """The form's text fields for ``role``: only the ones the role can accept."""
    example = role.allowed_domains[0] if role.allowed_domains else "example.com"
    fields = [IssueField("common_name", f"Common name — allowed: {allowed_names(role)}", f"app.{example}")]
    if _allows_dns(role):
        fields.append(IssueField("alt_names", "More DNS names (comma-separated)", f"www.{example}"))
    if role.allow_ip_sans:
        fields.append(IssueField("ip_sans", "IP addresses (comma-separated)", "192.0.2.10"))
    if role.allowed_uri_sans:
        fields.append(IssueField("uri_sans", f"URI SANs — allowed: {', '.join(role.allowed_uri_sans)}", ""))
    fields.append(IssueField("ttl", f"TTL (e.g. 72h; empty = {ttl_words(role)})", "72h"))
    return tuple(fields)


def ttl_words(role: PkiRole) -> str:
    default = format_ttl(role.ttl) if role.ttl else "the mount's default"
    cap = f", at most {format_ttl(role.max_ttl)}" if role.max_ttl else ""
    return default + cap


def role_summary(role: PkiRole) -> str:
    usage = [u for u, on in (("server", role.server_flag), ("client", role.client_flag)) if on]
    parts = [
        f"key {role.key_type}{' ' + str(role.key_bits) if role.key_bits else ''}",
        f"ttl {ttl_words(role)}",
        f"usage {'+'.join(usage) or 'none'}",
        f"issuer {role.issuer_ref}",
    ]
    if role.generate_lease:
        parts.append("issues a lease")
    if role.no_store:
        parts.append("no_store: the certificate is not stored and will not appear in this list")
    return " · ".join(parts)


def _split(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.replace("\n", ",").split(",") if v.strip())


def _ttl(value: str) -> str | None:
    text = value.strip()
    if not text:
        return None
    if not re.fullmatch(r"(\d+(\.\d+)?[smhd]?)+", text):
        raise ValueError("TTL: a duration like 72h, 30m, 90d or a number of seconds")
    return text


def issue_request(role: PkiRole, values: Mapping[str, str], exclude_cn: bool = False) -> IssueRequest:
    """Validate the form. Raises ValueError with a sentence for the user."""
    common_name = values.get("common_name", "").strip()
    if not common_name:
        raise ValueError("a certificate needs a common name")
    if any(ord(c) < 0x20 or c == "," for c in common_name):
        raise ValueError("the common name may not contain ',' or control characters")
    ips = _split(values.get("ip_sans", ""))
    for ip in ips:
        try:
            ipaddress.ip_address(ip)
        except ValueError:
            raise ValueError(f"not an IP address: {ip}") from None
    if ips and not role.allow_ip_sans:
        raise ValueError("this role does not allow IP SANs")
    return IssueRequest(
        mount=role.mount,
        role=role.name,
        common_name=common_name,
        alt_names=_split(values.get("alt_names", "")),
        ip_sans=ips,
        uri_sans=_split(values.get("uri_sans", "")),
        ttl=_ttl(values.get("ttl", "")),
        exclude_cn_from_sans=exclude_cn,
    )
