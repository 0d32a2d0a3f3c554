"""The secrets screen's finding desk: the search panel, the path index, go-to-path completion, and
paths as first-class things (``y`` copies the path under the cursor, ``Y`` a ready CLI command).

The screen owns one :class:`Finding` (as it owns its :class:`~.writes.WriteDesk`) and calls its
hooks: :meth:`Finding.mounts_listed`, :meth:`~Finding.reloaded`, :meth:`~Finding.acl_loaded`,
:meth:`~Finding.after_write`, :meth:`~Finding.refreshed`. Other workflows that write or delete a
secret (copy, move, import) keep the index current with ``finding.indexer.added(mount, path)``
and ``finding.indexer.removed(mount, path)``.

A path is not a secret: it is in audit logs, policies and every CLI command, and an operator copies
it to paste into a ticket or a terminal. So ``y``/``Y`` copy it like any text (the system
clipboard, else the terminal's OSC 52) and do not clear it after 30 s as a secret value is; a
secret value copied earlier is still cleared on time (its clear checks that the clipboard still
holds it).
"""

from __future__ import annotations

import shlex
from bisect import bisect_left
from typing import TYPE_CHECKING

from rich.text import Text
from textual.suggester import Suggester
from textual.widgets import Input, Static

from ...clipboard import Clipboard
from ...context import vault_app
from ...safe import visible
from ...screens.modals import PromptScreen
from ...vault.models import EngineKind, Mount
from ...vault.policies import ResultantAcl
from .indexer import Indexer
from .planner import WriteJob
from .search import Found, SearchScreen, SearchState

if TYPE_CHECKING:
    from typing import Any

    from .screen import SecretsScreen
    from .tree import NodeRef


def cli_command(flavor: str, mount: Mount, path: str, *, namespace: str | None = None) -> str:
    """A ready ``bao kv get -mount=secret app/db`` (``vault`` on Vault; ``list`` for a folder).

    KV v2 uses ``-mount`` (the CLI then needs no guess about where the mount ends); KV v1 and
    cubbyhole take the full path, which every version of both CLIs reads the same way.
    """
    tool = "vault" if flavor.lower() == "vault" else "bao"
    folder = path == "" or path.endswith("/")
    words = [tool, "kv", "list" if folder else "get"]
    if namespace:
        words.append("-namespace=" + shlex.quote(namespace.strip("/")))
    if mount.kind is EngineKind.KV2 and path:
        words += ["-mount=" + shlex.quote(mount.path.rstrip("/")), shlex.quote(path)]
    else:
        words.append(shlex.quote(mount.path + path))
    return " ".join(words)


def complete_path(typed: str, mounts: list[Mount], paths_of: Any) -> str | None:
    """What the go-to-path prompt suggests for ``typed``: the mount, then one more folder of an
    indexed path at a time, then the secret (``paths_of(mount)`` gives a mount's sorted paths)."""
    text = typed.lstrip("/")
    if not text:
        return None
    lead = typed[: len(typed) - len(text)]
    mount = max((m for m in mounts if text.startswith(m.path)), key=lambda m: len(m.path), default=None)
    if mount is None:
        names = sorted(m.path for m in mounts if m.path.startswith(text))
        return lead + names[0] if names else None
    inner = text[len(mount.path) :]
    paths: list[str] = paths_of(mount) or []
    at = bisect_left(paths, inner)
    if at >= len(paths) or not paths[at].startswith(inner):
        return None
    first = paths[at]
    slash = first.find("/", len(inner))
    cut = first if slash < 0 else first[: slash + 1]
    if cut == inner:
        return None
    return typed + cut[len(inner) :]


class PathSuggester(Suggester):
    """Completes the go-to-path prompt from the index (the mounts, then folders, then secrets)."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.finding = finding

    async def get_suggestion(self, value: str) -> str | None:
        return self.finding.complete(value)


class PathPromptScreen(PromptScreen):
    """The go-to-path prompt, completing from the index (right arrow or end accepts)."""

    def __init__(self, finding: Finding, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.finding = finding

    def on_mount(self) -> None:
        self.query_one("#prompt", Input).suggester = PathSuggester(self.finding)


class IndexStatus(Static):
    """A line under the tree while an index is being built: counts, and esc to stop it."""

    def __init__(self) -> None:
        super().__init__("", id="index-status", markup=False)
        self.display = False

    def show(self, text: str) -> None:
        self.display = bool(text)
        self.update(Text(visible(text), style="dim"))


class Finding:
    """Search, index, go to path and copy paths, for one secrets screen."""

    def __init__(self, screen: SecretsScreen) -> None:
        self.screen = screen
        self.indexer = Indexer(screen)
        self.indexer.listeners.append(self._index_changed)
        self.state = SearchState()
        self.clipboard: Clipboard | None = None  # made on first use (it needs the running app)

    # -- search ------------------------------------------------------------------------------------
    def _cursor(self) -> NodeRef | None:
        node = self.screen.path_tree.cursor_node
        return node.data if node is not None else None

    def open_search(self, query: str | None = None) -> None:
        """The search panel, scoped to the mount (and folder) under the cursor."""
        ref = self._cursor()
        mount = ref.mount if ref is not None else None
        folder = ref.folder if ref is not None and ref.kind != "mount" else ""
        if query is not None:
            self.state.query = query
        tree = self.screen.path_tree
        panel = SearchScreen(self.indexer, list(tree.mounts), mount=mount, folder=folder, state=self.state)
        self.screen.app.push_screen(panel, callback=self._found)

    def _found(self, found: Found | None) -> None:
        if found is not None:
            self.screen.show_path(found.mount, found.path)

    # -- go to path --------------------------------------------------------------------------------
    def prompt(self, start: str, prompt: str, placeholder: str) -> PathPromptScreen:
        """The go-to-path prompt; opening it starts indexing the mount under the cursor."""
        ref = self._cursor()
        if ref is not None and ref.mount is not None:
            self.indexer.wanted([ref.mount])
        return PathPromptScreen(self, "Go to path", prompt, start, placeholder=placeholder)

    def complete(self, typed: str) -> str | None:
        def paths_of(mount: Mount) -> list[str]:
            store = self.indexer.store(mount.path)
            return store.paths if store is not None else []

        return complete_path(typed, list(self.screen.path_tree.mounts), paths_of)

    # -- paths are first-class -----------------------------------------------------------------------
    def copy_path(self, *, command: bool = False) -> None:
        """``y``: the full path under the cursor; ``Y``: a ready ``bao kv get`` (or list) command."""
        ref = self._cursor()
        if ref is None or ref.mount is None or ref.kind not in ("mount", "folder", "secret"):
            self.screen.notify("Nothing to copy: put the cursor on a secret or a folder.", markup=False)
            return
        if command and not ref.mount.is_kv:
            self.screen.notify("Y copies a kv command: put the cursor in a KV mount.", markup=False)
            return
        if command:
            session = vault_app(self.screen).session
            flavor = session.server.flavor if session.server is not None else "OpenBao"
            text = cli_command(flavor, ref.mount, ref.path, namespace=session.namespace)
            label = "the command"
        else:
            text, label = ref.full_path, "the path"
        if self.clipboard is None:
            self.clipboard = Clipboard(self.screen.app.copy_to_clipboard, clear_after=0)
        self.screen.run_worker(self._copy(text, label), group="copy-path", exit_on_error=False)

    async def _copy(self, text: str, label: str) -> None:
        assert self.clipboard is not None
        method = await self.clipboard.copy(text)
        where = "the clipboard" if method == "system" else "the terminal clipboard (OSC 52)"
        self.screen.notify(f"Copied {label} to {where}: {visible(text)}", markup=False, timeout=4)

    # -- hooks the screen calls --------------------------------------------------------------------
    def mounts_listed(self, mounts: tuple[Mount, ...]) -> None:
        """The mounts are on screen: with ``index_at_connect`` (the profile's, else [settings])
        every KV mount is indexed now."""
        if vault_app(self.screen).config.indexes_at_connect:
            self.indexer.wanted([m for m in mounts if m.browsable and m.is_kv])

    def reloaded(self) -> None:
        self.indexer.where_changed()

    def acl_loaded(self, acl: ResultantAcl | None) -> None:
        self.indexer.set_acl(acl, self.screen.path_tree.mounts)

    def after_write(self, job: WriteJob, result: Any) -> None:
        self.indexer.after_write(job, result)

    def refreshed(self, mount: Mount, folder: str) -> None:
        """``r`` on a folder: its part of the index is listed again too."""
        self.indexer.reindex(mount, folder)

    def cancel(self) -> bool:
        """``esc`` in the browser: stop indexing (True if something was running)."""
        return self.indexer.cancel()

    def _index_changed(self, _mount_path: str) -> None:
        statuses = self.screen.query(IndexStatus)
        if not statuses:
            return
        running = [job for job in self.indexer.jobs.values()]
        if not running:
            statuses.first().show("")
            return
        mount = running[0].mount
        text = self.indexer.state(mount).text
        more = len({job.mount.path for job in running}) - 1
        if more > 0:
            text += f" (+{more} more mount{'s' if more > 1 else ''})"
        statuses.first().show(text)
