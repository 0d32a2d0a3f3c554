"""The lease dashboard's refresh, without Textual: what to list, what to look up first, when a
refresh is due, and what changed.

:class:`Refresher` runs one refresh: the LIST walk (``sys/leases/lookup/``, one worker call),
then the TTL look-ups, a few calls in flight, the rows on screen first (small batches, so the
screenful arrives in one round trip), then the rest in display order (larger batches). It talks
to the screen only through :class:`RefreshHooks`, and to Vault only through ``call(fn, *args)``
(``app.worker.call_background`` in the app, ``asyncio.to_thread`` with a gateway in tests).

:class:`RefreshLog` keeps the truth the header shows: when the last refresh that *worked*
finished, whether the last one failed and why, and so whether what is shown is stale. A failed
refresh never reads as "refreshed"; when the server is away (unreachable, sealed, not active)
the table keeps what it showed and the header gives its age. :class:`PollState` decides when the
next automatic refresh runs (never while the view is hidden; backing off while refreshes fail).
"""

from __future__ import annotations

import asyncio
import gc
import math
import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from ...pool import DaemonPool
from ...timefmt import format_ttl
from ...vault import leases as api
from ...vault.errors import NodeNotActive, PermissionDenied, Sealed, Unreachable, VaultError
from ...vault.gateway import Gateway
from ...vault.leases import Lease, LeaseGone
from .model import LeaseStore, LookupQueue, SortKey, plan_lookups

LOOKUP_CONCURRENCY = 4  # the worker's background pool has 4 threads
VISIBLE_BATCH = 10  # at most this many look-ups per call for rows on screen
BACKGROUND_BATCH = 25  # look-ups per call for the rest
PAINT_WAIT = 0.5  # seconds the rest of the look-ups wait at most for the screenful to be painted
MAX_POLL_BACKOFF = 120.0  # seconds: the longest wait between automatic refreshes that fail

# Errors that mean "the server is not answering now", not "this lease has a problem": the
# table keeps what it showed, marked stale, and the app reloads the view when the server is back.
SERVER_AWAY: tuple[type[VaultError], ...] = (Unreachable, Sealed, NodeNotActive)

Call = Callable[..., Awaitable[Any]]


def utcnow() -> datetime:
    return datetime.now(UTC)


def server_away(error: BaseException | None) -> bool:
    return isinstance(error, SERVER_AWAY)


class RefreshHooks(Protocol):
    """What a refresh tells the screen while it runs (all called on the event loop)."""

    def visible(self) -> list[str]:
        """Lease ids of the rows on screen now (they are looked up first)."""
        ...

    def order(self) -> list[str]:
        """Every lease id in the order the table shows them (looked up in that order)."""
        ...

    def looked_up(self, lease: Lease) -> None:
        """A fresh look-up of one lease is in the store."""
        ...

    def failed(self, lease_id: str) -> None:
        """Looking up one lease failed (the error is in the store)."""
        ...

    def gone(self, lease_ids: list[str]) -> None:
        """These leases no longer exist (expired or revoked): removed from the store."""
        ...

    def listed(self, added: set[str], removed: set[str]) -> None:
        """The listing replaced the store's ids (rows to rebuild)."""
        ...

    def screenful(self) -> Awaitable[None] | None:
        """Every row on screen has its TTL (or its error): the rest of the look-ups wait for the
        returned awaitable (the screen painted), at most :data:`PAINT_WAIT` seconds."""
        ...

    def progress(self, pending: int) -> None:
        """Look-ups still to do (called after each batch)."""
        ...


@dataclass(frozen=True)
class RefreshReport:
    """What one refresh did."""

    started: datetime
    finished: datetime
    seconds: float
    forced: bool = False
    listed: bool = False  # the LIST walk answered
    no_sudo: bool = False  # the token may not list leases (a look-up-by-id dashboard)
    added: frozenset[str] = frozenset()
    removed: frozenset[str] = frozenset()  # not listed any more, or gone on look-up
    looked_up: frozenset[str] = frozenset()  # ids a look-up was sent for
    errors: int = 0  # leases whose look-up failed (each shown on its row)
    hidden: tuple[str, ...] = ()  # top-level prefixes this token may not list
    problems: tuple[tuple[str, str], ...] = ()  # (folder, why) listings that failed
    failure: VaultError | None = None  # why the refresh did not complete

    @property
    def ok(self) -> bool:
        return self.failure is None

    @property
    def server_away(self) -> bool:
        return server_away(self.failure)

    def changes(self) -> str:
        """``"3 new, 1 gone"`` (empty when nothing changed)."""
        parts = []
        if self.added:
            parts.append(f"{len(self.added):,} new")
        if self.removed:
            parts.append(f"{len(self.removed):,} gone")
        return ", ".join(parts)


def next_batch(
    queue: LookupQueue,
    on_screen: list[str],
    *,
    concurrency: int = LOOKUP_CONCURRENCY,
    visible_batch: int = VISIBLE_BATCH,
    background_batch: int = BACKGROUND_BATCH,
) -> list[str]:
    """The next look-up call's lease ids: rows on screen first, the screenful split evenly over
    the calls in flight (one round trip through the event loop, not three); then the rest."""
    pending_on_screen = [i for i in on_screen if i in queue]
    if pending_on_screen:
        size = max(1, min(visible_batch, math.ceil(len(on_screen) / concurrency)))
    else:
        size = background_batch
    batch: list[str] = []
    while len(batch) < size:
        lease_id = queue.pop(pending_on_screen)
        if lease_id is None:
            break
        batch.append(lease_id)
    return batch


def lookup_order(display: Iterable[str], ids: Iterable[str]) -> list[str]:
    """Every id in ``ids``: first in display order, then the ones not displayed (collapsed
    groups, filtered out), in listing order."""
    ids = list(ids)
    present = set(ids)
    ordered = [i for i in dict.fromkeys(display) if i in present]
    seen = set(ordered)
    return ordered + [i for i in ids if i not in seen]


@dataclass(frozen=True)
class ViewShape:
    """What the table shows first: how many lines, grouped or flat, in which order."""

    lines: int
    grouped: bool = True
    sort_key: SortKey = SortKey.PREFIX
    filter_text: str = ""
    collapsed: frozenset[str] = frozenset()

    @classmethod
    def of(cls, store: LeaseStore, lines: int) -> ViewShape:
        return cls(lines, store.grouped, store.sort_key, store.filter_text, frozenset(store.collapsed))


def first_screenful(lease_ids: Iterable[str], shape: ViewShape) -> list[str]:
    """The lease ids on the first ``shape.lines`` lines of the table, as it will show them."""
    store = LeaseStore()
    store.grouped, store.sort_key, store.filter_text = shape.grouped, shape.sort_key, shape.filter_text
    store.collapsed = set(shape.collapsed)
    store.set_listing(lease_ids)
    return [row.key for row in store.rows()[: shape.lines] if not row.is_group]


@dataclass(frozen=True)
class FirstLook:
    """A listing and the first screenful of it already looked up: what the raw way does (LIST,
    then the rows on screen, 4 at a time), in one worker call, so opening the view costs no
    round trip through the UI's event loop between the listing and the look-ups."""

    listing: api.LeaseListing
    looked_up: tuple[tuple[str, Lease | VaultError], ...] = ()


_first_pool: DaemonPool | None = None


def list_and_look_up_first(gateway: Gateway, shape: ViewShape) -> FirstLook:
    """Walk every lease, then look up the ones on the first screenful, ``LOOKUP_CONCURRENCY``
    at a time. Raises what the walk raises (PermissionDenied without sudo); look-up failures
    are in the result, one per lease."""
    global _first_pool
    listing = api.list_all_leases(gateway)
    ids = first_screenful(listing.lease_ids, shape)
    if not ids:
        return FirstLook(listing)
    if _first_pool is None:
        _first_pool = DaemonPool(LOOKUP_CONCURRENCY, name="lease-first")
    share = math.ceil(len(ids) / LOOKUP_CONCURRENCY)
    chunks = [ids[i : i + share] for i in range(0, len(ids), share)]
    futures = [_first_pool.submit(api.lookup_many, gateway, chunk) for chunk in chunks]
    out: list[tuple[str, Lease | VaultError]] = []
    for chunk, future in zip(chunks, futures, strict=True):
        out.extend(zip(chunk, future.result(), strict=False))
    return FirstLook(listing, tuple(out))


@dataclass
class _Fill:
    """What the look-ups of one refresh found so far."""

    looked_up: set[str] = field(default_factory=set)
    gone: set[str] = field(default_factory=set)
    errors: int = 0
    stop: VaultError | None = None  # the server went away: no more look-ups


class Refresher:
    """Runs refreshes of a :class:`LeaseStore` (one at a time; see the module docstring)."""

    def __init__(
        self,
        store: LeaseStore,
        call: Call,
        hooks: RefreshHooks,
        *,
        concurrency: int = LOOKUP_CONCURRENCY,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.store = store
        self._call = call
        self.hooks = hooks
        self.concurrency = concurrency
        self._given_clock = clock

    async def run(
        self,
        *,
        force: bool = False,
        keep: Iterable[str] = (),
        listing: Awaitable[api.LeaseListing | FirstLook] | None = None,
    ) -> RefreshReport:
        """List (or await ``listing``, a walk already sent, maybe with the first screenful
        looked up), then look up what needs it.

        ``keep``: ids shown even when not listed (issued this session, looked up by id).
        ``force``: look everything up again, not only unknown and expired leases."""
        started = self._clock()
        out: dict[str, Any] = {"forced": force}
        state = _Fill()
        try:
            result = await (listing if listing is not None else self._call(api.list_all_leases))
        except PermissionDenied:
            out["no_sudo"] = True
        except VaultError as error:
            out["failure"] = error
            if server_away(error):  # nothing else will answer either: keep what is shown
                return self._report(started, out)
        else:
            first = result if isinstance(result, FirstLook) else FirstLook(result)
            found = first.listing
            added, removed = self.store.set_listing(found.lease_ids, keep=keep)
            out.update(
                listed=True,
                added=frozenset(added),
                removed=frozenset(removed),
                hidden=tuple(found.hidden),
                problems=tuple((folder, str(error)) for folder, error in found.problems),
            )
            if added or removed:
                self.hooks.listed(added, removed)
            if first.looked_up:
                self._apply(state, [lease_id for lease_id, _ in first.looked_up], [r for _, r in first.looked_up])
        if state.stop is None:
            pending = plan_lookups(
                lookup_order(self.hooks.order(), self.store.ids), self.store.known, self._clock(), force=force
            )
            await self.fill(LookupQueue(pending), state)
        out["looked_up"] = frozenset(state.looked_up)
        out["removed"] = frozenset(out.get("removed", frozenset()) | state.gone)
        out["errors"] = state.errors
        if state.stop is not None and out.get("failure") is None:
            out["failure"] = state.stop
        return self._report(started, out)

    def _clock(self) -> datetime:
        """The given clock, else this module's ``utcnow`` (looked up at each call)."""
        return self._given_clock() if self._given_clock is not None else utcnow()

    def _report(self, started: datetime, fields: dict[str, Any]) -> RefreshReport:
        finished = self._clock()
        seconds = max(0.0, (finished - started).total_seconds())
        return RefreshReport(started=started, finished=finished, seconds=seconds, **fields)

    def _apply(self, state: _Fill, batch: list[str], results: Iterable[Lease | VaultError]) -> None:
        """Put one batch of look-ups in the store and tell the screen."""
        hooks, store = self.hooks, self.store
        state.looked_up.update(batch)
        gone: list[str] = []
        for lease_id, result in zip(batch, results, strict=False):
            if isinstance(result, LeaseGone):
                store.remove(lease_id)
                gone.append(lease_id)
            elif isinstance(result, SERVER_AWAY):
                if state.stop is None:
                    state.stop = result
            elif isinstance(result, VaultError):
                store.set_error(lease_id, str(result))
                state.errors += 1
                hooks.failed(lease_id)
            else:
                store.update(result)
                hooks.looked_up(result)
        if gone:
            state.gone.update(gone)
            hooks.gone(gone)

    async def fill(self, queue: LookupQueue, state: _Fill | None = None) -> _Fill:
        """Look up what is queued, ``concurrency`` calls in flight. A look-up that finds the
        server away stops every call, and the leases it did not reach keep what they showed."""
        state = state if state is not None else _Fill()
        hooks = self.hooks
        in_flight: set[str] = set()
        # The screenful first, on its own: the rest waits until the rows on screen are painted,
        # so the threads' replies do not compete with that paint for the event loop and the GIL.
        painted = asyncio.Event()
        screenful_started = False
        hooks.progress(len(queue))

        async def screenful() -> None:
            shown = hooks.screenful()
            if shown is not None:
                await asyncio.wait([asyncio.ensure_future(shown)], timeout=PAINT_WAIT)
            painted.set()

        async def one_caller() -> None:
            nonlocal screenful_started
            while state.stop is None:
                on_screen = hooks.visible()
                if not painted.is_set() and not any(i in queue for i in on_screen):
                    if not screenful_started and not any(i in in_flight for i in on_screen):
                        screenful_started = True
                        await screenful()
                    else:
                        await painted.wait()
                    continue
                batch = next_batch(queue, on_screen, concurrency=self.concurrency)
                if not batch:
                    return
                in_flight.update(batch)
                try:
                    results = await self._call(api.lookup_many, batch)
                except VaultError as error:
                    results = tuple(error for _ in batch)
                finally:
                    in_flight.difference_update(batch)
                self._apply(state, batch, results)
                if state.stop is not None:
                    painted.set()  # nobody waits for a screenful that will not come
                hooks.progress(len(queue))

        await asyncio.gather(*(one_caller() for _ in range(self.concurrency)))
        if not screenful_started and state.stop is None:
            await screenful()
        return state


class GcPause:
    """Holds off Python's cyclic garbage collector for one short burst: the view opening.

    Opening the view builds its widgets while 5,000 ids arrive; the allocations trigger a full
    (generation 2) collection, which walks every object of the app: 100-150 ms with the event
    loop stopped, just before the first rows can be painted. Paused until the first screenful
    is on screen (or ``limit`` seconds at most), the collection runs afterwards instead."""

    def __init__(self, limit: float = 3.0) -> None:
        self.paused_at: float | None = None
        self.limit = limit
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self.paused_at is None and gc.isenabled():
                gc.disable()
                self.paused_at = time.monotonic()
                # Never left paused: a screen built but never shown (or torn down mid-opening)
                # would otherwise leave the whole process without cyclic collection.
                self._timer = threading.Timer(self.limit, self.end)
                self._timer.daemon = True
                self._timer.start()

    def end(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self.paused_at is not None:
                self.paused_at = None
                gc.enable()


@dataclass
class RefreshLog:
    """The refreshes so far, as the header tells them."""

    last: RefreshReport | None = None
    last_good: RefreshReport | None = None  # the last refresh that completed
    failures: int = 0  # failed refreshes in a row
    running: bool = False
    pending: int = 0  # look-ups still to do in the running refresh
    count: int = 0  # refreshes finished (worked or not)

    def record(self, report: RefreshReport) -> None:
        self.last = report
        self.count += 1
        self.running = False
        self.pending = 0
        if report.ok:
            self.last_good = report
            self.failures = 0
        else:
            self.failures += 1

    def stale(self, session_stale: bool = False) -> bool:
        """What is shown may be out of date: the server is away (says the app's session, or
        the last refresh found it so)."""
        return session_stale or (self.last is not None and self.last.server_away)

    def age(self, now: datetime, session_last_good: datetime | None = None) -> float | None:
        """Seconds since the data shown was last read from the server."""
        when = self.last_good.finished if self.last_good is not None else None
        if when is None:
            when = session_last_good
        if when is None:
            return None
        return max(0.0, (now - when).total_seconds())

    def poll_delay(self, interval: float) -> float | None:
        """Seconds until the next automatic refresh (None: polling is off). Backs off, doubling,
        while refreshes fail; the app reloads the view when the server is back anyway."""
        if interval <= 0:
            return None
        if not self.failures:
            return interval
        return min(interval * 2 ** min(self.failures, 8), max(interval, MAX_POLL_BACKOFF))

    def describe(
        self, now: datetime, *, session_stale: bool = False, session_last_good: datetime | None = None
    ) -> list[tuple[str, str]]:
        """The refresh part of the status line, as (text, style) pieces. Never "refreshed" for a
        refresh that failed."""
        parts: list[tuple[str, str]] = []
        if self.running:
            parts.append((f"refreshing… {self.pending:,} to look up", "cyan"))
        stale = self.stale(session_stale)
        if stale:
            age = self.age(now, session_last_good)
            since = f"last good {format_ttl(age, none='never')} ago" if age is not None else "no good refresh yet"
            parts.append((f"STALE: {since}", "bold yellow"))
        last = self.last
        if self.running or last is None:
            return parts
        if last.ok:
            text = f"refreshed {clock_time(last.finished)} ({last.seconds:.1f}s)"
            changes = last.changes()
            if changes and self.count > 1:
                text += f": {changes}"
            parts.append((text, "dim"))
            if last.errors:
                parts.append((f"{last.errors:,} look-up(s) failed", "yellow"))
        else:
            why = "server away" if last.server_away else "failed"
            parts.append((f"refresh {why} {clock_time(last.finished)}: {last.failure}", "bold red"))
            if not stale and self.last_good is not None:
                parts.append((f"last good {clock_time(self.last_good.finished)}", "dim"))
        return parts


def clock_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%H:%M:%S")


@dataclass
class PollState:
    """When the next automatic refresh runs: a due poll waits while the view is hidden (another
    view, or a dialog over it) and runs when it shows again."""

    waiting: bool = False

    def due(self, showing: bool) -> bool:
        """The poll timer fired: run now?"""
        if not showing:
            self.waiting = True
            return False
        self.waiting = False
        return True

    def resumed(self) -> bool:
        """The view shows again: run the poll that waited?"""
        waiting, self.waiting = self.waiting, False
        return waiting


@dataclass(frozen=True)
class Scope:
    """Whose leases the store holds: a reload within the same scope keeps the rows until the new
    listing arrives (recovery); a new namespace or profile starts from nothing."""

    namespace: str | None = None
    profile: str | None = None
    addrs: tuple[str, ...] = field(default_factory=tuple)
