"""Thread: the digest (outcome, camps, contested claims, behaviours), the argument map
beside the message panel, the timeline and the message tree.

Each section is a function of :mod:`analyzer.dashboard.thread_sections`; add one by
adding a line below."""

import streamlit as st

from analyzer.dashboard import thread_sections as sections
from analyzer.dashboard import widgets
from analyzer.dashboard.postings import show_series_postings

db = widgets.database(widgets.config())
thread_id = widgets.scope_picker(db, allow_all=False)
if thread_id is None:
    st.stop()
context = sections.ThreadContext(db, thread_id, widgets.confidence_cutoff())

sections.header(context)
widgets.legend()
sections.confidence(context)
sections.digest(context)
sections.argument_map(context)
show_series_postings(db.path, db.rev, thread_id)
sections.timeline(context)
sections.messages(context)
