"""Typed results of Vault calls. Frozen dataclasses only; no behaviour beyond derived views."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


def parse_time(value: Any) -> datetime | None:
    """Parse Vault's RFC 3339 timestamps (nanosecond precision) into aware datetimes."""
    if not value or not isinstance(value, str):
        return None
    text = value.strip()
    if text.startswith("0001-01-01"):
        return None
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    # Trim fractional seconds to microseconds, which is all datetime holds.
    if "." in text:
        head, _, rest = text.partition(".")
        digits = ""
        index = 0
        while index < len(rest) and rest[index].isdigit():
            digits += rest[index]
            index += 1
        text = f"{head}.{digits[:6].ljust(6, '0')}{rest[index:]}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


@dataclass(frozen=True)
class ServerInfo:
    address: str
    flavor: str  # "OpenBao", "Vault" or "unknown"
    version: str
    initialized: bool
    sealed: bool
    standby: bool
    cluster_name: str = ""
    supports_scan: bool = False
    supports_paginated_list: bool = False
    ha_enabled: bool = False
    leader_address: str = ""  # the active node's API address (sys/leader), "" if unknown
    cluster_id: str = ""

    @property
    def active(self) -> bool:
        return self.initialized and not self.sealed and not self.standby

    @property
    def state(self) -> str:
        """ "sealed", "uninitialized", "standby" or "active"."""
        if self.sealed:
            return "sealed"
        if not self.initialized:
            return "uninitialized"
        return "standby" if self.standby else "active"

    @property
    def label(self) -> str:
        state = "sealed" if self.sealed else ("standby" if self.standby else "active")
        return f"{self.flavor} {self.version} ({state})"


@dataclass(frozen=True)
class TokenInfo:
    accessor: str
    display_name: str
    policies: tuple[str, ...]
    ttl: int  # seconds remaining when looked up; 0 = never expires
    renewable: bool
    expire_time: datetime | None
    issue_time: datetime | None = None
    entity_id: str = ""
    orphan: bool = False
    token_type: str = "service"
    meta: Mapping[str, str] = field(default_factory=dict)
    num_uses: int = 0  # uses left; 0 = unlimited. Every request (a LIST too) spends one.

    @property
    def expires(self) -> bool:
        return self.expire_time is not None

    @property
    def use_limited(self) -> bool:
        """True for a token with a use limit: nothing should be sent in the background for it."""
        return self.num_uses > 0


class EngineKind(StrEnum):
    KV1 = "kv1"
    KV2 = "kv2"
    TRANSIT = "transit"
    DATABASE = "database"
    PKI = "pki"
    CUBBYHOLE = "cubbyhole"
    OTHER = "other"


# Mount types that hold the server's own machinery, not data to browse. In a namespace they are
# ``ns_system``, ``ns_identity`` (and the auth mount ``ns_token``).
INTERNAL_MOUNT_TYPES = frozenset({"system", "identity", "ns_system", "ns_identity", "ns_token"})


@dataclass(frozen=True)
class Mount:
    path: str  # with trailing slash, e.g. "secret/"
    type: str
    description: str = ""
    accessor: str = ""
    options: Mapping[str, str] = field(default_factory=dict)
    is_auth: bool = False

    @property
    def name(self) -> str:
        return self.path.rstrip("/")

    @property
    def kind(self) -> EngineKind:
        if self.type in ("kv", "generic"):
            version = str((self.options or {}).get("version") or "1")
            return EngineKind.KV2 if version == "2" else EngineKind.KV1
        # A namespace's own cubbyhole ("ns_cubbyhole") is the same engine as the root's.
        if self.type in ("cubbyhole", "ns_cubbyhole"):
            return EngineKind.CUBBYHOLE
        if self.type.startswith("ns_"):
            return EngineKind.OTHER
        try:
            return EngineKind(self.type)
        except ValueError:
            return EngineKind.OTHER

    @property
    def is_kv(self) -> bool:
        return not self.is_auth and self.kind in (EngineKind.KV1, EngineKind.KV2, EngineKind.CUBBYHOLE)

    @property
    def browsable(self) -> bool:
        """Whether the mounts tree shows this mount at all.

        False for auth mounts and the server's internal mounts (``sys/`` and ``identity/``, in a
        namespace ``ns_system``/``ns_identity`` and any other ``ns_*`` type). True for every
        secrets engine, including both cubbyholes: ``ns_cubbyhole`` is the namespace's own
        per-token cubbyhole, readable and writable exactly like ``cubbyhole`` in the root.
        Whether the tree can expand it is :attr:`is_kv`.
        """
        if self.is_auth:
            return False
        if self.type in INTERNAL_MOUNT_TYPES:
            return False
        return self.type == "ns_cubbyhole" or not self.type.startswith("ns_")

    @property
    def kind_label(self) -> str:
        return {
            EngineKind.KV1: "kv v1",
            EngineKind.KV2: "kv v2",
            EngineKind.CUBBYHOLE: "cubbyhole",
        }.get(self.kind, self.type)


@dataclass(frozen=True)
class Listing:
    """Keys directly under a folder. Folder keys end in '/'."""

    mount: str
    path: str  # folder path inside the mount, "" or ending in "/"
    keys: tuple[str, ...]
    truncated: bool = False  # more pages exist but were not fetched (bounded fetch)

    @property
    def folders(self) -> tuple[str, ...]:
        return tuple(k for k in self.keys if k.endswith("/"))

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(k for k in self.keys if not k.endswith("/"))


class VersionState(StrEnum):
    LIVE = "live"
    DELETED = "deleted"
    DESTROYED = "destroyed"


def is_deleted_at(deletion_time: datetime | None, now: datetime | None = None) -> bool:
    """A version is deleted once its deletion time has passed. With ``delete_version_after`` set,
    KV v2 reports the *scheduled* deletion of a live version as a future ``deletion_time``."""
    if deletion_time is None:
        return False
    return deletion_time <= (now or datetime.now(UTC))


@dataclass(frozen=True)
class VersionInfo:
    version: int
    created_time: datetime | None
    deletion_time: datetime | None
    destroyed: bool

    @property
    def state(self) -> VersionState:
        if self.destroyed:
            return VersionState.DESTROYED
        if is_deleted_at(self.deletion_time):
            return VersionState.DELETED
        return VersionState.LIVE


@dataclass(frozen=True)
class SecretMetadata:
    mount: str
    path: str
    current_version: int
    oldest_version: int
    created_time: datetime | None
    updated_time: datetime | None
    max_versions: int
    cas_required: bool
    delete_version_after: str
    custom_metadata: Mapping[str, str]
    versions: tuple[VersionInfo, ...]

    def version(self, number: int) -> VersionInfo | None:
        for info in self.versions:
            if info.version == number:
                return info
        return None


@dataclass(frozen=True)
class SecretData:
    """The data of one secret version (KV v2) or of a KV v1 secret (version = None)."""

    mount: str
    path: str
    data: Mapping[str, Any]
    version: int | None = None
    created_time: datetime | None = None
    deletion_time: datetime | None = None
    destroyed: bool = False
    custom_metadata: Mapping[str, str] = field(default_factory=dict)

    @property
    def state(self) -> VersionState:
        if self.destroyed:
            return VersionState.DESTROYED
        if is_deleted_at(self.deletion_time):
            return VersionState.DELETED
        return VersionState.LIVE


@dataclass(frozen=True)
class WriteResult:
    mount: str
    path: str
    version: int | None  # new KV v2 version; None on KV v1


@dataclass(frozen=True)
class Capabilities:
    path: str
    capabilities: tuple[str, ...]

    def allows(self, capability: str) -> bool:
        caps = set(self.capabilities)
        if "root" in caps:
            return True
        if "deny" in caps:
            return False
        return capability in caps
