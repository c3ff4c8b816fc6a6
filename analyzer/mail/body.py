"""The readable body of a parsed message: text/plain parts, else HTML turned into text."""

from __future__ import annotations

from typing import Literal

import mailparser
from charset_normalizer import from_bytes as detect_charset

from analyzer.mail.html import html_to_text

BodyKind = Literal["plain", "html", "empty"]


def body_of(parsed: mailparser.MailParser, defects: list[str]) -> tuple[str, BodyKind]:
    """Body text and its kind. Plain text parts come first, then patch parts
    (text/x-patch, text/x-diff: the diff under review); HTML is converted only when
    there is no plain text, and ``html-only`` is added to ``defects``."""
    plain: list[str] = parsed.text_plain
    if plain and "CharsetDecodeDefect" in parsed.defects_categories:
        plain = _redecode_plain(parsed, defects) or plain
    texts = plain + _patch_parts(parsed)
    if texts:
        return normalise_newlines("\n".join(texts)), "plain"
    if parsed.text_html:
        defects.append("html-only: converted to text")
        return normalise_newlines(html_to_text("\n".join(parsed.text_html))), "html"
    return "", "empty"


_PATCH_TYPES = frozenset({"text/x-patch", "text/x-diff", "text/x-patch-file"})


def _patch_parts(parsed: mailparser.MailParser) -> list[str]:
    """Patches sent as parts of their own, which mail-parser files with neither plain
    nor HTML text."""
    texts: list[str] = []
    for part in parsed.message.walk():
        if part.get_content_type() in _PATCH_TYPES and not part.is_multipart():
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes) and payload:
                texts.append(_decoded(payload, part.get_content_charset() or "utf-8"))
    return texts


def _decoded(payload: bytes, charset: str) -> str:
    try:
        return payload.decode(charset)
    except (LookupError, UnicodeDecodeError):
        return guess_decode(payload)[0]


def _redecode_plain(parsed: mailparser.MailParser, defects: list[str]) -> list[str]:
    """Second chance for text/plain parts whose declared charset failed (mail-parser's
    own fallback is UTF-8 with replacement characters)."""
    texts: list[str] = []
    for part in parsed.message.walk():
        if part.get_content_type() != "text/plain" or part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes) or not payload:
            continue
        declared = part.get_content_charset() or "us-ascii"
        try:
            texts.append(payload.decode(declared))
            continue
        except (LookupError, UnicodeDecodeError):
            pass
        text, used = guess_decode(payload)
        texts.append(text)
        defects.append(f"charset-guessed: text/plain declared {declared!r}; decoded as {used}")
    return texts


def guess_decode(payload: bytes) -> tuple[str, str]:
    """Text of bytes whose declared charset failed, and the charset used: UTF-8 if it
    fits, else what charset-normalizer detects, else Windows-1252. UTF-16/32 guesses
    are refused without a byte-order mark: on a few stray bytes in mostly ASCII text the
    detector picks them, and the result is unreadable."""
    try:
        return payload.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    best = detect_charset(payload).best()
    if best is not None and (not best.encoding.startswith(("utf_16", "utf_32")) or best.bom):
        return str(best), best.encoding
    return payload.decode("cp1252", "replace"), "cp1252"


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")
