"""Mailboxes of From/To/Cc header values.

Kernel Cc lists run to dozens of plain ``Name <addr>`` entries. A regular expression
reads those ~10x faster than ``email.utils.getaddresses`` and ~20x faster than
mail-parser's forensic address parser; anything unusual (comments, groups, stray
brackets, empty entries) goes to ``getaddresses``, so the result is always the one the
standard library gives. Encoded words in names are decoded after splitting, so an
encoded comma (``=?utf-8?q?M=C3=BCller=2C_J?=``) cannot split a name in two.
"""

from __future__ import annotations

import functools
import re
from email.utils import getaddresses

from analyzer.mail.headers import decode_words
from analyzer.records import Address

_ADDR = r"[^\s<>()\[\]\\\",;:@]+@[^\s<>()\[\]\\\",;:@]+"
_PLAIN_MAILBOX = re.compile(
    r"\s*(?:"
    r"(?P<name>[^<>()\[\]\\\",;:@\s][^<>()\[\]\\\",;:@]*?)?\s*<(?P<angle>" + _ADDR + r")>"
    r'|"(?P<quoted>(?:[^"\\]|\\.)*)"\s*<(?P<qangle>' + _ADDR + r")>"
    r"|(?P<bare>" + _ADDR + r")"
    r")\s*(?:,|$)"
)
_QUOTED_PAIR = re.compile(r"\\(.)")


def mailbox_pairs(value: str) -> list[tuple[str, str]]:
    """(display name, address) of each mailbox in one header value, names still encoded."""
    fast = _plain_mailboxes(value)
    return fast if fast is not None else getaddresses([value])


def addresses_of(values: list[str]) -> tuple[Address, ...]:
    """Mailboxes of header values; names decoded and whitespace-collapsed, addresses
    lower-cased, entries without an address dropped."""
    return tuple(_address(name, addr) for value in values for name, addr in mailbox_pairs(value) if addr.strip())


@functools.lru_cache(maxsize=8192)
def _address(name: str, addr: str) -> Address:
    """One shared Address per (raw name, address): the same few hundred people fill
    every Cc list, and shared objects are also pickled once per batch sent back from a
    parser process, not once per message."""
    return Address(name=_display_name(name, addr), email=addr.strip().lower())


def _display_name(name: str, addr: str) -> str:
    """The name as people read it: decoded, without the quotes some mailers encode
    along with it, and empty when it only repeats the address."""
    if "=?" in name:
        name = decode_words(name)
        if len(name) > 1 and name[0] == name[-1] == '"':
            name = name[1:-1]
    name = " ".join(name.split())
    return "" if name.lower() == addr.strip().lower() else name


def _plain_mailboxes(value: str) -> list[tuple[str, str]] | None:
    """``Name <a@b>, "Last, First" <c@d>, e@f`` as pairs, or None for anything else."""
    pairs: list[tuple[str, str]] = []
    position, end = 0, len(value)
    while position < end:
        match = _PLAIN_MAILBOX.match(value, position)
        if match is None or match.end() == position:
            return None
        if match["bare"]:
            pairs.append(("", match["bare"]))
        elif match["qangle"]:
            pairs.append((_QUOTED_PAIR.sub(r"\1", match["quoted"]), match["qangle"]))
        else:
            pairs.append((match["name"] or "", match["angle"]))
        position = match.end()
    return pairs
