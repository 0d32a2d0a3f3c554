"""KV transfer: export and import a subtree, copy / move / rename, and ``.env`` export (KV v1 and v2).

Plain Vault-layer functions (no textual), built on :mod:`vault_tui.vault.kv`'s public functions.

Export format (``version`` 1)::

    {"format": "vault-tui-kv-export", "version": 1, "mount": "secret/", "kind": "kv2",
     "root": "team/app", "exported_at": "2025-01-01T00:00:00Z", "metadata": true,
     "secrets": {
       "db":      {"data": {"password": "..."}, "version": 3,
                   "metadata": {"custom_metadata": {...}, "max_versions": 0,
                                "cas_required": false, "delete_version_after": "0s"}},
       "api/key": {"data": {...}, "version": 1}
     },
     "skipped": [{"path": "old", "reason": "its newest version is deleted"}]}

Keys of ``secrets`` are paths relative to ``root``; ``""`` is the secret at ``root`` itself (a KV path
can be a secret and a folder at once). ``metadata`` (KV v2 only, on request) holds the settings
that can be written back; ``version`` is informational. Only the newest version of each secret is
exported; a secret whose newest version is deleted or destroyed is listed in ``skipped``.

The steps a UI shows:

* :func:`preview_export` — paths and key names only (or, with ``keys=False``, paths from listings
  and metadata only, so **no value leaves the server** before the user confirms);
* :func:`export_subtree` — streams the JSON document to an open file (see
  :func:`vault_tui.exporting.private_file` for mode 0600);
* :func:`plan_import` — a dry run: per path new / changed / unchanged and which key *names* differ
  (values are kept in fields with ``repr=False``); :func:`apply_import` — writes with CAS (KV v2:
  ``cas`` = the version seen by the plan, 0 for new; KV v1: compare-before-write). A conflict is
  reported per path and **never overwritten**;
* :func:`plan_transfer` / :func:`run_transfer` — copy, move or rename a secret or a subtree within or
  across KV mounts. Only the newest version is copied (history does not follow), or with
  ``all_versions=True`` every live version in order (deleted and destroyed ones are skipped and
  reported). A move deletes the sources only after every write succeeded, and leaves in place a
  source that changed while it was being copied;
* :func:`format_dotenv` / :func:`export_dotenv` — one secret's keys as ``KEY=value`` lines.

Every write honours ``gateway.read_only`` (:func:`vault_tui.vault.gateway.ensure_writable`).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TextIO

from .errors import CasMismatch, InvalidRequest, NotFound, VaultError
from .gateway import Gateway, ensure_writable
from .kv import (
    delete_all,
    delete_kv1,
    list_folder,
    read_kv1,
    read_metadata,
    read_version,
    scan,
    write_kv1,
    write_metadata,
    write_v2,
)
from .models import EngineKind, Mount, SecretMetadata, VersionState

FORMAT = "vault-tui-kv-export"
FORMAT_VERSION = 1


class ExportFormatError(ValueError):
    """A document is not a valid vault-tui KV export. ``str()`` is one plain sentence."""


class TransferConflict(InvalidRequest):
    """Targets already exist and overwriting was not allowed: nothing was written."""

    title = "Targets exist"


# -- locations -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class KvLocation:
    """A KV mount and a path inside it (``""`` = the whole mount)."""

    mount: str  # with a trailing slash: "secret/"
    kind: EngineKind  # KV1 or KV2
    path: str = ""  # no leading or trailing slash

    @property
    def display(self) -> str:
        return self.mount + self.path

    def child(self, relpath: str) -> str:
        """The path inside the mount of ``relpath`` under this location."""
        if not relpath:
            return self.path
        return f"{self.path}/{relpath}" if self.path else relpath


def clean_path(path: str, *, what: str = "path") -> str:
    """Strip surrounding slashes; refuse empty, ``.`` and ``..`` segments."""
    text = path.strip().strip("/")
    if not text:
        return ""
    for part in text.split("/"):
        if part in ("", ".", ".."):
            raise InvalidRequest(f"invalid {what}: {path!r} (empty, '.' or '..' segment)")
    return text


def mount_kind(mount: Mount) -> EngineKind | None:
    """KV1 or KV2 for a KV mount (cubbyhole counts as KV v1), else None."""
    kind = mount.kind
    if kind is EngineKind.CUBBYHOLE:
        return EngineKind.KV1
    return kind if kind in (EngineKind.KV1, EngineKind.KV2) else None


def resolve_location(gateway: Gateway, text: str, *, mounts: Iterable[Mount] | None = None) -> KvLocation:
    """``"secret/team/app"`` → the KV mount it lives on (longest match) and the path inside it."""
    wanted = text.strip().lstrip("/")
    if not wanted:
        raise InvalidRequest("give a KV mount and path, e.g. secret/team/app")
    candidates = [m for m in (gateway.mounts() if mounts is None else mounts) if not m.is_auth]
    best: Mount | None = None
    for mount in candidates:
        prefix = mount.path if mount.path.endswith("/") else mount.path + "/"
        if (wanted + "/").startswith(prefix) and (best is None or len(prefix) > len(best.path)):
            best = mount
    if best is None:
        raise NotFound(f"no mount at {wanted!r} (is the mount name right?)", path=wanted)
    kind = mount_kind(best)
    prefix = best.path if best.path.endswith("/") else best.path + "/"
    if kind is None:
        raise InvalidRequest(f"{prefix} is a {best.type} mount, not a KV mount", path=wanted)
    return KvLocation(prefix, kind, clean_path(wanted[len(prefix) :]))


def location(mount: str, kind: EngineKind, path: str = "") -> KvLocation:
    """A :class:`KvLocation` when the mount and its kind are already known (the UI's tree)."""
    if kind not in (EngineKind.KV1, EngineKind.KV2):
        raise InvalidRequest(f"{mount} is not a KV mount")
    return KvLocation(mount.strip("/") + "/", kind, clean_path(path))


# -- listing ---------------------------------------------------------------------------------------
def _is_secret_at(gateway: Gateway, loc: KvLocation, path: str, cache: dict[str, frozenset[str]] | None = None) -> bool:
    """Is there a secret at ``path`` (from a LIST of its parent: no value is read)?"""
    parent, _, name = path.rpartition("/")
    folder = parent + "/" if parent else ""
    keys = cache.get(folder) if cache is not None else None
    if keys is None:
        keys = frozenset(list_folder(gateway, loc.kind, loc.mount, folder).keys)
        if cache is not None:
            cache[folder] = keys
    return name in keys


def list_secrets(gateway: Gateway, loc: KvLocation) -> tuple[str, ...]:
    """Relative paths of every secret at or under ``loc`` (``""`` for ``loc.path`` itself), sorted.

    Uses listings only (SCAN on OpenBao, a tree walk elsewhere): no value is read."""
    found: set[str] = set()
    if loc.path and _is_secret_at(gateway, loc, loc.path):
        found.add("")
    root = loc.path + "/" if loc.path else ""
    for full in scan(gateway, loc.kind, loc.mount, root):
        full = full.strip("/") if not full.endswith("/") else ""
        if not full:
            continue
        if root and full.startswith(root):
            found.add(full[len(root) :])
        elif not root:
            found.add(full)
    return tuple(sorted(found))


# -- export ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SecretSettings:
    """The KV v2 metadata that an export carries and an import writes back."""

    custom_metadata: Mapping[str, str] = field(default_factory=dict)
    max_versions: int = 0
    cas_required: bool = False
    delete_version_after: str = "0s"

    @classmethod
    def of(cls, meta: SecretMetadata) -> SecretSettings:
        return cls(dict(meta.custom_metadata), meta.max_versions, meta.cas_required, meta.delete_version_after)

    def as_dict(self) -> dict[str, Any]:
        return {
            "custom_metadata": dict(self.custom_metadata),
            "max_versions": self.max_versions,
            "cas_required": self.cas_required,
            "delete_version_after": self.delete_version_after,
        }

    @classmethod
    def from_dict(cls, value: Any, where: str) -> SecretSettings:
        if not isinstance(value, dict):
            raise ExportFormatError(f"the metadata of {where!r} is not an object")
        custom = value.get("custom_metadata") or {}
        if not isinstance(custom, dict) or not all(isinstance(k, str) for k in custom):
            raise ExportFormatError(f"the custom_metadata of {where!r} is not an object of strings")
        max_versions = value.get("max_versions", 0)
        if not isinstance(max_versions, int) or isinstance(max_versions, bool) or max_versions < 0:
            raise ExportFormatError(f"the max_versions of {where!r} is not a whole number")
        cas_required = value.get("cas_required", False)
        if not isinstance(cas_required, bool):
            raise ExportFormatError(f"the cas_required of {where!r} is not true or false")
        after = value.get("delete_version_after", "0s")
        if not isinstance(after, str):
            raise ExportFormatError(f"the delete_version_after of {where!r} is not a duration string")
        return cls({k: str(v) for k, v in custom.items()}, max_versions, cas_required, after)

    def same_as(self, meta: SecretMetadata) -> bool:
        return SecretSettings.of(meta).normalised() == self.normalised()

    def normalised(self) -> tuple[Any, ...]:
        after = self.delete_version_after.strip() or "0s"
        return (
            tuple(sorted(self.custom_metadata.items())),
            self.max_versions,
            self.cas_required,
            "0s" if after in ("0", "0s") else after,
        )


@dataclass(frozen=True)
class ExportedSecret:
    relpath: str
    data: Mapping[str, Any] = field(repr=False)
    version: int | None = None
    metadata: SecretSettings | None = None

    def as_dict(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"data": dict(self.data)}
        if self.version is not None:
            entry["version"] = self.version
        if self.metadata is not None:
            entry["metadata"] = self.metadata.as_dict()
        return entry


@dataclass(frozen=True)
class PreviewItem:
    relpath: str
    keys: tuple[str, ...]  # key names only ("" values never); empty when previewed without keys
    version: int | None
    state: VersionState  # of the newest version; only LIVE ones are exported

    @property
    def exportable(self) -> bool:
        return self.state is VersionState.LIVE


@dataclass(frozen=True)
class ExportPreview:
    source: KvLocation
    items: tuple[PreviewItem, ...]
    metadata: bool
    keys_read: bool  # False: listings and metadata only, no value has left the server

    @property
    def exportable(self) -> tuple[PreviewItem, ...]:
        return tuple(i for i in self.items if i.exportable)

    @property
    def skipped(self) -> tuple[PreviewItem, ...]:
        return tuple(i for i in self.items if not i.exportable)

    @property
    def relpaths(self) -> tuple[str, ...]:
        return tuple(i.relpath for i in self.exportable)


def _state_of_current(meta: SecretMetadata) -> VersionState:
    info = meta.version(meta.current_version)
    return info.state if info is not None else VersionState.LIVE


def preview_export(gateway: Gateway, loc: KvLocation, *, metadata: bool = False, keys: bool = True) -> ExportPreview:
    """What :func:`export_subtree` would write: paths and key names, never values.

    ``keys=False`` uses listings (and KV v2 metadata) only, so no value leaves the server; to show
    key names the secrets must be read (their values are dropped at once)."""
    items: list[PreviewItem] = []
    for relpath in list_secrets(gateway, loc):
        path = loc.child(relpath)
        if loc.kind is EngineKind.KV2:
            if keys:
                secret = read_version(gateway, loc.mount, path)
                items.append(PreviewItem(relpath, tuple(sorted(secret.data)), secret.version, secret.state))
            else:
                meta = read_metadata(gateway, loc.mount, path)
                items.append(PreviewItem(relpath, (), meta.current_version or None, _state_of_current(meta)))
        else:
            names: tuple[str, ...] = ()
            if keys:
                names = tuple(sorted(read_kv1(gateway, loc.mount, path).data))
            items.append(PreviewItem(relpath, names, None, VersionState.LIVE))
    return ExportPreview(loc, tuple(items), metadata and loc.kind is EngineKind.KV2, keys)


def iter_export(
    gateway: Gateway,
    loc: KvLocation,
    *,
    metadata: bool = False,
    relpaths: Iterable[str] | None = None,
    skipped: list[tuple[str, str]] | None = None,
) -> Iterator[ExportedSecret]:
    """Read each secret's newest version, one at a time (``relpaths``: those the user confirmed,
    default every secret under ``loc``). Non-live newest versions go to ``skipped``."""
    paths = list_secrets(gateway, loc) if relpaths is None else tuple(relpaths)
    for relpath in paths:
        path = loc.child(relpath)
        if loc.kind is EngineKind.KV2:
            try:
                secret = read_version(gateway, loc.mount, path)
            except NotFound:
                if skipped is not None:
                    skipped.append((relpath, "it no longer exists"))
                continue
            if secret.state is not VersionState.LIVE:
                if skipped is not None:
                    skipped.append((relpath, f"its newest version is {secret.state.value}"))
                continue
            settings = SecretSettings.of(read_metadata(gateway, loc.mount, path)) if metadata else None
            yield ExportedSecret(relpath, dict(secret.data), secret.version, settings)
        else:
            try:
                secret = read_kv1(gateway, loc.mount, path)
            except NotFound:
                if skipped is not None:
                    skipped.append((relpath, "it no longer exists"))
                continue
            yield ExportedSecret(relpath, dict(secret.data))


def _now_iso(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).astimezone(UTC).isoformat().replace("+00:00", "Z")


def _header(loc: KvLocation, metadata: bool, now: datetime | None) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "mount": loc.mount,
        "kind": loc.kind.value,
        "root": loc.path,
        "exported_at": _now_iso(now),
        "metadata": bool(metadata and loc.kind is EngineKind.KV2),
    }


@dataclass(frozen=True)
class ExportResult:
    count: int
    skipped: tuple[tuple[str, str], ...] = ()  # (relpath, reason)


def write_export(
    out: TextIO,
    loc: KvLocation,
    secrets: Iterable[ExportedSecret],
    *,
    metadata: bool = False,
    skipped: list[tuple[str, str]] | None = None,
    now: datetime | None = None,
) -> int:
    """Stream the export document to ``out``, one secret per line as it is read. Returns the count.

    ``skipped`` is read after ``secrets`` is exhausted (so :func:`iter_export` can fill it)."""
    head = json.dumps(_header(loc, metadata, now), ensure_ascii=False)
    out.write(head[:-1] + ', "secrets": {')
    count = 0
    for secret in secrets:
        line = json.dumps(secret.relpath, ensure_ascii=False) + ": " + json.dumps(secret.as_dict(), ensure_ascii=False)
        out.write(("\n  " if count == 0 else ",\n  ") + line)
        count += 1
    tail = {"skipped": [{"path": p, "reason": r} for p, r in (skipped or [])]}
    out.write(("\n" if count else "") + "}, " + json.dumps(tail, ensure_ascii=False)[1:] + "\n")
    out.flush()
    return count


def export_subtree(
    gateway: Gateway,
    loc: KvLocation,
    out: TextIO,
    *,
    metadata: bool = False,
    relpaths: Iterable[str] | None = None,
    now: datetime | None = None,
) -> ExportResult:
    """Export the newest version of every secret at or under ``loc`` (or just ``relpaths``, e.g.
    :attr:`ExportPreview.relpaths` the user confirmed) to ``out`` as JSON, streaming."""
    skipped: list[tuple[str, str]] = []
    secrets = iter_export(gateway, loc, metadata=metadata, relpaths=relpaths, skipped=skipped)
    count = write_export(out, loc, secrets, metadata=metadata, skipped=skipped, now=now)
    return ExportResult(count, tuple(skipped))


def export_document(gateway: Gateway, loc: KvLocation, *, metadata: bool = False) -> dict[str, Any]:
    """The export as a dict (small subtrees; :func:`export_subtree` streams)."""
    skipped: list[tuple[str, str]] = []
    secrets = {s.relpath: s.as_dict() for s in iter_export(gateway, loc, metadata=metadata, skipped=skipped)}
    document = _header(loc, metadata, None)
    document["secrets"] = secrets
    document["skipped"] = [{"path": p, "reason": r} for p, r in skipped]
    return document


@dataclass(frozen=True)
class ExportDocument:
    """A parsed, validated export."""

    mount: str
    kind: EngineKind
    root: str
    secrets: Mapping[str, ExportedSecret] = field(repr=False)
    exported_at: str | None = None
    has_metadata: bool = False

    @property
    def relpaths(self) -> tuple[str, ...]:
        return tuple(sorted(self.secrets))


def parse_export(document: Any) -> ExportDocument:
    """Validate a decoded export document (see the module docstring)."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ExportFormatError("this is not a vault-tui KV export (its 'format' is not vault-tui-kv-export)")
    version = document.get("version")
    if version != FORMAT_VERSION:
        if isinstance(version, int) and version > FORMAT_VERSION:
            raise ExportFormatError(f"this export is format version {version}, newer than this vault-tui reads")
        raise ExportFormatError(f"unsupported export format version {version!r}")
    try:
        kind = EngineKind(str(document.get("kind")))
    except ValueError:
        kind = EngineKind.OTHER
    if kind not in (EngineKind.KV1, EngineKind.KV2):
        raise ExportFormatError("the export's 'kind' is neither kv1 nor kv2")
    secrets_in = document.get("secrets")
    if not isinstance(secrets_in, dict):
        raise ExportFormatError("the export has no 'secrets' object")
    secrets: dict[str, ExportedSecret] = {}
    has_metadata = False
    for relpath, entry in secrets_in.items():
        if not isinstance(relpath, str):
            raise ExportFormatError("a secret's path is not a string")
        try:
            clean = clean_path(relpath, what="secret path")
        except InvalidRequest as error:
            raise ExportFormatError(str(error)) from None
        if clean != relpath:
            raise ExportFormatError(f"the secret path {relpath!r} has surrounding slashes")
        if not isinstance(entry, dict) or not isinstance(entry.get("data"), dict) or not entry["data"]:
            raise ExportFormatError(f"the secret {relpath!r} has no 'data' object with at least one key")
        if not all(isinstance(k, str) and k for k in entry["data"]):
            raise ExportFormatError(f"the secret {relpath!r} has a key that is not a non-empty string")
        settings = None
        if entry.get("metadata") is not None:
            settings = SecretSettings.from_dict(entry["metadata"], relpath)
            has_metadata = True
        version_value = entry.get("version")
        version_number = (
            version_value if isinstance(version_value, int) and not isinstance(version_value, bool) else None
        )
        secrets[relpath] = ExportedSecret(relpath, dict(entry["data"]), version_number, settings)
    mount = document.get("mount")
    root = document.get("root")
    exported_at = document.get("exported_at")
    return ExportDocument(
        mount=str(mount) if isinstance(mount, str) else "",
        kind=kind,
        root=str(root) if isinstance(root, str) else "",
        secrets=secrets,
        exported_at=str(exported_at) if isinstance(exported_at, str) else None,
        has_metadata=has_metadata,
    )


def load_export(text: str) -> ExportDocument:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ExportFormatError(f"the file is not valid JSON (line {error.lineno}, column {error.colno})") from None
    return parse_export(document)


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


# -- .env ------------------------------------------------------------------------------------------
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SAFE_SINGLE = re.compile(r"[^'\\\x00-\x1f\x7f]*")
_DOUBLE_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


@dataclass(frozen=True)
class DotenvResult:
    """``text`` holds the values (``repr=False``); the rest is key names and reasons only."""

    text: str = field(repr=False)
    written: tuple[str, ...] = ()
    rejected: tuple[tuple[str, str], ...] = ()  # (key, why it is not in the file)
    warnings: tuple[tuple[str, str], ...] = ()  # (key, what to watch out for)


def env_text(value: Any) -> str:
    """A secret's value as environment text: strings as they are, other JSON as JSON."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def dotenv_quote(text: str) -> str:
    """Quote a value for a ``.env`` file as python-dotenv and docker compose read it.

    Single quotes (taken literally) when the value has no quote, backslash or control character;
    otherwise double quotes with ``\\\\ \\" \\n \\r \\t`` escapes."""
    if _SAFE_SINGLE.fullmatch(text):
        return "'" + text + "'"
    return '"' + "".join(_DOUBLE_ESCAPES.get(ch, ch) for ch in text) + '"'


def format_dotenv(data: Mapping[str, Any], *, header: str = "") -> DotenvResult:
    """``KEY='value'`` lines for the keys that are valid environment names; the others are reported
    in ``rejected``, never silently dropped."""
    lines: list[str] = []
    if header:
        lines.extend("# " + line for line in header.splitlines())
    written: list[str] = []
    rejected: list[tuple[str, str]] = []
    warnings: list[tuple[str, str]] = []
    for key in sorted(data):
        if not ENV_NAME.fullmatch(key):
            rejected.append(
                (key, "not a valid environment variable name (letters, digits and _, not starting with a digit)")
            )
            continue
        text = env_text(data[key])
        if "\x00" in text:
            rejected.append((key, "the value contains a NUL character, which an environment variable cannot hold"))
            continue
        quoted = dotenv_quote(text)
        if quoted.startswith('"') and "$" in text:
            warnings.append((key, "the value contains '$' inside double quotes: some loaders expand ${...} there"))
        if any(ch in text for ch in "\n\r"):
            warnings.append((key, "the value spans several lines (written as \\n escapes)"))
        lines.append(f"{key}={quoted}")
        written.append(key)
    return DotenvResult("\n".join(lines) + "\n" if lines else "", tuple(written), tuple(rejected), tuple(warnings))


def dotenv_for_secret(gateway: Gateway, loc: KvLocation, *, version: int | None = None) -> DotenvResult:
    """Read one secret (``loc.path``; a KV v2 ``version``, default the newest) and format it."""
    if not loc.path:
        raise InvalidRequest("choose a secret, not a whole mount")
    if loc.kind is EngineKind.KV2:
        secret = read_version(gateway, loc.mount, loc.path, version)
        if secret.state is not VersionState.LIVE:
            raise InvalidRequest(
                f"version {secret.version} of {loc.display} is {secret.state.value}: nothing to export"
            )
    else:
        secret = read_kv1(gateway, loc.mount, loc.path)
    where = json.dumps(loc.display, ensure_ascii=True)
    label = f" version {secret.version}" if secret.version else ""
    header = f"exported by vault-tui from {where}{label}\nthis file holds secrets: keep it out of version control"
    return format_dotenv(secret.data, header=header)


def export_dotenv(
    gateway: Gateway,
    loc: KvLocation,
    file: str | os.PathLike[str],
    *,
    version: int | None = None,
    overwrite: bool = False,
) -> DotenvResult:
    """Write one secret's keys to ``file`` (created with mode 0600). The result lists rejected keys."""
    from ..exporting import check_target, write_private_text

    check_target(file, overwrite=overwrite)  # fail before reading any value
    result = dotenv_for_secret(gateway, loc, version=version)
    write_private_text(file, result.text, overwrite=overwrite)
    return result
