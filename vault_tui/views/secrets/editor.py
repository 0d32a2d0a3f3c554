"""Dialogs for changing KV secrets: the data editor (key/value rows or raw JSON), the metadata
editor, and the check-and-set conflict screen that shows both sides.

They only collect what the user wants; the secrets screen decides what to write (see
:mod:`.planner`). Secret text shown here is untrusted. Rows mode uses ``Input`` widgets, which
would pass control characters to the terminal, so rows mode is offered only when every key and
value is plain text; otherwise the editor opens in JSON mode, where :func:`to_json_text` writes
every control, bidi and zero-width character as a ``\\uXXXX`` escape.

Keys: ``escape`` in a text field leaves the field (a second ``escape`` cancels); state is shown
as text, never by colour alone (``[x]`` / ``[ ]``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Button, Checkbox, ContentSwitcher, DataTable, Input, Label, Static, TextArea

from ...safe import is_unsafe, mask, safe_text, visible
from ...screens.modals import ConfirmScreen, Dialog, MessageScreen
from ...vault.diff import Change, diff_data
from .masking import MaskedInput, masked_json
from .planner import MetadataChange

CSS_FILE = Path(__file__).parent / "secrets.tcss"


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


def pairs_to_dict(pairs: list[tuple[str, str]]) -> dict[str, str]:
    data: dict[str, str] = {}
    for key, value in pairs:
        if not key:
            raise ValueError("every row needs a key")
        if key in data:
            raise ValueError(f"the key {visible(key)!r} appears twice")
        data[key] = value
    return data


class StateCheckbox(Checkbox):
    """A checkbox whose state reads as text: ``[x]`` on, ``[ ]`` off (not only a colour)."""

    @property
    def _button(self) -> Content:
        return Content.assemble(("[x]" if self.value else "[ ]", self.get_visual_style("toggle--button")))


class KeyValueRows(VerticalScroll):
    """Editable key/value rows (used for secret data and for custom_metadata).

    The rows' fields take focus; the scrolling box itself does not (it would be a Tab stop that
    shows nothing and swallows what is typed).
    """

    can_focus = False

    def __init__(self, pairs: list[tuple[str, str]], *, masked: bool = False, widget_id: str | None = None) -> None:
        super().__init__(id=widget_id)
        self._initial = pairs
        self.masked = masked

    def compose(self) -> ComposeResult:
        for key, value in self._initial or [("", "")]:
            yield self._row(key, value)[0]

    def _row(self, key: str, value: str) -> tuple[Horizontal, Input]:
        key_input = Input(key, placeholder="key", classes="kv-key", select_on_focus=False)
        row = Horizontal(
            key_input,
            MaskedInput(value, placeholder="value", password=self.masked, classes="kv-value", select_on_focus=False),
            Button("✕", classes="kv-remove", tooltip="Remove this row"),
            classes="kv-row",
        )
        return row, key_input

    def add_row(self, key: str = "", value: str = "") -> None:
        row, key_input = self._row(key, value)
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
        self.mount_all([self._row(k, v)[0] for k, v in (pairs or [("", "")])])

    def set_masked(self, masked: bool) -> None:
        self.masked = masked
        for value in self.query(".kv-value").results(Input):
            value.password = masked

    @on(Button.Pressed, ".kv-remove")
    def _remove(self, event: Button.Pressed) -> None:
        event.stop()
        row = event.button.parent
        if isinstance(row, Widget):
            row.remove()


class _FormDialog(Dialog[Any]):
    """Escape in a text field leaves the field (to the dialog's buttons); a second escape cancels."""

    CSS_PATH = CSS_FILE

    def action_escape(self) -> None:
        focused = self.focused
        if isinstance(focused, (Input, TextArea)):
            buttons = self.query(".dialog-buttons Button").results(Button)
            first = next(iter(buttons), None)
            if first is not None:
                first.focus()
            else:
                self.set_focus(None)
            return
        self.action_cancel()

    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class EditorResult:
    path: str  # the secret path inside the mount (for a new secret: what the user typed)
    data: dict[str, Any]
    discard: bool = False  # the user threw the kept draft away


class SecretEditorScreen(_FormDialog):
    """Edit a secret's data as key/value rows or raw JSON. Dismisses with an :class:`EditorResult`.

    With ``submit`` the dialog stays open after Save: it calls ``submit(result)`` and waits for
    :meth:`failed` (the error is shown in the form, nothing typed is lost) or :meth:`done`.
    ``check_path`` says why a typed path cannot be used (None: it can).
    """

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True, id="editor.save"),
        Binding("f2", "toggle_mode", "Rows/JSON", priority=True, id="editor.mode"),
        Binding("ctrl+r", "reveal", "Reveal values", priority=True, id="editor.reveal"),
        Binding("ctrl+n", "add_row", "Add row", priority=True, id="editor.add_row"),
        Binding("ctrl+d", "discard", "Discard the draft", priority=True, id="editor.discard"),
        Binding("escape", "escape", "Leave field / cancel", id="editor.cancel"),
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
        from_draft: bool = False,
        submit: Callable[[EditorResult], None] | None = None,
        check_path: Callable[[str], str | None] | None = None,
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
        self.from_draft = from_draft
        self._submit = submit
        self._check_path = check_path
        self.busy = False
        # The field the user starts in (typing there appends to the folder of a new path).
        if path_editable:
            self._start_in = "#editor-path"
        else:  # masked raw JSON cannot be typed into before ctrl+r: start on Cancel (enter must not save)
            self._start_in = "#editor-rows .kv-value" if self.mode == "rows" else "#editor-cancel"

    def on_mount(self) -> None:
        start = next(iter(self.query(self._start_in)), None)  # a query, not query_one: never raises
        if start is not None:
            start.focus()

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -calm -wide -tall editor"):
            yield Static(safe_text(self._title), classes="dialog-title")
            if self._note:
                yield Static(Text(visible(self._note, multiline=True)), classes="dialog-note editor-note")
            if self._path_editable:
                with Horizontal(classes="editor-path"):
                    yield Label("Path")
                    yield Input(self._path, id="editor-path", placeholder="folder/name", select_on_focus=False)
            yield Static(self._hint(), id="editor-mode", classes="editor-mode")
            with ContentSwitcher(initial=self._panel(), id="editor-switcher"):
                pairs = [(k, v) for k, v in self._data.items()] if self._rows_ok else []
                yield KeyValueRows(pairs, masked=True, widget_id="editor-rows")
                text = to_json_text(self._data) if self._data else "{\n  \n}"
                yield TextArea(text, id="editor-json", soft_wrap=True)
                with VerticalScroll(id="editor-masked", can_focus=False):
                    yield Static(masked_json(text), id="editor-masked-json")
            yield Static("", id="editor-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel (esc)", id="editor-cancel")
                if self.from_draft:
                    yield Button("Discard draft (ctrl+d)", id="editor-discard", variant="error")
                yield Button("Save (ctrl+s)", id="editor-save", variant="primary")

    def _panel(self) -> str:
        """The switcher's panel: rows, the JSON text, or the JSON with its values masked."""
        if self.mode == "rows":
            return "editor-rows"
        return "editor-masked" if self.masked else "editor-json"

    def _hint(self) -> Text:
        reveal = "ctrl+r " + ("reveal values" if self.masked else "mask values")
        if self.mode == "rows":
            hint = f"Rows · F2 raw JSON · ctrl+n add row · {reveal}"
        elif self._rows_ok:
            hint = f"Raw JSON · F2 rows · {reveal}" + (" (to edit)" if self.masked else "")
        else:
            hint = f"Raw JSON (nested values or control characters: no rows) · {reveal}"
            hint += " (to edit)" if self.masked else ""
        return Text(hint)

    def _show_panel(self) -> None:
        if self.mode == "json" and self.masked:
            text = self.query_one("#editor-json", TextArea).text
            self.query_one("#editor-masked-json", Static).update(masked_json(text))
        self.query_one("#editor-switcher", ContentSwitcher).current = self._panel()

    def _show_mode(self) -> None:
        self.query_one("#editor-mode", Static).update(self._hint())

    def _error(self, message: str) -> None:
        self.query_one("#editor-error", Static).update(Text(visible(message, multiline=True)))

    @property
    def error_text(self) -> str:
        return str(self.query_one("#editor-error", Static).render())

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
        self._show_panel()
        self._error("")
        self._show_mode()

    def action_reveal(self) -> None:
        self.masked = not self.masked
        self.query_one("#editor-rows", KeyValueRows).set_masked(self.masked)
        self._show_panel()
        self._show_mode()
        if self.mode == "json" and not self.masked:
            self.query_one("#editor-json", TextArea).focus()
        elif self.mode == "json" and isinstance(self.focused, TextArea):
            self.query_one("#editor-cancel", Button).focus()  # the text area is hidden now

    def action_add_row(self) -> None:
        if self.mode == "rows":
            self.query_one("#editor-rows", KeyValueRows).add_row()

    def conceal(self) -> None:
        """The idle lock: mask the values again (the text typed stays)."""
        if not self.masked:
            self.action_reveal()

    def typed_path(self) -> str:
        return self.query_one("#editor-path", Input).value if self._path_editable else self._path

    @on(Button.Pressed, "#editor-save")
    def action_save(self) -> None:
        if self.busy:
            return
        path = self.typed_path()
        if self._path_editable and self._check_path is not None:
            problem = self._check_path(path)
            if problem:
                self._error(problem)
                self.query_one("#editor-path", Input).focus()
                return
        try:
            data = self.current_data()
        except ValueError as error:
            self._error(str(error))
            return
        if not data:
            self._error("A secret needs at least one key.")
            return
        result = EditorResult(path=path, data=data)
        if self._submit is None:
            self.dismiss(result)
            return
        self.busy = True
        self.query_one("#editor-save", Button).disabled = True
        self._error("")
        self.query_one("#editor-mode", Static).update(Text(f"Saving {visible(path)}…"))
        self._submit(result)

    def failed(self, message: str) -> None:
        """The write did not land: say why in the form; everything typed stays."""
        self.busy = False
        self.query_one("#editor-save", Button).disabled = False
        self._show_mode()
        self._error(message)

    def done(self, result: EditorResult | None = None) -> None:
        self.busy = False
        self.dismiss(result)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "discard":
            return self.from_draft
        return True

    @on(Button.Pressed, "#editor-discard")
    def action_discard(self) -> None:
        def decided(discard: bool | None) -> None:
            if discard:
                self.dismiss(EditorResult(self.typed_path(), dict(self._start), discard=True))

        self.app.push_screen(
            ConfirmScreen(
                "Discard this draft?", "The edit vault-tui kept for you is thrown away.", confirm_label="Discard"
            ),
            callback=decided,
        )

    @on(Button.Pressed, "#editor-cancel")
    def action_cancel(self) -> None:
        try:
            changed = self.current_data() != self._start or (self._path_editable and self.typed_path() != self._path)
        except ValueError:
            changed = True
        if not changed:
            self.dismiss(None)  # nothing typed is lost (a kept draft stays kept)
            return

        def decided(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(
            ConfirmScreen(
                "Discard your changes?", "Your edit to this secret has not been saved.", confirm_label="Discard"
            ),
            callback=decided,
        )


class MetadataEditorScreen(_FormDialog):
    """Edit max_versions, cas_required, delete_version_after and custom_metadata."""

    AUTO_FOCUS = "#meta-max-versions"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True, id="metadata.save"),
        Binding("ctrl+n", "add_row", "Add custom key", priority=True, id="metadata.add_row"),
        Binding("escape", "escape", "Leave field / cancel", id="metadata.cancel"),
    ]

    def __init__(self, title: str, current: MetadataChange) -> None:
        super().__init__()
        self._title = title
        self._current = current

    def compose(self) -> ComposeResult:
        current = self._current
        with Vertical(classes="dialog -calm -wide -tall editor"):
            yield Static(safe_text(self._title), classes="dialog-title")
            yield Static(
                "0 means the mount's default (max_versions) or never (delete_version_after).",
                classes="dialog-note editor-note",
                markup=False,
            )
            with VerticalScroll(classes="meta-fields", can_focus=False):
                with Horizontal(classes="meta-field"):
                    yield Label("max_versions")
                    yield Input(str(current.max_versions), id="meta-max-versions", type="integer")
                with Horizontal(classes="meta-field"):
                    yield Label("cas_required")
                    yield StateCheckbox("writes must give cas", current.cas_required, id="meta-cas-required")
                with Horizontal(classes="meta-field"):
                    yield Label("delete_version_after")
                    yield Input(current.delete_version_after, id="meta-delete-after", placeholder="e.g. 0s, 720h, 30m")
                yield Static("custom_metadata", classes="editor-mode")
                yield KeyValueRows(list(current.custom_metadata.items()), masked=False, widget_id="meta-custom")
            yield Static("", id="editor-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel (esc)", id="meta-cancel")
                yield Button("Save (ctrl+s)", id="meta-save", variant="primary")

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
                cas_required=self.query_one("#meta-cas-required", StateCheckbox).value,
                delete_version_after=delete_after,
                custom_metadata=custom,
            )
        )

    @on(Button.Pressed, "#meta-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class ConflictScreen(Dialog[str]):
    """A check-and-set conflict: what is on the server now (theirs) next to the user's edit (yours).

    Values stay masked until revealed. Dismisses with "edit" (reopen the editor with your text,
    now based on their version), "overwrite" (write yours over theirs) or "keep" (close; your
    edit stays as a draft on the secret).
    """

    CSS_PATH = CSS_FILE
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
        with Vertical(classes="dialog -wide -tall conflict"):
            title = Text("Check-and-set conflict: ", style="bold")
            title.append(visible(self._path))
            yield Static(title, classes="dialog-title")
            yield Static(
                Text(
                    "Someone changed this secret after you started editing. Nothing was written and your "
                    "edit is kept. Compare the two sides (v reveals a row, V all), then edit yours again "
                    "or write it over theirs."
                ),
                classes="dialog-note editor-note",
            )
            yield DataTable(id="conflict-table", cursor_type="row", zebra_stripes=True)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Keep draft (esc)", id="conflict-keep")
                if self._can_overwrite:
                    yield Button("Overwrite theirs (o)", id="conflict-overwrite", variant="warning")
                yield Button("Edit mine (e)", id="conflict-edit", variant="primary")

    AUTO_FOCUS = "#conflict-table"

    def on_mount(self) -> None:
        table = self.query_one("#conflict-table", DataTable)
        table.add_column("", key="change", width=3)
        table.add_column("Key", key="key")
        table.add_column(Text(visible(self._theirs_label)), key="theirs")
        table.add_column(Text(visible(self._yours_label)), key="yours")
        for entry in diff_data(self.theirs, self.yours, include_same=True):
            table.add_row(*self._cells(entry.key, entry.change), key=entry.key)

    def _cell(self, data: dict[str, Any], key: str) -> Text:
        if key not in data:
            return Text("—", style="dim")
        if self.reveal_everything or key in self.revealed:
            return safe_text(data[key], limit=200)
        return Text(mask(data[key]), style="dim")

    def _cells(self, key: str, change: Change) -> tuple[Text, Text, Text, Text]:
        markers = {Change.ADDED: ("+", "green"), Change.REMOVED: ("-", "red"), Change.CHANGED: ("~", "yellow")}
        marker, style = markers.get(change, ("", ""))
        return (
            Text(marker, style=style),
            safe_text(key, limit=200),
            self._cell(self.theirs, key),
            self._cell(self.yours, key),
        )

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

    def conceal(self) -> None:
        """The idle lock: mask both sides again."""
        self.revealed, self.reveal_everything = set(), False
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


class ValueScreen(MessageScreen):
    """One secret value, shown whole (an explicit reveal); the idle lock closes it."""

    def conceal(self) -> None:
        self.dismiss(None)
