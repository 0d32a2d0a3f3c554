"""Pure diff of two secret versions by key."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Change(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"
    SAME = "same"


@dataclass(frozen=True)
class DiffEntry:
    key: str
    change: Change
    old: Any = None
    new: Any = None


def diff_data(old: Mapping[str, Any], new: Mapping[str, Any], *, include_same: bool = False) -> tuple[DiffEntry, ...]:
    entries: list[DiffEntry] = []
    for key in sorted(set(old) | set(new)):
        if key not in old:
            entries.append(DiffEntry(key, Change.ADDED, None, new[key]))
        elif key not in new:
            entries.append(DiffEntry(key, Change.REMOVED, old[key], None))
        elif old[key] != new[key]:
            entries.append(DiffEntry(key, Change.CHANGED, old[key], new[key]))
        elif include_same:
            entries.append(DiffEntry(key, Change.SAME, old[key], new[key]))
    return tuple(entries)
