"""The expiry histogram of the lease audit: how many leases expire in each slice of the next
hours, each bar a filter key (``expires:FROM-TO``) of :mod:`.audit`. Textual-free; split from
:mod:`.audit`, which re-exports these names.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from ...vault.leases import Lease

WINDOW = "expires:"


def window_key(start: float, end: float | None) -> str:
    return f"{WINDOW}{int(start)}-{'' if end is None else int(end)}"


def format_offset(seconds: float) -> str:
    """``0`` → ``now``; ``3600`` → ``+1h``; ``5400`` → ``+1h30m``; ``900`` → ``+15m``."""
    if seconds <= 0:
        return "now"
    total = int(round(seconds))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    text = ""
    if days:
        text += f"{days}d"
    if hours:
        text += f"{hours}h"
    if minutes:
        text += f"{minutes}m"
    if secs and not days and not hours:
        text += f"{secs}s"
    return "+" + (text or "0s")


@dataclass(frozen=True)
class HistogramBin:
    start: float  # seconds from now (inclusive)
    end: float  # seconds from now (exclusive)
    count: int

    @property
    def key(self) -> str:
        return window_key(self.start, self.end)

    @property
    def label(self) -> str:
        return format_offset(self.start)


@dataclass(frozen=True)
class ExpiryHistogram:
    now: datetime
    span: float
    bins: tuple[HistogramBin, ...]
    expired: int = 0  # expire time already passed
    beyond: int = 0  # expiring after the span
    no_expiry: int = 0

    @property
    def counts(self) -> tuple[int, ...]:
        return tuple(b.count for b in self.bins)

    @property
    def max_count(self) -> int:
        return max(self.counts, default=0)

    @property
    def in_span(self) -> int:
        return sum(self.counts)

    @property
    def bin_seconds(self) -> float:
        return self.span / len(self.bins) if self.bins else self.span

    def ticks(self, count: int = 5) -> list[tuple[int, str]]:
        """About ``count`` evenly spaced x-axis labels: (bin index, label); the last is the span."""
        n = len(self.bins)
        if n == 0:
            return []
        step = max(1, round(n / max(1, count - 1)))
        out = [(i, self.bins[i].label) for i in range(0, n, step)]
        out.append((n, format_offset(self.span)))
        return out

    @property
    def beyond_key(self) -> str:
        return window_key(self.span, None)


def expiry_histogram(
    leases: Iterable[Lease], now: datetime, *, span: float = 86400.0, bins: int = 24
) -> ExpiryHistogram:
    """How many leases expire in each of ``bins`` equal slices of the next ``span`` seconds."""
    if span <= 0 or bins <= 0:
        raise ValueError("the span and the number of bins must be positive")
    width = span / bins
    counts = [0] * bins
    expired = beyond = no_expiry = 0
    for lease in leases:
        remaining = lease.remaining(now)
        if remaining is None:
            no_expiry += 1
        elif remaining <= 0:
            expired += 1
        elif remaining >= span:
            beyond += 1
        else:
            counts[min(bins - 1, int(remaining // width))] += 1
    edges = [round(i * width, 6) for i in range(bins + 1)]
    return ExpiryHistogram(
        now,
        float(span),
        tuple(HistogramBin(edges[i], edges[i + 1], counts[i]) for i in range(bins)),
        expired,
        beyond,
        no_expiry,
    )
