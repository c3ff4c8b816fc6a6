"""What ends a message: the ``-- `` signature and the footers lists and companies append."""

from __future__ import annotations

import re
from collections.abc import Sequence

from analyzer.segment.lines import Line, next_text

_UNDERSCORES = re.compile(r"^_{20,}\s*$")
# Footers whose first line says what they are. Mailman's starts with a rule of
# underscores instead and is recognised by the list name or address under it.
_FOOTER_OPENINGS = re.compile(
    r"^(?:IMPORTANT NOTICE: The contents of this email"
    r"|To unsubscribe from this list: send the line"
    r"|Amazon Development Cent(?:er|re) "
    r"|This email message is for the sole use of the intended recipient"
    r"|This e-mail and any attachments? (?:is|are) confidential"
    r"|CONFIDENTIALITY NOTICE:)",
    re.IGNORECASE,
)
_FOOTER_FIRST = frozenset("ITACtaci")
_LIST_LINE = re.compile(r"mailing list|^\S+@\S+\s*$|https?://\S*(?:listinfo|mailman|lists\.)", re.IGNORECASE)
# A bare "--" (no trailing space) is a signature only this close to the end.
_BARE_DASHES_REACH = 12


def footer_starts(lines: Sequence[Line], index: int) -> bool:
    text = lines[index].text
    first = text[:1]
    if first == "_" and _UNDERSCORES.match(text):
        following = next_text(lines, index)
        return following is not None and bool(_LIST_LINE.search(following))
    if first == "-" and text.rstrip() in ("--", "-- "):
        following = next_text(lines, index)
        return following is not None and following.startswith("To unsubscribe from this list")
    return first in _FOOTER_FIRST and bool(_FOOTER_OPENINGS.match(text))


def signature_starts(lines: Sequence[Line], index: int) -> bool:
    text = lines[index].text
    if text == "-- ":
        return True
    if text.rstrip(" \t") != "--":
        return False
    depth = lines[index].depth
    for remaining, line in enumerate(lines[index + 1 :], start=1):
        if line.depth != depth:
            break
        if remaining > _BARE_DASHES_REACH:
            return False
    return True
