"""The policies view: the ACL policies this token can see, their HCL as plain text, and a
"what can I do at this path" check.

Every handler that touches the screen's children is wrapped in
:func:`~vault_tui.views.guard.when_composed`: a reply that arrives while the screen is still
composing waits for it, one that arrives after the screen is gone is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.coordinate import Coordinate
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static

from ...context import vault_app
from ...safe import safe_text, visible
from ...vault.errors import VaultError
from ...vault.policies import Policy, PolicySummary, list_policies, read_policy
from ...widgets.capabilities import CapabilitiesPanel
from ...widgets.footer import KeysFooter
from ...widgets.session_bar import SessionBar
from ...worker import Call
from ..guard import when_composed


class PoliciesScreen(Screen[None]):
    VIEW_TITLE = "Policies"
    CSS_PATH = Path(__file__).parent / "policies.tcss"
    AUTO_FOCUS = "#policies-table"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-medium"), (160, "-wide")]
    BINDINGS = [
        Binding("R", "reload", "Reload", id="policies.reload"),
        Binding("c", "check_path", "Check a path", id="policies.check"),
        Binding("escape", "leave_field", "Back to the list", show=False, id="policies.leave_field"),
        Binding("tab", "focus_next", "Switch pane", show=False, id="policies.next_pane"),
    ]

    @dataclass
    class Listed(Message):
        policies: tuple[PolicySummary, ...]

    @dataclass
    class Read(Message):
        policy: Policy

    @dataclass
    class Failed(Message):
        error: VaultError
        what: str

    def __init__(self) -> None:
        super().__init__()
        self.policies: dict[str, PolicySummary] = {}
        self.shown: Policy | None = None

    def compose(self) -> ComposeResult:
        yield SessionBar()
        with Horizontal(id="policies-body"):
            with Vertical(id="policies-left"):
                table: DataTable[Text] = DataTable(id="policies-table", cursor_type="row", zebra_stripes=True)
                table.border_title = "Policies"
                table.add_column("name", key="name")
                table.add_column("readable", key="readable")
                yield table
            with Vertical(id="policies-right"):
                yield Static("", id="policy-title", markup=False)
                scroll = VerticalScroll(id="policy-scroll")
                scroll.border_title = "HCL"
                with scroll:
                    yield Static("", id="policy-hcl", markup=False)
                path = Input(placeholder="a path, e.g. secret/data/app (enter)", id="policy-path")
                path.border_title = "Check a path (c)"
                yield path
                yield CapabilitiesPanel(id="policy-capabilities")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.reload()  # guarded: nothing happens if the app is closing

    @when_composed
    def reload(self) -> None:
        """Called by the app after a namespace or profile switch and a recovery, and by ``R``."""
        self.query_one("#policy-title", Static).update(Text("loading policies…", style="dim"))
        vault_app(self).worker.submit(
            Call(list_policies),
            to=self,
            done=PoliciesScreen.Listed,
            failed=lambda error: PoliciesScreen.Failed(error, "listing policies"),
            action="listing policies",
            key="policies:list",
        )

    def action_reload(self) -> None:
        self.reload()

    @when_composed
    def action_check_path(self) -> None:
        self.query_one("#policy-path", Input).focus()

    @when_composed
    def action_leave_field(self) -> None:
        """Escape leaves the path box (then ``:`` and ``?`` are keys again, not text)."""
        if isinstance(self.focused, Input):
            self.query_one("#policies-table", DataTable).focus()

    @on(Listed)
    @when_composed
    def _listed(self, message: Listed) -> None:
        table = self.query_one("#policies-table", DataTable)
        new = {p.name: p for p in message.policies}
        with self.app.batch_update():
            for key in [k for k in self.policies if k not in new]:
                table.remove_row(key)
            for name, summary in new.items():
                readable = Text("yes", style="green") if summary.readable else Text("no", style="dim")
                if name in self.policies:
                    table.update_cell(name, "readable", readable)
                else:
                    table.add_row(safe_text(name), readable, key=name)
        self.policies = new
        title = self.query_one("#policy-title", Static)
        if not new:
            title.update(Text("No policies visible to this token.", style="dim"))
        elif self.shown is None:
            title.update(Text("Select a policy.", style="dim"))
            self._show_row(table.cursor_row)

    @on(DataTable.RowHighlighted, "#policies-table")
    @when_composed
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None:
            self._select(str(event.row_key.value))

    def _show_row(self, index: int) -> None:
        table = self.query_one("#policies-table", DataTable)
        if 0 <= index < table.row_count:
            key = table.coordinate_to_cell_key(Coordinate(index, 0)).row_key.value
            if key is not None:
                self._select(str(key))

    def _select(self, name: str) -> None:
        summary = self.policies.get(name)
        if summary is None:
            return
        title = self.query_one("#policy-title", Static)
        hcl = self.query_one("#policy-hcl", Static)
        if not summary.readable:
            vault_app(self).worker.cancel_key("policies:read")
            self.shown = None
            title.update(Text(f"{visible(name)}", style="bold"))
            hcl.update(
                Text(f"You cannot read this policy: it needs read on sys/policies/acl/{visible(name)}.", style="dim")
            )
            return
        title.update(Text(f"{visible(name)}  (loading…)", style="bold"))
        vault_app(self).worker.submit(
            Call(read_policy, name),
            to=self,
            done=PoliciesScreen.Read,
            failed=lambda error: PoliciesScreen.Failed(error, f"reading policy {name}"),
            action="reading a policy",
            key="policies:read",
        )

    @on(Read)
    @when_composed
    def _read(self, message: Read) -> None:
        self.shown = message.policy
        self.query_one("#policy-title", Static).update(Text(visible(message.policy.name), style="bold"))
        self.query_one("#policy-hcl", Static).update(
            Text(visible(message.policy.hcl, multiline=True, limit=200_000) or "(empty policy)")
        )

    @on(Failed)
    @when_composed
    def _failed(self, message: Failed) -> None:
        self.query_one("#policy-title", Static).update(
            Text(f"{visible(message.what)}: {visible(message.error)}", style="red")
        )

    @on(Input.Submitted, "#policy-path")
    @when_composed
    def _check(self, event: Input.Submitted) -> None:
        path = event.value.strip().lstrip("/")
        if path:
            self.query_one("#policy-capabilities", CapabilitiesPanel).show_path(path)
