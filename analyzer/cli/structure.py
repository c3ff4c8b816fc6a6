"""Commands over thread structure: build it, list threads, show one message with its quotes."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Annotated, Any, cast

import typer
from rich.table import Table

from analyzer.cli.common import (
    DEFAULT_DB,
    DbOption,
    EngineOption,
    RichProgress,
    cell,
    err,
    exit_on_failures,
    fail,
    guarded,
    SchedulerOption,
    out,
)
from analyzer.display import visible, visible_json
from analyzer.segment.records import Segmentation
from analyzer.store.db import Store, StoredMessage
from analyzer.workers import EngineName, choose_runner
from analyzer.thread.records import SeriesVersion
from analyzer.store.failures import failure_counts
from analyzer.store.structure import (
    StructureSummary,
    ThreadOverview,
    author_of,
    known_lists,
    load_segmentation,
    load_thread,
    needs_rebuild,
    posting_of,
    rebuild_structure,
    structure_state,
    thread_id_of,
    thread_overviews,
)

commands = typer.Typer()

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n\s*\n")
_QUOTE_MARKS = re.compile(r"(?m)^[ \t]*(?:>[ \t]?)+")
_SHOWN_SENTENCE = 240


@commands.command("structure")
def structure_command(
    db: DbOption = Path(DEFAULT_DB),
    aliases: Annotated[
        Path | None, typer.Option(help="Aliases in git .mailmap format: Proper Name <proper@addr> <other@addr>.")
    ] = None,
    maintainers: Annotated[
        Path | None, typer.Option(help="A kernel MAINTAINERS file: gives maintainer:/reviewer: roles.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts as one JSON object.")] = False,
    progress: Annotated[
        bool | None, typer.Option("--progress/--no-progress", help="Progress on stderr: bars on a terminal, plain lines otherwise (default: on).")
    ] = None,
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", help="Processes segmenting threads (0: every core; 1: this process only).")
    ] = 0,
    engine: EngineOption = "local",
    scheduler: SchedulerOption = None,
    full: Annotated[
        bool, typer.Option("--full", help="Rethread every message, as the first run does, not only what new mail touches.")
    ] = False,
    retry_failed: Annotated[bool, typer.Option(
        "--retry-failed",
        help="Segment again the threads holding messages an earlier run could not segment (recorded with "
             "their reason, `analyzer rejections`; otherwise tried again only when their thread or the "
             "segmenter changes).")] = False,
) -> None:
    """Thread the messages stored since the last run with every message they connect to,
    link patch-series versions, merge people's identities and segment messages whose
    thread changed (on every core by default, or on a Dask cluster: --engine dask
    --scheduler ADDR). Run it after `analyzer ingest`; `threads` and `show` also run it by
    themselves when new mail was stored."""
    show = True if progress is None else progress

    def run() -> tuple[StructureSummary, int]:
        runner = choose_runner(engine=cast("EngineName", engine), jobs=jobs, scheduler=scheduler)
        with Store.open(db) as store:
            done = rebuild_structure(
                store, aliases=aliases, maintainers=maintainers, progress=RichProgress(show, verb="structure"),
                runner=runner, full=full, retry_failed=retry_failed,
            )
            # what the store lacks after the run, earlier runs' failures included
            return done, failure_counts(store).get("segment", 0)

    summary, outstanding = guarded(run)
    if as_json:
        print(json.dumps(summary.as_dict()))
    else:
        for key, value in summary.as_dict().items():
            out.print(f"{key}: {value}", highlight=False)
        if summary.segmenter is None:
            err.print("note: no segmenter is installed yet, so messages were not segmented", highlight=False)
    exit_on_failures(summary.failed, "segmented", db, outstanding=outstanding,
                     retry="`analyzer structure --retry-failed`")


@commands.command("threads")
def threads_command(
    db: DbOption = Path(DEFAULT_DB),
    list_id: Annotated[str | None, typer.Option("--list", help="Only threads with a message on this list.")] = None,
    since: Annotated[str | None, typer.Option(help="Only threads active on or after this date (YYYY-MM-DD).")] = None,
    limit: Annotated[int, typer.Option(help="Most threads to show (0: all).")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object per thread, one per line.")] = False,
) -> None:
    """List threads: root subject, first and last date, message count, participants."""
    if since is not None and not _is_date(since):
        fail(f"--since {since!r} is not a date; write it as YYYY-MM-DD, e.g. --since 2022-12-01")

    def run() -> list[ThreadOverview]:
        with Store.open(db) as store:
            _refresh(store)
            if list_id is not None and list_id not in known_lists(store):
                choices = ", ".join(known_lists(store)) or "none"
                fail(f"no message in {db} is on list {list_id!r}; lists there: {choices}")
            return thread_overviews(store, list_id=list_id, since=since)

    overviews = guarded(run)
    shown = overviews[:limit] if limit > 0 else overviews
    if as_json:
        for overview in shown:
            print(visible_json(json.dumps(_overview_json(overview), ensure_ascii=False)))
        return
    table = Table("first", "last", "msgs", "subject", "participants")
    for o in shown:
        people = ", ".join(o.participants[:4]) + (f" +{len(o.participants) - 4}" if len(o.participants) > 4 else "")
        table.add_row(_day(o.first_date), _day(o.last_date), str(o.message_count), cell(o.root_subject), cell(people))
    out.print(table)
    err.print(f"{len(shown)} of {len(overviews)} threads", highlight=False)


@commands.command("show")
def show_command(
    message_id: Annotated[str, typer.Argument(help="Message-ID, with or without <>.", show_default=False)],
    db: DbOption = Path(DEFAULT_DB),
    as_json: Annotated[bool, typer.Option("--json", help="Print as one JSON object.")] = False,
) -> None:
    """Show a message: headers, place in its thread, and its segments, with each quoted
    block traced to the message, author and sentence it came from (or "unresolved")."""

    def run() -> dict[str, Any]:
        with Store.open(db) as store:
            _refresh(store)
            message = store.message(message_id)
            if message is None:
                fail(
                    f"no message {message_id!r} in {db}; find its id with "
                    f"`analyzer search WORDS --db {db}` or list threads with `analyzer threads --db {db}`"
                )
            assert message is not None
            return _message_view(store, message)

    view = guarded(run)
    if as_json:
        print(visible_json(json.dumps(view, ensure_ascii=False, indent=2)))
    else:
        _print_view(view)


def _refresh(store: Store) -> None:
    """Rebuild when mail was stored since the last build, with the same aliases and
    MAINTAINERS as then (only what the new mail touches is rethreaded and re-segmented)."""
    if not needs_rebuild(store):
        return
    state = structure_state(store)
    err.print("new mail since the last `analyzer structure`: rebuilding threads…", highlight=False)
    rebuild_structure(
        store,
        aliases=Path(state["aliases"]) if state.get("aliases") else None,
        maintainers=Path(state["maintainers"]) if state.get("maintainers") else None,
        progress=RichProgress(True, verb="structure"),
    )


def _message_view(store: Store, message: StoredMessage) -> dict[str, Any]:
    thread_id = thread_id_of(store, message.message_id)
    thread = load_thread(store, thread_id) if thread_id else None
    member = next((m for m in thread.members if m.message_id == message.message_id), None) if thread else None
    author = author_of(store, message.message_id)
    segmentation = load_segmentation(store, message.message_id)
    return {
        "message_id": message.message_id,
        "subject": message.subject,
        "from": f"{message.author_name} <{message.author_email}>",
        "person": author.person_id if author else None,
        "roles": list(author.roles) if author else [],
        "date": message.date,
        "in_reply_to": message.in_reply_to,
        "lists": list(message.lists),
        "thread": {
            "thread_id": thread_id,
            "subject": thread.root_subject if thread else None,
            "messages": len(thread.message_ids) if thread else 0,
            "depth": member.depth if member else None,
            "parent": member.parent_id if member else None,
            "parent_missing": bool(thread and member and member.parent_id and member.parent_id not in thread.message_ids),
        },
        "series": _posting_view(posting_of(store, message.message_id)),
        "segments": None if segmentation is None else _segments(store, message.body, segmentation),
    }


def _posting_view(posting: SeriesVersion | None) -> dict[str, Any] | None:
    """The posting the message belongs to: every patch of it, across threads."""
    if posting is None:
        return None
    return {
        "series_id": posting.series_id,
        "version": posting.version,
        "root": posting.root_message_id,
        "superseded_by": posting.superseded_by,
        "patches": [
            {
                "message_id": p.message_id,
                "number": p.number,
                "total": p.total,
                "title": p.title,
                "thread_id": p.thread_id,
                "superseded_by": p.superseded_by,
            }
            for p in posting.patches
        ],
    }


def _segments(store: Store, body: str, segmentation: Segmentation) -> list[dict[str, Any]]:
    quotes = {q.start: q for q in segmentation.quotes}
    own = {o.start: o for o in segmentation.own}
    shown: list[dict[str, Any]] = []
    for block in segmentation.blocks:
        if block.kind == "blank":
            continue
        item: dict[str, Any] = {"kind": block.kind, "text": body[block.start : block.end].rstrip("\n")}
        if block.kind == "quote" and block.start in quotes:
            item |= _quote_source(store, quotes[block.start])
        if block.kind == "own" and block.start in own:
            item["answers"] = own[block.start].answers
        shown.append(item)
    return shown


def _quote_source(store: Store, quote: Any) -> dict[str, Any]:
    info: dict[str, Any] = {"quote": quote.index, "depth": quote.depth, "source": None}
    if quote.source_message_id is None:
        return info
    source = store.message(quote.source_message_id)
    author = author_of(store, quote.source_message_id)
    sentence = None
    if source is not None and quote.source_start is not None:
        sentence = sentence_at(source.body, quote.source_start, quote.source_end or quote.source_start)
    info["source"] = {
        "message_id": quote.source_message_id,
        "author": author.name if author else (source.author_name if source else None),
        "sentence": sentence,
    }
    return info


def sentence_at(text: str, start: int, end: int) -> str:
    """The sentence of ``text`` where the span [start, end) begins, on one line, cut to a
    readable length."""
    begin = 0
    for match in _SENTENCE_END.finditer(text, 0, start + 1):
        if match.end() <= start:
            begin = match.end()
    following = _SENTENCE_END.search(text, max(start, begin) + 1)
    stop = following.start() if following else len(text)
    sentence = " ".join(_QUOTE_MARKS.sub("", text[begin:stop]).split())
    return sentence if len(sentence) <= _SHOWN_SENTENCE else sentence[: _SHOWN_SENTENCE - 1] + "…"


def _print_view(view: dict[str, Any]) -> None:
    thread = view["thread"]
    for label, value in (
        ("Message-ID", view["message_id"]),
        ("Subject", view["subject"]),
        ("From", view["from"] + (f"  [{', '.join(view['roles'])}]" if view["roles"] else "")),
        ("Date", view["date"] or "(none)"),
        ("In-Reply-To", (view["in_reply_to"] or "(none)") + ("  (not in the database)" if thread["parent_missing"] else "")),
        ("Lists", ", ".join(view["lists"]) or "(none)"),
        ("Thread", f"{thread['thread_id']} ({thread['messages']} messages), depth {thread['depth']}"),
    ):
        out.print(f"{label}: {visible(value, multiline=False)}", highlight=False, markup=False)
    if view.get("series"):
        _print_posting(view["series"])
    if view["segments"] is None:
        err.print("not segmented yet: run `analyzer structure` once a segmenter is installed", highlight=False)
        return
    for segment in view["segments"]:
        out.print(f"\n[{_segment_label(segment)}]", highlight=False, markup=False)
        out.print(visible(segment["text"]), highlight=False, markup=False)
        if segment["kind"] == "quote":
            out.print(f"  -> {visible(_source_line(segment), multiline=False)}", highlight=False, markup=False)


def _print_posting(posting: dict[str, Any]) -> None:
    later = f", superseded by {posting['superseded_by']}" if posting["superseded_by"] else ""
    out.print(
        visible(f"Series: v{posting['version']} posting {posting['root']} ({len(posting['patches'])} messages){later}", multiline=False),
        highlight=False,
        markup=False,
    )
    for patch in posting["patches"]:
        counter = "-" if patch["number"] is None else f"{patch['number']}/{patch['total']}"
        replaced = f"  (re-sent as {patch['superseded_by']})" if patch["superseded_by"] else ""
        line = f"  {counter:>6} {patch['title']}  <{patch['message_id']}>{replaced}"
        out.print(visible(line, multiline=False), highlight=False, markup=False)


def _segment_label(segment: dict[str, Any]) -> str:
    if segment["kind"] == "quote":
        return f"quote #{segment.get('quote', '?')} depth {segment.get('depth', '?')}"
    if segment["kind"] == "own" and segment.get("answers") is not None:
        return f"own, answers quote #{segment['answers']}"
    return str(segment["kind"])


def _source_line(segment: dict[str, Any]) -> str:
    source = segment.get("source")
    if not source:
        return "unresolved"
    sentence = f': "{source["sentence"]}"' if source.get("sentence") else ""
    return f"from {source['message_id']} by {source['author'] or 'unknown'}{sentence}"


def _overview_json(o: ThreadOverview) -> dict[str, Any]:
    return {
        "thread_id": o.thread_id,
        "subject": o.root_subject,
        "first_date": o.first_date,
        "last_date": o.last_date,
        "messages": o.message_count,
        "participants": list(o.participants),
        "lists": list(o.lists),
    }


def _is_date(value: str) -> bool:
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _day(value: str | None) -> str:
    return value[:10] if value else "-"
