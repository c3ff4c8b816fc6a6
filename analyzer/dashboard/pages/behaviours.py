"""Behaviours: which guest-visible behaviours were argued over, month by month, by how
many people, where, and what was decided in those threads."""

import streamlit as st

from analyzer.dashboard import charts, loaders, widgets

PAGE_SIZE = 25
DATE = {"date": st.column_config.DatetimeColumn(format="YYYY-MM-DD"),
        "last": st.column_config.DatetimeColumn(format="YYYY-MM-DD")}

db = widgets.database(widgets.config())
st.title("Behaviours")
scope = widgets.as_scope(widgets.scope_picker(db))
cutoff = widgets.confidence_cutoff()
first = loaders.behaviours(db.path, db.rev, scope, PAGE_SIZE, 0, cutoff)
if first.total == 0:
    st.info("No behaviour of the catalogue is named in these threads.")
    st.stop()

st.caption("Disputes: disagreeing or mixed replies made by, or answering, a message that names the behaviour.")
top = tuple(first.rows["behaviour"].head(10))
st.subheader("The 10 most disputed, month by month")
st.altair_chart(charts.monthly_chart(loaders.behaviours_by_month(db.path, db.rev, scope, top, cutoff), category="behaviour",
                                     value="messages", title="behaviour"), width="stretch")
offset = widgets.pager(first.total, PAGE_SIZE, key="behaviours_page", noun="behaviours")
table = first if offset == 0 else loaders.behaviours(db.path, db.rev, scope, PAGE_SIZE, offset, cutoff)
st.dataframe(table.rows, hide_index=True, column_config=DATE)

behaviour = st.selectbox("Behaviour", list(table.rows["behaviour"]), key="behaviours_pick")
st.subheader("Where it was argued")
uses_first = loaders.behaviour_uses(db.path, db.rev, scope, behaviour, PAGE_SIZE, 0, cutoff)
uses_offset = widgets.pager(uses_first.total, PAGE_SIZE, key="behaviour_uses_page", noun="messages")
uses = uses_first if uses_offset == 0 else loaders.behaviour_uses(db.path, db.rev, scope, behaviour, PAGE_SIZE,
                                                                  uses_offset, cutoff)
widgets.open_selected_message(uses.rows, key="behaviour_uses", column_config=DATE)

st.subheader("What was decided in those threads")
decided = loaders.decisions(db.path, db.rev, scope, (), PAGE_SIZE, 0, behaviour, cutoff)
if decided.total == 0:
    st.info("No decision recorded in these threads.")
else:
    st.caption(f"The {min(PAGE_SIZE, decided.total)} latest of {decided.total} decisions.")
    widgets.open_selected_message(decided.rows, key="behaviour_decisions", column_config=DATE)
