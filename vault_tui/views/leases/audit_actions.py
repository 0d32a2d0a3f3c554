"""The lease dashboard's audit: the inventory panel (``a``), filtering the table by a count or a
bar of the expiry chart, and exporting the inventory to a file the user names (``e``).

The counts, filters, histogram and file format come from the Textual-free :mod:`.audit` engine;
:class:`LeaseAudit` sits between :class:`~vault_tui.views.leases.actions.LeaseActions` and the
screen. Counts that need the role check (orphaned, near max TTL) fill in once the worker has read
the roles (:func:`.audit.load_audit_context`, cached across refreshes).
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import OptionList

from ...context import vault_app
from ...safe import visible
from ...screens.modals import ConfirmScreen, PromptScreen
from ...vault.errors import VaultError
from ...vault.roles import RoleCache
from ...worker import Call
from ..private_file import resolve_target, write_private
from .actions import LeaseActions
from .audit import KEY_ALL, AuditContext, expiry_histogram, key_needs_roles, load_audit_context, write_leases
from .guard import composed, when_composed
from .inventory import next_span
from .inventory_panel import InventoryPanel


class LeaseAudit(LeaseActions):
    """Inventory panel, audit filter and export (the base of the lease screen)."""

    @dataclass
    class AuditLoaded(Message):
        context: AuditContext

    @dataclass
    class AuditFailed(Message):
        error: VaultError

    def init_audit(self) -> None:
        self.audit = AuditContext()  # no role check yet
        self.audit_key: str | None = None  # the count the table is narrowed to
        self.audit_checking = False
        self.span = 86400.0  # the expiry chart's span
        self._role_cache = RoleCache()
        self._inventory: InventoryPanel | None = None

    # -- the panel ------------------------------------------------------------------------------
    @property
    def inventory_shown(self) -> bool:
        return self._inventory is not None and self._inventory.display

    def action_inventory(self) -> None:
        if self.inventory_shown:
            self.hide_inventory()
            return
        panel = self._inventory
        if panel is None:  # built the first time it is asked for: nothing to pay while the view opens
            panel = self._inventory = InventoryPanel(id="lease-inventory")
            self.mount(panel, after="#leases-body")
        self.query_one("#leases-body", Horizontal).display = False
        panel.display = True
        self.call_after_refresh(self._inventory_opened)
        self.check_roles()

    def _inventory_opened(self) -> None:
        if self._inventory is not None and composed(self._inventory):
            self.update_inventory()
            self._inventory.query_one(OptionList).focus()

    def hide_inventory(self) -> None:
        if self._inventory is not None:
            self._inventory.display = False
        self.query_one("#leases-body", Horizontal).display = True
        self.table.focus()

    def update_inventory(self) -> None:
        """Recount (after a refresh, a role check, a new span)."""
        panel = self._inventory
        if panel is None or not self.inventory_shown or not composed(panel):
            return
        now = vault_app(self).now
        summary = self.audit.summarize(self.store.ids, self.store.known, now)
        hist = expiry_histogram(self.store.known.values(), now, span=self.span, bins=24)
        panel.show(summary, hist, filter_key=self.audit_key, checking=self.audit_checking)

    def check_roles(self) -> None:
        """Read the roles behind the leases (orphaned, max TTL) in the background."""
        if self.audit_checking or not self.store.ids:
            return
        self.audit_checking = True
        vault_app(self).worker.submit(
            Call(load_audit_context, list(self.store.ids), cache=self._role_cache),
            to=self,
            done=self.AuditLoaded,
            failed=self.AuditFailed,
            background=True,
            action="checking the roles behind the leases",
            key="leases-audit",
        )

    @on(AuditLoaded)
    @when_composed
    def _audit_loaded(self, message: AuditLoaded) -> None:
        self.audit = message.context
        self.audit_checking = False
        if self.audit_key is not None:
            self.apply_audit_filter(self.audit_key)
        self.update_inventory()

    @on(AuditFailed)
    @when_composed
    def _audit_failed(self, message: AuditFailed) -> None:
        self.audit_checking = False
        self.note(f"checking the roles behind the leases failed: {message.error}", "warning")
        self.update_inventory()

    @on(InventoryPanel.Picked)
    @when_composed
    def _picked(self, message: InventoryPanel.Picked) -> None:
        self.apply_audit_filter(message.key)
        self.hide_inventory()

    @on(InventoryPanel.SpanChanged)
    @when_composed
    def _span(self, message: InventoryPanel.SpanChanged) -> None:
        self.span = next_span(self.span, message.step)
        self.update_inventory()

    # -- the audit filter -----------------------------------------------------------------------
    def apply_audit_filter(self, key: str | None) -> None:
        """Narrow the table to the leases under ``key`` (None or ``all``: every lease)."""
        store = self.store
        if key is None or key == KEY_ALL:
            self.audit_key, store.predicate = None, None
        else:
            self.audit_key = key
            context, now, known = self.audit, vault_app(self).now, store.known
            store.predicate = lambda lease_id: context.matches(known.get(lease_id) or lease_id, key, now)
            if key_needs_roles(key) and self.audit.roles is None:
                self.check_roles()  # the counts fill in (and the filter applies) once read
        store.version += 1
        self.table.rebuild()
        self.update_status()

    def shown_ids(self) -> list[str]:
        """Every lease the table shows (filters applied; collapsed groups included)."""
        store = self.store
        predicate = store.predicate
        return [i for i in store.ids if store.matches(i) and (predicate is None or predicate(i))]

    # -- export ---------------------------------------------------------------------------------
    @work(group="leases-export", exclusive=True, exit_on_error=False)
    async def action_export(self) -> None:
        """Write the leases the table shows (looked up ones) to a file the user names, mode 0600."""
        ids = self.shown_ids()
        leases = [self.store.known[i] for i in ids if i in self.store.known]
        missing = len(ids) - len(leases)
        what = "every lease" if self.audit_key is None and not self.store.filter_text else "the leases shown"
        name = await self.app.push_screen_wait(
            PromptScreen(
                "Export the lease inventory",
                f"{len(leases):,} leases ({what}): id, mount, role, issue and expire time, TTL, renewable; "
                "never a secret value.\nFile name (.json for JSON, else CSV; written with mode 0600):",
                "leases.json" if self.audit_key else "leases.csv",
            )
        )
        if not name:
            return
        fmt = "json" if name.strip().lower().endswith(".json") else "csv"
        worker = vault_app(self).worker
        now = vault_app(self).now
        mounts = self.audit.mounts
        try:
            target = await worker.run_blocking(resolve_target, name)
            if await worker.run_blocking(target.exists):
                question = ConfirmScreen("Replace the file?", f"{target} exists. Replace it?", confirm_label="Replace")
                if not await self.app.push_screen_wait(question):
                    return
            await worker.run_blocking(
                write_private, target, lambda out: write_leases(out, fmt, leases, now=now, mounts=mounts)
            )
        except (OSError, ValueError) as error:
            self.notify(f"Export failed: {visible(error)}", severity="error", markup=False)
            return
        tail = f"; {missing:,} not looked up yet were left out" if missing else ""
        self.note(f"exported {len(leases):,} leases ({fmt.upper()}) to {target} (mode 0600){tail}")
