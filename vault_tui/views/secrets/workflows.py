"""The workflows operators script by hand today, in the secrets view.

=====  ==========================================================================================
 Key   What it does (on the node under the tree cursor)
=====  ==========================================================================================
``E``  edit the secret in ``$VISUAL`` / ``$EDITOR`` as JSON or YAML (``[settings] editor_format``)
``X``  export a mount, folder or secret to a JSON file (preview, then confirm; mode 0600)
``I``  import a JSON export into a folder (a dry run per path, then confirm; written with CAS)
``F5`` copy a secret or a folder, within or across KV mounts (``y`` copies the path: search)
``M``  move or rename a secret or a folder (``F6`` too)
``$``  write one secret's keys to a ``.env`` file (after a warning; mode 0600)
=====  ==========================================================================================

Each is refused in read-only mode (the key says why). Vault calls go through the app's worker,
so the operator's trail records ``export_subtree``, ``apply_import``, ``run_transfer`` and
``export_dotenv`` (see :mod:`vault_tui.recording`); long ones show progress and stop on ``esc``.
``E`` hands the terminal to the editor (``App.suspend``) and saves through the screen's
:class:`~.writes.WriteDesk`: the same check-and-set, conflict screen and kept drafts as ``e``.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar, cast

from textual.app import App, SuspendNotSupported
from textual.notifications import SeverityLevel

from ...context import vault_app
from ...exporting import ExportFileError, private_file
from ...safe import visible
from ...screens.modals import MessageScreen
from ...vault import envfile, transfer, transfer_import, transfer_moves
from ...vault.errors import VaultError
from ...vault.models import Mount
from . import external_editor, planner
from . import workflow_model as model
from .transfer_dialogs import (
    DotenvDialog,
    ExportDialog,
    ImportDialog,
    PlanScreen,
    ProgressScreen,
    TransferDialog,
)
from .tree import NodeRef, PathTree
from .workflow_model import Cancelled, JobProgress, Target

if TYPE_CHECKING:
    from .screen import SecretsScreen

T = TypeVar("T")
ACTIONS = tuple(model.ACTIONS)


def run_in_terminal(app: App[Any], argv: list[str]) -> int:
    """Hand the terminal to ``argv`` (the user's editor) until it exits; its exit status.

    Runs on the event loop's thread, as ``App.suspend`` requires. Raises
    :class:`~textual.app.SuspendNotSupported` where the terminal cannot be handed over."""
    with app.suspend():
        return subprocess.run(argv, check=False).returncode


class Workflows:
    """The workflows of one secrets screen (see the module docstring)."""

    def __init__(self, screen: SecretsScreen) -> None:
        self.screen = screen
        self.running: str = ""  # the workflow in progress ("" = none)

    # -- helpers ------------------------------------------------------------------------------
    @property
    def app(self) -> Any:
        return self.screen.app

    @property
    def tree(self) -> PathTree:
        return self.screen.path_tree

    def _ref(self) -> NodeRef | None:
        node = self.tree.cursor_node
        return node.data if node is not None else None

    def target(self) -> Target | None:
        ref = self._ref()
        if ref is None or ref.mount is None or ref.kind not in ("mount", "folder", "secret"):
            return None
        return Target(ref.mount, ref.path, ref.kind)

    def _say(self, text: str, severity: SeverityLevel = "information", timeout: float = 6) -> None:
        self.screen.notify(visible(text, multiline=True), severity=severity, markup=False, timeout=timeout)

    def _report(self, title: str, body: str) -> None:
        self.app.push_screen(MessageScreen(title, body))

    # -- what may run -------------------------------------------------------------------------
    def refusal_reason(self, action: str) -> str | None:
        """Why ``action`` cannot run now (None: it can)."""
        ref = self._ref()
        kind, mount = (ref.kind, ref.mount) if ref is not None else (None, None)
        reason = model.refusal(action, kind, mount, vault_app(self.screen).session.read_only)
        if reason:
            return reason
        if self.running:
            return f"wait until the {self.running} has finished"
        if action == "edit_external":
            detail = self.screen.detail
            if ref is None or ref.mount is None or not detail.is_showing(ref.mount.path, ref.path):
                return "the secret is still loading"
            return detail.refusal_reason("edit")
        return None

    def check_action(self, action: str) -> bool | None:
        """Textual's answer: True, None (greyed out: say why when pressed) or False (read-only)."""
        if vault_app(self.screen).session.read_only:
            return False
        return True if self.refusal_reason(action) is None else None

    def palette_commands(self) -> list[tuple[str, Callable[[], Any], str]]:
        return [
            ("Secrets: edit in $EDITOR (E)", self.edit_external, "Open the secret in your editor as JSON or YAML"),
            ("Secrets: export to JSON (X)", self.export, "Export the mount, folder or secret under the cursor"),
            ("Secrets: import JSON (I)", self.import_into, "Import a vault-tui export here, after a dry run"),
            ("Secrets: copy to… (y)", self.copy, "Copy the secret or folder, within or across KV mounts"),
            ("Secrets: move or rename (M)", self.move, "Move or rename the secret or folder"),
            ("Secrets: export .env ($)", self.dotenv, "Write the secret's keys to a .env file"),
        ]

    def _start(self, action: str, name: str, flow: Callable[[Target], Coroutine[Any, Any, None]]) -> None:
        reason = self.refusal_reason(action)
        target = self.target()
        if reason or target is None:
            self._say(f"{name}: {reason or 'select something in the tree first'}.", "warning")
            return
        self.running = name
        self.screen.refresh_bindings()

        async def run() -> None:
            try:
                await flow(target)
            except VaultError as error:
                vault_app(self.screen).report_error(error, name)
            finally:
                self.running = ""
                if self.screen.is_attached:
                    self.screen.refresh_bindings()

        self.screen.run_worker(run(), group="workflows", exit_on_error=False, name=name)

    async def _long(
        self,
        title: str,
        progress: JobProgress,
        call: Callable[[], Awaitable[T]],
        *,
        writes: bool,
        unit: str = "path",
    ) -> T | None:
        """Run ``call`` with a progress dialog. A read cancelled with esc returns None at once (its
        result is dropped); a write stops at its next path and raises :class:`Cancelled`."""
        dialog = ProgressScreen(title, progress, writes=writes, unit=unit)
        self.app.push_screen(dialog)
        task: asyncio.Future[T] = asyncio.ensure_future(call())
        try:
            while not task.done():
                if progress.cancel.is_set() and not writes:
                    task.add_done_callback(lambda done: done.cancelled() or done.exception())
                    return None
                await asyncio.wait({task}, timeout=0.1)
            return task.result()
        finally:
            dialog.finish()

    # -- E: edit in $EDITOR -------------------------------------------------------------------
    def edit_external(self) -> None:
        reason = self.refusal_reason("edit_external")
        shown = self.screen.detail.shown()
        if reason or shown is None:
            self._say(f"Edit in $EDITOR: {reason or 'select a secret first'}.", "warning")
            return
        writes = self.screen.writes
        plan = planner.plan_edit(shown, writes.drafts.get(*shown.key, writes.namespace))
        if isinstance(plan, planner.Refusal):
            self._say(plan.message, "warning")
            return
        fmt = vault_app(self.screen).config.editor_format
        fmt = fmt if fmt in external_editor.FORMATS else "json"
        command = external_editor.editor_command()
        where = visible(shown.full_path) + (" (your unsaved draft)" if plan.from_draft else "")
        app = self.app

        def run_editor(path: Path) -> int:
            return run_in_terminal(app, [*command, str(path)])

        try:
            outcome = external_editor.edit(plan.data, fmt, run_editor, where=where)
        except SuspendNotSupported:
            self._say(
                "Edit in $EDITOR: this terminal cannot be handed to another program (App.suspend is not "
                "supported here). Press e to edit in vault-tui instead.",
                "warning",
                10,
            )
            return
        except OSError as error:
            self._say(
                f"Edit in $EDITOR: could not run {command[0]!r} ({error.strerror or error}). "
                "Set $VISUAL or $EDITOR, or press e to edit in vault-tui.",
                "error",
                10,
            )
            return
        if outcome.data is None:
            self._say(f"{shown.path}: nothing written ({outcome.reason}).")
            return
        if not plan.from_draft and not model.data_changed(plan.data, outcome.data):
            self._say(f"{shown.path}: no change, nothing written.")
            return
        writes.submit(plan.job(outcome.data))

    # -- X: export ------------------------------------------------------------------------------
    def export(self) -> None:
        self._start("export_subtree", "export", self._export)

    async def _export(self, target: Target) -> None:
        worker = vault_app(self.screen).worker
        request = await self.app.push_screen_wait(ExportDialog(target, model.default_file_name(target)))
        if request is None:
            return
        loc = target.location
        preview = await self._long(
            f"Reading what {target.display} holds…",
            JobProgress(),
            lambda: worker.call_background(transfer.preview_export, loc, metadata=request.metadata, keys=request.keys),
            writes=False,
        )
        if preview is None:
            return
        if not preview.exportable:
            self._report("Nothing to export", f"There is no live secret at or under {target.display}.")
            return
        answer = await self.app.push_screen_wait(
            PlanScreen(
                f"Export {target.display}?",
                model.export_summary(preview, request.file),
                ("Path", "Version", "Keys (names only)"),
                model.export_rows(preview),
                confirm=f"Export {len(preview.exportable)}",
                danger=True,
            )
        )
        if answer is None:
            return
        progress = JobProgress(len(preview.exportable))

        async def run() -> transfer.ExportResult:
            with private_file(request.file, overwrite=request.overwrite) as handle:
                out = cast(TextIO, model.ProgressFile(handle, progress))
                return await worker.call_background(
                    transfer.export_subtree, loc, out, metadata=request.metadata, relpaths=preview.relpaths
                )

        try:
            result = await self._long("Exporting…", progress, run, writes=True, unit="secret")
        except Cancelled:
            self._say(f"Export stopped: {request.file} was not written.", "warning")
            return
        except (ExportFileError, OSError) as error:
            self._say(f"Export: {request.file} was not written: {error}", "error", 10)
            return
        if result is None:
            return
        message = f"Exported {result.count} secret(s) from {target.display} to {request.file} (mode 0600)."
        if result.skipped:
            skipped = "\n".join(f"skipped: {path or '(the secret itself)'}: {why}" for path, why in result.skipped)
            self._report("Exported", message + "\n" + skipped)
        else:
            self._say(message)

    # -- I: import -------------------------------------------------------------------------------
    def import_into(self) -> None:
        self._start("import_subtree", "import", self._import)

    async def _import(self, target: Target) -> None:
        worker = vault_app(self.screen).worker
        place, file, error = target.mount.path + target.folder, "", ""
        while True:
            request = await self.app.push_screen_wait(ImportDialog(self.tree.mounts, place, file, error))
            if request is None:
                return
            place, file = request.mount.path + request.folder, str(request.file)
            try:
                text = await worker.run_blocking(request.file.read_text, encoding="utf-8")
                document = transfer.load_export(text)
            except (OSError, UnicodeDecodeError) as problem:
                error = f"Cannot read {file}: {getattr(problem, 'strerror', None) or problem}"
                continue
            except transfer.ExportFormatError as problem:
                error = f"{file}: {problem}"
                continue
            break
        loc = model.location_of(request.mount, request.folder)
        plan = await self._long(
            f"Dry run: comparing {len(document.secrets)} secret(s) with {loc.display or loc.mount}…",
            JobProgress(),
            lambda: worker.call_background(transfer_import.plan_import, document, loc, metadata=request.metadata),
            writes=False,
        )
        if plan is None:
            return
        writes = len(plan.writes)
        answer = await self.app.push_screen_wait(
            PlanScreen(
                f"Import {request.file.name} into {loc.display or loc.mount}",
                model.import_summary(plan, request.file),
                ("Change", "Path", "Keys (names only)"),
                model.import_rows(plan),
                confirm=f"Import {writes}" if writes else None,
            )
        )
        if answer is None:
            return
        progress = JobProgress(len(plan.items))
        try:
            result = await self._long(
                f"Importing into {loc.display or loc.mount}…",
                progress,
                lambda: worker.call_background(transfer_import.apply_import, plan, on_progress=progress.tick),
                writes=True,
            )
        except Cancelled:
            self._report(
                "Import stopped",
                f"Stopped after {progress.done} of {len(plan.items)} path(s): those were written (with check-and-"
                "set), the rest were not. Import the file again to see what is left.",
            )
            self._show_result(request.mount, request.folder)
            return
        if result is None:
            return
        self._index_changes(request.mount, result.written)
        report = model.apply_report(result, loc)
        if result.ok:
            self._say(report)
        else:
            self._report("Imported, with problems", report)
        self._show_result(request.mount, request.folder)

    # -- F5 / M: copy, move, rename ---------------------------------------------------------------
    def copy(self) -> None:
        self._start("copy_secrets", "copy", lambda target: self._transfer(target, move=False))

    def move(self) -> None:
        self._start("move_secrets", "move", lambda target: self._transfer(target, move=True))

    async def _transfer(self, source: Target, *, move: bool) -> None:
        worker = vault_app(self.screen).worker
        request = await self.app.push_screen_wait(TransferDialog(source, self.tree.mounts, move=move))
        if request is None:
            return
        src, dst = source.location, model.location_of(request.mount, request.path)
        plan = await self._long(
            f"Preview: what {src.display} holds…",
            JobProgress(),
            lambda: worker.call_background(
                transfer_moves.plan_transfer,
                src,
                dst,
                move=move,
                all_versions=request.all_versions,
                metadata=request.metadata,
            ),
            writes=False,
        )
        if plan is None:
            return
        verb = "Move" if move else "Copy"
        conflicts = len(plan.conflicts)
        answer = await self.app.push_screen_wait(
            PlanScreen(
                f"{verb} {src.display} to {dst.display}?",
                model.transfer_summary(plan),
                ("Path", "To", "What"),
                model.transfer_rows(plan),
                confirm=f"{verb} {len(plan.items)}",
                danger=move or bool(conflicts),
                option=f"overwrite the {conflicts} existing target(s), with check-and-set" if conflicts else "",
                option_needed=f"{conflicts} target(s) exist: tick overwrite, or cancel and choose another place."
                if conflicts
                else "",
            )
        )
        if answer is None:
            return
        progress = JobProgress(len(plan.items))
        try:
            result = await self._long(
                f"{verb} {src.display} → {dst.display}…",
                progress,
                lambda: worker.call_background(
                    transfer_moves.run_transfer, plan, overwrite=answer.option, on_progress=progress.tick
                ),
                writes=True,
            )
        except Cancelled:
            kept = " Nothing was deleted at the source." if move else ""
            self._report(
                f"{verb} stopped",
                f"Stopped after {progress.done} of {len(plan.items)} secret(s): the copies made stay.{kept}",
            )
            self._show_result(request.mount, model.tree_path(dst, is_secret=False))
            return
        if result is None:
            return
        self._index_changes(request.mount, result.written, source.mount, result.deleted)
        report = model.transfer_report(result, plan)
        if result.ok:
            self._say(report)
        else:
            self._report(f"{verb}: not everything went", report)
        if move and result.deleted:
            self._forget_moved(source, result.deleted)
        self._show_result(request.mount, model.tree_path(dst, is_secret=model.is_secret_transfer(plan)))

    def _forget_moved(self, source: Target, deleted: tuple[str, ...]) -> None:
        """The moved sources are gone: unpin them and list their folders again."""
        index = self.tree.index
        gone = set(deleted)
        index.pinned = {key for key in index.pinned if not (key[0] == source.mount.path and key[1] in gone)}
        self._refresh(source.mount, source.folder if source.kind == "secret" else planner.parent_folder(source.path))

    # -- $: .env ---------------------------------------------------------------------------------
    def dotenv(self) -> None:
        self._start("export_dotenv", ".env export", self._dotenv)

    async def _dotenv(self, target: Target) -> None:
        shown = self.screen.detail.shown()
        version = shown.viewing if shown is not None and shown.key == (target.mount.path, target.path) else None
        request = await self.app.push_screen_wait(DotenvDialog(target, version))
        if request is None:
            return
        worker = vault_app(self.screen).worker
        try:
            result = await worker.call(
                envfile.export_dotenv, target.location, request.file, version=version, overwrite=request.overwrite
            )
        except VaultError as error:
            vault_app(self.screen).report_error(error, f"writing {request.file}")
            return
        report = model.dotenv_report(result, request.file)
        if result.rejected or result.warnings:
            self._report(".env written, with notes", report)
        else:
            self._say(report)

    # -- after a change: the tree shows the result ------------------------------------------------
    def _index_changes(
        self,
        mount: Mount,
        written: tuple[transfer_import.PathOutcome, ...],
        source: Mount | None = None,
        deleted: tuple[str, ...] = (),
    ) -> None:
        """Keep the search index current: written targets join it, moved-away sources leave it."""
        indexer = self.screen.finding.indexer
        for outcome in written:
            indexer.added(mount, outcome.target)
        if source is not None:
            for path in deleted:
                indexer.removed(source, path)

    def _refresh(self, mount: Mount, folder: str) -> None:
        """List again every loaded folder above ``folder`` and below it."""
        tree = self.tree
        mounted = tree.mount_named(mount.path) or mount
        for mount_path, loaded in list(tree.index.children):
            if mount_path != mounted.path:
                continue
            if folder.startswith(loaded) or loaded.startswith(folder):
                tree.refresh_folder(mounted, loaded)

    def _show_result(self, mount: Mount, path: str) -> None:
        """Refresh the folders around ``path`` and select it."""
        if not self.screen.is_attached:
            return
        folder = path if path == "" or path.endswith("/") else planner.parent_folder(path)
        self._refresh(mount, folder)
        mounted = self.tree.mount_named(mount.path)
        if mounted is not None:
            self.tree.reveal(mounted, path)
