"""The lease inventory panel's view-model, without Textual: the count lines (each a filter key of
:mod:`.audit`) and the expiry chart drawn as text with labelled axes.

The chart is zero-based (a bar's height is its count over the tallest bar), drawn with eighth
blocks so that 80 columns give 24 distinct hourly bars, a y axis with the count at the top, and an
x axis labelled in time from now. (Textual's ``Sparkline`` scales bars from the smallest value,
so a quiet hour would look empty next to a busy one; and ``textual-plotext`` at 80 columns leaves
too little room for 24 bars between its own axes.)
"""

from __future__ import annotations

from dataclasses import dataclass

from ...safe import visible
from .audit import ExpiryHistogram, InventorySummary, State, format_offset

BLOCKS = " ▁▂▃▄▅▆▇█"
SPANS = (3600.0, 6 * 3600.0, 86400.0, 7 * 86400.0)  # the spans [ and ] step through
ROLE_STATES = {State.NEAR_MAX_TTL.key, State.ORPHANED.key}


@dataclass(frozen=True)
class CountLine:
    """One selectable line of the summary: ``key`` is the audit filter it applies."""

    key: str
    label: str  # plain text (server text already made visible)
    count: int
    note: str = ""
    heading: str = ""  # set on the first line of a section


def count_lines(summary: InventorySummary) -> list[CountLine]:
    """By state (every state, zeros included), then by mount, then by role or auth path."""
    lines: list[CountLine] = []
    for index, bucket in enumerate(summary.by_state):
        note = bucket.note
        if bucket.key in ROLE_STATES and not summary.roles_checked:
            note = "checking roles…"
        lines.append(CountLine(bucket.key, bucket.label, bucket.count, note, "By state" if index == 0 else ""))
    for index, bucket in enumerate(summary.by_mount):
        heading = "By mount" if index == 0 else ""
        lines.append(CountLine(bucket.key, visible(bucket.label), bucket.count, "", heading))
    for index, bucket in enumerate(summary.by_role):
        heading = "By role or auth path" if index == 0 else ""
        lines.append(CountLine(bucket.key, visible(bucket.label), bucket.count, visible(bucket.note), heading))
    return lines


def count_text(line: CountLine, width: int) -> str:
    """``label ······· 12`` in ``width`` columns (the label shortened in the middle if needed)."""
    number = f"{line.count:,}"
    room = max(4, width - len(number) - 3)  # a space, at least one dot, a space
    if len(line.label) > room:
        head = (room - 1) // 2
        label = line.label[:head] + "…" + line.label[-(room - 1 - head) :]
    else:
        label = line.label
    dots = max(1, width - len(label) - len(number) - 2)
    return f"{label} {'·' * dots} {number}"


def span_label(span: float) -> str:
    return format_offset(span).lstrip("+")


def next_span(span: float, step: int) -> float:
    """The next span in :data:`SPANS` (``step`` +1 longer, -1 shorter), clamped."""
    index = min(range(len(SPANS)), key=lambda i: abs(SPANS[i] - span))
    return SPANS[max(0, min(len(SPANS) - 1, index + step))]


def chart_lines(hist: ExpiryHistogram, width: int, height: int, selected: int | None = None) -> list[tuple[str, str]]:
    """The chart as (text, style) lines: ``height`` rows of bars with a y axis, an x axis, tick
    labels, and a caption. Styles: "bar", "selected", "axis", "dim". Plain text only."""
    bins = len(hist.bins)
    top = hist.max_count
    y_w = max(len(str(top)), 1) + 1
    per_bin = max(1, (width - y_w - 1) // max(1, bins))
    rows: list[tuple[str, str]] = []
    eighths = [0 if top == 0 else round(count * height * 8 / top) for count in hist.counts]
    for row in range(height, 0, -1):
        label = str(top) if row == height else ("0" if row == 1 and top == 0 else "")
        cells = []
        for index, level in enumerate(eighths):
            fill = max(0, min(8, level - (row - 1) * 8))
            char = BLOCKS[fill]
            if fill == 0 and row == 1 and hist.counts[index]:
                char = BLOCKS[1]  # a bin with leases never looks empty
            cells.append(char * per_bin)
        rows.append((label.rjust(y_w - 1) + "┤" + "".join(cells), "bar"))
    rows.append(("0".rjust(y_w - 1) + "┼" + "─" * (per_bin * bins), "axis"))
    ticks = [" "] * (per_bin * bins + 12)
    for index, text in hist.ticks(5 if per_bin * bins >= 40 else 3):
        start = min(index * per_bin, len(ticks) - len(text))
        if all(c == " " for c in ticks[max(0, start - 1) : start + len(text)]):
            ticks[start : start + len(text)] = list(text)
    rows.append((" " * y_w + "".join(ticks).rstrip(), "axis"))
    if selected is not None and 0 <= selected < bins:
        bar = hist.bins[selected]
        caption = f"▲ {format_offset(bar.start)} to {format_offset(bar.end)}: {bar.count:,} lease(s) · enter: show them"
        rows.append((" " * y_w + caption, "selected"))
    bar_size = span_label(hist.bin_seconds)
    rows.append(
        (
            f"leases expiring per {bar_size} over the next {span_label(hist.span)} (y: leases, x: time from now) · "
            f"{hist.expired:,} expired · {hist.beyond:,} later · {hist.no_expiry:,} never",
            "dim",
        )
    )
    return rows
