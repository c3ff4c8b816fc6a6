"""Plain records of a message body cut into typed blocks, with quotes resolved to sources.

All offsets are character offsets into ``Message.body`` (the decoded text as stored), so
every later label can point at the exact text it came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

BlockKind = Literal["own", "quote", "attribution", "patch", "pull", "trailer", "signature", "footer", "blank"]
# "patch" covers diffs, diffstat, shortlog, the ``---`` separator and in-body git headers;
# "pull" what ``git request-pull`` writes (its boilerplate, shortlog and diffstat: see pull.py);
# "blank" also covers marker-only quote lines and the quoter's cut marks (``[...]``).
# Quoted diffs are "quote" blocks whose QuotedBlock has ``patch=True``.


@dataclass(frozen=True, slots=True)
class Block:
    """A run of lines of one kind. The blocks of a body tile it exactly once, in order."""

    kind: BlockKind
    start: int
    end: int
    depth: int = 0
    """Quote depth (number of ``>``) for quote blocks; 0 otherwise. Quoted attribution,
    signature, footer and blank lines keep the depth they sit at."""


@dataclass(frozen=True, slots=True)
class Attribution:
    """An ``On <date>, <name> wrote:`` line (and its variants)."""

    start: int
    end: int
    name: str
    email: str | None = None
    date: str | None = None
    """The date as written; ISO 8601 when it could be parsed."""
    depth: int = 0
    """Quote depth the line itself sits at (0 = written by this message's author)."""


@dataclass(frozen=True, slots=True)
class Trailer:
    """``Acked-by: Name <addr>``, ``Fixes: 0123abcd ("subject")``, ``Link: https://...``…"""

    key: str
    """Canonical spelling: Signed-off-by, Acked-by, Reviewed-by, Tested-by, Nacked-by,
    Reported-by, Suggested-by, Cc, Fixes, Link, Closes, Message-ID, Change-Id."""
    value: str
    start: int
    end: int
    in_patch: bool = False
    """True when the trailer belongs to the patch being posted, not to a reply's own text."""
    name: str | None = None
    email: str | None = None
    """The person a person-trailer (Acked-by, Signed-off-by…) names, when it names one."""


@dataclass(frozen=True, slots=True)
class QuotedBlock:
    """Consecutive quoted lines of one depth, with the place they were quoted from."""

    index: int
    start: int
    end: int
    depth: int
    text: str
    """The quoted text with its ``>`` markers removed."""
    attribution: Attribution | None = None
    source_message_id: str | None = None
    """The message the text was written in (parent for depth 1, grandparent for 2…)."""
    source_start: int | None = None
    source_end: int | None = None
    """Span of the quoted text inside the source message's body."""
    patch: bool = False
    """The quoted lines are diff/diffstat (a patch under review), not prose."""
    coverage: float = 0.0
    """Share of the quoted characters found in the source span (1.0: all of them)."""
    source_spans: tuple[tuple[int, int], ...] = ()
    """The runs of the source body the quote is made of: one run when it was quoted
    whole, several when the quoter cut lines out of it (source_start..source_end spans
    them all, cut text included)."""

    @property
    def resolved(self) -> bool:
        return self.source_message_id is not None


@dataclass(frozen=True, slots=True)
class OwnText:
    """A block of the author's own prose, paired with the quoted block it answers."""

    index: int
    start: int
    end: int
    text: str
    answers: int | None = None
    """Index of the QuotedBlock just above it (None for text before any quote)."""


@dataclass(frozen=True, slots=True)
class Segmentation:
    message_id: str
    blocks: tuple[Block, ...]
    quotes: tuple[QuotedBlock, ...] = ()
    own: tuple[OwnText, ...] = ()
    trailers: tuple[Trailer, ...] = ()
    attributions: tuple[Attribution, ...] = ()

    @property
    def has_patch(self) -> bool:
        """The message itself carries a diff (not only quotes one)."""
        return any(block.kind == "patch" and block.depth == 0 for block in self.blocks)
