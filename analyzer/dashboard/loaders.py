"""Cached loaders: the only place the dashboard reads the store.

Every loader takes the database path and its ``revision`` (which changes whenever the
file is written), so new data is picked up on the next run without clearing anyone's
cache. Results live in one cache per server process bounded in bytes
(:mod:`analyzer.dashboard.cache`, ``ANALYZER_CACHE_MB``), shared by every session and
never mutated. Cross-thread views come from the SQL of :mod:`analyzer.dashboard.queries`
(a page of rows at a time, no message body loaded); only one thread's page loads that
thread's ``Debate`` and argument graph. No loader reads a widget: pages pass values in.

Each call opens its own connection: sqlite3 connections may not cross threads, and
Streamlit runs each session's script in a thread of its own.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import pandas as pd
import streamlit as st

from analyzer.dashboard import charts, frames, graph_drawing, markup, queries, timeline_drawing
from analyzer.dashboard.cache import ByteBoundedCache
from analyzer.dashboard.config import load_config
from analyzer.dashboard.digest import Digest
from analyzer.dashboard.digest import digest as make_digest
from analyzer.debate import Debate
from analyzer.evidence import HiddenLabels, debate_above
from analyzer.graph.build import ArgumentGraph, build_graph
from analyzer.store.db import Store
from analyzer.store.debate import load_debate
from analyzer.segment.records import Block
from analyzer.store.structure import load_segmentation, postings_in_thread
from analyzer.thread.records import SeriesVersion
from analyzer.timeline.build import corpus_timeline, thread_timeline

if TYPE_CHECKING:
    from analyzer.nlp.annotate import Annotator

T = TypeVar("T")


def revision(db: Path) -> str:
    """Changes whenever the database (or its write-ahead log) is written."""
    parts = []
    for path in (db, Path(f"{db}-wal")):
        try:
            stat = path.stat()
        except FileNotFoundError:
            parts.append("-")
            continue
        parts.append(f"{stat.st_mtime_ns}:{stat.st_size}")
    return "/".join(parts)


@contextmanager
def _opened(db: str) -> Iterator[Store]:
    store = Store.open(db)
    try:
        yield store
    finally:
        store.close()


def series_postings(db: str, rev: str, thread_id: str) -> list[SeriesVersion]:
    """The series postings with a message in the thread, each with all its patches."""

    def load() -> list[SeriesVersion]:
        with _opened(db) as store:
            return postings_in_thread(store, thread_id)

    return _memo("series_postings", db, rev, (thread_id,), load)


@st.cache_resource(show_spinner="Preparing the sample store from corpus/…")
def sample_store(db: str) -> str:
    """Once per server process: build the sample store, or bring it up to date with the
    analyser that is running now."""
    # Imported here, like the pipeline below: every page imports this module, and only the
    # sample database and the Add data page need them.
    from analyzer.dashboard.intake import shared_reading
    from analyzer.dashboard.sample import SAMPLE_READING, ensure_sample_store

    reading = shared_reading(annotator(), SAMPLE_READING)  # the reader Add data uses too
    return str(ensure_sample_store(Path(db), refresh=True, reading=reading))


@st.cache_resource(show_spinner="Loading the analysis pipeline…")
def annotator() -> Annotator:
    from analyzer.nlp.annotate import Annotator
    from analyzer.nlp.pipeline import PipelineSettings, build_pipeline

    return Annotator(build_pipeline(PipelineSettings()))


@st.cache_resource(show_spinner=False)
def _cache() -> ByteBoundedCache:
    """One per server process; its bound comes from ANALYZER_CACHE_MB."""
    return ByteBoundedCache(load_config(sys.argv[1:], os.environ).cache_bytes)


def _memo(name: str, db: str, rev: str, args: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
    return _cache().get_or_compute((name, db, rev, *args), compute)


def _query(db: str, run: Callable[[sqlite3.Connection], T]) -> T:
    with _opened(db) as store:
        return run(store.connection)


# -- cross-thread (SQL) ----------------------------------------------------------------


def bots(db: str, rev: str) -> tuple[str, ...]:
    """Person ids of the automated senders."""
    return _memo("bots", db, rev, (), lambda: tuple(sorted(_query(db, queries.automated_people))))


def threads(db: str, rev: str, query: queries.ThreadQuery, order: queries.ThreadOrder, limit: int,
            offset: int) -> queries.Page:
    return _memo("threads", db, rev, (query, order, limit, offset), lambda: _query(
        db, lambda c: queries.threads(c, query, bots(db, rev), order=order, limit=limit, offset=offset)))


def unread(db: str, rev: str) -> tuple[dict[str, int], queries.Page]:
    """Rejections by reason, and the messages stored but not segmented or analysed."""
    return _memo("unread", db, rev, (), lambda: _query(db, queries.unread))


def facets(db: str, rev: str) -> dict[str, list[str]]:
    return _memo("facets", db, rev, (), lambda: _query(db, queries.facet_values))


def person_choices(db: str, rev: str) -> dict[str, str]:
    return _memo("person_choices", db, rev, (), lambda: _query(
        db, lambda c: queries.person_choices(c, bots(db, rev))))


def thread_labels(db: str, rev: str, thread_ids: tuple[str, ...]) -> dict[str, str]:
    return _memo("thread_labels", db, rev, (thread_ids,), lambda: _query(
        db, lambda c: queries.thread_labels(c, thread_ids)))


def recent_threads(db: str, rev: str) -> tuple[str, ...]:
    return _memo("recent", db, rev, (), lambda: tuple(_query(db, queries.recent_threads)))


def resolve_thread(db: str, rev: str, ref: str) -> str | None:
    return _memo("resolve", db, rev, (ref,), lambda: _query(db, lambda c: queries.resolve_thread(c, ref)))


def default_thread(db: str, rev: str) -> str | None:
    return _memo("default_thread", db, rev, (), lambda: _query(
        db, lambda c: queries.default_thread(c, bots(db, rev))))


def search(db: str, rev: str, text: str, scope: queries.Scope, limit: int, offset: int) -> queries.Page:
    return _memo("search", db, rev, (text, scope, limit, offset), lambda: _query(
        db, lambda c: queries.search(c, text, scope=scope, limit=limit, offset=offset)))


def decisions(db: str, rev: str, scope: queries.Scope, kinds: tuple[str, ...], limit: int, offset: int,
              behaviour: str | None = None, cutoff: float = 0.0) -> queries.Page:
    return _memo("decisions", db, rev, (scope, kinds, limit, offset, behaviour, cutoff), lambda: _query(
        db, lambda c: queries.decisions(c, scope, kinds=kinds, behaviour=behaviour, limit=limit, offset=offset,
                                        min_confidence=cutoff)))


def decisions_by_month(db: str, rev: str, scope: queries.Scope, kinds: tuple[str, ...],
                       cutoff: float = 0.0) -> pd.DataFrame:
    return _memo("decisions_by_month", db, rev, (scope, kinds, cutoff), lambda: _query(
        db, lambda c: queries.decisions_by_month(c, scope, kinds=kinds, min_confidence=cutoff)))


def decision_kinds(db: str, rev: str) -> list[str]:
    return _memo("decision_kinds", db, rev, (), lambda: _query(db, queries.decision_kinds))


def behaviours(db: str, rev: str, scope: queries.Scope, limit: int, offset: int, cutoff: float = 0.0) -> queries.Page:
    return _memo("behaviours", db, rev, (scope, limit, offset, cutoff), lambda: _query(
        db, lambda c: queries.behaviours(c, scope, bots(db, rev), limit=limit, offset=offset, min_confidence=cutoff)))


def behaviours_by_month(db: str, rev: str, scope: queries.Scope, chosen: tuple[str, ...],
                        cutoff: float = 0.0) -> pd.DataFrame:
    return _memo("behaviours_by_month", db, rev, (scope, chosen, cutoff), lambda: _query(
        db, lambda c: queries.behaviours_by_month(c, scope, chosen, min_confidence=cutoff)))


def behaviour_uses(db: str, rev: str, scope: queries.Scope, behaviour: str, limit: int, offset: int,
                   cutoff: float = 0.0) -> queries.Page:
    return _memo("behaviour_uses", db, rev, (scope, behaviour, limit, offset, cutoff), lambda: _query(
        db, lambda c: queries.behaviour_uses(c, scope, behaviour, limit=limit, offset=offset, min_confidence=cutoff)))


def people(db: str, rev: str, scope: queries.Scope, limit: int, offset: int, cutoff: float = 0.0) -> queries.Page:
    return _memo("people", db, rev, (scope, limit, offset, cutoff), lambda: _query(
        db, lambda c: queries.people(c, scope, bots(db, rev), limit=limit, offset=offset, min_confidence=cutoff)))


def position_matrix(db: str, rev: str, scope: queries.Scope, cutoff: float = 0.0) -> pd.DataFrame:
    return _memo("position_matrix", db, rev, (scope, cutoff), lambda: _query(
        db, lambda c: queries.position_matrix(c, scope, bots(db, rev), min_confidence=cutoff)))


def camps(db: str, rev: str, scope: queries.Scope, cutoff: float = 0.0) -> list[queries.CampRow]:
    return _memo("camps", db, rev, (scope, cutoff), lambda: _query(
        db, lambda c: queries.camps(c, scope, bots(db, rev), min_confidence=cutoff)))


def interactions(db: str, rev: str, scope: queries.Scope, cutoff: float = 0.0) -> pd.DataFrame:
    return _memo("interactions", db, rev, (scope, cutoff), lambda: _query(
        db, lambda c: queries.interactions(c, scope, bots(db, rev), min_confidence=cutoff)))


def stance_by_month(db: str, rev: str, scope: queries.Scope, cutoff: float = 0.0) -> pd.DataFrame:
    return _memo("stance_by_month", db, rev, (scope, cutoff), lambda: _query(
        db, lambda c: queries.stance_by_month(c, scope, bots(db, rev), min_confidence=cutoff)))


def automated_senders(db: str, rev: str, scope: queries.Scope) -> pd.DataFrame:
    return _memo("automated_senders", db, rev, (scope,), lambda: _query(
        db, lambda c: queries.automated_senders(c, bots(db, rev), scope)))


# -- one thread ------------------------------------------------------------------------


def debate(db: str, rev: str, thread_ids: tuple[str, ...] | None) -> Debate:
    def load() -> Debate:
        with _opened(db) as store:
            return load_debate(store, thread_ids)

    return _memo("debate", db, rev, (thread_ids,), load)


def shown(db: str, rev: str, thread_ids: tuple[str, ...] | None, cutoff: float = 0.0) -> tuple[Debate, HiddenLabels]:
    """The debate without its labels below ``cutoff``, and what that left out: a pass
    over the cached debate's analysis records (bodies are shared, never reloaded)."""
    full = debate(db, rev, thread_ids)
    return debate_above(full, cutoff) if cutoff > 0 else (full, _counted(db, rev, thread_ids))


def _counted(db: str, rev: str, thread_ids: tuple[str, ...] | None) -> HiddenLabels:
    return _memo("labels", db, rev, (thread_ids,), lambda: debate_above(debate(db, rev, thread_ids), 0.0)[1])


def argument_graph(db: str, rev: str, thread_ids: tuple[str, ...] | None, cutoff: float = 0.0) -> ArgumentGraph:
    return _memo("argument_graph", db, rev, (thread_ids, cutoff),
                 lambda: build_graph(shown(db, rev, thread_ids, cutoff)[0]))


def digest(db: str, rev: str, thread_id: str, cutoff: float = 0.0) -> Digest:
    excluded = frozenset(bots(db, rev))
    return _memo("digest", db, rev, (thread_id, cutoff), lambda: make_digest(
        shown(db, rev, (thread_id,), cutoff)[0], argument_graph(db, rev, (thread_id,), cutoff), thread_id,
        excluded=excluded))


def graph_elements(db: str, rev: str, thread_id: str, view: charts.GraphView,
                   expanded: tuple[str, ...] = (), cutoff: float = 0.0) -> charts.GraphElements:
    return _memo("graph_elements", db, rev, (thread_id, view, expanded, cutoff), lambda: charts.graph_elements(
        argument_graph(db, rev, (thread_id,), cutoff), shown(db, rev, (thread_id,), cutoff)[0], thread_id, view,
        expanded=expanded, excluded=frozenset(bots(db, rev))))


def graph_svg(db: str, rev: str, thread_id: str, view: charts.GraphView,
              expanded: tuple[str, ...] = (), cutoff: float = 0.0) -> str:
    """:func:`graph_elements` laid out by Graphviz (once per thread, view and expansion)."""
    def draw() -> str:
        graph = graph_elements(db, rev, thread_id, view, expanded, cutoff)
        return graph_drawing.graph_svg(graph.elements, notes=graph.notes)

    return _memo("graph_svg", db, rev, (thread_id, view, expanded, cutoff), draw)


def events(db: str, rev: str, thread_ids: tuple[str, ...] | None, cutoff: float = 0.0) -> pd.DataFrame:
    """One thread's timeline with its messages; several threads' decision timeline."""
    def build() -> pd.DataFrame:
        kept = shown(db, rev, thread_ids, cutoff)[0]
        if thread_ids is not None and len(thread_ids) == 1:
            return frames.events_frame(thread_timeline(kept, thread_ids[0]), kept)
        return frames.events_frame(corpus_timeline(kept), kept)

    return _memo("events", db, rev, (thread_ids, cutoff), build)


def timeline_html(db: str, rev: str, thread_id: str, cutoff: float = 0.0) -> str:
    """One thread's timeline drawn in HTML (:mod:`analyzer.dashboard.timeline_drawing`)."""
    return _memo("timeline_html", db, rev, (thread_id, cutoff),
                 lambda: timeline_drawing.timeline_html(events(db, rev, (thread_id,), cutoff)))


@dataclass(frozen=True, slots=True)
class MessageView:
    message_id: str
    depth: int
    label: str
    """Plain text for pickers: author and date."""
    html: str
    """The card with its labels' evidence folded (:func:`markup.evidence_html`)."""

    @property
    def open_html(self) -> str:
        """The card with its labels' evidence unfolded (the message panel)."""
        return self.html.replace(markup.EVIDENCE_FOLDED, markup.EVIDENCE_OPEN, 1)


def _segmentations(db: str, rev: str, thread_id: str) -> dict[str, tuple[Block, ...]]:
    """Each message's blocks, read once per thread whatever the cut-off."""
    def load() -> dict[str, tuple[Block, ...]]:
        blocks = {}
        with _opened(db) as store:
            for message_id in debate(db, rev, (thread_id,)).thread(thread_id).message_ids:
                segmentation = load_segmentation(store, message_id)
                blocks[message_id] = tuple(segmentation.blocks) if segmentation else ()
        return blocks

    return _memo("segmentations", db, rev, (thread_id,), load)


def thread_messages(db: str, rev: str, thread_id: str, cutoff: float = 0.0) -> list[MessageView]:
    """The thread's messages in tree order, each as safe HTML with quotes folded, the
    analysis above ``cutoff`` highlighted and its evidence listed."""
    def build() -> list[MessageView]:
        kept = shown(db, rev, (thread_id,), cutoff)[0]
        thread = kept.thread(thread_id)
        depths = {m.message_id: m.depth for m in thread.members}
        blocks = _segmentations(db, rev, thread_id)
        cards = []
        for message_id in thread.message_ids:
            info = kept.messages.get(message_id)
            if info is None:
                continue
            label = f"{info.author_name} — {(info.date or '')[:16].replace('T', ' ')}"
            cards.append(MessageView(message_id, depths[message_id], label,
                                     _card(kept, message_id, blocks.get(message_id, ()))))
        return cards

    return _memo("thread_messages", db, rev, (thread_id, cutoff), build)


def _card(shown: Debate, message_id: str, blocks: tuple[Block, ...]) -> str:
    info = shown.messages[message_id]
    analysis = shown.analyses.get(message_id)
    body = markup.body_html(info.body, blocks, markup.highlights(analysis))
    relation = analysis.relation.label if analysis and analysis.relation else None
    decisions = [d.kind for d in analysis.decisions] if analysis else []
    return markup.message_card(info, relation=relation, decisions=decisions, body=body,
                               evidence=markup.evidence_html(info.body, analysis))


def claims(db: str, rev: str, thread_ids: tuple[str, ...] | None, cutoff: float = 0.0) -> pd.DataFrame:
    return _memo("claims", db, rev, (thread_ids, cutoff),
                 lambda: frames.claims_frame(shown(db, rev, thread_ids, cutoff)[0]))


def exists(db: Path) -> bool:
    return db.is_file() and os.path.getsize(db) > 0
