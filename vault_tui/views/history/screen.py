"""The history view (``:history``, ``:trail``): the operator's own trail, newest first.

Every change vault-tui made (see :mod:`vault_tui.trail`): time, action, target, result, profile,
namespace and server. ``/`` filters (every field, case-insensitive); ``enter`` opens the entry's
item in its view (a secret, a lease, a transit key, a certificate). The file is read off the
event loop, and again each time the view is shown. It is a local record, not an audit log.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static

from ...context import vault_app
from ...safe import safe_text, visible
from ...trail import Trail, TrailEntry
from ...widgets.footer import KeysFooter
from ...widgets.session_bar import SessionBar
from .jump import go
from .model import COLUMNS, MAX_ROWS, cells, filtered, summarise, target_of, trail_for


class HistoryScreen(Screen[None]):
    VIEW_TITLE = "History (your trail)"
    CSS_PATH = Path(__file__).parent / "history.tcss"
    AUTO_FOCUS = "#history-table"
    BINDINGS = [
        Binding("slash", "filter", "Filter", id="history.filter"),
        Binding("r", "reload", "Reload", id="history.reload"),
        Binding("c", "copy_target", "Copy target", id="history.copy"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="history.clear"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.trail: Trail | None = None
        self.entries: list[TrailEntry] = []  # every entry, newest first
        self.shown: list[TrailEntry] = []
        self.filter_text = ""
        self.loaded = False
        self.error = ""

    def compose(self) -> ComposeResult:
        yield SessionBar()
        yield Static("", id="history-status", markup=False)
        yield Input(placeholder="filter: action, path, lease id, profile, server, result…", id="history-filter")
        table: DataTable[Text] = DataTable(id="history-table", cursor_type="row", zebra_stripes=True)
        for key, label, width in COLUMNS:
            table.add_column(label, key=key, width=width)
        yield table
        yield Static("", id="history-detail", markup=False)
        yield KeysFooter()

    def on_mount(self) -> None:
        self.trail = trail_for(vault_app(self).config)
        self.query_one("#history-status", Static).update(Text("Reading the trail…", style="dim"))

    def on_screen_resume(self) -> None:
        self.reload()

    @property
    def table(self) -> DataTable[Text]:
        return self.query_one("#history-table", DataTable)

    # -- loading ------------------------------------------------------------------------------
    def reload(self) -> None:
        """Read the trail again (shown again, ``r``, or a profile switch)."""
        self.trail = trail_for(vault_app(self).config)  # the config changes with a profile switch
        self._read(self.trail)

    def action_reload(self) -> None:
        self.reload()

    @work(group="history-read", exclusive=True, exit_on_error=False)
    async def _read(self, trail: Trail) -> None:
        try:
            entries = await vault_app(self).worker.run_blocking(trail.entries, newest_first=True)
        except OSError as error:
            self.error = f"Could not read the trail at {trail.path}: {error.strerror or error}"
            entries = []
        else:
            self.error = ""
        self.entries = entries
        self.loaded = True
        self.render_rows()

    # -- rendering ----------------------------------------------------------------------------
    def render_rows(self) -> None:
        table = self.table
        current = self.current_index_key
        matching = filtered(self.entries, self.filter_text)
        self.shown = matching[:MAX_ROWS]
        with self.app.batch_update():
            table.clear()
            for index, entry in enumerate(self.shown):
                table.add_row(*self._cells(entry), key=str(index))
            if current is not None and current < len(self.shown):
                table.move_cursor(row=current)
        self._render_status(len(matching))
        self._show_detail()

    @staticmethod
    def _cells(entry: TrailEntry) -> list[Text]:
        values = cells(entry)
        out = []
        for key, _label, _width in COLUMNS:
            style = ""
            if key == "result":
                style = "green" if entry.ok else "bold red"
            elif key == "time":
                style = "dim"
            elif key == "action":
                style = "bold"
            value = values[key][:16] if key == "time" else values[key]  # minutes; the line below has seconds
            out.append(safe_text(value, style=style, limit=300))
        return out

    def _render_status(self, matching: int) -> None:
        status = self.query_one("#history-status", Static)
        if self.error:
            status.update(Text(visible(self.error), style="red"))
            return
        summary = summarise(self.entries, matching)
        text = Text(visible(summary.text(visible(self.filter_text))))
        if matching > len(self.shown):
            text.append(f" · showing the newest {len(self.shown)}; filter to see older", style="yellow")
        if not getattr(vault_app(self).config, "trail", True):
            text.append(" · recording is off (config: trail = false)", style="yellow")
        status.update(text)

    @property
    def current_index_key(self) -> int | None:
        table = self.table
        if not table.row_count:
            return None
        return table.cursor_row

    @property
    def current(self) -> TrailEntry | None:
        index = self.current_index_key
        if index is None or not 0 <= index < len(self.shown):
            return None
        return self.shown[index]

    @on(DataTable.RowHighlighted, "#history-table")
    def _highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        entry = self.current
        detail = self.query_one("#history-detail", Static)
        if entry is None:
            detail.update("")
            return
        values = cells(entry)
        text = Text()
        text.append(values["time"] + " UTC  ", style="dim")
        text.append(visible(values["action"]) + " ", style="bold")
        text.append(visible(values["target"]))
        text.append("\n")
        text.append(visible(values["result"]), style="green" if entry.ok else "bold red")
        text.append(
            f" · profile {visible(values['profile'])} · namespace {visible(values['namespace'])} · "
            f"server {visible(values['server'])}",
            style="dim",
        )
        detail.update(text)

    @on(DataTable.RowSelected, "#history-table")
    def _selected(self, _event: DataTable.RowSelected) -> None:
        entry = self.current
        if entry is None:
            return
        target = target_of(entry)
        if target is None:
            self.notify("Nothing to open for this entry.", severity="warning", markup=False)
            return
        go(self, target)

    # -- filter, copy ---------------------------------------------------------------------------
    def action_filter(self) -> None:
        box = self.query_one("#history-filter", Input)
        box.display = True
        box.focus()

    @on(Input.Changed, "#history-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value
        if self.loaded:
            self.render_rows()

    @on(Input.Submitted, "#history-filter")
    def _filter_submitted(self) -> None:
        self.table.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#history-filter", Input)
        if box.display:
            box.value = ""
            box.display = False
            self.filter_text = ""
            self.render_rows()
            self.table.focus()

    def action_copy_target(self) -> None:
        entry = self.current
        if entry is None:
            self.app.bell()
            return
        self.app.copy_to_clipboard(entry.target)
        self.notify(f"Copied {visible(entry.target)}.", markup=False)
