"""Core guarantees: layering, untrusted text, redirects, crash output, the worker, the clipboard."""

from __future__ import annotations

import ast
import asyncio
import http.server
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from rich.text import Text

from vault_tui.clipboard import Clipboard
from vault_tui.safe import safe_text, visible

ROOT = Path(__file__).resolve().parents[1]


def test_vault_layer_does_not_import_textual():
    for path in (ROOT / "vault_tui" / "vault").rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
                if node.level:  # relative imports must stay inside the vault package
                    assert not node.module.startswith(("screens", "widgets", "app")), path
            for name in names:
                assert not name.startswith("textual"), f"{path} imports {name}"
    # And at run time: importing every module of the layer pulls in no textual.
    modules = [f"vault_tui.vault.{p.stem}" for p in (ROOT / "vault_tui" / "vault").glob("*.py") if p.stem != "__init__"]
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in modules)
        + "assert not [m for m in sys.modules if m.startswith('textual')], 'textual imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("plain", "plain"),
        ("a\x1b]0;pwned\x07b", "a\\x1b]0;pwned\\ab"),
        ("\x1b[31mred", "\\x1b[31mred"),
        ("c1\x9bx", "c1\\x9bx"),
        ("rtl\u202eevil", "rtl\\u202eevil"),
        ("zero\u200bwidth", "zero\\u200bwidth"),
        ("line\nbreak", "line\\nbreak"),
        ("del\x7f", "del\\x7f"),
    ],
)
def test_visible_shows_control_characters(raw, expected):
    assert visible(raw) == expected


@pytest.mark.parametrize("raw", ["[red]x", "[/foo]", "[link=http://x]y[/link]", "[@click=app.quit]", "a[/]b"])
def test_safe_text_is_never_markup(raw):
    text = safe_text(raw)
    assert isinstance(text, Text)
    assert text.plain == raw
    assert not text.spans


def test_visible_truncates_huge_values():
    shown = visible("x" * 1_000_000, limit=1000)
    assert shown.startswith("x" * 1000) and "more characters" in shown and len(shown) < 1100


class _Origin(http.server.BaseHTTPRequestHandler):
    """Redirects /v1/* to ``redirect_to`` + /moved/*, and records the headers of /moved/* requests."""

    seen: list[dict[str, str]] = []
    redirect_to = ""

    def do_GET(self):  # noqa: N802
        if self.path.startswith("/moved/"):
            _Origin.seen.append(dict(self.headers))
            body = b'{"data": {"keys": ["x"]}}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(307)
        self.send_header("Location", _Origin.redirect_to + "/moved" + self.path)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_cross_host_redirect_drops_the_token():
    from vault_tui.vault.client import ConnectionSettings
    from vault_tui.vault.gateway import Gateway

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Origin)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    try:
        # "localhost" is another host than "127.0.0.1" as far as the token is concerned.
        for target, expect_token in ((f"http://localhost:{port}", False), (f"http://127.0.0.1:{port}", True)):
            _Origin.seen.clear()
            _Origin.redirect_to = target
            gateway = Gateway(ConnectionSettings(addr=f"http://127.0.0.1:{port}", token="demo-token-must-not-leak"))
            gateway.request("GET", "secret/data/x")
            assert _Origin.seen, "the redirect was not followed"
            headers = {k.lower(): v for k, v in _Origin.seen[-1].items()}
            assert ("x-vault-token" in headers) is expect_token, target
    finally:
        server.shutdown()


def test_crash_prints_no_locals(tmp_path):
    """Textual's crash screen shows locals by default; ours must not (they hold secrets)."""
    script = tmp_path / "crash.py"
    script.write_text(
        textwrap.dedent(
            """
        from vault_tui.app import VaultApp
        from vault_tui.config import AppConfig
        from vault_tui.vault.client import ConnectionSettings

        class Crashy(VaultApp):
            def on_mount(self):
                secret_value = "-".join(["demo", "SECRET", "local"])
                self.set_timer(0.05, self.boom)

            def boom(self):
                token_value = "-".join(["demo", "TOKEN", "local"])
                raise RuntimeError("boom")

        app = Crashy(AppConfig(connection=ConnectionSettings(addr="http://127.0.0.1:9", token="-".join(["demo", "TOKEN", "settings"]))))
        app.run(headless=True)
        """
        )
    )
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120"}
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=60, env=env, cwd=ROOT
    )
    output = result.stdout + result.stderr
    assert "RuntimeError" in output and "boom" in output, output[-2000:]
    for leaked in ("demo-TOKEN-local", "demo-SECRET-local", "demo-TOKEN-settings"):
        assert leaked not in output


async def test_stale_reply_is_dropped(settings):
    from textual.app import App
    from textual.message import Message

    from vault_tui.vault.gateway import Gateway
    from vault_tui.worker import Call, VaultWorker

    class Got(Message):
        def __init__(self, value):
            super().__init__()
            self.value = value

    received: list[str] = []

    class Harness(App):
        def on_got(self, message: Got) -> None:
            received.append(message.value)

    app = Harness()
    async with app.run_test() as pilot:
        worker = VaultWorker(app, Gateway(settings))

        def fast(gateway, value):
            return value

        release = threading.Event()

        def slow(gateway, value):
            release.wait(30)
            return value

        worker.submit(Call(slow, "old"), to=app, done=Got, key="detail")
        worker.submit(Call(fast, "new"), to=app, done=Got, key="detail")
        for _ in range(600):
            if received:
                break
            await pilot.pause(0.05)
        release.set()  # the old reply arrives after the new one: it must be dropped
        for _ in range(20):
            await pilot.pause(0.05)
        worker.close()
    assert received == ["new"]


class FakeSystemClipboard:
    """Pure-logic stand-in for the OS clipboard (the real one needs a display)."""

    def __init__(self, fail: bool = False):
        self.value = ""
        self.fail = fail

    def copy(self, text):
        if self.fail:
            raise RuntimeError("no clipboard")
        self.value = text

    def paste(self):
        return self.value


async def test_clipboard_clears_after_timeout_if_unchanged():
    backend = FakeSystemClipboard()
    board = Clipboard(lambda text: None, clear_after=0.05, backend=backend)
    assert await board.copy("demo-value") == "system"
    assert backend.value == "demo-value"
    await asyncio.sleep(0.2)
    assert backend.value == ""


async def test_clipboard_keeps_what_the_user_copied_since():
    backend = FakeSystemClipboard()
    board = Clipboard(lambda text: None, clear_after=0.05, backend=backend)
    await board.copy("demo-value")
    backend.value = "something the user copied"
    await asyncio.sleep(0.2)
    assert backend.value == "something the user copied"


async def test_clipboard_falls_back_to_osc52():
    sent: list[str] = []
    board = Clipboard(sent.append, clear_after=0.05, backend=FakeSystemClipboard(fail=True))
    assert await board.copy("demo-value") == "osc52"
    await asyncio.sleep(0.2)
    assert sent == ["demo-value", ""]


def test_settings_repr_hides_token():
    from vault_tui.vault.client import ConnectionSettings

    settings = ConnectionSettings(addr="http://127.0.0.1:1", token="demo-token-xyz")
    assert "demo-token-xyz" not in repr(settings) and "demo-token-xyz" not in str(settings)


def test_token_from_environment_order(tmp_path):
    from vault_tui.config import token_from_environment

    (tmp_path / ".vault-token").write_text("from-file\n")
    assert token_from_environment({"VAULT_TOKEN": "a", "BAO_TOKEN": "b"}, home=tmp_path) == "a"
    assert token_from_environment({"BAO_TOKEN": "b"}, home=tmp_path) == "b"
    assert token_from_environment({}, home=tmp_path) == "from-file"
    assert token_from_environment({}, home=tmp_path / "nowhere") is None


def test_cli_config_from_flags_and_env():
    from vault_tui.cli import build_parser, config_from_args

    args = build_parser().parse_args(
        ["--addr", "http://127.0.0.1:8300/", "--read-only", "--path", "secret/a", "--view", "leases"]
    )
    config = config_from_args(
        args,
        environ={
            "VAULT_ADDR": "http://127.0.0.1:1",
            "VAULT_NAMESPACE": "team",
            "VAULT_SKIP_VERIFY": "true",
            "BAO_TOKEN": "t",
        },
    )
    assert config.connection.addr == "http://127.0.0.1:8300"
    assert config.read_only and config.initial_path == "secret/a" and config.initial_view == "leases"
    assert config.connection.namespace == "team" and config.connection.skip_verify
    assert config.connection.token == "t"


def test_dev_server_token_is_not_on_the_command_line_or_disk(bao):
    with open(f"/proc/{bao.pid}/cmdline", "rb") as handle:
        assert bao.root_token.encode() not in handle.read()
    for directory, _dirs, files in os.walk(bao._tmp):
        for name in files:
            with open(os.path.join(directory, name), "rb") as handle:
                assert bao.root_token.encode() not in handle.read(), name
    assert bao.root_token not in repr(bao)
    assert all(bao.root_token not in line for line in bao.log_tail)


def test_dev_server_dies_with_a_killed_parent(tmp_path):
    """Even SIGKILL of vault-tui (no cleanup code runs) takes the bao server down with it."""
    import signal as _signal

    script = tmp_path / "parent.py"
    script.write_text(
        "import sys, time\n"
        "from vault_tui.demo.servers import BaoServer\n"
        "server = BaoServer().start()\n"
        "print(server.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        bao_pid = int(parent.stdout.readline())
        os.kill(parent.pid, _signal.SIGKILL)
        parent.wait(timeout=10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(bao_pid, 0)
            except ProcessLookupError:
                break
            # a zombie still answers kill(0): check its state
            try:
                with open(f"/proc/{bao_pid}/stat") as handle:
                    if handle.read().split()[2] == "Z":
                        break
            except FileNotFoundError:
                break
            time.sleep(0.1)
        else:
            os.kill(bao_pid, _signal.SIGKILL)
            raise AssertionError("bao outlived its SIGKILLed parent")
    finally:
        if parent.poll() is None:
            parent.kill()
