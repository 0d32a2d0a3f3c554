"""UI rows: opening a 3,000-key folder, 100 ``down`` presses with the detail pane, cold start.

Everything runs headless (Textual's ``run_test``, 120×40): widget layout, rendering and
compositing are measured, the terminal write is not, for vault-tui and for the plain-Textual
baselines alike. While a measure runs the benchmark polls with ``asyncio.sleep`` (a Pilot
``pause`` would force refreshes the user's app never does), and "painted" means a
``call_after_refresh`` callback has run after the condition held: the screen has been
refreshed with it.

The folder rows use a KV v2 mount of their own (``ui-bench``, one folder ``big/`` of 3,000 keys;
300 with ``--quick``) on the run's server, so they do not depend on ``--size``. Each repeat
starts a fresh app and a fresh baseline app, the baseline first, back to back; a row reports the
best of each (as :func:`benchmarks.interleaved` does) and the medians in its note.

Cold start runs each side in a fresh Python process, timed from ``Popen`` until the child
prints that its first screen is painted: the interpreter start, every import, connecting and
listing the mounts are in it.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual import events
from textual.app import App, ComposeResult
from textual.widget import Widget
from textual.widgets import Tree

from benchmarks import Context, Row, median, ratio_row, register
from benchmarks.seed import enable_kv2, seed

UI_MOUNT = "ui-bench"
FOLDER = "big/"
PRESSES = 100
KEY_REPEAT = 0.03  # a held-down arrow: terminals auto-repeat at about 30 keys a second
SIZE = (120, 40)
DEADLINE = 120.0  # seconds; a measure that takes longer is broken, not slow
HEADLESS = "headless (run_test, 120×40)"


def _folder_count(ctx: Context) -> int:
    return 300 if ctx.quick else 3000


def _keys(count: int) -> list[str]:
    return [f"key-{i:05d}" for i in range(count)]


def _seeded(ctx: Context) -> int:
    """The ``ui-bench`` mount with ``FOLDER`` holding the rows' keys (seeded once per run)."""
    count = _folder_count(ctx)
    if ctx.shared.get("ui_seeded") != count:
        enable_kv2(ctx.addr, ctx.token, UI_MOUNT)
        seed(ctx.addr, ctx.token, UI_MOUNT, [FOLDER + key for key in _keys(count)])
        ctx.shared["ui_seeded"] = count
    return count


# -- waiting -------------------------------------------------------------------------------------


async def _until(condition: Callable[[], Any], what: str, timeout: float = DEADLINE) -> None:
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.002)


async def _painted(widget: Widget) -> float:
    """When the screen has next been refreshed (``perf_counter``)."""
    done: asyncio.Future[float] = asyncio.get_running_loop().create_future()

    def shown() -> None:
        if not done.done():
            done.set_result(time.perf_counter())

    if not widget.call_after_refresh(shown):
        raise RuntimeError("the widget is gone")
    return await asyncio.wait_for(done, DEADLINE)


async def _painted_when(widget: Widget, condition: Callable[[], Any], what: str) -> float:
    """The time of the first refresh after which ``condition()`` holds."""
    while True:
        await _until(condition, what)
        at = await _painted(widget)
        if condition():
            return at


def _send_keys(app: App[Any], key: str, count: int) -> None:
    """``count`` key events into the driver at once: the app handles them as fast as it can."""
    driver = app._driver
    assert driver is not None
    for _ in range(count):
        event = events.Key(key, None)
        event.set_sender(app)
        driver.send_message(event)


async def _hold_key(app: App[Any], key: str, count: int, interval: float = KEY_REPEAT) -> None:
    """A key held down: one event every ``interval`` seconds, handled or not (as a terminal sends them)."""
    driver = app._driver
    assert driver is not None
    started = time.perf_counter()
    for n in range(count):
        event = events.Key(key, None)
        event.set_sender(app)
        driver.send_message(event)
        await asyncio.sleep(max(0.0, started + (n + 1) * interval - time.perf_counter()))


# -- one session of each side: open the folder, then the presses -----------------------------------


@dataclass
class Session:
    opened: float  # expand -> every row of the folder laid out and painted
    burst: float  # 100 downs queued at once -> the last one shown (and painted)
    held: float  # 100 downs at the key-repeat rate -> the last one shown (and painted)
    checked: str  # what was verified at the end
    cursor_burst: float = 0.0  # vault-tui only: when the cursor itself reached the last node
    cursor_held: float = 0.0


class PlainTreeApp(App[None]):
    """The baseline: a minimal Textual app with a plain ``Tree`` (a root and one folder)."""

    def compose(self) -> ComposeResult:
        tree: Tree[str] = Tree("mounts", id="plain")
        tree.show_root = False
        tree.root.expand()
        tree.root.add("secret/", data="secret/")
        self.folder = tree.root.add(FOLDER, data=FOLDER)
        tree.root.add("sys/", data="sys/")
        yield tree


async def _baseline_session(count: int, presses: int) -> Session:
    app = PlainTreeApp()
    async with app.run_test(size=SIZE) as pilot:
        tree: Tree[str] = app.query_one(Tree)
        await _until(lambda: len(tree.root.children) == 3 and tree._tree_lines_cached is not None, "baseline tree")
        await pilot.pause()
        folder = app.folder
        keys = _keys(count)
        started = time.perf_counter()
        for key in keys:  # the leaves, as a plain Tree is given them
            folder.add_leaf(key, data=FOLDER + key)
        folder.expand()
        lines = len(tree.root.children) + count
        shown = await _painted_when(tree, lambda: len(tree._tree_lines_cached or ()) == lines, "baseline rows")
        opened = shown - started
        await pilot.pause()

        async def presses_from(first: int, send: Callable[[], Any]) -> float:
            tree.focus()
            tree.move_cursor(folder.children[first])
            await _until(lambda: tree.cursor_node is folder.children[first], "baseline cursor")
            await pilot.pause()
            target = folder.children[first + presses]
            started = time.perf_counter()
            await send()
            shown = await _painted_when(tree, lambda: tree.cursor_node is target, "baseline cursor moved")
            return shown - started

        async def burst() -> None:
            _send_keys(app, "down", presses)

        async def held() -> None:
            await _hold_key(app, "down", presses)

        took_burst = await presses_from(0, burst)
        took_held = await presses_from(presses + 1, held)
        return Session(opened, took_burst, took_held, "cursor on the 100th leaf")


async def _vault_tui_session(ctx: Context, count: int, presses: int) -> Session:
    from vault_tui.app import make_app
    from vault_tui.config import AppConfig
    from vault_tui.vault.client import ConnectionSettings
    from vault_tui.views.secrets.detail import SecretDetail
    from vault_tui.views.secrets.screen import SecretsScreen
    from vault_tui.views.secrets.tree import PathTree

    config = AppConfig(connection=ConnectionSettings(addr=ctx.addr, token=ctx.token), trail=False)
    app = make_app(config, tick=False)
    async with app.run_test(size=SIZE) as pilot:
        await _until(lambda: app.session.ready and isinstance(app.screen, SecretsScreen), "the secrets view")
        screen = app.screen
        assert isinstance(screen, SecretsScreen)
        await _until(lambda: screen.is_mounted and screen.query(PathTree), "the tree")
        tree = screen.query_one(PathTree)
        detail = screen.query_one(SecretDetail)
        await _until(lambda: tree.mount_named(UI_MOUNT) is not None and not tree.loading, "the mounts")
        mount = tree.mount_named(UI_MOUNT)
        assert mount is not None
        tree._folder_nodes[(mount.path, "")].expand()  # the mount: its one folder, big/
        await _until(lambda: (mount.path, FOLDER) in tree._folder_nodes and not tree._pending, "the mount listed")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await asyncio.sleep(0.3)  # the pane's first show and anything else started at sign-in
        await app.workers.wait_for_complete()
        folder = tree._folder_nodes[(mount.path, FOLDER)]
        tree.focus()
        tree.move_cursor(folder)
        await pilot.pause()
        await app.workers.wait_for_complete()

        def all_rows() -> bool:
            lines = tree._tree_lines_cached
            return (
                not tree._pending
                and tree.index.is_loaded(mount.path, FOLDER)
                and len(folder.children) == count
                and lines is not None
                and len(lines) >= count
                and lines[folder.line + count].node is folder.children[-1]
            )

        started = time.perf_counter()
        folder.expand()  # what right / enter on the folder does: list it, then add its rows
        shown = await _painted_when(tree, all_rows, "every row of the folder")
        opened = shown - started
        await app.workers.wait_for_complete()
        await pilot.pause()

        cursor: list[float] = []  # when the cursor reached the last node (burst, held), for the notes

        async def presses_from(first: int, send: Callable[[], Any]) -> float:
            start_node = folder.children[first]
            start_path = FOLDER + _keys(count)[first]
            tree.move_cursor(start_node)
            await _until(lambda: detail.path == start_path and detail.secret is not None, "the first secret")
            await app.workers.wait_for_complete()
            await pilot.pause()
            target = folder.children[first + presses]
            assert target.data is not None
            path = target.data.path

            def last_shown() -> bool:
                node = tree.cursor_node
                if node is target and not arrived:
                    arrived.append(time.perf_counter())
                return (
                    node is target
                    and node.data is not None
                    and detail.path == node.data.path == path
                    and detail.secret is not None
                )

            arrived: list[float] = []
            started = time.perf_counter()
            await send()
            shown = await _painted_when(detail, last_shown, "the detail pane on the last secret")
            cursor.append(arrived[0] - started)
            return shown - started

        async def burst() -> None:
            _send_keys(app, "down", presses)

        async def held() -> None:
            await _hold_key(app, "down", presses)

        took_burst = await presses_from(0, burst)
        took_held = await presses_from(presses + 1, held)
        checked = "detail pane's secret path == the node under the cursor"
        return Session(opened, took_burst, took_held, checked, cursor_burst=cursor[0], cursor_held=cursor[1])


@dataclass
class Pairs:
    ours: list[float]
    base: list[float]

    def best(self) -> tuple[float, float]:
        return min(self.ours), min(self.base)

    def spread(self) -> str:
        return f"medians {median(self.ours):.3f}/{median(self.base):.3f} s over {len(self.ours)} pairs"


def _sessions(ctx: Context) -> tuple[Pairs, Pairs, Pairs, str, dict[str, list[float]]]:
    count = _seeded(ctx)
    opened, burst, held = Pairs([], []), Pairs([], []), Pairs([], [])
    checked = ""
    cursor: dict[str, list[float]] = {"burst": [], "held": []}
    for _ in range(max(1, ctx.repeats)):
        base = asyncio.run(_baseline_session(count, PRESSES))
        ours = asyncio.run(_vault_tui_session(ctx, count, PRESSES))
        for pairs, a, b in (
            (opened, ours.opened, base.opened),
            (burst, ours.burst, base.burst),
            (held, ours.held, base.held),
        ):
            pairs.ours.append(a)
            pairs.base.append(b)
        checked = ours.checked
        cursor["burst"].append(ours.cursor_burst)
        cursor["held"].append(ours.cursor_held)
    return opened, burst, held, checked, cursor


@register("ui: open folder + down presses", needs_server=False)
def folder_rows(ctx: Context) -> list[Row]:
    count = _folder_count(ctx)
    opened, burst, held, checked, cursor = _sessions(ctx)
    rows = [
        ratio_row(
            f"opening a {count:,}-key folder until every row is painted",
            *opened.best(),
            1.2,
            note=(
                f"expand -> LIST over HTTP, rows added, every line laid out, painted; baseline: a plain Textual "
                f"Tree given the same {count:,} leaves (add_leaf, expand); {HEADLESS}; best of each, "
                f"{opened.spread()}"
            ),
        ),
        ratio_row(
            f"{PRESSES} downs held ({KEY_REPEAT * 1000:.0f} ms repeat), {count:,}-key folder, detail pane on the last",
            *held.best(),
            1.5,
            note=(
                f"first key sent -> {checked}, secret read and painted; baseline: the same keys in a plain Tree, "
                f"cursor on the {PRESSES}th leaf, painted; vault-tui's cursor got there in {median(cursor['held']):.3f} s "
                f"(median); {HEADLESS}; best of each, {held.spread()}"
            ),
        ),
        ratio_row(
            f"{PRESSES} downs in one burst, {count:,}-key folder, detail pane on the last",
            *burst.best(),
            1.5,
            note=(
                "all keys queued at once (the app handles them as fast as it can); the pane loads once the "
                f"cursor rests (0.15 s) and no key is waiting; vault-tui's cursor got there in "
                f"{median(cursor['burst']):.3f} s (median); {HEADLESS}; best of each, {burst.spread()}"
            ),
        ),
    ]
    return rows


# -- cold start ----------------------------------------------------------------------------------

OURS_SCRIPT = r"""
import asyncio, os, sys


async def main():
    from vault_tui.app import make_app
    from vault_tui.config import AppConfig
    from vault_tui.vault.client import ConnectionSettings
    from vault_tui.views.secrets.tree import PathTree

    config = AppConfig(connection=ConnectionSettings(addr=os.environ["BENCH_ADDR"], token=os.environ["BENCH_TOKEN"]))
    app = make_app(config)
    async with app.run_test(size=(120, 40)):
        def shown():
            trees = app.screen.query(PathTree)
            tree = trees.first() if trees else None
            return tree is not None and not tree.loading and len(tree.root.children) > 0 and tree

    """

BASE_SCRIPT = r"""
import asyncio, os, sys


async def main():
    from textual.app import App
    from textual.widgets import Tree

    class Plain(App):
        def compose(self):
            tree = Tree("mounts")
            tree.show_root = False
            for name in ("bench/", "cubbyhole/", "identity/", "secret/", "sys/", "ui-bench/"):
                tree.root.add(name)
            tree.root.expand()
            yield tree

    app = Plain()
    async with app.run_test(size=(120, 40)):
        def shown():
            trees = app.screen.query(Tree)
            tree = trees.first() if trees else None
            return tree is not None and len(tree.root.children) > 0 and tree

    """

# Shared by both scripts: wait for the tree, then for the next refresh, say so, and leave.
WAIT_AND_SAY = r"""
        while not shown():
            await asyncio.sleep(0.002)
        done = asyncio.get_running_loop().create_future()
        shown().call_after_refresh(lambda: done.done() or done.set_result(None))
        await done
        sys.stdout.write("SHOWN\n")
        sys.stdout.flush()
        os._exit(0)


asyncio.run(main())
"""


def _child_env(ctx: Context, home: str) -> dict[str, str]:
    """No user settings, profiles, keyring or VAULT_* variables; HOME in a temporary directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "BAO_", "KEYRING_"))}
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    env.update(
        HOME=home,
        XDG_CONFIG_HOME=os.path.join(home, ".config"),
        XDG_DATA_HOME=os.path.join(home, ".local", "share"),
        XDG_STATE_HOME=os.path.join(home, ".local", "state"),
        VAULT_TUI_CONFIG=os.path.join(home, "no-config.toml"),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        BENCH_ADDR=ctx.addr,
        BENCH_TOKEN=ctx.token,
    )
    return env


def _cold_start(script: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", script + WAIT_AND_SAY],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        took = time.perf_counter() - started
        child.wait(timeout=DEADLINE)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    if line.strip() != "SHOWN":
        error = child.stderr.read() if child.stderr is not None else ""
        raise RuntimeError(f"cold start child failed (exit {child.returncode}): {error[-2000:]}")
    return took


def _interleaved_runs(repeats: int, runs: Iterable[Callable[[], float]]) -> list[list[float]]:
    sides = list(runs)
    times: list[list[float]] = [[] for _ in sides]
    for _ in range(repeats):
        for i, run in enumerate(sides):
            times[i].append(run())
    return times


@register("ui: cold start", needs_server=False)
def cold_start(ctx: Context) -> list[Row]:
    repeats = 1 if ctx.quick else max(7, ctx.repeats)
    with tempfile.TemporaryDirectory(prefix="vault-tui-bench-") as home:
        env = _child_env(ctx, home)
        _cold_start(BASE_SCRIPT, env)  # warm the OS file cache for both: the same imports (textual)
        _cold_start(OURS_SCRIPT, env)
        base, ours = _interleaved_runs(
            repeats, (lambda: _cold_start(BASE_SCRIPT, env), lambda: _cold_start(OURS_SCRIPT, env))
        )
    spread = ", ".join(f"{a:.2f}/{b:.2f}" for a, b in zip(ours, base, strict=True))
    return [
        ratio_row(
            "cold start to mounts on screen",
            median(ours),
            median(base),
            1.5,
            note=(
                "a fresh python process each, Popen -> the tree's first paint (vault-tui: signed in with a token, "
                "the mounts listed in its PathTree; baseline: textual imported, a Tree with 6 nodes); "
                f"{HEADLESS}; median of {repeats} interleaved pairs, warm file cache (ours/base s: {spread})"
            ),
        )
    ]
