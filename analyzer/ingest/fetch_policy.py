"""Where the analyser may fetch from: one policy for the CLI and the dashboard.

A thread is fetched only from a configured archive host (``lore.kernel.org`` unless
``ANALYZER_ALLOWED_HOSTS`` or ``--lore-base`` say otherwise), and a redirect is followed
only to a host on the same list: an allowed archive cannot bounce a download to another
address. Typed text is a thread URL or a Message-ID, nothing else: a URL with a user name,
a local path, or a host that only looks like an allowed one once Unicode is normalised
(a full-width slash, say) is refused with a message saying what would work.
"""

from __future__ import annotations

import unicodedata
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests

from analyzer.errors import ConfigError, FetchError
from analyzer.ingest.lore import ThreadRef, thread_ref

DEFAULT_HOSTS = "lore.kernel.org"
HOSTS_VARIABLE = "ANALYZER_ALLOWED_HOSTS"


class FetchRefused(FetchError):
    """The policy will not fetch this; the message says why and what would work."""


@dataclass(frozen=True, slots=True)
class ArchiveHost:
    """A public-inbox HTTP server threads may be fetched from."""

    scheme: str
    netloc: str

    @property
    def base(self) -> str:
        return f"{self.scheme}://{self.netloc}"

    def __str__(self) -> str:
        return self.netloc if self.scheme == "https" else self.base


def parse_hosts(text: str, *, setting: str = HOSTS_VARIABLE) -> tuple[ArchiveHost, ...]:
    """``lore.kernel.org`` means https; write the scheme to allow plain http (a loopback
    mirror). Paths, users and queries are refused: a host entry names a server, nothing more."""
    hosts = []
    for entry in (e.strip() for e in text.split(",")):
        if not entry:
            continue
        host = _host_of(entry if "://" in entry else f"https://{entry}")
        if host is None:
            raise ConfigError(f"{setting}: {entry!r} is not a host (write lore.kernel.org or http://127.0.0.1:8080)")
        hosts.append(host)
    if not hosts:
        raise ConfigError(f"{setting} names no host; leave it unset for lore.kernel.org")
    return tuple(hosts)


def _host_of(url: str) -> ArchiveHost | None:
    """The host of a bare server URL, or None when it is anything more or anything odd."""
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        return None
    if parts.path.strip("/") or parts.query or parts.fragment or not parts.netloc.isascii():
        return None
    return ArchiveHost(parts.scheme, parts.netloc.lower())


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    hosts: tuple[ArchiveHost, ...]

    @classmethod
    def from_environment(cls, environ: Mapping[str, str], *, also: str | None = None) -> FetchPolicy:
        """The hosts of ``ANALYZER_ALLOWED_HOSTS`` (default lore.kernel.org), plus ``also``
        (the CLI's ``--lore-base``, which the user named on purpose)."""
        hosts = parse_hosts(environ.get(HOSTS_VARIABLE) or DEFAULT_HOSTS)
        if also:
            hosts += tuple(h for h in parse_hosts(also, setting="--lore-base") if h not in hosts)
        return cls(hosts)

    def allows(self, url: str) -> bool:
        try:
            parts = urllib.parse.urlsplit(url)
        except ValueError:
            return False
        return any(parts.scheme == h.scheme and parts.netloc.lower() == h.netloc for h in self.hosts)

    def thread(self, text: str) -> ThreadRef:
        """The thread to download for a typed URL or Message-ID; a bare Message-ID goes to
        the first host. FetchRefused, before any request, for anything else."""
        target = text.strip()
        if not target:
            raise FetchRefused("Give a lore thread URL or a Message-ID.")
        if not self.hosts:
            raise FetchRefused(f"no archive host is configured; set {HOSTS_VARIABLE}")
        if "://" in target:
            self._check_url(target)
        elif "/" in target.strip("<>") or "\\" in target or _odd(target):
            raise FetchRefused(f"{_shown(target)} is neither a lore URL nor a Message-ID; local paths are not read here")
        return thread_ref(target, base=self.hosts[0].base)

    def _check_url(self, target: str) -> None:
        if _odd(target):
            raise FetchRefused(
                f"{_shown(target)}: the URL holds characters that change meaning once normalised (a full-width "
                "slash or dot, a control character); type it with plain ASCII / and ."
            )
        try:
            parts = urllib.parse.urlsplit(target)
            parts.port  # noqa: B018 - raises ValueError on a malformed port
        except ValueError as exc:
            raise FetchRefused(f"{_shown(target)} is not a valid URL ({exc})") from exc
        if parts.username or parts.password:
            raise FetchRefused("A URL with a user name or password is not accepted; give the public thread URL.")
        if not self.allows(target):
            shown = f"{parts.scheme}://{parts.netloc}" if parts.netloc else _shown(target)
            raise FetchRefused(
                f"{shown} is not a configured archive host (allowed: {', '.join(str(h) for h in self.hosts)}); "
                f"add it to {HOSTS_VARIABLE}"
            )

    def guard(self, session: requests.Session) -> requests.Session:
        """Make ``session`` refuse to follow a redirect off the allowed hosts."""

        def refuse_foreign(response: requests.Response, *_: Any, **__: Any) -> requests.Response:
            if response.is_redirect:
                target = urllib.parse.urljoin(response.url, response.headers.get("location", ""))
                if not self.allows(target) or _odd(target):
                    raise FetchRefused(f"{response.url} redirects to {_shown(target)}, which is not a configured archive host")
            return response

        session.hooks["response"].append(refuse_foreign)
        return session


def _odd(text: str) -> bool:
    """True when NFKC normalisation changes ``text`` (full-width ／ or ．, ligatures…) or it
    holds control characters: such a URL is not what it appears to be."""
    return unicodedata.normalize("NFKC", text) != text or any(unicodedata.category(c) == "Cc" for c in text)


def _shown(text: str) -> str:
    flat = text.encode("ascii", "backslashreplace").decode()
    return "'" + (flat if len(flat) <= 100 else flat[:99] + "…") + "'"

