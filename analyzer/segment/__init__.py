"""Message bodies cut into typed blocks (own text, quotes, patch, trailers, signature,
footer), and quoted blocks resolved to the message and span they came from."""

from __future__ import annotations

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
]
