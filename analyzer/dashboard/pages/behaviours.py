"""Behaviours: which guest-visible behaviours were argued over, by whom, for which
positions, and what was decided in those threads."""

import streamlit as st

from analyzer.dashboard import charts, loaders, widgets

db = widgets.database(widgets.config())
threads = loaders.overview(db.path, db.rev)

st.title("Behaviours")
scope = widgets.thread_scope(threads, key="behaviours_scope")
table = loaders.behaviours(db.path, db.rev, scope)
if table.empty:
    st.info("No behaviour of the catalogue is named in these threads.")
    st.stop()

st.caption("Disputes: disagreeing or mixed replies made by, or answering, a message that names the behaviour.")
st.altair_chart(charts.behaviour_chart(table), width="stretch")
st.dataframe(table, hide_index=True)

behaviour = st.selectbox("Behaviour", list(table["behaviour"]), key="behaviours_pick")
uses = loaders.behaviour_uses(db.path, db.rev, scope, behaviour)
st.subheader("Where it was argued")
widgets.open_selected_message(uses, key="behaviour_uses",
                              column_config={"date": st.column_config.DatetimeColumn(format="YYYY-MM-DD")})

st.subheader("What was decided in those threads")
# The scope's decisions (one cached frame per scope), narrowed to the threads that name it.
decided = loaders.decisions(db.path, db.rev, scope)
decided = decided[decided["thread_id"].isin(set(uses["thread_id"]))] if len(uses) and not decided.empty else None
if decided is None or decided.empty:
    st.info("No decision recorded in these threads.")
else:
    widgets.open_selected_message(
        decided[["date", "kind", "actor", "thread", "evidence", "message_id", "thread_id"]], key="behaviour_decisions",
        column_config={"date": st.column_config.DatetimeColumn(format="YYYY-MM-DD")},
    )
