"""python -m benchmarks [--size N] [--quick] [--only NAME ...]: seed a real OpenBao, print the table."""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
import time
import traceback

from benchmarks import MODULES, REGISTRY, Context, Row
from benchmarks.seed import enable_kv2, seed, seed_paths
from vault_tui.demo.servers import BaoServer


def machine() -> str:
    model = platform.processor() or ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    load = ""
    if hasattr(os, "getloadavg"):
        load = f", load average {os.getloadavg()[0]:.1f}"
    return f"{os.cpu_count()} CPU(s), {model or 'unknown CPU'}, Python {platform.python_version()}{load}"


def table(rows: list[Row]) -> str:
    header = ("measure", "measured", "baseline", "ratio", "target", "result")
    lines = [header]
    for row in rows:
        result = "—" if row.ok is None else ("met" if row.ok else "MISSED")
        lines.append((row.measure, row.value, row.baseline, row.ratio, row.target, result))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for n, line in enumerate(lines):
        out.append("  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(line)))
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    notes = [f"  {row.measure}: {row.note}" for row in rows if row.note]
    return "\n".join(out + ([""] + notes if notes else []))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=100_000, help="secrets in the seeded mount (default 100,000)")
    parser.add_argument("--quick", action="store_true", help="CI: 2,000 secrets, one repeat; checks it runs")
    parser.add_argument("--only", nargs="*", default=None, help="run only the benchmarks whose name contains this")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    size = 2000 if args.quick else args.size
    for module in MODULES:
        importlib.import_module(module)
    chosen = [b for b in REGISTRY if not args.only or any(word in b.name for word in args.only)]
    print(f"vault-tui benchmarks: {size:,} secrets; {machine()}", flush=True)
    rows: list[Row] = []
    failed = 0
    with BaoServer() as server:
        mount = "bench"
        paths = seed_paths(size)
        if any(b.needs_server for b in chosen):
            enable_kv2(server.addr, server.root_token, mount)
            took = seed(server.addr, server.root_token, mount, paths)
            rows.append(
                Row(
                    f"seeding {size:,} KV v2 secrets",
                    f"{took:.1f} s",
                    note=f"{size / took:,.0f} writes/s, HTTP/1.1 pipelined over 4 loopback connections",
                )
            )
            print(f"  seeded {size:,} secrets in {took:.1f} s", flush=True)
        ctx = Context(
            addr=server.addr,
            token=server.root_token,
            size=size,
            quick=args.quick,
            mount=mount,
            paths=paths,
            repeats=1 if args.quick else args.repeats,
        )
        for bench in chosen:
            started = time.perf_counter()
            try:
                new = bench.fn(ctx)
            except Exception as error:  # noqa: BLE001 - one broken row must not hide the others
                failed += 1
                traceback.print_exc(file=sys.stderr)
                new = [Row(bench.name, "error", note=f"{type(error).__name__}: {error}")]
            rows.extend(new)
            print(f"  {bench.name}: done in {time.perf_counter() - started:.1f} s", flush=True)
    print()
    print(table(rows))
    if args.quick:
        print("\n(--quick: timings are not meaningful at this size; nothing is asserted)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
