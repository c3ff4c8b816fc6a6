"""Thread: the argument graph (click a node to read its message), the timeline, and the
message tree with quotes folded and claims, mentions and decisions highlighted."""

from typing import cast

import streamlit as st
from st_cytoscape import cytoscape

from analyzer.dashboard import charts, loaders, widgets
from analyzer.dashboard.markup import indented, markdown_text
from analyzer.dashboard.postings import show_series_postings

PAGE_SIZE = 50

db = widgets.database(widgets.config())
threads = loaders.overview(db.path, db.rev)

st.title("Thread")
thread_id = widgets.thread_picker(threads)
if thread_id is None:
    st.stop()
row = threads[threads["thread_id"] == thread_id].iloc[0]
cards = loaders.thread_messages(db.path, db.rev, thread_id)
claims = loaders.claims(db.path, db.rev, (thread_id,))

st.caption(markdown_text(f"{', '.join(row['participants'])} · {', '.join(row['lists'])}"))
counts = st.columns(4)
counts[0].metric("Messages", len(cards))
counts[1].metric("Claims", len(claims))
counts[2].metric("Disagreeing or mixed replies", int(row["disputes"]))
counts[3].metric("Decisions", len(row["decisions"]))

view = st.segmented_control(
    "Graph", ["replies", "arguments"], default="replies", key="thread_graph_view",
    format_func={"replies": "Who answered whom", "arguments": "Claims and positions"}.__getitem__,
) or "replies"
graph = loaders.graph_elements(db.path, db.rev, thread_id, cast(charts.GraphView, view))
left, right = st.columns([3, 2])
with left:
    selection = cytoscape(graph.elements, graph.stylesheet, layout=graph.layout, height="520px",
                          selection_type="single", min_zoom=0.1, max_zoom=2.5, key=f"graph-{view}-{thread_id}")
    st.caption(f"{graph.node_count} nodes. Click a node to read its message.")

labels = {card.message_id: card.label for card in cards}
clicked = charts.selected_message(graph, selection)
if clicked and clicked != st.session_state.get("graph_clicked"):
    st.session_state["graph_clicked"] = clicked
    st.session_state[widgets.MESSAGE_KEY] = clicked
if st.session_state.get(widgets.MESSAGE_KEY) not in labels:
    linked = st.query_params.get("message")
    st.session_state[widgets.MESSAGE_KEY] = linked if linked in labels else next(iter(labels))
with right:
    message_id = st.selectbox("Message", list(labels), key=widgets.MESSAGE_KEY, format_func=labels.__getitem__)
    st.query_params["message"] = message_id
    st.html(next(card.html for card in cards if card.message_id == message_id))

show_series_postings(db.path, db.rev, thread_id)

st.subheader("Timeline")
st.altair_chart(charts.thread_timeline_chart(loaders.events(db.path, db.rev, (thread_id,))), width="stretch")

st.subheader("Messages")
pages = max((len(cards) + PAGE_SIZE - 1) // PAGE_SIZE, 1)
page = st.number_input("Page", 1, pages, 1, key="thread_page") if pages > 1 else 1
chunk = cards[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
st.html("".join(indented(card.html, card.depth, card.message_id) for card in chunk))
