"""The transit playground's view-model: everything that is not widget code. Textual-free.

* which options each operation shows, and the input box's hint;
* :class:`FormValues` (what the form's fields hold) → :func:`build_request` (a
  :class:`~vault_tui.vault.transit.TransitRequest`, or a ``ValueError`` saying what is missing);
* :func:`render_output` (what the output pane shows, secret parts marked), :func:`summarize`;
* :func:`history_entry` (never plaintext) and :func:`form_from_history` for a re-run;
* :func:`chain` (f4: the output becomes the next operation's input);
* :class:`InputDrafts`: plaintext and ciphertext each have their own input, so switching
  operation never mixes them;
* :func:`refusal` (why a key press did nothing) and the export view (:func:`export_lines`,
  :func:`export_copy`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from ...vault.transit import TransitRequest
from ...vault.transit_models import (
    BatchResult,
    DataKeyResult,
    DecryptResult,
    EncryptResult,
    ExportedKey,
    HashResult,
    HistoryEntry,
    HmacResult,
    Operation,
    RandomResult,
    RewrapResult,
    SignResult,
    TransitKey,
    VerifyResult,
    export_types,
)

# Which option fields each operation shows (ids without the "opt-" prefix).
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
    Operation.REWRAP: "Ciphertext to rewrap (vault:vN:…)",
    Operation.DATAKEY: "No input: generates a new data key",
    Operation.HMAC: "Input to HMAC",
    Operation.VERIFY_HMAC: "Input whose HMAC to verify",
    Operation.SIGN: "Message to sign",
    Operation.VERIFY: "Signed message to verify",
    Operation.HASH: "Input to hash",
    Operation.RANDOM: "No input: returns random bytes",
}
OPERATION_ORDER: tuple[Operation, ...] = tuple(Operation)

# What each key-list shortcut is called when it has to say why it did nothing.
ACTION_WORDS: dict[str, str] = {
    "create": "New key",
    "rotate": "Rotate",
    "config": "Config",
    "delete": "Delete",
    "export": "Export",
}


# -- the input boxes --------------------------------------------------------------------------


class InputKind(Enum):
    """What an operation reads: plaintext (text or base64), a ciphertext, or nothing."""

    PLAINTEXT = "plaintext"
    CIPHERTEXT = "ciphertext"
    NONE = "none"


def input_kind(op: Operation) -> InputKind:
    if op in (Operation.DATAKEY, Operation.RANDOM):
        return InputKind.NONE
    if op in (Operation.DECRYPT, Operation.REWRAP):
        return InputKind.CIPHERTEXT
    return InputKind.PLAINTEXT


@dataclass
class InputDrafts:
    """The text of each input kind while another one is on screen.

    One input box is shown at a time. Switching from encrypt to decrypt puts the plaintext
    aside and brings back the ciphertext typed earlier (or an empty box): the two are never
    mixed. Operations reading the same kind (encrypt, sign, hmac, hash, verify; or decrypt and
    rewrap) share their text, so a message signed can be verified as it stands.
    Kept in memory only, like the text in the box itself.
    """

    texts: dict[InputKind, str] = field(default_factory=dict)

    def switch(self, old: Operation, new: Operation, current_text: str) -> str | None:
        """Store ``current_text`` for ``old``; the text to show for ``new`` (None: no change)."""
        before, after = input_kind(old), input_kind(new)
        if before is not InputKind.NONE:
            self.texts[before] = current_text
        if after is InputKind.NONE or after is before:
            return None
        return self.texts.get(after, "")

    def set(self, op: Operation, text: str) -> None:
        kind = input_kind(op)
        if kind is not InputKind.NONE:
            self.texts[kind] = text


# -- the form ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FormValues:
    """What the playground's fields hold, as typed (the screen reads them from its widgets)."""

    operation: Operation
    key: str = ""
    text: str = ""
    batch: bool = False
    base64: bool = False
    context: str = ""
    version: str = ""
    algorithm: str = "sha2-256"
    signature_algorithm: str = ""  # "" when none is chosen
    prehashed: bool = False
    proof: str = ""
    bits: int = 256
    datakey_kind: str = "plaintext"
    output_format: str = "base64"
    count: str = "32"


def shown_options(op: Operation, key: TransitKey | None) -> frozenset[str]:
    """The option fields ``op`` needs with ``key`` (context only for derived keys, …)."""
    shown = set(OPTIONS[op])
    if "context" in shown and key is not None and not key.derived:
        shown.discard("context")
    if "sigalg" in shown and key is not None and not key.type.startswith("rsa"):
        shown.discard("sigalg")
    if op in (Operation.SIGN, Operation.VERIFY) and key is not None and key.type == "ed25519":
        shown -= {"prehashed", "hash"}  # ed25519 hashes internally
    return frozenset(shown)


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


@dataclass(frozen=True)
class InputHint:
    """What the input box says: its title, a note under it (batch), and why it will not work."""

    title: str
    note: str = ""
    warning: str = ""


def input_hint(op: Operation, key: TransitKey | None, *, batch: bool, base64: bool) -> InputHint:
    title = INPUT_HINTS[op]
    if op.takes_plaintext:
        title += " (base64)" if base64 else " (text)"
    note = "batch: one item per line" if input_kind(op) is not InputKind.NONE and op.batchable and batch else ""
    return InputHint(title, note, incompatibility(op, key))


def _whole_number(text: str, label: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{label} must be a whole number") from None


def build_request(form: FormValues, mount: str, key: TransitKey | None) -> TransitRequest:
    """The request the form describes. Raises ValueError with a reason a person can act on."""
    op = form.operation
    shown = shown_options(op, key)
    name = form.key.strip() if op.needs_key else ""
    if op.needs_key and not name:
        raise ValueError("Choose a key in the list (or type its name) first.")
    has_input = input_kind(op) is not InputKind.NONE
    text = form.text if has_input else ""
    batch = op.batchable and form.batch
    if has_input and not text.strip() and op is not Operation.HASH and not (op.takes_plaintext and not batch):
        raise ValueError("The input is empty." + (" Put one item per line." if batch else ""))
    proof = form.proof.strip() if "proof" in shown else ""
    if op in (Operation.VERIFY, Operation.VERIFY_HMAC) and not proof:
        raise ValueError("Paste the signature or HMAC to verify into its field.")
    count = _whole_number(form.count, "The number of bytes") or 32
    version = _whole_number(form.version, "The key version") if "version" in shown else None
    return TransitRequest(
        operation=op,
        mount=mount,
        key=name,
        input=text,
        input_is_base64=op.takes_plaintext and form.base64,
        context=form.context if "context" in shown else "",
        key_version=version,
        algorithm=form.algorithm if "hash" in shown else "sha2-256",
        signature_algorithm=form.signature_algorithm if "sigalg" in shown else "",
        prehashed="prehashed" in shown and form.prehashed,
        proof=proof,
        bits=form.bits,
        datakey_kind=form.datakey_kind,
        output_format=form.output_format,
        count=count,
        batch=batch,
    )


def needs_create_confirmation(request: TransitRequest, listed: set[str] | dict[str, Any]) -> bool:
    """Encrypting with a key that is not listed would create it: ask first."""
    return request.operation is Operation.ENCRYPT and request.key not in listed


# -- output -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Output:
    """What the output pane shows. ``secret`` parts are masked until revealed."""

    lines: tuple[tuple[str, str, bool], ...]  # (label, value, secret)
    copy_value: str = ""
    copy_label: str = "output"
    verdict: VerifyResult | None = None

    @property
    def has_secret(self) -> bool:
        return any(secret for _label, _value, secret in self.lines)


def render_output(request: TransitRequest, result: Any) -> Output:
    if isinstance(result, BatchResult):
        items: list[tuple[str, str, bool]] = []
        for item in result.items:
            if item.ok:
                items.append((f"{item.index + 1}", item.output, result.operation is Operation.DECRYPT))
            else:
                items.append((f"{item.index + 1}", f"✘ error: {item.error}", False))
        head = f"{len(result.items)} items, {result.failed} failed"
        copy = "\n".join(item.output if item.ok else "" for item in result.items)
        return Output(((head, "", False), *items), copy, f"{result.operation.label} batch output")
    if isinstance(result, EncryptResult):
        return Output(
            (("ciphertext", result.ciphertext, False), ("key version", f"v{result.key_version}", False)),
            result.ciphertext,
            "ciphertext",
        )
    if isinstance(result, DecryptResult):
        plain = result.plaintext
        lines: tuple[tuple[str, str, bool], ...]
        if plain.is_text:
            lines = (("plaintext", plain.text or "", True),)
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
            (
                ("rewrapped", f"v{result.old_version} → v{result.new_version}", False),
                ("ciphertext", result.ciphertext, False),
            ),
            result.ciphertext,
            "ciphertext",
        )
    if isinstance(result, DataKeyResult):
        parts = [("bits", str(result.bits), False), ("key version", f"v{result.key_version}", False)]
        if result.plaintext is not None:
            parts.append(("plaintext (base64)", result.plaintext.base64, True))
        parts.append(("wrapped", result.ciphertext, False))
        copy = result.plaintext.base64 if result.plaintext is not None else result.ciphertext
        return Output(tuple(parts), copy, "data key")
    if isinstance(result, HmacResult):
        return Output((("hmac", result.hmac, False),), result.hmac, "HMAC")
    if isinstance(result, SignResult):
        return Output(
            (("signature", result.signature, False), ("key version", f"v{result.key_version}", False)),
            result.signature,
            "signature",
        )
    if isinstance(result, VerifyResult):
        return Output((), "", "", verdict=result)
    if isinstance(result, HashResult):
        return Output(
            (("sum", result.sum, False), ("algorithm", f"{result.algorithm} ({result.format})", False)),
            result.sum,
            "hash",
        )
    if isinstance(result, RandomResult):
        return Output(
            ((f"{result.bytes} random bytes ({result.format})", result.value, True),), result.value, "random bytes"
        )
    return Output((("result", str(result), False),), "", "")


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


def result_ok(result: Any) -> bool:
    """A batch with a failed line counts as not OK in the history."""
    return not (isinstance(result, BatchResult) and result.failed)


# -- history ----------------------------------------------------------------------------------


def history_entry(request: TransitRequest, result: Any, *, ok: bool, when: datetime, summary: str = "") -> HistoryEntry:
    """One history row: operation, key, version and outcome. The input is kept only when it is
    not plaintext (a ciphertext to decrypt or rewrap); plaintext is never stored."""
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
    keep_input = input_kind(request.operation) is InputKind.CIPHERTEXT
    return HistoryEntry(
        operation=request.operation,
        mount=request.mount,
        key=request.key,
        key_version=version,
        ok=ok,
        summary=summary or summarize(result),
        when=when,
        options=options,
        input=request.input if keep_input else None,
        batch=request.batch,
        items=len(result.items) if isinstance(result, BatchResult) else 1,
    )


def form_from_history(entry: HistoryEntry, text: str) -> FormValues:
    """The form for re-running ``entry``. ``text`` is the current input of that kind: plaintext
    was never kept, so encrypt and friends re-run on what is in their box now."""
    options = dict(entry.options)
    version = options.get("key_version")
    return FormValues(
        operation=entry.operation,
        key=entry.key,
        text=entry.input if entry.input is not None else text,
        batch=entry.batch,
        base64=bool(options.get("input_is_base64")),
        context=str(options.get("context") or ""),
        version=str(version) if version else "",
        algorithm=str(options.get("algorithm") or "sha2-256"),
        signature_algorithm=str(options.get("signature_algorithm") or ""),
        prehashed=bool(options.get("prehashed")),
        proof=str(options.get("proof") or ""),
        bits=int(options.get("bits") or 256),
        datakey_kind=str(options.get("datakey_kind") or "plaintext"),
        output_format=str(options.get("output_format") or "base64"),
        count=str(options.get("count") or 32),
    )


# -- chaining (f4) ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Chain:
    """What f4 does: switch to ``operation`` with this input (None: keep) and proof."""

    operation: Operation | None
    text: str | None = None
    proof: str | None = None
    base64: bool | None = None


def chain(request: TransitRequest, result: Any, output: Output) -> Chain:
    """A ciphertext goes to decrypt, a signature or HMAC to verify, a plaintext back to encrypt."""
    op = request.operation
    if op in (Operation.SIGN, Operation.HMAC) and not request.batch:
        # the signed input stays in its box (plaintext is never stored elsewhere)
        return Chain(Operation.VERIFY if op is Operation.SIGN else Operation.VERIFY_HMAC, proof=output.copy_value)
    if op in (Operation.ENCRYPT, Operation.REWRAP, Operation.DATAKEY):
        value = result.ciphertext if isinstance(result, DataKeyResult) else output.copy_value
        return Chain(Operation.DECRYPT, text=value)
    if op is Operation.DECRYPT and isinstance(result, DecryptResult):
        plain = result.plaintext
        return Chain(Operation.ENCRYPT, text=plain.text if plain.is_text else plain.base64, base64=not plain.is_text)
    return Chain(None, text=output.copy_value)


# -- keys the key list refuses ----------------------------------------------------------------


def refusal(action: str, what: str, key: TransitKey | None, *, read_only: bool, has_mount: bool) -> str | None:
    """Why the key-list action ``action`` (``op`` or ``manage``) with parameter ``what`` did
    nothing. None means: the app's generic reason (read-only mode)."""
    if action == "manage" and read_only and what != "export":
        return None
    word = ACTION_WORDS.get(what, what.replace("-", " ").capitalize())
    if not has_mount:
        return f"{word}: no transit mount is selected (or visible to this token)."
    if key is None:
        return f"{word}: no key is highlighted. Create one with n, or type its name in the key field."
    if what == "export":
        return (
            f"{word}: key {key.name!r} is not exportable. Only keys created with exportable=true "
            "(or signing keys, for their public key) can be exported."
        )
    return f"{word}: not available for key {key.name!r}."


# -- export -----------------------------------------------------------------------------------

EXPORT_LABELS: dict[str, str] = {
    "encryption-key": "encryption key (private)",
    "signing-key": "signing key (private)",
    "hmac-key": "HMAC key (private)",
    "public-key": "public key",
}


def export_choices(key: TransitKey) -> tuple[tuple[str, str], ...]:
    """(label, export type) for each kind of material ``key`` can be exported as."""
    return tuple((EXPORT_LABELS.get(kind, kind), kind) for kind in export_types(key))


def export_lines(exported: ExportedKey, *, revealed: bool) -> tuple[tuple[str, str, bool], ...]:
    """(label, value, masked) per version: private material is masked until revealed."""
    masked = exported.secret and not revealed
    return tuple((f"v{version}", material, masked) for version, material in exported.keys)


def export_copy(exported: ExportedKey) -> tuple[str, str]:
    """(text, label) to copy: one version's material as it is, several as the API's JSON."""
    label = f"{exported.name} {EXPORT_LABELS.get(exported.export_type, exported.export_type)}"
    if len(exported.keys) == 1:
        version, material = exported.keys[0]
        return material, f"{label} v{version}"
    return json.dumps({str(v): m for v, m in sorted(exported.keys)}, indent=2), f"{label}, every version"
