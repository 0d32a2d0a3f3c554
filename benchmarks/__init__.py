"""Benchmarks: ``python -m benchmarks [--size N] [--quick] [--only NAME ...]``.

Every measure is taken against a real OpenBao started on a free loopback port, next to a raw
baseline measured in the same run, and printed as one table. Nothing here is a test: targets
are reported (met / missed), never asserted; ``--quick`` (CI) only checks that everything runs.

Adding a measure: write ``fn(ctx: Context) -> list[Row]`` and decorate it with
``@register("name")``. Benchmarks run in registration order; modules listed in ``MODULES`` are
imported by the harness so their ``@register`` calls take effect (the UI rows go in a module of
their own, added to that list).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Modules whose @register calls define the benchmarks, in order.
MODULES = ["benchmarks.engine", "benchmarks.leases_row", "benchmarks.ui"]


@dataclass(frozen=True)
class Row:
    """One line of the table. ``ok`` is None when there is no target (reported only)."""

    measure: str
    value: str
    baseline: str = "—"
    ratio: str = "—"
    target: str = "—"
    ok: bool | None = None
    note: str = ""


@dataclass
class Context:
    """What every benchmark gets: the seeded server and the run's options."""

    addr: str
    token: str
    size: int
    quick: bool
    mount: str  # a KV v2 mount holding ``size`` secrets
    paths: list[str] = field(default_factory=list)  # every seeded path, relative to the mount
    repeats: int = 3
    shared: dict[str, Any] = field(default_factory=dict)  # results one benchmark leaves to the next


Benchmark = Callable[[Context], list[Row]]


@dataclass(frozen=True)
class Registered:
    name: str
    fn: Benchmark
    needs_server: bool = True


REGISTRY: list[Registered] = []


def register(name: str, *, needs_server: bool = True) -> Callable[[Benchmark], Benchmark]:
    def wrap(fn: Benchmark) -> Benchmark:
        REGISTRY.append(Registered(name, fn, needs_server))
        return fn

    return wrap


# -- helpers for benchmark authors --------------------------------------------------------------


def best_of(repeats: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    """The fastest of ``repeats`` runs (seconds) and the last result."""
    best = float("inf")
    result: Any = None
    for _ in range(max(1, repeats)):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    return best, result


def interleaved(repeats: int, ours: Callable[[], Any], baseline: Callable[[], Any]) -> tuple[float, float]:
    """Best time of each, measured alternately so a noisy neighbour hurts both alike."""
    best_ours = best_base = float("inf")
    for _ in range(max(1, repeats)):
        started = time.perf_counter()
        baseline()
        best_base = min(best_base, time.perf_counter() - started)
        started = time.perf_counter()
        ours()
        best_ours = min(best_ours, time.perf_counter() - started)
    return best_ours, best_base


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def ratio_row(measure: str, ours: float, base: float, limit: float, *, unit: str = "s", note: str = "") -> Row:
    ratio = ours / base if base > 0 else float("inf")
    return Row(
        measure=measure,
        value=fmt(ours, unit),
        baseline=fmt(base, unit),
        ratio=f"{ratio:.2f}×",
        target=f"≤ {limit:g}×",
        ok=ratio <= limit,
        note=note,
    )


def fmt(value: float, unit: str = "s") -> str:
    if unit == "s":
        return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"
    if unit == "ms":
        return f"{value:.1f} ms"
    if unit == "MB":
        return f"{value:.0f} MB"
    return f"{value:g} {unit}"
