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


@dataclass
class PathIndex:
    """Loaded folder listings per mount. Folder paths are "" (mount root) or end in "/"."""

    children: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    denied: set[tuple[str, str]] = field(default_factory=set)
    expanded: set[tuple[str, str]] = field(default_factory=set)

    def set_children(self, mount: str, folder: str, keys: tuple[str, ...] | list[str]) -> None:
        self.children[(mount, folder)] = tuple(keys)
        self.denied.discard((mount, folder))

    def add_children(self, mount: str, folder: str, keys: list[str] | tuple[str, ...]) -> None:
        self.children[(mount, folder)] = self.children.get((mount, folder), ()) + tuple(keys)

    def mark_denied(self, mount: str, folder: str) -> None:
        self.denied.add((mount, folder))
        self.children.pop((mount, folder), None)

    def forget(self, mount: str, folder: str) -> None:
        """Drop a folder's listing and everything loaded below it (for a refresh)."""
        for key in [k for k in self.children if k[0] == mount and k[1].startswith(folder)]:
            del self.children[key]
        self.denied = {k for k in self.denied if not (k[0] == mount and k[1].startswith(folder))}

    def is_loaded(self, mount: str, folder: str) -> bool:
        return (mount, folder) in self.children

    def paths(self, mount: str) -> list[str]:
        """Every loaded path in a mount (folders end in '/')."""
        found: list[str] = []
        for (m, folder), keys in self.children.items():
            if m != mount:
                continue
            found.extend(folder + key for key in keys)
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
