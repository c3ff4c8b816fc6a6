"""``segment_body``: a body cut into blocks that tile it exactly once, with the quoted
blocks, the own-text blocks (each paired with the quote it answers), the trailers and the
attributions as plain records."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from analyzer.segment.attribution import outlook_headers
from analyzer.segment.labels import ContentKind, Labelling, label_lines
from analyzer.segment.lines import Line, shift_depths, split_lines
from analyzer.segment.records import (
    Attribution,
    Block,
    BlockKind,
    OwnText,
    QuotedBlock,
    Segmentation,
    Trailer,
)


@dataclass(frozen=True, slots=True)
class _Tag:
    """What one line is, as it will appear in a block."""

    kind: BlockKind
    depth: int
    patch: bool = False


def segment_body(message_id: str, body: str) -> Segmentation:
    """Cut ``body`` into typed blocks. Pure and total: any text gives a segmentation."""
    lines = split_lines(body)
    headers = outlook_headers(lines)
    lines = shift_depths(lines, headers)
    labelling = label_lines(lines, headers)
    tags = _absorb_blank_runs([_tag(kind, line) for kind, line in zip(labelling.kinds, lines)])
    runs = _runs(tags)
    blocks = tuple(Block(tag.kind, lines[first].start, lines[last].end, tag.depth) for tag, first, last in runs)
    attributions = {index: _trimmed_attribution(body, found) for index, found in labelling.attributions}
    quotes, own = _quotes_and_own(body, lines, runs, attributions)
    return Segmentation(
        message_id=message_id,
        blocks=blocks,
        quotes=quotes,
        own=own,
        trailers=_trailers(body, lines, labelling),
        attributions=tuple(attributions.values()),
    )


def _tag(kind: ContentKind, line: Line) -> _Tag:
    if line.depth == 0:
        return _Tag(kind, 0, kind == "patch")
    if kind in ("own", "trailer", "patch", "pull"):
        return _Tag("quote", line.depth, kind in ("patch", "pull"))
    return _Tag(kind, line.depth)


def _absorb_blank_runs(tags: list[_Tag]) -> list[_Tag]:
    """Blank lines inside a quote, own text or patch belong to it: "> a\\n>\\n> b" is one
    quoted block, two paragraphs answering the same quote are one own-text block."""
    result = list(tags)
    index = 0
    while index < len(result):
        if result[index].kind != "blank":
            index += 1
            continue
        end = index
        while end < len(result) and result[end].kind == "blank":
            end += 1
        if 0 < index and end < len(result):
            before, after = result[index - 1], result[end]
            inside = before == after and before.kind in ("quote", "own", "patch", "pull")
            if inside and all(tag.depth <= before.depth for tag in result[index:end]):
                result[index:end] = [before] * (end - index)
        index = end
    return result


def _runs(tags: Sequence[_Tag]) -> list[tuple[_Tag, int, int]]:
    """(tag, first line, last line) of each maximal run of equal tags."""
    runs: list[tuple[_Tag, int, int]] = []
    for index, tag in enumerate(tags):
        if runs and runs[-1][0] == tag:
            runs[-1] = (tag, runs[-1][1], index)
        else:
            runs.append((tag, index, index))
    return runs


def _quotes_and_own(
    body: str, lines: Sequence[Line], runs: Sequence[tuple[_Tag, int, int]], attribution_at: dict[int, Attribution]
) -> tuple[tuple[QuotedBlock, ...], tuple[OwnText, ...]]:
    by_depth: dict[int, Attribution] = {}
    quotes: list[QuotedBlock] = []
    own: list[OwnText] = []
    for tag, first, last in runs:
        start, end = lines[first].start, lines[last].end
        if tag.kind == "attribution":
            for index in range(first, last + 1):
                if index in attribution_at:
                    by_depth[tag.depth] = attribution_at[index]
        elif tag.kind == "quote":
            text = "\n".join(line.text for line in lines[first : last + 1])
            attribution = by_depth.get(tag.depth - 1)
            quotes.append(QuotedBlock(len(quotes), start, end, tag.depth, text, attribution, patch=tag.patch))
        elif tag.kind == "own":
            answers = quotes[-1].index if quotes else None
            own.append(OwnText(len(own), start, end, body[start:end], answers))
    return tuple(quotes), tuple(_top_posted(own, quotes))


def _top_posted(own: list[OwnText], quotes: list[QuotedBlock]) -> list[OwnText]:
    """Own text above the quoted parent, and none below it: it answers the quote below."""
    if not quotes or any(block.answers is not None for block in own):
        return own
    below = [quote for quote in quotes if quote.start >= own[-1].end] if own else []
    if not below:
        return own
    first = min(below, key=lambda quote: (quote.depth, quote.start))
    return [OwnText(b.index, b.start, b.end, b.text, first.index) for b in own]


def _trailers(body: str, lines: Sequence[Line], labelling: Labelling) -> tuple[Trailer, ...]:
    trailers: list[Trailer] = []
    for index, parsed in labelling.trailers:
        line = lines[index]
        if line.depth != 0:
            continue
        if index + 1 in labelling.continued:
            line = lines[index + 1]
        end = line.end - 1 if body[line.end - 1 : line.end] == "\n" else line.end
        trailers.append(
            Trailer(
                key=parsed.key,
                value=parsed.value,
                start=lines[index].start,
                end=end,
                in_patch=_above_patch(lines, labelling.kinds, index),
                name=parsed.name,
                email=parsed.email,
            )
        )
    return tuple(trailers)


def _above_patch(lines: Sequence[Line], kinds: Sequence[ContentKind], index: int) -> bool:
    """A trailer block followed by the ``---`` or diff of a patch belongs to that patch."""
    for line, kind in zip(lines[index + 1 :], kinds[index + 1 :]):
        if kind not in ("trailer", "blank"):
            return line.depth == 0 and kind == "patch"
    return False


def _trimmed_attribution(body: str, attribution: Attribution) -> Attribution:
    if body[attribution.end - 1 : attribution.end] != "\n":
        return attribution
    return Attribution(
        attribution.start,
        attribution.end - 1,
        attribution.name,
        attribution.email,
        attribution.date,
        attribution.depth,
    )
