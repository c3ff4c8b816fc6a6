"""Commands that fill the store and look into it: ingest, stats, rejections, search."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.markup import escape
from rich.table import Column, Table

from analyzer.cli.common import DEFAULT_DB, DbOption, RichProgress, cell, fail, guarded, out
from analyzer.display import visible
from analyzer.ingest.fetch_policy import FetchPolicy
from analyzer.ingest.lore import DEFAULT_BASE, LoreClient, make_session
from analyzer.ingest.mbox import ExpansionCap
from analyzer.ingest.pipeline import IngestOptions, IngestReport, ingest
from analyzer.ingest.sources import FORMATS, ReadOptions, check
from analyzer.records import IngestCounts
from analyzer.report.summary import summary_markdown
from analyzer.store.db import Store
from analyzer.store.failures import load_failures

commands = typer.Typer()


@commands.command("ingest")
def ingest_command(
    sources: Annotated[
        list[str],
        typer.Argument(
            help="mbox files (.gz/.xz too), Maildirs, folders of .eml, public-inbox archives "
            "(bare epoch or inbox dir), lore URLs or Message-IDs.",
            show_default=False,
        ),
    ],
    db: DbOption = Path(DEFAULT_DB),
    format: Annotated[
        str, typer.Option("--format", "-f", help=f"Source format: {', '.join(FORMATS)}.")
    ] = "auto",
    list_id: Annotated[
        Optional[str], typer.Option("--list", help="List id to record for every message (e.g. kvm.vger.kernel.org).")
    ] = None,
    lore_base: Annotated[str, typer.Option(help="Base URL of the public-inbox server for Message-IDs.")] = DEFAULT_BASE,
    cache_dir: Annotated[
        Optional[Path], typer.Option(help="On-disk HTTP cache for lore downloads.")
    ] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not cache lore downloads.")] = False,
    timeout: Annotated[float, typer.Option(help="HTTP read timeout, seconds.")] = 60.0,
    retries: Annotated[int, typer.Option(help="HTTP retries on errors and 429/5xx.")] = 3,
    max_size: Annotated[int, typer.Option(help="Largest message accepted, bytes.")] = 25 * 1024 * 1024,
    max_expanded: Annotated[
        int,
        typer.Option(help="Decompressed size allowed for a .gz/.xz/.bz2 source, bytes (or 100x its size, if larger)."),
    ] = ExpansionCap().floor,
    max_download: Annotated[int, typer.Option(help="Largest lore download, bytes.")] = 64 * 1024 * 1024,
    mbox_variant: Annotated[str, typer.Option(help="mboxrd (unescape >From) or mboxo.")] = "mboxrd",
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Parser processes (0: one per core).")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts as one JSON object.")] = False,
    progress: Annotated[
        Optional[bool], typer.Option("--progress/--no-progress", help="Progress on stderr: bars on a terminal, plain lines otherwise (default: on).")
    ] = None,
) -> None:
    """Read mail from SOURCES into the database: every message is stored once (by
    Message-ID, with every list it came from) or recorded as rejected with a reason.
    Prints read, stored, duplicates and rejected (by reason); read = stored +
    duplicates + rejected, always.

    A public-inbox archive is read incrementally: a re-run reads only new commits."""
    if jobs < 0:
        fail(f"--jobs {jobs}: give a number of parser processes, or 0 for one per core")
    read = _read_options(format, mbox_variant, max_size, max_expanded, list_id, lore_base)
    targets = guarded(lambda: [(s, check(s, format)) for s in sources])  # type: ignore[arg-type]
    client = None
    if any(kind == "lore" for _, kind in targets):
        # The dashboard's policy too: allowed hosts only (ANALYZER_ALLOWED_HOSTS and the
        # --lore-base named here), redirects checked against the same list.
        policy = guarded(lambda: FetchPolicy.from_environment(os.environ, also=lore_base))
        guarded(lambda: [policy.thread(s) for s, kind in targets if kind == "lore"])
        cache = None if no_cache else _usable_cache_dir(cache_dir or _default_cache_dir())
        session = policy.guard(make_session(cache_dir=cache, retries=retries))
        client = LoreClient(session, timeout=(10.0, timeout), max_download=max_download)
    show = True if progress is None else progress

    def run() -> IngestReport:
        with Store.open(db) as store:
            return ingest(
                store,
                targets,
                IngestOptions(read=read, jobs=jobs),
                lore_client=client,
                progress=RichProgress(show),
            )

    report = guarded(run)
    if as_json:
        print(json.dumps(report.counts.as_dict()))
        return
    _print_report(report, db)


def _read_options(
    format: str, mbox_variant: str, max_size: int, max_expanded: int, list_id: str | None, lore_base: str
) -> ReadOptions:
    if format not in FORMATS:
        fail(f"unknown --format {format!r}; choose one of {', '.join(FORMATS)}")
    if mbox_variant not in ("mboxrd", "mboxo"):
        fail("--mbox-variant must be mboxrd or mboxo")
    if max_size <= 0 or max_expanded <= 0:
        fail("--max-size and --max-expanded must be positive numbers of bytes")
    return ReadOptions(
        max_size=max_size,
        expansion=ExpansionCap(floor=max_expanded),
        mbox_variant=mbox_variant,  # type: ignore[arg-type]
        list_hint=list_id,
        lore_base=lore_base,
    )


def _print_report(report: IngestReport, db: Path) -> None:
    table = Table("read", "stored", "duplicates", "rejected")
    table.columns.insert(0, Column("source", overflow="fold"))  # a long path wraps, never loses its file name
    for name, counts in report.per_source.items():
        table.add_row(cell(name), *_count_cells(counts))
    if len(report.per_source) != 1:
        table.add_row("total", *_count_cells(report.counts))
    out.print(table)
    for name, counts in report.per_source.items():
        if counts.read == 0:
            out.print(f"note: nothing new to read in {escape(visible(name))} (empty, or already ingested)", highlight=False, soft_wrap=True)
    if report.counts.rejected:
        out.print(
            f"{report.counts.rejected_total} rejected; `analyzer rejections --db {escape(str(db))}` lists each with its reason",
            highlight=False,
            soft_wrap=True,
        )


def _count_cells(counts: IngestCounts) -> list[str]:
    reasons = ", ".join(f"{k}: {v}" for k, v in sorted(counts.rejected.items())) or "0"
    return [str(counts.read), str(counts.stored), str(counts.duplicates), reasons]


@commands.command("stats")
def stats_command(
    db: DbOption = Path(DEFAULT_DB),
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print as Markdown.")] = False,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write to this file instead.")] = None,
) -> None:
    """Counts in the database: messages, lists, rejections by reason, ingest runs."""

    def run() -> dict[str, Any]:
        with Store.open(db) as store:
            return store.summary()

    summary = guarded(run)
    text = None
    if as_json:
        text = json.dumps(summary, indent=2)
    elif markdown:
        text = summary_markdown(summary)
    if text is not None:
        if output is None:
            print(text)
        else:
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text(text, encoding="utf-8")
        return
    for key, value in summary.items():
        out.print(f"{key}: {visible(str(value), multiline=False)}", highlight=False, markup=False)


@commands.command("rejections")
def rejections_command(db: DbOption = Path(DEFAULT_DB)) -> None:
    """List every rejected message: source, place in it, reason and detail."""

    def run() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        with Store.open(db) as store:
            return store.rejections(), load_failures(store)

    rejected, failed = guarded(run)
    table = Table("reason", "source", "locator", "detail")
    for row in rejected:
        table.add_row(*(cell(row[k]) for k in ("reason", "source", "locator", "detail")))
    out.print(table)
    if failed:
        stages = Table("stage", "message-id", "thread", "reason", "detail", title="stored, but not segmented or analysed")
        for row in failed:
            stages.add_row(*(cell(row[k]) for k in ("stage", "message_id", "thread_id", "reason", "detail")))
        out.print(stages)


@commands.command("search")
def search_command(
    query: Annotated[str, typer.Argument(
        help='Words, identifiers or any of their parts (SUPPRESS_EOI, EOI_BROADCAST, num_LPIs, KVM_CAP_*), '
             '"phrases", AND / OR / NOT: as the dashboard\'s Search.')],
    db: DbOption = Path(DEFAULT_DB),
    limit: Annotated[int, typer.Option(help="Most results to show.")] = 20,
) -> None:
    """Full-text search over subjects, authors and bodies, identifiers found by any of
    their parts (the dashboard's Search: same hits, same order)."""

    def run() -> list[tuple[str, str, str, str]]:
        with Store.open(db) as store:
            return [(m.date or "", m.author_name, m.subject, m.message_id) for m in store.search(query, limit=limit)]

    table = Table("date", "author", "subject", "message-id")
    for row in guarded(run):
        table.add_row(*(cell(value) for value in row))
    out.print(table)


def _usable_cache_dir(path: Path) -> Path | None:
    """The HTTP cache folder, or None (no cache) when it cannot be created here."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        typer.echo(f"note: no download cache ({path}: {exc.strerror or exc}); use --cache-dir to set one", err=True)
        return None
    return path


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mlpa-analyzer"

