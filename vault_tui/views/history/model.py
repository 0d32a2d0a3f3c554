"""The history view's model (no Textual): the trail's entries as table rows, filtering, and
where each entry leads (the view and item to open)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from ...trail import Action, Trail, TrailEntry
from .jump import Target, cert_name_target, cert_target, key_target, kv_target, lease_target

#: (key, label, width or None) of the table's columns, most useful first: at 80 columns the
#: time, action, result and the start of the target show; the line below the table has it all.
COLUMNS: tuple[tuple[str, str, int | None], ...] = (
    ("time", "Time (UTC)", 16),
    ("action", "Action", None),
    ("result", "Result", 18),
    ("target", "Target", None),
    ("profile", "Profile", None),
    ("namespace", "Namespace", None),
    ("server", "Server", None),
)

#: Rows put in the table at most (the newest); a filter narrows the rest.
MAX_ROWS = 2000

KV_ACTIONS = frozenset(
    {
        Action.WRITE,
        Action.PATCH,
        Action.ROLLBACK,
        Action.DELETE,
        Action.DELETE_ALL,
        Action.UNDELETE,
        Action.DESTROY,
        Action.METADATA,
        Action.IMPORT,
        Action.COPY,
        Action.MOVE,
        Action.EXPORT,
    }
)
LEASE_ACTIONS = frozenset(
    {Action.RENEW, Action.REVOKE, Action.REVOKE_PREFIX, Action.REVOKE_FORCE, Action.CREDENTIALS_ISSUED}
)
KEY_ACTIONS = frozenset({Action.KEY_CREATE, Action.KEY_ROTATE, Action.KEY_CONFIG, Action.KEY_DELETE})
CERT_ACTIONS = frozenset({Action.CERT_ISSUE, Action.CERT_REVOKE})
ARROWS = (" → ", " -> ", " => ")


def trail_for(config: Any) -> Trail:
    """The trail the app records to: ``config.trail_path`` when set (tests), else the default."""
    path = getattr(config, "trail_path", None)
    return Trail(path) if path else Trail()


def cells(entry: TrailEntry) -> dict[str, str]:
    result = entry.result
    versions = f" v{','.join(str(v) for v in entry.versions)}" if entry.versions else ""
    return {
        "time": entry.time.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),  # the table shows minutes
        "action": entry.action.value,
        "target": entry.target + versions,
        "result": result,
        "profile": entry.profile or "—",
        "namespace": entry.namespace or "—",
        "server": entry.server,
    }


def filtered(entries: Sequence[TrailEntry], text: str) -> list[TrailEntry]:
    """Entries matching ``text`` (case-insensitive, every field; see :meth:`TrailEntry.matches`)."""
    if not text.strip():
        return list(entries)
    return [e for e in entries if e.matches(text)]


def _destination(target: str) -> str:
    """``a → b`` (a copy or move) leads to ``b``."""
    for arrow in ARROWS:
        if arrow in target:
            return target.rsplit(arrow, 1)[1].strip()
    return target.strip()


def _split_item(target: str, marker: str) -> tuple[str, str] | None:
    """``transit/keys/orders`` → (``transit/``, ``orders``) for marker ``keys``; without the
    marker, the last segment is the item and the rest the mount."""
    text = target.strip().strip("/")
    if f"/{marker}/" in text:
        mount, _, item = text.partition(f"/{marker}/")
    elif "/" in text:
        mount, _, item = text.rpartition("/")
    else:
        return None
    if not mount or not item:
        return None
    return mount + "/", item


def target_of(entry: TrailEntry) -> Target | None:
    """Where ``enter`` on an entry leads, or None when there is nothing to open."""
    text = entry.target.strip()
    if not text:
        return None
    if entry.action in KV_ACTIONS:
        return kv_target(_destination(text))
    if entry.action in LEASE_ACTIONS:
        return lease_target(text)
    if entry.action in KEY_ACTIONS:
        parts = _split_item(text, "keys")
        return key_target(*parts) if parts else None
    if entry.action in CERT_ACTIONS:
        return _cert(text)
    return None


def _cert(text: str) -> Target | None:
    """Certificate targets as the trail writes them: ``pki_int/issue/web CN=app.example.test``
    (no serial yet: the PKI view shows the certificates with that name), ``pki_int serial 1a:2b``,
    and ``pki_int/cert/1a:2b``."""
    if " CN=" in text:
        name = text.split(" CN=", 1)[1].strip()
        return cert_name_target(name) if name else None
    if " serial " in text:
        mount, _, serial = text.partition(" serial ")
        return cert_target(mount, serial.strip()) if mount.strip() and serial.strip() else None
    parts = _split_item(text, "cert")
    return cert_target(*parts) if parts else None


@dataclass(frozen=True)
class Summary:
    total: int
    shown: int
    failed: int

    def text(self, filter_text: str) -> str:
        if not self.total:
            return "Nothing recorded yet: changes vault-tui makes (writes, deletes, renewals, revocations…) show here."
        parts = [f"{self.total} change{'s' if self.total != 1 else ''} recorded"]
        if self.failed:
            parts.append(f"{self.failed} failed")
        if filter_text:
            parts.append(f"{self.shown} match “{filter_text}”")
        parts.append("newest first · enter opens · not an audit log")
        return " · ".join(parts)


def summarise(entries: Sequence[TrailEntry], shown: int) -> Summary:
    return Summary(total=len(entries), shown=shown, failed=sum(1 for e in entries if not e.ok))
