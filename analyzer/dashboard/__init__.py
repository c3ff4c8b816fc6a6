"""The Streamlit dashboard: pick a debate, see the camps and the decisions, jump to the message.

``app.py`` at the top of the checkout only routes; each page is a script in
``analyzer/dashboard/pages``. Everything a page shows comes through the cached loaders of
:mod:`analyzer.dashboard.loaders`, which call pure builders (:mod:`.frames`,
:mod:`.charts`, :mod:`.markup`, :mod:`.events`) over the plain records of the store.
Only the loaders, :mod:`.intake` and the pages import Streamlit.
"""
