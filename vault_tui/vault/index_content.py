"""Opt-in key/value search over KV secrets: :func:`index_secret_contents`.

It reads secrets (bounded concurrency) and yields, per secret and version, the names of the keys
whose name or value matched. Values never leave the reading thread and nothing holds them after a
secret has been checked. The path index it searches is built by :mod:`vault_tui.vault.index`.
"""

from __future__ import annotations

import json
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

from .errors import (
    NotFound,
    PermissionDenied,
    TokenInvalid,
    VaultError,
)
from .gateway import Gateway
from .index import _FATAL, _send
from .models import EngineKind

# -- key / value search ---------------------------------------------------------------------


@dataclass(frozen=True)
class ContentMatch:
    """One secret version whose key names or values matched. Never holds a value."""

    path: str
    version: int | None  # None on KV v1
    key_hits: tuple[str, ...] = ()  # keys whose NAME matched
    value_hits: tuple[str, ...] = ()  # keys whose VALUE matched (the value itself is not kept)

    @property
    def keys(self) -> tuple[str, ...]:
        """Every matching key name, name matches first."""
        return tuple(dict.fromkeys(self.key_hits + self.value_hits))

    @property
    def in_key(self) -> bool:
        return bool(self.key_hits)

    @property
    def in_value(self) -> bool:
        return bool(self.value_hits)


@dataclass(frozen=True)
class ContentProgress:
    total: int
    read: int = 0  # secrets done (read, denied or failed)
    matched: int = 0  # ContentMatch items yielded
    denied: int = 0
    failed: int = 0
    requests: int = 0
    done: bool = False
    cancelled: bool = False


Versions = Literal["latest", "all"]


def _matcher(match: str | Callable[[str], bool]) -> Callable[[str], bool]:
    if callable(match):
        return match
    needle = match.casefold()
    if not needle:
        raise ValueError("an empty search would match every key")
    return lambda text: needle in text.casefold()


def _check(data: Any, test: Callable[[str], bool]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(key names that matched, key names whose value matched). Values are not kept."""
    if not isinstance(data, dict):
        return (), ()
    names: list[str] = []
    values: list[str] = []
    for key, value in data.items():
        name = str(key)
        if test(name):
            names.append(name)
        text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
        if test(text):
            values.append(name)
        del text
    return tuple(names), tuple(values)


def _read_one(
    gateway: Gateway,
    kind: EngineKind,
    mount: str,
    path: str,
    versions: Versions,
    test: Callable[[str], bool],
    stop: Callable[[], bool],
) -> tuple[list[ContentMatch], int, bool]:
    """(matches, requests sent, denied). Raises VaultError for other failures."""
    matches: list[ContentMatch] = []
    sent = 0
    try:
        if kind is not EngineKind.KV2:
            sent += 1
            body = _send(gateway, "GET", f"{mount}/{path}")
            names, values = _check((body or {}).get("data"), test)
            del body
            if names or values:
                matches.append(ContentMatch(path=path, version=None, key_hits=names, value_hits=values))
            return matches, sent, False
        numbers: list[int | None] = [None]
        if versions == "all":
            sent += 1
            meta = gateway.data(_send(gateway, "GET", f"{mount}/metadata/{path}"), path)
            listed = meta.get("versions") if isinstance(meta.get("versions"), dict) else {}
            numbers = []
            for number, info in (listed or {}).items():
                info = info if isinstance(info, dict) else {}
                if info.get("destroyed") or info.get("deletion_time"):
                    continue  # no data to read: destroyed, or soft-deleted (the server returns none)
                try:
                    numbers.append(int(number))
                except (TypeError, ValueError):
                    continue
            numbers.sort(reverse=True)
        for number in numbers:
            if stop():
                break
            sent += 1
            params = {"version": str(number)} if number is not None else None
            try:
                body = _send(gateway, "GET", f"{mount}/data/{path}", params)
            except NotFound:
                body = None
            data = (body or {}).get("data")
            payload = data.get("data") if isinstance(data, dict) else None
            meta_v = data.get("metadata") if isinstance(data, dict) else None
            version = number
            if version is None and isinstance(meta_v, dict):
                try:
                    version = int(meta_v.get("version") or 0) or None
                except (TypeError, ValueError):
                    version = None
            names, values = _check(payload, test)
            del body, data, payload
            if names or values:
                matches.append(ContentMatch(path=path, version=version, key_hits=names, value_hits=values))
    except PermissionDenied as error:
        if isinstance(error, TokenInvalid):
            raise
        return matches, sent, True
    return matches, sent, False


def index_secret_contents(
    gateway: Gateway,
    mount: str,
    paths: Iterable[str],
    *,
    match: str | Callable[[str], bool],
    kind: EngineKind = EngineKind.KV2,
    versions: Versions = "latest",
    cancel: threading.Event | None = None,
    concurrency: int = 8,
    on_progress: Callable[[ContentProgress], None] | None = None,
) -> Iterator[ContentMatch]:
    """Read each secret and yield the versions whose key names or values match ``match``.

    ``match`` is a case-insensitive substring or a predicate on text. ``versions="all"`` reads
    the metadata, then every version that is neither destroyed nor deleted (newest first).
    At most ``concurrency`` reads are in flight; ``cancel`` (or closing the generator) stops
    sending. A secret the token may not read is counted as denied. ``on_progress`` is called
    in the consuming thread after each secret and once more at the end (``done=True``).
    """
    test = _matcher(match)
    mount = mount.strip("/")
    todo = deque(p.strip("/") for p in paths)
    total = len(todo)
    cancel = cancel or threading.Event()
    stop = threading.Event()
    results: queue.SimpleQueue[tuple[list[ContentMatch], int, bool, VaultError | None]] = queue.SimpleQueue()
    counts = {"read": 0, "matched": 0, "denied": 0, "failed": 0, "requests": 0}

    def halted() -> bool:
        return stop.is_set() or cancel.is_set()

    def task(path: str) -> None:
        if halted():
            results.put(([], 0, False, None))
            return
        try:
            found, sent, denied = _read_one(gateway, kind, mount, path, versions, test, halted)
            results.put((found, sent, denied, None))
        except VaultError as error:
            results.put(([], 1, False, error))
        except Exception as error:  # noqa: BLE001 - reported, never lost
            results.put(([], 1, False, VaultError(f"reading {path} failed: {type(error).__name__}", path=path)))

    def progress(done: bool = False) -> None:
        if on_progress is not None:
            on_progress(ContentProgress(total=total, done=done, cancelled=cancel.is_set(), **counts))

    pool = ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="vault-content")
    in_flight = 0
    fatal: VaultError | None = None
    try:
        while todo or in_flight:
            while todo and in_flight < max(1, concurrency) and not halted():
                pool.submit(task, todo.popleft())
                in_flight += 1
            if halted() or not in_flight:
                break
            try:
                found, sent, denied, error = results.get(timeout=0.05)
            except queue.Empty:
                continue
            in_flight -= 1
            counts["read"] += 1
            counts["requests"] += sent
            if denied:
                counts["denied"] += 1
            if error is not None:
                if isinstance(error, _FATAL):
                    fatal = error
                    break
                counts["failed"] += 1
            for item in found:
                counts["matched"] += 1
                yield item
            progress()
    finally:
        stop.set()
        pool.shutdown(wait=False, cancel_futures=True)
    if fatal is not None:
        raise fatal
    progress(done=True)
