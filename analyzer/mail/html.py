"""HTML-only mail to plain text that keeps quote structure (``<blockquote>`` -> ``> ``)."""

from __future__ import annotations

import html2text


def html_to_text(markup: str) -> str:
    converter = html2text.HTML2Text(bodywidth=0)
    converter.ignore_images = True
    converter.ignore_emphasis = True
    converter.protect_links = True
    converter.unicode_snob = True
    return str(converter.handle(markup)).strip("\n") + "\n"
