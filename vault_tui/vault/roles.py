"""Where a lease comes from, and whether its role still exists.

A lease id is ``<mount><endpoint>/<role>/<unique id>``: ``database/creds/readonly/AbC`` (mount
``database/``, endpoint ``creds``, role ``readonly``), ``auth/userpass/login/alice/AbC`` (auth path
``auth/userpass/``, endpoint ``login``, "role" ``alice``, the user), ``auth/token/create/AbC``.
:func:`parse_lease_id` splits it, exactly when the mount table is known (longest mount prefix),
by a heuristic otherwise.

:func:`role_exists` / :func:`check_roles` read ``<mount>/roles/<role>`` (``role/`` on the engines
that name it so) to tell whether a secrets-engine lease's role was deleted (the lease is then
*orphaned*: it cannot be re-issued and nobody manages it), and learn the role's ``max_ttl`` and
the mount's tuned ``max_lease_ttl``: together they give the **effective max TTL**, the hard limit
``issue_time + max_ttl`` past which a renewal cannot extend the lease. Results are cached per
role (:class:`RoleCache`). Auth leases are not checked (their "role" is a user or a token role,
and ``sys/leases/renew`` cannot renew them anyway).

Reads only; no values are involved (a role's definition is configuration, and only its
existence and TTLs are kept).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import NotFound, PermissionDenied, VaultError
from .gateway import Gateway

#: Path segments that put a role name after them in a secrets-engine lease id.
CREDS_ENDPOINTS = ("creds", "sts", "issue", "sign")
#: Path segments after which an auth lease id names a user / role (``login/alice``, ``create/myrole``).
AUTH_ENDPOINTS = ("login", "create", "create-orphan")

#: Where each secrets engine keeps its roles (``<mount>/<folder>/<role>``).
ROLE_FOLDERS: Mapping[str, str] = {
    "database": "roles",
    "aws": "roles",
    "azure": "roles",
    "consul": "roles",
    "kubernetes": "roles",
    "mongodbatlas": "roles",
    "pki": "roles",
    "rabbitmq": "roles",
    "ssh": "roles",
    "nomad": "role",
    "ldap": "role",
    "openldap": "role",
    "alicloud": "role",
    "terraform": "role",
}

#: Mount path (with trailing slash; auth mounts as ``auth/<path>/``) → engine / method type.
MountTable = Mapping[str, str]


@dataclass(frozen=True)
class LeaseOrigin:
    """What a lease id says about where it came from."""

    lease_id: str
    mount: str  # "database/", "auth/userpass/" (always with a trailing slash)
    endpoint: str  # "creds", "login", "create", ... ("" when the id has no such part)
    role: str  # role, user or token role ("" when the id names none)
    is_auth: bool
    engine: str = ""  # the mount's type when known ("database", "userpass", ...)

    @property
    def group(self) -> str:
        """The lease's prefix without the unique id: ``database/creds/readonly``."""
        return self.lease_id.rpartition("/")[0]

    @property
    def role_key(self) -> tuple[str, str]:
        return (self.mount, self.role)


def mount_table(gateway: Gateway) -> dict[str, str]:
    """Every mount this token can see (``sys/internal/ui/mounts``), auth mounts as ``auth/<path>/``.

    A token that may not read it gets an empty table (lease ids are then split by heuristics)."""
    try:
        mounts = gateway.mounts()
    except PermissionDenied:
        return {}
    table: dict[str, str] = {}
    for mount in mounts:
        path = mount.path if mount.path.endswith("/") else mount.path + "/"
        table[("auth/" + path) if mount.is_auth else path] = mount.type
    return table


def parse_lease_id(lease_id: str, mounts: MountTable | None = None) -> LeaseOrigin:
    """Split a lease id into mount, endpoint and role (see the module docstring)."""
    is_auth = lease_id.startswith("auth/")
    if mounts:
        best = ""
        for path in mounts:
            if lease_id.startswith(path) and len(path) > len(best):
                best = path
        if best:
            rest = lease_id[len(best) :].split("/")[:-1]  # drop the unique id
            endpoint = rest[0] if rest else ""
            role = "/".join(rest[1:])
            return LeaseOrigin(lease_id, best, endpoint, role, is_auth, mounts[best])
    parts = lease_id.split("/")[:-1]
    if not parts:
        return LeaseOrigin(lease_id, "", "", "", is_auth)
    if is_auth:
        # auth/<path...>/<endpoint>/<role...>: the first endpoint word after the auth path.
        for index in range(2, len(parts)):
            if parts[index] in AUTH_ENDPOINTS:
                return LeaseOrigin(
                    lease_id, "/".join(parts[:index]) + "/", parts[index], "/".join(parts[index + 1 :]), True
                )
        return LeaseOrigin(lease_id, "/".join(parts[:2]) + "/", "/".join(parts[2:3]), "/".join(parts[3:]), True)
    # <mount...>/<creds|sts|issue|sign>/<role>: the last such word that still has a role after it.
    for index in range(len(parts) - 2, 0, -1):
        if parts[index] in CREDS_ENDPOINTS:
            return LeaseOrigin(
                lease_id, "/".join(parts[:index]) + "/", parts[index], "/".join(parts[index + 1 :]), False
            )
    return LeaseOrigin(lease_id, parts[0] + "/", "/".join(parts[1:2]), "/".join(parts[2:]), False)


@dataclass(frozen=True)
class RoleInfo:
    """What :func:`check_role` learnt about one (mount, role)."""

    mount: str
    role: str
    exists: bool | None  # None: could not tell (see ``reason``)
    role_max_ttl: int | None = None  # the role's own max_ttl in seconds (0 = the mount's)
    mount_max_ttl: int | None = None  # the mount's tuned max_lease_ttl (the effective value)
    reason: str = ""
    checked_at: float = 0.0  # time.monotonic()

    @property
    def max_ttl(self) -> int | None:
        """The effective max TTL: the role's, capped by the mount's. None when neither is known."""
        values = [v for v in (self.role_max_ttl, self.mount_max_ttl) if v]
        return min(values) if values else None

    @property
    def orphaned(self) -> bool:
        return self.exists is False


def parse_seconds(value: Any) -> int | None:
    """A TTL as the API gives it (``7200``, ``"7200"``, ``"2h"``, ``"1h30m"``) → seconds."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value)
    text = str(value).strip().lower()
    if not text:
        return None
    if text.isdigit():
        return int(text)
    units = {"d": 86400, "h": 3600, "m": 60, "s": 1}
    total = 0
    number = ""
    for ch in text:
        if ch.isdigit() or ch == ".":
            number += ch
        elif ch in units and number:
            total += int(float(number) * units[ch])
            number = ""
        else:
            return None
    return None if number else total


def role_path(engine: str, mount: str, role: str) -> str | None:
    """``<mount>/<roles folder>/<role>`` for engines whose roles folder is known, else None."""
    folder = ROLE_FOLDERS.get(engine or "database")
    if folder is None or not role:
        return None
    return f"{mount.strip('/')}/{folder}/{role}"


def role_exists(gateway: Gateway, mount: str, role: str, *, engine: str = "database") -> bool | None:
    """True when ``<mount>/roles/<role>`` exists, False when it is gone, None when this token may not
    tell (403) or the engine keeps no roles folder that vault-tui knows."""
    return check_role(gateway, mount, role, engine=engine).exists


def mount_max_ttl(gateway: Gateway, mount: str, *, is_auth: bool = False) -> int | None:
    """The mount's effective ``max_lease_ttl`` (``sys/mounts/<m>/tune`` or ``sys/auth/<m>/tune``)."""
    name = mount.strip("/")
    if is_auth and name.startswith("auth/"):
        name = name[len("auth/") :]
    path = f"sys/auth/{name}/tune" if is_auth else f"sys/mounts/{name}/tune"
    try:
        data = gateway.data(gateway.request("GET", path), path)
    except VaultError:
        return None
    return parse_seconds(data.get("max_lease_ttl"))


def check_role(
    gateway: Gateway, mount: str, role: str, *, engine: str = "database", mount_ttl: int | None = None
) -> RoleInfo:
    """Read one role: whether it exists and its max TTL (plus the mount's, unless given)."""
    mount = mount if mount.endswith("/") else mount + "/"
    now = time.monotonic()
    path = role_path(engine, mount, role)
    if mount_ttl is None:
        mount_ttl = mount_max_ttl(gateway, mount)
    if path is None:
        reason = "the lease names no role" if not role else f"roles of {engine or 'this'} engine are not checked"
        return RoleInfo(mount, role, None, None, mount_ttl, reason, now)
    try:
        body = gateway.request("GET", path)
    except NotFound:
        return RoleInfo(mount, role, False, None, mount_ttl, "", now)
    except PermissionDenied:
        return RoleInfo(mount, role, None, None, mount_ttl, f"no permission to read {path}", now)
    except VaultError as error:
        return RoleInfo(mount, role, None, None, mount_ttl, str(error), now)
    if body is None:
        return RoleInfo(mount, role, False, None, mount_ttl, "", now)
    data = gateway.data(body, path)
    role_ttl = None
    for key in ("max_ttl", "token_max_ttl", "ttl_max"):
        if key in data:
            role_ttl = parse_seconds(data.get(key))
            break
    return RoleInfo(mount, role, True, role_ttl, mount_ttl, "", now)


class RoleCache:
    """(mount, role) → :class:`RoleInfo`, shared by worker threads; entries expire after ``max_age``."""

    def __init__(self, max_age: float = 300.0) -> None:
        self.max_age = max_age
        self._lock = threading.Lock()
        self._roles: dict[tuple[str, str], RoleInfo] = {}
        self._mount_ttls: dict[str, tuple[int | None, float]] = {}

    def get(self, mount: str, role: str) -> RoleInfo | None:
        with self._lock:
            info = self._roles.get((mount, role))
        if info is None or time.monotonic() - info.checked_at > self.max_age:
            return None
        return info

    def put(self, info: RoleInfo) -> None:
        with self._lock:
            self._roles[(info.mount, info.role)] = info

    def mount_ttl(self, gateway: Gateway, mount: str) -> int | None:
        with self._lock:
            cached = self._mount_ttls.get(mount)
        if cached is not None and time.monotonic() - cached[1] <= self.max_age:
            return cached[0]
        value = mount_max_ttl(gateway, mount)
        with self._lock:
            self._mount_ttls[mount] = (value, time.monotonic())
        return value

    def forget(self, mount: str | None = None, role: str | None = None) -> None:
        """Drop one role, one mount's roles, or everything."""
        with self._lock:
            if mount is None:
                self._roles.clear()
                self._mount_ttls.clear()
                return
            self._mount_ttls.pop(mount, None)
            for key in [k for k in self._roles if k[0] == mount and (role is None or k[1] == role)]:
                del self._roles[key]

    def snapshot(self) -> dict[tuple[str, str], RoleInfo]:
        with self._lock:
            return dict(self._roles)


def check_roles(
    gateway: Gateway,
    origins: Iterable[LeaseOrigin],
    *,
    cache: RoleCache | None = None,
) -> dict[tuple[str, str], RoleInfo]:
    """Check each distinct (mount, role) of secrets-engine leases once (cached in ``cache``).

    Auth leases and leases naming no role are skipped. Returns (mount, role) → :class:`RoleInfo`
    for every pair seen, including the cached ones."""
    cache = cache if cache is not None else RoleCache()
    result: dict[tuple[str, str], RoleInfo] = {}
    for origin in origins:
        if origin.is_auth or not origin.role:
            continue
        key = origin.role_key
        if key in result:
            continue
        info = cache.get(*key)
        if info is None:
            ttl = cache.mount_ttl(gateway, origin.mount)
            info = check_role(gateway, origin.mount, origin.role, engine=origin.engine or "database", mount_ttl=ttl)
            cache.put(info)
        result[key] = info
    return result


def check_lease_roles(
    gateway: Gateway,
    lease_ids: Iterable[str],
    *,
    mounts: MountTable | None = None,
    cache: RoleCache | None = None,
) -> dict[tuple[str, str], RoleInfo]:
    """:func:`check_roles` for lease ids (the mount table is read when not given)."""
    table = mount_table(gateway) if mounts is None else mounts
    return check_roles(gateway, (parse_lease_id(i, table) for i in lease_ids), cache=cache)
