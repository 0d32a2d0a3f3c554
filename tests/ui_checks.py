"""Checks of what a screen looks like, shared by the transit and policies Pilot tests.

* :func:`appearance` is a widget's on-screen cells with colour removed (as under ``NO_COLOR``):
  text plus the non-colour attributes (bold, dim, italic, underline, reverse, strike). Two
  appearances that are equal look the same to a person without colour.
* :func:`cut_off` lists labels, titles and values that do not fit the space they are given.
"""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual.containers import ScrollableContainer
from textual.content import Content
from textual.filter import NoColor
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, Select, Static, TextArea

_NO_COLOR = NoColor()


FIXED_ADDR = "http://127.0.0.1:8200"


def fix_address(app: Any) -> None:
    """From now on every session change shows the fixed address (the test server's port is
    random): the node, the leader (shown when it differs from the node) and the server's own."""
    from dataclasses import replace

    if getattr(app.update_session, "pinned", False):
        return
    original = app.update_session

    def pinned(**changes: Any) -> None:
        for name in ("addr", "leader_addr"):
            if changes.get(name):
                changes[name] = FIXED_ADDR
        if changes.get("server") is not None:
            changes["server"] = replace(changes["server"], address=FIXED_ADDR)
        original(**changes)

    pinned.pinned = True  # type: ignore[attr-defined]
    app.update_session = pinned


def pin_address(app: Any) -> None:
    """The session bar shows the fixed address, for good: the health poll is stopped, and any
    session change still on its way (a health reply already posted, say) gets the fixed address
    too. On a busy machine such a reply used to land after the pin and put the real port back."""
    app.connection.stop()
    fix_address(app)
    app.update_session(addr=FIXED_ADDR, leader_addr=FIXED_ADDR, server=app.session.server)


async def settle(pilot: Any) -> None:
    """Before a snapshot: no health check left to change the session bar, a fixed address, steady
    cursors, no call in flight, and a footer that shows the keys of what is focused now (it
    recomposes after a focus change)."""
    from helpers import wait_for

    from vault_tui.widgets.footer import KeysFooter

    app = pilot.app
    pin_address(app)
    await app.workers.wait_for_complete()
    await pilot.pause()
    steady_cursors(app.screen)
    # the footer of the view (a dialog has none: the view's shows under it)
    footer = next(iter(f for screen in reversed(app.screen_stack) for f in screen.query(KeysFooter)))
    await wait_for(pilot, lambda: footer._shown == footer._signature(), timeout=30, what="footer settled")
    await pilot.pause(0.3)


def screen_cells(app: Any) -> list[list[tuple[str, tuple[bool, ...]]]]:
    """Every line of the current screen as (text, attributes) pairs, colour removed."""
    from textual.color import Color

    lines = []
    for strip in app.screen._compositor.render_strips():
        cells = []
        for text, style, _control in _NO_COLOR.apply(list(strip), Color(0, 0, 0)):
            attrs = (
                (
                    bool(style.bold),
                    bool(style.dim),
                    bool(style.italic),
                    bool(style.underline),
                    bool(style.reverse),
                    bool(style.strike),
                )
                if style is not None
                else (False,) * 6
            )
            for ch in text:
                cells.append((ch, attrs))
        lines.append(cells)
    return lines


def appearance(app: Any, widget: Widget) -> tuple[tuple[tuple[str, tuple[bool, ...]], ...], ...]:
    """The cells of ``widget``'s outer region (border included), colour removed.

    A widget inside a labelled field (``.field``) is judged with its label.
    """
    field = next((node for node in widget.ancestors_with_self if node.has_class("field")), widget)
    region = field.region.intersection(app.screen.region)
    lines = screen_cells(app)
    return tuple(tuple(lines[y][region.x : region.right]) for y in range(region.y, region.bottom))


def steady_cursors(screen: Any) -> None:
    """Cursors that do not blink, so a focused field always shows its cursor."""
    for field in screen.query(Input):
        field.cursor_blink = False
    for area in screen.query(TextArea):
        area.cursor_blink = False


def focusables(screen: Any) -> list[Widget]:
    """Widgets a person can reach with tab (or a click) right now."""
    return [w for w in screen.focus_chain if w.focusable]


def _plain(renderable: Any) -> str:
    if isinstance(renderable, Text):
        return renderable.plain
    if isinstance(renderable, Content):
        return renderable.plain
    return str(renderable)


def cut_off(screen: Any) -> list[str]:
    """Labels, titles and short values on ``screen`` that do not fit where they are shown."""
    problems: list[str] = []
    visible = screen._compositor.visible_widgets
    for control in screen.query("Button, Input, Select, Checkbox, TextArea, DataTable"):
        if not all(node.display for node in control.ancestors_with_self if isinstance(node, Widget)):
            continue
        name = f"{type(control).__name__}#{control.id}"
        if control not in visible:
            problems.append(f"{name}: not on screen at all")
            continue
        region, clip = visible[control]
        if not clip.contains_region(region):
            problems.append(f"{name}: clipped ({region} outside {clip})")
    for widget in screen.walk_children(Widget):
        if widget not in visible or not widget.display or widget.region.width <= 0:
            continue
        name = f"{type(widget).__name__}#{widget.id}" if widget.id else type(widget).__name__
        title = widget.border_title
        if title and widget.styles.border_top[0] not in ("", "none", "hidden"):
            if cell_len(_plain(title)) + 4 > widget.outer_size.width:
                problems.append(f"{name}: border title {_plain(title)!r} wider than {widget.outer_size.width}")
        if isinstance(widget, Checkbox):
            need = cell_len(widget.label.plain) + 5
            if widget.content_region.width < need:
                problems.append(f"{name}: label {widget.label.plain!r} needs {need}, has {widget.content_region.width}")
        elif isinstance(widget, Button):
            need = cell_len(_plain(widget.label))
            if widget.content_region.width < need:
                problems.append(
                    f"{name}: button {_plain(widget.label)!r} needs {need}, has {widget.content_region.width}"
                )
        elif isinstance(widget, Input) and not widget.value and widget.placeholder:
            if widget.content_region.width < cell_len(widget.placeholder) + 1:
                problems.append(f"{name}: placeholder {widget.placeholder!r} wider than {widget.content_region.width}")
        elif type(widget) in (Static, Label):
            rendered = widget.render()
            text = _plain(rendered)
            if not text.strip():
                continue
            width, height = widget.content_region.width, widget.content_region.height
            if (isinstance(rendered, Text) and rendered.no_wrap) or widget.styles.text_wrap == "nowrap":
                widest = max(cell_len(line) for line in text.splitlines())
                if widest > width:
                    problems.append(f"{name}: {text[:40]!r} is {widest} wide, has {width}")
            elif not isinstance(widget.parent, ScrollableContainer):
                needed = widget.get_content_height(widget.content_region.size, widget.content_region.size, width)
                if needed > height:
                    problems.append(f"{name}: {text[:40]!r} needs {needed} lines, has {height}")
    for select in screen.query(Select):
        if not select.display or select not in visible:
            continue
        current = select.query_one("SelectCurrent")
        label = current.query_one("#label", Static)
        text = _plain(label.render())
        if label.content_region.width < cell_len(text):
            problems.append(f"Select#{select.id}: value {text!r} wider than {label.content_region.width}")
    return problems
