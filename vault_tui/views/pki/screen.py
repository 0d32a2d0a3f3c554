"""The PKI view (``:pki``, ``ctrl+y``, ``--view pki``): certificates by expiry.

Every PKI mount the token can read, issuers and certificates in one table (common name, SANs,
issuer, not before, not after, days left), soonest expiry first; revoked ones marked, those
expiring within the threshold (``pki_warn_days``, default 30) highlighted. The highlighted
certificate's details and PEM show below the table; ``enter`` opens them in a dialog, ``c``
copies the PEM. ``i`` issues a certificate from a role, ``x`` revokes one (confirmed), ``e``
exports the inventory to CSV (mode 0600; never a private key). Loading runs in the worker's
background pool with a progress bar; ``esc`` cancels it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Input, ProgressBar, Static

from ...context import vault_app
from ...safe import safe_text, visible
from ...screens.modals import ConfirmScreen, PromptScreen
from ...vault import pki, pki_models
from ...vault.errors import VaultError
from ...vault.models import Mount
from ...vault.pki_models import Certificate, PkiInventory
from ...widgets.footer import KeysFooter
from ...widgets.session_bar import SessionBar
from ...worker import deliver
from ..private_file import resolve_target, write_private
from .dialogs import CertificateDialog, IssuedDialog, IssueDialog, RolePickerDialog, details_text
from .model import COLUMNS, CertRow, PkiModel, warn_days, write_inventory_csv

ROW_STYLE = {"revoked": "dim", "expired": "red", "expiring": "bold yellow", "valid": ""}
STATE_STYLE = {"revoked": "bold red", "expired": "bold red", "expiring": "bold yellow", "valid": "green"}
PROGRESS_EVERY = 0.1  # seconds between progress messages


class PkiScreen(Screen[None]):
    VIEW_TITLE = "Certificates (PKI)"
    CSS_PATH = Path(__file__).parent / "pki.tcss"
    AUTO_FOCUS = "#pki-table"
    BINDINGS = [
        Binding("c", "copy_pem", "Copy PEM", id="pki.copy"),
        Binding("i", "issue", "Issue", id="pki.issue"),
        Binding("x", "revoke", "Revoke", id="pki.revoke"),
        Binding("e", "export", "Export CSV", id="pki.export"),
        Binding("slash", "filter", "Filter", id="pki.filter"),
        Binding("r", "reload", "Reload", id="pki.reload"),
        Binding("escape", "escape", "Cancel / clear", show=False, id="pki.cancel"),
    ]

    @dataclass
    class Progress(Message):
        mount: str
        index: int  # of the mount, from 0
        mounts: int
        done: int
        total: int

    @dataclass
    class Loaded(Message):
        inventories: tuple[PkiInventory, ...]
        problems: tuple[str, ...] = ()
        cancelled: bool = False
        mounts: tuple[Mount, ...] = field(default_factory=tuple)

    def __init__(self) -> None:
        super().__init__()
        self.model = PkiModel()
        self.mounts: tuple[Mount, ...] = ()
        self.loading_now = False
        self.loaded_once = False
        self.cancelled = False
        self.filter_text = ""
        self.rows: list[CertRow] = []
        self._cancel: threading.Event | None = None
        self._pending_open: tuple[str, str] | None = None
        self._rendered_minute: tuple[int, int, int, int, int] | None = None

    def compose(self) -> ComposeResult:
        yield SessionBar()
        yield Static("", id="pki-status", markup=False)
        yield ProgressBar(id="pki-progress", show_eta=False)
        yield Input(placeholder="filter by name, SAN, issuer, serial or mount…", id="pki-filter")
        table: DataTable[Text] = DataTable(id="pki-table", cursor_type="row", zebra_stripes=True)
        for key, label, width in COLUMNS:
            table.add_column(label, key=key, width=width)
        yield table
        with VerticalScroll(id="pki-detail-box"):
            yield Static("", id="pki-detail", markup=False)
        yield Static("", id="pki-notes", markup=False)
        yield KeysFooter()

    def on_mount(self) -> None:
        self.model.warn = warn_days(vault_app(self).config)
        self.watch(self.app, "now", self._tick, init=False)
        self.reload()

    def on_unmount(self) -> None:
        if self._cancel is not None:
            self._cancel.set()

    @property
    def table(self) -> DataTable[Text]:
        return self.query_one("#pki-table", DataTable)

    @property
    def now(self) -> datetime:
        return vault_app(self).now

    # -- loading ------------------------------------------------------------------------------
    def reload(self) -> None:
        """Read every PKI mount again (``r``; the app calls it after a namespace or profile switch)."""
        if self._cancel is not None:
            self._cancel.set()
        self._cancel = threading.Event()
        self.loading_now = True
        self.cancelled = False
        bar = self.query_one("#pki-progress", ProgressBar)
        bar.update(total=None, progress=0)
        bar.display = True
        self._status("Reading the PKI mounts…")
        self._load(self._cancel)

    def action_reload(self) -> None:
        self.reload()

    @work(group="pki-load", exclusive=True, exit_on_error=False)
    async def _load(self, cancel: threading.Event) -> None:
        worker = vault_app(self).worker
        try:
            mounts = await worker.call(pki.pki_mounts)
        except VaultError as error:
            self.loading_now = False
            self.query_one("#pki-progress", ProgressBar).display = False
            self._status(f"Could not list the mounts: {visible(error)}", style="red")
            return
        inventories: list[PkiInventory] = []
        problems: list[str] = []
        now = self.now
        for index, mount in enumerate(mounts):
            if cancel.is_set():
                break
            try:
                inventory = await worker.call_background(
                    pki.inventory,
                    mount.path,
                    now=now,
                    cancel=cancel,
                    progress=self._reporter(mount, index, len(mounts)),
                )
            except VaultError as error:
                problems.append(f"could not read {mount.path}: {error}")
                continue
            inventories.append(inventory)
        deliver(self, self.Loaded(tuple(inventories), tuple(problems), cancel.is_set(), tuple(mounts)))

    def _reporter(self, mount: Mount, index: int, count: int) -> Any:
        """A progress callback for the worker thread: posts at most every PROGRESS_EVERY s."""
        last = [0.0]

        def report(done: int, total: int) -> None:
            moment = time.monotonic()
            if done < total and moment - last[0] < PROGRESS_EVERY:
                return
            last[0] = moment
            deliver(self, self.Progress(mount.path, index, count, done, total))

        return report

    @on(Progress)
    def _progress(self, message: Progress) -> None:
        if not self.loading_now:
            return
        bar = self.query_one("#pki-progress", ProgressBar)
        # Each mount is one share of the bar; inside it, certificates read of those listed.
        share = message.done / message.total if message.total else 1.0
        bar.update(total=message.mounts * 100, progress=(message.index + share) * 100)
        self._status(
            f"Reading {visible(message.mount)} ({message.index + 1}/{message.mounts}): "
            f"{message.done}/{message.total} certificates · esc cancels"
        )

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        self.loading_now = False
        self.loaded_once = True
        self.cancelled = message.cancelled or any(inv.cancelled for inv in message.inventories)
        if message.mounts:
            self.mounts = message.mounts
        self.query_one("#pki-progress", ProgressBar).display = False
        self.model.set_inventories(message.inventories, message.problems)
        self.render_rows()
        if self._pending_open is not None:
            mount, serial = self._pending_open
            self._pending_open = None
            self.open_certificate(mount, serial)

    # -- rendering ----------------------------------------------------------------------------
    def _status(self, text: str, style: str = "") -> None:
        line = Text(text, style=style)
        if vault_app(self).session.read_only:
            line.append("  · read-only: issuing and revoking are off", style="yellow")
        self.query_one("#pki-status", Static).update(line)

    def render_rows(self) -> None:
        table = self.table
        now = self.now
        current = self.current_key
        self.rows = self.model.rows(now, self.filter_text)
        with self.app.batch_update():
            table.clear()
            for row in self.rows:
                table.add_row(*self._cells(row), key=row.key)
            if current is not None and current in table.rows:
                table.move_cursor(row=table.get_row_index(current))
        self._rendered_minute = (now.year, now.month, now.day, now.hour, now.minute)
        self._render_status()
        self._render_notes()
        self._show_detail()

    @staticmethod
    def _cells(row: CertRow) -> list[Text]:
        style = ROW_STYLE[row.state]
        cells = []
        for key, _label, _width in COLUMNS:
            if key == "state":
                state_style = "cyan" if row.cert.is_issuer and row.state == "valid" else STATE_STYLE[row.state]
                cells.append(safe_text(row.cells[key], style=state_style, limit=200))
            elif key == "days":
                cells.append(Text(row.cells[key], style=style, justify="right"))
            else:
                cells.append(safe_text(row.cells[key], style=style, limit=200))
        return cells

    def _render_status(self) -> None:
        if not self.model.inventories and not self.loading_now:
            if self.model.problems:
                self._status("Could not read any PKI mount.", style="red")
            else:
                self._status("No PKI mount visible to this token.", style="dim")
            return
        text = self.model.summary(self.now, len(self.rows))
        if self.cancelled:
            text += " · CANCELLED: partial list (r reloads)"
        if self.filter_text:
            text += f" · filter: {visible(self.filter_text)}"
        self._status(text)

    def _render_notes(self) -> None:
        problems = self.model.problems
        notes = self.query_one("#pki-notes", Static)
        notes.display = bool(problems)
        shown = problems[:3]
        more = f"\n… and {len(problems) - 3} more" if len(problems) > 3 else ""
        notes.update(Text("\n".join(f"• {visible(p)}" for p in shown) + more, style="yellow"))

    def _tick(self, now: datetime) -> None:
        """Days left and highlights follow the clock (repainted once a minute, when on screen)."""
        minute = (now.year, now.month, now.day, now.hour, now.minute)
        if self._rendered_minute is None or minute == self._rendered_minute or self.app.screen is not self:
            return
        self.render_rows()

    @property
    def current_key(self) -> str | None:
        table = self.table
        if not table.row_count:
            return None
        try:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        except Exception:  # noqa: BLE001 - an empty or changing table
            return None
        return str(key) if key is not None else None

    @property
    def current(self) -> Certificate | None:
        key = self.current_key
        return self.model.find(key) if key is not None else None

    @on(DataTable.RowHighlighted, "#pki-table")
    def _highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        cert = self.current
        detail = self.query_one("#pki-detail", Static)
        if cert is None:
            empty = "No certificates." if self.loaded_once else ""
            detail.update(Text(empty, style="dim"))
            return
        detail.update(details_text(cert, self.now, self.model.warn))

    @on(DataTable.RowSelected, "#pki-table")
    def _selected(self, _event: DataTable.RowSelected) -> None:
        cert = self.current
        if cert is not None:
            self.app.push_screen(CertificateDialog(cert, self.now, self.model.warn))

    # -- jumping here from elsewhere ----------------------------------------------------------
    def open_certificate(self, mount: str, serial: str) -> bool:
        """Put the cursor on ``mount``'s certificate ``serial`` (after the load, if one is running)."""
        try:
            serial = pki_models.normalise_serial(serial)
        except VaultError:
            self.notify(f"Not a certificate serial: {visible(serial)}", severity="warning", markup=False)
            return False
        if self.loading_now or not self.loaded_once:
            self._pending_open = (mount, serial)
            return True
        key = f"{mount.strip('/')}/{serial}"
        if key not in self.table.rows and self.filter_text:
            self._set_filter("")
        if key not in self.table.rows:
            self.notify(
                f"Certificate {visible(serial)} is not on {visible(mount)} (any more).",
                severity="warning",
                markup=False,
            )
            return False
        self.table.move_cursor(row=self.table.get_row_index(key))
        self.table.focus()
        return True

    def show_matching(self, text: str) -> None:
        """Filter the table to ``text`` (a certificate's name, from the history view)."""
        self._set_filter(text)
        self.table.focus()

    # -- filter -------------------------------------------------------------------------------
    def action_filter(self) -> None:
        box = self.query_one("#pki-filter", Input)
        box.display = True
        box.focus()

    @on(Input.Changed, "#pki-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value
        self.render_rows()

    @on(Input.Submitted, "#pki-filter")
    def _filter_submitted(self) -> None:
        self.table.focus()

    def _set_filter(self, text: str) -> None:
        box = self.query_one("#pki-filter", Input)
        box.value = text
        self.filter_text = text
        box.display = bool(text)
        self.render_rows()

    def action_escape(self) -> None:
        """Cancel a load that is running; else clear the filter; else leave the filter box."""
        if self.loading_now and self._cancel is not None:
            self._cancel.set()
            self._status("Cancelling…")
            return
        box = self.query_one("#pki-filter", Input)
        if box.display:
            self._set_filter("")
            self.table.focus()

    # -- copy, export -------------------------------------------------------------------------
    def action_copy_pem(self) -> None:
        cert = self.current
        if cert is None:
            self.app.bell()
            return
        vault_app(self).copy_secret(cert.pem, "certificate PEM")

    @work(group="pki-action", exclusive=True, exit_on_error=False)
    async def action_export(self) -> None:
        certs = [row.cert for row in self.rows]
        if not certs:
            self.notify("Nothing to export.", severity="warning", markup=False)
            return
        what = f"{len(certs)} certificate{'s' if len(certs) != 1 else ''}"
        if self.filter_text:
            what += " (those the filter shows)"
        name = await self.app.push_screen_wait(
            PromptScreen(
                "Export the certificate inventory (CSV)",
                f"{what}: names, SANs, issuers, dates, serials, fingerprints. Never a private key.\n"
                "File name (written with mode 0600):",
                "pki-inventory.csv",
            )
        )
        if not name:
            return
        worker = vault_app(self).worker
        now = self.now
        try:
            target = await worker.run_blocking(resolve_target, name)
            if await worker.run_blocking(target.exists):
                question = ConfirmScreen("Replace the file?", f"{target} exists. Replace it?", confirm_label="Replace")
                if not await self.app.push_screen_wait(question):
                    return
            await worker.run_blocking(write_private, target, lambda out: write_inventory_csv(out, certs, now))
        except (OSError, ValueError) as error:
            self.notify(f"Export failed: {visible(error)}", severity="error", markup=False)
            return
        self.notify(f"Wrote {what} to {visible(target)} (mode 0600).", markup=False)

    # -- issue, revoke --------------------------------------------------------------------------
    def _refused(self, action: str) -> bool:
        if vault_app(self).session.read_only:
            vault_app(self).explain_refusal(action)
            return True
        return False

    @work(group="pki-action", exclusive=True, exit_on_error=False)
    async def action_issue(self) -> None:
        if self._refused("Issuing a certificate"):
            return
        if not self.mounts:
            self.notify("No PKI mount to issue from.", severity="warning", markup=False)
            return
        current = self.current
        picked = await self.app.push_screen_wait(RolePickerDialog(list(self.mounts), current.mount if current else ""))
        if picked is None:
            return
        mount, role_name = picked
        try:
            role = await vault_app(self).worker.call(pki.read_role, mount, role_name)
        except VaultError as error:
            vault_app(self).report_error(error, f"reading role {role_name}")
            return
        issued = await self.app.push_screen_wait(IssueDialog(role))
        if issued is None:
            return
        cert = issued.certificate
        await self.app.push_screen_wait(IssuedDialog(issued, self.now, self.model.warn))
        del issued  # the private key: nothing here keeps it
        self._pending_open = (mount, cert.serial) if not role.no_store else None
        self.reload()

    @work(group="pki-action", exclusive=True, exit_on_error=False)
    async def action_revoke(self) -> None:
        if self._refused("Revoking a certificate"):
            return
        cert = self.current
        if cert is None:
            self.app.bell()
            return
        if cert.revoked:
            self.notify(f"{visible(cert.common_name)} is already revoked.", markup=False)
            return
        if cert.is_issuer:
            self.notify(
                "This is an issuer (CA) of the mount; vault-tui does not revoke issuers.",
                severity="warning",
                markup=False,
            )
            return
        body = Text()
        body.append(visible(cert.common_name or cert.subject), style="bold")
        body.append(f"\nserial {visible(cert.serial)} on {visible(cert.mount)}")
        body.append(f"\nexpires {cert.not_after:%Y-%m-%d %H:%M} UTC")
        body.append("\n\nRevocation is permanent: the certificate goes on the mount's CRL.", style="dim")
        if not await self.app.push_screen_wait(ConfirmScreen("Revoke this certificate?", body, confirm_label="Revoke")):
            return
        try:
            revoked = await vault_app(self).worker.call(pki.revoke_certificate, cert.mount, cert.serial)
        except VaultError as error:
            vault_app(self).report_error(error, "revoking a certificate")
            return
        self.model.mark_revoked(cert.mount, cert.serial, revoked.revocation_time)
        self.render_rows()
        self.notify(f"Revoked {visible(cert.common_name or cert.serial)}.", markup=False)
