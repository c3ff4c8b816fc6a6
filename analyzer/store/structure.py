"""Thread structure in the store: threads, members, series versions, people, segments.

Owned by the thread-structure work; SCHEMA is migration 2 of analyzer/store/schema.py.
"""

from __future__ import annotations

SCHEMA = """
CREATE TABLE IF NOT EXISTS structure_placeholder (id INTEGER PRIMARY KEY);
"""
