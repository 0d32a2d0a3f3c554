"""Namespaces: list the children of the current namespace, and build full namespace paths.

OpenBao serves ``sys/namespaces`` (also in dev mode); a Vault without namespaces (Community
Edition) answers 404, which :func:`list_namespaces` reports as :class:`NamespacesUnsupported`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import InvalidRequest, MalformedResponse, NotFound, VaultError
from .gateway import Gateway


class NamespacesUnsupported(VaultError):
    title = "Namespaces not available"


@dataclass(frozen=True)
class Namespace:
    """A child namespace. ``name`` is relative to the parent; ``path`` is the full path."""

    name: str  # e.g. "team-a" (no trailing slash)
    path: str  # full path from the root, e.g. "org/team-a" (no trailing slash)
    id: str = ""
    locked: bool = False
    custom_metadata: Mapping[str, str] = field(default_factory=dict)


def normalise(namespace: str | None) -> str:
    """``"/org/team-a/"`` -> ``"org/team-a"``; ``None``/``"root"`` -> ``""`` (the root)."""
    text = (namespace or "").strip().strip("/")
    if text in ("", "root"):
        return ""
    parts = text.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise InvalidRequest(f"{namespace!r} is not a valid namespace path")
    return "/".join(parts)


def join(parent: str | None, child: str) -> str:
    return "/".join(p for p in (normalise(parent), normalise(child)) if p)


def parent_of(namespace: str | None) -> str:
    text = normalise(namespace)
    return text.rpartition("/")[0]


def list_namespaces(gateway: Gateway) -> tuple[Namespace, ...]:
    """Child namespaces of the gateway's current namespace, sorted by name."""
    current = normalise(gateway.settings.namespace)
    try:
        body = gateway.request("LIST", "sys/namespaces", missing_ok=False)
    except NotFound as error:
        # 404 means either "no children" (OpenBao returns an empty list instead) or no
        # namespace support at all; tell them apart by the errors array.
        if error.errors:
            raise NamespacesUnsupported(
                "this server does not support namespaces (sys/namespaces is not available)",
                status=404,
                path="sys/namespaces",
            ) from None
        return ()
    data = gateway.data(body, "sys/namespaces")
    keys = data.get("keys") or []
    info = data.get("key_info") or {}
    if not isinstance(keys, list) or not isinstance(info, dict):
        raise MalformedResponse("sys/namespaces returned an unexpected shape", path="sys/namespaces")
    result = []
    for key in keys:
        name = str(key).strip("/")
        if not name:
            continue
        details: Any = info.get(key) or info.get(name + "/") or {}
        details = details if isinstance(details, dict) else {}
        meta = details.get("custom_metadata") or {}
        result.append(
            Namespace(
                name=name,
                path=join(current, name),
                id=str(details.get("id") or ""),
                locked=bool(details.get("locked")),
                custom_metadata={str(k): str(v) for k, v in meta.items()} if isinstance(meta, dict) else {},
            )
        )
    return tuple(sorted(result, key=lambda ns: ns.name))
