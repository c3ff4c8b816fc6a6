"""``resolve_quotes``: find the message each quoted block was written in, and where.

Quoted text is compared with every whitespace character removed, so rewrapping, ``> ``
marker styles and html2text's backslash escapes do not matter. A block is looked for in
its expected source first (parent for depth 1, grandparent for depth 2…), then in the
rest of the chain and the thread (a quote that skips a level, a broken chain), and only in
the text each candidate wrote itself: text a candidate merely quoted was written elsewhere.
When the whole block is not found verbatim (the quoter cut or edited something, or the
source was only partly recovered), its lines are located one by one and the block
resolves if most of its characters were found.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from analyzer.segment.attribution import is_snip, outlook_headers
from analyzer.segment.lines import shift_depths, split_lines
from analyzer.segment.records import QuotedBlock, Segmentation

_ESCAPABLE = frozenset("\\`*_{}[]()#+-.!>|")
_ESCAPE = re.compile(r"\\(?=[\\`*_{}\[\]()#+\-.!>|])")
_MIN_PIECE = 8
"""Shorter quoted lines ("Thanks,", "}") are found everywhere; they prove nothing."""
_MIN_COVERAGE = 0.5
_MIN_FOREIGN = 20
"""Characters a block needs before it may resolve outside its expected source."""


@dataclass(frozen=True, slots=True)
class SourceText:
    """The text a message wrote itself (its unquoted lines), normalised, with where each
    of those lines starts in the normalised text and in the body."""

    body: str
    text: str
    norm_starts: tuple[int, ...]
    lines: tuple[tuple[int, int], ...]
    """(start, end) in the body of each unquoted line's text, in order."""

    def body_offset(self, position: int) -> int:
        """The body offset of the character at ``position`` of the normalised text."""
        index = bisect.bisect_right(self.norm_starts, position) - 1
        start, end = self.lines[index]
        return start + _kept_char_index(self.body[start:end], position - self.norm_starts[index])


@dataclass(frozen=True, slots=True)
class _Found:
    runs: tuple[tuple[int, int], ...]
    """Matched runs of the normalised source text, in order."""
    coverage: float

    @property
    def end(self) -> int:
        return self.runs[-1][1]


def resolve_quotes(
    segmentation: Segmentation,
    *,
    chain: Sequence[tuple[str, str]],
    thread_bodies: Mapping[str, str],
) -> Segmentation:
    """The segmentation with each quoted block's source message and span filled in where
    the text is found. ``chain`` is [(parent id, body), (grandparent id, body), …]."""
    cursors: dict[str, int] = {}
    resolved = [_resolve(quote, segmentation.message_id, chain, thread_bodies, cursors) for quote in segmentation.quotes]
    return replace(segmentation, quotes=tuple(resolved))


def _resolve(
    quote: QuotedBlock,
    own_id: str,
    chain: Sequence[tuple[str, str]],
    thread_bodies: Mapping[str, str],
    cursors: dict[str, int],
) -> QuotedBlock:
    pieces = quote_pieces(quote.text)
    total = sum(len(piece) for piece in pieces)
    if total == 0:
        return quote
    for rank, (message_id, body) in enumerate(_candidates(quote.depth, own_id, chain, thread_bodies)):
        if rank > 0 and total < _MIN_FOREIGN:
            break
        source = source_text(body)
        found = locate(pieces, source, hint=cursors.get(message_id, 0))
        if found is not None:
            cursors[message_id] = found.end
            spans = tuple((source.body_offset(start), source.body_offset(end - 1) + 1) for start, end in found.runs)
            return replace(
                quote,
                source_message_id=message_id,
                source_start=spans[0][0],
                source_end=spans[-1][1],
                coverage=round(found.coverage, 3),
                source_spans=spans,
            )
    return quote


def _candidates(
    depth: int, own_id: str, chain: Sequence[tuple[str, str]], thread_bodies: Mapping[str, str]
) -> Iterator[tuple[str, str]]:
    """Expected source first, then the rest of the chain nearest first, then the thread."""
    seen = {own_id}
    expected = [chain[depth - 1]] if 0 < depth <= len(chain) else []
    for message_id, body in itertools.chain(expected, chain, thread_bodies.items()):
        if message_id not in seen:
            seen.add(message_id)
            yield message_id, body


def quote_pieces(text: str) -> list[str]:
    """The quoted lines, normalised, without the quoter's ``[...]`` marks."""
    return [_normalise(line) for line in text.split("\n") if line.strip() and not is_snip(line)]


def _normalise(text: str) -> str:
    return "".join(_ESCAPE.sub("", text).split())


@lru_cache(maxsize=512)
def source_text(body: str) -> SourceText:
    """Bodies repeat across the calls for one thread (every reply has the same
    ancestors), so their normalised text is memoised; bounded, as bodies can be large."""
    lines = split_lines(body)
    lines = shift_depths(lines, outlook_headers(lines))
    own = [line for line in lines if not line.depth]
    parts = [_normalise(line.text) for line in own]
    norm_starts: list[int] = []
    length = 0
    for part in parts:
        norm_starts.append(length)
        length += len(part)
    spans = tuple((line.start, line.start + len(line.text)) for line in own)
    return SourceText(body, "".join(parts), tuple(norm_starts), spans)


def _kept_char_index(line: str, count: int) -> int:
    """Index in ``line`` of its ``count``-th character that normalisation keeps (it
    drops whitespace and html2text's escaping backslashes)."""
    kept = 0
    for index, char in enumerate(line):
        if char.isspace() or (char == "\\" and line[index + 1 : index + 2] in _ESCAPABLE):
            continue
        if kept == count:
            return index
        kept += 1
    return len(line)


def locate(pieces: Sequence[str], source: SourceText, *, hint: int = 0) -> _Found | None:
    """Where the quoted pieces sit in the source text: verbatim if possible, else piece by
    piece, in order, accepting the block when enough of it was found."""
    whole = "".join(pieces)
    position = source.text.find(whole, hint)
    if position < 0:
        position = source.text.find(whole)
    if position >= 0:
        return _Found(((position, position + len(whole)),), 1.0)
    return _locate_pieces(pieces, source.text, len(whole))


def _locate_pieces(pieces: Sequence[str], text: str, total: int) -> _Found | None:
    runs: list[tuple[int, int]] = []
    matched = 0
    for piece in pieces:
        if len(piece) < _MIN_PIECE:
            continue
        position = text.find(piece, runs[-1][1] if runs else 0)
        if position < 0:
            continue
        matched += len(piece)
        if runs and runs[-1][1] == position:
            runs[-1] = (runs[-1][0], position + len(piece))
        else:
            runs.append((position, position + len(piece)))
    if not runs or matched < _MIN_COVERAGE * total:
        return None
    return _Found(tuple(runs), matched / total)
