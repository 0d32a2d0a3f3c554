"""The detail pane's tables.

:class:`PaneTable` is a ``DataTable`` that carries the keys of its tab, shown in the footer while
it has focus (the Versions keys while Versions is focused): its actions run on the pane
(``owner``), which also decides whether each is available.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual.binding import Binding, BindingType
from textual.dom import DOMNode
from textual.widgets import DataTable


def cursor_key(table: DataTable[Any]) -> str | None:
    """The row key under the cursor, or None."""
    if not table.row_count:
        return None
    try:
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
    except Exception:  # noqa: BLE001 - no valid cursor
        return None


class PaneTable(DataTable[Any]):
    """A table of the pane; its own bindings (shown while it is focused) act on ``owner``."""

    PANE_ACTIONS: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, table_id: str, *columns: tuple[str, str, int | None]) -> None:
        super().__init__(id=table_id, cursor_type="row", zebra_stripes=True)
        self.owner: DOMNode | None = None
        for key, label, width in columns:
            self.add_column(label, key=key, width=width)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.PANE_ACTIONS and self.owner is not None:
            return self.owner.check_action(action, parameters)
        return True

    def _pane(self, action: str) -> None:
        method = getattr(self.owner, f"action_{action}", None)
        if callable(method):
            method()


class VersionsTable(PaneTable):
    """Versions: mark, open, step, diff, roll back, delete / undelete / destroy."""

    PANE_ACTIONS = frozenset({"mark", "rollback", "delete_versions", "undelete", "destroy", "older", "newer", "diff"})
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "mark", "Mark", id="versions.mark"),
        Binding("b", "rollback", "Roll back", id="versions.rollback"),
        Binding("d", "delete_versions", "Delete", id="versions.delete"),
        Binding("u", "undelete", "Undelete", id="versions.undelete"),
        Binding("x", "destroy", "Destroy", id="versions.destroy"),
        Binding("f", "diff", "Diff", show=False, id="versions.diff"),
        Binding("left_square_bracket", "older", "Older", show=False, key_display="[", id="versions.older"),
        Binding("right_square_bracket", "newer", "Newer", show=False, key_display="]", id="versions.newer"),
    ]

    def action_mark(self) -> None:
        self._pane("mark")

    def action_diff(self) -> None:
        self._pane("diff")

    def action_rollback(self) -> None:
        self._pane("rollback")

    def action_delete_versions(self) -> None:
        self._pane("delete_versions")

    def action_undelete(self) -> None:
        self._pane("undelete")

    def action_destroy(self) -> None:
        self._pane("destroy")

    def action_older(self) -> None:
        self._pane("older")

    def action_newer(self) -> None:
        self._pane("newer")


class DataKeysTable(PaneTable):
    """Data: reveal, copy, edit, patch (the pane's own keys; patch shown here too)."""

    PANE_ACTIONS = frozenset({"patch"})
    BINDINGS: ClassVar[list[BindingType]] = [Binding("p", "patch", "Patch key", id="data.patch")]

    def action_patch(self) -> None:
        self._pane("patch")
