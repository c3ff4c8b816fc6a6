"""Trailer lines: ``Acked-by: Name <addr>``, ``Fixes: <sha> ("subject")``, a bare ``NAK``.

The value rules are b4's, through liblore: in a reply a person trailer must name an
address and a URL belongs only in a link trailer, which keeps "Cc: see above" or a
"Link:" in prose from becoming a trailer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from liblore.series import Trailer as LoreTrailer
from liblore.utils import find_trailers

_KEYS = (
    "Signed-off-by",
    "Acked-by",
    "Reviewed-by",
    "Tested-by",
    "Nacked-by",
    "Reported-by",
    "Suggested-by",
    "Co-developed-by",
    "Reported-and-tested-by",
    "Cc",
    "Fixes",
    "Link",
    "Closes",
    "Message-ID",
    "Change-Id",
)
_CANONICAL = {key.lower(): key for key in _KEYS} | {
    "naked-by": "Nacked-by",
    "nak-ed-by": "Nacked-by",
    "nack-by": "Nacked-by",
    "nacked-by": "Nacked-by",
    "message-id": "Message-ID",
    "buglink": "Link",
}
_LINE = re.compile(r"^\s*(?P<key>[A-Za-z][A-Za-z-]*[A-Za-z])\s*:\s*(?P<value>\S.*?)\s*$")
_NAK = re.compile(r"^\s*(?:NAK|NACK|Nak|Nack|NAKed|NACKed)[.!]*\s*$")


@dataclass(frozen=True, slots=True)
class ParsedTrailer:
    key: str
    value: str
    name: str | None = None
    email: str | None = None


@lru_cache(maxsize=8192)
def parse_trailer(text: str, *, strict: bool) -> ParsedTrailer | None:
    """The trailer on one line, if it is one. ``strict`` applies b4's reply rules.
    Memoised: the same Signed-off-by lines come back in every patch of a series."""
    if _NAK.match(text):
        return ParsedTrailer("Nacked-by", "")
    match = _LINE.match(text)
    if not match:
        return None
    key = _CANONICAL.get(match.group("key").lower())
    if key is None:
        return None
    found, _ = find_trailers(f"{key}: {match.group('value')}\n", followup=strict)
    if len(found) != 1:
        return None
    value = found[0][1]
    try:
        parsed = LoreTrailer.parse(key, value)
    except UnicodeError:  # a non-ASCII address: the stdlib's address parser encodes it as ASCII
        return _unicode_person(key, value)
    if parsed.addr is None:
        return ParsedTrailer(key, value)
    name, email = parsed.addr
    return ParsedTrailer(key, value, name or None, email or None)


_NAME_ADDRESS = re.compile(r"^(?P<name>[^<>]*?)\s*<(?P<email>[^<>\s]+@[^<>\s]+)>")


def _unicode_person(key: str, value: str) -> ParsedTrailer:
    """``Name <addr>`` read without the stdlib's address parser (for non-ASCII addresses)."""
    match = _NAME_ADDRESS.match(value)
    if match is None:
        return ParsedTrailer(key, value)
    return ParsedTrailer(key, value, match.group("name").strip(' "') or None, match.group("email"))


def is_trailer_note(text: str) -> bool:
    """``[maz: tidied up the commit message]`` between a maintainer's trailers; it may
    wrap over a few lines."""
    return text.lstrip().startswith("[")


# A note that never closes is not a note: give up after this many lines.
_NOTE_REACH = 6


def note_lines_left(text: str, left: int) -> int:
    """Lines a trailer note may still take after this one (0 once its ``]`` is seen)."""
    if text.rstrip().endswith("]"):
        return 0
    return _NOTE_REACH if left == 0 else left - 1
