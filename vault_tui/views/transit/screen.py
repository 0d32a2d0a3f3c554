"""The transit playground: keys on the left, an operation with its input and output on the right.

Every call goes through ``app.worker.submit``; results come back as this screen's messages.
Server text (key names, errors, ciphertexts, decrypted plaintext) is always shown as plain text.
The history keeps operation, key and version, never plaintext.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Checkbox, Input, Select, Static, TextArea

from ...context import vault_app
from ...safe import mask, safe_text, visible
from ...timefmt import utcnow
from ...vault import transit
from ...vault.errors import VaultError
from ...vault.models import Mount
from ...vault.transit import TransitRequest, UnknownKey
from ...vault.transit_models import (
    DATAKEY_BITS,
    HASH_ALGORITHMS,
    SIGNATURE_ALGORITHMS,
    BatchResult,
    DataKeyResult,
    DecryptResult,
    EncryptResult,
    HashResult,
    HistoryEntry,
    HmacResult,
    Operation,
    RandomResult,
    RewrapResult,
    SignResult,
    TransitKey,
    VerifyResult,
)
from ...widgets.footer import KeysFooter
from ...widgets.session_bar import SessionBar
from ...worker import Call
from .forms import CreateKeyScreen, KeyConfigChange, KeyConfigScreen, NewKeySpec
from .history import TransitHistory
from .keys import TransitKeyTable, key_details

# Which option widgets each operation shows (ids without the "opt-" prefix).
OPTIONS: dict[Operation, frozenset[str]] = {
    Operation.ENCRYPT: frozenset({"context", "version"}),
    Operation.DECRYPT: frozenset({"context"}),
    Operation.REWRAP: frozenset({"context", "version"}),
    Operation.DATAKEY: frozenset({"context", "bits", "dkkind"}),
    Operation.HMAC: frozenset({"hash", "version"}),
    Operation.VERIFY_HMAC: frozenset({"hash", "proof"}),
    Operation.SIGN: frozenset({"hash", "sigalg", "prehashed", "version", "context"}),
    Operation.VERIFY: frozenset({"hash", "sigalg", "prehashed", "proof", "context"}),
    Operation.HASH: frozenset({"hash", "format"}),
    Operation.RANDOM: frozenset({"count", "format"}),
}
ALL_OPTIONS = ("context", "version", "hash", "sigalg", "prehashed", "bits", "dkkind", "format", "count", "proof")

INPUT_HINTS: dict[Operation, str] = {
    Operation.ENCRYPT: "Plaintext to encrypt",
    Operation.DECRYPT: "Ciphertext to decrypt (vault:vN:…)",
    Operation.REWRAP: "Ciphertext to rewrap to the latest key version",
    Operation.DATAKEY: "No input: generates a new data key",
    Operation.HMAC: "Input to HMAC",
    Operation.VERIFY_HMAC: "Input whose HMAC to verify",
    Operation.SIGN: "Input to sign",
    Operation.VERIFY: "Input whose signature to verify",
    Operation.HASH: "Input to hash",
    Operation.RANDOM: "No input: returns random bytes",
}
OPERATION_ORDER = tuple(Operation)


@dataclass(frozen=True)
class Output:
    """What the output pane shows. ``secret`` parts are masked until revealed."""

    lines: tuple[tuple[str, str, bool], ...]  # (label, value, secret)
    copy_value: str = ""
    copy_label: str = "output"
    verdict: VerifyResult | None = None


class TransitScreen(Screen[None]):
    VIEW_TITLE = "Transit playground"
    CSS_PATH = "transit.tcss"
    BINDINGS = [
        Binding("ctrl+r", "run", "Run", id="transit.run"),
        Binding("ctrl+n", "next_operation", "Next op", id="transit.next_op"),
        Binding("ctrl+b", "toggle_batch", "Batch", id="transit.batch"),
        Binding("ctrl+g", "copy_output", "Copy output", id="transit.copy"),
        Binding("f2", "toggle_reveal", "Reveal", id="transit.reveal"),
        Binding("f4", "use_output", "Output→input", id="transit.use_output"),
        Binding("f5", "reload", "Reload keys", show=False, id="transit.reload"),
        Binding("escape", "focus_keys", "Keys", show=False, id="transit.focus_keys"),
    ]

    # -- messages ---------------------------------------------------------------------------
    class MountsFound(Message):
        def __init__(self, mounts: tuple[Mount, ...]) -> None:
            super().__init__()
            self.mounts = mounts

    class KeysLoaded(Message):
        def __init__(self, mount: str, keys: tuple[TransitKey, ...]) -> None:
            super().__init__()
            self.mount = mount
            self.keys = keys

    class KeysFailed(Message):
        def __init__(self, mount: str, error: VaultError) -> None:
            super().__init__()
            self.mount = mount
            self.error = error

    class KeyChanged(Message):
        def __init__(self, key: TransitKey, action: str) -> None:
            super().__init__()
            self.key = key
            self.action = action

    class KeyDeleted(Message):
        def __init__(self, mount: str, name: str) -> None:
            super().__init__()
            self.mount = mount
            self.name = name

    class ManageFailed(Message):
        def __init__(self, action: str, error: VaultError) -> None:
            super().__init__()
            self.action = action
            self.error = error

    class OperationDone(Message):
        def __init__(self, request: TransitRequest, result: Any) -> None:
            super().__init__()
            self.request = request
            self.result = result

    class OperationFailed(Message):
        def __init__(self, request: TransitRequest, error: VaultError) -> None:
            super().__init__()
            self.request = request
            self.error = error

    def __init__(self) -> None:
        super().__init__()
        self.mounts: tuple[Mount, ...] = ()
        self.mount_path: str = ""
        self.output: Output | None = None
        self.last_request: TransitRequest | None = None
        self.last_result: Any = None
        self.revealed = False
        self.running = False

    # -- layout -----------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield SessionBar()
        with Horizontal(id="transit-body"):
            with Vertical(id="transit-left"):
                yield Select[str]([], prompt="transit mount", id="transit-mount", allow_blank=True)
                yield TransitKeyTable(id="transit-keys")
                with VerticalScroll(id="transit-details-box"):
                    yield Static(key_details(None), id="transit-details", markup=False)
            with Vertical(id="transit-work"):
                with Horizontal(id="transit-bar"):
                    yield Select[str](
                        [(op.label, op.value) for op in OPERATION_ORDER],
                        value=Operation.ENCRYPT.value,
                        allow_blank=False,
                        id="transit-op",
                    )
                    yield Input(placeholder="key name", id="transit-key")
                    yield Checkbox("batch", id="transit-batch")
                    yield Checkbox("base64", id="transit-b64", tooltip="the input is base64 (else text)")
                with Grid(id="transit-options"):
                    yield Input(placeholder="context (derived keys)", id="opt-context")
                    yield Input(placeholder="key version (latest)", id="opt-version", type="integer")
                    yield Select[str]([(a, a) for a in HASH_ALGORITHMS], value="sha2-256", allow_blank=False, id="opt-hash")
                    yield Select[str](
                        [(f"{a} (RSA)", a) for a in SIGNATURE_ALGORITHMS], prompt="RSA signature algorithm", id="opt-sigalg"
                    )
                    yield Checkbox("prehashed", id="opt-prehashed")
                    yield Select[int]([(f"{b} bits", b) for b in DATAKEY_BITS], value=256, allow_blank=False, id="opt-bits")
                    yield Select[str](
                        [("plaintext + wrapped", "plaintext"), ("wrapped only", "wrapped")],
                        value="plaintext",
                        allow_blank=False,
                        id="opt-dkkind",
                    )
                    yield Select[str]([("base64", "base64"), ("hex", "hex")], value="base64", allow_blank=False, id="opt-format")
                    yield Input("32", placeholder="number of bytes", id="opt-count", type="integer")
                    yield Input(placeholder="signature / HMAC to verify (vault:vN:…)", id="opt-proof")
                yield Static("", id="transit-input-label", markup=False)
                yield TextArea(id="transit-input", soft_wrap=True, show_line_numbers=False, tab_behavior="focus")
                yield Static("", id="transit-error", markup=False)
                yield Static("Output", id="transit-output-label", markup=False)
                with VerticalScroll(id="transit-output-box"):
                    yield Static(Text("Run an operation with ctrl+r.", style="dim"), id="transit-output", markup=False)
                yield Static("History (enter re-runs)", id="transit-history-label", markup=False)
                yield TransitHistory(id="transit-history")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#transit-keys").border_title = "Keys (read-only)" if self.read_only else "Keys"
        self.query_one("#transit-details-box").border_title = "Details"
        self.query_one("#transit-error", Static).display = False
        for selector, title in (
            ("#transit-key", "key"),
            ("#opt-context", "context"),
            ("#opt-version", "key version"),
            ("#opt-proof", "to verify"),
            ("#opt-count", "bytes"),
            ("#opt-hash", "hash"),
            ("#opt-bits", "bits"),
            ("#opt-format", "output format"),
        ):
            self.query_one(selector).border_title = title
        self._apply_operation()
        self.reload()

    # -- helpers ----------------------------------------------------------------------------
    @property
    def read_only(self) -> bool:
        return vault_app(self).session.read_only

    @property
    def operation(self) -> Operation:
        value = self.query_one("#transit-op", Select).value
        try:
            return Operation(value)
        except ValueError:
            return Operation.ENCRYPT

    def set_operation(self, operation: Operation) -> None:
        self.query_one("#transit-op", Select).value = operation.value
        self._apply_operation(operation)

    @property
    def keys_table(self) -> TransitKeyTable:
        return self.query_one("#transit-keys", TransitKeyTable)

    def key_name(self) -> str:
        return self.query_one("#transit-key", Input).value.strip()

    def selected_key(self) -> TransitKey | None:
        return self.keys_table.keys_by_name.get(self.key_name())

    def show_error(self, text: str | Text | None) -> None:
        error = self.query_one("#transit-error", Static)
        if not text:
            error.update("")
            error.display = False
            return
        error.update(text if isinstance(text, Text) else safe_text(text, multiline=True))
        error.display = True

    def _apply_operation(self, operation: Operation | None = None) -> None:
        op = operation or self.operation
        key = self.selected_key()
        shown = set(OPTIONS[op])
        if "context" in shown and key is not None and not key.derived:
            shown.discard("context")
        if "sigalg" in shown and key is not None and not key.type.startswith("rsa"):
            shown.discard("sigalg")
        if op in (Operation.SIGN, Operation.VERIFY) and key is not None and key.type == "ed25519":
            shown -= {"prehashed", "hash"}  # ed25519 hashes internally
        for name in ALL_OPTIONS:
            self.query_one(f"#opt-{name}").display = name in shown
        self.query_one("#transit-options").display = bool(shown)
        self.query_one("#transit-batch", Checkbox).disabled = not op.batchable
        self.query_one("#transit-b64", Checkbox).disabled = not op.takes_plaintext
        self.query_one("#transit-key", Input).disabled = not op.needs_key
        has_input = op not in (Operation.DATAKEY, Operation.RANDOM)
        self.query_one("#transit-input", TextArea).display = has_input
        hint = INPUT_HINTS[op]
        if has_input and op.batchable and self.query_one("#transit-batch", Checkbox).value:
            hint += " — batch: one item per line"
        if op.takes_plaintext:
            hint += " (base64)" if self.query_one("#transit-b64", Checkbox).value else " (text)"
        problem = incompatibility(op, key)
        if problem:
            hint += f"  ⚠ {problem}"
        self.query_one("#transit-input-label", Static).update(Text(hint, style="bold"))
        self.query_one("#transit-work").border_title = op.label

    # -- mounts and keys --------------------------------------------------------------------
    def reload(self) -> None:
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
    def _mounts_found(self, message: MountsFound) -> None:
        self.mounts = message.mounts
        select = self.query_one("#transit-mount", Select)
        options = [(safe_text(m.path), m.path) for m in message.mounts]
        select.set_options(options)
        if not message.mounts:
            self.keys_table.loading = False
            self.query_one("#transit-details", Static).update(
                Text("No transit mount is visible to this token. Enable one with: bao secrets enable transit", style="dim")
            )
            return
        paths = [m.path for m in message.mounts]
        mount = self.mount_path if self.mount_path in paths else paths[0]
        if select.value != mount:
            select.value = mount  # triggers Select.Changed -> load keys
        else:
            self.load_keys(mount)

    @on(Select.Changed, "#transit-mount")
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
    def _keys_loaded(self, message: KeysLoaded) -> None:
        table = self.keys_table
        table.loading = False
        if message.mount != self.mount_path:
            return
        table.set_keys(message.keys)
        if not self.key_name() and message.keys:
            self.query_one("#transit-key", Input).value = message.keys[0].name
        self._show_key(self.selected_key() or table.current_key)
        if message.keys and not isinstance(self.focused, (Input, TextArea)):
            table.focus()
        if not message.keys:
            self.query_one("#transit-details", Static).update(
                Text("No keys on this mount yet. Press n (with the key list focused) to create one.", style="dim")
            )

    @on(KeysFailed)
    def _keys_failed(self, message: KeysFailed) -> None:
        self.keys_table.loading = False
        what = "finding transit mounts" if not message.mount else f"listing keys of {message.mount}"
        text = Text(f"{message.error.title} while {what}: ", style="bold red")
        text.append_text(safe_text(str(message.error), multiline=True))
        text.append("\nYou can still type a key name on the right.", style="dim")
        self.query_one("#transit-details", Static).update(text)

    @on(TransitKeyTable.RowHighlighted, "#transit-keys")
    def _row_highlighted(self, event: TransitKeyTable.RowHighlighted) -> None:
        key = self.keys_table.keys_by_name.get(str(event.row_key.value))
        if key is None:
            return
        key_input = self.query_one("#transit-key", Input)
        if key_input.value != key.name:
            key_input.value = key.name
        self._show_key(key)

    @on(TransitKeyTable.RowSelected, "#transit-keys")
    def _row_selected(self, event: TransitKeyTable.RowSelected) -> None:
        self._focus_input()

    @on(Input.Changed, "#transit-key")
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
        text_area = self.query_one("#transit-input", TextArea)
        if text_area.display:
            text_area.focus()
        else:
            self.query_one("#transit-op", Select).focus()

    # -- operation selection ----------------------------------------------------------------
    @on(Select.Changed, "#transit-op")
    def _op_changed(self, event: Select.Changed) -> None:
        self._apply_operation()
        self.show_error(None)

    @on(Checkbox.Changed, "#transit-batch")
    @on(Checkbox.Changed, "#transit-b64")
    def _checkbox_changed(self, event: Checkbox.Changed) -> None:
        self._apply_operation()

    def action_next_operation(self) -> None:
        index = OPERATION_ORDER.index(self.operation)
        self.set_operation(OPERATION_ORDER[(index + 1) % len(OPERATION_ORDER)])

    def action_toggle_batch(self) -> None:
        box = self.query_one("#transit-batch", Checkbox)
        if box.disabled:
            self.notify(f"{self.operation.label} has no batch mode.", severity="warning", markup=False)
            return
        box.value = not box.value

    @on(TransitKeyTable.OperationChosen, "#transit-keys")
    def _op_chosen(self, message: TransitKeyTable.OperationChosen) -> None:
        self.set_operation(Operation(message.operation))
        self._focus_input()

    # -- running ----------------------------------------------------------------------------
    def build_request(self) -> TransitRequest:
        """The request described by the form. Raises ValueError with a user-facing reason."""
        op = self.operation
        q = self.query_one

        def int_or_none(selector: str, label: str) -> int | None:
            text = q(selector, Input).value.strip()
            if not text:
                return None
            try:
                return int(text)
            except ValueError:
                raise ValueError(f"{label} must be a whole number") from None

        key = self.key_name() if op.needs_key else ""
        if op.needs_key and not key:
            raise ValueError("Choose a key in the list (or type its name) first.")
        shown = {name for name in ALL_OPTIONS if q(f"#opt-{name}").display}
        text = q("#transit-input", TextArea).text if q("#transit-input", TextArea).display else ""
        batch = op.batchable and q("#transit-batch", Checkbox).value
        if op not in (Operation.DATAKEY, Operation.RANDOM) and not text.strip() and op is not Operation.HASH:
            if op.takes_plaintext and not batch:
                pass  # empty plaintext is allowed (encrypt/sign "")
            else:
                raise ValueError("The input is empty." + (" Put one item per line." if batch else ""))
        sigalg = q("#opt-sigalg", Select).value
        proof = q("#opt-proof", Input).value.strip() if "proof" in shown else ""
        if op in (Operation.VERIFY, Operation.VERIFY_HMAC) and not proof:
            raise ValueError("Paste the signature or HMAC to verify into its field.")
        count = int_or_none("#opt-count", "the number of bytes") or 32
        return TransitRequest(
            operation=op,
            mount=self.mount_path,
            key=key,
            input=text,
            input_is_base64=op.takes_plaintext and q("#transit-b64", Checkbox).value,
            context=q("#opt-context", Input).value if "context" in shown else "",
            key_version=int_or_none("#opt-version", "the key version") if "version" in shown else None,
            algorithm=str(q("#opt-hash", Select).value) if "hash" in shown else "sha2-256",
            signature_algorithm=str(sigalg) if "sigalg" in shown and isinstance(sigalg, str) else "",
            prehashed="prehashed" in shown and q("#opt-prehashed", Checkbox).value,
            proof=proof,
            bits=int(q("#opt-bits", Select).value or 256),  # type: ignore[arg-type]
            datakey_kind=str(q("#opt-dkkind", Select).value),
            output_format=str(q("#opt-format", Select).value),
            count=count,
            batch=batch,
        )

    def action_run(self) -> None:
        if not self.mount_path:
            self.show_error("No transit mount selected.")
            return
        try:
            request = self.build_request()
        except ValueError as error:
            self.show_error(str(error))
            return
        if request.operation is Operation.ENCRYPT and request.key not in self.keys_table.keys_by_name:
            self.confirm_create(request)
            return
        self.submit(request)

    def confirm_create(self, request: TransitRequest) -> None:
        """Encrypting with a key that is not listed would create it: ask first."""
        if self.read_only:
            self.show_error(
                Text(visible(f"Key {request.key!r} is not listed on {request.mount}: encrypting would create it, "
                             "and --read-only allows no writes."))
            )
            return
        from ...screens.modals import ConfirmScreen

        body = (
            f"There is no listed key {visible(request.key)!r} on {visible(request.mount)}.\n\n"
            "Transit's encrypt creates a missing key (type aes256-gcm96) when your token may. "
            "A typo here would silently make a new key.\n\nCreate it and encrypt?"
        )

        def decided(yes: bool | None) -> None:
            if yes:
                self.submit(request.with_create())
            else:
                self.show_error("Not encrypted: the key does not exist. Pick a key from the list.")

        self.app.push_screen(ConfirmScreen("Create a new key?", body, confirm_label="Create and encrypt", danger=False), decided)

    def submit(self, request: TransitRequest) -> None:
        self.running = True
        self.show_error(None)
        self.query_one("#transit-output-label", Static).update(Text(f"Output — running {request.operation.label}…", style="dim"))
        vault_app(self).worker.submit(
            Call(transit.run, request),
            to=self,
            done=lambda result: self.OperationDone(request, result),
            failed=lambda error: self.OperationFailed(request, error),
            action=f"transit {request.operation.label}",
            key="transit:operation",
        )

    @on(OperationDone)
    def _operation_done(self, message: OperationDone) -> None:
        self.running = False
        request, result = message.request, message.result
        self.show_error(None)
        self.output = render_output(request, result)
        self.last_request, self.last_result = request, result
        self.revealed = False
        self._render_output()
        self.add_history(request, result, ok=not (isinstance(result, BatchResult) and result.failed))
        if request.create_if_missing:
            self.load_keys(self.mount_path)  # the key now exists

    @on(OperationFailed)
    def _operation_failed(self, message: OperationFailed) -> None:
        self.running = False
        request, error = message.request, message.error
        self.query_one("#transit-output-label", Static).update(Text("Output", style="dim"))
        if isinstance(error, UnknownKey) and not request.create_if_missing:
            self.confirm_create(request)
            return
        text = Text(f"{error.title}: ", style="bold")
        text.append_text(safe_text(str(error), multiline=True))
        self.show_error(text)
        self.add_history(request, None, ok=False, summary=error.title)

    # -- output -----------------------------------------------------------------------------
    def _render_output(self) -> None:
        output = self.output
        label = self.query_one("#transit-output-label", Static)
        target = self.query_one("#transit-output", Static)
        if output is None:
            label.update(Text("Output", style="dim"))
            target.update(Text(""))
            return
        has_secret = any(secret for _l, _v, secret in output.lines)
        head = Text("Output", style="bold")
        if has_secret:
            head.append("  (plaintext hidden: f2 reveals)" if not self.revealed else "  (plaintext shown: f2 hides)", style="dim")
        label.update(head)
        text = Text(end="")
        if output.verdict is not None:
            verdict = output.verdict
            if verdict.valid:
                text.append(f"✔ {verdict.message}\n", style="bold green")
            else:
                text.append(f"✘ {verdict.message}\n", style="bold white on red")
        for line_label, value, secret in output.lines:
            if line_label:
                text.append(f"{line_label}: ", style="dim")
            if secret and not self.revealed:
                text.append(mask(value), style="yellow")
            else:
                text.append_text(safe_text(value, multiline=True, limit=20000))
            text.append("\n")
        text.rstrip()
        target.update(text)

    def action_toggle_reveal(self) -> None:
        self.revealed = not self.revealed
        self._render_output()

    def action_use_output(self) -> None:
        """Chain operations: a ciphertext goes to decrypt, a signature or HMAC to verify."""
        output, last = self.output, self.last_request
        if output is None or last is None or not output.copy_value:
            self.notify("No output to use yet.", severity="warning", markup=False)
            return
        op = last.operation
        text_area = self.query_one("#transit-input", TextArea)
        if op in (Operation.SIGN, Operation.HMAC) and not last.batch:
            self.query_one("#opt-proof", Input).value = output.copy_value
            self.set_operation(Operation.VERIFY if op is Operation.SIGN else Operation.VERIFY_HMAC)
            # the signed input is still in the box (plaintext is never stored elsewhere)
        elif op in (Operation.ENCRYPT, Operation.REWRAP, Operation.DATAKEY):
            value = output.copy_value
            if op is Operation.DATAKEY and isinstance(self.last_result, DataKeyResult):
                value = self.last_result.ciphertext
            text_area.text = value
            self.set_operation(Operation.DECRYPT)
        elif op is Operation.DECRYPT and isinstance(self.last_result, DecryptResult):
            plain = self.last_result.plaintext
            text_area.text = plain.text if plain.is_text else plain.base64
            self.query_one("#transit-b64", Checkbox).value = not plain.is_text
            self.set_operation(Operation.ENCRYPT)
        else:
            text_area.text = output.copy_value
        self._focus_input()

    def action_copy_output(self) -> None:
        output = self.output
        if output is None or not output.copy_value:
            self.notify("Nothing to copy yet.", severity="warning", markup=False)
            return
        vault_app(self).copy_secret(output.copy_value, output.copy_label)

    # -- history ----------------------------------------------------------------------------
    def add_history(self, request: TransitRequest, result: Any, *, ok: bool, summary: str = "") -> None:
        version = getattr(result, "key_version", None) if result is not None else None
        if isinstance(result, RewrapResult):
            version = result.new_version
        if isinstance(result, BatchResult):
            versions = {item.key_version for item in result.items if item.key_version}
            version = versions.pop() if len(versions) == 1 else None
        options = (
            ("context", request.context),
            ("context_is_base64", request.context_is_base64),
            ("key_version", request.key_version),
            ("algorithm", request.algorithm),
            ("signature_algorithm", request.signature_algorithm),
            ("prehashed", request.prehashed),
            ("proof", request.proof),
            ("bits", request.bits),
            ("datakey_kind", request.datakey_kind),
            ("output_format", request.output_format),
            ("count", request.count),
            ("input_is_base64", request.input_is_base64),
        )
        keep_input = not request.operation.takes_plaintext and request.operation in (Operation.DECRYPT, Operation.REWRAP)
        entry = HistoryEntry(
            operation=request.operation,
            mount=request.mount,
            key=request.key,
            key_version=version,
            ok=ok,
            summary=summary or summarize(result),
            when=utcnow(),
            options=options,
            input=request.input if keep_input else None,
            batch=request.batch,
            items=len(result.items) if isinstance(result, BatchResult) else 1,
        )
        self.query_one(TransitHistory).add_entry(entry)

    @on(TransitHistory.RerunRequested, "#transit-history")
    def _rerun(self, message: TransitHistory.RerunRequested) -> None:
        entry = message.entry
        options = dict(entry.options)
        q = self.query_one
        if entry.mount != self.mount_path and any(m.path == entry.mount for m in self.mounts):
            q("#transit-mount", Select).value = entry.mount
        self.set_operation(entry.operation)
        q("#transit-key", Input).value = entry.key
        q("#transit-batch", Checkbox).value = entry.batch
        q("#transit-b64", Checkbox).value = bool(options.get("input_is_base64"))
        q("#opt-context", Input).value = str(options.get("context") or "")
        version = options.get("key_version")
        q("#opt-version", Input).value = str(version) if version else ""
        q("#opt-hash", Select).value = options.get("algorithm") or "sha2-256"
        sigalg = options.get("signature_algorithm")
        if sigalg:
            q("#opt-sigalg", Select).value = sigalg
        else:
            q("#opt-sigalg", Select).clear()
        q("#opt-prehashed", Checkbox).value = bool(options.get("prehashed"))
        q("#opt-proof", Input).value = str(options.get("proof") or "")
        q("#opt-bits", Select).value = options.get("bits") or 256
        q("#opt-dkkind", Select).value = options.get("datakey_kind") or "plaintext"
        q("#opt-format", Select).value = options.get("output_format") or "base64"
        q("#opt-count", Input).value = str(options.get("count") or 32)
        if entry.input is not None:
            q("#transit-input", TextArea).text = entry.input
        # Encrypt and friends re-run on what is in the input box now: plaintext is never kept.
        self.call_after_refresh(self.action_run)

    # -- key management ---------------------------------------------------------------------
    @on(TransitKeyTable.ManageRequested, "#transit-keys")
    def _manage(self, message: TransitKeyTable.ManageRequested) -> None:
        if self.read_only:
            self.notify("Read-only mode: key changes are disabled.", severity="warning", markup=False)
            return
        if not self.mount_path:
            self.notify("No transit mount selected.", severity="warning", markup=False)
            return
        key = self.keys_table.current_key
        what = message.what
        if what == "create":
            self.app.push_screen(CreateKeyScreen(self.mount_path), self._create_key)
            return
        if key is None:
            self.notify("Highlight a key first.", severity="warning", markup=False)
            return
        if what == "rotate":
            self._key_call("rotating the key", "rotated", lambda gw: transit.rotate_key(gw, key.mount, key.name))
        elif what == "config":
            self.app.push_screen(KeyConfigScreen(key), lambda change: self._configure(key, change))
        elif what == "delete":
            self._confirm_delete(key)

    def _key_call(self, action: str, verb: str, fn: Any) -> None:
        vault_app(self).worker.submit(
            Call(fn),
            to=self,
            done=lambda key: self.KeyChanged(key, verb),
            failed=lambda error: self.ManageFailed(action, error),
            action=action,
        )

    def _create_key(self, spec: NewKeySpec | None) -> None:
        if spec is None:
            return
        mount = self.mount_path
        self._key_call(
            "creating the key",
            "created",
            lambda gw: transit.create_key(
                gw,
                mount,
                spec.name,
                spec.key_type,
                derived=spec.derived,
                convergent=spec.convergent,
                exportable=spec.exportable,
                auto_rotate_period=spec.auto_rotate_period,
            ),
        )

    def _configure(self, key: TransitKey, change: KeyConfigChange | None) -> None:
        if change is None:
            return
        self._key_call(
            "changing the key config",
            "updated",
            lambda gw: transit.update_key_config(
                gw,
                key.mount,
                key.name,
                min_decryption_version=change.min_decryption_version,
                min_encryption_version=change.min_encryption_version,
                auto_rotate_period=change.auto_rotate_period,
                deletion_allowed=change.deletion_allowed,
            ),
        )

    def _confirm_delete(self, key: TransitKey) -> None:
        from ...screens.modals import ConfirmScreen

        body = f"Delete transit key {visible(key.name)!r} on {visible(key.mount)}?\n\n" "Everything encrypted with it can never be decrypted again."
        if not key.deletion_allowed:
            body += "\n\nNote: deletion_allowed is false, so the server will refuse (change it with c first)."

        def decided(yes: bool | None) -> None:
            if not yes:
                return
            vault_app(self).worker.submit(
                Call(transit.delete_key, key.mount, key.name),
                to=self,
                done=lambda _none: self.KeyDeleted(key.mount, key.name),
                failed=lambda error: self.ManageFailed("deleting the key", error),
                action="deleting the key",
            )

        self.app.push_screen(ConfirmScreen("Delete transit key?", body, confirm_label="Delete"), decided)

    @on(KeyChanged)
    def _key_changed(self, message: KeyChanged) -> None:
        key = message.key
        if key.mount != self.mount_path:
            return
        self.keys_table.update_key(key)
        self.query_one("#transit-key", Input).value = key.name
        self._show_key(key)
        self.notify(f"Key {visible(key.name)} {message.action} (latest v{key.latest_version}).", markup=False)

    @on(KeyDeleted)
    def _key_deleted(self, message: KeyDeleted) -> None:
        if message.mount == self.mount_path:
            self.keys_table.remove_key(message.name)
            if self.key_name() == message.name:
                current = self.keys_table.current_key
                self.query_one("#transit-key", Input).value = current.name if current else ""
            self._show_key(self.keys_table.current_key)
        self.notify(f"Key {visible(message.name)} deleted.", markup=False)

    @on(ManageFailed)
    def _manage_failed(self, message: ManageFailed) -> None:
        text = Text(f"{message.error.title} while {message.action}: ", style="bold")
        text.append_text(safe_text(str(message.error), multiline=True))
        self.show_error(text)
        vault_app(self).report_error(message.error, message.action)


# -- pure rendering helpers (tested without a server) ---------------------------------------


def render_output(request: TransitRequest, result: Any) -> Output:
    if isinstance(result, BatchResult):
        lines = []
        for item in result.items:
            if item.ok:
                lines.append((f"{item.index + 1}", item.output, result.operation is Operation.DECRYPT))
            else:
                lines.append((f"{item.index + 1}", f"✘ error: {item.error}", False))
        head = f"{len(result.items)} items, {result.failed} failed"
        copy = "\n".join(item.output if item.ok else "" for item in result.items)
        return Output(((head, "", False), *lines), copy, f"{result.operation.label} batch output")
    if isinstance(result, EncryptResult):
        return Output((("ciphertext", result.ciphertext, False), ("key version", f"v{result.key_version}", False)), result.ciphertext, "ciphertext")
    if isinstance(result, DecryptResult):
        plain = result.plaintext
        if plain.is_text:
            lines: tuple[tuple[str, str, bool], ...] = (("plaintext", plain.text or "", True),)
            copy = plain.text or ""
        else:
            lines = (
                ("plaintext", f"not UTF-8 ({len(plain.raw)} bytes): shown as base64 and hex", False),
                ("base64", plain.base64, True),
                ("hex", plain.hex, True),
            )
            copy = plain.base64
        version = (("key version", f"v{result.key_version}", False),) if result.key_version else ()
        return Output(lines + version, copy, "plaintext")
    if isinstance(result, RewrapResult):
        return Output(
            (("rewrapped", f"v{result.old_version} → v{result.new_version}", False), ("ciphertext", result.ciphertext, False)),
            result.ciphertext,
            "ciphertext",
        )
    if isinstance(result, DataKeyResult):
        lines = [("bits", str(result.bits), False), ("key version", f"v{result.key_version}", False)]
        if result.plaintext is not None:
            lines.append(("plaintext (base64)", result.plaintext.base64, True))
        lines.append(("wrapped", result.ciphertext, False))
        copy = result.plaintext.base64 if result.plaintext is not None else result.ciphertext
        return Output(tuple(lines), copy, "data key")
    if isinstance(result, HmacResult):
        return Output((("hmac", result.hmac, False),), result.hmac, "HMAC")
    if isinstance(result, SignResult):
        return Output((("signature", result.signature, False), ("key version", f"v{result.key_version}", False)), result.signature, "signature")
    if isinstance(result, VerifyResult):
        return Output((), "", "", verdict=result)
    if isinstance(result, HashResult):
        return Output((("sum", result.sum, False), ("algorithm", f"{result.algorithm} ({result.format})", False)), result.sum, "hash")
    if isinstance(result, RandomResult):
        return Output(((f"{result.bytes} random bytes ({result.format})", result.value, True),), result.value, "random bytes")
    return Output((("result", str(result), False),), "", "")


def incompatibility(op: Operation, key: TransitKey | None) -> str:
    """Why ``key`` cannot do ``op`` (from its supports_* flags), or "" if it can or is unknown."""
    if key is None or not op.needs_key:
        return ""
    if op in (Operation.ENCRYPT, Operation.REWRAP, Operation.DATAKEY) and not key.supports_encryption:
        return f"a {key.type} key cannot encrypt"
    if op is Operation.DECRYPT and not (key.supports_decryption or key.supports_encryption):
        return f"a {key.type} key cannot decrypt"
    if op in (Operation.SIGN, Operation.VERIFY) and not key.supports_signing:
        return f"a {key.type} key cannot sign"
    return ""


def summarize(result: Any) -> str:
    if isinstance(result, BatchResult):
        return f"{len(result.items)} items, {result.failed} failed"
    if isinstance(result, EncryptResult):
        return "encrypted"
    if isinstance(result, DecryptResult):
        return "decrypted" if result.plaintext.is_text else f"decrypted (binary, {len(result.plaintext.raw)} bytes)"
    if isinstance(result, RewrapResult):
        return f"v{result.old_version} → v{result.new_version}"
    if isinstance(result, DataKeyResult):
        return f"{result.bits}-bit data key"
    if isinstance(result, HmacResult):
        return "hmac"
    if isinstance(result, SignResult):
        return "signed"
    if isinstance(result, VerifyResult):
        return result.message
    if isinstance(result, HashResult):
        return result.algorithm
    if isinstance(result, RandomResult):
        return f"{result.bytes} bytes"
    return "done"
