"""The lint report's thresholds: the ``[lint]`` table of the config file.

Textual-free and free of the lint engine, so the config loader can validate the table without
importing a view (the lint engine, :mod:`vault_tui.views.lint.model`, re-exports it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any


@dataclass(frozen=True)
class LintSettings:
    """Thresholds; the config file's ``[lint]`` table sets them by field name."""

    stale_days: int = 365  # a secret not updated for longer than this
    transit_rotation_days: int = 365  # a transit key whose newest version is older than this
    transit_min_decryption_gap: int = 3  # more than this many old versions may still decrypt
    lease_ttl_days: int = 30  # a lease with more than this left
    cert_expiry_days: int = 30  # a certificate expiring within this
    max_versions_limit: int = 50  # a mount or secret that keeps more versions than this
    secret_cas_findings: bool = True  # one finding per secret on a mount without cas_required

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], *, where: str = "lint") -> LintSettings:
        """Build from a config table. Raises ValueError naming the bad key."""
        known = {f.name: f for f in fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in values.items():
            if key not in known:
                raise ValueError(f"{where}.{key}: unknown setting (known: {', '.join(sorted(known))})")
            if known[key].type in ("bool", bool):
                if not isinstance(value, bool):
                    raise ValueError(f"{where}.{key}: must be true or false")
            elif isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{where}.{key}: must be a whole number, 0 or more")
            kwargs[key] = value
        return cls(**kwargs)


CONFIG_KEYS = tuple(f.name for f in fields(LintSettings))
