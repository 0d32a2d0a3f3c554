"""KV transfer: locations, listing and the export of a subtree (KV v1 and v2).

The rest of the transfer family lives beside it: importing an export in
:mod:`vault_tui.vault.transfer_import`, copy / move / rename in :mod:`vault_tui.vault.transfer_moves`,
and ``.env`` export in :mod:`vault_tui.vault.envfile`.

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
* :func:`~vault_tui.vault.transfer_import.plan_import` — a dry run: per path new / changed /
  unchanged and which key *names* differ (values are kept in fields with ``repr=False``);
  :func:`~vault_tui.vault.transfer_import.apply_import` — writes with CAS (KV v2: ``cas`` = the
  version seen by the plan, 0 for new; KV v1: compare-before-write). A conflict is reported per path
  and **never overwritten**;
* :func:`~vault_tui.vault.transfer_moves.plan_transfer` /
  :func:`~vault_tui.vault.transfer_moves.run_transfer` — copy, move or rename a secret or a subtree
  within or across KV mounts. Only the newest version is copied (history does not follow), or with
  ``all_versions=True`` every live version in order (deleted and destroyed ones are skipped and
  reported). A move deletes the sources only after every write succeeded, and leaves in place a
  source that changed while it was being copied;
* :func:`~vault_tui.vault.envfile.format_dotenv` / :func:`~vault_tui.vault.envfile.export_dotenv` —
  one secret's keys as ``KEY=value`` lines.

Every write honours ``gateway.read_only`` (:func:`vault_tui.vault.gateway.ensure_writable`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO

from .errors import InvalidRequest, NotFound
from .gateway import Gateway
from .kv import (
    list_folder,
    read_kv1,
    read_metadata,
    read_version,
    scan,
)
from .models import EngineKind, Mount, SecretMetadata, VersionState

FORMAT = "vault-tui-kv-export"
FORMAT_VERSION = 1


class ExportFormatError(ValueError):
    """A document is not a valid vault-tui KV export. ``str()`` is one plain sentence."""


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
