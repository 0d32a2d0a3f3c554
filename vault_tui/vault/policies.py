"""Policies and capabilities: what the current token may do.

* :func:`list_policies` lists ACL policy names and marks the ones this token may read.
* :func:`read_policy` returns a policy's HCL (shown as plain text by the UI).
* :func:`capabilities` asks ``sys/capabilities-self`` about one path;
  :func:`secret_permissions` turns that into allowed/forbidden actions for a KV secret,
  each forbidden one with a reason the UI can show before the user tries it.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from .errors import InvalidRequest, MalformedResponse, NotFound, PermissionDenied
from .gateway import Gateway
from .models import Capabilities, EngineKind

POLICY_ROOT = "sys/policies/acl"


@dataclass(frozen=True)
class PolicySummary:
    name: str
    readable: bool  # this token has "read" on sys/policies/acl/<name>


@dataclass(frozen=True)
class Policy:
    name: str
    hcl: str


def _policy_path(name: str) -> str:
    name = (name or "").strip()
    if not name or "/" in name or name in (".", ".."):
        raise InvalidRequest(f"{name!r} is not a policy name")
    return f"{POLICY_ROOT}/{quote(name, safe='')}"


def list_policies(gateway: Gateway) -> tuple[PolicySummary, ...]:
    """All ACL policy names the token may list, each marked readable or not.

    Without ``list`` on ``sys/policies/acl`` the token's own policies are offered instead
    (from lookup-self), so a restricted user still sees what applies to them.
    """
    try:
        body = gateway.request("LIST", POLICY_ROOT)
        data = gateway.data(body, POLICY_ROOT)
        keys = data.get("keys") or []
        if not isinstance(keys, list):
            raise MalformedResponse(f"{POLICY_ROOT} did not return a list of names", path=POLICY_ROOT)
        names = [str(k) for k in keys]
    except (PermissionDenied, NotFound):
        names = [p for p in gateway.lookup_self().policies if p != "root"]
    names = sorted(dict.fromkeys(n for n in names if n and "/" not in n))
    if not names:
        return ()
    paths = [_policy_path(n) for n in names]
    caps = gateway.capabilities_self(paths)
    return tuple(
        PolicySummary(name, Capabilities(path, caps.get(path, ())).allows("read"))
        for name, path in zip(names, paths)
    )


def read_policy(gateway: Gateway, name: str) -> Policy:
    path = _policy_path(name)
    data = gateway.data(gateway.request("GET", path), path)
    hcl = data.get("policy")
    if hcl is None:
        hcl = data.get("rules")
    if not isinstance(hcl, str):
        raise MalformedResponse(f"the policy {name!r} has no HCL text", path=path)
    return Policy(str(data.get("name") or name), hcl)


def capabilities(gateway: Gateway, path: str) -> Capabilities:
    """The token's capabilities on one API path (relative to /v1/, no leading slash)."""
    api_path = (path or "").strip().lstrip("/")
    if not api_path:
        raise InvalidRequest("no path to check")
    return Capabilities(api_path, gateway.capabilities_self([api_path]).get(api_path, ()))


# -- what can I do with a secret ------------------------------------------------------------
@dataclass(frozen=True)
class Permission:
    action: str  # "read", "write", "delete", "destroy", "list", "metadata"
    allowed: bool
    path: str  # the API path the action needs
    needs: tuple[str, ...]  # any of these capabilities is enough
    reason: str  # "" when allowed; else why not, for the UI


@dataclass(frozen=True)
class SecretPermissions:
    mount: str
    path: str
    permissions: tuple[Permission, ...]
    capabilities: tuple[Capabilities, ...]

    def get(self, action: str) -> Permission | None:
        for permission in self.permissions:
            if permission.action == action:
                return permission
        return None

    def allows(self, action: str) -> bool:
        permission = self.get(action)
        return bool(permission and permission.allowed)


def _join(*parts: str) -> str:
    return "/".join(p.strip("/") for p in parts if p and p.strip("/"))


def secret_action_paths(kind: EngineKind, mount: str, path: str) -> dict[str, tuple[str, tuple[str, ...]]]:
    """action -> (API path, capabilities any of which allows it) for a KV secret."""
    mount = mount.strip("/")
    if kind is EngineKind.KV2:
        data = _join(mount, "data", path)
        return {
            "read": (data, ("read",)),
            "write": (data, ("create", "update")),
            "delete": (data, ("delete",)),
            "undelete": (_join(mount, "undelete", path), ("update",)),
            "destroy": (_join(mount, "destroy", path), ("update",)),
            "metadata": (_join(mount, "metadata", path), ("read",)),
            "list": (_join(mount, "metadata", path), ("list",)),
        }
    target = _join(mount, path)
    return {
        "read": (target, ("read",)),
        "write": (target, ("create", "update")),
        "delete": (target, ("delete",)),
        "list": (target, ("list",)),
    }


def permissions_from(
    mount: str,
    path: str,
    actions: dict[str, tuple[str, tuple[str, ...]]],
    caps: dict[str, tuple[str, ...]],
    *,
    read_only: bool = False,
) -> SecretPermissions:
    """Pure: combine an action table with capabilities (and read-only mode)."""
    permissions = []
    for action, (api_path, needs) in actions.items():
        have = Capabilities(api_path, caps.get(api_path, ()))
        allowed = any(have.allows(need) for need in needs)
        if not allowed:
            shown = ", ".join(have.capabilities) or "none"
            reason = f"needs {' or '.join(needs)} on {api_path} (you have: {shown})"
        elif read_only and action not in ("read", "list", "metadata"):
            allowed = False
            reason = "read-only mode"
        else:
            reason = ""
        permissions.append(Permission(action, allowed, api_path, needs, reason))
    unique_paths = sorted({api_path for api_path, _ in actions.values()})
    return SecretPermissions(
        mount.strip("/"),
        path,
        tuple(permissions),
        tuple(Capabilities(p, caps.get(p, ())) for p in unique_paths),
    )


def secret_permissions(gateway: Gateway, kind: EngineKind, mount: str, path: str) -> SecretPermissions:
    """One ``sys/capabilities-self`` call for every action on a KV secret."""
    actions = secret_action_paths(kind, mount, path)
    paths = sorted({api_path for api_path, _ in actions.values()})
    caps = gateway.capabilities_self(paths)
    return permissions_from(mount, path, actions, caps, read_only=gateway.read_only)
