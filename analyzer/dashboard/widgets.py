"""Pieces every page uses: the configuration, the database guard, the thread pickers, and
a progress bar the library's long jobs can report to."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from analyzer.dashboard import loaders
from analyzer.dashboard.config import DashboardConfig, load_config
from analyzer.dashboard.markup import markdown_text
from analyzer.errors import AnalyzerError

THREAD_KEY = "thread_id"
"""Session state and query parameter naming the thread the Thread page shows."""
MESSAGE_KEY = "message_id"


def config() -> DashboardConfig:
    try:
        return load_config(sys.argv[1:], os.environ)
    except AnalyzerError as exc:
        st.error(f"Configuration problem: {exc}")
        st.stop()
        raise


@dataclass(frozen=True, slots=True)
class Db:
    """The database a run reads, and its revision (the loaders' cache key)."""

    path: str
    rev: str


def database(cfg: DashboardConfig) -> Db:
    """The store to show, building the sample on first use; stops the page with a clear
    message when a named database does not exist."""
    if cfg.sample:
        try:
            loaders.sample_store(str(cfg.db_path))
        except AnalyzerError as exc:
            st.error(f"The sample store could not be built: {exc}")
            st.stop()
    elif not loaders.exists(cfg.db_path):
        st.warning(
            f"No database at {markdown_text(str(cfg.db_path))} yet. Build one with "
            "`analyzer ingest SOURCE --db PATH`, or add data on the Add data page."
        )
        st.stop()
    return Db(str(cfg.db_path), loaders.revision(Path(cfg.db_path)))


def subject_label(frame: pd.DataFrame) -> dict[str, str]:
    """thread id -> "subject (N messages, date)" for pickers (plain text, not markdown)."""
    return {
        row.thread_id: f"{row.subject} ({row.messages} msgs, {row.first:%Y-%m-%d})" if not pd.isna(row.first)
        else f"{row.subject} ({row.messages} msgs)"
        for row in frame.itertuples()
    }


def thread_picker(frame: pd.DataFrame) -> str | None:
    """One thread, remembered across pages and in the URL (``?thread=``)."""
    labels = subject_label(frame)
    options = list(labels)
    if not options:
        st.info("The store holds no threads yet: add data on the Add data page.")
        return None
    wanted = st.query_params.get("thread") or st.session_state.get(THREAD_KEY)
    index = options.index(wanted) if wanted in labels else 0
    chosen = st.selectbox("Thread", options, index=index, format_func=labels.__getitem__)
    if chosen != st.session_state.get(THREAD_KEY):
        st.session_state.pop(MESSAGE_KEY, None)
    st.session_state[THREAD_KEY] = chosen
    st.query_params["thread"] = chosen
    return chosen


def thread_scope(frame: pd.DataFrame, *, key: str) -> tuple[str, ...] | None:
    """Which threads a cross-thread page covers: all of them unless some are picked."""
    labels = subject_label(frame)
    picked: Sequence[str] = st.multiselect(
        "Threads", list(labels), format_func=labels.__getitem__, key=key, placeholder="All threads"
    )
    return tuple(picked) if picked else None


class StreamlitProgress:
    """The library's Progress protocol drawn as a Streamlit progress bar."""

    def __init__(self) -> None:
        self._bar = st.progress(0.0, text="Starting…")
        self._label = ""
        self._total: int | None = None
        self._done = 0

    def start(self, label: str, total: int | None) -> None:
        self._label, self._total, self._done = label, total, 0
        self._bar.progress(0.0, text=f"{markdown_text(label)}…")

    def advance(self, count: int) -> None:
        self._done += count
        fraction = min(self._done / self._total, 1.0) if self._total else 0.5
        shown = f"{self._done}/{self._total}" if self._total else str(self._done)
        self._bar.progress(fraction, text=f"{markdown_text(self._label)}: {shown}")

    def finish(self) -> None:
        self._bar.progress(1.0, text=f"{markdown_text(self._label)}: done")


def open_selected_message(
    frame: pd.DataFrame, *, key: str, caption: str = "Select a row to read the message in its thread.", **options: object
) -> None:
    """Show ``frame`` (with a ``thread_id`` column, and a ``message_id`` one to open a
    message rather than a whole thread, kept out of view) as a table; selecting a row opens
    it on the Thread page. The table gets a new key after each opening, so coming back to
    the page shows no stale selection (which would open the same row again at once)."""
    from analyzer.dashboard.pages import THREAD_PAGE

    opened = st.session_state.setdefault(f"{key}_opened", 0)
    shown = frame.drop(columns=["thread_id"])
    event = st.dataframe(shown, hide_index=True, on_select="rerun", selection_mode="single-row",
                         key=f"{key}_{opened}", **options)  # type: ignore[call-overload]
    rows = event.selection.rows if event else []
    st.caption(caption)
    if rows:
        st.session_state[THREAD_KEY] = frame.iloc[rows[0]]["thread_id"]
        if "message_id" in frame:
            st.session_state[MESSAGE_KEY] = frame.iloc[rows[0]]["message_id"]
        st.session_state[f"{key}_opened"] = opened + 1
        st.switch_page(THREAD_PAGE)
