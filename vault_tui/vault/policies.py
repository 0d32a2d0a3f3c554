"""Policies and capabilities: what the current token may do.

* :func:`list_policies` lists ACL policy names and marks the ones this token may read.
* :func:`read_policy` returns a policy's HCL (shown as plain text by the UI).
* :func:`capabilities` asks ``sys/capabilities-self`` about one path.
* :func:`resultant_acl` reads ``sys/internal/ui/resultant-acl`` (what the Vault web UI uses): every
  path the token's policies name. :func:`allows` / :func:`capabilities_on` apply Vault's matching
  rules to it, :func:`readable_under` lists what the token may reach under a mount it cannot list,
  :func:`can_create_under` says whether "new secret" can succeed in a folder.
* :func:`action_checks` gives, for every KV action, the exact API paths and capabilities it needs;
  :func:`capabilities_for_actions` answers them all with one ``sys/capabilities-self`` call;
  :func:`secret_permissions` is the same for the Access tab, with a reason for each refusal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from .errors import InvalidRequest, MalformedResponse, NotFound, PermissionDenied
from .gateway import Gateway
from .models import Capabilities, EngineKind, Mount
from .paths import kv_api_path, validate_mount_path, validate_secret_path

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
        for name, path in zip(names, paths, strict=True)
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


# -- the resultant ACL -------------------------------------------------------------------------
RESULTANT_ACL = "sys/internal/ui/resultant-acl"


def _has_segment_wildcards(path: str) -> bool:
    """Vault's test for a ``+`` segment wildcard in a policy path."""
    return path == "+" or "/+" in path or path.startswith("+/")


@dataclass(frozen=True)
class AclRule:
    """One path of the token's policies (merged across policies), relative to the namespace."""

    path: str  # a glob without its trailing "*"; a segment-wildcard path as written (with "*")
    capabilities: tuple[str, ...]
    glob: bool = False  # the policy path ended in "*": every path starting with ``path``

    @property
    def wildcard(self) -> bool:
        """Has a ``+`` segment (``secret/data/+/db``)."""
        return _has_segment_wildcards(self.path)

    @property
    def denies(self) -> bool:
        return "deny" in self.capabilities or not self.capabilities


@dataclass(frozen=True)
class ResultantAcl:
    """The token's policies as the server resolved them: exact and glob paths, or root."""

    root: bool = False
    exact: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    globs: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # keys without the "*"

    @property
    def rules(self) -> tuple[AclRule, ...]:
        exact = [AclRule(p, c, False) for p, c in sorted(self.exact.items())]
        globs = [AclRule(p, c, True) for p, c in sorted(self.globs.items())]
        return tuple(exact + globs)


def _caps(value: Any) -> tuple[str, ...]:
    if isinstance(value, Mapping):
        value = value.get("capabilities")
    if not isinstance(value, list):
        return ()
    return tuple(sorted({str(c) for c in value}))


def parse_resultant_acl(data: Mapping[str, Any] | None, namespace: str = "") -> ResultantAcl:
    """Pure: the ``data`` of ``sys/internal/ui/resultant-acl``.

    In a namespace the server names paths with the namespace in front (``ns1/secret/data/x``):
    they are made relative to ``namespace`` and paths outside it are dropped. Segment-wildcard
    paths (``+``) are kept as written (a glob one keeps its ``*``); servers do not report them
    today, so what this ACL says is a lower bound: ``sys/capabilities-self`` has the last word.
    """
    if not isinstance(data, Mapping):
        raise MalformedResponse(f"{RESULTANT_ACL} did not return an object", path=RESULTANT_ACL)
    if data.get("root") is True:
        return ResultantAcl(root=True)
    prefix = namespace.strip("/") + "/" if namespace.strip("/") else ""

    def section(name: str) -> dict[str, tuple[str, ...]]:
        raw = data.get(name) or {}
        if not isinstance(raw, Mapping):
            raise MalformedResponse(f"{RESULTANT_ACL}: {name} is not an object", path=RESULTANT_ACL)
        out: dict[str, tuple[str, ...]] = {}
        for key, value in raw.items():
            path = str(key)
            if prefix:
                if not path.startswith(prefix):
                    continue
                path = path[len(prefix) :]
            out[path] = _caps(value)
        return out

    exact = section("exact_paths")
    globs = section("glob_paths")
    return ResultantAcl(root=False, exact=exact, globs=globs)


def resultant_acl(gateway: Gateway) -> ResultantAcl:
    """Every path the token's policies grant or deny, from ``sys/internal/ui/resultant-acl``."""
    body = gateway.request("GET", RESULTANT_ACL)
    namespace = gateway.settings.namespace or ""
    return parse_resultant_acl(gateway.data(body, RESULTANT_ACL), namespace)


@dataclass(frozen=True)
class _Candidate:
    first: int  # position of the first wildcard or glob
    prefix: bool
    wildcards: int
    path: str
    capabilities: tuple[str, ...]

    @property
    def priority(self) -> tuple[int, bool, int, int, str]:
        return (self.first, not self.prefix, -self.wildcards, len(self.path), self.path)


def _wildcard_candidate(rule_path: str, caps: tuple[str, ...], parts: list[str]) -> _Candidate | None:
    current = rule_path
    prefix = current.endswith("*")
    if prefix:
        current = current[:-1]
    acl_parts = current.split("/")
    if len(parts) < len(acl_parts) or (not prefix and len(parts) != len(acl_parts)):
        return None
    wildcards = 0
    for index, acl_part in enumerate(acl_parts):
        if acl_part == "+":
            wildcards += 1
        elif acl_part == parts[index]:
            continue
        elif prefix and index == len(acl_parts) - 1 and parts[index].startswith(acl_part):
            continue
        else:
            return None
    return _Candidate(rule_path.find("+"), prefix, wildcards, current, caps)


def capabilities_on(acl: ResultantAcl, api_path: str, *, listing: bool = False) -> tuple[str, ...]:
    """Pure: the capabilities ``acl`` gives on ``api_path``, by Vault's matching rules.

    What ``sys/capabilities-self`` answers: an exact path wins, then an exact path without the
    trailing ``/`` (Vault's LIST fallback, which capabilities-self applies to every path), then
    among globs (longest prefix) and ``+`` segment wildcards the most specific (first wildcard
    furthest right, not a prefix, fewest ``+``, longest). ``listing=True`` checks the path as a
    LIST sends it, ending in ``/``. ``("root",)`` for a root token, ``("deny",)`` when nothing matches.
    """
    if acl.root:
        return ("root",)
    path = api_path.lstrip("/")
    if listing and not path.endswith("/"):
        path += "/"
    wildcard_rules: dict[str, tuple[str, ...]] = {}
    exact: dict[str, tuple[str, ...]] = {}
    for key, caps in acl.exact.items():
        (wildcard_rules if _has_segment_wildcards(key) else exact)[key] = caps
    globs: dict[str, tuple[str, ...]] = {}
    for key, caps in acl.globs.items():
        if _has_segment_wildcards(key):
            wildcard_rules[key if key.endswith("*") else key + "*"] = caps
        else:
            globs[key] = caps
    if path in exact:
        return exact[path] or ("deny",)
    if path.endswith("/") and path[:-1] in exact:
        return exact[path[:-1]] or ("deny",)
    candidates: list[_Candidate] = []
    longest = max((g for g in globs if path.startswith(g)), key=len, default=None)
    if longest is not None:
        candidates.append(_Candidate(len(longest), True, 0, longest, globs[longest]))
    parts = path.split("/")
    for rule_path, caps in wildcard_rules.items():
        candidate = _wildcard_candidate(rule_path, caps, parts)
        if candidate is not None:
            candidates.append(candidate)
    if not candidates:
        return ("deny",)
    best = max(candidates, key=lambda c: c.priority)
    return best.capabilities or ("deny",)


def allows(acl: ResultantAcl, api_path: str, capability: str) -> bool:
    """Pure: whether ``acl`` grants ``capability`` on ``api_path`` (a LIST path for ``"list"``)."""
    caps = capabilities_on(acl, api_path, listing=capability == "list")
    return Capabilities(api_path, caps).allows(capability)


# -- what a token may reach under a mount -----------------------------------------------------
KV2_SECTIONS = ("data", "metadata", "delete", "undelete", "destroy")


@dataclass(frozen=True)
class GrantedPath:
    """A path under a mount that the token's policies name, mapped back to the secret path.

    ``path`` is inside the mount. With ``is_prefix`` it covers every path starting with it (a
    glob: ``app/`` is the folder app and all below it, ``app/db-`` every name starting so, ``""``
    the whole mount); otherwise it is exactly that secret, or that folder when it ends in ``/``.
    ``capabilities`` maps the KV v2 API section (``data``, ``metadata``, ``delete``, ``undelete``,
    ``destroy``; ``""`` for KV v1 and cubbyhole) to what is granted there.
    """

    path: str
    is_prefix: bool
    capabilities: Mapping[str, tuple[str, ...]]
    kv2: bool = True

    @property
    def is_folder(self) -> bool:
        return self.path == "" or self.path.endswith("/")

    @property
    def wildcard(self) -> bool:
        return _has_segment_wildcards(self.path)

    def on(self, section: str) -> tuple[str, ...]:
        return self.capabilities.get(section, ())

    def grants(self, section: str, capability: str) -> bool:
        return Capabilities(self.path, self.on(section)).allows(capability)

    @property
    def readable(self) -> bool:
        return self.grants("data" if self.kv2 else "", "read")

    @property
    def listable(self) -> bool:
        return self.grants("metadata" if self.kv2 else "", "list")


def readable_under(acl: ResultantAcl, mount: Mount | str, kind: EngineKind | None = None) -> tuple[GrantedPath, ...]:
    """Pure: the secret paths and prefixes the token's policies grant under ``mount``.

    For a KV v2 mount ``mount/data/x`` and ``mount/metadata/x`` (and delete/undelete/destroy) map
    back to the secret path ``x``; a glob is a prefix. ``mount`` is a :class:`Mount`, or a mount
    path with ``kind`` (KV v1 when not given). Deny rules grant nothing and are left out; a root
    token gets the whole mount. Sorted by path.
    """
    if isinstance(mount, Mount):
        prefix = mount.path
        kind = mount.kind if kind is None else kind
    else:
        prefix = mount
    prefix = validate_mount_path(prefix) + "/"
    kv2 = kind is EngineKind.KV2
    sections = KV2_SECTIONS if kv2 else ("",)
    merged: dict[tuple[str, bool], dict[str, set[str]]] = {}

    def grant(inner: str, is_prefix: bool, section: str, caps: Iterable[str]) -> None:
        merged.setdefault((inner, is_prefix), {}).setdefault(section, set()).update(caps)

    if acl.root:
        for section in sections:
            grant("", True, section, ("root",))
    for rule in acl.rules:
        if rule.denies:
            continue
        path = rule.path
        if rule.glob and prefix.startswith(path):  # the glob covers the whole mount
            for section in sections:
                grant("", True, section, rule.capabilities)
            continue
        if not kv2 and not rule.glob and path == prefix[:-1]:  # LIST on "mount" lists its root
            grant("", False, "", rule.capabilities)
            continue
        if not path.startswith(prefix):
            continue
        rel = path[len(prefix) :]
        if not kv2:
            grant(rel, rule.glob, "", rule.capabilities)
            continue
        for section in sections:
            if rel.startswith(section + "/"):
                grant(rel[len(section) + 1 :], rule.glob, section, rule.capabilities)
            elif rule.glob and (section + "/").startswith(rel):  # "mount/*", "mount/da*"
                grant("", True, section, rule.capabilities)
            elif not rule.glob and rel == section:  # LIST on "mount/metadata" lists the root
                grant("", False, section, rule.capabilities)
    result = [
        GrantedPath(
            path=inner,
            is_prefix=is_prefix,
            capabilities={s: tuple(sorted(c)) for s, c in sorted(caps.items())},
            kv2=kv2,
        )
        for (inner, is_prefix), caps in merged.items()
    ]
    return tuple(sorted(result, key=lambda g: (g.path, not g.is_prefix)))


def _covers_something_under(rule: AclRule, base: str) -> bool:
    """Whether ``rule`` applies to at least one path strictly below the folder ``base``."""
    if rule.wildcard:
        pattern = rule.path[:-1] if rule.path.endswith("*") else rule.path
        acl_parts = pattern.split("/")
        base_parts = base.rstrip("/").split("/") if base.rstrip("/") else []
        for index, part in enumerate(base_parts):
            if index >= len(acl_parts):
                return rule.path.endswith("*")
            if part != acl_parts[index] and acl_parts[index] != "+":
                last = index == len(acl_parts) - 1 and rule.path.endswith("*")
                if not (last and part.startswith(acl_parts[index])):
                    return False
        return True
    if rule.path.startswith(base) and len(rule.path) > len(base):
        return rule.glob or not rule.path.endswith("/")
    return False


def can_create_under(acl: ResultantAcl, mount: Mount, folder: str = "") -> bool:
    """Pure: whether "new secret" in ``folder`` of ``mount`` can succeed for some name.

    True when the rule that governs new names in the folder (the longest glob above it) or a
    rule for a path below it grants what creating needs (KV v2: ``create`` on ``data/``; KV v1:
    ``create`` and the ``read`` the compare-before-write does). The exact name is checked with
    :func:`capabilities_for_actions` once typed.
    """
    if acl.root:
        return True
    folder = validate_secret_path(folder, folder=True)
    needs = {"create"} if mount.kind is EngineKind.KV2 else {"create", "read"}
    section = "data" if mount.kind is EngineKind.KV2 else ""
    base = kv_api_path(mount.path, folder, section, folder=True)

    def enough(caps: Iterable[str]) -> bool:
        have = set(caps)
        return "deny" not in have and needs <= have

    governing = max(
        (r for r in acl.rules if r.glob and not r.wildcard and base.startswith(r.path)),
        key=lambda r: len(r.path),
        default=None,
    )
    if governing is not None and enough(governing.capabilities):
        return True
    return any(enough(r.capabilities) and _covers_something_under(r, base) for r in acl.rules)


# -- what each action needs ---------------------------------------------------------------------
# action -> ((API section, capability), ...): every one is needed. "" is the path itself (KV v1).
KV2_ACTIONS: Mapping[str, tuple[tuple[str, str], ...]] = {
    "read": (("data", "read"),),
    "list": (("metadata", "list"),),  # on the folder: mount/metadata/folder/
    "create": (("data", "create"),),  # a new secret (write with cas=0)
    "update": (("data", "update"),),  # a new version of an existing secret
    "patch": (("data", "patch"),),
    "rollback": (("data", "read"), ("data", "update")),  # read the old version, write it anew
    "delete": (("data", "delete"),),  # soft-delete the latest version
    "delete_versions": (("delete", "update"),),
    "undelete": (("undelete", "update"),),
    "destroy": (("destroy", "update"),),
    "delete_all": (("metadata", "delete"),),  # every version and the metadata
    "read_metadata": (("metadata", "read"),),
    "write_metadata": (("metadata", "update"),),
}
KV1_ACTIONS: Mapping[str, tuple[tuple[str, str], ...]] = {
    "read": (("", "read"),),
    "list": (("", "list"),),
    # write_kv1 compares with the stored data just before writing, so it reads too.
    "create": (("", "read"), ("", "create")),
    "update": (("", "read"), ("", "update")),
    "delete": (("", "delete"),),
}
READ_ACTIONS = frozenset({"read", "list", "read_metadata"})


def actions_for(kind: EngineKind) -> tuple[str, ...]:
    """The actions :func:`action_checks` knows for a mount kind (KV v1 and cubbyhole share one)."""
    return tuple(KV2_ACTIONS if kind is EngineKind.KV2 else KV1_ACTIONS)


def _checks(kind: EngineKind, mount: str, path: str, action: str) -> tuple[tuple[str, str], ...]:
    table = KV2_ACTIONS if kind is EngineKind.KV2 else KV1_ACTIONS
    if action not in table:
        where = "a KV v2 secret" if kind is EngineKind.KV2 else "a KV v1 secret"
        raise InvalidRequest(f"{action!r} is not an action on {where}")
    folder = action == "list"
    return tuple(
        (kv_api_path(mount, path, section, folder=folder), capability) for section, capability in table[action]
    )


def action_checks(mount: Mount, path: str, action: str) -> tuple[tuple[str, str], ...]:
    """Pure: every (API path, capability) that ``action`` on ``path`` needs, exactly as sent.

    ``path`` is the secret's path inside the mount, or for ``"list"`` the folder (``""`` is the
    root). Raises :class:`BadPath` for a path that would not reach the server unchanged.
    """
    return _checks(mount.kind, mount.path, path, action)


def action_check(mount: Mount, path: str, action: str) -> tuple[str, str]:
    """Pure: the (API path, capability) of the request that does ``action`` (the last one it sends).

    ``create`` on KV v2 is ``("secret/data/x", "create")``; on KV v1 ``("kv/x", "create")`` (it
    also reads first: see :func:`action_checks`). ``write_metadata`` is ``update`` on the
    metadata path, ``delete_all`` is ``delete`` on it, ``delete_versions``/``undelete``/``destroy``
    are ``update`` on their own paths.
    """
    return action_checks(mount, path, action)[-1]


@dataclass(frozen=True)
class Allowed:
    """Whether the token may do one action, and if not, why (for the UI, before the user tries)."""

    action: str
    allowed: bool
    needs: tuple[tuple[str, str], ...]  # (API path, capability): all of them
    missing: tuple[tuple[str, str], ...] = ()
    reason: str = ""

    def __bool__(self) -> bool:
        return self.allowed


def _has(caps: Mapping[str, tuple[str, ...]], api_path: str, capability: str) -> bool:
    return Capabilities(api_path, caps.get(api_path, ())).allows(capability)


def _reason(missing: Sequence[tuple[str, str]], caps: Mapping[str, tuple[str, ...]]) -> str:
    by_path: dict[str, list[str]] = {}
    for api_path, capability in missing:
        by_path.setdefault(api_path, []).append(capability)
    parts = []
    for api_path, needed in by_path.items():
        shown = ", ".join(caps.get(api_path, ())) or "none"
        parts.append(f"needs {' and '.join(needed)} on {api_path} (you have: {shown})")
    return "; ".join(parts)


def check_paths(checks: Iterable[tuple[str, str]]) -> list[str]:
    """The distinct API paths of these checks, for one ``sys/capabilities-self`` call.

    A LIST path ends in ``/``; the server answers for it as it decides a real LIST (an exact
    policy path without the slash counts too), so no other form needs asking.
    """
    return sorted({api_path for api_path, _ in checks})


def evaluate(
    action: str,
    checks: tuple[tuple[str, str], ...],
    caps: Mapping[str, tuple[str, ...]],
    *,
    read_only: bool = False,
) -> Allowed:
    """Pure: an :class:`Allowed` from the checks of one action and the capabilities per path."""
    missing = tuple(check for check in checks if not _has(caps, *check))
    if missing:
        return Allowed(action, False, checks, missing, _reason(missing, caps))
    if read_only and action not in READ_ACTIONS:
        return Allowed(action, False, checks, (), "read-only mode")
    return Allowed(action, True, checks)


def capabilities_for_actions(
    gateway: Gateway, mount: Mount, path: str, actions: Iterable[str] | None = None
) -> dict[str, Allowed]:
    """For each action on ``path``, whether the token may do it: ONE ``sys/capabilities-self`` call.

    ``actions`` defaults to every action of the mount's kind (:func:`actions_for`). ``path`` is
    the secret (for ``"list"``, its parent folder is checked unless ``path`` is a folder). In
    read-only mode every write action is refused with the reason "read-only mode".
    """
    wanted = tuple(actions) if actions is not None else actions_for(mount.kind)
    table = {action: action_checks(mount, _target(path, action), action) for action in wanted}
    paths = check_paths(check for checks in table.values() for check in checks)
    caps = gateway.capabilities_self(paths) if paths else {}
    return {action: evaluate(action, checks, caps, read_only=gateway.read_only) for action, checks in table.items()}


def _target(path: str, action: str) -> str:
    """The folder listed for ``"list"`` on a secret is its parent; other actions use the path."""
    if action != "list" or path == "" or path.endswith("/"):
        return path
    return path.rsplit("/", 1)[0] + "/" if "/" in path else ""


# -- the Access tab ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Permission:
    action: str  # an action of :data:`KV2_ACTIONS` / :data:`KV1_ACTIONS`, or "write" (create or update)
    allowed: bool
    path: str  # the API path of the request that does it
    needs: tuple[str, ...]  # capabilities needed ("write": any one of them; otherwise all of them)
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


def _write_permission(data_path: str, caps: Mapping[str, tuple[str, ...]], read_only: bool) -> Permission:
    needs = ("create", "update")
    have = Capabilities(data_path, caps.get(data_path, ()))
    if not any(have.allows(need) for need in needs):
        shown = ", ".join(have.capabilities) or "none"
        reason = f"needs create or update on {data_path} (you have: {shown})"
        return Permission("write", False, data_path, needs, reason)
    if read_only:
        return Permission("write", False, data_path, needs, "read-only mode")
    return Permission("write", True, data_path, needs, "")


def secret_permissions(gateway: Gateway, kind: EngineKind, mount: str, path: str) -> SecretPermissions:
    """Every action on a KV secret, allowed or not with the reason: ONE ``sys/capabilities-self`` call.

    "list" is about the folder the secret is in. "write" (create or update, whichever applies)
    is kept for screens that do not yet tell a new secret from a new version.
    """
    validate_secret_path(path)
    table = {action: _checks(kind, mount, _target(path, action), action) for action in actions_for(kind)}
    data_path = kv_api_path(mount, path, "data" if kind is EngineKind.KV2 else "")
    all_checks = [check for checks in table.values() for check in checks]
    paths = check_paths(all_checks)
    caps = gateway.capabilities_self(paths)
    permissions = []
    for action, checks in table.items():
        result = evaluate(action, checks, caps, read_only=gateway.read_only)
        permissions.append(
            Permission(action, result.allowed, checks[-1][0], tuple(c for _, c in checks), result.reason)
        )
    permissions.append(_write_permission(data_path, caps, gateway.read_only))
    shown_paths = sorted({api_path for api_path, _ in all_checks})
    return SecretPermissions(
        validate_mount_path(mount),
        path,
        tuple(permissions),
        tuple(Capabilities(p, caps.get(p, ())) for p in shown_paths),
    )
