"""The Streamlit dashboard: pick a debate, see its outcome and camps, jump to the message.

``app.py`` at the top of the checkout only routes; each page is a script in
``analyzer/dashboard/pages`` (the Thread page lists its sections, which live in
:mod:`.thread_sections`). Everything a page shows comes through the loaders of
:mod:`analyzer.dashboard.loaders`, cached in one byte-bounded cache (:mod:`.cache`):
cross-thread views from the SQL of :mod:`.queries` (a page of rows at a time, never every
message), one thread's views from pure builders over its ``Debate`` — the digest
(:mod:`.digest`: outcome rule, camps, contested claims), the layered argument map
(:mod:`.argument_map`), charts (:mod:`.charts`), tables (:mod:`.frames`) and safe HTML
(:mod:`.markup`). Robots are recognised by :mod:`.senders`. Only the loaders,
:mod:`.widgets`, :mod:`.thread_sections` and the pages import Streamlit; :mod:`.intake`,
:mod:`.safety` and :mod:`.sample` are what Add data and the first run do, without it.
"""
