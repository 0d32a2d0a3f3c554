"""The secrets view's path index: one store per (profile, namespace, mount), in memory only.

:class:`Indexer` builds a mount's index the first time it is needed (the search opens, the
go-to-path prompt completes) or at connect when the settings say ``index_at_connect``, in the
worker's background pool, never blocking the UI: :func:`vault_tui.vault.index.index_paths`
streams batches of paths from its thread, and each batch is handed to the event loop
(``call_soon_threadsafe``) and added to the mount's :class:`~.finder.PathStore`. Listeners (the
search panel, the tree's status line) hear about progress at most every :data:`NOTIFY_EVERY`
seconds. ``cancel`` stops an index (no new request is sent); a cancelled or limited index says
how far it got and that results are partial.

Kept current: a write adds its path, a delete removes it (:meth:`Indexer.after_write`), ``r`` in
the tree indexes that folder again (:meth:`Indexer.reindex`). Paths the token's policies grant
exactly (the resultant ACL) are added too, so a token that may read but not list finds them.
A token with a use limit spends a use on every LIST: nothing is indexed unless the user asks.

Key/value search (:meth:`Indexer.search_contents`) reads every secret of a scope through
:func:`~vault_tui.vault.index_content.index_secret_contents` (bounded concurrency, cancellable) and hands
back key names only: values never leave the reading thread.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from textual.widget import Widget

from ...context import vault_app
from ...safe import visible
from ...vault.errors import VaultError
from ...vault.gateway import Gateway
from ...vault.index import IndexBatch, IndexProgress, IndexResult, index_paths
from ...vault.index_content import ContentMatch, ContentProgress, Versions, index_secret_contents
from ...vault.models import EngineKind, Mount
from ...vault.policies import ResultantAcl, readable_under
from .finder import Finder, PathStore, StoreKey
from .planner import WriteJob, outcome

NOTIFY_EVERY = 0.25  # seconds between progress notices to listeners while paths stream in
CONTENT_CONCURRENCY = 8

Listener = Callable[[str], None]  # called with the mount path whose index changed


@dataclass
class IndexJob:
    """One index in progress (a whole mount, or a folder of it again)."""

    key: StoreKey
    mount: Mount
    root: str  # "" or "folder/"
    requested: bool  # the user asked (a use-limited token indexes only then)
    cancel: threading.Event = field(default_factory=threading.Event)
    progress: IndexProgress | None = None
    collected: list[str] | None = None  # a re-index collects, then replaces the subtree at the end
    started: float = field(default_factory=time.monotonic)
    # Writes and deletes made while this job runs: its listing may predate them, so they are
    # applied again once the job's paths are in (("add" | "remove", path), in order).
    changes: list[tuple[str, str]] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.mount.path + self.root


@dataclass(frozen=True)
class MountState:
    """What the UI says about one mount's index."""

    text: str
    running: bool = False
    partial: bool = False
    indexed: bool = False


def acl_paths(acl: ResultantAcl | None, mount: Mount) -> list[str]:
    """Secret paths the token's policies grant exactly (readable), to add to the index."""
    if acl is None:
        return []
    found = []
    for grant in readable_under(acl, mount):
        if grant.is_prefix or grant.is_folder or grant.wildcard or not grant.readable:
            continue
        found.append(grant.path)
    return found


def scan_contents(
    gateway: Gateway,
    mount: str,
    kind: EngineKind,
    paths: Sequence[str],
    match: str,
    *,
    versions: Versions,
    cancel: threading.Event,
    concurrency: int,
    on_match: Callable[[ContentMatch], None],
    on_progress: Callable[[ContentProgress], None],
) -> ContentProgress | None:
    """Run :func:`index_secret_contents` to the end in this (worker) thread, handing each match on."""
    last: list[ContentProgress] = []

    def progress(update: ContentProgress) -> None:
        last[:] = [update]
        on_progress(update)

    for found in index_secret_contents(
        gateway,
        mount,
        paths,
        match=match,
        kind=kind,
        versions=versions,
        cancel=cancel,
        concurrency=concurrency,
        on_progress=progress,
    ):
        on_match(found)
    return last[0] if last else None


class Indexer:
    """Every KV mount's path index for one secrets screen (``owner``)."""

    def __init__(self, owner: Widget) -> None:
        self.owner = owner
        self.finder = Finder()
        self.jobs: dict[tuple[StoreKey, str], IndexJob] = {}
        self.results: dict[StoreKey, IndexResult] = {}
        self.errors: dict[StoreKey, str] = {}
        self.listeners: list[Listener] = []
        self.acl: ResultantAcl | None = None
        self._notified: dict[str, float] = {}

    # -- where -------------------------------------------------------------------------------------
    def key(self, mount_path: str) -> StoreKey:
        session = vault_app(self.owner).session
        return self.finder.key(session.profile or "", session.namespace, mount_path)

    def store(self, mount_path: str) -> PathStore | None:
        return self.finder.get(*self.key(mount_path))

    @property
    def use_limited(self) -> bool:
        token = vault_app(self.owner).session.token
        return token is not None and token.use_limited

    @property
    def uses_left(self) -> int:
        token = vault_app(self.owner).session.token
        return token.num_uses if token is not None else 0

    @property
    def concurrency(self) -> int:
        return max(1, vault_app(self.owner).config.index_concurrency)

    def running(self, mount_path: str | None = None) -> bool:
        return any(mount_path is None or job.mount.path == mount_path for job in self.jobs.values())

    # -- starting and stopping ---------------------------------------------------------------------
    def wanted(self, mounts: Iterable[Mount], *, requested: bool = False) -> None:
        """These mounts are about to be searched: index the ones never indexed (not with a
        use-limited token unless the user asked)."""
        for mount in mounts:
            store = self.store(mount.path)
            if store is not None and (store.indexed or self.running(mount.path)):
                continue
            self.start(mount, requested=requested)

    def start(self, mount: Mount, root: str = "", *, requested: bool = False) -> bool:
        """Index ``mount`` (or its folder ``root`` again). False when not started (a use-limited
        token and nobody asked, not a KV mount, or the same index already runs)."""
        if not mount.is_kv or (self.use_limited and not requested):
            return False
        key = self.key(mount.path)
        root = root.strip("/") + "/" if root.strip("/") else ""
        if (key, "") in self.jobs or (key, root) in self.jobs:
            return False  # the whole mount (or this folder) is being indexed already
        store = self.finder.store(*key)
        job = IndexJob(key, mount, root, requested)
        if root or store.indexed or len(store):
            job.collected = []  # known paths stay searchable until the new listing is complete
        self.jobs[(key, root)] = job
        self.errors.pop(key, None)
        self.owner.run_worker(self._run(job), group="index", exit_on_error=False, name=f"index {job.label}")
        self._notify(mount.path, force=True)
        return True

    def reindex(self, mount: Mount, folder: str = "") -> bool:
        """``r`` on a folder: index it again, if this mount has an index at all."""
        store = self.store(mount.path)
        if store is None or not (store.indexed or len(store)):
            return False
        return self.start(mount, folder, requested=True)

    def cancel(self, mount_path: str | None = None) -> bool:
        """Stop the indexes in progress (of one mount, or all). True if one was running."""
        stopped = False
        for job in list(self.jobs.values()):
            if mount_path is None or job.mount.path == mount_path:
                job.cancel.set()
                stopped = True
        return stopped

    def where_changed(self) -> None:
        """Another namespace or profile: indexes of the old one stop (the gateway moved on)."""
        for (key, _root), job in list(self.jobs.items()):
            if key != self.key(job.mount.path):
                job.cancel.set()

    async def _run(self, job: IndexJob) -> None:
        loop = asyncio.get_running_loop()

        def on_batch(batch: IndexBatch) -> None:  # in the index thread
            loop.call_soon_threadsafe(self._batch, job, batch)

        worker = vault_app(self.owner).worker
        result: IndexResult | None = None
        try:
            result = await worker.call_background(
                index_paths,
                job.mount.kind,
                job.mount.path,
                job.root,
                on_batch=on_batch,
                cancel=job.cancel,
                concurrency=self.concurrency,
                collect=False,
            )
        except VaultError as error:
            self.errors[job.key] = str(error)
        finally:
            self._finish(job, result)

    def _current(self, job: IndexJob) -> bool:
        return self.jobs.get((job.key, job.root)) is job and job.key == self.key(job.mount.path)

    def _batch(self, job: IndexJob, batch: IndexBatch) -> None:
        if not self._current(job):
            return
        job.progress = batch.progress
        if job.collected is not None:
            job.collected.extend(batch.paths)
        elif batch.paths:
            self.finder.store(*job.key).add_many(batch.paths)
        self._notify(job.mount.path)

    def _finish(self, job: IndexJob, result: IndexResult | None) -> None:
        if self.jobs.get((job.key, job.root)) is job:
            del self.jobs[(job.key, job.root)]
        store = self.finder.store(*job.key)
        if result is not None and job.key == self.key(job.mount.path):
            if job.collected is not None and not result.cancelled:
                store.replace_subtree(job.root, job.collected)
            if not job.root:
                store.indexed = True
                store.partial, store.reason = result.partial, result.reason
                self.results[job.key] = result
            elif result.partial and not store.partial:
                store.partial, store.reason = True, f"{job.root}: {result.reason}"
            for path in acl_paths(self.acl, job.mount):
                store.add(path)
            self._replay(store, job)
            self._tell(job, result)
        elif job.key in self.errors and job.key == self.key(job.mount.path):
            text = f"Indexing {job.label} failed: {self.errors[job.key]}. Search results are partial."
            self.owner.notify(visible(text), severity="error", markup=False, timeout=8)
        self._notify(job.mount.path, force=True)

    def _tell(self, job: IndexJob, result: IndexResult) -> None:
        """Say how an index ended when it matters: stopped or partial (never silently), or done
        after a while in the background."""
        if result.cancelled:
            text = f"Indexing {job.label} stopped at {result.progress.paths_found:,} paths: search results are partial."
            self.owner.notify(visible(text), severity="warning", markup=False, timeout=6)
        elif result.partial:
            text = f"{job.label}: {result.summary}. Search results are partial."
            self.owner.notify(visible(text), severity="warning", markup=False, timeout=10)
        elif result.elapsed > 2 and not job.root:
            self.owner.notify(visible(f"{job.label}: {result.summary}."), markup=False, timeout=4)

    # -- kept current ------------------------------------------------------------------------------
    def after_write(self, job: WriteJob, result: Any) -> None:
        """A write landed: its path joins the index, a delete leaves it (no re-scan)."""
        session = vault_app(self.owner).session
        key = self.finder.key(session.profile or "", job.namespace or None, job.mount.path)
        if outcome(job, result).deleted:
            self._change(key, job.mount.path, "remove", job.path)
        elif job.action in ("write", "patch", "rollback", "undelete"):
            self._change(key, job.mount.path, "add", job.path)

    def added(self, mount: Mount, path: str) -> None:
        """A secret was written by another workflow (copy, move, import)."""
        self._change(self.key(mount.path), mount.path, "add", path)

    def removed(self, mount: Mount, path: str) -> None:
        """A secret was deleted (every version and its metadata) by another workflow."""
        self._change(self.key(mount.path), mount.path, "remove", path)

    def _change(self, key: StoreKey, mount_path: str, op: str, path: str) -> None:
        """Apply one write or delete to the index, and remember it in every job in flight over
        that path: a listing taken before the change must not undo it when the job ends."""
        clean = path.strip("/")
        for (job_key, root), job in self.jobs.items():
            if job_key == key and clean.startswith(root):
                job.changes.append((op, clean))
        store = self.finder.get(*key)
        if store is None:
            return
        changed = store.add(clean) if op == "add" else store.remove(clean)
        if changed:
            self._notify(mount_path, force=True)

    @staticmethod
    def _replay(store: PathStore, job: IndexJob) -> None:
        for op, path in job.changes:
            if op == "add":
                store.add(path)
            else:
                store.remove(path)

    def set_acl(self, acl: ResultantAcl | None, mounts: Iterable[Mount]) -> None:
        """What the token's policies grant: exact readable paths join the indexed mounts."""
        self.acl = acl
        for mount in mounts:
            store = self.store(mount.path)
            if store is None or not store.indexed:
                continue
            added = [store.add(path) for path in acl_paths(acl, mount)]
            if any(added):
                self._notify(mount.path, force=True)

    # -- telling the UI ----------------------------------------------------------------------------
    def _notify(self, mount_path: str, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._notified.get(mount_path, 0.0) < NOTIFY_EVERY:
            return
        self._notified[mount_path] = now
        for listener in list(self.listeners):
            listener(mount_path)

    def state(self, mount: Mount) -> MountState:
        """One line about ``mount``'s index for the search panel and the tree's status line."""
        key = self.key(mount.path)
        job = self.jobs.get((key, ""))
        folder_jobs = [j for (k, root), j in self.jobs.items() if k == key and root]
        if job is not None:
            done = job.progress.summary if job.progress is not None else "starting"
            return MountState(f"Indexing {mount.path}: {done}… (esc stops)", running=True)
        store = self.finder.get(*key)
        if key in self.errors:
            return MountState(f"Indexing {mount.path} failed: {self.errors[key]}", partial=True)
        if store is None or not store.indexed:
            if self.use_limited:
                return MountState(
                    f"This token has {self.uses_left:,} uses left and every LIST spends one: nothing is indexed "
                    f"by itself. F5 indexes {mount.path} (about one use per folder)."
                )
            if store is not None and len(store):
                return MountState(f"{mount.path}: {len(store):,} paths known (not fully indexed; F5 indexes it)")
            return MountState(f"{mount.path} is not indexed yet.")
        result = self.results.get(key)
        summary = result.summary if result is not None else f"indexed {len(store):,} paths"
        if result is not None and len(store) != result.progress.paths_found:
            summary = f"{len(store):,} paths ({summary}, kept current since)"
        if folder_jobs:
            summary += f"; indexing {', '.join(j.root for j in folder_jobs)} again…"
        if store.partial:
            return MountState(
                f"{mount.path}: {summary}. Results are partial: {store.reason}. F5 indexes it again.",
                partial=True,
                indexed=True,
                running=bool(folder_jobs),
            )
        return MountState(f"{mount.path}: {summary}.", indexed=True, running=bool(folder_jobs))

    # -- key / value search ------------------------------------------------------------------------
    def search_contents(
        self,
        targets: Sequence[tuple[Mount, Sequence[str]]],
        match: str,
        *,
        versions: Versions,
        on_match: Callable[[Mount, ContentMatch], None],
        on_progress: Callable[[ContentProgress, int], None],
        on_done: Callable[[bool, str], None],
    ) -> threading.Event:
        """Read every secret of ``targets`` ((mount, paths) pairs) for key names or values that
        contain ``match``; callbacks run on the event loop. Returns the event that cancels it.
        ``on_progress(progress, done_before)`` counts secrets across mounts; ``on_done(cancelled,
        error)`` comes last."""
        cancel = threading.Event()
        self.owner.run_worker(
            self._contents(targets, match, versions, cancel, on_match, on_progress, on_done),
            group="contents",
            exit_on_error=False,
            name="key/value search",
        )
        return cancel

    async def _contents(
        self,
        targets: Sequence[tuple[Mount, Sequence[str]]],
        match: str,
        versions: Versions,
        cancel: threading.Event,
        on_match: Callable[[Mount, ContentMatch], None],
        on_progress: Callable[[ContentProgress, int], None],
        on_done: Callable[[bool, str], None],
    ) -> None:
        loop = asyncio.get_running_loop()
        worker = vault_app(self.owner).worker
        before = 0
        error = ""
        for mount, paths in targets:
            if cancel.is_set():
                break
            done_before = before

            def matched(found: ContentMatch, mount: Mount = mount) -> None:
                loop.call_soon_threadsafe(lambda: None if cancel.is_set() else on_match(mount, found))

            def progressed(update: ContentProgress, done_before: int = done_before) -> None:
                loop.call_soon_threadsafe(on_progress, update, done_before)

            try:
                await worker.call_background(
                    scan_contents,
                    mount.path,
                    mount.kind,
                    list(paths),
                    match,
                    versions=versions if mount.kind is EngineKind.KV2 else "latest",
                    cancel=cancel,
                    concurrency=CONTENT_CONCURRENCY,
                    on_match=matched,
                    on_progress=progressed,
                )
            except VaultError as failure:
                error = str(failure)
                break
            before += len(paths)
        await asyncio.sleep(0)  # the last matches and progress queued by the threads land first
        on_done(cancel.is_set(), error)
