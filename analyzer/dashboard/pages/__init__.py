"""The dashboard's pages: scripts that ``app.py`` routes to with ``st.navigation``."""

from pathlib import Path

THREAD_PAGE = Path(__file__).with_name("thread.py")
SEARCH_PAGE = Path(__file__).with_name("search.py")
