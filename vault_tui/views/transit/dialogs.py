"""The transit view's dialogs: create a key, change a key's config, export a key.

The first two only collect and validate input; the screen sends the request. The export dialog
fetches what the user chose (a read) and shows it masked until revealed. All derive from
:class:`~vault_tui.screens.modals.Dialog` and use its shared classes; the rest of their style is
in ``transit.tcss``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Input, Select, Static

from ...context import vault_app
from ...safe import mask, safe_text, visible
from ...screens.modals import Dialog
from ...vault import transit
from ...vault.errors import VaultError
from ...vault.transit_models import KEY_TYPES, ExportedKey, TransitKey, parse_period
from ...worker import Call
from ..guard import gone, when_composed
from .model import export_choices, export_copy, export_lines
from .widgets import Field, StateCheckbox

CSS = Path(__file__).parent / "transit.tcss"


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


class CreateKeyScreen(Dialog["NewKeySpec | None"]):
    """Name, type, flags and auto-rotation of a new key. Escape cancels (and leaves the field)."""

    CSS_PATH = CSS
    AUTO_FOCUS = "#key-name"
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="transit.form.cancel")]

    def __init__(self, mount: str) -> None:
        super().__init__()
        self.mount_path = mount

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -calm transit-form"):
            title = Text("New transit key on ")
            title.append_text(safe_text(self.mount_path))
            yield Static(title, classes="dialog-title")
            yield Field("name", Input(id="key-name", placeholder="letters, digits, - _ .", compact=True))
            yield Field(
                "type",
                Select([(t, t) for t in KEY_TYPES], value=KEY_TYPES[0], allow_blank=False, id="key-type", compact=True),
            )
            with Horizontal(classes="checks"):
                yield StateCheckbox("derived", id="key-derived", compact=True)
                yield StateCheckbox("convergent", id="key-convergent", compact=True)
                yield StateCheckbox("exportable", id="key-exportable", compact=True)
            yield Field("auto-rotate", Input(id="key-rotate", placeholder="24h, 30d; empty = never", compact=True))
            yield Static("", id="form-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Create", id="create", variant="primary")

    @on(StateCheckbox.Changed, "#key-convergent")
    def _convergent(self, event: StateCheckbox.Changed) -> None:
        if event.value:
            self.query_one("#key-derived", StateCheckbox).value = True

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
                derived=self.query_one("#key-derived", StateCheckbox).value,
                convergent=self.query_one("#key-convergent", StateCheckbox).value,
                exportable=self.query_one("#key-exportable", StateCheckbox).value,
                auto_rotate_period=period or None,
            )
        )

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class KeyConfigScreen(Dialog["KeyConfigChange | None"]):
    """min_decryption_version, min_encryption_version, auto_rotate_period, deletion_allowed."""

    CSS_PATH = CSS
    AUTO_FOCUS = "#cfg-min-dec"
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="transit.form.cancel")]

    def __init__(self, key: TransitKey) -> None:
        super().__init__()
        self.key = key

    def compose(self) -> ComposeResult:
        key = self.key
        with Vertical(classes="dialog -calm transit-form -config"):
            title = Text("Config of ")
            title.append_text(safe_text(key.mount + key.name))
            title.append(f"  (latest v{key.latest_version})")
            yield Static(title, classes="dialog-title")
            yield Field(
                "min decryption version",
                Input(str(key.min_decryption_version), id="cfg-min-dec", type="integer", compact=True),
            )
            yield Field(
                "min encryption version",
                Input(
                    str(key.min_encryption_version),
                    id="cfg-min-enc",
                    type="integer",
                    placeholder="0 = latest",
                    compact=True,
                ),
            )
            yield Field(
                "auto-rotate period",
                Input(
                    key.auto_rotate_label if key.auto_rotate_period else "0",
                    id="cfg-rotate",
                    placeholder="24h, 0 = never",
                    compact=True,
                ),
            )
            yield StateCheckbox("deletion allowed", key.deletion_allowed, id="cfg-deletion", compact=True)
            yield Static("", id="form-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Save", id="save", variant="primary")

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
        deletion = self.query_one("#cfg-deletion", StateCheckbox).value
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


class ExportKeyScreen(Dialog[None]):
    """Export a key's material (``transit/export``): masked until revealed, copyable.

    Exporting reads, so it works in read-only mode; the server refuses private material of a
    key that is not exportable. Nothing fetched here is kept once the dialog closes.
    """

    CSS_PATH = CSS
    AUTO_FOCUS = "#export"
    BINDINGS = [
        Binding("escape", "close", "Close", id="transit.export.close"),
        Binding("v,f2", "reveal", "Reveal", id="transit.export.reveal"),
        Binding("c,ctrl+g", "copy", "Copy", id="transit.export.copy"),
    ]

    @dataclass
    class Exported(Message):
        exported: ExportedKey  # its repr leaves the material out

    @dataclass
    class ExportFailed(Message):
        error: VaultError

    def __init__(self, key: TransitKey) -> None:
        super().__init__()
        self.key = key
        self.exported: ExportedKey | None = None
        self.revealed = False

    def compose(self) -> ComposeResult:
        key = self.key
        choices = export_choices(key)
        with Vertical(classes="dialog -wide transit-export"):
            title = Text("Export ")
            title.append_text(safe_text(key.mount + key.name))
            title.append(f"  ({visible(key.type)})")
            yield Static(title, classes="dialog-title")
            yield Field(
                "what",
                Select(
                    choices,
                    value=choices[0][1] if choices else Select.BLANK,
                    allow_blank=not choices,
                    id="export-type",
                    compact=True,
                ),
            )
            versions = [("every version", 0)] + [(f"v{info.version}", info.version) for info in key.versions]
            yield Field("version", Select(versions, value=0, allow_blank=False, id="export-version", compact=True))
            box = VerticalScroll(id="export-box", classes="dialog-scroll")
            box.border_title = "Key material"
            with box:
                yield Static(Text("Press enter to export.", style="dim"), id="export-output", markup=False)
            yield Static(
                "Private key material: v reveals, c copies (the clipboard is cleared after a while).",
                classes="dialog-note",
                id="export-note",
                markup=False,
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Close", id="close")
                yield Button("Export", id="export", variant="primary")

    @on(Button.Pressed, "#export")
    def action_export(self) -> None:
        kind = self.query_one("#export-type", Select).value
        version = self.query_one("#export-version", Select).value
        if not isinstance(kind, str):
            self._show_error("This key has nothing to export.")
            return
        key = self.key
        self.query_one("#export-output", Static).update(Text("exporting…", style="dim"))
        vault_app(self).worker.submit(
            Call(
                transit.export_key, key.mount, key.name, kind, version if isinstance(version, int) and version else None
            ),
            to=self,
            done=self.Exported,
            failed=self.ExportFailed,
            action="exporting a transit key",
            key="transit:export",
        )

    @on(Exported)
    @when_composed
    def _exported(self, message: Exported) -> None:
        self.exported = message.exported
        self.revealed = False
        self._show_export()

    @on(ExportFailed)
    @when_composed
    def _export_failed(self, message: ExportFailed) -> None:
        error = message.error
        text = Text(f"{error.title}: ", style="bold")
        text.append_text(safe_text(str(error), multiline=True))
        self._show_error(text)

    def _show_error(self, text: str | Text) -> None:
        self.query_one("#export-output", Static).update(text if isinstance(text, Text) else Text(text, style="bold"))

    def shown_text(self) -> str:
        """What the output area shows now (for tests)."""
        rendered = self.query_one("#export-output", Static).render()
        return rendered.plain if isinstance(rendered, Text) else str(rendered)

    def _show_export(self) -> None:
        exported = self.exported
        if exported is None or gone(self) or not self.is_mounted:
            return
        text = Text(end="")
        for label, value, masked in export_lines(exported, revealed=self.revealed):
            text.append(f"{label}  ", style="bold")
            if masked:
                text.append(mask(value))
                text.append("  (hidden: v reveals)", style="dim")
            else:
                text.append("\n" if "\n" in value else "")
                text.append_text(safe_text(value, multiline=True, limit=100_000))
            text.append("\n")
        text.rstrip()
        self.query_one("#export-output", Static).update(text)

    def action_reveal(self) -> None:
        if self.exported is None:
            self.notify("Export first (enter).", severity="warning", markup=False)
            return
        self.revealed = not self.revealed
        self._show_export()

    def action_copy(self) -> None:
        if self.exported is None:
            self.notify("Export first (enter).", severity="warning", markup=False)
            return
        text, label = export_copy(self.exported)
        vault_app(self).copy_secret(text, label)

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.exported = None
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.action_close()
