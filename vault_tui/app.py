"""The vault-tui application: owns the session, the worker, the views (modes) and the clock.

* The :class:`~vault_tui.session.Session` is a frozen value held in :attr:`VaultApp.session`;
  only this module replaces it (``self.session = replace(...)``). Views and the session bar
  watch it.
* The worker (``app.worker``) runs every Vault call; the connection keeper (``app.connection``)
  connects, renews the token, watches the node's health and moves between cluster nodes.
* Views come from :data:`vault_tui.views.registry.VIEWS`: modes, key bindings, the ``:`` command
  line, the palette and help all derive from that one list.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import rich
from rich.segment import Segments
from rich.text import Text
from rich.traceback import Traceback
from textual import events, on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Center, Middle
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import LoadingIndicator, Static

from .clipboard import Clipboard
from .commands import CommandLine, ViewCommands
from .config import AppConfig
from .connection import ConnectionKeeper
from .messages import ConnectFailed, LinkChanged, SessionReady, TokenLost, TokenRenewed, VaultFailed
from .profile_switch import ProfileSwitch, prepare_switch
from .safe import visible
from .screens.lock import LockScreen
from .screens.modals import ConfirmScreen, ConnectErrorScreen, HelpScreen, describe_connect_error, help_rows
from .screens.signin import SignInScreen
from .session import Link, Session
from .timefmt import utcnow
from .trail import Trail
from .vault.errors import VaultError
from .vault.gateway import Gateway
from .vault.models import TokenInfo
from .views.registry import VIEW_BY_NAME, VIEWS, ViewSpec, resolve
from .widgets.footer import KeysFooter
from .widgets.session_bar import SessionBar
from .worker import VaultWorker


class ConnectingScreen(Screen[None]):
    """The default screen while the session starts."""

    def __init__(self, addr: str) -> None:
        super().__init__()
        self.addr = addr

    def compose(self) -> ComposeResult:
        yield SessionBar()
        with Middle():
            with Center():
                yield Static(Text(f"Connecting to {visible(self.addr)} …"), id="connecting")
            yield LoadingIndicator()
        yield KeysFooter()


class VaultApp(App[None]):
    CSS_PATH = [
        Path(__file__).parent / "vault_tui.tcss",
        Path(__file__).parent / "screens" / "modals.tcss",
        Path(__file__).parent / "screens" / "signin.tcss",
        # Read at start-up: opening the lease view then restyles nothing (Textual re-parses every
        # stylesheet and restyles every widget of every screen when a screen brings a new one).
        Path(__file__).parent / "views" / "leases" / "leases.tcss",
    ]
    TITLE = "vault-tui"
    COMMANDS = App.COMMANDS | {ViewCommands}
    BINDINGS = [
        Binding("question_mark", "help", "Keys", key_display="?", id="app.help"),
        Binding("colon", "command_line", "Cmd", key_display=":", id="app.command"),
        *(spec.binding() for spec in VIEWS),
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True),
    ]
    MODES = {spec.name: spec.make for spec in VIEWS}

    now: reactive[datetime] = reactive(utcnow, init=False)
    session: reactive[Session] = reactive(Session, init=False, always_update=True)

    def __init__(self, config: AppConfig | None = None, gateway: Gateway | None = None, *, tick: bool = True) -> None:
        self.config = config or AppConfig()
        self.gateway = gateway or Gateway(self.config.connection, read_only=self.config.read_only)
        self.gateway.read_only = self.config.read_only
        self._tick_enabled = tick
        super().__init__()
        self.worker = VaultWorker(self, self.gateway)
        self.worker.trail = Trail(getattr(self.config, "trail_path", None)) if self.config.trail else None
        self.worker.where = lambda: (self.session.profile, self.session.addr, self.session.namespace)
        self.connection = ConnectionKeeper(self, self.worker, self._configured_addrs())
        self.set_reactive(VaultApp.session, self._fresh_session())
        self.secret_clipboard = Clipboard(self.copy_to_clipboard, clear_after=self.config.clipboard_clear_seconds)
        self.quit_guards: list[Callable[[], Awaitable[bool]]] = []
        self.drafts: dict[str, tuple[str, Callable[[], None] | None]] = {}
        self.last_error: VaultError | None = None
        self.command_line = CommandLine(self)
        self.last_input = time.monotonic()  # for the idle lock
        self._lock_sign_in = False  # the sign-in that ends an idle lock is on screen

    def _configured_addrs(self) -> tuple[str, ...]:
        """Every address of the profile's server or cluster (the connection's own first)."""
        addrs = tuple(self.config.addrs or ())
        current = self.config.connection.addr
        if current not in addrs:
            return (current,)
        return (current, *(addr for addr in addrs if addr != current))

    def _fresh_session(self) -> Session:
        return Session(
            addr=self.gateway.settings.addr,
            addrs=self._configured_addrs(),
            namespace=self.gateway.settings.namespace,
            profile=self.config.profile,
            read_only=self.config.read_only,
            token_source=self.config.token_source,
        )

    def update_session(self, **changes: Any) -> None:
        """Replace the session with a copy that has ``changes`` (the one way it changes)."""
        self.session = replace(self.session, **changes)

    # -- lifecycle --------------------------------------------------------------------------
    def get_default_screen(self) -> Screen[Any]:
        return ConnectingScreen(self.gateway.settings.addr)

    def on_mount(self) -> None:
        # The event loop and the worker threads share the GIL. With the default 5 ms switch
        # interval, a burst of UI work (opening a view) starves the threads waiting to hand
        # over their replies; 1 ms lets replies through without measurable cost elsewhere.
        sys.setswitchinterval(min(sys.getswitchinterval(), 0.001))
        if self.config.keymap:
            self.set_keymap(self.config.keymap)
        if self._tick_enabled:
            self.set_interval(1.0, self.tick, name="clock")
        if self.config.idle_lock_minutes > 0:
            self.set_interval(min(10.0, self.config.idle_lock_minutes * 30), self._check_idle, name="idle-lock")
        if self.config.token_note:
            self.notify(visible(self.config.token_note), title="Token", severity="warning", markup=False, timeout=10)
        self.connection.connect()
        # Import the first view's code while the connection is being made (its threads wait on
        # the network), not after: the views are imported on first use (views/registry.py).
        self.call_after_refresh(self._first_view().load)

    def _first_view(self) -> ViewSpec:
        return VIEW_BY_NAME.get(self.config.initial_view) or VIEWS[0]

    def tick(self) -> None:
        """The single clock: every countdown in the app derives from ``now``."""
        self.now = utcnow()

    # -- idle lock ----------------------------------------------------------------------------
    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown)):
            self.last_input = time.monotonic()
        await super().on_event(event)

    def _check_idle(self) -> None:
        minutes = self.config.idle_lock_minutes
        if minutes <= 0 or self._lock_sign_in or any(isinstance(screen, LockScreen) for screen in self.screen_stack):
            return  # locked already (the sign-in that ends a lock is part of it: nothing shows there)
        if time.monotonic() - self.last_input >= minutes * 60:
            self.lock()

    def lock(self) -> None:
        """Hide every revealed value, clear our clipboard secret, and cover the screen."""
        for spec in VIEWS:
            screen = self.view_screen(spec.name)
            conceal = getattr(screen, "conceal", None)
            if screen is not None and callable(conceal):
                conceal()
        for screen in self.screen_stack:
            conceal = getattr(screen, "conceal", None)
            if callable(conceal):
                conceal()
        self.run_worker(self.secret_clipboard.clear_if_ours(timeout=2.0), group="clipboard", exit_on_error=False)
        sign_in = self.config.idle_lock_sign_in

        def signed_in(result: tuple[str, TokenInfo] | None) -> None:
            self._lock_sign_in = False
            self.last_input = time.monotonic()
            if result is None:
                self.lock()  # no sign-in, no secrets
                return
            self._signed_in(result)

        def unlocked(_result: None) -> None:
            self.last_input = time.monotonic()
            if sign_in and self.session.ready:
                reason = "vault-tui was locked while idle. Sign in to carry on."
                self._lock_sign_in = True
                self.push_screen(SignInScreen(reason=reason), callback=signed_in)

        self.push_screen(LockScreen(self.config.idle_lock_minutes, sign_in), callback=unlocked)

    def show_sign_in(self, reason: str = "") -> None:
        """Show the sign-in screen over whatever is on screen (the user's place is kept)."""
        if any(isinstance(screen, SignInScreen) for screen in self.screen_stack):
            return
        self.push_screen(SignInScreen(reason=reason), callback=self._signed_in)

    def _signed_in(self, result: tuple[str, TokenInfo] | None) -> None:
        """SignInScreen dismisses with (token_value, TokenInfo) or None."""
        if not result:
            if not self.session.ready:
                self.exit()
            return
        token_value, info = result
        self.connection.adopt_token(token_value, info)
        if not self.session.ready:
            self.update_session(token_source="sign-in")
            self.connection.connect()
        else:
            self.update_session(token=info, token_source="sign-in")
            self.notify("Signed in again. You are back where you were.", markup=False)
            self.refresh_views()
            self._each_view("resume_after_sign_in")

    @on(SessionReady)
    def _session_ready(self, message: SessionReady) -> None:
        first = not self.session.ready
        self.update_session(
            server=message.server,
            token=message.token,
            addr=self.gateway.settings.addr,
            leader_addr=message.server.leader_address or self.session.leader_addr,
            link=Link.STANDBY if message.server.standby else Link.ACTIVE,
            ready=True,
            last_good=utcnow(),
            problem="",
        )
        if first:
            self.switch_mode(self._first_view().name)

    @on(ConnectFailed)
    def _connect_failed(self, message: ConnectFailed) -> None:
        title, detail, hint = describe_connect_error(message.error, self.gateway.settings.addr)
        self.last_error = message.error
        if message.server is not None:
            self.update_session(server=message.server)
        if not self.gateway.settings.token and message.error.status in (401, 403):
            self.show_sign_in(reason="No token found (VAULT_TOKEN, BAO_TOKEN or ~/.vault-token). Sign in:")
            return

        def decided(choice: str | None) -> None:
            if choice == "retry":
                self.connection.connect()
            elif choice == "sign_in":
                self.show_sign_in(reason=detail)
            else:
                self.exit()

        self.push_screen(ConnectErrorScreen(title, detail, hint), callback=decided)

    @on(TokenRenewed)
    def _token_renewed(self, message: TokenRenewed) -> None:
        self.update_session(token=message.token)

    @on(TokenLost)
    def _token_lost(self, message: TokenLost) -> None:
        if not self.session.ready:
            return
        self.update_session(token=None)
        self._each_view("token_lost")
        self.show_sign_in(reason=f"Your session ended: {message.error}. Sign in again to carry on.")

    @on(LinkChanged)
    def _link_changed(self, message: LinkChanged) -> None:
        was_stale = self.session.stale
        link = Link(message.link)
        changes: dict[str, Any] = {"link": link, "addr": message.addr, "problem": message.problem}
        if message.leader_addr:
            changes["leader_addr"] = message.leader_addr
        if message.server is not None:
            changes["server"] = message.server
        if link in (Link.ACTIVE, Link.STANDBY):
            changes["last_good"] = utcnow()
        elif self.connection.last_good_at is not None:
            changes["last_good"] = self.connection.last_good_at
        self.update_session(**changes)
        if message.moved_from:
            self.notify(
                f"{visible(message.moved_from)} stopped serving; now connected to {visible(message.addr)} ({link.value}).",
                title="Moved to another node",
                markup=False,
                timeout=8,
            )
        if was_stale and not self.session.stale:
            self.notify(f"The server is back ({visible(message.addr)}); views reloaded.", markup=False)
            self.refresh_views()
        elif message.recovered and not self.session.stale:
            self.refresh_views()  # a view's call failed, but the server answers: it reloads quietly

    @on(VaultFailed)
    def _vault_failed(self, message: VaultFailed) -> None:
        """Failures nobody handled closer to the widget end up here as a toast."""
        self.report_error(message.error, message.action)

    def report_error(self, error: VaultError, action: str = "") -> None:
        self.last_error = error
        prefix = f"{action}: " if action else ""
        self.notify(visible(f"{prefix}{error}"), title=error.title, severity="error", timeout=8, markup=False)

    def explain_refusal(self, action: str) -> None:
        """A key was pressed whose action is hidden or greyed out: say why in the status line."""
        reason = "read-only mode" if self.config.read_only else "not available here"
        self.notify(f"{visible(action)}: {reason}.", severity="warning", markup=False, timeout=4)

    # -- views ------------------------------------------------------------------------------
    def action_view(self, name: str) -> None:
        if not self.session.ready:
            self.bell()
            return
        spec = resolve(name)
        if spec is None:
            self.notify(f"Unknown view: {visible(name)}", severity="warning", markup=False)
            return
        if self.current_mode != spec.name:
            self.switch_mode(spec.name)

    def show_view(self, name: str, then: Callable[[Screen[Any]], None] | None = None) -> None:
        """Switch to a view, then call ``then(screen)`` once it is on screen."""
        self.action_view(name)
        if then is not None:

            def run() -> None:
                screen = self.view_screen(name)
                if screen is not None:
                    then(screen)

            self.call_after_refresh(run)

    def view_screen(self, name: str) -> Screen[Any] | None:
        """The base screen of a view, if that view has been opened."""
        stack = self._screen_stacks.get(name) or []
        return stack[0] if stack else None

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        rows = help_rows(self.screen.active_bindings.values())
        title = getattr(self.screen, "VIEW_TITLE", type(self.screen).__name__)
        self.push_screen(HelpScreen(title, rows))

    def action_command_line(self) -> None:
        self.command_line.open()

    def _each_view(self, hook: str) -> None:
        """Call ``hook()`` on every live view that has it."""
        for spec in VIEWS:
            screen = self.view_screen(spec.name)
            method = getattr(screen, hook, None)
            if screen is not None and screen.is_mounted and callable(method):
                method()

    def refresh_views(self) -> None:
        """Ask every live view to reload from the server (after a switch, or a recovery)."""
        self._each_view("reload")

    def switch_namespace(self, namespace: str | None) -> None:
        self.gateway.set_namespace(namespace)
        self.update_session(namespace=namespace)
        self.notify(f"Namespace: {visible(namespace or '(root)')}", markup=False)
        self.refresh_views()

    async def switch_profile(self, name: str) -> bool:
        """Reconnect as profile ``name`` (new address, namespace, TLS, read-only, token)."""
        from .profiles import ConfigError

        try:
            switch: ProfileSwitch = await self.worker.run_blocking(prepare_switch, self.config, name)
        except ConfigError as error:
            self.notify(visible(str(error)), title="Profile", severity="error", markup=False, timeout=10)
            return False
        config = switch.config
        self.config = config
        self.gateway.read_only = config.read_only
        self.gateway.update_settings(config.connection.with_token(switch.token))
        self.connection.stop()
        self.connection.forget_token()
        self.connection.set_addrs(self._configured_addrs())
        self.session = replace(self._fresh_session(), token_source=switch.source)
        self.notify(f"Profile: {visible(name)} ({visible(config.connection.addr)})", markup=False)
        if switch.token:
            self.connection.connect()
            self.refresh_views()
        else:

            def signed_in(result: tuple[str, TokenInfo] | None) -> None:
                if result:
                    token_value, info = result
                    self.connection.adopt_token(token_value, info)
                    self.update_session(token=info, token_source="sign-in")
                    self.connection.connect()
                    self.refresh_views()

            self.push_screen(SignInScreen(reason=f"Sign in for profile {name}."), callback=signed_in)
        return True

    # -- drafts -----------------------------------------------------------------------------
    def keep_draft(self, owner: str, description: str, discard: Callable[[], None] | None = None) -> None:
        """An edit the user was told is kept: quitting asks before throwing it away."""
        self.drafts[owner] = (description, discard)

    def drop_draft(self, owner: str) -> None:
        self.drafts.pop(owner, None)

    # -- clipboard --------------------------------------------------------------------------
    def copy_secret(self, text: str, label: str = "value") -> None:
        """Copy to the clipboard and clear it after the configured timeout."""
        self.run_worker(self._copy_secret(text, label), group="clipboard", exit_on_error=False)

    async def _copy_secret(self, text: str, label: str) -> None:
        method = await self.secret_clipboard.copy(text)
        seconds = self.secret_clipboard.clear_after
        tail = f"; it clears in {seconds:.0f} s" if seconds > 0 else ""
        if method == "system":
            self.notify(f"Copied {visible(label)} to the clipboard{tail}.", markup=False)
        else:
            note = self.secret_clipboard.system_problem
            extra = f" (no system clipboard: {note})" if note else ""
            self.notify(
                f"Sent {visible(label)} to the terminal clipboard (OSC 52){tail}. "
                f"Not every terminal accepts it{extra}.",
                markup=False,
            )

    # -- quitting ---------------------------------------------------------------------------
    async def action_quit(self) -> None:
        """Ask first when something would be lost (kept drafts, live leases); then clean up and exit."""
        self.run_worker(self._quit(), group="quit", exclusive=True, exit_on_error=False)

    async def _quit(self) -> None:
        if self.drafts:
            lines = "\n".join(f"• {visible(description)}" for description, _ in self.drafts.values())
            ok = await self.push_screen_wait(
                ConfirmScreen(
                    "Quit and lose your unsaved edits?",
                    f"vault-tui kept these edits for you; quitting throws them away:\n{lines}",
                    confirm_label="Quit anyway",
                )
            )
            if not ok:
                return
        for guard in list(self.quit_guards):
            try:
                if not await guard():
                    return
            except Exception:  # noqa: BLE001 - a failing guard never traps the user in the app
                pass
        await self.secret_clipboard.clear_if_ours(timeout=0.5)
        self.exit()

    async def on_unmount(self) -> None:
        self.secret_clipboard.cancel()
        self.connection.close()
        self.worker.close()

    # -- crash handling: never print locals (they hold tokens and secret values) -------------
    def _fatal_error(self) -> None:
        self.bell()
        traceback = Traceback(show_locals=False, width=None, suppress=[rich])
        self._exit_renderables.append(Segments(self.console.render(traceback, self.console.options)))
        self._close_messages_no_wait()


def make_app(config: AppConfig | None = None, gateway: Gateway | None = None, **kwargs: Any) -> VaultApp:
    """The one factory used by the CLI, the tests and the screenshot script."""
    return VaultApp(config or AppConfig(), gateway, **kwargs)
