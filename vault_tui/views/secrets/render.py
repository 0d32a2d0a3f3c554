"""How the secrets view draws things: headers, cells, rows and the JSON view (Rich only, no Textual).

Every server string goes through :func:`vault_tui.safe.visible` / :func:`~vault_tui.safe.safe_text`;
values are masked unless revealed. Long names are shortened in the middle (:func:`shorten_middle`)
and a header is one line whatever its width (:class:`OneLine`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.text import Text

from ...safe import mask, safe_text, visible
from ...timefmt import format_time
from ...vault.diff import Change, DiffEntry
from ...vault.models import Mount, SecretData, SecretMetadata, VersionState

JSON_VALUE_LIMIT = 20_000  # characters of one value shown in the JSON view
CELL_LIMIT = 240  # characters of one value shown in a table cell (enter opens the whole value)
VIEWER_LIMIT = 200_000  # characters shown by the value viewer
NAME_LIMIT = 48  # a tree label longer than this is shortened in the middle
ELLIPSIS = "…"

STATE_STYLE = {VersionState.LIVE: "green", VersionState.DELETED: "yellow", VersionState.DESTROYED: "red"}
CHANGE_MARK = {Change.ADDED: ("+", "green"), Change.REMOVED: ("-", "red"), Change.CHANGED: ("~", "yellow")}


def shorten_middle(text: str, width: int) -> str:
    """``text`` in at most ``width`` characters, cut in the middle: ``abcdef…uvwxyz``."""
    if width <= 0:
        return ""
    if len(text) <= width:
        return text
    if width == 1:
        return ELLIPSIS
    head = (width - 1) // 2
    tail = width - 1 - head
    return text[:head] + ELLIPSIS + (text[-tail:] if tail else "")


@dataclass(frozen=True)
class Part:
    text: str
    style: str = ""
    elastic: bool = False  # shortened in the middle when the line is too narrow
    optional: bool = False  # dropped first when the line is too narrow


class OneLine:
    """A line of parts that never wraps (or, with ``lines``, never takes more than that many).

    When it is too wide: optional details go first (from the right), then trailing details while
    the names would get narrower than :attr:`MIN_ELASTIC`, then the names lose their middle."""

    def __init__(self, *parts: Part, lines: int = 1) -> None:
        self.parts = tuple(p for p in parts if p.text)
        self.lines = lines

    @property
    def plain(self) -> str:
        return "".join(p.text for p in self.parts)

    MIN_ELASTIC = 16

    def fit(self, width: int) -> Text:
        parts = list(self.parts)
        while sum(len(p.text) for p in parts) > width and any(p.optional for p in parts):
            last = max(i for i, p in enumerate(parts) if p.optional)
            del parts[last]
        if sum(len(p.text) for p in parts) > width:

            def needed() -> int:
                fixed = sum(len(p.text) for p in parts if not p.elastic)
                return fixed + sum(min(len(p.text), self.MIN_ELASTIC) for p in parts if p.elastic)

            # Drop trailing details until the names keep a readable width, then cut the names.
            while needed() > width and len(parts) > 1 and not parts[-1].elastic:
                parts.pop()
            elastic = [i for i, p in enumerate(parts) if p.elastic]
            if elastic:
                room = max(len(elastic), width - sum(len(p.text) for p in parts if not p.elastic))
                # Short names keep their length; the long ones share what is left.
                for count, i in enumerate(sorted(elastic, key=lambda j: len(parts[j].text))):
                    share = max(1, room // (len(elastic) - count))
                    short = shorten_middle(parts[i].text, share)
                    parts[i] = Part(short, parts[i].style, True)
                    room -= len(short)
        line = Text(no_wrap=self.lines == 1, overflow="ellipsis" if self.lines == 1 else "fold", justify="left")
        for part in parts:
            line.append(part.text, style=part.style)
        line.truncate(width, overflow="ellipsis")
        return line

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        # Several lines: leave room for words that wrap early.
        yield self.fit(width if self.lines == 1 else max(width, width * self.lines - 16 * self.lines))

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(1, len(self.plain))

    def __str__(self) -> str:
        return self.plain


def secret_header(
    mount: Mount, path: str, secret: SecretData | None, meta: SecretMetadata | None, kv2: bool
) -> OneLine:
    """``secret/app/db  kv v2 · version 3 of 3 · live · 2 keys`` on one line."""
    parts = [Part(visible(mount.path + path), "bold", elastic=True), Part(f"  {mount.kind_label}", "dim")]
    if kv2 and secret is not None and secret.version:
        current = meta.current_version if meta else None
        label = f"version {secret.version}"
        if current:
            label += f" of {current}"
            if secret.version != current:
                label += " (older)"
        parts += [Part("  ·  ", "dim"), Part(label, "bold"), Part("  ·  ", "dim")]
        parts.append(Part(secret.state.value, STATE_STYLE[secret.state]))
    if kv2 and meta is not None and meta.cas_required:
        parts += [Part("  ·  ", "dim", optional=True), Part("cas required", "magenta", optional=True)]
    if secret is not None and secret.state is VersionState.LIVE:
        count = len(secret.data)
        keys = f"{count} key{'s' if count != 1 else ''}"
        parts += [Part("  ·  ", "dim", optional=True), Part(keys, "dim", optional=True)]
    return OneLine(*parts)


def folder_header(mount: Mount, folder: str) -> OneLine:
    return OneLine(Part(visible(mount.path + folder), "bold", True), Part(f"  folder · {mount.kind_label}", "dim"))


def mount_header(mount: Mount) -> OneLine:
    return OneLine(Part(visible(mount.path), "bold", True), Part(f"  {mount.kind_label} mount", "dim"))


def breadcrumb(mount: Mount | None, path: str, lines: int = 3) -> OneLine:
    """``secret/ › team › app › db   (kv v2)``: the whole path, in up to ``lines`` lines (the tree
    shortens long names; this shows them whole, or cut in the middle only beyond that)."""
    if mount is None:
        return OneLine(Part("/", "dim"))
    segments = [p for p in path.split("/") if p]
    parts = [Part(visible(mount.path), "bold")]
    for index, segment in enumerate(segments):
        parts.append(Part(" › ", "dim"))
        parts.append(Part(visible(segment), "bold" if index == len(segments) - 1 else "", elastic=True))
    parts.append(Part(f"   ({mount.kind_label})", "dim"))
    return OneLine(*parts, lines=lines)


def value_cell(value: Any, revealed: bool) -> Text:
    return safe_text(value, limit=CELL_LIMIT) if revealed else Text(mask(value), style="dim")


def plain_value(value: Any) -> str:
    """The clipboard form of a value: strings as-is, anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def json_view(secret: SecretData | None, reveal_all: bool) -> tuple[Text, Text]:
    """(hint, body) of the JSON tab."""
    if secret is None or secret.state is not VersionState.LIVE:
        return Text("No data for this version.", style="dim"), Text("")
    if reveal_all:
        shown: dict[str, Any] = {}
        for key, value in secret.data.items():
            if isinstance(value, str) and len(value) > JSON_VALUE_LIMIT:
                value = value[:JSON_VALUE_LIMIT] + f"… (+{len(value) - JSON_VALUE_LIMIT:,} more characters)"
            shown[key] = value
        hint = Text("Values revealed (V masks them again). C copies the full JSON.", style="dim")
    else:
        shown = {key: mask(value) for key, value in secret.data.items()}
        hint = Text("Values masked: V reveals them. C copies the full JSON.", style="dim")
    return hint, Text(visible(json.dumps(shown, indent=2, ensure_ascii=False), multiline=True))


def version_rows(meta: SecretMetadata) -> list[tuple[str, tuple[Text, ...]]]:
    rows: list[tuple[str, tuple[Text, ...]]] = []
    for info in meta.versions:
        current = info.version == meta.current_version
        label = Text(str(info.version), style="bold" if current else "")
        if current:
            label.append(" current", style="dim")
        cells = (
            Text(""),
            label,
            Text(info.state.value, style=STATE_STYLE[info.state]),
            Text(format_time(info.created_time)),
            Text(format_time(info.deletion_time) if info.deletion_time else "—"),
        )
        rows.append((str(info.version), cells))
    return rows


def version_mark(marked: bool, shown: bool) -> Text:
    """The first column of Versions: ✓ marked (for diff / delete), ▶ the version shown."""
    if marked:
        return Text("✓", style="bold cyan")
    if shown:
        return Text("▶", style="bold")
    return Text("")


def metadata_rows(meta: SecretMetadata) -> list[tuple[str, Text, Text]]:
    rows: list[tuple[str, Text, Text]] = []
    fields: list[tuple[str, Text]] = [
        ("current_version", Text(str(meta.current_version))),
        ("oldest_version", Text(str(meta.oldest_version))),
        ("created_time", Text(format_time(meta.created_time))),
        ("updated_time", Text(format_time(meta.updated_time))),
        ("max_versions", Text(str(meta.max_versions) + ("  (mount default)" if not meta.max_versions else ""))),
        ("cas_required", Text(str(meta.cas_required).lower())),
        ("delete_version_after", safe_text(meta.delete_version_after)),
    ]
    if not meta.custom_metadata:
        fields.append(("custom_metadata", Text("(none)", style="dim")))
    for name, shown in fields:
        rows.append((f"field:{name}", Text(name, style="bold"), shown))
    for key, value in meta.custom_metadata.items():
        label = Text("custom_metadata.", style="bold")
        label.append(visible(key, limit=CELL_LIMIT))
        rows.append((f"custom:{key}", label, safe_text(value, limit=CELL_LIMIT)))
    return rows


def diff_heading(older: SecretData, newer: SecretData, entries: tuple[DiffEntry, ...]) -> Text:
    counts = {change: sum(1 for e in entries if e.change is change) for change in Change}
    heading = Text(f"v{older.version} → v{newer.version}: ", style="bold")
    heading.append(f"+{counts[Change.ADDED]} added", style="green")
    heading.append("  ")
    heading.append(f"-{counts[Change.REMOVED]} removed", style="red")
    heading.append("  ")
    heading.append(f"~{counts[Change.CHANGED]} changed", style="yellow")
    heading.append(f"  ({counts[Change.SAME]} unchanged)", style="dim")
    for side in (older, newer):
        if side.state is not VersionState.LIVE:
            heading.append(f"\nv{side.version} is {side.state.value}: it has no data to compare.", style="yellow")
    heading.append("\nChanged values stay masked: v reveals a row, V all.", style="dim")
    return heading


def diff_cells(older: Mapping[str, Any], newer: Mapping[str, Any], key: str, revealed: bool) -> tuple[Text, ...]:
    change = Change.CHANGED
    if key not in older:
        change = Change.ADDED
    elif key not in newer:
        change = Change.REMOVED
    marker, style = CHANGE_MARK[change]

    def cell(data: Mapping[str, Any]) -> Text:
        if key not in data:
            return Text("—", style="dim")
        return value_cell(data[key], revealed)

    return Text(marker, style=style), safe_text(key, style=style, limit=CELL_LIMIT), cell(older), cell(newer)
