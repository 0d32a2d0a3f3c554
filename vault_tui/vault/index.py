"""A full-path index of one KV mount (or of a subtree), and opt-in key/value search.

Plain functions run in the app's worker thread; no Textual here.

* :func:`index_paths` lists every secret path under a folder. On OpenBao it sends one ``SCAN``
  (recursive LIST; ``limit``/``after`` are sent so a server that pages SCAN streams it in
  pieces; OpenBao 2.x ignores them on SCAN and answers everything at once). Where SCAN is not
  available or is refused (HashiCorp Vault, a 400/403/404/405/501), it walks the tree with
  paginated ``LIST`` and a bounded number of requests in flight (16 by default), each folder's
  keys streamed as they arrive. A folder the token may not list is counted and skipped.
* Results go to a callback in batches with running counts, so a UI can show
  "indexed 41,200 paths, 3 folders denied". A :class:`threading.Event` cancels: it is checked
  before every request, and once it is set no new request is sent. A ``max_paths`` limit stops
  the index and says so (``partial=True`` and a reason); nothing is capped silently.
* :func:`~vault_tui.vault.index_content.index_secret_contents` (in :mod:`.index_content`) reads
  secrets (bounded concurrency) and yields, per secret and version, the names of the keys whose
  name or value matched. Values never leave the reading thread and nothing holds them after a
  secret has been checked.

Paths are quoted here (``urllib.parse.quote``) so names with spaces, ``%``, ``#``, ``?`` or
non-ASCII characters reach the server as typed.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote

import hvac

from .errors import (
    MalformedResponse,
    NotFound,
    PermissionDenied,
    Sealed,
    TokenInvalid,
    Unreachable,
    VaultError,
)
from .gateway import Gateway
from .kv import list_path
from .models import EngineKind

DEFAULT_CONCURRENCY = 16
DEFAULT_PAGE_SIZE = 1000
DEFAULT_SCAN_PAGE_SIZE = 10_000
DEFAULT_MAX_PATHS = 250_000
DEFAULT_BATCH_SIZE = 2000
EMIT_INTERVAL = 0.1  # seconds: a batch goes out at least this often while paths arrive

# SCAN answered with one of these means "not here": walk instead.
_SCAN_REFUSED = (400, 403, 404, 405, 501)
# These stop an index: every further request would fail the same way.
_FATAL = (TokenInvalid, Unreachable, Sealed)

Method = Literal["scan", "walk"]


@dataclass(frozen=True)
class IndexProgress:
    """Running counts of an index in progress (or finished)."""

    method: Method
    paths_found: int = 0
    folders_listed: int = 0
    folders_denied: int = 0
    folders_failed: int = 0
    requests: int = 0

    @property
    def summary(self) -> str:
        text = f"indexed {self.paths_found:,} path{'' if self.paths_found == 1 else 's'}"
        if self.folders_denied:
            text += f", {self.folders_denied:,} folder{'' if self.folders_denied == 1 else 's'} denied"
        if self.folders_failed:
            text += f", {self.folders_failed:,} failed"
        return text


@dataclass(frozen=True)
class IndexBatch:
    """New paths (relative to the mount) since the previous batch, with the counts so far."""

    paths: tuple[str, ...]
    progress: IndexProgress


@dataclass(frozen=True)
class IndexResult:
    mount: str  # as given, without slashes
    root: str  # the folder indexed: "" (the whole mount) or "a/b/"
    kind: EngineKind
    method: Method
    progress: IndexProgress
    paths: tuple[str, ...] = ()  # every path found (empty when collect=False)
    denied_folders: tuple[str, ...] = ()
    failed_folders: tuple[str, ...] = ()
    partial: bool = False
    reason: str = ""  # why the result is partial ("" when complete)
    cancelled: bool = False
    scan_refused: str = ""  # why SCAN was not used, when it was tried or skipped
    elapsed: float = 0.0

    @property
    def summary(self) -> str:
        text = self.progress.summary
        if self.cancelled:
            text += " (cancelled)"
        elif self.partial:
            text += f" (partial: {self.reason})"
        return text


OnBatch = Callable[[IndexBatch], None]


# -- requests -------------------------------------------------------------------------------


def quote_path(path: str) -> str:
    """Percent-encode an API path, keeping its slashes."""
    return quote(path, safe="/")


def _send(gateway: Gateway, method: str, path: str, params: dict[str, str] | None = None) -> dict[str, Any] | None:
    """One API call to ``/v1/<path>`` (``path`` unquoted). Returns the JSON body; None on 404."""
    url = "/v1/" + quote_path(path.lstrip("/"))

    def run(client: hvac.Client) -> dict[str, Any] | None:
        if params:
            response = client.adapter.request(method, url, params=params)
        else:
            response = client.adapter.request(method, url)
        if isinstance(response, dict):
            return response
        if response is None or getattr(response, "status_code", 200) == 204 or not getattr(response, "content", b""):
            return None
        try:
            body = response.json()
        except ValueError:
            raise MalformedResponse(f"the server sent a non-JSON body for {path}", path=path) from None
        return body if isinstance(body, dict) else None

    try:
        return gateway.call(run, path)
    except NotFound:
        return None


def _keys(body: dict[str, Any] | None, where: str) -> list[str]:
    if not body:
        return []
    data = body.get("data")
    if not isinstance(data, dict):
        return []
    keys = data.get("keys")
    if keys is None:
        return []
    if not isinstance(keys, list):
        raise MalformedResponse(f"the key list for {where} is not a list", path=where)
    return [k if isinstance(k, str) else str(k) for k in keys]


def _ignored_paging(body: dict[str, Any] | None) -> bool:
    """The server said it ignored ``limit``/``after`` (OpenBao's KV v1 and cubbyhole do)."""
    warnings = (body or {}).get("warnings") or ()
    return any("ignored" in str(w) and "limit" in str(w) for w in warnings if w)


def _folder(path: str) -> str:
    path = path.strip("/")
    return path + "/" if path else ""


# -- the index ------------------------------------------------------------------------------


class _Run:
    """Counts and batching shared by SCAN and the walk (touched only by the calling thread)."""

    def __init__(self, method: Method, on_batch: OnBatch | None, batch_size: int, collect: bool, max_paths: int | None):
        self.method: Method = method
        self.on_batch = on_batch
        self.batch_size = max(1, batch_size)
        self.collect = collect
        self.max_paths = max_paths
        self.found: list[str] = []
        self.pending: list[str] = []
        self.count = 0
        self.listed = 0
        self.denied: list[str] = []
        self.failed: list[str] = []
        self.requests = 0
        self.last_emit = time.monotonic()
        self.limit_hit = False

    def progress(self) -> IndexProgress:
        return IndexProgress(
            method=self.method,
            paths_found=self.count,
            folders_listed=self.listed,
            folders_denied=len(self.denied),
            folders_failed=len(self.failed),
            requests=self.requests,
        )

    def add(self, paths: Iterable[str]) -> None:
        new = paths if isinstance(paths, list) else list(paths)
        if self.max_paths is not None and self.count + len(new) > self.max_paths:
            new = new[: max(0, self.max_paths - self.count)]
            self.limit_hit = True
        self.count += len(new)
        if self.collect:
            self.found.extend(new)
        self.pending.extend(new)
        if len(self.pending) >= self.batch_size:
            while len(self.pending) >= self.batch_size:
                chunk, self.pending = self.pending[: self.batch_size], self.pending[self.batch_size :]
                self._emit(chunk)
        elif self.pending and time.monotonic() - self.last_emit >= EMIT_INTERVAL:
            self.flush()

    def flush(self, force: bool = False) -> None:
        if self.pending or force:
            chunk, self.pending = self.pending, []
            self._emit(chunk)

    def _emit(self, chunk: list[str]) -> None:
        self.last_emit = time.monotonic()
        if self.on_batch is not None:
            self.on_batch(IndexBatch(paths=tuple(chunk), progress=self.progress()))


def index_paths(
    gateway: Gateway,
    kind: EngineKind,
    mount: str,
    root: str = "",
    *,
    on_batch: OnBatch | None = None,
    cancel: threading.Event | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    max_paths: int | None = DEFAULT_MAX_PATHS,
    use_scan: bool = True,
    page_size: int = DEFAULT_PAGE_SIZE,
    scan_page_size: int = DEFAULT_SCAN_PAGE_SIZE,
    batch_size: int = DEFAULT_BATCH_SIZE,
    collect: bool = True,
) -> IndexResult:
    """Every secret path under ``root`` in ``mount`` (paths relative to the mount).

    Batches of new paths go to ``on_batch`` (in the calling thread) as they arrive, then a
    last, possibly empty, batch with the final counts. Fatal errors (the token is invalid, the
    server is down or sealed) raise the usual :class:`VaultError`; a folder that answers 403 is
    counted and skipped; any other failure of one folder is counted and makes the result
    partial. ``collect=False`` leaves ``IndexResult.paths`` empty (the caller keeps the batches).
    """
    started = time.monotonic()
    mount = mount.strip("/")
    root = _folder(root)
    cancel = cancel or threading.Event()
    server = gateway.server
    spent = 0  # requests of a refused SCAN
    if not use_scan:
        refused = "SCAN switched off"
    elif not (server and server.supports_scan):
        refused = f"{server.flavor if server else 'this server'} has no SCAN"
    else:
        run = _Run("scan", on_batch, batch_size, collect, max_paths)
        try:
            _scan(gateway, kind, mount, root, run, cancel, scan_page_size)
        except _ScanRefused as why:
            refused, spent = str(why), run.requests
        else:
            return _finish(run, mount, root, kind, cancel, started, "")
    run = _Run("walk", on_batch, batch_size, collect, max_paths)
    run.requests = spent
    _walk(gateway, kind, mount, root, run, cancel, max(1, concurrency), page_size)
    return _finish(run, mount, root, kind, cancel, started, refused)


def _finish(
    run: _Run, mount: str, root: str, kind: EngineKind, cancel: threading.Event, started: float, refused: str
) -> IndexResult:
    cancelled = cancel.is_set() and not run.limit_hit
    partial = False
    reason = ""
    if run.limit_hit:
        partial, reason = True, f"stopped at the limit of {run.max_paths:,} paths"
    elif cancelled:
        partial, reason = True, "cancelled"
    elif run.failed:
        partial = True
        reason = f"{len(run.failed):,} folder{'' if len(run.failed) == 1 else 's'} could not be listed"
    run.flush(force=True)
    return IndexResult(
        mount=mount,
        root=root,
        kind=kind,
        method=run.method,
        progress=run.progress(),
        paths=tuple(run.found),
        denied_folders=tuple(run.denied),
        failed_folders=tuple(run.failed),
        partial=partial,
        reason=reason,
        cancelled=cancelled,
        scan_refused=refused,
        elapsed=time.monotonic() - started,
    )


class _ScanRefused(Exception):
    pass


def _scan(
    gateway: Gateway,
    kind: EngineKind,
    mount: str,
    root: str,
    run: _Run,
    cancel: threading.Event,
    page_size: int,
) -> None:
    """One SCAN (or several, if the server pages it). Raises _ScanRefused to fall back to a walk."""
    where = list_path(kind, mount, root)
    params: dict[str, str] | None = {"limit": str(page_size)}
    first: str | None = None
    after: str | None = None
    while not cancel.is_set():
        if params is not None and after is not None:
            params["after"] = after
        run.requests += 1
        try:
            body = _send(gateway, "SCAN", where, params)
        except _FATAL:
            raise
        except VaultError as error:
            if isinstance(error, PermissionDenied) or error.status in _SCAN_REFUSED:
                if after is None and params is not None and error.status == 400:
                    params = None  # a server that rejects the paging parameters: try once without
                    continue
                if after is None:
                    raise _ScanRefused(f"SCAN refused ({error.status or 'error'}): {error.message}") from None
            raise
        keys = _keys(body, where)
        if after is not None and keys and keys[0] == first:
            break  # the server ignored `after` and started again: we already have everything
        if first is None and keys:
            first = keys[0]
        if cancel.is_set():
            break
        run.listed += 1 if after is None else 0
        run.add([root + key for key in keys] if root else keys)
        if run.limit_hit:
            break
        if params is None or len(keys) < page_size or len(keys) > page_size or _ignored_paging(body):
            break  # one answer held everything (OpenBao 2.x ignores limit/after on SCAN)
        after = keys[-1]


@dataclass
class _Page:
    folder: str
    after: str | None
    keys: list[str] = field(default_factory=list)
    next_after: str | None = None
    error: VaultError | None = None
    sent: bool = True
    ignored_paging: bool = False


def _walk(
    gateway: Gateway,
    kind: EngineKind,
    mount: str,
    root: str,
    run: _Run,
    cancel: threading.Event,
    concurrency: int,
    page_size: int,
) -> None:
    server = gateway.server
    paging = {"on": bool(server and server.supports_paginated_list)}
    results: queue.SimpleQueue[_Page] = queue.SimpleQueue()
    stop = threading.Event()  # set on cancel, on the limit, or on a fatal error
    sent = [run.requests]
    sent_lock = threading.Lock()

    def fetch(folder: str, after: str | None) -> None:
        page = _Page(folder, after)
        try:
            if stop.is_set() or cancel.is_set():
                page.sent = False
                return
            with sent_lock:
                sent[0] += 1
            paginate = paging["on"]
            params: dict[str, str] | None = None
            if paginate:
                params = {"limit": str(page_size)}
                if after is not None:
                    params["after"] = after
            body = _send(gateway, "LIST", list_path(kind, mount, folder), params)
            keys = _keys(body, folder)
            if paginate and _ignored_paging(body):
                paging["on"] = False
                page.ignored_paging = True
            if after is not None and keys and keys[0] <= after:
                keys = []  # the server ignored `after` and sent the first page again
            page.keys = keys
            if paginate and not page.ignored_paging and len(keys) == page_size:
                page.next_after = keys[-1]
        except VaultError as error:
            page.error = error
        except Exception as error:  # noqa: BLE001 - reported to the caller, never lost
            page.error = VaultError(f"listing {folder or '/'} failed: {type(error).__name__}", path=folder)
        finally:
            results.put(page)

    todo: deque[tuple[str, str | None]] = deque([(root, None)])
    in_flight = 0
    fatal: VaultError | None = None
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="vault-index")
    futures: set[Future[None]] = set()
    try:
        while todo or in_flight:
            while todo and in_flight < concurrency and not stop.is_set():
                if cancel.is_set():
                    stop.set()
                    break
                folder, after = todo.popleft()
                future = pool.submit(fetch, folder, after)
                futures.add(future)
                future.add_done_callback(futures.discard)
                in_flight += 1
            if stop.is_set() or cancel.is_set():
                stop.set()
                break
            if not in_flight:
                break
            try:
                page = results.get(timeout=0.05)
            except queue.Empty:
                continue
            in_flight -= 1
            run.requests = sent[0]
            if page.error is not None:
                error = page.error
                if isinstance(error, _FATAL):
                    fatal = error
                    stop.set()
                    break
                (run.denied if isinstance(error, PermissionDenied) else run.failed).append(page.folder)
                continue
            if not page.sent:
                continue
            if page.after is None:
                run.listed += 1
            folder = page.folder
            secrets: list[str] = []
            for key in page.keys:
                if key.endswith("/"):
                    todo.append((folder + key, None))
                else:
                    secrets.append(folder + key)
            if page.next_after is not None:
                todo.appendleft((folder, page.next_after))
            if secrets:
                run.add(secrets)
                if run.limit_hit:
                    stop.set()
                    break
    finally:
        stop.set()
        for future in list(futures):
            future.cancel()
        pool.shutdown(wait=False, cancel_futures=True)
        run.requests = sent[0]
    if fatal is not None:
        raise fatal
