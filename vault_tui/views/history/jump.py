"""Opening an item in the view that shows it: a KV path in the secrets view, a lease in the lease
dashboard, a transit key in the playground, a certificate in the PKI view.

Used by the history and lint views. The target view is reached through
``vault_app(node).show_view(name, then=...)``; the method named by :class:`Target` is looked up
on that view's screen with ``getattr`` (the views own those methods: ``open_path(full_path)``,
``open_lease(lease_id_or_prefix)``, ``open_key(mount, name)``, ``open_certificate(mount, serial)``,
``show_matching(text)`` on the PKI view).
When a view has no such method yet, the user is told where to look instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ...context import vault_app
from ...safe import visible

if TYPE_CHECKING:
    from textual.dom import DOMNode
    from textual.screen import Screen


@dataclass(frozen=True)
class Target:
    view: str  # a view name of the registry
    method: str  # called on that view's screen
    args: tuple[str, ...]
    label: str  # what it is, for messages: "secret secret/app/db"


def kv_target(full_path: str) -> Target:
    return Target("browser", "open_path", (full_path,), f"secret {full_path}")


def lease_target(lease_id: str) -> Target:
    return Target("leases", "open_lease", (lease_id,), f"lease {lease_id}")


def key_target(mount: str, name: str) -> Target:
    mount = mount.strip("/") + "/"
    return Target("transit", "open_key", (mount, name), f"transit key {mount}{name}")


def cert_target(mount: str, serial: str) -> Target:
    mount = mount.strip("/") + "/"
    return Target("pki", "open_certificate", (mount, serial), f"certificate {serial} on {mount}")


def cert_name_target(name: str) -> Target:
    return Target("pki", "show_matching", (name,), f"certificates named {name}")


def go(node: DOMNode, target: Target) -> None:
    """Switch to ``target.view`` and open the item there."""
    app = vault_app(node)

    def then(screen: Screen[Any]) -> None:
        method = getattr(screen, target.method, None)
        if callable(method):
            method(*target.args)
        else:
            app_notify = getattr(screen, "notify", None)
            if callable(app_notify):
                app_notify(
                    f"This view cannot open the {visible(target.label)} by itself yet; find it here.",
                    severity="warning",
                    markup=False,
                )

    app.show_view(target.view, then=then)
