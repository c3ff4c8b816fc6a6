"""Threads from lore.kernel.org or any public-inbox HTTP server, as ``t.mbox.gz``.

HTTP goes through a ``requests`` session passed in (tests hand in one pointed at a
loopback server); :func:`make_session` builds the default one: an on-disk cache
(requests-cache), retries with backoff on connection errors and 429/5xx (urllib3), and
a timeout on every request. Downloads stop at a size cap, and decompression at an
expansion cap, so a hostile server cannot exhaust memory. (liblore's ``LoreNode`` does
the same fetch but reads the whole body and decompresses it unbounded.)
"""

from __future__ import annotations

import io
import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from analyzer.errors import FetchError
from analyzer.ingest.mbox import ExpansionCap, guarded_split, open_maybe_compressed
from analyzer.records import Provenance, RawMail, Rejection

DEFAULT_BASE = "https://lore.kernel.org"
_MSGID_IN_URL = re.compile(r"^/(?:(?P<inbox>[^/]+)/)?(?P<msgid>[^/]+(?:@|%40)[^/]+)")


@dataclass(frozen=True, slots=True)
class ThreadRef:
    """A thread to fetch: its Message-ID and the URL of its ``t.mbox.gz``."""

    message_id: str
    url: str


def thread_ref(target: str, *, base: str = DEFAULT_BASE) -> ThreadRef:
    """Turn a lore URL, ``<msgid>`` or bare Message-ID into the thread mbox URL.

    A URL keeps its own host and inbox (``https://host/kvmarm/<id>/`` ->
    ``https://host/kvmarm/<id>/t.mbox.gz``); a bare Message-ID goes to ``<base>/all/``.
    """
    target = target.strip()
    if "://" in target:
        parts = urllib.parse.urlsplit(target)
        match = _MSGID_IN_URL.match(parts.path)
        if parts.scheme not in ("http", "https") or not parts.netloc or not match:
            raise FetchError(f"not a public-inbox message URL: {target!r} (expected https://host/<list>/<message-id>/)")
        message_id = urllib.parse.unquote(match.group("msgid"))
        inbox = match.group("inbox") or "all"
        origin = f"{parts.scheme}://{parts.netloc}"
    else:
        message_id = target.removeprefix("id:").strip("<>")
        if "@" not in message_id or any(c.isspace() for c in message_id):
            raise FetchError(f"not a Message-ID: {target!r} (expected something like 20260511.1234-1-name@example.org)")
        inbox, origin = "all", base.rstrip("/")
    quoted = urllib.parse.quote(message_id, safe="@+=-_.~!$&'()*,;:")
    return ThreadRef(message_id=message_id, url=f"{origin}/{inbox}/{quoted}/t.mbox.gz")


def make_session(
    *,
    cache_dir: Path | None,
    retries: int = 3,
    backoff: float = 0.5,
    cache_ttl: timedelta = timedelta(hours=1),
) -> requests.Session:
    """A session with retries and, unless ``cache_dir`` is None, an on-disk cache."""
    session: requests.Session
    if cache_dir is not None:
        import requests_cache

        cache_dir.mkdir(parents=True, exist_ok=True)
        session = requests_cache.CachedSession(
            str(cache_dir / "lore-http"), backend="sqlite", expire_after=cache_ttl, allowable_codes=(200,)
        )
    else:
        session = requests.Session()
    retry = Retry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        backoff_factor=backoff,
        status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=frozenset({"GET", "HEAD"}),
        respect_retry_after_header=True,
    )
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = "mlpa-analyzer/0.1 (+mailing-list policy-discussion analyser)"
    return session


@dataclass(frozen=True, slots=True)
class LoreClient:
    session: requests.Session
    timeout: tuple[float, float] = (10.0, 60.0)
    max_download: int = 64 * 1024 * 1024

    def download(self, ref: ThreadRef) -> bytes:
        """The compressed thread mbox; FetchError with what to do on any failure."""
        try:
            with self.session.get(ref.url, timeout=self.timeout, stream=True) as response:
                if response.status_code == 404:
                    raise FetchError(f"{ref.url}: not found (404); check the Message-ID and the archive base URL")
                if response.status_code != 200:
                    raise FetchError(f"{ref.url}: HTTP {response.status_code}; try again later or use --lore-base")
                declared = int(response.headers.get("Content-Length") or 0)
                if declared > self.max_download:
                    raise FetchError(f"{ref.url}: {declared} bytes is over the download cap ({self.max_download})")
                return self._read_capped(response, ref)
        except requests.RequestException as exc:
            raise FetchError(f"{ref.url}: {type(exc).__name__}: {exc}; check the network or --lore-base") from exc

    def _read_capped(self, response: requests.Response, ref: ThreadRef) -> bytes:
        buffer = bytearray()
        for chunk in response.iter_content(chunk_size=1 << 16, decode_unicode=False):
            buffer += chunk
            if len(buffer) > self.max_download:
                raise FetchError(f"{ref.url}: more than the download cap ({self.max_download} bytes)")
        return bytes(buffer)


def read_lore_thread(
    client: LoreClient,
    ref: ThreadRef,
    *,
    max_size: int,
    cap: ExpansionCap,
    list_hint: str | None = None,
) -> Iterator[RawMail | Rejection]:
    """Each message of the thread; a failed download is one ``fetch-failed`` Rejection."""
    try:
        payload = client.download(ref)
    except FetchError as exc:
        yield Rejection("fetch-failed", str(exc), Provenance(source=ref.url, locator="download"))
        return
    stream = open_maybe_compressed(io.BytesIO(payload), len(payload), cap)
    yield from guarded_split(stream, source=ref.url, max_size=max_size, variant="mboxrd", list_hint=list_hint)
