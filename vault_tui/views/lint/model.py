"""Secret hygiene: the lint engine behind ``:lint`` and ``vault-tui lint`` (no Textual here).

:func:`run_lint` reads, with bounded concurrency, what the token may read of

* KV v2 mounts (their ``config``) and every secret's metadata (never a value),
* transit keys,
* leases (needs ``sudo`` on ``sys/leases/lookup``),
* PKI certificates and issuers,

and returns a :class:`LintReport`: findings (kind, severity, where, and a plain "why") and notes
about what could not be read ("could not read X: permission denied"). Thresholds come from a
frozen :class:`LintSettings`. The report never holds a value, a token or a secret: only paths,
names, dates and settings. :func:`write_csv` and :func:`write_json` write it; :func:`run_lint_cli`
is the command-line entry point (exit code 0 clean, 1 findings, 2 could not run).

A fact worth knowing (OpenBao 2.x and Vault alike): ``max_versions = 0`` does **not** mean
unlimited; it means the default of 10 versions. A secret's own ``max_versions`` and its mount's
combine as the larger of the two when both are set. So "keeps too many versions" is a threshold
(:attr:`LintSettings.max_versions_limit`), not a check for 0.
"""

from __future__ import annotations

import csv
import json
import threading
from collections.abc import Callable, Collection, Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, TextIO

from ...trail import sanitise
from ...vault import kv, leases, pki, transit
from ...vault.errors import NotFound, PermissionDenied, VaultError
from ...vault.gateway import Gateway
from ...vault.models import EngineKind, Mount, SecretMetadata
from ...vault.pki import bounded_map
from ...vault.pki_models import Certificate
from ...vault.transit_models import TransitKey

DEFAULT_WORKERS = 6
KV_DEFAULT_MAX_VERSIONS = 10  # what max_versions = 0 means on the server
CSV_COLUMNS = ("severity", "kind", "item", "mount", "name", "path", "why")


# -- settings ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class LintSettings:
    """Thresholds. Proposed config-file keys: the field names, in a ``[lint]`` table."""

    stale_days: int = 365  # a secret not updated for longer than this
    transit_rotation_days: int = 365  # a transit key whose newest version is older than this
    transit_min_decryption_gap: int = 3  # more than this many old versions may still decrypt
    lease_ttl_days: int = 30  # a lease with more than this left
    cert_expiry_days: int = 30  # a certificate expiring within this
    max_versions_limit: int = 50  # a mount or secret that keeps more versions than this
    secret_cas_findings: bool = True  # one finding per secret on a mount without cas_required

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], *, where: str = "lint") -> LintSettings:
        """Build from a config table. Raises ValueError naming the bad key."""
        known = {f.name: f for f in fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in values.items():
            if key not in known:
                raise ValueError(f"{where}.{key}: unknown setting (known: {', '.join(sorted(known))})")
            if known[key].type in ("bool", bool):
                if not isinstance(value, bool):
                    raise ValueError(f"{where}.{key}: must be true or false")
            elif isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{where}.{key}: must be a whole number, 0 or more")
            kwargs[key] = value
        return cls(**kwargs)


CONFIG_KEYS = tuple(f.name for f in fields(LintSettings))


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


@dataclass(frozen=True)
class LintProgress:
    stage: str  # "mounts", "listing", "reading"
    done: int
    total: int


@dataclass(frozen=True)
class LintReport:
    findings: tuple[Finding, ...]
    notes: tuple[str, ...]
    generated_at: datetime
    settings: LintSettings
    checked: Mapping[str, int] = field(default_factory=dict)  # mounts, secrets, transit_keys, leases, certificates
    cancelled: bool = False

    @property
    def clean(self) -> bool:
        return not self.findings

    @property
    def exit_code(self) -> int:
        """0 when nothing was found, 1 otherwise (notes alone do not fail)."""
        return 1 if self.findings else 0

    def count_by_kind(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for finding in self.findings:
            counts[finding.kind.value] = counts.get(finding.kind.value, 0) + 1
        return counts

    def count_by_severity(self) -> dict[str, int]:
        counts = {s.value: 0 for s in Severity}
        for finding in self.findings:
            counts[finding.severity.value] += 1
        return counts


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


# -- collecting -------------------------------------------------------------------------------
def _reason(error: VaultError) -> str:
    return "permission denied" if isinstance(error, PermissionDenied) else sanitise(str(error))


class _Collector:
    def __init__(
        self,
        gateway: Gateway,
        settings: LintSettings,
        now: datetime,
        workers: int,
        cancel: threading.Event | None,
        progress: Callable[[LintProgress], None] | None,
    ) -> None:
        self.gateway = gateway
        self.settings = settings
        self.now = now
        self.workers = workers
        self.cancel = cancel
        self.progress = progress
        self.notes: list[str] = []
        self.findings: list[Finding] = []
        self.kv_configs: dict[str, KvMountConfig | None] = {}
        self.cancelled = False
        self.checked = {"mounts": 0, "secrets": 0, "transit_keys": 0, "leases": 0, "certificates": 0}
        self._lock = threading.Lock()

    def note(self, text: str) -> None:
        with self._lock:
            self.notes.append(text)

    def report(self, stage: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(LintProgress(stage, done, total))

    def is_cancelled(self) -> bool:
        return self.cancel is not None and self.cancel.is_set()

    # Each listing task returns the reads it discovered: (label, thunk) pairs.
    def list_kv(self, mount: str) -> list[tuple[str, Callable[[], object]]]:
        name = mount.rstrip("/")
        try:
            data = self.gateway.data(self.gateway.request("GET", f"{name}/config"), f"{name}/config")
            self.kv_configs[mount] = KvMountConfig(
                cas_required=bool(data.get("cas_required")), max_versions=int(data.get("max_versions") or 0)
            )
        except VaultError as error:
            self.kv_configs[mount] = None
            self.note(f"could not read the configuration of {mount}: {_reason(error)}")
        try:
            paths = kv.scan(self.gateway, EngineKind.KV2, name)
            if not paths:
                kv.list_folder(self.gateway, EngineKind.KV2, name, "")  # surfaces a 403 the walk hides
        except VaultError as error:
            self.note(f"could not list the secrets of {mount}: {_reason(error)}")
            return []
        return [(f"{mount}{p}", _bind(kv.read_metadata, self.gateway, name, p)) for p in paths]

    def list_transit(self, mount: str) -> list[tuple[str, Callable[[], object]]]:
        try:
            names = transit.list_keys(self.gateway, mount)
        except VaultError as error:
            self.note(f"could not list the keys of {mount}: {_reason(error)}")
            return []
        return [(f"{mount}keys/{n}", _bind(transit.read_key, self.gateway, mount, n)) for n in names]

    def list_pki(self, mount: str) -> list[tuple[str, Callable[[], object]]]:
        tasks: list[tuple[str, Callable[[], object]]] = []
        try:
            issuers = pki.list_issuers(self.gateway, mount, now=self.now)
            tasks.extend((f"{mount}issuer/{c.issuer_ref}", _constant(c)) for c in issuers)
        except VaultError as error:
            issuers = ()
            self.note(f"could not read the issuers of {mount}: {_reason(error)}")
        issuer_serials = {c.serial for c in issuers}
        try:
            serials = pki.list_serials(self.gateway, mount)
        except VaultError as error:
            self.note(f"could not list the certificates of {mount}: {_reason(error)}")
            return tasks
        for serial in serials:
            if serial not in issuer_serials:
                read = _bind(pki.read_certificate, self.gateway, mount, serial, now=self.now)
                tasks.append((f"{mount}cert/{serial}", read))
        return tasks

    def list_leases(self, scope: Collection[str] | None) -> list[tuple[str, Callable[[], object]]]:
        try:
            listing = leases.list_all_leases(self.gateway)
        except PermissionDenied:
            self.note("could not list leases: permission denied (listing needs sudo on sys/leases/lookup)")
            return []
        except VaultError as error:
            self.note(f"could not list leases: {_reason(error)}")
            return []
        for folder in listing.hidden:
            if _in_scope(folder, scope):
                self.note(f"could not list leases under {folder}: permission denied")
        for folder, problem in listing.problems:
            if _in_scope(folder, scope):
                self.note(f"could not list leases under {folder}: {_reason(problem)}")
        ids = [i for i in listing.lease_ids if _in_scope(i, scope)]
        return [(i, _bind(leases.lookup_lease, self.gateway, i)) for i in ids]

    def evaluate(self, label: str, outcome: object) -> None:
        if isinstance(outcome, SecretMetadata):
            self.checked["secrets"] += 1
            self.findings.extend(check_secret(outcome, self.kv_configs.get(outcome.mount), self.settings, self.now))
        elif isinstance(outcome, TransitKey):
            self.checked["transit_keys"] += 1
            self.findings.extend(check_transit_key(outcome, self.settings, self.now))
        elif isinstance(outcome, leases.Lease):
            self.checked["leases"] += 1
            self.findings.extend(check_lease(outcome, self.settings, self.now))
        elif isinstance(outcome, Certificate):
            self.checked["certificates"] += 1
            self.findings.extend(check_certificate(outcome, self.settings, self.now))
        elif isinstance(outcome, (leases.LeaseGone, NotFound)):
            pass  # gone between listing and reading: nothing to say
        elif isinstance(outcome, VaultError):
            self.note(f"could not read {label}: {_reason(outcome)}")
        elif isinstance(outcome, BaseException):
            raise outcome


def _bind(fn: Callable[..., object], *args: Any, **kwargs: Any) -> Callable[[], object]:
    return lambda: fn(*args, **kwargs)


def _constant(value: object) -> Callable[[], object]:
    return lambda: value


def _mount_key(name: str) -> str:
    return name.strip().strip("/") + "/"


def _in_scope(path: str, scope: Collection[str] | None) -> bool:
    if scope is None:
        return True
    return any(path.startswith(m) or path.startswith("auth/" + m) for m in scope)


def run_lint(
    gateway: Gateway,
    settings: LintSettings | None = None,
    *,
    now: datetime | None = None,
    mounts: Collection[str] | None = None,
    include_leases: bool = True,
    workers: int = DEFAULT_WORKERS,
    cancel: threading.Event | None = None,
    progress: Callable[[LintProgress], None] | None = None,
) -> LintReport:
    """Lint everything the token can read. Runs in a worker thread; may take a while.

    ``mounts`` limits the run to those mounts (names like ``secret`` or ``secret/``) and to the
    leases under them (``<mount>/...`` and ``auth/<mount>/...``). ``cancel`` stops it early: the
    report then has ``cancelled=True`` and what was found so far."""
    settings = settings or LintSettings()
    now = now or datetime.now(UTC)
    scope = None if mounts is None else {_mount_key(m) for m in mounts}
    col = _Collector(gateway, settings, now, workers, cancel, progress)

    def finish() -> LintReport:
        return LintReport(
            findings=sort_findings(col.findings),
            notes=tuple(col.notes),
            generated_at=now,
            settings=settings,
            checked=dict(col.checked),
            cancelled=col.cancelled,
        )

    col.report("mounts", 0, 1)
    try:
        all_mounts = gateway.mounts()
    except VaultError as error:
        col.note(f"could not read the mount list: {_reason(error)}")
        return finish()
    col.report("mounts", 1, 1)
    chosen: list[Mount] = [m for m in all_mounts if not m.is_auth and (scope is None or m.path in scope)]
    listings: list[Callable[[], object]] = []
    listers = {EngineKind.KV2: col.list_kv, EngineKind.TRANSIT: col.list_transit, EngineKind.PKI: col.list_pki}
    for mount in chosen:
        lister = listers.get(mount.kind)
        if lister is not None:
            listings.append(_bind(lister, mount.path))
            col.checked["mounts"] += 1
    if include_leases:
        listings.append(_bind(col.list_leases, scope))

    listed, cancelled = bounded_map(
        lambda task: task(),
        listings,
        workers=workers,
        cancel=cancel,
        progress=lambda d, t: col.report("listing", d, t),
    )
    reads: list[tuple[str, Callable[[], object]]] = []
    for _task, outcome in listed:
        if isinstance(outcome, VaultError):
            col.note(f"could not list: {_reason(outcome)}")
        elif isinstance(outcome, BaseException):
            raise outcome
        elif isinstance(outcome, list):
            reads.extend(outcome)
    if cancelled or col.is_cancelled():
        col.cancelled = True
        return finish()

    for kv_mount, config in col.kv_configs.items():
        if config is not None:
            col.findings.extend(check_kv_mount(kv_mount, config, settings))

    outcomes, cancelled = bounded_map(
        lambda item: item[1](),
        reads,
        workers=workers,
        cancel=cancel,
        progress=lambda d, t: col.report("reading", d, t),
    )
    for (label, _thunk), outcome in outcomes:
        col.evaluate(label, outcome)
    col.cancelled = cancelled
    # A mount's cas finding counts only the secrets that do not require cas themselves.
    col.findings = _recount_cas(col.findings)
    return finish()


def _recount_cas(findings: list[Finding]) -> list[Finding]:
    exposed: dict[str, int] = {}
    for f in findings:
        if f.kind is FindingKind.SECRET_CAS_OFF:
            exposed[f.mount] = exposed.get(f.mount, 0) + 1
    out = []
    for f in findings:
        if f.kind is FindingKind.MOUNT_CAS_OFF:
            n = exposed.get(f.mount, 0)
            base = f.why.split(";", 1)[0]
            tail = f"; {n} secret{'s' if n != 1 else ''} here do not require it themselves" if n else ""
            f = Finding(f.kind, f.severity, f.item, f.mount, f.name, base + tail)
        out.append(f)
    return out


# -- output -----------------------------------------------------------------------------------
def write_csv(report: LintReport, out: TextIO) -> None:
    """One row per finding, columns :data:`CSV_COLUMNS`. Notes are not rows (see the JSON)."""
    writer = csv.DictWriter(out, fieldnames=list(CSV_COLUMNS), lineterminator="\n")
    writer.writeheader()
    for finding in report.findings:
        writer.writerow(finding.as_row())


def report_json(report: LintReport) -> dict[str, Any]:
    return {
        "generated_at": report.generated_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "clean": report.clean,
        "cancelled": report.cancelled,
        "settings": asdict(report.settings),
        "checked": dict(report.checked),
        "counts": {"by_severity": report.count_by_severity(), "by_kind": report.count_by_kind()},
        "findings": [f.as_row() for f in report.findings],
        "notes": list(report.notes),
    }


def write_json(report: LintReport, out: TextIO) -> None:
    json.dump(report_json(report), out, indent=2, ensure_ascii=False)
    out.write("\n")


FORMATS = ("csv", "json")


def run_lint_cli(
    config: Any,
    out: TextIO,
    fmt: str = "csv",
    *,
    settings: LintSettings | None = None,
    err: TextIO | None = None,
    now: datetime | None = None,
    mounts: Collection[str] | None = None,
) -> int:
    """``vault-tui lint``: connect with ``config`` (an :class:`~vault_tui.config.AppConfig`, or
    anything with ``.connection``), lint, write the report to ``out`` in ``fmt`` (csv or json),
    notes and progress to ``err``. Returns 0 when clean, 1 when anything was found, 2 when the
    lint could not run (bad format, no token, server down or sealed, token refused)."""
    import sys

    err = err if err is not None else sys.stderr
    if fmt not in FORMATS:
        print(f"vault-tui lint: unknown format {fmt!r} (use csv or json)", file=err)
        return 2
    connection = config.connection
    if not connection.token:
        print("vault-tui lint: no token (set VAULT_TOKEN, or sign in with a profile first)", file=err)
        return 2
    settings = settings or getattr(config, "lint", None) or LintSettings()
    gateway = Gateway(connection, read_only=True)  # lint never writes
    try:
        info = gateway.server_info()
        if info.sealed:
            print(f"vault-tui lint: the server at {connection.addr} is sealed", file=err)
            return 2
        gateway.lookup_self()
    except VaultError as error:
        print(f"vault-tui lint: {sanitise(str(error))}", file=err)
        return 2
    interactive = bool(getattr(err, "isatty", lambda: False)())

    def show(step: LintProgress) -> None:
        if interactive and step.total:
            err.write(f"\rlint: {step.stage} {step.done}/{step.total}   ")
            err.flush()

    report = run_lint(gateway, settings, now=now, mounts=mounts, progress=show)
    if interactive:
        err.write("\r" + " " * 40 + "\r")
    for note in report.notes:
        print(f"note: {note}", file=err)
    if fmt == "json":
        write_json(report, out)
    else:
        write_csv(report, out)
    out.flush()
    return report.exit_code
