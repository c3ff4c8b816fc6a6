"""Errors the analyser raises on purpose. The CLI turns each into a one-line message.

    AnalyzerError
    ├── SourceError        a source cannot be recognised, opened or read at all
    │   └── FetchError     a remote (lore) thread cannot be downloaded
    ├── StoreError         the database cannot be opened or is from a newer version
    └── ConfigError        a catalogue, taxonomy or option file is invalid
"""

from __future__ import annotations


class AnalyzerError(Exception):
    """Root of every error the analyser raises on purpose."""


class SourceError(AnalyzerError):
    pass


class FetchError(SourceError):
    pass


class StoreError(AnalyzerError):
    pass


class ConfigError(AnalyzerError):
    pass
