"""Decisions: every ruling, NAK, ack, apply and withdrawal across threads, on one time axis."""

import streamlit as st

from analyzer.dashboard import charts, loaders, widgets

db = widgets.database(widgets.config())
threads = loaders.overview(db.path, db.rev)

st.title("Decisions")
scope = widgets.thread_scope(threads, key="decisions_scope")
decisions = loaders.decisions(db.path, db.rev, scope)
kinds = st.multiselect("Kinds", sorted(decisions["kind"].unique()), key="decisions_kinds", placeholder="All kinds")
if kinds:
    decisions = decisions[decisions["kind"].isin(kinds)]
if decisions.empty:
    st.info("No decisions in these threads.")
    st.stop()

st.altair_chart(charts.decisions_chart(decisions), width="stretch")
widgets.open_selected_message(
    decisions[["date", "kind", "actor", "thread", "evidence", "message_id", "thread_id"]], key="decisions_table",
    column_config={"date": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")},
)
