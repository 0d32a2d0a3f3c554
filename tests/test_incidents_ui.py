"""Bad hours: a token revoked from outside, quitting with kept edits or a secret on the clipboard,
ctrl+q while a call hangs. Real OpenBao; the app as a user drives it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

from tests.helpers import app_for, edit_secret, screen_ready, wait_for, wait_ready
from vault_tui.screens.modals import ConfirmScreen
from vault_tui.screens.signin import SignInScreen
from vault_tui.vault.client import ConnectionSettings

ROOT = Path(__file__).resolve().parents[1]


class FakeClipboard:
    def __init__(self) -> None:
        self.value = ""

    def copy(self, text: str) -> None:
        self.value = text

    def paste(self) -> str:
        return self.value


async def test_revoked_token_brings_sign_in_not_a_policy_error(bao, root_client):
    """OpenBao says 'permission denied' for a revoked token too: the app checks lookup-self."""
    token = root_client.auth.token.create(policies=["default"], ttl="1h")["auth"]["client_token"]
    app = app_for(ConnectionSettings(addr=bao.addr, token=token), initial_view="policies")
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_ready(pilot)
        root_client.auth.token.revoke(token)
        app.screen.reload()  # any call now gets 403
        await wait_for(pilot, lambda: screen_ready(app, SignInScreen), what="sign-in over the view")
        assert "ended" in app.screen.reason
        assert app.session.token is None


async def test_policy_denial_is_not_mistaken_for_a_dead_token(bao, root_client, kv2_mount):
    token = root_client.auth.token.create(policies=["default"], ttl="1h")["auth"]["client_token"]
    app = app_for(ConnectionSettings(addr=bao.addr, token=token), initial_view="policies")
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_ready(pilot)
        from vault_tui.vault import kv
        from vault_tui.worker import Call

        app.worker.submit(Call(kv.read_version, kv2_mount, "forbidden"), action="reading")
        await wait_for(pilot, lambda: app.last_error is not None, what="the denial reported")
        await pilot.pause(0.5)
        for _ in range(20):  # the token check runs in the background: give it time to misjudge
            await pilot.pause(0.05)
        assert not any(isinstance(screen, SignInScreen) for screen in app.screen_stack)
        assert app.session.token is not None


async def test_a_save_refused_for_a_dead_token_lands_after_sign_in(bao, root_client, kv2_mount):
    """Revoked while editing: ctrl+s, the sign-in comes over the view, and once signed in the
    edit is saved (check-and-set on the version edited) with no other key pressed."""
    from textual.widgets import Input

    root_client.secrets.kv.v2.create_or_update_secret("app/db", {"password": "v1"}, mount_point=kv2_mount)
    token = root_client.auth.token.create(policies=["root"], ttl="1h")["auth"]["client_token"]
    app = app_for(ConnectionSettings(addr=bao.addr, token=token), initial_path=f"{kv2_mount}/app/db")
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_ready(pilot)
        await edit_secret(pilot, "app/db", "typed-while-revoked")

        root_client.auth.token.revoke(token)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen_ready(app, SignInScreen), what="sign-in over the view")
        assert "ended" in app.screen.reason
        fresh = root_client.auth.token.create(policies=["root"], ttl="1h")["auth"]["client_token"]
        app.screen.query_one("#token", Input).value = fresh
        await pilot.press("ctrl+s")  # the sign-in form's submit key

        def saved() -> bool:
            data = root_client.secrets.kv.v2.read_secret_version("app/db", mount_point=kv2_mount)["data"]
            return data["data"] == {"password": "typed-while-revoked"} and data["metadata"]["version"] == 2

        await wait_for(pilot, saved, what="the edit saved after sign-in")
        await wait_for(pilot, lambda: not app.drafts, what="the draft let go once written")
        keys = root_client.secrets.kv.v2.list_secrets("", mount_point=kv2_mount)["data"]["keys"]
        assert keys == ["app/"]  # nothing written anywhere else


async def test_quitting_with_a_kept_draft_asks_first(settings):
    app = app_for(settings, initial_view="policies")
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_ready(pilot)
        app.keep_draft("secret:kv/app/db", "your edit of kv/app/db (not saved: the server was down)")
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: screen_ready(app, ConfirmScreen), what="the question")
        assert "kv/app/db" in str(app.screen.query_one(".dialog-body").render())
        await pilot.press("escape")  # stay
        await pilot.pause(0.3)
        assert app.is_running and "secret:kv/app/db" in app.drafts
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: screen_ready(app, ConfirmScreen), what="the question again")
        await pilot.click("#confirm")
        await wait_for(pilot, lambda: not app.is_running, what="quit")


async def test_quitting_clears_the_clipboard_if_it_still_holds_our_secret(settings):
    app = app_for(settings, initial_view="policies", clipboard_clear_seconds=3600)
    board = FakeClipboard()
    app.secret_clipboard._backend = board
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_ready(pilot)
        app.copy_secret("s3cret-value", "password")
        await wait_for(pilot, lambda: board.value == "s3cret-value", what="copied")
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: not app.is_running, what="quit")
    assert board.value == ""


async def test_quitting_leaves_what_the_user_copied_since(settings):
    app = app_for(settings, initial_view="policies", clipboard_clear_seconds=3600)
    board = FakeClipboard()
    app.secret_clipboard._backend = board
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_ready(pilot)
        app.copy_secret("s3cret-value", "password")
        await wait_for(pilot, lambda: board.value == "s3cret-value", what="copied")
        board.value = "something the user copied elsewhere"
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: not app.is_running, what="quit")
    assert board.value == "something the user copied elsewhere"


def _silent_server() -> tuple[socket.socket, int]:
    """Accepts connections and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            held.append(conn)

    threading.Thread(target=accept, daemon=True).start()
    return sock, sock.getsockname()[1]


def test_ctrl_q_exits_within_a_second_while_a_call_hangs(bao):
    """A call stuck on a server that never answers must not keep the process alive after ctrl+q."""
    sock, port = _silent_server()
    script = textwrap.dedent(
        f"""
        import asyncio, sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from tests.helpers import app_for, wait_for, wait_ready
        from vault_tui.vault.client import ConnectionSettings
        from vault_tui.vault.gateway import Gateway
        from vault_tui.worker import Call

        def hang(gateway):
            import requests
            requests.get("http://127.0.0.1:{port}/v1/sys/health", timeout=600)

        async def main():
            app = app_for(ConnectionSettings(addr={bao.addr!r}, token={bao.root_token!r}), initial_view="policies")
            async with app.run_test() as pilot:
                await wait_ready(pilot)
                for _ in range(3):
                    app.worker.submit(Call(hang))
                await pilot.pause(0.5)
                await pilot.press("ctrl+q")
                await wait_for(pilot, lambda: not app.is_running, what="quit")
            print("QUIT", time.monotonic(), flush=True)

        asyncio.run(main())
        """
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        line = b""
        deadline = time.monotonic() + 120
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if line.startswith(b"QUIT") or not line:
                break
        assert line.startswith(b"QUIT"), proc.stderr.read().decode() if proc.stderr else ""
        quit_at = float(line.split()[1])
        proc.wait(timeout=30)
        exited = time.monotonic()
        # time.monotonic is system-wide on Linux: compare the two processes' clocks directly
        assert exited - quit_at < 1.0 + 0.5, f"the process lived {exited - quit_at:.2f} s after quitting"
    finally:
        if proc.poll() is None:
            proc.kill()
        sock.close()


async def test_idle_lock_hides_and_clears_then_a_key_unlocks(settings):
    from vault_tui.screens.lock import LockScreen

    app = app_for(settings, initial_view="policies", clipboard_clear_seconds=3600, idle_lock_minutes=0.02)
    board = FakeClipboard()
    app.secret_clipboard._backend = board
    # The lock is 1.2 s of idleness: on a busy machine start-up alone takes that long, and the
    # lock would (rightly) clear the copy before the test saw it. Idleness starts when we say.
    app.last_input = time.monotonic() + 3600
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_ready(pilot)
        app.copy_secret("s3cret-value", "password")
        await wait_for(pilot, lambda: board.value == "s3cret-value", what="copied")
        assert not isinstance(app.screen, LockScreen)
        app.last_input = time.monotonic() - 60  # a minute without a key press
        await wait_for(pilot, lambda: screen_ready(app, LockScreen), what="the lock")
        await wait_for(pilot, lambda: board.value == "", what="clipboard cleared")
        await pilot.press("x")
        await wait_for(pilot, lambda: not isinstance(app.screen, LockScreen), what="unlocked by a key")
        assert app.is_running and app.current_mode == "policies"


async def test_idle_lock_with_sign_in_needs_a_sign_in(settings):
    from vault_tui.screens.lock import LockScreen

    app = app_for(settings, initial_view="policies", idle_lock_minutes=0.02, idle_lock_sign_in=True)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_ready(pilot)
        app.last_input -= 60
        await wait_for(pilot, lambda: screen_ready(app, LockScreen), what="the lock")
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_ready(app, SignInScreen), what="sign-in after the lock")
        app.last_input -= 60  # slow to sign in: that sign-in is the lock, no second lock over it
        app._check_idle()
        await pilot.pause()
        assert screen_ready(app, SignInScreen)
        app.screen.action_cancel()  # no sign-in: locked again
        await wait_for(pilot, lambda: screen_ready(app, LockScreen), what="locked again")
