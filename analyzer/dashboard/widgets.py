"""Pieces every page uses: the configuration, the database guard, the thread pickers, and
a progress bar the library's long jobs can report to."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from analyzer.dashboard import loaders
from analyzer.dashboard.config import DashboardConfig, load_config
from analyzer.dashboard.markup import markdown_text
from analyzer.errors import AnalyzerError

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


SCOPE_KEY = "scope"
"""Session state and query parameter: ``all`` or the thread every page is scoped to."""
ALL = "all"


def current_scope(db: Db) -> str:
    """The scope from the URL (``?scope=``, or the older ``?thread=``), else the session's;
    ``all`` when none is set or the URL names no known thread or message."""
    wanted = st.query_params.get(SCOPE_KEY) or st.query_params.get("thread") or st.session_state.get(SCOPE_KEY) or ALL
    if wanted != ALL:
        resolved = loaders.resolve_thread(db.path, db.rev, wanted)
        if resolved is None:
            st.warning(f"No thread or message {markdown_text(wanted)} in this store; showing every thread.")
        wanted = resolved or ALL
    return str(wanted)


def _set_scope(scope: str) -> None:
    if scope != st.session_state.get(SCOPE_KEY):
        st.session_state.pop(MESSAGE_KEY, None)
    st.session_state[SCOPE_KEY] = scope
    st.query_params[SCOPE_KEY] = scope
    if "thread" in st.query_params:
        del st.query_params["thread"]


def scope_picker(db: Db, *, allow_all: bool = True) -> str | None:
    """The thread scope, shared by every page and kept in the URL: ``None`` for every
    thread, else one thread id. Offers every thread of the recent ones, the current one and
    (on cross-thread pages) "All threads"; the Thread page falls back to the most recent
    active debate."""
    scope = current_scope(db)
    if scope == ALL and not allow_all:
        scope = loaders.default_thread(db.path, db.rev) or ALL
    recent = loaders.recent_threads(db.path, db.rev)
    options = ([ALL] if allow_all else []) + ([scope] if scope != ALL and scope not in recent else []) + list(recent)
    if not options or options == [ALL] and not allow_all:
        st.info("The store holds no threads yet: add data on the Add data page.")
        return None
    labels = loaders.thread_labels(db.path, db.rev, tuple(o for o in options if o != ALL)) | {ALL: "All threads"}
    index = options.index(scope) if scope in options else 0
    with st.sidebar:
        chosen = st.selectbox("Thread scope", options, index=index, format_func=lambda o: labels.get(o, o),
                              key=f"scope_picker_{scope}",
                              help="Shared by every page and kept in the URL (?scope=). The 200 most recently "
                                   "active threads are offered; open any other from the Overview or Search.")
    _set_scope(chosen)
    return None if chosen == ALL else str(chosen)


CUTOFF_KEY = "min_confidence"
"""Query parameter: the confidence below which the Thread page hides labels."""
CUTOFF_STEP = 0.05


def parse_cutoff(value: str | None) -> float | None:
    """A cut-off from the URL, rounded to the slider's step; None when it is not a
    number from 0 to 1."""
    try:
        number = float(value) if value is not None else 0.0
    except ValueError:
        return None
    if not 0.0 <= number <= 1.0:
        return None
    return round(round(number / CUTOFF_STEP) * CUTOFF_STEP, 2)


def confidence_cutoff(*, key: str = "confidence_cutoff") -> float:
    """The confidence below which labels are hidden, from a slider kept in the URL
    (``?min_confidence=0.6``). 0 shows every label the analysis gave: its own thresholds
    were chosen under cross-validation, so the reader raises the bar, never the page."""
    if key not in st.session_state:  # a new session (or a link) starts from the URL
        wanted = st.query_params.get(CUTOFF_KEY)
        start = parse_cutoff(wanted)
        if start is None:
            st.warning(f"?{CUTOFF_KEY}={markdown_text(str(wanted))} is not a number from 0 to 1; showing every label.")
            start = 0.0
        st.session_state[key] = start
    else:  # kept from page to page: Streamlit drops a widget's value with the page that drew it
        st.session_state[key] = st.session_state[key]
    with st.sidebar:
        chosen = st.slider(
            "Hide labels below confidence", 0.0, 1.0, step=CUTOFF_STEP, format="%.2f", key=key,
            help="Claims, positions, reply relations, decisions and behaviour mentions whose score is below this "
                 "are left out of every section of the page. Kept in the URL (?min_confidence=).",
        )
    cutoff = round(float(chosen), 2)
    if cutoff > 0:
        st.query_params[CUTOFF_KEY] = f"{cutoff:.2f}"
    elif CUTOFF_KEY in st.query_params:
        del st.query_params[CUTOFF_KEY]
    return cutoff


def as_scope(thread_id: str | None) -> tuple[str, ...] | None:
    return None if thread_id is None else (thread_id,)


def pager(total: int, page_size: int, *, key: str, noun: str = "rows") -> int:
    """A page number picker under a listing; returns the offset of the chosen page."""
    pages = max((total + page_size - 1) // page_size, 1)
    page = int(st.number_input(f"Page (of {pages})", 1, pages, 1, key=key)) if pages > 1 else 1
    offset = (page - 1) * page_size
    st.caption(f"{noun} {offset + 1 if total else 0}–{min(offset + page_size, total)} of {total}")
    return offset


def legend() -> None:
    """The one colour legend every page shares."""
    from analyzer.dashboard.charts import MEANING

    st.caption(f"Colours: {MEANING}")


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
        open_message(str(frame.iloc[rows[0]]["thread_id"]),
                     str(frame.iloc[rows[0]]["message_id"]) if "message_id" in frame else None)
        st.session_state[f"{key}_opened"] = opened + 1
        st.switch_page(THREAD_PAGE, query_params={SCOPE_KEY: st.session_state[SCOPE_KEY]})


def search_page() -> str:
    from analyzer.dashboard.pages import SEARCH_PAGE

    return str(SEARCH_PAGE)


def open_message(thread_id: str, message_id: str | None) -> None:
    """Scope every page to ``thread_id`` and show ``message_id`` in the Thread page's panel."""
    _set_scope(thread_id)
    if message_id:
        st.session_state[MESSAGE_KEY] = message_id
