"""Mail text as safe HTML: quotes and diffs folded, claims, mentions and decisions marked.

Every character of a message comes from the wire, so the text is escaped first and only
then wrapped in markup of our own, at the character offsets the analysis stored. The body
is cut at every block and highlight boundary into flat pieces, each escaped on its own and
given the styles of the highlights covering it: no nesting, so overlapping highlights (a
behaviour named inside a claim) cannot produce broken or injectable markup.
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from analyzer.analysis.records import MessageAnalysis
from analyzer.debate import MessageInfo
from analyzer.display import shorten
from analyzer.evidence import confidence, message_evidence
from analyzer.graph.ids import message_anchor
from analyzer.segment.records import Block

HighlightKind = Literal["claim-for", "claim-against", "mention", "decision"]

STYLES: dict[HighlightKind, str] = {
    "claim-for": "background-color:#d9f2d9",
    "claim-against": "background-color:#f9d6d5",
    "mention": "color:#1f4e99;font-weight:bold",
    "decision": "outline:2px solid #d08a00",
}
FOLDED_KINDS = frozenset({"quote", "patch", "pull"})
_FOLDED_AS = {"quote": "quoted text", "patch": "diff", "pull": "pull request: shortlog and diffstat"}
_PRE = "white-space:pre-wrap;font-family:monospace;font-size:0.85em;line-height:1.6;margin:0"


@dataclass(frozen=True, slots=True)
class Highlight:
    start: int
    end: int
    kind: HighlightKind
    label: str
    """Shown as the tooltip: the position and stance, the behaviour, the decision kind."""


def highlights(analysis: MessageAnalysis | None) -> list[Highlight]:
    """The claims, mentions and decisions of one message as highlights."""
    if analysis is None:
        return []
    found = [
        Highlight(c.start, c.end, "claim-for" if c.stance == "for" else "claim-against",
                  f"{c.position} ({c.stance}) {confidence(c):.2f}")
        for c in analysis.claims
    ]
    found += [Highlight(m.start, m.end, "mention", f"{m.kind}: {m.target}") for m in analysis.mentions]
    found += [Highlight(d.start, d.end, "decision", f"decision: {d.kind} {confidence(d):.2f}") for d in analysis.decisions]
    return found


EVIDENCE_FOLDED = '<details class="evidence">'
EVIDENCE_OPEN = '<details class="evidence" open>'


def evidence_html(body: str, analysis: MessageAnalysis | None) -> str:
    """The message's labels, each with its score, the signals that fired and the sentence
    it comes from, folded under "Why these labels" (:data:`EVIDENCE_OPEN` unfolds it)."""
    rows = message_evidence(body, analysis)
    if not rows:
        return ""
    items = "".join(
        f'<li><b>{text_html(row.kind)}</b> {text_html(row.label)} '
        f'<span class="why" style="color:#555">{text_html(row.why)}</span>'
        f'{" — “" + text_html(shorten(row.sentence, 240)) + "”" if row.sentence.strip() else ""}</li>'
        for row in rows
    )
    return (f'{EVIDENCE_FOLDED}<summary style="color:#777;font-size:0.8em">Why these labels ({len(rows)}): '
            f'score · signals · evidence</summary><ul style="font-size:0.8em;margin:0">{items}</ul></details>')


def body_html(body: str, blocks: Sequence[Block], marks: Sequence[Highlight]) -> str:
    """The body as HTML: quoted and diff blocks folded in ``<details>``, the rest shown,
    each highlight styled at its offsets."""
    parts = []
    for kind, start, end in _sections(body, blocks):
        inner = _marked(body, start, end, marks)
        if kind in FOLDED_KINDS:
            lines = body[start:end].count("\n") or 1
            summary = _FOLDED_AS[kind]
            parts.append(
                f'<details><summary style="color:#777;font-size:0.8em">{summary} ({lines} lines)</summary>'
                f'<pre style="{_PRE};color:#555">{inner}</pre></details>'
            )
        else:
            parts.append(f'<pre style="{_PRE}">{inner}</pre>')
    return "".join(parts)


def _sections(body: str, blocks: Sequence[Block]) -> list[tuple[str, int, int]]:
    """(kind, start, end) runs covering the body: consecutive blocks that fold alike are
    merged, and any stretch no block covers is shown as own text."""
    runs: list[tuple[str, int, int]] = []
    position = 0
    for block in sorted(blocks, key=lambda b: b.start):
        start, end = max(block.start, position), min(block.end, len(body))
        if end <= start:
            continue
        if start > position:
            runs.append(("own", position, start))
        kind: str = block.kind if block.kind in FOLDED_KINDS else "own"
        if block.kind == "attribution" and block.depth > 0 or block.kind == "blank" and block.depth > 0:
            kind = "quote"
        runs.append((kind, start, end))
        position = end
    if position < len(body):
        runs.append(("own", position, len(body)))
    merged: list[tuple[str, int, int]] = []
    for kind, start, end in runs:
        if merged and merged[-1][0] == kind and merged[-1][2] == start:
            merged[-1] = (kind, merged[-1][1], end)
        else:
            merged.append((kind, start, end))
    return merged


def _marked(body: str, start: int, end: int, marks: Iterable[Highlight]) -> str:
    inside = [m for m in marks if m.start < end and start < m.end and m.start < m.end]
    cuts = sorted({start, end, *(max(m.start, start) for m in inside), *(min(m.end, end) for m in inside)})
    pieces = []
    for left, right in itertools.pairwise(cuts):
        text = html.escape(body[left:right], quote=True)
        covering = [m for m in inside if m.start <= left and right <= m.end]
        if not covering:
            pieces.append(text)
            continue
        style = ";".join(dict.fromkeys(STYLES[m.kind] for m in covering))
        title = html.escape("; ".join(dict.fromkeys(m.label for m in covering)), quote=True)
        kinds = " ".join(sorted({m.kind for m in covering}))
        pieces.append(f'<span class="hl {kinds}" style="{style}" title="{title}">{text}</span>')
    return "".join(pieces)


def text_html(text: str) -> str:
    """Any mail-derived string (subject, name, id) as HTML text."""
    return html.escape(text, quote=True)


_MARKDOWN_SPECIAL = set("\\`*_{}[]()#+-.!<>|~$&:=\"'")


def markdown_text(text: str) -> str:
    """A mail-derived string for a Streamlit markdown context (titles, captions, labels):
    every punctuation character that markdown, HTML or LaTeX could act on is
    backslash-escaped, so the text is shown exactly as written."""
    return "".join(f"\\{ch}" if ch in _MARKDOWN_SPECIAL else ch for ch in text.replace("\n", " "))


RELATION_BORDER = {"agree": "#2e8b57", "disagree": "#c0392b", "mixed": "#d68910", "neutral": "#7f8c8d"}


def message_card(info: MessageInfo, *, relation: str | None, decisions: Sequence[str], body: str,
                 evidence: str = "") -> str:
    """One message: who, when, how it answers its parent, what it decided, then its body
    (already HTML from :func:`body_html`) and the evidence of its labels (HTML from
    :func:`evidence_html`)."""
    border = RELATION_BORDER.get(relation or "", "#2c3e50")
    badges = "".join(
        f'<span style="background:#fdebd0;border-radius:4px;padding:0 4px;margin-left:4px">{text_html(kind)}</span>'
        for kind in decisions
    )
    answer = f' <span style="color:{border}">{text_html(relation)}</span>' if relation else ""
    return (
        f'<div class="message" '
        f'style="border-left:3px solid {border};padding-left:8px;margin-bottom:12px">'
        f'<div style="font-size:0.85em"><b class="author">{text_html(info.author_name)}</b> '
        f'<span style="color:#777">{text_html((info.date or "")[:16].replace("T", " "))}</span>{answer}{badges}</div>'
        f'<div class="subject" style="font-size:0.8em;color:#555">{text_html(info.subject)}</div>'
        f"{body}{evidence}</div>"
    )


def indented(card: str, depth: int, message_id: str) -> str:
    """A card placed at its reply depth in the tree (capped so deep threads stay readable),
    with the message's anchor so a link can jump to it."""
    return f'<div id="{message_anchor(message_id)}" style="margin-left:{min(depth, 12) * 18}px">{card}</div>'
