"""Which Vault-layer calls change something, and how each is written to the operator's trail.

The worker asks :func:`trail_spec` for every call it runs; a call listed here is recorded in the
:class:`~vault_tui.trail.Trail` after it returns or fails, whichever view started it. Only the
action, the target (a path, a lease id, a key name, a serial) and version numbers are taken from
the call's arguments — never data, a value, a token or a plaintext. Textual-free.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .trail import Action


@dataclass(frozen=True)
class TrailSpec:
    action: Action
    target: Callable[[Mapping[str, Any]], str]  # from the call's bound arguments
    versions: Callable[[Mapping[str, Any]], Iterable[int]] = lambda _args: ()


def _secret(args: Mapping[str, Any]) -> str:
    mount = str(args.get("mount", ""))
    return (mount if mount.endswith("/") else mount + "/") + str(args.get("path", ""))


def _versions(args: Mapping[str, Any]) -> Iterable[int]:
    return [int(v) for v in args.get("versions") or ()]


def _rollback_versions(args: Mapping[str, Any]) -> Iterable[int]:
    return [int(args["to_version"])] if args.get("to_version") is not None else []


def _key(args: Mapping[str, Any]) -> str:
    mount = str(args.get("mount", "")).rstrip("/")
    return f"{mount}/keys/{args.get('name', '')}"


def _lease(args: Mapping[str, Any]) -> str:
    return str(args.get("lease_id") or args.get("prefix") or "")


def _creds(args: Mapping[str, Any]) -> str:
    return f"{str(args.get('mount', '')).rstrip('/')}/creds/{args.get('role', '')}"


def _cert_issue(args: Mapping[str, Any]) -> str:
    return f"{str(args.get('mount', '')).rstrip('/')}/issue/{args.get('role', '')} CN={args.get('common_name', '')}"


def _cert_revoke(args: Mapping[str, Any]) -> str:
    return f"{str(args.get('mount', '')).rstrip('/')} serial {args.get('serial', '')}"


# The modules whose functions change something. A call from any other module is not looked up,
# so the table (and the engines it names: PKI pulls in cryptography) is built on the first change,
# not at start-up.
_MODULES = frozenset(
    f"vault_tui.vault.{name}"
    for name in ("kv", "leases", "transit", "pki", "transfer", "transfer_import", "transfer_moves", "envfile")
)


def _revoke_prefix_spec(args: Mapping[str, Any]) -> Action:
    return Action.REVOKE_FORCE if args.get("force") else Action.REVOKE_PREFIX


def _plan_target(args: Mapping[str, Any]) -> str:
    plan = args.get("plan")
    target = getattr(plan, "target", None)
    return getattr(target, "display", "") or str(getattr(target, "mount", ""))


def _transfer(args: Mapping[str, Any]) -> str:
    plan = args.get("plan")
    source, target = getattr(plan, "source", None), getattr(plan, "target", None)
    return f"{getattr(source, 'display', '?')} -> {getattr(target, 'display', '?')}"


def _loc(args: Mapping[str, Any]) -> str:
    return str(getattr(args.get("loc"), "display", ""))


@functools.cache
def specs() -> dict[Callable[..., Any], TrailSpec]:
    """Every change-making call of the Vault layer and how the trail names it."""
    from .vault import envfile, kv, leases, pki, transfer, transfer_import, transfer_moves, transit

    return {
        kv.write_v2: TrailSpec(Action.WRITE, _secret),
        kv.write_kv1: TrailSpec(Action.WRITE, _secret),
        kv.patch_v2: TrailSpec(Action.PATCH, _secret),
        kv.rollback: TrailSpec(Action.ROLLBACK, _secret, _rollback_versions),
        kv.delete_latest: TrailSpec(Action.DELETE, _secret),
        kv.delete_versions: TrailSpec(Action.DELETE, _secret, _versions),
        kv.delete_kv1: TrailSpec(Action.DELETE, _secret),
        kv.undelete_versions: TrailSpec(Action.UNDELETE, _secret, _versions),
        kv.destroy_versions: TrailSpec(Action.DESTROY, _secret, _versions),
        kv.delete_all: TrailSpec(Action.DELETE_ALL, _secret),
        kv.write_metadata: TrailSpec(Action.METADATA, _secret),
        leases.renew_lease: TrailSpec(Action.RENEW, _lease),
        leases.revoke_lease: TrailSpec(Action.REVOKE, _lease),
        leases.revoke_prefix: TrailSpec(Action.REVOKE_PREFIX, _lease),
        leases.generate_credentials: TrailSpec(Action.CREDENTIALS_ISSUED, _creds),
        transit.create_key: TrailSpec(Action.KEY_CREATE, _key),
        transit.rotate_key: TrailSpec(Action.KEY_ROTATE, _key),
        transit.update_key_config: TrailSpec(Action.KEY_CONFIG, _key),
        transit.delete_key: TrailSpec(Action.KEY_DELETE, _key),
        pki.issue_certificate: TrailSpec(Action.CERT_ISSUE, _cert_issue),
        pki.revoke_certificate: TrailSpec(Action.CERT_REVOKE, _cert_revoke),
        transfer_import.apply_import: TrailSpec(Action.IMPORT, _plan_target),
        transfer_moves.run_transfer: TrailSpec(Action.COPY, _transfer),
        transfer.export_subtree: TrailSpec(Action.EXPORT, _loc),
        envfile.export_dotenv: TrailSpec(Action.EXPORT, _loc),
    }


def describe(
    fn: Callable[..., Any], args: tuple[Any, ...], kwargs: Mapping[str, Any]
) -> tuple[Action, str, list[int]] | None:
    """(action, target, versions) when ``fn(gateway, *args, **kwargs)`` changes something, else None."""
    while isinstance(fn, functools.partial):
        args, kwargs, fn = (*fn.args, *args), {**fn.keywords, **kwargs}, fn.func
    if getattr(fn, "__module__", None) not in _MODULES:
        return None
    spec = specs().get(fn)
    if spec is None:
        return None
    from .vault import leases, transfer_moves  # already imported: fn belongs to one of these modules

    try:
        bound = inspect.signature(fn).bind_partial(None, *args, **kwargs).arguments
    except TypeError:
        bound = dict(kwargs)
    action = spec.action
    if fn is leases.revoke_prefix:
        action = _revoke_prefix_spec(bound)
    elif fn is transfer_moves.run_transfer and getattr(bound.get("plan"), "move", False):
        action = Action.MOVE
    try:
        target = spec.target(bound)
        versions = list(spec.versions(bound))
    except (KeyError, TypeError, ValueError):
        target, versions = getattr(fn, "__name__", "?"), []
    return action, target, versions
