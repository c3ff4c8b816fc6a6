"""Commands that turn the store into things to read and share: report, export.

The library modules are imported inside the commands: WeasyPrint and networkx take a
while to import, and ``analyzer --help`` should not wait for them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional, cast

import typer

from analyzer.cli.common import DEFAULT_DB, DbOption, err, fail, guarded, out
from analyzer.debate import Debate
from analyzer.errors import AnalyzerError

if TYPE_CHECKING:
    from analyzer.graph.draw import GraphView
    from analyzer.report.write import ReportFormat

commands = typer.Typer()

ThreadArgument = Annotated[
    Optional[str],
    typer.Argument(help="Thread id (the Message-ID of its first message; any message of the thread works).",
                   show_default=False),
]
AllOption = Annotated[bool, typer.Option("--all", help="Every thread of the database (the corpus).")]


def _load(db: Path, thread_id: str | None, every: bool, kernel_tree: Path | None = None) -> tuple[Debate, str | None]:
    """The debate to show, and the id of its one thread (None for the corpus)."""
    if (thread_id is None) == (not every):
        raise AnalyzerError("give either a THREAD-ID or --all")
    if not db.exists():
        raise AnalyzerError(f"no database at {db}; fill one with `analyzer ingest SOURCE --db {db}` first")
    from analyzer.store.db import Store
    from analyzer.store.debate import load_debate

    with Store.open(db) as store:
        debate = load_debate(store, None if every else [thread_id.strip("<>") if thread_id else ""])
    if not debate.threads:
        raise AnalyzerError(f"no threads in {db}; run `analyzer structure --db {db}` first")
    if kernel_tree is not None:
        from analyzer.timeline.commits import attach_commits

        debate = attach_commits(debate, kernel_tree)
    return debate, None if every else debate.threads[0].thread_id


def _formats(value: str) -> list[ReportFormat]:
    from analyzer.report.write import REPORT_FORMATS

    chosen = [f.strip().lower() for f in value.split(",") if f.strip()]
    unknown = [f for f in chosen if f not in REPORT_FORMATS]
    if unknown or not chosen:
        raise AnalyzerError(f"unknown --format {', '.join(unknown) or value!r}; choose from {', '.join(REPORT_FORMATS)}")
    return [cast("ReportFormat", f) for f in chosen]


@commands.command("report")
def report_command(
    thread_id: ThreadArgument = None,
    every: AllOption = False,
    db: DbOption = Path(DEFAULT_DB),
    output: Annotated[Path, typer.Option("--output", "-o", help="Directory to write the report files to.")] = Path("reports"),
    kernel_tree: Annotated[
        Optional[Path], typer.Option(help="A kernel git tree: show the commits whose Link:/Message-Id: trailers point into the thread.")
    ] = None,
    formats: Annotated[str, typer.Option("--format", help="Comma-separated: html, md, pdf.")] = "html,md,pdf",
    graph: Annotated[str, typer.Option(help="Graph view: summary (positions, top claims, camps) or full.")] = "summary",
    min_confidence: Annotated[float, typer.Option(
        "--min-confidence", min=0.0, max=1.0, metavar="X",
        help="Leave out claims, positions, reply relations, decisions and behaviour mentions scored below X "
             "(0-1); the report says how many it left out.")] = 0.0,
) -> None:
    """Write the report of one thread, or of the corpus with --all: argument graph and
    timeline as inline SVG, contested claims, camps, who answers whom, each claim linked
    to its sentence, each label with its score and the signals that fired. The corpus
    report adds the behaviour index and participants x positions."""
    if graph not in ("summary", "full"):
        fail("--graph must be summary or full")
    if output.exists() and not output.is_dir():
        fail(f"-o {output} is a file; give a directory to write the report files to (it is created if missing)")

    def run() -> list[Path]:
        from analyzer.report.write import write_report

        chosen = _formats(formats)
        debate, one = _load(db, thread_id, every, kernel_tree)
        return write_report(debate, output, thread_id=one, formats=chosen, graph_view=cast("GraphView", graph),
                            min_confidence=min_confidence)

    for path in guarded(run):
        out.print(str(path), highlight=False, soft_wrap=True)


@commands.command("export")
def export_command(
    thread_id: ThreadArgument = None,
    every: AllOption = False,
    fmt: Annotated[str, typer.Option("--format", "-f", help="graphml, json (node-link), aif (AIF JSON for OVA/AIFdb) or dot.")] = "graphml",
    db: DbOption = Path(DEFAULT_DB),
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="File to write (default: standard output).")] = None,
    min_confidence: Annotated[float, typer.Option(
        "--min-confidence", min=0.0, max=1.0, metavar="X",
        help="Leave out labels scored below X (0-1); how many is said on standard error.")] = 0.0,
) -> None:
    """Export the argument graph of one thread, or of the corpus with --all."""

    def run() -> str:
        from analyzer.evidence import debate_above
        from analyzer.graph.build import build_graph
        from analyzer.graph.export import EXPORT_FORMATS, export_text

        if fmt not in EXPORT_FORMATS:
            raise AnalyzerError(f"unknown --format {fmt!r}; choose from {', '.join(EXPORT_FORMATS)}")
        debate, one = _load(db, thread_id, every)
        if min_confidence > 0:
            debate, hidden = debate_above(debate, min_confidence)
            err.print(hidden.sentence(), highlight=False, markup=False)
        text = export_text(build_graph(debate, None if one is None else [one]), fmt)
        if output is not None:
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text(text, encoding="utf-8")
        return text

    text = guarded(run)
    if output is None:
        typer.echo(text, nl=False)
    else:
        out.print(str(output), highlight=False, soft_wrap=True)
