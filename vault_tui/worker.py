"""The background Vault worker.

One :class:`VaultWorker` per app owns the :class:`~vault_tui.vault.gateway.Gateway` (and so every
hvac client), runs every network call in its thread pools, and turns results into Textual
messages posted to whoever asked. Widgets never call hvac.

* Calls run in a small *interactive* pool (what the user just asked for) or a bounded
  *background* pool (bulk work such as lease TTL look-ups), so bulk work never queues ahead of
  a click. hvac clients are per thread (see ``Gateway.client``).
* A request can carry a ``key``: a newer request with the same key makes the older one stale,
  and a stale reply is dropped, never posted. This is what keeps a slow answer for a node the
  user has left from overwriting the one they are looking at.
* It keeps the session token alive: it renews a renewable token at about two thirds of its
  TTL and posts :class:`TokenRenewed`, or :class:`TokenLost` when it can't.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from textual.message import Message
from textual.message_pump import MessagePump

from .messages import ConnectFailed, SessionReady, TokenLost, TokenRenewed, VaultFailed
from .vault.errors import TokenInvalid, Unreachable, VaultError, map_exception
from .vault.gateway import Gateway
from .vault.models import TokenInfo

if TYPE_CHECKING:
    from textual.app import App

T = TypeVar("T")


class VaultWorker:
    def __init__(
        self,
        app: "App[Any]",
        gateway: Gateway,
        *,
        interactive_threads: int = 3,
        background_threads: int = 4,
    ) -> None:
        self.app = app
        self.gateway = gateway
        self._interactive = ThreadPoolExecutor(interactive_threads, thread_name_prefix="vault-ui")
        self._background = ThreadPoolExecutor(background_threads, thread_name_prefix="vault-bg")
        self._tickets = itertools.count(1)
        self._latest: dict[str, int] = {}
        self._renew_task: asyncio.Task[None] | None = None
        self.token: TokenInfo | None = None
        self.requests_sent = 0  # for tests and the status bar
        self._closed = False

    # -- generic request ----------------------------------------------------------------------
    def submit(
        self,
        fn: Callable[..., T],
        *args: Any,
        to: MessagePump | None = None,
        done: Callable[[T], Message | None] | None = None,
        failed: Callable[[VaultError], Message | None] | None = None,
        action: str = "",
        key: str | None = None,
        background: bool = False,
        group: str = "vault",
    ) -> int:
        """Run ``fn(gateway, *args)`` in a worker thread and post the outcome to ``to``.

        ``done(result)`` builds the success message; ``failed(error)`` the failure one
        (default: :class:`VaultFailed`). With ``key``, only the newest request's reply is posted.
        Returns the request's ticket number.
        """
        ticket = next(self._tickets)
        if key is not None:
            self._latest[key] = ticket
        target = to or self.app
        self.app.run_worker(
            self._run(ticket, fn, args, target, done, failed, action, key, background),
            group=group,
            exit_on_error=False,
            name=action or getattr(fn, "__name__", "vault"),
            description=action,
        )
        return ticket

    def is_current(self, key: str, ticket: int) -> bool:
        return self._latest.get(key) == ticket

    def cancel_key(self, key: str) -> None:
        """Make any in-flight reply for ``key`` stale."""
        self._latest[key] = next(self._tickets)

    async def call(self, fn: Callable[..., T], *args: Any, background: bool = False) -> T:
        """Await ``fn(gateway, *args)`` from async code (raises :class:`VaultError`)."""
        if self._closed:
            raise Unreachable("the app is shutting down")
        pool = self._background if background else self._interactive
        loop = asyncio.get_running_loop()
        self.requests_sent += 1
        try:
            return await loop.run_in_executor(pool, functools.partial(fn, self.gateway, *args))
        except VaultError:
            raise
        except Exception as exc:  # noqa: BLE001 - everything from a call becomes a VaultError
            raise map_exception(exc) from None

    async def _run(
        self,
        ticket: int,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        target: MessagePump,
        done: Callable[[Any], Message | None] | None,
        failed: Callable[[VaultError], Message | None] | None,
        action: str,
        key: str | None,
        background: bool,
    ) -> None:
        error: VaultError | None = None
        try:
            result = await self.call(fn, *args, background=background)
        except VaultError as caught:
            error = caught
        if key is not None and not self.is_current(key, ticket):
            return  # a newer request with the same key owns the answer
        message: Message | None
        if error is not None:
            if isinstance(error, TokenInvalid) and self.token is not None:
                self.app.post_message(TokenLost(error))
            message = failed(error) if failed else VaultFailed(error, action, key)
        else:
            message = done(result) if done else None
        if message is not None:
            target.post_message(message)

    # -- session ------------------------------------------------------------------------------
    def connect(self) -> None:
        """Detect the server, check the token, then post SessionReady or ConnectFailed."""
        self.app.run_worker(self._connect(), group="session", exclusive=True, exit_on_error=False)

    async def _connect(self) -> None:
        server = None
        try:
            server = await self.call(Gateway.server_info)
            if server.sealed:
                from .vault.errors import Sealed

                raise Sealed(f"the server at {server.address} is sealed: unseal it, then retry")
            token = await self.call(Gateway.lookup_self)
        except VaultError as error:
            self.app.post_message(ConnectFailed(error, server))
            return
        self.token = token
        self.app.post_message(SessionReady(server, token))
        self.start_renewal()

    def start_renewal(self) -> None:
        if self._renew_task is None or self._renew_task.done():
            self._renew_task = asyncio.create_task(self._renew_loop())

    def renew_delay(self, token: TokenInfo, now: datetime | None = None) -> float | None:
        """Seconds until the token should be renewed (two thirds into its remaining life)."""
        if token.expire_time is None:
            return None
        now = now or datetime.now(timezone.utc)
        remaining = (token.expire_time - now).total_seconds()
        if remaining <= 0:
            return 0.0
        return max(1.0, remaining * 2 / 3) if remaining > 3 else 0.0

    async def _renew_loop(self) -> None:
        while not self._closed:
            token = self.token
            if token is None or token.expire_time is None:
                return
            delay = self.renew_delay(token)
            if delay is None:
                return
            await asyncio.sleep(delay)
            if self.token is not token:
                continue  # a new session replaced it
            try:
                if token.renewable:
                    fresh = await self.call(Gateway.renew_self)
                else:
                    fresh = await self.call(Gateway.lookup_self)
            except TokenInvalid as error:
                self.token = None
                self.app.post_message(TokenLost(error))
                return
            except VaultError:
                await asyncio.sleep(5)
                continue
            if not token.renewable or (
                fresh.expire_time and token.expire_time and fresh.expire_time <= token.expire_time
            ):
                # Not renewable, or max TTL reached: wait until it runs out, then report it lost.
                remaining = (
                    (fresh.expire_time - datetime.now(timezone.utc)).total_seconds()
                    if fresh.expire_time
                    else 0
                )
                self.token = fresh
                self.app.post_message(TokenRenewed(fresh))
                await asyncio.sleep(max(0.0, remaining))
                if self.token is fresh:
                    self.token = None
                    self.app.post_message(
                        TokenLost(TokenInvalid("the session token reached its maximum TTL and expired"))
                    )
                return
            self.token = fresh
            self.app.post_message(TokenRenewed(fresh))

    def adopt_token(self, token_value: str, info: TokenInfo) -> None:
        """Use a new token (after sign-in), keeping the server connection settings."""
        self.gateway.set_token(token_value)
        self.token = info
        if self._renew_task is not None:
            self._renew_task.cancel()
            self._renew_task = None
        self.start_renewal()

    def close(self) -> None:
        self._closed = True
        if self._renew_task is not None:
            self._renew_task.cancel()
        self._interactive.shutdown(wait=False, cancel_futures=True)
        self._background.shutdown(wait=False, cancel_futures=True)
