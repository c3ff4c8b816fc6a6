"""The Thread page's "Series postings" section: which patches make up each posting seen
in the thread (across threads too), and which later version re-sent each of them.

Self-contained so pages can place it where they like: ``posting_lines`` is pure (records
in, Markdown lines out); ``show_series_postings`` renders them from the cached loader.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from analyzer.dashboard.markup import markdown_text
from analyzer.thread.records import SeriesVersion


def posting_lines(postings: Sequence[SeriesVersion], thread_id: str) -> list[str]:
    """One Markdown list per posting: its version and state, then every patch with its
    counter, title, the thread it sits in when not this one, and what re-sent it."""
    lines: list[str] = []
    for posting in postings:
        state = f"superseded by {markdown_text(posting.superseded_by)}" if posting.superseded_by else "current"
        lines.append(f"- **v{posting.version}** {markdown_text(posting.subject)} — {len(posting.patches)} messages, {state}")
        for patch in posting.patches:
            counter = "·" if patch.number is None else f"{patch.number}/{patch.total}"
            elsewhere = f" (thread {markdown_text(patch.thread_id)})" if patch.thread_id != thread_id else ""
            resent = f" → re-sent as {markdown_text(patch.superseded_by)}" if patch.superseded_by else ""
            lines.append(f"    - {counter} {markdown_text(patch.title)}{elsewhere}{resent}")
    return lines


def show_series_postings(db_path: str, rev: str, thread_id: str) -> None:
    """The section, or nothing when no posting has a message in the thread."""
    from analyzer.dashboard import loaders  # the store is read through the cached loaders only

    postings = loaders.series_postings(db_path, rev, thread_id)
    if not postings:
        return
    with st.expander(f"Series postings ({len(postings)})", expanded=False):
        st.markdown("\n".join(posting_lines(postings, thread_id)))
