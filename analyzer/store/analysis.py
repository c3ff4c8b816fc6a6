"""Analysis results in the store: claims, mentions, relations, decisions.

SCHEMA is migration 3 of analyzer/store/schema.py.
"""

from __future__ import annotations

SCHEMA = """
CREATE TABLE IF NOT EXISTS analysis_placeholder (id INTEGER PRIMARY KEY);
"""
