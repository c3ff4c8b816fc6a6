"""Pure helpers for header values: Message-IDs, references, list ids, raw header scans."""

from __future__ import annotations

import functools
import hashlib
import re
from email.header import decode_header, make_header
from email.utils import getaddresses

from analyzer.records import Address

_MSGID_IN_BRACKETS = re.compile(r"<([^<>\s]+)>")
_VALID_MSGID = re.compile(r"^[\x21-\x7e]{1,250}$")
_LIST_ID = re.compile(r"<([^<>\s]+)>")

# Headers mail-parser is asked to read. Transport headers (Received, DKIM, ARC…) are
# dropped before parsing: we never use them and mail-parser spends ~40% of its time on
# Received alone. To/Cc are parsed separately with the standard library, which is ~5x
# cheaper than mail-parser's defect-tracking address parser on long kernel Cc lists.
_KEPT_FOR_PARSER = re.compile(
    rb"^(from|subject|date|message-id|in-reply-to|references|list-id|x-mailing-list"
    rb"|content-[a-z-]+|mime-version|x-recovered(-from)?|x-synthetic)$",
    re.IGNORECASE,
)
_ADDRESS_HEADERS = re.compile(rb"^(to|cc)$", re.IGNORECASE)


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


def message_ids_in(value: str | None) -> list[str]:
    """All bracketed Message-IDs in a References/In-Reply-To value, in order, unique."""
    if not value:
        return []
    seen: dict[str, None] = {}
    for found in _MSGID_IN_BRACKETS.findall(value):
        if _VALID_MSGID.match(found):
            seen.setdefault(found, None)
    return list(seen)


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


def addresses_of(values: list[str]) -> tuple[Address, ...]:
    decoded = [decode_words(v) for v in values]
    return tuple(
        Address(name=name.strip(), email=addr.strip().lower())
        for name, addr in getaddresses(decoded)
        if addr
    )


def split_for_parser(raw: bytes) -> tuple[bytes, list[str], list[str]]:
    """Split raw mail into (what mail-parser reads, To values, Cc values).

    The header block keeps only the headers in ``_KEPT_FOR_PARSER``; the body is untouched.
    """
    end = _header_end(raw)
    head, body = raw[:end], raw[end:]
    kept: list[bytes] = []
    address_lines: dict[bytes, list[bytes]] = {b"to": [], b"cc": []}
    current: list[bytes] | None = None
    for line in head.splitlines(keepends=True):
        if line in (b"\n", b"\r\n"):
            kept.append(line)  # the blank line that ends the header block
            break
        if line[:1] in (b" ", b"\t"):
            if current is not None:
                current.append(line)
            continue
        name = line.split(b":", 1)[0].strip()
        if _KEPT_FOR_PARSER.match(name):
            current = kept
        elif _ADDRESS_HEADERS.match(name):
            current = address_lines[name.lower()]
        else:
            current = None
        if current is not None:
            current.append(line)
    return (
        b"".join(kept) + body,
        _unfolded_values(address_lines[b"to"]),
        _unfolded_values(address_lines[b"cc"]),
    )


def _unfolded_values(lines: list[bytes]) -> list[str]:
    """Raw header lines of one name (with continuations) as unfolded string values."""
    values: list[str] = []
    for line in lines:
        text = line.decode("utf-8", "replace")
        if text[:1] in (" ", "\t") and values:
            values[-1] += " " + text.strip()
        else:
            values.append(text.split(":", 1)[1].strip())
    return values


def _header_end(raw: bytes) -> int:
    """Offset where the body starts (after the blank line), or len(raw) when none."""
    candidates = [i for i in (raw.find(b"\n\n"), raw.find(b"\r\n\r\n")) if i >= 0]
    if not candidates:
        return len(raw)
    first = min(candidates)
    return first + (2 if raw[first : first + 2] == b"\n\n" else 4)


def raw_header(raw: bytes, name: bytes) -> str | None:
    """First value of header ``name`` read straight from the bytes, unfolded (cheap)."""
    match = _header_pattern(name).search(raw, 0, _header_end(raw))
    if match is None:
        return None
    return " ".join(match.group(1).decode("ascii", "replace").split())


@functools.lru_cache(maxsize=32)
def _header_pattern(name: bytes) -> re.Pattern[bytes]:
    return re.compile(rb"^" + re.escape(name) + rb":[ \t]*(.*(?:\r?\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE)


def looks_like_header_block(raw: bytes) -> bool:
    """True when the mail starts with an RFC 5322 header line (``Name: value``)."""
    first = raw.lstrip(b"\r\n")[:1000].split(b"\n", 1)[0]
    name, sep, _ = first.partition(b":")
    return bool(sep) and bool(re.fullmatch(rb"[!-9;-~]{1,76}", name))
