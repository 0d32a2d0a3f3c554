"""The transit playground: keys on the left, an operation with its input and output on the right.

The screen reads its fields into a :class:`~.model.FormValues`, lets the view-model
(:mod:`.model`) decide what that means, and sends every call through ``app.worker.submit``;
results come back as this screen's messages. Widgets (the key list, the history) only post
what the user asked for; the screen decides. Server text (key names, errors, ciphertexts,
decrypted plaintext) is always shown as plain text; the history never holds plaintext.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, Select, Static, TextArea

from ...context import vault_app
from ...safe import safe_text, visible
from ...screens.modals import ConfirmScreen
from ...session import Session
from ...timefmt import utcnow
from ...vault import transit
from ...vault.errors import VaultError
from ...vault.models import Mount
from ...vault.transit import TransitRequest, UnknownKey
from ...vault.transit_models import Operation, TransitKey
from ...widgets.footer import KeysFooter
from ...widgets.session_bar import SessionBar
from ...worker import Call
from ..guard import gone, when_composed
from . import model
from .dialogs import CreateKeyScreen, ExportKeyScreen, KeyConfigChange, KeyConfigScreen, NewKeySpec
from .form import OperationForm, OutputPane
from .history import TransitHistory
from .keys import TransitKeyTable, key_details
from .model import OPERATION_ORDER, FormValues, InputDrafts, InputKind, Output, input_kind
from .widgets import Field, StateCheckbox


class TransitScreen(Screen[None]):
    VIEW_TITLE = "Transit playground"
    AUTO_FOCUS = "#transit-keys"
    CSS_PATH = Path(__file__).parent / "transit.tcss"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-medium"), (160, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]
    BINDINGS = [
        Binding("ctrl+r", "run", "Run", id="transit.run"),
        Binding("ctrl+n", "next_operation", "Next op", id="transit.next_op"),
        Binding("ctrl+b", "toggle_batch", "Batch", show=False, id="transit.batch"),
        Binding("ctrl+g", "copy_output", "Copy output", show=False, id="transit.copy"),
        Binding("f2", "toggle_reveal", "Reveal", show=False, id="transit.reveal"),
        Binding("f4", "use_output", "Output→input", show=False, id="transit.use_output"),
        Binding("f5", "reload", "Reload keys", show=False, id="transit.reload"),
        Binding("escape", "focus_keys", "Keys", show=False, id="transit.focus_keys"),
    ]

    # -- messages ---------------------------------------------------------------------------
    @dataclass
    class MountsFound(Message):
        mounts: tuple[Mount, ...]

    @dataclass
    class KeysLoaded(Message):
        mount: str
        keys: tuple[TransitKey, ...]

    @dataclass
    class KeysFailed(Message):
        mount: str
        error: VaultError

    @dataclass
    class KeyChanged(Message):
        key: TransitKey
        action: str

    @dataclass
    class KeyDeleted(Message):
        mount: str
        name: str

    @dataclass
    class ManageFailed(Message):
        action: str
        error: VaultError

    @dataclass
    class OperationDone(Message):
        request: TransitRequest
        result: Any

    @dataclass
    class OperationFailed(Message):
        request: TransitRequest
        error: VaultError

    def __init__(self) -> None:
        super().__init__()
        self.mounts: tuple[Mount, ...] = ()
        self.mount_path: str = ""
        self.output: Output | None = None
        self.last_request: TransitRequest | None = None
        self.last_result: Any = None
        self.revealed = False
        self.running = False
        self.drafts = InputDrafts()
        self._shown_operation = Operation.ENCRYPT

    # -- layout -----------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield SessionBar()
        with Horizontal(id="transit-body"):
            with Vertical(id="transit-left"):
                yield Field(
                    "mount",
                    Select[str]([], prompt="transit mount", id="transit-mount", allow_blank=True, compact=True),
                    id="transit-mount-field",
                )
                yield TransitKeyTable(id="transit-keys")
                details = VerticalScroll(id="transit-details-box")
                details.border_title = "Details"
                with details:
                    yield Static(key_details(None), id="transit-details", markup=False)
            with Vertical(id="transit-work"):
                yield OperationForm(id="transit-form")
                yield TextArea(id="transit-input", soft_wrap=True, show_line_numbers=False, tab_behavior="focus")
                yield Static("", id="transit-warning", markup=False)
                error = Static("", id="transit-error", markup=False)
                error.display = False
                yield error
                yield OutputPane(id="transit-output-box")
                history = TransitHistory(id="transit-history")
                history.border_title = "History (enter re-runs)"
                yield history
        yield KeysFooter()

    def on_mount(self) -> None:
        if gone(self):  # the app is closing while this view mounts
            return
        self._title_keys()
        self.watch(self.app, "session", self._session_changed, init=False)
        self._apply_operation()
        self.reload()

    def _session_changed(self, _session: Session) -> None:
        if not gone(self) and self.is_mounted:
            self._title_keys()
            self.keys_table.refresh_bindings()

    def _title_keys(self) -> None:
        self.keys_table.border_title = "Keys (read-only)" if self.read_only else "Keys"

    # -- reading the form -------------------------------------------------------------------
    @property
    def read_only(self) -> bool:
        return vault_app(self).session.read_only

    @property
    def form_widget(self) -> OperationForm:
        return self.query_one("#transit-form", OperationForm)

    @property
    def operation(self) -> Operation:
        return self.form_widget.operation

    def set_operation(self, operation: Operation) -> None:
        self.form_widget.select_operation(operation)
        self._apply_operation(operation)

    @property
    def keys_table(self) -> TransitKeyTable:
        return self.query_one("#transit-keys", TransitKeyTable)

    @property
    def input_area(self) -> TextArea:
        return self.query_one("#transit-input", TextArea)

    def key_name(self) -> str:
        return self.form_widget.key_name()

    def selected_key(self) -> TransitKey | None:
        return self.keys_table.keys_by_name.get(self.key_name())

    def form(self) -> FormValues:
        return self.form_widget.values(self.input_area.text)

    def fill_form(self, form: FormValues) -> None:
        """Set every field from ``form`` (a re-run from history)."""
        self.set_operation(form.operation)
        self.form_widget.fill(form)
        if input_kind(form.operation) is not InputKind.NONE:
            self._set_input(form.text)

    def _set_input(self, text: str) -> None:
        """Replace the input box's text; the cursor goes to its end (typing appends)."""
        area = self.input_area
        area.text = text
        area.move_cursor(area.document.end)
        self.drafts.set(self.operation, text)

    def show_error(self, text: str | Text | None) -> None:
        error = self.query_one("#transit-error", Static)
        if not text:
            error.update("")
            error.display = False
            return
        error.update(text if isinstance(text, Text) else safe_text(text, multiline=True))
        error.display = True

    def _apply_operation(self, operation: Operation | None = None) -> None:
        """Show the fields ``op`` needs and its own input (each kind of input has its own text)."""
        op = operation or self.operation
        previous, self._shown_operation = self._shown_operation, op
        area = self.input_area
        swapped = self.drafts.switch(previous, op, area.text) if previous is not op else None
        if swapped is not None:
            area.text = swapped
            area.move_cursor(area.document.end)
        key = self.selected_key()
        form = self.form_widget
        form.show_for(op, key)
        has_input = input_kind(op) is not InputKind.NONE
        area.display = has_input
        batch, b64 = form.flag("#transit-batch").value, form.flag("#transit-b64").value
        hint = model.input_hint(op, key, batch=batch, base64=b64)
        area.border_title = hint.title
        area.border_subtitle = hint.note
        self.query_one("#transit-work").border_title = op.label
        warning = self.query_one("#transit-warning", Static)
        warning.update(f"⚠ {hint.warning}" if hint.warning else "")
        warning.display = bool(hint.warning)

    # -- mounts and keys --------------------------------------------------------------------
    @when_composed
    def reload(self) -> None:
        """Called by the app after a namespace or profile switch and after a recovery, and by f5."""
        self._title_keys()
        self.keys_table.loading = True
        vault_app(self).worker.submit(
            Call(transit.transit_mounts),
            to=self,
            done=self.MountsFound,
            failed=lambda error: self.KeysFailed("", error),
            action="finding transit mounts",
            key="transit:mounts",
        )

    def action_reload(self) -> None:
        self.reload()

    @on(MountsFound)
    @when_composed
    def _mounts_found(self, message: MountsFound) -> None:
        self.mounts = message.mounts
        select = self.query_one("#transit-mount", Select)
        select.set_options([(safe_text(m.path), m.path) for m in message.mounts])
        if not message.mounts:
            self.keys_table.loading = False
            self.query_one("#transit-details", Static).update(
                Text(
                    "No transit mount is visible to this token. Enable one with: bao secrets enable transit",
                    style="dim",
                )
            )
            return
        paths = [m.path for m in message.mounts]
        mount = self.mount_path if self.mount_path in paths else paths[0]
        if select.value != mount:
            select.value = mount  # posts Select.Changed, which loads the keys
        else:
            self.load_keys(mount)

    @on(Select.Changed, "#transit-mount")
    @when_composed
    def _mount_changed(self, event: Select.Changed) -> None:
        if isinstance(event.value, str) and event.value:
            self.load_keys(event.value)

    def load_keys(self, mount: str) -> None:
        self.mount_path = mount
        self.keys_table.loading = True
        vault_app(self).worker.submit(
            Call(transit.list_key_details, mount),
            to=self,
            done=lambda keys: self.KeysLoaded(mount, keys),
            failed=lambda error: self.KeysFailed(mount, error),
            action="listing transit keys",
            key="transit:keys",
        )

    @on(KeysLoaded)
    @when_composed
    def _keys_loaded(self, message: KeysLoaded) -> None:
        table = self.keys_table
        table.loading = False
        if message.mount != self.mount_path:
            return
        table.set_keys(message.keys)
        if not self.key_name() and message.keys:
            self.form_widget.set_key_name(message.keys[0].name)
        self._show_key(self.selected_key() or table.current_key)
        if message.keys and not isinstance(self.focused, (Input, TextArea)):
            table.focus()
        if not message.keys:
            self.query_one("#transit-details", Static).update(
                Text("No keys on this mount yet. Press n (in the key list) to create one.", style="dim")
            )

    @on(KeysFailed)
    @when_composed
    def _keys_failed(self, message: KeysFailed) -> None:
        self.keys_table.loading = False
        what = "finding transit mounts" if not message.mount else f"listing keys of {message.mount}"
        text = Text(f"{message.error.title} while {visible(what)}: ", style="bold red")
        text.append_text(safe_text(str(message.error), multiline=True))
        text.append("\nYou can still type a key name on the right.", style="dim")
        self.query_one("#transit-details", Static).update(text)

    @on(TransitKeyTable.RowHighlighted, "#transit-keys")
    @when_composed
    def _row_highlighted(self, event: TransitKeyTable.RowHighlighted) -> None:
        key = self.keys_table.keys_by_name.get(str(event.row_key.value))
        if key is None:
            return
        self.form_widget.set_key_name(key.name)
        self._show_key(key)

    @on(TransitKeyTable.KeyChosen, "#transit-keys")
    @when_composed
    def _key_chosen(self, message: TransitKeyTable.KeyChosen) -> None:
        self._focus_input()

    @on(Input.Changed, "#transit-key")
    @when_composed
    def _key_typed(self, event: Input.Changed) -> None:
        self._show_key(self.selected_key())

    def _show_key(self, key: TransitKey | None) -> None:
        details = self.query_one("#transit-details", Static)
        if key is None and self.key_name():
            text = Text("Key ", style="dim")
            text.append_text(safe_text(self.key_name(), "bold"))
            text.append(" is not in the list: encrypting with it asks first, since it would create it.", style="dim")
            details.update(text)
        else:
            details.update(key_details(key))
        self._apply_operation()

    def action_focus_keys(self) -> None:
        self.keys_table.focus()

    def _focus_input(self) -> None:
        area = self.input_area
        if area.display:
            area.focus()
            area.move_cursor(area.document.end)
        else:
            self.query_one("#transit-op", Select).focus()

    @on(TransitKeyTable.Refused, "#transit-keys")
    @when_composed
    def _refused(self, message: TransitKeyTable.Refused) -> None:
        key = self.keys_table.current_key
        reason = model.refusal(
            message.action, message.what, key, read_only=self.read_only, has_mount=bool(self.mount_path)
        )
        if reason is None:
            vault_app(self).explain_refusal(model.ACTION_WORDS.get(message.what, message.what))
        else:
            self.notify(visible(reason), severity="warning", markup=False, timeout=5)

    # -- operation selection ----------------------------------------------------------------
    @on(Select.Changed, "#transit-op")
    @when_composed
    def _op_changed(self, event: Select.Changed) -> None:
        self._apply_operation()
        self.show_error(None)

    @on(StateCheckbox.Changed, "#transit-batch")
    @on(StateCheckbox.Changed, "#transit-b64")
    @when_composed
    def _checkbox_changed(self, event: StateCheckbox.Changed) -> None:
        self._apply_operation()

    def action_next_operation(self) -> None:
        index = OPERATION_ORDER.index(self.operation)
        self.set_operation(OPERATION_ORDER[(index + 1) % len(OPERATION_ORDER)])

    def action_toggle_batch(self) -> None:
        box = self.form_widget.flag("#transit-batch")
        if box.disabled:
            self.notify(f"{self.operation.label} has no batch mode.", severity="warning", markup=False)
            return
        box.value = not box.value

    @on(TransitKeyTable.OperationChosen, "#transit-keys")
    @when_composed
    def _op_chosen(self, message: TransitKeyTable.OperationChosen) -> None:
        self.set_operation(Operation(message.operation))
        self._focus_input()

    # -- running ----------------------------------------------------------------------------
    def build_request(self) -> TransitRequest:
        """The request described by the form. Raises ValueError with a user-facing reason."""
        return model.build_request(self.form(), self.mount_path, self.selected_key())

    def action_run(self) -> None:
        if not self.mount_path:
            self.show_error("No transit mount selected.")
            return
        try:
            request = self.build_request()
        except ValueError as error:
            self.show_error(str(error))
            return
        if model.needs_create_confirmation(request, self.keys_table.keys_by_name):
            self.confirm_create(request)
            return
        self.submit(request)

    def confirm_create(self, request: TransitRequest) -> None:
        """Encrypting with a key that is not listed would create it: ask first."""
        if self.read_only:
            self.show_error(
                f"Key {visible(request.key)!r} is not listed on {visible(request.mount)}: encrypting would "
                "create it, and --read-only allows no writes."
            )
            return
        body = (
            f"There is no listed key {visible(request.key)!r} on {visible(request.mount)}.\n\n"
            "Transit's encrypt creates a missing key (type aes256-gcm96) when your token may. "
            "A typo here would silently make a new key.\n\nCreate it and encrypt?"
        )

        @when_composed
        def decided(screen: TransitScreen, yes: bool | None) -> None:
            if yes:
                screen.submit(request.with_create())
            else:
                screen.show_error("Not encrypted: the key does not exist. Pick a key from the list.")

        self.app.push_screen(
            ConfirmScreen("Create a new key?", body, confirm_label="Create and encrypt", danger=False),
            lambda yes: decided(self, yes),
        )

    def submit(self, request: TransitRequest) -> None:
        self.running = True
        self.show_error(None)
        self.output_pane.running(request.operation.label)
        vault_app(self).worker.submit(
            Call(transit.run, request),
            to=self,
            done=lambda result: self.OperationDone(request, result),
            failed=lambda error: self.OperationFailed(request, error),
            action=f"transit {request.operation.label}",
            key="transit:operation",
        )

    @on(OperationDone)
    @when_composed
    def _operation_done(self, message: OperationDone) -> None:
        self.running = False
        request, result = message.request, message.result
        self.show_error(None)
        self.output = model.render_output(request, result)
        self.last_request, self.last_result = request, result
        self.revealed = False
        self._render_output()
        self._add_history(request, result, ok=model.result_ok(result))
        if request.create_if_missing:
            self.load_keys(self.mount_path)  # the key now exists

    @on(OperationFailed)
    @when_composed
    def _operation_failed(self, message: OperationFailed) -> None:
        self.running = False
        request, error = message.request, message.error
        if isinstance(error, UnknownKey) and not request.create_if_missing:
            self.confirm_create(request)
            return
        text = Text(f"{error.title}: ", style="bold")
        text.append_text(safe_text(str(error), multiline=True))
        self.show_error(text)
        self._add_history(request, None, ok=False, summary=error.title)

    # -- output -----------------------------------------------------------------------------
    @property
    def output_pane(self) -> OutputPane:
        return self.query_one("#transit-output-box", OutputPane)

    def _render_output(self) -> None:
        self.output_pane.show(self.output, revealed=self.revealed)

    def action_toggle_reveal(self) -> None:
        self.revealed = not self.revealed
        self._render_output()

    def action_use_output(self) -> None:
        """Chain operations: a ciphertext goes to decrypt, a signature or HMAC to verify."""
        output, last = self.output, self.last_request
        if output is None or last is None or not output.copy_value:
            self.notify("No output to use yet.", severity="warning", markup=False)
            return
        step = model.chain(last, self.last_result, output)
        if step.proof is not None:
            self.query_one("#opt-proof", Input).value = step.proof
        if step.base64 is not None:
            self.form_widget.flag("#transit-b64").value = step.base64
        if step.operation is not None:
            self.set_operation(step.operation)
        if step.text is not None:
            self._set_input(step.text)
        self._focus_input()

    def action_copy_output(self) -> None:
        output = self.output
        if output is None or not output.copy_value:
            self.notify("Nothing to copy yet.", severity="warning", markup=False)
            return
        vault_app(self).copy_secret(output.copy_value, output.copy_label)

    # -- history ----------------------------------------------------------------------------
    def _add_history(self, request: TransitRequest, result: Any, *, ok: bool, summary: str = "") -> None:
        entry = model.history_entry(request, result, ok=ok, when=utcnow(), summary=summary)
        self.query_one(TransitHistory).add_entry(entry)

    @on(TransitHistory.RerunRequested, "#transit-history")
    @when_composed
    def _rerun(self, message: TransitHistory.RerunRequested) -> None:
        entry = message.entry
        if entry.mount != self.mount_path and any(m.path == entry.mount for m in self.mounts):
            self.query_one("#transit-mount", Select).value = entry.mount
        kind = input_kind(entry.operation)
        current = self.input_area.text if input_kind(self.operation) is kind else self.drafts.texts.get(kind, "")
        self.fill_form(model.form_from_history(entry, current))
        self.call_after_refresh(self._run_when_composed)

    @when_composed
    def _run_when_composed(self) -> None:
        self.action_run()

    # -- key management ---------------------------------------------------------------------
    @on(TransitKeyTable.ManageRequested, "#transit-keys")
    @when_composed
    def _manage(self, message: TransitKeyTable.ManageRequested) -> None:
        what = message.what
        key = self.keys_table.current_key
        if what == "export":
            if key is not None:
                self.app.push_screen(ExportKeyScreen(key))
            return
        if self.read_only:
            vault_app(self).explain_refusal(model.ACTION_WORDS.get(what, what))
            return
        if not self.mount_path:
            self.notify("No transit mount selected.", severity="warning", markup=False)
            return
        if what == "create":
            self.app.push_screen(CreateKeyScreen(self.mount_path), self._create_key)
            return
        if key is None:
            self.notify("Highlight a key first.", severity="warning", markup=False)
            return
        if what == "rotate":
            self._key_call("rotating the key", "rotated", Call(transit.rotate_key, key.mount, key.name))
        elif what == "config":
            self.app.push_screen(KeyConfigScreen(key), lambda change: self._configure(key, change))
        elif what == "delete":
            self._confirm_delete(key)

    def _key_call(self, action: str, verb: str, call: Call[TransitKey]) -> None:
        vault_app(self).worker.submit(
            call,
            to=self,
            done=lambda key: self.KeyChanged(key, verb),
            failed=lambda error: self.ManageFailed(action, error),
            action=action,
        )

    @when_composed
    def _create_key(self, spec: NewKeySpec | None) -> None:
        if spec is None:
            return
        call = Call(
            transit.create_key,
            self.mount_path,
            spec.name,
            spec.key_type,
            derived=spec.derived,
            convergent=spec.convergent,
            exportable=spec.exportable,
            auto_rotate_period=spec.auto_rotate_period,
        )
        self._key_call("creating the key", "created", call)

    @when_composed
    def _configure(self, key: TransitKey, change: KeyConfigChange | None) -> None:
        if change is None:
            return
        call = Call(
            transit.update_key_config,
            key.mount,
            key.name,
            min_decryption_version=change.min_decryption_version,
            min_encryption_version=change.min_encryption_version,
            auto_rotate_period=change.auto_rotate_period,
            deletion_allowed=change.deletion_allowed,
        )
        self._key_call("changing the key config", "updated", call)

    def _confirm_delete(self, key: TransitKey) -> None:
        body = (
            f"Delete transit key {visible(key.name)!r} on {visible(key.mount)}?\n\n"
            "Everything encrypted with it can never be decrypted again."
        )
        if not key.deletion_allowed:
            body += "\n\nNote: deletion_allowed is false, so the server will refuse (change it with c first)."

        @when_composed
        def decided(screen: TransitScreen, yes: bool | None) -> None:
            if not yes:
                return
            vault_app(screen).worker.submit(
                Call(transit.delete_key, key.mount, key.name),
                to=screen,
                done=lambda _none: screen.KeyDeleted(key.mount, key.name),
                failed=lambda error: screen.ManageFailed("deleting the key", error),
                action="deleting the key",
            )

        self.app.push_screen(
            ConfirmScreen("Delete transit key?", body, confirm_label="Delete"), lambda yes: decided(self, yes)
        )

    @on(KeyChanged)
    @when_composed
    def _key_changed(self, message: KeyChanged) -> None:
        key = message.key
        if key.mount != self.mount_path:
            return
        self.keys_table.update_key(key)
        self.form_widget.set_key_name(key.name)
        self._show_key(key)
        self.notify(f"Key {visible(key.name)} {message.action} (latest v{key.latest_version}).", markup=False)

    @on(KeyDeleted)
    @when_composed
    def _key_deleted(self, message: KeyDeleted) -> None:
        if message.mount == self.mount_path:
            self.keys_table.remove_key(message.name)
            if self.key_name() == message.name:
                current = self.keys_table.current_key
                self.form_widget.set_key_name(current.name if current else "")
            self._show_key(self.keys_table.current_key)
        self.notify(f"Key {visible(message.name)} deleted.", markup=False)

    @on(ManageFailed)
    @when_composed
    def _manage_failed(self, message: ManageFailed) -> None:
        text = Text(f"{message.error.title} while {message.action}: ", style="bold")
        text.append_text(safe_text(str(message.error), multiline=True))
        self.show_error(text)
        vault_app(self).report_error(message.error, message.action)
