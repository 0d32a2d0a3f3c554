"""The vault-tui application: session lifecycle, views (modes), the clock, help and commands."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from datetime import datetime
from typing import Any, Awaitable, Callable, Iterable

import rich
from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.containers import Center, Middle
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, LoadingIndicator, Static

from .clipboard import Clipboard
from .config import AppConfig
from .messages import ConnectFailed, SessionReady, TokenLost, TokenRenewed, VaultFailed
from .safe import visible
from .screens.modals import CommandLineScreen, ConnectErrorScreen, HelpScreen, QuitLeasesScreen
from .timefmt import utcnow
from .vault.errors import (
    PermissionDenied,
    Sealed,
    TLSFailure,
    TokenInvalid,
    Unreachable,
    VaultError,
)
from .vault.gateway import Gateway
from .vault.models import ServerInfo, TokenInfo
from .widgets.session_bar import SessionBar
from .worker import VaultWorker

# View name -> (module, class, title). Screens are imported lazily, when first shown.
VIEW_SCREENS: dict[str, tuple[str, str, str]] = {
    "browser": ("vault_tui.views.secrets.screen", "BrowserScreen", "Secrets"),
    "leases": ("vault_tui.views.leases.screen", "LeasesScreen", "Leases"),
    "transit": ("vault_tui.views.transit.screen", "TransitScreen", "Transit"),
    "policies": ("vault_tui.views.policies.screen", "PoliciesScreen", "Policies"),
}
VIEW_ALIASES = {
    "kv": "browser", "secrets": "browser", "browser": "browser", "tree": "browser",
    "leases": "leases", "lease": "leases", "le": "leases",
    "transit": "transit", "tr": "transit",
    "policies": "policies", "policy": "policies", "pol": "policies",
}


class PlaceholderScreen(Screen[None]):
    def __init__(self, title: str, reason: str) -> None:
        super().__init__()
        self._title = title
        self._reason = reason

    def compose(self) -> ComposeResult:
        yield SessionBar()
        yield Static(Text(f"{self._title}: {self._reason}"), id="placeholder")
        yield Footer()


def load_view(name: str) -> Screen[Any]:
    module_name, class_name, title = VIEW_SCREENS[name]
    try:
        module = importlib.import_module(module_name)
        screen_class = getattr(module, class_name)
    except (ImportError, AttributeError) as error:
        return PlaceholderScreen(title, f"not available in this build ({error})")
    return screen_class()


class ConnectingScreen(Screen[None]):
    """The default screen while the session starts."""

    def compose(self) -> ComposeResult:
        yield SessionBar()
        with Middle():
            with Center():
                yield Static(
                    Text(f"Connecting to {visible(self.app.config.connection.addr)} …"),  # type: ignore[attr-defined]
                    id="connecting",
                )
            yield LoadingIndicator()
        yield Footer()


class ViewCommands(Provider):
    """Command palette entries: switch view, switch profile/namespace."""

    def _commands(self) -> list[tuple[str, Callable[[], Any], str]]:
        app: VaultApp = self.app  # type: ignore[assignment]
        commands: list[tuple[str, Callable[[], Any], str]] = []
        for name, (_m, _c, title) in VIEW_SCREENS.items():
            commands.append((f"View: {title}", lambda name=name: app.action_view(name), f"Switch to the {title.lower()} view"))
        commands.append(("Command line (:)", app.action_command_line, "k9s-style :kv :leases :transit :ctx"))
        commands.append(("Keys for this view (?)", app.action_help, "Show the key bindings"))
        for title, callback, help_text in app.extra_commands():
            commands.append((title, callback, help_text))
        return commands

    async def discover(self) -> Hits:
        for title, callback, help_text in self._commands():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, callback, help_text in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)


class VaultApp(App[None]):
    CSS_PATH = Path(__file__).parent / "vault_tui.tcss"
    TITLE = "vault-tui"
    COMMANDS = App.COMMANDS | {ViewCommands}
    BINDINGS = [
        Binding("question_mark", "help", "Keys", id="app.help"),
        Binding("colon", "command_line", "Cmd", id="app.command"),
        Binding("ctrl+k", "view('browser')", "Secrets", id="app.view.browser"),
        Binding("ctrl+l", "view('leases')", "Leases", id="app.view.leases"),
        Binding("ctrl+t", "view('transit')", "Transit", id="app.view.transit"),
        Binding("ctrl+o", "view('policies')", "Policies", show=False, id="app.view.policies"),
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True),
    ]
    MODES = {name: (lambda name=name: load_view(name)) for name in VIEW_SCREENS}

    now: reactive[datetime] = reactive(utcnow, init=False)
    session_version: reactive[int] = reactive(0, init=False)

    def __init__(self, config: AppConfig | None = None, gateway: Gateway | None = None, *, tick: bool = True) -> None:
        self.config = config or AppConfig()
        self.gateway = gateway or Gateway(self.config.connection, read_only=self.config.read_only)
        self.gateway.read_only = self.config.read_only
        self._tick_enabled = tick
        super().__init__()
        self.vault = VaultWorker(self, self.gateway)
        self.server: ServerInfo | None = None
        self.token: TokenInfo | None = None
        self.namespace: str | None = self.config.connection.namespace
        self.secret_clipboard = Clipboard(self.copy_to_clipboard, clear_after=self.config.clipboard_clear_seconds)
        self.quit_guards: list[Callable[[], Awaitable[bool]]] = []
        self.session_ready = False
        self.last_error: VaultError | None = None

    # -- lifecycle --------------------------------------------------------------------------
    def get_default_screen(self) -> Screen[Any]:
        return ConnectingScreen()

    def on_mount(self) -> None:
        # The event loop and the worker threads share the GIL. With the default 5 ms switch
        # interval, a burst of UI work (opening a view) starves the threads waiting to hand
        # over their replies; 1 ms lets replies through without measurable cost elsewhere.
        sys.setswitchinterval(min(sys.getswitchinterval(), 0.001))
        if self.config.keymap:
            self.set_keymap(self.config.keymap)
        if self._tick_enabled:
            self.set_interval(1.0, self.tick, name="clock")
        self.start_session()

    def tick(self) -> None:
        """The single clock: every countdown in the app derives from ``now``."""
        self.now = utcnow()

    def start_session(self) -> None:
        if not self.gateway.settings.token and self.has_sign_in():
            self.show_sign_in(reason="No token found (VAULT_TOKEN, BAO_TOKEN or ~/.vault-token). Sign in:")
            return
        self.vault.connect()

    def has_sign_in(self) -> bool:
        try:
            importlib.import_module("vault_tui.screens.signin")
        except ImportError:
            return False
        return True

    def show_sign_in(self, reason: str = "") -> None:
        """Show the sign-in screen over whatever is on screen (the user's place is kept)."""
        try:
            module = importlib.import_module("vault_tui.screens.signin")
        except ImportError:
            self.notify("Sign-in is not available in this build; set VAULT_TOKEN and restart.", severity="error", markup=False)
            return
        if any(type(screen).__name__ == "SignInScreen" for screen in self.screen_stack):
            return
        self.push_screen(module.SignInScreen(reason=reason), callback=self._signed_in)

    def _signed_in(self, result: Any) -> None:
        """SignInScreen dismisses with (token_value, TokenInfo) or None."""
        if not result:
            if not self.session_ready:
                self.exit()
            return
        token_value, info = result
        self.vault.adopt_token(token_value, info)
        if not self.session_ready:
            self.vault.connect()
        else:
            self.token = info
            self.session_version += 1
            self.notify("Signed in again. You are back where you were.", markup=False)

    @on(SessionReady)
    def _session_ready(self, message: SessionReady) -> None:
        self.server = message.server
        self.token = message.token
        first = not self.session_ready
        self.session_ready = True
        self.session_version += 1
        if first:
            view = self.config.initial_view if self.config.initial_view in VIEW_SCREENS else "browser"
            self.switch_mode(view)

    @on(ConnectFailed)
    def _connect_failed(self, message: ConnectFailed) -> None:
        title, detail, hint = describe_connect_error(message.error, self.gateway.settings.addr)
        self.last_error = message.error
        if message.server is not None:
            self.server = message.server
            self.session_version += 1

        def decided(choice: str | None) -> None:
            if choice == "retry":
                self.vault.connect()
            elif choice == "sign_in":
                self.show_sign_in(reason=detail)
            else:
                self.exit()

        self.push_screen(ConnectErrorScreen(title, detail, hint), callback=decided)

    @on(TokenRenewed)
    def _token_renewed(self, message: TokenRenewed) -> None:
        self.token = message.token
        self.session_version += 1

    @on(TokenLost)
    def _token_lost(self, message: TokenLost) -> None:
        if not self.session_ready:
            return
        self.token = None
        self.session_version += 1
        self.show_sign_in(reason=f"Your session ended: {message.error}. Sign in again to carry on.")

    @on(VaultFailed)
    def _vault_failed(self, message: VaultFailed) -> None:
        """Failures nobody handled closer to the widget end up here as a toast."""
        self.report_error(message.error, message.action)

    def report_error(self, error: VaultError, action: str = "") -> None:
        self.last_error = error
        prefix = f"{action}: " if action else ""
        self.notify(visible(f"{prefix}{error}"), title=error.title, severity="error", timeout=8, markup=False)

    # -- views ------------------------------------------------------------------------------
    def action_view(self, name: str) -> None:
        if not self.session_ready:
            self.bell()
            return
        name = VIEW_ALIASES.get(name, name)
        if name not in VIEW_SCREENS:
            self.notify(f"Unknown view: {visible(name)}", severity="warning", markup=False)
            return
        if self.current_mode != name:
            self.switch_mode(name)

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        rows = help_rows(self.screen.active_bindings.values())
        title = getattr(self.screen, "VIEW_TITLE", type(self.screen).__name__)
        self.push_screen(HelpScreen(title, rows))

    def action_command_line(self) -> None:
        self.push_screen(CommandLineScreen(), callback=self.run_command_line)

    def run_command_line(self, command: str | None) -> None:
        if not command:
            return
        word, _, rest = command.partition(" ")
        word = word.lower()
        rest = rest.strip()
        if word == "q!":
            self.exit()
        elif word in ("q", "quit"):
            self.run_worker(self.action_quit(), exit_on_error=False)
        elif word in VIEW_ALIASES:
            self.action_view(VIEW_ALIASES[word])
        elif word in ("help", "h"):
            self.action_help()
        elif hasattr(self, f"command_{word}"):
            getattr(self, f"command_{word}")(rest)
        else:
            self.notify(f"Unknown command: :{visible(command)}", severity="warning", markup=False)

    def command_ns(self, namespace: str) -> None:
        """``:ns NAME`` switches namespace; ``:ns`` alone goes back to the root namespace."""
        self.switch_namespace(namespace or None)

    def switch_namespace(self, namespace: str | None) -> None:
        self.gateway.set_namespace(namespace)
        self.namespace = namespace
        self.session_version += 1
        self.notify(f"Namespace: {visible(namespace or '(root)')}", markup=False)
        self.refresh_views()

    def refresh_views(self) -> None:
        """Ask every live view to reload from the server (after a namespace/profile switch)."""
        for mode in VIEW_SCREENS:
            for screen in self._screen_stacks.get(mode) or []:
                reload = getattr(screen, "reload", None)
                if callable(reload):
                    reload()

    def extra_commands(self) -> Iterable[tuple[str, Callable[[], Any], str]]:
        """Hook for more palette commands (profiles, namespaces)."""
        from .screens.profiles import palette_commands

        return palette_commands(self)

    def command_ctx(self, name: str) -> None:
        """``:ctx`` opens the profile switcher; ``:ctx NAME`` switches to that profile."""
        from .screens.profiles import command_ctx

        command_ctx(self, name)

    # -- clipboard --------------------------------------------------------------------------
    def copy_secret(self, text: str, label: str = "value") -> None:
        """Copy to the clipboard and clear it after the configured timeout."""
        self.run_worker(self._copy_secret(text, label), group="clipboard", exit_on_error=False)

    async def _copy_secret(self, text: str, label: str) -> None:
        method = await self.secret_clipboard.copy(text)
        how = "clipboard" if method == "system" else "terminal clipboard (OSC 52)"
        seconds = self.secret_clipboard.clear_after
        tail = f"; it clears in {seconds:.0f} s" if seconds > 0 else ""
        self.notify(f"Copied {visible(label)} to the {how}{tail}.", markup=False)

    # -- quitting ---------------------------------------------------------------------------
    def view_screen(self, name: str) -> Screen[Any] | None:
        """The base screen of a view, if that view has been opened."""
        stack = self._screen_stacks.get(name) or []
        return stack[0] if stack else None

    async def action_quit(self) -> None:
        leases = self.view_screen("leases")
        if leases is not None and hasattr(leases, "session_leases") and not self.config.read_only:
            try:
                issued = await leases.session_leases()  # type: ignore[attr-defined]
            except Exception:
                issued = []
            if issued:
                self.push_screen(QuitLeasesScreen(issued), callback=self._quit_leases_answer)
                return
        await self._run_quit_guards()

    def _quit_leases_answer(self, answer: str | None) -> None:
        if answer == "revoke":
            self.run_worker(self._revoke_then_quit(), exit_on_error=False, group="quit")
        elif answer == "keep":
            self.run_worker(self._run_quit_guards(), exit_on_error=False, group="quit")

    async def _revoke_then_quit(self) -> None:
        leases = self.view_screen("leases")
        count = await leases.revoke_session_leases()  # type: ignore[union-attr]
        self.notify(f"Revoked {count} lease(s) issued this session.", markup=False)
        await self._run_quit_guards()

    async def _run_quit_guards(self) -> None:
        for guard in list(self.quit_guards):
            try:
                if not await guard():
                    return
            except Exception:  # a failing guard never traps the user in the app
                pass
        self.exit()

    async def on_unmount(self) -> None:
        self.secret_clipboard.cancel()
        self.vault.close()

    # -- crash handling: never print locals (they hold tokens and secret values) -------------
    def _fatal_error(self) -> None:  # noqa: D401 - overrides Textual's private hook
        from rich.traceback import Traceback

        self.bell()
        traceback = Traceback(show_locals=False, width=None, suppress=[rich])
        from rich.segment import Segments

        self._exit_renderables.append(Segments(self.console.render(traceback, self.console.options)))
        self._close_messages_no_wait()


def describe_connect_error(error: VaultError, addr: str) -> tuple[str, str, str]:
    """(title, detail, hint) for the connection error screen."""
    if isinstance(error, Sealed):
        return ("The server is sealed", str(error), "Unseal it (bao operator unseal / vault operator unseal), then press r.")
    if isinstance(error, TLSFailure):
        return ("TLS: certificate not trusted", str(error), "Set VAULT_CACERT (or BAO_CACERT) to the server's CA file.")
    if isinstance(error, Unreachable):
        return (f"The server at {addr} is down or unreachable", str(error), "Check VAULT_ADDR / --addr and that the server is running, then press r.")
    if isinstance(error, TokenInvalid):
        return ("The token was refused (403)", str(error), "Set VAULT_TOKEN, or press s to sign in.")
    if isinstance(error, PermissionDenied):
        return ("Permission denied (403)", str(error), "The token cannot read what vault-tui needs; press s to sign in with another identity.")
    return (error.title, str(error), "Press r to retry.")


def help_rows(bindings: Iterable[Any]) -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    seen: set[tuple[str, str]] = set()
    for active in bindings:
        binding = active.binding
        description = binding.description or binding.action
        display = binding.key_display or binding.key
        key = (display, description)
        if key in seen:
            continue
        seen.add(key)
        rows.append((display, description, binding.id or ""))
    return rows


def make_app(config: AppConfig | None = None, gateway: Gateway | None = None, **kwargs: Any) -> VaultApp:
    """The one factory used by the CLI, the tests and the screenshot script."""
    return VaultApp(config or AppConfig(), gateway, **kwargs)
