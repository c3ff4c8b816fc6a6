"""Add data: a lore thread or an uploaded mbox, checked, stored, threaded and analysed.

No Streamlit here: the page hands in the input, the configuration, the cached annotator
and a progress sink, and shows the report or the refusal this returns or raises. The
learned reader of each encoder is built once per server process (:func:`shared_reading`)
and reads one thread at a time, whichever session asks.
"""

from __future__ import annotations

import hashlib
import io
import re
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from analyzer.analysis.inputs import ThreadInput
from analyzer.analysis.records import ThreadAnalysis
from analyzer.analysis.thread import ThreadReader
from analyzer.dashboard.config import DashboardConfig
from analyzer.dashboard.safety import Refused, check_upload, fetch_ref
from analyzer.ingest.fetch_policy import FetchPolicy
from analyzer.ingest.lore import LoreClient, make_session
from analyzer.ingest.pipeline import IngestOptions
from analyzer.nlp.annotate import Annotator
from analyzer.nlp.pipeline import PipelineSettings
from analyzer.progress import Progress
from analyzer.store.db import Store
from analyzer.workflow import WorkflowOptions, WorkflowReport, learned_fingerprint, learned_reading, update_store

ENCODERS = ("cascade", "minilm", "static")
"""The learned readings the analysis after an addition may use (``analyzer analyze
--encoder``); the first is the default, as there."""


def _options(encoder: str) -> WorkflowOptions:
    """One parser process (the dashboard must not fork workers from the server's threads)
    and the learned reading of ``encoder``."""
    if encoder not in ENCODERS:
        raise Refused(f"unknown encoder {encoder!r}: choose one of {', '.join(ENCODERS)}")
    return WorkflowOptions(ingest=IngestOptions(jobs=1), encoder=encoder)


_READING = threading.Lock()
"""Held while a shared reader reads a thread: the learned reader's sentence-vector memos are
plain dicts, and every shared reader uses the one annotator (a spaCy pipeline), so two
sessions adding data at once read their threads in turns."""
_BUILDING = threading.Lock()
_SHARED: dict[str, tuple[Annotator, tuple[ThreadReader, str]]] = {}


class _InTurns:
    """A reader that reads one thread at a time in this process (``_READING``)."""

    def __init__(self, reader: ThreadReader) -> None:
        self._reader = reader

    def __call__(self, thread: ThreadInput) -> ThreadAnalysis:
        with _READING:
            return self._reader(thread)


def shared_reading(annotator: Annotator, encoder: str) -> tuple[ThreadReader, str]:
    """The learned reading of ``encoder`` with ``annotator`` (the reader, and the fingerprint
    ``analyzer analyze --encoder`` stores its analyses with), built on first use and kept
    for the process: building it (bundles, encoders) costs about a second each time. Built
    again when its bundles were trained again since (their fingerprint changed). Safe to
    call from several sessions at once; its reader reads in turns."""
    with _BUILDING:
        held = _SHARED.get(encoder)
        if held is None or held[0] is not annotator or held[1][1] != learned_fingerprint(PipelineSettings(), encoder):
            reader, fingerprint = learned_reading(annotator, PipelineSettings(), encoder)
            held = (annotator, (_InTurns(reader), fingerprint))
            _SHARED[encoder] = held
        return held[1]


@dataclass(frozen=True, slots=True)
class Added:
    """What one Add data action did."""

    source: str
    report: WorkflowReport
    problems: tuple[str, ...] = ()
    """Why a download failed, as the store recorded it."""

    @property
    def stored(self) -> int:
        return self.report.ingest.counts.stored


def add_lore_thread(
    config: DashboardConfig, text: str, *, annotator: Annotator, progress: Progress | None = None,
    session_timeout: tuple[float, float] = (10.0, 60.0), encoder: str = ENCODERS[0],
) -> Added:
    """Download the thread of a typed URL or Message-ID from a configured host and analyse it
    (with the learned reading of ``encoder``). Refused before any request when the input is
    not a thread on an allowed host."""
    ref = fetch_ref(text, config.allowed_hosts)
    options = _options(encoder)
    session = FetchPolicy(config.allowed_hosts).guard(make_session(cache_dir=None, retries=1))
    client = LoreClient(session, timeout=session_timeout)
    with Store.open(config.db_path) as store:
        report = update_store(store, [(ref.url, "lore")], options, lore_client=client, annotator=annotator,
                              progress=progress, reading=shared_reading(annotator, encoder))
        problems = tuple(
            str(r["detail"]) for r in store.rejections() if r["source"] == ref.url and r["reason"] == "fetch-failed"
        )
    return Added(ref.url, report, problems if report.ingest.counts.rejected.get("fetch-failed") else ())


CHUNK = 1024 * 1024


def save_upload(config: DashboardConfig, name: str, stream: BinaryIO, *, cap: int | None = None) -> Path:
    """Copy an upload to disk a chunk at a time (never whole in memory), checking its size
    while it arrives and that it starts like an mbox; keep it beside the database, named by
    its hash (never by the name the browser sent), so provenance points at a real file.
    Refused (nothing kept) over ``cap`` bytes (the configured cap when None)."""
    limit = config.max_upload_bytes if cap is None else cap
    uploads = config.db_path.parent / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    with tempfile.NamedTemporaryFile(dir=uploads, prefix=".arriving-", delete=False) as out:
        partial = Path(out.name)
        try:
            while chunk := stream.read(CHUNK):
                if size == 0:
                    check_upload(name, len(chunk), chunk[:4096], cap=limit)
                size += len(chunk)
                if size > limit:
                    check_upload(name, size, b"From ", cap=limit)
                digest.update(chunk)
                out.write(chunk)
            if size == 0:
                check_upload(name, 0, b"", cap=limit)
        except BaseException:
            out.close()
            partial.unlink(missing_ok=True)
            raise
    saved = uploads / f"{digest.hexdigest()[:20]}.mbox"
    if saved.exists():
        partial.unlink()
    else:
        partial.replace(saved)
    return saved


def add_upload_file(
    config: DashboardConfig, name: str, path: Path, *, annotator: Annotator, progress: Progress | None = None,
    encoder: str = ENCODERS[0],
) -> Added:
    """Store, thread and analyse (with the learned reading of ``encoder``) an upload
    :func:`save_upload` kept."""
    options = _options(encoder)
    with Store.open(config.db_path) as store:
        report = update_store(store, [(str(path), "mbox")], options, annotator=annotator, progress=progress,
                              reading=shared_reading(annotator, encoder))
    return Added(name, report)


def add_upload(
    config: DashboardConfig, name: str, data: bytes, *, annotator: Annotator, progress: Progress | None = None,
    encoder: str = ENCODERS[0],
) -> Added:
    """:func:`save_upload` then :func:`add_upload_file`, for an upload already in memory."""
    saved = save_upload(config, name, io.BytesIO(data))
    return add_upload_file(config, name, saved, annotator=annotator, progress=progress, encoder=encoder)


def fetch_problem(detail: str) -> str:
    """A fetch failure as the page shows it: what went wrong in words, then what to do;
    the library's own text (urllib3's, say) is kept for the details."""
    text = detail.lower()
    # The refusal first: it quotes URLs, whose port numbers may hold "404" (a flaky
    # misreading as "no such thread" before).
    if redirect := re.search(r"\S+ redirects to \S+, which is not a configured archive host", detail):
        what = f"the archive redirected elsewhere: {redirect.group(0)}"
    elif "timed out" in text or "timeout" in text:
        what = "the archive did not answer in time"
    elif "name or service not known" in text or "nodename nor servname" in text or "failed to resolve" in text:
        what = "the archive's host name could not be resolved (no network, or a typo in the host)"
    elif "connection refused" in text or "max retries exceeded" in text or "newconnectionerror" in text:
        what = "the archive could not be reached"
    elif re.search(r"(?<![\d:.])404(?!\d)", text) or "not found" in text:
        what = "the archive has no such thread (check the Message-ID)"
    elif "too large" in text or "size" in text and "limit" in text:
        what = "the thread is larger than the download limit"
    else:
        what = "the download failed"
    raw = any(mark in detail for mark in ("ConnectionPool", "urllib3", "object at 0x", "Errno"))
    said = "" if raw or len(detail) > 200 else f" ({detail})"
    return f"Nothing was fetched: {what}{said}. Check the address and the network, then try again."


def unprocessed(added: Added) -> int:
    """Messages stored but not segmented or analysed (each recorded with its reason)."""
    return added.report.structure.failed + added.report.analysis.failed


def describe(added: Added) -> str:
    """One line for the page: what was read, stored and analysed."""
    counts = added.report.ingest.counts
    analysis = added.report.analysis
    unread = unprocessed(added)
    return (
        f"Read {counts.read} messages ({counts.stored} new, {counts.duplicates} already stored, "
        f"{counts.rejected_total} rejected); {analysis.analysed} threads analysed, "
        f"{analysis.messages} messages."
        + (f" {unread} messages could not be segmented or analysed (the rest were); "
           "`analyzer rejections` lists each with its reason." if unread else "")
    )


__all__ = ["ENCODERS", "Added", "Refused", "add_lore_thread", "add_upload", "add_upload_file", "describe", "fetch_problem",
           "save_upload", "shared_reading", "unprocessed"]
