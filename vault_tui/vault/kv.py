"""KV v1 and v2: list, read, write with check-and-set, delete/undelete/destroy, metadata.

Every call sends exactly the path it was given: :mod:`.paths` refuses a path that the HTTP stack
or the server would change (``..``, ``a//b``, control characters) with
:class:`~vault_tui.vault.errors.BadPath` before any request, and percent-encodes each segment so
``?``, ``#``, ``%``, spaces and unicode reach the server as typed. Errors name the readable path.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .errors import InvalidRequest, MalformedResponse, NotFound, VaultError
from .gateway import Gateway, ensure_writable
from .models import (
    EngineKind,
    Listing,
    SecretData,
    SecretMetadata,
    VersionInfo,
    WriteResult,
    parse_time,
)
from .paths import encode_api_path, kv_api_path, validate_mount_path

PAGE_SIZE = 500


def _mount(mount: str) -> str:
    return validate_mount_path(mount)


def list_path(kind: EngineKind, mount: str, path: str) -> str:
    """The API path LIST uses for a folder (``""`` or ending in ``/``), not encoded, ending in ``/``."""
    return kv_api_path(mount, path, "metadata" if kind is EngineKind.KV2 else "", folder=True)


def secret_path(kind: EngineKind, mount: str, path: str, section: str = "data") -> str:
    """The API path of a secret (KV v2: ``mount/<section>/path``; KV v1: ``mount/path``), not encoded."""
    return kv_api_path(mount, path, section if kind is EngineKind.KV2 else "")


def _readable(error: VaultError, encoded: str, api_path: str) -> None:
    """Make an error name the path as the user knows it, not its percent-encoded form."""
    if encoded == api_path:
        return
    if error.path == encoded:
        error.path = api_path
    if encoded in error.message:
        error.message = error.message.replace(encoded, api_path)
        error.args = (error.message,)


def _request(gateway: Gateway, method: str, api_path: str, **kwargs: Any) -> dict[str, Any] | None:
    """``gateway.request`` with every segment of ``api_path`` percent-encoded."""
    encoded = encode_api_path(api_path)
    try:
        return gateway.request(method, encoded, **kwargs)
    except VaultError as error:
        _readable(error, encoded, api_path)
        raise


def _keys_of(body: dict[str, Any] | None, where: str) -> list[str]:
    if not body:
        return []
    data = body.get("data") or {}
    keys = data.get("keys") if isinstance(data, dict) else None
    if keys is None:
        return []
    if not isinstance(keys, list):
        raise MalformedResponse(f"the key list for {where} is not a list", path=where)
    return [str(k) for k in keys]


def iter_pages(
    gateway: Gateway,
    kind: EngineKind,
    mount: str,
    path: str,
    *,
    page_size: int = PAGE_SIZE,
) -> Iterator[list[str]]:
    """Yield the keys of a folder page by page.

    On OpenBao this uses paginated ``LIST ?limit=&after=`` on KV v2 so a folder with thousands
    of keys arrives in pieces; elsewhere it is one LIST. OpenBao ignores ``limit``/``after`` on
    KV v1 and cubbyhole (it answers with the whole folder every time), so those are never paged,
    and a page that does not move past ``after`` ends the listing instead of looping.
    A missing or empty folder yields nothing (hvac's InvalidPath is not an error here).
    """
    where = list_path(kind, mount, path)
    server = gateway.server
    paginate = bool(server and server.supports_paginated_list) and kind is EngineKind.KV2
    after: str | None = None
    while True:
        params: dict[str, str] | None = {"limit": str(page_size)} if paginate else None
        if params is not None and after is not None:
            params["after"] = after
        body = _request(gateway, "LIST", where, params=params, missing_ok=True)
        keys = _keys_of(body, where)
        if after is not None:
            keys = [key for key in keys if key > after]  # a server that ignored ``after``
        if keys:
            yield keys
        if not paginate or len(keys) < page_size:
            return
        after = keys[-1]


def list_folder(gateway: Gateway, kind: EngineKind, mount: str, path: str) -> Listing:
    keys: list[str] = []
    for page in iter_pages(gateway, kind, mount, path):
        keys.extend(page)
    return Listing(mount=_mount(mount) + "/", path=path, keys=tuple(keys))


def scan(gateway: Gateway, kind: EngineKind, mount: str, path: str = "", limit: int = 100_000) -> tuple[str, ...]:
    """Every secret path under ``path``, recursively.

    OpenBao answers the ``SCAN`` verb in one call; Vault has no SCAN, so there we walk the tree.
    """
    where = list_path(kind, mount, path)
    path = where[len(list_path(kind, mount, "")) :]
    server = gateway.server
    if server and server.supports_scan:
        try:
            body = _request(gateway, "SCAN", where, missing_ok=True)
            keys = _keys_of(body, path)
            return tuple(path + k for k in keys)
        except InvalidRequest:
            pass  # fall back to walking
    found: list[str] = []
    stack = [path]
    while stack and len(found) < limit:
        folder = stack.pop()
        try:
            listing = list_folder(gateway, kind, mount, folder)
        except VaultError:
            continue  # a 403 sub-folder does not stop the walk
        for key in listing.keys:
            full = (folder + key) if folder else key
            if key.endswith("/"):
                stack.append(full)
            else:
                found.append(full)
    return tuple(sorted(found))


# -- reading --------------------------------------------------------------------------------


def _version_infos(versions: Any) -> tuple[VersionInfo, ...]:
    if not isinstance(versions, dict):
        return ()
    infos = []
    for number, meta in versions.items():
        meta = meta if isinstance(meta, dict) else {}
        try:
            version = int(number)
        except (TypeError, ValueError):
            continue
        infos.append(
            VersionInfo(
                version=version,
                created_time=parse_time(meta.get("created_time")),
                deletion_time=parse_time(meta.get("deletion_time")),
                destroyed=bool(meta.get("destroyed")),
            )
        )
    return tuple(sorted(infos, key=lambda v: v.version, reverse=True))


def read_metadata(gateway: Gateway, mount: str, path: str) -> SecretMetadata:
    where = kv_api_path(mount, path, "metadata")
    data = gateway.data(_request(gateway, "GET", where), where)
    custom = data.get("custom_metadata") or {}
    return SecretMetadata(
        mount=_mount(mount) + "/",
        path=path,
        current_version=int(data.get("current_version") or 0),
        oldest_version=int(data.get("oldest_version") or 0),
        created_time=parse_time(data.get("created_time")),
        updated_time=parse_time(data.get("updated_time")),
        max_versions=int(data.get("max_versions") or 0),
        cas_required=bool(data.get("cas_required")),
        delete_version_after=str(data.get("delete_version_after") or "0s"),
        custom_metadata={str(k): str(v) for k, v in custom.items()} if isinstance(custom, dict) else {},
        versions=_version_infos(data.get("versions")),
    )


def _secret_from_v2(mount: str, path: str, data: dict[str, Any]) -> SecretData:
    meta = data.get("metadata") or {}
    if not isinstance(meta, dict):
        meta = {}
    payload = data.get("data")
    if payload is not None and not isinstance(payload, dict):
        raise MalformedResponse(f"the data of {path} is not an object", path=path)
    custom = meta.get("custom_metadata") or {}
    return SecretData(
        mount=_mount(mount) + "/",
        path=path,
        data=dict(payload or {}),
        version=int(meta.get("version") or 0) or None,
        created_time=parse_time(meta.get("created_time")),
        deletion_time=parse_time(meta.get("deletion_time")),
        destroyed=bool(meta.get("destroyed")),
        custom_metadata={str(k): str(v) for k, v in custom.items()} if isinstance(custom, dict) else {},
    )


def read_version(gateway: Gateway, mount: str, path: str, version: int | None = None) -> SecretData:
    """Read one KV v2 version (the current one by default).

    A deleted or destroyed version answers 404 with its metadata in the body; that comes back
    as a :class:`SecretData` with empty data and the deletion state, not as an error.
    """
    where = kv_api_path(mount, path, "data")
    params = {"version": str(version)} if version else None
    try:
        body = _request(gateway, "GET", where, params=params)
    except NotFound as error:
        body = error.body if isinstance(error.body, dict) else None
        data = (body or {}).get("data") if body else None
        if isinstance(data, dict) and isinstance(data.get("metadata"), dict):
            return _secret_from_v2(mount, path, data)
        raise
    return _secret_from_v2(mount, path, gateway.data(body, where))


def read_kv1(gateway: Gateway, mount: str, path: str) -> SecretData:
    where = kv_api_path(mount, path)
    data = gateway.data(_request(gateway, "GET", where), where)
    return SecretData(mount=_mount(mount) + "/", path=path, data=dict(data))


def read_secret(gateway: Gateway, kind: EngineKind, mount: str, path: str, version: int | None = None) -> SecretData:
    if kind is EngineKind.KV2:
        return read_version(gateway, mount, path, version)
    return read_kv1(gateway, mount, path)


# -- writing --------------------------------------------------------------------------------


def _validate_data(data: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise InvalidRequest("secret data must be a JSON object of key/value pairs")
    if not data:
        raise InvalidRequest("a secret needs at least one key")
    for key in data:
        if not isinstance(key, str) or not key:
            raise InvalidRequest("every key must be a non-empty string")
    return dict(data)


def write_v2(gateway: Gateway, mount: str, path: str, data: Mapping[str, Any], *, cas: int) -> WriteResult:
    """Write a new KV v2 version with check-and-set. ``cas=0`` means "only if it does not exist"."""
    ensure_writable(gateway, "writing a secret")
    where = kv_api_path(mount, path, "data")
    body = _request(gateway, "POST", where, json={"options": {"cas": int(cas)}, "data": _validate_data(data)})
    version = int(gateway.data(body, where).get("version") or 0) or None
    return WriteResult(mount=_mount(mount) + "/", path=path, version=version)


def patch_v2(gateway: Gateway, mount: str, path: str, data: Mapping[str, Any], *, cas: int) -> WriteResult:
    """Merge-patch keys into the current version, with check-and-set. A ``None`` value removes a key."""
    ensure_writable(gateway, "patching a secret")
    where = kv_api_path(mount, path, "data")
    encoded = encode_api_path(where)

    def run(client: Any) -> Any:
        return client.adapter.request(
            "PATCH",
            "/v1/" + encoded,
            json={"options": {"cas": int(cas)}, "data": dict(data)},
            headers={"Content-Type": "application/merge-patch+json"},
        )

    response = gateway.call(run, where)
    body = response if isinstance(response, dict) else (response.json() if getattr(response, "content", b"") else None)
    version = int(gateway.data(body, where).get("version") or 0) or None
    return WriteResult(mount=_mount(mount) + "/", path=path, version=version)


def write_kv1(
    gateway: Gateway,
    mount: str,
    path: str,
    data: Mapping[str, Any],
    *,
    expected: Mapping[str, Any] | None,
) -> WriteResult:
    """Write a KV v1 secret.

    KV v1 has no check-and-set, so we compare the stored data with what the user started from
    just before writing (``expected=None`` means "must not exist"). This narrows the race to a
    single round trip; the UI says so.
    """
    ensure_writable(gateway, "writing a secret")
    from .errors import CasMismatch

    where = kv_api_path(mount, path)
    try:
        current = gateway.data(_request(gateway, "GET", where), where)
    except NotFound:
        current = None
    if (current or None) != (dict(expected) if expected is not None else None):
        raise CasMismatch(
            "the secret changed since you started editing (KV v1 compare-before-write)",
            path=where,
            body={"data": current},
        )
    _request(gateway, "POST", where, json=_validate_data(data))
    return WriteResult(mount=_mount(mount) + "/", path=path, version=None)


def delete_latest(gateway: Gateway, mount: str, path: str) -> None:
    """Soft-delete the current version of a KV v2 secret (``DELETE mount/data/path``)."""
    ensure_writable(gateway, "deleting a secret")
    _request(gateway, "DELETE", kv_api_path(mount, path, "data"))


def delete_versions(gateway: Gateway, mount: str, path: str, versions: list[int]) -> None:
    ensure_writable(gateway, "deleting versions")
    _request(gateway, "POST", kv_api_path(mount, path, "delete"), json={"versions": list(versions)})


def undelete_versions(gateway: Gateway, mount: str, path: str, versions: list[int]) -> None:
    ensure_writable(gateway, "undeleting versions")
    _request(gateway, "POST", kv_api_path(mount, path, "undelete"), json={"versions": list(versions)})


def destroy_versions(gateway: Gateway, mount: str, path: str, versions: list[int]) -> None:
    ensure_writable(gateway, "destroying versions")
    _request(gateway, "PUT", kv_api_path(mount, path, "destroy"), json={"versions": list(versions)})


def delete_all(gateway: Gateway, mount: str, path: str) -> None:
    """Delete every version and the metadata of a KV v2 secret."""
    ensure_writable(gateway, "deleting a secret")
    _request(gateway, "DELETE", kv_api_path(mount, path, "metadata"))


def delete_kv1(gateway: Gateway, mount: str, path: str) -> None:
    ensure_writable(gateway, "deleting a secret")
    _request(gateway, "DELETE", kv_api_path(mount, path))


def write_metadata(
    gateway: Gateway,
    mount: str,
    path: str,
    *,
    max_versions: int | None = None,
    cas_required: bool | None = None,
    delete_version_after: str | None = None,
    custom_metadata: Mapping[str, str] | None = None,
) -> None:
    ensure_writable(gateway, "editing metadata")
    payload: dict[str, Any] = {}
    if max_versions is not None:
        payload["max_versions"] = int(max_versions)
    if cas_required is not None:
        payload["cas_required"] = bool(cas_required)
    if delete_version_after is not None:
        payload["delete_version_after"] = delete_version_after
    if custom_metadata is not None:
        payload["custom_metadata"] = {str(k): str(v) for k, v in custom_metadata.items()}
    _request(gateway, "POST", kv_api_path(mount, path, "metadata"), json=payload)


def rollback(gateway: Gateway, mount: str, path: str, *, to_version: int, cas: int) -> WriteResult:
    """Write the data of ``to_version`` as a new version, with CAS against ``cas``."""
    ensure_writable(gateway, "rolling back a secret")
    old = read_version(gateway, mount, path, to_version)
    if old.state.value != "live":
        raise InvalidRequest(f"version {to_version} is {old.state.value}; it cannot be rolled back to")
    return write_v2(gateway, mount, path, old.data, cas=cas)


def read_versions(gateway: Gateway, mount: str, path: str, versions: list[int]) -> tuple[SecretData, ...]:
    """Read several KV v2 versions (for a diff); deleted/destroyed ones come back with their state."""
    return tuple(read_version(gateway, mount, path, int(v)) for v in versions)
