"""The secret-version pane: data, versions, metadata, diff and JSON of one KV secret, and every
KV write action (edit with check-and-set, patch, rollback, delete/undelete/destroy, delete all,
metadata).

The browser composes ``SecretDetail(id="detail")`` and calls :meth:`SecretDetail.show_secret`,
:meth:`~SecretDetail.show_folder`, :meth:`~SecretDetail.show_mount`,
:meth:`~SecretDetail.new_secret` and :meth:`~SecretDetail.clear`. After a successful write or
delete the pane posts :class:`SecretDetail.SecretWritten` / :class:`SecretDetail.SecretDeleted`
so the tree can refresh.

Every Vault call goes through ``app.worker.submit`` with a ``key`` per kind of read, so a slow
reply for a secret the user has left is dropped; a generation counter guards the handlers too.
Server text is untrusted: everything is rendered through :func:`vault_tui.safe.safe_text`.
Values are masked until revealed (``v`` one, ``V`` all).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Static, TabbedContent, TabPane

from ...context import vault_app
from ...safe import mask, safe_text, visible
from ...timefmt import format_time
from ...vault import kv
from ...vault.diff import Change, diff_data
from ...vault.errors import CasMismatch, NotFound, VaultError
from ...vault.models import EngineKind, Mount, SecretData, SecretMetadata, VersionState, WriteResult
from ...vault.policies import SecretPermissions
from ...widgets.capabilities import CapabilitiesPanel
from ...worker import Call

JSON_VALUE_LIMIT = 20_000  # characters of one value shown in the JSON view
CELL_LIMIT = 240  # characters of one value shown in a table cell (enter opens the whole value)
VIEWER_LIMIT = 200_000  # characters shown by the value viewer

WRITE_ACTIONS = frozenset(
    {"edit", "new", "patch", "rollback", "delete_versions", "undelete", "destroy", "delete_all", "metadata"}
)
KV2_ONLY = frozenset(
    {"rollback", "delete_versions", "undelete", "destroy", "metadata", "diff", "mark", "older", "newer", "tab"}
)
NEEDS_SECRET = frozenset(
    {
        "reveal", "reveal_all", "copy", "copy_json", "edit", "patch", "rollback", "delete_versions",
        "undelete", "destroy", "delete_all", "metadata", "diff", "mark", "older", "newer", "reload", "tab",
    }
)
# Which capability-derived permission (vault.policies.secret_action_paths) each action needs.
ACTION_PERMISSION = {
    "edit": "write", "patch": "write", "rollback": "write", "new": "write",
    "delete_versions": "delete", "undelete": "undelete", "destroy": "destroy",
}
STATE_STYLE = {VersionState.LIVE: "green", VersionState.DELETED: "yellow", VersionState.DESTROYED: "red"}


# -- private messages (results of this pane's own requests; they do not bubble) ------------------


class _DetailMessage(Message, bubble=False):
    pass


class DetailLoaded(_DetailMessage):
    def __init__(self, generation: int, what: str, result: Any) -> None:
        super().__init__()
        self.generation, self.what, self.result = generation, what, result


class DetailLoadFailed(_DetailMessage):
    def __init__(self, generation: int, what: str, error: VaultError) -> None:
        super().__init__()
        self.generation, self.what, self.error = generation, what, error


@dataclass(frozen=True)
class WriteJob:
    """What a write was, so the reply handler knows what to do (and what to keep on failure)."""

    action: str  # "write", "patch", "rollback", "delete_versions", ...
    label: str  # "writing a new version of app/db" for messages
    mount: Mount
    path: str
    data: Mapping[str, Any] | None = None  # the user's full edit (kept on failure)
    base: int | None = None  # KV v2: the CAS version the edit started from
    expected: Mapping[str, Any] | None = None  # KV v1: the data the edit started from
    created: bool = False  # a new secret


class DetailWrote(_DetailMessage):
    def __init__(self, job: WriteJob, result: Any) -> None:
        super().__init__()
        self.job, self.result = job, result


class DetailWriteFailed(_DetailMessage):
    def __init__(self, job: WriteJob, error: VaultError) -> None:
        super().__init__()
        self.job, self.error = job, error


class DetailConflict(_DetailMessage):
    """Theirs has been read after a CAS conflict: show both sides."""

    def __init__(self, job: WriteJob, theirs: SecretData | None) -> None:
        super().__init__()
        self.job, self.theirs = job, theirs


@dataclass(frozen=True)
class Draft:
    """An unsaved edit, kept after a failed or conflicting write so nothing is lost."""

    data: dict[str, Any]
    base: int | None
    expected: Mapping[str, Any] | None
    created: bool = False


def _cursor_key(table: DataTable) -> str | None:
    if not table.row_count:
        return None
    try:
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
    except Exception:  # noqa: BLE001 - no valid cursor
        return None


def _table(table_id: str, *columns: tuple[str, str, int | None]) -> DataTable:
    table: DataTable = DataTable(id=table_id, cursor_type="row", zebra_stripes=True)
    for key, label, width in columns:
        table.add_column(label, key=key, width=width)
    return table


def _plain(value: Any) -> str:
    """The clipboard form of a value: strings as-is, anything else as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _versions_label(versions: list[int]) -> str:
    return ", ".join(str(v) for v in sorted(versions))


class SecretDetail(Vertical):
    DEFAULT_CSS = """
    SecretDetail { height: 1fr; width: 1fr; padding: 0 1; }
    SecretDetail #detail-header { height: auto; padding: 0 0 0 0; }
    SecretDetail #detail-status { height: auto; color: $text-muted; }
    SecretDetail #detail-status.-error { color: $error; }
    SecretDetail #detail-status.-warning { color: $warning; }
    SecretDetail #detail-empty { height: 1fr; padding: 1 0; color: $text-muted; }
    SecretDetail #detail-tabs { height: 1fr; }
    SecretDetail TabPane { padding: 0; }
    SecretDetail DataTable { height: 1fr; }
    SecretDetail #diff-title { height: auto; padding: 0 0 1 0; }
    SecretDetail #json-hint { height: auto; color: $text-muted; }
    SecretDetail #json-scroll { height: 1fr; }
    SecretDetail.-blank #detail-tabs { display: none; }
    SecretDetail.-secret #detail-empty { display: none; }
    """

    BINDINGS = [
        Binding("v", "reveal", "Reveal", id="detail.reveal"),
        Binding("V", "reveal_all", "Reveal all", id="detail.reveal_all"),
        Binding("c", "copy", "Copy", id="detail.copy"),
        Binding("C", "copy_json", "Copy JSON", show=False, id="detail.copy_json"),
        Binding("e", "edit", "Edit", id="detail.edit"),
        Binding("n", "new", "New", show=False, id="detail.new"),
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

    class SecretWritten(Message):
        """A secret was created or changed: the tree refreshes its folder."""

        def __init__(self, mount: Mount, path: str) -> None:
            super().__init__()
            self.mount = mount
            self.path = path

    class SecretDeleted(Message):
        """A secret (all versions and metadata, or a KV v1 secret) was deleted."""

        def __init__(self, mount: Mount, path: str) -> None:
            super().__init__()
            self.mount = mount
            self.path = path

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
        self.drafts: dict[tuple[str, str], Draft] = {}
        self.generation = 0
        self.renders: list[tuple[str, str, int | None]] = []  # (mount, path, version) of each data render
        self._errors: dict[str, VaultError] = {}
        self.permissions: SecretPermissions | None = None

    # -- layout -----------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static(Text("Select a secret."), id="detail-header")
        yield Static("", id="detail-status", markup=False)
        yield Static("", id="detail-empty", markup=False)
        with TabbedContent(id="detail-tabs"):
            with TabPane("Data", id="tab-data"):
                yield _table("data-table", ("key", "Key", None), ("value", "Value", None))
            with TabPane("Versions", id="tab-versions"):
                yield _table(
                    "versions-table",
                    ("mark", "", 2), ("version", "Version", None), ("state", "State", None),
                    ("created", "Created", None), ("deleted", "Deleted", None),
                )
            with TabPane("Metadata", id="tab-metadata"):
                yield _table("metadata-table", ("field", "Field", None), ("value", "Value", None))
            with TabPane("Diff", id="tab-diff"):
                yield Static(Text("Mark two versions with space in Versions, then press f.", style="dim"), id="diff-title")
                yield _table("diff-table", ("change", "", 2), ("key", "Key", None), ("old", "Old", None), ("new", "New", None))
            with TabPane("JSON", id="tab-json"):
                yield Static("", id="json-hint", markup=False)
                with VerticalScroll(id="json-scroll"):
                    yield Static("", id="json-view", markup=False)
            with TabPane("Access", id="tab-access"):
                with VerticalScroll(id="access-scroll"):
                    yield CapabilitiesPanel(id="capabilities")

    # -- helpers ----------------------------------------------------------------------------
    @property
    def read_only(self) -> bool:
        return vault_app(self).session.read_only

    @property
    def is_kv2(self) -> bool:
        return self.current_mount is not None and self.current_mount.kind is EngineKind.KV2

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

    def _status(self, text: str | Text, severity: str = "") -> None:
        status = self.query_one("#detail-status", Static)
        status.set_class(severity == "error", "-error")
        status.set_class(severity == "warning", "-warning")
        status.update(text if isinstance(text, Text) else Text(visible(text, multiline=True)))

    @property
    def active_tab(self) -> str:
        return (self.query_one("#detail-tabs", TabbedContent).active or "tab-data").removeprefix("tab-")

    def _reset(self, view: str, mount: Mount | None, path: str) -> None:
        self.generation += 1
        for what in ("meta", "data", "diff"):
            vault_app(self).worker.cancel_key(self._key(what))
        self.view = view
        self.current_mount = mount
        self.path = path
        self.metadata = None
        self.secret = None
        self.viewing = None
        self.revealed = set()
        self.reveal_everything = False
        self.marked = set()
        self.diff_pair = None
        self.diff_revealed = set()
        self._errors = {}
        self.permissions = None
        self.query_one(CapabilitiesPanel).clear()
        self.set_class(view != "secret", "-blank")
        self.set_class(view == "secret", "-secret")
        for table_id in ("#data-table", "#versions-table", "#metadata-table", "#diff-table"):
            self.query_one(table_id, DataTable).clear()
        self.query_one("#json-view", Static).update("")
        self.query_one("#json-hint", Static).update("")
        self.query_one("#diff-title", Static).update(
            Text("Mark two versions with space in Versions, then press f.", style="dim")
        )
        self._status("")
        self.refresh_bindings()

    # -- the interface the browser calls ----------------------------------------------------
    def show_secret(self, mount: Mount, path: str) -> None:
        self._reset("secret", mount, path)
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

    def show_folder(self, mount: Mount, folder: str) -> None:
        self._reset("folder", mount, folder)
        header = Text()
        header.append(visible(mount.path), style="bold")
        header.append(visible(folder), style="bold")
        header.append(f"  folder · {mount.kind_label}", style="dim")
        self.query_one("#detail-header", Static).update(header)
        hint = "Pick a secret in the tree to see its data and versions."
        if mount.is_kv and not self.read_only:
            hint += "\nPress n to create a secret in this folder."
        self.query_one("#detail-empty", Static).update(Text(hint))

    def show_mount(self, mount: Mount) -> None:
        self._reset("mount", mount, "")
        header = Text()
        header.append(visible(mount.path), style="bold")
        header.append(f"  {mount.kind_label} mount", style="dim")
        self.query_one("#detail-header", Static).update(header)
        lines = []
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
        self.query_one("#detail-header", Static).update(Text("Select a secret."))
        self.query_one("#detail-empty", Static).update("")

    def new_secret(self, mount: Mount, folder: str) -> None:
        """Open the editor for a new secret under ``folder`` (a path inside ``mount``)."""
        if self.read_only:
            self.notify("Read-only mode: creating secrets is disabled.", severity="warning", markup=False)
            return
        if not mount.is_kv:
            self.notify(f"{visible(mount.path)} is not a KV mount.", severity="warning", markup=False)
            return
        folder = folder if (not folder or folder.endswith("/")) else folder.rsplit("/", 1)[0] + "/" if "/" in folder else ""
        from .editor import SecretEditorScreen

        def saved(result: Any) -> None:
            if result is None:
                return
            if mount.kind is EngineKind.KV2:
                job = WriteJob("write", f"creating {result.path}", mount, result.path, data=result.data, base=0, created=True)
            else:
                job = WriteJob("write", f"creating {result.path}", mount, result.path, data=result.data, expected=None, created=True)
            self._write_data(job)

        self.app.push_screen(
            SecretEditorScreen(
                f"New secret in {mount.path}{folder}",
                {},
                path=folder,
                path_editable=True,
                note="The write only succeeds if nothing exists at that path yet.",
            ),
            callback=saved,
        )

    # -- loading ----------------------------------------------------------------------------
    def _load(self) -> None:
        assert self.current_mount is not None
        self._status("Loading…")
        if self.is_kv2:
            self._submit_read("meta", kv.read_metadata, self.current_mount.path, self.path)
            self._submit_read("data", kv.read_version, self.current_mount.path, self.path, self.viewing)
        else:
            self._submit_read("data", kv.read_kv1, self.current_mount.path, self.path)

    def open_version(self, version: int) -> None:
        """Show the data of another KV v2 version of the current secret."""
        if self.view != "secret" or not self.is_kv2:
            return
        self.viewing = version
        self.revealed = set()
        self._status(f"Loading version {version}…")
        self._submit_read("data", kv.read_version, self.current_mount.path, self.path, version)  # type: ignore[union-attr]

    @on(DetailLoaded)
    def _loaded(self, message: DetailLoaded) -> None:
        message.stop()
        if message.generation != self.generation:
            return  # a reply for a secret the user has left
        if message.what == "meta":
            self.metadata = message.result
            self._errors.pop("meta", None)
            self._render_versions()
            self._render_metadata()
        elif message.what == "data":
            self.secret = message.result
            self._errors.pop("data", None)
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
        elif message.what == "conflict":
            return
        self._render_header()
        self._render_status()
        self.refresh_bindings()

    @on(DetailLoadFailed)
    def _load_failed(self, message: DetailLoadFailed) -> None:
        message.stop()
        if message.generation != self.generation:
            return
        self._errors[message.what] = message.error
        if message.what == "diff":
            vault_app(self).report_error(message.error, "reading versions for the diff")
        self._render_header()
        self._render_status()
        self.refresh_bindings()

    # -- rendering --------------------------------------------------------------------------
    def _render_header(self) -> None:
        if self.current_mount is None:
            return
        header = Text()
        header.append(visible(self.current_mount.path), style="bold")
        header.append(visible(self.path), style="bold")
        header.append(f"  {self.current_mount.kind_label}", style="dim")
        meta, secret = self.metadata, self.secret
        if self.is_kv2:
            parts: list[tuple[str, str]] = []
            if secret is not None and secret.version:
                current = meta.current_version if meta else None
                label = f"version {secret.version}"
                if current:
                    label += f" of {current}"
                    if secret.version != current:
                        label += " (older)"
                parts.append((label, "bold"))
                parts.append((secret.state.value, STATE_STYLE[secret.state]))
            if meta is not None and meta.cas_required:
                parts.append(("cas required", "magenta"))
            for text, style in parts:
                header.append("  ·  ", style="dim")
                header.append(text, style=style)
        if secret is not None and secret.state is VersionState.LIVE:
            header.append("  ·  ", style="dim")
            header.append(f"{len(secret.data)} key{'s' if len(secret.data) != 1 else ''}", style="dim")
        self.query_one("#detail-header", Static).update(header)

    def _render_status(self) -> None:
        if self.view != "secret":
            return
        data_error = self._errors.get("data")
        meta_error = self._errors.get("meta")
        if isinstance(data_error, NotFound) and (meta_error is None or isinstance(meta_error, NotFound)):
            self._status("This secret does not exist (any more). Press R to reload.", "warning")
            return
        problems = []
        if data_error is not None:
            problems.append(f"data: {data_error}")
        if meta_error is not None:
            problems.append(f"metadata: {meta_error}")
        if problems:
            self._status("Could not read " + "; ".join(problems), "error")
            return
        secret = self.secret
        draft = self.drafts.get((self.current_mount.path, self.path)) if self.current_mount else None
        notes = []
        if secret is not None and secret.state is VersionState.DELETED:
            notes.append(f"Version {secret.version} was deleted {format_time(secret.deletion_time)}: u undeletes it.")
        elif secret is not None and secret.state is VersionState.DESTROYED:
            notes.append(f"Version {secret.version} was destroyed; its data is gone.")
        if draft is not None:
            notes.append("You have an unsaved edit of this secret: press e to reopen it.")
        if notes:
            self._status(" ".join(notes), "warning")
        elif secret is not None:
            denied = self._denied_actions()
            if denied:
                self._status(f"Your token cannot {', '.join(denied)} here (greyed out); see the Access tab (6) for why.", "warning")
                return
            hint = "v reveal · V reveal all · enter view · c copy · f diff"
            if not self.read_only:
                hint += " · e edit · p patch"
            self._status(hint)
        else:
            self._status("Loading…")

    def _denied_actions(self) -> list[str]:
        if self.permissions is None or self.read_only:
            return []
        wanted = ("write", "delete", "undelete", "destroy") if self.is_kv2 else ("write", "delete")
        return [name for name in wanted if not self.permissions.allows(name)]

    def _value_cell(self, key: str, value: Any) -> Text:
        if self.reveal_everything or key in self.revealed:
            return safe_text(value, limit=CELL_LIMIT)
        return Text(mask(value), style="dim")

    def _render_data(self) -> None:
        table = self.query_one("#data-table", DataTable)
        secret = self.secret
        with self.app.batch_update():
            table.clear()
            if secret is not None:
                for key in secret.data:
                    table.add_row(safe_text(key, limit=CELL_LIMIT), self._value_cell(key, secret.data[key]), key=key)
        if secret is not None:
            self.renders.append((secret.mount, secret.path, secret.version))
        self._render_json()
        self._mark_versions()

    def _render_json(self) -> None:
        hint = self.query_one("#json-hint", Static)
        view = self.query_one("#json-view", Static)
        secret = self.secret
        if secret is None or secret.state is not VersionState.LIVE:
            hint.update(Text("No data for this version.", style="dim"))
            view.update("")
            return
        if self.reveal_everything:
            shown: dict[str, Any] = {}
            for key, value in secret.data.items():
                if isinstance(value, str) and len(value) > JSON_VALUE_LIMIT:
                    value = value[:JSON_VALUE_LIMIT] + f"… (+{len(value) - JSON_VALUE_LIMIT:,} more characters)"
                shown[key] = value
            hint.update(Text("Values revealed (V masks them again). C copies the full JSON.", style="dim"))
        else:
            shown = {key: mask(value) for key, value in secret.data.items()}
            hint.update(Text("Values masked: V reveals them. C copies the full JSON.", style="dim"))
        text = json.dumps(shown, indent=2, ensure_ascii=False)
        view.update(Text(visible(text, multiline=True)))

    def _render_versions(self) -> None:
        table = self.query_one("#versions-table", DataTable)
        meta = self.metadata
        with self.app.batch_update():
            table.clear()
            if meta is None:
                return
            for info in meta.versions:
                state = info.state
                label = Text(str(info.version), style="bold" if info.version == meta.current_version else "")
                if info.version == meta.current_version:
                    label.append(" current", style="dim")
                table.add_row(
                    Text(""),
                    label,
                    Text(state.value, style=STATE_STYLE[state]),
                    Text(format_time(info.created_time)),
                    Text(format_time(info.deletion_time) if info.deletion_time else "—"),
                    key=str(info.version),
                )
        self._mark_versions()

    def _mark_versions(self) -> None:
        table = self.query_one("#versions-table", DataTable)
        if self.metadata is None:
            return
        shown = self.secret.version if self.secret is not None else None
        for info in self.metadata.versions:
            mark = Text("")
            if info.version in self.marked:
                mark = Text("✓", style="bold cyan")
            elif info.version == shown:
                mark = Text("▶", style="bold")
            try:
                table.update_cell(str(info.version), "mark", mark)
            except Exception:  # noqa: BLE001 - the row was replaced meanwhile
                pass

    def _render_metadata(self) -> None:
        table = self.query_one("#metadata-table", DataTable)
        meta = self.metadata
        with self.app.batch_update():
            table.clear()
            if meta is None:
                return
            rows: list[tuple[str, Text]] = [
                ("current_version", Text(str(meta.current_version))),
                ("oldest_version", Text(str(meta.oldest_version))),
                ("created_time", Text(format_time(meta.created_time))),
                ("updated_time", Text(format_time(meta.updated_time))),
                ("max_versions", Text(str(meta.max_versions) + ("  (mount default)" if not meta.max_versions else ""))),
                ("cas_required", Text(str(meta.cas_required).lower())),
                ("delete_version_after", safe_text(meta.delete_version_after)),
            ]
            if not meta.custom_metadata:
                rows.append(("custom_metadata", Text("(none)", style="dim")))
            for field, value in rows:
                table.add_row(Text(field, style="bold"), value, key=f"field:{field}")
            for key, value in meta.custom_metadata.items():
                label = Text("custom_metadata.", style="bold")
                label.append(visible(key, limit=CELL_LIMIT))
                table.add_row(label, safe_text(value, limit=CELL_LIMIT), key=f"custom:{key}")

    def _render_diff(self) -> None:
        table = self.query_one("#diff-table", DataTable)
        title = self.query_one("#diff-title", Static)
        if self.diff_pair is None:
            return
        older, newer = self.diff_pair
        table.columns["old"].label = Text(f"v{older.version}")
        table.columns["new"].label = Text(f"v{newer.version}")
        entries = diff_data(older.data, newer.data, include_same=True)
        counts = {change: sum(1 for e in entries if e.change is change) for change in Change}
        heading = Text(f"v{older.version} → v{newer.version}: ", style="bold")
        heading.append(f"+{counts[Change.ADDED]} added", style="green")
        heading.append("  ")
        heading.append(f"-{counts[Change.REMOVED]} removed", style="red")
        heading.append("  ")
        heading.append(f"~{counts[Change.CHANGED]} changed", style="yellow")
        heading.append(f"  ({counts[Change.SAME]} unchanged)", style="dim")
        for side in (older, newer):
            if side.state is not VersionState.LIVE:
                heading.append(f"\nv{side.version} is {side.state.value}: it has no data to compare.", style="yellow")
        heading.append("\nChanged values stay masked: v reveals a row, V all.", style="dim")
        title.update(heading)
        with self.app.batch_update():
            table.clear()
            for entry in entries:
                if entry.change is Change.SAME:
                    continue
                table.add_row(*self._diff_cells(entry.key), key=entry.key)

    def _diff_cells(self, key: str) -> tuple[Text, Text, Text, Text]:
        assert self.diff_pair is not None
        older, newer = self.diff_pair
        change = Change.CHANGED
        if key not in older.data:
            change = Change.ADDED
        elif key not in newer.data:
            change = Change.REMOVED
        marker, style = {Change.ADDED: ("+", "green"), Change.REMOVED: ("-", "red"), Change.CHANGED: ("~", "yellow")}[change]
        revealed = self.reveal_everything or key in self.diff_revealed

        def cell(data: Mapping[str, Any]) -> Text:
            if key not in data:
                return Text("—", style="dim")
            return safe_text(data[key], limit=CELL_LIMIT) if revealed else Text(mask(data[key]), style="dim")

        return Text(marker, style=style), safe_text(key, style=style, limit=CELL_LIMIT), cell(older.data), cell(newer.data)

    def _refresh_diff_row(self, key: str) -> None:
        table = self.query_one("#diff-table", DataTable)
        _marker, _key, old, new = self._diff_cells(key)
        table.update_cell(key, "old", old, update_width=True)
        table.update_cell(key, "new", new, update_width=True)

    # -- read actions -----------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in WRITE_ACTIONS and self.read_only:
            return False
        needed = ACTION_PERMISSION.get(action)
        if needed and self.permissions is not None and action != "new" and not self.permissions.allows(needed):
            return None  # shown greyed out; the Access tab and status line say why
        if action == "new":
            return self.current_mount is not None and self.current_mount.is_kv
        if action in NEEDS_SECRET and self.view != "secret":
            return False
        if action in KV2_ONLY and not self.is_kv2:
            if action == "tab" and parameters and parameters[0] in ("data", "json", "access"):
                return True
            return False
        return True

    @on(CapabilitiesPanel.Loaded)
    def _capabilities_loaded(self, message: CapabilitiesPanel.Loaded) -> None:
        message.stop()
        if isinstance(message.permissions, SecretPermissions) and self.view == "secret":
            self.permissions = message.permissions
            self.refresh_bindings()
            self._render_status()

    def action_tab(self, name: str) -> None:
        self.query_one("#detail-tabs", TabbedContent).active = f"tab-{name}"
        if name == "access":
            self.query_one("#access-scroll").focus()
            return
        focus = {"data": "#data-table", "versions": "#versions-table", "metadata": "#metadata-table", "diff": "#diff-table"}
        if name in focus:
            self.query_one(focus[name], DataTable).focus()
        else:
            self.query_one("#json-scroll").focus()

    def action_reload(self) -> None:
        if self.current_mount is not None and self.view == "secret":
            tab = self.query_one("#detail-tabs", TabbedContent).active
            viewing = self.viewing
            self.show_secret(self.current_mount, self.path)
            if viewing is not None:
                self.open_version(viewing)
            self.query_one("#detail-tabs", TabbedContent).active = tab

    def action_reveal(self) -> None:
        tab = self.active_tab
        if tab == "diff" and self.diff_pair is not None:
            key = _cursor_key(self.query_one("#diff-table", DataTable))
            if key is not None:
                self.diff_revealed ^= {key}
                self._refresh_diff_row(key)
            return
        if tab in ("data", "versions", "metadata", "json") and self.secret is not None:
            if tab == "json":
                self.action_reveal_all()
                return
            key = _cursor_key(self.query_one("#data-table", DataTable))
            if key is None:
                return
            self.revealed ^= {key}
            self.query_one("#data-table", DataTable).update_cell(key, "value", self._value_cell(key, self.secret.data[key]), update_width=True)

    def action_reveal_all(self) -> None:
        self.reveal_everything = not self.reveal_everything
        if not self.reveal_everything:
            self.revealed = set()
            self.diff_revealed = set()
        secret = self.secret
        table = self.query_one("#data-table", DataTable)
        with self.app.batch_update():
            if secret is not None:
                for key, value in secret.data.items():
                    table.update_cell(key, "value", self._value_cell(key, value), update_width=True)
            if self.diff_pair is not None:
                for key in self.query_one("#diff-table", DataTable).rows:
                    if key.value is not None:
                        self._refresh_diff_row(key.value)
        self._render_json()

    def action_copy(self) -> None:
        tab = self.active_tab
        if tab == "json":
            self.action_copy_json()
            return
        if tab == "diff" and self.diff_pair is not None:
            key = _cursor_key(self.query_one("#diff-table", DataTable))
            if key is None:
                return
            older, newer = self.diff_pair
            source, version = (newer, newer.version) if key in newer.data else (older, older.version)
            vault_app(self).copy_secret(_plain(source.data[key]), f"{visible(key, limit=80)} (v{version})")
            return
        if tab == "metadata" and self.metadata is not None:
            key = _cursor_key(self.query_one("#metadata-table", DataTable))
            if key and key.startswith("custom:"):
                name = key.removeprefix("custom:")
                vault_app(self).copy_secret(self.metadata.custom_metadata.get(name, ""), f"custom_metadata {visible(name, limit=80)}")
            return
        secret = self.secret
        if secret is None or not secret.data:
            self.notify("Nothing to copy.", severity="warning", markup=False)
            return
        key = _cursor_key(self.query_one("#data-table", DataTable))
        if key is None or key not in secret.data:
            return
        vault_app(self).copy_secret(_plain(secret.data[key]), visible(key, limit=80))

    def action_copy_json(self) -> None:
        secret = self.secret
        if secret is None or not secret.data:
            self.notify("Nothing to copy.", severity="warning", markup=False)
            return
        text = json.dumps(dict(secret.data), indent=2, ensure_ascii=False)
        vault_app(self).copy_secret(text, f"{visible(self.path, limit=80)} as JSON")

    def _cursor_version(self) -> int | None:
        key = _cursor_key(self.query_one("#versions-table", DataTable))
        return int(key) if key is not None else None

    def _chosen_versions(self) -> list[int]:
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
        version = self._cursor_version() if self.active_tab == "versions" else (self.secret.version if self.secret else None)
        if version is None:
            return
        self.marked ^= {version}
        self._mark_versions()
        if len(self.marked) == 2:
            self._status("Two versions marked: f shows their diff; d / u / x act on both.")

    @on(DataTable.RowSelected, "#data-table")
    def _value_selected(self, event: DataTable.RowSelected) -> None:
        """enter on a row: the whole value in a viewer (an explicit reveal of that one value)."""
        event.stop()
        secret = self.secret
        key = event.row_key.value
        if secret is None or key is None or key not in secret.data:
            return
        from ...screens.modals import MessageScreen

        value = secret.data[key]
        if not isinstance(value, str):
            value = json.dumps(value, indent=2, ensure_ascii=False)
        title = f"{visible(self.path, limit=80)} · {visible(key, limit=80)}"
        if secret.version:
            title += f" (v{secret.version})"
        self.app.push_screen(MessageScreen(title, Text(visible(value, multiline=True, limit=VIEWER_LIMIT))))

    @on(DataTable.RowSelected, "#versions-table")
    def _version_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is None:
            return
        self.open_version(int(event.row_key.value))
        self.query_one("#detail-tabs", TabbedContent).active = "tab-data"
        self.query_one("#data-table", DataTable).focus()

    def _step_version(self, direction: int) -> None:
        if self.metadata is None or not self.metadata.versions:
            return
        numbers = sorted(v.version for v in self.metadata.versions)
        current = self.secret.version if self.secret and self.secret.version else self.metadata.current_version
        candidates = [n for n in numbers if (n > current if direction > 0 else n < current)]
        if not candidates:
            self.bell()
            return
        self.open_version(candidates[0] if direction > 0 else candidates[-1])

    def action_older(self) -> None:
        self._step_version(-1)

    def action_newer(self) -> None:
        self._step_version(+1)

    def action_diff(self) -> None:
        """Diff two versions: the two marked; one marked and the one shown; else the shown one and its predecessor."""
        if self.current_mount is None:
            return
        shown = self.secret.version if self.secret and self.secret.version else None
        if self.metadata is not None and shown is None:
            shown = self.metadata.current_version
        marked = sorted(self.marked)
        if len(marked) >= 2:
            pair = marked[-2:]
        elif len(marked) == 1 and shown is not None and shown != marked[0]:
            pair = sorted([marked[0], shown])
        else:
            if shown is None or self.metadata is None:
                return
            older = [v.version for v in self.metadata.versions if v.version < shown]
            live = [v.version for v in self.metadata.versions if v.version < shown and v.state is VersionState.LIVE]
            older = live or older
            if not older:
                self.notify("There is no older version to compare with.", severity="warning", markup=False)
                return
            pair = [max(older), shown]
        self._status(f"Comparing versions {pair[0]} and {pair[1]}…")
        self._submit_read("diff", kv.read_versions, self.current_mount.path, self.path, pair)

    # -- write actions ----------------------------------------------------------------------
    def _base_version(self) -> int | None:
        if self.metadata is not None:
            return self.metadata.current_version
        if self.secret is not None and self.viewing is None:
            return self.secret.version
        return None

    def _submit_write(self, job: WriteJob, fn: Callable[..., Any], *args: Any) -> None:
        vault_app(self).worker.submit(
            Call(fn, *args),
            to=self,
            action=job.label,
            done=lambda result: DetailWrote(job, result),
            failed=lambda error: DetailWriteFailed(job, error),
        )
        self._status(job.label[0].upper() + job.label[1:] + "…")

    def _write_data(self, job: WriteJob) -> None:
        """Write the user's full edit with CAS (KV v2) or compare-before-write (KV v1). Keep it as a draft until it lands."""
        assert job.data is not None
        self.drafts[(job.mount.path, job.path)] = Draft(dict(job.data), job.base, job.expected, job.created)
        if job.mount.kind is EngineKind.KV2:
            self._submit_write(job, functools.partial(kv.write_v2, cas=int(job.base or 0)), job.mount.path, job.path, dict(job.data))
        else:
            self._submit_write(job, functools.partial(kv.write_kv1, expected=job.expected), job.mount.path, job.path, dict(job.data))

    def action_edit(self) -> None:
        if self.current_mount is None or self.view != "secret":
            return
        from .editor import SecretEditorScreen

        mount, path = self.current_mount, self.path
        draft = self.drafts.get((mount.path, path))
        secret = self.secret
        if draft is not None:
            data: dict[str, Any] = dict(draft.data)
            base, expected = draft.base, draft.expected
            note = "Your unsaved edit is restored."
            if base is not None:
                note += f" It is checked against version {base}."
        else:
            if secret is None and "data" not in self._errors:
                self.notify("The secret is still loading.", severity="warning", markup=False)
                return
            data = dict(secret.data) if secret is not None else {}
            base = self._base_version() if self.is_kv2 else None
            expected = dict(secret.data) if (secret is not None and not self.is_kv2) else None
            if self.is_kv2:
                if base is None:
                    self.notify("The current version is not known yet (metadata still loading or unreadable).", severity="warning", markup=False)
                    return
                note = f"Saving writes version {base + 1}, checked against version {base} (check-and-set)."
                if secret is not None and secret.version and secret.version != base:
                    note = f"Starting from version {secret.version}'s data. " + note
            else:
                note = "KV v1 has no check-and-set: the secret is compared with what you started from just before writing."
        label = "Edit" if self.is_kv2 or secret is not None else "Write"

        def saved(result: Any) -> None:
            if result is None:
                return
            job = WriteJob("write", f"writing {path}", mount, path, data=result.data, base=base, expected=expected)
            self._write_data(job)

        self.app.push_screen(
            SecretEditorScreen(f"{label} {mount.path}{path}", data, path=path, note=note), callback=saved
        )

    def action_new(self) -> None:
        if self.current_mount is None:
            return
        folder = self.path if self.view == "folder" else (self.path.rsplit("/", 1)[0] + "/" if "/" in self.path else "")
        self.new_secret(self.current_mount, folder)

    def action_patch(self) -> None:
        if self.current_mount is None or self.secret is None:
            return
        from .editor import SecretEditorScreen

        mount, path, secret = self.current_mount, self.path, self.secret
        key = _cursor_key(self.query_one("#data-table", DataTable)) if self.active_tab == "data" else None
        current = self._base_version() if self.is_kv2 else None
        if self.is_kv2 and (current is None or (secret.version and secret.version != current)):
            self.notify("Patch works on the current version: open it first (]).", severity="warning", markup=False)
            return
        start = {key: secret.data[key]} if key is not None and key in secret.data else {}
        before = dict(secret.data)

        def saved(result: Any) -> None:
            if result is None:
                return
            merged = {**before, **result.data}
            if self.is_kv2 and mount.kind is EngineKind.KV2:
                job = WriteJob("patch", f"patching {path}", mount, path, data=merged, base=current)
                self.drafts[(mount.path, path)] = Draft(merged, current, None)
                self._submit_write(job, functools.partial(kv.patch_v2, cas=int(current or 0)), mount.path, path, dict(result.data))
            else:
                self._write_data(WriteJob("patch", f"patching {path}", mount, path, data=merged, expected=before))

        note = "Only the keys below change; every other key is kept."
        if current is not None:
            note += f" Checked against version {current}."
        self.app.push_screen(
            SecretEditorScreen(f"Patch {mount.path}{path}", start, path=path, note=note), callback=saved
        )

    def action_rollback(self) -> None:
        if self.current_mount is None or self.metadata is None:
            return
        from ...screens.modals import ConfirmScreen

        target = self._cursor_version() if self.active_tab == "versions" else None
        if target is None and self.secret is not None:
            target = self.secret.version
        current = self.metadata.current_version
        info = self.metadata.version(target) if target else None
        if info is None or target == current:
            self.notify("Pick an older version (in Versions, or open it) to roll back to.", severity="warning", markup=False)
            return
        if info.state is not VersionState.LIVE:
            self.notify(f"Version {target} is {info.state.value}; it cannot be rolled back to.", severity="warning", markup=False)
            return
        mount, path = self.current_mount, self.path

        def decided(ok: bool | None) -> None:
            if ok:
                job = WriteJob("rollback", f"rolling {path} back to version {target}", mount, path, base=current)
                self._submit_write(job, functools.partial(kv.rollback, to_version=int(target), cas=current), mount.path, path)

        self.app.push_screen(
            ConfirmScreen(
                f"Roll back to version {target}?",
                f"{mount.path}{path}: version {target}'s data is written as a new version {current + 1}, "
                f"checked against version {current}. No version is deleted.",
                confirm_label="Roll back",
                danger=False,
            ),
            callback=decided,
        )

    def _versions_action(self, action: str) -> None:
        from ...screens.modals import ConfirmScreen

        if self.current_mount is None:
            return
        versions = self._chosen_versions()
        if not versions:
            self.notify("Mark versions with space in Versions (or open one) first.", severity="warning", markup=False)
            return
        mount, path = self.current_mount, self.path
        words = _versions_label(versions)
        plural = "s" if len(versions) > 1 else ""
        spec = {
            "delete_versions": (kv.delete_versions, f"soft-deleting version{plural} {words} of {path}", "Delete",
                                f"Soft-delete version{plural} {words}?", "They can be undeleted later (u)."),
            "undelete": (kv.undelete_versions, f"undeleting version{plural} {words} of {path}", "", "", ""),
            "destroy": (kv.destroy_versions, f"destroying version{plural} {words} of {path}", "Destroy",
                        f"Destroy version{plural} {words} permanently?",
                        "Their data is removed for good and cannot be recovered."),
        }[action]
        fn, label, confirm, title, body = spec
        job = WriteJob(action, label, mount, path)

        def go(ok: bool | None = True) -> None:
            if ok:
                self._submit_write(job, fn, mount.path, path, versions)

        if not confirm:
            go()
            return
        self.app.push_screen(
            ConfirmScreen(title, f"{mount.path}{path}\n{body}", confirm_label=confirm), callback=go
        )

    def action_delete_versions(self) -> None:
        self._versions_action("delete_versions")

    def action_undelete(self) -> None:
        self._versions_action("undelete")

    def action_destroy(self) -> None:
        self._versions_action("destroy")

    def action_delete_all(self) -> None:
        if self.current_mount is None or self.view != "secret":
            return
        from ...screens.modals import TypedConfirmScreen

        mount, path = self.current_mount, self.path
        if self.is_kv2:
            fn, body = kv.delete_all, "Every version and the metadata of this secret are deleted permanently."
        else:
            fn, body = kv.delete_kv1, "This KV v1 secret is deleted permanently (KV v1 keeps no versions)."

        def decided(ok: bool | None) -> None:
            if ok:
                self._submit_write(WriteJob("delete_all", f"deleting {path}", mount, path), fn, mount.path, path)

        self.app.push_screen(
            TypedConfirmScreen(f"Delete {mount.path}{path}?", f"{mount.path}{path}\n{body}", path, confirm_label="Delete all"),
            callback=decided,
        )

    def action_metadata(self) -> None:
        if self.current_mount is None or self.metadata is None:
            return
        from .editor import MetadataEditorScreen

        meta, mount, path = self.metadata, self.current_mount, self.path

        def saved(change: Any) -> None:
            if change is None:
                return
            fn = functools.partial(
                kv.write_metadata,
                max_versions=change.max_versions,
                cas_required=change.cas_required,
                delete_version_after=change.delete_version_after,
                custom_metadata=change.custom_metadata,
            )
            self._submit_write(WriteJob("metadata", f"saving the metadata of {path}", mount, path), fn, mount.path, path)

        self.app.push_screen(
            MetadataEditorScreen(
                f"Metadata of {mount.path}{path}",
                max_versions=meta.max_versions,
                cas_required=meta.cas_required,
                delete_version_after=meta.delete_version_after,
                custom_metadata=meta.custom_metadata,
            ),
            callback=saved,
        )

    # -- write replies ----------------------------------------------------------------------
    def _is_showing(self, mount: Mount, path: str) -> bool:
        return self.view == "secret" and self.current_mount is not None and self.current_mount.path == mount.path and self.path == path

    @on(DetailWrote)
    def _wrote(self, message: DetailWrote) -> None:
        message.stop()
        job, result = message.job, message.result
        if job.action in ("write", "patch", "rollback"):
            self.drafts.pop((job.mount.path, job.path), None)
        version = result.version if isinstance(result, WriteResult) else None
        done = {
            "write": "Created" if job.created else "Saved",
            "patch": "Patched",
            "rollback": "Rolled back",
            "delete_versions": "Soft-deleted versions of",
            "undelete": "Undeleted versions of",
            "destroy": "Destroyed versions of",
            "delete_all": "Deleted",
            "metadata": "Saved the metadata of",
        }[job.action]
        tail = f" (version {version})" if version else ""
        self.notify(f"{done} {visible(job.path)}{tail}.", markup=False)
        if job.action == "delete_all":
            self.post_message(self.SecretDeleted(job.mount, job.path))
            if self._is_showing(job.mount, job.path):
                self.show_folder(job.mount, job.path.rsplit("/", 1)[0] + "/" if "/" in job.path else "")
                self.query_one("#detail-empty", Static).update(Text(f"{visible(job.path)} was deleted."))
            return
        self.post_message(self.SecretWritten(job.mount, job.path))
        if job.created or self._is_showing(job.mount, job.path):
            tab = self.query_one("#detail-tabs", TabbedContent).active
            keep_version = self.viewing if job.action in ("delete_versions", "undelete", "destroy", "metadata") else None
            self.show_secret(job.mount, job.path)
            if keep_version is not None:
                self.open_version(keep_version)
            if tab and tab != "tab-diff":
                self.query_one("#detail-tabs", TabbedContent).active = tab

    @on(DetailWriteFailed)
    def _write_failed(self, message: DetailWriteFailed) -> None:
        message.stop()
        job, error = message.job, message.error
        if isinstance(error, CasMismatch) and job.data is not None:
            self._status("Check-and-set conflict: reading what is on the server now…", "warning")
            if job.mount.kind is EngineKind.KV2:
                vault_app(self).worker.submit(
                    Call(kv.read_version, job.mount.path, job.path, None),
                    to=self,
                    done=lambda theirs: DetailConflict(job, theirs),
                    failed=lambda _error: DetailConflict(job, None),
                )
            else:
                body = error.body if isinstance(error.body, dict) else {}
                theirs_data = body.get("data")
                theirs = (
                    SecretData(mount=job.mount.path, path=job.path, data=dict(theirs_data))
                    if isinstance(theirs_data, dict)
                    else None
                )
                self.post_message(DetailConflict(job, theirs))
            return
        vault_app(self).report_error(error, job.label)
        if job.action == "rollback" and isinstance(error, CasMismatch):
            self.notify("The secret changed meanwhile; reloaded. Try the rollback again.", severity="warning", markup=False)
            if self._is_showing(job.mount, job.path):
                self.action_reload()
            return
        if self._is_showing(job.mount, job.path):
            if job.data is not None:
                self._status(f"{job.label} failed: {error}. Your edit is kept: press e to reopen it.", "error")
            else:
                self._status(f"{job.label} failed: {error}", "error")

    @on(DetailConflict)
    def _conflict(self, message: DetailConflict) -> None:
        message.stop()
        from .editor import ConflictScreen

        job, theirs = message.job, message.theirs
        assert job.data is not None
        kv2 = job.mount.kind is EngineKind.KV2
        if theirs is not None and kv2:
            theirs_label = f"theirs (v{theirs.version}, {theirs.state.value})"
            new_base: int | None = theirs.version or 0
        elif theirs is not None:
            theirs_label = "theirs (on the server now)"
            new_base = None
        else:
            theirs_label = "theirs (unreadable or gone)"
            new_base = None
        theirs_data = dict(theirs.data) if theirs is not None else {}
        yours_label = f"yours (based on v{job.base})" if kv2 and job.base else "yours"
        new_expected = theirs_data if (not kv2 and theirs is not None) else None
        draft = Draft(dict(job.data), job.base, job.expected, job.created)
        self.drafts[(job.mount.path, job.path)] = draft
        if self._is_showing(job.mount, job.path):
            self._status("Check-and-set conflict: nothing was written; your edit is kept (press e to reopen it).", "warning")
        can_overwrite = (kv2 and theirs is not None) or (not kv2 and theirs is not None)

        def decided(choice: str | None) -> None:
            if choice == "overwrite" and can_overwrite:
                self._write_data(
                    WriteJob("write", f"writing {job.path}", job.mount, job.path, data=job.data, base=new_base,
                             expected=new_expected, created=job.created)
                )
            elif choice == "edit":
                from .editor import SecretEditorScreen

                def saved(result: Any) -> None:
                    if result is None:
                        return
                    self._write_data(
                        WriteJob("write", f"writing {job.path}", job.mount, job.path, data=result.data,
                                 base=new_base if kv2 else None, expected=new_expected, created=job.created)
                    )

                note = "Your edit after a conflict."
                if kv2 and new_base is not None:
                    note += f" Saving is now checked against version {new_base} (theirs)."
                self.app.push_screen(
                    SecretEditorScreen(f"Edit {job.mount.path}{job.path}", job.data, path=job.path, note=note),
                    callback=saved,
                )
            # "keep": the draft stays; e reopens it.

        self.app.push_screen(
            ConflictScreen(
                f"{job.mount.path}{job.path}",
                theirs_data,
                job.data,
                theirs_label=theirs_label,
                yours_label=yours_label,
                can_overwrite=can_overwrite,
            ),
            callback=decided,
        )
        if self._is_showing(job.mount, job.path):
            tab = self.query_one("#detail-tabs", TabbedContent).active
            self.show_secret(job.mount, job.path)
            self.query_one("#detail-tabs", TabbedContent).active = tab
