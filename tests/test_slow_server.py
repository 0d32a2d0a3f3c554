"""A slow server never freezes typing or navigation: every call is off the event loop."""

from __future__ import annotations

import http.server
import threading

import requests

from tests.helpers import app_for, wait_for, wait_ready
from vault_tui.vault.client import ConnectionSettings
from vault_tui.views.secrets.tree import PathTree


def slow_proxy(upstream: str, delay_paths: tuple[str, ...], release: threading.Event):
    """An HTTP proxy on 127.0.0.1 that forwards to ``upstream``; matching paths wait for ``release``."""

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            if any(part in self.path for part in delay_paths):
                release.wait(60)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
            response = requests.request(self.command, upstream + self.path, headers=headers, data=body, timeout=30)
            payload = response.content
            self.send_response(response.status_code)
            self.send_header("Content-Type", response.headers.get("Content-Type", "application/json"))
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_LIST = _forward  # noqa: N815

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


async def test_navigation_stays_responsive_while_a_listing_is_slow(bao, root_client, kv2_mount):
    for name in ("fast/a", "slow/b", "other/c"):
        root_client.secrets.kv.v2.create_or_update_secret(name, {"k": "v"}, mount_point=kv2_mount)
    release = threading.Event()
    proxy = slow_proxy(bao.addr, delay_paths=(f"/{kv2_mount}/metadata/slow",), release=release)
    try:
        app = app_for(
            ConnectionSettings(addr=f"http://127.0.0.1:{proxy.server_address[1]}", token=bao.root_token),
            initial_path=f"{kv2_mount}/other/c",
        )
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_ready(pilot)
            tree = app.screen.query_one(PathTree)
            await wait_for(pilot, lambda: tree.index.is_loaded(f"{kv2_mount}/", "other/"), what="initial path")
            slow_node = tree._folder_nodes[(f"{kv2_mount}/", "slow/")]
            tree.move_cursor(slow_node)
            await pilot.pause()
            await pilot.press("enter")  # starts the listing, which the proxy holds until released
            await pilot.press("up")
            await pilot.press("up")
            # The keys were handled while the listing was still in flight.
            assert not tree.index.is_loaded(f"{kv2_mount}/", "slow/")
            assert tree.cursor_node is not slow_node
            # And typing into the filter works meanwhile.
            await pilot.press("slash", "f", "a")
            assert app.screen.query_one("#tree-filter").value == "fa"
            assert not tree.index.is_loaded(f"{kv2_mount}/", "slow/")
            release.set()
            await wait_for(
                pilot, lambda: tree.index.is_loaded(f"{kv2_mount}/", "slow/"), timeout=60, what="slow listing"
            )
    finally:
        release.set()
        proxy.shutdown()
