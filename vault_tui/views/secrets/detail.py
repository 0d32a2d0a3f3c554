"""The secret-version pane: data, versions, metadata, diff, JSON and access of one KV secret.

The pane reads and renders; it never writes and never opens a dialog. Its owner (the secrets
screen) calls :meth:`SecretDetail.show_secret`, :meth:`~SecretDetail.show_folder`,
:meth:`~SecretDetail.show_mount` and :meth:`~SecretDetail.clear`; every change the user asks for
is posted as an intent message carrying a :class:`~.planner.Shown` snapshot
(:class:`SecretDetail.EditRequested`, :class:`~SecretDetail.PatchRequested`,
:class:`~SecretDetail.RollbackRequested`, :class:`~SecretDetail.VersionsActionRequested`,
:class:`~SecretDetail.DeleteAllRequested`, :class:`~SecretDetail.MetadataRequested`,
:class:`~SecretDetail.ValueViewRequested`), and the screen decides.

Reads go through ``worker.submit`` with a ``key`` per kind of read, so a slow reply for a secret
the user has left is dropped; a generation counter guards the handlers too. Server text is
untrusted: everything is rendered through :mod:`.render`. Values are masked until revealed.
Actions the token may not do (``sys/capabilities-self``, the exact API path of each action) are
greyed out; :meth:`SecretDetail.refusal_reason` says why.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Static, TabbedContent, TabPane
from textual.widgets.data_table import ColumnKey

from ...context import vault_app
from ...safe import visible
from ...vault import kv
from ...vault.diff import Change, diff_data
from ...vault.errors import VaultError
from ...vault.models import EngineKind, Mount, SecretData, SecretMetadata
from ...vault.policies import SecretPermissions
from ...widgets.capabilities import CapabilitiesPanel
from ...worker import Call
from . import render, rules
from .planner import Shown
from .reads import DetailLoaded, DetailLoadFailed
from .rules import PaneState, action_state, refusal_reason, status_line
from .tables import DataKeysTable, PaneTable, VersionsTable, cursor_key

TAB_FOCUS = {"data": "#data-table", "versions": "#versions-table", "metadata": "#metadata-table", "diff": "#diff-table"}
DIFF_HINT = "Mark two versions with space in Versions, then press f."


class SecretDetail(Vertical):
    BINDINGS = [
        Binding("v", "reveal", "Reveal", id="detail.reveal"),
        Binding("V", "reveal_all", "Reveal all", id="detail.reveal_all"),
        Binding("c", "copy", "Copy", id="detail.copy"),
        Binding("C", "copy_json", "Copy JSON", show=False, id="detail.copy_json"),
        Binding("e", "edit", "Edit", id="detail.edit"),
        Binding("p", "patch", "Patch key", show=False, id="detail.patch"),
        Binding("f", "diff", "Diff", id="detail.diff"),
        Binding("space", "mark", "Mark version", show=False, id="detail.mark"),
        Binding("b", "rollback", "Roll back", show=False, id="detail.rollback"),
        Binding("d", "delete_versions", "Delete ver.", show=False, id="detail.delete"),
        Binding("u", "undelete", "Undelete", show=False, id="detail.undelete"),
        Binding("x", "destroy", "Destroy", show=False, id="detail.destroy"),
        Binding("D", "delete_all", "Delete all", show=False, id="detail.delete_all"),
        Binding("m", "metadata", "Metadata", show=False, id="detail.metadata"),
        Binding("left_square_bracket", "older", "Older version", show=False, id="detail.older"),
        Binding("right_square_bracket", "newer", "Newer version", show=False, id="detail.newer"),
        Binding("R", "reload", "Reload", show=False, id="detail.reload"),
        Binding("1", "tab('data')", "Data tab", show=False, id="detail.tab.data"),
        Binding("2", "tab('versions')", "Versions tab", show=False, id="detail.tab.versions"),
        Binding("3", "tab('metadata')", "Metadata tab", show=False, id="detail.tab.metadata"),
        Binding("4", "tab('diff')", "Diff tab", show=False, id="detail.tab.diff"),
        Binding("5", "tab('json')", "JSON tab", show=False, id="detail.tab.json"),
        Binding("6", "tab('access')", "Access tab", show=False, id="detail.tab.access"),
    ]

    # -- intents: the screen decides what to do with them -------------------------------------
    @dataclass
    class EditRequested(Message):
        shown: Shown

    @dataclass
    class PatchRequested(Message):
        shown: Shown
        key: str | None  # the key under the cursor in Data

    @dataclass
    class RollbackRequested(Message):
        shown: Shown
        target: int | None  # the version under the cursor in Versions (None: the one shown)

    @dataclass
    class VersionsActionRequested(Message):
        shown: Shown
        action: str  # delete_versions | undelete | destroy
        versions: tuple[int, ...]

    @dataclass
    class DeleteAllRequested(Message):
        shown: Shown

    @dataclass
    class MetadataRequested(Message):
        shown: Shown

    @dataclass
    class ValueViewRequested(Message):
        title: str
        value: str  # already made visible

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.add_class("-blank")
        self.current_mount: Mount | None = None
        self.path: str = ""
        self.view: str = "none"  # "none", "mount", "folder", "secret"
        self.metadata: SecretMetadata | None = None
        self.secret: SecretData | None = None
        self.viewing: int | None = None  # the KV v2 version asked for (None = current)
        self.revealed: set[str] = set()
        self.reveal_everything = False
        self.marked: set[int] = set()
        self.diff_pair: tuple[SecretData, SecretData] | None = None
        self.diff_revealed: set[str] = set()
        self.has_draft = False  # the screen keeps an unsaved edit of this secret
        self.generation = 0
        self.renders: list[tuple[str, str, int | None]] = []  # (mount, path, version) of each data render
        self.errors: dict[str, VaultError] = {}
        self.permissions: SecretPermissions | None = None
        self.header_plain = ""

    # -- layout -----------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static(Text("Select a secret."), id="detail-header")
        yield Static("", id="detail-status", markup=False)
        yield Static("", id="detail-empty", markup=False)
        with TabbedContent(id="detail-tabs"):
            with TabPane("Data", id="tab-data"):
                yield DataKeysTable("data-table", ("key", "Key", None), ("value", "Value", None))
            with TabPane("Versions", id="tab-versions"):
                yield VersionsTable(
                    "versions-table",
                    ("mark", "", 2),
                    ("version", "Version", None),
                    ("state", "State", None),
                    ("created", "Created", None),
                    ("deleted", "Deleted", None),
                )
            with TabPane("Metadata", id="tab-metadata"):
                yield PaneTable("metadata-table", ("field", "Field", None), ("value", "Value", None))
            with TabPane("Diff", id="tab-diff"):
                yield Static(Text(DIFF_HINT, style="dim"), id="diff-title")
                yield PaneTable(
                    "diff-table", ("change", "", 2), ("key", "Key", None), ("old", "Old", None), ("new", "New", None)
                )
            with TabPane("JSON", id="tab-json"):
                yield Static("", id="json-hint", markup=False)
                with VerticalScroll(id="json-scroll", classes="pane-scroll"):
                    yield Static("", id="json-view", markup=False)
            with TabPane("Access", id="tab-access"):
                with VerticalScroll(id="access-scroll", classes="pane-scroll"):
                    yield CapabilitiesPanel(id="capabilities")

    def on_mount(self) -> None:
        for table in self.query(PaneTable):
            table.owner = self

    # -- helpers ----------------------------------------------------------------------------
    @property
    def read_only(self) -> bool:
        return vault_app(self).session.read_only

    @property
    def is_kv2(self) -> bool:
        return self.current_mount is not None and self.current_mount.kind is EngineKind.KV2

    def _table(self, table_id: str) -> DataTable[Any]:
        return self.query_one(table_id, DataTable)

    def _key(self, what: str) -> str:
        return f"detail:{id(self):x}:{what}"

    def _submit_read(self, what: str, fn: Callable[..., Any], *args: Any) -> None:
        generation = self.generation
        vault_app(self).worker.submit(
            Call(fn, *args),
            to=self,
            key=self._key(what),
            action=f"reading {what}",
            done=lambda result: DetailLoaded(generation, what, result),
            failed=lambda error: DetailLoadFailed(generation, what, error),
        )

    def set_status(self, text: str | Text, severity: str = "") -> None:
        """The line under the header: hints, warnings and errors about this secret."""
        status = self.query_one("#detail-status", Static)
        status.set_class(severity == "error", "-error")
        status.set_class(severity == "warning", "-warning")
        status.update(text if isinstance(text, Text) else Text(visible(text, multiline=True)))

    @property
    def status_text(self) -> str:
        return str(self.query_one("#detail-status", Static).render())

    def _header(self, line: render.OneLine) -> None:
        self.header_plain = line.plain
        self.query_one("#detail-header", Static).update(line)

    @property
    def active_tab(self) -> str:
        return (self.query_one("#detail-tabs", TabbedContent).active or "tab-data").removeprefix("tab-")

    def shown(self) -> Shown | None:
        """What the pane shows, for an intent (None unless a secret is shown)."""
        if self.view != "secret" or self.current_mount is None:
            return None
        return Shown(self.current_mount, self.path, self.secret, self.metadata, self.viewing, "data" in self.errors)

    def is_showing(self, mount_path: str, path: str) -> bool:
        return (
            self.view == "secret"
            and self.current_mount is not None
            and (self.current_mount.path, self.path)
            == (
                mount_path,
                path,
            )
        )

    def _reset(self, view: str, mount: Mount | None, path: str) -> None:
        self.generation += 1
        for what in ("meta", "data", "diff"):
            vault_app(self).worker.cancel_key(self._key(what))
        self.view, self.current_mount, self.path = view, mount, path
        self.metadata = self.secret = None
        self.viewing = None
        self.revealed, self.reveal_everything, self.marked = set(), False, set()
        self.diff_pair, self.diff_revealed = None, set()
        self.errors, self.permissions, self.has_draft = {}, None, False
        self.query_one(CapabilitiesPanel).clear()
        self.set_class(view != "secret", "-blank")
        self.set_class(view == "secret", "-secret")
        for table_id in ("#data-table", "#versions-table", "#metadata-table", "#diff-table"):
            self._table(table_id).clear()
        self.query_one("#json-view", Static).update("")
        self.query_one("#json-hint", Static).update("")
        self.query_one("#diff-title", Static).update(Text(DIFF_HINT, style="dim"))
        self.set_status("")
        self.refresh_bindings()

    # -- what the screen calls --------------------------------------------------------------
    def show_secret(self, mount: Mount, path: str, *, has_draft: bool = False) -> None:
        self._reset("secret", mount, path)
        self.has_draft = has_draft
        tabs = self.query_one("#detail-tabs", TabbedContent)
        for tab in ("tab-versions", "tab-metadata", "tab-diff"):
            if self.is_kv2:
                tabs.show_tab(tab)
            else:
                tabs.hide_tab(tab)
        if not self.is_kv2 and tabs.active in ("tab-versions", "tab-metadata", "tab-diff"):
            tabs.active = "tab-data"
        self._render_header()
        self._load()
        self.query_one(CapabilitiesPanel).show_secret(mount.kind, mount.path, path)

    def show_folder(self, mount: Mount, folder: str, note: str = "") -> None:
        self._reset("folder", mount, folder)
        self._header(render.folder_header(mount, folder))
        hint = note or "Pick a secret in the tree to see its data and versions."
        if mount.is_kv and not self.read_only:
            hint += "\nPress n to create a secret in this folder."
        self.query_one("#detail-empty", Static).update(Text(visible(hint, multiline=True)))

    def show_mount(self, mount: Mount, note: str = "") -> None:
        self._reset("mount", mount, "")
        self._header(render.mount_header(mount))
        lines = [visible(note, multiline=True)] if note else []
        if mount.description:
            lines.append(visible(mount.description))
        if mount.accessor:
            lines.append(f"accessor: {visible(mount.accessor)}")
        if mount.is_kv:
            lines.append("Pick a secret in the tree to see its data and versions.")
            if not self.read_only:
                lines.append("Press n to create a secret here.")
        else:
            lines.append(f"This is a {visible(mount.type)} engine; vault-tui browses KV mounts here.")
        self.query_one("#detail-empty", Static).update(Text("\n".join(lines)))

    def clear(self) -> None:
        self._reset("none", None, "")
        self.header_plain = "Select a secret."
        self.query_one("#detail-header", Static).update(Text(self.header_plain))
        self.query_one("#detail-empty", Static).update("")

    def note_draft(self, has_draft: bool) -> None:
        """The screen keeps (or no longer keeps) an unsaved edit of the secret shown."""
        self.has_draft = has_draft
        self._render_status()

    def refresh_after_write(self, *, keep_version: bool = False, has_draft: bool | None = None) -> None:
        """Reload the secret shown after a write, on the same tab (and version, when asked)."""
        if self.current_mount is None or self.view != "secret":
            return
        tabs = self.query_one("#detail-tabs", TabbedContent)
        tab, viewing = tabs.active, self.viewing if keep_version else None
        draft = self.has_draft if has_draft is None else has_draft
        self.show_secret(self.current_mount, self.path, has_draft=draft)
        if viewing is not None:
            self.open_version(viewing)
        if tab and tab != "tab-diff":
            tabs.active = tab

    # -- loading ----------------------------------------------------------------------------
    def _load(self) -> None:
        assert self.current_mount is not None
        self.set_status("Loading…")
        if self.is_kv2:
            self._submit_read("meta", kv.read_metadata, self.current_mount.path, self.path)
            self._submit_read("data", kv.read_version, self.current_mount.path, self.path, self.viewing)
        else:
            self._submit_read("data", kv.read_kv1, self.current_mount.path, self.path)

    def open_version(self, version: int) -> None:
        """Show the data of another KV v2 version of the current secret."""
        if self.view != "secret" or not self.is_kv2 or self.current_mount is None:
            return
        self.viewing = version
        self.revealed = set()
        self.set_status(f"Loading version {version}…")
        self._submit_read("data", kv.read_version, self.current_mount.path, self.path, version)

    @on(DetailLoaded)
    def _loaded(self, message: DetailLoaded) -> None:
        message.stop()
        if message.generation != self.generation:
            return  # a reply for a secret the user has left
        if message.what == "meta":
            self.metadata = message.result
            self.errors.pop("meta", None)
            self._render_versions()
            self._render_metadata()
        elif message.what == "data":
            self.secret = message.result
            self.errors.pop("data", None)
            self._render_data()
        elif message.what == "diff":
            older, newer = message.result
            self.diff_pair = (older, newer)
            self.diff_revealed = set()
            self._render_diff()
            if self.has_focus_within or self.screen.focused is None:
                self.action_tab("diff")
            else:
                self.query_one("#detail-tabs", TabbedContent).active = "tab-diff"
        self._render_header()
        self._render_status()
        self.refresh_bindings()

    @on(DetailLoadFailed)
    def _load_failed(self, message: DetailLoadFailed) -> None:
        message.stop()
        if message.generation != self.generation:
            return
        self.errors[message.what] = message.error
        if message.what == "diff":
            vault_app(self).report_error(message.error, "reading versions for the diff")
        self._render_header()
        self._render_status()
        self.refresh_bindings()

    # -- rendering --------------------------------------------------------------------------
    def _render_header(self) -> None:
        if self.current_mount is not None:
            self._header(render.secret_header(self.current_mount, self.path, self.secret, self.metadata, self.is_kv2))

    def _state(self) -> PaneState:
        kind = self.current_mount.kind if self.current_mount is not None else None
        return PaneState(self.view, kind, self.read_only, self.permissions)

    def _render_status(self) -> None:
        if self.view == "secret":
            self.set_status(*status_line(self._state(), self.errors, self.secret, self.has_draft))

    def _value_cell(self, key: str, value: Any) -> Text:
        return render.value_cell(value, self.reveal_everything or key in self.revealed)

    def _render_data(self) -> None:
        table = self._table("#data-table")
        secret = self.secret
        with self.app.batch_update():
            table.clear()
            if secret is not None:
                for key in secret.data:
                    table.add_row(
                        render.safe_text(key, limit=render.CELL_LIMIT), self._value_cell(key, secret.data[key]), key=key
                    )
        if secret is not None:
            self.renders.append((secret.mount, secret.path, secret.version))
        self._render_json()
        self._mark_versions()

    def _render_json(self) -> None:
        hint, body = render.json_view(self.secret, self.reveal_everything)
        self.query_one("#json-hint", Static).update(hint)
        self.query_one("#json-view", Static).update(body)

    def _render_versions(self) -> None:
        table = self._table("#versions-table")
        with self.app.batch_update():
            table.clear()
            if self.metadata is not None:
                for key, cells in render.version_rows(self.metadata):
                    table.add_row(*cells, key=key)
        self._mark_versions()

    def _mark_versions(self) -> None:
        if self.metadata is None:
            return
        table = self._table("#versions-table")
        shown = self.secret.version if self.secret is not None else None
        for info in self.metadata.versions:
            try:
                mark = render.version_mark(info.version in self.marked, info.version == shown)
                table.update_cell(str(info.version), "mark", mark)
            except Exception:  # noqa: BLE001 - the row was replaced meanwhile
                pass

    def _render_metadata(self) -> None:
        table = self._table("#metadata-table")
        with self.app.batch_update():
            table.clear()
            if self.metadata is not None:
                for key, field_cell, value in render.metadata_rows(self.metadata):
                    table.add_row(field_cell, value, key=key)

    def _render_diff(self) -> None:
        if self.diff_pair is None:
            return
        table = self._table("#diff-table")
        older, newer = self.diff_pair
        table.columns[ColumnKey("old")].label = Text(f"v{older.version}")
        table.columns[ColumnKey("new")].label = Text(f"v{newer.version}")
        entries = diff_data(older.data, newer.data, include_same=True)
        self.query_one("#diff-title", Static).update(render.diff_heading(older, newer, entries))
        with self.app.batch_update():
            table.clear()
            for entry in entries:
                if entry.change is not Change.SAME:
                    table.add_row(*self._diff_cells(entry.key), key=entry.key)

    def _diff_cells(self, key: str) -> tuple[Text, ...]:
        assert self.diff_pair is not None
        older, newer = self.diff_pair
        return render.diff_cells(older.data, newer.data, key, self.reveal_everything or key in self.diff_revealed)

    def _refresh_diff_row(self, key: str) -> None:
        table = self._table("#diff-table")
        _marker, _key, old, new = self._diff_cells(key)
        table.update_cell(key, "old", old, update_width=True)
        table.update_cell(key, "new", new, update_width=True)

    # -- what may be done -------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return action_state(self._state(), action, parameters)

    def refusal_reason(self, action: str) -> str | None:
        """Why ``action`` is hidden or greyed out (None when it is available)."""
        return refusal_reason(self._state(), action)

    @on(CapabilitiesPanel.Loaded)
    def _capabilities_loaded(self, message: CapabilitiesPanel.Loaded) -> None:
        message.stop()
        if isinstance(message.permissions, SecretPermissions) and self.view == "secret":
            self.permissions = message.permissions
            self.refresh_bindings()
            self._render_status()

    # -- reading actions --------------------------------------------------------------------
    def action_tab(self, name: str) -> None:
        self.query_one("#detail-tabs", TabbedContent).active = f"tab-{name}"
        if name == "access":
            self.query_one("#access-scroll").focus()
        elif name in TAB_FOCUS:
            self._table(TAB_FOCUS[name]).focus()
        else:
            self.query_one("#json-scroll").focus()

    def action_reload(self) -> None:
        self.refresh_after_write(keep_version=True)

    def action_reveal(self) -> None:
        tab = self.active_tab
        if tab == "diff" and self.diff_pair is not None:
            key = cursor_key(self._table("#diff-table"))
            if key is not None:
                self.diff_revealed ^= {key}
                self._refresh_diff_row(key)
            return
        if tab == "json":
            self.action_reveal_all()
            return
        key = cursor_key(self._table("#data-table"))
        if self.secret is None or key is None or key not in self.secret.data:
            return
        self.revealed ^= {key}
        cell = self._value_cell(key, self.secret.data[key])
        self._table("#data-table").update_cell(key, "value", cell, update_width=True)

    def action_reveal_all(self) -> None:
        self.reveal_everything = not self.reveal_everything
        if not self.reveal_everything:
            self.revealed, self.diff_revealed = set(), set()
        secret, table = self.secret, self._table("#data-table")
        with self.app.batch_update():
            if secret is not None:
                for key, value in secret.data.items():
                    table.update_cell(key, "value", self._value_cell(key, value), update_width=True)
            if self.diff_pair is not None:
                for row_key in self._table("#diff-table").rows:
                    if row_key.value is not None:
                        self._refresh_diff_row(row_key.value)
        self._render_json()

    def conceal(self) -> None:
        """Mask every value shown again (the idle lock)."""
        self.revealed, self.diff_revealed, self.reveal_everything = set(), set(), False
        self._render_data()
        self._render_diff()

    def action_copy(self) -> None:
        tab = self.active_tab
        if tab == "json":
            self.action_copy_json()
            return
        if tab == "diff" and self.diff_pair is not None:
            key = cursor_key(self._table("#diff-table"))
            if key is None:
                return
            older, newer = self.diff_pair
            source = newer if key in newer.data else older
            label = f"{visible(key, limit=80)} (v{source.version})"
            vault_app(self).copy_secret(render.plain_value(source.data[key]), label)
            return
        if tab == "metadata" and self.metadata is not None:
            key = cursor_key(self._table("#metadata-table"))
            if key and key.startswith("custom:"):
                name = key.removeprefix("custom:")
                value = self.metadata.custom_metadata.get(name, "")
                vault_app(self).copy_secret(value, f"custom_metadata {visible(name, limit=80)}")
            return
        secret = self.secret
        if secret is None or not secret.data:
            self.notify("Nothing to copy.", severity="warning", markup=False)
            return
        key = cursor_key(self._table("#data-table"))
        if key is not None and key in secret.data:
            vault_app(self).copy_secret(render.plain_value(secret.data[key]), visible(key, limit=80))

    def action_copy_json(self) -> None:
        secret = self.secret
        if secret is None or not secret.data:
            self.notify("Nothing to copy.", severity="warning", markup=False)
            return
        text = json.dumps(dict(secret.data), indent=2, ensure_ascii=False)
        vault_app(self).copy_secret(text, f"{visible(self.path, limit=80)} as JSON")

    def _cursor_version(self) -> int | None:
        key = cursor_key(self._table("#versions-table"))
        return int(key) if key is not None else None

    def chosen_versions(self) -> list[int]:
        """The marked versions; else the version under the cursor in Versions; else the one shown."""
        if self.marked:
            return sorted(self.marked)
        if self.active_tab == "versions":
            version = self._cursor_version()
            if version is not None:
                return [version]
        if self.secret is not None and self.secret.version:
            return [self.secret.version]
        return []

    def action_mark(self) -> None:
        if self.active_tab == "versions":
            version = self._cursor_version()
        else:
            version = self.secret.version if self.secret else None
        if version is None:
            return
        self.marked ^= {version}
        self._mark_versions()
        if len(self.marked) == 2:
            self.set_status("Two versions marked: f shows their diff; d / u / x act on both.")

    @on(DataTable.RowSelected, "#data-table")
    def _value_selected(self, event: DataTable.RowSelected) -> None:
        """enter on a row: the whole value in a viewer (an explicit reveal of that one value)."""
        event.stop()
        secret, key = self.secret, event.row_key.value
        if secret is None or key is None or key not in secret.data:
            return
        value = secret.data[key]
        if not isinstance(value, str):
            value = json.dumps(value, indent=2, ensure_ascii=False)
        title = f"{visible(self.path, limit=80)} · {visible(key, limit=80)}"
        if secret.version:
            title += f" (v{secret.version})"
        self.post_message(self.ValueViewRequested(title, visible(value, multiline=True, limit=render.VIEWER_LIMIT)))

    @on(DataTable.RowSelected, "#versions-table")
    def _version_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is None:
            return
        self.open_version(int(event.row_key.value))
        self.query_one("#detail-tabs", TabbedContent).active = "tab-data"
        self._table("#data-table").focus()

    def _step_version(self, direction: int) -> None:
        if self.metadata is None or not self.metadata.versions:
            return
        current = self.secret.version if self.secret and self.secret.version else self.metadata.current_version
        target = rules.step_version(current, self.metadata, direction)
        if target is None:
            self.app.bell()
        else:
            self.open_version(target)

    def action_older(self) -> None:
        self._step_version(-1)

    def action_newer(self) -> None:
        self._step_version(+1)

    def action_diff(self) -> None:
        """Diff two versions (see :func:`.rules.diff_pair`)."""
        if self.current_mount is None:
            return
        shown = self.secret.version if self.secret and self.secret.version else None
        if self.metadata is not None and shown is None:
            shown = self.metadata.current_version
        pair = rules.diff_pair(shown, self.marked, self.metadata)
        if isinstance(pair, str):
            self.notify(pair, severity="warning", markup=False)
        elif pair is not None:
            self.set_status(f"Comparing versions {pair[0]} and {pair[1]}…")
            self._submit_read("diff", kv.read_versions, self.current_mount.path, self.path, pair)

    # -- intents (the screen decides) -------------------------------------------------------
    def _intent(self, build: Callable[[Shown], Message]) -> None:
        shown = self.shown()
        if shown is not None:
            self.post_message(build(shown))

    def action_edit(self) -> None:
        self._intent(self.EditRequested)

    def action_patch(self) -> None:
        key = cursor_key(self._table("#data-table")) if self.active_tab == "data" else None
        self._intent(lambda shown: self.PatchRequested(shown, key))

    def action_rollback(self) -> None:
        target = self._cursor_version() if self.active_tab == "versions" else None
        self._intent(lambda shown: self.RollbackRequested(shown, target))

    def _versions_intent(self, action: str) -> None:
        versions = tuple(self.chosen_versions())
        self._intent(lambda shown: self.VersionsActionRequested(shown, action, versions))

    def action_delete_versions(self) -> None:
        self._versions_intent("delete_versions")

    def action_undelete(self) -> None:
        self._versions_intent("undelete")

    def action_destroy(self) -> None:
        self._versions_intent("destroy")

    def action_delete_all(self) -> None:
        self._intent(self.DeleteAllRequested)

    def action_metadata(self) -> None:
        self._intent(self.MetadataRequested)
