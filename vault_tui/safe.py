"""Untrusted text: server-supplied strings shown literally, with control characters made visible.

Textual strips only a few control bytes; ESC, the other C0 codes and the C1 codes would reach the
terminal. Every path, key, value and error body from the server goes through :func:`visible`
(or :func:`safe_text`) and is never parsed as markup.
"""

from __future__ import annotations

import json
from typing import Any

from rich.text import Text

# Characters that reorder or hide text: bidi controls and zero-width characters.
_INVISIBLE = {
    0x200B,
    0x200C,
    0x200D,
    0x200E,
    0x200F,  # zero-width, LRM, RLM
    0x202A,
    0x202B,
    0x202C,
    0x202D,
    0x202E,  # bidi embeddings / overrides
    0x2066,
    0x2067,
    0x2068,
    0x2069,  # bidi isolates
    0x2028,
    0x2029,  # line / paragraph separators
    0xFEFF,  # BOM / zero-width no-break space
    0x00AD,  # soft hyphen
}
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\x1b": "\\x1b", "\x07": "\\a", "\x00": "\\0"}


def _escape_char(ch: str) -> str:
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def is_unsafe(ch: str) -> bool:
    code = ord(ch)
    return code < 0x20 or 0x7F <= code <= 0x9F or code in _INVISIBLE


def visible(value: Any, *, multiline: bool = False, limit: int | None = None) -> str:
    """Return ``value`` as a string with every control/invisible character shown as an escape.

    With ``multiline=True`` newlines are kept as real line breaks (for a value viewer).
    ``limit`` truncates very long strings (a 1 MB value) with an ellipsis and a size note.
    """
    if not isinstance(value, str):
        if isinstance(value, (dict, list)):
            value = json.dumps(value, ensure_ascii=False, sort_keys=True)
        else:
            value = "" if value is None else str(value)
    truncated = 0
    if limit is not None and len(value) > limit:
        truncated = len(value) - limit
        value = value[:limit]
    if any(is_unsafe(ch) for ch in value):
        out = []
        for ch in value:
            if multiline and ch == "\n":
                out.append(ch)
            elif is_unsafe(ch):
                out.append(_escape_char(ch))
            else:
                out.append(ch)
        value = "".join(out)
    if truncated:
        value += f"… (+{truncated:,} more characters)"
    return value


def safe_text(value: Any, style: str = "", *, multiline: bool = False, limit: int | None = 4096) -> Text:
    """A rich ``Text`` that renders ``value`` literally (never markup, never control codes)."""
    return Text(visible(value, multiline=multiline, limit=limit), style=style, no_wrap=not multiline, end="")


def mask(value: Any) -> str:
    """A fixed-width mask that reveals nothing, not even the length."""
    return "••••••••"
