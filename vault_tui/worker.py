"""The background Vault worker: the one way the UI talks to Vault.

One :class:`VaultWorker` per app (``app.worker``) owns the
:class:`~vault_tui.vault.gateway.Gateway` (and so every hvac client) and runs every network call
in its pools of daemon threads. Widgets never call hvac. There are two ways in:

* ``worker.submit(Call(fn, *args), to=widget, done=..., failed=..., key=...)`` — fire and post:
  the call runs in a thread and its outcome is posted to ``to`` as a message. With ``key``, a
  newer request with the same key makes the older one stale, and a stale reply is dropped.
  ``worker.submit_pages`` is the same for a call that yields pages (folder listings).
* ``await worker.call(fn, *args)`` — inside an ``async`` Textual worker, for flows that need
  the result in hand (raises :class:`~vault_tui.vault.errors.VaultError`).

``fn`` is always a Vault-layer function whose first parameter is the gateway; ``Call`` and
``call`` are typed with :class:`~typing.ParamSpec`, so mypy checks the arguments.

Calls run in a small *interactive* pool (what the user just asked for) or a bounded
*background* pool (bulk work such as lease TTL look-ups), so bulk work never queues ahead of a
key press. The pools' threads are daemons: quitting never waits for a call that hangs.

The session side (connecting, keeping the token alive, watching the node's health, moving to
another node of a cluster) lives in :mod:`vault_tui.connection`, which uses this worker.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar

from textual.app import App
from textual.dom import DOMNode
from textual.message import Message
from textual.message_pump import MessagePump

from .messages import VaultFailed
from .pool import DaemonPool
from .recording import describe
from .trail import Action, Trail
from .vault.errors import Unreachable, VaultError, map_exception
from .vault.gateway import Gateway

P = ParamSpec("P")
T = TypeVar("T")
Page = TypeVar("Page")


def deliver(target: MessagePump, message: Message) -> bool:
    """Post a reply, unless its target has left the DOM (a screen closed, a widget removed).

    A reply for a widget that is gone has nobody to tell; posting it anyway would run a handler
    whose children no longer exist. (Replies that arrive before a screen has composed are safe:
    Textual holds a node's messages until its compose and mount have run.)
    """
    if isinstance(target, DOMNode) and not isinstance(target, App) and not target.is_attached:
        return False
    return target.post_message(message)


class Call(Generic[T]):
    """A Vault-layer call waiting to run: ``Call(kv.read_metadata, "secret/", "app/db")``."""

    __slots__ = ("fn", "args", "kwargs", "name")

    def __init__(self, fn: Callable[Concatenate[Gateway, P], T], /, *args: P.args, **kwargs: P.kwargs) -> None:
        self.fn: Callable[..., T] = fn
        self.args = args
        self.kwargs = kwargs
        self.name = getattr(fn, "__name__", "vault")

    def run(self, gateway: Gateway) -> T:
        return self.fn(gateway, *self.args, **self.kwargs)

    def __repr__(self) -> str:  # never the arguments: they may hold secrets
        return f"Call({self.name})"


@dataclass(frozen=True)
class Ticket:
    """What :meth:`VaultWorker.submit` returns: the request number and its key."""

    number: int
    key: str | None


class VaultWorker:
    """Runs Vault calls off the event loop and posts typed messages back."""

    def __init__(
        self,
        app: App[Any],
        gateway: Gateway,
        *,
        interactive_threads: int = 3,
        background_threads: int = 4,
    ) -> None:
        self.app = app
        self.gateway = gateway
        self._interactive = DaemonPool(interactive_threads, "vault-ui")
        self._background = DaemonPool(background_threads, "vault-bg")
        self._tickets = itertools.count(1)
        self._latest: dict[str, int] = {}
        self.requests_sent = 0  # for tests and benchmarks
        self.on_success: Callable[[], None] | None = None  # the connection watcher's "server answered"
        self.on_failure: Callable[[VaultError], None] | None = None  # … and "it failed like this"
        # The operator's trail: every call that changes something is recorded (recording.py).
        self.trail: Trail | None = None
        self.where: Callable[[], tuple[str | None, str, str | None]] = lambda: (None, gateway.settings.addr, None)
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    # -- awaiting a result ----------------------------------------------------------------------
    async def call(self, fn: Callable[Concatenate[Gateway, P], T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn(gateway, *args, **kwargs)`` in the interactive pool and return its result."""
        return await self._call(Call(fn, *args, **kwargs), background=False)

    async def call_background(
        self, fn: Callable[Concatenate[Gateway, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Like :meth:`call`, in the bounded background pool (bulk work)."""
        return await self._call(Call(fn, *args, **kwargs), background=True)

    async def run_blocking(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a blocking non-Vault call (keyring, config file) in a daemon thread."""
        if self._closed:
            raise Unreachable("the app is shutting down")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._interactive, functools.partial(fn, *args, **kwargs))

    async def _call(self, call: Call[T], *, background: bool) -> T:
        if self._closed:
            raise Unreachable("the app is shutting down")
        pool = self._background if background else self._interactive
        loop = asyncio.get_running_loop()
        self.requests_sent += 1
        run: Callable[[Gateway], T] = call.run
        change = describe(call.fn, call.args, call.kwargs) if self.trail is not None else None
        if change is not None:
            run = functools.partial(self._run_recorded, call, change, self.where())
        try:
            result = await loop.run_in_executor(pool, run, self.gateway)
        except VaultError as error:
            self._report_failure(error)
            raise
        except Exception as exc:  # noqa: BLE001 - everything from a call becomes a VaultError
            mapped = map_exception(exc)
            self._report_failure(mapped)
            raise mapped from None
        if self.on_success is not None:
            self.on_success()
        return result

    def _run_recorded(
        self,
        call: Call[T],
        change: tuple[Action, str, list[int]],
        where: tuple[str | None, str, str | None],
        gateway: Gateway,
    ) -> T:
        """Run a call that changes something, then append it to the trail (in this thread)."""
        action, target, versions = change
        profile, server, namespace = where
        outcome: BaseException | None = None
        try:
            return call.run(gateway)
        except BaseException as error:
            outcome = error if isinstance(error, VaultError) else map_exception(error)
            raise
        finally:
            if self.trail is not None:
                self.trail.record(
                    action, target, outcome, profile=profile, server=server, namespace=namespace, versions=versions
                )

    def _report_failure(self, error: VaultError) -> None:
        if self.on_failure is not None:
            self.on_failure(error)

    def noticed(self, error: VaultError) -> None:
        """A view met ``error`` inside a call that returned normally (a partial result, a refresh
        that reports its failure as data): tell the connection watcher as if the call had failed,
        so that a server that went away is noticed now and its return reloads the views."""
        self._report_failure(error)

    # -- fire and post --------------------------------------------------------------------------
    def submit(
        self,
        call: Call[T],
        *,
        to: MessagePump | None = None,
        done: Callable[[T], Message | None] | None = None,
        failed: Callable[[VaultError], Message | None] | None = None,
        action: str = "",
        key: str | None = None,
        background: bool = False,
        group: str = "vault",
    ) -> Ticket:
        """Run ``call`` in a thread and post the outcome to ``to`` (default: the app).

        ``done(result)`` builds the success message; ``failed(error)`` the failure one
        (default: :class:`~vault_tui.messages.VaultFailed`). With ``key``, only the newest
        request's reply is posted.
        """
        ticket = self._ticket(key)
        target = to or self.app

        async def run() -> None:
            error: VaultError | None = None
            result: Any = None
            try:
                result = await self._call(call, background=background)
            except VaultError as caught:
                error = caught
            if not self.is_current(ticket):
                return  # a newer request with the same key owns the answer
            message: Message | None
            if error is not None:
                message = failed(error) if failed else VaultFailed(error, action, key)
            else:
                message = done(result) if done else None
            if message is not None:
                deliver(target, message)

        self._start(run(), group, action or call.name)
        return ticket

    def submit_pages(
        self,
        call: Call[Iterable[Page]],
        *,
        to: MessagePump,
        page: Callable[[Page, bool], Message],
        done: Callable[[int], Message | None],
        failed: Callable[[VaultError], Message | None],
        action: str = "",
        key: str | None = None,
    ) -> Ticket:
        """Run a call that yields pages; post ``page(item, first)`` for each as it arrives.

        When the request goes stale (a newer one with the same key) the thread stops fetching
        more pages. ``done(count)`` follows the last page.
        """
        ticket = self._ticket(key)

        def fetch(gateway: Gateway) -> int:
            count = 0
            for item in call.run(gateway):
                if not self.is_current(ticket):
                    break
                deliver(to, page(item, count == 0))
                count += 1
            return count

        paged: Call[int] = Call(fetch)
        paged.name = call.name

        async def run() -> None:
            try:
                count = await self._call(paged, background=False)
            except VaultError as error:
                if self.is_current(ticket):
                    message = failed(error)
                    if message is not None:
                        deliver(to, message)
                return
            if self.is_current(ticket):
                message = done(count)
                if message is not None:
                    deliver(to, message)

        self._start(run(), "vault", action or call.name)
        return ticket

    def _ticket(self, key: str | None) -> Ticket:
        number = next(self._tickets)
        if key is not None:
            self._latest[key] = number
        return Ticket(number, key)

    def _start(self, coroutine: Any, group: str, name: str) -> None:
        if self._closed:
            coroutine.close()
            return
        self.app.run_worker(coroutine, group=group, exit_on_error=False, name=name, description=name)

    def is_current(self, ticket: Ticket) -> bool:
        return ticket.key is None or self._latest.get(ticket.key) == ticket.number

    def cancel_key(self, key: str) -> None:
        """Make any in-flight reply for ``key`` stale."""
        self._latest[key] = next(self._tickets)

    def close(self) -> None:
        self._closed = True
        self._interactive.shutdown(cancel_futures=True)
        self._background.shutdown(cancel_futures=True)
