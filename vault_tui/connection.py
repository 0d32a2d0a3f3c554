"""The session's connection: connect, keep the token alive, watch the node, move when it fails.

:class:`ConnectionKeeper` belongs to the app and runs on the event loop, using the worker's
threads for every network call. It posts :class:`~vault_tui.messages.SessionReady`,
:class:`~vault_tui.messages.ConnectFailed`, :class:`~vault_tui.messages.TokenRenewed`,
:class:`~vault_tui.messages.TokenLost` and :class:`~vault_tui.messages.LinkChanged` to the app,
which alone turns them into a new :class:`~vault_tui.session.Session`.

* **Token**: a renewable token is renewed at about two thirds of its TTL; a token that can't
  be renewed any more is reported lost when it runs out.
* **Dead token or denial?** A 403 can mean "your policy forbids this" or "your token was
  revoked" (OpenBao says ``permission denied`` for both). After a 403 the keeper asks
  ``auth/token/lookup-self``, which every live token may call: if that fails too, the token is
  dead and the sign-in screen comes up over the current view.
* **Health**: one cheap ``sys/health`` at a time, every few seconds (never overlapping). When
  the node stops answering, is sealed, or is not the active node any more, the keeper probes
  every configured address and moves to the best one (the active node) by itself.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .messages import ConnectFailed, LinkChanged, SessionReady, TokenLost, TokenRenewed
from .session import Link
from .vault import ha, ha_models
from .vault.errors import NodeNotActive, PermissionDenied, Sealed, TokenInvalid, Unreachable, VaultError
from .vault.gateway import Gateway
from .vault.models import ServerInfo, TokenInfo

if TYPE_CHECKING:
    from textual.app import App

    from .worker import VaultWorker

HEALTH_EVERY = 3.0  # seconds between health polls while healthy
RECOVERY_GAP = 10.0  # seconds between two quiet reloads after a failed call the server then answered
RETRY_BACKOFF = (1.0, 2.0, 3.0, 5.0, 8.0)  # seconds between attempts while the server is away


class ConnectionKeeper:
    def __init__(self, app: App[Any], worker: VaultWorker, addrs: tuple[str, ...] = ()) -> None:
        self.app = app
        self.worker = worker
        self.gateway = worker.gateway
        self.addrs: tuple[str, ...] = addrs or (self.gateway.settings.addr,)
        self.token: TokenInfo | None = None
        self.link = Link.CONNECTING
        self.leader_addr = ""
        self.last_good: float | None = None  # time.monotonic() of the last answer
        self.last_good_at: datetime | None = None
        self._renew_task: asyncio.Task[None] | None = None
        self._health_task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._checking_token = False
        self._suspected = False  # a call failed as if the server were away: recheck, then reload
        self._recovered_at = -RECOVERY_GAP
        self._closed = False
        self.running = False  # the session is up and should be watched
        worker.on_success = self._answered
        worker.on_failure = self._failed

    # -- connect --------------------------------------------------------------------------------
    def connect(self) -> None:
        self.app.run_worker(self._connect(), group="session", exclusive=True, exit_on_error=False)

    async def _connect(self) -> None:
        server = None
        self.gateway.trust_cluster_addrs(self.addrs, replace_all=True)
        try:
            if len(self.addrs) > 1:
                await self._pick_node()
            server = await self.worker.call(Gateway.server_info)
            if server.sealed:
                raise Sealed(f"the server at {server.address} is sealed: unseal it, then retry")
            token = await self.worker.call(Gateway.lookup_self)
        except VaultError as error:
            self.app.post_message(ConnectFailed(error, server))
            return
        self.token = token
        self.running = True
        self.link = Link.STANDBY if server.standby else Link.ACTIVE
        self.app.post_message(SessionReady(server, token))
        self.start_renewal()
        self.start_health()

    async def _pick_node(self) -> ha_models.NodeChoice:
        """Probe every configured address and move to the best node (active, else a standby)."""
        settings = self.gateway.settings
        choice = await self.worker.run_blocking(ha.choose_node, settings, self.addrs)
        if choice.addr is None:
            raise Unreachable(choice.problem or "no node of the cluster answers")
        if choice.addr != self.gateway.settings.addr:
            self.gateway.switch_addr(choice.addr)
        return choice

    def set_addrs(self, addrs: tuple[str, ...]) -> None:
        self.addrs = addrs or (self.gateway.settings.addr,)

    # -- token ----------------------------------------------------------------------------------
    def adopt_token(self, token_value: str, info: TokenInfo) -> None:
        """Use a new token (after sign-in), keeping the server connection settings."""
        self.gateway.set_token(token_value)
        self.token = info
        if self._renew_task is not None:
            self._renew_task.cancel()
            self._renew_task = None
        self.start_renewal()

    def forget_token(self) -> None:
        self.token = None
        if self._renew_task is not None:
            self._renew_task.cancel()
            self._renew_task = None

    def start_renewal(self) -> None:
        if self._renew_task is None or self._renew_task.done():
            self._renew_task = asyncio.create_task(self._renew_loop())

    @staticmethod
    def renew_delay(token: TokenInfo, now: datetime | None = None) -> float | None:
        """Seconds until the token should be renewed (two thirds into its remaining life)."""
        if token.expire_time is None:
            return None
        now = now or datetime.now(UTC)
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
                fresh = await self.worker.call(Gateway.renew_self if token.renewable else Gateway.lookup_self)
            except TokenInvalid as error:
                self._lose_token(error)
                return
            except VaultError:
                await asyncio.sleep(5)
                continue
            if self.token is not token:
                continue
            if not token.renewable or (
                fresh.expire_time and token.expire_time and fresh.expire_time <= token.expire_time
            ):
                # Not renewable, or max TTL reached: wait until it runs out, then report it lost.
                self.token = fresh
                self.app.post_message(TokenRenewed(fresh))
                remaining = (fresh.expire_time - datetime.now(UTC)).total_seconds() if fresh.expire_time else 0
                await asyncio.sleep(max(0.0, remaining))
                if self.token is fresh:
                    self._lose_token(TokenInvalid("the session token reached its maximum TTL and expired"))
                return
            self.token = fresh
            self.app.post_message(TokenRenewed(fresh))

    def _lose_token(self, error: VaultError) -> None:
        if self.token is None:
            return
        self.forget_token()
        self.app.post_message(TokenLost(error))

    # -- call outcomes (from the worker) ----------------------------------------------------------
    def _answered(self) -> None:
        self.last_good = time.monotonic()
        self.last_good_at = datetime.now(UTC)

    def _failed(self, error: VaultError) -> None:
        if isinstance(error, TokenInvalid):
            if self.token is not None and self.running:
                self._lose_token(error)
        elif isinstance(error, PermissionDenied):
            if self.token is not None and self.running and not self._checking_token:
                self._checking_token = True
                self.app.run_worker(self._check_token(), group="token-check", exit_on_error=False)
        elif isinstance(error, (Unreachable, Sealed, NodeNotActive)):
            # Check the node now, not at the next poll. If it answers after all (it was a blip, or
            # it came back before the check), the views that failed are still asked to reload.
            self._suspected = True
            self._wake.set()

    async def _check_token(self) -> None:
        """After a 403: is the token still alive? (lookup-self is allowed to every live token)."""
        try:
            fresh = await self.worker.call(Gateway.lookup_self)
        except TokenInvalid as error:
            self._lose_token(error)
        except VaultError:
            pass  # the server is away: the health watch deals with it
        else:
            if self.token is not None and fresh.accessor == self.token.accessor:
                self.token = fresh
        finally:
            self._checking_token = False

    # -- health ----------------------------------------------------------------------------------
    def start_health(self) -> None:
        if self._health_task is None or self._health_task.done():
            self._health_task = asyncio.create_task(self._health_loop())

    async def _health_loop(self) -> None:
        failures = 0
        while not self._closed and self.running:
            delay = (
                HEALTH_EVERY
                if self.link in (Link.ACTIVE, Link.STANDBY)
                else RETRY_BACKOFF[min(failures, len(RETRY_BACKOFF) - 1)]
            )
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=delay)
            except TimeoutError:
                pass
            if self._closed or not self.running:
                return
            healthy = await self.check_health()
            failures = 0 if healthy else failures + 1

    async def check_health(self) -> bool:
        """One health check of the current node; move to another node if it is not usable.

        With one address, a standby is used as it is (it forwards what it cannot serve). With a
        cluster, vault-tui prefers the active node: a standby, a sealed or a silent node makes it
        probe every configured address and move to the best one.
        """
        current = self.gateway.settings.addr
        health = await self.worker.run_blocking(ha.probe_health, self.gateway.settings, current)
        if health.usable and (health.active or len(self.addrs) < 2):
            await self._settle(current, health)
            return True
        moved_from = ""
        if len(self.addrs) > 1:
            choice = await self.worker.run_blocking(ha.choose_node, self.gateway.settings, self.addrs)
            if choice.addr is not None and choice.health is not None:
                if choice.addr != current:
                    self.gateway.switch_addr(choice.addr)
                    moved_from, current = current, choice.addr
                health = choice.health
                if health.usable:
                    await self._settle(current, health, moved_from)
                    return True
            elif choice.problem:
                health = replace(health, problem=choice.problem)
        link = Link.SEALED if (health.reachable and health.sealed) else Link.UNREACHABLE
        self._set_link(link, current, health, moved_from)
        return False

    async def _settle(self, addr: str, health: ha_models.NodeHealth, moved_from: str = "") -> None:
        """The node at ``addr`` is usable: note it, and read its server info if it is new to us."""
        self._answered()
        link = Link.ACTIVE if health.active else Link.STANDBY
        server = self.gateway.server
        if moved_from or server is None or server.address != addr or link != self.link:
            try:
                server = await self.worker.call(Gateway.server_info)
            except VaultError:
                server = self.gateway.server
        self._set_link(link, addr, health, moved_from, server)

    def _set_link(
        self,
        link: Link,
        addr: str,
        health: ha_models.NodeHealth,
        moved_from: str = "",
        server: ServerInfo | None = None,
    ) -> None:
        changed = link != self.link or bool(moved_from) or health.leader_addr != self.leader_addr
        recovered = self._suspected and link in (Link.ACTIVE, Link.STANDBY)
        if recovered:
            # At most one quiet reload per RECOVERY_GAP: a call that keeps failing while the node's
            # health is fine must not turn into a reload loop.
            now = time.monotonic()
            recovered = now - self._recovered_at >= RECOVERY_GAP
            if recovered:
                self._recovered_at = now
        self._suspected = False
        self.link = link
        self.leader_addr = health.leader_addr or self.leader_addr
        if not changed and not recovered:
            return
        self.app.post_message(
            LinkChanged(
                link=link.value,
                addr=addr,
                leader_addr=health.leader_addr,
                problem=health.problem,
                moved_from=moved_from,
                server=server,
                recovered=recovered,
            )
        )

    # -- shutdown --------------------------------------------------------------------------------
    def stop(self) -> None:
        self.running = False
        for task in (self._renew_task, self._health_task):
            if task is not None:
                task.cancel()
        self._renew_task = self._health_task = None

    def close(self) -> None:
        self._closed = True
        self.stop()
