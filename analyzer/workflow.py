"""The main job in one call: ingest sources, rebuild thread structure, analyse.

The CLI's separate commands, the dashboard's "Add data" page and notebooks all go
through the same library functions; this module only strings them together.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from analyzer.analysis.thread import ThreadReader
from analyzer.analyze import AnalyzeReport, analyze_store
from analyzer.ingest.lore import LoreClient
from analyzer.ingest.pipeline import IngestOptions, IngestReport, ingest
from analyzer.ingest.sources import SourceFormat
from analyzer.nlp.annotate import Annotator
from analyzer.nlp.pipeline import PipelineSettings, build_pipeline, pipeline_fingerprint
from analyzer.progress import Progress
from analyzer.store.db import Store
from analyzer.store.structure import StructureSummary, rebuild_structure


@dataclass(frozen=True, slots=True)
class WorkflowOptions:
    ingest: IngestOptions = field(default_factory=IngestOptions)
    pipeline: PipelineSettings = field(default_factory=PipelineSettings)
    aliases: Path | None = None
    maintainers: Path | None = None
    encoder: str | None = None
    """The learned reading's sentence encoder (``cascade``, ``minilm`` or ``static``, as
    ``analyzer analyze --encoder``); None or ``rules`` reads with the cue rules alone (as
    ``analyzer analyze --method rules``)."""


@dataclass(frozen=True, slots=True)
class WorkflowReport:
    ingest: IngestReport
    structure: StructureSummary
    analysis: AnalyzeReport

    def as_dict(self) -> dict[str, object]:
        return {
            "ingest": self.ingest.counts.as_dict(),
            "structure": self.structure.as_dict(),
            "analysis": self.analysis.as_dict(),
        }


def analysis_fingerprint(method: str, encoder: str, settings: PipelineSettings, gate: float | None = None) -> str:
    """What a stored analysis was made with: the method, the data files and, for the learned
    reading, its bundles' files (and the static table's); the static reading and the cascade
    (with its gate) are tagged apart too, so switching --encoder or the gate re-reads every
    thread."""
    if method == "rules":
        return method + pipeline_fingerprint(settings)
    from analyzer.learn.model import reading_files

    tag = method if encoder == "minilm" else f"{method}-{encoder}"
    if encoder == "cascade":
        tag += f"@{gate}"
    return tag + pipeline_fingerprint(settings, extra=tuple(reading_files(encoder)))


def learned_reading(annotator: Annotator, settings: PipelineSettings, encoder: str) -> tuple[ThreadReader, str]:
    """The learned reader of ``encoder`` in this process, and the fingerprint its analyses
    are stored with: the same as ``analyzer analyze --encoder`` stores (the cascade with its
    bundle's gate), so either one finds the other's threads up to date."""
    from analyzer.analysis.catalogue import load_catalogue
    from analyzer.learn.reader import learned_reader

    gate = _bundle_gate(encoder)
    kinds = {b.id: b.kind for b in load_catalogue(settings.catalogue)}
    reader = learned_reader(annotator, kinds, encoder=encoder, gate=gate)
    return reader, analysis_fingerprint("learned", encoder, settings, gate)


def learned_fingerprint(settings: PipelineSettings, encoder: str) -> str:
    """The fingerprint :func:`learned_reading` would give now, from the bundles' files as
    they are (a tenth of a second; building the reader takes about a second): a kept reader
    whose fingerprint is no longer this one was built from bundles trained again since."""
    return analysis_fingerprint("learned", encoder, settings, _bundle_gate(encoder))


def _bundle_gate(encoder: str) -> float | None:
    from analyzer.learn.reader import bundle_gate

    return bundle_gate() if encoder == "cascade" else None


RULES = "rules"
"""``WorkflowOptions.encoder`` for the cue rules alone (as is None)."""


def update_store(
    store: Store,
    targets: Sequence[tuple[str, SourceFormat]],
    options: WorkflowOptions = WorkflowOptions(),
    *,
    lore_client: LoreClient | None = None,
    annotator: Annotator | None = None,
    progress: Progress | None = None,
    reading: tuple[ThreadReader, str] | None = None,
) -> WorkflowReport:
    """Ingest ``targets`` into ``store``, then bring threads and analysis up to date (with
    the learned reading of ``options.encoder``, or the cue rules), stored under the
    fingerprint ``analyzer analyze`` gives the same reading. ``reading``: the learned
    reading of ``options.encoder`` already built (:func:`learned_reading`'s reader and
    fingerprint), so a long-lived process builds it once."""
    ingested = ingest(store, targets, options.ingest, lore_client=lore_client, progress=progress)
    structure = rebuild_structure(store, aliases=options.aliases, maintainers=options.maintainers, progress=progress)
    reader: ThreadReader | None = None
    if options.encoder in (None, RULES):
        fingerprint = analysis_fingerprint(RULES, RULES, options.pipeline)
        annotator = annotator or Annotator(build_pipeline(options.pipeline))
    elif reading is not None:
        reader, fingerprint = reading
    else:
        annotator = annotator or Annotator(build_pipeline(options.pipeline))
        reader, fingerprint = learned_reading(annotator, options.pipeline, options.encoder)
    analysis = analyze_store(store, annotator, pipeline_fingerprint=fingerprint, reader=reader, progress=progress)
    return WorkflowReport(ingested, structure, analysis)
