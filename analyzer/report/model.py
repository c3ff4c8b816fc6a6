"""What a report shows, as plain records: built from a Debate, rendered by html/markdown.

Every claim carries the anchor of its sentence and of its message, and the lore link of
the message, so that each renderer can link it back to where it was said.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from analyzer.analysis.records import Claim
from analyzer.debate import Debate, MessageInfo
from analyzer.display import shorten
from analyzer.evidence import LabelEvidence, message_evidence, score_and_signals, why
from analyzer.graph import views
from analyzer.graph.build import ArgumentGraph
from analyzer.graph.ids import anchor, claim_anchor, lore_url, message_anchor

ReportKind = Literal["thread", "corpus"]
BODY_LIMIT = 20_000
"""Characters of a body shown past its last highlighted sentence (patches can be huge)."""


@dataclass(frozen=True, slots=True)
class ClaimView:
    anchor: str
    message_id: str
    message_anchor: str
    lore_url: str
    author: str
    position: str
    stance: str
    text: str
    date: str
    why: str = ""
    """Score and signals (:func:`analyzer.evidence.why`)."""


@dataclass(frozen=True, slots=True)
class ContestedView:
    claim: ClaimView
    disagree: int
    mixed: int
    agree: int


@dataclass(frozen=True, slots=True)
class Piece:
    """A run of body text; ``anchors`` are the claims that start here, ``stance`` is set
    when the run lies inside a claim (and is highlighted)."""

    text: str
    anchors: tuple[str, ...] = ()
    stance: str = ""
    position: str = ""


@dataclass(frozen=True, slots=True)
class MessageView:
    anchor: str
    message_id: str
    lore_url: str
    subject: str
    author: str
    date: str
    parent_anchor: str
    relation: str
    pieces: tuple[Piece, ...]
    claims: tuple[ClaimView, ...]
    decisions: tuple[str, ...]
    truncated: int = 0
    """Characters of the body left out."""
    labels: tuple[LabelEvidence, ...] = ()
    """The message's other labels (positions, reply relations, decisions, behaviours),
    each with its score, signals and evidence sentence."""


@dataclass(frozen=True, slots=True)
class CampView:
    position: str
    supporters: tuple[str, ...]
    opponents: tuple[str, ...]
    divided: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MatrixView:
    """A table: ``cells[row][column]`` is display text."""

    rows: tuple[str, ...]
    columns: tuple[str, ...]
    cells: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class BehaviourUseView:
    message_id: str
    message_anchor: str
    lore_url: str
    author: str
    positions: str


@dataclass(frozen=True, slots=True)
class BehaviourView:
    behaviour: str
    uses: tuple[BehaviourUseView, ...]
    total: int
    """Messages that refer to it (``uses`` may show fewer)."""


@dataclass(frozen=True, slots=True)
class ThreadRow:
    subject: str
    root_id: str
    root_anchor: str
    lore_url: str
    messages: int
    first_date: str
    last_date: str
    report_stem: str = ""
    """File name (no extension) of the thread's own report beside this one; empty when none."""


@dataclass(frozen=True, slots=True)
class PostedPatchView:
    counter: str
    """``2/5``, ``0/5`` for a cover letter, ``-`` for an unnumbered patch."""
    title: str
    message_id: str
    anchor: str
    """Anchor of the message when the report shows it, else empty (link to lore)."""
    lore_url: str
    resent_as: str
    """Message-ID of the later version's patch that re-sent it; empty while current."""


@dataclass(frozen=True, slots=True)
class PostingView:
    """One posting of a patch series with a message in the report's thread."""

    version: int
    subject: str
    superseded_by: str
    patches: tuple[PostedPatchView, ...]


def postings(debate: Debate, thread_id: str, shown: frozenset[str]) -> tuple[PostingView, ...]:
    """The series postings with a patch or cover letter in the thread, by date, each with
    every patch it is made of (across threads too)."""
    found = [v for v in debate.series if any(p.thread_id == thread_id for p in v.patches)]
    found.sort(key=lambda v: (v.date or "", v.root_message_id))
    return tuple(
        PostingView(
            version=v.version,
            subject=v.subject,
            superseded_by=v.superseded_by or "",
            patches=tuple(
                PostedPatchView(
                    "-" if p.number is None else f"{p.number}/{p.total}",
                    p.title,
                    p.message_id,
                    message_anchor(p.message_id) if p.message_id in shown else "",
                    lore_url(p.message_id),
                    p.superseded_by or "",
                )
                for p in v.patches
            ),
        )
        for v in found
    )


CLAIM_TEXT = 600
"""Characters of a claim's sentence quoted in a report (a "sentence" of mail can be a
100 kB pasted config dump); the message itself is one click away."""


def claim_view(debate: Debate, claim: Claim) -> ClaimView:
    info = debate.messages[claim.message_id]
    return ClaimView(claim_anchor(claim), claim.message_id, message_anchor(claim.message_id), lore_url(claim.message_id),
                     info.author_name, claim.position, claim.stance, shorten(claim.text, CLAIM_TEXT), info.date or "", why(claim))


def ref_view(ref: views.ClaimRef) -> ClaimView:
    return ClaimView(anchor(ref.node_id), ref.message_id, message_anchor(ref.message_id), lore_url(ref.message_id),
                     ref.author_name, ref.position, ref.stance, shorten(ref.text, CLAIM_TEXT), ref.date,
                     score_and_signals(ref.confidence, ref.signals))


def contested(ag: ArgumentGraph, limit: int = 10) -> tuple[ContestedView, ...]:
    return tuple(ContestedView(ref_view(c.claim), c.disagree, c.mixed, c.agree)
                 for c in views.contested_claims(ag, limit))


def camps(ag: ArgumentGraph) -> tuple[CampView, ...]:
    names = views.person_names(ag)

    def named(ids: Iterable[str]) -> tuple[str, ...]:
        return tuple(sorted(names.get(i, i) for i in ids))

    return tuple(CampView(c.position, named(c.supporters), named(c.opponents), named(c.divided))
                 for c in views.camps(ag))


def interactions(ag: ArgumentGraph, among: Collection[str] | None = None) -> MatrixView:
    """Rows answer columns: ``✗`` disagree, ``~`` mixed, ``✓`` agree, ``·`` neutral; only
    people of ``among`` (person ids) when given."""
    names = views.person_names(ag)
    found = [i for i in views.interaction_matrix(ag)
             if among is None or (i.source in among and i.target in among)]
    people = sorted({i.source for i in found} | {i.target for i in found}, key=lambda p: names.get(p, p))
    table = {(i.source, i.target): i for i in found}
    cells = []
    for source in people:
        row = []
        for target in people:
            i = table.get((source, target))
            marks = [] if i is None else [f"{sym}{n}" for sym, n in (("✗", i.disagree), ("~", i.mixed),
                                                                      ("✓", i.agree), ("·", i.neutral)) if n]
            row.append(" ".join(marks))
        cells.append(tuple(row))
    labels = tuple(names.get(p, p) for p in people)
    return MatrixView(labels, labels, tuple(cells))


def position_matrix(ag: ArgumentGraph, among: Collection[str] | None = None) -> MatrixView:
    """Participants x positions: how many claims each person made for (+) and against (−);
    only people of ``among`` (person ids) when given."""
    names = views.person_names(ag)
    matrix = views.position_matrix(ag)
    people = sorted((p for p in matrix.people if among is None or p in among), key=lambda p: names.get(p, p))
    cells = []
    for person in people:
        row = []
        for position in matrix.positions:
            count = matrix.cells.get((person, position), views.StanceCount())
            row.append(" ".join(t for t in (f"+{count.supports}" if count.supports else "",
                                            f"−{count.opposes}" if count.opposes else "") if t))
        cells.append(tuple(row))
    return MatrixView(tuple(names.get(p, p) for p in people), matrix.positions, tuple(cells))


def behaviours(ag: ArgumentGraph, debate: Debate, *, limit: int = 25) -> tuple[BehaviourView, ...]:
    """Each behaviour with the first ``limit`` messages that refer to it."""
    result = []
    for behaviour, uses in views.behaviour_index(ag).items():
        rows = tuple(BehaviourUseView(u.message_id, message_anchor(u.message_id), lore_url(u.message_id),
                                      debate.messages[u.message_id].author_name, ", ".join(u.positions))
                     for u in uses[:limit])
        result.append(BehaviourView(behaviour, rows, len(uses)))
    return tuple(result)


def stance_history(ag: ArgumentGraph, *, changes_only: bool = False) -> tuple[tuple[str, tuple[ClaimView, ...]], ...]:
    """Per person (by name), their claims in date order; with ``changes_only``, only the
    first claim on each position and each later change of stance on it."""
    names = views.person_names(ag)
    by_person: dict[str, list[ClaimView]] = {}
    last: dict[tuple[str, str], str] = {}
    for person, points in views.stance_over_time(ag).items():
        for ref in (views.claim_ref(ag, p.node_id) for p in points):
            key = (person, ref.position)
            if not changes_only or last.get(key) != ref.stance:
                by_person.setdefault(names.get(person, ref.author_name), []).append(ref_view(ref))
            last[key] = ref.stance
    return tuple((name, tuple(items)) for name, items in sorted(by_person.items()))


def message_view(debate: Debate, info: MessageInfo) -> MessageView:
    analysis = debate.analyses.get(info.message_id)
    claims = sorted(analysis.claims, key=lambda c: (c.start, c.end)) if analysis else []
    decisions = tuple(d.kind for d in analysis.decisions) if analysis else ()
    relation = analysis.relation if analysis else None
    ends = [c.end for c in claims] + ([d.end for d in analysis.decisions] if analysis else [])
    shown = max([BODY_LIMIT, *ends])
    parent = info.parent_id if info.parent_id in debate.messages else None
    return MessageView(
        message_anchor(info.message_id), info.message_id, lore_url(info.message_id), info.subject,
        info.author_name, info.date or "", message_anchor(parent) if parent else "",
        relation.label if relation else "", body_pieces(info.body[:shown], claims),
        tuple(claim_view(debate, c) for c in claims), decisions, max(len(info.body) - shown, 0),
        tuple(message_evidence(info.body, analysis, claims=False)))


def body_pieces(body: str, claims: Sequence[Claim]) -> tuple[Piece, ...]:
    """The body cut at every claim boundary; runs inside a claim are highlighted with the
    stance of the innermost (last-starting) claim, and each claim's anchor sits where it starts."""
    inside = [c for c in claims if 0 <= c.start < c.end <= len(body)]
    cuts = sorted({0, len(body), *(c.start for c in inside), *(c.end for c in inside)})
    pieces = []
    for start, end in zip(cuts, cuts[1:]):
        covering = [c for c in inside if c.start <= start and end <= c.end]
        starting = tuple(claim_anchor(c) for c in inside if c.start == start)
        top = max(covering, key=lambda c: (c.start, -c.end)) if covering else None
        pieces.append(Piece(body[start:end], starting, top.stance if top else "", top.position if top else ""))
    return tuple(pieces)


def thread_rows(debate: Debate, thread_ids: Sequence[str]) -> tuple[ThreadRow, ...]:
    rows = []
    for thread_id in thread_ids:
        thread = debate.thread(thread_id)
        present = thread.message_ids
        root = present[0] if present else thread_id
        rows.append(ThreadRow(thread.root_subject, root, message_anchor(root), lore_url(root), len(present),
                              thread.first_date or "", thread.last_date or ""))
    return tuple(rows)


def people_count(debate: Debate, messages: Iterable[str]) -> int:
    return len({debate.messages[m].author_id for m in messages if m in debate.messages})

