"""Files the user asked vault-tui to write (exports): mode 0600 from their first byte.

Shared by the views that export (PKI inventory, lint report). Textual-free.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from ..exporting import private_file


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
    """Write ``path`` through ``write(handle)`` with mode 0600 from the first byte, replacing an
    existing file (or symlink) whole, never following it or leaving it half-written
    (:func:`vault_tui.exporting.private_file`). Returns the absolute path."""
    target = resolve_target(str(path))
    with private_file(target, overwrite=True) as handle:
        write(handle)
    return target
