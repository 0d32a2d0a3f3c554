"""Every view of the app, declared once.

Modes, the ``:`` command line, the command palette, ``--view``, the config file's
``default_view``, the app's key bindings and the help screen all derive from :data:`VIEWS`.
A new view is one folder under ``views/`` and one line here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from textual.binding import Binding
from textual.screen import Screen


# Each view's screen is imported when the view is first opened (a cold start imports only the
# first view's code): plain imports inside these functions, so the import graph still sees them.
def _secrets() -> type[Screen[Any]]:
    from .secrets.screen import SecretsScreen

    return SecretsScreen


def _leases() -> type[Screen[Any]]:
    from .leases.screen import LeasesScreen

    return LeasesScreen


def _transit() -> type[Screen[Any]]:
    from .transit.screen import TransitScreen

    return TransitScreen


def _policies() -> type[Screen[Any]]:
    from .policies.screen import PoliciesScreen

    return PoliciesScreen


def _cluster() -> type[Screen[Any]]:
    from .cluster.screen import ClusterScreen

    return ClusterScreen


def _pki() -> type[Screen[Any]]:
    from .pki.screen import PkiScreen

    return PkiScreen


def _lint() -> type[Screen[Any]]:
    from .lint.screen import LintScreen

    return LintScreen


def _history() -> type[Screen[Any]]:
    from .history.screen import HistoryScreen

    return HistoryScreen


@dataclass(frozen=True)
class ViewSpec:
    name: str  # the mode name, --view and default_view
    load: Callable[[], type[Screen[Any]]]  # imports the view's screen class (on first use)
    title: str
    aliases: tuple[str, ...]  # more words for :NAME
    key: str  # the app-wide key that opens it
    show_key: bool = True  # in the footer

    @property
    def screen(self) -> type[Screen[Any]]:
        return self.load()

    def make(self) -> Screen[Any]:
        """A new screen of this view (the app's MODES call it when the view is first shown)."""
        return self.load()()

    @property
    def binding_id(self) -> str:
        return f"app.view.{self.name}"

    @property
    def words(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    def binding(self) -> Binding:
        return Binding(self.key, f"view('{self.name}')", self.title, show=self.show_key, id=self.binding_id)


VIEWS: tuple[ViewSpec, ...] = (
    ViewSpec("browser", _secrets, "Secrets", ("kv", "secrets", "tree"), "ctrl+k"),
    ViewSpec("leases", _leases, "Leases", ("lease", "le"), "ctrl+l"),
    ViewSpec("transit", _transit, "Transit", ("tr",), "ctrl+t"),
    ViewSpec("policies", _policies, "Policies", ("policy", "pol"), "ctrl+o", show_key=False),
    ViewSpec("cluster", _cluster, "Cluster", ("ha", "raft", "nodes"), "ctrl+e", show_key=False),
    ViewSpec("pki", _pki, "Certificates", ("certs", "certificates", "cert"), "ctrl+y"),
    ViewSpec("lint", _lint, "Lint", ("hygiene",), "f7", show_key=False),
    ViewSpec("history", _history, "History", ("trail",), "f8", show_key=False),
)

VIEW_BY_NAME: dict[str, ViewSpec] = {spec.name: spec for spec in VIEWS}
VIEW_WORDS: dict[str, str] = {word: spec.name for spec in VIEWS for word in spec.words}


def resolve(word: str) -> ViewSpec | None:
    """The view a name or alias refers to (case-insensitive), or None."""
    name = VIEW_WORDS.get(word.strip().lower())
    return VIEW_BY_NAME.get(name) if name else None
