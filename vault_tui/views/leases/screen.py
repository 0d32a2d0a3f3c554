"""The lease dashboard: every lease grouped by prefix with a live TTL countdown; renew, revoke,
revoke by prefix, dynamic credentials and a keep-alive watchlist.

* Listing walks ``sys/leases/lookup/`` (needs sudo). Without sudo the view says so, shows the
  leases this session issued and offers a look-up-by-ID box.
* What to list, what to look up first and what changed is decided by the Textual-free
  :mod:`.refresh` (rows on screen first, then the rest in display order; a refresh re-looks-up
  only leases whose expiry is unknown or already past, unless forced with ``R``).
* The countdown derives from ``expire_time`` and the app's single clock (``app.now``); a tick
  repaints only the TTL column of the visible rows and the side panel's TTL line.
* A refresh that fails never reads as "refreshed". When the server is away the rows stay as they
  were, marked stale with their age; the app calls :meth:`LeasesScreen.reload` when it is back.
* Polling: the next refresh is scheduled only after the previous one finished (backing off while
  refreshes fail), and waits while a dialog is open or another view is showing.
* Revokes send ``sync=true``: when the server answers, the lease (and the DB user) is gone.
* Widgets post, the screen decides: the table and the side panel only render; the dialogs live
  in :mod:`.dialogs`; every message handler copes with arriving early or late (:mod:`.guard`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from datetime import datetime
from typing import Any

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.timer import Timer
from textual.widgets import Input, Static

from ...context import vault_app
from ...safe import visible
from ...vault.leases import Lease
from ...widgets.footer import KeysFooter
from ...widgets.session_bar import SessionBar
from .audit import describe_key
from .audit_actions import LeaseAudit
from .guard import composed, gone, when_composed
from .model import LeaseStore, SortKey
from .refresh import (
    FirstLook,
    GcPause,
    PollState,
    Refresher,
    RefreshLog,
    RefreshReport,
    Scope,
    ViewShape,
    clock_time,
    list_and_look_up_first,
)
from .side import LeaseFacts, LeaseSide
from .table import LeaseTable

WRITE_ACTIONS = {
    "renew",
    "revoke",
    "revoke_prefix",
    "force_revoke_prefix",
    "generate",
    "keepalive",
}
CREDS_ACTIONS = {"copy_username", "copy_password", "reveal"}
ACTION_WORDS = {
    "renew": "Renew",
    "revoke": "Revoke",
    "revoke_prefix": "Revoke a prefix",
    "force_revoke_prefix": "Force-revoke a prefix",
    "generate": "Generate credentials",
    "keepalive": "Keep alive",
    "copy_username": "Copy the username",
    "copy_password": "Copy the password",
    "reveal": "Reveal the credentials",
}
BOXES = {
    "lease-lookup": "look up a lease by ID (e.g. database/creds/ro/AbCd…) and press Enter",
    "lease-filter": "filter lease ids…",
}
NO_CREDS = "only credentials issued in this session can be shown or copied, and this lease has none"


class _Hooks:
    """How a refresh tells the screen what it found (see :class:`.refresh.RefreshHooks`)."""

    def __init__(self, screen: LeasesScreen) -> None:
        self.screen = screen
        self._last_status = 0.0

    def visible(self) -> list[str]:
        return self.screen.table.visible_lease_ids()

    def order(self) -> list[str]:
        return [row.key for row in self.screen.table.rows if not row.is_group]

    def looked_up(self, lease: Lease) -> None:
        screen = self.screen
        screen.keepalive.update(lease)
        screen.table.lease_changed(lease.id)
        if screen.table.current_lease_id == lease.id:
            screen.show_detail()

    def failed(self, lease_id: str) -> None:
        self.screen.table.lease_changed(lease_id)
        if self.screen.table.current_lease_id == lease_id:
            self.screen.show_detail()

    def gone(self, lease_ids: list[str]) -> None:
        for lease_id in lease_ids:
            self.screen.drop_lease(lease_id, rebuild=False)
        self.screen.structure_changed()

    def listed(self, added: set[str], removed: set[str]) -> None:
        for lease_id in removed:
            self.screen.drop_lease(lease_id, rebuild=False)
        self.screen.table.rebuild()

    def screenful(self) -> Awaitable[None] | None:
        return self.screen.screenful_in_hand()

    def progress(self, pending: int) -> None:
        self.screen.refreshes.pending = pending
        now = time.perf_counter()
        if now - self._last_status > 0.5:
            self._last_status = now
            self.screen.update_status()


class LeasesScreen(LeaseAudit):
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
        Binding("a", "inventory", "Inventory", id="leases.inventory"),
        Binding("e", "export", "Export", show=False, id="leases.export"),
        Binding("v", "reveal", "Reveal creds", show=False, id="leases.reveal"),
        Binding("u", "copy_username", "Copy user", show=False, id="leases.copy_username"),
        Binding("p", "copy_password", "Copy password", show=False, id="leases.copy_password"),
        Binding("escape", "clear", "Clear", show=False, id="leases.clear"),
    ]

    # -- set-up -----------------------------------------------------------------------------
    def __init__(self) -> None:
        super().__init__()
        self.store = LeaseStore()
        self.init_actions()
        self.init_audit()
        self.tracked: set[str] = set()  # looked up by id (shown even without sudo)
        self.can_list: bool | None = None
        self.refreshes = RefreshLog()
        self.poll = PollState()
        self.hidden_prefixes: list[str] = []
        self.activity: list[str] = []
        self._table: LeaseTable | None = None
        self._footer: KeysFooter | None = None
        self._resumed = False
        self._side: LeaseSide | None = None
        self._poll_timer: Timer | None = None
        self._rebuild_pending = False
        self._scope: Scope | None = None
        # Benchmark and test probes (perf_counter times of the running refresh).
        self._refresh_started = 0.0
        self._first_screenful_at: float | None = None  # TTLs of the rows on screen in hand
        self._first_screenful_shown_at: float | None = None  # ... and painted
        self._all_ttls_at: float | None = None
        self._prefetched_walk: asyncio.Future[FirstLook] | None = None
        self.refresher = Refresher(self.store, self._background_call, _Hooks(self))
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
        # No full garbage collection while the view opens (see GcPause): it resumes once the
        # first screenful is painted, when the first refresh ends, or after 2 s at most.
        self._gc_pause = GcPause()
        self._gc_pause.start()

    def compose(self) -> ComposeResult:
        config = vault_app(self).config
        # The LIST walk goes out now, while the widgets below mount, style and lay out (the
        # first refresh, started from on_mount, picks up its result).
        self._prefetched_walk = self._start_walk()
        self._scope = self._current_scope()
        yield SessionBar()
        yield Static("", id="lease-status", markup=False)
        yield Static("", id="lease-notice", markup=False)
        # The look-up and filter boxes are built when first needed (see box()).
        with Horizontal(id="leases-body"):
            self._table = LeaseTable(
                self.store,
                warn_seconds=config.lease_warn_seconds,
                critical_seconds=config.lease_critical_seconds,
                id="lease-table",
            )
            yield self._table
            self._side = LeaseSide(
                warn_seconds=config.lease_warn_seconds, critical_seconds=config.lease_critical_seconds, id="lease-side"
            )
            yield self._side
        # The footer comes once the first rows are painted: its keys are a dozen widgets to
        # build and style, and the rows come first. The slot keeps the layout from moving.
        yield Static("", id="lease-footer-slot", markup=False)

    @property
    def table(self) -> LeaseTable:
        return self._table if self._table is not None else self.query_one(LeaseTable)

    @property
    def side(self) -> LeaseSide:
        return self._side if self._side is not None else self.query_one(LeaseSide)

    @property
    def read_only(self) -> bool:
        return bool(vault_app(self).config.read_only)

    # compatibility probes (tests and the benchmark)
    @property
    def refresh_count(self) -> int:
        return self.refreshes.count

    @property
    def refreshing(self) -> bool:
        return self.refreshes.running

    @property
    def last_looked_up(self) -> set[str]:
        return set(self.refreshes.last.looked_up) if self.refreshes.last is not None else set()

    @property
    def last_refresh(self) -> datetime | None:
        return self.refreshes.last.finished if self.refreshes.last is not None else None

    @property
    def _poll_waiting(self) -> bool:
        return self.poll.waiting

    def on_mount(self) -> None:
        app = vault_app(self)
        app.quit_guards.append(self.quit_guard)
        # The look-up box, the filter box and the notice start hidden (leases.tcss); the table
        # gets the focus through AUTO_FOCUS. Each focus move re-renders the footer, and each
        # display toggle re-lays out the screen, so the view does neither while it opens.
        self.watch(self.app, "now", self._tick, init=False)
        self.watch(self.app, "session", self._session_changed, init=False)
        self.run_worker(self.keepalive.run(), group="leases-keepalive", exit_on_error=False)
        self.set_timer(2.0, self._opened, name="leases-opened")
        self.side.activity(self.activity)
        self.update_status()
        self.start_refresh()

    def on_unmount(self) -> None:
        self._gc_pause.end()  # never left paused
        guards = vault_app(self).quit_guards
        if self.quit_guard in guards:
            guards.remove(self.quit_guard)
        self._drop_prefetched_walk()

    # -- refusals: a hidden key says why ----------------------------------------------------------
    def refusal(self, action: str) -> str | None:
        """Why ``action`` is not available now (None: it is)."""
        if action in WRITE_ACTIONS and self.read_only:
            return "read-only"
        if action in CREDS_ACTIONS and self.current_creds() is None:
            return NO_CREDS
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Hidden when refused (the Vault layer refuses writes under --read-only too); a press of
        # the hidden key is explained by on_key.
        return self.refusal(action) is None

    def on_key(self, event: events.Key) -> None:
        if isinstance(self.focused, Input):
            return  # typed text
        for namespace, bindings in self._modal_binding_chain:
            if namespace is not self:
                continue
            for binding in bindings.key_to_bindings.get(event.key, ()):
                action = binding.action.partition("(")[0]
                reason = self.refusal(action)
                if reason is not None:
                    event.stop()
                    event.prevent_default()
                    self.explain(action, reason)
                    return

    def explain(self, action: str, reason: str) -> None:
        words = ACTION_WORDS.get(action, action)
        if reason == "read-only":
            vault_app(self).explain_refusal(words)
        else:
            self.notify(f"{words}: {reason}.", severity="warning", markup=False, timeout=5)

    # -- the clock and the session --------------------------------------------------------------
    def _tick(self, now: datetime) -> None:
        if not composed(self) or self not in self.app.screen_stack:
            return  # another view is showing: nothing to paint
        self.table.now = now
        self.side.tick(now)
        if self.refreshes.stale(vault_app(self).session.stale):
            self.update_status()  # the age of what is shown

    def _session_changed(self, _session: object) -> None:
        if composed(self):
            self.update_status()

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        if not self._resumed:
            # Shown for the first time: every widget was styled a moment ago, when it mounted.
            # Textual would restyle the whole screen again (it may have changed while hidden).
            self._resumed = True
            event.refresh_styles = False
        if not composed(self):
            return
        self.table.now = vault_app(self).now
        self.table.refresh()
        if self.poll.resumed():
            self.start_refresh()

    # -- refresh ------------------------------------------------------------------------------
    def _current_scope(self) -> Scope:
        session = vault_app(self).session
        return Scope(session.namespace, session.profile, session.addrs)

    def reload(self) -> None:
        """The app asks for fresh data: after a namespace/profile switch (start over) or when
        the server is back (keep the rows; the refresh replaces them)."""
        if gone(self):
            return
        scope = self._current_scope()
        switched = scope != self._scope
        self._scope = scope
        self._drop_prefetched_walk()
        if switched:
            self.store.set_listing([], keep=())
            self.tracked.clear()
            self.can_list = None
            if composed(self):
                self.table.rebuild()
        self.start_refresh(force=switched)

    def action_refresh(self, force: bool = False) -> None:
        self.start_refresh(force=force)

    def start_refresh(self, force: bool = False) -> None:
        if gone(self):
            return
        if self._poll_timer is not None:
            self._poll_timer.stop()
            self._poll_timer = None
        self.run_worker(self._refresh(force), group="leases-refresh", exclusive=True, exit_on_error=False)

    def _schedule_poll(self) -> None:
        delay = self.refreshes.poll_delay(float(vault_app(self).config.lease_refresh_seconds or 0))
        if delay is not None:
            self._poll_timer = self.set_timer(delay, self._poll_due, name="leases-poll")

    def _poll_due(self) -> None:
        self._poll_timer = None
        if self.poll.due(showing=self.app.screen is self):
            self.start_refresh()

    async def _background_call(self, fn: Any, *args: Any) -> Any:
        return await vault_app(self).worker.call_background(fn, *args)

    async def _refresh(self, force: bool) -> None:
        self.refreshes.running = True
        self._refresh_started = time.perf_counter()
        self._first_screenful_at = self._first_screenful_shown_at = self._all_ttls_at = None
        self.update_status()
        future, self._prefetched_walk = self._prefetched_walk, None
        keep = [*self.issued, *self.tracked]
        report: RefreshReport | None = None
        try:
            report = await self.refresher.run(force=force, keep=keep, listing=future)
        finally:
            if report is None:
                self.refreshes.running = False  # cancelled (a newer refresh, or the view closed)
        self._all_ttls_at = time.perf_counter()
        if composed(self):
            self._refreshed(report)

    def _opened(self) -> None:
        """The view has opened (the first screenful is painted, or the first refresh is over,
        or 2 s have passed): collect garbage again and show the footer."""
        self._gc_pause.end()
        if self._footer is None and composed(self):
            self._footer = KeysFooter()
            with self.app.batch_update():
                self.query("#lease-footer-slot").remove()
                self.mount(self._footer)
            # A footer shows its keys on the next "bindings changed": say so once it is mounted.
            self.call_after_refresh(self.refresh_bindings)

    def _refreshed(self, report: RefreshReport) -> None:
        self._opened()
        previous = self.refreshes.last
        self.refreshes.record(report)
        if report.listed or report.no_sudo:
            self._set_no_sudo(report.no_sudo)
            self.hidden_prefixes = list(report.hidden)
        for folder, why in report.problems:
            self.note(f"listing leases under {folder} failed: {why}", "error")
        if report.failure is not None and report.server_away:
            vault_app(self).worker.noticed(report.failure)  # the app watches for its return
        if report.failure is not None and (previous is None or previous.ok):
            # Once per failure streak (a poll every few seconds must not flood the screen).
            if report.server_away:
                self.note(
                    f"refresh failed, the server is away: {report.failure}; showing the last good data", "warning"
                )
            else:
                self.note(f"refresh failed: {report.failure}", "error")
        if self.store.sort_key is not SortKey.PREFIX or self.store.predicate is not None:
            self.store.version += 1  # apply the TTL/issue order and the audit filter to the new TTLs
        self.table.rebuild_if_changed()
        if self.inventory_shown:
            self.update_inventory()
            if report.added:
                self.check_roles()
        self.update_status()
        self._schedule_poll()

    def _start_walk(self) -> asyncio.Future[FirstLook]:
        # The first screenful goes with the walk (one worker call, no hop through the event
        # loop in between): at most a terminal's height of rows, in the order the table will use.
        lines = max(1, self.app.size.height - 4)
        future = asyncio.ensure_future(self._background_call(list_and_look_up_first, ViewShape.of(self.store, lines)))
        # Mark any outcome as seen: the view may be closed before anything awaits it.
        future.add_done_callback(lambda done: done.cancelled() or done.exception())
        return future

    def _drop_prefetched_walk(self) -> None:
        future, self._prefetched_walk = self._prefetched_walk, None
        if future is not None:
            future.cancel()

    def screenful_in_hand(self) -> Awaitable[None] | None:
        """The rows on screen have their TTLs: returns when the next repaint has shown them."""
        self._first_screenful_at = time.perf_counter()
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def shown() -> None:
            self._first_screenful_shown_at = time.perf_counter()
            self._opened()
            if not done.done():
                done.set_result(None)

        if gone(self) or not self.call_after_refresh(shown):
            return None
        return done

    def structure_changed(self) -> None:
        """Rows were added or removed: rebuild soon (many changes, one rebuild)."""
        if self._rebuild_pending:
            return
        self._rebuild_pending = True

        def rebuild() -> None:
            self._rebuild_pending = False
            if composed(self):
                self.table.rebuild()

        self.set_timer(0.2, rebuild)

    def drop_lease(self, lease_id: str, *, rebuild: bool = True) -> None:
        """A lease is gone (revoked, expired, not listed any more): forget it everywhere."""
        self.store.remove(lease_id)
        self.issued.pop(lease_id, None)
        self.tracked.discard(lease_id)
        self.keepalive.unwatch(lease_id)
        if self.revealed == lease_id:
            self.revealed = None
        if rebuild and composed(self):
            self.sync_flags()
            self.structure_changed()
            self.update_status()

    # -- status, detail, notices --------------------------------------------------------------
    def _set_no_sudo(self, no_sudo: bool) -> None:
        self.can_list = not no_sudo
        notice = self.query_one("#lease-notice", Static)
        if no_sudo:
            self.box("lease-lookup")
            notice.update(
                Text(
                    "This token may not list leases: that needs 'sudo' on sys/leases/lookup/. "
                    "Showing the leases this session issued and the ones you look up by ID (press i).",
                    style="bold",
                )
            )
            notice.display = True
        elif notice.display:
            notice.display = False

    def update_status(self) -> None:
        if not composed(self):
            return
        store = self.store
        app = vault_app(self)
        session = app.session
        text = Text(no_wrap=True, overflow="ellipsis")
        groups = len({i.rpartition("/")[0] for i in store.ids})
        text.append(f"{len(store):,} lease{'s' if len(store) != 1 else ''}", style="bold")
        text.append(f" in {groups:,} prefix{'es' if groups != 1 else ''}")
        for piece, style in self.refreshes.describe(
            app.now, session_stale=session.stale, session_last_good=session.last_good
        ):
            text.append(" · ")
            text.append(visible(piece), style=style)
        if store.marked:
            text.append(f" · {len(store.marked)} marked", style="bold yellow")
        if self.keepalive.watched:
            text.append(f" · keep-alive {len(self.keepalive.watched)}", style="bold green")
        if store.filter_text:
            text.append(" · filter: ", style="dim")
            text.append(visible(store.filter_text), style="bold")
        if self.audit_key is not None:
            text.append(" · showing: ", style="dim")
            text.append(visible(describe_key(self.audit_key)), style="bold")
        text.append(f" · sort: {store.sort_key.value}{'' if store.grouped else ' (flat)'}", style="dim")
        if self.hidden_prefixes:
            text.append(f" · {len(self.hidden_prefixes)} prefix(es) not listable", style="yellow")
        if self.read_only:
            text.append(" · read-only", style="bold yellow")
        # One line, fixed height (leases.tcss): no re-layout of the screen for a new status.
        self.query_one("#lease-status", Static).update(text, layout=False)
        self.table.stale = self.refreshes.stale(session.stale)

    def note(self, line: str, severity: str = "information") -> None:
        stamp = clock_time(vault_app(self).now)
        self.activity = [f"{stamp} {visible(line)}", *self.activity][:8]
        if composed(self):
            self.side.activity(self.activity)
        if severity != "quiet":
            self.app.notify(visible(line), severity=severity, markup=False)  # type: ignore[arg-type]

    @on(LeaseTable.Highlighted)
    @when_composed
    def _highlighted(self, message: LeaseTable.Highlighted) -> None:
        row = message.row
        lease_id = row.key if row is not None and not row.is_group else None
        if self.revealed is not None and self.revealed != lease_id:
            self.revealed = None  # revealed credentials hide again when the cursor leaves them
        self.show_detail()

    def show_detail(self) -> None:
        """Show the row under the cursor in the side panel."""
        if not composed(self):
            return
        table = self.table
        row = table.current_row
        facts = None
        if row is not None and not row.is_group:
            lease_id = row.key
            facts = LeaseFacts(
                lease_id=lease_id,
                lease=self.store.known.get(lease_id),
                error=self.store.errors.get(lease_id),
                kept_alive=lease_id in self.keepalive,
                creds=self.issued.get(lease_id),
                revealed=self.revealed == lease_id,
            )
        self.side.show(row, facts, vault_app(self).now)

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
        self.update_status()

    def action_clear(self) -> None:
        """Escape: leave the inventory or the text field (clearing the filter), else drop the
        audit filter, else unmark."""
        filter_input = self.find_box("lease-filter")
        lookup = self.find_box("lease-lookup")
        if self.inventory_shown:
            self.hide_inventory()
            return
        if filter_input is not None and filter_input.display:
            filter_input.value = ""
            filter_input.display = False
            self.store.filter_text = ""
            self.store.version += 1
            self.table.rebuild()
        elif lookup is not None and lookup.has_focus:
            if self.can_list:
                lookup.display = False
        elif self.audit_key is not None:
            self.apply_audit_filter(None)
        elif self.store.marked:
            self.store.marked.clear()
            self.table.refresh()
        self.table.focus()
        self.update_status()

    def action_sort(self) -> None:
        self.store.sort_key = self.store.sort_key.next()
        self.table.rebuild()
        self.update_status()

    def action_group(self) -> None:
        self.store.grouped = not self.store.grouped
        self.table.rebuild()
        self.update_status()

    def find_box(self, box_id: str) -> Input | None:
        found = self.query(f"#{box_id}")
        return found.first(Input) if found else None

    def box(self, box_id: str) -> Input:
        """The look-up box or the filter box, built the first time it is needed (two fewer
        widgets to build and style while the view opens), and shown."""
        box = self.find_box(box_id)
        if box is None:
            box = Input(placeholder=BOXES[box_id], id=box_id)
            self.mount(box, before="#leases-body")
        box.display = True
        return box

    def _open_box(self, box_id: str) -> None:
        box = self.box(box_id)
        self.call_after_refresh(box.focus)

    def action_filter(self) -> None:
        self._open_box("lease-filter")

    @on(Input.Changed, "#lease-filter")
    @when_composed
    def _filter_changed(self, event: Input.Changed) -> None:
        self.store.filter_text = event.value
        self.table.rebuild()
        self.update_status()

    @on(Input.Submitted, "#lease-filter")
    def _filter_done(self) -> None:
        self.table.focus()

    def action_lookup(self) -> None:
        self._open_box("lease-lookup")
