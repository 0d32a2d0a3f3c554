"""The secrets view's write planner: what each KV write does, and what happens when it fails.

Textual-free and network-free (unit-tested in ``tests/test_secrets_planner.py``). The secret
detail pane posts an intent ("edit this", "destroy these versions") with a :class:`Shown`
snapshot of what it shows; the secrets screen asks this module for a plan, shows the plan's
dialog, turns the user's answer into a :class:`WriteJob`, and runs :func:`request_for` (the
Vault-layer call the job makes) through the worker. The planner decides:

* the check-and-set base: a KV v2 write is checked against the version the edit started from
  (``cas``); a KV v1 write against the data it started from (compare-before-write);
* drafts: every edit is kept in a :class:`DraftBook`, keyed by ``(mount, path)``, from the moment
  it is sent until it is written or discarded; a failed save, a conflict, a failed create and a
  save cut off by a failover all leave it there (the app asks before quitting with one);
* conflicts: what to show on a CAS conflict (:class:`ConflictPlan`: both sides, their labels,
  whether "write mine over theirs" is possible) and which base to retry with;
* failures: :func:`failure_plan` says whether a failure is a conflict, a reason to reload, or
  an error to show (and where: in the still-open new-secret form, or in the pane).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from vault_tui.vault import kv
from vault_tui.vault.errors import BadPath, CasMismatch, VaultError
from vault_tui.vault.models import EngineKind, Mount, SecretData, SecretMetadata, VersionState, WriteResult
from vault_tui.vault.paths import validate_secret_path

# -- what the pane shows -------------------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """A snapshot of the secret the detail pane shows, sent with every intent."""

    mount: Mount
    path: str
    secret: SecretData | None = None  # the data of the version shown (None: loading or unreadable)
    metadata: SecretMetadata | None = None  # KV v2 only
    viewing: int | None = None  # the KV v2 version asked for (None: the current one)
    data_failed: bool = False  # reading the data failed (not merely still loading)

    @property
    def kv2(self) -> bool:
        return self.mount.kind is EngineKind.KV2

    @property
    def key(self) -> tuple[str, str]:
        return (self.mount.path, self.path)

    @property
    def full_path(self) -> str:
        return self.mount.path + self.path

    @property
    def base_version(self) -> int | None:
        """The version a KV v2 write is checked against: the current one, when known."""
        if self.metadata is not None:
            return self.metadata.current_version
        if self.secret is not None and self.viewing is None:
            return self.secret.version
        return None


def parent_folder(path: str) -> str:
    """``a/b/c`` → ``a/b/``; ``a/b/`` → ``a/b/``; ``c`` → ``""``."""
    if path == "" or path.endswith("/"):
        return path
    return path.rsplit("/", 1)[0] + "/" if "/" in path else ""


# -- jobs and the calls they make ------------------------------------------------------------------


@dataclass(frozen=True)
class MetadataChange:
    """What the metadata editor returns."""

    max_versions: int
    cas_required: bool
    delete_version_after: str
    custom_metadata: Mapping[str, str]


@dataclass(frozen=True)
class WriteJob:
    """One write: what it is, where, and everything needed to retry it or keep it as a draft."""

    action: str  # write | patch | rollback | delete_versions | undelete | destroy | delete_all | metadata
    label: str  # "writing app/db", for messages
    mount: Mount
    path: str
    data: Mapping[str, Any] | None = None  # the user's whole edit (kept as a draft until written)
    base: int | None = None  # KV v2: the version the edit started from (cas)
    expected: Mapping[str, Any] | None = None  # KV v1: the data the edit started from
    created: bool = False  # a new secret
    changes: Mapping[str, Any] | None = None  # KV v2 patch: only the keys that change
    versions: tuple[int, ...] = ()  # delete_versions / undelete / destroy
    to_version: int | None = None  # rollback
    metadata: MetadataChange | None = None
    namespace: str = ""  # the namespace it was sent in (a draft belongs to it)

    @property
    def key(self) -> tuple[str, str]:
        return (self.mount.path, self.path)

    @property
    def full_path(self) -> str:
        return self.mount.path + self.path

    @property
    def is_edit(self) -> bool:
        """It carries the user's typed data: kept as a draft until it lands."""
        return self.data is not None


@dataclass(frozen=True)
class Request:
    """The Vault-layer call a job makes: ``fn(gateway, *args, **kwargs)``."""

    fn: Callable[..., Any]
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)

    def run(self, gateway: Any) -> Any:  # for tests and the worker's Call
        return self.fn(gateway, *self.args, **self.kwargs)


def request_for(job: WriteJob) -> Request:
    """Which Vault-layer function a job calls, with which arguments."""
    mount, path, kv2 = job.mount.path, job.path, job.mount.kind is EngineKind.KV2
    if job.action in ("write", "patch"):
        assert job.data is not None
        if job.action == "patch" and kv2:
            return Request(kv.patch_v2, (mount, path, dict(job.changes or {})), {"cas": int(job.base or 0)})
        if kv2:
            return Request(kv.write_v2, (mount, path, dict(job.data)), {"cas": int(job.base or 0)})
        expected = dict(job.expected) if job.expected is not None else None
        return Request(kv.write_kv1, (mount, path, dict(job.data)), {"expected": expected})
    if job.action == "rollback":
        return Request(kv.rollback, (mount, path), {"to_version": int(job.to_version or 0), "cas": int(job.base or 0)})
    if job.action in VERSION_CALLS:
        return Request(VERSION_CALLS[job.action], (mount, path, list(job.versions)))
    if job.action == "delete_all":
        return Request(kv.delete_all if kv2 else kv.delete_kv1, (mount, path))
    if job.action == "metadata":
        change = job.metadata
        assert change is not None
        return Request(
            kv.write_metadata,
            (mount, path),
            {
                "max_versions": change.max_versions,
                "cas_required": change.cas_required,
                "delete_version_after": change.delete_version_after,
                "custom_metadata": dict(change.custom_metadata),
            },
        )
    raise ValueError(f"unknown write action {job.action!r}")


VERSION_CALLS: Mapping[str, Callable[..., Any]] = {
    "delete_versions": kv.delete_versions,
    "undelete": kv.undelete_versions,
    "destroy": kv.destroy_versions,
}

# The pane's actions, and the action of vault.policies.action_checks each one needs.
KV2_PERMISSIONS: Mapping[str, str] = {
    "edit": "update",
    "patch": "patch",
    "rollback": "rollback",
    "delete_versions": "delete_versions",
    "undelete": "undelete",
    "destroy": "destroy",
    "delete_all": "delete_all",
    "metadata": "write_metadata",
}
KV1_PERMISSIONS: Mapping[str, str] = {"edit": "update", "patch": "update", "delete_all": "delete"}


def permission_for(action: str, kind: EngineKind) -> str | None:
    """The policy action (see :func:`vault_tui.vault.policies.action_checks`) a pane action needs."""
    table = KV2_PERMISSIONS if kind is EngineKind.KV2 else KV1_PERMISSIONS
    return table.get(action)


# -- drafts ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    """An edit not written yet: kept until it lands or the user discards it."""

    mount: Mount
    path: str
    data: Mapping[str, Any]
    base: int | None
    expected: Mapping[str, Any] | None
    created: bool = False
    namespace: str = ""

    @property
    def owner(self) -> str:
        return draft_owner(self.mount.path, self.path, self.namespace)

    @property
    def description(self) -> str:
        what = "new secret" if self.created else "edit of"
        where = f" (namespace {self.namespace})" if self.namespace else ""
        return f"your {what} {self.mount.path}{self.path}{where}"


def draft_owner(mount_path: str, path: str, namespace: str = "") -> str:
    """The name under which the app keeps a draft (``AppContext.keep_draft``)."""
    return f"secrets:{namespace.strip('/') + '/' if namespace.strip('/') else ''}{mount_path}{path}"


class DraftBook:
    """The view's drafts, keyed by ``(namespace, mount path, secret path)``: a draft is only ever
    offered (and written) in the namespace it was typed in."""

    def __init__(self) -> None:
        self._drafts: dict[tuple[str, str, str], Draft] = {}

    def keep(self, job: WriteJob) -> Draft:
        assert job.data is not None
        draft = Draft(job.mount, job.path, dict(job.data), job.base, job.expected, job.created, job.namespace)
        self._drafts[(job.namespace, *job.key)] = draft
        return draft

    def get(self, mount_path: str, path: str, namespace: str = "") -> Draft | None:
        return self._drafts.get((namespace, mount_path, path))

    def drop(self, mount_path: str, path: str, namespace: str = "") -> Draft | None:
        return self._drafts.pop((namespace, mount_path, path), None)

    def __contains__(self, key: object) -> bool:
        return key in self._drafts

    def __len__(self) -> int:
        return len(self._drafts)

    def __iter__(self) -> Iterator[Draft]:
        return iter(list(self._drafts.values()))


# -- plans for each intent -------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """The intent cannot go ahead now; say this (a warning)."""

    message: str


@dataclass(frozen=True)
class EditPlan:
    """Open the editor with ``data``; saving writes a job based on ``base`` / ``expected``."""

    title: str
    data: Mapping[str, Any]
    note: str
    mount: Mount
    path: str
    base: int | None
    expected: Mapping[str, Any] | None
    from_draft: bool = False
    created: bool = False

    def job(self, data: Mapping[str, Any]) -> WriteJob:
        verb = "creating" if self.created else "writing"
        return WriteJob(
            "write", f"{verb} {self.path}", self.mount, self.path, dict(data), self.base, self.expected, self.created
        )


def plan_edit(shown: Shown, draft: Draft | None) -> EditPlan | Refusal:
    """``e``: edit the secret as a new version (or reopen the kept draft)."""
    title = f"Edit {shown.full_path}"
    if draft is not None:
        note = "Your unsaved edit is restored."
        if draft.base is not None:
            note += f" It is checked against version {draft.base}."
        note += " Saving writes it; ctrl+d discards it."
        return EditPlan(
            title, dict(draft.data), note, shown.mount, shown.path, draft.base, draft.expected, True, draft.created
        )
    secret = shown.secret
    if secret is None and not shown.data_failed:
        return Refusal("The secret is still loading.")
    data = dict(secret.data) if secret is not None else {}
    if shown.kv2:
        base = shown.base_version
        if base is None:
            return Refusal("The current version is not known yet (metadata still loading or unreadable).")
        note = f"Saving writes version {base + 1}, checked against version {base} (check-and-set)."
        if secret is not None and secret.version and secret.version != base:
            note = f"Starting from version {secret.version}'s data. " + note
        return EditPlan(title, data, note, shown.mount, shown.path, base, None)
    if secret is None:
        title = f"Write {shown.full_path}"
    note = "KV v1 has no check-and-set: the secret is compared with what you started from just before writing."
    expected = dict(secret.data) if secret is not None else None
    return EditPlan(title, data, note, shown.mount, shown.path, None, expected)


@dataclass(frozen=True)
class CreatePlan:
    """``n``: the new-secret form, its path field starting at ``folder``."""

    title: str
    mount: Mount
    folder: str
    note: str = "The write only succeeds if nothing exists at that path yet."

    def job(self, path: str, data: Mapping[str, Any]) -> WriteJob:
        """The create job for what the user typed (raises :class:`BadPath`, see :func:`check_new_path`)."""
        path = validate_secret_path(path)
        kv2 = self.mount.kind is EngineKind.KV2
        return WriteJob(
            "write", f"creating {path}", self.mount, path, dict(data), 0 if kv2 else None, None, created=True
        )


def plan_create(mount: Mount, folder: str) -> CreatePlan | Refusal:
    if not mount.is_kv:
        return Refusal(f"{mount.path} is not a KV mount.")
    folder = parent_folder(folder)
    return CreatePlan(f"New secret in {mount.path}{folder}", mount, folder)


def check_new_path(path: str) -> str | None:
    """Why a typed secret path cannot be used (None when it can): it reaches the server exactly as typed."""
    try:
        validate_secret_path(path)
    except BadPath as error:
        return f"This path cannot be used: {error}"
    return None


@dataclass(frozen=True)
class PatchPlan:
    """``p``: edit only some keys; the rest of the secret is kept."""

    title: str
    start: Mapping[str, Any]
    note: str
    shown: Shown
    before: Mapping[str, Any]
    base: int | None

    def job(self, changes: Mapping[str, Any]) -> WriteJob:
        shown = self.shown
        merged = {**self.before, **changes}
        label = f"patching {shown.path}"
        if shown.kv2:
            return WriteJob("patch", label, shown.mount, shown.path, merged, self.base, changes=dict(changes))
        return WriteJob("patch", label, shown.mount, shown.path, merged, expected=dict(self.before))


def plan_patch(shown: Shown, key: str | None) -> PatchPlan | Refusal:
    secret = shown.secret
    if secret is None:
        return Refusal("The secret is still loading.")
    base = shown.base_version if shown.kv2 else None
    if shown.kv2 and (base is None or (secret.version and secret.version != base)):
        return Refusal("Patch works on the current version: open it first (]).")
    start = {key: secret.data[key]} if key is not None and key in secret.data else {}
    note = "Only the keys below change; every other key is kept."
    if base is not None:
        note += f" Checked against version {base}."
    return PatchPlan(f"Patch {shown.full_path}", start, note, shown, dict(secret.data), base)


@dataclass(frozen=True)
class ConfirmPlan:
    """Ask first (``typed``: the text the user must type), then run ``job``; no dialog when ``title`` is empty."""

    job: WriteJob
    title: str = ""
    body: str = ""
    confirm_label: str = "Confirm"
    danger: bool = True
    typed: str | None = None


def plan_rollback(shown: Shown, target: int | None) -> ConfirmPlan | Refusal:
    """``b``: write an old version's data as a new version, checked against the current one."""
    meta = shown.metadata
    if meta is None:
        return Refusal("The versions are still loading.")
    if target is None and shown.secret is not None:
        target = shown.secret.version
    current = meta.current_version
    info = meta.version(target) if target else None
    if info is None or target == current:
        return Refusal("Pick an older version (in Versions, or open it) to roll back to.")
    if info.state is not VersionState.LIVE:
        return Refusal(f"Version {target} is {info.state.value}; it cannot be rolled back to.")
    job = WriteJob(
        "rollback",
        f"rolling {shown.path} back to version {target}",
        shown.mount,
        shown.path,
        base=current,
        to_version=target,
    )
    body = (
        f"{shown.full_path}: version {target}'s data is written as a new version {current + 1}, "
        f"checked against version {current}. No version is deleted."
    )
    return ConfirmPlan(job, f"Roll back to version {target}?", body, "Roll back", danger=False)


def versions_label(versions: tuple[int, ...] | list[int]) -> str:
    return ", ".join(str(v) for v in sorted(versions))


def plan_versions(shown: Shown, action: str, versions: tuple[int, ...]) -> ConfirmPlan | Refusal:
    """``d`` / ``u`` / ``x``: soft-delete, undelete or destroy versions (delete and destroy ask first)."""
    if action not in VERSION_CALLS:
        raise ValueError(f"unknown versions action {action!r}")
    if not versions:
        return Refusal("Mark versions with space in Versions (or open one) first.")
    words = versions_label(versions)
    plural = "s" if len(versions) > 1 else ""
    verb = {"delete_versions": "soft-deleting", "undelete": "undeleting", "destroy": "destroying"}[action]
    job = WriteJob(
        action,
        f"{verb} version{plural} {words} of {shown.path}",
        shown.mount,
        shown.path,
        versions=tuple(sorted(versions)),
    )
    if action == "delete_versions":
        body = f"{shown.full_path}\nThey can be undeleted later (u)."
        return ConfirmPlan(job, f"Soft-delete version{plural} {words}?", body, "Delete")
    if action == "destroy":
        body = f"{shown.full_path}\nTheir data is removed for good and cannot be recovered."
        return ConfirmPlan(job, f"Destroy version{plural} {words} permanently?", body, "Destroy")
    return ConfirmPlan(job)


def plan_delete_all(shown: Shown) -> ConfirmPlan:
    """``D``: every version and the metadata (KV v2), or the secret (KV v1); the path is typed to confirm."""
    if shown.kv2:
        body = "Every version and the metadata of this secret are deleted permanently."
    else:
        body = "This KV v1 secret is deleted permanently (KV v1 keeps no versions)."
    job = WriteJob("delete_all", f"deleting {shown.path}", shown.mount, shown.path)
    return ConfirmPlan(job, f"Delete {shown.full_path}?", f"{shown.full_path}\n{body}", "Delete all", typed=shown.path)


@dataclass(frozen=True)
class MetadataPlan:
    title: str
    current: MetadataChange
    shown: Shown

    def job(self, change: MetadataChange) -> WriteJob:
        return WriteJob(
            "metadata",
            f"saving the metadata of {self.shown.path}",
            self.shown.mount,
            self.shown.path,
            metadata=change,
        )


def plan_metadata(shown: Shown) -> MetadataPlan | Refusal:
    meta = shown.metadata
    if meta is None:
        return Refusal("The metadata is still loading (or cannot be read).")
    current = MetadataChange(
        meta.max_versions, meta.cas_required, meta.delete_version_after, dict(meta.custom_metadata)
    )
    return MetadataPlan(f"Metadata of {shown.full_path}", current, shown)


# -- after the write ---------------------------------------------------------------------------------

DONE_WORDS: Mapping[str, str] = {
    "patch": "Patched",
    "rollback": "Rolled back",
    "delete_versions": "Soft-deleted versions of",
    "undelete": "Undeleted versions of",
    "destroy": "Destroyed versions of",
    "delete_all": "Deleted",
    "metadata": "Saved the metadata of",
}


@dataclass(frozen=True)
class Outcome:
    """What to say and do after a write landed."""

    message: str
    deleted: bool  # the secret is gone: show its folder
    keep_version: bool  # reshow the version the user was looking at (versions and metadata changes)
    select: bool  # select the written secret in the tree (a new secret)


def outcome(job: WriteJob, result: Any) -> Outcome:
    version = result.version if isinstance(result, WriteResult) else None
    done = ("Created" if job.created else "Saved") if job.action == "write" else DONE_WORDS[job.action]
    tail = f" (version {version})" if version else ""
    return Outcome(
        f"{done} {job.path}{tail}.",
        deleted=job.action == "delete_all",
        keep_version=job.action in ("delete_versions", "undelete", "destroy", "metadata"),
        select=job.created,
    )


@dataclass(frozen=True)
class FailurePlan:
    """What a failed write leads to.

    ``kind``: ``"conflict"`` (a CAS conflict on an edit: read theirs when ``read_theirs``, then
    show :class:`ConflictPlan`), ``"reload"`` (a rollback whose base moved: reload, try again),
    ``"form"`` (a failed create: the form stays open, filled in, with ``message``) or
    ``"error"`` (say ``message`` in the pane; an edit stays a draft).
    """

    kind: str
    message: str
    read_theirs: bool = False
    keeps_draft: bool = False


def failure_plan(job: WriteJob, error: VaultError) -> FailurePlan:
    if isinstance(error, CasMismatch) and job.is_edit:
        return FailurePlan(
            "conflict",
            "Check-and-set conflict: reading what is on the server now…",
            read_theirs=job.mount.kind is EngineKind.KV2,
            keeps_draft=True,
        )
    if isinstance(error, CasMismatch) and job.action == "rollback":
        return FailurePlan("reload", "The secret changed meanwhile; reloaded. Try the rollback again.")
    if job.created:
        return FailurePlan(
            "form", f"Creating {job.path} failed: {error}. Nothing was written; your text is kept.", keeps_draft=True
        )
    if job.is_edit:
        return FailurePlan(
            "error", f"{job.label} failed: {error}. Your edit is kept: press e to reopen it.", keeps_draft=True
        )
    return FailurePlan("error", f"{job.label} failed: {error}")


def theirs_from_error(job: WriteJob, error: VaultError) -> SecretData | None:
    """KV v1 compare-before-write conflicts carry what is stored now in the error."""
    body = error.body if isinstance(error.body, dict) else {}
    data = body.get("data")
    return SecretData(mount=job.mount.path, path=job.path, data=dict(data)) if isinstance(data, dict) else None


@dataclass(frozen=True)
class ConflictPlan:
    """Both sides of a CAS conflict, and how a retry is based."""

    job: WriteJob
    theirs: Mapping[str, Any]
    theirs_label: str
    yours_label: str
    can_overwrite: bool
    new_base: int | None  # KV v2: retry against their version
    new_expected: Mapping[str, Any] | None  # KV v1: retry against their data

    @property
    def yours(self) -> Mapping[str, Any]:
        assert self.job.data is not None
        return self.job.data

    @property
    def edit_note(self) -> str:
        note = "Your edit after a conflict."
        if self.job.mount.kind is EngineKind.KV2 and self.new_base is not None:
            note += f" Saving is now checked against version {self.new_base} (theirs)."
        return note

    def retry(self, data: Mapping[str, Any] | None = None) -> WriteJob:
        """The job that writes ``data`` (default: the user's edit) over theirs."""
        job = self.job
        return replace(
            job,
            action="write",
            label=f"writing {job.path}",
            data=dict(data if data is not None else self.yours),
            base=self.new_base if job.mount.kind is EngineKind.KV2 else None,
            expected=self.new_expected,
            changes=None,
        )


def conflict_plan(job: WriteJob, theirs: SecretData | None) -> ConflictPlan:
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
    return ConflictPlan(job, theirs_data, theirs_label, yours_label, theirs is not None, new_base, new_expected)
