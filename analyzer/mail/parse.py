"""Raw bytes -> Message, with mail-parser. Pure: the clock comes in through ParsePolicy.

Every input ends as exactly one of: a Message (with any defects recorded) or a
Rejection with a reason from REJECTION_REASONS. mail-parser reads the MIME structure,
the bodies, Subject and Date; the addresses and the threading and list headers are read
from the raw bytes (:mod:`analyzer.mail.headers`, :mod:`analyzer.mail.addresses`), which
gives the standard library's results at a fraction of mail-parser's cost.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

import mailparser

from analyzer.mail import headers as h
from analyzer.mail.addresses import addresses_of
from analyzer.mail.body import body_of
from analyzer.records import Address, Message, RawMail, Rejection, too_large_detail

REJECTION_REASONS = {
    "empty": "the message has no bytes, or only whitespace",
    "not-a-message": "the bytes do not start with a mail header",
    "too-large": "the message is larger than the size cap (raise --max-size to accept it)",
    "line-too-long": "a line of the message is longer than 1 MiB (mail lines are at most 998 characters)",
    "parse-error": "mail-parser could not parse the message",
    "decompression-bomb": "a compressed source expands past the cap (--max-expanded)",
    "unreadable": "the source could not be read or decompressed",
    "unsafe-file": "a Maildir or folder entry that is not a regular file inside the source (FIFO, device, symlink out)",
    "fetch-failed": "a remote thread could not be downloaded",
}

EARLIEST_PLAUSIBLE = dt.datetime(1990, 1, 1, tzinfo=dt.timezone.utc)

# mail-parser warns on every part type it does not know (pgp-signature, say) through a
# logger nobody configured, which Python prints to stderr: keep it quiet unless the
# application sets up logging itself.
logging.getLogger("mailparser").addHandler(logging.NullHandler())


class _LeanMailParser(mailparser.MailParser):  # type: ignore[misc]
    """mail-parser without the two summary dicts (``mail``, ``mail_partial``) it builds
    after every parse: they decode every header again and copy the body twice, nothing
    here reads them, and they cost about a fifth of each parse."""

    def _make_mail(self, complete: bool = True) -> dict[str, Any]:
        return {}


@dataclass(frozen=True, slots=True)
class ParsePolicy:
    max_size: int = 25 * 1024 * 1024
    now: dt.datetime = dt.datetime(2100, 1, 1, tzinfo=dt.timezone.utc)
    future_slack: dt.timedelta = dt.timedelta(days=2)


def parse_raw(raw: RawMail, policy: ParsePolicy) -> Message | Rejection:
    """Decode one raw message. Never raises: input that trips anything in here
    becomes a ``parse-error`` Rejection instead of ending the run."""
    try:
        return _parse(raw, policy)
    except Exception as exc:  # mail-parser and the email package raise many kinds
        return _reject(raw, "parse-error", f"{type(exc).__name__}: {str(exc)[:300]}")


def _parse(raw: RawMail, policy: ParsePolicy) -> Message | Rejection:
    data = raw.data
    if len(data) > policy.max_size:
        return _reject(raw, "too-large", too_large_detail(len(data), policy.max_size))
    if not data.strip():
        return _reject(raw, "empty", "no content")
    defects: list[str] = []
    if b"\x00" in data:
        data = data.replace(b"\x00", b"")
        defects.append("nul-bytes: NUL bytes removed")
    if not h.looks_like_header_block(data):
        return _reject(raw, "not-a-message", "first line is not a header: " + _peek(data))
    if not data.endswith(b"\n"):
        defects.append("no-final-newline: the message ends mid-line (truncated?)")
    split = h.split_for_parser(data)
    defects.extend(f"header-charset: {name} has 8-bit bytes that are not UTF-8; read as Latin-1" for name in split.latin1_headers)
    parsed = _LeanMailParser.from_bytes(split.for_parser)
    return _build(raw, parsed, split, defects, policy)


def _build(
    raw: RawMail, parsed: mailparser.MailParser, split: h.HeaderSplit, defects: list[str], policy: ParsePolicy
) -> Message:
    defects.extend(_parser_defects(parsed))
    body, body_kind = body_of(parsed, defects)
    author = _author(split.all("From"), defects)
    date_raw = _first(parsed.message.get_all("Date"))
    date = _date(parsed, date_raw, defects, policy)
    subject = " ".join(_subject(parsed, split).split())
    message_id, synthetic = _message_id(split, defects, author, date_raw, subject, body)
    in_reply_to, references = _parents(split, message_id, defects)
    list_id = h.list_id_of(split.first("List-Id"), split.first("X-Mailing-List"))
    return Message(
        message_id=message_id,
        synthetic_id=synthetic,
        subject=subject,
        author=author,
        to=addresses_of(split.all("To")),
        cc=addresses_of(split.all("Cc")),
        date=date,
        date_raw=date_raw or "",
        in_reply_to=in_reply_to,
        references=references,
        list_ids=h.lists_of(list_id, raw.provenance.list_hint),
        body=body,
        body_kind=body_kind,
        defects=tuple(defects),
        size=len(raw.data),
        recovered=split.first("X-Recovered"),
        provenance=raw.provenance,
    )


def _reject(raw: RawMail, reason: str, detail: str) -> Rejection:
    return Rejection(reason=reason, detail=detail, provenance=raw.provenance, size=len(raw.data))


def _peek(data: bytes) -> str:
    return repr(data.lstrip()[:60].decode("utf-8", "replace"))


def _first(values: list[object] | None) -> str | None:
    if not values:
        return None
    return str(values[0])


def _parser_defects(parsed: mailparser.MailParser) -> list[str]:
    """mail-parser's defects, and those the email package only notes while decoding a
    payload (bad base64, say), which happens after mail-parser has collected its own."""
    found: list[str] = []
    for entry in parsed.defects:
        for part, items in entry.items():
            found.extend(f"{part}: {item}" for item in items)
    for part in parsed.message.walk():
        for defect in part.defects:
            text = f"{part.get_content_type()}: {type(defect).__name__}: {defect.__doc__}"
            if text not in found:
                found.append(text)
    return found


def _subject(parsed: mailparser.MailParser, split: h.HeaderSplit) -> str:
    """mail-parser's Subject, except for raw 8-bit bytes, which it drops when they are
    not UTF-8: those are decoded here (UTF-8, else Latin-1, recorded as a defect)."""
    subject = split.first("Subject")
    if "Subject" in split.eight_bit and subject is not None:
        return h.decode_words(subject)
    return str(parsed.subject or "")


def _author(from_values: list[str], defects: list[str]) -> Address:
    if not from_values:
        defects.append("missing-from: no From header")
        return Address(name="", email="")
    if len(from_values) > 1:
        defects.append(f"duplicate-from-header: {len(from_values)} From headers, first kept")
    authors = [a for a in addresses_of(from_values[:1]) if "@" in a.email]
    if authors:
        return authors[0]
    defects.append(f"invalid-from: no address in {from_values[0][:80]!r}")
    return Address(name=" ".join(h.decode_words(from_values[0]).split())[:200], email="")


def _date(
    parsed: mailparser.MailParser, date_raw: str | None, defects: list[str], policy: ParsePolicy
) -> str | None:
    if date_raw is None:
        defects.append("missing-date: no Date header")
        return None
    when = parsed.date
    if not isinstance(when, dt.datetime):
        defects.append(f"invalid-date: {date_raw[:80]!r}")
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    if when > policy.now + policy.future_slack:
        defects.append(f"future-date: {date_raw[:80]!r} is after the ingest time")
        return None
    if when < EARLIEST_PLAUSIBLE:
        defects.append(f"implausible-date: {date_raw[:80]!r}")
        return None
    return when.astimezone(dt.timezone.utc).isoformat()


def _message_id(
    split: h.HeaderSplit,
    defects: list[str],
    author: Address,
    date_raw: str | None,
    subject: str,
    body: str,
) -> tuple[str, bool]:
    values = split.all("Message-ID")
    if len(values) > 1:
        defects.append(f"duplicate-message-id-header: {len(values)} Message-ID headers, first kept")
    cleaned = h.clean_message_id(values[0]) if values else None
    if cleaned:
        return cleaned, False
    if values:
        defects.append(f"invalid-message-id: {values[0][:80]!r}, synthetic id assigned")
    else:
        defects.append("missing-message-id: synthetic id assigned")
    return h.synthetic_message_id(author.email, date_raw or "", subject, body), True


def _parents(split: h.HeaderSplit, message_id: str, defects: list[str]) -> tuple[str | None, tuple[str, ...]]:
    """(In-Reply-To, References) with loops cut: a message never lists itself, and an
    id repeated in References (a cycle in the chain) is kept once."""
    references_raw = split.first("References")
    references = h.message_ids_in(references_raw)
    in_reply_to = h.message_ids_in(split.first("In-Reply-To"))
    if len(references) < len(h.message_ids_in(references_raw, unique=False)):
        defects.append("references-cycle: an id appears more than once in References; kept once")
    if message_id in references or message_id in in_reply_to:
        defects.append("self-reference: the message lists itself as its parent")
        references = [r for r in references if r != message_id]
        in_reply_to = [r for r in in_reply_to if r != message_id]
    parent = in_reply_to[0] if in_reply_to else (references[-1] if references else None)
    return parent, tuple(references)
