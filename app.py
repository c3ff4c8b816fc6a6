"""The dashboard's entry point; it only routes.

    streamlit run app.py                   the bundled sample corpus
    streamlit run app.py -- --db PATH      a store built with `analyzer ingest`/`analyze`

Every page reads the thread scope from the URL (``?scope=THREAD``) and writes it back, so
a link names what it shows and the scope follows the reader from page to page.
"""

from pathlib import Path

import streamlit as st

from analyzer.dashboard import pages

PAGES = Path(pages.__file__).parent

st.set_page_config(page_title="mlpa: KVM policy debates", layout="wide")
navigation = st.navigation(
    {
        "Debates": [
            st.Page(PAGES / "overview.py", title="Overview", url_path="debates", default=True),
            st.Page(PAGES / "thread.py", title="Thread", url_path="thread"),
            st.Page(PAGES / "people.py", title="People", url_path="people"),
            st.Page(PAGES / "behaviours.py", title="Behaviours", url_path="behaviours"),
            st.Page(PAGES / "decisions.py", title="Decisions", url_path="decisions"),
            st.Page(PAGES / "search.py", title="Search", url_path="search"),
            # The Overview is served at the root; /overview (what people type) shows it too.
            st.Page(PAGES / "overview.py", title="Overview", url_path="overview", visibility="hidden"),
        ],
        "Data": [st.Page(PAGES / "add_data.py", title="Add data", url_path="add-data")],
    }
)
navigation.run()
