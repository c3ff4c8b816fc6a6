"""HTML rendering with Jinja2 and autoescaping: text from mail can never become markup.

The page is self-contained: styles inline, graph and timeline as inline SVG, no script and
no remote asset (a Content-Security-Policy forbids both as a second line of defence).
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from analyzer.graph.ids import anchor
from analyzer.report.build import Report

TEMPLATES = Path(__file__).resolve().parent / "templates"


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html", "j2", "svg", "css"), default=True),
        undefined=StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
        keep_trailing_newline=True,
    )
    env.globals["anchor"] = _anchor
    return env


def _anchor(node_id: str) -> str:
    return anchor(node_id) if node_id else ""


def render_html(report: Report, env: Environment | None = None) -> str:
    return (env or environment()).get_template("report.html.j2").render(report=report)
