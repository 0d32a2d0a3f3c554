"""Files the user asked vault-tui to write (exports): mode 0600 from their first byte.

Shared by the views that export (PKI inventory, lint report). Textual-free.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TextIO


def resolve_target(name: str) -> Path:
    """The file a user typed (``~`` expanded, relative to the working directory), made absolute.

    Raises ValueError for an empty name or a directory."""
    text = str(name or "").strip()
    if not text:
        raise ValueError("give a file name")
    target = Path(os.path.expanduser(text))
    if not target.is_absolute():
        target = Path.cwd() / target
    if target.is_dir():
        raise ValueError(f"{target} is a directory")
    return target


def write_private(path: str | os.PathLike[str], write: Callable[[TextIO], object]) -> Path:
    """Write ``path`` through ``write(handle)``: a temporary file created with mode 0600 next to
    it, then renamed over it (an existing file, or a symlink, is replaced, never followed or
    half-written). Returns the absolute path."""
    target = resolve_target(str(path))
    fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return target
