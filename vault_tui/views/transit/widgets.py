"""Small widgets of the transit view: a checkbox whose state reads without colour, a form field."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Checkbox, Label

ON_MARK = "✔"
OFF_MARK = " "


class StateCheckbox(Checkbox):
    """A checkbox that shows ✔ when on and a blank box when off, so its state reads in any
    colour scheme and under ``NO_COLOR`` (Textual's shows an ``X`` in both states)."""

    def __init__(self, label: str, value: bool = False, **kwargs: object) -> None:
        super().__init__(label, value, **kwargs)  # type: ignore[arg-type]
        self.BUTTON_INNER = ON_MARK if value else OFF_MARK

    def _watch_value(self, value: bool) -> None:
        self.BUTTON_INNER = ON_MARK if value else OFF_MARK


class Field(Horizontal):
    """A label and its widget on one line; the label is highlighted while the widget has focus."""

    def __init__(self, label: str, widget: Widget, *, id: str | None = None, classes: str = "") -> None:  # noqa: A002
        super().__init__(id=id, classes=f"field {classes}".strip())
        self._label = label
        self._widget = widget

    def compose(self) -> ComposeResult:
        yield Label(self._label, classes="field-label", markup=False)
        yield self._widget
