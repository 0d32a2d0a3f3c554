"""``.env`` export: one KV secret's keys as ``KEY=value`` lines (:func:`format_dotenv`,
:func:`export_dotenv`). Keys that are not valid environment names are reported, never dropped silently.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import InvalidRequest
from .gateway import Gateway
from .kv import (
    read_kv1,
    read_version,
)
from .models import EngineKind, VersionState
from .transfer import KvLocation

# -- .env ------------------------------------------------------------------------------------------
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SAFE_SINGLE = re.compile(r"[^'\\\x00-\x1f\x7f]*")
_DOUBLE_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


@dataclass(frozen=True)
class DotenvResult:
    """``text`` holds the values (``repr=False``); the rest is key names and reasons only."""

    text: str = field(repr=False)
    written: tuple[str, ...] = ()
    rejected: tuple[tuple[str, str], ...] = ()  # (key, why it is not in the file)
    warnings: tuple[tuple[str, str], ...] = ()  # (key, what to watch out for)


def env_text(value: Any) -> str:
    """A secret's value as environment text: strings as they are, other JSON as JSON."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def dotenv_quote(text: str) -> str:
    """Quote a value for a ``.env`` file as python-dotenv and docker compose read it.

    Single quotes (taken literally) when the value has no quote, backslash or control character;
    otherwise double quotes with ``\\\\ \\" \\n \\r \\t`` escapes."""
    if _SAFE_SINGLE.fullmatch(text):
        return "'" + text + "'"
    return '"' + "".join(_DOUBLE_ESCAPES.get(ch, ch) for ch in text) + '"'


def format_dotenv(data: Mapping[str, Any], *, header: str = "") -> DotenvResult:
    """``KEY='value'`` lines for the keys that are valid environment names; the others are reported
    in ``rejected``, never silently dropped."""
    lines: list[str] = []
    if header:
        lines.extend("# " + line for line in header.splitlines())
    written: list[str] = []
    rejected: list[tuple[str, str]] = []
    warnings: list[tuple[str, str]] = []
    for key in sorted(data):
        if not ENV_NAME.fullmatch(key):
            rejected.append(
                (key, "not a valid environment variable name (letters, digits and _, not starting with a digit)")
            )
            continue
        text = env_text(data[key])
        if "\x00" in text:
            rejected.append((key, "the value contains a NUL character, which an environment variable cannot hold"))
            continue
        quoted = dotenv_quote(text)
        if quoted.startswith('"') and "$" in text:
            warnings.append((key, "the value contains '$' inside double quotes: some loaders expand ${...} there"))
        if any(ch in text for ch in "\n\r"):
            warnings.append((key, "the value spans several lines (written as \\n escapes)"))
        lines.append(f"{key}={quoted}")
        written.append(key)
    return DotenvResult("\n".join(lines) + "\n" if lines else "", tuple(written), tuple(rejected), tuple(warnings))


def dotenv_for_secret(gateway: Gateway, loc: KvLocation, *, version: int | None = None) -> DotenvResult:
    """Read one secret (``loc.path``; a KV v2 ``version``, default the newest) and format it."""
    if not loc.path:
        raise InvalidRequest("choose a secret, not a whole mount")
    if loc.kind is EngineKind.KV2:
        secret = read_version(gateway, loc.mount, loc.path, version)
        if secret.state is not VersionState.LIVE:
            raise InvalidRequest(
                f"version {secret.version} of {loc.display} is {secret.state.value}: nothing to export"
            )
    else:
        secret = read_kv1(gateway, loc.mount, loc.path)
    where = json.dumps(loc.display, ensure_ascii=True)
    label = f" version {secret.version}" if secret.version else ""
    header = f"exported by vault-tui from {where}{label}\nthis file holds secrets: keep it out of version control"
    return format_dotenv(secret.data, header=header)


def export_dotenv(
    gateway: Gateway,
    loc: KvLocation,
    file: str | os.PathLike[str],
    *,
    version: int | None = None,
    overwrite: bool = False,
) -> DotenvResult:
    """Write one secret's keys to ``file`` (created with mode 0600). The result lists rejected keys."""
    from ..exporting import check_target, write_private_text

    check_target(file, overwrite=overwrite)  # fail before reading any value
    result = dotenv_for_secret(gateway, loc, version=version)
    write_private_text(file, result.text, overwrite=overwrite)
    return result
