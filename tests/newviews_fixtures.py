"""Deterministic data for the PKI, lint and history views: certificates signed with fixed
Ed25519 keys (Ed25519 signatures are deterministic, so the PEM and fingerprint never change),
fixed lint findings, fixed trail entries, and a fixed clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.x509.oid import NameOID

from vault_tui.trail import Action, Trail
from vault_tui.vault.pki_models import Certificate, PkiInventory, parse_certificate
from vault_tui.views.lint.checks import Finding, FindingKind, ItemType, LintSettings, Severity
from vault_tui.views.lint.model import LintReport

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
FIXED_ADDR = "http://127.0.0.1:8200"


def _key(seed: int) -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32)


def make_pem(
    cn: str,
    *,
    serial: int,
    days: tuple[float, float],
    key_seed: int,
    issuer_cn: str | None = None,
    issuer_seed: int | None = None,
    dns: tuple[str, ...] = (),
    ips: tuple[str, ...] = (),
    ca: bool = False,
) -> str:
    """A certificate valid from NOW+days[0] to NOW+days[1], signed by the issuer's fixed key."""
    import ipaddress

    key = _key(key_seed)
    signer = _key(issuer_seed if issuer_seed is not None else key_seed)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_cn or cn)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(NOW + timedelta(days=days[0]))
        .not_valid_after(NOW + timedelta(days=days[1]))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), critical=False)
    )
    names: list[x509.GeneralName] = [x509.DNSName(n) for n in dns]
    names += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips]
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    cert = builder.sign(signer, None)
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


ROOT_CN = "Example Root CA"
INT_CN = "Example Issuing CA"


def certificates() -> tuple[PkiInventory, PkiInventory]:
    """Two mounts: ``pki/`` (the root) and ``pki_int/`` (an intermediate and its leaves): one
    expiring in 2 days, one in 20, one revoked, one expired, two healthy."""
    root = parse_certificate(
        make_pem(ROOT_CN, serial=0x01, days=(-400, 3250), key_seed=1, ca=True), mount="pki", now=NOW
    )
    root = replace(root, issuer_ref="5e1f0c1a-root", issuer_name="root-2025", default_issuer=True)
    intermediate = parse_certificate(
        make_pem(INT_CN, serial=0x02, days=(-300, 1500), key_seed=2, issuer_cn=ROOT_CN, issuer_seed=1, ca=True),
        mount="pki_int",
        now=NOW,
    )
    intermediate = replace(intermediate, issuer_ref="9a8b7c6d-int", issuer_name="issuing", default_issuer=True)

    def leaf(cn: str, serial: int, days: tuple[float, float], **kw: object) -> Certificate:
        pem = make_pem(cn, serial=serial, days=days, key_seed=10 + serial % 200, issuer_cn=INT_CN, issuer_seed=2, **kw)
        return parse_certificate(pem, mount="pki_int", now=NOW, signed_by_issuer_id="9a8b7c6d-int")

    leaves = [
        leaf("grafana.example.test", 0x3A10, (-88, 2.25), dns=("grafana.example.test",)),
        leaf("checkout.example.test", 0x3A11, (-70, 20.5), dns=("checkout.example.test", "pay.example.test")),
        replace(
            leaf("legacy.example.test", 0x3A12, (-30, 60)),
            revoked=True,
            revocation_time=NOW - timedelta(days=3),
        ),
        leaf("old.example.test", 0x3A13, (-120, -5)),
        leaf("vpn.example.test", 0x3A14, (-10, 80), ips=("192.0.2.20",)),
        leaf(
            "api.example.test",
            0x3A15,
            (-1, 89),
            dns=("api.example.test", "api-v2.example.test", "api-v3.example.test"),
            ips=("192.0.2.10",),
        ),
    ]
    key = lambda c: (c.not_after, c.common_name)  # noqa: E731
    return (
        PkiInventory("pki/", (root,)),
        PkiInventory("pki_int/", tuple(sorted([intermediate, *leaves], key=key))),
    )


def lint_report() -> LintReport:
    findings = (
        Finding(
            FindingKind.KEY_EXPORTABLE,
            Severity.HIGH,
            ItemType.TRANSIT_KEY,
            "transit/",
            "payments",
            "exportable is on: the key material can leave Vault (this cannot be turned off again)",
        ),
        Finding(
            FindingKind.CERT_EXPIRING,
            Severity.HIGH,
            ItemType.CERTIFICATE,
            "pki_int/",
            "3a:10",
            "certificate grafana.example.test expires in 2 days (2026-03-03 18:00 UTC; threshold 30 days)",
        ),
        Finding(
            FindingKind.STALE_SECRET,
            Severity.MEDIUM,
            ItemType.SECRET,
            "secret/",
            "team/legacy/ftp",
            "not updated for 412 days (last 2025-01-13; threshold 365 days)",
        ),
        Finding(
            FindingKind.KEY_NEVER_ROTATED,
            Severity.MEDIUM,
            ItemType.TRANSIT_KEY,
            "transit/",
            "orders",
            "never rotated (one version, created 200 days ago) and no auto_rotate_period",
        ),
        Finding(
            FindingKind.LEASE_LONG_TTL,
            Severity.MEDIUM,
            ItemType.LEASE,
            "database/",
            "database/creds/readonly/aB3dE5fG7hI9jK1lM3nO5pQ7",
            "49 days left (more than 30): long-lived credentials",
        ),
        Finding(
            FindingKind.MOUNT_CAS_OFF,
            Severity.LOW,
            ItemType.MOUNT,
            "secret/",
            "",
            "cas_required is off on this mount: a write can silently overwrite a change made since it was read",
        ),
        Finding(
            FindingKind.SECRET_CAS_OFF,
            Severity.LOW,
            ItemType.SECRET,
            "secret/",
            "team/app/db",
            "cas_required is off here and on its mount: writes do not have to name the version they replace",
        ),
    )
    return LintReport(
        findings=findings,
        notes=("could not list the keys of transit-archive/: permission denied",),
        generated_at=NOW,
        settings=LintSettings(),
        checked={"mounts": 5, "secrets": 42, "transit_keys": 6, "leases": 3, "certificates": 7},
    )


def write_trail(path: Path) -> Trail:
    """A trail with fixed entries, written oldest first, one minute apart."""
    moments = iter(NOW - timedelta(minutes=60 - i) for i in range(60))
    trail = Trail(path, clock=lambda: next(moments))
    common = {"profile": "prod", "server": "https://vault.example.test:8200", "namespace": "team-a"}
    trail.record(Action.WRITE, "secret/team/app/db", versions=[3], **common)
    trail.record(Action.KEY_ROTATE, "transit/keys/orders", **common)
    trail.record(Action.CREDENTIALS_ISSUED, "database/creds/readonly", **common)
    trail.record(Action.RENEW, "database/creds/readonly/aB3dE5fG7hI9jK1l", **common)
    trail.record(Action.DESTROY, "secret/team/old/token", "permission denied", versions=[1, 2], **common)
    # Targets as vault_tui.recording writes them.
    trail.record(Action.CERT_ISSUE, "pki_int/issue/web CN=grafana.example.test", profile="dev", server=FIXED_ADDR)
    trail.record(Action.CERT_REVOKE, "pki_int serial 3a:12", profile="dev", server=FIXED_ADDR)
    trail.record(Action.PATCH, "secret/team/app/api", profile="dev", server=FIXED_ADDR)
    return trail
