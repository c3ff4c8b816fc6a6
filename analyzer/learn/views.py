"""What the learned components see of a message: its text cut into sentences, its place in
the thread, and what the rules made of it. Built once per thread, from plain records."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from analyzer.analysis.inputs import MessageInput, ThreadInput
from analyzer.analysis.records import MessageAnalysis, ThreadAnalysis
from analyzer.analysis.thread import AnalysisSettings, analyse_marked, mark_thread
from analyzer.nlp.annotate import Annotator, BlockMarks
from analyzer.nlp.behaviours import BehaviourLinker, WeakIndex, patch_additions
from analyzer.nlp.extensions import Marked
from analyzer.thread.subject import parse_subject


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence of own text, with the cue marks the rules found in it."""

    message_id: str
    start: int
    end: int
    """Offsets in the message body."""
    text: str
    block: int
    """Index of the own-text block it is in."""
    index: int
    """Its place in that block (0: the block's opening sentence)."""
    claims: tuple[Marked, ...] = ()
    relation_cues: tuple[Marked, ...] = ()
    decision_cues: tuple[Marked, ...] = ()


@dataclass(frozen=True, slots=True)
class ParentReading:
    """The turn a reply answers, as read before the reply: what the rules made of the
    parent and who wrote the message the parent answered."""

    relation: str | None
    """The rules' message-level relation of the parent to its own parent."""
    decisions: tuple[str, ...]
    """Decision kinds the rules found in the parent."""
    question_share: float
    """Share of the parent's own sentences that are questions."""
    has_patch: bool
    grandparent_author_id: str | None


@dataclass(frozen=True, slots=True)
class WeakMention:
    """A loose mention of a catalogue entry in a message (``analyzer.nlp.behaviours.WeakIndex``):
    evidence the behaviour head weighs, not a link by itself."""

    target: str
    place: str
    """``own`` (own text), ``patch`` (lines a patch adds), ``subject``, ``quote`` (a quoted
    block the own text answers)."""
    start: int
    end: int
    """Offsets in the message body (a quote: its whole block; the subject: 0, 0)."""
    text: str
    form: str
    alone: bool
    longest: bool
    as_written: bool


@dataclass(frozen=True, slots=True)
class MessageView:
    message: MessageInput
    parent: MessageInput | None
    root: MessageInput
    depth: int
    sentences: tuple[Sentence, ...]
    marks: tuple[BlockMarks, ...]
    rules: MessageAnalysis
    """The rule-based analysis of the message (its labels are features too)."""
    thread_authors: int
    author_messages: int
    """How many messages of the thread its author wrote."""
    parent_reading: ParentReading | None = None
    weak: tuple[WeakMention, ...] = ()
    """Loose mentions of catalogue entries (only when the annotator's linker is known)."""

    @property
    def is_posting(self) -> bool:
        """A patch or cover letter as posted (not a reply to one)."""
        return posting_subject(self.message.subject)

    @property
    def is_numbered_patch(self) -> bool:
        """Patch n/m (n >= 1) of a series as posted: a code change and its commit message,
        where the series is argued in its cover letter and the replies."""
        return _numbered_patch(self.message.subject)

    @property
    def own_text(self) -> str:
        return "\n".join(s.text for s in self.sentences)


# A message's subject is read for every sentence's features; the answers are remembered
# (a thread's replies share their subject).
@lru_cache(maxsize=4096)
def posting_subject(subject: str) -> bool:
    """A patch posting's subject (``[PATCH ...]``, not a reply)."""
    parsed = parse_subject(subject)
    return not parsed.is_reply and "PATCH" in parsed.tags


@lru_cache(maxsize=4096)
def _numbered_patch(subject: str) -> bool:
    parsed = parse_subject(subject)
    return not parsed.is_reply and parsed.is_patch and (parsed.number or 0) >= 1 and (parsed.total or 0) >= 2


@dataclass(frozen=True, slots=True)
class ThreadView:
    thread: ThreadInput
    messages: tuple[MessageView, ...]
    rules: ThreadAnalysis


def view_thread(thread: ThreadInput, annotator: Annotator, settings: AnalysisSettings = AnalysisSettings()) -> ThreadView:
    marked = mark_thread(thread, annotator)
    rules = analyse_marked(thread, marked, settings)
    by_rule = {a.message_id: a for a in rules.messages}
    by_id = thread.by_id()
    root = thread.messages[0] if thread.messages else None
    authors: dict[str, int] = {}
    for m in thread.messages:
        authors[m.author_id] = authors.get(m.author_id, 0) + 1
    sentences = {m.message_id: tuple(sentences_of(m, tuple(marked.get(m.message_id, ())))) for m in thread.messages}
    views = []
    for message in thread.messages:
        blocks = tuple(marked.get(message.message_id, ()))
        parent = by_id.get(message.parent_id or "")
        views.append(
            MessageView(
                message=message,
                parent=parent,
                root=root or message,
                depth=_depth(message, by_id),
                sentences=sentences[message.message_id],
                marks=blocks,
                rules=by_rule.get(message.message_id, MessageAnalysis(message.message_id)),
                thread_authors=len(authors),
                author_messages=authors.get(message.author_id, 0),
                parent_reading=None if parent is None else _parent_reading(parent, by_id, by_rule, sentences[parent.message_id]),
                weak=weak_mentions(message, weak_index(annotator)),
            )
        )
    return ThreadView(thread, tuple(views), rules)


def weak_index(annotator: Annotator) -> WeakIndex | None:
    """The loose-name index of the annotator's behaviour linker, built once per linker."""
    linker = annotator.linker
    return linker.weak if isinstance(linker, BehaviourLinker) else None


def weak_mentions(message: MessageInput, index: WeakIndex | None) -> tuple[WeakMention, ...]:
    """Loose mentions in the own text, the lines a patch adds, the subject and the quoted
    blocks the own text answers."""
    if index is None:
        return ()
    seg = message.segmentation
    parts: list[tuple[str, int, str, tuple[int, int] | None]] = [("subject", 0, message.subject, (0, 0))]
    parts += [("own", o.start, o.text, None) for o in seg.own]
    parts += [
        ("patch", b.start, patch_additions(message.body[b.start : b.end]), None)
        for b in seg.blocks
        if b.kind == "patch" and b.depth == 0
    ]
    answered = sorted({o.answers for o in seg.own if o.answers is not None})
    parts += [("quote", 0, seg.quotes[i].text, (seg.quotes[i].start, seg.quotes[i].end)) for i in answered]
    found: list[WeakMention] = []
    for place, offset, text, fixed in parts:
        for f in index.find(text):
            start, end = fixed if fixed is not None else (offset + f.start, offset + f.end)
            found.append(WeakMention(f.target, place, start, end, text[f.start : f.end], f.form, f.alone, f.longest, f.as_written))
    return tuple(found)


def _parent_reading(
    parent: MessageInput,
    by_id: Mapping[str, MessageInput],
    by_rule: Mapping[str, MessageAnalysis],
    sentences: Sequence[Sentence],
) -> ParentReading:
    rules = by_rule.get(parent.message_id, MessageAnalysis(parent.message_id))
    grandparent = by_id.get(parent.parent_id or "")
    questions = sum(1 for s in sentences if s.text.rstrip().endswith("?"))
    return ParentReading(
        relation=rules.relation.label if rules.relation is not None else None,
        decisions=tuple(sorted({d.kind for d in rules.decisions})),
        question_share=questions / len(sentences) if sentences else 0.0,
        has_patch=parent.segmentation.has_patch,
        grandparent_author_id=grandparent.author_id if grandparent is not None else None,
    )


def _depth(message: MessageInput, by_id: Mapping[str, MessageInput]) -> int:
    depth, seen, current = 0, set(), message
    while current.parent_id and current.parent_id in by_id and current.parent_id not in seen:
        seen.add(current.parent_id)
        current = by_id[current.parent_id]
        depth += 1
    return depth


def sentences_of(message: MessageInput, blocks: Sequence[BlockMarks]) -> list[Sentence]:
    """The own-text sentences of a message, in order, each with the marks inside it."""
    found = []
    own_starts = [b.start for b in message.segmentation.own]
    for result in blocks:
        block = result.block
        if not block.full:
            continue
        number = own_starts.index(block.offset) if block.offset in own_starts else 0
        for index, (start, end) in enumerate(result.sentences):
            found.append(
                Sentence(
                    message_id=message.message_id,
                    start=block.offset + start,
                    end=block.offset + end,
                    text=block.text[start:end],
                    block=number,
                    index=index,
                    claims=_inside(result.claims, start, end),
                    relation_cues=_inside(result.relation_cues, start, end),
                    decision_cues=_inside(result.decision_cues, start, end),
                )
            )
    return found


def _inside(marks: Sequence[Marked], start: int, end: int) -> tuple[Marked, ...]:
    return tuple(m for m in marks if start <= m.sentence_start < end)
