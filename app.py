"""The dashboard's entry point; it only routes.

    streamlit run app.py                   the bundled sample corpus
    streamlit run app.py -- --db PATH      a store built with `analyzer ingest`/`analyze`
"""

from pathlib import Path

import streamlit as st

from analyzer.dashboard import pages

PAGES = Path(pages.__file__).parent

st.set_page_config(page_title="mlpa: KVM policy debates", layout="wide")
navigation = st.navigation(
    {
        "Debates": [
            st.Page(PAGES / "overview.py", title="Overview", url_path="overview", default=True),
            st.Page(PAGES / "thread.py", title="Thread", url_path="thread"),
            st.Page(PAGES / "people.py", title="People", url_path="people"),
            st.Page(PAGES / "behaviours.py", title="Behaviours", url_path="behaviours"),
            st.Page(PAGES / "decisions.py", title="Decisions", url_path="decisions"),
        ],
        "Data": [st.Page(PAGES / "add_data.py", title="Add data", url_path="add-data")],
    }
)
navigation.run()
