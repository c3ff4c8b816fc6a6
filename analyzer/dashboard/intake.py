"""Add data: a lore thread or an uploaded mbox, checked, stored, threaded and analysed.

No Streamlit here: the page hands in the input, the configuration, the cached annotator
and a progress sink, and shows the report or the refusal this returns or raises.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from analyzer.dashboard.config import DashboardConfig
from analyzer.dashboard.safety import Refused, check_upload, fetch_ref
from analyzer.ingest.fetch_policy import FetchPolicy
from analyzer.ingest.lore import LoreClient, make_session
from analyzer.ingest.pipeline import IngestOptions
from analyzer.nlp.annotate import Annotator
from analyzer.progress import Progress
from analyzer.store.db import Store
from analyzer.workflow import WorkflowOptions, WorkflowReport, update_store

_OPTIONS = WorkflowOptions(ingest=IngestOptions(jobs=1))
"""One parser process: the dashboard must not fork workers from the server's threads."""


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
    session_timeout: tuple[float, float] = (10.0, 60.0),
) -> Added:
    """Download the thread of a typed URL or Message-ID from a configured host and analyse it.
    Refused before any request when the input is not a thread on an allowed host."""
    ref = fetch_ref(text, config.allowed_hosts)
    session = FetchPolicy(config.allowed_hosts).guard(make_session(cache_dir=None, retries=1))
    client = LoreClient(session, timeout=session_timeout)
    with Store.open(config.db_path) as store:
        report = update_store(store, [(ref.url, "lore")], _OPTIONS, lore_client=client, annotator=annotator,
                              progress=progress)
        problems = tuple(
            str(r["detail"]) for r in store.rejections() if r["source"] == ref.url and r["reason"] == "fetch-failed"
        )
    return Added(ref.url, report, problems if report.ingest.counts.rejected.get("fetch-failed") else ())


def add_upload(
    config: DashboardConfig, name: str, data: bytes, *, annotator: Annotator, progress: Progress | None = None
) -> Added:
    """Keep an uploaded mbox beside the database (named by its hash, never by the name the
    browser sent) so that provenance keeps pointing at a real file, then analyse it."""
    check_upload(name, len(data), data[:4096], cap=config.max_upload_bytes)
    uploads = config.db_path.parent / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    saved = uploads / f"{hashlib.sha256(data).hexdigest()[:20]}.mbox"
    if not saved.exists():
        saved.write_bytes(data)
    with Store.open(config.db_path) as store:
        report = update_store(store, [(str(saved), "mbox")], _OPTIONS, annotator=annotator, progress=progress)
    return Added(name, report)


def describe(added: Added) -> str:
    """One line for the page: what was read, stored and analysed."""
    counts = added.report.ingest.counts
    analysis = added.report.analysis
    return (
        f"Read {counts.read} messages ({counts.stored} new, {counts.duplicates} already stored, "
        f"{counts.rejected_total} rejected); {analysis.analysed} threads analysed, "
        f"{analysis.messages} messages."
    )


__all__ = ["Added", "Refused", "add_lore_thread", "add_upload", "describe"]
