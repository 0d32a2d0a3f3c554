"""The operation form (operation, key, flags, options) and the output pane of the transit view.

Attributes down: the screen calls :meth:`OperationForm.show_for` with the operation and key, reads
:meth:`OperationForm.values` and fills it from history with :meth:`OperationForm.fill`. The
fields' own ``Changed`` messages bubble to the screen, which decides what they mean.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.widgets import Input, Select, Static

from ...safe import mask, safe_text
from ...vault.transit_models import DATAKEY_BITS, HASH_ALGORITHMS, SIGNATURE_ALGORITHMS, Operation, TransitKey
from .model import ALL_OPTIONS, OPERATION_ORDER, FormValues, Output, shown_options
from .widgets import Field, StateCheckbox


def _option(label: str, name: str, widget: Any, classes: str = "") -> Field:
    return Field(label, widget, id=f"field-{name}", classes=classes)


class OperationForm(Vertical):
    """Operation and key on one line, the flags on the next, then the options the operation needs."""

    def compose(self) -> ComposeResult:
        with Horizontal(id="transit-bar"):
            operations = [(op.label, op.value) for op in OPERATION_ORDER]
            select = Select[str](
                operations, value=Operation.ENCRYPT.value, allow_blank=False, id="transit-op", compact=True
            )
            yield Field("operation", select, id="field-op")
            yield Field("key", Input(placeholder="key name", id="transit-key", compact=True), id="field-key")
        with Horizontal(id="transit-flags"):
            yield StateCheckbox("batch", id="transit-batch", compact=True, tooltip="one item per line (ctrl+b)")
            yield StateCheckbox("base64", id="transit-b64", compact=True, tooltip="the input is base64, not text")
            yield StateCheckbox("prehashed", id="opt-prehashed", compact=True)
        with Grid(id="transit-options"):
            yield _option("context", "context", Input(placeholder="for a derived key", id="opt-context", compact=True))
            yield _option(
                "version", "version", Input(placeholder="latest", id="opt-version", type="integer", compact=True)
            )
            hashes = [(a, a) for a in HASH_ALGORITHMS]
            yield _option(
                "hash", "hash", Select(hashes, value="sha2-256", allow_blank=False, id="opt-hash", compact=True)
            )
            sigalgs = [(a, a) for a in SIGNATURE_ALGORITHMS]
            yield _option("RSA sig.", "sigalg", Select(sigalgs, prompt="default", id="opt-sigalg", compact=True))
            bits = [(str(b), b) for b in DATAKEY_BITS]
            yield _option("bits", "bits", Select(bits, value=256, allow_blank=False, id="opt-bits", compact=True))
            kinds = [("+ plaintext", "plaintext"), ("wrapped only", "wrapped")]
            yield _option(
                "data key", "dkkind", Select(kinds, value="plaintext", allow_blank=False, id="opt-dkkind", compact=True)
            )
            formats = [("base64", "base64"), ("hex", "hex")]
            yield _option(
                "format", "format", Select(formats, value="base64", allow_blank=False, id="opt-format", compact=True)
            )
            yield _option("bytes", "count", Input("32", placeholder="32", id="opt-count", type="integer", compact=True))
            proof = Input(placeholder="vault:v1:…", id="opt-proof", compact=True)
            yield _option("to verify", "proof", proof, "-span")

    @property
    def operation(self) -> Operation:
        value = self.query_one("#transit-op", Select).value
        try:
            return Operation(value)
        except ValueError:
            return Operation.ENCRYPT

    def select_operation(self, operation: Operation) -> None:
        select = self.query_one("#transit-op", Select)
        if select.value != operation.value:
            select.value = operation.value

    def key_name(self) -> str:
        return self.query_one("#transit-key", Input).value.strip()

    def set_key_name(self, name: str) -> None:
        field = self.query_one("#transit-key", Input)
        if field.value != name:
            field.value = name

    def flag(self, selector: str) -> StateCheckbox:
        return self.query_one(selector, StateCheckbox)

    def show_for(self, op: Operation, key: TransitKey | None) -> None:
        """Show the fields ``op`` needs with ``key``; grey out the flags it does not take."""
        shown = shown_options(op, key)
        for name in ALL_OPTIONS:
            if name != "prehashed":
                self.query_one(f"#field-{name}").display = name in shown
        self.query_one("#opt-prehashed").display = "prehashed" in shown
        self.query_one("#transit-options").display = bool(shown - {"prehashed"})
        self.flag("#transit-batch").disabled = not op.batchable
        self.flag("#transit-b64").disabled = not op.takes_plaintext
        self.query_one("#transit-key", Input).disabled = not op.needs_key

    def values(self, text: str) -> FormValues:
        """What the fields hold; ``text`` is the input box's."""
        q = self.query_one
        sigalg = q("#opt-sigalg", Select).value
        bits = q("#opt-bits", Select).value
        return FormValues(
            operation=self.operation,
            key=self.key_name(),
            text=text,
            batch=self.flag("#transit-batch").value,
            base64=self.flag("#transit-b64").value,
            context=q("#opt-context", Input).value,
            version=q("#opt-version", Input).value,
            algorithm=str(q("#opt-hash", Select).value),
            signature_algorithm=sigalg if isinstance(sigalg, str) else "",
            prehashed=self.flag("#opt-prehashed").value,
            proof=q("#opt-proof", Input).value,
            bits=bits if isinstance(bits, int) else 256,
            datakey_kind=str(q("#opt-dkkind", Select).value),
            output_format=str(q("#opt-format", Select).value),
            count=q("#opt-count", Input).value,
        )

    def fill(self, form: FormValues) -> None:
        """Set every field but the operation and the input from ``form`` (a re-run)."""
        q = self.query_one
        self.set_key_name(form.key)
        self.flag("#transit-batch").value = form.batch
        self.flag("#transit-b64").value = form.base64
        q("#opt-context", Input).value = form.context
        q("#opt-version", Input).value = form.version
        q("#opt-hash", Select).value = form.algorithm
        if form.signature_algorithm:
            q("#opt-sigalg", Select).value = form.signature_algorithm
        else:
            q("#opt-sigalg", Select).clear()
        self.flag("#opt-prehashed").value = form.prehashed
        q("#opt-proof", Input).value = form.proof
        q("#opt-bits", Select).value = form.bits
        q("#opt-dkkind", Select).value = form.datakey_kind
        q("#opt-format", Select).value = form.output_format
        q("#opt-count", Input).value = form.count


class OutputPane(VerticalScroll):
    """The last result: secret parts masked until revealed, a verdict first for verify."""

    def compose(self) -> ComposeResult:
        yield Static(Text("Run an operation with ctrl+r.", style="dim"), id="transit-output", markup=False)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.border_title = "Output"

    def running(self, label: str) -> None:
        self.border_title = f"Output — running {label}…"

    def idle(self) -> None:
        self.border_title = "Output"

    def show(self, output: Output | None, *, revealed: bool) -> None:
        target = self.query_one("#transit-output", Static)
        self.idle()
        self.border_subtitle = ""
        if output is None:
            target.update(Text(""))
            return
        if output.has_secret:
            self.border_subtitle = "shown: f2 hides" if revealed else "hidden: f2 reveals"
        text = Text(end="")
        if output.verdict is not None:
            verdict = output.verdict
            if verdict.valid:
                text.append(f"✔ {verdict.message}\n", style="bold green")
            else:
                text.append(f"✘ {verdict.message}\n", style="bold reverse red")
        for line_label, value, secret in output.lines:
            if line_label:
                text.append(f"{line_label}: ", style="dim")
            if secret and not revealed:
                text.append(mask(value), style="yellow")
            else:
                text.append_text(safe_text(value, multiline=True, limit=20000))
            text.append("\n")
        text.rstrip()
        target.update(text)
