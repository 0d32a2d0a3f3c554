"""Modal forms for transit key management: create a key, change a key's config.

They only collect and validate input; the screen sends the request through the worker.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from ...safe import safe_text
from ...vault.transit_models import KEY_TYPES, TransitKey, parse_period

FORM_CSS = """
CreateKeyScreen, KeyConfigScreen { align: center middle; }
CreateKeyScreen > Vertical, KeyConfigScreen > Vertical {
    width: 70; max-width: 95%; height: auto; max-height: 95%;
    border: thick $primary 60%; background: $surface; padding: 1 2;
}
CreateKeyScreen .form-title, KeyConfigScreen .form-title { text-style: bold; margin-bottom: 1; }
CreateKeyScreen Label, KeyConfigScreen Label { margin-top: 1; }
CreateKeyScreen .form-error, KeyConfigScreen .form-error { color: $error; height: auto; }
CreateKeyScreen .form-buttons, KeyConfigScreen .form-buttons { height: auto; align-horizontal: right; margin-top: 1; }
CreateKeyScreen .form-buttons Button, KeyConfigScreen .form-buttons Button { margin-left: 2; }
CreateKeyScreen Horizontal.checks, KeyConfigScreen Horizontal.checks { height: auto; }
"""


@dataclass(frozen=True)
class NewKeySpec:
    name: str
    key_type: str
    derived: bool = False
    convergent: bool = False
    exportable: bool = False
    auto_rotate_period: str | None = None


@dataclass(frozen=True)
class KeyConfigChange:
    min_decryption_version: int | None = None
    min_encryption_version: int | None = None
    auto_rotate_period: str | None = None
    deletion_allowed: bool | None = None


class CreateKeyScreen(ModalScreen["NewKeySpec | None"]):
    DEFAULT_CSS = FORM_CSS
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="transit.form.cancel")]

    def __init__(self, mount: str) -> None:
        super().__init__()
        self.mount_path = mount

    def compose(self) -> ComposeResult:
        with Vertical():
            title = Text("New transit key on ")
            title.append_text(safe_text(self.mount_path))
            yield Static(title, classes="form-title")
            yield Label("Name")
            yield Input(id="key-name", placeholder="letters, digits, - _ .")
            yield Label("Type")
            yield Select([(t, t) for t in KEY_TYPES], value=KEY_TYPES[0], allow_blank=False, id="key-type")
            with Horizontal(classes="checks"):
                yield Checkbox("derived", id="key-derived")
                yield Checkbox("convergent", id="key-convergent")
                yield Checkbox("exportable", id="key-exportable")
            yield Label("Auto-rotate period (e.g. 24h, empty = never)")
            yield Input(id="key-rotate", placeholder="never")
            yield Static("", id="form-error", classes="form-error")
            with Horizontal(classes="form-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Create", id="create", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#key-name", Input).focus()

    @on(Checkbox.Changed, "#key-convergent")
    def _convergent(self, event: Checkbox.Changed) -> None:
        if event.value:
            self.query_one("#key-derived", Checkbox).value = True

    @on(Input.Submitted)
    @on(Button.Pressed, "#create")
    def action_create(self) -> None:
        name = self.query_one("#key-name", Input).value.strip()
        error = self.query_one("#form-error", Static)
        if not name:
            error.update("A key needs a name.")
            return
        if "/" in name:
            error.update("A key name cannot contain '/'.")
            return
        period = self.query_one("#key-rotate", Input).value.strip()
        if period and not parse_period(period):
            error.update("Auto-rotate period: use a duration like 24h or 30d.")
            return
        key_type = self.query_one("#key-type", Select).value
        self.dismiss(
            NewKeySpec(
                name=name,
                key_type=str(key_type),
                derived=self.query_one("#key-derived", Checkbox).value,
                convergent=self.query_one("#key-convergent", Checkbox).value,
                exportable=self.query_one("#key-exportable", Checkbox).value,
                auto_rotate_period=period or None,
            )
        )

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class KeyConfigScreen(ModalScreen["KeyConfigChange | None"]):
    DEFAULT_CSS = FORM_CSS
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="transit.form.cancel")]

    def __init__(self, key: TransitKey) -> None:
        super().__init__()
        self.key = key

    def compose(self) -> ComposeResult:
        key = self.key
        with Vertical():
            title = Text("Config of ")
            title.append_text(safe_text(key.mount + key.name))
            title.append(f"  (latest v{key.latest_version})")
            yield Static(title, classes="form-title")
            yield Label("min_decryption_version")
            yield Input(str(key.min_decryption_version), id="cfg-min-dec", type="integer")
            yield Label("min_encryption_version (0 = latest)")
            yield Input(str(key.min_encryption_version), id="cfg-min-enc", type="integer")
            yield Label("auto_rotate_period (e.g. 24h, 0 = never)")
            yield Input(key.auto_rotate_label if key.auto_rotate_period else "0", id="cfg-rotate")
            yield Checkbox("deletion_allowed", key.deletion_allowed, id="cfg-deletion")
            yield Static("", id="form-error", classes="form-error")
            with Horizontal(classes="form-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Save", id="save", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#cfg-min-dec", Input).focus()

    def _int(self, selector: str, label: str) -> int | None:
        text = self.query_one(selector, Input).value.strip()
        if not text:
            return None
        try:
            value = int(text)
        except ValueError:
            raise ValueError(f"{label} must be a whole number") from None
        if value < 0:
            raise ValueError(f"{label} cannot be negative")
        return value

    @on(Input.Submitted)
    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        key = self.key
        error = self.query_one("#form-error", Static)
        try:
            min_dec = self._int("#cfg-min-dec", "min_decryption_version")
            min_enc = self._int("#cfg-min-enc", "min_encryption_version")
        except ValueError as exc:
            error.update(str(exc))
            return
        period = self.query_one("#cfg-rotate", Input).value.strip()
        if period and period != "0" and not parse_period(period):
            error.update("auto_rotate_period: use a duration like 24h, or 0 for never.")
            return
        deletion = self.query_one("#cfg-deletion", Checkbox).value
        change = KeyConfigChange(
            min_decryption_version=min_dec if min_dec != key.min_decryption_version else None,
            min_encryption_version=min_enc if min_enc != key.min_encryption_version else None,
            auto_rotate_period=period if period and parse_period(period) != key.auto_rotate_period else None,
            deletion_allowed=deletion if deletion != key.deletion_allowed else None,
        )
        if change == KeyConfigChange():
            error.update("Nothing changed.")
            return
        self.dismiss(change)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
