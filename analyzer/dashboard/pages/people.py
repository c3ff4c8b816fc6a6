"""People: who posted most, who holds which position, the camps, who disagrees with whom,
and how the positions were argued month by month. Automated senders are listed apart."""

import pandas as pd
import streamlit as st

from analyzer.dashboard import charts, heatmaps, loaders, widgets
from analyzer.dashboard.markup import markdown_text

PAGE_SIZE = 25

db = widgets.database(widgets.config())
st.title("People")
scope = widgets.as_scope(widgets.scope_picker(db))
cutoff = widgets.confidence_cutoff()
widgets.legend()

first = loaders.people(db.path, db.rev, scope, PAGE_SIZE, 0, cutoff)
st.subheader("Who took part")
offset = widgets.pager(first.total, PAGE_SIZE, key="people_page", noun="people")
st.dataframe((first if offset == 0 else loaders.people(db.path, db.rev, scope, PAGE_SIZE, offset, cutoff)).rows,
             hide_index=True)

matrix = loaders.position_matrix(db.path, db.rev, scope, cutoff)
if matrix.empty:
    st.info("No claims in these threads yet.")
    st.stop()
st.subheader("Participants × positions")
st.caption("The 25 people with most claims. Each cell: claims for / against the position; green when "
           "they argued mostly for it, red mostly against, pale when balanced.")
st.html(heatmaps.html(heatmaps.position_matrix_table(matrix), "matrix"))

st.subheader("Camps")
st.caption("Per position: who argued for it, against it, or both equally often (claims in brackets).")
camps = loaders.camps(db.path, db.rev, scope, cutoff)
# A plain table: every name stays readable (cells wrap) and it costs the browser nothing.
st.table(pd.DataFrame([{"position": c.position, "people": c.people, "for": ", ".join(c.supporters),
                        "against": ", ".join(c.opponents), "divided": ", ".join(c.divided)} for c in camps]),
         hide_index=True)

st.subheader("Who answered whom")
interactions = loaders.interactions(db.path, db.rev, scope, cutoff)
label = st.segmented_control("Replies that", ["disagree", "mixed", "agree"], default="disagree",
                             key="people_label") or "disagree"
if interactions.empty or not (interactions[label] > 0).any():
    st.info(f"No replies labelled {label}.")
else:
    st.caption(f"Among the 15 people who exchanged most labelled replies: how many replies of each row's "
               f"person to each column's person {label}; darker for more.")
    st.html(heatmaps.html(heatmaps.interaction_table(interactions, label), "answered"))

st.subheader("Positions argued, month by month")
st.altair_chart(charts.stance_month_chart(loaders.stance_by_month(db.path, db.rev, scope, cutoff)), width="stretch")

robots = loaders.automated_senders(db.path, db.rev, scope)
st.subheader("Automated senders")
if robots.empty:
    st.caption("No automated sender posted in these threads.")
else:
    st.caption(markdown_text(f"{len(robots)} automated senders (build bots, fuzzers, trackers) are left out of everything above."))
    st.dataframe(robots, hide_index=True, column_config={"last": st.column_config.DatetimeColumn(format="YYYY-MM-DD")})
