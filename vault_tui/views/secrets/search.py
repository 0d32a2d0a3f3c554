"""The search panel (``ctrl+f``, ``:find TEXT``, the palette): find a secret by any fragment of
its path, over the mount's index, in a virtualised list; ``enter`` opens it in the tree.

* Each keystroke searches the index (:mod:`.finder`: exact segment > segment prefix > substring >
  fuzzy), results ranked with their matched characters highlighted. Server text goes through
  :func:`~vault_tui.safe.visible` piece by piece, so the highlights stay on the right characters.
* Scope (``F2``): the mount under the cursor, the folder under the cursor, or every KV mount.
* Keys and values (``F3``) is opt-in because it reads every secret of the scope: ``enter`` starts
  it, a progress bar follows, ``esc`` stops it. Results show the path and the names of the keys
  that matched, never a value (open the secret and reveal it there). Old versions (``F4``) adds
  every version that still has data. Nothing read is kept.
* The index streams in while the panel is open; ``F5`` indexes the scope again (and is the only
  way a token with a use limit indexes anything).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, OptionList, ProgressBar, Static
from textual.widgets.option_list import Option

from ...safe import visible
from ...screens.modals import Dialog
from ...vault.index_content import ContentMatch, ContentProgress, Versions
from ...vault.models import Mount
from .finder import Match, SearchResult, spans
from .indexer import Indexer

if TYPE_CHECKING:
    from .finder import PathStore

LIMIT = 200  # path results shown (ranked: the best LIMIT)
CONTENT_LIMIT = 2000  # key/value results shown
SCOPES = ("mount", "folder", "all")
HIT = "bold underline"


@dataclass(frozen=True)
class Found:
    """What ``enter`` opens: a secret of a mount."""

    mount: Mount
    path: str

    @property
    def full_path(self) -> str:
        return self.mount.path + self.path


@dataclass
class SearchState:
    """What the panel remembers between openings (the finding desk keeps it)."""

    query: str = ""
    scope: str = "mount"
    contents: bool = False
    versions: bool = False


def highlighted(text: str, positions: tuple[int, ...] | list[int], style: str = HIT) -> Text:
    """``text`` made visible, the characters at ``positions`` styled (escapes keep their place)."""
    out = Text(no_wrap=True, overflow="ellipsis", end="")
    at = 0
    for start, end in spans(positions):
        out.append(visible(text[at:start]))
        out.append(visible(text[start:end]), style=style)
        at = end
    out.append(visible(text[at:]))
    return out


def match_line(match: Match, mount: Mount) -> Text:
    line = Text(visible(mount.path), style="dim", no_wrap=True, overflow="ellipsis", end="")
    line.append_text(highlighted(match.path, match.positions))
    return line


def content_line(found: ContentMatch, mount: Mount, needle: str, show_version: bool) -> Text:
    """A secret whose key names (or values) matched: the path and the key NAMES, never a value."""
    line = Text(visible(mount.path), style="dim", no_wrap=True, overflow="ellipsis", end="")
    line.append(visible(found.path))
    if show_version and found.version is not None:
        line.append(f"  v{found.version}", style="dim")
    lowered = needle.casefold()
    if found.key_hits:
        line.append("  key ", style="dim")
        for n, name in enumerate(found.key_hits):
            if n:
                line.append(", ", style="dim")
            at = name.casefold().find(lowered) if len(name.casefold()) == len(name) else -1
            positions = list(range(at, at + len(needle))) if at >= 0 else []
            line.append_text(highlighted(name, positions))
    value_only = [name for name in found.value_hits if name not in found.key_hits]
    if value_only:
        line.append("  in the value of ", style="dim")
        line.append(visible(", ".join(value_only)), style="bold")
    return line


class SearchScreen(Dialog[Found | None]):
    """Find a secret: a query, a scope, ranked results; ``enter`` opens one."""

    CSS_PATH = Path(__file__).parent / "search.tcss"
    AUTO_FOCUS = "#search-query"
    BINDINGS = [
        Binding("escape", "stop_or_close", "Stop / close", id="search.close"),
        Binding("down", "move(1)", "Next", show=False, id="search.down"),
        Binding("up", "move(-1)", "Previous", show=False, id="search.up"),
        Binding("pagedown", "move(10)", "Page down", show=False, id="search.page_down"),
        Binding("pageup", "move(-10)", "Page up", show=False, id="search.page_up"),
        Binding("f2", "scope", "Scope", id="search.scope"),
        Binding("f3", "contents", "Keys & values", id="search.contents"),
        Binding("f4", "versions", "Old versions", id="search.versions"),
        Binding("f5", "index", "Index again", id="search.index"),
    ]

    def __init__(
        self,
        indexer: Indexer,
        mounts: list[Mount],
        *,
        mount: Mount | None,
        folder: str = "",
        state: SearchState | None = None,
    ) -> None:
        super().__init__()
        self.indexer = indexer
        self.kv_mounts = [m for m in mounts if m.is_kv]
        self.home = mount if mount is not None and mount.is_kv else (self.kv_mounts[0] if self.kv_mounts else None)
        self.folder = folder if mount is not None and mount is self.home else ""
        self.state = state or SearchState()
        if self.home is None:
            self.state.scope = "all"
        elif self.state.scope == "folder" and not self.folder:
            self.state.scope = "mount"
        self.found: list[Found] = []
        self.content_lines: list[Text] = []  # the key/value search's result lines, beside found
        self.moved = False  # the user moved the highlight in the results since they were shown
        self.result: SearchResult | None = None
        self.content_cancel: threading.Event | None = None
        self.content_query = ""
        self.content_progress: tuple[int, int, int, int] | None = None  # read, total, matched, denied
        self.content_note = ""
        self.searches = 0  # path searches run (for tests)

    # -- layout ------------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -calm -wide -tall", id="search-box"):
            yield Static("Find a secret", classes="dialog-title", id="search-title", markup=False)
            yield Input(
                self.state.query,
                placeholder="part of a path: stripe, db-password, payments/prod",
                id="search-query",
            )
            yield Static("", id="search-options", markup=False)
            yield Static("", id="search-status", markup=False)
            yield ProgressBar(id="search-progress", show_eta=False)
            yield OptionList(id="search-results")
            yield Static(
                "enter opens · ↑↓ move · F2 scope · F3 keys & values · F4 old versions · F5 index again · esc closes",
                id="search-hint",
                classes="dialog-note",
                markup=False,
            )

    def on_mount(self) -> None:
        self.query_one("#search-progress", ProgressBar).display = False
        self.query_one(OptionList).can_focus = False  # keys stay in the query box; ↑↓ move the list
        self.indexer.listeners.append(self._index_changed)
        self.indexer.wanted(self.scope_mounts())
        self._render_options()
        self.run_search()

    def on_unmount(self) -> None:
        if self._index_changed in self.indexer.listeners:
            self.indexer.listeners.remove(self._index_changed)
        self._stop_contents()

    # -- scope -------------------------------------------------------------------------------------
    def scope_mounts(self) -> list[Mount]:
        if self.state.scope == "all" or self.home is None:
            return list(self.kv_mounts)
        return [self.home]

    def scope_label(self) -> str:
        if self.state.scope == "all" or self.home is None:
            return f"all KV mounts ({len(self.kv_mounts)})"
        if self.state.scope == "folder":
            return self.home.path + self.folder
        return self.home.path

    def _render_options(self) -> None:
        def box(on: bool) -> str:
            return "[x]" if on else "[ ]"

        line = Text(no_wrap=True, overflow="ellipsis", end="")
        line.append("scope ", style="dim")
        line.append(visible(self.scope_label()), style="bold")
        line.append(" (F2)  ", style="dim")
        line.append(f"{box(self.state.contents)} keys & values", style="bold" if self.state.contents else "")
        line.append(" (F3)  ", style="dim")
        versions_style = "bold" if self.state.versions else ("" if self.state.contents else "dim")
        line.append(f"{box(self.state.versions)} old versions", style=versions_style)
        line.append(" (F4)", style="dim")
        self.query_one("#search-options", Static).update(line)

    def action_scope(self) -> None:
        order = [s for s in SCOPES if s != "folder" or self.folder]
        if self.home is None:
            order = ["all"]
        at = order.index(self.state.scope) if self.state.scope in order else 0
        self.state.scope = order[(at + 1) % len(order)]
        self._stop_contents()
        self.indexer.wanted(self.scope_mounts())
        self._render_options()
        self.run_search()

    def action_contents(self) -> None:
        self.state.contents = not self.state.contents
        if not self.state.contents:
            self._stop_contents()
        self._render_options()
        self.run_search()

    def action_versions(self) -> None:
        self.state.versions = not self.state.versions
        self._stop_contents()
        self._render_options()
        self.run_search()

    def action_index(self) -> None:
        """Index the scope again (for a use-limited token: the only way anything is indexed)."""
        started = [m.path for m in self.scope_mounts() if self.indexer.start(m, requested=True)]
        if not started:
            self.notify("Indexing is already running.", markup=False, timeout=3)
        self.run_search()

    # -- path search -------------------------------------------------------------------------------
    @property
    def query_text(self) -> str:
        return self.query_one("#search-query", Input).value

    @on(Input.Changed, "#search-query")
    def _changed(self, event: Input.Changed) -> None:
        self.state.query = event.value
        if event.value != self.content_query:
            self._stop_contents()
            self.content_query, self.content_progress, self.content_note = "", None, ""
        self.run_search()

    def _stores(self) -> list[tuple[Mount, PathStore]]:
        out = []
        for mount in self.scope_mounts():
            store = self.indexer.store(mount.path)
            if store is not None:
                out.append((mount, store))
        return out

    def run_search(self) -> None:
        """Search the index for the query (or show what key/value search found)."""
        if self.state.contents and self.content_query and self.content_query == self.state.query:
            self._render_status()
            return  # the list shows the key/value results for this query
        query = self.state.query
        self.searches += 1
        by_name = {m.path.strip("/"): m for m in self.kv_mounts}
        if not query.strip():
            result = SearchResult(query=query, matches=(), more=False)
        elif self.state.scope == "folder" and self.home is not None:
            store = self.indexer.store(self.home.path)
            result = (
                store.search(query, mount=self.home.path.strip("/"), subtree=self.folder, limit=LIMIT)
                if store is not None
                else SearchResult(query, (), False)
            )
        else:
            session_key = self.indexer.key(self.kv_mounts[0].path) if self.kv_mounts else ("", "", "")
            result = self.indexer.finder.search(
                query,
                profile=session_key[0],
                namespace=session_key[1] or None,
                mounts=[m.path for m in self.scope_mounts()],
                limit=LIMIT,
            )
        self.result = result
        found: list[Found] = []
        options: list[Option] = []
        for match in result.matches:
            mount = by_name.get(match.mount)
            if mount is None:
                continue
            found.append(Found(mount, match.path))
            options.append(Option(match_line(match, mount), id=str(len(options))))
        self._show(found, options)
        self._render_status()

    def _show(self, found: list[Found], options: list[Option], lines: list[Text] | None = None) -> None:
        self.found = found
        self.content_lines = lines or []
        self.moved = False
        results = self.query_one(OptionList)
        results.set_options(options)
        if options:
            results.highlighted = 0

    def _render_status(self) -> None:
        lines: list[str] = []
        for mount in self.scope_mounts()[:3]:
            lines.append(self.indexer.state(mount).text)
        if len(self.scope_mounts()) > 3:
            running = sum(1 for m in self.scope_mounts() if self.indexer.running(m.path))
            lines.append(f"… and {len(self.scope_mounts()) - 3} more mounts ({running} indexing)")
        query = self.state.query.strip()
        if self.state.contents:
            lines.append(self._content_status(query))
        elif query and self.result is not None:
            count = len(self.result.matches)
            if count == 0:
                lines.append(f"No path contains {visible(query)!s} (in order or in a row).")
            elif self.result.more:
                lines.append(f"The best {count:,} matches (type more to narrow).")
            else:
                lines.append(f"{count:,} match{'' if count == 1 else 'es'}.")
        self.query_one("#search-status", Static).update(Text("\n".join(lines), no_wrap=False))

    def _content_status(self, query: str) -> str:
        if self.content_progress is not None:
            read, total, matched, denied = self.content_progress
            running = self.content_cancel is not None
            text = f"Read {read:,} of {total:,} secrets: {matched:,} with a key or value containing {visible(query)}"
            if denied:
                text += f", {denied:,} not readable"
            if self.content_note:
                text += f". {self.content_note}"
            return text + (" (esc stops)" if running else ".")
        if not query:
            return "Type what a key name or value contains, then enter: every secret in scope is read."
        total = sum(len(self._scope_paths(m, s)) for m, s in self._stores())
        return f"enter reads {total:,} secrets for keys or values containing {visible(query)} (values are never shown)."

    # -- moving and opening ------------------------------------------------------------------------
    def action_move(self, step: int) -> None:
        results = self.query_one(OptionList)
        if not results.option_count:
            return
        current = results.highlighted if results.highlighted is not None else -1
        results.highlighted = max(0, min(results.option_count - 1, current + step))
        self.moved = True

    @on(Input.Submitted, "#search-query")
    def _submitted(self) -> None:
        query = self.state.query.strip()
        if self.state.contents and query and (self.content_query != self.state.query or not self.found):
            if self.content_cancel is None:
                self.start_contents()
            return
        self.open_highlighted()

    @on(OptionList.OptionSelected, "#search-results")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.open_highlighted(event.option_index)

    def open_highlighted(self, index: int | None = None) -> None:
        results = self.query_one(OptionList)
        index = results.highlighted if index is None else index
        if index is None or not (0 <= index < len(self.found)):
            return
        self.dismiss(self.found[index])

    def action_stop_or_close(self) -> None:
        """``esc``: stop a key/value search, else stop indexing the scope, else close."""
        if self.content_cancel is not None:
            self._stop_contents()
            self.content_note = "Stopped: the results are partial."
            self._render_status()
            return
        if any(self.indexer.cancel(m.path) for m in self.scope_mounts() if self.indexer.running(m.path)):
            self._render_status()
            return
        self.dismiss(None)

    def _index_changed(self, mount_path: str) -> None:
        if not self.is_attached or all(m.path != mount_path for m in self.scope_mounts()):
            return
        self.run_search()

    # -- key / value search ------------------------------------------------------------------------
    def _scope_paths(self, mount: Mount, store: PathStore) -> list[str]:
        if self.state.scope == "folder" and mount is self.home:
            return store.under(self.folder)
        return list(store.paths)

    def start_contents(self) -> None:
        query = self.state.query.strip()
        targets = [(mount, self._scope_paths(mount, store)) for mount, store in self._stores()]
        total = sum(len(paths) for _mount, paths in targets)
        self.content_query = self.state.query
        self.content_progress = (0, total, 0, 0)
        self.content_note = ""
        self._show([], [])
        bar = self.query_one("#search-progress", ProgressBar)
        bar.display = True
        bar.update(total=max(total, 1), progress=0)
        versions: Versions = "all" if self.state.versions else "latest"
        self.content_cancel = self.indexer.search_contents(
            targets,
            query,
            versions=versions,
            on_match=self._content_match,
            on_progress=self._content_progressed,
            on_done=self._content_done,
        )
        self._render_status()

    def _content_match(self, mount: Mount, found: ContentMatch) -> None:
        if not self.is_attached or self.content_cancel is None or len(self.found) >= CONTENT_LIMIT:
            return
        results = self.query_one(OptionList)
        line = content_line(found, mount, self.content_query.strip(), self.state.versions)
        self.found.append(Found(mount, found.path))
        self.content_lines.append(line)
        results.add_option(Option(line, id=str(len(self.found) - 1)))
        if results.highlighted is None:
            results.highlighted = 0

    def _content_progressed(self, progress: ContentProgress, done_before: int) -> None:
        if not self.is_attached or self.content_cancel is None or self.content_progress is None:
            return
        _read, total, _matched, _denied = self.content_progress
        read = done_before + progress.read
        self.content_progress = (read, total, len(self.found), progress.denied)
        self.query_one("#search-progress", ProgressBar).update(progress=read)
        self._render_status()

    def _content_done(self, cancelled: bool, error: str) -> None:
        if not self.is_attached:
            return
        self.content_cancel = None
        self.query_one("#search-progress", ProgressBar).display = False
        self._sort_content_results()
        if error:
            self.content_note = f"Stopped by an error: {visible(error)}"
        elif cancelled:
            self.content_note = "Stopped: the results are partial."
        if len(self.found) >= CONTENT_LIMIT:
            self.content_note = f"Showing the first {CONTENT_LIMIT:,} matches. " + self.content_note
        self._render_status()

    def _sort_content_results(self) -> None:
        """Matches arrive in the order the reads finish; once the search ends they are listed by
        path, the highlight staying on the same match."""
        if len(self.found) != len(self.content_lines) or len(self.found) < 2:
            return
        results = self.query_one(OptionList)
        index = results.highlighted
        moved = self.moved and index is not None and 0 <= index < len(self.found)
        chosen = self.found[index] if moved and index is not None else None
        pairs = sorted(
            zip(self.found, self.content_lines, strict=True),
            key=lambda pair: (pair[0].mount.path, pair[0].path, pair[1].plain),
        )
        found = [f for f, _ in pairs]
        lines = [line for _, line in pairs]
        self._show(found, [Option(line, id=str(n)) for n, line in enumerate(lines)], lines)
        if chosen is not None and chosen in found:
            results.highlighted = found.index(chosen)
            self.moved = True

    def _stop_contents(self) -> None:
        if self.content_cancel is not None:
            self.content_cancel.set()
            self.content_cancel = None
            if self.is_attached:
                self.query_one("#search-progress", ProgressBar).display = False
