"""Dialogs shared by every view: confirmations, prompts, help, the ``:`` command line, errors.

Every dialog derives from :class:`Dialog` and is styled by ``modals.tcss`` (one style for all:
a centred box, its title, body, buttons and error line). Untrusted text is always plain.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Label, Static

from ..safe import safe_text, visible
from ..vault.errors import PermissionDenied, Sealed, TLSFailure, TokenInvalid, Unreachable, VaultError

R = TypeVar("R")


class Dialog(ModalScreen[R]):
    """Base of every vault-tui dialog: centred over the dimmed view (see ``modals.tcss``)."""

    def action_leave_field(self) -> None:
        """Escape inside a text field leaves the field; a second escape cancels the dialog."""
        cancel = getattr(self, "action_cancel", None)
        if callable(cancel):
            cancel()


class ConfirmScreen(Dialog[bool]):
    """Yes/no. ``body`` is untrusted-safe (shown as plain text)."""

    AUTO_FOCUS = "#cancel"

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
        with Vertical(classes="dialog" + ("" if self._danger else " -calm")):
            yield Static(safe_text(self._title), classes="dialog-title")
            body = self._body if isinstance(self._body, Text) else Text(visible(self._body, multiline=True))
            yield Static(body, classes="dialog-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button(self._confirm_label, id="confirm", variant="error" if self._danger else "primary")

    @on(Button.Pressed, "#confirm")
    def action_confirm(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)


class TypedConfirmScreen(Dialog[bool]):
    """A destructive action confirmed by typing ``expected`` exactly."""

    AUTO_FOCUS = "#typed"

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="modal.cancel")]

    def __init__(self, title: str, body: str | Text, expected: str, *, confirm_label: str = "Delete") -> None:
        super().__init__()
        self._title = title
        self._body = body
        self.expected = expected
        self._confirm_label = confirm_label

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(safe_text(self._title), classes="dialog-title")
            body = self._body if isinstance(self._body, Text) else Text(visible(self._body, multiline=True))
            yield Static(body, classes="dialog-body")
            prompt = Text("Type ")
            prompt.append(visible(self.expected), style="bold")
            prompt.append(" to confirm:")
            yield Static(prompt)
            yield Input(id="typed", placeholder=visible(self.expected))
            yield Static("", id="typed-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button(self._confirm_label, id="confirm", variant="error", disabled=True)

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


class PromptScreen(Dialog[str | None]):
    """Ask for one line of text."""

    AUTO_FOCUS = "#prompt"

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="modal.cancel")]

    def __init__(
        self, title: str, label: str = "", value: str = "", *, password: bool = False, placeholder: str = ""
    ) -> None:
        super().__init__()
        self._title = title
        self._label = label
        self._value = value
        self._password = password
        self._placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -calm"):
            yield Static(safe_text(self._title), classes="dialog-title")
            if self._label:
                yield Static(Text(visible(self._label, multiline=True)))
            yield Input(self._value, id="prompt", password=self._password, placeholder=self._placeholder)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("OK", id="ok", variant="primary")

    @on(Input.Submitted, "#prompt")
    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        self.dismiss(self.query_one("#prompt", Input).value)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class HelpScreen(Dialog[None]):
    """The keys active in the view the user came from, written as a person types them."""

    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss_help", "Close", id="help.close"),
    ]

    def __init__(self, view_name: str, rows: Iterable[tuple[str, str, str]]) -> None:
        super().__init__()
        self.view_name = view_name
        self.rows = list(rows)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -calm -wide -tall"):
            yield Static(f"Keys — {self.view_name}", classes="dialog-title", markup=False)
            yield DataTable(id="help-table", cursor_type="row", zebra_stripes=True)
            yield Static(
                "esc closes. Keys can be remapped in the config file's [keymap] table, by binding id.",
                classes="dialog-note",
                markup=False,
            )

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Key", "Action", "Binding id")
        for key, description, binding_id in self.rows:
            table.add_row(Text(key, style="bold"), Text(description), Text(binding_id, style="dim"))
        table.focus()

    def action_dismiss_help(self) -> None:
        self.dismiss(None)


class CommandLineScreen(Dialog[str | None]):
    """k9s-style ``:`` command mode: ``:kv``, ``:leases``, ``:transit``, ``:policies``, ``:ctx NAME``, ``:q``."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="command.cancel")]

    def compose(self) -> ComposeResult:
        yield Input(placeholder=":kv  :leases  :transit  :cluster  :open PATH  :ctx NAME  :ns NAME  :q", id="command")

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip().lstrip(":").strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConnectErrorScreen(Dialog[str]):
    """Why the app could not connect (down, sealed, 403, TLS), with retry. Never a traceback."""

    AUTO_FOCUS = "#retry"

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
        with Vertical(classes="dialog -wide"):
            yield Static(safe_text(self.title_text), classes="dialog-title -error", id="connect-title")
            yield Static(Text(visible(self.detail, multiline=True)), classes="dialog-body", id="connect-detail")
            if self.hint:
                yield Static(Text(self.hint), classes="dialog-note", id="connect-hint")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Sign in (s)", id="sign-in")
                yield Button("Quit (q)", id="quit")
                yield Button("Retry (r)", id="retry", variant="primary")

    @on(Button.Pressed, "#retry")
    def action_retry(self) -> None:
        self.dismiss("retry")

    @on(Button.Pressed, "#sign-in")
    def action_sign_in(self) -> None:
        self.dismiss("sign_in")

    @on(Button.Pressed, "#quit")
    def action_quit_app(self) -> None:
        self.dismiss("quit")


class MessageScreen(Dialog[None]):
    """Show a block of plain text (a value, a report)."""

    BINDINGS = [Binding("escape,enter,q", "close", "Close", id="message.close")]

    def __init__(self, title: str, body: Text | str) -> None:
        super().__init__()
        self._title = title
        self._body = body

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -calm -wide"):
            yield Label(safe_text(self._title), classes="dialog-title")
            with VerticalScroll(classes="dialog-scroll"):
                body = self._body if isinstance(self._body, Text) else Text(visible(self._body, multiline=True))
                yield Static(body)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Close", id="close", variant="primary")

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(None)


def describe_connect_error(error: VaultError, addr: str) -> tuple[str, str, str]:
    """(title, detail, hint) for the connection error screen."""
    if isinstance(error, Sealed):
        return (
            "The server is sealed",
            str(error),
            "Unseal it (bao operator unseal / vault operator unseal), then press r.",
        )
    if isinstance(error, TLSFailure):
        return ("TLS: certificate not trusted", str(error), "Set VAULT_CACERT (or BAO_CACERT) to the server's CA file.")
    if isinstance(error, Unreachable):
        return (
            f"The server at {addr} is down or unreachable",
            str(error),
            "Check VAULT_ADDR / --addr and that the server is running, then press r.",
        )
    if isinstance(error, TokenInvalid):
        return ("The token was refused (403)", str(error), "Set VAULT_TOKEN, or press s to sign in.")
    if isinstance(error, PermissionDenied):
        return (
            "Permission denied (403)",
            str(error),
            "The token cannot read what vault-tui needs; press s to sign in with another identity.",
        )
    return (error.title, str(error), "Press r to retry.")


_KEY_NAMES = {
    "question_mark": "?",
    "colon": ":",
    "slash": "/",
    "left_square_bracket": "[",
    "right_square_bracket": "]",
    "space": "space",
    "escape": "esc",
    "enter": "enter",
    "tab": "tab",
    "shift+tab": "shift+tab",
    "full_stop": ".",
    "comma": ",",
    "minus": "-",
    "plus": "+",
    "equals_sign": "=",
    "exclamation_mark": "!",
    "number_sign": "#",
    "dollar_sign": "$",
    "ampersand": "&",
    "asterisk": "*",
    "underscore": "_",
    "less_than_sign": "<",
    "greater_than_sign": ">",
    "left_parenthesis": "(",
    "right_parenthesis": ")",
    "apostrophe": "'",
    "quotation_mark": '"',
    "grave_accent": "`",
    "tilde": "~",
    "vertical_line": "|",
    "backslash": "\\",
    "semicolon": ";",
    "at": "@",
    "circumflex_accent": "^",
    "percent_sign": "%",
}


def key_as_typed(key: str) -> str:
    """``left_square_bracket`` → ``[``, ``ctrl+k`` stays, ``R`` stays: keys as a person types them."""
    parts = []
    for part in key.split(","):
        part = part.strip()
        *mods, name = part.split("+")
        shown = _KEY_NAMES.get(name, name)
        parts.append("+".join([*mods, shown]))
    return " / ".join(parts)


def help_rows(bindings: Iterable[Any]) -> list[tuple[str, str, str]]:
    """(key as typed, description, binding id) for each active binding, without repeats."""
    rows: list[tuple[str, str, str]] = []
    seen: set[tuple[str, str]] = set()
    for active in bindings:
        binding = active.binding
        description = binding.description or binding.action
        display = binding.key_display or key_as_typed(binding.key)
        key = (display, description)
        if key in seen:
            continue
        seen.add(key)
        rows.append((display, description, binding.id or ""))
    return rows
