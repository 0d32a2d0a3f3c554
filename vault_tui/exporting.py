"""Writing files the user asked for: private (mode 0600 from the first byte), streamed, atomic.

* :func:`private_file` opens a temporary file **created** with mode 0600 (``mkstemp``) in the
  target's directory, so there is no moment when the data is readable by others; on success it is
  moved into place (``link`` for a new file, so an existing one is never clobbered by a race;
  ``replace`` when ``overwrite`` is allowed). On failure the temporary file is removed, so a failed
  export never leaves a half-written file behind.
* :class:`Progress` is a plain-text progress bar for a terminal's stderr (no colours, no Rich).

No textual here: the command line and the UI's workers both use it.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TextIO

PRIVATE_MODE = 0o600


class ExportFileError(OSError):
    """The file cannot be written where the user asked. ``str()`` is one plain sentence."""


def _target(path: str | os.PathLike[str]) -> Path:
    target = Path(path).expanduser()
    if not target.name or target.name in (".", ".."):
        raise ExportFileError(f"{os.fspath(path)!r} is not a file name")
    return target


def check_target(path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Raise :class:`ExportFileError` now (before any value is read) if ``path`` cannot be written."""
    target = _target(path)
    try:
        info = target.lstat()
    except FileNotFoundError:
        info = None
    if info is not None:
        if not stat.S_ISREG(info.st_mode) and not stat.S_ISLNK(info.st_mode):
            raise ExportFileError(f"{target} exists and is not a regular file")
        if not overwrite:
            raise ExportFileError(f"{target} already exists (choose another name, or allow replacing it)")
    parent = target.parent
    if not parent.is_dir():
        raise ExportFileError(f"the folder {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ExportFileError(f"cannot write in the folder {parent}")
    return target


@contextlib.contextmanager
def private_file(path: str | os.PathLike[str], *, overwrite: bool = False) -> Iterator[TextIO]:
    """A text file (UTF-8, ``\\n`` newlines) that appears at ``path`` with mode 0600 once the block
    finishes without an exception.

    ``overwrite=False`` refuses an existing file (:class:`ExportFileError`), also when one appears
    while the block runs."""
    target = check_target(path, overwrite=overwrite)
    fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    temp = Path(temp_name)
    try:
        os.fchmod(fd, PRIVATE_MODE)  # mkstemp already uses 0600; be explicit whatever the umask
        handle = os.fdopen(fd, "w", encoding="utf-8", newline="")
    except BaseException:
        os.close(fd)
        temp.unlink(missing_ok=True)
        raise
    try:
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        _move_into_place(temp, target, overwrite=overwrite)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _move_into_place(temp: Path, target: Path, *, overwrite: bool) -> None:
    if overwrite:
        os.replace(temp, target)
        return
    try:
        os.link(temp, target)  # atomic, and fails if the name was taken meanwhile
    except FileExistsError:
        raise ExportFileError(f"{target} already exists (choose another name, or allow replacing it)") from None
    except OSError:
        # A file system without hard links: check and rename (a tiny race, on such systems only).
        if target.exists():
            raise ExportFileError(f"{target} already exists (choose another name, or allow replacing it)") from None
        os.replace(temp, target)
        return
    temp.unlink(missing_ok=True)


def write_private_text(path: str | os.PathLike[str], text: str, *, overwrite: bool = False) -> Path:
    """Write ``text`` to ``path`` with mode 0600 (see :func:`private_file`). Returns the path."""
    with private_file(path, overwrite=overwrite) as handle:
        handle.write(text)
    return _target(path)


def file_mode(path: str | os.PathLike[str]) -> int:
    """The permission bits of ``path`` (e.g. ``0o600``)."""
    return stat.S_IMODE(os.stat(path).st_mode)


# -- progress ------------------------------------------------------------------------------------
class Progress:
    """``leases  120/500 [######--------------]  24%`` on one line of stderr, redrawn in place.

    Shown only when ``enabled`` (default: when the stream is a terminal). Redraws at most every
    ``interval`` seconds; :meth:`finish` draws the final state and ends the line."""

    def __init__(
        self,
        label: str,
        total: int | None = None,
        *,
        stream: IO[str] | None = None,
        enabled: bool | None = None,
        width: int = 24,
        interval: float = 0.1,
    ) -> None:
        self.label = label
        self.total = total
        self.done = 0
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            isatty = getattr(self.stream, "isatty", None)
            enabled = bool(isatty and isatty())
        self.enabled = enabled
        self.width = width
        self.interval = interval
        self._last = 0.0
        self._drawn = False

    def render(self) -> str:
        if self.total:
            fraction = min(1.0, self.done / self.total)
            filled = int(round(fraction * self.width))
            bar = "#" * filled + "-" * (self.width - filled)
            return f"{self.label} {self.done}/{self.total} [{bar}] {int(fraction * 100):3d}%"
        return f"{self.label} {self.done}"

    def _draw(self, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last < self.interval:
            return
        self._last = now
        # On a terminal, "erase to end of line" cleans up a longer previous line.
        tail = "\x1b[K" if self._isatty() else ""
        self.stream.write("\r" + self.render() + tail)
        self.stream.flush()
        self._drawn = True

    def _isatty(self) -> bool:
        isatty = getattr(self.stream, "isatty", None)
        return bool(isatty and isatty())

    def set_total(self, total: int | None) -> None:
        self.total = total
        self._draw(force=True)

    def update(self, done: int) -> None:
        self.done = done
        self._draw()

    def advance(self, step: int = 1) -> None:
        self.update(self.done + step)

    def finish(self) -> None:
        if not self.enabled:
            return
        self._draw(force=True)
        self.stream.write("\n")
        self.stream.flush()
