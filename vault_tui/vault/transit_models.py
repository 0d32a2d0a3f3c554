"""Transit results as frozen dataclasses, and the pure helpers around them (base64, versions).

Nothing here talks to the network or imports Textual; :mod:`vault_tui.vault.transit` builds these.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from .models import parse_time

KEY_TYPES: tuple[str, ...] = (
    "aes256-gcm96",
    "aes128-gcm96",
    "chacha20-poly1305",
    "ed25519",
    "ecdsa-p256",
    "ecdsa-p384",
    "rsa-2048",
    "rsa-3072",
    "rsa-4096",
    "hmac",
)
SYMMETRIC_TYPES: tuple[str, ...] = ("aes256-gcm96", "aes128-gcm96", "chacha20-poly1305")
HASH_ALGORITHMS: tuple[str, ...] = ("sha2-256", "sha2-224", "sha2-384", "sha2-512", "sha3-224", "sha3-256", "sha3-384", "sha3-512")
SIGNATURE_ALGORITHMS: tuple[str, ...] = ("pss", "pkcs1v15")
DATAKEY_BITS: tuple[int, ...] = (128, 256, 512)

_VERSION_PREFIX = re.compile(r"^vault:v(\d+):")


class Operation(StrEnum):
    """What the playground can do. ``value`` is what the history and the UI show."""

    ENCRYPT = "encrypt"
    DECRYPT = "decrypt"
    REWRAP = "rewrap"
    DATAKEY = "datakey"
    HMAC = "hmac"
    VERIFY_HMAC = "verify-hmac"
    SIGN = "sign"
    VERIFY = "verify"
    HASH = "hash"
    RANDOM = "random"

    @property
    def needs_key(self) -> bool:
        return self not in (Operation.HASH, Operation.RANDOM)

    @property
    def takes_plaintext(self) -> bool:
        """Whether the input is plaintext (and so never kept in history)."""
        return self in (
            Operation.ENCRYPT,
            Operation.HMAC,
            Operation.VERIFY_HMAC,
            Operation.SIGN,
            Operation.VERIFY,
            Operation.HASH,
        )

    @property
    def batchable(self) -> bool:
        return self in (Operation.ENCRYPT, Operation.DECRYPT, Operation.REWRAP, Operation.HMAC, Operation.SIGN)

    @property
    def label(self) -> str:
        return {
            Operation.VERIFY_HMAC: "verify hmac",
            Operation.VERIFY: "verify signature",
            Operation.RANDOM: "random bytes",
        }.get(self, self.value)


# -- base64 helpers -----------------------------------------------------------------------


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def text_to_b64(text: str) -> str:
    """UTF-8 text as the base64 string transit expects."""
    return b64(text.encode("utf-8", "surrogatepass"))


def input_to_b64(value: str, *, is_base64: bool) -> str:
    """User input as base64 for the API.

    Text is encoded here. Input marked as base64 goes to the server untouched (only surrounding
    whitespace removed), so an invalid value is refused by the server with its own message.
    """
    return value.strip() if is_base64 else text_to_b64(value)


def decode_b64(value: str) -> bytes | None:
    try:
        return base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None


def ciphertext_version(value: str) -> int | None:
    """The key version in a ``vault:vN:...`` ciphertext, signature or HMAC."""
    match = _VERSION_PREFIX.match(value.strip())
    return int(match.group(1)) if match else None


@dataclass(frozen=True)
class Plaintext:
    """Decrypted bytes: shown as text when they are UTF-8, else as base64 and hex."""

    base64: str

    @property
    def raw(self) -> bytes:
        return decode_b64(self.base64) or b""

    @property
    def text(self) -> str | None:
        try:
            return self.raw.decode("utf-8")
        except UnicodeDecodeError:
            return None

    @property
    def is_text(self) -> bool:
        return self.text is not None

    @property
    def hex(self) -> str:
        return self.raw.hex()

    def display(self) -> str:
        """What the output area shows (plain text; the caller renders it literally)."""
        text = self.text
        if text is not None:
            return text
        return f"(not UTF-8: {len(self.raw)} bytes)\nbase64: {self.base64}\nhex:    {self.hex}"


# -- keys ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TransitKeyVersion:
    version: int
    created_time: datetime | None
    public_key: str = ""


@dataclass(frozen=True)
class TransitKey:
    mount: str  # "transit/"
    name: str
    type: str
    latest_version: int
    min_decryption_version: int
    min_encryption_version: int
    min_available_version: int
    exportable: bool
    deletion_allowed: bool
    auto_rotate_period: int  # seconds; 0 = never
    derived: bool
    convergent: bool
    supports_encryption: bool
    supports_decryption: bool
    supports_signing: bool
    supports_derivation: bool
    allow_plaintext_backup: bool = False
    versions: tuple[TransitKeyVersion, ...] = ()

    @property
    def is_hmac_only(self) -> bool:
        return self.type == "hmac"

    @property
    def auto_rotate_label(self) -> str:
        return format_period(self.auto_rotate_period)


def format_period(seconds: int) -> str:
    if not seconds:
        return "never"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts)


def parse_period(value: Any) -> int:
    """``auto_rotate_period`` as seconds (the API answers an integer; accept "24h" too)."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, (int, float)):
        return int(value)
    text = str(value or "").strip()
    if not text:
        return 0
    if text.isdigit():
        return int(text)
    total = 0
    for number, unit in re.findall(r"(\d+)([dhms])", text):
        total += int(number) * {"d": 86400, "h": 3600, "m": 60, "s": 1}[unit]
    return total


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _version_time(value: Any) -> tuple[datetime | None, str]:
    if isinstance(value, dict):
        return parse_time(value.get("creation_time")), str(value.get("public_key") or "")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(int(value), tz=UTC), ""
    return parse_time(value), ""


def key_from(mount: str, name: str, data: dict[str, Any]) -> TransitKey:
    versions = []
    keys = data.get("keys") or {}
    if isinstance(keys, dict):
        for number, info in keys.items():
            try:
                version = int(number)
            except (TypeError, ValueError):
                continue
            created, public = _version_time(info)
            versions.append(TransitKeyVersion(version, created, public))
    versions.sort(key=lambda v: v.version, reverse=True)
    return TransitKey(
        mount=mount.strip("/") + "/",
        name=str(data.get("name") or name),
        type=str(data.get("type") or "unknown"),
        latest_version=_int(data.get("latest_version")),
        min_decryption_version=_int(data.get("min_decryption_version")),
        min_encryption_version=_int(data.get("min_encryption_version")),
        min_available_version=_int(data.get("min_available_version")),
        exportable=bool(data.get("exportable")),
        deletion_allowed=bool(data.get("deletion_allowed")),
        auto_rotate_period=parse_period(data.get("auto_rotate_period")),
        derived=bool(data.get("derived")),
        convergent=bool(data.get("convergent_encryption")),
        supports_encryption=bool(data.get("supports_encryption")),
        supports_decryption=bool(data.get("supports_decryption")),
        supports_signing=bool(data.get("supports_signing")),
        supports_derivation=bool(data.get("supports_derivation")),
        allow_plaintext_backup=bool(data.get("allow_plaintext_backup")),
        versions=tuple(versions),
    )


# -- operation results --------------------------------------------------------------------


@dataclass(frozen=True)
class EncryptResult:
    ciphertext: str
    key_version: int | None


@dataclass(frozen=True)
class DecryptResult:
    plaintext: Plaintext
    key_version: int | None  # parsed from the ciphertext


@dataclass(frozen=True)
class RewrapResult:
    ciphertext: str
    old_version: int | None
    new_version: int | None


@dataclass(frozen=True)
class DataKeyResult:
    ciphertext: str
    plaintext: Plaintext | None  # None for a "wrapped" data key
    bits: int
    key_version: int | None


@dataclass(frozen=True)
class HmacResult:
    hmac: str
    key_version: int | None


@dataclass(frozen=True)
class SignResult:
    signature: str
    key_version: int | None


@dataclass(frozen=True)
class VerifyResult:
    """``valid`` is False when the server answered 200 with ``valid: false``."""

    valid: bool
    kind: str = "signature"  # or "hmac"

    @property
    def message(self) -> str:
        return f"{self.kind} valid" if self.valid else f"{self.kind} NOT valid"


@dataclass(frozen=True)
class HashResult:
    sum: str
    algorithm: str
    format: str


@dataclass(frozen=True)
class RandomResult:
    value: str
    bytes: int
    format: str


@dataclass(frozen=True)
class BatchItem:
    """One line of a batch: its own output or its own error."""

    index: int
    output: str = ""
    error: str = ""
    key_version: int | None = None
    old_version: int | None = None  # rewrap

    @property
    def ok(self) -> bool:
        return not self.error


@dataclass(frozen=True)
class BatchResult:
    operation: Operation
    items: tuple[BatchItem, ...]

    @property
    def failed(self) -> int:
        return sum(1 for item in self.items if not item.ok)

    @property
    def succeeded(self) -> int:
        return len(self.items) - self.failed


@dataclass(frozen=True)
class HistoryEntry:
    """One operation of this session, as the history shows it. Never holds plaintext.

    ``input`` is kept only for operations whose input is not plaintext (decrypt, rewrap, ...);
    re-running an encrypt uses what is in the input box now.
    """

    operation: Operation
    mount: str
    key: str
    key_version: int | None
    ok: bool
    summary: str  # e.g. "v2 → v3", "3 items, 1 failed", "signature NOT valid"
    when: datetime
    options: tuple[tuple[str, Any], ...] = ()
    input: str | None = None
    batch: bool = False
    items: int = 1
