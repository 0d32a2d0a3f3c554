"""The lint view's model (no Textual): thresholds from the config, the table's columns, sorting
and filtering of findings, where each finding leads, the status line and the export."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC
from typing import Any, TextIO

from ..history.jump import Target, cert_target, key_target, kv_target, lease_target
from .checks import Finding, ItemType, LintSettings
from .model import LintReport, write_csv, write_json

COLUMNS: tuple[tuple[str, str, int | None], ...] = (  # (key, label, width or None)
    ("severity", "Severity", 8),
    ("kind", "Kind", None),
    ("item", "Item", None),
    ("path", "Path", 36),
    ("why", "Why", None),
)


def lint_settings(config: Any) -> tuple[LintSettings, str]:
    """Thresholds from ``config.lint`` (a :class:`LintSettings` or a ``[lint]`` mapping), else the
    defaults. Returns (settings, a problem to tell the user or "")."""
    value = getattr(config, "lint", None)
    if isinstance(value, LintSettings):
        return value, ""
    if isinstance(value, Mapping):
        try:
            return LintSettings.from_mapping(value), ""
        except ValueError as error:
            return LintSettings(), f"config: {error}; using the default thresholds"
    return LintSettings(), ""


def sort_key(column: str) -> Callable[[Finding], Any]:
    if column == "severity":
        return lambda f: (f.severity.rank, f.kind.value, f.path)
    if column == "kind":
        return lambda f: (f.kind.value, f.severity.rank, f.path)
    if column == "item":
        return lambda f: (f.item.value, f.severity.rank, f.path)
    if column == "why":
        return lambda f: (f.why, f.path)
    return lambda f: (f.path, f.severity.rank, f.kind.value)


def arrange(findings: Sequence[Finding], column: str, reverse: bool, text: str = "") -> list[Finding]:
    """Findings matching ``text`` (any column), sorted by ``column``."""
    needle = text.strip().casefold()
    chosen = [f for f in findings if not needle or any(needle in v.casefold() for v in f.as_row().values())]
    return sorted(chosen, key=sort_key(column), reverse=reverse)


def target_of(finding: Finding) -> Target | None:
    """The view and item ``enter`` opens for a finding."""
    if finding.item is ItemType.SECRET or finding.item is ItemType.MOUNT:
        return kv_target(finding.path)
    if finding.item is ItemType.TRANSIT_KEY:
        return key_target(finding.mount, finding.name)
    if finding.item is ItemType.LEASE:
        return lease_target(finding.name)
    if finding.item is ItemType.CERTIFICATE:
        return cert_target(finding.mount, finding.name)
    return None


def summary(report: LintReport) -> str:
    counts = report.count_by_severity()
    checked = report.checked
    found = len(report.findings)
    head = "no findings" if not found else f"{found} finding{'s' if found != 1 else ''}"
    if found:
        head += " (" + ", ".join(f"{counts[s]} {s}" for s in ("high", "medium", "low") if counts.get(s)) + ")"
    what = ", ".join(
        f"{checked.get(key, 0)} {label}"
        for key, label in (
            ("mounts", "mounts"),
            ("secrets", "secrets"),
            ("transit_keys", "keys"),
            ("leases", "leases"),
            ("certificates", "certificates"),
        )
    )
    when = report.generated_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    tail = " · CANCELLED: partial report (r runs again)" if report.cancelled else ""
    return f"{head} · checked {what} · {when}{tail}"


def write_report(out: TextIO, report: LintReport, fmt: str) -> None:
    (write_json if fmt == "json" else write_csv)(report, out)
