"""Message bodies cut into typed blocks (own text, quotes, patch, trailers, signature,
footer), and quoted blocks resolved to the message and span they came from.

    segmentation = segment_body(message_id, body)
    segmentation = resolve_quotes(segmentation, chain=[(parent_id, parent_body), ...],
                                  thread_bodies={message_id: body, ...})
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from analyzer.segment.records import (
    Attribution,
    Block,
    BlockKind,
    OwnText,
    QuotedBlock,
    Segmentation,
    Trailer,
)
from analyzer.segment.resolve import resolve_quotes
from analyzer.segment.segmenter import segment_body

if TYPE_CHECKING:
    from spacy.language import Language

__all__ = [
    "Attribution",
    "Block",
    "BlockKind",
    "OwnText",
    "QuotedBlock",
    "Segmentation",
    "Trailer",
    "resolve_quotes",
    "segment_body",
    "sentences",
]


def sentences(text: str, *, nlp: Language | None = None) -> list[tuple[int, int]]:
    """(start, end) spans of the sentences of ``text`` (see ``sentencizer``). spaCy is
    imported on first use, so segmenting alone does not pay for it."""
    from analyzer.segment.sentencizer import sentences as split

    return split(text, nlp=nlp)
