"""Run the pipeline over blocks of text and hand back plain records (no spaCy types)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from spacy.language import Language

from analyzer.analysis.records import Mention
from analyzer.nlp.extensions import Marked, marks, sentence_spans


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

    def annotate(self, blocks: Sequence[TextBlock]) -> list[BlockMarks]:
        full = [b for b in blocks if b.full]
        refs = [b for b in blocks if not b.full]
        results: dict[int, BlockMarks] = {}
        for block, doc in zip(full, self.nlp.pipe((b.text for b in full), batch_size=self.batch_size)):
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
