"""The corpus report's content, bounded: top threads, top claims, a behaviour index with
counts, the main people, the latest decisions; messages are cited only where a claim,
decision or behaviour use shown needs them, as excerpts of their highlighted sentences.

Every list is cut to a fixed length (``CorpusLimits``) and says how much it left out, so
the page has the same size for a hundred threads as for all of LKML; each top thread
links to its own report, which shows it in full.
"""

from __future__ import annotations

from collections import Counter
import hashlib
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from analyzer.analysis.records import Claim
from analyzer.debate import Debate, MessageInfo
from analyzer.display import shorten
from analyzer.evidence import message_evidence
from analyzer.graph import views
from analyzer.graph.build import ArgumentGraph
from analyzer.graph.ids import claim_anchor, lore_url, message_anchor
from analyzer.report.model import (
    BehaviourUseView,
    BehaviourView,
    CampView,
    ClaimView,
    MessageView,
    Piece,
    claim_view,
    ref_view,
)
from analyzer.timeline.records import Timeline


@dataclass(frozen=True, slots=True)
class CorpusLimits:
    threads: int = 25
    people: int = 15
    """People in the answer matrix, participants x positions and stance histories."""
    stances_per_person: int = 6
    camp_names: int = 8
    behaviours: int = 30
    uses_per_behaviour: int = 3
    events: int = 40
    """Latest decisions, versions and commits on the timeline."""
    excerpt: int = 400
    """Characters of a cited message shown when it has no claim to show."""
    labels_per_message: int = 6
    """Labels other than claims (with their evidence) listed under a cited message."""


def top_people(ag: ArgumentGraph, limit: int) -> list[str]:
    """Person ids by claims made plus replies given and received, most first."""
    activity: Counter[str] = Counter()
    for (person, _), count in views.stance_counts(ag).items():
        activity[person] += count.supports + count.opposes
    for i in views.interaction_matrix(ag):
        replies = i.agree + i.disagree + i.mixed + i.neutral
        activity[i.source] += replies
        activity[i.target] += replies
    return [p for p, _ in sorted(activity.items(), key=lambda item: (-item[1], item[0]))[:limit]]


def top_threads(debate: Debate, ag: ArgumentGraph, limit: int) -> list[str]:
    """Thread ids with the most claims, then the most messages."""
    claims = Counter(c.thread_id for c in views.claims(ag))
    sizes = {t.thread_id: len(t.message_ids) for t in debate.threads}
    ranked = sorted(sizes, key=lambda t: (-claims[t], -sizes[t], t))
    return ranked[:limit]


def report_stem(debate: Debate, thread_id: str | None) -> str:
    """A file name from the subject, made unique and safe by a hash of the thread id."""
    if thread_id is None:
        return "corpus"
    words = re.sub(r"[^a-z0-9]+", "-", debate.thread(thread_id).root_subject.lower()).strip("-")[:60].strip("-")
    digest = hashlib.sha1(thread_id.encode("utf-8")).hexdigest()[:8]
    return f"{words or 'thread'}-{digest}"


def bounded_camps(camps: Iterable[CampView], limit: int) -> tuple[CampView, ...]:
    def cut(names: tuple[str, ...]) -> tuple[str, ...]:
        return names if len(names) <= limit else (*names[:limit], f"… {len(names) - limit} more")

    return tuple(CampView(c.position, cut(c.supporters), cut(c.opponents), cut(c.divided)) for c in camps)


def bounded_stances(ag: ArgumentGraph, people: Collection[str], per_person: int) -> tuple[tuple[str, tuple[ClaimView, ...]], ...]:
    """For each of ``people``: the first claim on each position and each later change of
    stance on it, the latest ``per_person`` of them."""
    names = views.person_names(ag)
    result = []
    for person, points in views.stance_over_time(ag).items():
        if person not in people:
            continue
        last: dict[str, str] = {}
        changes = []
        for point in points:
            if last.get(point.position) != point.stance:
                changes.append(ref_view(views.claim_ref(ag, point.node_id)))
            last[point.position] = point.stance
        result.append((names.get(person, person), tuple(changes[-per_person:])))
    return tuple(sorted(result))


def bounded_behaviours(ag: ArgumentGraph, debate: Debate, limits: CorpusLimits) -> tuple[BehaviourView, ...]:
    """The behaviours referred to by the most messages, each with its count and its first uses."""
    index = views.behaviour_index(ag)
    ranked = sorted(index.items(), key=lambda item: (-len(item[1]), item[0]))[: limits.behaviours]
    return tuple(
        BehaviourView(behaviour, tuple(
            BehaviourUseView(u.message_id, message_anchor(u.message_id), lore_url(u.message_id),
                             debate.messages[u.message_id].author_name, ", ".join(u.positions))
            for u in uses[: limits.uses_per_behaviour]), len(uses))
        for behaviour, uses in ranked
    )


def latest_events(timeline: Timeline, limit: int) -> Timeline:
    """Decisions, versions and commits only (positions and messages are per thread), the latest ``limit``."""
    kept = [e for e in timeline.events if e.kind in ("decision", "version", "commit")]
    dated = [e for e in kept if e.date]
    chosen = (dated[-limit:] if len(dated) >= limit else [*dated, *[e for e in kept if not e.date]][:limit])
    return Timeline(timeline.title, tuple(chosen))


def excerpt_view(debate: Debate, info: MessageInfo, limit: int, labels: int = 6) -> MessageView:
    """A cited message as its highlighted claim sentences (or its first ``limit``
    characters when it has none) and its first ``labels`` other labels, not its whole body."""
    analysis = debate.analyses.get(info.message_id)
    claims = sorted(analysis.claims, key=lambda c: (c.start, c.end)) if analysis else []
    pieces: list[Piece] = []
    spans: dict[tuple[int, int], list[Claim]] = {}
    for claim in claims:
        spans.setdefault((claim.start, claim.end), []).append(claim)
    # One piece per sentence (several positions may be read in one), cut to ``limit``.
    for same in spans.values():
        if pieces:
            pieces.append(Piece(" … "))
        first = same[0]
        pieces.append(Piece(shorten(first.text, limit), tuple(claim_anchor(c) for c in same), first.stance, first.position))
    if not pieces:
        pieces.append(Piece(info.body[:limit]))
    shown = sum(min(len(c[0].text), limit) for c in spans.values()) if claims else min(len(info.body), limit)
    relation = analysis.relation if analysis else None
    return MessageView(
        message_anchor(info.message_id), info.message_id, lore_url(info.message_id), info.subject,
        info.author_name, info.date or "", "", relation.label if relation else "", tuple(pieces),
        tuple(claim_view(debate, c) for c in claims),
        tuple(d.kind for d in analysis.decisions) if analysis else (), max(len(info.body) - shown, 0),
        tuple(message_evidence(info.body, analysis, claims=False)[:labels]))
