"""Untrusted text on a terminal: what AWS (or any cloud) sends is data, never terminal commands or console markup.

Resource ids, error messages, account names and annotations can hold control characters: ESC starts the sequences
that retitle a window (OSC), clear the screen or recolour what follows (CSI), and C1 controls do the same in one
character. `terminal_safe` shows each such character as its escape (`\\x1b`, `\\u202e`, `\\n`) instead of sending
it: the text stays on one line, nothing is hidden, and what was attempted stays visible (a replacement character
would say that something was there, not what). Ordinary Unicode, printable ASCII and backslashes are kept, so ids
read as AWS spells them. Rich markup and emoji codes are another matter: `terminal_text` gives rich a `Text`, which
it never parses.
"""

from __future__ import annotations

import re

from rich.text import Text

# C0 controls (tab and newline too: a line break in a table cell or a diff line could forge a row), DEL, C1
# controls, and the invisible characters that reorder or break lines: bidi marks, embeddings, overrides and
# isolates (the "Trojan Source" ones), line and paragraph separators.
_INVISIBLE = "\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f{_INVISIBLE}]")
_UNSAFE_BUT_NEWLINE = re.compile(f"[\x00-\x09\x0b-\x1f\x7f-\x9f{_INVISIBLE}]")
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(match: re.Match[str]) -> str:
    character = match.group()
    if character in _SHORT:
        return _SHORT[character]
    code = ord(character)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: str, *, newlines: bool = False) -> str:
    """`text` with every control character shown as its escape; `newlines` keeps line breaks (a traceback's)."""
    return (_UNSAFE_BUT_NEWLINE if newlines else _UNSAFE).sub(_escaped, text)


def terminal_text(text: str, style: str = "") -> Text:
    """Untrusted text for a rich renderable (a table cell): control characters escaped, markup and emoji codes
    shown as written."""
    return Text(terminal_safe(text), style=style)
