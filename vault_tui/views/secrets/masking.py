"""Masking what is typed: value fields that do not show a value, nor its length, until revealed.

Textual's ``Input(password=True)`` draws one dot per character, so whoever sees the screen learns
each value's length, and the raw-JSON editor (a ``TextArea``) has no masking at all. Here:

* :class:`MaskedInput` draws a fixed mask (:data:`MASK`, eight dots) whatever the length while it
  is masked; the caret is drawn after the mask (before it when the caret is at the start), so it
  does not count the characters either. Copying or cutting from a masked field goes through the
  app's :meth:`~vault_tui.context.AppContext.copy_secret` (cleared from the clipboard after a while).
* :func:`masked_json` renders the editor's JSON with every value replaced by the mask (key names
  stay readable), shown in place of the text area until the user reveals the values.
"""

from __future__ import annotations

import json

from rich.text import Text
from textual.strip import Strip
from textual.widgets import Input

from ...context import vault_app
from ...safe import mask, visible

MASK = mask(None)


class MaskedInput(Input):
    """An ``Input`` whose password mode shows a fixed mask, not one dot per character."""

    @property
    def _value(self) -> Text:
        if self.password and self.value:
            return Text(MASK, no_wrap=True, overflow="ignore", end="")
        return super()._value

    def _position_to_cell(self, position: int) -> int:
        if self.password and self.value:
            return 0 if position == 0 else len(MASK)
        return super()._position_to_cell(position)

    def render_line(self, y: int) -> Strip:
        if y != 0 or not self.password or not self.value:
            return super().render_line(y)
        text = Text(MASK, no_wrap=True, overflow="ignore", end="")
        if self.has_focus:
            if not self.selection.is_empty:
                text.stylize_before(self.get_component_rich_style("input--selection"), 0, len(MASK))
            if self._cursor_visible:
                at = 0 if self.cursor_at_start else len(MASK)
                if at == len(MASK):
                    text.pad_right(1)
                text.stylize(self.get_component_rich_style("input--cursor"), at, at + 1)
        width = self.scrollable_content_region.width
        console = self.app.console
        strip = Strip(console.render(text, self.app.console_options.update_width(len(MASK) + 1)))
        strip = strip.crop(0, width + 1).extend_cell_length(width + 1)
        return strip.apply_style(self.rich_style)

    def action_copy(self) -> None:
        if not self.password:
            super().action_copy()
            return
        text = self.selected_text
        if text:
            vault_app(self).copy_secret(text, "the typed value")

    def action_cut(self) -> None:
        if not self.password:
            super().action_cut()
            return
        text = self.selected_text
        if text:
            vault_app(self).copy_secret(text, "the typed value")
            self.delete_selection()


def masked_json(text: str) -> Text:
    """The editor's JSON with every value masked (top-level key names stay readable)."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, dict):
        return Text("The JSON does not parse yet; press ctrl+r to show it and fix it.", style="dim")
    if not value:
        return Text("{ }  (no keys yet: press ctrl+r to type the JSON)", style="dim")
    out = Text("{\n")
    items = list(value.items())
    for index, (key, _val) in enumerate(items):
        out.append("  ")
        out.append(visible(json.dumps(str(key), ensure_ascii=False), limit=200))
        out.append(": ")
        out.append(MASK, style="dim")
        out.append(",\n" if index < len(items) - 1 else "\n")
    out.append("}")
    return out
