"""Secret hygiene: the lint engine behind ``:lint`` and ``vault-tui lint`` (no Textual here).

:func:`run_lint` reads, with bounded concurrency, what the token may read of

* KV v2 mounts (their ``config``) and every secret's metadata (never a value),
* transit keys,
* leases (needs ``sudo`` on ``sys/leases/lookup``),
* PKI certificates and issuers,

and returns a :class:`LintReport`: findings (kind, severity, where, and a plain "why") and notes
about what could not be read ("could not read X: permission denied"). Thresholds come from a
frozen :class:`~.checks.LintSettings`. The report never holds a value, a token or a secret: only paths,
names, dates and settings. :func:`write_csv` and :func:`write_json` write it; :func:`run_lint_cli`
is the command-line entry point (exit code 0 clean, 1 findings, 2 could not run).

The settings, the findings and the pure checks (what counts as a problem, and why) are in
:mod:`.checks`; this module reads, runs them and writes the report.
"""

from __future__ import annotations

import csv
import json
import threading
from collections.abc import Callable, Collection, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO

from ...trail import sanitise
from ...vault import kv, leases, pki, transit
from ...vault.errors import NotFound, PermissionDenied, VaultError
from ...vault.gateway import Gateway
from ...vault.models import EngineKind, Mount, SecretMetadata
from ...vault.pki import bounded_map
from ...vault.pki_models import Certificate
from ...vault.transit_models import TransitKey
from .checks import (
    Finding,
    FindingKind,
    KvMountConfig,
    LintSettings,
    Severity,
    check_certificate,
    check_kv_mount,
    check_lease,
    check_secret,
    check_transit_key,
    sort_findings,
)

DEFAULT_WORKERS = 6
CSV_COLUMNS = ("severity", "kind", "item", "mount", "name", "path", "why")


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
