"""The PKI view's dialogs: a certificate's details, picking a role, the issue form, and the
certificate just issued (its private key masked until revealed, never kept afterwards)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Checkbox, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from ...context import vault_app
from ...safe import mask, safe_text, visible
from ...screens.modals import Dialog
from ...vault import pki
from ...vault.errors import VaultError
from ...vault.models import Mount
from ...vault.pki_models import Certificate, IssuedCertificate, PkiRole
from .model import IssueRequest, details, issue_fields, issue_request, role_summary

CSS = Path(__file__).parent / "pki.tcss"


def details_text(cert: Certificate, now: datetime, warn: int, *, pem: bool = True) -> Text:
    """A certificate's details (and PEM) as plain text, every server string made visible."""
    lines = details(cert, now, warn)
    width = max(len(label) for label, _ in lines)
    text = Text()
    for label, value in lines:
        text.append(f"{label:<{width}}  ", style="bold")
        text.append(visible(value) + "\n")
    if pem:
        text.append("\n")
        text.append(visible(cert.pem.strip(), multiline=True), style="dim")
    return text


class CertificateDialog(Dialog[None]):
    """A certificate's details and PEM; ``c`` copies the PEM."""

    CSS_PATH = CSS
    BINDINGS = [
        Binding("escape,q", "close", "Close", id="pki.details.close"),
        Binding("c", "copy_pem", "Copy PEM", id="pki.details.copy"),
    ]

    def __init__(self, cert: Certificate, now: datetime, warn: int) -> None:
        super().__init__()
        self.cert = cert
        self.now = now
        self.warn = warn

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -calm -wide -tall"):
            yield Static(safe_text(self.cert.common_name or self.cert.serial), classes="dialog-title")
            with VerticalScroll(id="pki-dialog-scroll"):
                yield Static(details_text(self.cert, self.now, self.warn), id="pki-dialog-details")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Copy PEM (c)", id="copy")
                yield Button("Close", id="close", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#pki-dialog-scroll").focus()

    @on(Button.Pressed, "#copy")
    def action_copy_pem(self) -> None:
        vault_app(self).copy_secret(self.cert.pem, "certificate PEM")

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(None)


class RolePickerDialog(Dialog["tuple[str, str] | None"]):
    """Pick ``<mount>/roles/<role>`` among every PKI mount's roles (listed here, via the worker)."""

    CSS_PATH = CSS
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="pki.roles.cancel")]

    def __init__(self, mounts: list[Mount], preferred: str = "") -> None:
        super().__init__()
        self.mounts = sorted(mounts, key=lambda m: (m.path != preferred, m.path))
        self.problems: list[str] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -calm"):
            yield Static("Issue a certificate: pick a role", classes="dialog-title")
            yield OptionList(id="pki-roles", markup=False)
            yield Static("Loading roles…", id="pki-roles-status", classes="dialog-note", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Next", id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one(OptionList).loading = True
        self.load_roles()

    @work(group="pki-roles", exclusive=True, exit_on_error=False)
    async def load_roles(self) -> None:
        worker = vault_app(self).worker
        options: list[Option] = []
        for mount in self.mounts:
            try:
                roles = await worker.call(pki.list_roles, mount.path)
            except VaultError as error:
                self.problems.append(f"{mount.path}: {error}")
                continue
            options.extend(
                Option(f"{visible(mount.path)}{visible(role)}", id=f"{mount.path}\0{role}") for role in roles
            )
        roles_list = self.query_one(OptionList)
        roles_list.loading = False
        roles_list.add_options(options)
        status = self.query_one("#pki-roles-status", Static)
        if options:
            roles_list.highlighted = 0
            roles_list.focus()
            status.update(Text("enter picks the highlighted role", style="dim"))
        else:
            status.update(Text("No roles on the PKI mounts this token can read.", style="dim"))
        if self.problems:
            status.update(Text("Could not list roles on " + "; ".join(visible(p) for p in self.problems), style="red"))

    @on(OptionList.OptionSelected, "#pki-roles")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self._dismiss_with(event.option.id)

    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        roles = self.query_one(OptionList)
        if roles.highlighted is not None:
            self._dismiss_with(roles.get_option_at_index(roles.highlighted).id)

    def _dismiss_with(self, option_id: str | None) -> None:
        if option_id:
            mount, _, role = option_id.partition("\0")
            self.dismiss((mount, role))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class IssueDialog(Dialog["IssuedCertificate | None"]):
    """The issue form: the role's allowed fields. It sends the request itself (through the
    worker) so an error keeps the form; it dismisses with the issued certificate."""

    CSS_PATH = CSS
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="pki.issue.cancel")]

    def __init__(self, role: PkiRole) -> None:
        super().__init__()
        self.role = role
        self.fields = issue_fields(role)
        self.busy = False

    def compose(self) -> ComposeResult:
        role = self.role
        with Vertical(classes="dialog -calm -wide -tall"):
            title = Text("Issue a certificate from ")
            title.append(visible(f"{role.mount}roles/{role.name}"), style="bold")
            yield Static(title, classes="dialog-title")
            yield Static(Text(visible(role_summary(role)), style="dim"), classes="dialog-note")
            with VerticalScroll(id="pki-issue-fields"):
                for field in self.fields:
                    yield Label(Text(visible(field.label)))
                    yield Input(id=f"issue-{field.name}", placeholder=field.placeholder, compact=True)
                yield Checkbox("Leave the common name out of the SANs", id="issue-exclude-cn")
            yield Static("", id="issue-error", classes="dialog-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Issue", id="issue", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#issue-common_name", Input).focus()

    def values(self) -> dict[str, str]:
        return {field.name: self.query_one(f"#issue-{field.name}", Input).value for field in self.fields}

    def request(self) -> IssueRequest:
        """The validated form (raises ValueError)."""
        return issue_request(self.role, self.values(), self.query_one("#issue-exclude-cn", Checkbox).value)

    @on(Input.Submitted)
    @on(Button.Pressed, "#issue")
    def action_issue(self) -> None:
        if self.busy:
            return
        error = self.query_one("#issue-error", Static)
        try:
            request = self.request()
        except ValueError as problem:
            error.update(Text(visible(str(problem))))
            return
        error.update(Text("Issuing…", style="dim"))
        self.busy = True
        self.query_one("#issue", Button).disabled = True
        self._send(request)

    @work(group="pki-issue", exclusive=True, exit_on_error=False)
    async def _send(self, request: IssueRequest) -> None:
        try:
            issued = await vault_app(self).worker.call(
                pki.issue_certificate,
                request.mount,
                request.role,
                request.common_name,
                alt_names=request.alt_names,
                ip_sans=request.ip_sans,
                uri_sans=request.uri_sans,
                ttl=request.ttl,
                exclude_cn_from_sans=request.exclude_cn_from_sans,
            )
        except VaultError as error:
            self.busy = False
            self.query_one("#issue", Button).disabled = False
            self.query_one("#issue-error", Static).update(Text(f"The server refused: {visible(error)}"))
            return
        self.dismiss(issued)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        if not self.busy:
            self.dismiss(None)


class IssuedDialog(Dialog[None]):
    """A certificate just issued. Its private key is masked until ``v``; ``k`` copies it (the
    clipboard clears itself). vault-tui keeps no copy once this closes."""

    CSS_PATH = CSS
    BINDINGS = [
        Binding("escape", "close", "Close", id="pki.issued.close"),
        Binding("v", "reveal", "Reveal key", id="pki.issued.reveal"),
        Binding("k", "copy_key", "Copy key", id="pki.issued.copy_key"),
        Binding("c", "copy_certificate", "Copy certificate", id="pki.issued.copy_cert"),
        Binding("a", "copy_chain", "Copy CA chain", id="pki.issued.copy_chain"),
    ]

    def __init__(self, issued: IssuedCertificate, now: datetime, warn: int) -> None:
        super().__init__()
        self._issued: IssuedCertificate | None = issued
        self.now = now
        self.warn = warn
        self.revealed = False

    @property
    def issued(self) -> IssuedCertificate:
        assert self._issued is not None
        return self._issued

    def compose(self) -> ComposeResult:
        cert = self.issued.certificate
        with Vertical(classes="dialog -calm -wide -tall"):
            title = Text("Issued ")
            title.append(visible(cert.common_name), style="bold")
            yield Static(title, classes="dialog-title")
            with VerticalScroll(id="pki-dialog-scroll"):
                yield Static(self._key_text(), id="issued-key")
                yield Static(details_text(cert, self.now, self.warn), id="pki-dialog-details")
            yield Static(
                "vault-tui keeps no copy of the private key: copy it now (k). It is never written to a file or log.",
                classes="dialog-note",
                markup=False,
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Reveal key (v)", id="reveal")
                yield Button("Copy key (k)", id="copy-key")
                yield Button("Copy cert (c)", id="copy-cert")
                yield Button("Close", id="close", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#close", Button).focus()

    def _key_text(self) -> Text:
        text = Text()
        kind = self.issued.private_key_type or "private"
        text.append(f"Private key ({visible(kind)}): ", style="bold")
        if self.revealed:
            text.append("\n" + visible(self.issued.private_key.strip(), multiline=True) + "\n")
        else:
            text.append(mask(self.issued.private_key), style="dim")
            text.append("  (v reveals, k copies)\n", style="dim")
        return text

    @on(Button.Pressed, "#reveal")
    def action_reveal(self) -> None:
        self.revealed = not self.revealed
        self.query_one("#issued-key", Static).update(self._key_text())
        self.query_one("#reveal", Button).label = "Hide key (v)" if self.revealed else "Reveal key (v)"

    @on(Button.Pressed, "#copy-key")
    def action_copy_key(self) -> None:
        vault_app(self).copy_secret(self.issued.private_key, "private key")

    @on(Button.Pressed, "#copy-cert")
    def action_copy_certificate(self) -> None:
        vault_app(self).copy_secret(self.issued.certificate.pem, "certificate PEM")

    def action_copy_chain(self) -> None:
        chain = "\n".join(c.strip() for c in self.issued.ca_chain) or self.issued.issuing_ca
        vault_app(self).copy_secret(chain, "CA chain")

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self._issued = None  # the only reference vault-tui held to the private key
        self.dismiss(None)
