"""Leases: list (walking ``sys/leases/lookup/``), look up, renew, revoke, revoke by prefix, and
dynamic credentials (``<mount>/creds/<role>``).

Facts this module encodes (checked against OpenBao 2.x):

* Listing needs ``sudo`` on ``sys/leases/lookup/*``; looking one lease up (``PUT sys/leases/lookup``)
  does not.
* A lookup of a lease that is gone answers **400 "invalid lease"**, not 404: it becomes
  :class:`LeaseGone`.
* Auth (token) leases (``auth/...``) cannot be renewed through ``sys/leases/renew`` (the server
  answers "lease is not renewable" even when lookup says ``renewable: true``): they are reported as
  not renewable here, but can be revoked. PKI leases are never renewable.
* Revocation is asynchronous on the server unless ``sync=true`` is sent. **This module always
  sends ``sync=true``** (see :data:`REVOKE_SYNC`), so when a revoke returns the lease (and, for the
  database engine, the database role) is really gone. ``revoke-force`` has no sync flag.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from .errors import InvalidRequest, MalformedResponse, NotFound, PermissionDenied, VaultError
from .gateway import Gateway, ensure_writable
from .models import parse_time

#: Revoke calls send ``sync=true``: they return only once the revocation has happened.
REVOKE_SYNC = True

LOOKUP_ROOT = "sys/leases/lookup/"


class LeaseGone(NotFound):
    """The lease does not exist any more (expired or revoked). OpenBao says 400 "invalid lease"."""

    title = "Lease gone"


class NotRenewable(InvalidRequest):
    title = "Lease not renewable"


# -- models -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Lease:
    """One lease as ``sys/leases/lookup`` describes it."""

    id: str
    issue_time: datetime | None
    expire_time: datetime | None
    last_renewal: datetime | None
    server_renewable: bool  # what the server's lookup said
    ttl: int  # seconds left when looked up
    looked_up_at: datetime | None = None

    @property
    def prefix(self) -> str:
        return lease_prefix(self.id)

    @property
    def is_auth(self) -> bool:
        return is_auth_lease(self.id)

    @property
    def renewable(self) -> bool:
        """Renewable *through sys/leases/renew* (auth leases never are)."""
        return self.server_renewable and not self.is_auth

    @property
    def not_renewable_reason(self) -> str:
        if self.is_auth:
            return (
                "auth (token) leases cannot be renewed through sys/leases/renew; "
                "renew the token itself, or revoke it here"
            )
        if not self.server_renewable:
            return "the server says this lease is not renewable (PKI leases never are)"
        return ""

    def remaining(self, now: datetime) -> float | None:
        if self.expire_time is None:
            return None
        return (self.expire_time - now).total_seconds()


@dataclass(frozen=True)
class RenewResult:
    lease: Lease  # looked up again after the renewal: the truth on the server
    requested: int | None  # increment asked for, seconds
    granted: int  # lease_duration the server granted
    warnings: tuple[str, ...] = ()

    @property
    def capped(self) -> bool:
        """The server granted less than asked (max_ttl reached)."""
        if self.requested is not None and self.granted < self.requested - 1:
            return True
        return any("max_ttl" in w or "capped" in w for w in self.warnings)


@dataclass(frozen=True)
class RevokeResult:
    count: int  # number of leases revoked (known), -1 when unknown
    prefix: str = ""
    force: bool = False
    sync: bool = REVOKE_SYNC


@dataclass(frozen=True)
class IssuedCredentials:
    """Credentials from ``<mount>/creds/<role>``. ``data`` holds secrets: never repr'd."""

    mount: str
    role: str
    lease_id: str
    lease_duration: int
    renewable: bool
    issued_at: datetime
    data: Mapping[str, Any] = field(repr=False, default_factory=dict)

    @property
    def username(self) -> str:
        value = self.data.get("username")
        return "" if value is None else str(value)

    @property
    def password(self) -> str:
        value = self.data.get("password")
        return "" if value is None else str(value)

    @property
    def expire_time(self) -> datetime | None:
        if not self.lease_duration:
            return None
        return self.issued_at + timedelta(seconds=self.lease_duration)

    def as_lease(self) -> Lease:
        """A provisional :class:`Lease` to show at once, before the first lookup."""
        return Lease(
            id=self.lease_id,
            issue_time=self.issued_at,
            expire_time=self.expire_time,
            last_renewal=None,
            server_renewable=self.renewable,
            ttl=self.lease_duration,
            looked_up_at=self.issued_at,
        )


@dataclass(frozen=True)
class LeaseFolder:
    """The lease ids found directly under one prefix (``prefix`` ends in '/')."""

    prefix: str
    lease_ids: tuple[str, ...]


# -- pure helpers -----------------------------------------------------------------------------
def lease_prefix(lease_id: str) -> str:
    """``db/creds/ro/AbC`` → ``db/creds/ro``."""
    head, _, _ = lease_id.rpartition("/")
    return head


def is_auth_lease(lease_id: str) -> bool:
    return lease_id.startswith("auth/")


def _clean_prefix(prefix: str) -> str:
    prefix = prefix.strip().lstrip("/")
    if ".." in prefix.split("/"):
        raise InvalidRequest(f"invalid lease prefix: {prefix!r}")
    return prefix


def _utcnow() -> datetime:
    return datetime.now(UTC)


def lease_from(data: Mapping[str, Any], *, now: datetime | None = None) -> Lease:
    lease_id = data.get("id")
    if not isinstance(lease_id, str) or not lease_id:
        raise MalformedResponse("sys/leases/lookup returned no lease id", path="sys/leases/lookup")
    ttl = data.get("ttl") or 0
    try:
        ttl = int(ttl)
    except (TypeError, ValueError):
        raise MalformedResponse("sys/leases/lookup returned a non-numeric ttl", path="sys/leases/lookup") from None
    return Lease(
        id=lease_id,
        issue_time=parse_time(data.get("issue_time")),
        expire_time=parse_time(data.get("expire_time")),
        last_renewal=parse_time(data.get("last_renewal")),
        server_renewable=bool(data.get("renewable")),
        ttl=ttl,
        looked_up_at=now or _utcnow(),
    )


def _is_invalid_lease(error: VaultError) -> bool:
    text = " ".join([error.message, *error.errors]).lower()
    return "invalid lease" in text or "lease not found" in text


# -- listing ----------------------------------------------------------------------------------
def list_keys(gateway: Gateway, prefix: str = "") -> tuple[str, ...]:
    """The keys directly under ``sys/leases/lookup/<prefix>`` (folders end in '/').

    Needs sudo; a 403 raises :class:`PermissionDenied`. An empty/missing prefix gives ().
    """
    prefix = _clean_prefix(prefix)
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    path = LOOKUP_ROOT + prefix
    body = gateway.request("LIST", path, missing_ok=True)
    keys = (gateway.data(body, path) or {}).get("keys") or []
    if not isinstance(keys, list):
        raise MalformedResponse(f"the key list for {path} is not a list", path=path)
    return tuple(str(k) for k in keys)


def iter_lease_folders(gateway: Gateway, prefix: str = "") -> Iterator[LeaseFolder]:
    """Walk ``sys/leases/lookup/`` depth-first from ``prefix``, one LIST per folder."""
    prefix = _clean_prefix(prefix)
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    stack = [prefix]
    while stack:
        current = stack.pop()
        keys = list_keys(gateway, current)
        ids = tuple(current + k for k in keys if not k.endswith("/"))
        if ids:
            yield LeaseFolder(current, ids)
        stack.extend(current + k for k in reversed(keys) if k.endswith("/"))


def list_lease_ids(gateway: Gateway, prefix: str = "") -> tuple[str, ...]:
    """Every lease id under ``prefix`` (the whole server when empty). Needs sudo."""
    return tuple(i for folder in iter_lease_folders(gateway, prefix) for i in folder.lease_ids)


@dataclass(frozen=True)
class LeaseListing:
    """The whole-server walk: every lease id found, and the top-level folders it could not list."""

    lease_ids: tuple[str, ...]
    hidden: tuple[str, ...] = ()  # top-level folders this token may not list (403)
    problems: tuple[tuple[str, VaultError], ...] = ()  # top-level folders whose listing failed otherwise


def list_all_leases(gateway: Gateway) -> LeaseListing:
    """Walk every lease on the server in one call (one LIST per folder).

    Without sudo on the top level this raises :class:`PermissionDenied`; a top-level folder that
    cannot be listed is reported in the result and the walk carries on with the others."""
    top = list_keys(gateway, "")
    found: list[str] = [k for k in top if not k.endswith("/")]
    hidden: list[str] = []
    problems: list[tuple[str, VaultError]] = []
    for folder in (k for k in top if k.endswith("/")):
        try:
            found.extend(list_lease_ids(gateway, folder))
        except PermissionDenied:
            hidden.append(folder)
        except VaultError as error:
            problems.append((folder, error))
    return LeaseListing(tuple(found), tuple(hidden), tuple(problems))


def count_prefix(gateway: Gateway, prefix: str) -> int:
    """How many leases a revoke-prefix of ``prefix`` would revoke."""
    return len(list_lease_ids(gateway, prefix))


def can_list(gateway: Gateway) -> bool:
    """True when this token may list leases (has sudo on sys/leases/lookup/)."""
    try:
        list_keys(gateway, "")
    except PermissionDenied:
        return False
    return True


# -- one lease --------------------------------------------------------------------------------
def lookup_lease(gateway: Gateway, lease_id: str) -> Lease:
    lease_id = lease_id.strip()
    if not lease_id:
        raise InvalidRequest("no lease id given")
    try:
        body = gateway.request("PUT", "sys/leases/lookup", json={"lease_id": lease_id})
    except InvalidRequest as error:
        if _is_invalid_lease(error):
            raise LeaseGone(
                "the lease no longer exists (expired or revoked)",
                status=error.status,
                errors=error.errors,
                path="sys/leases/lookup",
                body=error.body,
            ) from None
        raise
    return lease_from(gateway.data(body, "sys/leases/lookup"))


def lookup_many(gateway: Gateway, lease_ids: list[str] | tuple[str, ...]) -> tuple[Lease | VaultError, ...]:
    """Look up several leases in one worker call (fewer hops through the UI's event loop).
    Each item is the :class:`Lease` or the :class:`VaultError` it failed with (e.g. LeaseGone)."""
    out: list[Lease | VaultError] = []
    for lease_id in lease_ids:
        try:
            out.append(lookup_lease(gateway, lease_id))
        except VaultError as error:
            out.append(error)
    return tuple(out)


def renew_lease(gateway: Gateway, lease_id: str, increment: int | None = None) -> RenewResult:
    """Renew one lease by ``increment`` seconds (None: the mount's default), then look it up.

    Auth leases are refused before any call (:class:`NotRenewable`)."""
    ensure_writable(gateway, "renewing a lease")
    if is_auth_lease(lease_id):
        raise NotRenewable(
            "auth (token) leases cannot be renewed through sys/leases/renew; renew the token itself",
            path="sys/leases/renew",
        )
    payload: dict[str, Any] = {"lease_id": lease_id}
    if increment is not None:
        if increment < 0:
            raise InvalidRequest("the increment must be zero or more seconds")
        payload["increment"] = int(increment)
    try:
        body = gateway.request("PUT", "sys/leases/renew", json=payload) or {}
    except InvalidRequest as error:
        text = " ".join([error.message, *error.errors]).lower()
        if _is_invalid_lease(error) or "lease not found" in text:
            raise LeaseGone(
                "the lease no longer exists (expired or revoked)",
                status=error.status,
                errors=error.errors,
                path="sys/leases/renew",
            ) from None
        if "not renewable" in text:
            raise NotRenewable(
                "the server says this lease is not renewable",
                status=error.status,
                errors=error.errors,
                path="sys/leases/renew",
            ) from None
        raise
    granted = body.get("lease_duration") or 0
    try:
        granted = int(granted)
    except (TypeError, ValueError):
        granted = 0
    warnings = tuple(str(w) for w in (body.get("warnings") or ()))
    lease = lookup_lease(gateway, lease_id)
    return RenewResult(lease=lease, requested=increment, granted=granted, warnings=warnings)


def revoke_lease(gateway: Gateway, lease_id: str) -> RevokeResult:
    """Revoke one lease, synchronously (``sync=true``). A lease that is already gone raises
    :class:`LeaseGone`."""
    ensure_writable(gateway, "revoking a lease")
    lease_id = lease_id.strip()
    if not lease_id:
        raise InvalidRequest("no lease id given")
    # Revoking an unknown id succeeds silently on the server: look it up first so the
    # user hears that it was already gone (a token that may revoke but not look up skips this).
    try:
        lookup_lease(gateway, lease_id)
    except PermissionDenied:
        pass
    gateway.request("PUT", "sys/leases/revoke", json={"lease_id": lease_id, "sync": REVOKE_SYNC})
    return RevokeResult(count=1, prefix=lease_prefix(lease_id))


def revoke_prefix(gateway: Gateway, prefix: str, *, force: bool = False) -> RevokeResult:
    """Revoke every lease under ``prefix``. ``force`` uses ``revoke-force``, which also removes
    leases whose backend revocation fails (the credentials may then live on: dangerous)."""
    ensure_writable(gateway, "force-revoking a prefix" if force else "revoking a prefix")
    prefix = _clean_prefix(prefix).rstrip("/")
    if not prefix:
        raise InvalidRequest("refusing to revoke with an empty prefix (that is every lease)")
    try:
        count = count_prefix(gateway, prefix)
    except PermissionDenied:
        count = -1
    if force:
        gateway.request("PUT", f"sys/leases/revoke-force/{prefix}")
        return RevokeResult(count=count, prefix=prefix, force=True, sync=True)
    gateway.request("PUT", f"sys/leases/revoke-prefix/{prefix}", json={"sync": REVOKE_SYNC})
    return RevokeResult(count=count, prefix=prefix)


# -- dynamic credentials ----------------------------------------------------------------------
def list_roles(gateway: Gateway, mount: str, folder: str = "roles") -> tuple[str, ...]:
    """Role names under ``<mount>/<folder>`` (``roles`` for database, aws, rabbitmq, consul...)."""
    mount = _clean_prefix(mount).strip("/")
    path = f"{mount}/{folder.strip('/')}"
    body = gateway.request("LIST", path, missing_ok=True)
    keys = (gateway.data(body, path) or {}).get("keys") or []
    if not isinstance(keys, list):
        raise MalformedResponse(f"the role list for {path} is not a list", path=path)
    return tuple(str(k) for k in keys if not str(k).endswith("/"))


def generate_credentials(
    gateway: Gateway, mount: str, role: str, *, clock: Callable[[], datetime] = _utcnow
) -> IssuedCredentials:
    """Read ``<mount>/creds/<role>``: a new lease (and, for databases, a new DB user)."""
    ensure_writable(gateway, "generating credentials")
    mount = _clean_prefix(mount).strip("/")
    role = role.strip().strip("/")
    if not mount or not role or ".." in role.split("/"):
        raise InvalidRequest("choose a mount and a role")
    path = f"{mount}/creds/{role}"
    issued_at = clock()
    body = gateway.request("GET", path)
    if not body:
        raise MalformedResponse(f"{path} returned nothing", path=path)
    lease_id = body.get("lease_id")
    if not isinstance(lease_id, str) or not lease_id:
        raise MalformedResponse(f"{path} returned no lease", path=path)
    data = gateway.data(body, path)
    try:
        duration = int(body.get("lease_duration") or 0)
    except (TypeError, ValueError):
        duration = 0
    return IssuedCredentials(
        mount=mount,
        role=role,
        lease_id=lease_id,
        lease_duration=duration,
        renewable=bool(body.get("renewable")),
        issued_at=issued_at,
        data=dict(data),
    )
