"""The path tree: mounts, then KV folders and secrets, loaded lazily.

* Expanding a folder shows a "loading…" child at once and asks the worker for the listing.
  On OpenBao the listing arrives page by page (paginated LIST), so huge folders fill in
  progressively without freezing input. A refresh updates the children in place, so the cursor
  stays on the node it was on.
* A 403 marks the node "no access" and shows, below it, what the token's policies grant there
  (from ``sys/internal/ui/resultant-acl``, see :meth:`PathTree.set_acl`); the rest of the tree
  carries on.
* :meth:`PathTree.reveal` opens any path without listing its parents: the missing nodes are added
  and kept ("pinned") whatever later listings say.
* Labels are built from ``visible``: server names are never markup; long names are shortened in
  the middle (the breadcrumb shows them whole), and the tree scrolls sideways to the cursor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
from ...vault.policies import ResultantAcl, readable_under
from ...worker import Call
from .finder import TreeFilter
from .render import NAME_LIMIT, shorten_middle
from .tree_model import PathIndex, ancestors, granted_names
from .tree_view import ViewTree

CHUNK = 1000  # children added per turn of the tree's queue (keys pressed meanwhile go in between)
PLACEHOLDERS = frozenset({"loading", "denied", "empty", "error"})


@dataclass(frozen=True)
class NodeRef:
    kind: str  # "mount" | "folder" | "secret" | "hint" | "loading" | "denied" | "error" | "empty"
    mount: Mount | None = None
    path: str = ""  # inside the mount; folders end in "/"

    @property
    def full_path(self) -> str:
        return (self.mount.path if self.mount else "") + self.path

    @property
    def folder(self) -> str:
        """The folder this node is in (a folder's own path for mounts, folders and status leaves)."""
        if self.kind in ("secret", "hint"):
            return self.path.rsplit("/", 1)[0] + "/" if "/" in self.path else ""
        return self.path


def _name(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1] + ("/" if path.endswith("/") else "")


@dataclass
class _Pending:
    """Keys of a folder listing waiting to become nodes, a chunk at a time."""

    node: TreeNode[NodeRef]
    mount: Mount
    folder: str
    keys: list[str] = field(default_factory=list)
    last: bool = False  # the listing is complete
    scheduled: bool = False
    started: bool = False


@dataclass
class _MountFilter:
    """The tree filter of one mount: its shown paths and the nodes showing them."""

    matcher: TreeFilter
    nodes: dict[str, list[int]]


class PathTree(ViewTree[NodeRef]):
    BINDINGS = [
        Binding("r", "refresh_node", "Refresh", id="tree.refresh"),
        Binding("right,l", "expand_node", "Open", show=False, id="tree.expand"),
        Binding("left,h", "collapse_node", "Close", show=False, id="tree.collapse"),
    ]

    @dataclass
    class Loaded(Message):
        """A folder listing (or one page of it) arrived."""

        mount: Mount
        folder: str
        keys: tuple[str, ...]
        first: bool
        last: bool

    @dataclass
    class FolderRefreshed(Message):
        """The user refreshed a folder (``r``): whoever keeps an index of it lists it again too."""

        mount: Mount
        folder: str

    @dataclass
    class ListFailed(Message):
        mount: Mount
        folder: str
        error: VaultError

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
        self.acl: ResultantAcl | None = None
        self._folder_nodes: dict[tuple[str, str], TreeNode[NodeRef]] = {}
        self._pending: dict[tuple[str, str], _Pending] = {}
        self._filters: tuple[tuple[int, int, int], dict[str, _MountFilter]] | None = None
        self._moving_to: TreeNode[NodeRef] | None = None  # where the cursor goes after the next refresh
        self._place: NodeRef | None = None  # the node the user was on when the filter started
        self.picked = False  # the user came into the filtered tree (its cursor is now their place)

    # -- labels -------------------------------------------------------------------------------
    @staticmethod
    def label_for(ref: NodeRef, name: str = "") -> Text:
        shown = shorten_middle(visible(name), NAME_LIMIT)
        if ref.kind == "mount" and ref.mount is not None:
            # KV mounts get the tree's expand icon; others a bullet of the same width, to align.
            text = Text("" if ref.mount.is_kv else "• ", style="dim")
            text.append(shorten_middle(visible(ref.mount.path), NAME_LIMIT), style="bold")
            text.append(f"  {ref.mount.kind_label}", style="dim")
            return text
        if ref.kind == "folder":
            return Text(shown, style="bold")
        if ref.kind == "secret":
            return Text(shown)
        if ref.kind == "hint":
            if name == "*":
                return Text("(anything here: o opens a path)", style="dim italic")
            return Text(f"{shown} (names starting so: o opens one)", style="dim italic")
        if ref.kind == "loading":
            return Text("loading…", style="dim italic")
        if ref.kind == "denied":
            return Text(name or "no access (403)", style="red")
        if ref.kind == "empty":
            return Text("(empty)", style="dim italic")
        return Text(shown, style="red")

    # -- mounts -------------------------------------------------------------------------------
    def set_mounts(self, mounts: tuple[Mount, ...], *, keep_place: bool = False) -> None:
        """Show these mounts (the browsable ones). With ``keep_place`` (a reload), folders that were
        open are opened again as their listings arrive, and paths opened directly stay."""
        self.mounts = tuple(m for m in mounts if m.browsable)
        paths = {m.path for m in self.mounts}
        old = self.index
        self.index = PathIndex()
        if keep_place:
            self.index.expanded = {key for key in old.expanded if key[0] in paths}
            self.index.pinned = {key for key in old.pinned if key[0] in paths}
        self._folder_nodes.clear()
        self._pending.clear()
        self.clear()
        for mount in self.mounts:
            ref = NodeRef("mount", mount, "")
            if mount.is_kv:
                node = self.root.add(self.label_for(ref), data=ref, allow_expand=True)
                self._folder_nodes[(mount.path, "")] = node
                if (mount.path, "") in self.index.expanded:
                    node.expand()
            else:
                self.root.add_leaf(self.label_for(ref), data=ref)
        self.root.expand()

    def mount_named(self, path: str) -> Mount | None:
        path = path if path.endswith("/") else path + "/"
        return next((mount for mount in self.mounts if mount.path == path), None)

    def set_acl(self, acl: ResultantAcl | None) -> None:
        """What the token's policies grant: shown under folders it cannot list."""
        self.acl = acl
        for mount_path, folder in list(self.index.denied):
            mount = self.mount_named(mount_path)
            if mount is not None:
                self.index.granted[(mount_path, folder)] = self._granted(mount, folder)
                node = self._folder_nodes.get((mount_path, folder))
                if node is not None:
                    self._fill(node, mount, folder)

    def _granted(self, mount: Mount, folder: str) -> tuple[str, ...]:
        if self.acl is None:
            return ()
        return granted_names(readable_under(self.acl, mount), folder)

    # -- lazy loading -------------------------------------------------------------------------
    @on(Tree.NodeExpanded)
    def _expanded(self, event: Tree.NodeExpanded[NodeRef]) -> None:
        ref = event.node.data
        if ref is None or ref.kind not in ("mount", "folder") or ref.mount is None:
            return
        if self._folder_nodes.get((ref.mount.path, ref.path)) is not event.node:
            return  # a node of a tree rebuilt since (new mounts)
        self.index.expanded.add((ref.mount.path, ref.path))
        known = self.index.is_loaded(ref.mount.path, ref.path) or (ref.mount.path, ref.path) in self.index.denied
        if not known and not self._is_loading(event.node):
            self.load_folder(event.node)

    @on(Tree.NodeCollapsed)
    def _collapsed(self, event: Tree.NodeCollapsed[NodeRef]) -> None:
        ref = event.node.data
        if ref is None or ref.mount is None:
            return
        if self._folder_nodes.get((ref.mount.path, ref.path)) is event.node:
            self.index.expanded.discard((ref.mount.path, ref.path))

    def _is_loading(self, node: TreeNode[NodeRef]) -> bool:
        return any(child.data is not None and child.data.kind == "loading" for child in node.children)

    @staticmethod
    def _real_children(node: TreeNode[NodeRef]) -> list[TreeNode[NodeRef]]:
        return [c for c in node.children if c.data is not None and c.data.kind not in PLACEHOLDERS]

    def load_folder(self, node: TreeNode[NodeRef]) -> None:
        """List a folder. A folder that already shows children keeps them until the listing lands."""
        ref = node.data
        assert ref is not None and ref.mount is not None
        mount, folder = ref.mount, ref.path
        if not self._real_children(node):
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

    def _node(self, mount: Mount, folder: str) -> TreeNode[NodeRef] | None:
        node = self._folder_nodes.get((mount.path, folder))
        return node if node is not None and self._tree_nodes.get(node._id) is node else None

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        message.stop()
        mount, folder = message.mount, message.folder
        key = (mount.path, folder)
        # The index is the truth; the nodes are a view of it.
        if message.first:
            self.index.set_children(mount.path, folder, ())
            self.index.granted.pop(key, None)
            self._pending.pop(key, None)  # a new listing: what an older one left to add is stale
        if message.keys:
            self.index.add_children(mount.path, folder, message.keys)
        node = self._node(mount, folder)
        if node is None:
            return
        pending = self._pending.get(key)
        if pending is None:
            if self._real_children(node):  # a refresh: the nodes stay until the listing is complete
                if message.last:
                    self._fill(node, mount, folder)
                return
            pending = self._pending[key] = _Pending(node, mount, folder)
        pending.keys.extend(message.keys)
        pending.last = pending.last or message.last
        if not pending.scheduled:
            self._drain(key)

    def _drain(self, key: tuple[str, str]) -> None:
        """Add the next chunk of a listing's keys; the rest waits for the next turn of the queue,
        so keys pressed meanwhile are handled in between (a 30,000-key folder never freezes)."""
        pending = self._pending.get(key)
        if pending is None:
            return
        pending.scheduled = False
        node = pending.node
        if node.tree is not self or self._folder_nodes.get(key) is not node:
            del self._pending[key]
            return
        if pending.keys:
            chunk, pending.keys = pending.keys[:CHUNK], pending.keys[CHUNK:]
            if not pending.started:
                pending.started = True
                if node.children:
                    node.remove_children()  # "loading…", or an old status line
            self._add_key_nodes(node, pending.mount, pending.folder, chunk)
        if pending.keys:
            pending.scheduled = True
            self.call_later(self._drain, key)
        elif pending.last:
            del self._pending[key]
            self._fill(node, pending.mount, pending.folder)

    def _add_key_nodes(self, node: TreeNode[NodeRef], mount: Mount, folder: str, keys: list[str]) -> None:
        items = []
        for key in keys:
            ref = self._ref_for(mount, folder, key)
            items.append((self.label_for(ref, key), ref, ref.kind == "folder"))
        self._opened(mount, self.add_many(node, items))

    def _opened(self, mount: Mount, children: list[TreeNode[NodeRef]]) -> None:
        """New children: folders are known by path, and open again if they were open before a reload."""
        for child in children:
            ref = child.data
            if ref is not None and ref.kind == "folder":
                self._folder_nodes[(mount.path, ref.path)] = child
                if (mount.path, ref.path) in self.index.expanded:
                    child.expand()

    def _ref_for(self, mount: Mount, folder: str, key: str) -> NodeRef:
        hint = key.endswith("*") and key in self.index.granted.get((mount.path, folder), ())
        if hint:
            return NodeRef("hint", mount, folder + key)
        return NodeRef("folder" if key.endswith("/") else "secret", mount, folder + key)

    def _add_key_node(
        self,
        node: TreeNode[NodeRef],
        mount: Mount,
        folder: str,
        key: str,
        *,
        after: TreeNode[NodeRef] | None = None,
        append: bool = False,
    ) -> TreeNode[NodeRef]:
        """Add one child: at the end (``append``), after ``after``, or in sorted place."""
        ref = self._ref_for(mount, folder, key)
        position: dict[str, Any] = {}
        if after is not None:
            position["after"] = after
        elif not append:
            later = next(
                (
                    c
                    for c in node.children
                    if c.data is not None and c.data.kind not in PLACEHOLDERS and c.data.path > ref.path
                ),
                None,
            )
            if later is not None:
                position["before"] = later
        if ref.kind == "folder":
            child = node.add(self.label_for(ref, key), data=ref, allow_expand=True, **position)
            self._folder_nodes[(mount.path, ref.path)] = child
            if (mount.path, ref.path) in self.index.expanded:
                child.expand()  # it was open before a reload: open it again
        else:
            child = node.add_leaf(self.label_for(ref, key), data=ref, **position)
        return child

    def _fill(self, node: TreeNode[NodeRef], mount: Mount, folder: str) -> None:
        """Make ``node``'s children what the index says, keeping the nodes that stay (and the cursor).
        One pass and one re-layout, however many children (a refresh of a 30,000-key folder)."""
        keys = self.index.keys_under(mount.path, folder) or ()
        wanted = {folder + key: key for key in keys}
        existing: dict[str, TreeNode[NodeRef]] = {}
        dropped: list[TreeNode[NodeRef]] = []
        for child in node.children:
            ref = child.data
            if ref is None or ref.kind in PLACEHOLDERS or ref.path not in wanted:
                dropped.append(child)
            else:
                existing[ref.path] = child
        order: list[TreeNode[NodeRef]] = []
        made: list[TreeNode[NodeRef]] = []
        for path, key in wanted.items():
            kept = existing.get(path)
            if kept is None:
                ref = self._ref_for(mount, folder, key)
                kept = self.make_node(node, self.label_for(ref, key), ref, ref.kind == "folder")
                made.append(kept)
            order.append(kept)
        if dropped or made or any(a is not b for a, b in zip(order, node.children, strict=False)):
            self.replace_children(node, order, dropped)
        self._opened(mount, made)
        denied = (mount.path, folder) in self.index.denied
        if node.data is not None and node.data.kind == "folder":
            folder_label = self.label_for(node.data, _name(node.data.path))
            if denied:
                folder_label.append("  no access", style="red")
            node.set_label(folder_label)
        if denied:
            label = "no list access (403); your policies grant:" if keys else "no access (403)"
            status = NodeRef("denied", mount, folder)
            node.add_leaf(self.label_for(status, label), data=status, **({"before": 0} if node.children else {}))
        elif not keys and self.index.is_loaded(mount.path, folder):
            node.add_leaf(self.label_for(NodeRef("empty")), data=NodeRef("empty", mount, folder))

    @on(ListFailed)
    def _list_failed(self, message: ListFailed) -> None:
        message.stop()
        mount, folder = message.mount, message.folder
        denied = isinstance(message.error, PermissionDenied)
        if denied:
            self.index.mark_denied(mount.path, folder, self._granted(mount, folder))
        else:
            self.post_message(VaultFailed(message.error, f"listing {mount.path}{folder}"))
        node = self._node(mount, folder)
        if node is not None:
            if denied:
                self._fill(node, mount, folder)
            else:
                for child in list(node.children):
                    if child.data is not None and child.data.kind == "loading":
                        child.remove()
                error_ref = NodeRef("error", mount, folder)
                node.add_leaf(Text(f"error: {visible(message.error)}", style="red"), data=error_ref)

    # -- cursor -------------------------------------------------------------------------------
    @on(Tree.NodeHighlighted)
    def _highlighted(self, event: Tree.NodeHighlighted[NodeRef]) -> None:
        event.stop()
        if event.node.data is not None:
            self.post_message(self.PathChosen(self, event.node.data))

    def scroll_to_line(self, line: int, animate: bool = True) -> None:
        """Scroll to a line, and sideways so that its label is in view (deep paths)."""
        super().scroll_to_line(line, animate=animate)
        region = self._get_label_region(line)
        if region is None:
            return
        left, width = self.scroll_offset.x, self.scrollable_content_region.width
        if region.x < left or region.x + min(region.width, 12) > left + width:
            self.scroll_to(x=max(0, region.x - 6), animate=False, immediate=True)

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
        if node.data.kind not in ("mount", "folder") and node.parent is not None:
            node = node.parent
        ref = node.data
        if ref is None or ref.mount is None or ref.kind not in ("mount", "folder"):
            return
        self.index.forget(ref.mount.path, ref.path)
        node.expand()
        self.load_folder(node)
        for (mount_path, folder), below in list(self._folder_nodes.items()):
            inside = mount_path == ref.mount.path and folder.startswith(ref.path) and folder != ref.path
            if inside and below.tree is self and below.is_expanded:
                self.load_folder(below)
        self.notify(f"Refreshing {visible(ref.full_path)}", markup=False, timeout=2)
        self.post_message(self.FolderRefreshed(ref.mount, ref.path))

    def refresh_folder(self, mount: Mount, folder: str) -> None:
        """List a folder again (after a write), keeping its nodes and the cursor where they are."""
        node = self._node(mount, folder)
        if node is not None and (self.index.is_loaded(mount.path, folder) or (mount.path, folder) in self.index.denied):
            self.load_folder(node)

    # -- open a path ----------------------------------------------------------------------------
    def reveal(self, mount: Mount, path: str) -> TreeNode[NodeRef] | None:
        """Select ``path`` in ``mount``, adding the missing folders and the node itself without
        listing anything. The path stays in the tree (pinned) whatever later listings say."""
        mount_node = next(
            (n for n in self.root.children if n.data is not None and n.data.mount and n.data.mount.path == mount.path),
            None,
        )
        if mount_node is None or mount_node.data is None or mount_node.data.mount is None:
            return None
        mount = mount_node.data.mount  # the tree's own (the server's) description of it
        if not mount.is_kv or not path:
            self.select_path_node(mount_node)
            return mount_node
        self.index.pin(mount.path, path)
        node = mount_node
        for folder in [*ancestors(path), *([path] if path.endswith("/") else [])]:
            child = self._node(mount, folder)
            if child is None:
                child = self._add_key_node(node, mount, node.data.path if node.data else "", _name(folder))
            node.expand()
            node = child
        if not path.endswith("/"):
            parent_path = node.data.path if node.data is not None else ""
            leaf = next((c for c in node.children if c.data is not None and c.data.path == path), None)
            node.expand()
            node = leaf or self._add_key_node(node, mount, parent_path, _name(path))
        self.select_path_node(node)
        return node

    def select_path_node(self, node: TreeNode[NodeRef], *, expand: bool = True) -> None:
        """Move the cursor to ``node``, opening the folders above it (and itself, with ``expand``)."""
        if expand and node.allow_expand:
            node.expand()
        parent = node.parent
        while parent is not None and parent is not self.root:
            parent.expand()
            parent = parent.parent
        # Nodes added in this same turn have no line yet: move once the tree has laid out.
        self._moving_to = node
        self.call_after_refresh(self._move_to, node)

    def _move_to(self, node: TreeNode[NodeRef]) -> None:
        if self._moving_to is not node:
            return  # superseded (another move, or the tree was rebuilt)
        self._moving_to = None
        self._tree_lines  # noqa: B018 - lay the lines out now: a node added this turn has no line yet
        self.move_cursor(node)
        self.scroll_to_node(node, animate=False)
        if node.data is not None:
            self.post_message(self.PathChosen(self, node.data))

    # -- filter -------------------------------------------------------------------------------
    def apply_filter(self, query: str) -> None:
        """Show only the nodes matching ``query`` (and their folders); "" shows the tree exactly as
        it was, with the cursor on the user's node. The nodes themselves are never touched."""
        query = query.strip()
        if query == self.filter_text:
            return
        place = self._user_place()
        if not self.filter_text:
            self.picked = False
        self._place = place
        self.filter_text = query
        self.show_only(bool(query))
        if query:
            cursor = self.cursor_node
            if cursor is not None:
                self.call_after_refresh(self._scroll_to_cursor, cursor)
            return
        target = self._node_for_ref(place) if place is not None else None
        if target is not None:
            self.select_path_node(target, expand=False)

    def _scroll_to_cursor(self, node: TreeNode[NodeRef]) -> None:
        if self.cursor_node is node and node.line >= 0:
            self.scroll_to_node(node, animate=False)

    def _user_place(self) -> NodeRef | None:
        """The node the user is on: the cursor, or (filtering, before they came into the filtered
        tree) where they were when the filter started."""
        if self.filter_text and not self.picked:
            return self._place
        cursor = self._moving_to or self.cursor_node
        if cursor is None:
            return self._place if self.filter_text else None
        return cursor.data

    def on_focus(self) -> None:
        if self.filter_text:
            self.picked = True

    def _node_for_ref(self, ref: NodeRef) -> TreeNode[NodeRef] | None:
        if ref.mount is not None and ref.kind in ("mount", "folder"):
            node = self._node(ref.mount, ref.path)
            if node is not None:
                return node
        return next((node for node in self._tree_nodes.values() if node.data == ref and node is not self.root), None)

    def _mount_filters(self) -> dict[str, _MountFilter]:
        """One :class:`TreeFilter` per mount over the paths shown, rebuilt only when nodes change."""
        key = self.node_set_key()
        if self._filters is not None and self._filters[0] == key:
            return self._filters[1]
        paths: dict[str, dict[str, list[int]]] = {}
        for node in self._tree_nodes.values():
            ref = node.data
            if ref is None or ref.mount is None or ref.kind not in ("folder", "secret", "hint"):
                continue
            paths.setdefault(ref.mount.path, {}).setdefault(ref.path, []).append(node._id)
        filters = {mount: _MountFilter(TreeFilter(nodes), nodes) for mount, nodes in paths.items()}
        self._filters = (key, filters)
        return filters

    def kept_nodes(self) -> set[int]:
        """The nodes whose path (inside its mount) contains the filter, and every mount whose own
        path does; their folders are shown on the way."""
        needle = self.filter_text.lower()
        filters = self._mount_filters()
        keep: set[int] = set()
        for mount_node in self.root.children:
            ref = mount_node.data
            if ref is None or ref.mount is None:
                continue
            found = filters.get(ref.mount.path)
            kept = 0
            if found is not None:
                nodes = found.nodes
                for path in found.matcher.keep(self.filter_text):
                    ids = nodes.get(path)
                    if ids:
                        keep.update(ids)
                        kept += 1
            if kept or needle in ref.mount.path.lower():
                keep.add(mount_node._id)
        return keep
