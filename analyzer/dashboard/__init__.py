"""The Streamlit dashboard: pick a debate, see the camps and the decisions, jump to the message.

``app.py`` at the top of the checkout only routes; each page is a script in
``analyzer/dashboard/pages``. Everything a page shows comes through the cached loaders of
:mod:`analyzer.dashboard.loaders`, which call pure builders (:mod:`.frames`,
:mod:`.charts`, :mod:`.markup`) over the plain records of the store, the argument graph
views (``analyzer.graph.views``) and the timelines (``analyzer.timeline``). Only the
loaders, :mod:`.widgets` and the pages import Streamlit; :mod:`.intake`, :mod:`.safety`
and :mod:`.sample` are what Add data and the first run do, without it.
"""
