"""The gateway: every Vault call the app makes, synchronous, typed and error-mapped.

A :class:`Gateway` is shared by the worker's threads. Each thread lazily builds its own hvac
client from the current :class:`ConnectionSettings`; changing the settings (a renewed or new
token, another namespace) bumps a generation so every thread rebuilds on its next call.

Feature modules (``kv``, ``leases``, ``transit``, ``auth``...) are plain functions that take a
gateway and use :meth:`Gateway.call` / :meth:`Gateway.client`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

import hvac

from .client import ClusterOrigins, ConnectionSettings, build_client
from .errors import (
    BadAddress,
    MalformedResponse,
    NodeNotActive,
    NotFound,
    Sealed,
    Unreachable,
    UntrustedRedirect,
    VaultError,
    map_exception,
)
from .models import Mount, ServerInfo, TokenInfo, parse_time

if TYPE_CHECKING:
    from .ha_models import NodeHealth

T = TypeVar("T")


class Gateway:
    def __init__(self, settings: ConnectionSettings, *, read_only: bool = False) -> None:
        self._settings = settings
        self._generation = 0
        self._lock = threading.Lock()
        self._local = threading.local()
        self.read_only = read_only
        self.server: ServerInfo | None = None
        # Nodes of the current cluster: a redirect to one of them keeps the token.
        self._cluster = ClusterOrigins()

    # -- settings ---------------------------------------------------------------------------
    @property
    def settings(self) -> ConnectionSettings:
        return self._settings

    def update_settings(self, settings: ConnectionSettings) -> None:
        with self._lock:
            self._settings = settings
            self._generation += 1

    def set_token(self, token: str | None) -> None:
        self.update_settings(self._settings.with_token(token))

    def switch_addr(self, addr: str) -> None:
        """Move every thread's client to another node of the same cluster (failover).

        Token, namespace and TLS settings stay; each thread rebuilds its client on its next call.
        The new address joins the cluster's trusted nodes.
        """
        addr = addr.strip().rstrip("/")
        self.trust_cluster_addrs([addr])
        with self._lock:
            if self._settings.addr.rstrip("/") == addr:
                return
            self._settings = replace(self._settings, addr=addr)
            self._generation += 1

    def set_namespace(self, namespace: str | None) -> None:
        self.update_settings(self._settings.with_namespace(namespace))

    # -- cluster ----------------------------------------------------------------------------
    def trust_cluster_addrs(self, addrs: Iterable[str], *, replace_all: bool = False) -> None:
        """Declare API addresses as nodes of this cluster: a redirect to one of them keeps the
        token (any other host still gets none). Adds to the set; ``replace_all`` starts afresh
        (for another profile). Takes effect at once in every thread's client."""
        if replace_all:
            self._cluster.replace(addrs)
        else:
            self._cluster.add(addrs)

    def is_cluster_addr(self, addr: str) -> bool:
        return addr in self._cluster

    def health(self, timeout: float = 2.0) -> NodeHealth:
        """One unauthenticated ``sys/health`` of the current node; never raises for a dead node."""
        from .ha import probe_health

        return probe_health(self._settings, self._settings.addr, timeout=timeout)

    # -- clients ----------------------------------------------------------------------------
    @property
    def client(self) -> hvac.Client:
        """This thread's hvac client, rebuilt when the settings changed."""
        local = self._local
        if getattr(local, "generation", None) != self._generation:
            old = getattr(local, "client", None)
            if old is not None:
                try:
                    old.adapter.close()
                except Exception:
                    pass
            with self._lock:
                local.client = build_client(self._settings, self._cluster)
                local.generation = self._generation
        return local.client

    def call(self, fn: Callable[[hvac.Client], T], path: str = "") -> T:
        """Run ``fn(client)`` and map any failure to a :class:`VaultError`.

        A failure after a redirect to a host that is not a node of this cluster becomes
        :class:`UntrustedRedirect` (the token was not sent there, so the answer means nothing).
        """
        session = None
        try:
            client = self.client
            session = getattr(client.adapter, "session", None)
            return fn(client)
        except VaultError:
            raise
        except Exception as exc:  # noqa: BLE001 - mapped, not swallowed
            error = map_exception(exc, path)
            if isinstance(error, BadAddress):
                message = f"{self._settings.addr!r} is not a valid server address: {error.reason}"
                raise BadAddress(message, reason=error.reason) from None
            raise _after_redirect(error, session) from None

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        missing_ok: bool = False,
    ) -> dict[str, Any] | None:
        """A raw API call: ``path`` is relative to ``/v1/``. Returns the JSON body or None."""
        url = "/v1/" + path.lstrip("/")

        def run(client: hvac.Client) -> dict[str, Any] | None:
            kwargs: dict[str, Any] = {}
            if params:
                kwargs["params"] = params
            if json is not None:
                kwargs["json"] = json
            response = client.adapter.request(method, url, **kwargs)
            if isinstance(response, dict):
                return response
            if response is None:
                return None
            status = getattr(response, "status_code", 200)
            if status == 204 or not getattr(response, "content", b""):
                return None
            try:
                return response.json()
            except ValueError:
                raise MalformedResponse(f"the server sent a non-JSON body for {path}", path=path) from None

        try:
            return self.call(run, path)
        except NotFound:
            if missing_ok:
                return None
            raise

    def data(self, body: dict[str, Any] | None, path: str = "") -> dict[str, Any]:
        """The ``data`` object of a response, validated."""
        if body is None:
            return {}
        data = body.get("data")
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise MalformedResponse(f"'data' is not an object in the reply for {path}", path=path)
        return data

    # -- server -----------------------------------------------------------------------------
    def server_info(self) -> ServerInfo:
        """Flavour, version and seal state. Works without a token."""

        def run(client: hvac.Client) -> ServerInfo:
            response = client.adapter.get("/v1/sys/seal-status", raise_exception=False)
            body = response.json() if hasattr(response, "json") else response
            if not isinstance(body, dict):
                raise MalformedResponse("sys/seal-status did not return an object")
            flavor = "unknown"
            if "commit_date" in body or "bao" in str(body.get("build_date", "")):
                flavor = "OpenBao"
            elif "build_date" in body:
                flavor = "Vault"
            standby = False
            leader_address = ""
            ha_enabled = False
            if not body.get("sealed"):
                # Without standbyok, sys/health answers 429 on a standby, 200 on the active node.
                health = client.adapter.get("/v1/sys/health", raise_exception=False)
                standby = bool(_json_of(health).get("standby")) or getattr(health, "status_code", 200) == 429
                leader = _json_of(client.adapter.get("/v1/sys/leader", raise_exception=False))
                ha_enabled = bool(leader.get("ha_enabled"))
                leader_address = str(leader.get("leader_address") or "")
                if leader_address:
                    self.trust_cluster_addrs([leader_address])
            return ServerInfo(
                address=self._settings.addr,
                flavor=flavor,
                version=str(body.get("version", "?")),
                initialized=bool(body.get("initialized", True)),
                sealed=bool(body.get("sealed", False)),
                standby=standby,
                cluster_name=str(body.get("cluster_name") or ""),
                supports_scan=flavor == "OpenBao",
                supports_paginated_list=flavor == "OpenBao",
                ha_enabled=ha_enabled,
                leader_address=leader_address,
                cluster_id=str(body.get("cluster_id") or ""),
            )

        info = self.call(run, "sys/seal-status")
        self.server = info
        return info

    def lookup_self(self) -> TokenInfo:
        from .errors import PermissionDenied, TokenInvalid

        try:
            body = self.request("GET", "auth/token/lookup-self")
        except TokenInvalid:
            raise
        except PermissionDenied:
            # lookup-self is allowed by the default policy; a 403 here means a bad token.
            raise TokenInvalid(
                "the token is invalid, expired or revoked (403 on auth/token/lookup-self)",
                status=403,
                path="auth/token/lookup-self",
            ) from None
        return token_info_from(self.data(body, "auth/token/lookup-self"))

    def renew_self(self, increment: str | None = None) -> TokenInfo:
        payload = {"increment": increment} if increment else {}
        self.request("POST", "auth/token/renew-self", json=payload)
        return self.lookup_self()

    def mounts(self) -> tuple[Mount, ...]:
        """Secret engine mounts visible to this token, from ``sys/internal/ui/mounts``."""
        body = self.request("GET", "sys/internal/ui/mounts")
        data = self.data(body, "sys/internal/ui/mounts")
        secret = data.get("secret") or {}
        auth = data.get("auth") or {}
        if not isinstance(secret, dict) or not isinstance(auth, dict):
            raise MalformedResponse("sys/internal/ui/mounts has an unexpected shape")
        result = []
        for path, info in sorted(secret.items()):
            result.append(_mount_from(path, info, is_auth=False))
        for path, info in sorted(auth.items()):
            result.append(_mount_from(path, info, is_auth=True))
        return tuple(result)

    def capabilities_self(self, paths: list[str]) -> dict[str, tuple[str, ...]]:
        body = self.request("POST", "sys/capabilities-self", json={"paths": paths})
        data = self.data(body) or (body or {})
        result: dict[str, tuple[str, ...]] = {}
        for path in paths:
            caps = data.get(path)
            if caps is None and len(paths) == 1:
                caps = data.get("capabilities")
            result[path] = tuple(str(c) for c in (caps or ()))
        return result


def _json_of(response: Any) -> dict[str, Any]:
    """hvac's JSON adapter returns a dict for a 200 and a Response otherwise: a dict either way."""
    if isinstance(response, dict):
        return response
    try:
        body = response.json()
    except Exception:  # noqa: BLE001 - an empty or non-JSON body is just "nothing known"
        return {}
    return body if isinstance(body, dict) else {}


def _after_redirect(error: VaultError, session: Any) -> VaultError:
    """Explain a failure that came after a redirect (``SafeRedirectSession.redirects``)."""
    hops = list(getattr(session, "redirects", None) or ())
    if not hops:
        return error
    untrusted = [hop for hop in hops if not hop[2]]
    if untrusted:
        origin, target, _ = untrusted[0]
        return UntrustedRedirect(
            f"{origin} redirected the request to {target}, which is not a known node of this cluster, "
            "so the token was not sent there",
            origin=origin,
            target=target,
            status=error.status,
            path=error.path,
        )
    origin, target = hops[0][0], hops[-1][1]
    if type(error) is Unreachable:
        reason = error.message.split(": ", 1)[-1]
        return Unreachable(f"{origin} redirected to {target}, which cannot be reached: {reason}", path=error.path)
    if type(error) is Sealed:
        # The redirect target is sealed, not the node the user is connected to.
        return Sealed(f"{origin} redirected to {target}, which is sealed", status=error.status, path=error.path)
    if type(error) is NodeNotActive:
        message = f"{origin} redirected to {target}, which is not active"
        return NodeNotActive(message, status=error.status, path=error.path)
    return error


def token_info_from(data: dict[str, Any]) -> TokenInfo:
    policies = data.get("policies") or []
    identity = data.get("identity_policies") or []
    meta = data.get("meta") or {}
    return TokenInfo(
        accessor=str(data.get("accessor") or ""),
        display_name=str(data.get("display_name") or ""),
        policies=tuple(dict.fromkeys([str(p) for p in [*policies, *identity]])),
        ttl=int(data.get("ttl") or 0),
        renewable=bool(data.get("renewable")),
        expire_time=parse_time(data.get("expire_time")),
        issue_time=parse_time(data.get("issue_time")),
        entity_id=str(data.get("entity_id") or ""),
        orphan=bool(data.get("orphan")),
        token_type=str(data.get("type") or "service"),
        meta={str(k): str(v) for k, v in meta.items()} if isinstance(meta, dict) else {},
        num_uses=_int_or_zero(data.get("num_uses")),
    )


def _int_or_zero(value: Any) -> int:
    try:
        return max(0, int(value or 0))
    except (TypeError, ValueError):
        return 0


def _mount_from(path: str, info: Any, *, is_auth: bool) -> Mount:
    info = info if isinstance(info, dict) else {}
    options = info.get("options") or {}
    return Mount(
        path=path if path.endswith("/") else path + "/",
        type=str(info.get("type") or "unknown"),
        description=str(info.get("description") or ""),
        accessor=str(info.get("accessor") or ""),
        options={str(k): str(v) for k, v in options.items()} if isinstance(options, dict) else {},
        is_auth=is_auth,
    )


def ensure_writable(gateway: Gateway, what: str) -> None:
    """Refuse a write in read-only mode (the UI disables writes too; this is the backstop)."""
    if gateway.read_only:
        from .errors import ReadOnlyMode

        raise ReadOnlyMode(f"read-only mode: {what} is disabled")
