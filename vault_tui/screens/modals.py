"""Small modal screens: confirmations, prompts, help, the ``:`` command line, connection errors."""

from __future__ import annotations

from typing import Iterable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Label, Static

from ..safe import safe_text, visible


class ConfirmScreen(ModalScreen[bool]):
    """Yes/no. ``body`` is untrusted-safe (shown as plain text)."""

    DEFAULT_CSS = """
    ConfirmScreen, TypedConfirmScreen, PromptScreen { align: center middle; }
    .modal-box { width: 72; max-width: 95%; height: auto; max-height: 90%; border: thick $error 60%;
                 background: $surface; padding: 1 2; }
    .modal-box.-calm { border: thick $primary 60%; }
    .modal-title { text-style: bold; margin-bottom: 1; }
    .modal-body { margin-bottom: 1; height: auto; max-height: 20; }
    .modal-buttons { height: auto; align-horizontal: right; margin-top: 1; }
    .modal-buttons Button { margin-left: 2; }
    .modal-error { color: $error; height: auto; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="modal.cancel"),
        Binding("y", "confirm", "Yes", id="modal.yes"),
        Binding("n", "cancel", "No", show=False, id="modal.no"),
    ]

    def __init__(self, title: str, body: str | Text, *, confirm_label: str = "Confirm", danger: bool = True) -> None:
        super().__init__()
        self._title = title
        self._body = body
        self._confirm_label = confirm_label
        self._danger = danger

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box" + ("" if self._danger else " -calm")):
            yield Static(safe_text(self._title), classes="modal-title")
            body = self._body if isinstance(self._body, Text) else Text(visible(self._body, multiline=True))
            yield Static(body, classes="modal-body")
            with Horizontal(classes="modal-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button(self._confirm_label, id="confirm", variant="error" if self._danger else "primary")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    @on(Button.Pressed, "#confirm")
    def action_confirm(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)


class TypedConfirmScreen(ModalScreen[bool]):
    """A destructive action confirmed by typing ``expected`` exactly."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="modal.cancel")]

    def __init__(self, title: str, body: str | Text, expected: str, *, confirm_label: str = "Delete") -> None:
        super().__init__()
        self._title = title
        self._body = body
        self.expected = expected
        self._confirm_label = confirm_label

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box"):
            yield Static(safe_text(self._title), classes="modal-title")
            body = self._body if isinstance(self._body, Text) else Text(visible(self._body, multiline=True))
            yield Static(body, classes="modal-body")
            prompt = Text("Type ")
            prompt.append(visible(self.expected), style="bold")
            prompt.append(" to confirm:")
            yield Static(prompt)
            yield Input(id="typed", placeholder=visible(self.expected))
            yield Static("", id="typed-error", classes="modal-error")
            with Horizontal(classes="modal-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button(self._confirm_label, id="confirm", variant="error", disabled=True)

    def on_mount(self) -> None:
        self.query_one("#typed", Input).focus()

    @on(Input.Changed, "#typed")
    def _changed(self, event: Input.Changed) -> None:
        self.query_one("#confirm", Button).disabled = event.value != self.expected

    @on(Input.Submitted, "#typed")
    @on(Button.Pressed, "#confirm")
    def _submit(self) -> None:
        if self.query_one("#typed", Input).value == self.expected:
            self.dismiss(True)
        else:
            self.query_one("#typed-error", Static).update("That does not match.")

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)


class PromptScreen(ModalScreen[str | None]):
    """Ask for one line of text."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="modal.cancel")]

    def __init__(self, title: str, label: str = "", value: str = "", *, password: bool = False, placeholder: str = "") -> None:
        super().__init__()
        self._title = title
        self._label = label
        self._value = value
        self._password = password
        self._placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box -calm"):
            yield Static(safe_text(self._title), classes="modal-title")
            if self._label:
                yield Static(Text(visible(self._label, multiline=True)))
            yield Input(self._value, id="prompt", password=self._password, placeholder=self._placeholder)
            with Horizontal(classes="modal-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("OK", id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#prompt", Input).focus()

    @on(Input.Submitted, "#prompt")
    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        self.dismiss(self.query_one("#prompt", Input).value)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class HelpScreen(ModalScreen[None]):
    """The keys active in the view the user came from."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical { width: 90; max-width: 95%; height: 80%; border: thick $primary 60%; background: $surface; padding: 0 1; }
    HelpScreen DataTable { height: 1fr; }
    HelpScreen .help-title { text-style: bold; padding: 1 0; }
    """
    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss_help", "Close", id="help.close"),
    ]

    def __init__(self, view_name: str, rows: Iterable[tuple[str, str, str]]) -> None:
        super().__init__()
        self.view_name = view_name
        self.rows = list(rows)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"Keys — {self.view_name}", classes="help-title", markup=False)
            yield DataTable(id="help-table", cursor_type="row", zebra_stripes=True)
            yield Static("Press esc to close. Keys can be remapped in the config file's [keymap] table, by binding id.", markup=False)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Key", "Action", "Binding id")
        for key, description, binding_id in self.rows:
            table.add_row(Text(key, style="bold"), Text(description), Text(binding_id, style="dim"))
        table.focus()

    def action_dismiss_help(self) -> None:
        self.dismiss(None)


class CommandLineScreen(ModalScreen[str | None]):
    """k9s-style ``:`` command mode: ``:kv``, ``:leases``, ``:transit``, ``:policies``, ``:ctx NAME``, ``:q``."""

    DEFAULT_CSS = """
    CommandLineScreen { align: center bottom; }
    CommandLineScreen > Input { dock: bottom; margin: 0 0 1 0; border: tall $accent; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="command.cancel")]

    def compose(self) -> ComposeResult:
        yield Input(placeholder=":kv  :leases  :transit  :policies  :ctx NAME  :ns NAME  :q", id="command", value="")

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip().lstrip(":").strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConnectErrorScreen(ModalScreen[str]):
    """Why the app could not connect (down, sealed, 403, TLS), with retry. Never a traceback."""

    DEFAULT_CSS = """
    ConnectErrorScreen { align: center middle; }
    ConnectErrorScreen > Vertical { width: 84; max-width: 95%; height: auto; border: thick $error; background: $surface; padding: 1 2; }
    ConnectErrorScreen .title { text-style: bold; color: $error; margin-bottom: 1; }
    ConnectErrorScreen .detail { margin-bottom: 1; }
    """
    BINDINGS = [
        Binding("r", "retry", "Retry", id="connect.retry"),
        Binding("s", "sign_in", "Sign in", id="connect.sign_in"),
        Binding("q,escape", "quit_app", "Quit", id="connect.quit"),
    ]

    def __init__(self, title: str, detail: str, hint: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.detail = detail
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(safe_text(self.title_text), classes="title", id="connect-title")
            yield Static(Text(visible(self.detail, multiline=True)), classes="detail", id="connect-detail")
            if self.hint:
                yield Static(Text(self.hint, style="dim"), id="connect-hint")
            with Horizontal(classes="modal-buttons"):
                yield Button("Retry (r)", id="retry", variant="primary")
                yield Button("Quit (q)", id="quit")

    @on(Button.Pressed, "#retry")
    def action_retry(self) -> None:
        self.dismiss("retry")

    def action_sign_in(self) -> None:
        self.dismiss("sign_in")

    @on(Button.Pressed, "#quit")
    def action_quit_app(self) -> None:
        self.dismiss("quit")


class MessageScreen(ModalScreen[None]):
    """Show a block of plain text (e.g. both sides of a CAS conflict)."""

    DEFAULT_CSS = """
    MessageScreen { align: center middle; }
    MessageScreen > Vertical { width: 100; max-width: 95%; height: auto; max-height: 90%; border: thick $warning; background: $surface; padding: 1 2; }
    MessageScreen VerticalScroll { height: auto; max-height: 30; }
    """
    BINDINGS = [Binding("escape,enter,q", "close", "Close", id="message.close")]

    def __init__(self, title: str, body: Text | str) -> None:
        super().__init__()
        self._title = title
        self._body = body

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(safe_text(self._title), classes="modal-title")
            with VerticalScroll():
                body = self._body if isinstance(self._body, Text) else Text(visible(self._body, multiline=True))
                yield Static(body)
            with Horizontal(classes="modal-buttons"):
                yield Button("Close", id="close", variant="primary")

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(None)


class QuitLeasesScreen(ModalScreen[str]):
    """On quit: this session issued leases. Revoke them, keep them, or stay."""

    DEFAULT_CSS = """
    QuitLeasesScreen { align: center middle; }
    QuitLeasesScreen > Vertical { width: 80; max-width: 95%; height: auto; border: thick $warning; background: $surface; padding: 1 2; }
    QuitLeasesScreen Horizontal { height: auto; align-horizontal: right; margin-top: 1; }
    QuitLeasesScreen Button { margin-left: 1; }
    """
    BINDINGS = [Binding("escape", "stay", "Cancel", id="quit.cancel")]

    def __init__(self, lease_ids: list[str]) -> None:
        super().__init__()
        self.lease_ids = lease_ids

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(f"This session issued {len(self.lease_ids)} lease(s) that are still live.", style="bold"))
            shown = "\n".join(f"  {visible(lease_id)}" for lease_id in self.lease_ids[:8])
            more = f"\n  … and {len(self.lease_ids) - 8} more" if len(self.lease_ids) > 8 else ""
            yield Static(Text(shown + more))
            yield Static(Text("Revoke them before quitting? (Revoke waits for the server: sync=true.)"))
            with Horizontal():
                yield Button("Cancel", id="stay")
                yield Button("Quit, keep them", id="keep")
                yield Button("Revoke and quit", id="revoke", variant="error")

    def on_mount(self) -> None:
        self.query_one("#revoke", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id or "stay")

    def action_stay(self) -> None:
        self.dismiss("stay")
