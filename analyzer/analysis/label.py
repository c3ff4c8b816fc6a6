"""``analyzer label``: analyse thread(s) from plain Message records, no database needed.

Threads the messages, resolves people, segments every body, resolves quotes, runs the
analysis per thread and returns one gold-format line per message.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from analyzer.analysis.gold import GoldLine, GoldRelation
from analyzer.analysis.isolate import analyse_isolating_failures
from analyzer.analysis.inputs import MessageInput, PreviousVersion, ThreadInput, previous_versions
from analyzer.analysis.records import MessageAnalysis
from analyzer.analysis.thread import AnalysisSettings, ThreadReader, rules_reader
from analyzer.nlp.annotate import Annotator
from analyzer.records import Message
from analyzer.thread.maintainers import MaintainerSection
from analyzer.thread.people import People, Sighting, resolve_people
from analyzer.thread.context import Segmenter, library_segmenter, segment_thread
from analyzer.thread.records import Thread, ThreadingHeaders
from analyzer.thread.series import PostedPatch, link_series, posted_patch
from analyzer.thread.tree import thread_messages


@dataclass(frozen=True, slots=True)
class LabelledThread:
    inputs: ThreadInput
    analyses: tuple[MessageAnalysis, ...]
    failed: tuple[tuple[str, str], ...] = ()
    """(message_id, why) of the messages the analysis failed on: they get no line."""


def unique_messages(messages: Iterable[Message]) -> list[Message]:
    """First copy of each Message-ID (an mbox may hold a cross-posted message twice)."""
    seen: dict[str, Message] = {}
    for message in messages:
        seen.setdefault(message.message_id, message)
    return list(seen.values())


def thread_inputs(
    messages: Sequence[Message], *, maintainers: Sequence[MaintainerSection] = ()
) -> list[ThreadInput]:
    """Thread the messages, resolve their authors, and build each thread's analysis input."""
    people = resolve_people(
        (
            Sighting(name, email, count)
            for (name, email), count in Counter((m.author.name, m.author.email) for m in messages).items()
        ),
        maintainers=maintainers,
    )
    by_id = {m.message_id: m for m in messages}
    threads = thread_messages(
        ThreadingHeaders(m.message_id, m.subject, m.in_reply_to, m.references, m.date) for m in messages
    )
    previous = previous_versions(link_series(_postings(threads, by_id, people)))
    roles = {p.person_id: p.roles for p in people.people}
    context = _Context(by_id, people, roles, previous, library_segmenter(), roles_known=any(roles.values()))
    return [_thread_input(thread, context) for thread in threads]


@dataclass(frozen=True, slots=True)
class _Context:
    """What every thread's input needs, worked out once for all of them."""

    by_id: Mapping[str, Message]
    people: People
    roles: Mapping[str, tuple[str, ...]]
    previous: Mapping[str, PreviousVersion]
    segmenter: Segmenter
    roles_known: bool


def _postings(threads: Sequence[Thread], by_id: Mapping[str, Message], people: People) -> Iterator[PostedPatch]:
    """The patch postings among the messages, for linking versions of one series."""
    for thread in threads:
        for member in thread.members:
            m = by_id.get(member.message_id)
            if m is None:
                continue
            person = people.person_of(m.author.name, m.author.email) or m.author.email
            parent = member.parent_id if member.parent_id in by_id else None
            found = posted_patch(
                m.message_id, m.subject, author_id=person, author_email=m.author.email, date=m.date,
                thread_id=thread.thread_id, body=m.body, parent_id=parent,
            )
            if found is not None:
                yield found


def _thread_input(thread: Thread, context: _Context) -> ThreadInput:
    """The analysis input of one thread, segmented as the store would segment it."""
    parents = {m.message_id: m.parent_id for m in thread.members}
    bodies = {mid: context.by_id[mid].body for mid in thread.message_ids}
    inputs = []
    for seg in segment_thread(thread, bodies, context.segmenter):
        message = context.by_id[seg.message_id]
        person = context.people.person_of(message.author.name, message.author.email) or message.author.email
        parent = parents.get(message.message_id)
        inputs.append(
            MessageInput(
                message_id=message.message_id,
                author_id=person,
                author_name=message.author.name or message.author.email,
                date=message.date,
                subject=message.subject,
                body=message.body,
                parent_id=parent if parent in bodies else None,
                segmentation=seg,
                author_roles=context.roles.get(person, ()),
                replaces=context.previous.get(message.message_id),
                author_addresses=(message.author.email,),
            )
        )
    return ThreadInput(thread.thread_id, tuple(inputs), roles_known=context.roles_known)


def label_threads(
    threads: Sequence[ThreadInput],
    annotator: Annotator,
    settings: AnalysisSettings = AnalysisSettings(),
    reader: ThreadReader | None = None,
) -> list[LabelledThread]:
    """Every thread read; a message the reading fails on is left out and named in
    ``failed`` (the rest of its thread is still read)."""
    read = reader or rules_reader(annotator, settings)
    labelled = []
    for thread in threads:
        analysis, failed = analyse_isolating_failures(thread, read)
        reasons = tuple((mid, f"{type(exc).__name__}: {exc}") for mid, exc in failed)
        labelled.append(LabelledThread(thread, analysis.messages, reasons))
    return labelled


def gold_lines(labelled: LabelledThread, *, catalogue_kinds: Mapping[str, str]) -> list[GoldLine]:
    """Predictions in the gold format: message positions, linked behaviours (policy rules
    left out, as FORMAT.md asks), the rolled-up relation and the decisions."""
    lines = []
    by_id = labelled.inputs.by_id()
    for analysis in labelled.analyses:
        message = by_id[analysis.message_id]
        relation = analysis.relation
        behaviours = dict.fromkeys(
            m.target for m in analysis.mentions if m.kind == "behaviour" and catalogue_kinds.get(m.target) != "policy_rule"
        )
        lines.append(
            GoldLine(
                message_id=analysis.message_id,
                author=message.author_name,
                positions=tuple((p.position, p.stance) for p in analysis.positions),
                behaviours=tuple(behaviours),
                relation=None if relation is None else GoldRelation(relation.to_message_id, relation.label),
                decisions=tuple(dict.fromkeys(d.kind for d in analysis.decisions)),
            )
        )
    return lines
