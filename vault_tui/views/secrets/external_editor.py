"""Editing a secret in ``$EDITOR`` (Textual-free; the screen suspends the app around it).

The secret's data is written to a file in a private directory (mode 0700, the file 0600; under
``$XDG_RUNTIME_DIR`` when there is one, which is memory-backed on most systems), the editor
runs, the file is read back and parsed, and the directory is removed whatever happens. A file
that does not parse is shown again with the error in a comment at the top, as ``kubectl edit``
does, so nothing the user typed is lost; saving it unchanged (or emptying it) cancels.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

FORMATS = ("json", "yaml")
HEADER = (
    "# Edit the secret {where} below, then save and quit. Lines starting with # at the top are ignored.\n"
    "# Saving an empty file, or quitting without a change, cancels. Values are shown in full here.\n"
)


class EditorParseError(ValueError):
    """What the user saved is not a JSON/YAML object of keys; the message says where and why."""


@dataclass(frozen=True)
class EditOutcome:
    data: dict[str, Any] | None  # None: cancelled
    reason: str = ""  # why it was cancelled, for the status line
    attempts: int = 1
    problems: tuple[str, ...] = field(default_factory=tuple)  # parse errors shown on the way


def editor_command(environ: Mapping[str, str] | None = None) -> list[str]:
    """``$VISUAL``, else ``$EDITOR``, else ``vi`` — split like a shell would."""
    environ = os.environ if environ is None else environ
    for name in ("VISUAL", "EDITOR"):
        value = (environ.get(name) or "").strip()
        if value:
            return shlex.split(value)
    return ["vi"]


def render(data: Mapping[str, Any], fmt: str, *, where: str = "", error: str = "", text: str | None = None) -> str:
    """The file's text: a comment header (with ``error`` when re-opening), then the document."""
    header = HEADER.format(where=where or "")
    if error:
        header += "".join(f"# ERROR: {line}\n" for line in error.splitlines() or [error])
    if text is None:
        if fmt == "yaml":
            text = yaml.safe_dump(dict(data), sort_keys=False, allow_unicode=True, default_flow_style=False)
        else:
            text = json.dumps(dict(data), indent=2, ensure_ascii=False) + "\n"
    return header + text


def strip_header(text: str) -> str:
    lines = text.splitlines(keepends=True)
    index = 0
    while index < len(lines) and lines[index].lstrip().startswith("#"):
        index += 1
    return "".join(lines[index:])


def parse(text: str, fmt: str) -> dict[str, Any] | None:
    """The edited object, or None for an empty file (cancel). Raises :class:`EditorParseError`."""
    body = strip_header(text)
    if not body.strip():
        return None
    try:
        value = yaml.safe_load(body) if fmt == "yaml" else json.loads(body)
    except json.JSONDecodeError as error:
        raise EditorParseError(
            f"not valid JSON: {error.msg} at line {error.lineno + _header_lines(text)}, column {error.colno}"
        ) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1 + _header_lines(text)}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise EditorParseError(f"not valid YAML: {problem}{where}") from None
    if not isinstance(value, dict):
        raise EditorParseError(f"the secret must be an object of keys and values, not {type(value).__name__}")
    bad = [key for key in value if not isinstance(key, str)]
    if bad:
        raise EditorParseError(f"every key must be a string; {bad[0]!r} is not")
    if not value:
        raise EditorParseError("the secret has no keys (an empty secret cannot be written; empty the file to cancel)")
    return value


def _header_lines(text: str) -> int:
    return len(text.splitlines()) - len(strip_header(text).splitlines())


def private_directory() -> Path:
    """A fresh directory only this user can enter (0700), memory-backed where possible."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    base = runtime if runtime and os.path.isdir(runtime) and os.access(runtime, os.W_OK) else None
    return Path(tempfile.mkdtemp(prefix="vault-tui-edit-", dir=base))


def write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


def edit(
    data: Mapping[str, Any],
    fmt: str,
    run_editor: Callable[[Path], int],
    *,
    where: str = "",
    max_attempts: int = 20,
) -> EditOutcome:
    """Edit ``data`` in an external editor until it parses, is cancelled, or the editor fails.

    ``run_editor(path)`` runs the editor on the file (blocking) and returns its exit status.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    directory = private_directory()
    path = directory / f"secret.{fmt}"
    problems: list[str] = []
    try:
        original = render(data, fmt, where=where)
        write_private(path, original)
        shown = original
        for attempt in range(1, max_attempts + 1):
            status = run_editor(path)
            if status != 0:
                return EditOutcome(
                    None, f"the editor exited with status {status}: nothing was saved", attempt, tuple(problems)
                )
            text = path.read_text(encoding="utf-8")
            if text == shown:
                return EditOutcome(None, "no change", attempt, tuple(problems))
            try:
                result = parse(text, fmt)
            except EditorParseError as error:
                problems.append(str(error))
                shown = render(data, fmt, where=where, error=str(error), text=strip_header(text))
                write_private(path, shown)
                continue
            if result is None:
                return EditOutcome(None, "the file was emptied", attempt, tuple(problems))
            return EditOutcome(result, "", attempt, tuple(problems))
        return EditOutcome(None, "too many attempts that did not parse", max_attempts, tuple(problems))
    finally:
        shutil.rmtree(directory, ignore_errors=True)
