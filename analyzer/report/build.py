"""Assemble a thread or corpus report from a Debate: graph, timeline, views, messages."""

from __future__ import annotations

from dataclasses import dataclass, replace

from jinja2 import Environment

from analyzer.debate import Debate
from analyzer.evidence import HiddenLabels, debate_above
from analyzer.graph.build import ArgumentGraph, build_graph
from analyzer.graph.draw import GraphView, graph_svg
from analyzer.graph import views
from analyzer.report import corpus, model
from analyzer.report.corpus import CorpusLimits
from analyzer.report.model import (
    BehaviourView,
    CampView,
    ClaimView,
    ContestedView,
    MatrixView,
    MessageView,
    PostingView,
    ReportKind,
    ThreadRow,
)
from analyzer.report.timeline_svg import timeline_svg
from analyzer.timeline.build import corpus_timeline, thread_timeline
from analyzer.timeline.records import Timeline, TimelineEvent


@dataclass(frozen=True, slots=True)
class Report:
    kind: ReportKind
    title: str
    subtitle: str
    graph_view: GraphView
    graph_svg: str
    timeline: Timeline
    timeline_svg: str
    contested: tuple[ContestedView, ...]
    camps: tuple[CampView, ...]
    interactions: MatrixView
    stance_history: tuple[tuple[str, tuple[ClaimView, ...]], ...]
    threads: tuple[ThreadRow, ...]
    messages: tuple[MessageView, ...] = ()
    behaviours: tuple[BehaviourView, ...] = ()
    """Corpus reports only, like ``position_matrix``."""
    position_matrix: MatrixView | None = None
    postings: tuple[PostingView, ...] = ()
    """Thread reports only: the series postings with a message in the thread."""
    notes: tuple[str, ...] = ()
    """Corpus reports only: what each bounded section shows of the whole."""
    hidden: HiddenLabels = HiddenLabels()
    """The labels the confidence cut-off left out (none without a cut-off)."""

    @property
    def confidence_note(self) -> str:
        return (f"{self.hidden.sentence()} Each label shows its score (0–1) and the signals that fired: "
                "model (a learned head's probability), rule cue, structure (trailers, series postings).")

    @property
    def decisions(self) -> tuple[TimelineEvent, ...]:
        return self.timeline.of_kind("decision")


def thread_report(debate: Debate, thread_id: str, env: Environment, *, graph_view: GraphView = "summary",
                  min_confidence: float = 0.0) -> Report:
    """The report of one thread, without the labels below ``min_confidence``."""
    debate, hidden = debate_above(debate, min_confidence, [thread_id])
    ag = build_graph(debate, [thread_id])
    thread = debate.thread(thread_id)
    timeline = thread_timeline(debate, thread_id)
    present = [m for m in thread.message_ids if m in debate.messages]
    subtitle = (f"{len(present)} messages from {model.people_count(debate, present)} people, "
                f"{_span(thread.first_date, thread.last_date)}")
    report = _report(debate, thread.root_subject, subtitle, ag, timeline, env, graph_view, changes_only=False,
                     shown=frozenset(present))
    return replace(
        report,
        messages=tuple(model.message_view(debate, debate.messages[m]) for m in present),
        postings=model.postings(debate, thread_id, frozenset(present)),
        hidden=hidden,
    )


def corpus_report(debate: Debate, env: Environment, *, graph_view: GraphView = "summary",
                  limits: CorpusLimits = CorpusLimits(), min_confidence: float = 0.0) -> Report:
    """A summary of the whole debate whose size does not grow with it: the top threads
    (each linking to its own report), the most contested claims, the behaviour index with
    counts, the most active people and the latest decisions; messages are cited, as
    excerpts, only where a claim, decision or behaviour use shown needs them. Labels below
    ``min_confidence`` are left out."""
    debate, hidden = debate_above(debate, min_confidence)
    ag = build_graph(debate)
    dates = sorted(d for t in debate.threads for d in (t.first_date, t.last_date) if d)
    subtitle = (f"{len(debate.threads)} threads, {len(debate.messages)} messages from "
                f"{model.people_count(debate, debate.messages)} people, "
                f"{_span(dates[0] if dates else None, dates[-1] if dates else None)}")
    people = frozenset(corpus.top_people(ag, limits.people))
    threads = corpus.top_threads(debate, ag, limits.threads)
    rows = tuple(replace(row, report_stem=corpus.report_stem(debate, thread_id))
                 for row, thread_id in zip(model.thread_rows(debate, threads), threads))
    timeline = corpus.latest_events(corpus_timeline(debate), limits.events)
    report = Report(
        kind="corpus", title="Corpus report", subtitle=subtitle, graph_view=graph_view,
        graph_svg=graph_svg(ag, graph_view), timeline=timeline, timeline_svg="",
        contested=model.contested(ag), camps=corpus.bounded_camps(model.camps(ag), limits.camp_names),
        interactions=model.interactions(ag, people),
        stance_history=corpus.bounded_stances(ag, people, limits.stances_per_person),
        threads=rows, behaviours=corpus.bounded_behaviours(ag, debate, limits),
        position_matrix=model.position_matrix(ag, people),
        notes=_notes(debate, ag, limits, len(people)), hidden=hidden,
    )
    drawn = {c.message_id for camp in report.camps for c in views.top_claims(ag, camp.position)}
    cited = sorted((debate.messages[m] for m in _cited(report) | drawn if m in debate.messages),
                   key=lambda info: (info.date or "", info.message_id))
    shown = frozenset(info.message_id for info in cited)
    return replace(report, timeline_svg=timeline_svg(env, timeline, shown),
                   messages=tuple(corpus.excerpt_view(debate, info, limits.excerpt, limits.labels_per_message)
                                  for info in cited))


def _notes(debate: Debate, ag: ArgumentGraph, limits: CorpusLimits, people: int) -> tuple[str, ...]:
    behaviours = len(views.behaviour_index(ag))
    return (
        f"Threads: the {min(limits.threads, len(debate.threads))} with the most claims of {len(debate.threads)}, "
        "each linked to its own report.",
        f"People: the {people} most active in the answer matrix, participants × positions and stance histories.",
        f"Behaviours: the {min(limits.behaviours, behaviours)} most referred to of {behaviours}.",
        f"Timeline: the latest {limits.events} decisions, versions and commits.",
    )


def _report(debate: Debate, title: str, subtitle: str, ag: ArgumentGraph, timeline: Timeline, env: Environment,
            graph_view: GraphView, *, changes_only: bool, shown: frozenset[str] | None = None) -> Report:
    return Report(
        kind="thread",
        title=title,
        subtitle=subtitle,
        graph_view=graph_view,
        graph_svg=graph_svg(ag, graph_view),
        timeline=timeline,
        timeline_svg=timeline_svg(env, timeline, shown),
        contested=model.contested(ag),
        camps=model.camps(ag),
        interactions=model.interactions(ag),
        stance_history=model.stance_history(ag, changes_only=changes_only),
        threads=model.thread_rows(debate, ag.thread_ids),
    )


def _cited(report: Report) -> set[str]:
    """Message ids the corpus report links to: claims, timeline events, behaviour uses
    (thread roots link to the thread's own report instead)."""
    ids = {c.claim.message_id for c in report.contested}
    ids |= {c.message_id for _, claims in report.stance_history for c in claims}
    ids |= {e.message_id for e in report.timeline.events if e.message_id}
    ids |= {u.message_id for b in report.behaviours for u in b.uses}
    return ids


def _span(first: str | None, last: str | None) -> str:
    if not first:
        return "dates unknown"
    return f"{first[:10]} to {(last or first)[:10]}"
