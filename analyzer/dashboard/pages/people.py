"""People: who holds which position, the camps, who disagrees with whom, and how each
person's stance moved over time."""

import streamlit as st

from analyzer.dashboard import charts, loaders, widgets

db = widgets.database(widgets.config())
threads = loaders.overview(db.path, db.rev)

st.title("People")
scope = widgets.thread_scope(threads, key="people_scope")
people = loaders.people_frames(db.path, db.rev, scope)
if people.matrix.empty:
    st.info("No claims in these threads yet.")
    st.stop()

st.subheader("Participants × positions")
st.caption("Each cell: claims for / against the position.")
st.altair_chart(charts.position_matrix_chart(people.matrix), width="stretch")

st.subheader("Camps")
st.dataframe(people.camps, hide_index=True)

st.subheader("Who answered whom")
label = st.segmented_control("Replies that", ["disagree", "mixed", "agree"], default="disagree", key="people_label") or "disagree"
if people.interactions.empty or not (people.interactions[label] > 0).any():
    st.info(f"No replies labelled {label}.")
else:
    st.altair_chart(charts.interaction_chart(people.interactions, label), width="stretch")

st.subheader("Stance over time")
positions = sorted(people.stances["position"].unique())
chosen = st.multiselect("Positions", positions, default=positions[:4], key="people_positions")
stances = people.stances[people.stances["position"].isin(chosen)] if chosen else people.stances
st.altair_chart(charts.stance_chart(stances), width="stretch")
