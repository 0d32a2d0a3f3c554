"""The ``:`` command line and the command palette, derived from the list of views.

``:kv`` ``:leases`` … (every view and alias), ``:ns NAME``, ``:ctx NAME``, ``:help``, ``:q``;
more commands come from screens that define ``command_<word>`` methods (``:find``, ``:open``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

from .safe import visible
from .screens.modals import CommandLineScreen
from .screens.profiles import NamespaceSwitcherScreen, ProfileSwitcherScreen
from .views.registry import VIEWS, resolve

if TYPE_CHECKING:
    from .app import VaultApp


class CommandLine:
    """Runs what the user typed after ``:``."""

    def __init__(self, app: VaultApp) -> None:
        self.app = app

    def open(self) -> None:
        self.app.push_screen(CommandLineScreen(), callback=self.run)

    def run(self, command: str | None) -> None:
        if not command:
            return
        app = self.app
        word, _, rest = command.partition(" ")
        word = word.lower()
        rest = rest.strip()
        handler = getattr(app.screen, f"command_{word}", None) or getattr(self, f"command_{word}", None)
        if word == "q!":
            app.exit()
        elif word in ("q", "quit"):
            app.run_worker(app.action_quit(), exit_on_error=False)
        elif resolve(word) is not None:
            app.action_view(word)
        elif word in ("help", "h"):
            app.action_help()
        elif callable(handler):
            handler(rest)
        else:
            base = app.view_screen(app.current_mode) if app.current_mode else None
            handler = getattr(base, f"command_{word}", None)
            if callable(handler):
                handler(rest)
            else:
                app.notify(f"Unknown command: :{visible(command)}", severity="warning", markup=False)

    def command_ns(self, namespace: str) -> None:
        """``:ns NAME`` switches namespace; ``:ns`` alone opens the namespace picker."""
        if namespace:
            self.app.switch_namespace(namespace.strip("/") or None)
        else:
            self.open_namespace_switcher()

    def command_ctx(self, name: str) -> None:
        """``:ctx`` opens the profile switcher; ``:ctx NAME`` switches straight to NAME."""
        if name:
            self.app.run_worker(self.app.switch_profile(name), group="profile", exclusive=True, exit_on_error=False)
        else:
            self.open_profile_switcher()

    def open_profile_switcher(self) -> None:
        app = self.app

        async def run() -> None:
            from .profiles import ConfigError, load_profiles

            try:
                profiles = await app.worker.run_blocking(load_profiles, app.config.profiles_path)
            except ConfigError as error:
                app.notify(visible(str(error)), title="Profile", severity="error", markup=False, timeout=10)
                return
            name = await app.push_screen_wait(ProfileSwitcherScreen(profiles, app.config.profile))
            if name and name != app.config.profile:
                await app.switch_profile(name)

        app.run_worker(run(), group="profile", exclusive=True, exit_on_error=False)

    def open_namespace_switcher(self) -> None:
        def picked(namespace: str | None) -> None:
            if namespace is not None:
                self.app.switch_namespace(namespace or None)

        self.app.push_screen(NamespaceSwitcherScreen(self.app.session.namespace), callback=picked)

    def palette(self) -> list[tuple[str, Callable[[], Any], str]]:
        app = self.app
        commands: list[tuple[str, Callable[[], Any], str]] = []
        for spec in VIEWS:
            commands.append(
                (f"View: {spec.title}", _opener(app, spec.name), f"Switch to the {spec.title.lower()} view")
            )
        commands.append(("Command line (:)", app.action_command_line, "k9s-style :kv :leases :transit :ctx"))
        commands.append(("Keys for this view (?)", app.action_help, "Show the key bindings"))
        commands.append(("Switch profile (:ctx)", self.open_profile_switcher, "Connect with another saved profile"))
        commands.append(
            ("Switch namespace (:ns)", self.open_namespace_switcher, "Pick a child namespace, the parent or the root")
        )
        screen_commands = getattr(
            app.view_screen(app.current_mode) if app.current_mode else None, "palette_commands", None
        )
        if callable(screen_commands):
            commands.extend(screen_commands())
        return commands


def _opener(app: VaultApp, name: str) -> Callable[[], None]:
    return lambda: app.action_view(name)


class ViewCommands(Provider):
    """Command palette entries: switch view, switch profile/namespace, the view's own commands."""

    def _commands(self) -> list[tuple[str, Callable[[], Any], str]]:
        command_line: CommandLine | None = getattr(self.app, "command_line", None)
        return command_line.palette() if command_line is not None else []

    async def discover(self) -> Hits:
        for title, callback, help_text in self._commands():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, callback, help_text in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)
