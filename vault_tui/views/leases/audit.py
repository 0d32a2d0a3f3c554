"""Lease audit: the inventory summary, its filters, the expiry histogram and the export.

Textual-free (pure logic plus one Vault-layer-driven export loop), so the lease dashboard, its
worker and the command line (``vault-tui leases export``) share it.

Summary
    :func:`summarize` counts the leases by mount, by role or auth path (the lease id's prefix,
    e.g. ``database/creds/readonly`` or ``auth/userpass/login/alice``) and by state. Every count is
    a :class:`Bucket` with a stable ``key``; :func:`matches` (``matches(lease, key, now)``) is the
    predicate that narrows a table to that bucket.

Keys
    ``all`` · ``mount:<mount>`` (``mount:database/``) · ``role:<prefix>``
    (``role:database/creds/readonly``) · ``state:<state>`` (see :class:`State`) ·
    ``expires:<from>-<to>`` (seconds from now, a histogram bar; ``expires:86400-`` is open-ended).

States
    * ``expiring-1h`` / ``expiring-24h`` / ``expiring-later``: a partition by time left — at most
      1 h (expired ones included), more than 1 h up to 24 h, more than 24 h (thresholds in
      :class:`AuditSettings`). ``no-expiry``: the lease has no expire time.
    * ``non-renewable``: ``sys/leases/renew`` cannot renew it (the server says so, PKI, and every
      auth/token lease; see :attr:`vault_tui.vault.leases.Lease.renewable`).
    * ``near-max-ttl``: *renewal will not extend it (meaningfully)*. A lease can live at most
      ``issue_time + max_ttl``; the effective ``max_ttl`` is the role's ``max_ttl`` capped by the
      mount's tuned ``max_lease_ttl`` (:class:`vault_tui.vault.roles.RoleInfo`). The lease look-up
      gives ``issue_time`` and ``expire_time``; a renewable lease is *near its max TTL* when
      ``hard_limit - expire_time <= max(60 s, 10 % of max_ttl)``, i.e. the most a renewal could
      still add is that slack. (A role whose default TTL equals its max TTL issues leases that are
      at their max from the start.) Needs the role check; unknown roles never count here.
    * ``orphaned``: a secrets-engine lease whose role no longer exists (``<mount>/roles/<role>``
      answers 404). Needs the role check; roles that could not be read (403) are not counted.
    * ``not-looked-up``: listed but not (yet) looked up, or the look-up failed.

Export
    :data:`LEASE_FIELDS` per lease — never a secret value (a lease look-up holds none).
    :class:`LeaseExportWriter` writes CSV or JSON row by row, and :func:`export_leases` looks the
    leases up one by one and writes each as it arrives, so a large inventory never sits in memory.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, TextIO

from ...vault.errors import VaultError
from ...vault.gateway import Gateway
from ...vault.leases import Lease, LeaseGone, list_all_leases, lookup_lease
from ...vault.roles import (
    LeaseOrigin,
    MountTable,
    RoleCache,
    RoleInfo,
    check_lease_roles,
    mount_table,
    parse_lease_id,
)
from .histogram import WINDOW, format_offset
from .histogram import ExpiryHistogram as ExpiryHistogram  # re-exported: the audit's public names
from .histogram import HistogramBin as HistogramBin
from .histogram import expiry_histogram as expiry_histogram
from .histogram import window_key as window_key

KEY_ALL = "all"
MOUNT = "mount:"
ROLE = "role:"
STATE = "state:"

RoleIndex = Mapping[tuple[str, str], RoleInfo]


class State(StrEnum):
    EXPIRING_1H = "expiring-1h"
    EXPIRING_24H = "expiring-24h"
    EXPIRING_LATER = "expiring-later"
    NO_EXPIRY = "no-expiry"
    NON_RENEWABLE = "non-renewable"
    NEAR_MAX_TTL = "near-max-ttl"
    ORPHANED = "orphaned"
    NOT_LOOKED_UP = "not-looked-up"

    @property
    def key(self) -> str:
        return STATE + self.value


STATE_LABELS: Mapping[State, str] = {
    State.EXPIRING_1H: "expiring within 1 h",
    State.EXPIRING_24H: "expiring in 1–24 h",
    State.EXPIRING_LATER: "expiring later",
    State.NO_EXPIRY: "no expiry",
    State.NON_RENEWABLE: "not renewable",
    State.NEAR_MAX_TTL: "near max TTL",
    State.ORPHANED: "orphaned (role deleted)",
    State.NOT_LOOKED_UP: "not looked up",
}

STATE_HELP: Mapping[State, str] = {
    State.EXPIRING_1H: "at most one hour left (expired ones included)",
    State.EXPIRING_24H: "more than one hour and at most 24 hours left",
    State.EXPIRING_LATER: "more than 24 hours left",
    State.NO_EXPIRY: "the lease has no expire time",
    State.NON_RENEWABLE: "sys/leases/renew cannot renew it (server says so, PKI, auth/token leases)",
    State.NEAR_MAX_TTL: "renewal cannot extend it much: its expiry is within the slack of issue time + max TTL",
    State.ORPHANED: "the role that issued it no longer exists",
    State.NOT_LOOKED_UP: "listed, but not looked up yet (or the look-up failed)",
}

#: States whose test needs the role check (:func:`vault_tui.vault.roles.check_roles`).
ROLE_STATES = frozenset({State.NEAR_MAX_TTL, State.ORPHANED})


@dataclass(frozen=True)
class AuditSettings:
    soon_seconds: float = 3600.0  # "expiring within 1 h"
    day_seconds: float = 86400.0  # "within 24 h"
    near_max_fraction: float = 0.10  # slack, as a fraction of the max TTL ...
    near_max_min_seconds: float = 60.0  # ... but never less than this

    def near_max_slack(self, max_ttl: int) -> float:
        return max(self.near_max_min_seconds, self.near_max_fraction * max_ttl)


DEFAULT_SETTINGS = AuditSettings()


def utcnow() -> datetime:
    return datetime.now(UTC)


# -- keys ----------------------------------------------------------------------------------------
def mount_key(mount: str) -> str:
    return MOUNT + mount


def role_key(origin: LeaseOrigin) -> str:
    return ROLE + origin.group


def state_key(state: State | str) -> str:
    return STATE + (state.value if isinstance(state, State) else state)


def key_needs_roles(key: str) -> bool:
    """True when filtering by ``key`` needs the role check (orphaned, near max TTL)."""
    return key in {s.key for s in ROLE_STATES}


def describe_key(key: str) -> str:
    """A plain label for a key (for a filter banner). Server text inside still needs ``visible()``."""
    if key == KEY_ALL:
        return "all leases"
    if key.startswith(MOUNT):
        return f"mount {key[len(MOUNT) :]}"
    if key.startswith(ROLE):
        return f"role {key[len(ROLE) :]}"
    if key.startswith(STATE):
        try:
            return STATE_LABELS[State(key[len(STATE) :])]
        except ValueError:
            return key
    if key.startswith(WINDOW):
        start, end = _window_bounds(key)
        return f"expiring {format_offset(start)} to {format_offset(end) if end is not None else 'later'}"
    return key


def _window_bounds(key: str) -> tuple[float, float | None]:
    text = key[len(WINDOW) :]
    start_text, _, end_text = text.partition("-")
    try:
        start = float(start_text) if start_text else float("-inf")
        end = float(end_text) if end_text else None
    except ValueError:
        raise ValueError(f"not a valid expiry window: {key!r}") from None
    return start, end


def validate_key(key: str) -> str:
    """Raise ValueError for a key that no lease could match because it is malformed."""
    if key == KEY_ALL or key.startswith((MOUNT, ROLE)):
        return key
    if key.startswith(STATE):
        try:
            State(key[len(STATE) :])
        except ValueError:
            names = ", ".join(s.value for s in State)
            raise ValueError(f"unknown lease state {key[len(STATE) :]!r} (one of: {names})") from None
        return key
    if key.startswith(WINDOW):
        _window_bounds(key)
        return key
    raise ValueError(f"unknown filter {key!r} (all, mount:M, role:PREFIX, state:S or expires:FROM-TO)")


# -- facts about one lease -------------------------------------------------------------------------
@dataclass(frozen=True)
class LeaseFacts:
    """Everything the audit derives about one lease (or one listed id not looked up)."""

    origin: LeaseOrigin
    lease: Lease | None
    states: frozenset[State]
    remaining: float | None  # seconds left at ``now``; None without an expire time
    hard_limit: datetime | None = None  # issue_time + effective max TTL, when known
    role: RoleInfo | None = None

    @property
    def lease_id(self) -> str:
        return self.origin.lease_id

    @property
    def keys(self) -> frozenset[str]:
        return frozenset({KEY_ALL, mount_key(self.origin.mount), role_key(self.origin), *(s.key for s in self.states)})


def lease_facts(
    lease: Lease | str,
    now: datetime,
    *,
    roles: RoleIndex | None = None,
    mounts: MountTable | None = None,
    settings: AuditSettings = DEFAULT_SETTINGS,
) -> LeaseFacts:
    """Classify one lease. A plain id (not looked up) only gets its origin and ``not-looked-up``."""
    lease_id = lease if isinstance(lease, str) else lease.id
    origin = parse_lease_id(lease_id, mounts)
    info = (roles or {}).get(origin.role_key) if not origin.is_auth and origin.role else None
    states: set[State] = set()
    if info is not None and info.orphaned:
        states.add(State.ORPHANED)
    if isinstance(lease, str):
        states.add(State.NOT_LOOKED_UP)
        return LeaseFacts(origin, None, frozenset(states), None, None, info)
    remaining = lease.remaining(now)
    if remaining is None:
        states.add(State.NO_EXPIRY)
    elif remaining <= settings.soon_seconds:
        states.add(State.EXPIRING_1H)
    elif remaining <= settings.day_seconds:
        states.add(State.EXPIRING_24H)
    else:
        states.add(State.EXPIRING_LATER)
    if not lease.renewable:
        states.add(State.NON_RENEWABLE)
    hard = None
    max_ttl = info.max_ttl if info is not None else None
    if max_ttl and lease.issue_time is not None:
        hard = lease.issue_time + timedelta(seconds=max_ttl)
        if (
            lease.renewable
            and lease.expire_time is not None
            and (hard - lease.expire_time).total_seconds() <= settings.near_max_slack(max_ttl)
        ):
            states.add(State.NEAR_MAX_TTL)
    return LeaseFacts(origin, lease, frozenset(states), remaining, hard, info)


def matches(
    lease: Lease | str,
    key: str,
    now: datetime,
    *,
    roles: RoleIndex | None = None,
    mounts: MountTable | None = None,
    settings: AuditSettings = DEFAULT_SETTINGS,
) -> bool:
    """Does ``lease`` (a looked-up :class:`Lease`, or a bare id) fall in the bucket ``key``?"""
    if key == KEY_ALL:
        return True
    if key.startswith(WINDOW):
        if isinstance(lease, str):
            return False
        remaining = lease.remaining(now)
        if remaining is None:
            return False
        start, end = _window_bounds(key)
        return remaining >= start and (end is None or remaining < end)
    facts = lease_facts(lease, now, roles=roles, mounts=mounts, settings=settings)
    return key in facts.keys


def filter_ids(
    lease_ids: Iterable[str],
    known: Mapping[str, Lease],
    key: str,
    now: datetime,
    *,
    roles: RoleIndex | None = None,
    mounts: MountTable | None = None,
    settings: AuditSettings = DEFAULT_SETTINGS,
) -> list[str]:
    """The ids (in order) whose lease — or, when not looked up, whose id — matches ``key``."""
    return [i for i in lease_ids if matches(known.get(i) or i, key, now, roles=roles, mounts=mounts, settings=settings)]


# -- the summary -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Bucket:
    key: str
    kind: str  # "mount" | "role" | "state"
    label: str  # server text for mount/role buckets: show through vault_tui.safe.visible()
    count: int
    mount: str = ""
    role: str = ""
    is_auth: bool = False
    note: str = ""  # e.g. "role deleted"


@dataclass(frozen=True)
class InventorySummary:
    now: datetime
    total: int
    looked_up: int
    by_mount: tuple[Bucket, ...]
    by_role: tuple[Bucket, ...]
    by_state: tuple[Bucket, ...]  # every State, in a fixed order, zero counts included
    roles_checked: bool = False  # False: orphaned / near-max counts are not known yet

    @property
    def buckets(self) -> tuple[Bucket, ...]:
        return (*self.by_state, *self.by_mount, *self.by_role)

    def bucket(self, key: str) -> Bucket | None:
        for bucket in self.buckets:
            if bucket.key == key:
                return bucket
        return None

    def count(self, key: str) -> int:
        if key == KEY_ALL:
            return self.total
        bucket = self.bucket(key)
        return bucket.count if bucket is not None else 0


def summarize(
    lease_ids: Iterable[str],
    known: Mapping[str, Lease],
    now: datetime,
    *,
    roles: RoleIndex | None = None,
    mounts: MountTable | None = None,
    settings: AuditSettings = DEFAULT_SETTINGS,
) -> InventorySummary:
    """Counts over ``lease_ids``; ``known`` holds the looked-up ones (e.g. the dashboard model's
    ``ids`` and ``known``). Pass ``roles`` from :func:`vault_tui.vault.roles.check_lease_roles`
    to count orphaned and near-max-TTL leases."""
    mount_counts: dict[str, int] = {}
    role_counts: dict[str, int] = {}
    role_origin: dict[str, LeaseOrigin] = {}
    role_note: dict[str, str] = {}
    state_counts: dict[State, int] = dict.fromkeys(State, 0)
    total = looked_up = 0
    for lease_id in lease_ids:
        lease = known.get(lease_id)
        facts = lease_facts(lease or lease_id, now, roles=roles, mounts=mounts, settings=settings)
        total += 1
        looked_up += lease is not None
        origin = facts.origin
        mount_counts[origin.mount] = mount_counts.get(origin.mount, 0) + 1
        group = origin.group
        role_counts[group] = role_counts.get(group, 0) + 1
        role_origin.setdefault(group, origin)
        if State.ORPHANED in facts.states:
            role_note[group] = "role deleted"
        for state in facts.states:
            state_counts[state] += 1
    by_mount = tuple(
        Bucket(mount_key(m), "mount", m or "(none)", n, mount=m, is_auth=m.startswith("auth/"))
        for m, n in sorted(mount_counts.items(), key=lambda item: (-item[1], item[0]))
    )
    by_role = tuple(
        Bucket(
            ROLE + g,
            "role",
            g or "(none)",
            n,
            mount=role_origin[g].mount,
            role=role_origin[g].role,
            is_auth=role_origin[g].is_auth,
            note=role_note.get(g, ""),
        )
        for g, n in sorted(role_counts.items(), key=lambda item: (-item[1], item[0]))
    )
    by_state = tuple(Bucket(s.key, "state", STATE_LABELS[s], state_counts[s], note=STATE_HELP[s]) for s in State)
    return InventorySummary(now, total, looked_up, by_mount, by_role, by_state, roles_checked=roles is not None)


def summarize_leases(
    leases: Iterable[Lease],
    now: datetime,
    *,
    roles: RoleIndex | None = None,
    mounts: MountTable | None = None,
    settings: AuditSettings = DEFAULT_SETTINGS,
) -> InventorySummary:
    known = {lease.id: lease for lease in leases}
    return summarize(list(known), known, now, roles=roles, mounts=mounts, settings=settings)


@dataclass(frozen=True)
class AuditContext:
    """What the audit needs besides the leases: the role check and the mount table. Build it in a
    worker with :func:`load_audit_context`; then ``ctx.matches(lease, key, now)`` is the table filter."""

    roles: RoleIndex | None = None
    mounts: MountTable | None = None
    settings: AuditSettings = DEFAULT_SETTINGS

    def facts(self, lease: Lease | str, now: datetime) -> LeaseFacts:
        return lease_facts(lease, now, roles=self.roles, mounts=self.mounts, settings=self.settings)

    def matches(self, lease: Lease | str, key: str, now: datetime) -> bool:
        return matches(lease, key, now, roles=self.roles, mounts=self.mounts, settings=self.settings)

    def summarize(self, lease_ids: Iterable[str], known: Mapping[str, Lease], now: datetime) -> InventorySummary:
        return summarize(lease_ids, known, now, roles=self.roles, mounts=self.mounts, settings=self.settings)


def load_audit_context(
    gateway: Gateway,
    lease_ids: Iterable[str],
    *,
    cache: RoleCache | None = None,
    settings: AuditSettings = DEFAULT_SETTINGS,
) -> AuditContext:
    """Vault calls (run in a worker thread): the mount table, and one role check per distinct
    (mount, role) among ``lease_ids`` (cached in ``cache`` across refreshes)."""
    mounts = mount_table(gateway)
    roles = check_lease_roles(gateway, lease_ids, mounts=mounts, cache=cache)
    return AuditContext(roles, mounts, settings)


# -- export ----------------------------------------------------------------------------------------
FORMATS = ("csv", "json")
EXPORT_FORMAT = "vault-tui-lease-inventory"
EXPORT_VERSION = 1

#: One exported row. Never a secret value: a lease look-up holds none.
LEASE_FIELDS = ("lease_id", "mount", "role", "issue_time", "expire_time", "last_renewal", "ttl", "renewable")

# Spreadsheet programs run a cell that starts with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def lease_record(lease: Lease, now: datetime, *, mounts: MountTable | None = None) -> dict[str, Any]:
    """The export row of one lease. ``ttl`` is the seconds left at ``now`` or at the lease's look-up,
    whichever is later (0 = expired; the server's own ``ttl`` when the lease has no expire time)."""
    origin = parse_lease_id(lease.id, mounts)
    # Seconds left when the row is written: at ``now``, or at the look-up if that came later (a
    # streaming export looks each lease up after the export started).
    at = max(now, lease.looked_up_at) if lease.looked_up_at is not None else now
    remaining = lease.remaining(at)
    ttl = max(0, int(remaining)) if remaining is not None else lease.ttl
    return {
        "lease_id": lease.id,
        "mount": origin.mount,
        "role": origin.role,
        "issue_time": iso(lease.issue_time),
        "expire_time": iso(lease.expire_time),
        "last_renewal": iso(lease.last_renewal),
        "ttl": ttl,
        "renewable": lease.renewable,
    }


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text  # never a formula in a spreadsheet
    return text


class LeaseExportWriter:
    """Writes the inventory row by row as CSV or JSON to an open text stream.

    JSON: ``{"format": "vault-tui-lease-inventory", "version": 1, "exported_at": ..., "fields":
    [...], "leases": [{...}, ...], "skipped": N, "errors": [{"lease_id", "error"}]}``. CSV: a header
    line of :data:`LEASE_FIELDS`, then one line per lease. Call :meth:`close` to finish the document
    (it does not close the stream)."""

    def __init__(self, out: TextIO, fmt: str, *, now: datetime | None = None, mounts: MountTable | None = None):
        if fmt not in FORMATS:
            raise ValueError(f"unknown export format {fmt!r} (csv or json)")
        self.out = out
        self.fmt = fmt
        self.now = now or utcnow()
        self.mounts = mounts
        self.count = 0
        self._closed = False
        if fmt == "csv":
            self._csv = csv.writer(out, lineterminator="\n")
            self._csv.writerow(LEASE_FIELDS)
        else:
            head = {
                "format": EXPORT_FORMAT,
                "version": EXPORT_VERSION,
                "exported_at": iso(self.now),
                "fields": list(LEASE_FIELDS),
            }
            out.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "leases": [')

    def write(self, lease: Lease) -> None:
        record = lease_record(lease, self.now, mounts=self.mounts)
        if self.fmt == "csv":
            self._csv.writerow([_csv_cell(record[f]) for f in LEASE_FIELDS])
        else:
            self.out.write(("\n  " if self.count == 0 else ",\n  ") + json.dumps(record, ensure_ascii=False))
        self.count += 1

    def close(self, *, skipped: int = 0, errors: Sequence[tuple[str, str]] = ()) -> None:
        if self._closed:
            return
        self._closed = True
        if self.fmt == "json":
            tail = {"skipped": skipped, "errors": [{"lease_id": i, "error": e} for i, e in errors]}
            self.out.write(("\n" if self.count else "") + "], " + json.dumps(tail, ensure_ascii=False)[1:] + "\n")
        self.out.flush()


def write_leases(
    out: TextIO, fmt: str, leases: Iterable[Lease], *, now: datetime | None = None, mounts: MountTable | None = None
) -> int:
    """Write already looked-up leases (e.g. the dashboard's) to ``out``. Returns the row count."""
    writer = LeaseExportWriter(out, fmt, now=now, mounts=mounts)
    for lease in leases:
        writer.write(lease)
    writer.close()
    return writer.count


@dataclass(frozen=True)
class LeaseExportStats:
    listed: int  # ids found by the walk (or given)
    written: int  # rows written
    filtered_out: int  # looked up, but not matching the filter key
    gone: int  # expired or revoked between the listing and the look-up
    errors: tuple[tuple[str, str], ...] = ()  # (lease id, error) for failed look-ups
    hidden: tuple[str, ...] = ()  # top-level folders the token may not list
    problems: tuple[tuple[str, str], ...] = ()  # (folder, error) whose listing failed

    @property
    def complete(self) -> bool:
        return not self.errors and not self.hidden and not self.problems


def iter_looked_up(
    gateway: Gateway,
    lease_ids: Sequence[str],
    *,
    on_progress: Callable[[int, int], None] | None = None,
    gone: list[str] | None = None,
    errors: list[tuple[str, str]] | None = None,
) -> Iterator[Lease]:
    """Look the leases up one at a time and yield each as it arrives. Gone leases are appended
    to ``gone``, failures to ``errors``; neither stops the walk."""
    total = len(lease_ids)
    for done, lease_id in enumerate(lease_ids, 1):
        try:
            lease = lookup_lease(gateway, lease_id)
        except LeaseGone:
            if gone is not None:
                gone.append(lease_id)
            lease = None
        except VaultError as error:
            if errors is not None:
                errors.append((lease_id, str(error)))
            lease = None
        if on_progress is not None:
            on_progress(done, total)
        if lease is not None:
            yield lease


def export_leases(
    gateway: Gateway,
    out: TextIO,
    fmt: str,
    *,
    lease_ids: Sequence[str] | None = None,
    key: str = KEY_ALL,
    mounts: MountTable | None = None,
    roles: RoleIndex | None = None,
    on_listed: Callable[[int], None] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    now: datetime | None = None,
    settings: AuditSettings = DEFAULT_SETTINGS,
) -> LeaseExportStats:
    """List (unless ``lease_ids`` is given), look up and write every lease matching ``key``.

    Runs in a worker thread (or the command line). Without sudo on ``sys/leases/lookup/`` the
    listing raises :class:`vault_tui.vault.errors.PermissionDenied`: pass ``lease_ids`` (e.g. the
    leases this session issued) instead."""
    validate_key(key)
    hidden: tuple[str, ...] = ()
    problems: tuple[tuple[str, str], ...] = ()
    if lease_ids is None:
        listing = list_all_leases(gateway)
        lease_ids = listing.lease_ids
        hidden = listing.hidden
        problems = tuple((folder, str(error)) for folder, error in listing.problems)
    ids = list(lease_ids)
    if on_listed is not None:
        on_listed(len(ids))
    if mounts is None:
        mounts = mount_table(gateway)
    if roles is None and key_needs_roles(key):
        roles = check_lease_roles(gateway, ids, mounts=mounts)
    writer = LeaseExportWriter(out, fmt, now=now, mounts=mounts)
    gone: list[str] = []
    errors: list[tuple[str, str]] = []
    filtered = 0
    for lease in iter_looked_up(gateway, ids, on_progress=on_progress, gone=gone, errors=errors):
        if key != KEY_ALL and not matches(lease, key, writer.now, roles=roles, mounts=mounts, settings=settings):
            filtered += 1
            continue
        writer.write(lease)
    writer.close(skipped=len(gone), errors=errors)
    return LeaseExportStats(len(ids), writer.count, filtered, len(gone), tuple(errors), hidden, problems)


def read_export(text: str) -> list[dict[str, Any]]:
    """Parse an export (CSV or JSON) back into rows with typed ``ttl`` and ``renewable``."""
    stripped = text.lstrip()
    if stripped.startswith("{"):
        document = json.loads(stripped)
        if document.get("format") != EXPORT_FORMAT:
            raise ValueError("not a vault-tui lease inventory")
        return list(document.get("leases") or [])
    rows: list[dict[str, Any]] = []
    for row in csv.DictReader(text.splitlines()):
        record: dict[str, Any] = {
            k: (v[1:] if v.startswith("'") and v[1:2] in _FORMULA_START else v) or None for k, v in row.items()
        }
        record["ttl"] = int(record["ttl"] or 0)
        record["renewable"] = record["renewable"] == "true"
        rows.append(record)
    return rows
