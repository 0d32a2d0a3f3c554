"""What the path tree has loaded, independent of any widget: used to filter and to rebuild.

Pure logic (no textual, no network), unit-tested on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

# Absolute imports: this module moves with the UI layout (views/secrets/tree_model.py).
from vault_tui.vault.errors import BadPath
from vault_tui.vault.models import Mount
from vault_tui.vault.paths import split_full_path as _split_full_path
from vault_tui.vault.policies import GrantedPath


@dataclass
class PathIndex:
    """What the tree knows per mount. Folder paths are "" (mount root) or end in "/".

    ``children``: folder listings. ``denied``: folders whose LIST got 403; ``granted``: for those,
    the names the token's policies grant below them (from the resultant ACL). ``pinned``: paths
    the user opened directly ("go to path"), shown even where nothing lists them.
    """

    children: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    denied: set[tuple[str, str]] = field(default_factory=set)
    expanded: set[tuple[str, str]] = field(default_factory=set)
    granted: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    pinned: set[tuple[str, str]] = field(default_factory=set)

    def pin(self, mount: str, path: str) -> None:
        """Keep ``path`` (and the folders above it) in the tree whatever the listings say."""
        for folder in ancestors(path):
            self.pinned.add((mount, folder))
        if path:
            self.pinned.add((mount, path))

    def pinned_under(self, mount: str, folder: str) -> tuple[str, ...]:
        """The pinned names directly under ``folder`` (folders end in "/")."""
        found = []
        for m, path in self.pinned:
            if m != mount or not path.startswith(folder) or path == folder:
                continue
            rest = path[len(folder) :]
            name, slash, _ = rest.partition("/")
            found.append(name + slash)
        return tuple(sorted(set(found)))

    def keys_under(self, mount: str, folder: str) -> tuple[str, ...] | None:
        """What the tree shows under ``folder``: its listing (or, when LIST is denied, what policies
        grant), plus the pinned names; None when nothing is known yet."""
        listing = self.children.get((mount, folder))
        if listing is None and (mount, folder) in self.denied:
            listing = self.granted.get((mount, folder), ())
        extra = [key for key in self.pinned_under(mount, folder) if listing is None or key not in listing]
        if listing is None and not extra:
            return None
        return tuple(listing or ()) + tuple(extra)

    def set_children(self, mount: str, folder: str, keys: tuple[str, ...] | list[str]) -> None:
        self.children[(mount, folder)] = tuple(keys)
        self.denied.discard((mount, folder))

    def add_children(self, mount: str, folder: str, keys: list[str] | tuple[str, ...]) -> None:
        self.children[(mount, folder)] = self.children.get((mount, folder), ()) + tuple(keys)

    def mark_denied(self, mount: str, folder: str, granted: tuple[str, ...] = ()) -> None:
        self.denied.add((mount, folder))
        self.children.pop((mount, folder), None)
        self.granted[(mount, folder)] = tuple(granted)

    def forget(self, mount: str, folder: str) -> None:
        """Drop a folder's listing and everything loaded below it (for a refresh)."""
        for key in [k for k in self.children if k[0] == mount and k[1].startswith(folder)]:
            del self.children[key]
        self.denied = {k for k in self.denied if not (k[0] == mount and k[1].startswith(folder))}
        for key in [k for k in self.granted if k[0] == mount and k[1].startswith(folder)]:
            del self.granted[key]

    def is_loaded(self, mount: str, folder: str) -> bool:
        return (mount, folder) in self.children

    def paths(self, mount: str) -> list[str]:
        """Every path the tree knows in a mount (folders end in '/')."""
        folders = {f for (m, f) in self.children if m == mount} | {f for (m, f) in self.denied if m == mount}
        folders |= {""} | {p for (m, p) in self.pinned if m == mount and p.endswith("/")}
        found: set[str] = set()
        for folder in folders:
            found.update(folder + key for key in self.keys_under(mount, folder) or ())
        return sorted(found)

    def matches(self, mount: str, query: str) -> set[str]:
        """Loaded paths whose last segment or full path contains ``query`` (case-insensitive),
        plus every ancestor folder needed to reach them."""
        needle = query.lower()
        keep: set[str] = set()
        for path in self.paths(mount):
            if needle in path.lower():
                keep.add(path)
                keep.update(ancestors(path))
        return keep


def ancestors(path: str) -> list[str]:
    """``a/b/c`` → ``["a/", "a/b/"]``; ``a/b/`` → ``["a/"]``."""
    parts = path.rstrip("/").split("/")[:-1]
    return ["/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def split_full_path(full: str, mounts: Sequence[Mount | str]) -> tuple[str, str] | None:
    """Split ``secret/team/app/db`` into (mount, path) using the longest matching mount.

    Kept for the tree's ``--path``: surrounding spaces and leading slashes are dropped, and a path
    that no mount matches or that :func:`vault_tui.vault.paths.validate_secret_path` refuses gives
    None. New code uses :func:`vault_tui.vault.paths.split_full_path` (KV v2 ``data/``/``metadata/``
    understood, :class:`~vault_tui.vault.errors.BadPath` saying what is wrong).
    """
    try:
        return _split_full_path("/" + full.strip().lstrip("/"), mounts)
    except BadPath:
        return None


def granted_names(grants: Sequence[GrantedPath], folder: str) -> tuple[str, ...]:
    """The names to show under a folder the token cannot list, from what its policies grant.

    An exact policy path below ``folder`` gives its first segment: a folder (``team/``) or, if it
    is the last, a secret. A glob gives a folder, or a name prefix shown as ``db-*``; a glob on the
    folder itself gives ``*`` (anything below, reachable by "go to path"). Paths with ``+``
    segment wildcards cannot be shown literally and are left out.
    """
    names: set[str] = set()
    for grant in grants:
        if grant.wildcard or not grant.path.startswith(folder):
            continue
        rest = grant.path[len(folder) :]
        if not rest:
            if grant.is_prefix:
                names.add("*")
            continue
        head, slash, _tail = rest.partition("/")
        if slash:
            names.add(head + "/")
        elif grant.is_prefix:
            names.add(rest + "*")
        else:
            names.add(rest)
    return tuple(sorted(names))
