"""The transit Vault layer against a real OpenBao transit mount (one fresh mount per test)."""

from __future__ import annotations

import base64

import pytest
from conftest import unique

from vault_tui.vault import transit
from vault_tui.vault.client import ConnectionSettings
from vault_tui.vault.errors import InvalidRequest, PermissionDenied, ReadOnlyMode
from vault_tui.vault.gateway import Gateway
from vault_tui.vault.transit import TransitRequest, UnknownKey
from vault_tui.vault.transit_models import (
    SYMMETRIC_TYPES,
    BatchResult,
    Operation,
    Plaintext,
    ciphertext_version,
    input_to_b64,
    text_to_b64,
)


@pytest.fixture
def mount(root_client):
    path = unique("transit-")
    root_client.sys.enable_secrets_engine("transit", path=path)
    yield path
    root_client.sys.disable_secrets_engine(path)


def req(mount: str, op: Operation, key: str = "", input: str = "", **kw) -> TransitRequest:  # noqa: A002
    return TransitRequest(operation=op, mount=mount, key=key, input=input, **kw)


# -- pure helpers -----------------------------------------------------------------------------


def test_plaintext_display_text_and_binary():
    assert Plaintext(text_to_b64("héllo")).display() == "héllo"
    raw = b"\xff\x00\xfe"
    shown = Plaintext(base64.b64encode(raw).decode()).display()
    assert "not UTF-8" in shown and "/wD+" in shown and "ff00fe" in shown


def test_input_and_version_helpers():
    assert input_to_b64("hi", is_base64=False) == "aGk="
    assert input_to_b64("  aGk=\n", is_base64=True) == "aGk="
    assert ciphertext_version("vault:v12:abc") == 12
    assert ciphertext_version("junk") is None


# -- keys -------------------------------------------------------------------------------------


def test_transit_mounts_and_key_details(gateway, mount):
    assert any(m.name == mount for m in transit.transit_mounts(gateway))
    assert transit.list_keys(gateway, mount) == ()
    key = transit.create_key(gateway, mount, "orders", "aes256-gcm96")
    assert key.type == "aes256-gcm96" and key.latest_version == 1
    assert key.supports_encryption and key.supports_decryption and not key.supports_signing
    assert key.versions[0].created_time is not None
    signer = transit.create_key(gateway, mount, "signer", "ed25519")
    assert signer.supports_signing and signer.versions[0].public_key
    rotated = transit.rotate_key(gateway, mount, "orders")
    assert rotated.latest_version == 2 and [v.version for v in rotated.versions] == [2, 1]
    details = transit.list_key_details(gateway, mount)
    assert [k.name for k in details] == ["orders", "signer"]


def test_create_every_key_type(gateway, mount):
    from vault_tui.vault.transit_models import KEY_TYPES

    for key_type in KEY_TYPES:
        key = transit.create_key(gateway, mount, f"k-{key_type}", key_type)
        assert key.type == key_type


def test_config_and_delete(gateway, mount):
    transit.create_key(gateway, mount, "gone", "aes128-gcm96")
    with pytest.raises(InvalidRequest, match="deletion is not allowed.*deletion_allowed=true"):
        transit.delete_key(gateway, mount, "gone")
    key = transit.update_key_config(gateway, mount, "gone", deletion_allowed=True, auto_rotate_period="24h")
    assert key.deletion_allowed and key.auto_rotate_period == 86400 and key.auto_rotate_label == "1d"
    transit.delete_key(gateway, mount, "gone")
    assert transit.list_keys(gateway, mount) == ()


def test_read_only_refuses_mutations_but_not_operations(settings, gateway, mount):
    transit.create_key(gateway, mount, "k", "aes256-gcm96")
    ro = Gateway(settings, read_only=True)
    for call in (
        lambda: transit.create_key(ro, mount, "other"),
        lambda: transit.rotate_key(ro, mount, "k"),
        lambda: transit.update_key_config(ro, mount, "k", deletion_allowed=True),
        lambda: transit.delete_key(ro, mount, "k"),
        lambda: transit.encrypt(ro, mount, "new", "aGk=", create_if_missing=True),
    ):
        with pytest.raises(ReadOnlyMode):
            call()
    ct = transit.encrypt(ro, mount, "k", text_to_b64("ok")).ciphertext
    assert transit.decrypt(ro, mount, "k", ct).plaintext.text == "ok"
    assert transit.list_keys(gateway, mount) == ("k",)


def test_hostile_key_names_refused_locally(gateway, mount):
    for name in ("", "a/b", "..", "x\x1b"):
        with pytest.raises(InvalidRequest):
            transit.create_key(gateway, mount, name)


# -- operations -------------------------------------------------------------------------------


@pytest.mark.parametrize("key_type", SYMMETRIC_TYPES)
def test_round_trip_each_symmetric_type(gateway, mount, key_type):
    transit.create_key(gateway, mount, "k", key_type)
    enc = transit.run(gateway, req(mount, Operation.ENCRYPT, "k", "attack at dawn ✓"))
    assert enc.ciphertext.startswith("vault:v1:") and enc.key_version == 1
    dec = transit.run(gateway, req(mount, Operation.DECRYPT, "k", enc.ciphertext))
    assert dec.plaintext.text == "attack at dawn ✓" and dec.key_version == 1


def test_plaintext_given_as_base64(gateway, mount):
    transit.create_key(gateway, mount, "k")
    enc = transit.run(gateway, req(mount, Operation.ENCRYPT, "k", "aGVsbG8=", input_is_base64=True))
    assert transit.run(gateway, req(mount, Operation.DECRYPT, "k", enc.ciphertext)).plaintext.text == "hello"


def test_non_utf8_plaintext_shown_as_base64_and_hex(gateway, mount):
    transit.create_key(gateway, mount, "k")
    raw = b"\x00\xff\xfe binary \x80"
    enc = transit.encrypt(gateway, mount, "k", base64.b64encode(raw).decode())
    dec = transit.decrypt(gateway, mount, "k", enc.ciphertext)
    assert dec.plaintext.text is None and dec.plaintext.raw == raw
    shown = dec.plaintext.display()
    assert base64.b64encode(raw).decode() in shown and raw.hex() in shown


def test_derived_key_with_context(gateway, mount):
    transit.create_key(gateway, mount, "d", derived=True, convergent=True)
    key = transit.read_key(gateway, mount, "d")
    assert key.derived and key.convergent
    one = transit.run(gateway, req(mount, Operation.ENCRYPT, "d", "same", context="tenant-1"))
    two = transit.run(gateway, req(mount, Operation.ENCRYPT, "d", "same", context="tenant-1"))
    assert one.ciphertext == two.ciphertext  # convergent
    dec = transit.run(gateway, req(mount, Operation.DECRYPT, "d", one.ciphertext, context="tenant-1"))
    assert dec.plaintext.text == "same"
    with pytest.raises(InvalidRequest):
        transit.run(gateway, req(mount, Operation.DECRYPT, "d", one.ciphertext, context="tenant-2"))


def test_rewrap_after_rotate_then_min_decryption_version(gateway, mount):
    transit.create_key(gateway, mount, "k")
    old = transit.run(gateway, req(mount, Operation.ENCRYPT, "k", "secret")).ciphertext
    transit.rotate_key(gateway, mount, "k")
    wrapped = transit.run(gateway, req(mount, Operation.REWRAP, "k", old))
    assert (wrapped.old_version, wrapped.new_version) == (1, 2)
    assert wrapped.ciphertext.startswith("vault:v2:")
    transit.update_key_config(gateway, mount, "k", min_decryption_version=2)
    with pytest.raises(InvalidRequest) as info:
        transit.decrypt(gateway, mount, "k", old)
    assert "min" in str(info.value) or "archived" in str(info.value) or "version" in str(info.value)
    assert transit.decrypt(gateway, mount, "k", wrapped.ciphertext).plaintext.text == "secret"
    # encrypting with an explicit older version is refused too
    with pytest.raises(InvalidRequest):
        transit.run(gateway, req(mount, Operation.ENCRYPT, "k", "x", key_version=5))


def test_datakey_plaintext_and_wrapped(gateway, mount):
    transit.create_key(gateway, mount, "k")
    plain = transit.run(gateway, req(mount, Operation.DATAKEY, "k", bits=128))
    assert plain.plaintext is not None and len(plain.plaintext.raw) == 16 and plain.bits == 128
    assert transit.decrypt(gateway, mount, "k", plain.ciphertext).plaintext.raw == plain.plaintext.raw
    wrapped = transit.run(gateway, req(mount, Operation.DATAKEY, "k", datakey_kind="wrapped"))
    assert wrapped.plaintext is None and wrapped.ciphertext.startswith("vault:v1:")


@pytest.mark.parametrize(
    "key_type, options",
    [
        ("ed25519", {}),
        ("ecdsa-p256", {"algorithm": "sha2-256"}),
        ("ecdsa-p384", {"algorithm": "sha2-384"}),
        ("rsa-2048", {"algorithm": "sha2-256", "signature_algorithm": "pss"}),
        ("rsa-2048", {"algorithm": "sha2-512", "signature_algorithm": "pkcs1v15"}),
    ],
)
def test_sign_and_verify(gateway, mount, key_type, options):
    transit.create_key(gateway, mount, "s", key_type)
    signed = transit.run(gateway, req(mount, Operation.SIGN, "s", "the message", **options))
    assert signed.signature.startswith("vault:v1:") and signed.key_version == 1
    ok = transit.run(gateway, req(mount, Operation.VERIFY, "s", "the message", proof=signed.signature, **options))
    assert ok.valid and ok.message == "signature valid"
    bad = transit.run(gateway, req(mount, Operation.VERIFY, "s", "another message", proof=signed.signature, **options))
    assert bad.valid is False and bad.message == "signature NOT valid"


def test_sign_prehashed_ecdsa(gateway, mount):
    import hashlib

    transit.create_key(gateway, mount, "s", "ecdsa-p256")
    digest = base64.b64encode(hashlib.sha256(b"doc").digest()).decode()
    common = dict(input_is_base64=True, prehashed=True, algorithm="sha2-256")
    signed = transit.run(gateway, req(mount, Operation.SIGN, "s", digest, **common))
    assert transit.run(gateway, req(mount, Operation.VERIFY, "s", digest, proof=signed.signature, **common)).valid
    assert transit.run(gateway, req(mount, Operation.VERIFY, "s", "doc", proof=signed.signature)).valid


def test_hmac_and_verify(gateway, mount):
    transit.create_key(gateway, mount, "h", "hmac")
    mac = transit.run(gateway, req(mount, Operation.HMAC, "h", "payload", algorithm="sha2-512"))
    assert mac.hmac.startswith("vault:v1:")
    good = transit.run(gateway, req(mount, Operation.VERIFY_HMAC, "h", "payload", proof=mac.hmac, algorithm="sha2-512"))
    assert good.valid and good.message == "hmac valid"
    bad = transit.run(gateway, req(mount, Operation.VERIFY_HMAC, "h", "payloaD", proof=mac.hmac, algorithm="sha2-512"))
    assert not bad.valid and bad.message == "hmac NOT valid"


def test_hash_and_random(gateway, mount):
    out = transit.run(gateway, req(mount, Operation.HASH, input="x", algorithm="sha2-256", output_format="hex"))
    assert out.sum == "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"
    rnd = transit.run(gateway, req(mount, Operation.RANDOM, count=16, output_format="hex"))
    assert len(rnd.value) == 32 and rnd.bytes == 16


# -- batch ------------------------------------------------------------------------------------


def test_batch_encrypt_with_one_bad_item(gateway, mount):
    transit.create_key(gateway, mount, "k")
    lines = "one\n!!not-base64\nthree"
    # base64 input: line 2 is not base64, so only it fails; the call as a whole answers 400
    good = "\n".join([text_to_b64("one"), "!!not-base64", text_to_b64("three")])
    result = transit.run(gateway, req(mount, Operation.ENCRYPT, "k", good, input_is_base64=True, batch=True))
    assert isinstance(result, BatchResult)
    assert [item.ok for item in result.items] == [True, False, True]
    assert "base64" in result.items[1].error and result.failed == 1 and result.succeeded == 2
    # all text lines succeed
    result = transit.run(gateway, req(mount, Operation.ENCRYPT, "k", lines, batch=True))
    assert result.failed == 0 and len(result.items) == 3
    back = transit.run(
        gateway,
        req(mount, Operation.DECRYPT, "k", "\n".join(i.output for i in result.items) + "\nvault:v1:junk", batch=True),
    )
    assert [i.output for i in back.items[:3]] == ["one", "!!not-base64", "three"]
    assert not back.items[3].ok and back.items[3].error


def test_batch_rewrap_hmac_sign(gateway, mount):
    transit.create_key(gateway, mount, "k")
    cts = [transit.encrypt(gateway, mount, "k", text_to_b64(t)).ciphertext for t in ("a", "b")]
    transit.rotate_key(gateway, mount, "k")
    wrapped = transit.run(gateway, req(mount, Operation.REWRAP, "k", "\n".join(cts), batch=True))
    assert [(i.old_version, i.key_version) for i in wrapped.items] == [(1, 2), (1, 2)]
    macs = transit.run(gateway, req(mount, Operation.HMAC, "k", "a\nb", batch=True))
    assert all(i.output.startswith("vault:v2:") for i in macs.items)
    transit.create_key(gateway, mount, "s", "ed25519")
    sigs = transit.run(gateway, req(mount, Operation.SIGN, "s", "a\nb", batch=True))
    assert sigs.failed == 0 and len(sigs.items) == 2


# -- errors -----------------------------------------------------------------------------------


def test_error_bad_ciphertext(gateway, mount):
    transit.create_key(gateway, mount, "k")
    with pytest.raises(InvalidRequest, match="invalid ciphertext"):
        transit.decrypt(gateway, mount, "k", "vault:v1:AAAA")


def test_error_wrong_key(gateway, mount):
    transit.create_key(gateway, mount, "a")
    transit.create_key(gateway, mount, "b")
    ct = transit.encrypt(gateway, mount, "a", text_to_b64("x")).ciphertext
    with pytest.raises(InvalidRequest, match="authentication failed|message authentication|cipher"):
        transit.decrypt(gateway, mount, "b", ct)


def test_error_invalid_base64(gateway, mount):
    transit.create_key(gateway, mount, "k")
    with pytest.raises(InvalidRequest, match="base64"):
        transit.run(gateway, req(mount, Operation.ENCRYPT, "k", "%%%", input_is_base64=True))


def test_error_missing_context_for_derived_key(gateway, mount):
    transit.create_key(gateway, mount, "d", derived=True)
    with pytest.raises(InvalidRequest, match="missing 'context'"):
        transit.run(gateway, req(mount, Operation.ENCRYPT, "d", "x"))


def test_encrypt_refuses_unknown_key_unless_confirmed(gateway, mount):
    with pytest.raises(UnknownKey, match="would create it"):
        transit.run(gateway, req(mount, Operation.ENCRYPT, "typo", "x"))
    with pytest.raises(UnknownKey):
        transit.run(gateway, req(mount, Operation.ENCRYPT, "typo", "x", batch=True))
    assert transit.list_keys(gateway, mount) == ()
    out = transit.run(gateway, req(mount, Operation.ENCRYPT, "typo", "x").with_create())
    assert out.ciphertext.startswith("vault:v1:")
    assert transit.list_keys(gateway, mount) == ("typo",)


def test_error_permission_denied(bao, root_client, mount):
    transit.create_key(Gateway(ConnectionSettings(addr=bao.addr, token=bao.root_token)), mount, "k")
    policy = unique("transit-ro-")
    root_client.sys.create_or_update_policy(
        policy,
        f"""
        path "{mount}/keys" {{ capabilities = ["list"] }}
        path "{mount}/keys/*" {{ capabilities = ["read"] }}
        path "{mount}/encrypt/k" {{ capabilities = ["update"] }}
        """,
    )
    token = root_client.auth.token.create(policies=[policy], ttl="10m")["auth"]["client_token"]
    limited = Gateway(ConnectionSettings(addr=bao.addr, token=token))
    assert transit.list_keys(limited, mount) == ("k",)
    ct = transit.encrypt(limited, mount, "k", text_to_b64("x")).ciphertext
    with pytest.raises(PermissionDenied) as info:
        transit.decrypt(limited, mount, "k", ct)
    assert "permission denied" in str(info.value)
    with pytest.raises(PermissionDenied):
        transit.rotate_key(limited, mount, "k")
    # a key that does not exist, and no create capability: refused before the server is asked
    with pytest.raises(UnknownKey):
        transit.encrypt(limited, mount, "nope", text_to_b64("x"))
    with pytest.raises(PermissionDenied):
        transit.encrypt(limited, mount, "nope", text_to_b64("x"), create_if_missing=True)


def test_hostile_names_are_data(gateway, mount):
    # transit refuses such names itself; the error is plain data, and nothing was created
    for name in ("[red]x", "[@click=app.quit]", "a?b#c"):
        with pytest.raises(Exception) as info:
            transit.create_key(gateway, mount, name)
        assert info.value.__class__.__name__ in ("NotFound", "InvalidRequest")
    assert transit.list_keys(gateway, mount) == ()
    name = "svc.orders-eu_1"
    transit.create_key(gateway, mount, name)
    enc = transit.encrypt(gateway, mount, name, text_to_b64("\x1b]0;pwn\x07"))
    assert transit.decrypt(gateway, mount, name, enc.ciphertext).plaintext.text == "\x1b]0;pwn\x07"


# -- export -----------------------------------------------------------------------------------


def test_export_types_follow_the_key(gateway, mount):
    from vault_tui.vault.transit_models import export_types

    transit.create_key(gateway, mount, "aes", exportable=True)
    transit.create_key(gateway, mount, "ed", "ed25519", exportable=True)
    transit.create_key(gateway, mount, "mac", "hmac", exportable=True)
    transit.create_key(gateway, mount, "locked")
    transit.create_key(gateway, mount, "ed-locked", "ed25519")
    keys = {k.name: k for k in transit.list_key_details(gateway, mount)}
    assert export_types(keys["aes"]) == ("encryption-key", "hmac-key")
    assert export_types(keys["ed"]) == ("signing-key", "hmac-key", "public-key")
    assert export_types(keys["mac"]) == ("hmac-key",)
    assert export_types(keys["locked"]) == ()
    assert export_types(keys["ed-locked"]) == ("public-key",)  # a public key needs no exportable flag


def test_export_every_version_or_one(gateway, mount, root_client):
    transit.create_key(gateway, mount, "portable", exportable=True)
    transit.rotate_key(gateway, mount, "portable")
    raw = root_client.adapter.get(f"/v1/{mount}/export/encryption-key/portable")["data"]["keys"]
    exported = transit.export_key(gateway, mount, "portable", "encryption-key")
    assert [v for v, _ in exported.keys] == [2, 1]
    assert dict(exported.keys) == {int(k): v for k, v in raw.items()}
    assert exported.key_type == "aes256-gcm96" and exported.secret
    assert raw["1"] not in repr(exported) and raw["2"] not in repr(exported)  # never in a log line
    one = transit.export_key(gateway, mount, "portable", "encryption-key", 1)
    assert one.keys == ((1, raw["1"]),)
    with pytest.raises(InvalidRequest) as info:
        transit.export_key(gateway, mount, "portable", "encryption-key", 7)
    assert raw["1"] not in str(info.value)


def test_export_refused_for_a_key_that_is_not_exportable(gateway, mount):
    transit.create_key(gateway, mount, "locked")
    with pytest.raises(InvalidRequest) as info:
        transit.export_key(gateway, mount, "locked", "encryption-key")
    assert "not exportable" in str(info.value)
    with pytest.raises(InvalidRequest):
        transit.export_key(gateway, mount, "locked", "private-parts")
    with pytest.raises(InvalidRequest):
        transit.export_key(gateway, mount, "../keys", "encryption-key")


def test_export_public_key_and_read_only(settings, gateway, mount):
    transit.create_key(gateway, mount, "ed", "ed25519")
    read_only = Gateway(settings, read_only=True)
    public = transit.export_key(read_only, mount, "ed", "public-key")
    assert public.keys and public.keys[0][0] == 1 and not public.secret
