"""The lease dashboard: every lease grouped by prefix with a live TTL countdown; renew, revoke,
revoke by prefix, dynamic credentials and a keep-alive watchlist.

* Listing walks ``sys/leases/lookup/`` (needs sudo). Without sudo the view says so, shows the
  leases this session issued and offers a look-up-by-ID box.
* TTL look-ups run in the worker's bounded background pool (4 threads), rows on screen first,
  then the rest. A refresh re-looks-up only leases whose expiry is unknown or already past,
  unless forced (``R``).
* The countdown derives from ``expire_time`` and the app's single clock (``app.now``); a tick
  repaints only the TTL column of the visible rows.
* Polling: the next refresh is scheduled only after the previous one finished, and waits while
  a modal is open or another view is showing.
* Revokes send ``sync=true``: when the server answers, the lease (and the DB user) is gone.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

from ...context import vault_app
from ...safe import mask, safe_text, visible
from ...screens.modals import ConfirmScreen, PromptScreen, QuitLeasesScreen, TypedConfirmScreen
from ...vault import leases as api
from ...vault.errors import PermissionDenied, VaultError
from ...vault.gateway import Gateway
from ...vault.leases import IssuedCredentials, Lease, LeaseGone, RenewResult, RevokeResult
from ...widgets.footer import KeysFooter
from ...widgets.session_bar import SessionBar
from ...worker import Call
from .model import (
    KeepAlive,
    KeepAliveEvent,
    LeaseStore,
    LookupQueue,
    SortKey,
    format_time,
    format_ttl,
    parse_duration,
    plan_lookups,
    ttl_level,
    utcnow,
)
from .table import LeaseTable

LOOKUP_CONCURRENCY = 4  # the worker's background pool has 4 threads
VISIBLE_BATCH = 10  # at most this many look-ups per call for rows on screen (the screenful is
# split evenly over the 4 calls: one round trip through the event loop, not three)
BACKGROUND_BATCH = 25  # look-ups per call for the rest
WRITE_ACTIONS = {
    "renew", "revoke", "revoke_prefix", "force_revoke_prefix", "generate", "keepalive",
}
# Engines whose roles issue credentials at <mount>/creds/<role>.
CREDS_ENGINES = {
    "database", "aws", "rabbitmq", "consul", "nomad", "azure", "gcp", "alicloud", "kubernetes",
    "mongodbatlas", "terraform",
}


def _revoke_prefix(gateway: Gateway, prefix: str, force: bool) -> RevokeResult:
    return api.revoke_prefix(gateway, prefix, force=force)


class GenerateCredsScreen(ModalScreen[tuple[str, str] | None]):
    """Pick ``<mount>/creds/<role>``: roles of every creds-capable mount, or type the path."""

    DEFAULT_CSS = """
    GenerateCredsScreen { align: center middle; }
    GenerateCredsScreen > Vertical { width: 80; max-width: 95%; height: auto; max-height: 90%;
        border: thick $primary 60%; background: $surface; padding: 1 2; }
    GenerateCredsScreen #gen-roles { height: auto; max-height: 16; }
    GenerateCredsScreen #gen-status { color: $text-muted; height: auto; }
    GenerateCredsScreen .modal-buttons { height: auto; align-horizontal: right; margin-top: 1; }
    GenerateCredsScreen .modal-buttons Button { margin-left: 2; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="leases.generate.cancel")]

    class RolesLoaded(Message):
        def __init__(self, roles: list[tuple[str, str]], problems: list[str]) -> None:
            super().__init__()
            self.roles = roles
            self.problems = problems

    def __init__(self, mount: str | None = None) -> None:
        super().__init__()
        self._mount = mount

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text("Generate credentials", style="bold"))
            yield Static("Pick a role, or type MOUNT/creds/ROLE:", markup=False)
            yield Input(placeholder="database/creds/readonly", id="gen-path")
            yield OptionList(id="gen-roles")
            yield Static("Loading roles…", id="gen-status", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Generate", id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one(OptionList).loading = True
        self.query_one("#gen-path", Input).focus()
        self.load_roles()

    @work(group="gen-roles", exclusive=True, exit_on_error=False)
    async def load_roles(self) -> None:
        vault = vault_app(self).worker
        roles: list[tuple[str, str]] = []
        problems: list[str] = []
        try:
            mounts = await vault.call(Gateway.mounts)
        except VaultError as error:
            mounts = ()
            problems.append(f"mounts: {error}")
        names = [m.name for m in mounts if not m.is_auth and m.type in CREDS_ENGINES]
        if self._mount and self._mount.strip("/") not in names:
            names.insert(0, self._mount.strip("/"))
        for name in names:
            try:
                for role in await vault.call(api.list_roles, name):
                    roles.append((name, role))
            except VaultError as error:
                problems.append(f"{name}: {error}")
        self.post_message(self.RolesLoaded(roles, problems))

    @on(RolesLoaded)
    def _loaded(self, message: RolesLoaded) -> None:
        options = self.query_one(OptionList)
        options.loading = False
        options.clear_options()
        for mount, role in message.roles:
            options.add_option(Option(safe_text(f"{mount}/creds/{role}"), id=f"{mount}\x00{role}"))
        status = f"{len(message.roles)} role(s)."
        if message.problems:
            status += " Could not list: " + "; ".join(message.problems)
        self.query_one("#gen-status", Static).update(Text(visible(status)))
        if message.roles:
            options.highlighted = 0

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        mount, _, role = (event.option.id or "").partition("\x00")
        self.dismiss((mount, role))

    @on(Input.Submitted, "#gen-path")
    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        text = self.query_one("#gen-path", Input).value.strip().strip("/")
        if not text:
            options = self.query_one(OptionList)
            if options.highlighted is not None and options.option_count:
                option = options.get_option_at_index(options.highlighted)
                mount, _, role = (option.id or "").partition("\x00")
                self.dismiss((mount, role))
            return
        mount, sep, role = text.partition("/creds/")
        if not sep or not mount or not role:
            self.query_one("#gen-status", Static).update("Type it as MOUNT/creds/ROLE.")
            return
        self.dismiss((mount, role))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class LeasesScreen(Screen[None]):
    VIEW_TITLE = "Lease dashboard"
    CSS_PATH = "leases.tcss"
    AUTO_FOCUS = "#lease-table"  # focus lands on the table once, not on an input and then moved
    BINDINGS = [
        Binding("r", "refresh", "Refresh", id="leases.refresh"),
        Binding("R", "refresh(True)", "Re-look-up all", show=False, id="leases.refresh_all"),
        Binding("n", "renew", "Renew", id="leases.renew"),
        Binding("x", "revoke", "Revoke", id="leases.revoke"),
        Binding("P", "revoke_prefix", "Revoke prefix", id="leases.revoke_prefix"),
        Binding("ctrl+x", "force_revoke_prefix", "Force-revoke prefix", show=False, id="leases.force_revoke_prefix"),
        Binding("space", "mark", "Mark", id="leases.mark"),
        Binding("K", "keepalive", "Keep alive", id="leases.keepalive"),
        Binding("g", "generate", "New creds", id="leases.generate"),
        Binding("s", "sort", "Sort", id="leases.sort"),
        Binding("G", "group", "Group/flat", show=False, id="leases.group"),
        Binding("slash", "filter", "Filter", id="leases.filter"),
        Binding("i", "lookup", "Look up ID", id="leases.lookup"),
        Binding("u", "copy_username", "Copy user", show=False, id="leases.copy_username"),
        Binding("p", "copy_password", "Copy password", show=False, id="leases.copy_password"),
        Binding("escape", "clear", "Clear", show=False, id="leases.clear"),
    ]

    # -- messages ---------------------------------------------------------------------------
    class Renewed(Message):
        def __init__(self, result: RenewResult) -> None:
            super().__init__()
            self.result = result

    class Revoked(Message):
        def __init__(self, lease_id: str, result: RevokeResult) -> None:
            super().__init__()
            self.lease_id = lease_id
            self.result = result

    class PrefixRevoked(Message):
        def __init__(self, result: RevokeResult) -> None:
            super().__init__()
            self.result = result

    class LookedUp(Message):
        def __init__(self, lease: Lease, by_hand: bool = False) -> None:
            super().__init__()
            self.lease = lease
            self.by_hand = by_hand

    class CredsIssued(Message):
        def __init__(self, creds: IssuedCredentials) -> None:
            super().__init__()
            self.creds = creds

    class LeaseFailed(Message):
        def __init__(self, lease_id: str, action: str, error: VaultError) -> None:
            super().__init__()
            self.lease_id = lease_id
            self.action = action
            self.error = error

    class KeepAliveReport(Message):
        def __init__(self, event: KeepAliveEvent) -> None:
            super().__init__()
            self.event = event

    # -- set-up -----------------------------------------------------------------------------
    def __init__(self, *, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self.store = LeaseStore()
        self.issued: dict[str, IssuedCredentials] = {}  # this session's credentials, by lease id
        self.tracked: set[str] = set()  # looked up by id (shown even without sudo)
        self.can_list: bool | None = None
        self.refreshing = False
        self.refresh_count = 0  # completed refreshes
        self.last_looked_up: set[str] = set()  # ids looked up by the last refresh
        self.last_refresh: datetime | None = None
        self.last_refresh_seconds = 0.0
        self.lookups_pending = 0
        self.hidden_prefixes: list[str] = []
        self.activity: list[str] = []
        self._poll_timer: Timer | None = None
        self._poll_waiting = False
        self._first_screenful_at: float | None = None  # TTLs of the rows on screen in hand
        self._first_screenful_shown_at: float | None = None  # ... and painted
        self._all_ttls_at: float | None = None
        self._refresh_started = 0.0
        self._prefetched_walk: asyncio.Future[api.LeaseListing] | None = None
        self.keepalive = KeepAlive(self._background_call, self._keepalive_report)
        # Opening a view for the first time, Textual (8.x, App._init_mode + switch_mode) reads
        # leases.tcss, re-parses every stylesheet of the app and restyles every widget of every
        # screen, and then does all of that twice more (refresh_css), because a new screen's
        # "CSS generation" starts at -1. The screen is built here, under the current theme, and
        # gets its styles from the freshly parsed sheet when it mounts: the two extra rounds
        # (about 100 ms of event loop, while the first look-ups wait) change nothing. Mark it
        # current. A later theme change still bumps the app's count and restyles this screen.
        app = self.app
        if hasattr(app, "_css_update_count") and hasattr(self, "_css_update_count"):
            self._css_update_count = app._css_update_count

    def compose(self) -> ComposeResult:
        config = vault_app(self).config
        # The LIST walk goes out now, while the widgets below mount, style and lay out (the
        # first refresh, started from on_mount, picks up its result).
        self._prefetched_walk = self._start_walk()
        yield SessionBar()
        yield Static("", id="lease-status", markup=False)
        yield Static("", id="lease-notice", markup=False)
        yield Input(placeholder="look up a lease by ID (e.g. database/creds/ro/AbCd…) and press Enter", id="lease-lookup")
        yield Input(placeholder="filter lease ids…", id="lease-filter")
        with Horizontal(id="leases-body"):
            yield LeaseTable(
                self.store,
                warn_seconds=config.lease_warn_seconds,
                critical_seconds=config.lease_critical_seconds,
                id="lease-table",
            )
            with Vertical(id="lease-side"):
                yield Static("", id="lease-detail", markup=False)
                yield Static("", id="lease-creds", markup=False)
                yield Static("", id="lease-activity", markup=False)
        yield KeysFooter()

    @property
    def table(self) -> LeaseTable:
        return self.query_one(LeaseTable)

    @property
    def read_only(self) -> bool:
        return bool(vault_app(self).config.read_only)

    def on_mount(self) -> None:
        vault_app(self).quit_guards.append(self.quit_guard)
        # The look-up box, the filter box and the notice start hidden (leases.tcss); the table
        # gets the focus through AUTO_FOCUS. Each focus move re-renders the footer, and each
        # display toggle re-lays out the screen, so the view does neither while it opens.
        self.watch(self.app, "now", self._tick, init=False)
        self.run_worker(self.keepalive.run(), group="leases-keepalive", exit_on_error=False)
        self._update_status()
        self.start_refresh()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in WRITE_ACTIONS and self.read_only:
            return False  # hidden under --read-only (the Vault layer refuses too)
        return True

    # -- the clock ----------------------------------------------------------------------------
    def _tick(self, now: datetime) -> None:
        if self not in self.app.screen_stack:
            return  # another view is showing: nothing to paint
        self.table.now = now
        lease_id = self.table.current_lease_id
        if lease_id is not None:
            self._show_detail(lease_id, tick=True)

    def on_screen_resume(self) -> None:
        self.table.now = vault_app(self).now
        self.table.refresh()
        if self._poll_waiting:
            self._poll_waiting = False
            self.start_refresh()

    # -- refresh ------------------------------------------------------------------------------
    def reload(self) -> None:
        """Namespace/profile switched: start over."""
        self.store.set_listing([], keep=())
        self.tracked.clear()
        self.can_list = None
        self._drop_prefetched_walk()
        self.table.rebuild()
        self.start_refresh(force=True)

    def action_refresh(self, force: bool = False) -> None:
        self.start_refresh(force=force)

    def start_refresh(self, force: bool = False) -> None:
        if self._poll_timer is not None:
            self._poll_timer.stop()
            self._poll_timer = None
        self.run_worker(self._refresh(force), group="leases-refresh", exclusive=True, exit_on_error=False)

    def _schedule_poll(self) -> None:
        interval = float(vault_app(self).config.lease_refresh_seconds or 0)
        if interval > 0:
            self._poll_timer = self.set_timer(interval, self._poll_due, name="leases-poll")

    def _poll_due(self) -> None:
        self._poll_timer = None
        if self.app.screen is not self:
            self._poll_waiting = True  # a modal is open or another view shows: wait
            return
        self.start_refresh()

    async def _background_call(self, fn: Any, *args: Any) -> Any:
        return await vault_app(self).worker.call_background(fn, *args)

    async def _refresh(self, force: bool) -> None:
        self.refreshing = True
        self._refresh_started = time.perf_counter()
        self._first_screenful_at = None
        self._first_screenful_shown_at = None
        self._all_ttls_at = None
        self._update_status()
        try:
            listed = await self._walk()
            keep = list(self.issued) + list(self.tracked)
            if listed is not None:
                _added, removed = self.store.set_listing(listed, keep=keep)
                for lease_id in removed:
                    self.keepalive.unwatch(lease_id)
                    self.issued.pop(lease_id, None)
            self.table.rebuild_if_changed()
            self._update_status()
            queue = LookupQueue(plan_lookups(self.store.ids, self.store.known, utcnow(), force=force))
            await self._fill(queue)
            if self.store.sort_key is not SortKey.PREFIX:
                self.store.version += 1  # apply the TTL/issue order now that every TTL is known
            self.table.rebuild_if_changed()
        finally:
            self.refreshing = False
            self.refresh_count += 1
            self.lookups_pending = 0
            self.last_refresh = utcnow()
            self.last_refresh_seconds = time.perf_counter() - self._refresh_started
            if self._all_ttls_at is None:
                self._all_ttls_at = time.perf_counter()
            self._update_status()
            self._schedule_poll()

    def _start_walk(self) -> asyncio.Future[api.LeaseListing]:
        future = asyncio.ensure_future(self._background_call(api.list_all_leases))
        # Mark any outcome as seen: the view may be closed before anything awaits it.
        future.add_done_callback(lambda done: done.cancelled() or done.exception())
        return future

    def _drop_prefetched_walk(self) -> None:
        future, self._prefetched_walk = self._prefetched_walk, None
        if future is not None:
            future.cancel()

    async def _walk(self) -> list[str] | None:
        """All lease ids, walked inside one worker call so the listing does not wait on the
        event loop between folders. None without sudo."""
        self.hidden_prefixes = []
        future, self._prefetched_walk = self._prefetched_walk, None
        try:
            listing = await (future if future is not None else self._start_walk())
        except PermissionDenied:
            self._set_no_sudo(True)
            return None
        except VaultError as error:
            self._note(f"listing leases failed: {error}", "error")
            return None
        self._set_no_sudo(False)
        self.hidden_prefixes = list(listing.hidden)
        for folder, error in listing.problems:
            self._note(f"listing leases under {folder} failed: {error}", "error")
        for lease_id in listing.lease_ids:
            self.store.add(lease_id)
        return list(listing.lease_ids)

    async def _fill(self, queue: LookupQueue) -> None:
        """Look up TTLs: 4 calls in flight, rows on screen first (small batches), then the rest
        in larger batches."""
        table = self.table
        self.last_looked_up = set()
        self.lookups_pending = len(queue)
        last_status = time.perf_counter()

        def next_batch() -> list[str]:
            on_screen = table.visible_lease_ids()
            visible_ids = [i for i in on_screen if i in queue]
            if visible_ids:  # the screenful, split evenly over the calls in flight
                size = max(1, min(VISIBLE_BATCH, math.ceil(len(on_screen) / LOOKUP_CONCURRENCY)))
            else:
                size = BACKGROUND_BATCH
            batch: list[str] = []
            while len(batch) < size:
                lease_id = queue.pop(visible_ids)
                if lease_id is None:
                    break
                batch.append(lease_id)
            return batch

        async def one_worker() -> None:
            nonlocal last_status
            while True:
                batch = next_batch()
                if not batch:
                    return
                self.last_looked_up.update(batch)
                try:
                    results = await self._background_call(api.lookup_many, batch)
                except VaultError as error:
                    results = tuple(error for _ in batch)
                gone = False
                for lease_id, result in zip(batch, results):
                    if isinstance(result, LeaseGone):
                        self.store.remove(lease_id)
                        self.keepalive.unwatch(lease_id)
                        gone = True
                    elif isinstance(result, VaultError):
                        self.store.set_error(lease_id, str(result))
                        table.lease_changed(lease_id)
                    else:
                        self.store.update(result)
                        self.keepalive.update(result)
                        table.lease_changed(lease_id)
                if gone:
                    self._structure_changed()
                self.lookups_pending = len(queue)
                if self._first_screenful_at is None and all(i in self.store.known for i in table.visible_lease_ids()):
                    self._screenful_in_hand()
                now = time.perf_counter()
                if now - last_status > 0.5:
                    last_status = now
                    self._update_status()

        await asyncio.gather(*(one_worker() for _ in range(LOOKUP_CONCURRENCY)))
        self._all_ttls_at = time.perf_counter()
        if self._first_screenful_at is None:
            self._screenful_in_hand()

    def _screenful_in_hand(self) -> None:
        """The rows on screen have their TTLs; note when the next repaint has shown them."""
        self._first_screenful_at = time.perf_counter()

        def shown() -> None:
            self._first_screenful_shown_at = time.perf_counter()

        self.call_after_refresh(shown)

    def _structure_changed(self) -> None:
        if not getattr(self, "_rebuild_pending", False):
            self._rebuild_pending = True

            def rebuild() -> None:
                self._rebuild_pending = False
                self.table.rebuild()

            self.set_timer(0.2, rebuild)

    # -- status, detail, notices --------------------------------------------------------------
    def _set_no_sudo(self, no_sudo: bool) -> None:
        self.can_list = not no_sudo
        notice = self.query_one("#lease-notice", Static)
        lookup = self.query_one("#lease-lookup", Input)
        if no_sudo:
            notice.update(Text(
                "This token may not list leases: that needs 'sudo' on sys/leases/lookup/. "
                "Showing the leases this session issued and the ones you look up by ID (press i).",
                style="bold",
            ))
            notice.display = True
            lookup.display = True
        elif notice.display:
            notice.display = False

    def _update_status(self) -> None:
        store = self.store
        text = Text(no_wrap=True, overflow="ellipsis")
        groups = len({i.rpartition("/")[0] for i in store.ids})
        text.append(f"{len(store):,} lease{'s' if len(store) != 1 else ''}", style="bold")
        text.append(f" in {groups:,} prefix{'es' if groups != 1 else ''}")
        if store.marked:
            text.append(f" · {len(store.marked)} marked", style="bold yellow")
        if self.keepalive.watched:
            text.append(f" · keep-alive {len(self.keepalive.watched)}", style="bold green")
        if self.refreshing:
            text.append(f" · refreshing… {self.lookups_pending:,} to look up", style="cyan")
        elif self.last_refresh is not None:
            text.append(f" · refreshed {format_time(self.last_refresh)} ({self.last_refresh_seconds:.1f}s)", style="dim")
        text.append(f" · sort: {store.sort_key.value}{'' if store.grouped else ' (flat)'}", style="dim")
        if store.filter_text:
            text.append(" · filter: ", style="dim")
            text.append(visible(store.filter_text), style="bold")
        if self.hidden_prefixes:
            text.append(f" · {len(self.hidden_prefixes)} prefix(es) not listable", style="yellow")
        if self.read_only:
            text.append(" · read-only", style="bold yellow")
        else:
            text.append(" · revokes are synchronous (sync=true)", style="dim")
        # One line, fixed height (leases.tcss): no re-layout of the screen for a new status.
        self.query_one("#lease-status", Static).update(text, layout=False)

    def _note(self, line: str, severity: str = "information") -> None:
        stamp = datetime.now(UTC).strftime("%H:%M:%S")
        self.activity = [f"{stamp} {visible(line)}", *self.activity][:8]
        body = Text("Activity\n", style="bold")
        body.append("\n".join(self.activity))
        self.query_one("#lease-activity", Static).update(body, layout=False)  # height 1fr
        if severity != "quiet":
            self.app.notify(visible(line), severity=severity if severity != "information" else "information", markup=False)

    @on(LeaseTable.Highlighted)
    def _highlighted(self, message: LeaseTable.Highlighted) -> None:
        row = message.row
        if row is None:
            self.query_one("#lease-detail", Static).update(Text("No leases.", style="dim"))
            self.query_one("#lease-creds", Static).update("")
        elif row.is_group:
            detail = Text()
            detail.append("Prefix\n", style="bold")
            detail.append(visible(row.key) + "\n")
            detail.append(f"{row.count:,} lease(s) listed\n\n")
            detail.append("enter: open/close · P: revoke everything under this prefix", style="dim")
            self.query_one("#lease-detail", Static).update(detail)
            self.query_one("#lease-creds", Static).update("")
        else:
            self._show_detail(row.key)

    def _show_detail(self, lease_id: str, tick: bool = False) -> None:
        lease = self.store.known.get(lease_id)
        now = vault_app(self).now
        detail = Text()
        detail.append("Lease\n", style="bold")
        detail.append(visible(lease_id) + "\n\n")
        if lease is None:
            error = self.store.errors.get(lease_id)
            detail.append(visible(error) if error else "looking up…", style="red" if error else "dim")
        else:
            remaining = lease.remaining(now)
            level = ttl_level(remaining, self.table.warn_seconds, self.table.critical_seconds)
            colour = {"warn": "yellow", "critical": "red", "expired": "red", "ok": "green"}.get(level.value, "")
            detail.append("TTL       ")
            detail.append(format_ttl(remaining) + "\n", style=f"bold {colour}")
            detail.append(f"expires   {format_time(lease.expire_time)}\n")
            detail.append(f"issued    {format_time(lease.issue_time)}\n")
            detail.append(f"renewed   {format_time(lease.last_renewal)}\n")
            detail.append(f"renewable {'yes' if lease.renewable else 'no'}\n")
            if not lease.renewable:
                detail.append(lease.not_renewable_reason + "\n", style="dim")
            if lease_id in self.keepalive:
                detail.append("kept alive (renewed at 2/3 of its TTL)\n", style="green")
        # A tick changes the TTL text, not the number of lines: no re-layout of the screen.
        self.query_one("#lease-detail", Static).update(detail, layout=not tick)
        if tick:
            return
        creds = self.issued.get(lease_id)
        creds_box = self.query_one("#lease-creds", Static)
        if creds is None:
            if str(creds_box.content):
                creds_box.update("")
        else:
            text = Text("Issued this session\n", style="bold")
            text.append(f"username  {mask(creds.username)}   (u: copy)\n")
            text.append(f"password  {mask(creds.password)}   (p: copy)\n")
            creds_box.update(text)

    # -- targets ------------------------------------------------------------------------------
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

    # -- mark, sort, filter, lookup ---------------------------------------------------------------
    def action_mark(self) -> None:
        row = self.table.current_row
        if row is None:
            return
        ids = self.store.ids_under(row.key) if row.is_group else [row.key]
        if all(i in self.store.marked for i in ids):
            self.store.marked.difference_update(ids)
        else:
            self.store.marked.update(ids)
        self.table.refresh()
        if not row.is_group:
            self.table.action_cursor_down()
        self._update_status()

    def action_clear(self) -> None:
        filter_input = self.query_one("#lease-filter", Input)
        if filter_input.display:
            filter_input.value = ""
            filter_input.display = False
            self.store.filter_text = ""
            self.store.version += 1
            self.table.rebuild()
        elif self.store.marked:
            self.store.marked.clear()
            self.table.refresh()
        self.table.focus()
        self._update_status()

    def action_sort(self) -> None:
        self.store.sort_key = self.store.sort_key.next()
        self.table.rebuild()
        self._update_status()

    def action_group(self) -> None:
        self.store.grouped = not self.store.grouped
        self.table.rebuild()
        self._update_status()

    def action_filter(self) -> None:
        box = self.query_one("#lease-filter", Input)
        box.display = True
        box.focus()

    @on(Input.Changed, "#lease-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.store.filter_text = event.value
        self.table.rebuild()
        self._update_status()

    @on(Input.Submitted, "#lease-filter")
    def _filter_done(self) -> None:
        self.table.focus()

    def action_lookup(self) -> None:
        box = self.query_one("#lease-lookup", Input)
        box.display = True
        box.focus()

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
    def _looked_up(self, message: LookedUp) -> None:
        lease = message.lease
        new = lease.id not in self.store
        self.store.add(lease.id, lease)
        self.keepalive.update(lease)
        if message.by_hand:
            self.tracked.add(lease.id)
            box = self.query_one("#lease-lookup", Input)
            box.value = ""
            if self.can_list:
                box.display = False
        if new:
            self.table.rebuild()
        if message.by_hand:
            self.table.move_to(lease.id)
            self.table.focus()
        self.table.lease_changed(lease.id)
        if self.table.current_lease_id == lease.id:
            self._show_detail(lease.id)
        self._update_status()

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
            self._note(f"{len(refused)} lease(s) not renewable: {reason}", "warning")
        if not renewable:
            return
        what = "this lease" if len(renewable) == 1 else f"{len(renewable)} leases"
        answer = await self.app.push_screen_wait(
            PromptScreen(f"Renew {what}", "Increment (30m, 1h, 3600; empty = the mount's default TTL):", "")
        )
        if answer is None:
            return
        try:
            increment = parse_duration(answer)
        except ValueError as error:
            self._note(str(error), "error")
            return
        for lease_id in renewable:
            vault_app(self).worker.submit(
                Call(api.renew_lease, lease_id, increment),
                to=self,
                done=self.Renewed,
                failed=lambda error, lease_id=lease_id: self.LeaseFailed(lease_id, "renewing", error),
                action="renewing a lease", key=f"lease-renew:{lease_id}",
            )

    @on(Renewed)
    def _renewed(self, message: Renewed) -> None:
        result = message.result
        lease = result.lease
        self.store.update(lease)
        self.keepalive.update(lease)
        self.table.lease_changed(lease.id)
        if self.table.current_lease_id == lease.id:
            self._show_detail(lease.id)
        line = f"renewed {lease.id}: expires {format_time(lease.expire_time)}"
        if result.capped:
            asked = f"{result.requested}s" if result.requested is not None else "the default"
            line += f" — capped by max_ttl (asked {asked}, got {result.granted}s)"
            self._note(line, "warning")
        else:
            self._note(line)

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
                done=lambda result, lease_id=lease_id: self.Revoked(lease_id, result),
                failed=lambda error, lease_id=lease_id: self.LeaseFailed(lease_id, "revoking", error),
                action="revoking a lease",
            )

    @on(Revoked)
    def _revoked(self, message: Revoked) -> None:
        self._forget(message.lease_id)
        self._note(f"revoked {message.lease_id}")

    def _forget(self, lease_id: str) -> None:
        self.store.remove(lease_id)
        self.issued.pop(lease_id, None)
        self.tracked.discard(lease_id)
        self.keepalive.unwatch(lease_id)
        self._sync_flags()
        self._structure_changed()
        self._update_status()

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
            self._note(f"counting leases under {prefix} failed: {error}", "error")
            return
        if count == 0:
            self._note(f"no leases under {prefix}", "warning")
            return
        body = Text()
        body.append(f"This revokes {how_many} under\n")
        body.append(visible(prefix), style="bold")
        body.append("\n\nRevocation is synchronous (sync=true).")
        if prefix.startswith("auth/"):
            body.append("\nThese are login tokens: revoking them logs those sessions out, possibly yours.", style="bold red")
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
            if not await self.app.push_screen_wait(ConfirmScreen("Really force-revoke?", warning, confirm_label="Force-revoke")):
                return
        vault_app(self).worker.submit(
            Call(_revoke_prefix, prefix.rstrip("/"), force),
            to=self,
            done=self.PrefixRevoked,
            failed=lambda error: self.LeaseFailed(prefix, "force-revoking prefix" if force else "revoking prefix", error),
            action="revoking a prefix",
        )

    def action_force_revoke_prefix(self) -> None:
        self.action_revoke_prefix(force=True)

    @on(PrefixRevoked)
    def _prefix_revoked(self, message: PrefixRevoked) -> None:
        result = message.result
        prefix = result.prefix + "/"
        for lease_id in self.store.ids_under(prefix):
            self._forget(lease_id)
        for lease_id in [i for i in self.issued if i.startswith(prefix)]:
            self._forget(lease_id)
        count = f"{result.count:,} lease(s)" if result.count >= 0 else "every lease"
        kind = "force-revoked" if result.force else "revoked"
        self._note(f"{kind} {count} under {prefix}")

    # -- generate, keep-alive, copy -------------------------------------------------------------
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
    def _creds_issued(self, message: CredsIssued) -> None:
        creds = message.creds
        self._adopt_creds(creds)
        self._note(f"new credentials from {creds.mount}/creds/{creds.role} (lease {creds.lease_id})")
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
        self._sync_flags()
        self.table.rebuild()
        self.table.move_to(creds.lease_id)
        self._show_detail(creds.lease_id)
        self._update_status()

    def action_keepalive(self) -> None:
        targets = self._targets()
        if not targets:
            self.app.bell()
            return
        for lease_id in targets:
            if lease_id in self.keepalive:
                self.keepalive.unwatch(lease_id)
                self._note(f"keep-alive off: {lease_id}", "quiet")
                continue
            lease = self.store.known.get(lease_id)
            if lease is None:
                self._note(f"not looked up yet: {lease_id}", "warning")
            elif not lease.renewable:
                self._note(f"cannot keep alive {lease_id}: {lease.not_renewable_reason}", "warning")
            else:
                self.keepalive.watch(lease, self.issued.get(lease_id))
                self._note(f"keep-alive on: {lease_id}", "quiet")
        self._sync_flags()
        self.table.refresh()
        self._update_status()

    def _keepalive_report(self, event: KeepAliveEvent) -> None:
        self.post_message(self.KeepAliveReport(event))

    @on(KeepAliveReport)
    def _keepalive_event(self, message: KeepAliveReport) -> None:
        event = message.event
        if event.kind == "renewed" and event.lease is not None:
            self.store.update(event.lease)
            self.table.lease_changed(event.lease_id)
            self._note(f"keep-alive renewed {event.lease_id}: expires {format_time(event.lease.expire_time)}")
        elif event.kind == "regenerated" and event.credentials is not None:
            old = event.lease_id
            self.issued.pop(old, None)
            self._adopt_creds(event.credentials)
            self._note(
                f"keep-alive: renewing {old} failed ({event.detail}); new credentials issued as "
                f"{event.credentials.lease_id}",
                "warning",
            )
        else:
            self._note(f"keep-alive stopped for {event.lease_id}: {event.detail}", "error")
        self._sync_flags()
        self.table.refresh()
        self._update_status()

    def _sync_flags(self) -> None:
        table = self.table
        table.keepalive = frozenset(self.keepalive.watched)
        table.session = frozenset(self.issued)

    def _current_creds(self) -> IssuedCredentials | None:
        lease_id = self.table.current_lease_id
        return self.issued.get(lease_id) if lease_id else None

    def action_copy_username(self) -> None:
        creds = self._current_creds()
        if creds is None:
            self._note("no credentials issued this session for this lease", "warning")
            return
        vault_app(self).copy_secret(creds.username, "username")

    def action_copy_password(self) -> None:
        creds = self._current_creds()
        if creds is None:
            self._note("no credentials issued this session for this lease", "warning")
            return
        vault_app(self).copy_secret(creds.password, "password")

    # -- failures -----------------------------------------------------------------------------
    @on(LeaseFailed)
    def _failed(self, message: LeaseFailed) -> None:
        error = message.error
        lease_id = message.lease_id
        if isinstance(error, LeaseGone):
            # The row updates to the truth: it is gone.
            if lease_id in self.store:
                self._forget(lease_id)
            self._note(f"{message.action} {lease_id}: the lease is already gone (expired or revoked)", "warning")
            return
        if isinstance(error, api.NotRenewable):
            lease = self.store.known.get(lease_id)
            if lease is not None and lease.server_renewable:
                self.store.update(replace(lease, server_renewable=False))
                self.table.lease_changed(lease_id)
            self._note(f"{message.action} {lease_id}: {error}", "warning")
            return
        self._note(f"{message.action} {lease_id}: {error}", "error")
        if message.action.startswith("revoking prefix") and error.status and error.status >= 500:
            self._note("the backend could not revoke every lease; force-revoke (ctrl+x) is available behind a warning", "warning")

    # -- session leases: the quit guard ------------------------------------------------------------
    async def quit_guard(self) -> bool:
        """On quit: offer to revoke what this session issued; report every revocation that failed.

        Returns False to stay in the app.
        """
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
        lines = "\n".join(f"• {visible(lease_id)}: {visible(error)}" for lease_id, error in failures)
        return bool(
            await self.app.push_screen_wait(
                ConfirmScreen(
                    f"{len(failures)} of {len(issued)} revocation(s) failed",
                    f"These leases are still live on the server:\n{lines}\n\nQuit anyway, or stay and retry?",
                    confirm_label="Quit anyway",
                )
            )
        )

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
        return failures
