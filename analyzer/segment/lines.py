"""A body as lines with offsets and quote depth: the unit every segmentation rule reads.

Only ``\\n`` ends a line: a stray ``\\r`` or form feed stays inside the line, so the lines
of a body always tile it exactly, whatever it contains.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

# A quote marker starts in column 0 ("> ", ">>", "> > "): an indented ">" is far more
# often a diff context line or pasted shell output than a quote.
_MARKER = re.compile(r">(?:[ \t]*>)*[ \t]?")


@dataclass(frozen=True, slots=True)
class Line:
    start: int
    end: int
    """Offsets of the line in the body; ``end`` is after its newline, if any."""
    depth: int
    """Effective quote depth (the ``>`` count, plus one below an Outlook header)."""
    text: str
    """The line without its quote markers and without the trailing newline / ``\\r``."""
    markers: int = 0
    """The ``>`` count as written."""
    blank: bool = False
    """Nothing but whitespace after the markers."""


def split_lines(body: str) -> tuple[Line, ...]:
    lines: list[Line] = []
    offset = 0
    length = len(body)
    while offset < length:
        newline = body.find("\n", offset)
        end = length if newline < 0 else newline + 1
        raw = body[offset : end if newline < 0 else newline]
        flattened = _FLATTENED.match(raw) if len(raw) > _FLATTENED_LENGTH and raw[:1] != ">" else None
        if flattened:
            lines.extend(_unflatten(raw, offset, end, flattened.end()))
        else:
            lines.append(_line(raw, offset, end))
        offset = end
    return tuple(lines)


# Text recovered from web archives sometimes has a whole quote run into one line:
# "On <date>, <name> wrote: > first line > > nested line …". Such a line is read as the
# attribution followed by one line per marker run.
_FLATTENED = re.compile(
    r"(?:On|Le|Am|El|Il)\s.{5,250}?\s(?:wrote|writes|a écrit|schrieb|ha scritto|escribió)\s?:(?=\s+>\s)"
)
_OPENS_QUOTE = re.compile(r"(?:wrote|writes|a écrit|schrieb|ha scritto|escribió)\s?:\s*$")
_FLATTENED_LENGTH = 300
_MARKER_RUN = re.compile(r"(?<!\S)>(?:[ \t]*>)*(?=\s|$)")


def _unflatten(raw: str, start: int, end: int, attribution_end: int) -> list[Line]:
    lines = [Line(start, start + attribution_end, 0, raw[:attribution_end], 0, False)]
    runs = list(_MARKER_RUN.finditer(raw, attribution_end))
    depth, text = 0, ""
    for index, run in enumerate(runs):
        stop = runs[index + 1].start() if index + 1 < len(runs) else len(raw)
        first = start + (attribution_end if index == 0 else run.start())
        count = run.group().count(">")
        # Only an attribution opens a deeper level; more markers than that are a blank
        # quoted line run into the next one ("> > > x" after depth 2: blank, then x at 1).
        nested = bool(_OPENS_QUOTE.search(text))
        depth = count - depth if depth and count > depth and not nested else count
        text = raw[run.end() : stop].strip()
        last = start + stop if index + 1 < len(runs) else end
        lines.append(Line(first, last, depth, text, depth, not text))
    return lines


def _line(raw: str, start: int, end: int) -> Line:
    match = _MARKER.match(raw) if raw[:1] == ">" else None
    if not match:
        text = raw.rstrip("\r")
        return Line(start, end, 0, text, 0, not text.strip())
    depth = match.group().count(">")
    text = raw[match.end() :].rstrip("\r")
    return Line(start, end, depth, text, depth, not text.strip())


def shift_depths(lines: Sequence[Line], header_lines: Sequence[tuple[int, int]]) -> tuple[Line, ...]:
    """Deepen the unmarked original below each Outlook header by one level.

    ``header_lines`` are (first line index, line count) of each header. Below a header
    written at marker depth d, every line of marker depth >= d is one level deeper, up to
    the first non-blank line of smaller marker depth (the quoting run has ended).
    """
    if not header_lines:
        return tuple(lines)
    starts = {first + count: lines[first].markers for first, count in header_lines}
    active: list[int] = []
    shifted: list[Line] = []
    for index, line in enumerate(lines):
        if index in starts:
            active.append(starts[index])
        if not line.blank:
            active = [depth for depth in active if depth <= line.markers]
        extra = sum(1 for depth in active if depth <= line.markers)
        shifted.append(replace(line, depth=line.markers + extra) if extra else line)
    return tuple(shifted)


def next_text(lines: Sequence[Line], index: int) -> str | None:
    """The text of the line after ``index`` when it is at the same quote depth."""
    if index + 1 < len(lines) and lines[index + 1].depth == lines[index].depth:
        return lines[index + 1].text
    return None
