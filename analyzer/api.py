"""The analyser as a library, for notebooks and scripts: open a store, load debates, build
graphs, timelines and tables. Everything here returns plain records or DataFrames.

    from analyzer import api
    store = api.sample_store()                    # the bundled synthetic corpus
    api.add_sources(store, "more.mbox")           # ingest, thread, analyse (as `analyzer analyze`)
    debate = api.load_debate(store)
    graph = api.argument_graph(debate)
    api.camps(graph); api.claims_frame(debate); api.thread_timeline(debate, thread_id)
    sure = api.load_debate(store, min_confidence=0.7)   # labels scored 0.7 or more
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import altair as alt

from analyzer.dashboard import charts
from analyzer.dashboard.config import SAMPLE_DB
from analyzer.dashboard.frames import (
    PeopleFrames,
    behaviour_frame,
    claims_frame,
    decisions_frame,
    events_frame,
    people_frames,
)
from analyzer.dashboard.sample import build_sample_store
from analyzer.debate import Debate
from analyzer.errors import ConfigError
from analyzer.evidence import Label, debate_above, why
from analyzer.graph.build import ArgumentGraph, build_graph
from analyzer.graph.views import (
    behaviour_index,
    camps,
    contested_claims,
    interaction_matrix,
    position_matrix,
    stance_over_time,
)
from analyzer.ingest.lore import LoreClient
from analyzer.ingest.sources import SourceFormat
from analyzer.learn.model import DEFAULT_READING, READINGS
from analyzer.store.db import Store
from analyzer.store.debate import list_thread_ids
from analyzer.store.debate import load_debate as _load_debate
from analyzer.store.structure import ThreadOverview, thread_overviews
from analyzer.timeline.build import corpus_timeline, thread_timeline
from analyzer.timeline.records import Timeline, TimelineEvent
from analyzer.workflow import RULES, WorkflowOptions, WorkflowReport, update_store

__all__ = [
    "ArgumentGraph", "Debate", "PeopleFrames", "Store", "ThreadOverview", "Timeline", "TimelineEvent",
    "WorkflowReport", "add_sources", "argument_graph", "behaviour_frame", "behaviour_index", "camps",
    "claims_frame", "contested_claims", "corpus_timeline", "decisions_frame", "events_frame", "explain",
    "interaction_matrix", "list_thread_ids", "load_debate", "open_store", "people_frames", "person_names",
    "position_matrix", "sample_store", "stance_chart", "stance_over_time", "thread_timeline", "threads",
    "timeline_chart",
]


def open_store(path: str | Path) -> Store:
    """An existing or new store (created, with its schema, when ``path`` does not exist)."""
    return Store.open(path)


def sample_store(path: str | Path | None = None, *, rebuild: bool = False) -> Store:
    """The store of the bundled synthetic corpus (``corpus/``), built on first use and
    analysed with the default reading, as ``analyzer analyze`` and :func:`add_sources`."""
    target = Path(path) if path else SAMPLE_DB
    if rebuild or not target.exists():
        build_sample_store(target)
    return Store.open(target)


def add_sources(
    store: Store,
    *sources: str,
    fmt: SourceFormat = "auto",
    lore_client: LoreClient | None = None,
    encoder: str | None = DEFAULT_READING,
) -> WorkflowReport:
    """Ingest mbox files, Maildirs, public-inbox archives or lore threads, then bring the
    threads and the analysis up to date (the CLI's main job). The analysis is the learned
    reading of ``encoder`` (``cascade``, the default as for ``analyzer analyze``;
    ``minilm`` or ``static`` as its ``--encoder``), stored under the same fingerprint the
    CLI gives it, so either finds the other's threads up to date; None or ``"rules"``
    reads with the cue rules alone (``analyze --method rules``)."""
    if encoder is not None and encoder != RULES and encoder not in READINGS:
        raise ConfigError(f"unknown encoder {encoder!r}: use one of {', '.join((*READINGS, RULES))} or None")
    options = WorkflowOptions(encoder=encoder)
    return update_store(store, [(source, fmt) for source in sources], options, lore_client=lore_client)


def threads(store: Store, *, list_id: str | None = None, since: str | None = None) -> list[ThreadOverview]:
    """One line per thread, oldest first; ``list_id`` and ``since`` (ISO date) narrow it."""
    return thread_overviews(store, list_id=list_id, since=since)


def load_debate(store: Store, thread_ids: Sequence[str] | None = None, *, min_confidence: float = 0.0) -> Debate:
    """The given threads (all when None) with messages, people and analysis; labels
    scored below ``min_confidence`` (0–1) are left out, as the dashboard's and the
    reports' cut-off does (``explain`` gives a label's score and signals)."""
    if not 0.0 <= min_confidence <= 1.0:
        raise ConfigError(f"min_confidence must be from 0 to 1, not {min_confidence}")
    return debate_above(_load_debate(store, thread_ids), min_confidence)[0]


def explain(label: Label) -> str:
    """A label's score and the signals that fired for it, in one line:
    ``0.94 · model position pin-previous-behaviour 0.94 · model stance for 0.89 · rule cue pin.keep-old``."""
    return why(label)


def argument_graph(debate: Debate, thread_ids: Sequence[str] | None = None) -> ArgumentGraph:
    """The argument graph of the given threads of ``debate`` (all when None); ask the view
    functions re-exported here (``camps``, ``position_matrix``…) for plain data."""
    return build_graph(debate, thread_ids)


def person_names(debate: Debate) -> dict[str, str]:
    """person id -> display name, for labelling what the views return."""
    return debate.person_names()


def timeline_chart(debate: Debate, thread_id: str | None = None) -> alt.Chart:
    """The dashboard's timeline of one thread (with its messages), or of every thread of
    ``debate`` (decisions, positions, versions, merges), as an Altair chart."""
    timeline = thread_timeline(debate, thread_id) if thread_id else corpus_timeline(debate)
    return charts.thread_timeline_chart(events_frame(timeline, debate))


def stance_chart(graph: ArgumentGraph, debate: Debate) -> alt.Chart:
    """Each person's claims over time, one row per position, as an Altair chart."""
    return charts.stance_chart(people_frames(graph, person_names(debate)).stances)
