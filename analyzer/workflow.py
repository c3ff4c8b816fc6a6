"""The main job in one call: ingest sources, rebuild thread structure, analyse.

The CLI's separate commands, the dashboard's "Add data" page and notebooks all go
through the same library functions; this module only strings them together.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

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


def update_store(
    store: Store,
    targets: Sequence[tuple[str, SourceFormat]],
    options: WorkflowOptions = WorkflowOptions(),
    *,
    lore_client: LoreClient | None = None,
    annotator: Annotator | None = None,
    progress: Progress | None = None,
) -> WorkflowReport:
    """Ingest ``targets`` into ``store``, then bring threads and analysis up to date."""
    ingested = ingest(store, targets, options.ingest, lore_client=lore_client, progress=progress)
    structure = rebuild_structure(store, aliases=options.aliases, maintainers=options.maintainers, progress=progress)
    annotator = annotator or Annotator(build_pipeline(options.pipeline))
    analysis = analyze_store(
        store, annotator, pipeline_fingerprint=pipeline_fingerprint(options.pipeline), progress=progress
    )
    return WorkflowReport(ingested, structure, analysis)
