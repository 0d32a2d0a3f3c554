"""Switch profile (``:ctx``) or namespace in the running app, without restarting.

* :class:`ProfileSwitcherScreen` lists the profiles of the config file; picking one reconnects
  the app: new address, namespace, TLS settings and read-only flag; the profile's remembered
  token (OS keyring) or the sign-in screen; then every open view reloads.
* :class:`NamespaceSwitcherScreen` lists the child namespaces of the current one (plus the parent
  and the root) and switches with ``app.switch_namespace``.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Callable, Iterable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ..config import AppConfig
from ..credentials import CredentialError, CredentialStore
from ..profiles import ConfigError, Profile, ProfilesConfig, apply_profile, load_profiles
from ..safe import visible
from ..vault.errors import VaultError
from ..vault.namespaces import Namespace, list_namespaces, normalise, parent_of

if TYPE_CHECKING:
    from ..app import VaultApp

MODAL_CSS = """
ProfileSwitcherScreen, NamespaceSwitcherScreen { align: center middle; }
.switcher-box { width: 70; max-width: 95%; height: auto; max-height: 80%; border: thick $primary 60%;
                background: $surface; padding: 1 2; }
.switcher-title { text-style: bold; margin-bottom: 1; }
.switcher-box OptionList { height: auto; max-height: 20; }
.switcher-note { color: $text-muted; height: auto; margin-top: 1; }
"""


class ProfileSwitcherScreen(ModalScreen[str | None]):
    DEFAULT_CSS = MODAL_CSS
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="profiles.cancel")]

    def __init__(self, profiles: ProfilesConfig, current: str | None) -> None:
        super().__init__()
        self.profiles = profiles
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="switcher-box"):
            yield Static("Switch profile", classes="switcher-title")
            options = []
            for name, profile in self.profiles.profiles.items():
                label = Text(("● " if name == self.current else "  ") + visible(name), style="bold")
                label.append(f"  {visible(profile.addr or '(address from the environment)')}", style="dim")
                if profile.namespace:
                    label.append(f"  ns:{visible(profile.namespace)}", style="magenta")
                if profile.read_only:
                    label.append("  read-only", style="yellow")
                options.append(Option(label, id=name))
            yield OptionList(*options, id="profile-list")
            where = str(self.profiles.path) if self.profiles.path else "the config file"
            note = f"Profiles come from {where}." if options else f"No profiles defined in {where}."
            yield Static(Text(visible(note)), classes="switcher-note")

    def on_mount(self) -> None:
        options = self.query_one("#profile-list", OptionList)
        if self.current in self.profiles.profiles:
            options.highlighted = list(self.profiles.profiles).index(self.current)
        options.focus()

    @on(OptionList.OptionSelected, "#profile-list")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class NamespaceSwitcherScreen(ModalScreen[str | None]):
    """Dismisses with the full namespace path ("" for the root) or None."""

    DEFAULT_CSS = MODAL_CSS
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="namespaces.cancel")]

    def __init__(self, current: str | None) -> None:
        super().__init__()
        self.current = normalise(current)
        self.namespaces: tuple[Namespace, ...] | None = None
        self.error: VaultError | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="switcher-box"):
            yield Static(Text(f"Namespace: {visible(self.current or '(root)')}"), classes="switcher-title")
            yield OptionList(id="namespace-list")
            yield Static(Text("loading child namespaces…", style="dim"), id="namespace-note", classes="switcher-note")

    def on_mount(self) -> None:
        options = self.query_one("#namespace-list", OptionList)
        if self.current:
            options.add_option(Option(Text("(root)", style="dim"), id="\x00root"))
            if parent_of(self.current):
                options.add_option(Option(Text(f".. {visible(parent_of(self.current))}", style="dim"), id="\x00parent"))
        options.focus()
        self.run_worker(self._load(), exclusive=True, exit_on_error=False)

    async def _load(self) -> None:
        note = self.query_one("#namespace-note", Static)
        try:
            self.namespaces = await self.app.vault.call(list_namespaces)  # type: ignore[attr-defined]
        except VaultError as error:
            self.error = error
            note.update(Text(f"Cannot list namespaces: {visible(error)}", style="red"))
            return
        options = self.query_one("#namespace-list", OptionList)
        for namespace in self.namespaces:
            options.add_option(Option(Text(visible(namespace.path)), id=namespace.path))
        note.update(Text("" if self.namespaces else "No child namespaces here.", style="dim"))

    @on(OptionList.OptionSelected, "#namespace-list")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        choice = event.option.id or ""
        if choice == "\x00root":
            self.dismiss("")
        elif choice == "\x00parent":
            self.dismiss(parent_of(self.current))
        else:
            self.dismiss(choice)

    def action_cancel(self) -> None:
        self.dismiss(None)


# -- switching ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ProfileSwitch:
    config: AppConfig
    token: str | None  # remembered in the keyring, else from the environment (same server)
    source: str  # "keyring", "environment" or ""


def prepare_switch(
    current: AppConfig,
    profiles: ProfilesConfig,
    name: str,
    store: CredentialStore,
    environ: dict[str, str] | None = None,
) -> ProfileSwitch:
    """Blocking (keyring): the new config and the token to try. Raises ConfigError."""
    profile: Profile = profiles.get(name)
    base = replace(current, read_only=current.read_only_flag)
    config = apply_profile(base, profile, os.environ if environ is None else environ, read_only=current.read_only_flag)
    token = None
    source = ""
    try:
        token = store.get(profile.name, "token")
    except CredentialError:
        token = None
    if token:
        source = "keyring"
    elif config.connection.token:
        token, source = config.connection.token, "environment"
    return ProfileSwitch(config, token, source)


def load_app_profiles(app: "VaultApp") -> ProfilesConfig:
    return load_profiles(app.config.profiles_path)


async def switch_profile(app: "VaultApp", name: str) -> bool:
    """Reconnect ``app`` as profile ``name``. Returns False (and says why) if it can't."""
    store = getattr(app, "credentials", None) or CredentialStore()
    try:
        profiles = await asyncio.to_thread(load_app_profiles, app)
        switch = await asyncio.to_thread(prepare_switch, app.config, profiles, name, store)
    except ConfigError as error:
        app.notify(visible(str(error)), title="Profile", severity="error", markup=False, timeout=10)
        return False
    config = switch.config
    app.config = config
    app.gateway.read_only = config.read_only
    app.gateway.update_settings(config.connection.with_token(switch.token))
    app.namespace = config.connection.namespace
    app.vault.token = None
    app.token = None
    app.server = None
    app.session_version += 1
    app.notify(f"Profile: {visible(name)} ({visible(config.connection.addr)})", markup=False)
    if switch.token:
        app.vault.connect()
        app.refresh_views()
    else:
        from .signin import SignInScreen

        def signed_in(result: Any) -> None:
            if result:
                token_value, info = result
                app.vault.adopt_token(token_value, info)
                app.token = info
                app.vault.connect()
                app.refresh_views()

        app.push_screen(SignInScreen(reason=f"Sign in for profile {name}."), callback=signed_in)
    return True


def open_profile_switcher(app: "VaultApp") -> None:
    async def run() -> None:
        try:
            profiles = await asyncio.to_thread(load_app_profiles, app)
        except ConfigError as error:
            app.notify(visible(str(error)), title="Profile", severity="error", markup=False, timeout=10)
            return

        def picked(name: str | None) -> None:
            if name and name != app.config.profile:
                app.run_worker(switch_profile(app, name), group="profile", exclusive=True, exit_on_error=False)

        app.push_screen(ProfileSwitcherScreen(profiles, app.config.profile), callback=picked)

    app.run_worker(run(), group="profile", exclusive=True, exit_on_error=False)


def open_namespace_switcher(app: "VaultApp") -> None:
    def picked(namespace: str | None) -> None:
        if namespace is not None:
            app.switch_namespace(namespace or None)

    app.push_screen(NamespaceSwitcherScreen(app.namespace), callback=picked)


def command_ctx(app: "VaultApp", name: str) -> None:
    """``:ctx`` opens the switcher; ``:ctx NAME`` switches straight to NAME."""
    if name:
        app.run_worker(switch_profile(app, name), group="profile", exclusive=True, exit_on_error=False)
    else:
        open_profile_switcher(app)


def palette_commands(app: "VaultApp") -> Iterable[tuple[str, Callable[[], Any], str]]:
    return [
        ("Switch profile (:ctx)", lambda: open_profile_switcher(app), "Connect with another saved profile"),
        ("Switch namespace", lambda: open_namespace_switcher(app), "Pick a child namespace, the parent or the root"),
    ]
