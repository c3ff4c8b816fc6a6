"""Overview: every thread, narrowed by list, dates, participant, position, behaviour and
decision, or by a full-text search; a click on a thread opens it."""

import streamlit as st

from analyzer.dashboard import loaders, widgets
from analyzer.dashboard.frames import ThreadFilter, filter_threads
from analyzer.dashboard.markup import markdown_text

db = widgets.database(widgets.config())
threads = loaders.overview(db.path, db.rev)

st.title("Debates")
st.caption(f"{len(threads)} threads in {markdown_text(db.path)}")


def choices(column: str) -> list[str]:
    return sorted({value for values in threads[column] for value in values})


with st.sidebar:
    st.header("Filters")
    query = st.text_input("Full-text search", placeholder='"bug for bug" OR quirk*', key="overview_query")
    list_id = st.selectbox("List", ["All lists", *loaders.lists(db.path, db.rev)], key="overview_list")
    firsts, lasts = threads["first"].dropna(), threads["last"].dropna()
    period = st.date_input(
        "Active between", value=[firsts.min().date(), lasts.max().date()] if len(firsts) else [],
        key="overview_dates",
    )
    participants = st.multiselect("Participant", choices("participants"), key="overview_people")
    positions = st.multiselect("Position argued", choices("positions"), key="overview_positions")
    behaviours = st.multiselect("Behaviour discussed", choices("behaviours"), key="overview_behaviours")
    decisions = st.multiselect("Decision taken", choices("decisions"), key="overview_decisions")

hits = loaders.search(db.path, db.rev, query) if query.strip() else None
bounds = list(period) if isinstance(period, (tuple, list)) else [period]
shown = filter_threads(threads, ThreadFilter(
    list_id=None if list_id == "All lists" else list_id,
    since=bounds[0] if len(bounds) > 0 else None,
    until=bounds[1] if len(bounds) > 1 else None,
    participants=tuple(participants), positions=tuple(positions),
    behaviours=tuple(behaviours), decisions=tuple(decisions),
    thread_ids=frozenset(hits["thread_id"].dropna()) if hits is not None else None,
))

st.subheader(f"{len(shown)} of {len(threads)} threads")
widgets.open_selected_message(
    shown,
    key="overview_table",
    caption="Select a row to open the thread.",
    column_config={
        "first": st.column_config.DatetimeColumn("first", format="YYYY-MM-DD"),
        "last": st.column_config.DatetimeColumn("last", format="YYYY-MM-DD"),
        "disputes": st.column_config.NumberColumn("disputes", help="replies that disagree or are mixed"),
    },
)

if hits is not None:
    st.subheader(f"{len(hits)} messages match the search")
    st.dataframe(hits, hide_index=True, column_config={"date": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")})
