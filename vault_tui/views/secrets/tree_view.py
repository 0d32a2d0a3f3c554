"""A Textual ``Tree`` that stays fast with tens of thousands of nodes.

* **Filtering never touches the nodes.** :meth:`ViewTree.show_only` hides every node whose id is
  not kept (the subclass says which, :meth:`ViewTree.kept_nodes`); the folders on the way to a
  kept node are shown open whatever their own state, and ``enter``/``right``/``left`` open and
  close them for the filtered view only. Clearing the filter shows the tree exactly as it was:
  the same nodes, the same expansion (the filter never changed it), and the cursor is the
  subclass's business (:class:`~.tree.PathTree` puts it back on the user's node).
* **Many children at once.** :meth:`ViewTree.add_many` adds a batch of children with one
  invalidation (``TreeNode.add`` invalidates, and so re-lays out, the whole tree per node).
* **Cheap layout.** Textual measures every line's width by rendering its label (a copy, a style,
  an assembly) each time the lines are rebuilt; here a width is the label's cell length plus the
  icon, and a label that is already a one-line ``Text`` is used as it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text, TextType
from textual._loop import loop_last
from textual.geometry import Size
from textual.widgets import Tree
from textual.widgets._tree import TOGGLE_STYLE, TreeNode, _TreeLine

T = TypeVar("T")


class ViewNode(TreeNode[T]):
    """A node whose "last child" mark follows what the filtered view shows (for the guides)."""

    @property
    def is_last(self) -> bool:
        shown_last: set[int] | None = getattr(self._tree, "_shown_last", None)
        if shown_last is None:
            return super().is_last
        return self._id in shown_last


class ViewTree(Tree[T]):
    """A Tree with a node-preserving filter, batch adds and cheap line widths."""

    def __init__(self, label: TextType, data: T | None = None, **kwargs: Any) -> None:
        self._view_active = False
        self._view_key: tuple[Any, ...] | None = None
        self._view_keep: set[int] = set()
        self._view_closed: set[int] = set()  # folders the user closed in the filtered view
        self._view_open: set[int] = set()  # folders the filtered view shows open
        self._shown_last: set[int] | None = None
        self.builds = 0  # for tests and benchmarks: how often the lines were laid out
        super().__init__(label, data, **kwargs)

    # -- what a subclass provides ----------------------------------------------------------------
    def kept_nodes(self) -> set[int]:
        """The ids of the nodes the filter keeps (their ancestors are shown too)."""
        return set(self._tree_nodes)

    # -- nodes -------------------------------------------------------------------------------------
    def _add_node(self, parent: TreeNode[T] | None, label: Text, data: T | None, expand: bool = False) -> TreeNode[T]:
        node: TreeNode[T] = ViewNode(self, parent, self._new_id(), label, data, expanded=expand)
        self._tree_nodes[node._id] = node
        self._updates += 1
        return node

    def process_label(self, label: TextType) -> Text:
        if isinstance(label, Text) and "\n" not in label.plain:
            return label  # already one line: no split (it is most of the cost of adding a node)
        return super().process_label(label)

    def make_node(self, parent: TreeNode[T], label: Text, data: T, allow_expand: bool) -> TreeNode[T]:
        """A node for ``parent`` that is not placed yet (see :meth:`replace_children`)."""
        node = self._add_node(parent, self.process_label(label), data)
        node._allow_expand = allow_expand
        return node

    def add_many(self, parent: TreeNode[T], items: Iterable[tuple[Text, T, bool]]) -> list[TreeNode[T]]:
        """Append children ``(label, data, allow_expand)`` to ``parent`` with one invalidation."""
        made = [self.make_node(parent, label, data, allow_expand) for label, data, allow_expand in items]
        if made:
            parent._children.extend(made)
            parent._updates += 1
            self._invalidate()
        return made

    def replace_children(
        self, parent: TreeNode[T], children: list[TreeNode[T]], removed: Iterable[TreeNode[T]] = ()
    ) -> None:
        """Make ``children`` (existing or :meth:`make_node` nodes) the children of ``parent``, in
        order, forgetting ``removed`` and everything below them; one invalidation."""
        stack = list(removed)
        while stack:
            gone = stack.pop()
            self._tree_nodes.pop(gone._id, None)
            stack.extend(gone._children)
        parent._children[:] = children
        parent._updates += 1
        self._invalidate()

    def node_set_key(self) -> tuple[int, int, int]:
        """Changes whenever a node is added or removed (not when one opens or closes)."""
        return (id(self.root), int(self._current_id), len(self._tree_nodes))

    # -- the filtered view -------------------------------------------------------------------------
    @property
    def view_filtered(self) -> bool:
        return self._view_active

    def show_only(self, active: bool) -> None:
        """Start (or refresh) the filtered view with the subclass's :meth:`kept_nodes`, or end it."""
        if active and not self._view_active:
            self._view_closed.clear()
        self._view_active = active
        self._view_key = None
        if not active:
            self._view_closed.clear()
            self._view_open.clear()
            self._shown_last = None
        self._invalidate()

    def shows_children(self, node: TreeNode[T]) -> bool:
        """Whether ``node``'s children are on screen (its own state, or the filtered view's)."""
        if self._view_active:
            return node._id in self._view_open
        return node._expanded

    def _toggle_node(self, node: TreeNode[T]) -> None:
        if not self._view_active:
            super()._toggle_node(node)
            return
        if not node.allow_expand:
            return
        if node._id in self._view_closed:
            self._view_closed.discard(node._id)
        else:
            self._view_closed.add(node._id)
        self._invalidate()

    # -- layout ------------------------------------------------------------------------------------
    def get_label_width(self, node: TreeNode[T]) -> int:
        label = node._label
        return label.cell_len + (cell_len(self.ICON_NODE) if node._allow_expand else 0)

    def render_label(self, node: TreeNode[T], base_style: Style, style: Style) -> Text:
        node_label = node._label.copy()
        node_label.stylize(style)
        if node._allow_expand:
            icon = self.ICON_NODE_EXPANDED if self.shows_children(node) else self.ICON_NODE
            return Text.assemble((icon, base_style + TOGGLE_STYLE), node_label)
        return Text.assemble(("", base_style), node_label)

    def _build(self) -> None:
        self.builds += 1
        if not self._view_active:
            self._shown_last = None
            super()._build()
            return
        key = self.node_set_key()
        if key != self._view_key:
            self._view_keep = self.kept_nodes()
            self._view_key = key
        keep = self._view_keep
        closed = self._view_closed
        for node in self._tree_nodes.values():
            node._line = -1
        lines: list[_TreeLine[T]] = []
        add_line = lines.append
        shown_last: set[int] = set()
        opened: set[int] = set()

        def add_node(path: list[TreeNode[T]], node: TreeNode[T], last: bool) -> None:
            child_path = [*path, node]
            node._line = len(lines)
            add_line(_TreeLine(child_path, last))
            if last:
                shown_last.add(node._id)
            kids = [child for child in node._children if child._id in keep]
            if kids and node._id not in closed:
                opened.add(node._id)
                for is_last, child in loop_last(kids):
                    add_node(child_path, child, is_last)

        roots = [self.root] if self.show_root else [c for c in self.root._children if c._id in keep]
        for is_last, node in loop_last(roots):
            add_node([], node, is_last)
        self._view_open = opened
        self._shown_last = shown_last
        self._tree_lines_cached = lines
        guide_depth, show_root = self.guide_depth, self.show_root
        if lines:
            width = max(
                self.get_label_width(line.node) + line._get_guide_width(guide_depth, show_root) for line in lines
            )
        else:
            width = self.size.width
        self.virtual_size = Size(width, len(lines))
        if self.cursor_line != -1:
            cursor = self.cursor_node
            if cursor is not None:
                self.cursor_line = cursor._line
            if self.cursor_line >= len(lines):
                self.cursor_line = -1
