"""The dialogs of the secrets view's workflows: export, import, copy / move / rename, ``.env``,
the preview that asks before anything is written, and the progress of a long job.

The forms only collect and check what the user typed (a file name that can be written, a KV place
that exists); :mod:`.workflows` runs the jobs. Paths and key names come from the server and are
shown as plain text through :func:`vault_tui.safe.visible`; no value is ever shown here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Input, Label, ProgressBar, Static

from ...exporting import ExportFileError, check_target
from ...safe import safe_text, visible
from ...screens.modals import Dialog
from ...vault.errors import BadPath
from ...vault.models import EngineKind, Mount
from .editor import StateCheckbox
from .workflow_model import JobProgress, Target, file_path, kv_kind, parse_place

CSS_FILE = Path(__file__).parent / "workflows.tcss"


@dataclass(frozen=True)
class ExportRequest:
    file: Path
    metadata: bool
    keys: bool  # read key names for the preview (values are dropped at once)
    overwrite: bool


@dataclass(frozen=True)
class ImportRequest:
    file: Path
    mount: Mount
    folder: str  # inside the mount, "" or ending in "/"
    metadata: bool


@dataclass(frozen=True)
class TransferRequest:
    mount: Mount
    path: str  # inside the mount: a secret path, or a folder ending in "/"
    all_versions: bool
    metadata: bool


@dataclass(frozen=True)
class DotenvRequest:
    file: Path
    overwrite: bool


@dataclass(frozen=True)
class PlanAnswer:
    option: bool = False  # the preview's checkbox (e.g. overwrite the targets that exist)


def _text(value: str) -> Text:
    return Text(visible(value, multiline=True))


class _Form(Dialog[Any]):
    """A small form: escape in a field leaves it, a second escape cancels; enter submits."""

    CSS_PATH = CSS_FILE
    BINDINGS = [Binding("escape", "escape", "Leave field / cancel", id="workflow.cancel")]
    AUTO_FOCUS = "Input"

    def action_escape(self) -> None:
        if isinstance(self.focused, Input):
            self.query_one("#ok", Button).focus()
        else:
            self.dismiss(None)

    def error(self, message: str) -> None:
        self.query_one(".dialog-error", Static).update(_text(message))

    @property
    def error_text(self) -> str:
        return str(self.query_one(".dialog-error", Static).render())

    def buttons(self, ok: str) -> ComposeResult:
        yield Static("", classes="dialog-error")
        with Horizontal(classes="dialog-buttons"):
            yield Button("Cancel (esc)", id="cancel")
            yield Button(ok, id="ok", variant="primary")

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        self.submit()

    def submit(self) -> None:  # pragma: no cover - every form overrides it
        raise NotImplementedError

    def value(self, selector: str) -> str:
        return self.query_one(selector, Input).value

    def ticked(self, selector: str) -> bool:
        boxes = self.query(selector)
        return bool(boxes) and boxes.first(StateCheckbox).value


def _writable(text: str, overwrite: bool) -> Path:
    """The file, or ValueError / ExportFileError with a sentence (checked before any value is read)."""
    path = file_path(text)
    check_target(path, overwrite=overwrite)
    return path


class ExportDialog(_Form):
    """``X``: the file to write, metadata or not, and how much the preview may read."""

    def __init__(self, target: Target, file: str) -> None:
        super().__init__()
        self.target = target
        self._file = file

    def compose(self) -> ComposeResult:
        kv2 = kv_kind(self.target.mount) is EngineKind.KV2
        with Vertical(classes="dialog -calm workflow-form"):
            yield Static(safe_text(f"Export {self.target.display} to JSON"), classes="dialog-title")
            yield Label("File (created with mode 0600; values are written in plain text)")
            yield Input(self._file, id="export-file", placeholder="secrets.json", select_on_focus=False)
            if kv2:
                yield StateCheckbox("with metadata (custom_metadata, max_versions…)", False, id="export-metadata")
            yield StateCheckbox(
                "paths only in the preview (read no secret before you confirm)", False, id="export-paths"
            )
            yield StateCheckbox("replace the file if it exists", False, id="export-overwrite")
            yield Static(
                "The newest version of every secret here is exported. A preview comes first.",
                classes="dialog-note",
                markup=False,
            )
            yield from self.buttons("Preview")

    def submit(self) -> None:
        overwrite = self.ticked("#export-overwrite")
        try:
            path = _writable(self.value("#export-file"), overwrite)
        except (ValueError, ExportFileError) as problem:
            self.error(str(problem))
            return
        self.dismiss(ExportRequest(path, self.ticked("#export-metadata"), not self.ticked("#export-paths"), overwrite))


class ImportDialog(_Form):
    """``I``: an export file and the folder to import it into (a dry run comes first)."""

    def __init__(self, mounts: Sequence[Mount], place: str, file: str = "", error: str = "") -> None:
        super().__init__()
        self.mounts = tuple(mounts)
        self._place = place
        self._file = file
        self._first_error = error

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -calm workflow-form"):
            yield Static("Import a vault-tui JSON export", classes="dialog-title", markup=False)
            yield Label("File")
            yield Input(self._file, id="import-file", placeholder="secrets.json", select_on_focus=False)
            yield Label("Into the folder (mount and path)")
            yield Input(self._place, id="import-target", placeholder="secret/team/app/", select_on_focus=False)
            yield StateCheckbox("write the export's metadata too (KV v2)", True, id="import-metadata")
            yield Static(
                "A dry run shows what is new, changed and unchanged before anything is written.",
                classes="dialog-note",
                markup=False,
            )
            yield from self.buttons("Dry run")

    def on_mount(self) -> None:
        if self._first_error:
            self.error(self._first_error)

    def submit(self) -> None:
        try:
            path = file_path(self.value("#import-file"))
        except ValueError as problem:
            self.error(str(problem))
            return
        if not path.is_file():
            self.error(f"{path} is not a file that can be read")
            return
        try:
            mount, folder = parse_place(self.value("#import-target"), self.mounts, folder=True)
        except BadPath as problem:
            self.error(f"Into: {problem}")
            return
        self.dismiss(ImportRequest(path, mount, folder, self.ticked("#import-metadata")))


class TransferDialog(_Form):
    """``y`` copy / ``M`` move or rename: where to, every version or the newest, metadata or not."""

    def __init__(self, source: Target, mounts: Sequence[Mount], *, move: bool) -> None:
        super().__init__()
        self.source = source
        self.mounts = tuple(mounts)
        self.move = move

    def compose(self) -> ComposeResult:
        kv2 = kv_kind(self.source.mount) is EngineKind.KV2
        what = "secret" if self.source.kind == "secret" else "folder"
        verb = "Move or rename" if self.move else "Copy"
        with Vertical(classes="dialog -calm workflow-form"):
            yield Static(safe_text(f"{verb} the {what} {self.source.display}"), classes="dialog-title")
            yield Label("To (mount and path; another KV mount is fine)")
            yield Input(self.source.display, id="transfer-target", select_on_focus=False)
            if kv2:
                yield StateCheckbox("every version, oldest first (default: the newest only)", False, id="transfer-all")
                yield StateCheckbox("metadata too (custom_metadata, max_versions…)", True, id="transfer-metadata")
            note = "A preview shows what is written where, and what already exists there."
            if self.move:
                note += " History does not follow a move unless every version is copied; the source is deleted "
                note += "only after every write succeeded."
            yield Static(note, classes="dialog-note", markup=False)
            yield from self.buttons("Preview")

    def submit(self) -> None:
        folder = self.source.kind != "secret"
        name = self.source.path.rstrip("/").rsplit("/", 1)[-1]
        try:
            mount, path = parse_place(self.value("#transfer-target"), self.mounts, folder=folder, name=name)
        except BadPath as problem:
            self.error(f"To: {problem}")
            return
        if mount.path == self.source.mount.path and path.rstrip("/") == self.source.path.rstrip("/"):
            self.error("That is where it is now: type another path (change the last part to rename).")
            return
        self.dismiss(TransferRequest(mount, path, self.ticked("#transfer-all"), self.ticked("#transfer-metadata")))


class DotenvDialog(_Form):
    """``$``: one secret's keys as a ``.env`` file, after a plain warning."""

    def __init__(self, target: Target, version: int | None, file: str = ".env") -> None:
        super().__init__()
        self.target = target
        self.version = version
        self._file = file

    def compose(self) -> ComposeResult:
        which = f" (version {self.version})" if self.version else ""
        with Vertical(classes="dialog workflow-form"):
            yield Static(safe_text(f"Export {self.target.display}{which} as .env"), classes="dialog-title")
            yield Static(
                "This writes the secret's values to disk in plain text, readable by anything running as you. "
                "The file is created with mode 0600; keep it out of version control and delete it when done. "
                "Keys that are not valid environment variable names are left out and listed.",
                classes="dialog-body workflow-warning",
                markup=False,
            )
            yield Label("File")
            yield Input(self._file, id="dotenv-file", placeholder=".env", select_on_focus=False)
            yield StateCheckbox("replace the file if it exists", False, id="dotenv-overwrite")
            yield from self.buttons("Write .env")

    def submit(self) -> None:
        overwrite = self.ticked("#dotenv-overwrite")
        try:
            path = _writable(self.value("#dotenv-file"), overwrite)
        except (ValueError, ExportFileError) as problem:
            self.error(str(problem))
            return
        self.dismiss(DotenvRequest(path, overwrite))


class PlanScreen(Dialog[PlanAnswer | None]):
    """A preview (or dry run): what would be written where, key names only, then confirm or cancel.

    ``option`` is a checkbox (e.g. "overwrite the targets that exist"); with ``option_needed`` the
    confirm button says ``option_needed`` unless it is ticked. Without ``confirm`` only Close."""

    CSS_PATH = CSS_FILE
    AUTO_FOCUS = "#plan-table"
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="plan.cancel")]

    def __init__(
        self,
        title: str,
        summary: str,
        columns: Sequence[str],
        rows: Sequence[Sequence[str]],
        *,
        confirm: str | None,
        danger: bool = False,
        option: str = "",
        option_needed: str = "",
    ) -> None:
        super().__init__()
        self._title = title
        self._summary = summary
        self._columns = tuple(columns)
        self._rows = [tuple(row) for row in rows]
        self._confirm = confirm
        self._danger = danger
        self._option = option
        self._option_needed = option_needed

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -wide -tall workflow-plan" + ("" if self._danger else " -calm")):
            yield Static(safe_text(self._title), classes="dialog-title")
            yield Static(_text(self._summary), classes="dialog-body workflow-summary")
            yield DataTable(id="plan-table", cursor_type="row", zebra_stripes=True)
            if self._option:
                yield StateCheckbox(self._option, False, id="plan-option")
            yield Static("", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel (esc)" if self._confirm else "Close (esc)", id="cancel")
                if self._confirm:
                    yield Button(self._confirm, id="confirm", variant="error" if self._danger else "primary")

    def on_mount(self) -> None:
        table = self.query_one("#plan-table", DataTable)
        for column in self._columns:
            table.add_column(column)
        for row in self._rows:
            table.add_row(*(safe_text(cell, limit=300) for cell in row))

    @property
    def option(self) -> bool:
        boxes = self.query("#plan-option")
        return bool(boxes) and boxes.first(StateCheckbox).value

    @on(Button.Pressed, "#confirm")
    def action_confirm(self) -> None:
        if self._option_needed and not self.option:
            self.query_one(".dialog-error", Static).update(_text(self._option_needed))
            return
        self.dismiss(PlanAnswer(self.option))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class ProgressScreen(Dialog[None]):
    """A long job: how far it got, and escape to stop it.

    Reads stop at once (their result is dropped); writes stop after the path in hand (what was
    written stays written, and the report says how far it got). The workflow closes it."""

    CSS_PATH = CSS_FILE
    BINDINGS = [Binding("escape", "stop", "Stop", id="progress.stop")]

    def __init__(self, title: str, progress: JobProgress, *, writes: bool, unit: str = "path") -> None:
        super().__init__()
        self._title = title
        self.progress = progress
        self.writes = writes
        self.unit = unit
        self.finished = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -calm workflow-progress"):
            yield Static(safe_text(self._title), classes="dialog-title")
            yield ProgressBar(id="progress-bar", show_eta=False)
            yield Static("", id="progress-count", markup=False)
            stop = "esc stops after the current path (what is written stays written)" if self.writes else "esc cancels"
            yield Static(stop, id="progress-note", classes="dialog-note", markup=False)

    def on_mount(self) -> None:
        self._update()
        self.set_interval(0.1, self._update)

    def finish(self) -> None:
        """The job is over: close (now, or as soon as nothing covers this dialog)."""
        self.finished = True
        if self.is_attached and self.app.screen is self:
            self.dismiss(None)

    def _update(self) -> None:
        if self.finished:
            if self.app.screen is self:
                self.dismiss(None)
            return
        progress, bar = self.progress, self.query_one("#progress-bar", ProgressBar)
        bar.update(total=progress.total, progress=progress.done)
        count = f"{progress.done} of {progress.total} {self.unit}(s)" if progress.total else "working…"
        self.query_one("#progress-count", Static).update(count)

    def action_stop(self) -> None:
        self.progress.cancel.set()
        if not self.writes:
            self.dismiss(None)
            return
        self.query_one("#progress-note", Static).update("Stopping after the current path…")
