"""The gateway: every Vault call the app makes, synchronous, typed and error-mapped.

A :class:`Gateway` is shared by the worker's threads. Each thread lazily builds its own hvac
client from the current :class:`ConnectionSettings`; changing the settings (a renewed or new
token, another namespace) bumps a generation so every thread rebuilds on its next call.

Feature modules (``kv``, ``leases``, ``transit``, ``auth``...) are plain functions that take a
gateway and use :meth:`Gateway.call` / :meth:`Gateway.client`.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, TypeVar

import hvac

from .client import ConnectionSettings, build_client
from .errors import MalformedResponse, NotFound, VaultError, map_exception
from .models import Mount, ServerInfo, TokenInfo, parse_time

T = TypeVar("T")


class Gateway:
    def __init__(self, settings: ConnectionSettings, *, read_only: bool = False) -> None:
        self._settings = settings
        self._generation = 0
        self._lock = threading.Lock()
        self._local = threading.local()
        self.read_only = read_only
        self.server: ServerInfo | None = None

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
        """Talk to another node (of the same cluster) from now on."""
        from dataclasses import replace

        self.update_settings(replace(self._settings, addr=addr))

    def set_namespace(self, namespace: str | None) -> None:
        self.update_settings(self._settings.with_namespace(namespace))

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
                local.client = build_client(self._settings)
                local.generation = self._generation
        return local.client

    def call(self, fn: Callable[[hvac.Client], T], path: str = "") -> T:
        """Run ``fn(client)`` and map any failure to a :class:`VaultError`."""
        try:
            return fn(self.client)
        except VaultError:
            raise
        except Exception as exc:  # noqa: BLE001 - mapped, not swallowed
            raise map_exception(exc, path) from None

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
                raise MalformedResponse(f"the server sent a non-JSON body for {path}", path=path)

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
            response = client.adapter.get(
                "/v1/sys/seal-status", raise_exception=False
            )
            body = response.json() if hasattr(response, "json") else response
            if not isinstance(body, dict):
                raise MalformedResponse("sys/seal-status did not return an object")
            flavor = "unknown"
            if "commit_date" in body or "bao" in str(body.get("build_date", "")):
                flavor = "OpenBao"
            elif "build_date" in body:
                flavor = "Vault"
            standby = False
            if not body.get("sealed"):
                health = client.adapter.get(
                    "/v1/sys/health",
                    params={"standbyok": "true", "perfstandbyok": "true"},
                    raise_exception=False,
                )
                try:
                    standby = bool(health.json().get("standby"))
                except Exception:
                    standby = False
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
