"""KV transfer, import: the dry run (:func:`plan_import`) and the writes (:func:`apply_import`).

:func:`plan_import` compares each secret of an export (:class:`~vault_tui.vault.transfer.ExportDocument`)
with what is at the target now: per path new / changed / unchanged and which key *names* differ (values
are kept in fields with ``repr=False``). :func:`apply_import` writes with CAS (KV v2: ``cas`` = the
version seen by the plan, 0 for new; KV v1: compare-before-write). A conflict is reported per path and
**never overwritten**. Writes honour ``gateway.read_only``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .errors import CasMismatch, InvalidRequest, NotFound, VaultError
from .gateway import Gateway, ensure_writable
from .kv import (
    read_kv1,
    read_metadata,
    read_version,
    write_kv1,
    write_metadata,
    write_v2,
)
from .models import EngineKind, VersionState
from .transfer import ExportDocument, ExportedSecret, KvLocation, SecretSettings


# -- import ----------------------------------------------------------------------------------------
class Change(StrEnum):
    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"


def key_diff(
    old: Mapping[str, Any], new: Mapping[str, Any]
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(added, removed, changed) key names between two secrets' data. Names only."""
    added = tuple(sorted(k for k in new if k not in old))
    removed = tuple(sorted(k for k in old if k not in new))
    changed = tuple(sorted(k for k in new if k in old and old[k] != new[k]))
    return added, removed, changed


@dataclass(frozen=True)
class PlanItem:
    """One path of an import plan. ``repr`` shows key names and states, never a value."""

    relpath: str
    target: str  # the path inside the target mount
    change: Change
    cas: int | None  # KV v2: the version the write checks against (0 = must not exist); None on KV v1
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    metadata_change: bool = False
    note: str = ""
    data: Mapping[str, Any] = field(default_factory=dict, repr=False)
    metadata: SecretSettings | None = field(default=None, repr=False)
    expected: Mapping[str, Any] | None = field(default=None, repr=False)  # KV v1 compare-before-write

    @property
    def writes(self) -> bool:
        return self.change is not Change.UNCHANGED or self.metadata_change


@dataclass(frozen=True)
class ImportPlan:
    target: KvLocation
    items: tuple[PlanItem, ...]
    notes: tuple[str, ...] = ()

    def count(self, change: Change) -> int:
        return sum(1 for i in self.items if i.change is change)

    @property
    def writes(self) -> tuple[PlanItem, ...]:
        return tuple(i for i in self.items if i.writes)


def plan_import(gateway: Gateway, document: ExportDocument, target: KvLocation, *, metadata: bool = True) -> ImportPlan:
    """The dry run: compare each exported secret with what is at the target now. Writes nothing."""
    notes: list[str] = []
    use_metadata = metadata and document.has_metadata
    if use_metadata and target.kind is EngineKind.KV1:
        notes.append("the export's metadata is not imported: KV v1 has no metadata")
        use_metadata = False
    if "" in document.secrets and not target.path:
        raise InvalidRequest("the export holds a secret at its root: import it to a path, not to a whole mount")
    items: list[PlanItem] = []
    for relpath in document.relpaths:
        secret = document.secrets[relpath]
        path = target.child(relpath)
        wanted_meta = secret.metadata if use_metadata else None
        if target.kind is EngineKind.KV2:
            items.append(_plan_v2(gateway, target, relpath, path, secret, wanted_meta))
        else:
            items.append(_plan_v1(gateway, target, relpath, path, secret))
    return ImportPlan(target, tuple(items), tuple(notes))


def _plan_v2(
    gateway: Gateway,
    target: KvLocation,
    relpath: str,
    path: str,
    secret: ExportedSecret,
    wanted_meta: SecretSettings | None,
) -> PlanItem:
    new = dict(secret.data)
    try:
        current = read_version(gateway, target.mount, path)
    except NotFound:
        return PlanItem(
            relpath,
            path,
            Change.NEW,
            0,
            tuple(sorted(new)),
            (),
            (),
            wanted_meta is not None,
            data=new,
            metadata=wanted_meta,
        )
    cas = current.version or 0
    meta_change = False
    if wanted_meta is not None:
        meta_change = not wanted_meta.same_as(read_metadata(gateway, target.mount, path))
    if current.state is not VersionState.LIVE:
        return PlanItem(
            relpath,
            path,
            Change.CHANGED,
            cas,
            tuple(sorted(new)),
            (),
            (),
            meta_change,
            note=f"its newest version is {current.state.value}",
            data=new,
            metadata=wanted_meta,
        )
    added, removed, changed = key_diff(current.data, new)
    change = Change.CHANGED if (added or removed or changed) else Change.UNCHANGED
    return PlanItem(relpath, path, change, cas, added, removed, changed, meta_change, data=new, metadata=wanted_meta)


def _plan_v1(gateway: Gateway, target: KvLocation, relpath: str, path: str, secret: ExportedSecret) -> PlanItem:
    new = dict(secret.data)
    try:
        current = dict(read_kv1(gateway, target.mount, path).data)
    except NotFound:
        return PlanItem(relpath, path, Change.NEW, None, tuple(sorted(new)), data=new, expected=None)
    added, removed, changed = key_diff(current, new)
    change = Change.CHANGED if (added or removed or changed) else Change.UNCHANGED
    return PlanItem(relpath, path, change, None, added, removed, changed, data=new, expected=current)


class Outcome(StrEnum):
    WRITTEN = "written"
    UNCHANGED = "unchanged"
    CONFLICT = "conflict"  # changed at the target since the plan: not overwritten
    ERROR = "error"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class PathOutcome:
    relpath: str
    target: str
    outcome: Outcome
    version: int | None = None  # KV v2: the version written (the newest, for several)
    message: str = ""
    source: str = ""  # copy / move: the source path inside the source mount
    versions_written: int = 0


@dataclass(frozen=True)
class ApplyResult:
    outcomes: tuple[PathOutcome, ...]

    def of(self, outcome: Outcome) -> tuple[PathOutcome, ...]:
        return tuple(o for o in self.outcomes if o.outcome is outcome)

    @property
    def written(self) -> tuple[PathOutcome, ...]:
        return self.of(Outcome.WRITTEN)

    @property
    def conflicts(self) -> tuple[PathOutcome, ...]:
        return self.of(Outcome.CONFLICT)

    @property
    def errors(self) -> tuple[PathOutcome, ...]:
        return self.of(Outcome.ERROR)

    @property
    def ok(self) -> bool:
        return not self.conflicts and not self.errors


CONFLICT_MESSAGE = "it changed at the target after the dry run; nothing was overwritten"


def apply_import(
    gateway: Gateway, plan: ImportPlan, *, on_progress: Callable[[int, int], None] | None = None
) -> ApplyResult:
    """Write what ``plan`` says, each path with CAS against what the plan saw."""
    ensure_writable(gateway, "importing secrets")
    target = plan.target
    outcomes: list[PathOutcome] = []
    total = len(plan.items)
    for done, item in enumerate(plan.items, 1):
        outcomes.append(_apply_item(gateway, target, item))
        if on_progress is not None:
            on_progress(done, total)
    return ApplyResult(tuple(outcomes))


def _apply_item(gateway: Gateway, target: KvLocation, item: PlanItem) -> PathOutcome:
    if not item.writes:
        return PathOutcome(item.relpath, item.target, Outcome.UNCHANGED)
    version = None
    try:
        if item.change is not Change.UNCHANGED:
            if target.kind is EngineKind.KV2:
                version = write_v2(gateway, target.mount, item.target, item.data, cas=item.cas or 0).version
            else:
                write_kv1(gateway, target.mount, item.target, item.data, expected=item.expected)
    except CasMismatch:
        return PathOutcome(item.relpath, item.target, Outcome.CONFLICT, message=CONFLICT_MESSAGE)
    except VaultError as error:
        return PathOutcome(item.relpath, item.target, Outcome.ERROR, message=str(error))
    if item.metadata_change and item.metadata is not None:
        try:
            _write_settings(gateway, target.mount, item.target, item.metadata)
        except VaultError as error:
            return PathOutcome(
                item.relpath,
                item.target,
                Outcome.ERROR,
                version,
                f"the data was written but its metadata was not: {error}",
            )
    return PathOutcome(item.relpath, item.target, Outcome.WRITTEN, version)


def _write_settings(gateway: Gateway, mount: str, path: str, settings: SecretSettings) -> None:
    write_metadata(
        gateway,
        mount,
        path,
        max_versions=settings.max_versions,
        cas_required=settings.cas_required,
        delete_version_after=settings.delete_version_after,
        custom_metadata=settings.custom_metadata,
    )
