"""The lease table: a Line-API widget that is cheap to tick.

Rows come from :class:`~vault_tui.views.leases.model.LeaseStore` (grouped by prefix, collapsible,
sorted, filtered). Only the lines on screen are ever rendered, so 5,000 leases cost what 30 do.
On a clock tick (``now`` set by the screen, from the app's single clock) only the TTL column of
the visible rows is repainted; the row list is rebuilt only when the structure changes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import NamedTuple

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ...safe import visible
from .model import LeaseStore, Level, Row, format_time, format_ttl, short_id, ttl_level

# Column widths (the lease column takes what is left).
MARK_W = 2
TTL_W = 10
TIME_W = 15
RENEW_W = 6
FLAGS_W = 3
MIN_LEASE_W = 22


@lru_cache(maxsize=16384)
def _shown_id(lease_id: str, keep: int) -> str:
    """The lease column's text: the id's last segment, shortened, control characters shown."""
    return visible(short_id(lease_id, keep=keep))


@lru_cache(maxsize=16384)
def _time_cell(value: datetime | None) -> str:
    return _fit(format_time(value), TIME_W)


def _fit(text: str, width: int, right: bool = False) -> str:
    if width <= 0:
        return ""
    if len(text) > width:
        return text[: max(0, width - 1)] + "…"
    return text.rjust(width) if right else text.ljust(width)


class _Frame(NamedTuple):
    """What every line of one render pass shares."""

    width: int
    lease_w: int
    times: int
    base: Style
    styles: dict[str, Style]


class LeaseTable(ScrollView, can_focus=True):
    """Grouped lease rows with a live TTL column."""

    COMPONENT_CLASSES = {
        "lease-table--header",
        "lease-table--cursor",
        "lease-table--group",
        "lease-table--ok",
        "lease-table--warn",
        "lease-table--critical",
        "lease-table--expired",
        "lease-table--pending",
        "lease-table--error",
        "lease-table--marked",
        "lease-table--dim",
        "lease-table--stale",
    }
    BINDINGS = [
        Binding("up,k", "cursor_up", "Up", show=False, id="lease_table.up"),
        Binding("down,j", "cursor_down", "Down", show=False, id="lease_table.down"),
        Binding("pageup", "page_up", "Page up", show=False, id="lease_table.page_up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="lease_table.page_down"),
        Binding("home", "first", "First", show=False, id="lease_table.first"),
        Binding("end", "last", "Last", show=False, id="lease_table.last"),
        Binding("enter", "activate", "Open/close group", show=False, id="lease_table.activate"),
        Binding("left", "collapse", "Collapse", show=False, id="lease_table.collapse"),
        Binding("right", "expand", "Expand", show=False, id="lease_table.expand"),
    ]

    now: reactive[datetime] = reactive(lambda: datetime.now(UTC), init=False, always_update=False)
    cursor: reactive[int] = reactive(0, init=False)

    class Highlighted(Message):
        """The cursor moved to another row."""

        def __init__(self, table: LeaseTable, row: Row | None) -> None:
            super().__init__()
            self.table = table
            self.row = row

        @property
        def control(self) -> LeaseTable:
            return self.table

    def __init__(
        self,
        store: LeaseStore,
        *,
        warn_seconds: float = 300,
        critical_seconds: float = 60,
        name: str | None = None,
        id: str | None = None,  # noqa: A002 - Textual's name
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.store = store
        self.warn_seconds = warn_seconds
        self.critical_seconds = critical_seconds
        self.keepalive: set[str] | frozenset[str] = frozenset()  # ids on the keep-alive watchlist
        self.session: set[str] | frozenset[str] = frozenset()  # ids issued this session
        self.rows: list[Row] = []
        self.built_version = -1  # store.version the rows were built from
        self._index: dict[str, int] = {}
        self.renders = 0  # lines rendered (for tests and the benchmark)
        self._stale = False
        self._frame: _Frame | None = None  # set while a batch of lines renders

    @property
    def stale(self) -> bool:
        """What the rows show may be out of date (the server is away): the header says so."""
        return self._stale

    @stale.setter
    def stale(self, value: bool) -> None:
        if value != self._stale:
            self._stale = value
            self.refresh(Region(0, 0, self.size.width, 1))

    # -- structure ----------------------------------------------------------------------------
    def rebuild(self) -> None:
        """Recompute the rows from the store (listing/filter/sort/collapse changed)."""
        current = self.current_row
        self.built_version = self.store.version
        self.rows = self.store.rows()
        self._index = {row.key: i for i, row in enumerate(self.rows)}
        self.virtual_size = Size(self.size.width, len(self.rows) + 1)
        if current is not None and current.key in self._index:
            self.set_reactive(LeaseTable.cursor, self._index[current.key])
        elif self.rows:
            self.set_reactive(LeaseTable.cursor, min(self.cursor, len(self.rows) - 1))
        else:
            self.set_reactive(LeaseTable.cursor, 0)
        self._scroll_cursor_into_view()
        self.refresh()
        self.post_message(self.Highlighted(self, self.current_row))

    def rebuild_if_changed(self) -> None:
        if self.built_version != self.store.version:
            self.rebuild()

    @property
    def current_row(self) -> Row | None:
        if 0 <= self.cursor < len(self.rows):
            return self.rows[self.cursor]
        return None

    @property
    def current_lease_id(self) -> str | None:
        row = self.current_row
        return row.key if row is not None and not row.is_group else None

    def row_index(self, key: str) -> int | None:
        return self._index.get(key)

    def move_to(self, key: str) -> bool:
        index = self._index.get(key)
        if index is None:
            return False
        self.cursor = index
        return True

    @property
    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def visible_range(self) -> range:
        top = int(self.scroll_offset.y)
        if self.size.height:
            page = self._page
        else:  # not laid out yet (the view is still opening): at most a terminal's height
            page = max(1, self.app.size.height - 1) if self.is_attached else 1
        return range(top, min(len(self.rows), top + page))

    def visible_lease_ids(self) -> list[str]:
        rows = self.rows
        return [rows[i].key for i in self.visible_range() if not rows[i].is_group]

    def lease_changed(self, lease_id: str) -> None:
        """Repaint one lease's line if it is on screen (after a look-up, renewal...)."""
        index = self._index.get(lease_id)
        if index is None:
            return
        top = int(self.scroll_offset.y)
        if top <= index < top + self._page:
            self.refresh(Region(0, index - top + 1, self.size.width, 1))

    # -- ticking ------------------------------------------------------------------------------
    def watch_now(self, _now: datetime) -> None:
        """One clock tick: repaint only the TTL column of the rows on screen."""
        if not self.rows or not self.display:
            return
        x = self._ttl_x()
        self.refresh(Region(x, 1, TTL_W, self._page))

    def _ttl_x(self) -> int:
        return MARK_W + self._layout()[0]

    def _layout(self) -> tuple[int, int]:
        """(lease column width, number of time columns shown: expires, issued, renewed)."""
        frame = self._frame
        if frame is not None:
            return frame.lease_w, frame.times
        return self._compute_layout(self._width())

    def _width(self) -> int:
        return self.scrollable_content_region.width or self.size.width

    @staticmethod
    def _compute_layout(width: int) -> tuple[int, int]:
        fixed = MARK_W + TTL_W + 1 + RENEW_W + FLAGS_W
        times = 3
        while times > 1 and width - fixed - TIME_W * times < MIN_LEASE_W:
            times -= 1
        return max(MIN_LEASE_W, width - fixed - TIME_W * times), times

    def _lease_w(self) -> int:
        return self._layout()[0]

    # -- cursor -------------------------------------------------------------------------------
    def watch_cursor(self, old: int, new: int) -> None:
        self._scroll_cursor_into_view()
        top = int(self.scroll_offset.y)
        for index in (old, new):
            if top <= index < top + self._page:
                self.refresh(Region(0, index - top + 1, self.size.width, 1))
        self.post_message(self.Highlighted(self, self.current_row))

    def _scroll_cursor_into_view(self) -> None:
        top = int(self.scroll_offset.y)
        page = self._page
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + page:
            self.scroll_to(y=self.cursor - page + 1, animate=False, immediate=True)

    def _move(self, delta: int) -> None:
        if self.rows:
            self.cursor = max(0, min(len(self.rows) - 1, self.cursor + delta))

    def action_cursor_up(self) -> None:
        self._move(-1)

    def action_cursor_down(self) -> None:
        self._move(1)

    def action_page_up(self) -> None:
        self._move(-self._page)

    def action_page_down(self) -> None:
        self._move(self._page)

    def action_first(self) -> None:
        self._move(-len(self.rows))

    def action_last(self) -> None:
        self._move(len(self.rows))

    def action_activate(self) -> None:
        row = self.current_row
        if row is not None and row.is_group:
            self.store.toggle_collapsed(row.key)
            self.rebuild()

    def action_collapse(self) -> None:
        row = self.current_row
        if row is None:
            return
        if row.is_group and not row.collapsed:
            self.action_activate()
            return
        # Go to the enclosing group.
        for index in range(self.cursor - 1, -1, -1):
            if self.rows[index].is_group and self.rows[index].depth < (row.depth if row.is_group else row.depth):
                self.cursor = index
                return

    def action_expand(self) -> None:
        row = self.current_row
        if row is not None and row.is_group and row.collapsed:
            self.action_activate()

    def on_click(self, event: events.Click) -> None:
        if event.y < 1:
            return
        index = int(self.scroll_offset.y) + event.y - 1
        if 0 <= index < len(self.rows):
            self.cursor = index
            if event.chain >= 2:
                self.action_activate()

    def on_resize(self, _event: events.Resize) -> None:
        self.virtual_size = Size(self.size.width, len(self.rows) + 1)
        self.refresh()

    # -- rendering ----------------------------------------------------------------------------
    def render_lines(self, crop: Region) -> list[Strip]:
        """Render the lines in ``crop``: width, column layout and styles are worked out once for
        the whole batch, not once per line."""
        width = self._width()
        lease_w, times = self._compute_layout(width)
        self._frame = _Frame(width, lease_w, times, self.rich_style, {})
        try:
            return super().render_lines(crop)
        finally:
            self._frame = None

    def _style(self, name: str) -> Style:
        frame = self._frame
        if frame is None:
            return self.get_component_rich_style(f"lease-table--{name}", partial=True)
        style = frame.styles.get(name)
        if style is None:
            style = frame.styles[name] = self.get_component_rich_style(f"lease-table--{name}", partial=True)
        return style

    def render_line(self, y: int) -> Strip:
        self.renders += 1
        frame = self._frame
        width = frame.width if frame is not None else self._width()
        base = frame.base if frame is not None else self.rich_style
        if y == 0:
            return self._header(width, base)
        index = int(self.scroll_offset.y) + y - 1
        if index >= len(self.rows):
            return Strip.blank(width, base)
        row = self.rows[index]
        segments = self._group_line(row, width) if row.is_group else self._lease_line(row, width)
        post = self._style("cursor") if index == self.cursor else None
        return Strip(Segment.apply_style(segments, base, post), width)

    def _header(self, width: int, base: Style) -> Strip:
        lw, times = self._layout()
        style = base + self._style("header")
        stale = " (stale)" if self._stale else ""
        head = [Segment("  " + _fit("lease", lw - len(stale)), style)]
        if stale:
            head.append(Segment(stale, style + self._style("stale")))
        text = _fit("TTL", TTL_W, right=True) + " "
        for title in ("expires", "issued", "renewed")[:times]:
            text += _fit(title, TIME_W)
        text += _fit("renew", RENEW_W) + _fit("", FLAGS_W)
        head.append(Segment(text, style))
        return Strip(head).crop_extend(0, width, style)

    def _group_line(self, row: Row, width: int) -> list[Segment]:
        arrow = "▸ " if row.collapsed else "▾ "
        label = visible(row.label)
        indent = "  " * row.depth
        count = f"  ({row.total:,} lease{'s' if row.total != 1 else ''})"
        body = _fit(indent + arrow + label, max(1, width - len(count)))
        return [Segment(body, self._style("group")), Segment(_fit(count, width - len(body)), self._style("dim"))]

    def _lease_line(self, row: Row, width: int) -> list[Segment]:
        lease_id = row.key
        lease = self.store.known.get(lease_id)
        error = self.store.errors.get(lease_id)
        marked = lease_id in self.store.marked
        segments: list[Segment] = []
        segments.append(Segment("● " if marked else "  ", self._style("marked")))
        lw, times = self._layout()
        indent = "  " * row.depth
        name = indent + _shown_id(lease_id, max(10, lw - len(indent) - 3))
        segments.append(Segment(_fit(name, lw)))
        if lease is None:
            ttl_text, level = ("error" if error else "…"), (Level.ERROR if error else Level.PENDING)
        else:
            remaining = lease.remaining(self.now)
            ttl_text = format_ttl(remaining)
            level = ttl_level(remaining, self.warn_seconds, self.critical_seconds)
        level_style = {
            Level.OK: "ok",
            Level.WARN: "warn",
            Level.CRITICAL: "critical",
            Level.EXPIRED: "expired",
            Level.PENDING: "pending",
            Level.ERROR: "error",
            Level.NEVER: "dim",
        }[level]
        segments.append(Segment(_fit(ttl_text, TTL_W, right=True), self._style(level_style)))
        segments.append(Segment(" "))
        dim = self._style("dim")
        if lease is not None:
            values = (lease.expire_time, lease.issue_time, lease.last_renewal)[:times]
            for index, value in enumerate(values):
                segments.append(Segment(_time_cell(value), dim if index else None))
            segments.append(
                Segment(_fit("yes" if lease.renewable else "no", RENEW_W), None if lease.renewable else dim)
            )
        else:
            text = _fit(visible(error) if error else "looking up…", TIME_W * times + RENEW_W)
            segments.append(Segment(text, self._style("error") if error else dim))
        flags = ("K" if lease_id in self.keepalive else " ") + ("★" if lease_id in self.session else " ")
        segments.append(Segment(_fit(flags, FLAGS_W), self._style("marked")))
        return Segment.adjust_line_length(segments, width)
