"""Analyse one thread: a pure function of its messages plus the rules and catalogue
(held by the Annotator), so threads can be analysed anywhere, in any order, with the same
result."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from functools import partial
from dataclasses import dataclass, field

from analyzer.analysis.decisions import (
    Actor,
    DecisionSettings,
    actor_roles,
    decisions_from,
    patch_trailers,
    superseding,
)
from analyzer.analysis.inputs import MessageInput, ThreadInput
from analyzer.analysis.positions import (
    PositionSettings,
    ProfileSettings,
    author_profiles,
    claims_from_marks,
    message_positions,
    rule_signals,
    with_profile,
)
from analyzer.analysis.records import Claim, Decision, MessageAnalysis, PositionTaken, Relation, RelationLabel, ThreadAnalysis
from analyzer.analysis.relations import (
    Attitude,
    RelationSettings,
    attitude_of,
    camp_attitude,
    claim_attitude,
    label_of,
    position_attitude,
    sides,
    takes_issue,
    toward_addressee,
)
from analyzer.nlp.annotate import Annotator, BlockMarks, TextBlock
from analyzer.nlp.behaviours import patch_additions
from analyzer.segment.attest import Sender
from analyzer.segment.records import OwnText
from analyzer.thread.records import has_maintainer_role


@dataclass(frozen=True, slots=True)
class AnalysisSettings:
    positions: PositionSettings = field(default_factory=PositionSettings)
    relations: RelationSettings = field(default_factory=RelationSettings)
    decisions: DecisionSettings = field(default_factory=DecisionSettings)
    profile: ProfileSettings = field(default_factory=ProfileSettings)


def blocks_of(message: MessageInput) -> list[TextBlock]:
    """Own text is read in full; patches (only the lines they add, which is what a patch
    proposes) and trailers (Fixes:, Link:) only for the behaviours and references they name."""
    seg = message.segmentation
    own = [TextBlock(message.message_id, b.start, b.text) for b in seg.own]
    references = [
        TextBlock(message.message_id, b.start, _reference_text(b.kind, message.body[b.start : b.end]), full=False)
        for b in seg.blocks
        if b.kind in ("patch", "trailer")
    ]
    return own + references


def _reference_text(kind: str, text: str) -> str:
    return patch_additions(text) if kind == "patch" else text


@dataclass(frozen=True, slots=True)
class _Context:
    """What the thread says as a whole, which reading one reply needs."""

    claims: dict[str, list[Claim]]
    positions: dict[str, list[PositionTaken]]
    camps: dict[str, dict[str, str]]
    messages: dict[str, MessageInput]


def mark_thread(thread: ThreadInput, annotator: Annotator) -> dict[str, list[BlockMarks]]:
    """Every block of every message through the pipeline: cue marks, mentions, sentences."""
    blocks = [block for message in thread.messages for block in blocks_of(message)]
    marked: dict[str, list[BlockMarks]] = defaultdict(list)
    for result in annotator.annotate(blocks):
        marked[result.block.message_id].append(result)
    return marked


def analyse_thread(thread: ThreadInput, annotator: Annotator, settings: AnalysisSettings = AnalysisSettings()) -> ThreadAnalysis:
    return analyse_marked(thread, mark_thread(thread, annotator), settings)


ThreadReader = Callable[[ThreadInput], ThreadAnalysis]
"""A way of reading a thread: the rules alone (``rules_reader``) or the learned models
(``analyzer.learn.reader``); ``analyze``, ``label`` and ``eval`` take either."""


def rules_reader(annotator: Annotator, settings: AnalysisSettings = AnalysisSettings()) -> ThreadReader:
    return partial(analyse_thread, annotator=annotator, settings=settings)


def analyse_marked(
    thread: ThreadInput, marked: dict[str, list[BlockMarks]], settings: AnalysisSettings = AnalysisSettings()
) -> ThreadAnalysis:
    """The rules' reading of a thread whose blocks are marked (``mark_thread``)."""
    marked = defaultdict(list, marked)
    claims = {m.message_id: _claims(marked[m.message_id]) for m in thread.messages}
    positions = {mid: message_positions(c, settings.positions) for mid, c in claims.items()}
    positions = _with_profiles(thread, positions, marked, settings.profile)
    patch_authors = _patch_authors(thread)
    context = _Context(
        claims, positions, _camps(thread, positions, settings.relations), thread.by_id()
    )
    analyses = []
    for message in thread.messages:
        results = marked[message.message_id]
        analyses.append(
            MessageAnalysis(
                message_id=message.message_id,
                claims=tuple(claims[message.message_id]),
                positions=tuple(positions[message.message_id]),
                mentions=tuple(m for r in results for m in r.mentions),
                relations=tuple(_relations(message, results, context, settings.relations)),
                **_by_attestation(_decisions(message, results, thread, patch_authors, settings.decisions)),
            )
        )
    return ThreadAnalysis(thread_id=thread.thread_id, messages=tuple(analyses))


def _with_profiles(
    thread: ThreadInput,
    positions: dict[str, list[PositionTaken]],
    marked: dict[str, list[BlockMarks]],
    settings: ProfileSettings,
) -> dict[str, list[PositionTaken]]:
    authors = {m.message_id: m.author_id for m in thread.messages}
    profiles = author_profiles(positions, authors)
    result = {}
    for message in thread.messages:
        results = marked[message.message_id]
        # Engaged in the argument: it makes a claim or takes a clear attitude (tone alone
        # does not count: a patch description is not a reply to anyone).
        engaged = any(r.claims or any(c.weight >= 1.0 for c in r.relation_cues) for r in results)
        result[message.message_id] = with_profile(
            message.message_id, positions[message.message_id], profiles[message.author_id], engaged=engaged, settings=settings
        )
    return result


def _claims(results: list[BlockMarks]) -> list[Claim]:
    claims: list[Claim] = []
    for result in results:
        block = result.block
        claims += claims_from_marks(result.claims, message_id=block.message_id, offset=block.offset, text=block.text)
    return claims


def _relations(
    message: MessageInput,
    results: list[BlockMarks],
    context: _Context,
    settings: RelationSettings,
) -> list[Relation]:
    """One Relation per answering block, then the message's rolled-up relation to its parent."""
    parent_id = message.parent_id
    if parent_id is None:
        return []
    by_start = {r.block.offset: r for r in results if r.block.full}
    relations: list[Relation] = []
    total = Attitude()
    for own in message.segmentation.own:
        result = by_start.get(own.start)
        if result is None:
            continue
        block = _block_relation(message, own, result, context, settings)
        total = total + block[0].scaled(_toward_parent(message, own, parent_id, settings))
        if block[1] is not None:
            relations.append(block[1])
    label: RelationLabel
    signals: tuple[str, ...]
    if _is_series_part(message, context):
        label, confidence = "neutral", 0.9
        signals = ("structure:patch of a series under its cover letter",)
    elif _argues_on(message, results, context):
        label, confidence = "agree", 0.6
        signals = ("structure:argues on, beside the parent, in the thread's debate",)
    else:
        signals = rule_signals(s.removeprefix("rule:") for r in relations for s in r.signals if s.startswith("rule:"))
        label, confidence = label_of(total + _message_attitude(message, parent_id, context, settings), settings)
        if label in ("agree", "disagree") and any(r.label == "mixed" and r.to_message_id == parent_id for r in relations):
            # One answer that both concedes and holds its ground ("Yes, ... My concern is
            # ...") makes the reply mixed, however the other answers lean.
            label = "mixed"
    relations.append(Relation(message.message_id, parent_id, label, confidence, signals=signals))
    return relations


def _toward_parent(message: MessageInput, own: OwnText, parent_id: str, settings: RelationSettings) -> float:
    """A block answering text the parent quoted from someone else speaks less to the parent."""
    if own.answers is None:
        return 1.0
    source = message.segmentation.quotes[own.answers].source_message_id
    return 1.0 if source in (None, parent_id) else settings.elsewhere_factor


def _block_relation(
    message: MessageInput, own: OwnText, result: BlockMarks, context: _Context, settings: RelationSettings
) -> tuple[Attitude, Relation | None]:
    """The attitude of one own-text block to the quote it answers: its cues, and whether its
    claims take the same or the other side as the claims inside the quoted span."""
    seg = message.segmentation
    quote = seg.quotes[own.answers] if own.answers is not None else None
    answered = context.messages.get((quote.source_message_id if quote else None) or message.parent_id or "")
    cues = toward_addressee(result.relation_cues, result.block.text, answered.author_name) if answered else result.relation_cues
    attitude = attitude_of(cues, answers_question=quote is not None and quote.text.rstrip().endswith("?"))
    if quote is None:
        return attitude, None
    signals = rule_signals(m.cue_id for m in cues)
    if quote.source_message_id is not None and quote.source_start is not None and quote.source_end is not None:
        quoted = [
            c for c in context.claims.get(quote.source_message_id, [])
            if c.start < quote.source_end and c.end > quote.source_start
        ]
        answer = [c for c in context.claims[message.message_id] if own.start <= c.start < own.end]
        sides = claim_attitude(answer, quoted, settings.claim_weight)
        if sides != Attitude():
            signals += ("structure:its claims against the quoted claims",)
        attitude = attitude + sides
    label, confidence = label_of(attitude, settings)
    relation = Relation(
        message_id=message.message_id,
        to_message_id=quote.source_message_id or message.parent_id or "",
        label=label,
        confidence=confidence,
        quote_index=quote.index,
        own_start=own.start,
        own_end=own.end,
        to_start=quote.source_start,
        to_end=quote.source_end,
        signals=signals,
    )
    return attitude, relation


def _camps(thread: ThreadInput, positions: dict[str, list[PositionTaken]], settings: RelationSettings) -> dict[str, dict[str, str]]:
    """Each author's sides across the thread, when the camp signal is on (off by default)."""
    if not settings.camp_weight:
        return {}
    return sides(positions, {m.message_id: m.author_id for m in thread.messages})


def _message_attitude(
    message: MessageInput, parent_id: str, context: _Context, settings: RelationSettings
) -> Attitude:
    """What the message as a whole says of its parent: shared or opposed positions, and
    whether the two authors stand in the same camp of the thread (both signals off by
    default, and then not worked out)."""
    if not settings.position_weight and not settings.camp_weight:
        return Attitude()
    attitude = position_attitude(
        context.positions[message.message_id], context.positions.get(parent_id, []), settings.position_weight
    )
    parent = context.messages.get(parent_id)
    if parent is not None and parent.author_id != message.author_id:
        attitude = attitude + camp_attitude(
            context.camps.get(message.author_id, {}), context.camps.get(parent.author_id, {}), settings.camp_weight
        )
    return attitude


def _argues_on(message: MessageInput, results: list[BlockMarks], context: _Context) -> bool:
    """A follow-up to one's own message that goes on arguing (it makes claims) and takes
    nothing back (no explicit disagreement, no claim on the other side of one of the
    parent's) extends its parent: "I will also add that ...".
    Pings, "applied" notes and added links make no claims and stay as their cues say."""
    parent = context.messages.get(message.parent_id or "")
    own = context.claims[message.message_id]
    if parent is None or parent.author_id != message.author_id or not own:
        return False
    if claim_attitude(own, context.claims.get(parent.message_id, []), 1.0).disagree > 0:
        return False  # it argues the other side of what the parent said: a change of mind
    return not any(takes_issue(m) for r in results for m in r.relation_cues)


def _is_series_part(message: MessageInput, context: _Context) -> bool:
    """A patch of a series posted under its cover letter answers nothing."""
    parent = context.messages.get(message.parent_id or "")
    subject = message.subject.lower()
    return (
        parent is not None
        and parent.author_id == message.author_id
        and not subject.startswith("re:")
        and "patch" in subject
    )


def _patch_authors(thread: ThreadInput) -> set[str]:
    """Who posted what the thread reviews: the root's author. (Someone who posts a patch
    later in a thread is still a reviewer or maintainer of the original.)"""
    root = thread.messages[0] if thread.messages else None
    return {root.author_id} if root is not None and root.parent_id is None else set()


def _by_attestation(found: list[Decision]) -> dict[str, tuple[Decision, ...]]:
    """Unattested trailers are kept apart from the message's decisions."""
    return {
        "decisions": tuple(d for d in found if d.attested),
        "unattested": tuple(d for d in found if not d.attested),
    }


def _patch_trailers(message: MessageInput, thread: ThreadInput) -> frozenset[tuple[str, str]]:
    by_id = thread.by_id()
    parents = {m.message_id: m.parent_id for m in thread.messages}
    return patch_trailers(message.message_id, parents, {m: by_id[m].segmentation.trailers for m in by_id})


def _decisions(
    message: MessageInput,
    results: list[BlockMarks],
    thread: ThreadInput,
    patch_authors: set[str],
    settings: DecisionSettings,
) -> list[Decision]:
    is_maintainer = has_maintainer_role(message.author_roles)
    roles = actor_roles(
        is_patch_author=message.author_id in patch_authors, is_maintainer=is_maintainer, roles_known=thread.roles_known
    )
    weight = settings.maintainer_weight if thread.roles_known and is_maintainer else 1.0
    actor = Actor(name=message.author_name, date=message.date, roles=roles, weight=weight)
    marks = [(r.block.offset, mark, r.block.text) for r in results for mark in r.decision_cues]
    sender = Sender.of(message.author_name, message.author_addresses)
    found = decisions_from(
        marks, message.segmentation.trailers, message_id=message.message_id, actor=actor, settings=settings,
        sender=sender, present=_patch_trailers(message, thread),
    )
    if message.replaces is not None and not any(d.kind == "withdrawn" for d in found):
        found.append(superseding(message.message_id, message.body, message.subject, message.replaces, actor))
    return found
