"""The lease dashboard's first screenful of TTLs, from benchmarks/bench_leases.py, as a table row.

It runs on a server of its own (token leases only), so the seeded KV mount does not weigh on it.
"""

from __future__ import annotations

import asyncio

from benchmarks import Context, Row, fmt, register
from vault_tui.demo.servers import BaoServer


@register("leases: first screenful", needs_server=False)
def first_screenful(ctx: Context) -> list[Row]:
    from benchmarks import bench_leases

    count = 200 if ctx.quick else 5000
    with BaoServer() as server:
        bench_leases.create_leases(server, count)
        raw_first, _raw_all, listed = bench_leases.raw_baseline(server)
        app = asyncio.run(bench_leases.dashboard(server, 0.5 if ctx.quick else 2.0))
    ratio = app["first"] / raw_first if raw_first else float("inf")
    return [
        Row(
            f"first screenful of TTLs, {listed:,} leases",
            fmt(app["first"]),
            baseline=fmt(raw_first),
            ratio=f"{ratio:.2f}×",
            target="≤ 0.3 s and ≤ 2.5×",
            ok=app["first"] <= 0.3 and ratio <= 2.5,
            note="view opened -> every row on screen painted (bench_leases.py has the full lease table)",
        )
    ]
