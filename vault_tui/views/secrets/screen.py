"""The browser view: the path tree on the left, the secret-version pane on the right."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Input, Static, Tree

from ...context import vault_app
from ...messages import MountsLoaded, VaultFailed
from ...safe import visible
from ...vault.gateway import Gateway
from ...vault.models import Mount
from ...widgets.footer import KeysFooter
from ...widgets.session_bar import SessionBar
from ...worker import Call
from .detail import SecretDetail
from .tree import NodeRef, PathTree

# Engines whose roles issue leased credentials at <mount>/creds/<role>.
CREDS_ENGINES = frozenset({"database", "aws", "azure", "gcp", "rabbitmq", "nomad", "consul", "kubernetes", "ldap", "mongodbatlas", "terraform"})


class Breadcrumb(Static):
    """``secret/ › team › app › db`` for the node under the cursor."""

    def __init__(self) -> None:
        super().__init__("", markup=False, id="breadcrumb")

    def show(self, ref: NodeRef | None) -> None:
        text = Text(no_wrap=True, overflow="ellipsis")
        if ref is None or ref.mount is None:
            text.append("/", style="dim")
        else:
            text.append(visible(ref.mount.path), style="bold")
            parts = [p for p in ref.path.split("/") if p]
            for index, part in enumerate(parts):
                text.append(" › ", style="dim")
                last = index == len(parts) - 1
                text.append(visible(part), style="bold" if last else "")
            text.append(f"   ({ref.mount.kind_label})", style="dim")
        self.update(text)


class BrowserScreen(Screen[None]):
    VIEW_TITLE = "Secrets browser"
    CSS_PATH = Path(__file__).parent / "secrets.tcss"
    BINDINGS = [
        Binding("slash", "filter", "Filter", id="browser.filter"),
        Binding("escape", "clear_filter", "Back / clear filter", show=False, id="browser.back"),
        Binding("R", "reload", "Reload mounts", show=False, id="browser.reload"),
        Binding("n", "new_secret", "New secret", id="browser.new"),
        Binding("tab", "focus_next_pane", "Switch pane", show=False, id="browser.next_pane"),
        Binding("g", "generate_credentials", "Credentials", id="browser.generate"),
    ]

    def compose(self) -> ComposeResult:
        yield SessionBar()
        yield Breadcrumb()
        with Horizontal(id="browser-body"):
            with Vertical(id="tree-pane"):
                yield Input(placeholder="filter loaded paths…", id="tree-filter")
                yield PathTree(id="paths")
            yield SecretDetail(id="detail")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#tree-filter", Input).display = False
        self.query_one(PathTree).loading = True
        self.reload()

    # -- mounts -------------------------------------------------------------------------------
    def reload(self) -> None:
        vault_app(self).worker.submit(
            Call(Gateway.mounts),
            to=self,
            done=MountsLoaded,
            action="listing mounts",
            key="browser:mounts",
        )

    def action_reload(self) -> None:
        self.query_one(PathTree).loading = True
        self.reload()

    @on(MountsLoaded)
    def _mounts_loaded(self, message: MountsLoaded) -> None:
        message.stop()
        tree = self.query_one(PathTree)
        tree.loading = False
        tree.set_mounts(message.mounts)
        tree.focus()
        initial = vault_app(self).config.initial_path
        if initial:
            vault_app(self).config.initial_path = None
            if not tree.open_path(initial):
                self.notify(f"No mount matches --path {visible(initial)}", severity="warning", markup=False)

    @on(VaultFailed)
    def _failed(self, message: VaultFailed) -> None:
        if message.key == "browser:mounts":
            message.stop()
            tree = self.query_one(PathTree)
            tree.loading = False
            vault_app(self).report_error(message.error, "listing mounts")

    # -- selection ----------------------------------------------------------------------------
    @on(PathTree.PathChosen, "#paths")
    def _chosen(self, message: PathTree.PathChosen) -> None:
        ref = message.ref
        if ref.kind == "root":
            return  # the hidden root node: nothing to show
        self.query_one(Breadcrumb).show(ref)
        self.refresh_bindings()
        detail = self.query_one(SecretDetail)
        if ref.mount is None:
            detail.clear()
        elif ref.kind == "secret":
            detail.show_secret(ref.mount, ref.path)
        elif ref.kind == "mount":
            detail.show_mount(ref.mount)
        elif ref.kind == "folder":
            detail.show_folder(ref.mount, ref.path)

    @on(Tree.NodeSelected, "#paths")
    def _selected(self, event: Tree.NodeSelected[NodeRef]) -> None:
        """``enter`` on a secret moves into the detail pane, where its keys act on it."""
        ref = event.node.data
        if ref is not None and ref.kind == "secret":
            tables = self.query_one(SecretDetail).query("#data-table")
            if tables:
                tables.first().focus()

    @on(SecretDetail.SecretWritten)
    def _written(self, message: SecretDetail.SecretWritten) -> None:
        self._refresh_parent(message.mount, message.path)

    @on(SecretDetail.SecretDeleted)
    def _deleted(self, message: SecretDetail.SecretDeleted) -> None:
        self._refresh_parent(message.mount, message.path)

    def _refresh_parent(self, mount: Mount, path: str) -> None:
        folder = path.rstrip("/").rsplit("/", 1)[0] + "/" if "/" in path.rstrip("/") else ""
        tree = self.query_one(PathTree)
        if tree.index.is_loaded(mount.path, folder):
            tree.refresh_folder(mount, folder)

    # -- actions ------------------------------------------------------------------------------
    def action_filter(self) -> None:
        box = self.query_one("#tree-filter", Input)
        box.display = True
        box.focus()

    @on(Input.Changed, "#tree-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.query_one(PathTree).apply_filter(event.value)

    @on(Input.Submitted, "#tree-filter")
    def _filter_submitted(self) -> None:
        self.query_one(PathTree).focus()

    def action_clear_filter(self) -> None:
        """``esc``: clear the filter, or go back from the detail pane to the tree."""
        box = self.query_one("#tree-filter", Input)
        tree = self.query_one(PathTree)
        if box.display:
            box.value = ""
            box.display = False
            tree.apply_filter("")
            tree.focus()
        elif not tree.has_focus:
            tree.focus()

    def action_new_secret(self) -> None:
        if vault_app(self).config.read_only:
            self.notify("Read-only mode: creating secrets is disabled.", severity="warning", markup=False)
            return
        tree = self.query_one(PathTree)
        node = tree.cursor_node
        ref = node.data if node is not None else None
        if ref is None or ref.mount is None or not ref.mount.is_kv:
            self.notify("Select a KV mount or folder first.", severity="warning", markup=False)
            return
        folder = ref.path if ref.kind in ("mount", "folder") else (ref.path.rsplit("/", 1)[0] + "/" if "/" in ref.path else "")
        self.query_one(SecretDetail).new_secret(ref.mount, folder)

    def _cursor_mount(self) -> Mount | None:
        node = self.query_one(PathTree).cursor_node
        ref = node.data if node is not None else None
        return ref.mount if ref is not None else None

    def action_generate_credentials(self) -> None:
        """On a database (or other creds-issuing) mount: pick a role and issue credentials."""
        mount = self._cursor_mount()
        if mount is None or mount.is_kv:
            self.notify("Select a database mount to generate credentials.", severity="warning", markup=False)
            return
        def start(screen: Screen[Any]) -> None:
            generate = getattr(screen, "action_generate", None)
            if callable(generate):
                self.app.run_worker(generate(mount=mount.name), exit_on_error=False)

        vault_app(self).show_view("leases", then=start)

    def action_focus_next_pane(self) -> None:
        tree = self.query_one(PathTree)
        if tree.has_focus:
            self.query_one(SecretDetail).focus()
            self.focus_next()
        else:
            tree.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("new_secret", "generate_credentials") and vault_app(self).config.read_only:
            return False
        if action == "generate_credentials":
            mount = self._cursor_mount()
            return True if mount is not None and mount.type in CREDS_ENGINES else None
        return True
