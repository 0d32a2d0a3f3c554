"""Copy secrets to the clipboard and clear them again.

pyperclip is used when it has a clipboard (xclip, xsel, wl-copy, pbcopy...). Without one we fall
back to Textual's OSC 52 copy, which most modern terminals honour.

After ``clear_after`` seconds the clipboard is cleared, unless it changed since: with pyperclip we
read it back and compare digests (the copied text itself is not kept); with OSC 52 the terminal
cannot be read, so we clear only if vault-tui copied nothing else in the meantime.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections.abc import Callable
from typing import Protocol, TypeVar, cast

import pyperclip

T = TypeVar("T")


class ClipboardBackend(Protocol):
    """What vault-tui needs of a clipboard (pyperclip, or a test double)."""

    def copy(self, text: str) -> None: ...

    def paste(self) -> str: ...


def _first_sentence(text: str) -> str:
    text = " ".join(text.split())
    return text.split(". ")[0][:200]


async def _in_daemon_thread(fn: Callable[..., T], *args: object) -> T:
    """Run a clipboard call in a daemon thread: a hung xclip never keeps the app from quitting."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def run() -> None:
        try:
            result = fn(*args)
        except BaseException as error:  # noqa: BLE001 - handed to the awaiting side
            loop.call_soon_threadsafe(_settle, future, None, error)
        else:
            loop.call_soon_threadsafe(_settle, future, result, None)

    threading.Thread(target=run, name="clipboard", daemon=True).start()
    return await future


def _settle(future: asyncio.Future[T], result: T | None, error: BaseException | None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)  # type: ignore[arg-type]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class Clipboard:
    def __init__(
        self,
        osc52: Callable[[str], None],
        *,
        clear_after: float = 30.0,
        backend: ClipboardBackend | None = None,
    ) -> None:
        self._osc52 = osc52
        self.clear_after = clear_after
        self._backend: ClipboardBackend = backend if backend is not None else cast(ClipboardBackend, pyperclip)
        self._generation = 0
        self._task: asyncio.Task[None] | None = None
        self.last_method = ""
        self.system_problem = ""  # why the system clipboard is unusable (pyperclip's words), once known
        self._pending: tuple[int, str, str] | None = None
        self._copying: asyncio.Future[str | None] | None = None  # (generation, digest, method) not cleared yet

    async def copy(self, text: str) -> str:
        """Copy ``text``; returns the method used ("system" or "osc52")."""
        self._generation += 1
        generation = self._generation
        digest = _digest(text)
        copying: asyncio.Future[str | None] = asyncio.ensure_future(_in_daemon_thread(self._copy_system, text))
        self._copying = copying  # a clear asked for meanwhile waits for this copy to land
        method = await copying
        if method is None:
            self._osc52(text)
            method = "osc52"
        self.last_method = method
        if self._task is not None:
            self._task.cancel()
        self._pending = (generation, digest, method)
        if self.clear_after > 0:
            self._task = asyncio.create_task(self._clear_later(generation, digest, method))
        return method

    def _copy_system(self, text: str) -> str | None:
        try:
            self._backend.copy(text)
            return "system"
        except Exception as error:  # pyperclip.PyperclipException and friends: no clipboard here
            self.system_problem = self.system_problem or _first_sentence(str(error))
            return None

    async def _clear_later(self, generation: int, digest: str, method: str) -> None:
        await asyncio.sleep(self.clear_after)
        if generation != self._generation:
            return  # we copied something newer; that copy owns the clear
        await self._clear(digest, method)
        self._pending = None

    async def _clear(self, digest: str, method: str) -> None:
        if method == "system":
            await _in_daemon_thread(self._clear_system_if_unchanged, digest)
        else:
            self._osc52("")

    async def clear_if_ours(self, timeout: float = 0.5) -> None:
        """On quit: clear what vault-tui put on the clipboard, unless something else replaced it."""
        copying = self._copying
        if copying is not None and not copying.done():
            try:
                await asyncio.wait_for(asyncio.shield(copying), timeout)
            except (TimeoutError, Exception):  # noqa: BLE001 - a copy that never lands leaves nothing to clear
                pass
            await asyncio.sleep(0)  # let copy() record what it put there
        pending, self._pending = self._pending, None
        self.cancel()
        if pending is None:
            return
        _generation, digest, method = pending
        try:
            await asyncio.wait_for(self._clear(digest, method), timeout)
        except (TimeoutError, Exception):  # noqa: BLE001 - quitting must not hang or fail here
            pass

    def _clear_system_if_unchanged(self, digest: str) -> bool:
        try:
            current = self._backend.paste()
        except Exception:
            return False
        if current is not None and _digest(current) == digest:
            try:
                self._backend.copy("")
            except Exception:
                return False
            return True
        return False

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
