"""The lease inventory panel (``a`` on the lease dashboard): counts by state, mount and role, each
a filter; and a chart of expiries over the next hours with labelled axes.

It only renders and posts: :class:`InventoryPanel.Picked` (a count or a bar was chosen: filter the
table by that key), :class:`InventoryPanel.SpanChanged` (``[`` / ``]``). The screen decides.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from .audit import ExpiryHistogram, InventorySummary, describe_key
from .inventory import chart_lines, count_lines, count_text, span_label

CHART_ROWS = 6
COUNT_WIDTH = 44  # columns of a count line (label, dots, number)
STYLES = {"bar": "", "axis": "dim", "dim": "dim", "selected": "bold"}


class ExpiryChart(Widget, can_focus=True):
    """Bars of leases expiring per slice of the span; left/right pick a bar, enter filters by it."""

    BINDINGS = [
        Binding("left", "move(-1)", "Earlier", show=False, id="leases.chart.left"),
        Binding("right", "move(1)", "Later", show=False, id="leases.chart.right"),
        Binding("enter", "pick", "Show these", id="leases.chart.pick"),
    ]

    @dataclass
    class BarPicked(Message):
        key: str

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self.hist: ExpiryHistogram | None = None
        self.selected = 0

    def show(self, hist: ExpiryHistogram) -> None:
        self.hist = hist
        self.selected = min(self.selected, max(0, len(hist.bins) - 1))
        self.refresh(layout=True)

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        return CHART_ROWS + 4 if self.hist is not None else 1

    def render(self) -> Text:
        if self.hist is None:
            return Text("no leases looked up yet", style="dim")
        selected = self.selected if self.has_focus else None
        text = Text(no_wrap=True, overflow="ellipsis")
        for index, (line, kind) in enumerate(chart_lines(self.hist, self.content_size.width, CHART_ROWS, selected)):
            if index:
                text.append("\n")
            if kind == "bar" and selected is not None:
                self._append_bars(text, line, selected)
            else:
                text.append(line, style=STYLES[kind])
        return text

    def _append_bars(self, text: Text, line: str, selected: int) -> None:
        """A bar row with the selected bar highlighted."""
        hist = self.hist
        assert hist is not None
        axis = line.index("┤") + 1
        per_bin = max(1, (len(line) - axis) // max(1, len(hist.bins)))
        start = axis + selected * per_bin
        text.append(line[:start])
        text.append(line[start : start + per_bin], style="reverse")
        text.append(line[start + per_bin :])

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def action_move(self, step: int) -> None:
        if self.hist is not None and self.hist.bins:
            self.selected = max(0, min(len(self.hist.bins) - 1, self.selected + step))
            self.refresh()

    def action_pick(self) -> None:
        if self.hist is not None and self.hist.bins:
            self.post_message(self.BarPicked(self.hist.bins[self.selected].key))


class InventoryPanel(Vertical):
    """Counts (an option list: enter filters the table) above the expiry chart."""

    BINDINGS = [
        Binding("left_square_bracket", "span(-1)", "Shorter span", id="leases.inventory.shorter"),
        Binding("right_square_bracket", "span(1)", "Longer span", id="leases.inventory.longer"),
    ]

    @dataclass
    class Picked(Message):
        """A count or a bar was chosen: show the leases under ``key`` (an audit filter key)."""

        key: str

    @dataclass
    class SpanChanged(Message):
        step: int

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self._lines: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="inv-head", markup=False)
        yield OptionList(id="inv-counts")
        yield Static("", id="inv-chart-title", markup=False)
        yield ExpiryChart(id="inv-chart")
        yield Static(
            "enter: show these leases · [ ]: chart span · e: export · a or esc: back to the table",
            id="inv-keys",
            markup=False,
        )

    def show(self, summary: InventorySummary, hist: ExpiryHistogram, *, filter_key: str | None, checking: bool) -> None:
        head = Text()
        head.append(f"{summary.total:,} leases", style="bold")
        head.append(f" · {summary.looked_up:,} looked up")
        if checking:
            head.append(" · checking roles…", style="cyan")
        elif not summary.roles_checked:
            head.append(" · roles not checked", style="yellow")
        if filter_key:
            head.append(" · table shows: ", style="dim")
            head.append(describe_key(filter_key), style="bold")
        self.query_one("#inv-head", Static).update(head)
        options = self.query_one("#inv-counts", OptionList)
        width = max(24, (self.content_size.width or self.app.size.width) - 4)
        column = min(width, COUNT_WIDTH)  # label ···· count, then the note where there is room
        room = width - column - 2
        lines = count_lines(summary)
        shown = [f"{width}|{line.heading}|{line.key}|{line.count}|{line.note}" for line in lines]
        if shown != self._lines:
            self._lines = shown
            highlighted = options.highlighted
            options.clear_options()
            for line in lines:
                if line.heading:
                    options.add_option(Option(Text(line.heading, style="bold"), disabled=True))
                label = Text(count_text(line, column))
                if line.note and room >= 12:
                    note = line.note if len(line.note) <= room else line.note[: room - 1] + "…"
                    label.append(f"  {note}", style="dim")
                options.add_option(Option(label, id=line.key))
            if highlighted is not None and highlighted < options.option_count:
                options.highlighted = highlighted
        title = Text("Expiries", style="bold")
        title.append(f" over the next {span_label(hist.span)}", style="dim")
        self.query_one("#inv-chart-title", Static).update(title)
        self.query_one(ExpiryChart).show(hist)

    @on(OptionList.OptionSelected, "#inv-counts")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.post_message(self.Picked(event.option.id))

    @on(ExpiryChart.BarPicked)
    def _bar(self, event: ExpiryChart.BarPicked) -> None:
        event.stop()
        self.post_message(self.Picked(event.key))

    def action_span(self, step: int) -> None:
        self.post_message(self.SpanChanged(step))
