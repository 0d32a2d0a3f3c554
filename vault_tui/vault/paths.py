"""Exact secret paths: what the user typed is what reaches the server, or nothing is sent.

Three things stand between a typed path and the path Vault acts on:

* the HTTP stack: requests/urllib3 remove ``.`` and ``..`` segments (RFC 3986 dot-segment
  removal; they even decode ``%2E%2E`` first), hvac collapses ``//``, and ``?``, ``#`` and ``%``
  change the meaning of a URL;
* the server: Go's HTTP mux redirects a path with ``.``/``..``/``//`` to the cleaned path (so a
  client that follows redirects writes somewhere else), and Vault refuses any character that
  is not printable (control characters, bidi controls, zero-width and non-ASCII spaces) with 400;
* the screen: a path with invisible characters cannot be shown as what it is.

:func:`validate_secret_path` refuses everything that would change the path (raising
:class:`~vault_tui.vault.errors.BadPath` before any request), and :func:`encode_api_path`
percent-encodes each segment so ``?``, ``#``, ``%``, spaces and unicode arrive as typed.
:func:`split_full_path` / :func:`resolve_full_path` turn a full path typed into "go to path"
(``secret/app/db``, or KV v2 API style ``secret/data/app/db``) into a mount and a path inside it.

Pure functions, no network.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from urllib.parse import quote

from .errors import BadPath
from .models import EngineKind, Mount

# KV v2 API sections that name a secret path after them: ``mount/data/x``, ``mount/metadata/x``.
KV2_PATH_SECTIONS = ("data", "metadata")


def _printable(ch: str) -> bool:
    """Go's ``unicode.IsPrint``, which Vault applies to every request path."""
    return ch == " " or unicodedata.category(ch)[0] in "LMNPS"


def _describe(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}" + (f" ({name})" if name else "")


def _check_segments(body: str, *, what: str, whole: str) -> None:
    for index, segment in enumerate(body.split("/"), start=1):
        if segment == "":
            raise BadPath(
                f"the {what} has an empty segment ('//' or a trailing '/'): the server would merge it away, "
                "so type each folder name once, separated by a single '/'",
                path=whole,
            )
        if segment in (".", ".."):
            raise BadPath(
                f"the {what} has a '{segment}' segment (segment {index}): '.' and '..' are resolved away "
                "on the way to the server, so it would reach another path; use a name that is not '.' or '..'",
                path=whole,
            )
        for ch in segment:
            if not _printable(ch):
                raise BadPath(
                    f"the {what} contains {_describe(ch)} in segment {index}: control, invisible and "
                    "non-ASCII space characters are refused by the server and cannot be shown as they are",
                    path=whole,
                )


def validate_secret_path(path: str, *, folder: bool = False) -> str:
    """Return ``path`` if it reaches the server exactly as typed; raise :class:`BadPath` otherwise.

    ``path`` is inside a mount (``team/app/db``). A secret path must be non-empty and must not end
    in ``/``. With ``folder=True`` the mount root ``""`` is allowed and the result always ends in
    ``/`` (``team/app`` and ``team/app/`` both give ``team/app/``). Refused: a leading ``/``,
    empty segments (``a//b``), ``.`` and ``..`` segments, and characters that are not printable.
    Spaces, ``?``, ``#``, ``%``, ``[markup]`` and unicode are fine: :func:`encode_api_path` sends them.
    """
    if not isinstance(path, str):
        raise BadPath("a path must be text")
    if path == "":
        if folder:
            return ""
        raise BadPath("no path given: type the secret's name (its path inside the mount)")
    if path.startswith("/"):
        raise BadPath(
            "the path starts with '/': paths are relative to the mount, so write it without the leading '/'",
            path=path,
        )
    body = path
    if path.endswith("/"):
        if not folder:
            raise BadPath(
                "the path ends with '/', which names a folder, not a secret: add the secret's name after it",
                path=path,
            )
        body = path[:-1]
    _check_segments(body, what="path", whole=path)
    return body + "/" if folder else body


def validate_mount_path(mount: str) -> str:
    """A mount path (``secret``, ``secret/``, ``team/kv/``) without its slashes, validated."""
    if not isinstance(mount, str):
        raise BadPath("a mount path must be text")
    body = mount.strip("/")
    if not body:
        raise BadPath("no mount given", path=mount)
    _check_segments(body, what="mount path", whole=mount)
    return body


def encode_segment(segment: str) -> str:
    """Percent-encode one path segment: everything but ``A-Z a-z 0-9 - . _ ~`` (UTF-8 for unicode)."""
    return quote(segment, safe="")


def encode_api_path(api_path: str) -> str:
    """Percent-encode every segment of an API path (relative to ``/v1/``); slashes stay separators.

    The server decodes it back to exactly ``api_path``: requests and urllib3 leave ``%XX`` of
    reserved characters alone, and Go decodes them into the path Vault routes and checks.
    """
    return "/".join(encode_segment(segment) for segment in api_path.split("/"))


def kv_api_path(mount: str, path: str, section: str = "", *, folder: bool = False) -> str:
    """The API path (not encoded, as Vault's ACL sees it) of ``path`` in ``mount``.

    ``section`` is the KV v2 part (``data``, ``metadata``, ``delete``, ``undelete``, ``destroy``)
    or ``""`` for KV v1 and cubbyhole. With ``folder=True`` the result ends in ``/`` (for LIST).
    Raises :class:`BadPath` for a path that would not reach the server unchanged.
    """
    parts = [validate_mount_path(mount)]
    if section:
        parts.append(section)
    inner = validate_secret_path(path, folder=folder)
    return "/".join(parts) + "/" + inner


# -- go to path -----------------------------------------------------------------------------


def _mount_path(mount: Mount | str) -> str:
    path = mount.path if isinstance(mount, Mount) else mount
    return path if path.endswith("/") else path + "/"


def _match(full: str, mounts: Sequence[Mount | str]) -> tuple[Mount | str, str, str] | None:
    best: tuple[Mount | str, str] | None = None
    for mount in mounts:
        prefix = _mount_path(mount)
        if prefix == "/":
            continue
        if (full + "/").startswith(prefix) and (best is None or len(prefix) > len(best[1])):
            best = (mount, prefix)
    if best is None:
        return None
    mount, prefix = best
    return mount, prefix, full[len(prefix) :]


def _inside(mount: Mount | str, inner: str) -> str:
    """Map KV v2 API-style ``data/x`` and ``metadata/x`` to the secret path ``x``."""
    if isinstance(mount, Mount) and mount.kind is EngineKind.KV2:
        for section in KV2_PATH_SECTIONS:
            if inner.startswith(section + "/"):
                return inner[len(section) + 1 :]
    return inner


def split_full_path(full: str, mounts: Sequence[Mount | str]) -> tuple[str, str] | None:
    """Split ``secret/team/app/db`` into ``("secret/", "team/app/db")`` using the longest mount.

    ``mounts`` are :class:`Mount` objects or mount paths. For a KV v2 :class:`Mount` the API
    style is understood too: ``secret/data/app/x`` and ``secret/metadata/app/x`` give
    ``("secret/", "app/x")`` (a secret really named ``data/x`` is then ``secret/data/data/x``).
    A path ending in ``/`` is a folder (``secret/`` alone is the mount root, path ``""``).
    One leading ``/`` is allowed. Returns None when no mount matches; raises :class:`BadPath`
    when the path inside the mount would not reach the server unchanged.
    """
    if not isinstance(full, str):
        raise BadPath("a path must be text")
    text = full[1:] if full.startswith("/") else full
    if not text:
        raise BadPath("no path given: type a mount and a path, e.g. secret/app/db")
    found = _match(text, mounts)
    if found is None:
        return None
    mount, prefix, inner = found
    inner = _inside(mount, inner)
    if inner:
        inner = validate_secret_path(inner, folder=inner.endswith("/"))
    return prefix, inner


def resolve_full_path(full: str, mounts: Sequence[Mount]) -> tuple[Mount, str]:
    """Like :func:`split_full_path` but returns the :class:`Mount`, and says why when nothing matches."""
    split = split_full_path(full, mounts)
    if split is None:
        first = (full[1:] if full.startswith("/") else full).split("/", 1)[0]
        raise BadPath(
            f"no mount called {first!r} is visible to this token: the path must start with a mount, e.g. secret/",
            path=full,
        )
    prefix, inner = split
    for mount in mounts:
        if _mount_path(mount) == prefix:
            return mount, inner
    raise BadPath("no mount matches the path", path=full)  # pragma: no cover - split found one


def is_folder_path(path: str) -> bool:
    """``""`` (the mount root) and paths ending in ``/`` are folders."""
    return path == "" or path.endswith("/")
