"""Give every line the kind of content it is, at its own quote depth.

Each depth is read as a message of its own (depth 1 is the parent's body as quoted, with
its own signature, diff and attributions), with its own reading state, so a reviewer's
comments between the lines of a quoted diff do not end that diff.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from analyzer.segment import patch as p
from analyzer.segment.attribution import is_snip, match_attribution, outlook_attribution
from analyzer.segment.lines import Line, next_text
from analyzer.segment.pull import mark_pull_requests
from analyzer.segment.records import Attribution
from analyzer.segment.tail import footer_starts, signature_starts
from analyzer.segment.trailers import (
    ParsedTrailer,
    is_trailer_note,
    note_lines_left,
    parse_trailer,
)

ContentKind = Literal["own", "patch", "pull", "trailer", "signature", "footer", "attribution", "blank"]

_ATTRIBUTION_LEADS = ("On ", "Le ", "El ", "Il ", "Am ", "Em ", "Op ", "Quoting ", "----- On", "\ufeffOn ")


@dataclass(frozen=True, slots=True)
class Labelling:
    kinds: tuple[ContentKind, ...]
    attributions: tuple[tuple[int, Attribution], ...]
    """(index of the first line, attribution)."""
    trailers: tuple[tuple[int, ParsedTrailer], ...]
    """(line index, trailer) for every trailer line, at any depth."""
    continued: frozenset[int] = frozenset()
    """Lines that carry on the trailer of the line above (a wrapped ``<address>``)."""


@dataclass(slots=True)
class _Level:
    """Reading state of one quote depth."""

    diff: p.DiffCursor | None = None
    tail: Literal["signature", "footer"] | None = None
    shortlog: bool = False
    note_lines: int = 0
    """Lines left to a maintainer's ``[name: …]`` note between trailers (0: none open)."""
    last: ContentKind | None = None
    """Kind of the last non-blank line read at this depth."""


@dataclass(slots=True)
class _Reader:
    lines: Sequence[Line]
    patchy: dict[int, list[int]]
    """Per depth, the indices of lines that start a diff or are diffstat."""
    levels: dict[int, _Level] = field(default_factory=dict)
    kinds: list[ContentKind] = field(default_factory=list)
    attributions: list[tuple[int, Attribution]] = field(default_factory=list)
    trailers: list[tuple[int, ParsedTrailer]] = field(default_factory=list)
    continued: set[int] = field(default_factory=set)


def label_lines(lines: Sequence[Line], outlook: Sequence[tuple[int, int]]) -> Labelling:
    reader = _Reader(lines, _patchy_lines(lines))
    headers = dict(outlook)
    index = 0
    while index < len(lines):
        line = lines[index]
        if not line.blank:
            _end_deeper_tails(reader.levels, line.depth)
        level = reader.levels.setdefault(line.depth, _Level())
        if index in headers:
            count = headers[index]
            reader.attributions.append((index, outlook_attribution(lines, index, count)))
            kind: ContentKind = "attribution"
        else:
            kind, count = _read(reader, index, level)
        reader.kinds.extend([kind] * count)
        if kind != "blank":
            level.last = kind
        index += count
    kinds = mark_pull_requests(lines, reader.kinds, "pull")
    pulled = {i for i, kind in enumerate(kinds) if kind == "pull"}
    trailers = tuple(t for t in reader.trailers if t[0] not in pulled)
    return Labelling(tuple(kinds), tuple(reader.attributions), trailers, frozenset(reader.continued))


def _end_deeper_tails(levels: dict[int, _Level], depth: int) -> None:
    """A quoted signature ends where the quoting does; a quoted diff may go on."""
    for level_depth, level in levels.items():
        if level_depth > depth:
            level.tail = None
            level.shortlog = False


def _read(reader: _Reader, index: int, level: _Level) -> tuple[ContentKind, int]:
    lines = reader.lines
    if level.tail is not None:
        return _read_tail(reader, index, level)
    if level.diff is not None:
        if level.diff.feed(lines[index].text):
            return "patch", 1
        level.diff = None
    if lines[index].blank:
        level.note_lines = 0
        return "blank", 1
    if footer_starts(lines, index):
        level.tail = "footer"
        return "footer", 1
    if signature_starts(lines, index):
        level.tail = "signature"
        return "signature", 1
    attribution = _attribution(reader, index)
    if attribution:
        return "attribution", attribution
    if _wrapped_trailer(reader, index):
        return "trailer", 2
    return _read_content(reader, index, level), 1


def _read_tail(reader: _Reader, index: int, level: _Level) -> tuple[ContentKind, int]:
    if level.tail == "signature":
        if footer_starts(reader.lines, index):
            level.tail = "footer"
        else:
            attribution = _attribution(reader, index)
            if attribution:
                level.tail = None
                return "attribution", attribution
    return level.tail or "signature", 1


def _attribution(reader: _Reader, index: int) -> int:
    """Lines taken by an attribution starting here (0 when there is none)."""
    text = reader.lines[index].text
    if not (text.rstrip().endswith(":") or text.startswith(_ATTRIBUTION_LEADS)):
        return 0
    found = match_attribution(reader.lines, index)
    if found is None:
        return 0
    reader.attributions.append((index, found[0]))
    return found[1]


def _read_content(reader: _Reader, index: int, level: _Level) -> ContentKind:
    line = reader.lines[index]
    text = line.text
    following = next_text(reader.lines, index)
    if p.starts_diff(text, following):
        level.diff = p.DiffCursor(lenient=line.depth > 0)
        level.diff.feed(text)
        return "patch"
    if p.is_separator(text) and _patch_follows(reader, index):
        return "patch"
    if p.is_diffstat(text) or p.is_patch_furniture(text):
        return "patch"
    if level.shortlog and text[:1] in (" ", "\t"):
        return "patch"
    level.shortlog = p.is_shortlog_head(text, following)
    if level.shortlog:
        return "patch"
    if p.is_git_header(text) and level.last in (None, "patch") and _patch_follows(reader, index):
        return "patch"
    if is_snip(text):
        return "blank"
    return _read_prose(reader, index, level)


def _read_prose(reader: _Reader, index: int, level: _Level) -> ContentKind:
    line = reader.lines[index]
    if level.last == "trailer" and (level.note_lines or is_trailer_note(line.text)):
        level.note_lines = note_lines_left(line.text, level.note_lines)
        return "trailer"
    if ":" in line.text or line.text.lstrip()[:1] in ("N", "n"):
        trailer = parse_trailer(line.text, strict=not _patch_follows(reader, index))
        if trailer is not None:
            reader.trailers.append((index, trailer))
            return "trailer"
    return "own"


def _wrapped_trailer(reader: _Reader, index: int) -> bool:
    """``Reviewed-by: A Long Name`` with its ``<address>`` wrapped onto the next line: one
    trailer over both lines, address kept (and recorded as such)."""
    lines = reader.lines
    line = lines[index]
    if ":" not in line.text or index + 1 >= len(lines):
        return False
    following = lines[index + 1]
    rest = following.text.lstrip()
    if following.depth != line.depth or following.blank or not rest.startswith("<") or "@" not in rest:
        return False
    strict = not _patch_follows(reader, index)
    single = parse_trailer(line.text, strict=strict)
    if single is not None and single.email is not None:
        return False
    joined = parse_trailer(f"{line.text.rstrip()} {rest.rstrip()}", strict=strict)
    if joined is None or joined.email is None:
        return False
    reader.trailers.append((index, joined))
    reader.continued.add(index + 1)
    return True


def _patch_follows(reader: _Reader, index: int) -> bool:
    """A diff or diffstat comes later at the same depth."""
    found = reader.patchy.get(reader.lines[index].depth, [])
    return bisect.bisect_right(found, index) < len(found)


def _patchy_lines(lines: Sequence[Line]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for index, line in enumerate(lines):
        text = line.text
        if not text or not (text[0] in "d-@G" or text[0].isspace()):
            continue
        if p.starts_diff(text, next_text(lines, index)) or p.is_diffstat(text):
            found.setdefault(line.depth, []).append(index)
    return found
