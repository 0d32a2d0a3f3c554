"""The operator's trail: a local record of every change vault-tui makes on a server.

What it records, one JSON object per line: the time (UTC), the profile, the server address, the
namespace, the action (write, patch, rollback, delete, undelete, destroy, metadata, renew, revoke,
revoke-prefix, key create/rotate/config/delete, credentials issued, certificate issue/revoke,
import, copy, move, export...), its target (a secret path, a lease id or prefix, a key, a
certificate serial), the result ("ok" or the error's one-line message) and, where they apply,
version numbers.

What it never records: a secret value, a token, a secret id, a plaintext or a private key. The API
has no field that could carry one (:meth:`Trail.record` takes only the fields above), and every
free-text field goes through :func:`sanitise`, which removes anything that looks like a token
(``hvs.``, ``hvb.``, ``s.``, ``b.``... prefixes), a JWT, a PEM block or a transit ciphertext, and,
in error messages, any long opaque string.

Where: ``trail.jsonl`` under the user's state directory (``platformdirs``; on Linux
``~/.local/state/vault-tui/``). The directory is created with mode 0700 and the file with mode
0600 from its first byte (``os.open`` with the mode, never a chmod afterwards). When the file
passes 5 MB it is rotated to ``trail.jsonl.1`` (then ``.2``, ``.3``; the oldest is dropped).
Appends are thread-safe and, on POSIX, safe between several vault-tui processes (``flock``).

**This is not an audit log.** It is what this copy of vault-tui did, kept on this machine, and the
user can edit or delete it. Vault's audit devices (``vault audit enable``) record every request
the server receives, from every client, with HMAC'd values; use those for compliance and forensics.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import stat
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

try:  # POSIX only; elsewhere appends are serialised within this process only.
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

APP_NAME = "vault-tui"
FILE_NAME = "trail.jsonl"
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
DEFAULT_BACKUPS = 3
_MAX_TARGET = 1000
_MAX_RESULT = 300
REDACTED = "[redacted]"


class Action(StrEnum):
    WRITE = "write"
    PATCH = "patch"
    ROLLBACK = "rollback"
    DELETE = "delete"  # soft-delete of versions (KV v2) or delete (KV v1)
    DELETE_ALL = "delete-all"  # every version and the metadata
    UNDELETE = "undelete"
    DESTROY = "destroy"
    METADATA = "metadata"
    RENEW = "renew"
    REVOKE = "revoke"
    REVOKE_PREFIX = "revoke-prefix"
    REVOKE_FORCE = "revoke-force"
    KEY_CREATE = "key-create"
    KEY_ROTATE = "key-rotate"
    KEY_CONFIG = "key-config"
    KEY_DELETE = "key-delete"
    CREDENTIALS_ISSUED = "credentials-issued"
    CERT_ISSUE = "cert-issue"
    CERT_REVOKE = "cert-revoke"
    IMPORT = "import"
    COPY = "copy"
    MOVE = "move"
    EXPORT = "export"  # values left the server to a file (not a change, but worth knowing)


@dataclass(frozen=True)
class TrailEntry:
    time: datetime
    action: Action
    target: str
    result: str  # "ok" or a one-line error message
    profile: str = ""
    server: str = ""
    namespace: str = ""
    versions: tuple[int, ...] = ()

    @property
    def ok(self) -> bool:
        return self.result == "ok"

    def to_json(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "time": self.time.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "profile": self.profile,
            "server": self.server,
            "namespace": self.namespace,
            "action": self.action.value,
            "target": self.target,
            "result": self.result,
        }
        if self.versions:
            record["versions"] = list(self.versions)
        return record

    @classmethod
    def from_json(cls, record: Any) -> TrailEntry | None:
        """One parsed line, or None when it is not a trail entry."""
        if not isinstance(record, dict):
            return None
        try:
            when = datetime.fromisoformat(str(record["time"]).replace("Z", "+00:00"))
            action = Action(str(record["action"]))
        except (KeyError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        versions = record.get("versions") or ()
        if not isinstance(versions, list):
            versions = ()
        return cls(
            time=when,
            action=action,
            target=str(record.get("target") or ""),
            result=str(record.get("result") or ""),
            profile=str(record.get("profile") or ""),
            server=str(record.get("server") or ""),
            namespace=str(record.get("namespace") or ""),
            versions=tuple(int(v) for v in versions if isinstance(v, int) and not isinstance(v, bool)),
        )

    def matches(self, text: str) -> bool:
        """Case-insensitive substring match over every field."""
        needle = text.casefold()
        haystack = (self.action.value, self.target, self.result, self.profile, self.server, self.namespace)
        return any(needle in field.casefold() for field in haystack)


# -- sanitising -----------------------------------------------------------------------------------
_PEM = re.compile(r"-----BEGIN [A-Z0-9 ]+-----.*?(?:-----END [A-Z0-9 ]+-----|\Z)", re.S)
_TOKEN = re.compile(r"(?<![A-Za-z0-9])(?:hv[sbr]|s|b|r)\.[A-Za-z0-9_\-]{16,}")
_JWT = re.compile(r"eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*")
_CIPHERTEXT = re.compile(r"(?:vault|bao):v\d+:[A-Za-z0-9+/=]+")
# Long opaque strings (keys, secret ids, base64) in free-text messages: letters and digits mixed.
_RUN = r"[A-Za-z0-9+/=_\-]"
_OPAQUE = re.compile(rf"(?<!{_RUN})(?={_RUN}*\d)(?={_RUN}*[A-Za-z]){_RUN}{{32,}}")


def sanitise(text: str, *, free_text: bool = True, limit: int = _MAX_RESULT) -> str:
    """Remove anything that looks like a credential, and make it one line of at most ``limit``.

    ``free_text`` (error messages) also removes long opaque strings; a target (a path someone
    will want to open again) keeps them."""
    text = _PEM.sub(REDACTED, str(text))
    text = _JWT.sub(REDACTED, text)
    text = _TOKEN.sub(REDACTED, text)
    text = _CIPHERTEXT.sub(REDACTED, text)
    if free_text:
        text = _OPAQUE.sub(REDACTED, text)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def result_text(result: str | BaseException | None) -> str:
    """ "ok" for None/"ok", else the error's first line, sanitised."""
    if result is None:
        return "ok"
    if isinstance(result, BaseException):
        message = str(result).strip() or type(result).__name__
        message = message.splitlines()[0]
    else:
        message = str(result).strip() or "ok"
    return sanitise(message)


def server_text(address: str) -> str:
    """The server address without any user:password part or query."""
    address = str(address or "").strip()
    try:
        parts = urlsplit(address)
    except ValueError:
        return sanitise(address, free_text=False, limit=200)
    if parts.hostname is None:
        return sanitise(address, free_text=False, limit=200)
    host = parts.hostname
    if ":" in host:
        host = f"[{host}]"
    try:
        netloc = host if parts.port is None else f"{host}:{parts.port}"
    except ValueError:
        netloc = host
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


# -- the trail ------------------------------------------------------------------------------------
def default_path() -> Path:
    import platformdirs

    return platformdirs.user_state_path(APP_NAME, appauthor=False) / FILE_NAME


class Trail:
    """Append-only JSON lines with size-based rotation. Thread-safe.

    ``record`` never raises for a file-system problem (the change it describes has already
    happened): it returns the entry and sets :attr:`last_error` to a message instead."""

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        backups: int = DEFAULT_BACKUPS,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._own_directory = path is None
        self.path = Path(path) if path is not None else default_path()
        self.max_bytes = max(1024, int(max_bytes))
        self.backups = max(0, int(backups))
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        self.last_error: str | None = None

    def __repr__(self) -> str:
        return f"Trail(path={str(self.path)!r})"

    # -- writing ----------------------------------------------------------------------------
    def record(
        self,
        action: Action | str,
        target: str,
        result: str | BaseException | None = None,
        *,
        profile: str | None = None,
        server: str | None = None,
        namespace: str | None = None,
        versions: Iterable[int] = (),
    ) -> TrailEntry:
        """Append one entry. ``result`` is None or "ok" for success, else the exception (or its
        message). Only these fields exist: there is nowhere to put a value."""
        entry = TrailEntry(
            time=self._clock(),
            action=Action(action),
            target=sanitise(target, free_text=False, limit=_MAX_TARGET),
            result=result_text(result),
            profile=sanitise(profile or "", free_text=False, limit=200),
            server=server_text(server or ""),
            namespace=sanitise(namespace or "", free_text=False, limit=200),
            versions=tuple(sorted({int(v) for v in versions})),
        )
        line = (json.dumps(entry.to_json(), ensure_ascii=True, separators=(",", ":")) + "\n").encode("ascii")
        try:
            with self._lock, self._file_lock():
                self._rotate_if_needed(len(line))
                self._append(line)
            self.last_error = None
        except OSError as error:
            self.last_error = f"could not write the trail at {self.path}: {error.strerror or error}"
        return entry

    def _prepare_directory(self) -> None:
        directory = self.path.parent
        if not directory.exists():
            directory.parent.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(FileExistsError):
                os.mkdir(directory, 0o700)
            os.chmod(directory, 0o700)
        elif self._own_directory:
            mode = stat.S_IMODE(os.stat(directory).st_mode)
            if mode & 0o077:
                os.chmod(directory, 0o700)

    def _open(self, path: Path, flags: int) -> int:
        """Open (creating with 0600) a regular file, never following a symlink."""
        fd = os.open(path, flags | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0), 0o600)
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise OSError(f"{path} is not a regular file")
            if stat.S_IMODE(info.st_mode) & 0o077:
                os.fchmod(fd, 0o600)
        except BaseException:
            os.close(fd)
            raise
        return fd

    @contextlib.contextmanager
    def _file_lock(self, shared: bool = False) -> Iterator[None]:
        self._prepare_directory()
        if fcntl is None:  # pragma: no cover
            yield
            return
        fd = self._open(self.path.with_name(self.path.name + ".lock"), os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    def _append(self, line: bytes) -> None:
        fd = self._open(self.path, os.O_WRONLY | os.O_APPEND)
        try:
            written = os.write(fd, line)
            while written < len(line):  # pragma: no cover - a short write on a full disk
                written += os.write(fd, line[written:])
        finally:
            os.close(fd)

    def _rotate_if_needed(self, incoming: int) -> None:
        try:
            size = os.stat(self.path).st_size
        except FileNotFoundError:
            return
        if size == 0 or size + incoming <= self.max_bytes:
            return
        if self.backups == 0:
            os.unlink(self.path)
            return
        for index in range(self.backups - 1, 0, -1):
            older = self._numbered(index)
            if older.exists():
                os.replace(older, self._numbered(index + 1))
        os.replace(self.path, self._numbered(1))

    def _numbered(self, index: int) -> Path:
        return self.path.with_name(f"{self.path.name}.{index}")

    # -- reading ----------------------------------------------------------------------------
    def files(self) -> list[Path]:
        """The trail's files, oldest first (rotated ones, then the current one)."""
        found = [self._numbered(i) for i in range(self.backups, 0, -1)]
        found.append(self.path)
        return [p for p in found if p.is_file()]

    def _read_all(self) -> list[bytes]:
        contents = []
        for path in self.files():
            try:
                contents.append(path.read_bytes())
            except OSError:
                continue
        return contents

    def entries(
        self,
        newest_first: bool = True,
        filter: Callable[[TrailEntry], bool] | str | None = None,  # noqa: A002 - the documented name
        *,
        limit: int | None = None,
    ) -> list[TrailEntry]:
        """Every entry across the rotated files; ``filter`` is a predicate or a search text
        (case-insensitive, over every field). Lines that are not entries are skipped."""
        if not self.path.parent.exists():
            return []
        predicate: Callable[[TrailEntry], bool] | None
        if isinstance(filter, str):
            text = filter
            predicate = (lambda e: e.matches(text)) if text.strip() else None
        else:
            predicate = filter
        with self._lock:
            try:
                with self._file_lock(shared=True):
                    contents = self._read_all()
            except OSError:  # no lock file possible (a read-only directory): read as it is
                contents = self._read_all()
        collected: list[TrailEntry] = []
        for raw in contents:
            for line in raw.splitlines():
                try:
                    entry = TrailEntry.from_json(json.loads(line))
                except ValueError:
                    continue
                if entry is not None and (predicate is None or predicate(entry)):
                    collected.append(entry)
        if newest_first:
            collected.reverse()
        return collected[:limit] if limit is not None else collected
