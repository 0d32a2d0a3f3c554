"""The detail pane's rules, without Textual: which actions are available, why not, what the status
line says, and which versions a diff or a step picks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ...timefmt import format_time
from ...vault.errors import NotFound, VaultError
from ...vault.models import EngineKind, SecretData, SecretMetadata, VersionState
from ...vault.policies import SecretPermissions
from .planner import permission_for

WRITE_ACTIONS = frozenset(
    {"edit", "patch", "rollback", "delete_versions", "undelete", "destroy", "delete_all", "metadata"}
)
KV2_ONLY = frozenset(
    {"rollback", "delete_versions", "undelete", "destroy", "metadata", "diff", "mark", "older", "newer"}
)
NEEDS_SECRET = WRITE_ACTIONS | {"reveal", "reveal_all", "copy", "copy_json", "diff", "mark", "older", "newer", "reload"}
ACTION_WORDS: Mapping[str, str] = {
    "edit": "write",
    "patch": "patch",
    "rollback": "roll back",
    "delete_versions": "delete versions",
    "undelete": "undelete",
    "destroy": "destroy",
    "delete_all": "delete",
    "metadata": "change metadata",
}
READ_ONLY_REASON = "read-only mode: vault-tui makes no changes (--read-only or the profile's read_only)"


@dataclass(frozen=True)
class PaneState:
    """What the rules need to know about the pane."""

    view: str  # none | mount | folder | secret
    kind: EngineKind | None
    read_only: bool
    permissions: SecretPermissions | None

    @property
    def kv2(self) -> bool:
        return self.kind is EngineKind.KV2


def action_state(state: PaneState, action: str, parameters: tuple[object, ...] = ()) -> bool | None:
    """Textual's ``check_action`` answer: True available, None greyed out (forbidden), False hidden."""
    if action in WRITE_ACTIONS and state.read_only:
        return False
    if action in NEEDS_SECRET and state.view != "secret":
        return False
    if action in KV2_ONLY and not state.kv2:
        return False
    if action == "tab" and parameters and parameters[0] in ("versions", "metadata", "diff"):
        return state.view == "secret" and state.kv2
    needed = permission_for(action, state.kind) if state.kind is not None else None
    if needed and state.permissions is not None and not state.permissions.allows(needed):
        return None
    return True


def refusal_reason(state: PaneState, action: str) -> str | None:
    """Why ``action`` is hidden or greyed out (None when it is available)."""
    if action_state(state, action):
        return None
    if action in WRITE_ACTIONS and state.read_only:
        return READ_ONLY_REASON
    if action in NEEDS_SECRET and state.view != "secret":
        return "select a secret first"
    if action in KV2_ONLY and not state.kv2:
        return "KV v1 keeps no versions or metadata"
    needed = permission_for(action, state.kind) if state.kind is not None else None
    permission = state.permissions.get(needed) if (state.permissions is not None and needed) else None
    if permission is not None and permission.reason:
        return f"your token cannot {ACTION_WORDS.get(action, action)}: {permission.reason}"
    return "not available here"


def denied_words(state: PaneState) -> list[str]:
    """The writes the token may not do here, in words (for the status line)."""
    if state.permissions is None or state.read_only or state.kind is None:
        return []
    denied: list[str] = []
    for action, word in ACTION_WORDS.items():
        needed = permission_for(action, state.kind)
        if needed and not state.permissions.allows(needed) and word not in denied:
            denied.append(word)
    return denied


def status_line(
    state: PaneState, errors: Mapping[str, VaultError], secret: SecretData | None, has_draft: bool
) -> tuple[str, str]:
    """(text, severity) of the pane's status line for a secret."""
    data_error, meta_error = errors.get("data"), errors.get("meta")
    if isinstance(data_error, NotFound) and (meta_error is None or isinstance(meta_error, NotFound)):
        return "This secret does not exist (any more). Press R to reload.", "warning"
    problems = [f"{what}: {error}" for what, error in (("data", data_error), ("metadata", meta_error)) if error]
    if problems:
        return "Could not read " + "; ".join(problems), "error"
    notes = []
    if secret is not None and secret.state is VersionState.DELETED:
        notes.append(f"Version {secret.version} was deleted {format_time(secret.deletion_time)}: u undeletes it.")
    elif secret is not None and secret.state is VersionState.DESTROYED:
        notes.append(f"Version {secret.version} was destroyed; its data is gone.")
    if has_draft:
        notes.append("You have an unsaved edit of this secret: press e to reopen it.")
    if notes:
        return " ".join(notes), "warning"
    if secret is None:
        return "Loading…", ""
    denied = denied_words(state)
    if denied:
        return f"Your token cannot {', '.join(denied)} here (greyed out); see the Access tab (6) for why.", "warning"
    hint = "v reveal · V reveal all · enter view · c copy · f diff"
    if not state.read_only:
        hint += " · e edit · p patch"
    return hint, ""


def diff_pair(shown: int | None, marked: set[int], meta: SecretMetadata | None) -> list[int] | str | None:
    """The two versions ``f`` compares: the two marked; one marked and the one shown; else the one
    shown and the live version before it. A string says why there is none; None: nothing to do."""
    numbers = sorted(marked)
    if len(numbers) >= 2:
        return numbers[-2:]
    if len(numbers) == 1 and shown is not None and shown != numbers[0]:
        return sorted([numbers[0], shown])
    if shown is None or meta is None:
        return None
    older = [v.version for v in meta.versions if v.version < shown]
    live = [v.version for v in meta.versions if v.version < shown and v.state is VersionState.LIVE]
    older = live or older
    if not older:
        return "There is no older version to compare with."
    return [max(older), shown]


def step_version(current: int, meta: SecretMetadata, direction: int) -> int | None:
    """The next newer (``+1``) or older (``-1``) version, or None at the end."""
    numbers = sorted(v.version for v in meta.versions)
    candidates = [n for n in numbers if (n > current if direction > 0 else n < current)]
    if not candidates:
        return None
    return candidates[0] if direction > 0 else candidates[-1]
