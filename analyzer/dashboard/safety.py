"""What Add data accepts, decided before anything is fetched or written.

The page is reachable by anyone who can reach the server, so it must never become a way
to make the server fetch an arbitrary URL or read a local file: typed text is only ever a
lore thread (on a configured archive host) or a Message-ID, and an upload is only ever an
mbox under the size cap. Each refusal says what was expected and how to allow more.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Sequence
from typing import Any

import requests

from analyzer.dashboard.config import ArchiveHost
from analyzer.errors import AnalyzerError, FetchError
from analyzer.ingest.lore import ThreadRef, thread_ref


class Refused(AnalyzerError):
    """Add data will not take this input; the message says why and what would work."""


def _allowed(url: str, hosts: Sequence[ArchiveHost]) -> bool:
    parts = urllib.parse.urlsplit(url)
    return any(parts.scheme == h.scheme and parts.netloc.lower() == h.netloc for h in hosts)


def _host_list(hosts: Sequence[ArchiveHost]) -> str:
    return ", ".join(str(h) for h in hosts)


def fetch_ref(text: str, hosts: Sequence[ArchiveHost]) -> ThreadRef:
    """The thread to download for a typed lore URL or Message-ID.

    A URL must be on a configured host; a bare Message-ID goes to the first one."""
    target = text.strip()
    if not target:
        raise Refused("Give a lore thread URL or a Message-ID.")
    if not hosts:
        raise Refused("No archive host is configured; set ANALYZER_ALLOWED_HOSTS.")
    if "://" in target:
        parts = urllib.parse.urlsplit(target)
        if parts.username or parts.password:
            raise Refused("A URL with a user name or password is not accepted; give the public thread URL.")
        if not _allowed(target, hosts):
            shown = f"{parts.scheme}://{parts.netloc}" if parts.netloc else target[:80]
            raise Refused(
                f"{shown} is not a configured archive host (allowed: {_host_list(hosts)}). "
                "Ask the operator to add it to ANALYZER_ALLOWED_HOSTS."
            )
    elif "/" in target.strip("<>") or "\\" in target:
        raise Refused("That is neither a lore URL nor a Message-ID; local paths are not read from this page.")
    try:
        return thread_ref(target, base=hosts[0].base)
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
    """Make ``session`` refuse to follow a redirect off the configured hosts: an allowed
    archive must not be able to bounce the server to another address."""

    def refuse_foreign(response: requests.Response, *_: Any, **__: Any) -> requests.Response:
        if response.is_redirect:
            target = urllib.parse.urljoin(response.url, response.headers.get("location", ""))
            if not _allowed(target, hosts):
                raise FetchError(f"{response.url} redirects to {target}, which is not a configured archive host")
        return response

    session.hooks["response"].append(refuse_foreign)
    return session
