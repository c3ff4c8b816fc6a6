"""Text made fit to show: cut to fit a label, a chart node or a table cell, and made safe
for a terminal.

Names, subjects and bodies come from mail anyone can send. Shown raw, an escape sequence
in them clears the screen, retitles the window or plants a hyperlink; ``visible`` shows
every control character as an escape (``\\x1b``) instead, as the reports and the
dashboard already do by escaping HTML.
"""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, C1 controls (0x9b is a one-byte CSI), and the
# bidirectional overrides and isolates that reorder what a line appears to say.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_CONTROL_OR_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")

# json.dumps escapes C0 controls inside strings; whitespace outside them is its layout.
_RAW_IN_JSON = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str, *, multiline: bool = True) -> str:
    """``text`` with every control and direction-override character shown as an escape
    (``\\x1b``, ``\\u202e``) rather than acted on by the terminal. Newlines and tabs stay
    unless ``multiline`` is False (for one-line fields: a name, a subject, a table cell)."""
    pattern = _CONTROL if multiline else _CONTROL_OR_LINE
    return pattern.sub(_escaped, text)


def visible_json(text: str) -> str:
    """A JSON document with the characters ``json.dumps(ensure_ascii=False)`` leaves raw
    but a terminal acts on (C1 controls, direction overrides) written as ``\\uXXXX``:
    still the same JSON value, safe to print."""
    return _RAW_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def shorten(text: str, limit: int) -> str:
    """``text`` on one line (whitespace collapsed), cut to ``limit`` characters with "…"."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
