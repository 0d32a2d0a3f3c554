"""The path tree: mounts, then KV folders and secrets, loaded lazily.

* Expanding a folder shows a "loading…" child at once and asks the worker for the listing.
  On OpenBao the listing arrives page by page (paginated LIST), so huge folders fill in
  progressively without freezing input.
* A 403 marks the node "no access"; the rest of the tree carries on.
* Every label is built from ``safe_text``: server names are never markup.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from ...context import vault_app
from ...messages import VaultFailed
from ...safe import visible
from ...vault import kv
from ...vault.errors import PermissionDenied, VaultError
from ...vault.models import Mount
from ...worker import Call
from .tree_model import PathIndex

CHUNK = 250  # children added per event-loop turn


@dataclass(frozen=True)
class NodeRef:
    kind: str  # "mount" | "folder" | "secret" | "loading" | "denied" | "error" | "empty"
    mount: Mount | None = None
    path: str = ""  # inside the mount; folders end in "/"

    @property
    def full_path(self) -> str:
        return (self.mount.path if self.mount else "") + self.path


class PathTree(Tree[NodeRef]):
    BINDINGS = [
        Binding("r", "refresh_node", "Refresh", id="tree.refresh"),
        Binding("right,l", "expand_node", "Open", show=False, id="tree.expand"),
        Binding("left,h", "collapse_node", "Close", show=False, id="tree.collapse"),
    ]

    class Loaded(Message):
        """A folder listing (or one page of it) arrived."""

        def __init__(self, mount: Mount, folder: str, keys: tuple[str, ...], first: bool, last: bool) -> None:
            super().__init__()
            self.mount = mount
            self.folder = folder
            self.keys = keys
            self.first = first
            self.last = last

    class ListFailed(Message):
        def __init__(self, mount: Mount, folder: str, error: VaultError) -> None:
            super().__init__()
            self.mount = mount
            self.folder = folder
            self.error = error

    class PathChosen(Message):
        """The cursor moved to a node (for the breadcrumb and the detail pane)."""

        def __init__(self, tree: PathTree, ref: NodeRef) -> None:
            super().__init__()
            self.tree = tree
            self.ref = ref

        @property
        def control(self) -> PathTree:
            return self.tree

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(Text("mounts"), data=NodeRef("root"), **kwargs)
        self.show_root = False
        self.guide_depth = 3
        self.index = PathIndex()
        self.mounts: tuple[Mount, ...] = ()
        self.filter_text = ""
        self._folder_nodes: dict[tuple[str, str], TreeNode[NodeRef]] = {}
        self._pending_select: str | None = None

    # -- labels -------------------------------------------------------------------------------
    @staticmethod
    def label_for(ref: NodeRef, name: str = "") -> Text:
        if ref.kind == "mount" and ref.mount is not None:
            # KV mounts get the tree's expand icon; others a bullet of the same width, to align.
            text = Text("" if ref.mount.is_kv else "• ", style="dim")
            text.append(visible(ref.mount.path), style="bold")
            text.append(f"  {ref.mount.kind_label}", style="dim")
            return text
        if ref.kind == "folder":
            return Text(visible(name), style="bold")
        if ref.kind == "secret":
            return Text(visible(name))
        if ref.kind == "loading":
            return Text("loading…", style="dim italic")
        if ref.kind == "denied":
            return Text("no access (403)", style="red")
        if ref.kind == "empty":
            return Text("(empty)", style="dim italic")
        return Text(visible(name), style="red")

    # -- mounts -------------------------------------------------------------------------------
    def set_mounts(self, mounts: tuple[Mount, ...]) -> None:
        self.mounts = tuple(m for m in mounts if not m.is_auth and m.type not in ("system", "identity"))
        self.index = PathIndex()
        self._folder_nodes.clear()
        self.clear()
        for mount in self.mounts:
            ref = NodeRef("mount", mount, "")
            if mount.is_kv:
                node = self.root.add(self.label_for(ref), data=ref, allow_expand=True)
                self._folder_nodes[(mount.path, "")] = node
            else:
                self.root.add_leaf(self.label_for(ref), data=ref)
        self.root.expand()

    def mount_named(self, path: str) -> Mount | None:
        path = path if path.endswith("/") else path + "/"
        for mount in self.mounts:
            if mount.path == path:
                return mount
        return None

    # -- lazy loading -------------------------------------------------------------------------
    @on(Tree.NodeExpanded)
    def _expanded(self, event: Tree.NodeExpanded[NodeRef]) -> None:
        ref = event.node.data
        if ref is None or ref.kind not in ("mount", "folder") or ref.mount is None:
            return
        self.index.expanded.add((ref.mount.path, ref.path))
        if self.filter_text:
            return
        if not self.index.is_loaded(ref.mount.path, ref.path) and not self._is_loading(event.node):
            self.load_folder(event.node)

    @on(Tree.NodeCollapsed)
    def _collapsed(self, event: Tree.NodeCollapsed[NodeRef]) -> None:
        ref = event.node.data
        if ref is not None and ref.mount is not None:
            self.index.expanded.discard((ref.mount.path, ref.path))

    def _is_loading(self, node: TreeNode[NodeRef]) -> bool:
        return any(child.data is not None and child.data.kind == "loading" for child in node.children)

    def load_folder(self, node: TreeNode[NodeRef]) -> None:
        ref = node.data
        assert ref is not None and ref.mount is not None
        mount, folder = ref.mount, ref.path
        node.remove_children()
        node.add_leaf(self.label_for(NodeRef("loading")), data=NodeRef("loading", mount, folder))
        self._folder_nodes[(mount.path, folder)] = node
        vault_app(self).worker.submit_pages(
            Call(kv.iter_pages, mount.kind, mount.path, folder),
            to=self,
            page=lambda keys, first: PathTree.Loaded(mount, folder, tuple(keys), first, False),
            done=lambda count: PathTree.Loaded(mount, folder, (), count == 0, True),
            failed=lambda error: PathTree.ListFailed(mount, folder, error),
            action=f"listing {mount.path}{folder}",
            key=f"list:{mount.path}{folder}",
        )

    @on(Loaded)
    async def _loaded(self, message: Loaded) -> None:
        message.stop()
        mount, folder = message.mount, message.folder
        # The index is the truth; the nodes are a view of it (they may be filtered away now).
        if message.first:
            self.index.set_children(mount.path, folder, ())
        if message.keys:
            self.index.add_children(mount.path, folder, message.keys)
        node = self._folder_nodes.get((mount.path, folder))
        if node is not None and node.tree is self:
            if message.first:
                node.remove_children()
            if message.keys and not self.filter_text:
                await self._add_children(node, mount, folder, message.keys)
            if message.last and message.first and not message.keys:
                node.remove_children()
                node.add_leaf(self.label_for(NodeRef("empty")), data=NodeRef("empty", mount, folder))
        if message.last and self.filter_text:
            self._rebuild()  # new keys may match the filter
        if message.last:
            self._continue_pending()

    async def _add_children(self, node: TreeNode[NodeRef], mount: Mount, folder: str, keys: tuple[str, ...]) -> None:
        for start in range(0, len(keys), CHUNK):
            for key in keys[start : start + CHUNK]:
                if key.endswith("/"):
                    ref = NodeRef("folder", mount, folder + key)
                    child = node.add(self.label_for(ref, key), data=ref, allow_expand=True)
                    self._folder_nodes[(mount.path, folder + key)] = child
                else:
                    ref = NodeRef("secret", mount, folder + key)
                    node.add_leaf(self.label_for(ref, key), data=ref)
            if start + CHUNK < len(keys):
                await asyncio.sleep(0)

    @on(ListFailed)
    def _list_failed(self, message: ListFailed) -> None:
        message.stop()
        denied = isinstance(message.error, PermissionDenied)
        if denied:
            self.index.mark_denied(message.mount.path, message.folder)
        self._pending_select = None
        node = self._folder_nodes.get((message.mount.path, message.folder))
        if not denied:
            self.post_message(VaultFailed(message.error, f"listing {message.mount.path}{message.folder}"))
        if node is None or node.tree is not self:
            return
        node.remove_children()
        if denied:
            node.add_leaf(self.label_for(NodeRef("denied")), data=NodeRef("denied", message.mount, message.folder))
            if node.data is not None and node.data.kind == "folder":
                label = self.label_for(node.data, node.data.path.rstrip("/").rsplit("/", 1)[-1] + "/")
                label.append("  no access", style="red")
                node.set_label(label)
        else:
            error_ref = NodeRef("error", message.mount, message.folder)
            node.add_leaf(Text(f"error: {visible(message.error)}", style="red"), data=error_ref)

    # -- cursor -------------------------------------------------------------------------------
    @on(Tree.NodeHighlighted)
    def _highlighted(self, event: Tree.NodeHighlighted[NodeRef]) -> None:
        event.stop()
        if event.node.data is not None:
            self.post_message(self.PathChosen(self, event.node.data))

    def action_expand_node(self) -> None:
        node = self.cursor_node
        if node is not None and node.allow_expand:
            if node.is_expanded and node.children:
                self.move_cursor(node.children[0])
            else:
                node.expand()

    def action_collapse_node(self) -> None:
        node = self.cursor_node
        if node is None:
            return
        if node.is_expanded and node.allow_expand:
            node.collapse()
        elif node.parent is not None and node.parent is not self.root:
            self.move_cursor(node.parent)

    def action_refresh_node(self) -> None:
        """Reload the folder under the cursor (or the folder containing the secret)."""
        node = self.cursor_node
        if node is None or node.data is None:
            return
        ref = node.data
        if ref.kind in ("secret", "loading", "denied", "empty", "error") and node.parent is not None:
            node = node.parent
            ref = node.data  # type: ignore[assignment]
        if ref is None or ref.mount is None or ref.kind not in ("mount", "folder"):
            self.post_message(self.PathChosen(self, self.cursor_node.data))  # type: ignore[union-attr,arg-type]
            return
        self.index.forget(ref.mount.path, ref.path)
        node.expand()
        self.load_folder(node)
        self.notify(f"Refreshing {visible(ref.full_path)}", markup=False, timeout=2)

    def refresh_folder(self, mount: Mount, folder: str) -> None:
        node = self._folder_nodes.get((mount.path, folder))
        if node is not None and node.tree is self:
            self.index.forget(mount.path, folder)
            self.load_folder(node)

    # -- open a path (``--path``) -------------------------------------------------------------
    def open_path(self, full_path: str) -> bool:
        """Expand folders down to ``full_path`` and select it. Returns False if no mount matches."""
        from .tree_model import split_full_path

        split = split_full_path(full_path, [m.path for m in self.mounts])
        if split is None:
            return False
        self._pending_select = full_path.strip().lstrip("/")
        self._continue_pending()
        return True

    def _continue_pending(self) -> None:
        target = self._pending_select
        if not target:
            return
        from .tree_model import ancestors, split_full_path

        split = split_full_path(target, [m.path for m in self.mounts])
        if split is None:
            self._pending_select = None
            return
        mount_path, inner = split
        mount = self.mount_named(mount_path)
        if mount is None:
            self._pending_select = None
            return
        if not mount.is_kv:
            self._pending_select = None
            for node in self.root.children:
                if node.data is not None and node.data.mount == mount:
                    self.select_path_node(node)
            return
        for folder in ["", *ancestors(inner)]:
            node = self._folder_nodes.get((mount.path, folder))
            if node is None:
                self._pending_select = None
                self.notify(f"Not found: {visible(target)}", severity="warning", markup=False)
                return
            if not self.index.is_loaded(mount.path, folder):
                node.expand()
                if not self._is_loading(node):
                    self.load_folder(node)
                return  # continue when this folder's listing arrives
            node.expand()
        # All ancestors are loaded: find the node itself.
        parent = self._folder_nodes.get((mount.path, (ancestors(inner) or [""])[-1]))
        self._pending_select = None
        if parent is None:
            return
        wanted = inner.rstrip("/")
        for child in parent.children:
            if child.data is not None and child.data.path.rstrip("/") == wanted:
                self.select_path_node(child)
                return
        if not inner:
            self.select_path_node(parent)
            return
        self.notify(f"Not found: {visible(target)}", severity="warning", markup=False)

    def select_path_node(self, node: TreeNode[NodeRef]) -> None:
        if node.allow_expand:
            node.expand()
        # Nodes added in this same turn have no line yet: move once the tree has laid out.
        self.call_after_refresh(self._move_to, node)

    def _move_to(self, node: TreeNode[NodeRef]) -> None:
        self.move_cursor(node)
        self.scroll_to_node(node)
        if node.data is not None:
            self.post_message(self.PathChosen(self, node.data))

    # -- filter -------------------------------------------------------------------------------
    def apply_filter(self, query: str) -> None:
        """Show only loaded nodes matching ``query`` (and their ancestors); "" restores all."""
        self.filter_text = query.strip()
        self._rebuild()

    def _rebuild(self) -> None:
        cursor_ref = self.cursor_node.data if self.cursor_node is not None else None
        self.clear()
        self._folder_nodes.clear()
        query = self.filter_text
        target_node = None
        for mount in self.mounts:
            ref = NodeRef("mount", mount, "")
            keep = self.index.matches(mount.path, query) if query else None
            mount_matches = bool(query) and query.lower() in mount.path.lower()
            if keep is not None and not keep and not mount_matches:
                continue
            if not mount.is_kv:
                self.root.add_leaf(self.label_for(ref), data=ref)
                continue
            node = self.root.add(self.label_for(ref), data=ref, allow_expand=True)
            self._folder_nodes[(mount.path, "")] = node
            if cursor_ref == ref:
                target_node = node
            target_node = self._rebuild_folder(node, mount, "", keep, cursor_ref) or target_node
            if query or (mount.path, "") in self.index.expanded:
                node.expand()
        self.root.expand()
        if target_node is not None:
            self.call_after_refresh(self.move_cursor, target_node)

    def _rebuild_folder(self, node: TreeNode[NodeRef], mount: Mount, folder: str, keep: set[str] | None, cursor_ref: NodeRef | None) -> TreeNode[NodeRef] | None:
        if (mount.path, folder) in self.index.denied:
            node.add_leaf(self.label_for(NodeRef("denied")), data=NodeRef("denied", mount, folder))
            return None
        keys = self.index.children.get((mount.path, folder))
        if keys is None:
            return None
        found = None
        for key in keys:
            path = folder + key
            if keep is not None and path not in keep:
                continue
            if key.endswith("/"):
                ref = NodeRef("folder", mount, path)
                child = node.add(self.label_for(ref, key), data=ref, allow_expand=True)
                self._folder_nodes[(mount.path, path)] = child
                found = self._rebuild_folder(child, mount, path, keep, cursor_ref) or found
                if keep is not None or (mount.path, path) in self.index.expanded:
                    child.expand()
            else:
                ref = NodeRef("secret", mount, path)
                child = node.add_leaf(self.label_for(ref, key), data=ref)
            if cursor_ref == ref:
                found = child
        return found
