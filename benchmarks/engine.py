"""Engine rows: the full-path index (SCAN and the walk), search keystrokes, the tree filter, RSS."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import requests

from benchmarks import Context, Row, fmt, interleaved, median, percentile, ratio_row, register
from vault_tui.vault.client import ConnectionSettings
from vault_tui.vault.gateway import Gateway
from vault_tui.vault.index import index_paths
from vault_tui.vault.models import EngineKind
from vault_tui.views.secrets.finder import PathStore, TreeFilter

WALK_THREADS = 16


def _gateway(ctx: Context, *, like_vault: bool = False) -> Gateway:
    gateway = Gateway(ConnectionSettings(addr=ctx.addr, token=ctx.token))
    gateway.server_info()
    if like_vault and gateway.server is not None:
        gateway.server = replace(gateway.server, flavor="Vault", supports_scan=False, supports_paginated_list=False)
    return gateway


def _raw_scan(ctx: Context) -> list[str]:
    with requests.Session() as session:
        response = session.request("SCAN", f"{ctx.addr}/v1/{ctx.mount}/metadata/", headers={"X-Vault-Token": ctx.token})
        return list(response.json()["data"]["keys"])


def _raw_walk(ctx: Context) -> list[str]:
    """A plain 16-thread LIST walk: raw requests sessions, one per thread, nothing else."""
    local = threading.local()
    found: list[str] = []
    lock = threading.Lock()
    outstanding = [0]
    done = threading.Event()

    def session() -> requests.Session:
        s = getattr(local, "session", None)
        if s is None:
            s = local.session = requests.Session()
            s.headers["X-Vault-Token"] = ctx.token
        return s

    def visit(folder: str) -> None:
        try:
            response = session().request("LIST", f"{ctx.addr}/v1/{ctx.mount}/metadata/{folder}")
            keys = response.json()["data"]["keys"] if response.status_code == 200 else []
            subfolders: list[str] = []
            secrets: list[str] = []
            for key in keys:
                (subfolders if key.endswith("/") else secrets).append(folder + key)
            with lock:
                found.extend(secrets)
                outstanding[0] += len(subfolders)
            for sub in subfolders:
                pool.submit(visit, sub)
        finally:
            with lock:
                outstanding[0] -= 1
                if outstanding[0] == 0:
                    done.set()

    pool = ThreadPoolExecutor(WALK_THREADS)
    outstanding[0] = 1
    pool.submit(visit, "")
    done.wait()
    pool.shutdown()
    return found


@register("index: SCAN")
def index_scan(ctx: Context) -> list[Row]:
    gateway = _gateway(ctx)
    counts: dict[str, int] = {}

    def ours() -> None:
        result = index_paths(gateway, EngineKind.KV2, ctx.mount, max_paths=None)
        counts["ours"] = len(result.paths)
        ctx.shared["indexed"] = list(result.paths)

    def raw() -> None:
        counts["raw"] = len(_raw_scan(ctx))

    took, base = interleaved(ctx.repeats, ours, raw)
    assert counts["ours"] == counts["raw"] == ctx.size, counts
    return [
        ratio_row(
            f"full index, {ctx.size:,} secrets, OpenBao SCAN",
            took,
            base,
            1.5,
            note="vs one raw SCAN over HTTP (requests + json)",
        )
    ]


@register("index: walk")
def index_walk(ctx: Context) -> list[Row]:
    gateway = _gateway(ctx, like_vault=True)
    counts: dict[str, int] = {}
    requests_sent: dict[str, int] = {}

    def ours() -> None:
        result = index_paths(gateway, EngineKind.KV2, ctx.mount, max_paths=None, concurrency=WALK_THREADS)
        counts["ours"] = len(result.paths)
        requests_sent["ours"] = result.progress.requests

    def raw() -> None:
        counts["raw"] = len(_raw_walk(ctx))

    took, base = interleaved(ctx.repeats, ours, raw)
    assert counts["ours"] == counts["raw"] == ctx.size, counts
    return [
        ratio_row(
            f"full index, {ctx.size:,} secrets, SCAN off (Vault path)",
            took,
            base,
            1.2,
            note=f"vs a raw {WALK_THREADS}-thread LIST walk; {requests_sent['ours']:,} LISTs",
        )
    ]


def _queries() -> list[str]:
    return [
        "stripe",
        "db-password",
        "payments/prod",
        "pymtsprd",
        "identity-07/api",
        "jwt",
        "s3cred",
        "webhook-secret-12",
        "zzq",
        "prod/tls",
        "growth-03/etl/qa/smtp",
        "kafka",
        "sentry-dsn-4",
        "billing ledger",
        "data-1/worker",
    ]


def _keystrokes(search: object, queries: list[str], reset: object) -> list[float]:
    """Type each query a character at a time, then backspace it away; ms per keystroke."""
    times: list[float] = []
    for query in queries:
        reset()  # type: ignore[operator]
        steps = [query[:i] for i in range(1, len(query) + 1)] + [query[:i] for i in range(len(query) - 1, 0, -1)]
        for text in steps:
            started = time.perf_counter()
            search(text)  # type: ignore[operator]
            times.append((time.perf_counter() - started) * 1000)
    return times


@register("search keystroke")
def search_keystroke(ctx: Context) -> list[Row]:
    paths = ctx.shared.get("indexed") or ctx.paths
    store = PathStore()
    started = time.perf_counter()
    for i in range(0, len(paths), 2000):  # as the index streams in
        store.add_many(paths[i : i + 2000])
    store.search("warm-up")  # builds the search text once
    build = time.perf_counter() - started

    def reset() -> None:
        for _, searcher in store._searchers.values():
            searcher.answers.clear()
            searcher.fuzzy_sets.clear()

    times = _keystrokes(lambda text: store.search(text), _queries(), reset)
    p50, p95 = median(times), percentile(times, 0.95)
    return [
        Row(
            f"search keystroke, {len(paths):,} paths (p50)",
            fmt(p50, "ms"),
            target="≤ 10 ms",
            ok=p50 <= 10,
            note=f"{len(times)} keystrokes over {len(_queries())} typed queries, typing and backspace",
        ),
        Row(
            f"search keystroke, {len(paths):,} paths (p95)",
            fmt(p95, "ms"),
            target="≤ 30 ms",
            ok=p95 <= 30,
            note=f"max {max(times):.1f} ms",
        ),
        Row(
            f"search index build, {len(paths):,} paths",
            fmt(build, "s"),
            note="sorting streamed batches + the search text, once per change",
        ),
    ]


@register("tree filter keep-set")
def tree_filter(ctx: Context) -> list[Row]:
    # 10,000 loaded nodes: the first secrets of the mount with every folder above them.
    nodes: set[str] = set()
    for path in ctx.paths:
        parts = path.split("/")
        for i in range(1, len(parts)):
            nodes.add("/".join(parts[:i]) + "/")
        nodes.add(path)
        if len(nodes) >= 10_000:
            break
    loaded = sorted(nodes)
    started = time.perf_counter()
    tree = TreeFilter(loaded)
    build = time.perf_counter() - started

    def reset() -> None:
        tree._last = None

    times = _keystrokes(tree.keep, _queries(), reset)
    p50, p95 = median(times), percentile(times, 0.95)
    return [
        Row(
            f"tree filter keep-set, {len(loaded):,} loaded nodes (p50)",
            fmt(p50, "ms"),
            target="≤ 16 ms",
            ok=p50 <= 16,
            note=f"p95 {p95:.1f} ms; the tree repaint is measured by the UI rows",
        ),
        Row(f"tree filter set-up, {len(loaded):,} nodes", fmt(build * 1000, "ms"), note="when the loaded nodes change"),
    ]


RSS_SCRIPT = r"""
import json, os, sys


def peak_mb():
    # VmHWM: this process's own peak (ru_maxrss would include the parent's RSS at fork time).
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


with_app = sys.argv[1] == "app"
if with_app:
    import vault_tui.app  # noqa: F401  (textual and every screen module)
from vault_tui.vault.client import ConnectionSettings
from vault_tui.vault.gateway import Gateway
from vault_tui.vault.index import index_paths
from vault_tui.vault.models import EngineKind
from vault_tui.views.secrets.finder import Finder
base = peak_mb()
gateway = Gateway(ConnectionSettings(addr=os.environ["BENCH_ADDR"], token=os.environ["BENCH_TOKEN"]))
gateway.server_info()
finder = Finder()
store = finder.store("bench", None, os.environ["BENCH_MOUNT"])
result = index_paths(gateway, EngineKind.KV2, os.environ["BENCH_MOUNT"], max_paths=None, collect=False,
                     on_batch=lambda batch: store.add_many(batch.paths))
for query in ["s", "st", "stripe", "pymtsprd", "db-password", "payments/prod", "zzq"]:
    finder.search(query, profile="bench", namespace=None, mounts=[os.environ["BENCH_MOUNT"]])
print(json.dumps({"paths": len(store), "base": base, "peak": peak_mb()}))
"""


@register("peak RSS")
def peak_rss(ctx: Context) -> list[Row]:
    rows = []
    env = {**os.environ, "BENCH_ADDR": ctx.addr, "BENCH_TOKEN": ctx.token, "BENCH_MOUNT": ctx.mount}
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    for mode in ("engine", "app"):
        out = subprocess.run(
            [sys.executable, "-c", RSS_SCRIPT, mode], env=env, capture_output=True, text=True, timeout=600, check=True
        )
        data = json.loads(out.stdout.strip().splitlines()[-1])
        label = "engine alone" if mode == "engine" else "engine + the app's modules imported"
        rows.append(
            Row(
                f"peak RSS, {data['paths']:,}-path index + searches ({label})",
                fmt(data["peak"], "MB"),
                baseline=fmt(data["base"], "MB"),
                target="app total ≤ 200 MB" if mode == "app" else "—",
                ok=(data["peak"] <= 200) if mode == "app" else None,
                note="baseline = the same process before indexing; the running UI adds its widgets",
            )
        )
    return rows
