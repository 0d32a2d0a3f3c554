"""The tree at scale (issue 11): the filter leaves the tree exactly as it was, an arrow burst
reads a handful of secrets, big listings arrive in chunks. Real OpenBao, driven with Pilot."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from textual import events

from tests.helpers import wait_for, wait_ready
from vault_tui.app import make_app
from vault_tui.config import AppConfig
from vault_tui.vault.client import ConnectionSettings
from vault_tui.vault.gateway import Gateway
from vault_tui.views.secrets.detail import SecretDetail
from vault_tui.views.secrets.screen import SecretsScreen
from vault_tui.views.secrets.tree import CHUNK, PathTree


class RecordingGateway(Gateway):
    """Records (method, path) of every raw API request the Vault layer sends."""

    def __init__(self, settings: ConnectionSettings) -> None:
        super().__init__(settings)
        self.sent: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def request(self, method: str, path: str, **kwargs: Any) -> Any:  # type: ignore[override]
        with self._lock:
            self.sent.append((method.upper(), path))
        return super().request(method, path, **kwargs)


async def key_repeat(app: Any, key: str, count: int, interval: float = 0.03) -> None:
    """A key held down: the terminal sends it every ``interval`` seconds, whether or not the app
    has handled the previous one (Pilot's ``press`` waits for the app to be idle after each)."""
    for _ in range(count):
        event = events.Key(key, None)
        event.set_sender(app)
        app._driver.send_message(event)
        await asyncio.sleep(interval)


def cursor_path(tree: PathTree) -> str | None:
    node = tree.cursor_node
    return node.data.full_path if node is not None and node.data is not None else None


def tree_state(tree: PathTree) -> tuple[Any, ...]:
    """Every node (by identity) with its label, expansion and children, and the cursor."""
    nodes = tuple(
        (id(node), node.data, node._expanded, tuple(id(child) for child in node.children))
        for node in tree._tree_nodes.values()
    )
    lines = tuple(id(line.node) for line in tree._tree_lines)
    return nodes, lines, id(tree.cursor_node), tree.cursor_line


def shown(tree: PathTree, mount: str) -> list[str]:
    lines = [line.node.data.full_path for line in tree._tree_lines if line.node.data is not None]
    return [path for path in lines if path.startswith(mount)]


async def test_filtering_and_clearing_leave_the_same_nodes_expansion_and_cursor(settings, root_client, kv2_mount):
    kv = root_client.secrets.kv.v2
    for name in ("alpha/one", "alpha/two", "beta/db", "beta/deep/db-old", "gamma/three", "gamma/four", "top-db"):
        kv.create_or_update_secret(name, {"k": "v"}, mount_point=kv2_mount)
    app = make_app(AppConfig(connection=settings, initial_path=f"{kv2_mount}/alpha/two"))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        tree = app.screen.query_one(PathTree)
        await wait_for(pilot, lambda: cursor_path(tree) == f"{kv2_mount}/alpha/two", 60, "alpha/two")
        mount = f"{kv2_mount}/"
        # beta/ and beta/deep/ loaded then beta/ closed; gamma/ loaded and left open.
        for folder in ("beta/", "gamma/"):
            tree._folder_nodes[(mount, folder)].expand()
            await wait_for(pilot, lambda f=folder: tree.index.is_loaded(mount, f), 60, folder)
        tree._folder_nodes[(mount, "beta/deep/")].expand()
        await wait_for(pilot, lambda: tree.index.is_loaded(mount, "beta/deep/"), 60, "beta/deep/")
        tree._folder_nodes[(mount, "beta/")].collapse()
        await pilot.pause()
        tree.move_cursor(tree._folder_nodes[(mount, "alpha/")].children[1])
        await pilot.pause()
        before = tree_state(tree)
        assert cursor_path(tree) == f"{kv2_mount}/alpha/two"
        tree.focus()
        await pilot.press("slash", *"db")
        await pilot.pause()
        assert shown(tree, mount) == [
            mount,
            f"{mount}beta/",
            f"{mount}beta/db",
            f"{mount}beta/deep/",
            f"{mount}beta/deep/db-old",
            f"{mount}top-db",
        ]
        await pilot.press("backspace", "backspace", *"o", *"ne")  # "one"
        await pilot.pause()
        assert shown(tree, mount) == [mount, f"{mount}alpha/", f"{mount}alpha/one"]
        await pilot.press("escape")  # clear: back to the tree as it was
        await pilot.pause()
        await wait_for(pilot, lambda: cursor_path(tree) == f"{kv2_mount}/alpha/two", 30, "cursor back")
        await pilot.pause(0.2)
        assert tree_state(tree) == before
        # Keystroke after keystroke, then cleared by deleting the text: the same again.
        await pilot.press("slash", *"gamma", "backspace", "backspace")
        app.screen.query_one("#tree-filter").value = ""
        await pilot.press("escape")
        await pilot.pause(0.2)
        assert tree_state(tree) == before


async def test_an_arrow_burst_reads_a_handful_of_secrets(bao, root_client, kv2_mount):
    for i in range(120):
        root_client.secrets.kv.v2.create_or_update_secret(f"big/s{i:03d}", {"k": str(i)}, mount_point=kv2_mount)
    gateway = RecordingGateway(ConnectionSettings(addr=bao.addr, token=bao.root_token))
    app = make_app(AppConfig(connection=gateway.settings, initial_path=f"{kv2_mount}/big/s000"), gateway=gateway)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        screen = app.screen
        assert isinstance(screen, SecretsScreen)
        tree = screen.query_one(PathTree)
        detail = screen.query_one(SecretDetail)
        await wait_for(pilot, lambda: detail.secret is not None and detail.path == "big/s000", 60, "first secret")
        await app.workers.wait_for_complete()
        tree.focus()
        await pilot.pause()
        start = len(gateway.sent)
        await key_repeat(app, "down", 60)
        await wait_for(pilot, lambda: detail.path == "big/s060" and detail.secret is not None, 60, "the last one shown")
        await app.workers.wait_for_complete()
        reads = {path for method, path in gateway.sent[start:] if method == "GET" and f"{kv2_mount}/data/" in path}
        # At most a handful of secrets read during the burst (one on the first move, one where it ends).
        assert len(reads) <= 6, sorted(reads)
        assert any(path.endswith("big/s060") for path in reads)
        # enter on a secret moves into the pane at once, with that secret shown.
        await pilot.press("up", "enter")
        await pilot.pause()
        assert detail.path == "big/s059"


async def test_a_big_listing_becomes_nodes_in_chunks_the_keys_go_in_between(settings, root_client, kv2_mount):
    root_client.secrets.kv.v2.create_or_update_secret("big/first", {"k": "v"}, mount_point=kv2_mount)
    app = make_app(AppConfig(connection=settings, initial_path=f"{kv2_mount}/big/first"))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        tree = app.screen.query_one(PathTree)
        await wait_for(pilot, lambda: cursor_path(tree) == f"{kv2_mount}/big/first", 60, "big/first")
        await app.workers.wait_for_complete()
        await pilot.pause()
        mount = tree.mount_named(kv2_mount)
        assert mount is not None
        node = tree._folder_nodes[(mount.path, "big/")]
        keys = tuple(f"k{i:05d}" for i in range(CHUNK * 4 + 7))
        seen: list[int] = []
        drain = tree._drain

        def counting_drain(key: tuple[str, str]) -> None:
            drain(key)
            seen.append(len(node.children))

        tree._drain = counting_drain  # type: ignore[method-assign]
        node.remove_children()  # as a folder not opened yet: its listing becomes nodes a chunk at a time
        tree.post_message(PathTree.Loaded(mount, "big/", keys, True, True))
        await wait_for(pilot, lambda: not tree._pending and len(node.children) >= len(keys), 60, "every key a node")
        assert seen[:4] == [CHUNK, 2 * CHUNK, 3 * CHUNK, 4 * CHUNK]
        assert seen[4] == len(keys) + 1  # the last chunk, then the path opened directly (pinned) in its place
        assert [c.data.path for c in node.children[:2]] == ["big/k00000", "big/k00001"]
