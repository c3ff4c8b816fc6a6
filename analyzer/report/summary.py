"""The store summary as Markdown (a page a person can open after an ingest)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def summary_markdown(summary: Mapping[str, Any]) -> str:
    lines = [
        "# Mail store summary",
        "",
        f"- Database: `{summary['database']}` (schema v{summary['schema_version']})",
        f"- Messages stored: **{summary['messages']}** ({summary['with_defects']} with recorded defects)",
        f"- Dates: {summary['first_date'] or 'n/a'} to {summary['last_date'] or 'n/a'}",
        f"- Ingest runs: {summary['ingest_runs']}",
        "",
        "## Lists",
        "",
        "| list | messages |",
        "|---|---|",
    ]
    lines += [f"| {name} | {count} |" for name, count in summary["lists"].items()] or ["| (none) | 0 |"]
    lines += ["", "## Rejected messages by reason", "", "| reason | count |", "|---|---|"]
    lines += [f"| {reason} | {count} |" for reason, count in summary["rejections"].items()] or ["| (none) | 0 |"]
    lines += ["", "## Stored, but not segmented or analysed (by stage)", "", "| stage | messages |", "|---|---|"]
    lines += [f"| {stage} | {count} |" for stage, count in summary.get("failures", {}).items()] or ["| (none) | 0 |"]
    return "\n".join(lines) + "\n"
