"""PDF rendering: WeasyPrint lays out the HTML report, inline SVG included.

WeasyPrint may fetch nothing: the report is self-contained, and a hostile ``<img src>`` that
somehow reached the markup must not become a request from the machine making the PDF.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from analyzer.errors import AnalyzerError


def refuse_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    raise ValueError(f"report rendering does not fetch {url!r}")


def write_pdf(html: str, path: Path) -> Path:
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: Pango missing on the system
        raise AnalyzerError(f"PDF output needs WeasyPrint and Pango ({exc}); use --format html,md") from exc
    # WeasyPrint logs every unsupported CSS property at WARNING; they are not errors of ours.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    HTML(string=html, base_url=None, url_fetcher=refuse_fetch).write_pdf(path)
    return path
