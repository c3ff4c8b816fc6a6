"""Commands that analyse: analyze (the store), label and eval (a thread file, no store)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional, cast

import typer
from rich.table import Table

from analyzer.analysis.catalogue import load_catalogue, load_taxonomy
from analyzer.analysis.files import read_thread_file
from analyzer.analysis.gold import GoldLine, dump_lines, read_lines
from analyzer.analysis.scoring import Evaluation, evaluate
from analyzer.cli.common import DEFAULT_DB, DbOption, EngineOption, RichProgress, SchedulerOption, err, exit_on_failures, fail, guarded, out
from analyzer.display import visible
from analyzer.errors import ConfigError
from analyzer.store.db import Store
from analyzer.thread.maintainers import MaintainerSection, parse_maintainers

if TYPE_CHECKING:
    from analyzer.analysis.thread import ThreadReader
    from analyzer.nlp.annotate import Annotator
    from analyzer.nlp.pipeline import PipelineSettings

# spaCy and the pipeline are imported inside the commands that run them: every command
# (and every ingest worker) would otherwise pay for loading them at start-up.

commands = typer.Typer()

CatalogueOption = Annotated[
    Optional[Path], typer.Option("--catalogue", help="Behaviour catalogue YAML (default: the packaged one).")
]
TaxonomyOption = Annotated[
    Optional[Path],
    typer.Option("--taxonomy", help="Position taxonomy YAML (default: the packaged one); every cue rule's label must be one of its ids."),
]
RulesOption = Annotated[
    Optional[Path], typer.Option("--rules-dir", help="Directory with positions/relations/decisions.yaml cue rules.")
]
PositionsOption = Annotated[
    str, typer.Option("--positions", help="Claims from the cue rules, the trained classifier (model), or both.")
]
MethodOption = Annotated[
    str,
    typer.Option(
        "--method",
        help="learned: the models trained on the real annotated threads, with the rules as features "
        "(default); rules: the cue rules alone.",
    ),
]
JobsOption = Annotated[
    int, typer.Option("--jobs", "-j", help="Worker processes reading threads (0: every core; 1: this process only).")
]
TrainJobsOption = Annotated[
    int,
    typer.Option(
        "--jobs", "-j",
        help="With cross-validation (train, eval --cv): processes for its folds and for train's fit of the "
        "bundle beside them, forked from this one with every sentence vector encoded once (0: every core; "
        "1: this process only). The same figures and models on any number.",
    ),
]


def _train_jobs(jobs: int) -> int:
    from analyzer.workers import local_cores

    if jobs < 0:
        fail(f"--jobs {jobs}: give a number of processes (0: every core)")
    return jobs or local_cores()


MaintainersOption = Annotated[
    Optional[Path], typer.Option("--maintainers", help="A kernel MAINTAINERS file: gives people their roles.")
]


def _settings(catalogue: Path | None, taxonomy: Path | None, rules: Path | None, positions: str = "rules") -> PipelineSettings:
    """Check the data files once, up front, so a typo fails before any work is done."""
    load_taxonomy(taxonomy)
    load_catalogue(catalogue)
    if rules is not None and not rules.is_dir():
        raise ConfigError(f"--rules-dir {rules}: not a directory")
    if positions not in ("rules", "model", "both"):
        raise ConfigError(f"--positions {positions!r}: choose rules, model or both")
    from analyzer.nlp.pipeline import PipelineSettings

    return PipelineSettings(catalogue=catalogue, taxonomy=taxonomy, rules_dir=rules, positions=positions)  # type: ignore[arg-type]


def _check_method(method: str) -> str:
    if method not in ("learned", "rules"):
        raise ConfigError(f"--method {method!r}: choose learned or rules")
    return method


def _reader(method: str, annotator: Annotator, settings: PipelineSettings, encoder: str = "cascade") -> ThreadReader | None:
    """The learned reader of ``encoder`` (its bundles), or None for the rules alone."""
    if _check_method(method) == "rules":
        return None
    from analyzer.learn.reader import learned_reader

    return learned_reader(annotator, {b.id: b.kind for b in load_catalogue(settings.catalogue)}, encoder=encoder)


def _analysis_fingerprint(method: str, encoder: str, settings: PipelineSettings, gate: float | None = None) -> str:
    """:func:`analyzer.workflow.analysis_fingerprint` (imported when a command runs: the
    workflow imports the NLP pipeline)."""
    from analyzer.workflow import analysis_fingerprint

    return analysis_fingerprint(method, encoder, settings, gate)


EncoderOption = Annotated[
    str,
    typer.Option(
        "--encoder",
        help="Sentence encoder of the learned reading: cascade (the default: a static model2vec table's "
        "position heads choose which sentences all-MiniLM-L6-v2 encodes; positions as MiniLM's at about 1.7x "
        "its rate), minilm (every candidate sentence through MiniLM) or static (the table alone: about 6x "
        "cheaper than MiniLM, positions F1 0.21 against 0.27; docs/analysis.md). With --method learned it "
        "picks the bundles read (analyzer/data/models/learned, learned-static, or both for cascade); train "
        "writes them (cascade: both, and the gate); eval --cv measures that reading.",
    ),
]


def _encoder(name: str) -> str:
    from analyzer.learn.model import READINGS

    if name not in READINGS:
        fail(f"--encoder {name}: use one of {', '.join(READINGS)}")
    return name


RelationVectorsOption = Annotated[
    Optional[bool],
    typer.Option(
        "--relation-vectors/--no-relation-vectors",
        help="Sentence vectors of a reply's openings and answered quotes as relation features "
        "(default: as the shipped models were trained).",
    ),
]


@commands.command("analyze")
def analyze_command(
    db: DbOption = Path(DEFAULT_DB),
    catalogue: CatalogueOption = None,
    taxonomy: TaxonomyOption = None,
    rules_dir: RulesOption = None,
    positions: PositionsOption = "rules",
    method: MethodOption = "learned",
    encoder: EncoderOption = "cascade",
    maintainers: MaintainersOption = None,
    aliases: Annotated[Optional[Path], typer.Option(help="A .mailmap-style aliases file for people.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Analyse every thread again, changed or not.")] = False,
    retry_failed: Annotated[bool, typer.Option(
        "--retry-failed",
        help="Try again what earlier runs could not do (recorded with their reason, `analyzer rejections`; "
             "otherwise tried again only when their thread, the segmenter or the analysis changes): first "
             "segment again the threads holding messages that could not be segmented (as `analyzer structure "
             "--retry-failed`), then analyse again those holding messages that could not be analysed. Exits 0 "
             "only when no failure of either kind is left.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts as one JSON object.")] = False,
    progress: Annotated[
        Optional[bool], typer.Option("--progress/--no-progress", help="Progress on stderr: bars on a terminal, plain lines otherwise (default: on).")
    ] = None,
    jobs: JobsOption = 0,
    engine: EngineOption = "local",
    scheduler: SchedulerOption = None,
    workers_read: Annotated[
        Optional[bool],
        typer.Option("--workers-read-store/--driver-sends-mail",
                     help="Workers read each thread's mail and segments from the --db file themselves (the "
                          "default for local workers), or the driver sends them (the default for --engine dask, "
                          "whose workers may not see the file; give --workers-read-store when they share it at the "
                          "same path)."),
    ] = None,
) -> None:
    """Analyse the stored threads: positions, behaviours, reply relations, decisions.

    Threads, people and segments are (re)built first when mail was added since; a thread
    is analysed again only when its messages or the rules changed. Threads are read on
    every local core (-j), or on a Dask cluster (--engine dask --scheduler ADDR); the
    results are the same record for record as with -j 1. Exits 1 while a message is
    recorded as not segmented or not analysed (this run's or an earlier one's);
    --retry-failed tries both again."""
    from analyzer.analyze import analyze_store
    from analyzer.engine import EngineName, Method, ReaderSpec, engine_on
    from analyzer.workers import choose_runner, in_this_process
    from analyzer.store.failures import failure_counts
    from analyzer.store.structure import needs_rebuild, rebuild_structure

    show = True if progress is None else progress

    def run() -> dict[str, object]:
        settings = _settings(catalogue, taxonomy, rules_dir, positions)
        _check_method(method)
        chosen = _encoder(encoder)
        with Store.open(db) as store:
            if store.count("messages") == 0:
                raise ConfigError(f"{db} holds no messages; run `analyzer ingest SOURCE --db {db}` first")
            runner = choose_runner(engine=cast("EngineName", engine), jobs=jobs, scheduler=scheduler)
            structure = None
            unsegmented = retry_failed and failure_counts(store).get("segment", 0) > 0
            if maintainers or aliases or needs_rebuild(store) or unsegmented:
                # with --retry-failed, what `structure --retry-failed` does: the threads holding
                # messages not segmented are segmented again (and so analysed again below)
                structure = rebuild_structure(
                    store, aliases=aliases, maintainers=maintainers, progress=RichProgress(show, "segment"),
                    runner=runner, retry_failed=retry_failed,
                ).as_dict()
            gate = None
            if method == "learned" and chosen == "cascade":
                from analyzer.learn.reader import bundle_gate

                gate = bundle_gate()
            spec = ReaderSpec(cast("Method", _check_method(method)), settings, encoder=chosen, gate=gate)
            report = analyze_store(
                store,
                None,
                pipeline_fingerprint=_analysis_fingerprint(method, chosen, settings, gate),
                progress=RichProgress(show, "analyse"),
                force=force,
                engine=engine_on(spec, runner),
                inputs_in_workers=runner is not in_this_process and (
                    workers_read if workers_read is not None else engine == "local"),
                retry_failed=retry_failed,
            )
            # what the store lacks after the run, earlier runs' failures included
            outstanding = sum(failure_counts(store).values())
            return report.as_dict() | {"outstanding": outstanding} | ({"structure": structure} if structure else {})

    result = guarded(run)
    structure_failed = int(result["structure"]["failed"]) if "structure" in result else 0  # type: ignore[index]
    failed = int(result["failed"]) + structure_failed  # type: ignore[call-overload]
    if as_json:
        print(json.dumps(result))
    else:
        out.print(
            f"analysed {result['analysed']} of {result['threads']} threads "
            f"({result['messages']} messages); {result['unchanged']} unchanged, {result['forgotten']} gone"
        )
    exit_on_failures(failed, "segmented or analysed", db, outstanding=int(result["outstanding"]),  # type: ignore[call-overload]
                     retry="`analyzer analyze --retry-failed` (segmentation, then analysis)")


@commands.command("label")
def label_command(
    mbox: Annotated[Path, typer.Argument(help="The thread: an mbox (b4 mbox, lore t.mbox.gz), .eml or Maildir.")],
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write JSON lines here (default: stdout).")] = None,
    catalogue: CatalogueOption = None,
    taxonomy: TaxonomyOption = None,
    rules_dir: RulesOption = None,
    positions: PositionsOption = "rules",
    method: MethodOption = "learned",
    encoder: EncoderOption = "cascade",
    maintainers: MaintainersOption = None,
) -> None:
    """Analyse one thread from scratch (no database) and write one JSON line per message
    in the gold format: message_id, positions, behaviours, relation, decisions."""
    chosen = _encoder(encoder)
    lines, failed = guarded(
        lambda: _label(mbox, _settings(catalogue, taxonomy, rules_dir, positions), maintainers, method, chosen)
    )
    text = "\n".join(dump_lines(lines)) + ("\n" if lines else "")
    if output is None:
        sys.stdout.write(text)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        err.print(f"wrote {len(lines)} lines to {output}", highlight=False)
    if failed:
        err.print(f"{failed} messages could not be analysed and have no line (listed above)", highlight=False)
        raise typer.Exit(1)


def _label(
    mbox: Path, settings: PipelineSettings, maintainers: Path | None, method: str = "learned", encoder: str = "cascade"
) -> tuple[list[GoldLine], int]:
    """The thread's lines, and how many messages the analysis failed on (each named on
    stderr with its reason)."""
    from analyzer.analysis.label import gold_lines, label_threads, thread_inputs, unique_messages
    from analyzer.nlp.annotate import Annotator
    from analyzer.nlp.pipeline import build_pipeline

    found = read_thread_file(mbox)
    for rejection in found.rejected:
        line = f"rejected {rejection.provenance.locator}: {rejection.reason} ({rejection.detail})"
        err.print(visible(line, multiline=False), highlight=False, markup=False)
    sections: tuple[MaintainerSection, ...] = ()
    if maintainers is not None:
        if not maintainers.is_file():
            raise ConfigError(f"--maintainers {maintainers}: no such file")
        sections = parse_maintainers(maintainers.read_text(encoding="utf-8", errors="replace"))
    kinds = {b.id: b.kind for b in load_catalogue(settings.catalogue)}
    _check_method(method)
    annotator = Annotator(build_pipeline(settings))
    reader = _reader(method, annotator, settings, encoder)
    threads = thread_inputs(unique_messages(found.messages), maintainers=sections)
    labelled = label_threads(threads, annotator, reader=reader)
    failed = [f for one in labelled for f in one.failed]
    for mid, why in failed:
        err.print(visible(f"could not analyse <{mid}>: {why}", multiline=False), highlight=False, markup=False)
    return [line for one in labelled for line in gold_lines(one, catalogue_kinds=kinds)], len(failed)


DataOption = Annotated[
    Optional[list[Path]],
    typer.Option(
        "--data",
        help="A folder of annotated threads (*.gold.jsonl beside *.mbox); repeat for more "
        "(default: ../shared/gold and ../shared/silver).",
    ),
]


ArchiveLabelsOption = Annotated[
    bool,
    typer.Option(
        "--archive-labels/--no-archive-labels",
        help="Also train on the project's threads annotated from ../shared/archives (corpus/annotated; "
        "labels only, the mail read from the archive). They are never scored: cross-validation adds them to a "
        "fold's training threads unless they share a series or topic with a held-out thread.",
    ),
]
ARCHIVE_LABELS = True
"""Default of --archive-labels (docs/analysis.md: "More training threads")."""


def _labelled(use: bool, data: list[Path] | None) -> list[Path]:
    from analyzer.learn.workflow import default_labelled

    return default_labelled() if use and not data else []


@commands.command("eval")
def eval_command(
    gold: Annotated[Optional[Path], typer.Argument(help="Gold annotations (JSON lines, gold/FORMAT.md); not with --cv.")] = None,
    mbox: Annotated[Optional[Path], typer.Option("--mbox", help="The thread the gold file annotates; it is labelled from scratch.")] = None,
    predictions: Annotated[
        Optional[Path], typer.Option("--predictions", help="Score these prediction lines instead of labelling --mbox.")
    ] = None,
    cv: Annotated[
        bool,
        typer.Option(
            "--cv",
            help="Thread-grouped cross-validation over every annotated thread: each thread scored by models "
            "trained without it (and without its series or topic), next to the rules alone and a trivial baseline.",
        ),
    ] = False,
    data: DataOption = None,
    archive_labels: ArchiveLabelsOption = ARCHIVE_LABELS,
    folds: Annotated[int, typer.Option("--folds", help="Folds for --cv.")] = 5,
    embeddings: Annotated[
        bool, typer.Option("--embeddings/--no-embeddings", help="With --cv: sentence vectors as features.")
    ] = True,
    encoder: EncoderOption = "cascade",
    relation_vectors: RelationVectorsOption = None,
    per_thread: Annotated[bool, typer.Option("--per-thread", help="With --cv: also print one row per thread.")] = False,
    score_ids: Annotated[
        Optional[Path],
        typer.Option(
            "--score-catalogue",
            help="Catalogue whose ids count in the behaviour score (default: behaviours.yaml beside the gold "
            "folder, as shared/ has it, else the packaged catalogue).",
        ),
    ] = None,
    catalogue: CatalogueOption = None,
    taxonomy: TaxonomyOption = None,
    rules_dir: RulesOption = None,
    positions: PositionsOption = "rules",
    method: MethodOption = "learned",
    maintainers: MaintainersOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object with every score.")] = False,
    jobs: TrainJobsOption = 0,
) -> None:
    """Score the analysis against gold: positions, positions_any_stance, behaviours and
    decisions (precision, recall, F1) and relations (accuracy, macro-F1).

    With --cv, the honest yardstick: thread-held-out cross-validation over the real
    annotated threads (a few minutes for the 45 threads in ../shared)."""
    if cv:
        if gold is not None or mbox is not None or predictions is not None:
            fail("--cv scores every thread in --data folders; give no GOLD, --mbox or --predictions with it")
        _cross_validate(
            data, _labelled(archive_labels, data), folds, embeddings, _encoder(encoder), relation_vectors, catalogue,
            taxonomy, as_json, per_thread, _train_jobs(jobs),
        )
        return
    if gold is None:
        fail("give GOLD.jsonl with --mbox or --predictions, or --cv for cross-validation over annotated folders")
    if (mbox is None) == (predictions is None):
        fail("give exactly one of --mbox THREAD.mbox (label it now) or --predictions PRED.jsonl")
    chosen = _encoder(encoder)

    def run() -> Evaluation:
        assert gold is not None
        gold_lines_ = read_lines(gold)
        if predictions is not None:
            predicted = read_lines(predictions)
        else:
            assert mbox is not None
            predicted, _ = _label(mbox, _settings(catalogue, taxonomy, rules_dir, positions), maintainers, method, chosen)
        return evaluate(gold_lines_, predicted, catalogue_ids=_scoring_ids(gold, score_ids))

    result = guarded(run)
    if as_json:
        print(json.dumps(result.as_json()))
        return
    _print_evaluation(result)


def _step(text: str) -> None:
    err.print(text, highlight=False, markup=False)


def _cross_validate(
    data: list[Path] | None,
    labelled: list[Path],
    folds: int,
    embeddings: bool,
    encoder: str,
    relation_vectors: bool | None,
    catalogue: Path | None,
    taxonomy: Path | None,
    as_json: bool,
    per_thread: bool,
    jobs: int,
) -> None:
    from analyzer.learn.cv import CrossValidation
    from analyzer.learn.workflow import RELATION_VECTORS, Method, default_data, prepare, run_cross_validation

    method = Method(
        embeddings=embeddings, encoder=encoder, taxonomy=taxonomy,
        relation_vectors=RELATION_VECTORS if relation_vectors is None else relation_vectors,
    )

    def run() -> CrossValidation:
        prepared = prepare(data or default_data(), labelled=labelled, catalogue=catalogue, taxonomy=taxonomy, progress=_step)
        return run_cross_validation(prepared, method, folds=folds, progress=_step, jobs=jobs)

    result = guarded(run)
    if as_json:
        print(json.dumps(result.as_json()))
        return
    _print_cv(result, per_thread)


def _cv_row(table: Table, label: str, e: Evaluation) -> None:
    r = e.relations
    table.add_row(
        label,
        f"{e.positions.f1:.3f} ({e.positions.precision:.2f}/{e.positions.recall:.2f})",
        f"{e.positions_any_stance.f1:.3f}",
        f"{e.behaviours.f1:.3f} ({e.behaviours.precision:.2f}/{e.behaviours.recall:.2f})",
        f"{e.decisions.f1:.3f} ({e.decisions.precision:.2f}/{e.decisions.recall:.2f})",
        f"{r.accuracy:.3f} / {r.macro_f1:.3f}",
    )


def _cv_table(title: str) -> Table:
    return Table(
        "",
        "positions F1 (P/R)",
        "any stance",
        "behaviours F1 (P/R)",
        "decisions F1 (P/R)",
        "relations acc / macro-F1",
        title=title,
    )


def _print_cv(result: object, per_thread: bool) -> None:
    from analyzer.learn.cv import METHODS, CrossValidation

    assert isinstance(result, CrossValidation)
    messages = sum(t.messages for t in result.threads)
    table = _cv_table(f"pooled over {len(result.threads)} threads, {messages} messages ({result.folds} thread-grouped folds)")
    for method in METHODS:
        _cv_row(table, method, result.pooled[method])
    out.print(table)
    for source, by in result.pooled_by_source.items():
        count = sum(1 for t in result.threads if t.source == source)
        table = _cv_table(f"{source} ({count} threads)")
        for method in METHODS:
            _cv_row(table, method, by[method])
        out.print(table)
    if per_thread:
        table = _cv_table("per thread: learned (rules)")
        for t in result.threads:
            _cv_row(table, f"{t.name} [{t.source}, fold {t.fold + 1}]", t.scores["learned"])
        out.print(table)


def _scoring_ids(gold: Path, configured: Path | None) -> frozenset[str]:
    beside = gold.resolve().parent.parent / "behaviours.yaml"
    path = configured or (beside if beside.is_file() else None)
    return load_catalogue(path).ids


def _print_evaluation(result: Evaluation) -> None:
    table = Table("score", "precision", "recall", "F1", "tp / predicted / gold")
    for name in ("positions", "positions_any_stance", "behaviours", "decisions"):
        s = getattr(result, name)
        table.add_row(name, f"{s.precision:.3f}", f"{s.recall:.3f}", f"{s.f1:.3f}", f"{s.true_positives} / {s.predicted} / {s.gold}")
    out.print(table)
    r = result.relations
    out.print(f"relations: accuracy {r.accuracy:.3f}, macro-F1 {r.macro_f1:.3f} over {r.scored} replies")
    if result.missing:
        out.print(f"[yellow]{len(result.missing)} gold messages had no prediction line[/yellow]")


@commands.command("train")
def train_command(
    data: DataOption = None,
    archive_labels: ArchiveLabelsOption = ARCHIVE_LABELS,
    output: Annotated[
        Optional[Path],
        typer.Option("--output", "-o", help="Where to write the models (default: the packaged bundle of --encoder: "
                     "analyzer/data/models/learned for minilm, learned-static for static; cascade writes both, "
                     "OUTPUT and OUTPUT-static, with the gate in OUTPUT)."),
    ] = None,
    cv: Annotated[
        bool, typer.Option("--cv/--no-cv", help="Also cross-validate first and record the figures in the manifest.")
    ] = True,
    embeddings: Annotated[
        bool, typer.Option("--embeddings/--no-embeddings", help="Sentence vectors as features.")
    ] = True,
    encoder: EncoderOption = "cascade",
    relation_vectors: RelationVectorsOption = None,
    catalogue: CatalogueOption = None,
    taxonomy: TaxonomyOption = None,
    jobs: TrainJobsOption = 0,
) -> None:
    """Rebuild the learned models from the real annotated threads (default ../shared/gold
    and ../shared/silver, and the archive-annotated threads of corpus/annotated): one head
    per task over rule, structure and sentence-vector features, thresholds from an inner
    thread-grouped cross-validation. Deterministic: the same data give the same models.
    About 12 minutes on two cores for the 325 threads (the folds and the bundle's fit on every
    core)."""
    from analyzer.learn.model import bundle_dir
    from analyzer.learn.workflow import RELATION_VECTORS, Method, default_data, prepare, train_and_cross_validate, train_bundle

    encoder = _encoder(encoder)
    method = Method(
        embeddings=embeddings, encoder=encoder, taxonomy=taxonomy,
        relation_vectors=RELATION_VECTORS if relation_vectors is None else relation_vectors,
    )
    processes = _train_jobs(jobs)

    def run() -> dict[str, object]:
        prepared = prepare(
            data or default_data(), labelled=_labelled(archive_labels, data), catalogue=catalogue, taxonomy=taxonomy,
            progress=_step,
        )
        target = output or bundle_dir(encoder)
        if cv:
            models, _ = train_and_cross_validate(prepared, method, output=target, jobs=processes, progress=_step)
        else:
            models = train_bundle(prepared, method, output=target, progress=_step)
        return {
            "threads": len(prepared.corpus) + len(prepared.extra), "heads": len(models.heads), "output": str(target),
            "cv": models.manifest.get("cross_validation"),
        }

    result = guarded(run)
    out.print(f"trained {result['heads']} heads on {result['threads']} annotated threads; models in {result['output']}")
    figures = result["cv"]
    if isinstance(figures, dict):
        pooled = figures["pooled"]["learned"]
        out.print(
            f"cross-validated: positions F1 {pooled['positions']['f1']:.3f}, behaviours F1 {pooled['behaviours']['f1']:.3f}, "
            f"decisions F1 {pooled['decisions']['f1']:.3f}, relations accuracy {pooled['relations']['accuracy']:.3f}"
        )


@commands.command("train-sentences")
def train_sentences_command(
    data: Annotated[
        Optional[Path], typer.Option("--data", help="positions.jsonl of annotated examples (default: the packaged set).")
    ] = None,
    output: Annotated[
        Optional[Path], typer.Option("--output", "-o", help="Where to write the model (default: the packaged model dir).")
    ] = None,
    taxonomy: TaxonomyOption = None,
    epochs: Annotated[int, typer.Option(help="Passes over the examples.")] = 15,
    seed: Annotated[int, typer.Option(help="Random seed: the same data and seed give the same model.")] = 13,
) -> None:
    """Train the rules pipeline's spaCy sentence classifier for positions from the synthetic
    examples written for the project (analyzer/data/train/positions.jsonl); used by
    `--method rules --positions model|both`."""
    from analyzer.nlp.training import MODEL_DIR, TRAIN_DIR, read_position_examples, train_positions

    def run() -> dict[str, object]:
        ids = load_taxonomy(taxonomy).position_ids
        examples = read_position_examples(data or TRAIN_DIR / "positions.jsonl", positions=ids)
        report = train_positions(examples, positions=ids, output=output or MODEL_DIR / "positions", epochs=epochs, seed=seed)
        return {"examples": report.examples, "labels": len(report.labels), "losses": report.losses, "output": str(report.output)}

    result = guarded(run)
    out.print(f"trained on {result['examples']} examples ({result['labels']} labels); model in {result['output']}")
    out.print(f"loss per epoch: {', '.join(str(x) for x in result['losses'])}")  # type: ignore[attr-defined]
