"""Cached loaders: the only place the dashboard reads the store.

Every loader takes the database path and its ``revision`` (which changes whenever the
file is written), so new data is picked up on the next run without clearing anyone's
cache. ``st.cache_data`` holds frames and other small picklable values;
``st.cache_resource`` holds the read models (a ``Debate``, an ``ArgumentGraph``: shared,
never mutated) and the NLP pipeline. No loader reads a widget: pages pass values in.

Each call opens its own connection: sqlite3 connections may not cross threads, and
Streamlit runs each session's script in a thread of its own.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from analyzer.dashboard import charts, frames, markup
from analyzer.debate import Debate
from analyzer.graph.build import ArgumentGraph, build_graph
from analyzer.graph.views import behaviour_index
from analyzer.store.analysis import load_analyses
from analyzer.store.db import Store
from analyzer.store.debate import load_debate
from analyzer.store.structure import (
    known_lists,
    load_segmentation,
    load_threads,
    postings_in_thread,
    thread_id_of,
    thread_overviews,
)
from analyzer.thread.records import SeriesVersion
from analyzer.timeline.build import corpus_timeline, thread_timeline

if TYPE_CHECKING:
    from analyzer.nlp.annotate import Annotator


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


@st.cache_data(show_spinner=False)
def series_postings(db: str, rev: str, thread_id: str) -> list[SeriesVersion]:
    """The series postings with a message in the thread, each with all its patches."""
    with _opened(db) as store:
        return postings_in_thread(store, thread_id)


@st.cache_resource(show_spinner="Preparing the sample store from corpus/…")
def sample_store(db: str) -> str:
    """Once per server process: build the sample store, or bring it up to date with the
    analyser that is running now."""
    # Imported here, like the pipeline below: every page imports this module, and only the
    # sample database and the Add data page need them.
    from analyzer.dashboard.sample import ensure_sample_store

    return str(ensure_sample_store(Path(db), refresh=True))


@st.cache_resource(show_spinner="Loading the analysis pipeline…")
def annotator() -> Annotator:
    from analyzer.nlp.annotate import Annotator
    from analyzer.nlp.pipeline import PipelineSettings, build_pipeline

    return Annotator(build_pipeline(PipelineSettings()))


@st.cache_data(max_entries=8, show_spinner=False)
def overview(db: str, rev: str) -> pd.DataFrame:
    with _opened(db) as store:
        return frames.overview_frame(thread_overviews(store), load_threads(store), load_analyses(store))


@st.cache_data(max_entries=8, show_spinner=False)
def lists(db: str, rev: str) -> list[str]:
    with _opened(db) as store:
        return known_lists(store)


@st.cache_data(max_entries=64, show_spinner=False)
def search(db: str, rev: str, query: str) -> pd.DataFrame:
    """Full-text hits with the thread each belongs to."""
    with _opened(db) as store:
        rows = [
            {"thread_id": thread_id_of(store, m.message_id), "message_id": m.message_id, "subject": m.subject,
             "author": m.author_name, "date": frames._when(m.date)}
            for m in store.search(query, limit=200)
        ]
    return pd.DataFrame(rows, columns=["thread_id", "message_id", "subject", "author", "date"])


@st.cache_resource(max_entries=16, show_spinner=False)
def debate(db: str, rev: str, thread_ids: tuple[str, ...] | None) -> Debate:
    with _opened(db) as store:
        return load_debate(store, thread_ids)


@st.cache_resource(max_entries=16, show_spinner=False)
def argument_graph(db: str, rev: str, thread_ids: tuple[str, ...] | None) -> ArgumentGraph:
    return build_graph(debate(db, rev, thread_ids))


@st.cache_data(max_entries=32, show_spinner=False)
def graph_elements(db: str, rev: str, thread_id: str, view: charts.GraphView) -> charts.GraphElements:
    return charts.graph_elements(argument_graph(db, rev, (thread_id,)), debate(db, rev, (thread_id,)), thread_id, view)


@st.cache_data(max_entries=32, show_spinner=False)
def events(db: str, rev: str, thread_ids: tuple[str, ...] | None) -> pd.DataFrame:
    """One thread's timeline with its messages; several threads' decision timeline."""
    shown = debate(db, rev, thread_ids)
    if thread_ids is not None and len(thread_ids) == 1:
        return frames.events_frame(thread_timeline(shown, thread_ids[0]), shown)
    return frames.events_frame(corpus_timeline(shown), shown)


@dataclass(frozen=True, slots=True)
class MessageView:
    message_id: str
    depth: int
    label: str
    """Plain text for pickers: author and date."""
    html: str


@st.cache_data(max_entries=16, show_spinner=False)
def thread_messages(db: str, rev: str, thread_id: str) -> list[MessageView]:
    """The thread's messages in tree order, each as safe HTML with quotes folded and the
    analysis highlighted."""
    shown = debate(db, rev, (thread_id,))
    thread = shown.thread(thread_id)
    depths = {m.message_id: m.depth for m in thread.members}
    cards = []
    with _opened(db) as store:
        for message_id in thread.message_ids:
            info = shown.messages.get(message_id)
            if info is None:
                continue
            label = f"{info.author_name} — {(info.date or '')[:16].replace('T', ' ')}"
            cards.append(MessageView(message_id, depths[message_id], label, _card(store, shown, message_id)))
    return cards


def _card(store: Store, shown: Debate, message_id: str) -> str:
    info = shown.messages[message_id]
    analysis = shown.analyses.get(message_id)
    segmentation = load_segmentation(store, message_id)
    body = markup.body_html(info.body, segmentation.blocks if segmentation else (), markup.highlights(analysis))
    relation = analysis.relation.label if analysis and analysis.relation else None
    decisions = [d.kind for d in analysis.decisions] if analysis else []
    return markup.message_card(info, relation=relation, decisions=decisions, body=body)


@st.cache_data(max_entries=16, show_spinner=False)
def claims(db: str, rev: str, thread_ids: tuple[str, ...] | None) -> pd.DataFrame:
    return frames.claims_frame(debate(db, rev, thread_ids))


@st.cache_data(max_entries=16, show_spinner=False)
def decisions(db: str, rev: str, thread_ids: tuple[str, ...] | None) -> pd.DataFrame:
    return frames.decisions_frame(debate(db, rev, thread_ids))


def exists(db: Path) -> bool:
    return db.is_file() and os.path.getsize(db) > 0


@st.cache_data(max_entries=16, show_spinner=False)
def people_frames(db: str, rev: str, thread_ids: tuple[str, ...] | None) -> frames.PeopleFrames:
    ag = argument_graph(db, rev, thread_ids)
    return frames.people_frames(ag, debate(db, rev, thread_ids).person_names())


@st.cache_resource(max_entries=16, show_spinner=False)
def _behaviour_index(db: str, rev: str, thread_ids: tuple[str, ...] | None) -> Mapping[str, Sequence[Any]]:
    """Built once per scope, for the table and for every behaviour picked from it."""
    return behaviour_index(argument_graph(db, rev, thread_ids))


@st.cache_data(max_entries=16, show_spinner=False)
def behaviours(db: str, rev: str, thread_ids: tuple[str, ...] | None) -> pd.DataFrame:
    return frames.behaviour_frame(_behaviour_index(db, rev, thread_ids), debate(db, rev, thread_ids))


@st.cache_data(max_entries=64, show_spinner=False)
def behaviour_uses(db: str, rev: str, thread_ids: tuple[str, ...] | None, behaviour: str) -> pd.DataFrame:
    uses = _behaviour_index(db, rev, thread_ids).get(behaviour, [])
    return frames.uses_frame(uses, debate(db, rev, thread_ids))
