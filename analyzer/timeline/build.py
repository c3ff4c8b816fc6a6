"""Timelines built from a Debate: pure functions, no I/O.

A thread timeline holds every message, each position the first time it is argued, the
decisions, the versions of the series the thread belongs to and the commits that merged
it. The corpus timeline is the cross-thread decision timeline: the same without the
individual messages.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from analyzer.debate import Debate, MergedCommit, MessageInfo
from analyzer.evidence import why
from analyzer.graph.ids import claim_node, message_node
from analyzer.thread.records import SeriesVersion
from analyzer.thread.subject import parse_subject
from analyzer.timeline.records import EVENT_KINDS, EventKind, Timeline, TimelineEvent

DECISION_WORDS = {
    "accepted": "applied",
    "rejected": "NAK",
    "endorsed": "ack/review",
    "changes-requested": "changes requested",
    "policy-ruling": "policy ruling",
    "withdrawn": "withdrawn",
}


def thread_timeline(debate: Debate, thread_id: str) -> Timeline:
    thread = debate.thread(thread_id)
    messages = [debate.messages[m] for m in thread.message_ids if m in debate.messages]
    events = [
        *_message_events(messages),
        *_position_events(debate, messages),
        *_decision_events(debate, messages),
        *_version_events(debate, [thread_id]),
        *_commit_events(debate, messages),
    ]
    return Timeline(thread.root_subject, _ordered(events))


def corpus_timeline(debate: Debate) -> Timeline:
    messages = [info for info in debate.messages.values()]
    events = [
        *_position_events(debate, messages),
        *_decision_events(debate, messages),
        *_version_events(debate, [t.thread_id for t in debate.threads]),
        *_commit_events(debate, messages),
    ]
    return Timeline(f"{len(debate.threads)} threads", _ordered(events))


def _ordered(events: Iterable[TimelineEvent]) -> tuple[TimelineEvent, ...]:
    rank = {kind: i for i, kind in enumerate(EVENT_KINDS)}
    return tuple(sorted(events, key=lambda e: (e.date == "", e.date, rank[e.kind], e.message_id or "", e.label)))


def _by_date(messages: Iterable[MessageInfo]) -> list[MessageInfo]:
    return sorted(messages, key=lambda m: (m.date or "\uffff", m.message_id))


def _message_events(messages: Iterable[MessageInfo]) -> Iterator[TimelineEvent]:
    for info in messages:
        yield TimelineEvent(info.date or "", "message", info.thread_id, f"{info.author_name} wrote",
                            info.message_id, info.author_name, info.subject, message_node(info.message_id))


def _position_events(debate: Debate, messages: Iterable[MessageInfo]) -> Iterator[TimelineEvent]:
    """The first claim of each position (either stance) per thread."""
    seen: set[tuple[str, str]] = set()
    for info in _by_date(messages):
        analysis = debate.analyses.get(info.message_id)
        for claim in sorted(analysis.claims, key=lambda c: c.start) if analysis else ():
            if (info.thread_id, claim.position) in seen:
                continue
            seen.add((info.thread_id, claim.position))
            yield TimelineEvent(info.date or "", "position", info.thread_id,
                                f"{claim.position} first argued ({claim.stance})", info.message_id,
                                info.author_name, claim.text, claim_node(claim), why(claim))


def _decision_events(debate: Debate, messages: Iterable[MessageInfo]) -> Iterator[TimelineEvent]:
    for info in messages:
        analysis = debate.analyses.get(info.message_id)
        for decision in analysis.decisions if analysis else ():
            person = debate.people.get(debate.actor_of(decision.actor, info))
            name = person.name if person else info.author_name
            word = DECISION_WORDS.get(decision.kind, decision.kind)
            if decision.kind == "withdrawn" and _is_posting(info.subject):
                # A new posting withdraws the version it replaces, not itself.
                word = "previous version superseded"
            yield TimelineEvent(decision.date or info.date or "", "decision", info.thread_id, f"{word} by {name}",
                                info.message_id, name, decision.evidence, message_node(info.message_id), why(decision),
                                decision.kind)


def _is_posting(subject: str) -> bool:
    parsed = parse_subject(subject)
    return parsed.is_patch and not parsed.is_reply


def _version_events(debate: Debate, thread_ids: Iterable[str]) -> Iterator[TimelineEvent]:
    """Every version of each series that has a version in one of ``thread_ids``."""
    wanted = set(thread_ids)
    series = {v.series_id for v in debate.series if v.thread_id in wanted}
    versions = sorted((v for v in debate.series if v.series_id in series), key=lambda v: (v.series_id, v.version))
    for version in versions:
        yield _version_event(debate, version, versions)


def _version_event(debate: Debate, version: SeriesVersion, versions: list[SeriesVersion]) -> TimelineEvent:
    latest = max(v.version for v in versions if v.series_id == version.series_id)
    note = "" if version.superseded_by is None else " (superseded)"
    label = f"v{version.version} of {latest} posted{note}"
    author = debate.messages.get(version.root_message_id)
    return TimelineEvent(version.date or "", "version", version.thread_id, label, version.root_message_id,
                         author.author_name if author else version.author_email, version.subject,
                         message_node(version.root_message_id))


def _commit_events(debate: Debate, messages: Iterable[MessageInfo]) -> Iterator[TimelineEvent]:
    by_id = {info.message_id: info for info in messages}
    for commit in debate.commits:
        info = by_id.get(commit.message_id)
        if info is not None:
            yield TimelineEvent(commit.date or "", "commit", info.thread_id, merged_label(commit),
                                commit.message_id, "", commit.subject, message_node(commit.message_id))


def merged_label(commit: MergedCommit) -> str:
    where = f" in {commit.tag}" if commit.tag else " (not in a release tag yet)"
    return f"merged as {commit.sha[:12]}{where}"


def kinds_present(timeline: Timeline) -> tuple[EventKind, ...]:
    return tuple(k for k in EVENT_KINDS if timeline.of_kind(k))
