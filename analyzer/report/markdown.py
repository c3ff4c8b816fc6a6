"""Markdown rendering of a report. Mail text is escaped so that neither Markdown syntax nor
raw HTML in it takes effect where the file is shown."""

from __future__ import annotations

import re

from analyzer.display import shorten, visible
from analyzer.graph.ids import anchor, lore_url
from analyzer.report.build import Report
from analyzer.report.model import ClaimView, MatrixView, MessageView, ThreadRow
from analyzer.timeline.records import TimelineEvent

_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~])")


def md_text(text: str) -> str:
    """Inline text: one line, control characters shown (``\\x1b``: a Markdown file is
    often read in a terminal), Markdown punctuation backslash-escaped, ``<>&`` as entities."""
    flat = visible(" ".join(text.split()), multiline=False)
    flat = flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _SPECIAL.sub(r"\\\1", flat)


def _claim(claim: ClaimView) -> str:
    return (f"[“{md_text(claim.text)}”](#{claim.anchor}) — {md_text(claim.author)}, `{claim.position}` "
            f"({claim.stance}), [message](#{claim.message_anchor}), [lore]({claim.lore_url}), score {md_text(claim.why)}")


def _table(matrix: MatrixView | None) -> list[str]:
    if matrix is None or not matrix.rows:
        return ["Nothing to show.", ""]
    lines = ["| | " + " | ".join(md_text(c) for c in matrix.columns) + " |",
             "|---" * (len(matrix.columns) + 1) + "|"]
    lines += [f"| {md_text(row)} | " + " | ".join(md_text(c) for c in cells) + " |"
              for row, cells in zip(matrix.rows, matrix.cells)]
    return [*lines, ""]


def render_markdown(report: Report, *, graph_image: str | None = None) -> str:
    """The report as Markdown; ``graph_image`` is the file name of the graph SVG written beside it."""
    out = [f"# {md_text(report.title)}", "", md_text(report.subtitle), ""]
    out += [*(f"- {md_text(note)}" for note in report.notes), ""] if report.notes else []
    out += [md_text(report.confidence_note), ""]
    out += ["## Argument graph", ""]
    out += [f"![Argument graph]({graph_image})", ""] if graph_image else []
    out += ["## Timeline", "", "| date | event | what | |", "|---|---|---|---|"]
    shown = {m.message_id for m in report.messages}
    out += [f"| {e.date[:16].replace('T', ' ')} | {e.kind} | {md_text(e.label)}: {md_text(e.detail)}"
            f"{' (score ' + md_text(e.why) + ')' if e.why else ''} | {_event_link(e, shown)} |"
            for e in report.timeline.events if e.kind != "message"]
    out += ["", "## Most contested claims", ""]
    out += [f"{i}. {_claim(c.claim)} — {c.disagree} disagree, {c.mixed} mixed, {c.agree} agree"
            for i, c in enumerate(report.contested, 1)] or ["No claim drew disagreement."]
    out += ["", "## Camps per position", "", "| position | for | against | both sides |", "|---|---|---|---|"]
    out += [f"| `{c.position}` | {md_text(', '.join(c.supporters))} | {md_text(', '.join(c.opponents))} | "
            f"{md_text(', '.join(c.divided))} |" for c in report.camps]
    out += ["", "## Who answers whom", "", "Rows answer columns: ✗ disagree, ~ mixed, ✓ agree, · neutral.", ""]
    out += _table(report.interactions)
    out += ["## Stances over time", ""]
    for person, claims in report.stance_history:
        out += [f"### {md_text(person)}", "", *(f"- {c.date[:10]} {_claim(c)}" for c in claims), ""]
    if report.postings:
        out += _postings(report)
    if report.kind == "corpus":
        out += _corpus_sections(report)
    out += ["## Messages" if report.kind == "thread" else "## Cited messages", ""]
    for message in report.messages:
        out += _message(message)
    return "\n".join(out) + "\n"


def _event_link(event: TimelineEvent, shown: set[str]) -> str:
    if event.message_id is None:
        return ""
    if event.message_id in shown and event.node_id:
        return f"[source](#{anchor(event.node_id)})"
    return f"[lore]({lore_url(event.message_id)})"


def _postings(report: Report) -> list[str]:
    out = ["## Series postings", ""]
    for posting in report.postings:
        state = f"superseded by `{md_text(posting.superseded_by)}`" if posting.superseded_by else "current"
        out += [f"- **v{posting.version}** {md_text(posting.subject)} ({len(posting.patches)} messages, {state})"]
        for patch in posting.patches:
            link = f"#{patch.anchor}" if patch.anchor else patch.lore_url
            resent = f", re-sent as `{md_text(patch.resent_as)}`" if patch.resent_as else ""
            out += [f"  - {patch.counter} [{md_text(patch.title)}]({link}){resent}"]
    return [*out, ""]


def _corpus_sections(report: Report) -> list[str]:
    out = ["## Behaviour index", ""]
    for entry in report.behaviours:
        out += [f"### `{entry.behaviour}` ({entry.total} messages)", ""]
        out += [f"- [{md_text(u.author)}](#{u.message_anchor}){': ' + md_text(u.positions) if u.positions else ''} "
                f"([lore]({u.lore_url}))" for u in entry.uses]
        out += [f"- … and {entry.total - len(entry.uses)} more" if entry.total > len(entry.uses) else "", ""]
    out += ["## Participants × positions", "", "Claims for (+) and against (−) each position.", ""]
    out += _table(report.position_matrix)
    out += ["## Top threads", "", "| thread | messages | from | to |", "|---|---|---|---|"]
    out += [f"| {_thread_link(t)} | {t.messages} | {t.first_date[:10]} | {t.last_date[:10]} |"
            for t in report.threads]
    return [*out, ""]


def _thread_link(row: ThreadRow) -> str:
    target = f"{row.report_stem}.md" if row.report_stem else row.lore_url
    return f"[{md_text(row.subject)}]({target})"


def _message(message: MessageView) -> list[str]:
    head = f"{md_text(message.author)} · {message.date[:16].replace('T', ' ')}"
    if message.relation:
        head += f" · {message.relation}"
    out = [f'<a id="{message.anchor}"></a>', "", f"### {md_text(message.subject)}", "", head + f" · [lore]({message.lore_url})", ""]
    for claim in message.claims:
        out.append(f'- <a id="{claim.anchor}"></a>**{claim.position} ({claim.stance})**: “{md_text(claim.text)}” '
                   f'— score {md_text(claim.why)}')
    for label in message.labels:
        said = f": “{md_text(shorten(label.sentence, 240))}”" if label.sentence.strip() else ""
        out.append(f"- {label.kind} **{md_text(label.label)}**{said} — score {md_text(label.why)}")
    return [*out, ""]
