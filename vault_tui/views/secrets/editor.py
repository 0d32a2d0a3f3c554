"""Modals for changing KV secrets: the data editor (key/value rows or raw JSON), the metadata
editor, and the check-and-set conflict screen that shows both sides.

Secret text shown here is untrusted. Rows mode uses ``Input`` widgets, which would pass control
characters to the terminal, so rows mode is offered only when every key and value is plain text;
otherwise the editor opens in JSON mode, where :func:`to_json_text` writes every control,
bidi and zero-width character as a ``\\uXXXX`` escape.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, ContentSwitcher, DataTable, Input, Label, Static, Switch, TextArea

from ...safe import is_unsafe, mask, safe_text, visible
from ...vault.diff import Change, diff_data

EDITOR_CSS = """
SecretEditorScreen, MetadataEditorScreen, ConflictScreen { align: center middle; }
.editor-box { width: 110; max-width: 96%; height: 90%; border: thick $primary 60%;
              background: $surface; padding: 0 1; }
.editor-box.-conflict { border: thick $warning; }
.editor-title { text-style: bold; padding: 1 0 0 0; height: auto; }
.editor-note { color: $text-muted; height: auto; }
.editor-error { color: $error; height: auto; }
.editor-path { height: auto; margin: 1 0 0 0; }
.editor-path Label { padding: 1 1 0 0; }
.editor-path Input { width: 1fr; }
.editor-mode { height: 1; color: $text-muted; margin-top: 1; }
#editor-switcher { height: 1fr; }
KeyValueRows { height: 1fr; border: round $panel; }
KeyValueRows .kv-row { height: 3; }
KeyValueRows .kv-key { width: 2fr; }
KeyValueRows .kv-value { width: 3fr; }
KeyValueRows .kv-remove { min-width: 5; width: 5; }
#json-editor { height: 1fr; }
.editor-buttons { height: auto; align-horizontal: right; padding: 0 0 1 0; }
.editor-buttons Button { margin-left: 2; }
.meta-field { height: 3; }
.meta-field Label { width: 26; padding: 1 1 0 0; }
.meta-field Input { width: 1fr; }
#conflict-table { height: 1fr; }
"""


def to_json_text(data: Mapping[str, Any]) -> str:
    """Pretty JSON with every control/invisible character escaped (still valid JSON)."""
    text = json.dumps(dict(data), indent=2, ensure_ascii=False)
    if any(is_unsafe(ch) for ch in text if ch != "\n"):
        text = "".join(ch if (ch == "\n" or not is_unsafe(ch)) else f"\\u{ord(ch):04x}" for ch in text)
    return text


def parse_json_object(text: str) -> dict[str, Any]:
    """Parse the JSON editor's text: an object with at least one non-empty key."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})") from None
    if not isinstance(value, dict):
        raise ValueError("the secret must be a JSON object of key/value pairs")
    if not value:
        raise ValueError("a secret needs at least one key")
    if any(not key for key in value):
        raise ValueError("every key must be non-empty")
    return value


def rows_compatible(data: Mapping[str, Any]) -> bool:
    """True when every key and value is a plain string that is safe to put in an ``Input``."""
    for key, value in data.items():
        if not isinstance(key, str) or not isinstance(value, str):
            return False
        if any(is_unsafe(ch) for ch in key) or any(is_unsafe(ch) for ch in value):
            return False
        if len(value) > 100_000:
            return False
    return True


@dataclass(frozen=True)
class EditorResult:
    path: str  # the secret path inside the mount (for a new secret: what the user typed)
    data: dict[str, Any]


class KeyValueRows(VerticalScroll):
    """Editable key/value rows (used for secret data and for custom_metadata)."""

    def __init__(self, pairs: list[tuple[str, str]], *, masked: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self._initial = pairs
        self.masked = masked

    def compose(self) -> ComposeResult:
        for key, value in self._initial or [("", "")]:
            yield self._row(key, value)

    def _row(self, key: str, value: str) -> Horizontal:
        return Horizontal(
            Input(key, placeholder="key", classes="kv-key"),
            Input(value, placeholder="value", password=self.masked, classes="kv-value"),
            Button("✕", classes="kv-remove", tooltip="Remove this row"),
            classes="kv-row",
        )

    def add_row(self, key: str = "", value: str = "") -> None:
        key_input = Input(key, placeholder="key", classes="kv-key")
        row = Horizontal(
            key_input,
            Input(value, placeholder="value", password=self.masked, classes="kv-value"),
            Button("✕", classes="kv-remove", tooltip="Remove this row"),
            classes="kv-row",
        )
        self.mount(row)
        self.call_after_refresh(key_input.focus)
        self.call_after_refresh(self.scroll_end, animate=False)

    def pairs(self) -> list[tuple[str, str]]:
        result = []
        for row in self.query(".kv-row"):
            key = row.query_one(".kv-key", Input).value
            value = row.query_one(".kv-value", Input).value
            if key or value:
                result.append((key, value))
        return result

    def set_pairs(self, pairs: list[tuple[str, str]]) -> None:
        self.remove_children()
        self.mount_all([self._row(k, v) for k, v in (pairs or [("", "")])])

    def set_masked(self, masked: bool) -> None:
        self.masked = masked
        for value in self.query(".kv-value").results(Input):
            value.password = masked

    @on(Button.Pressed, ".kv-remove")
    def _remove(self, event: Button.Pressed) -> None:
        event.stop()
        row = event.button.parent
        if row is not None:
            row.remove()


def pairs_to_dict(pairs: list[tuple[str, str]]) -> dict[str, str]:
    data: dict[str, str] = {}
    for key, value in pairs:
        if not key:
            raise ValueError("every row needs a key")
        if key in data:
            raise ValueError(f"the key {visible(key)!r} appears twice")
        data[key] = value
    return data


class SecretEditorScreen(ModalScreen[EditorResult | None]):
    """Edit a secret's data as key/value rows or raw JSON. Dismisses with an :class:`EditorResult`."""

    DEFAULT_CSS = EDITOR_CSS
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True, id="editor.save"),
        Binding("f2", "toggle_mode", "Rows/JSON", priority=True, id="editor.mode"),
        Binding("ctrl+r", "reveal", "Reveal values", priority=True, id="editor.reveal"),
        Binding("ctrl+n", "add_row", "Add row", priority=True, id="editor.add_row"),
        Binding("escape", "cancel", "Cancel", id="editor.cancel"),
    ]

    def __init__(
        self,
        title: str,
        data: Mapping[str, Any],
        *,
        path: str = "",
        path_editable: bool = False,
        note: str = "",
        mode: str = "rows",
    ) -> None:
        super().__init__()
        self._title = title
        self._data = dict(data)
        self._path = path
        self._path_editable = path_editable
        self._note = note
        self._rows_ok = rows_compatible(self._data)
        self.mode = mode if self._rows_ok else "json"
        self.masked = True
        self._start = self._data

    def compose(self) -> ComposeResult:
        with Vertical(classes="editor-box"):
            yield Static(safe_text(self._title), classes="editor-title")
            if self._note:
                yield Static(Text(visible(self._note, multiline=True)), classes="editor-note")
            if self._path_editable:
                with Horizontal(classes="editor-path"):
                    yield Label("Path")
                    yield Input(self._path, id="editor-path", placeholder="folder/name")
            yield Static("", id="editor-mode", classes="editor-mode")
            with ContentSwitcher(initial=f"editor-{self.mode}", id="editor-switcher"):
                pairs = [(k, v) for k, v in self._data.items()] if self._rows_ok else []
                yield KeyValueRows(pairs, masked=True, id="editor-rows")
                yield TextArea(to_json_text(self._data) if self._data else "{\n  \n}", id="editor-json", soft_wrap=True)
            yield Static("", id="editor-error", classes="editor-error")
            with Horizontal(classes="editor-buttons"):
                yield Button("Cancel", id="editor-cancel")
                yield Button("Save (ctrl+s)", id="editor-save", variant="primary")

    def on_mount(self) -> None:
        self._show_mode()
        if self._path_editable:
            self.query_one("#editor-path", Input).focus()
        elif self.mode == "rows":
            inputs = self.query(".kv-value").results(Input)
            first = next(iter(inputs), None)
            if first is not None:
                first.focus()
        else:
            self.query_one("#editor-json", TextArea).focus()

    def _show_mode(self) -> None:
        if self.mode == "rows":
            hint = "Rows · F2 raw JSON · ctrl+n add row · ctrl+r " + ("reveal values" if self.masked else "mask values")
        else:
            hint = "Raw JSON · F2 rows" if self._rows_ok else "Raw JSON (nested values or control characters: rows mode is off)"
        self.query_one("#editor-mode", Static).update(Text(hint))

    def _error(self, message: str) -> None:
        self.query_one("#editor-error", Static).update(Text(visible(message, multiline=True)))

    def current_data(self) -> dict[str, Any]:
        """What the user has now (raises ValueError with a human message if it is invalid)."""
        if self.mode == "rows":
            return pairs_to_dict(self.query_one("#editor-rows", KeyValueRows).pairs())
        return parse_json_object(self.query_one("#editor-json", TextArea).text)

    def action_toggle_mode(self) -> None:
        try:
            data = self.current_data()
        except ValueError as error:
            if self.mode == "json" or self.query_one("#editor-rows", KeyValueRows).pairs():
                self._error(f"Fix this first: {error}")
                return
            data = {}
        if self.mode == "rows":
            self.query_one("#editor-json", TextArea).text = to_json_text(data) if data else "{\n  \n}"
            self.mode = "json"
        else:
            if not rows_compatible(data):
                self._error("Rows mode needs plain text values (no nested JSON, numbers or control characters).")
                return
            self.query_one("#editor-rows", KeyValueRows).set_pairs(list(data.items()))
            self.mode = "rows"
        self._rows_ok = self._rows_ok or self.mode == "rows"
        self.query_one("#editor-switcher", ContentSwitcher).current = f"editor-{self.mode}"
        self._error("")
        self._show_mode()

    def action_reveal(self) -> None:
        self.masked = not self.masked
        self.query_one("#editor-rows", KeyValueRows).set_masked(self.masked)
        self._show_mode()

    def action_add_row(self) -> None:
        if self.mode == "rows":
            self.query_one("#editor-rows", KeyValueRows).add_row()

    @on(Button.Pressed, "#editor-save")
    def action_save(self) -> None:
        path = self._path
        if self._path_editable:
            path = self.query_one("#editor-path", Input).value.strip()
            if not path or path.endswith("/") or path.startswith("/") or "//" in path:
                self._error("Give the secret a path such as team/app/name (no leading or trailing /).")
                return
        try:
            data = self.current_data()
        except ValueError as error:
            self._error(str(error))
            return
        if not data:
            self._error("A secret needs at least one key.")
            return
        self.dismiss(EditorResult(path=path, data=data))

    @on(Button.Pressed, "#editor-cancel")
    def action_cancel(self) -> None:
        try:
            changed = self.current_data() != self._start
        except ValueError:
            changed = True
        if not changed:
            self.dismiss(None)
            return
        from ...screens.modals import ConfirmScreen

        def decided(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(
            ConfirmScreen("Discard your changes?", "Your edit to this secret has not been saved.", confirm_label="Discard"),
            callback=decided,
        )


@dataclass(frozen=True)
class MetadataChange:
    max_versions: int
    cas_required: bool
    delete_version_after: str
    custom_metadata: dict[str, str]


class MetadataEditorScreen(ModalScreen[MetadataChange | None]):
    """Edit max_versions, cas_required, delete_version_after and custom_metadata."""

    DEFAULT_CSS = EDITOR_CSS
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True, id="metadata.save"),
        Binding("ctrl+n", "add_row", "Add custom key", priority=True, id="metadata.add_row"),
        Binding("escape", "cancel", "Cancel", id="metadata.cancel"),
    ]

    def __init__(
        self,
        title: str,
        *,
        max_versions: int,
        cas_required: bool,
        delete_version_after: str,
        custom_metadata: Mapping[str, str],
    ) -> None:
        super().__init__()
        self._title = title
        self._max_versions = max_versions
        self._cas_required = cas_required
        self._delete_after = delete_version_after
        self._custom = dict(custom_metadata)

    def compose(self) -> ComposeResult:
        with Vertical(classes="editor-box"):
            yield Static(safe_text(self._title), classes="editor-title")
            yield Static("0 means the mount's default (max_versions) or never (delete_version_after).", classes="editor-note")
            with Horizontal(classes="meta-field"):
                yield Label("max_versions")
                yield Input(str(self._max_versions), id="meta-max-versions", type="integer")
            with Horizontal(classes="meta-field"):
                yield Label("cas_required")
                yield Switch(self._cas_required, id="meta-cas-required")
            with Horizontal(classes="meta-field"):
                yield Label("delete_version_after")
                yield Input(self._delete_after, id="meta-delete-after", placeholder="e.g. 0s, 720h, 30m")
            yield Static("custom_metadata", classes="editor-mode")
            yield KeyValueRows(list(self._custom.items()), masked=False, id="meta-custom")
            yield Static("", id="editor-error", classes="editor-error")
            with Horizontal(classes="editor-buttons"):
                yield Button("Cancel", id="meta-cancel")
                yield Button("Save (ctrl+s)", id="meta-save", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#meta-max-versions", Input).focus()

    def action_add_row(self) -> None:
        self.query_one("#meta-custom", KeyValueRows).add_row()

    @on(Button.Pressed, "#meta-save")
    def action_save(self) -> None:
        error = self.query_one("#editor-error", Static)
        try:
            max_versions = int(self.query_one("#meta-max-versions", Input).value.strip() or "0")
            if max_versions < 0:
                raise ValueError("max_versions cannot be negative")
            custom = pairs_to_dict(self.query_one("#meta-custom", KeyValueRows).pairs())
        except ValueError as problem:
            error.update(Text(visible(str(problem))))
            return
        delete_after = self.query_one("#meta-delete-after", Input).value.strip() or "0s"
        self.dismiss(
            MetadataChange(
                max_versions=max_versions,
                cas_required=self.query_one("#meta-cas-required", Switch).value,
                delete_version_after=delete_after,
                custom_metadata=custom,
            )
        )

    @on(Button.Pressed, "#meta-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class ConflictScreen(ModalScreen[str]):
    """A check-and-set conflict: what is on the server now (theirs) next to the user's edit (yours).

    Values stay masked until revealed. Dismisses with "edit" (reopen the editor with your text,
    now based on their version), "overwrite" (write yours over theirs) or "keep" (close; your
    edit stays as a draft on the secret).
    """

    DEFAULT_CSS = EDITOR_CSS
    BINDINGS = [
        Binding("e", "choose('edit')", "Edit mine again", id="conflict.edit"),
        Binding("o", "choose('overwrite')", "Write mine over theirs", id="conflict.overwrite"),
        Binding("v", "reveal_row", "Reveal row", id="conflict.reveal"),
        Binding("V", "reveal_all", "Reveal all", id="conflict.reveal_all"),
        Binding("escape", "choose('keep')", "Keep as draft", id="conflict.keep"),
    ]

    def __init__(
        self,
        path: str,
        theirs: Mapping[str, Any] | None,
        yours: Mapping[str, Any],
        *,
        theirs_label: str,
        yours_label: str,
        can_overwrite: bool = True,
    ) -> None:
        super().__init__()
        self._path = path
        self.theirs = dict(theirs or {})
        self.yours = dict(yours)
        self._theirs_label = theirs_label
        self._yours_label = yours_label
        self._can_overwrite = can_overwrite
        self.revealed: set[str] = set()
        self.reveal_everything = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="editor-box -conflict"):
            title = Text("Check-and-set conflict: ", style="bold")
            title.append(visible(self._path))
            yield Static(title, classes="editor-title")
            yield Static(
                Text(
                    "Someone changed this secret after you started editing. Nothing was written and your "
                    "edit is kept. Compare the two sides (v reveals a row, V all), then edit yours again "
                    "or write it over theirs."
                ),
                classes="editor-note",
            )
            yield DataTable(id="conflict-table", cursor_type="row", zebra_stripes=True)
            with Horizontal(classes="editor-buttons"):
                yield Button("Keep as draft (esc)", id="conflict-keep")
                if self._can_overwrite:
                    yield Button("Write mine over theirs (o)", id="conflict-overwrite", variant="warning")
                yield Button("Edit mine again (e)", id="conflict-edit", variant="primary")

    def on_mount(self) -> None:
        table = self.query_one("#conflict-table", DataTable)
        table.add_column("", key="change", width=3)
        table.add_column("Key", key="key")
        table.add_column(Text(visible(self._theirs_label)), key="theirs")
        table.add_column(Text(visible(self._yours_label)), key="yours")
        for entry in diff_data(self.theirs, self.yours, include_same=True):
            table.add_row(*self._cells(entry.key, entry.change), key=entry.key)
        table.focus()

    def _cell(self, data: dict[str, Any], key: str) -> Text:
        if key not in data:
            return Text("—", style="dim")
        if self.reveal_everything or key in self.revealed:
            return safe_text(data[key], limit=200)
        return Text(mask(data[key]), style="dim")

    def _cells(self, key: str, change: Change) -> tuple[Text, Text, Text, Text]:
        marker = {Change.ADDED: ("+", "green"), Change.REMOVED: ("-", "red"), Change.CHANGED: ("~", "yellow")}.get(
            change, ("", "")
        )
        return (Text(marker[0], style=marker[1]), safe_text(key, limit=200), self._cell(self.theirs, key), self._cell(self.yours, key))

    def _refresh_row(self, key: str) -> None:
        table = self.query_one("#conflict-table", DataTable)
        table.update_cell(key, "theirs", self._cell(self.theirs, key))
        table.update_cell(key, "yours", self._cell(self.yours, key))

    def action_reveal_row(self) -> None:
        table = self.query_one("#conflict-table", DataTable)
        if not table.row_count:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        if key is None:
            return
        self.revealed ^= {key}
        self._refresh_row(key)

    def action_reveal_all(self) -> None:
        self.reveal_everything = not self.reveal_everything
        for key in set(self.theirs) | set(self.yours):
            self._refresh_row(key)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "choose" and parameters and parameters[0] == "overwrite" and not self._can_overwrite:
            return False
        return True

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)

    @on(Button.Pressed, "#conflict-edit")
    def _edit(self) -> None:
        self.dismiss("edit")

    @on(Button.Pressed, "#conflict-overwrite")
    def _overwrite(self) -> None:
        self.dismiss("overwrite")

    @on(Button.Pressed, "#conflict-keep")
    def _keep(self) -> None:
        self.dismiss("keep")
