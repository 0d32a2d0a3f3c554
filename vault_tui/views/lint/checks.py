"""Secret hygiene, the rules: thresholds (:class:`LintSettings`), what a finding is (:class:`Finding`,
:class:`Severity`, :class:`FindingKind`, :class:`ItemType`) and the pure checks that turn what was read
into findings (no Vault call and no Textual here; :mod:`.model` reads and runs them).

A fact worth knowing (OpenBao 2.x and Vault alike): ``max_versions = 0`` does **not** mean
unlimited; it means the default of 10 versions. A secret's own ``max_versions`` and its mount's
combine as the larger of the two when both are set. So "keeps too many versions" is a threshold
(:attr:`LintSettings.max_versions_limit`), not a check for 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from ...lint_settings import CONFIG_KEYS as CONFIG_KEYS  # re-exported: the thresholds live there
from ...lint_settings import LintSettings as LintSettings
from ...vault import leases
from ...vault.models import SecretMetadata
from ...vault.pki_models import Certificate
from ...vault.transit_models import TransitKey

KV_DEFAULT_MAX_VERSIONS = 10  # what max_versions = 0 means on the server


# -- findings ---------------------------------------------------------------------------------
class Severity(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        return {"high": 0, "medium": 1, "low": 2}[self.value]


class ItemType(StrEnum):
    """What a finding is about, so the UI knows what to open."""

    MOUNT = "mount"
    SECRET = "secret"
    TRANSIT_KEY = "transit-key"
    LEASE = "lease"
    CERTIFICATE = "certificate"


class FindingKind(StrEnum):
    STALE_SECRET = "stale-secret"
    ALL_VERSIONS_DELETED = "all-versions-deleted"
    MOUNT_CAS_OFF = "mount-cas-off"
    SECRET_CAS_OFF = "secret-cas-off"
    MOUNT_MANY_VERSIONS = "mount-max-versions"
    SECRET_MANY_VERSIONS = "secret-max-versions"
    KEY_NEVER_ROTATED = "key-never-rotated"
    KEY_ROTATION_OVERDUE = "key-rotation-overdue"
    KEY_OLD_VERSIONS_DECRYPT = "key-min-decryption-behind"
    KEY_EXPORTABLE = "key-exportable"
    KEY_DELETION_ALLOWED = "key-deletion-allowed"
    LEASE_LONG_TTL = "lease-long-ttl"
    CERT_EXPIRING = "cert-expiring"
    CA_EXPIRED = "ca-expired"


@dataclass(frozen=True)
class Finding:
    """One problem. ``name`` is the item inside ``mount``: a secret path, a key name, a
    certificate serial; a lease's full id (with ``mount`` its first segment); "" for the mount."""

    kind: FindingKind
    severity: Severity
    item: ItemType
    mount: str  # "secret/"
    name: str
    why: str

    @property
    def path(self) -> str:
        """A path to show and to open: ``secret/team/app``, ``transit/keys/k``, ``pki/cert/0a:..``,
        the lease id, or the mount."""
        if self.item is ItemType.LEASE:
            return self.name
        if self.item is ItemType.TRANSIT_KEY:
            return f"{self.mount}keys/{self.name}"
        if self.item is ItemType.CERTIFICATE:
            return f"{self.mount}cert/{self.name}"
        return f"{self.mount}{self.name}"

    def as_row(self) -> dict[str, str]:
        return {
            "severity": self.severity.value,
            "kind": self.kind.value,
            "item": self.item.value,
            "mount": self.mount,
            "name": self.name,
            "path": self.path,
            "why": self.why,
        }


# -- pure checks ------------------------------------------------------------------------------
def _days(seconds: float) -> int:
    return int(seconds // 86400)


def _ago(when: datetime, now: datetime) -> str:
    days = _days((now - when).total_seconds())
    return f"{days} day{'s' if days != 1 else ''}"


@dataclass(frozen=True)
class KvMountConfig:
    cas_required: bool
    max_versions: int


def effective_max_versions(secret: int, mount: int) -> int:
    """How many versions the server keeps for a secret (observed on OpenBao 2.x)."""
    if secret and mount:
        return max(secret, mount)
    return secret or mount or KV_DEFAULT_MAX_VERSIONS


def check_kv_mount(mount: str, config: KvMountConfig, settings: LintSettings, exposed: int = 0) -> list[Finding]:
    """Mount-level checks; ``exposed`` is how many secrets there do not require cas themselves."""
    found = []
    if not config.cas_required:
        tail = f"; {exposed} secret{'s' if exposed != 1 else ''} here do not require it themselves" if exposed else ""
        found.append(
            Finding(
                FindingKind.MOUNT_CAS_OFF,
                Severity.LOW,
                ItemType.MOUNT,
                mount,
                "",
                "cas_required is off on this mount: a write can silently overwrite a change made since it was read"
                + tail,
            )
        )
    if config.max_versions > settings.max_versions_limit:
        found.append(
            Finding(
                FindingKind.MOUNT_MANY_VERSIONS,
                Severity.LOW,
                ItemType.MOUNT,
                mount,
                "",
                f"max_versions is {config.max_versions} (more than {settings.max_versions_limit}): old values, "
                "including rotated-out credentials, stay readable for a long time",
            )
        )
    return found


def check_secret(
    meta: SecretMetadata, config: KvMountConfig | None, settings: LintSettings, now: datetime
) -> list[Finding]:
    mount, path = meta.mount, meta.path
    found = []
    if meta.updated_time is not None and now - meta.updated_time > timedelta(days=settings.stale_days):
        found.append(
            Finding(
                FindingKind.STALE_SECRET,
                Severity.MEDIUM,
                ItemType.SECRET,
                mount,
                path,
                f"not updated for {_ago(meta.updated_time, now)} (last {meta.updated_time:%Y-%m-%d}; "
                f"threshold {settings.stale_days} days)",
            )
        )
    if meta.versions and all(v.state.value != "live" for v in meta.versions):
        destroyed = sum(1 for v in meta.versions if v.destroyed)
        found.append(
            Finding(
                FindingKind.ALL_VERSIONS_DELETED,
                Severity.LOW,
                ItemType.SECRET,
                mount,
                path,
                f"every version is deleted or destroyed ({len(meta.versions)} kept, {destroyed} destroyed): "
                "only metadata is left; delete it or restore a version",
            )
        )
    if config is not None and not config.cas_required and not meta.cas_required and settings.secret_cas_findings:
        found.append(
            Finding(
                FindingKind.SECRET_CAS_OFF,
                Severity.LOW,
                ItemType.SECRET,
                mount,
                path,
                "cas_required is off here and on its mount: writes do not have to name the version they replace",
            )
        )
    if meta.max_versions > settings.max_versions_limit:
        kept = effective_max_versions(meta.max_versions, config.max_versions if config else 0)
        found.append(
            Finding(
                FindingKind.SECRET_MANY_VERSIONS,
                Severity.LOW,
                ItemType.SECRET,
                mount,
                path,
                f"max_versions is {meta.max_versions} (keeps up to {kept}; more than {settings.max_versions_limit}): "
                "old values stay readable for a long time",
            )
        )
    return found


def check_transit_key(key: TransitKey, settings: LintSettings, now: datetime) -> list[Finding]:
    mount, name = key.mount, key.name
    found = []
    newest = max((v.created_time for v in key.versions if v.created_time), default=None)
    if key.latest_version <= 1 and not key.auto_rotate_period:
        age = f", created {_ago(newest, now)} ago" if newest else ""
        found.append(
            Finding(
                FindingKind.KEY_NEVER_ROTATED,
                Severity.MEDIUM,
                ItemType.TRANSIT_KEY,
                mount,
                name,
                f"never rotated (one version{age}) and no auto_rotate_period",
            )
        )
    elif key.auto_rotate_period and key.auto_rotate_period > settings.transit_rotation_days * 86400:
        found.append(
            Finding(
                FindingKind.KEY_ROTATION_OVERDUE,
                Severity.LOW,
                ItemType.TRANSIT_KEY,
                mount,
                name,
                f"auto_rotate_period is {key.auto_rotate_label}, longer than {settings.transit_rotation_days} days",
            )
        )
    elif (
        not key.auto_rotate_period
        and newest is not None
        and now - newest > timedelta(days=settings.transit_rotation_days)
    ):
        found.append(
            Finding(
                FindingKind.KEY_ROTATION_OVERDUE,
                Severity.MEDIUM,
                ItemType.TRANSIT_KEY,
                mount,
                name,
                f"not rotated for {_ago(newest, now)} (threshold {settings.transit_rotation_days} days) "
                "and no auto_rotate_period",
            )
        )
    min_decrypt = max(1, key.min_decryption_version)
    behind = key.latest_version - min_decrypt
    if behind > settings.transit_min_decryption_gap:
        found.append(
            Finding(
                FindingKind.KEY_OLD_VERSIONS_DECRYPT,
                Severity.LOW,
                ItemType.TRANSIT_KEY,
                mount,
                name,
                f"min_decryption_version is {min_decrypt} while the latest version is {key.latest_version}: "
                f"{behind} old versions can still decrypt (rewrap, then raise it)",
            )
        )
    if key.exportable or key.allow_plaintext_backup:
        flags = (("exportable", key.exportable), ("allow_plaintext_backup", key.allow_plaintext_backup))
        what = " and ".join(name for name, on in flags if on)
        found.append(
            Finding(
                FindingKind.KEY_EXPORTABLE,
                Severity.HIGH,
                ItemType.TRANSIT_KEY,
                mount,
                name,
                f"{what} is on: the key material can leave Vault (this cannot be turned off again)",
            )
        )
    if key.deletion_allowed:
        found.append(
            Finding(
                FindingKind.KEY_DELETION_ALLOWED,
                Severity.MEDIUM,
                ItemType.TRANSIT_KEY,
                mount,
                name,
                "deletion_allowed is on: deleting the key makes everything encrypted with it unreadable",
            )
        )
    return found


def check_lease(lease: leases.Lease, settings: LintSettings, now: datetime) -> list[Finding]:
    left = lease.remaining(now)
    if left is None:
        left = float(lease.ttl)
    if left <= settings.lease_ttl_days * 86400:
        return []
    mount = lease.id.split("/", 1)[0] + "/"
    if lease.id.startswith("auth/") and lease.id.count("/") >= 2:
        mount = "/".join(lease.id.split("/", 2)[:2]) + "/"
    return [
        Finding(
            FindingKind.LEASE_LONG_TTL,
            Severity.MEDIUM,
            ItemType.LEASE,
            mount,
            lease.id,
            f"{_days(left)} days left (more than {settings.lease_ttl_days}): long-lived credentials "
            "outlive the people and jobs they were issued to",
        )
    ]


def check_certificate(cert: Certificate, settings: LintSettings, now: datetime) -> list[Finding]:
    if cert.revoked:
        return []
    left = cert.remaining(now)
    label = cert.common_name or cert.subject or cert.serial
    if left <= 0:
        if not cert.is_issuer:
            return []  # an expired leaf is history; `tidy` removes it
        return [
            Finding(
                FindingKind.CA_EXPIRED,
                Severity.HIGH,
                ItemType.CERTIFICATE,
                cert.mount,
                cert.serial,
                f"issuer {label} expired {_ago(cert.not_after, now)} ago ({cert.not_after:%Y-%m-%d})",
            )
        ]
    if left > settings.cert_expiry_days * 86400:
        return []
    days = _days(left)
    when = "today" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"
    kind = "issuer" if cert.is_issuer else "certificate"
    return [
        Finding(
            FindingKind.CERT_EXPIRING,
            Severity.HIGH if days < 7 or cert.is_issuer else Severity.MEDIUM,
            ItemType.CERTIFICATE,
            cert.mount,
            cert.serial,
            f"{kind} {label} expires {when} ({cert.not_after:%Y-%m-%d %H:%M} UTC; threshold "
            f"{settings.cert_expiry_days} days)",
        )
    ]


def sort_findings(findings: list[Finding]) -> tuple[Finding, ...]:
    return tuple(sorted(findings, key=lambda f: (f.severity.rank, f.kind.value, f.path)))
