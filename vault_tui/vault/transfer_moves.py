"""KV transfer: copy, move or rename a secret or a subtree within or across KV mounts.

:func:`plan_transfer` is the preview (listings and metadata only); :func:`run_transfer` carries it out.
Only the newest version is copied (history does not follow), or with ``all_versions=True`` every live
version in order (deleted and destroyed ones are skipped and reported). A move deletes the sources only
after every write succeeded, and leaves in place a source that changed while it was being copied.
Writes honour ``gateway.read_only``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import CasMismatch, InvalidRequest, NotFound, VaultError
from .gateway import Gateway, ensure_writable
from .kv import (
    delete_all,
    delete_kv1,
    read_kv1,
    read_metadata,
    read_version,
    write_kv1,
    write_v2,
)
from .models import EngineKind, VersionState
from .transfer import KvLocation, SecretSettings, _is_secret_at, _state_of_current, list_secrets
from .transfer_import import Outcome, PathOutcome, _write_settings


class TransferConflict(InvalidRequest):
    """Targets already exist and overwriting was not allowed: nothing was written."""

    title = "Targets exist"


# -- copy / move / rename --------------------------------------------------------------------------
@dataclass(frozen=True)
class TransferItem:
    relpath: str
    source: str  # path inside the source mount
    target: str  # path inside the target mount
    target_exists: bool
    target_version: int | None = None  # KV v2 target's current version (CAS when overwriting)
    source_version: int | None = None  # KV v2 source's newest version when planned
    source_state: VersionState = VersionState.LIVE
    versions: tuple[int, ...] = ()  # all_versions: the live source versions, oldest first
    skipped_versions: tuple[tuple[int, VersionState], ...] = ()  # not copied: deleted / destroyed

    @property
    def copyable(self) -> bool:
        return self.source_state is VersionState.LIVE or bool(self.versions)


@dataclass(frozen=True)
class TransferPlan:
    source: KvLocation
    target: KvLocation
    items: tuple[TransferItem, ...]
    move: bool = False
    all_versions: bool = False
    metadata: bool = True
    notes: tuple[str, ...] = ()  # what the preview must say (e.g. history does not follow)

    @property
    def conflicts(self) -> tuple[TransferItem, ...]:
        """Targets that exist already: copying would overwrite them."""
        return tuple(i for i in self.items if i.target_exists)

    @property
    def uncopyable(self) -> tuple[TransferItem, ...]:
        return tuple(i for i in self.items if not i.copyable)


def _overlaps(a: KvLocation, b: KvLocation) -> bool:
    if a.mount != b.mount:
        return False
    if not a.path or not b.path:
        return True
    return a.path == b.path or a.path.startswith(b.path + "/") or b.path.startswith(a.path + "/")


def plan_transfer(
    gateway: Gateway,
    source: KvLocation,
    target: KvLocation,
    *,
    move: bool = False,
    all_versions: bool = False,
    metadata: bool = True,
) -> TransferPlan:
    """The preview of a copy (or a move / rename, ``move=True``). Reads listings and metadata only.

    Every secret at or under ``source`` goes to the same relative path under ``target``."""
    if _overlaps(source, target):
        raise InvalidRequest(f"{source.display} and {target.display} overlap: copy to a place outside the source")
    relpaths = list_secrets(gateway, source)
    if not relpaths:
        raise NotFound(f"there is no secret at or under {source.display}", path=source.display)
    if "" in relpaths and not target.path:
        raise InvalidRequest(f"{source.display} is a secret: give it a name at the target, not a whole mount")
    folder_cache: dict[str, frozenset[str]] = {}
    items: list[TransferItem] = []
    skipped_total = 0
    for relpath in relpaths:
        src = source.child(relpath)
        dst = target.child(relpath)
        source_version = None
        state = VersionState.LIVE
        versions: tuple[int, ...] = ()
        skipped: tuple[tuple[int, VersionState], ...] = ()
        if source.kind is EngineKind.KV2:
            meta = read_metadata(gateway, source.mount, src)
            source_version = meta.current_version or None
            state = _state_of_current(meta)
            if all_versions and target.kind is EngineKind.KV2:
                ordered = sorted(meta.versions, key=lambda v: v.version)
                versions = tuple(v.version for v in ordered if v.state is VersionState.LIVE)
                skipped = tuple((v.version, v.state) for v in ordered if v.state is not VersionState.LIVE)
                skipped_total += len(skipped)
        exists, target_version = _target_state(gateway, target, dst, folder_cache)
        items.append(TransferItem(relpath, src, dst, exists, target_version, source_version, state, versions, skipped))
    notes: list[str] = []
    if source.kind is EngineKind.KV2:
        if not all_versions:
            notes.append(
                "history does not follow: only the newest version of each secret is copied"
                + ("; the older versions are deleted with the source" if move else "")
            )
        elif target.kind is EngineKind.KV1:
            notes.append("KV v1 keeps a single version: only the newest version of each secret is copied")
        else:
            notes.append("every live version is copied in order; the version numbers at the target start anew")
            if skipped_total:
                notes.append(f"{skipped_total} deleted or destroyed version(s) cannot be read and are skipped")
        if metadata and target.kind is EngineKind.KV1:
            notes.append("metadata (custom_metadata, max_versions, ...) is dropped: KV v1 has none")
    uncopyable = sum(1 for i in items if not i.copyable)
    if uncopyable:
        notes.append(f"{uncopyable} secret(s) whose newest version is deleted or destroyed are skipped")
    conflicts = sum(1 for i in items if i.target_exists)
    if conflicts:
        notes.append(f"{conflicts} target(s) already exist and would be overwritten")
    if move:
        notes.append("the sources are deleted only after every write has succeeded")
    return TransferPlan(source, target, tuple(items), move, all_versions, metadata, tuple(notes))


def _target_state(
    gateway: Gateway, target: KvLocation, path: str, folder_cache: dict[str, frozenset[str]]
) -> tuple[bool, int | None]:
    if target.kind is EngineKind.KV2:
        try:
            meta = read_metadata(gateway, target.mount, path)
        except NotFound:
            return False, None
        return True, meta.current_version
    return _is_secret_at(gateway, target, path, folder_cache), None


@dataclass(frozen=True)
class TransferResult:
    outcomes: tuple[PathOutcome, ...]
    deleted: tuple[str, ...] = ()  # move: source paths deleted
    kept: tuple[tuple[str, str], ...] = ()  # move: (source path, why it was left in place)
    notes: tuple[str, ...] = ()

    @property
    def written(self) -> tuple[PathOutcome, ...]:
        return tuple(o for o in self.outcomes if o.outcome is Outcome.WRITTEN)

    @property
    def failed(self) -> tuple[PathOutcome, ...]:
        return tuple(o for o in self.outcomes if o.outcome in (Outcome.CONFLICT, Outcome.ERROR))

    @property
    def ok(self) -> bool:
        return not self.failed and not self.kept


def run_transfer(
    gateway: Gateway,
    plan: TransferPlan,
    *,
    overwrite: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
) -> TransferResult:
    """Carry out a copy / move previewed by :func:`plan_transfer`.

    Existing targets are refused (:class:`TransferConflict`, nothing written) unless ``overwrite``;
    an overwrite uses CAS against the version the plan saw. A move deletes the sources only when
    every write succeeded, and keeps a source that changed since it was copied."""
    ensure_writable(gateway, "moving secrets" if plan.move else "copying secrets")
    if plan.conflicts and not overwrite:
        names = ", ".join(plan.target.mount + i.target for i in plan.conflicts[:5])
        more = f" and {len(plan.conflicts) - 5} more" if len(plan.conflicts) > 5 else ""
        raise TransferConflict(f"{len(plan.conflicts)} target(s) already exist ({names}{more}); nothing was written")
    outcomes: list[PathOutcome] = []
    copied: dict[str, tuple[int | None, Mapping[str, Any]]] = {}  # source path -> (version, data) copied
    total = len(plan.items)
    for done, item in enumerate(plan.items, 1):
        outcome, record = _copy_item(gateway, plan, item)
        outcomes.append(outcome)
        if record is not None:
            copied[item.source] = record
        if on_progress is not None:
            on_progress(done, total)
    notes: list[str] = []
    deleted: list[str] = []
    kept: list[tuple[str, str]] = []
    if plan.move:
        failed = [o for o in outcomes if o.outcome in (Outcome.CONFLICT, Outcome.ERROR)]
        if failed:
            notes.append(f"nothing was deleted at the source: {len(failed)} write(s) failed")
        else:
            for item in plan.items:
                if item.source not in copied:
                    kept.append((item.source, "it was not copied (its newest version is deleted or destroyed)"))
                    continue
                reason = _delete_source(gateway, plan.source, item.source, copied[item.source])
                if reason:
                    kept.append((item.source, reason))
                else:
                    deleted.append(item.source)
    return TransferResult(tuple(outcomes), tuple(deleted), tuple(kept), tuple(notes))


def _copy_item(
    gateway: Gateway, plan: TransferPlan, item: TransferItem
) -> tuple[PathOutcome, tuple[int | None, Mapping[str, Any]] | None]:
    source, target = plan.source, plan.target
    if not item.copyable:
        return PathOutcome(
            item.relpath,
            item.target,
            Outcome.SKIPPED,
            message=f"its newest version is {item.source_state.value}",
            source=item.source,
        ), None
    try:
        if source.kind is EngineKind.KV2 and plan.all_versions and target.kind is EngineKind.KV2:
            chain = [read_version(gateway, source.mount, item.source, v) for v in item.versions]
            chain = [s for s in chain if s.state is VersionState.LIVE]
            if not chain:
                return PathOutcome(
                    item.relpath, item.target, Outcome.SKIPPED, message="no live version to copy", source=item.source
                ), None
        elif source.kind is EngineKind.KV2:
            newest = read_version(gateway, source.mount, item.source)
            if newest.state is not VersionState.LIVE:
                return PathOutcome(
                    item.relpath,
                    item.target,
                    Outcome.SKIPPED,
                    message=f"its newest version is {newest.state.value}",
                    source=item.source,
                ), None
            chain = [newest]
        else:
            chain = [read_kv1(gateway, source.mount, item.source)]
    except VaultError as error:
        return PathOutcome(
            item.relpath, item.target, Outcome.ERROR, message=f"reading the source: {error}", source=item.source
        ), None
    written = 0
    version: int | None = None
    try:
        if target.kind is EngineKind.KV2:
            cas = (item.target_version or 0) if item.target_exists else 0
            for secret in chain:
                version = write_v2(gateway, target.mount, item.target, secret.data, cas=cas).version
                cas = version or 0
                written += 1
        else:
            expected: Mapping[str, Any] | None = None
            if item.target_exists:
                try:
                    expected = dict(read_kv1(gateway, target.mount, item.target).data)
                except NotFound:
                    expected = None
            write_kv1(gateway, target.mount, item.target, chain[-1].data, expected=expected)
            written = 1
    except CasMismatch:
        return PathOutcome(
            item.relpath,
            item.target,
            Outcome.CONFLICT,
            version,
            "the target changed after the preview; it was not overwritten",
            item.source,
            written,
        ), None
    except VaultError as error:
        return PathOutcome(item.relpath, item.target, Outcome.ERROR, version, str(error), item.source, written), None
    if plan.metadata and source.kind is EngineKind.KV2 and target.kind is EngineKind.KV2:
        try:
            settings = SecretSettings.of(read_metadata(gateway, source.mount, item.source))
            _write_settings(gateway, target.mount, item.target, settings)
        except VaultError as error:
            return PathOutcome(
                item.relpath,
                item.target,
                Outcome.ERROR,
                version,
                f"the data was copied but its metadata was not: {error}",
                item.source,
                written,
            ), None
    newest = chain[-1]
    # A move deletes the source only while it is as it was copied. With every version copied, that is
    # the newest version the preview saw (which may be a deleted one, skipped).
    check_version = item.source_version if item.versions else newest.version
    return (
        PathOutcome(item.relpath, item.target, Outcome.WRITTEN, version, "", item.source, written),
        (check_version, dict(newest.data)),
    )


def _delete_source(
    gateway: Gateway, source: KvLocation, path: str, copied: tuple[int | None, Mapping[str, Any]]
) -> str:
    """Delete one moved source unless it changed since it was copied. Returns why it was kept."""
    version, data = copied
    try:
        if source.kind is EngineKind.KV2:
            meta = read_metadata(gateway, source.mount, path)
            if meta.current_version != version:
                return f"it changed while it was being moved (now version {meta.current_version}); left in place"
            delete_all(gateway, source.mount, path)
        else:
            current = dict(read_kv1(gateway, source.mount, path).data)
            if current != dict(data):
                return "it changed while it was being moved; left in place"
            delete_kv1(gateway, source.mount, path)
    except VaultError as error:
        return f"deleting it failed: {error}"
    return ""
