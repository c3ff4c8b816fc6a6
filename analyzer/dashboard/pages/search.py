"""Search: messages matching kernel identifiers by any of their parts (SUPPRESS_EOI,
KVM_CAP_*, EOI_BROADCAST inside KVM_X2APIC_API_DISABLE_SUPPRESS_EOI_BROADCAST),
phrases and boolean queries, with the true number of hits, a page at a time; selecting a
hit opens its message."""

import streamlit as st

from analyzer.dashboard import loaders, widgets
from analyzer.dashboard.markup import markdown_text

PAGE_SIZE = 25

db = widgets.database(widgets.config())
st.title("Search")
scope = widgets.as_scope(widgets.scope_picker(db))
if "q" in st.query_params and "search_query" not in st.session_state:
    st.session_state["search_query"] = st.query_params["q"]
text = st.text_input("Search messages", placeholder='SUPPRESS_EOI  KVM_CAP_*  "bug for bug" OR quirk',
                     key="search_query",
                     help="Every word is a prefix of a word or of an identifier's part: GICD_IIDR finds GICD_IIDR_REV, "
                          "EOI_BROADCAST finds SUPPRESS_EOI_BROADCAST, num_LPIs finds GICD_TYPER.num_LPIs; "
                          "KVM_CAP_* finds every capability. \"Quoted phrases\", AND, OR, NOT and parentheses work.")
st.query_params["q"] = text
if not text.strip():
    st.stop()
first = loaders.search(db.path, db.rev, text, scope, PAGE_SIZE, 0)
st.subheader(f"{first.total} messages match")
if first.total == 0:
    st.info(markdown_text(f"Nothing matches {text}."))
    st.stop()
offset = widgets.pager(first.total, PAGE_SIZE, key=f"search_page_{text}", noun="hits")
page = first if offset == 0 else loaders.search(db.path, db.rev, text, scope, PAGE_SIZE, offset)
widgets.open_selected_message(
    page.rows, key="search_hits", caption="Select a hit to read the message in its thread. «…» marks the match.",
    column_config={"date": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
                   "snippet": st.column_config.TextColumn(width="large")},
)
