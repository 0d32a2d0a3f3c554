"""This session's transit operations: operation, key, version and outcome. Never plaintext."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from ...safe import safe_text, visible
from ...vault.transit_models import HistoryEntry

MAX_ENTRIES = 50


class TransitHistory(DataTable):
    BINDINGS = [
        Binding("enter", "rerun", "Re-run", id="transit.rerun"),
    ]

    class RerunRequested(Message):
        def __init__(self, history: TransitHistory, entry: HistoryEntry) -> None:
            super().__init__()
            self.history = history
            self.entry = entry

        @property
        def control(self) -> TransitHistory:
            return self.history

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)  # type: ignore[arg-type]
        self.entries: list[HistoryEntry] = []

    def on_mount(self) -> None:
        self.add_column("Time", key="time")
        self.add_column("Operation", key="op")
        self.add_column("Key", key="key")
        self.add_column("Ver", key="ver")
        self.add_column("Result", key="result")

    def add_entry(self, entry: HistoryEntry) -> None:
        """Newest first. At most MAX_ENTRIES rows; a short table, so it is simply redrawn."""
        self.entries.insert(0, entry)
        del self.entries[MAX_ENTRIES:]
        with self.app.batch_update():
            self.clear()
            for index, item in enumerate(self.entries):
                self.add_row(*self._cells(item), key=f"h{index}")
        self.move_cursor(row=0)

    @staticmethod
    def _cells(entry: HistoryEntry) -> tuple[Text, ...]:
        op = entry.operation.label + (f" ×{entry.items}" if entry.batch else "")
        return (
            Text(entry.when.strftime("%H:%M:%S"), style="dim"),
            Text(op),
            safe_text(f"{entry.mount}{entry.key}" if entry.key else entry.mount),
            Text(f"v{entry.key_version}" if entry.key_version else "–"),
            Text(visible(entry.summary, limit=80), style="green" if entry.ok else "red"),
        )

    def current_entry(self) -> HistoryEntry | None:
        if not self.entries or not self.row_count:
            return None
        index = self.cursor_row
        return self.entries[index] if 0 <= index < len(self.entries) else None

    def action_rerun(self) -> None:
        entry = self.current_entry()
        if entry is not None:
            self.post_message(self.RerunRequested(self, entry))
