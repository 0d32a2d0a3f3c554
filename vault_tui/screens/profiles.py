"""Pickers for switching profile (``:ctx``) and namespace (``:ns``) in the running app.

* :class:`ProfileSwitcherScreen` lists the profiles of the config file and dismisses with the
  chosen name; the app reconnects (``VaultApp.switch_profile``).
* :class:`NamespaceSwitcherScreen` lists the child namespaces of the current one (plus the parent
  and the root) and dismisses with the chosen path.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ..context import vault_app
from ..profiles import ProfilesConfig
from ..safe import visible
from ..vault.errors import VaultError
from ..vault.namespaces import Namespace, list_namespaces, normalise, parent_of
from .modals import Dialog


class ProfileSwitcherScreen(Dialog[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="profiles.cancel")]

    def __init__(self, profiles: ProfilesConfig, current: str | None) -> None:
        super().__init__()
        self.profiles = profiles
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -calm"):
            yield Static("Switch profile", classes="dialog-title")
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
            yield Static(Text(visible(note)), classes="dialog-note")

    def on_mount(self) -> None:
        options = self.query_one("#profile-list", OptionList)
        if self.current is not None and self.current in self.profiles.profiles:
            options.highlighted = list(self.profiles.profiles).index(self.current)
        options.focus()

    @on(OptionList.OptionSelected, "#profile-list")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class NamespaceSwitcherScreen(Dialog[str | None]):
    """Dismisses with the full namespace path ("" for the root) or None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="namespaces.cancel")]

    def __init__(self, current: str | None) -> None:
        super().__init__()
        self.current = normalise(current)
        self.namespaces: tuple[Namespace, ...] | None = None
        self.error: VaultError | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -calm"):
            yield Static(Text(f"Namespace: {visible(self.current or '(root)')}"), classes="dialog-title")
            yield OptionList(id="namespace-list")
            yield Static(Text("loading child namespaces…", style="dim"), id="namespace-note", classes="dialog-note")

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
            self.namespaces = await vault_app(self).worker.call(list_namespaces)
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
