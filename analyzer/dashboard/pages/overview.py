"""Overview: the threads, a page at a time, narrowed by list, dates, participant,
position, behaviour, decision or a search; a click on a thread opens it. Claims, disputes,
decisions and outcomes count only the labels at or above the confidence cut-off."""

from typing import cast

import streamlit as st

from analyzer.dashboard import loaders, queries, widgets
from analyzer.dashboard.markup import markdown_text

PAGE_SIZE = 50
ORDERS = {"last": "Most recently active", "disputes": "Most disputed", "messages": "Most messages",
          "first": "Most recently started"}

db = widgets.database(widgets.config())
facets = loaders.facets(db.path, db.rev)
st.title("Debates")
# The list of every thread: the shared thread scope narrows the other pages, not this one.

with st.sidebar:
    st.header("Filters")
    text = st.text_input("Search", placeholder='SUPPRESS_EOI  KVM_CAP_*  "bug for bug" OR quirk', key="overview_query")
    list_id = st.selectbox("List", ["All lists", *facets["lists"]], key="overview_list")
    period = st.date_input("Active between", value=[], key="overview_dates")
    people = loaders.person_choices(db.path, db.rev)
    participants = st.multiselect("Participant", list(people), format_func=people.__getitem__, key="overview_people")
    positions = st.multiselect("Position argued", facets["positions"], key="overview_positions")
    behaviours = st.multiselect("Behaviour discussed", facets["behaviours"], key="overview_behaviours")
    decisions = st.multiselect("Decision taken", facets["decisions"], key="overview_decisions")
cutoff = widgets.confidence_cutoff()

bounds = list(period) if isinstance(period, (tuple, list)) else [period]
query = queries.ThreadQuery(
    list_id=None if list_id == "All lists" else list_id,
    since=bounds[0] if len(bounds) > 0 else None, until=bounds[1] if len(bounds) > 1 else None,
    people=tuple(participants), positions=tuple(positions), behaviours=tuple(behaviours),
    decisions=tuple(decisions), text=text, min_confidence=cutoff,
)
order = cast(queries.ThreadOrder, st.segmented_control("Order", list(ORDERS), default="last",
                                                        format_func=ORDERS.__getitem__, key="overview_order") or "last")
first = loaders.threads(db.path, db.rev, query, order, PAGE_SIZE, 0)
st.subheader(f"{first.total} threads")
rejected, failed = loaders.unread(db.path, db.rev)
if failed.total:
    st.warning(
        f"{failed.total} stored messages could not be segmented or analysed; their threads are shown without "
        "them. Each is listed below and by `analyzer rejections`; a run after a fix reads them again, and "
        "`analyzer analyze --retry-failed` tries them again as they are (segmentation, then analysis)."
    )
    with st.expander(f"Not segmented or analysed ({failed.total})"):
        st.dataframe(failed.rows, hide_index=True)
        if failed.total > len(failed.rows):
            st.caption(f"The first {len(failed.rows)} of {failed.total}; `analyzer rejections --db …` lists all.")
if rejected:
    st.caption(markdown_text(
        f"{sum(rejected.values())} messages read were not stored (" + ", ".join(f"{k}: {v}" for k, v in sorted(rejected.items()))
        + "); `analyzer rejections` says why, one by one."))
st.caption(markdown_text(f"In {db.path}. Participants leave out automated senders (listed on the People page)."))
offset = widgets.pager(first.total, PAGE_SIZE, key="overview_page", noun="threads")
page = first if offset == 0 else loaders.threads(db.path, db.rev, query, order, PAGE_SIZE, offset)
widgets.open_selected_message(
    page.rows,
    key="overview_table",
    caption="Select a row to open the thread.",
    column_config={
        "first": st.column_config.DatetimeColumn("first", format="YYYY-MM-DD"),
        "last": st.column_config.DatetimeColumn("last", format="YYYY-MM-DD"),
        "disputes": st.column_config.NumberColumn("disputes", help="replies that disagree or are mixed"),
        "outcome": st.column_config.TextColumn("outcome", help="applied / NAKed / changes requested / withdrawn / "
                                               "open: the rule is on the Thread page"),
    },
)
if text.strip():
    st.page_link(widgets.search_page(), label="See every matching message on Search",
                 query_params={"q": text})
