"""The transit key list (a table with per-key shortcuts) and the key details renderer."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from ...context import vault_app
from ...safe import safe_text, visible
from ...vault.transit_models import TransitKey


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "?"


def _flag(on: bool) -> Text:
    return Text("yes", style="green") if on else Text("no", style="dim")


def key_details(key: TransitKey | None, *, max_versions: int = 6) -> Text:
    """Everything the issue lists about a key, as plain (non-markup) text."""
    if key is None:
        return Text("No key selected.", style="dim")
    text = Text(no_wrap=False, end="")
    text.append_text(safe_text(key.name, "bold"))
    text.append(f"  {key.type}\n", style="cyan")

    def row(label: str, value: Text | str) -> None:
        text.append(f"{label:<22}", style="dim")
        text.append_text(value if isinstance(value, Text) else Text(value))
        text.append("\n")

    row("latest version", str(key.latest_version))
    row("min decryption ver.", str(key.min_decryption_version))
    row("min encryption ver.", str(key.min_encryption_version or "0 (latest)"))
    row("auto-rotate period", key.auto_rotate_label)
    row("exportable", _flag(key.exportable))
    row("deletion allowed", _flag(key.deletion_allowed))
    row("derived", _flag(key.derived))
    row("convergent", _flag(key.convergent))
    row("supports encryption", _flag(key.supports_encryption))
    row("supports signing", _flag(key.supports_signing))
    row("supports derivation", _flag(key.supports_derivation))
    text.append("versions\n", style="dim")
    for info in key.versions[:max_versions]:
        below = info.version < key.min_decryption_version
        text.append(f"  v{info.version:<4}", style="dim" if below else "bold")
        text.append(_when(info.created_time), style="dim" if below else "")
        if below:
            text.append("  (archived: below min)", style="dim")
        text.append("\n")
    if len(key.versions) > max_versions:
        text.append(f"  … {len(key.versions) - max_versions} older\n", style="dim")
    text.rstrip()
    return text


class TransitKeyTable(DataTable):
    """Keys of the current mount. Row keys are key names; cells are always plain text."""

    BINDINGS = [
        Binding("e", "op('encrypt')", "Encrypt", id="transit.encrypt"),
        Binding("d", "op('decrypt')", "Decrypt", id="transit.decrypt"),
        Binding("w", "op('rewrap')", "Rewrap", id="transit.rewrap"),
        Binding("s", "op('sign')", "Sign", id="transit.sign"),
        Binding("v", "op('verify')", "Verify", show=False, id="transit.verify"),
        Binding("h", "op('hmac')", "HMAC", show=False, id="transit.hmac"),
        Binding("k", "op('datakey')", "Data key", show=False, id="transit.datakey"),
        Binding("n", "manage('create')", "New key", id="transit.create"),
        Binding("r", "manage('rotate')", "Rotate", id="transit.rotate"),
        Binding("c", "manage('config')", "Config", id="transit.config"),
        Binding("delete,x", "manage('delete')", "Delete", id="transit.delete"),
    ]

    class OperationChosen(Message):
        def __init__(self, table: TransitKeyTable, operation: str) -> None:
            super().__init__()
            self.table = table
            self.operation = operation

        @property
        def control(self) -> TransitKeyTable:
            return self.table

    class ManageRequested(Message):
        def __init__(self, table: TransitKeyTable, what: str) -> None:
            super().__init__()
            self.table = table
            self.what = what

        @property
        def control(self) -> TransitKeyTable:
            return self.table

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)  # type: ignore[arg-type]
        self.keys_by_name: dict[str, TransitKey] = {}

    def on_mount(self) -> None:
        self.add_column("Key", key="name")
        self.add_column("Type", key="type")
        self.add_column("Ver", key="version")

    @property
    def read_only(self) -> bool:
        return vault_app(self).session.read_only

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "manage":
            if self.read_only:
                return False  # hidden: no writes in --read-only
            if parameters and parameters[0] != "create" and self.current_key is None:
                return None  # shown disabled until a key is highlighted
        if action == "op" and self.current_key is None:
            return None
        return True

    @property
    def current_key(self) -> TransitKey | None:
        if not self.row_count:
            return None
        try:
            row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        except Exception:
            return None
        return self.keys_by_name.get(str(row_key.value))

    def action_op(self, operation: str) -> None:
        self.post_message(self.OperationChosen(self, operation))

    def action_manage(self, what: str) -> None:
        self.post_message(self.ManageRequested(self, what))

    def set_keys(self, keys: Iterable[TransitKey]) -> None:
        """Update rows by key name: drop gone keys, update changed cells, add new keys."""
        keys = list(keys)
        fresh = {key.name: key for key in keys}
        with self.app.batch_update():
            for name in list(self.keys_by_name):
                if name not in fresh:
                    self.remove_row(name)
                    del self.keys_by_name[name]
            for key in keys:
                cells = (safe_text(key.name), Text(visible(key.type)), Text(f"v{key.latest_version}"))
                old = self.keys_by_name.get(key.name)
                if old is None:
                    self.add_row(*cells, key=key.name)
                elif old != key:
                    for column, cell in zip(("name", "type", "version"), cells):
                        self.update_cell(key.name, column, cell)
                self.keys_by_name[key.name] = key
        self.refresh_bindings()

    def update_key(self, key: TransitKey) -> None:
        merged = dict(self.keys_by_name)
        merged[key.name] = key
        self.set_keys(sorted(merged.values(), key=lambda k: k.name))
        self.select_key(key.name)

    def remove_key(self, name: str) -> None:
        self.set_keys([k for n, k in self.keys_by_name.items() if n != name])

    def select_key(self, name: str) -> bool:
        try:
            index = self.get_row_index(name)
        except Exception:
            return False
        self.move_cursor(row=index)
        return True
