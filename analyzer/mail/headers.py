"""Pure helpers for header values: Message-IDs, references, list ids, raw header scans."""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass
from email.header import decode_header, make_header

_MSGID_IN_BRACKETS = re.compile(r"<([^<>\s]+)>")
_VALID_MSGID = re.compile(r"^[\x21-\x7e]{1,250}$")
_LIST_ID = re.compile(r"<([^<>\s]+)>")

# Headers mail-parser is asked to read: Subject (RFC 2047), Date and the MIME ones.
# Transport headers (Received, DKIM, ARC...) are dropped before parsing: nothing here
# uses them and mail-parser spent ~40% of its time on Received alone. Addresses and the
# threading headers are read from the raw bytes here (_OWN_HEADERS): from/to/cc ~10x
# cheaper than mail-parser's forensic address parser on long kernel Cc lists, and every
# header left out makes each of mail-parser's many header look-ups shorter.
_KEPT_FOR_PARSER = frozenset({b"subject", b"date", b"mime-version"})
"""With every ``content-*`` header."""
_OWN_HEADERS = {
    b"from": "From",
    b"to": "To",
    b"cc": "Cc",
    b"subject": "Subject",
    b"message-id": "Message-ID",
    b"in-reply-to": "In-Reply-To",
    b"references": "References",
    b"list-id": "List-Id",
    b"x-mailing-list": "X-Mailing-List",
    b"x-recovered": "X-Recovered",
}
"""Headers read from the raw bytes here, with the names they are reported by."""


def clean_message_id(value: str | None) -> str | None:
    """The Message-ID inside a header value, without brackets; None if there is none.

    A value without brackets is accepted as-is when it is a single printable token,
    as public-inbox does.
    """
    if not value:
        return None
    match = _MSGID_IN_BRACKETS.search(value)
    candidate = match.group(1) if match else value.strip()
    if _VALID_MSGID.match(candidate) and "<" not in candidate and ">" not in candidate:
        return candidate
    return None


def message_ids_in(value: str | None, *, unique: bool = True) -> list[str]:
    """All bracketed Message-IDs in a References/In-Reply-To value, in order (each
    once unless ``unique`` is False)."""
    if not value:
        return []
    found = [m for m in _MSGID_IN_BRACKETS.findall(value) if _VALID_MSGID.match(m)]
    return list(dict.fromkeys(found)) if unique else found


def synthetic_message_id(*parts: str) -> str:
    """A stable id for mail without a usable Message-ID: same mail, same id."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()
    return f"mlpa-{digest[:32]}@synthetic.invalid"


def list_id_of(list_id_header: str | None, mailing_list_header: str | None) -> str | None:
    """The list identifier from List-Id (``<kvm.vger.kernel.org>``) or X-Mailing-List."""
    if list_id_header:
        match = _LIST_ID.search(list_id_header)
        return (match.group(1) if match else list_id_header.strip()).lower() or None
    if mailing_list_header:
        value = mailing_list_header.strip().strip("<>").lower()
        if "@" in value:
            local, _, domain = value.partition("@")
            return f"{local}.{domain}"
        return value or None
    return None


def decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words; undecodable input is returned unchanged."""
    try:
        return str(make_header(decode_header(value)))
    except (LookupError, UnicodeError, ValueError, AssertionError):
        return value


@dataclass(frozen=True, slots=True)
class HeaderSplit:
    """Raw mail split for parsing: what mail-parser reads, and the headers read here."""

    for_parser: bytes
    fields: dict[str, list[str]]
    """Unfolded values of each header in ``_OWN_HEADERS`` present, by display name."""
    eight_bit: tuple[str, ...]
    """Of those, the ones with raw 8-bit bytes (no RFC 2047 encoding)."""
    latin1_headers: tuple[str, ...]
    """Of those, the ones whose bytes were not UTF-8 and were read as Latin-1."""

    def all(self, name: str) -> list[str]:
        return self.fields.get(name, [])

    def first(self, name: str) -> str | None:
        values = self.fields.get(name)
        return values[0] if values else None


def split_for_parser(raw: bytes) -> HeaderSplit:
    """Keep only the headers in ``_KEPT_FOR_PARSER`` and ``Content-*`` for mail-parser
    (the body is untouched) and read the ``_OWN_HEADERS`` values, unfolded."""
    end = _header_end(raw)
    kept: list[bytes] = []
    own_lines: dict[bytes, list[bytes]] = {}
    own: list[bytes] | None = None
    keep = False
    # Tuned loop: a real header block is ~80 lines, mostly Received/DKIM continuations.
    for line in raw[:end].splitlines(keepends=True):
        first = line[0]
        if first != 32 and first != 9:  # a new field; its continuation lines follow its fate
            if line == b"\n" or line == b"\r\n":
                kept.append(line)  # the blank line that ends the header block
                break
            name = line.partition(b":")[0].strip().lower()
            own = own_lines.setdefault(name, []) if name in _OWN_HEADERS else None
            keep = name in _KEPT_FOR_PARSER or name.startswith(b"content-")
        if own is not None:
            own.append(line)
        if keep:
            kept.append(line)
    fields: dict[str, list[str]] = {}
    eight_bit: list[str] = []
    latin1: list[str] = []
    for name, lines in own_lines.items():
        label = _OWN_HEADERS[name]
        fields[label], guessed = _unfolded_values(lines)
        if any(not line.isascii() for line in lines):
            eight_bit.append(label)
        if guessed:
            latin1.append(label)
    return HeaderSplit(
        for_parser=b"".join(kept) + raw[end:], fields=fields, eight_bit=tuple(eight_bit), latin1_headers=tuple(latin1)
    )


def _unfolded_values(lines: list[bytes]) -> tuple[list[str], bool]:
    """Raw header lines of one name (with continuations) as unfolded string values,
    and whether their bytes had to be read as Latin-1 (8-bit, but not UTF-8)."""
    values: list[str] = []
    latin1 = False
    for line in lines:
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            text, latin1 = line.decode("latin-1"), True
        if text[:1] in (" ", "\t") and values:
            values[-1] += " " + text.strip()
        else:
            values.append(text.partition(":")[2].strip())  # a line with no colon has no value
    return values, latin1


def _header_end(raw: bytes) -> int:
    """Offset where the body starts (after the blank line), or len(raw) when none."""
    lf = raw.find(b"\n\n")
    # Only look for a CRLF blank line before the LF one: scanning the whole of every
    # (LF-only) message for one that is not there costs more than the rest of this.
    crlf = raw.find(b"\r\n\r\n", 0, lf + 4 if lf >= 0 else len(raw))
    if crlf >= 0 and (lf < 0 or crlf < lf):
        return crlf + 4
    return lf + 2 if lf >= 0 else len(raw)


def raw_header(raw: bytes, name: bytes) -> str | None:
    """First value of header ``name`` read straight from the bytes, unfolded (cheap)."""
    end = _header_end(raw)
    match = _header_pattern(name).search(raw, 0, end)
    if match is None or (raw[: len(name) + 1].lower() == name + b":" and match.start() > 0):
        match = _first_line_pattern(name).match(raw, 0, end)  # the field opens the message
    if match is None:
        return None
    return " ".join(match.group(1).decode("ascii", "replace").split())


# Anchored on a newline (a literal the regex engine scans for quickly) rather than on
# ``^`` in multi-line mode, which is tried at every byte: twice as fast on real headers.
@functools.lru_cache(maxsize=32)
def _header_pattern(name: bytes) -> re.Pattern[bytes]:
    return re.compile(rb"\n(?i:" + re.escape(name) + rb")[ \t]*:[ \t]*([^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)")


@functools.lru_cache(maxsize=32)
def _first_line_pattern(name: bytes) -> re.Pattern[bytes]:
    return re.compile(rb"(?i:" + re.escape(name) + rb")[ \t]*:[ \t]*([^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)")


def looks_like_header_block(raw: bytes) -> bool:
    """True when the mail starts with an RFC 5322 header line (``Name: value``)."""
    first = raw.lstrip(b"\r\n")[:1000].split(b"\n", 1)[0]
    name, sep, _ = first.partition(b":")
    return bool(sep) and bool(re.fullmatch(rb"[!-9;-~]{1,76}", name))


def lists_of(list_id: str | None, hint: str | None) -> tuple[str, ...]:
    """The lists a message belongs to: its own List-Id and the list its source says."""
    return tuple(sorted({x for x in (list_id, hint) if x}))
