"""Transit: keys (list, read, create, rotate, configure, delete) and the operations on them.

Every function takes a :class:`~vault_tui.vault.gateway.Gateway` first and runs in a worker
thread. Mutating key management calls :func:`ensure_writable`; encrypt, decrypt and the other
operations change nothing stored and stay available in read-only mode, with one exception:
transit's encrypt *creates* a missing key when the token may, so :func:`encrypt` first checks
that the key exists and refuses with :class:`UnknownKey` unless ``create_if_missing=True``
(which counts as a write).

Batch calls answer 400 as soon as one item fails, with every item's result in the body; those
come back as a :class:`BatchResult` with one :class:`BatchItem` per input line, never as an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote

from .errors import InvalidRequest, MalformedResponse, NotFound, PermissionDenied, VaultError
from .gateway import Gateway, ensure_writable
from .models import EngineKind, Mount
from .transit_models import (
    KEY_TYPES,
    BatchItem,
    BatchResult,
    DataKeyResult,
    DecryptResult,
    EncryptResult,
    HashResult,
    HmacResult,
    Operation,
    Plaintext,
    RandomResult,
    RewrapResult,
    SignResult,
    TransitKey,
    VerifyResult,
    ciphertext_version,
    input_to_b64,
    key_from,
    text_to_b64,
)

__all__ = [
    "UnknownKey",
    "TransitRequest",
    "transit_mounts",
    "list_keys",
    "read_key",
    "list_key_details",
    "create_key",
    "rotate_key",
    "update_key_config",
    "delete_key",
    "encrypt",
    "decrypt",
    "rewrap",
    "datakey",
    "hmac",
    "verify_hmac",
    "sign",
    "verify_signature",
    "hash_data",
    "random_bytes",
    "batch",
    "run",
]


class UnknownKey(NotFound):
    """Encrypt was asked for a key that is not known to exist; it would be created."""

    title = "Unknown key"

    def __init__(self, message: str, *, mount: str, key: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.mount = mount
        self.key = key


def _m(mount: str) -> str:
    return mount.strip("/")


def _seg(name: str, what: str = "key name") -> str:
    """A single path segment from user input: no empty names and no path tricks."""
    name = name.strip()
    if not name:
        raise InvalidRequest(f"the {what} is empty")
    if "/" in name or name in (".", "..") or any(ord(c) < 0x20 for c in name):
        raise InvalidRequest(f"the {what} may not contain '/' or control characters")
    return quote(name, safe="@.-_")


def _payload(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None and v != ""}


# -- mounts and keys ------------------------------------------------------------------------


def transit_mounts(gateway: Gateway) -> tuple[Mount, ...]:
    """Every transit secrets engine this token can see."""
    return tuple(m for m in gateway.mounts() if not m.is_auth and m.kind is EngineKind.TRANSIT)


def list_keys(gateway: Gateway, mount: str) -> tuple[str, ...]:
    """Key names on a mount (none yet is an empty tuple, not an error)."""
    where = f"{_m(mount)}/keys"
    body = gateway.request("LIST", where, missing_ok=True)
    keys = gateway.data(body, where).get("keys") or []
    if not isinstance(keys, list):
        raise MalformedResponse(f"the key list of {where} is not a list", path=where)
    return tuple(sorted(str(k) for k in keys))


def read_key(gateway: Gateway, mount: str, name: str) -> TransitKey:
    where = f"{_m(mount)}/keys/{_seg(name)}"
    return key_from(mount, name, gateway.data(gateway.request("GET", where), where))


def list_key_details(gateway: Gateway, mount: str) -> tuple[TransitKey, ...]:
    """Every key with its details. A key this token cannot read is left out, not fatal."""
    result = []
    for name in list_keys(gateway, mount):
        try:
            result.append(read_key(gateway, mount, name))
        except (PermissionDenied, NotFound, InvalidRequest):
            continue
    return tuple(result)


def create_key(
    gateway: Gateway,
    mount: str,
    name: str,
    key_type: str = "aes256-gcm96",
    *,
    derived: bool = False,
    convergent: bool = False,
    exportable: bool = False,
    auto_rotate_period: str | None = None,
) -> TransitKey:
    ensure_writable(gateway, "creating a transit key")
    name = _seg(name)
    if key_type not in KEY_TYPES:
        raise InvalidRequest(f"unsupported key type {key_type!r}")
    if convergent and not derived:
        raise InvalidRequest("convergent encryption needs a derived key")
    payload: dict[str, Any] = {"type": key_type}
    if derived:
        payload["derived"] = True
    if convergent:
        payload["convergent_encryption"] = True
    if exportable:
        payload["exportable"] = True
    if auto_rotate_period:
        payload["auto_rotate_period"] = auto_rotate_period
    if key_type == "hmac":
        payload["key_size"] = 32
    gateway.request("POST", f"{_m(mount)}/keys/{name}", json=payload)
    return read_key(gateway, mount, name)


def rotate_key(gateway: Gateway, mount: str, name: str) -> TransitKey:
    ensure_writable(gateway, "rotating a transit key")
    gateway.request("POST", f"{_m(mount)}/keys/{_seg(name)}/rotate", json={})
    return read_key(gateway, mount, name)


def update_key_config(
    gateway: Gateway,
    mount: str,
    name: str,
    *,
    min_decryption_version: int | None = None,
    min_encryption_version: int | None = None,
    auto_rotate_period: str | None = None,
    deletion_allowed: bool | None = None,
    exportable: bool | None = None,
) -> TransitKey:
    ensure_writable(gateway, "changing a transit key's config")
    payload = _payload(
        {
            "min_decryption_version": min_decryption_version,
            "min_encryption_version": min_encryption_version,
            "auto_rotate_period": auto_rotate_period,
            "deletion_allowed": deletion_allowed,
            "exportable": exportable,
        }
    )
    if not payload:
        raise InvalidRequest("nothing to change")
    gateway.request("POST", f"{_m(mount)}/keys/{_seg(name)}/config", json=payload)
    return read_key(gateway, mount, name)


def delete_key(gateway: Gateway, mount: str, name: str) -> None:
    """Delete a key. The server refuses while ``deletion_allowed`` is false; that error says so."""
    ensure_writable(gateway, "deleting a transit key")
    try:
        gateway.request("DELETE", f"{_m(mount)}/keys/{_seg(name)}")
    except InvalidRequest as error:
        if "deletion is not allowed" in error.message:
            raise InvalidRequest(
                f"{error.message} (set deletion_allowed=true in the key's config first)",
                status=error.status,
                errors=error.errors,
                path=error.path,
                body=error.body,
            ) from None
        raise


# -- the existence guard for encrypt ----------------------------------------------------------


def _require_key(gateway: Gateway, mount: str, name: str) -> None:
    try:
        gateway.request("GET", f"{_m(mount)}/keys/{_seg(name)}")
    except NotFound:
        raise UnknownKey(
            f"there is no key {name!r} on {_m(mount)}/: encrypting would create it",
            mount=mount,
            key=name,
            path=f"{_m(mount)}/keys/{name}",
        ) from None
    except PermissionDenied:
        raise UnknownKey(
            f"cannot check that key {name!r} exists on {_m(mount)}/ (no read permission): "
            "encrypting could create it",
            mount=mount,
            key=name,
            path=f"{_m(mount)}/keys/{name}",
        ) from None


def _guard_encrypt(gateway: Gateway, mount: str, key: str, create_if_missing: bool) -> None:
    if create_if_missing:
        # Encrypting with an unknown key may create it: a write.
        ensure_writable(gateway, "creating a key by encrypting with it")
    else:
        _require_key(gateway, mount, key)


# -- single operations ----------------------------------------------------------------------


def _post(gateway: Gateway, path: str, payload: dict[str, Any]) -> dict[str, Any]:
    return gateway.data(gateway.request("POST", path, json=_payload(payload)), path)


def _str(data: dict[str, Any], field: str, path: str) -> str:
    value = data.get(field)
    if not isinstance(value, str):
        raise MalformedResponse(f"the reply of {path} has no {field!r}", path=path)
    return value


def _version(data: dict[str, Any], fallback: str = "") -> int | None:
    value = data.get("key_version")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return ciphertext_version(fallback) if fallback else None


def encrypt(
    gateway: Gateway,
    mount: str,
    key: str,
    plaintext_b64: str,
    *,
    context: str | None = None,
    key_version: int | None = None,
    create_if_missing: bool = False,
) -> EncryptResult:
    """Encrypt base64 plaintext. ``context`` is base64 (derived keys)."""
    _guard_encrypt(gateway, mount, key, create_if_missing)
    path = f"{_m(mount)}/encrypt/{_seg(key)}"
    data = _post(gateway, path, {"plaintext": plaintext_b64, "context": context, "key_version": key_version})
    ciphertext = _str(data, "ciphertext", path)
    return EncryptResult(ciphertext, _version(data, ciphertext))


def decrypt(gateway: Gateway, mount: str, key: str, ciphertext: str, *, context: str | None = None) -> DecryptResult:
    path = f"{_m(mount)}/decrypt/{_seg(key)}"
    data = _post(gateway, path, {"ciphertext": ciphertext.strip(), "context": context})
    return DecryptResult(Plaintext(_str(data, "plaintext", path)), ciphertext_version(ciphertext))


def rewrap(
    gateway: Gateway,
    mount: str,
    key: str,
    ciphertext: str,
    *,
    context: str | None = None,
    key_version: int | None = None,
) -> RewrapResult:
    path = f"{_m(mount)}/rewrap/{_seg(key)}"
    data = _post(gateway, path, {"ciphertext": ciphertext.strip(), "context": context, "key_version": key_version})
    new = _str(data, "ciphertext", path)
    return RewrapResult(new, ciphertext_version(ciphertext), _version(data, new))


def datakey(
    gateway: Gateway,
    mount: str,
    key: str,
    *,
    kind: str = "plaintext",
    bits: int = 256,
    context: str | None = None,
) -> DataKeyResult:
    """A new data key: ``kind="plaintext"`` returns it in the clear too, ``"wrapped"`` only wrapped."""
    if kind not in ("plaintext", "wrapped"):
        raise InvalidRequest("a data key is 'plaintext' or 'wrapped'")
    path = f"{_m(mount)}/datakey/{kind}/{_seg(key)}"
    data = _post(gateway, path, {"bits": int(bits), "context": context})
    ciphertext = _str(data, "ciphertext", path)
    plain = data.get("plaintext")
    return DataKeyResult(
        ciphertext,
        Plaintext(plain) if isinstance(plain, str) and plain else None,
        int(bits),
        _version(data, ciphertext),
    )


def hmac(
    gateway: Gateway,
    mount: str,
    key: str,
    input_b64: str,
    *,
    algorithm: str = "sha2-256",
    key_version: int | None = None,
) -> HmacResult:
    path = f"{_m(mount)}/hmac/{_seg(key)}/{_seg(algorithm, 'algorithm')}"
    data = _post(gateway, path, {"input": input_b64, "key_version": key_version})
    value = _str(data, "hmac", path)
    return HmacResult(value, ciphertext_version(value))


def verify_hmac(
    gateway: Gateway,
    mount: str,
    key: str,
    input_b64: str,
    hmac_value: str,
    *,
    algorithm: str = "sha2-256",
) -> VerifyResult:
    path = f"{_m(mount)}/verify/{_seg(key)}/{_seg(algorithm, 'algorithm')}"
    data = _post(gateway, path, {"input": input_b64, "hmac": hmac_value.strip()})
    return VerifyResult(data.get("valid") is True, "hmac")


def _sign_options(
    hash_algorithm: str | None, signature_algorithm: str | None, prehashed: bool, context: str | None
) -> dict[str, Any]:
    options: dict[str, Any] = {"context": context}
    if hash_algorithm:
        options["hash_algorithm"] = hash_algorithm
    if signature_algorithm:
        options["signature_algorithm"] = signature_algorithm
    if prehashed:
        options["prehashed"] = True
    return options


def sign(
    gateway: Gateway,
    mount: str,
    key: str,
    input_b64: str,
    *,
    hash_algorithm: str | None = None,
    signature_algorithm: str | None = None,
    prehashed: bool = False,
    key_version: int | None = None,
    context: str | None = None,
) -> SignResult:
    path = f"{_m(mount)}/sign/{_seg(key)}"
    payload = {"input": input_b64, "key_version": key_version}
    payload.update(_sign_options(hash_algorithm, signature_algorithm, prehashed, context))
    data = _post(gateway, path, payload)
    signature = _str(data, "signature", path)
    return SignResult(signature, _version(data, signature))


def verify_signature(
    gateway: Gateway,
    mount: str,
    key: str,
    input_b64: str,
    signature: str,
    *,
    hash_algorithm: str | None = None,
    signature_algorithm: str | None = None,
    prehashed: bool = False,
    context: str | None = None,
) -> VerifyResult:
    """``valid: false`` arrives with status 200: it comes back as ``VerifyResult(valid=False)``."""
    path = f"{_m(mount)}/verify/{_seg(key)}"
    payload = {"input": input_b64, "signature": signature.strip()}
    payload.update(_sign_options(hash_algorithm, signature_algorithm, prehashed, context))
    data = _post(gateway, path, payload)
    return VerifyResult(data.get("valid") is True, "signature")


def hash_data(gateway: Gateway, mount: str, input_b64: str, *, algorithm: str = "sha2-256", output_format: str = "hex") -> HashResult:
    path = f"{_m(mount)}/hash/{_seg(algorithm, 'algorithm')}"
    data = _post(gateway, path, {"input": input_b64, "format": output_format})
    return HashResult(_str(data, "sum", path), algorithm, output_format)


def random_bytes(gateway: Gateway, mount: str, count: int = 32, *, output_format: str = "base64") -> RandomResult:
    if not 1 <= int(count) <= 1024 * 128:
        raise InvalidRequest("the number of random bytes must be between 1 and 131072")
    path = f"{_m(mount)}/random/{int(count)}"
    data = _post(gateway, path, {"format": output_format})
    return RandomResult(_str(data, "random_bytes", path), int(count), output_format)


# -- batch ----------------------------------------------------------------------------------

_BATCH_FIELD = {
    Operation.ENCRYPT: ("plaintext", "ciphertext"),
    Operation.DECRYPT: ("ciphertext", "plaintext"),
    Operation.REWRAP: ("ciphertext", "ciphertext"),
    Operation.HMAC: ("input", "hmac"),
    Operation.SIGN: ("input", "signature"),
}


def batch(
    gateway: Gateway,
    mount: str,
    key: str,
    operation: Operation,
    items: Sequence[str],
    *,
    context: str | None = None,
    key_version: int | None = None,
    algorithm: str | None = None,
    signature_algorithm: str | None = None,
    prehashed: bool = False,
    create_if_missing: bool = False,
) -> BatchResult:
    """One ``batch_input`` call with one entry per item (already base64 for plaintext inputs).

    Per-item results come back even when the server answers 400 because some item failed.
    """
    if operation not in _BATCH_FIELD:
        raise InvalidRequest(f"{operation.label} has no batch mode")
    if not items:
        raise InvalidRequest("the batch is empty: put one item per line")
    if operation is Operation.ENCRYPT:
        _guard_encrypt(gateway, mount, key, create_if_missing)
    in_field, out_field = _BATCH_FIELD[operation]
    entries = []
    for item in items:
        entry: dict[str, Any] = {in_field: item.strip() if in_field == "ciphertext" else item}
        if context:
            entry["context"] = context
        if key_version is not None and operation in (Operation.ENCRYPT, Operation.REWRAP, Operation.HMAC, Operation.SIGN):
            entry["key_version"] = key_version
        entries.append(entry)
    if operation is Operation.HMAC:
        path = f"{_m(mount)}/hmac/{_seg(key)}/{_seg(algorithm or 'sha2-256', 'algorithm')}"
        payload: dict[str, Any] = {"batch_input": entries}
    else:
        path = f"{_m(mount)}/{operation.value}/{_seg(key)}"
        payload = {"batch_input": entries}
        if operation is Operation.SIGN:
            payload.update(_payload(_sign_options(algorithm, signature_algorithm, prehashed, None)))
    try:
        body = gateway.request("POST", path, json=payload)
    except VaultError as error:
        body = error.body if isinstance(error.body, dict) else None
        results = ((body or {}).get("data") or {}).get("batch_results") if body else None
        if not isinstance(results, list):
            raise
    else:
        results = gateway.data(body, path).get("batch_results")
        if not isinstance(results, list):
            raise MalformedResponse(f"the reply of {path} has no batch_results", path=path)
    out = []
    for index, item in enumerate(items):
        result = results[index] if index < len(results) else None
        if not isinstance(result, dict):
            out.append(BatchItem(index, error="no result for this item"))
            continue
        item_error = result.get("error")
        if item_error:
            out.append(BatchItem(index, error=str(item_error)))
            continue
        value = result.get(out_field)
        if not isinstance(value, str):
            out.append(BatchItem(index, error=f"the result has no {out_field}"))
            continue
        if operation is Operation.DECRYPT:
            out.append(BatchItem(index, output=Plaintext(value).display(), key_version=ciphertext_version(item)))
        else:
            out.append(
                BatchItem(
                    index,
                    output=value,
                    key_version=_version(result, value),
                    old_version=ciphertext_version(item) if operation is Operation.REWRAP else None,
                )
            )
    return BatchResult(operation, tuple(out))


# -- one entry point for the UI -------------------------------------------------------------


@dataclass(frozen=True)
class TransitRequest:
    """Everything the playground needs to run an operation (and to re-run it from history)."""

    operation: Operation
    mount: str
    key: str = ""
    input: str = ""
    input_is_base64: bool = False
    context: str = ""  # text; base64-encoded here unless context_is_base64
    context_is_base64: bool = False
    key_version: int | None = None
    algorithm: str = "sha2-256"  # hash algorithm for hmac/sign/verify/hash
    signature_algorithm: str = ""  # RSA: pss or pkcs1v15
    prehashed: bool = False
    proof: str = ""  # the signature or HMAC to verify
    bits: int = 256
    datakey_kind: str = "plaintext"
    output_format: str = "base64"  # hash / random
    count: int = 32  # random bytes
    batch: bool = False
    create_if_missing: bool = False

    def lines(self) -> list[str]:
        return [line for line in self.input.splitlines() if line.strip()]

    def with_create(self) -> TransitRequest:
        return replace(self, create_if_missing=True)


def _context(request: TransitRequest) -> str | None:
    if not request.context:
        return None
    return request.context.strip() if request.context_is_base64 else text_to_b64(request.context)


def run(gateway: Gateway, request: TransitRequest) -> Any:
    """Run ``request`` and return its result dataclass (or a :class:`BatchResult`)."""
    op = request.operation
    mount, key = request.mount, request.key
    context = _context(request)
    plain = lambda value: input_to_b64(value, is_base64=request.input_is_base64)  # noqa: E731
    if op.needs_key and not key.strip():
        raise InvalidRequest("choose a key first")
    if request.batch and op.batchable:
        lines = request.lines()
        items = [plain(line) for line in lines] if op.takes_plaintext else lines
        signing_hash = request.algorithm if op in (Operation.HMAC, Operation.SIGN) else None
        return batch(
            gateway,
            mount,
            key,
            op,
            items,
            context=context,
            key_version=request.key_version,
            algorithm=signing_hash,
            signature_algorithm=request.signature_algorithm or None,
            prehashed=request.prehashed,
            create_if_missing=request.create_if_missing,
        )
    if op is Operation.ENCRYPT:
        return encrypt(
            gateway,
            mount,
            key,
            plain(request.input),
            context=context,
            key_version=request.key_version,
            create_if_missing=request.create_if_missing,
        )
    if op is Operation.DECRYPT:
        return decrypt(gateway, mount, key, request.input, context=context)
    if op is Operation.REWRAP:
        return rewrap(gateway, mount, key, request.input, context=context, key_version=request.key_version)
    if op is Operation.DATAKEY:
        return datakey(gateway, mount, key, kind=request.datakey_kind, bits=request.bits, context=context)
    if op is Operation.HMAC:
        return hmac(gateway, mount, key, plain(request.input), algorithm=request.algorithm, key_version=request.key_version)
    if op is Operation.VERIFY_HMAC:
        return verify_hmac(gateway, mount, key, plain(request.input), request.proof, algorithm=request.algorithm)
    if op is Operation.SIGN:
        return sign(
            gateway,
            mount,
            key,
            plain(request.input),
            hash_algorithm=request.algorithm or None,
            signature_algorithm=request.signature_algorithm or None,
            prehashed=request.prehashed,
            key_version=request.key_version,
            context=context,
        )
    if op is Operation.VERIFY:
        return verify_signature(
            gateway,
            mount,
            key,
            plain(request.input),
            request.proof,
            hash_algorithm=request.algorithm or None,
            signature_algorithm=request.signature_algorithm or None,
            prehashed=request.prehashed,
            context=context,
        )
    if op is Operation.HASH:
        fmt = request.output_format if request.output_format in ("hex", "base64") else "hex"
        return hash_data(gateway, mount, plain(request.input), algorithm=request.algorithm, output_format=fmt)
    if op is Operation.RANDOM:
        fmt = request.output_format if request.output_format in ("hex", "base64") else "base64"
        return random_bytes(gateway, mount, request.count, output_format=fmt)
    raise InvalidRequest(f"unknown operation {op!r}")
