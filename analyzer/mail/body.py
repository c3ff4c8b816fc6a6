"""The readable body of a parsed message: text/plain parts, else HTML turned into text."""

from __future__ import annotations

import codecs
import functools
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
    if plain and ("CharsetDecodeDefect" in parsed.defects_categories or _has_seven_bit_charset(parsed)):
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
        return payload.decode(codec_for(charset) or charset)
    except (LookupError, UnicodeDecodeError):
        return guess_decode(payload)[0]


# MIME names Python's codecs do not know under that spelling.
_CHARSET_ALIASES = {
    "unicode-1-1-utf-7": "utf-7",
    "x-unicode-2-0-utf-7": "utf-7",
    "x-sjis": "shift_jis",
    "x-euc-jp": "euc_jp",
    "x-gbk": "gbk",
    "x-mac-roman": "mac_roman",
    "x-mac-cyrillic": "mac_cyrillic",
    "ks_c_5601-1987": "cp949",
    "x-windows-949": "cp949",
    "x-user-defined": "cp1252",
}


def codec_for(charset: str) -> str | None:
    """The Python codec for a MIME charset name, or None when Python has none."""
    name = charset.strip().strip('"').lower()
    name = _CHARSET_ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _has_seven_bit_charset(parsed: mailparser.MailParser) -> bool:
    """A text/plain part in a charset whose bytes are all ASCII but mean something else
    (ISO-2022-JP/KR, UTF-7, HZ): mail-parser hands such text over undecoded, escape
    sequences and all, and says nothing."""
    for part in parsed.message.walk():
        if part.get_content_type() == "text/plain" and not part.is_multipart():
            codec = codec_for(part.get_content_charset() or "us-ascii")
            if codec is not None and _is_seven_bit(codec):
                return True
    return False


@functools.lru_cache(maxsize=64)
def _is_seven_bit(codec: str) -> bool:
    """Whether the codec reads some ASCII text differently from ASCII (found by trying
    it, so every such codec Python has is covered, not a list of names)."""
    sample = b"~{ +AGE- \x1b$B \x0e"
    try:
        return sample.decode(codec) != sample.decode("ascii")
    except (UnicodeDecodeError, ValueError):
        return True


def _redecode_plain(parsed: mailparser.MailParser, defects: list[str]) -> list[str]:
    """Second chance for text/plain parts whose declared charset failed (mail-parser's
    own fallback is UTF-8 with replacement characters) or was never applied (7-bit
    charsets): every charset Python has a codec for is decoded with it; otherwise the
    charset is guessed and the guess recorded as a defect."""
    texts: list[str] = []
    for part in parsed.message.walk():
        if part.get_content_type() != "text/plain" or part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes) or not payload:
            continue
        declared = part.get_content_charset() or "us-ascii"
        codec = codec_for(declared)
        try:
            texts.append(payload.decode(codec or declared))
            continue
        except (LookupError, UnicodeDecodeError):
            pass
        text, used = guess_decode(payload)
        texts.append(text)
        reason = "unknown to Python" if codec is None else "does not fit the bytes"
        defects.append(f"charset-guessed: text/plain declared {declared!r} ({reason}); decoded as {used}")
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
    matches = detect_charset(payload)
    best = matches.best()
    if best is not None and (not best.encoding.startswith(("utf_16", "utf_32")) or best.bom):
        tied = [m for m in matches if (m.chaos, m.coherence) == (best.chaos, best.coherence)]
        # On a few accented letters many code pages read equally well; Windows-1252 is
        # by far the likeliest in mail, so it wins a tie.
        chosen = next((m for m in tied if m.encoding == "cp1252"), best)
        return str(chosen), chosen.encoding
    return payload.decode("cp1252", "replace"), "cp1252"


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")
