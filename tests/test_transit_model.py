"""The transit view-model without Textual and without a server: forms, inputs, output, history."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import pytest

from vault_tui.vault.transit import TransitRequest
from vault_tui.vault.transit_models import (
    BatchItem,
    BatchResult,
    DataKeyResult,
    DecryptResult,
    EncryptResult,
    ExportedKey,
    Operation,
    Plaintext,
    RewrapResult,
    SignResult,
    TransitKey,
    VerifyResult,
    text_to_b64,
)
from vault_tui.views.transit import model
from vault_tui.views.transit.model import FormValues, InputDrafts, InputKind

WHEN = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def key(name: str = "k", key_type: str = "aes256-gcm96", **changes: object) -> TransitKey:
    symmetric = key_type.startswith(("aes", "chacha"))
    signing = key_type.startswith(("ed", "ecdsa", "rsa"))
    fields: dict[str, object] = dict(
        mount="transit/",
        name=name,
        type=key_type,
        latest_version=1,
        min_decryption_version=1,
        min_encryption_version=0,
        min_available_version=0,
        exportable=False,
        deletion_allowed=False,
        auto_rotate_period=0,
        derived=False,
        convergent=False,
        supports_encryption=symmetric or key_type.startswith("rsa"),
        supports_decryption=symmetric or key_type.startswith("rsa"),
        supports_signing=signing,
        supports_derivation=symmetric,
    )
    fields.update(changes)
    return TransitKey(**fields)  # type: ignore[arg-type]


def test_the_model_imports_no_textual():
    code = "import sys, vault_tui.views.transit.model; print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# -- inputs -----------------------------------------------------------------------------------


def test_input_kinds():
    assert model.input_kind(Operation.ENCRYPT) is InputKind.PLAINTEXT
    assert model.input_kind(Operation.VERIFY) is InputKind.PLAINTEXT
    assert model.input_kind(Operation.DECRYPT) is InputKind.CIPHERTEXT
    assert model.input_kind(Operation.REWRAP) is InputKind.CIPHERTEXT
    assert model.input_kind(Operation.DATAKEY) is InputKind.NONE
    assert model.input_kind(Operation.RANDOM) is InputKind.NONE


def test_drafts_keep_each_kind_apart():
    drafts = InputDrafts()
    assert drafts.switch(Operation.ENCRYPT, Operation.DECRYPT, "hello") == ""  # a fresh ciphertext box
    assert drafts.switch(Operation.DECRYPT, Operation.REWRAP, "vault:v1:x") is None  # same kind: unchanged
    assert drafts.switch(Operation.REWRAP, Operation.SIGN, "vault:v1:x") == "hello"
    assert drafts.switch(Operation.SIGN, Operation.DATAKEY, "hello!") is None  # no input: the box hides
    assert drafts.switch(Operation.DATAKEY, Operation.DECRYPT, "") == "vault:v1:x"
    assert drafts.switch(Operation.DECRYPT, Operation.ENCRYPT, "vault:v1:x") == "hello!"
    drafts.set(Operation.REWRAP, "vault:v2:y")
    assert drafts.texts[InputKind.CIPHERTEXT] == "vault:v2:y"


# -- the form ---------------------------------------------------------------------------------


def test_shown_options_follow_the_key():
    assert model.shown_options(Operation.ENCRYPT, key()) == {"version"}
    assert model.shown_options(Operation.ENCRYPT, key(derived=True)) == {"version", "context"}
    assert model.shown_options(Operation.ENCRYPT, None) == {"version", "context"}  # unknown key: everything
    assert model.shown_options(Operation.SIGN, key("s", "ed25519")) == {"version"}
    assert model.shown_options(Operation.SIGN, key("s", "rsa-2048")) == {"hash", "sigalg", "prehashed", "version"}
    assert model.shown_options(Operation.VERIFY, key("s", "ecdsa-p256")) == {"hash", "prehashed", "proof"}
    assert model.shown_options(Operation.RANDOM, None) == {"count", "format"}


def test_input_hint_and_incompatibility():
    hint = model.input_hint(Operation.ENCRYPT, key(), batch=True, base64=True)
    assert hint.title == "Plaintext to encrypt (base64)" and "one item per line" in hint.note and not hint.warning
    hint = model.input_hint(Operation.ENCRYPT, key("s", "ed25519"), batch=False, base64=False)
    assert hint.warning == "a ed25519 key cannot encrypt" and not hint.note
    assert model.input_hint(Operation.DECRYPT, key(), batch=False, base64=True).title.startswith("Ciphertext")
    assert model.incompatibility(Operation.SIGN, key()) == "a aes256-gcm96 key cannot sign"
    assert model.incompatibility(Operation.HASH, key()) == ""
    for op in Operation:  # every title fits an input box at 80 columns (44 wide, with its border)
        assert len(model.input_hint(op, None, batch=True, base64=True).title) <= 40


def test_build_request_reads_only_the_shown_fields():
    form = FormValues(Operation.ENCRYPT, key=" k ", text="hi", context="ctx", version="2", algorithm="sha2-512")
    request = model.build_request(form, "transit/", key())
    assert request == TransitRequest(operation=Operation.ENCRYPT, mount="transit/", key="k", input="hi", key_version=2)
    derived = model.build_request(form, "transit/", key(derived=True))
    assert derived.context == "ctx"
    sign = model.build_request(
        FormValues(Operation.SIGN, key="s", text="m", algorithm="sha2-512", signature_algorithm="pss", prehashed=True),
        "transit/",
        key("s", "rsa-2048"),
    )
    assert (sign.algorithm, sign.signature_algorithm, sign.prehashed) == ("sha2-512", "pss", True)
    batch = model.build_request(FormValues(Operation.DECRYPT, key="k", text="a\nb", batch=True), "t/", key())
    assert batch.batch and batch.lines() == ["a", "b"]
    assert not model.build_request(
        FormValues(Operation.VERIFY, key="k", text="m", batch=True, proof="p"), "t/", None
    ).batch


@pytest.mark.parametrize(
    ("form", "reason"),
    [
        (FormValues(Operation.ENCRYPT), "Choose a key"),
        (FormValues(Operation.DECRYPT, key="k"), "The input is empty."),
        (FormValues(Operation.ENCRYPT, key="k", batch=True), "one item per line"),
        (FormValues(Operation.VERIFY, key="k", text="m"), "signature or HMAC"),
        (FormValues(Operation.ENCRYPT, key="k", version="two"), "whole number"),
        (FormValues(Operation.RANDOM, count="many"), "whole number"),
    ],
)
def test_build_request_says_what_is_missing(form, reason):
    with pytest.raises(ValueError) as info:
        model.build_request(form, "transit/", None)
    assert reason.lower() in str(info.value).lower()


def test_empty_plaintext_and_hash_are_allowed():
    assert model.build_request(FormValues(Operation.ENCRYPT, key="k"), "t/", None).input == ""
    assert model.build_request(FormValues(Operation.HASH), "t/", None).key == ""
    assert model.build_request(FormValues(Operation.DATAKEY, key="k", text="ignored"), "t/", None).input == ""


def test_create_confirmation_only_for_unlisted_encrypt_keys():
    request = TransitRequest(Operation.ENCRYPT, "t/", "typo")
    assert model.needs_create_confirmation(request, {"k"})
    assert not model.needs_create_confirmation(request, {"typo"})
    assert not model.needs_create_confirmation(TransitRequest(Operation.DECRYPT, "t/", "typo"), {"k"})


# -- output -----------------------------------------------------------------------------------


def test_render_output_masks_plaintext_only():
    request = TransitRequest(Operation.DECRYPT, "t/", "k")
    out = model.render_output(request, DecryptResult(Plaintext(text_to_b64("secret")), 1))
    assert out.has_secret and out.copy_value == "secret" and ("plaintext", "secret", True) in out.lines
    binary = model.render_output(request, DecryptResult(Plaintext("/wD+"), 1))
    assert [label for label, _v, _s in binary.lines][:3] == ["plaintext", "base64", "hex"]
    encrypted = model.render_output(request, EncryptResult("vault:v1:abc", 1))
    assert not encrypted.has_secret and encrypted.copy_value == "vault:v1:abc"
    datakey = model.render_output(request, DataKeyResult("vault:v1:w", Plaintext("a2V5"), 256, 1))
    assert datakey.copy_value == "a2V5" and datakey.has_secret
    verdict = model.render_output(request, VerifyResult(False))
    assert verdict.verdict is not None and not verdict.lines
    batch = BatchResult(Operation.DECRYPT, (BatchItem(0, output="one"), BatchItem(1, error="bad")))
    rows = model.render_output(request, batch)
    assert rows.lines[0][0] == "2 items, 1 failed" and rows.lines[1] == ("1", "one", True)
    assert rows.lines[2][1].startswith("✘ error: bad") and rows.copy_value == "one\n"
    assert not model.result_ok(batch) and model.result_ok(EncryptResult("x", 1))


def test_summaries():
    assert model.summarize(RewrapResult("vault:v2:x", 1, 2)) == "v1 → v2"
    assert model.summarize(VerifyResult(False, "hmac")) == "hmac NOT valid"
    assert model.summarize(SignResult("s", 1)) == "signed"
    assert model.summarize(object()) == "done"


# -- history ----------------------------------------------------------------------------------


def test_history_never_keeps_plaintext_and_reruns():
    encrypt = TransitRequest(Operation.ENCRYPT, "t/", "k", input="topsecret", key_version=2, context="c")
    entry = model.history_entry(encrypt, EncryptResult("vault:v2:x", 2), ok=True, when=WHEN)
    assert "topsecret" not in repr(entry) and entry.input is None and entry.key_version == 2
    form = model.form_from_history(entry, "what is in the box now")
    assert form.text == "what is in the box now" and form.version == "2" and form.context == "c"
    decrypt = TransitRequest(Operation.DECRYPT, "t/", "k", input="vault:v2:x")
    entry = model.history_entry(decrypt, None, ok=False, when=WHEN, summary="Invalid request")
    assert entry.input == "vault:v2:x" and entry.summary == "Invalid request" and not entry.ok
    assert model.form_from_history(entry, "ignored").text == "vault:v2:x"
    rewrap = model.history_entry(
        TransitRequest(Operation.REWRAP, "t/", "k", input="c"), RewrapResult("n", 1, 3), ok=True, when=WHEN
    )
    assert rewrap.key_version == 3
    batch = BatchResult(
        Operation.ENCRYPT, (BatchItem(0, output="a", key_version=1), BatchItem(1, output="b", key_version=1))
    )
    entry = model.history_entry(
        TransitRequest(Operation.ENCRYPT, "t/", "k", input="x\ny", batch=True), batch, ok=True, when=WHEN
    )
    assert entry.items == 2 and entry.key_version == 1 and entry.batch and entry.input is None


# -- chaining ---------------------------------------------------------------------------------


def test_chain_moves_output_to_the_next_operation():
    sign = TransitRequest(Operation.SIGN, "t/", "k", input="m")
    step = model.chain(sign, SignResult("vault:v1:sig", 1), model.render_output(sign, SignResult("vault:v1:sig", 1)))
    assert step == model.Chain(Operation.VERIFY, proof="vault:v1:sig")
    encrypt = TransitRequest(Operation.ENCRYPT, "t/", "k", input="m")
    result = EncryptResult("vault:v1:ct", 1)
    assert model.chain(encrypt, result, model.render_output(encrypt, result)) == model.Chain(
        Operation.DECRYPT, text="vault:v1:ct"
    )
    datakey = DataKeyResult("vault:v1:wrapped", Plaintext("a2V5"), 256, 1)
    step = model.chain(TransitRequest(Operation.DATAKEY, "t/", "k"), datakey, model.render_output(encrypt, datakey))
    assert step.text == "vault:v1:wrapped"  # the wrapped key, never the plaintext one
    decrypted = DecryptResult(Plaintext("/wD+"), 1)
    step = model.chain(TransitRequest(Operation.DECRYPT, "t/", "k"), decrypted, model.render_output(encrypt, decrypted))
    assert step == model.Chain(Operation.ENCRYPT, text="/wD+", base64=True)


# -- refusals and export ------------------------------------------------------------------------


def test_refusal_reasons():
    assert model.refusal("manage", "create", None, read_only=True, has_mount=True) is None  # the app says "read-only"
    assert "no key is highlighted" in (model.refusal("op", "encrypt", None, read_only=False, has_mount=True) or "")
    assert "no transit mount" in (model.refusal("op", "sign", None, read_only=False, has_mount=False) or "")
    reason = model.refusal("manage", "export", key("orders"), read_only=True, has_mount=True) or ""
    assert reason.startswith("Export:") and "'orders' is not exportable" in reason


def test_export_view():
    assert model.export_choices(key("s", "ed25519", exportable=True)) == (
        ("signing key (private)", "signing-key"),
        ("HMAC key (private)", "hmac-key"),
        ("public key", "public-key"),
    )
    assert model.export_choices(key()) == ()
    exported = ExportedKey("t/", "k", "aes256-gcm96", "encryption-key", ((2, "TWO"), (1, "ONE")))
    assert model.export_lines(exported, revealed=False) == (("v2", "TWO", True), ("v1", "ONE", True))
    assert model.export_lines(exported, revealed=True)[0] == ("v2", "TWO", False)
    text, label = model.export_copy(exported)
    assert text == '{\n  "1": "ONE",\n  "2": "TWO"\n}' and "every version" in label
    one = ExportedKey("t/", "k", "ed25519", "public-key", ((1, "PUB"),))
    assert model.export_lines(one, revealed=False) == (("v1", "PUB", False),)
    assert model.export_copy(one) == ("PUB", "k public key v1")
