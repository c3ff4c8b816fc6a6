"""Raw bytes -> Message, with mail-parser. Pure: the clock comes in through ParsePolicy.

Every input ends as exactly one of: a Message (possibly with defects recorded) or a
Rejection with a reason from REJECTION_REASONS.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import mailparser
from charset_normalizer import from_bytes as detect_charset

from analyzer.mail import headers as h
from analyzer.mail.html import html_to_text
from analyzer.records import Address, Message, RawMail, Rejection

REJECTION_REASONS = {
    "empty": "the message has no bytes, or only whitespace",
    "not-a-message": "the bytes do not start with a mail header",
    "too-large": "the message is larger than the size cap (--max-size)",
    "parse-error": "mail-parser could not parse the message",
    "decompression-bomb": "a compressed source expands past the cap (--max-expanded)",
    "unreadable": "the source could not be read or decompressed",
    "fetch-failed": "a remote thread could not be downloaded",
}

EARLIEST_PLAUSIBLE = dt.datetime(1990, 1, 1, tzinfo=dt.timezone.utc)


@dataclass(frozen=True, slots=True)
class ParsePolicy:
    max_size: int = 25 * 1024 * 1024
    now: dt.datetime = dt.datetime(2100, 1, 1, tzinfo=dt.timezone.utc)
    future_slack: dt.timedelta = dt.timedelta(days=2)


def parse_raw(raw: RawMail, policy: ParsePolicy) -> Message | Rejection:
    data = raw.data
    if len(data) > policy.max_size:
        return _reject(raw, "too-large", f"{len(data)} bytes > cap of {policy.max_size}")
    if not data.strip():
        return _reject(raw, "empty", "no content")
    defects: list[str] = []
    if b"\x00" in data:
        data = data.replace(b"\x00", b"")
        defects.append("nul-bytes: NUL bytes removed")
    if not h.looks_like_header_block(data):
        return _reject(raw, "not-a-message", "first line is not a header: " + _peek(data))
    for_parser, to_values, cc_values = h.split_for_parser(data)
    try:
        parsed = mailparser.parse_from_bytes(for_parser)
    except Exception as exc:  # mail-parser raises many kinds on hostile input
        return _reject(raw, "parse-error", f"{type(exc).__name__}: {exc}")
    return _build(raw, parsed, to_values, cc_values, defects, policy)


def _build(
    raw: RawMail,
    parsed: mailparser.MailParser,
    to_values: list[str],
    cc_values: list[str],
    defects: list[str],
    policy: ParsePolicy,
) -> Message:
    defects.extend(_parser_defects(parsed))
    body, body_kind = _body(parsed, defects)
    author = _author(parsed, defects)
    date_raw = _first(parsed.message.get_all("Date"))
    date = _date(parsed, date_raw, defects, policy)
    subject = " ".join(str(parsed.subject or "").split())
    message_id, synthetic = _message_id(parsed, defects, author, date_raw, subject, body)
    references = h.message_ids_in(_first(parsed.message.get_all("References")))
    in_reply_to_ids = h.message_ids_in(_first(parsed.message.get_all("In-Reply-To")))
    if message_id in references or message_id in in_reply_to_ids:
        defects.append("self-reference: the message lists itself as its parent")
        references = [r for r in references if r != message_id]
        in_reply_to_ids = [r for r in in_reply_to_ids if r != message_id]
    list_id = h.list_id_of(
        _first(parsed.message.get_all("List-Id")), _first(parsed.message.get_all("X-Mailing-List"))
    )
    lists = tuple(sorted({x for x in (list_id, raw.provenance.list_hint) if x}))
    return Message(
        message_id=message_id,
        synthetic_id=synthetic,
        subject=subject,
        author=author,
        to=h.addresses_of(to_values),
        cc=h.addresses_of(cc_values),
        date=date,
        date_raw=date_raw or "",
        in_reply_to=in_reply_to_ids[0] if in_reply_to_ids else (references[-1] if references else None),
        references=tuple(references),
        list_ids=lists,
        body=body,
        body_kind=body_kind,
        defects=tuple(defects),
        size=len(raw.data),
        recovered=_first(parsed.message.get_all("X-Recovered")),
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
    found: list[str] = []
    for entry in parsed.defects:
        for part, items in entry.items():
            found.extend(f"{part}: {item}" for item in items)
    return found


def _body(parsed: mailparser.MailParser, defects: list[str]) -> tuple[str, str]:
    plain = parsed.text_plain
    if plain:
        if "CharsetDecodeDefect" in parsed.defects_categories:
            plain = _redecode_plain(parsed) or plain
        return _normalise_newlines("\n".join(plain)), "plain"
    if parsed.text_html:
        defects.append("html-only: converted to text")
        return _normalise_newlines(html_to_text("\n".join(parsed.text_html))), "html"
    return "", "empty"


def _redecode_plain(parsed: mailparser.MailParser) -> list[str]:
    """Second chance for text/plain parts whose declared charset failed: detect it."""
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


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _author(parsed: mailparser.MailParser, defects: list[str]) -> Address:
    pairs = parsed.from_
    if not pairs:
        defects.append("missing-from: no usable From header")
        return Address(name="", email="")
    name, email = pairs[0]
    return Address(name=" ".join(str(name).split()), email=str(email).strip().lower())


def _date(
    parsed: mailparser.MailParser, date_raw: str | None, defects: list[str], policy: ParsePolicy
) -> str | None:
    if date_raw is None:
        defects.append("missing-date: no Date header")
        return None
    when = parsed.date
    if not isinstance(when, dt.datetime):
        defects.append(f"invalid-date: {date_raw!r}")
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    if when > policy.now + policy.future_slack:
        defects.append(f"future-date: {date_raw!r} is after the ingest time")
        return None
    if when < EARLIEST_PLAUSIBLE:
        defects.append(f"implausible-date: {date_raw!r}")
        return None
    return when.astimezone(dt.timezone.utc).isoformat()


def _message_id(
    parsed: mailparser.MailParser,
    defects: list[str],
    author: Address,
    date_raw: str | None,
    subject: str,
    body: str,
) -> tuple[str, bool]:
    values = parsed.message.get_all("Message-ID") or []
    if len(values) > 1:
        defects.append(f"duplicate-message-id-header: {len(values)} Message-ID headers, first kept")
    cleaned = h.clean_message_id(str(values[0])) if values else None
    if cleaned:
        return cleaned, False
    if values:
        defects.append(f"invalid-message-id: {str(values[0])[:80]!r}, synthetic id assigned")
    else:
        defects.append("missing-message-id: synthetic id assigned")
    return h.synthetic_message_id(author.email, date_raw or "", subject, body), True
