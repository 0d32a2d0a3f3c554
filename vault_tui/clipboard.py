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
from typing import Callable

import pyperclip


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class Clipboard:
    def __init__(
        self,
        osc52: Callable[[str], None],
        *,
        clear_after: float = 30.0,
        backend: object | None = None,
    ) -> None:
        self._osc52 = osc52
        self.clear_after = clear_after
        self._backend = backend if backend is not None else pyperclip
        self._generation = 0
        self._task: asyncio.Task[None] | None = None
        self.last_method = ""

    async def copy(self, text: str) -> str:
        """Copy ``text``; returns the method used ("system" or "osc52")."""
        self._generation += 1
        generation = self._generation
        digest = _digest(text)
        method = await asyncio.to_thread(self._copy_system, text)
        if method is None:
            self._osc52(text)
            method = "osc52"
        self.last_method = method
        if self._task is not None:
            self._task.cancel()
        if self.clear_after > 0:
            self._task = asyncio.create_task(self._clear_later(generation, digest, method))
        return method

    def _copy_system(self, text: str) -> str | None:
        try:
            self._backend.copy(text)  # type: ignore[attr-defined]
            return "system"
        except Exception:  # pyperclip.PyperclipException and friends: no clipboard here
            return None

    async def _clear_later(self, generation: int, digest: str, method: str) -> None:
        await asyncio.sleep(self.clear_after)
        if generation != self._generation:
            return  # we copied something newer; that copy owns the clear
        if method == "system":
            await asyncio.to_thread(self._clear_system_if_unchanged, digest)
        else:
            self._osc52("")

    def _clear_system_if_unchanged(self, digest: str) -> bool:
        try:
            current = self._backend.paste()  # type: ignore[attr-defined]
        except Exception:
            return False
        if current is not None and _digest(current) == digest:
            try:
                self._backend.copy("")  # type: ignore[attr-defined]
            except Exception:
                return False
            return True
        return False

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
