"""What Add data accepts, decided before anything is fetched or written.

The page is reachable by anyone who can reach the server, so it must never become a way
to make the server fetch an arbitrary URL or read a local file: typed text is only ever a
lore thread (on a configured archive host) or a Message-ID, and an upload is only ever an
mbox under the size cap. Each refusal says what was expected and how to allow more.
"""

from __future__ import annotations

from collections.abc import Sequence

import requests

from analyzer.dashboard.config import ArchiveHost
from analyzer.errors import AnalyzerError, FetchError
from analyzer.ingest.fetch_policy import FetchPolicy
from analyzer.ingest.lore import ThreadRef


class Refused(AnalyzerError):
    """Add data will not take this input; the message says why and what would work."""


def fetch_ref(text: str, hosts: Sequence[ArchiveHost]) -> ThreadRef:
    """The thread to download for a typed lore URL or Message-ID (the fetch policy of
    :mod:`analyzer.ingest.fetch_policy`, the CLI's too): a URL must be on a configured
    host; a bare Message-ID goes to the first one."""
    try:
        return FetchPolicy(tuple(hosts)).thread(text)
    except FetchError as exc:
        raise Refused(str(exc)) from exc


def check_upload(name: str, size: int, head: bytes, *, cap: int) -> None:
    """Refuse an upload over the cap, or one that does not start like an mbox."""
    if size > cap:
        raise Refused(
            f"{name} is {_mib(size)}, over the upload limit of {_mib(cap)}. "
            "Ingest large archives with `analyzer ingest` instead, or raise ANALYZER_MAX_UPLOAD_MB."
        )
    if size == 0:
        raise Refused(f"{name} is empty.")
    if not head.lstrip(b"\r\n").startswith(b"From "):
        raise Refused(f"{name} is not an mbox: an mbox starts with a 'From ' separator line.")


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MiB"


def guard_redirects(session: requests.Session, hosts: Sequence[ArchiveHost]) -> requests.Session:
    """Make ``session`` refuse to follow a redirect off the configured hosts."""
    return FetchPolicy(tuple(hosts)).guard(session)
