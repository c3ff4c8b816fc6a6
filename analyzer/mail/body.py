"""The readable body of a parsed message: text/plain parts, else HTML turned into text."""

from __future__ import annotations

from typing import Literal

import mailparser
from charset_normalizer import from_bytes as detect_charset

from analyzer.mail.html import html_to_text

BodyKind = Literal["plain", "html", "empty"]


def body_of(parsed: mailparser.MailParser, defects: list[str]) -> tuple[str, BodyKind]:
    """Body text and its kind; appends ``html-only`` to ``defects`` when there was no
    plain text and HTML had to be converted."""
    plain: list[str] = parsed.text_plain
    if plain:
        if "CharsetDecodeDefect" in parsed.defects_categories:
            plain = _redecode_plain(parsed) or plain
        return normalise_newlines("\n".join(plain)), "plain"
    if parsed.text_html:
        defects.append("html-only: converted to text")
        return normalise_newlines(html_to_text("\n".join(parsed.text_html))), "html"
    return "", "empty"


def _redecode_plain(parsed: mailparser.MailParser) -> list[str]:
    """Second chance for text/plain parts whose declared charset failed: detect it
    (mail-parser's own fallback is UTF-8 with replacement characters)."""
    texts: list[str] = []
    for part in parsed.message.walk():
        if part.get_content_type() != "text/plain" or part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes) or not payload:
            continue
        best = detect_charset(payload).best()
        texts.append(str(best) if best is not None else payload.decode("utf-8", "replace"))
    return texts


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")
