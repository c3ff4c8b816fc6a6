"""Run the pipeline over blocks of text and hand back plain records (no spaCy types)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from spacy.language import Language

from analyzer.analysis.records import Mention
from analyzer.nlp.extensions import Marked, marks, sentence_spans, text_doc


@dataclass(frozen=True, slots=True)
class TextBlock:
    """A span of a message body to annotate; ``full`` False means references only
    (a patch or diff: it names behaviours but argues nothing)."""

    message_id: str
    offset: int
    text: str
    full: bool = True


@dataclass(frozen=True, slots=True)
class BlockMarks:
    block: TextBlock
    claims: tuple[Marked, ...] = ()
    relation_cues: tuple[Marked, ...] = ()
    decision_cues: tuple[Marked, ...] = ()
    mentions: tuple[Mention, ...] = ()
    sentences: tuple[tuple[int, int], ...] = ()
    """(start, end) of each sentence, relative to the block text (full blocks only)."""


class Annotator:
    """Wraps a built pipeline; ``annotate`` batches blocks through ``nlp.pipe``."""

    def __init__(self, nlp: Language, *, batch_size: int = 256) -> None:
        self.nlp = nlp
        self.batch_size = batch_size
        self._linker = nlp.get_pipe("mlpa_behaviours_v1") if "mlpa_behaviours_v1" in nlp.pipe_names else None

    @property
    def linker(self) -> object | None:
        """The pipeline's behaviour linker component (None when the pipeline has none)."""
        return self._linker

    def annotate(self, blocks: Sequence[TextBlock]) -> list[BlockMarks]:
        """Marks for each block, in order. A block longer than ``PIECE_CHARS`` is read in
        pieces cut at paragraph or line ends (spaCy refuses texts over its max_length,
        and its memory grows with the text) and its marks are put back together."""
        pieces = {id(b): split_block(b) for b in blocks if b.full and len(b.text) > PIECE_CHARS}
        full = [p for b in blocks if b.full for p in pieces.get(id(b), [b])]
        refs = [b for b in blocks if not b.full]
        results: dict[int, BlockMarks] = {}
        for block, doc in zip(full, self.nlp.pipe((text_doc(self.nlp, b.text) for b in full), batch_size=self.batch_size)):
            results[id(block)] = BlockMarks(
                block=block,
                claims=tuple(marks(doc, "mlpa_claims")),
                relation_cues=tuple(marks(doc, "mlpa_relation_cues")),
                decision_cues=tuple(marks(doc, "mlpa_decision_cues")),
                mentions=self._mentions(doc, block),
                sentences=tuple(sentence_spans(doc)),
            )
        for block in refs:
            results[id(block)] = BlockMarks(block=block, mentions=self._reference_mentions(block))
        for block in blocks:
            if id(block) in pieces:
                results[id(block)] = joined_marks(block, [results[id(p)] for p in pieces[id(block)]])
        return [results[id(b)] for b in blocks]

    def _reference_mentions(self, block: TextBlock) -> tuple[Mention, ...]:
        """Patches and trailers are read for what they name only: the linker's finder works
        on characters, so they skip the tokenizer and the other components."""
        if self._linker is None:
            return ()
        finder = self._linker.finder  # type: ignore[attr-defined]
        return tuple(finder.mentions(block.text, message_id=block.message_id, offset=block.offset))

    def _mentions(self, doc: object, block: TextBlock) -> tuple[Mention, ...]:
        if self._linker is None:
            return ()
        from analyzer.nlp.behaviours import mentions_in

        return tuple(mentions_in(doc, message_id=block.message_id, offset=block.offset))  # type: ignore[arg-type]


PIECE_CHARS = 100_000
"""Longest text given to spaCy at once (its own limit, max_length, is 1,000,000)."""


def split_block(block: TextBlock, limit: int = PIECE_CHARS) -> list[TextBlock]:
    """``block`` cut into pieces of at most ``limit`` characters, each ending at a blank
    line, else a line end, else a space when one is near enough, else at ``limit``."""
    pieces: list[TextBlock] = []
    text, start = block.text, 0
    while len(text) - start > limit:
        window = text[start : start + limit]
        cut = next((at + len(mark) for mark in ("\n\n", "\n", " ") if (at := window.rfind(mark)) > limit // 2), limit)
        pieces.append(TextBlock(block.message_id, block.offset + start, window[:cut], block.full))
        start += cut
    pieces.append(TextBlock(block.message_id, block.offset + start, text[start:], block.full))
    return pieces


def joined_marks(whole: TextBlock, parts: Sequence[BlockMarks]) -> BlockMarks:
    """The marks of the pieces of ``whole`` as its own: offsets made relative to it; only
    the first piece holds the block's opening sentence."""

    def shifted(marks: tuple[Marked, ...], by: int, later: bool) -> list[Marked]:
        return [
            replace(
                m, start=m.start + by, end=m.end + by, sentence_start=m.sentence_start + by,
                sentence_end=m.sentence_end + by, opening=m.opening and not later,
            )
            for m in marks
        ]

    claims: list[Marked] = []
    relation_cues: list[Marked] = []
    decision_cues: list[Marked] = []
    sentences: list[tuple[int, int]] = []
    for index, part in enumerate(parts):
        by = part.block.offset - whole.offset
        claims += shifted(part.claims, by, index > 0)
        relation_cues += shifted(part.relation_cues, by, index > 0)
        decision_cues += shifted(part.decision_cues, by, index > 0)
        sentences += [(start + by, end + by) for start, end in part.sentences]
    return BlockMarks(
        block=whole,
        claims=tuple(claims),
        relation_cues=tuple(relation_cues),
        decision_cues=tuple(decision_cues),
        mentions=tuple(m for part in parts for m in part.mentions),
        sentences=tuple(sentences),
    )
