"""The demo environment: a seeded OpenBao dev server and (when possible) PostgreSQL, for ``--demo``.

Usage::

    with DemoEnvironment(progress=print_to_stderr) as demo:
        run_the_app(demo.settings, notes=demo.notes)

Both servers are stopped, and their temporary directories removed, on every way out:

* leaving the ``with`` block normally or by an exception (including KeyboardInterrupt);
* SIGTERM or SIGHUP: a handler stops the servers, then exits (``SystemExit(128 + signum)``), or
  calls ``on_signal(signum)`` if given, or the handler that was installed before us. Under a
  running Textual app the default SystemExit unwinds ``app.run()`` and Textual restores the
  terminal (checked on a pty: exit status 143). For a gentler exit, pass ``on_signal``; it runs
  inside the signal handler while the event loop may be asleep in select(), so wake the loop::

      on_signal=lambda signum: loop.call_soon_threadsafe(app.exit, None, 128 + signum)

  (``loop = asyncio.get_running_loop()`` works inside the handler while the app runs);
* a signal (including SIGINT) during start-up is held until the current step is done, so no
  half-started server escapes; then the servers stop and the exit goes ahead;
* interpreter exit: an atexit hook here, and another in :mod:`vault_tui.demo.servers`.

``stop()`` is idempotent and restores the signal handlers that were there before ``start()``.
The root token is random, lives only in memory, and is never printed or put in a repr.
"""

from __future__ import annotations

import atexit
import signal
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from vault_tui.vault.client import ConnectionSettings, build_client

from .seed import seed
from .servers import BaoServer, PostgresServer, ServerStartError, pgserver_unavailable_reason

Progress = Callable[[str], None]

EXIT_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)


@contextmanager
def _quiet_platformdirs() -> Iterator[None]:
    """pgserver's import warns when XDG_RUNTIME_DIR is unset; that is noise before the TUI."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR")
        yield


class DemoInterrupted(BaseException):
    """Internal: a held-back signal ends start-up."""


class DemoEnvironment:
    """Start, seed and stop the demo servers.

    Attributes after ``start()``:

    * ``settings``: :class:`ConnectionSettings` for the OpenBao server, with the root token;
    * ``notes``: human-readable notes for the user, such as why the database mount is missing;
    * ``bao`` / ``postgres``: the server objects (``postgres`` is None without PostgreSQL);
    * ``timings``: seconds spent in each start-up step (``bao``, ``postgres``, ``seed``, ``total``).
    """

    def __init__(
        self,
        *,
        postgres: bool = True,
        tls: bool = False,
        handle_signals: bool = True,
        on_signal: Callable[[int], None] | None = None,
        progress: Progress | None = None,
    ) -> None:
        self._want_postgres = postgres
        self._tls = tls
        self._handle_signals = handle_signals
        self._on_signal = on_signal
        self._progress = progress
        self.bao: BaoServer | None = None
        self.postgres: PostgresServer | None = None
        self.settings: ConnectionSettings | None = None
        self.notes: tuple[str, ...] = ()
        self.timings: dict[str, float] = {}
        self.temp_dirs: tuple[str, ...] = ()
        self._lock = threading.RLock()
        self._state = "new"  # new -> starting -> running -> stopping -> stopped
        self._pending_signal: int | None = None
        self._old_handlers: dict[int, Any] = {}  # to restore; emptied on restore
        self._chain: dict[int, Any] = {}  # to call after stopping; kept
        self._atexit_registered = False

    # -- public API ---------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._state == "running"

    @property
    def bao_pid(self) -> int | None:
        return self.bao.pid if self.bao else None

    @property
    def postgres_pid(self) -> int | None:
        server = getattr(self.postgres, "_server", None) if self.postgres else None
        if server is None:
            return None
        try:
            return int(server.get_pid())
        except Exception:
            return None

    def start(self) -> DemoEnvironment:
        with self._lock:
            if self._state != "new":
                raise RuntimeError(f"a DemoEnvironment can be started once (it is {self._state})")
            self._state = "starting"
        atexit.register(self.stop)
        self._atexit_registered = True
        self._install_signal_handlers()
        began = time.monotonic()
        try:
            self._start_servers()
            self._checkpoint()
            self._say("seeding demo data")
            step = time.monotonic()
            client = build_client(self.settings)  # type: ignore[arg-type]
            try:
                notes = seed(
                    client,
                    self.postgres,
                    missing_reason=self._postgres_missing,
                    progress=self._seed_progress,
                )
            finally:
                client.adapter.close()
            self.timings["seed"] = time.monotonic() - step
            self.notes = tuple(notes)
            self._checkpoint()
        except DemoInterrupted:
            signum = self._pending_signal or signal.SIGTERM
            self._pending_signal = None
            self.stop()
            if signum == signal.SIGINT:
                raise KeyboardInterrupt from None
            raise SystemExit(128 + signum) from None
        except BaseException:
            self.stop()
            raise
        self.timings["total"] = time.monotonic() - began
        with self._lock:
            self._state = "running"
        self._restore_sigint()
        self._say(f"demo ready in {self.timings['total']:.1f}s at {self.settings.addr}")  # type: ignore[union-attr]
        return self

    def stop(self) -> None:
        """Stop both servers and remove their data. Safe to call any number of times, from anywhere."""
        with self._lock:
            if self._state in ("stopping", "stopped"):
                return
            self._state = "stopping"
        try:
            if self.postgres is not None:
                try:
                    self.postgres.stop()
                except Exception:
                    pass
            if self.bao is not None:
                try:
                    self.bao.stop()
                except Exception:
                    pass
        finally:
            self._restore_signal_handlers()
            if self._atexit_registered:
                atexit.unregister(self.stop)
                self._atexit_registered = False
            with self._lock:
                self._state = "stopped"
        pending, self._pending_signal = self._pending_signal, None
        if pending is not None:
            # A signal came in while we were stopping: honour it now that the servers are gone.
            self._exit_for_signal(pending)

    def __enter__(self) -> DemoEnvironment:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        addr = self.settings.addr if self.settings else None
        return f"DemoEnvironment(state={self._state!r}, addr={addr!r}, postgres={self.postgres is not None})"

    # -- start-up -----------------------------------------------------------------------------

    def _say(self, message: str) -> None:
        if self._progress is not None:
            self._progress(message)

    def _seed_progress(self, message: str) -> None:
        self._say(message)
        self._checkpoint()

    def _checkpoint(self) -> None:
        """Act on a signal that was held back during a start-up step."""
        if self._pending_signal is not None:
            raise DemoInterrupted()

    def _start_servers(self) -> None:
        self._postgres_missing: str | None = None
        self._say("starting OpenBao")
        step = time.monotonic()
        self.bao = BaoServer(tls=self._tls)
        self.bao.start()
        self.timings["bao"] = time.monotonic() - step
        self.settings = ConnectionSettings(addr=self.bao.addr, token=self.bao.root_token, ca_cert=self.bao.ca_cert)
        self._checkpoint()

        if not self._want_postgres:
            self._postgres_missing = "PostgreSQL was turned off"
        else:
            with _quiet_platformdirs():
                self._postgres_missing = pgserver_unavailable_reason()
        if self._postgres_missing is None:
            self._say("starting PostgreSQL")
            step = time.monotonic()
            postgres = PostgresServer()
            self.postgres = postgres  # kept before start so stop() can clean up a half-start
            try:
                with _quiet_platformdirs():
                    postgres.start()
            except ServerStartError as error:
                self.postgres = None
                self._postgres_missing = str(error)
            self.timings["postgres"] = time.monotonic() - step
        dirs = [self.bao._tmp]
        if self.postgres is not None:
            dirs.append(self.postgres._tmp)
        self.temp_dirs = tuple(d for d in dirs if d)

    # -- signals ------------------------------------------------------------------------------

    def _install_signal_handlers(self) -> None:
        if not self._handle_signals or threading.current_thread() is not threading.main_thread():
            return
        wanted = list(EXIT_SIGNALS) + [signal.SIGINT]
        for signum in wanted:
            previous = signal.getsignal(signum)
            if previous is signal.SIG_IGN:
                continue  # e.g. SIGHUP under nohup: keep ignoring it
            signal.signal(signum, self._handle_signal)
            self._old_handlers[signum] = previous
            self._chain[signum] = previous

    def _restore_sigint(self) -> None:
        """After start-up, Ctrl+C is the app's business again (KeyboardInterrupt by default)."""
        self._restore_signal_handlers(only=signal.SIGINT)

    def _restore_signal_handlers(self, only: int | None = None) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # only the main thread may set handlers; ours then just chain on
        for signum in list(self._old_handlers):
            if only is not None and signum != only:
                continue
            previous = self._old_handlers.pop(signum)
            try:
                signal.signal(signum, previous if previous is not None else signal.SIG_DFL)
            except (ValueError, OSError, TypeError):
                pass

    def _handle_signal(self, signum: int, frame: FrameType | None) -> None:
        state = self._state
        if state in ("starting", "stopping"):
            # Never interrupt a half-done start or stop; the step finishes, then we act.
            self._pending_signal = signum
            return
        self.stop()
        self._exit_for_signal(signum)

    def _exit_for_signal(self, signum: int) -> None:
        """After the servers are stopped: exit, or hand the signal on."""
        previous = self._chain.get(signum, signal.SIG_DFL)
        if signum == signal.SIGINT:
            if callable(previous) and previous is not signal.default_int_handler:
                previous(signum, None)
                return
            raise KeyboardInterrupt
        if self._on_signal is not None:
            self._on_signal(signum)
            return
        if callable(previous):
            previous(signum, None)
            return
        raise SystemExit(128 + signum)
