"""Pure time formatting helpers (no textual)."""

from __future__ import annotations

from datetime import UTC, datetime


def format_ttl(seconds: float | None, *, none: str = "—") -> str:
    """``3725`` → ``1h02m05s``; ``<= 0`` → ``expired``; None → ``none``."""
    if seconds is None:
        return none
    if seconds <= 0:
        return "expired"
    total = int(seconds)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d{hours:02d}h{minutes:02d}m"
    if hours:
        return f"{hours}h{minutes:02d}m{secs:02d}s"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


def format_time(value: datetime | None) -> str:
    if value is None:
        return "—"
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def utcnow() -> datetime:
    return datetime.now(UTC)
