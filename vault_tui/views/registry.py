"""Every view of the app, declared once.

Modes, the ``:`` command line, the command palette, ``--view``, the config file's
``default_view``, the app's key bindings and the help screen all derive from :data:`VIEWS`.
A new view is one folder under ``views/`` and one line here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.binding import Binding
from textual.screen import Screen

from .cluster.screen import ClusterScreen
from .history.screen import HistoryScreen
from .leases.screen import LeasesScreen
from .lint.screen import LintScreen
from .pki.screen import PkiScreen
from .policies.screen import PoliciesScreen
from .secrets.screen import BrowserScreen
from .transit.screen import TransitScreen


@dataclass(frozen=True)
class ViewSpec:
    name: str  # the mode name, --view and default_view
    screen: type[Screen[Any]]
    title: str
    aliases: tuple[str, ...]  # more words for :NAME
    key: str  # the app-wide key that opens it
    show_key: bool = True  # in the footer

    @property
    def binding_id(self) -> str:
        return f"app.view.{self.name}"

    @property
    def words(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    def binding(self) -> Binding:
        return Binding(self.key, f"view('{self.name}')", self.title, show=self.show_key, id=self.binding_id)


VIEWS: tuple[ViewSpec, ...] = (
    ViewSpec("browser", BrowserScreen, "Secrets", ("kv", "secrets", "tree"), "ctrl+k"),
    ViewSpec("leases", LeasesScreen, "Leases", ("lease", "le"), "ctrl+l"),
    ViewSpec("transit", TransitScreen, "Transit", ("tr",), "ctrl+t"),
    ViewSpec("policies", PoliciesScreen, "Policies", ("policy", "pol"), "ctrl+o", show_key=False),
    ViewSpec("cluster", ClusterScreen, "Cluster", ("ha", "raft", "nodes"), "ctrl+e", show_key=False),
    ViewSpec("pki", PkiScreen, "Certificates", ("certs", "certificates", "cert"), "ctrl+y"),
    ViewSpec("lint", LintScreen, "Lint", ("hygiene",), "f7", show_key=False),
    ViewSpec("history", HistoryScreen, "History", ("trail",), "f8", show_key=False),
)

VIEW_BY_NAME: dict[str, ViewSpec] = {spec.name: spec for spec in VIEWS}
VIEW_WORDS: dict[str, str] = {word: spec.name for spec in VIEWS for word in spec.words}


def resolve(word: str) -> ViewSpec | None:
    """The view a name or alias refers to (case-insensitive), or None."""
    name = VIEW_WORDS.get(word.strip().lower())
    return VIEW_BY_NAME.get(name) if name else None
