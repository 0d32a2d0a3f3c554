"""What the lease dashboard does to leases: renew, revoke, revoke a prefix, generate
credentials, keep alive, reveal and copy credentials, look up by id, and the revoke-on-quit guard.

:class:`LeaseActions` is the base of :class:`~vault_tui.views.leases.screen.LeasesScreen`, which
adds the layout, the refresh and the status line. Every Vault call goes through the app's worker;
every reply is a message whose handler copes with arriving before the screen is composed or after
it is gone (:func:`~vault_tui.views.leases.guard.when_composed`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from rich.text import Text
from textual import on, work
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input

from ...context import vault_app
from ...safe import visible
from ...screens.modals import ConfirmScreen, TypedConfirmScreen
from ...vault import leases as api
from ...vault.errors import PermissionDenied, VaultError
from ...vault.gateway import Gateway
from ...vault.leases import IssuedCredentials, Lease, LeaseGone, RenewResult, RevokeResult
from ...worker import Call
from .dialogs import GenerateCredsScreen, QuitLeasesScreen, RenewDialog, RevokeFailedScreen
from .guard import composed, when_composed
from .model import KeepAlive, KeepAliveEvent, LeaseStore, format_time
from .side import LeaseSide
from .table import LeaseTable


def _revoke_prefix(gateway: Gateway, prefix: str, force: bool) -> RevokeResult:
    return api.revoke_prefix(gateway, prefix, force=force)


class LeaseActions(Screen[None]):
    """Lease actions and their replies (the base of the lease screen)."""

    store: LeaseStore
    tracked: set[str]
    can_list: bool | None
    _table: LeaseTable | None = None
    _side: LeaseSide | None = None

    # -- messages ---------------------------------------------------------------------------
    @dataclass
    class Renewed(Message):
        result: RenewResult

    @dataclass
    class Revoked(Message):
        lease_id: str
        result: RevokeResult

    @dataclass
    class PrefixRevoked(Message):
        result: RevokeResult

    @dataclass
    class LookedUp(Message):
        lease: Lease
        by_hand: bool = False

    @dataclass
    class CredsIssued(Message):
        creds: IssuedCredentials

    @dataclass
    class LeaseFailed(Message):
        lease_id: str
        action: str
        error: VaultError

    @dataclass
    class KeepAliveReport(Message):
        event: KeepAliveEvent

    def init_actions(self) -> None:
        self.issued: dict[str, IssuedCredentials] = {}  # this session's credentials, by lease id
        self.revealed: str | None = None  # the lease whose credentials are shown in clear
        self.keepalive = KeepAlive(self._keepalive_call, self._keepalive_report)

    # -- provided by the screen ---------------------------------------------------------------
    @property
    def table(self) -> LeaseTable:
        return self._table if self._table is not None else self.query_one(LeaseTable)

    @property
    def side(self) -> LeaseSide:
        return self._side if self._side is not None else self.query_one(LeaseSide)

    @property
    def read_only(self) -> bool:
        return bool(vault_app(self).config.read_only)

    def note(self, line: str, severity: str = "information") -> None:
        raise NotImplementedError

    def show_detail(self) -> None:
        raise NotImplementedError

    def update_status(self) -> None:
        raise NotImplementedError

    def drop_lease(self, lease_id: str, *, rebuild: bool = True) -> None:
        raise NotImplementedError

    # -- helpers ------------------------------------------------------------------------------
    def _targets(self) -> list[str]:
        if self.store.marked:
            return [i for i in self.store.ids if i in self.store.marked]
        lease_id = self.table.current_lease_id
        return [lease_id] if lease_id else []

    def _current_prefix(self) -> str | None:
        row = self.table.current_row
        if row is None:
            return None
        if row.is_group:
            return row.key
        return row.key.rpartition("/")[0] + "/"

    def current_creds(self) -> IssuedCredentials | None:
        if self._table is None:
            return None
        lease_id = self._table.current_lease_id
        return self.issued.get(lease_id) if lease_id else None

    def sync_flags(self) -> None:
        table = self.table
        table.keepalive = frozenset(self.keepalive.watched)
        table.session = frozenset(self.issued)

    def _failure(self, lease_id: str, action: str) -> Callable[[VaultError], Message]:
        """The reply for a failed call about ``lease_id``."""
        return lambda error: self.LeaseFailed(lease_id, action, error)

    def _revoked_reply(self, lease_id: str) -> Callable[[RevokeResult], Message]:
        return lambda result: self.Revoked(lease_id, result)

    def _lease_changed(self, lease_id: str) -> None:
        self.table.lease_changed(lease_id)
        if self.table.current_lease_id == lease_id:
            self.show_detail()

    # -- renew --------------------------------------------------------------------------------
    @work(group="leases-actions", exit_on_error=False)
    async def action_renew(self) -> None:
        targets = self._targets()
        if not targets:
            self.app.bell()
            return
        renewable, refused = [], []
        for lease_id in targets:
            lease = self.store.known.get(lease_id)
            if api.is_auth_lease(lease_id) or (lease is not None and not lease.renewable):
                refused.append(lease_id)
            else:
                renewable.append(lease_id)
        if refused:
            first = self.store.known.get(refused[0])
            reason = first.not_renewable_reason if first else "auth (token) leases cannot be renewed here"
            self.note(f"{len(refused)} lease(s) not renewable: {reason}", "warning")
        if not renewable:
            return
        what = "this lease" if len(renewable) == 1 else f"{len(renewable)} leases"
        note = "The server caps the new TTL at the role's (or mount's) max_ttl; you will see when it did."
        answer = await self.app.push_screen_wait(RenewDialog(what, note))
        if answer is None:
            return
        for lease_id in renewable:
            vault_app(self).worker.submit(
                Call(api.renew_lease, lease_id, answer.seconds),
                to=self,
                done=self.Renewed,
                failed=self._failure(lease_id, "renewing"),
                action="renewing a lease",
                key=f"lease-renew:{lease_id}",
            )

    @on(Renewed)
    @when_composed
    def _renewed(self, message: Renewed) -> None:
        result = message.result
        lease = result.lease
        self.store.update(lease)
        self.keepalive.update(lease)
        self._lease_changed(lease.id)
        line = f"renewed {lease.id}: expires {format_time(lease.expire_time)}"
        if result.capped:
            asked = f"{result.requested}s" if result.requested is not None else "the default"
            line += f" — capped by max_ttl (asked {asked}, got {result.granted}s)"
            self.note(line, "warning")
        else:
            self.note(line)

    # -- revoke -------------------------------------------------------------------------------
    @work(group="leases-actions", exit_on_error=False)
    async def action_revoke(self) -> None:
        targets = self._targets()
        if not targets:
            self.app.bell()
            return
        body = Text()
        for lease_id in targets[:12]:
            body.append(visible(lease_id) + "\n")
        if len(targets) > 12:
            body.append(f"… and {len(targets) - 12} more\n")
        body.append("\nRevocation is synchronous (sync=true): the credentials are gone when it returns.", style="dim")
        title = "Revoke this lease?" if len(targets) == 1 else f"Revoke {len(targets)} leases?"
        if not await self.app.push_screen_wait(ConfirmScreen(title, body, confirm_label="Revoke")):
            return
        for lease_id in targets:
            vault_app(self).worker.submit(
                Call(api.revoke_lease, lease_id),
                to=self,
                done=self._revoked_reply(lease_id),
                failed=self._failure(lease_id, "revoking"),
                action="revoking a lease",
            )

    @on(Revoked)
    @when_composed
    def _revoked(self, message: Revoked) -> None:
        self.drop_lease(message.lease_id)
        self.note(f"revoked {message.lease_id}")

    @work(group="leases-actions", exit_on_error=False)
    async def action_revoke_prefix(self, force: bool = False) -> None:
        prefix = self._current_prefix()
        if not prefix:
            self.app.bell()
            return
        # 1. how many?
        try:
            count = await vault_app(self).worker.call(api.count_prefix, prefix)
            how_many = f"{count:,} lease{'s' if count != 1 else ''}"
        except PermissionDenied:
            count, how_many = -1, "an unknown number of leases (this token cannot list them)"
        except VaultError as error:
            self.note(f"counting leases under {prefix} failed: {error}", "error")
            return
        if count == 0:
            self.note(f"no leases under {prefix}", "warning")
            return
        body = Text()
        body.append(f"This revokes {how_many} under\n")
        body.append(visible(prefix), style="bold")
        body.append("\n\nRevocation is synchronous (sync=true).")
        if prefix.startswith("auth/"):
            body.append(
                "\nThese are login tokens: revoking them logs those sessions out, possibly yours.", style="bold red"
            )
        # 2. type the prefix
        title = "Force-revoke prefix" if force else "Revoke prefix"
        if not await self.app.push_screen_wait(TypedConfirmScreen(title, body, prefix, confirm_label="Revoke")):
            return
        # 3. force only behind a second, explicit warning
        if force:
            warning = Text(
                "Force-revoke removes the leases from OpenBao/Vault even when the backend cannot revoke "
                "them: database users or cloud keys may stay valid while nothing tracks them any more.\n\n"
                "Use it only for a backend that is gone for good.",
            )
            if not await self.app.push_screen_wait(
                ConfirmScreen("Really force-revoke?", warning, confirm_label="Force-revoke")
            ):
                return
        vault_app(self).worker.submit(
            Call(_revoke_prefix, prefix.rstrip("/"), force),
            to=self,
            done=self.PrefixRevoked,
            failed=lambda error: self.LeaseFailed(
                prefix, "force-revoking prefix" if force else "revoking prefix", error
            ),
            action="revoking a prefix",
        )

    def action_force_revoke_prefix(self) -> None:
        self.action_revoke_prefix(force=True)

    @on(PrefixRevoked)
    @when_composed
    def _prefix_revoked(self, message: PrefixRevoked) -> None:
        result = message.result
        prefix = result.prefix + "/"
        for lease_id in [*self.store.ids_under(prefix), *(i for i in self.issued if i.startswith(prefix))]:
            self.drop_lease(lease_id)
        count = f"{result.count:,} lease(s)" if result.count >= 0 else "every lease"
        kind = "force-revoked" if result.force else "revoked"
        self.note(f"{kind} {count} under {prefix}")

    # -- generate, keep-alive, reveal, copy ------------------------------------------------------
    @work(group="leases-actions", exit_on_error=False)
    async def action_generate(self, mount: str | None = None) -> None:
        picked = await self.app.push_screen_wait(GenerateCredsScreen(mount))
        if not picked:
            return
        self.generate(*picked)

    def generate(self, mount: str, role: str) -> None:
        """Issue credentials for ``mount/creds/role`` (also used from the path tree)."""
        vault_app(self).worker.submit(
            Call(api.generate_credentials, mount, role),
            to=self,
            done=self.CredsIssued,
            failed=lambda error: self.LeaseFailed(f"{mount}/creds/{role}", "generating credentials", error),
            action="generating credentials",
        )

    @on(CredsIssued)
    @when_composed
    def _creds_issued(self, message: CredsIssued) -> None:
        creds = message.creds
        self._adopt_creds(creds)
        self.note(f"new credentials from {creds.mount}/creds/{creds.role} (lease {creds.lease_id})")
        # The exact server times, in the background.
        vault_app(self).worker.submit(
            Call(api.lookup_lease, creds.lease_id),
            to=self,
            done=self.LookedUp,
            background=True,
            failed=lambda error: self.LeaseFailed(creds.lease_id, "looking up", error),
        )

    def _adopt_creds(self, creds: IssuedCredentials) -> None:
        self.issued[creds.lease_id] = creds
        self.store.add(creds.lease_id, creds.as_lease())
        self.sync_flags()
        self.table.rebuild()
        self.table.move_to(creds.lease_id)
        self.show_detail()
        self.update_status()

    def action_keepalive(self) -> None:
        targets = self._targets()
        if not targets:
            self.app.bell()
            return
        for lease_id in targets:
            if lease_id in self.keepalive:
                self.keepalive.unwatch(lease_id)
                self.note(f"keep-alive off: {lease_id}", "quiet")
                continue
            lease = self.store.known.get(lease_id)
            if lease is None:
                self.note(f"not looked up yet: {lease_id}", "warning")
            elif not lease.renewable:
                self.note(f"cannot keep alive {lease_id}: {lease.not_renewable_reason}", "warning")
            else:
                self.keepalive.watch(lease, self.issued.get(lease_id))
                self.note(f"keep-alive on: {lease_id}", "quiet")
        self.sync_flags()
        self.table.refresh()
        self.show_detail()
        self.update_status()

    async def _keepalive_call(self, fn: Any, *args: Any) -> Any:
        return await vault_app(self).worker.call_background(fn, *args)

    def _keepalive_report(self, event: KeepAliveEvent) -> None:
        self.post_message(self.KeepAliveReport(event))

    @on(KeepAliveReport)
    @when_composed
    def _keepalive_event(self, message: KeepAliveReport) -> None:
        event = message.event
        if event.kind == "renewed" and event.lease is not None:
            self.store.update(event.lease)
            self._lease_changed(event.lease_id)
            self.note(f"keep-alive renewed {event.lease_id}: expires {format_time(event.lease.expire_time)}")
        elif event.kind == "regenerated" and event.credentials is not None:
            old = event.lease_id
            self.issued.pop(old, None)
            self._adopt_creds(event.credentials)
            self.note(
                f"keep-alive: renewing {old} failed ({event.detail}); new credentials issued as "
                f"{event.credentials.lease_id}",
                "warning",
            )
        else:
            self.note(f"keep-alive stopped for {event.lease_id}: {event.detail}", "error")
        self.sync_flags()
        self.table.refresh()
        self.update_status()

    def action_reveal(self) -> None:
        """Show (or hide again) the current lease's credentials, masked by default."""
        lease_id = self.table.current_lease_id
        if lease_id is None or lease_id not in self.issued:
            return
        self.revealed = None if self.revealed == lease_id else lease_id
        self.show_detail()

    def action_copy_username(self) -> None:
        creds = self.current_creds()
        if creds is not None:
            vault_app(self).copy_secret(creds.username, "username")

    def action_copy_password(self) -> None:
        creds = self.current_creds()
        if creds is not None:
            vault_app(self).copy_secret(creds.password, "password")

    # -- look up by id ----------------------------------------------------------------------------
    @on(Input.Submitted, "#lease-lookup")
    def _lookup_submitted(self, event: Input.Submitted) -> None:
        lease_id = event.value.strip()
        if not lease_id:
            return
        vault_app(self).worker.submit(
            Call(api.lookup_lease, lease_id),
            to=self,
            done=lambda lease: self.LookedUp(lease, by_hand=True),
            failed=lambda error: self.LeaseFailed(lease_id, "looking up", error),
            action="looking up a lease",
        )

    @on(LookedUp)
    @when_composed
    def _looked_up(self, message: LookedUp) -> None:
        lease = message.lease
        new = lease.id not in self.store
        self.store.add(lease.id, lease)
        self.keepalive.update(lease)
        if message.by_hand:
            self.tracked.add(lease.id)
            for box in self.query("#lease-lookup").results(Input):
                box.value = ""
                if self.can_list:
                    box.display = False
        if new:
            self.table.rebuild()
        if message.by_hand:
            self.table.move_to(lease.id)
            self.table.focus()
        self._lease_changed(lease.id)
        self.update_status()

    # -- failures -----------------------------------------------------------------------------
    @on(LeaseFailed)
    @when_composed
    def _failed(self, message: LeaseFailed) -> None:
        error = message.error
        lease_id = message.lease_id
        if isinstance(error, LeaseGone):
            # The row updates to the truth: it is gone.
            if lease_id in self.store:
                self.drop_lease(lease_id)
            self.note(f"{message.action} {lease_id}: the lease is already gone (expired or revoked)", "warning")
            return
        if isinstance(error, api.NotRenewable):
            lease = self.store.known.get(lease_id)
            if lease is not None and lease.server_renewable:
                self.store.update(replace(lease, server_renewable=False))
                self._lease_changed(lease_id)
            self.note(f"{message.action} {lease_id}: {error}", "warning")
            return
        self.note(f"{message.action} {lease_id}: {error}", "error")
        if message.action.startswith("revoking prefix") and error.status and error.status >= 500:
            self.note(
                "the backend could not revoke every lease; force-revoke (ctrl+x) is available behind a warning",
                "warning",
            )

    # -- session leases: the quit guard ------------------------------------------------------------
    async def quit_guard(self) -> bool:
        """On quit: offer to revoke what this session issued; name every revocation that failed
        and stay until the user has seen them. Returns False to stay in the app."""
        issued = list(self.issued)
        if not issued or self.read_only:
            return True
        answer = await self.app.push_screen_wait(QuitLeasesScreen(issued))
        if answer == "keep":
            return True
        if answer != "revoke":
            return False
        failures = await self.revoke_session_leases()
        if not failures:
            self.app.notify(f"Revoked {len(issued)} lease(s) issued this session.", markup=False)
            return True
        for lease_id, error in failures:
            self.note(f"revoking {lease_id} on quit failed: {error}", "quiet")
        report = [(lease_id, str(error)) for lease_id, error in failures]
        quit_anyway: bool = await self.app.push_screen_wait(RevokeFailedScreen(report, len(issued)))
        return quit_anyway

    async def revoke_session_leases(self) -> list[tuple[str, VaultError]]:
        """Revoke every lease this session issued (sync). Returns the ones that failed, with why."""
        failures: list[tuple[str, VaultError]] = []
        for lease_id in list(self.issued):
            try:
                await vault_app(self).worker.call(api.revoke_lease, lease_id)
            except LeaseGone:
                pass
            except VaultError as error:
                failures.append((lease_id, error))
                continue
            self.issued.pop(lease_id, None)
            self.keepalive.unwatch(lease_id)
            if composed(self):
                self.drop_lease(lease_id)
        return failures
