"""The secrets view's workflows without Textual: what each one acts on, why it cannot, what its
previews and reports say, and how a long job reports progress and stops when asked.

The workflows (``E`` edit in ``$EDITOR``, ``X`` export a subtree, ``I`` import one, ``y`` copy,
``M`` move or rename, ``$`` ``.env`` export) are run by :mod:`.workflows` on top of
:mod:`vault_tui.vault.transfer` and :mod:`.external_editor`. Everything here is plain data and
text; the dialogs pass every server-provided string through :func:`vault_tui.safe.visible`.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from ...vault import envfile, transfer, transfer_import, transfer_moves
from ...vault.errors import BadPath, VaultError
from ...vault.models import EngineKind, Mount
from ...vault.paths import resolve_full_path, validate_secret_path
from ...vault.transfer import ExportPreview, KvLocation
from ...vault.transfer_import import Change, ImportPlan, Outcome
from ...vault.transfer_moves import TransferPlan

READ_ONLY_REASON = "read-only mode: vault-tui makes no changes and writes no secret to disk"

# screen action -> the kinds of tree node it acts on, and what to say otherwise
ACTIONS: Mapping[str, tuple[frozenset[str], str]] = {
    "edit_external": (frozenset({"secret"}), "select a secret first"),
    "export_subtree": (frozenset({"secret", "folder", "mount"}), "select a KV mount, folder or secret first"),
    "import_subtree": (frozenset({"secret", "folder", "mount"}), "select the KV folder to import into first"),
    "copy_secrets": (frozenset({"secret", "folder"}), "select a secret or a folder to copy first"),
    "move_secrets": (frozenset({"secret", "folder"}), "select a secret or a folder to move first"),
    "export_dotenv": (frozenset({"secret"}), "select a secret first"),
}
NAME_LIMIT = 6  # key names listed per row before "+N more"


class Cancelled(VaultError):
    """The user pressed escape: the job stopped at the next path."""

    title = "Cancelled"


@dataclass(frozen=True)
class Target:
    """What a workflow acts on: a KV mount, a folder (``team/``) or a secret (``team/db``)."""

    mount: Mount
    path: str = ""
    kind: str = "mount"  # mount | folder | secret

    @property
    def display(self) -> str:
        return self.mount.path + self.path

    @property
    def folder(self) -> str:
        """The folder to import into, or the one holding the secret."""
        if self.kind == "secret":
            return self.path.rsplit("/", 1)[0] + "/" if "/" in self.path else ""
        return self.path

    @property
    def location(self) -> KvLocation:
        return location_of(self.mount, self.path)


def kv_kind(mount: Mount) -> EngineKind | None:
    """KV1 or KV2 (cubbyhole counts as KV v1), else None."""
    return transfer.mount_kind(mount)


def location_of(mount: Mount, path: str) -> KvLocation:
    kind = kv_kind(mount)
    if kind is None:
        raise BadPath(f"{mount.path} is not a KV mount")
    return transfer.location(mount.path, kind, path.strip("/"))


def refusal(action: str, kind: str | None, mount: Mount | None, read_only: bool) -> str | None:
    """Why ``action`` cannot run on the tree node (``kind``, ``mount``); None when it can."""
    if read_only:
        return READ_ONLY_REASON
    kinds, reason = ACTIONS[action]
    if kind is None or mount is None or kind not in kinds:
        return reason
    if kv_kind(mount) is None:
        return f"{mount.path} is not a KV mount"
    return None


# -- names and places the user types ------------------------------------------------------------
def default_file_name(target: Target, suffix: str = ".json") -> str:
    """``secret/team/app`` → ``secret-team-app.json`` (in the current directory)."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", target.display.strip("/")).strip("-.") or "export"
    return stem + suffix


def file_path(text: str) -> Path:
    """The file the user named (``~`` expanded). Raises ValueError with a sentence."""
    name = text.strip()
    if not name:
        raise ValueError("type a file name")
    return Path(name).expanduser()


def parse_place(text: str, mounts: Sequence[Mount], *, folder: bool, name: str = "") -> tuple[Mount, str]:
    """``secret/team/app`` → (the KV mount, ``team/app/`` for a folder or ``team/app`` for a secret).

    For a secret, a folder (``secret/team/``) means ``name`` inside it. Raises :class:`BadPath`
    with a sentence when the place cannot be used."""
    mount, inner = resolve_full_path(text.strip(), list(mounts))
    if kv_kind(mount) is None:
        raise BadPath(f"{mount.path} is a {mount.type} mount, not a KV mount")
    if folder:
        return mount, validate_secret_path(inner, folder=True)
    if name and (inner == "" or inner.endswith("/")):
        inner += name
    return mount, validate_secret_path(inner)


def tree_path(loc: KvLocation, *, is_secret: bool) -> str:
    """Where the tree selects a transfer's result: the secret, or the folder (``path/``)."""
    if is_secret or not loc.path:
        return loc.path
    return loc.path + "/"


# -- progress and cancel --------------------------------------------------------------------------
class JobProgress:
    """Shared between a worker thread (``tick``) and the progress dialog (reads ``done``/``total``)."""

    def __init__(self, total: int | None = None) -> None:
        self.done = 0
        self.total = total
        self.cancel = threading.Event()

    def tick(self, done: int, total: int) -> None:
        """The engines' ``on_progress``: stops the job (raises :class:`Cancelled`) once cancelled."""
        self.done, self.total = done, total
        if self.cancel.is_set():
            raise Cancelled(f"cancelled after {done} of {total}")

    def check(self) -> None:
        if self.cancel.is_set():
            raise Cancelled(f"cancelled after {self.done}")

    @property
    def fraction(self) -> float | None:
        return min(1.0, self.done / self.total) if self.total else None


class ProgressFile:
    """A text file for :func:`transfer.export_subtree` that counts the secrets written (one ``write``
    per secret after the header) and stops the export when the user cancels."""

    def __init__(self, handle: TextIO, progress: JobProgress) -> None:
        self._handle = handle
        self._progress = progress
        self._writes = 0

    def write(self, text: str) -> int:
        self._progress.check()
        written = self._handle.write(text)
        self._writes += 1
        total = self._progress.total
        self._progress.done = min(max(self._writes - 1, 0), total) if total else max(self._writes - 1, 0)
        return written

    def flush(self) -> None:
        self._handle.flush()


# -- what previews and reports say ----------------------------------------------------------------
def name_list(names: Iterable[str], limit: int = NAME_LIMIT) -> str:
    items = list(names)
    shown = ", ".join(items[:limit])
    return shown + (f" +{len(items) - limit} more" if len(items) > limit else "")


def rel(relpath: str) -> str:
    return relpath or "(the secret)"


def export_rows(preview: ExportPreview) -> list[tuple[str, str, str]]:
    """(path, version, key names or why it is skipped) — never a value."""
    rows = []
    for item in preview.items:
        version = f"v{item.version}" if item.version else ""
        if not item.exportable:
            what = f"skipped: its newest version is {item.state.value}"
        elif preview.keys_read:
            what = name_list(item.keys)
        else:
            what = "(key names not read)"
        rows.append((preview.source.mount + preview.source.child(item.relpath), version, what))
    return rows


def export_summary(preview: ExportPreview, file: Path) -> str:
    count, skipped = len(preview.exportable), len(preview.skipped)
    lines = [
        f"{count} secret(s) from {preview.source.display or preview.source.mount} go to {file} "
        "with their values in plain text (the file is created with mode 0600)."
    ]
    if preview.metadata:
        lines.append("Their metadata (custom_metadata, max_versions, cas_required, delete_version_after) goes too.")
    if skipped:
        lines.append(f"{skipped} secret(s) are skipped: their newest version is deleted or destroyed.")
    if preview.keys_read:
        lines.append(
            "Key names were read for this preview; no value is kept, and nothing is written until you confirm."
        )
    else:
        lines.append("Only listings were read for this preview: no value has left the server yet.")
    return "\n".join(lines)


CHANGE_MARKS = {Change.NEW: "new", Change.CHANGED: "changed", Change.UNCHANGED: "unchanged"}


def import_rows(plan: ImportPlan) -> list[tuple[str, str, str]]:
    """(new / changed / unchanged, target path, which key names) — never a value."""
    rows = []
    for item in plan.items:
        if item.change is Change.NEW:
            what = "keys: " + name_list(item.added)
        elif item.change is Change.CHANGED:
            parts = [f"+{k}" for k in item.added] + [f"-{k}" for k in item.removed] + [f"~{k}" for k in item.changed]
            what = name_list(parts) if parts else (item.note or "rewritten")
        else:
            what = ""
        if item.metadata_change:
            what = (what + "; " if what else "") + "metadata"
        rows.append((CHANGE_MARKS[item.change], plan.target.mount + item.target, what))
    return rows


def import_summary(plan: ImportPlan, file: Path) -> str:
    new, changed, same = (plan.count(c) for c in (Change.NEW, Change.CHANGED, Change.UNCHANGED))
    where = plan.target.display or plan.target.mount
    lines = [f"Dry run of {file} into {where}: {new} new, {changed} changed, {same} unchanged. Nothing is written yet."]
    if plan.writes:
        how = "check-and-set" if plan.target.kind is EngineKind.KV2 else "compare-before-write (KV v1)"
        lines.append(
            f"Importing writes {len(plan.writes)} path(s) with {how}: a path that changes meanwhile is "
            "reported as a conflict and not overwritten."
        )
    else:
        lines.append("Everything is already as in the file: there is nothing to write.")
    lines.extend(plan.notes)
    return "\n".join(lines)


def apply_report(result: transfer_import.ApplyResult, target: KvLocation) -> str:
    lines = [f"Imported into {target.display or target.mount}: {len(result.written)} written, "]
    lines[0] += f"{len(result.of(Outcome.UNCHANGED))} unchanged, {len(result.conflicts)} conflict(s), "
    lines[0] += f"{len(result.errors)} error(s)."
    for outcome in result.conflicts + result.errors:
        lines.append(f"{outcome.outcome.value}: {target.mount}{outcome.target}: {outcome.message}")
    return "\n".join(lines)


def transfer_rows(plan: TransferPlan) -> list[tuple[str, str, str]]:
    """(the path under the source, where it goes, what is copied and what is in the way)."""
    rows = []
    for item in plan.items:
        if not item.copyable:
            what = f"skipped: newest version {item.source_state.value}"
        elif item.versions:
            what = f"{len(item.versions)} version(s)"
        else:
            what = "newest version" if plan.source.kind is EngineKind.KV2 else "the data"
        if item.target_exists:
            version = f" v{item.target_version}" if item.target_version else ""
            what = f"EXISTS{version} · {what}"
        rows.append((rel(item.relpath), plan.target.mount + item.target, what))
    return rows


def transfer_summary(plan: TransferPlan) -> str:
    verb = "Move" if plan.move else "Copy"
    count = len(plan.items)
    lines = [f"{verb} {count} secret(s) from {plan.source.display} to {plan.target.display}."]
    lines.extend(note[0].upper() + note[1:] + "." for note in plan.notes if note)
    return "\n".join(lines)


def transfer_report(result: transfer_moves.TransferResult, plan: TransferPlan) -> str:
    verb = "Moved" if plan.move else "Copied"
    lines = [f"{verb} {len(result.written)} of {len(plan.items)} secret(s) to {plan.target.display}."]
    if plan.move:
        lines.append(f"Deleted {len(result.deleted)} source(s).")
    for outcome in result.outcomes:
        if outcome.outcome in (Outcome.CONFLICT, Outcome.ERROR, Outcome.SKIPPED):
            lines.append(f"{outcome.outcome.value}: {plan.target.mount}{outcome.target}: {outcome.message}")
    for source, why in result.kept:
        lines.append(f"kept: {plan.source.mount}{source}: {why}")
    lines.extend(result.notes)
    return "\n".join(lines)


def dotenv_report(result: envfile.DotenvResult, file: Path) -> str:
    lines = [f"Wrote {len(result.written)} key(s) to {file} (mode 0600): {name_list(result.written, 12)}."]
    for key, why in result.rejected:
        lines.append(f"not written: {key}: {why}")
    for key, why in result.warnings:
        lines.append(f"note: {key}: {why}")
    return "\n".join(lines)


def is_secret_transfer(plan: TransferPlan) -> bool:
    """The source is one secret (its relpath is "") rather than a folder of secrets."""
    return any(item.relpath == "" for item in plan.items)


def data_changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    return dict(before) != dict(after)
