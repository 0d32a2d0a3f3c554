"""The cluster view (``:cluster``, ``ctrl+e``, ``--view cluster``): every node of an HA cluster.

Each node's address, Raft id, role (leader / follower / standby / non-voter), state from its own
``sys/health``, version, voter and health from autopilot, last contact and Raft index; plus plain
notes on what the token may not read (Raft peers and autopilot need ``sudo``-level policies).
It refreshes itself every few seconds while on screen, one request at a time (the next refresh
is scheduled when the previous one has answered), and keeps showing the last good answer, marked
stale, when the server is away.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Static

from ...context import vault_app
from ...safe import safe_text, visible
from ...timefmt import format_ttl
from ...vault import ha, ha_models
from ...vault.errors import VaultError
from ...widgets.footer import KeysFooter
from ...widgets.session_bar import SessionBar
from ...worker import Call
from .model import COLUMNS, Row, rows, summary

REFRESH_SECONDS = 3.0
STYLE = {"ok": "", "warn": "yellow", "bad": "bold red", "dim": "dim"}


class ClusterScreen(Screen[None]):
    VIEW_TITLE = "Cluster"
    CSS_PATH = Path(__file__).parent / "cluster.tcss"
    BINDINGS = [
        Binding("r", "refresh", "Refresh", id="cluster.refresh"),
        Binding("c", "copy_address", "Copy address", id="cluster.copy"),
    ]

    @dataclass
    class Loaded(Message):
        overview: ha_models.ClusterOverview

    @dataclass
    class Failed(Message):
        error: VaultError

    def __init__(self) -> None:
        super().__init__()
        self.overview: ha_models.ClusterOverview | None = None
        self.last_good: float | None = None
        self.error: VaultError | None = None
        self.in_flight = False
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield SessionBar()
        yield Static("", id="cluster-summary", markup=False)
        table: DataTable[Text] = DataTable(id="cluster-table", cursor_type="row", zebra_stripes=True)
        for key, label in COLUMNS:
            table.add_column(label, key=key)
        yield table
        yield Static("", id="cluster-notes", markup=False)
        yield Static("", id="cluster-status", markup=False)
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self.watch(self.app, "now", self._tick, init=False)
        self.reload()

    def on_screen_resume(self) -> None:
        self.reload()

    def on_screen_suspend(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    # -- loading ------------------------------------------------------------------------------
    def reload(self) -> None:
        if self.in_flight or not self.is_attached:
            return
        self.in_flight = True
        app = vault_app(self)
        known = self.overview.address_map if self.overview is not None else None
        app.worker.submit(
            Call(ha.cluster_overview, app.session.addrs, known=known),
            to=self,
            done=ClusterScreen.Loaded,
            failed=ClusterScreen.Failed,
            action="reading the cluster",
            key="cluster:overview",
            background=True,
        )

    def action_refresh(self) -> None:
        self.reload()

    def _schedule(self) -> None:
        """The next refresh starts a few seconds after this one answered (never overlapping)."""
        if self._timer is not None:
            self._timer.stop()
        if self.is_attached and self.app.screen is self:
            self._timer = self.set_timer(REFRESH_SECONDS, self.reload)

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        self.in_flight = False
        self.overview = message.overview
        self.error = None
        self.last_good = time.monotonic()
        self._show_overview()
        self._schedule()

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        self.in_flight = False
        self.error = message.error
        self._render_status()
        self._schedule()

    # -- rendering -----------------------------------------------------------------------------
    def _show_overview(self) -> None:
        overview = self.overview
        if overview is None:
            return
        self.query_one("#cluster-summary", Static).update(safe_text(summary(overview), style="bold"))
        table: DataTable[Text] = self.query_one("#cluster-table", DataTable)
        new_rows = rows(overview, vault_app(self).session.addr)
        keys = [row.key for row in new_rows]
        with self.app.batch_update():
            for old in [key.value for key in list(table.rows) if key.value not in keys]:
                if old is not None:
                    table.remove_row(old)
            for row in new_rows:
                cells = self._cells(row)
                if row.key in table.rows:
                    for (column, _label), cell in zip(COLUMNS, cells, strict=True):
                        if table.get_cell(row.key, column) != cell:
                            table.update_cell(row.key, column, cell)
                else:
                    table.add_row(*cells, key=row.key)
        notes = "\n".join(f"• {visible(note)}" for note in overview.notes)
        self.query_one("#cluster-notes", Static).update(Text(notes, style="dim"))
        self._render_status()

    @staticmethod
    def _cells(row: Row) -> list[Text]:
        style = STYLE[row.style]
        cells = []
        for key, _label in COLUMNS:
            text = safe_text(row.cells[key], style=style)
            if key == "address" and row.current:
                text = Text("▶ ", style="bold") + text
            cells.append(text)
        return cells

    def _tick(self, _now: object) -> None:
        if self.error is not None:
            self._render_status()

    def _render_status(self) -> None:
        status = self.query_one("#cluster-status", Static)
        if self.error is None:
            status.update(Text(f"refreshed every {REFRESH_SECONDS:.0f} s · ▶ the node vault-tui talks to", style="dim"))
            return
        age = (
            ""
            if self.last_good is None
            else f" — showing what was read {format_ttl(time.monotonic() - self.last_good)} ago"
        )
        status.update(Text(f"STALE: {visible(self.error)}{age}", style="bold yellow"))

    def action_copy_address(self) -> None:
        table: DataTable[Text] = self.query_one("#cluster-table", DataTable)
        if not table.row_count:
            return
        row_key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        if row_key and not row_key.startswith("raft:"):
            self.app.copy_to_clipboard(row_key)
            self.notify(f"Copied {visible(row_key)}.", markup=False)
