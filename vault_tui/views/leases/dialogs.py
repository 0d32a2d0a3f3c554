"""The lease dashboard's dialogs: generate credentials, renew increment, revoke-on-quit and its
report of failed revocations.

Every one derives from :class:`~vault_tui.screens.modals.Dialog` and uses the shared dialog
classes of ``screens/modals.tcss`` (no dialog styles of its own). Confirmations (revoke, revoke a
prefix, force-revoke) use the shared :class:`~vault_tui.screens.modals.ConfirmScreen` and
:class:`~vault_tui.screens.modals.TypedConfirmScreen`. Untrusted text is always plain.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

from ...context import vault_app
from ...safe import safe_text, visible
from ...screens.modals import Dialog
from ...vault import leases as api
from ...vault.errors import VaultError
from ...vault.gateway import Gateway
from .guard import when_composed
from .model import parse_duration

# Engines whose roles issue credentials at <mount>/creds/<role>.
CREDS_ENGINES = {
    "database",
    "aws",
    "rabbitmq",
    "consul",
    "nomad",
    "azure",
    "gcp",
    "alicloud",
    "kubernetes",
    "mongodbatlas",
    "terraform",
}


class GenerateCredsScreen(Dialog[tuple[str, str] | None]):
    """Pick ``<mount>/creds/<role>``: roles of every creds-capable mount, or type the path."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="leases.generate.cancel")]
    AUTO_FOCUS = "#gen-path"

    @dataclass
    class RolesLoaded(Message):
        roles: list[tuple[str, str]]
        problems: list[str]

    def __init__(self, mount: str | None = None) -> None:
        super().__init__()
        self._mount = mount

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -calm"):
            yield Static("Generate credentials", classes="dialog-title", markup=False)
            yield Input(placeholder="pick a role below, or type MOUNT/creds/ROLE", id="gen-path")
            yield OptionList(id="gen-roles")
            yield Static("Loading roles…", id="gen-status", classes="dialog-note", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Generate", id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one(OptionList).loading = True
        self.load_roles()

    @work(group="gen-roles", exclusive=True, exit_on_error=False)
    async def load_roles(self) -> None:
        worker = vault_app(self).worker
        roles: list[tuple[str, str]] = []
        problems: list[str] = []
        try:
            mounts = await worker.call(Gateway.mounts)
        except VaultError as error:
            mounts = ()
            problems.append(f"mounts: {error}")
        names = [m.name for m in mounts if not m.is_auth and m.type in CREDS_ENGINES]
        if self._mount and self._mount.strip("/") not in names:
            names.insert(0, self._mount.strip("/"))
        for name in names:
            try:
                for role in await worker.call(api.list_roles, name):
                    roles.append((name, role))
            except VaultError as error:
                problems.append(f"{name}: {error}")
        self.post_message(self.RolesLoaded(roles, problems))

    @on(RolesLoaded)
    @when_composed
    def _loaded(self, message: RolesLoaded) -> None:
        options = self.query_one(OptionList)
        options.loading = False
        options.clear_options()
        for mount, role in message.roles:
            options.add_option(Option(safe_text(f"{mount}/creds/{role}"), id=f"{mount}\x00{role}"))
        status = f"{len(message.roles)} role(s)."
        if message.problems:
            status += " Could not list: " + "; ".join(message.problems)
        self.query_one("#gen-status", Static).update(Text(visible(status)))
        if message.roles:
            options.highlighted = 0

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        mount, _, role = (event.option.id or "").partition("\x00")
        self.dismiss((mount, role))

    @on(Input.Submitted, "#gen-path")
    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        text = self.query_one("#gen-path", Input).value.strip().strip("/")
        if not text:
            options = self.query_one(OptionList)
            if options.highlighted is not None and options.option_count:
                option = options.get_option_at_index(options.highlighted)
                mount, _, role = (option.id or "").partition("\x00")
                self.dismiss((mount, role))
            return
        mount, sep, role = text.partition("/creds/")
        if not sep or not mount or not role:
            self.query_one("#gen-status", Static).update("Type it as MOUNT/creds/ROLE.")
            return
        self.dismiss((mount, role))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class Increment:
    """A renewal increment in seconds; None asks for the mount's default TTL."""

    seconds: int | None


class RenewDialog(Dialog[Increment | None]):
    """Ask for a renewal increment; a typo keeps the dialog open with the reason."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="leases.renew.cancel")]
    AUTO_FOCUS = "#increment"

    def __init__(self, what: str, note: str = "") -> None:
        super().__init__()
        self.what = what
        self.note = note

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -calm"):
            yield Static(f"Renew {self.what}", classes="dialog-title", markup=False)
            yield Static("Increment (30m, 1h, 3600; empty = the mount's default TTL):", markup=False)
            yield Input(id="increment", placeholder="e.g. 1h")
            yield Static("", id="increment-error", classes="dialog-error", markup=False)
            if self.note:
                yield Static(Text(visible(self.note, multiline=True)), classes="dialog-note")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Renew", id="ok", variant="primary")

    @on(Input.Submitted, "#increment")
    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        try:
            seconds = parse_duration(self.query_one("#increment", Input).value)
        except ValueError as error:
            self.query_one("#increment-error", Static).update(str(error))
            return
        self.dismiss(Increment(seconds))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class QuitLeasesScreen(Dialog[str]):
    """On quit: this session issued leases. Revoke them, keep them, or stay."""

    BINDINGS = [Binding("escape", "stay", "Cancel", id="quit.cancel")]
    AUTO_FOCUS = "#revoke"

    def __init__(self, lease_ids: list[str]) -> None:
        super().__init__()
        self.lease_ids = lease_ids

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -wide"):
            yield Static(
                f"This session issued {len(self.lease_ids)} lease(s) that are still live.",
                classes="dialog-title",
                markup=False,
            )
            shown = "\n".join(f"  {visible(lease_id)}" for lease_id in self.lease_ids[:8])
            more = f"\n  … and {len(self.lease_ids) - 8} more" if len(self.lease_ids) > 8 else ""
            yield Static(Text(shown + more), classes="dialog-body")
            yield Static("Revoke them before quitting? (Revoke waits for the server: sync=true.)", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="stay")
                yield Button("Quit, keep them", id="keep")
                yield Button("Revoke and quit", id="revoke", variant="error")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id or "stay")

    def action_stay(self) -> None:
        self.dismiss("stay")


class RevokeFailedScreen(Dialog[bool]):
    """Some revocations on quit failed: name each one and why, and stay unless told to quit.

    Dismisses True for "quit anyway", False to stay (the default button, and escape)."""

    BINDINGS = [Binding("escape", "stay", "Stay", id="quit.failed.stay")]
    AUTO_FOCUS = "#stay"  # the safe choice

    def __init__(self, failures: list[tuple[str, str]], total: int) -> None:
        super().__init__()
        self.failures = failures
        self.total = total

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -wide"):
            yield Static(
                f"{len(self.failures)} of {self.total} revocation(s) failed",
                classes="dialog-title -error",
                markup=False,
            )
            yield Static("These leases are still live on the server:", markup=False)
            with VerticalScroll(classes="dialog-scroll", id="revoke-failures"):
                for lease_id, why in self.failures:
                    line = Text("• ")
                    line.append(visible(lease_id), style="bold")
                    line.append("\n  " + visible(why))
                    yield Static(line)
            yield Static(
                "Stay to retry (quit again, or revoke them in the lease view), or quit and leave them live.",
                classes="dialog-note",
                markup=False,
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Quit anyway", id="quit", variant="error")
                yield Button("Stay", id="stay", variant="primary")

    @on(Button.Pressed, "#quit")
    def _quit(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#stay")
    def action_stay(self) -> None:
        self.dismiss(False)
