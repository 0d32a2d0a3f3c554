"""The lint view (``:lint``, ``:hygiene``): the secret-hygiene report of :mod:`.model`.

The run goes to the worker's background pool with a progress bar; ``esc`` cancels it (the
findings so far stay, marked partial). Findings fill a table (severity, kind, item, path, why)
sorted most severe first; ``s`` / ``S`` or a click on a header sort by another column;
``/`` filters; ``enter`` opens the item (a secret in the secrets view, a key in transit, a lease in
the dashboard, a certificate in the PKI view); ``e`` writes the report to a CSV or JSON file
(mode 0600). Thresholds come from the config file's ``[lint]`` table (``config.lint``).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Input, ProgressBar, Static

from ...context import vault_app
from ...safe import safe_text, visible
from ...screens.modals import ConfirmScreen, PromptScreen
from ...vault.errors import VaultError
from ...widgets.footer import KeysFooter
from ...widgets.session_bar import SessionBar
from ...worker import deliver
from ..history.jump import go
from ..private_file import resolve_target, write_private
from .checks import Finding, LintSettings
from .model import LintProgress, LintReport, run_lint
from .view_model import COLUMNS, arrange, lint_settings, summary, target_of, write_report

SEVERITY_STYLE = {"high": "bold red", "medium": "yellow", "low": "dim"}
STAGES = {"mounts": "reading the mounts", "listing": "listing", "reading": "reading"}
PROGRESS_EVERY = 0.1


class LintScreen(Screen[None]):
    VIEW_TITLE = "Secret hygiene (lint)"
    CSS_PATH = Path(__file__).parent / "lint.tcss"
    AUTO_FOCUS = "#lint-table"
    BINDINGS = [
        Binding("r", "run", "Run again", id="lint.run"),
        Binding("s", "sort", "Sort", id="lint.sort"),
        Binding("S", "reverse", "Reverse", show=False, id="lint.reverse"),
        Binding("slash", "filter", "Filter", id="lint.filter"),
        Binding("e", "export", "Export", id="lint.export"),
        Binding("escape", "escape", "Cancel / clear", show=False, id="lint.cancel"),
    ]

    @dataclass
    class Progress(Message):
        step: LintProgress

    @dataclass
    class Finished(Message):
        report: LintReport

    @dataclass
    class Failed(Message):
        error: VaultError

    def __init__(self) -> None:
        super().__init__()
        self.report: LintReport | None = None
        self.running = False
        self.sort_column = "severity"
        self.reverse = False
        self.filter_text = ""
        self.shown: list[Finding] = []
        self.settings_problem = ""
        self._cancel: threading.Event | None = None

    def compose(self) -> ComposeResult:
        yield SessionBar()
        yield Static("", id="lint-status", markup=False)
        yield ProgressBar(id="lint-progress", show_eta=False)
        yield Input(placeholder="filter findings (any column)…", id="lint-filter")
        table: DataTable[Text] = DataTable(id="lint-table", cursor_type="row", zebra_stripes=True)
        for key, label, width in COLUMNS:
            table.add_column(label, key=key, width=width)
        yield table
        yield Static("", id="lint-detail", markup=False)
        with VerticalScroll(id="lint-notes-box"):
            yield Static("", id="lint-notes", markup=False)
        yield KeysFooter()

    def on_mount(self) -> None:
        self.reload()

    def on_unmount(self) -> None:
        if self._cancel is not None:
            self._cancel.set()

    @property
    def table(self) -> DataTable[Text]:
        return self.query_one("#lint-table", DataTable)

    # -- running ------------------------------------------------------------------------------
    def reload(self) -> None:
        """Run the report (on first show, ``r``, and after a namespace or profile switch)."""
        if self._cancel is not None:
            self._cancel.set()
        cancel = self._cancel = threading.Event()
        settings, self.settings_problem = lint_settings(vault_app(self).config)
        self.running = True
        bar = self.query_one("#lint-progress", ProgressBar)
        bar.update(total=None, progress=0)
        bar.display = True
        self._status(Text("Linting… esc cancels", style="dim"))
        self._run(settings, cancel)

    def action_run(self) -> None:
        self.reload()

    @work(group="lint-run", exclusive=True, exit_on_error=False)
    async def _run(self, settings: LintSettings, cancel: threading.Event) -> None:
        last = [0.0]

        def progress(step: LintProgress) -> None:  # in a worker thread
            moment = time.monotonic()
            if step.done < step.total and moment - last[0] < PROGRESS_EVERY:
                return
            last[0] = moment
            deliver(self, self.Progress(step))

        app = vault_app(self)
        try:
            report = await app.worker.call_background(run_lint, settings, now=app.now, cancel=cancel, progress=progress)
        except VaultError as error:
            deliver(self, self.Failed(error))
            return
        deliver(self, self.Finished(report))

    @on(Progress)
    def _progress(self, message: Progress) -> None:
        if not self.running:
            return
        step = message.step
        bar = self.query_one("#lint-progress", ProgressBar)
        bar.update(total=max(step.total, 1), progress=step.done)
        stage = STAGES.get(step.stage, step.stage)
        self._status(Text(f"Linting: {stage} {step.done}/{step.total} · esc cancels", style="dim"))

    @on(Finished)
    def _finished(self, message: Finished) -> None:
        self.running = False
        self.report = message.report
        self.query_one("#lint-progress", ProgressBar).display = False
        self.render_rows()

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        self.running = False
        self.query_one("#lint-progress", ProgressBar).display = False
        self._status(Text(f"The lint could not run: {visible(message.error)}", style="red"))

    # -- rendering ----------------------------------------------------------------------------
    def _status(self, text: Text) -> None:
        self.query_one("#lint-status", Static).update(text)

    def render_rows(self) -> None:
        report = self.report
        if report is None:
            return
        table = self.table
        row = table.cursor_row if table.row_count else 0
        self.shown = arrange(report.findings, self.sort_column, self.reverse, self.filter_text)
        with self.app.batch_update():
            table.clear()
            for index, finding in enumerate(self.shown):
                table.add_row(*self._cells(finding), key=str(index))
            if self.shown:
                table.move_cursor(row=min(row, len(self.shown) - 1))
        line = Text(visible(summary(report)), style="bold" if report.findings else "green")
        arrow = "↓" if not self.reverse else "↑"
        line.append(f" · sorted by {self.sort_column} {arrow}", style="dim")
        if self.filter_text:
            line.append(f" · {len(self.shown)} match {visible(self.filter_text)}", style="dim")
        self._status(line)
        self._render_notes(report)
        self._show_detail()

    @on(DataTable.RowHighlighted, "#lint-table")
    def _highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        """The highlighted finding in full: its path and why (the table cuts long ones)."""
        finding = self.current
        detail = self.query_one("#lint-detail", Static)
        if finding is None:
            detail.update("")
            return
        text = Text()
        text.append(visible(finding.severity.value), style=SEVERITY_STYLE.get(finding.severity.value, ""))
        text.append(f" {visible(finding.kind.value)}  ", style="bold")
        text.append(visible(finding.path))
        if target_of(finding) is not None:
            text.append("  · enter opens it", style="dim")
        text.append("\n" + visible(finding.why), style="dim")
        detail.update(text)

    @staticmethod
    def _cells(finding: Finding) -> list[Text]:
        row = finding.as_row()
        out = []
        for key, _label, _width in COLUMNS:
            style = SEVERITY_STYLE.get(finding.severity.value, "") if key == "severity" else ""
            out.append(safe_text(row[key], style=style, limit=500))
        return out

    def _render_notes(self, report: LintReport) -> None:
        lines = []
        if self.settings_problem:
            lines.append(self.settings_problem)
        lines.extend(report.notes)
        notes = self.query_one("#lint-notes", Static)
        self.query_one("#lint-notes-box").display = bool(lines)
        head = f"{len(lines)} note{'s' if len(lines) != 1 else ''} (what could not be read):\n"
        notes.update(Text(head + "\n".join(f"• {visible(line)}" for line in lines), style="yellow"))

    # -- sorting, filtering -------------------------------------------------------------------
    def action_sort(self) -> None:
        keys = [key for key, _label, _width in COLUMNS]
        self.sort_column = keys[(keys.index(self.sort_column) + 1) % len(keys)]
        self.reverse = False
        self.render_rows()

    def action_reverse(self) -> None:
        self.reverse = not self.reverse
        self.render_rows()

    @on(DataTable.HeaderSelected, "#lint-table")
    def _header(self, event: DataTable.HeaderSelected) -> None:
        column = str(event.column_key.value)
        if column == self.sort_column:
            self.reverse = not self.reverse
        else:
            self.sort_column, self.reverse = column, False
        self.render_rows()

    def action_filter(self) -> None:
        box = self.query_one("#lint-filter", Input)
        box.display = True
        box.focus()

    @on(Input.Changed, "#lint-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value
        self.render_rows()

    @on(Input.Submitted, "#lint-filter")
    def _filter_submitted(self) -> None:
        self.table.focus()

    def action_escape(self) -> None:
        """Cancel a run; else clear the filter."""
        if self.running and self._cancel is not None:
            self._cancel.set()
            self._status(Text("Cancelling…", style="dim"))
            return
        box = self.query_one("#lint-filter", Input)
        if box.display:
            box.value = ""
            box.display = False
            self.filter_text = ""
            self.render_rows()
            self.table.focus()

    # -- opening, exporting ---------------------------------------------------------------------
    @property
    def current(self) -> Finding | None:
        table = self.table
        if not table.row_count or not 0 <= table.cursor_row < len(self.shown):
            return None
        return self.shown[table.cursor_row]

    @on(DataTable.RowSelected, "#lint-table")
    def _selected(self, _event: DataTable.RowSelected) -> None:
        finding = self.current
        target = target_of(finding) if finding is not None else None
        if target is not None:
            go(self, target)

    @work(group="lint-export", exclusive=True, exit_on_error=False)
    async def action_export(self) -> None:
        report = self.report
        if report is None or self.running:
            self.notify("Wait for the report to finish first.", severity="warning", markup=False)
            return
        name = await self.app.push_screen_wait(
            PromptScreen(
                "Export the lint report",
                f"{len(report.findings)} findings and {len(report.notes)} notes: paths, names, dates and reasons; "
                "never a value.\nFile name (.json for JSON, else CSV; written with mode 0600):",
                "vault-lint.csv",
            )
        )
        if not name:
            return
        fmt = "json" if name.strip().lower().endswith(".json") else "csv"
        worker = vault_app(self).worker
        try:
            target = await worker.run_blocking(resolve_target, name)
            if await worker.run_blocking(target.exists):
                question = ConfirmScreen("Replace the file?", f"{target} exists. Replace it?", confirm_label="Replace")
                if not await self.app.push_screen_wait(question):
                    return
            await worker.run_blocking(write_private, target, lambda out: write_report(out, report, fmt))
        except (OSError, ValueError) as error:
            self.notify(f"Export failed: {visible(error)}", severity="error", markup=False)
            return
        self.notify(f"Wrote the report ({fmt.upper()}) to {visible(target)} (mode 0600).", markup=False)
