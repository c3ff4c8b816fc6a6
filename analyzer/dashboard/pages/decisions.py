"""Decisions: rulings, NAKs, acks, applies and withdrawals across the scope, month by
month, and a page at a time (newest first)."""

import streamlit as st

from analyzer.dashboard import charts, loaders, widgets

PAGE_SIZE = 50

db = widgets.database(widgets.config())
st.title("Decisions")
thread_id = widgets.scope_picker(db)
scope = widgets.as_scope(thread_id)
cutoff = widgets.confidence_cutoff()
kinds = tuple(st.multiselect("Kinds", loaders.decision_kinds(db.path, db.rev), key="decisions_kinds",
                             placeholder="All kinds"))
by_month = loaders.decisions_by_month(db.path, db.rev, scope, kinds, cutoff)
if by_month.empty:
    st.info("No decisions in these threads.")
    st.stop()
st.altair_chart(charts.decisions_chart(by_month), width="stretch")
widgets.legend()
first = loaders.decisions(db.path, db.rev, scope, kinds, PAGE_SIZE, 0, cutoff=cutoff)
offset = widgets.pager(first.total, PAGE_SIZE, key="decisions_page", noun="decisions")
page = first if offset == 0 else loaders.decisions(db.path, db.rev, scope, kinds, PAGE_SIZE, offset, cutoff=cutoff)
widgets.open_selected_message(
    page.rows[["date", "kind", "actor", "thread", "evidence", "message_id", "thread_id"]], key="decisions_table",
    column_config={"date": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")},
)
